//! `molt verify` finds a record changed after the migration and names it; `molt status` reads
//! the journal; a keystore signer works; keys never reach the journal.

use crate::common::{Project, address_of, molt, refused, report, run, stderr, stdout};
use alloy::{
    contract::{ContractInstance, Interface},
    dyn_abi::DynSolValue,
    primitives::{Address, U256},
};
use molt_chain::Devnet;

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_the_first_record_that_changed_after_the_migration() {
    let project = Project::seeded(8, 20, 6).await;
    let devnet = &project.devnet;
    let done = report(&project.migrate(None));
    assert_eq!(done["verified"], true);
    assert_eq!(done["finalized"], true);

    // The journal holds signed transactions, never the key.
    let journal = std::fs::read_to_string(project.journal_path()).unwrap();
    assert!(!journal.contains("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));

    let status = stdout(&run(project.molt().arg("status")));
    assert!(status.contains("phase      finalized") && status.contains("8/8"), "{status}");

    let ok = run(project.molt().arg("verify"));
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));

    // Another chain is refused, not verified against.
    let other = Devnet::builder().arg("--chain-id").arg("1337").spawn().await.unwrap();
    let wrong = run(project.molt().args(["verify", "--rpc-url", &other.endpoint()]));
    let why = stderr(&wrong);
    assert_eq!(wrong.status.code(), Some(2), "{why}");
    assert!(why.contains("chain 31337") && why.contains("chain 1337"), "{why}");

    // After the migration the owner changes a node's reputation in V2: verification must fail
    // and name that record and field.
    let registry_v2: Address = address_of(project.seeded_text(), "registry_v2").parse().unwrap();
    let backup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(done["backup"].as_str().unwrap()).unwrap())
            .unwrap();
    let operator: Address = backup["components"]["nodes"]["records"][3]["fields"]["operator"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let abi = devnet.artifact("NodeRegistryV2").unwrap().abi;
    let registry =
        ContractInstance::new(registry_v2, devnet.provider().clone(), Interface::new(abi));
    let args = [DynSolValue::Address(operator), DynSolValue::Uint(U256::from(1234), 256)];
    let receipt = registry
        .function("updateReputation", &args)
        .unwrap()
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());

    let bad = run(project.molt().arg("verify"));
    let stdout = stdout(&bad);
    assert_eq!(bad.status.code(), Some(1), "a failed verification exits 1:\n{stdout}");
    assert!(stdout.contains("nodes") && stdout.contains("MISMATCH"), "{stdout}");
    assert!(
        stdout.contains("record 3")
            && stdout.contains("field `reputationBps`")
            && stdout.contains("1234"),
        "the first difference is named:\n{stdout}"
    );
    assert!(stdout.contains(&operator.to_checksum(None)), "the key is named:\n{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keystore_signer_is_decrypted_and_used() {
    let project = Project::seeded(3, 6, 3).await;
    let keys = tempfile::tempdir().unwrap();
    let cast = molt_chain::Toolchain::discover().root.unwrap().join(".tools/bin/cast");
    let made = run(std::process::Command::new(cast)
        .args(["wallet", "new"])
        .arg(keys.path())
        .args(["--unsafe-password", "hunter2"]));
    assert!(made.status.success(), "{}", stderr(&made));
    let keystore = std::fs::read_dir(keys.path()).unwrap().next().unwrap().unwrap().path();

    // A fresh account owns nothing: the pre-check names it, which proves it was decrypted.
    let with_password = |password: &str| {
        let mut cmd = project.molt();
        cmd.args(["migrate", "--yes", "--keystore"]).arg(&keystore).args(["--password", password]);
        cmd
    };
    refused(&mut with_password("hunter2"), &["may not call `pause()`"]);
    let wrong = run(&mut with_password("nope"));
    assert!(stderr(&wrong).contains("cannot decrypt the keystore"), "{}", stderr(&wrong));
}

#[test]
fn status_exits_1_when_the_last_verification_failed() {
    let dir = tempfile::tempdir().unwrap();
    let header = r#"{"type":"header","version":1,"manifest_hash":"0x0101010101010101010101010101010101010101010101010101010101010101","chain_id":31337,"sender":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","contracts":{}}"#;
    let journal = dir.path().join("molt.toml.molt-journal");
    let status = |lines: &[&str]| {
        std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
        run(molt().current_dir(dir.path()).args(["--json", "status"]))
    };
    let failed = status(&[header, r#"{"type":"verified","ok":false}"#]);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    let doc: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(doc["phase"], "verification failed");
    let passed = status(&[header, r#"{"type":"verified","ok":true}"#]);
    assert_eq!(passed.status.code(), Some(0), "{}", stderr(&passed));
}
