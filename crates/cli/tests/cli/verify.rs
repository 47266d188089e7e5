//! `molt verify` finds a record changed after the migration and names it; `molt status` reads
//! the checkpoint; a keystore signer works; keys never reach the checkpoint.

use crate::common::{migrate, molt, report, run, seed};
use alloy::{
    contract::{ContractInstance, Interface},
    dyn_abi::DynSolValue,
    primitives::{Address, U256},
};
use molt_chain::Devnet;

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_the_first_record_that_changed_after_the_migration() {
    let devnet = Devnet::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    seed(&devnet, dir.path(), 8, 20, 6);
    let done = report(&migrate(dir.path(), None));
    assert_eq!(done["verified"], true);
    assert_eq!(done["finalized"], true);

    // The checkpoint holds signed transactions, never the key.
    let journal = std::fs::read_to_string(dir.path().join("molt.toml.molt-journal")).unwrap();
    assert!(!journal.contains("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));

    let status = run(molt().current_dir(dir.path()).arg("status"));
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("phase      finalized") && status.contains("8/8"), "{status}");

    let ok = run(molt().current_dir(dir.path()).arg("verify"));
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));

    // Another chain is refused, not verified against.
    let other = Devnet::builder().arg("--chain-id").arg("1337").spawn().await.unwrap();
    let wrong =
        run(molt().current_dir(dir.path()).args(["verify", "--rpc-url", &other.endpoint()]));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("chain 31337") && stderr.contains("chain 1337"), "{stderr}");

    // After the migration the owner changes a node's reputation in V2: verification must fail
    // and name that record and field.
    let manifest = std::fs::read_to_string(dir.path().join("molt.toml")).unwrap();
    let address = |name: &str| -> Address {
        let line = manifest.lines().find(|l| l.starts_with(name)).unwrap();
        line.split('"').nth(1).unwrap().parse().unwrap()
    };
    let backup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(done["backup"].as_str().unwrap()).unwrap())
            .unwrap();
    let operator: Address = backup["components"]["nodes"]["records"][3]["fields"]["operator"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let abi = devnet.artifact("NodeRegistryV2").unwrap().abi;
    let registry = ContractInstance::new(
        address("registry_v2"),
        devnet.provider().clone(),
        Interface::new(abi),
    );
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

    let bad = run(molt().current_dir(dir.path()).arg("verify"));
    let stdout = String::from_utf8_lossy(&bad.stdout);
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
    let devnet = Devnet::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    seed(&devnet, dir.path(), 3, 6, 3);
    let keys = tempfile::tempdir().unwrap();
    let cast = molt_chain::Toolchain::discover().root.unwrap().join(".tools/bin/cast");
    let made = run(std::process::Command::new(cast)
        .args(["wallet", "new"])
        .arg(keys.path())
        .args(["--unsafe-password", "hunter2"]));
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let keystore = std::fs::read_dir(keys.path()).unwrap().next().unwrap().unwrap().path();

    // A fresh account owns nothing: the pre-check names it, which proves it was decrypted.
    let out = run(molt()
        .current_dir(dir.path())
        .args(["migrate", "--yes", "--keystore"])
        .arg(&keystore)
        .args(["--password", "hunter2"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("may not call `pause()`"), "{stderr}");
    let wrong = run(molt()
        .current_dir(dir.path())
        .args(["migrate", "--yes", "--keystore"])
        .arg(&keystore)
        .args(["--password", "nope"]));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("cannot decrypt the keystore"));
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
    assert_eq!(failed.status.code(), Some(1), "{}", String::from_utf8_lossy(&failed.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(doc["phase"], "verification failed");
    let passed = status(&[header, r#"{"type":"verified","ok":true}"#]);
    assert_eq!(passed.status.code(), Some(0), "{}", String::from_utf8_lossy(&passed.stderr));
}
