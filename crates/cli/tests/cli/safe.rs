//! `molt safe export`, `sign` and `exec` against a real 2-of-3 Safe 1.4.1 on anvil that owns
//! the seeded Fabstir V1 and V2 contracts: owners are dev accounts 1..3, signatures are real
//! ECDSA signatures of their keys, nothing is impersonated.

use std::path::{Path, PathBuf};

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol,
    sol_types::SolCall,
};
use molt_chain::safe::{self, Safe, SafeContract, SafeContracts, SafeSetup};
use molt_migrate::governance::{BatchFile, MULTI_SEND_CALL_ONLY, checksum};
use serde_json::Value;

use crate::common::{Project, address_of, is_paused, refused, report, run};

sol! {
    function transferOwnership(address newOwner) external;
    function hasRole(bytes32 role, address account) external view returns (bool);
}

const V1: [&str; 3] = ["registry_v1", "jobs_v1", "escrow_v1"];
const V2: [&str; 3] = ["registry_v2", "jobs_v2", "escrow_v2"];

/// A seeded Fabstir project whose six contracts a 2-of-3 Safe of dev accounts 1..3 owns, with
/// `[governance]` naming it, dev account 4 as the migrator and grant/revoke calls on V2.
pub(crate) struct Governed {
    pub(crate) project: Project,
    pub(crate) safe: Safe,
    migrator: Address,
}

fn role() -> B256 {
    keccak256("MIGRATOR_ROLE")
}

impl Governed {
    pub(crate) async fn new() -> Self {
        let project = Project::seeded(2, 2, 2).await;
        let devnet = &project.devnet;
        let addresses = safe::install(devnet).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            SafeContracts::load(devnet.toolchain())
                .unwrap()
                .address(SafeContract::MultiSendCallOnly),
            MULTI_SEND_CALL_ONLY,
            "molt's MultiSendCallOnly address is the canonical one"
        );
        let owners = devnet.accounts()[1..4].to_vec();
        let at = safe::create_safe(
            devnet.provider(),
            devnet.accounts()[0],
            &addresses,
            &SafeSetup::new(owners, 2),
        )
        .await
        .unwrap();
        let text = project.manifest_text();
        for name in V1.iter().chain(&V2) {
            let to: Address = address_of(&text, name).parse().unwrap();
            let input = transferOwnershipCall { newOwner: at }.abi_encode();
            let tx =
                TransactionRequest::default().from(devnet.accounts()[0]).to(to).input(input.into());
            let receipt =
                devnet.provider().send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
            assert!(receipt.status(), "transferOwnership of {name}");
        }
        let migrator = devnet.accounts()[4];
        let mut governance = format!(
            "\n[governance]\nowner = {{ safe = \"{}\" }}\nmigrator = \"{}\"\n",
            at.to_checksum(None),
            migrator.to_checksum(None)
        );
        for (section, function) in [("grant", "grantRole"), ("revoke", "revokeRole")] {
            for v2 in V2 {
                governance.push_str(&format!(
                    "\n[[governance.{section}]]\ncontract = \"{v2}\"\nfunction = \"{function}\"\nargs = [\"{}\", \"$migrator\"]\n",
                    role()
                ));
            }
        }
        std::fs::write(project.manifest(), text + &governance).unwrap();
        let safe = Safe::new(at, devnet.chain_id(), devnet.provider().clone());
        Self { project, safe, migrator }
    }

    pub(crate) fn key(&self, i: usize) -> String {
        alloy::hex::encode_prefixed(self.project.devnet.signer(i).to_bytes())
    }

    pub(crate) fn out(&self) -> PathBuf {
        self.project.path().to_path_buf()
    }

    fn export(&self, extra: &[&str]) -> Value {
        let mut cmd = self.project.molt();
        cmd.args(["--json", "safe", "export", "--out"]).arg(self.out()).args(extra);
        report(&run(&mut cmd))
    }

    pub(crate) fn sign(&self, batch: &Path, key: usize) -> std::process::Command {
        let mut cmd = self.project.molt();
        cmd.args(["safe", "sign", "--batch"]).arg(batch).args(["--private-key", &self.key(key)]);
        cmd
    }

    pub(crate) fn exec(&self, batch: &Path, signatures: &Path) -> std::process::Command {
        let mut cmd = self.project.molt();
        cmd.args(["safe", "exec", "--batch"]).arg(batch).arg("--signatures").arg(signatures);
        cmd
    }

    async fn has_role(&self, contract: &str) -> bool {
        let to: Address = address_of(&self.project.manifest_text(), contract).parse().unwrap();
        let input = hasRoleCall { role: role(), account: self.migrator }.abi_encode();
        let out = self
            .project
            .devnet
            .provider()
            .call(TransactionRequest::default().to(to).input(input.into()))
            .await
            .unwrap();
        hasRoleCall::abi_decode_returns(&out).unwrap()
    }
}

#[tokio::test]
async fn a_2_of_3_safe_exports_signs_and_executes_the_open_phase() {
    let g = Governed::new().await;
    let p = &g.project;
    let doc = g.export(&[]);
    assert_eq!(doc["schema"], "molt.safe/1");
    assert_eq!(doc["safe"]["threshold"], 2);
    let phases = doc["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2);
    let (open, close) = (&phases[0], &phases[1]);
    assert_eq!((open["nonce"].as_u64(), close["nonce"].as_u64()), (Some(0), Some(1)));
    assert_eq!(open["operation"], 1, "several calls go through MultiSendCallOnly");
    let kinds: Vec<&str> = open["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purpose"]["kind"].as_str().unwrap())
        .collect();
    let pauses = kinds.iter().filter(|k| **k == "pause").count();
    let funds = kinds.iter().filter(|k| **k == "funds").count();
    assert_eq!((pauses, kinds.iter().filter(|k| **k == "grant").count()), (3, 3), "{kinds:?}");
    assert!(funds >= 1, "{kinds:?}");
    assert_eq!(close["calls"].as_array().unwrap().len(), 6, "3 finalize + 3 revoke");

    // The batch file: the app's format, its checksum, and calls that decode to the same calldata.
    let open_file = g.out().join("safe-open.json");
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&open_file).unwrap()).unwrap();
    assert_eq!(value["version"], "1.0");
    assert_eq!(value["chainId"], "31337");
    assert_eq!(value["meta"]["checksum"], checksum(&value).to_string());
    assert_eq!(value["meta"]["createdFromSafeAddress"], g.safe.address().to_checksum(None));
    let batch = BatchFile::read(&open_file).unwrap();
    let calls = batch.calls().unwrap();
    for (call, exported) in calls.iter().zip(open["calls"].as_array().unwrap()) {
        assert_eq!(serde_json::json!(call.data), exported["calldata"]);
    }
    let first = &value["transactions"][0];
    assert_eq!(first["contractMethod"]["name"], "pause");
    let grant = value["transactions"].as_array().unwrap().last().unwrap();
    assert_eq!(grant["contractInputsValues"]["role"], role().to_string());
    assert_eq!(grant["contractInputsValues"]["account"], g.migrator.to_checksum(None));
    let open_hash = open["safe_tx_hash"].as_str().unwrap().to_owned();
    assert_eq!(
        open_hash,
        g.safe.onchain_tx_hash(&batch.safe_tx(0).unwrap()).await.unwrap().to_string(),
        "the exported safeTxHash is the Safe's own getTransactionHash"
    );

    // Bad inputs: each one clear error, exit 2, nothing sent.
    let before = p.untouched().await;
    let signatures = g.out().join("safe-signatures.json");
    refused(&mut g.sign(&open_file, 5), &["is not an owner of the Safe"]);
    let tampered = g.out().join("tampered.json");
    let text = std::fs::read_to_string(&open_file).unwrap();
    std::fs::write(&tampered, text.replacen("\"pause\"", "\"unpause\"", 1)).unwrap();
    refused(&mut g.sign(&tampered, 1), &["the batch file was modified since it was written"]);
    assert!(!signatures.exists(), "a refused signature writes nothing");
    let out = run(&mut g.sign(&open_file, 1));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    refused(&mut g.exec(&open_file, &signatures), &["1 of the 2 signatures", "nothing was sent"]);
    refused(
        &mut g.exec(&g.out().join("safe-close.json"), &signatures),
        &["no signature for SafeTx", &open_hash],
    );
    p.assert_untouched_since(before).await;

    // The second owner signs; exec runs the whole phase in one Safe transaction.
    let out = run(&mut g.sign(&open_file, 2));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let escrow_v1: Address = address_of(p.seeded_text(), "registry_v1").parse().unwrap();
    let staked = p.devnet.provider().get_balance(escrow_v1).await.unwrap();
    assert!(staked > U256::ZERO, "the seed stakes ETH in registry_v1");
    let mut exec = g.exec(&open_file, &signatures);
    exec.arg("--json");
    let done = report(&run(&mut exec));
    assert_eq!(done["safe_tx_hash"], open_hash.as_str());
    assert_eq!(g.safe.nonce().await.unwrap(), U256::from(1), "Safe nonce +1");
    for v1 in V1 {
        assert!(is_paused(&p.devnet, &address_of(p.seeded_text(), v1)).await, "{v1} paused");
    }
    assert_eq!(
        p.devnet.provider().get_balance(escrow_v1).await.unwrap(),
        U256::ZERO,
        "stakes moved"
    );
    let registry_v2: Address = address_of(p.seeded_text(), "registry_v2").parse().unwrap();
    assert_eq!(p.devnet.provider().get_balance(registry_v2).await.unwrap(), staked);
    for v2 in V2 {
        assert!(g.has_role(v2).await, "{v2} granted MIGRATOR_ROLE to the migrator");
    }
    // Executed: exporting again leaves `open` out, and `close` is now at nonce 1.
    let again = g.export(&[]);
    let phases = again["phases"].as_array().unwrap();
    assert_eq!((phases.len(), phases[0]["phase"].as_str()), (1, Some("close")));
    assert_eq!(phases[0]["nonce"], 1);
}

#[tokio::test]
async fn a_safe_address_without_a_safe_1_4_1_is_refused() {
    let g = Governed::new().await;
    let p = &g.project;
    let before = p.untouched().await;
    let safe = g.safe.address().to_checksum(None);
    // An account without code.
    let empty = p.devnet.accounts()[7].to_checksum(None);
    p.edit(&safe, &empty);
    let mut cmd = p.molt();
    cmd.args(["safe", "export", "--out"]).arg(g.out());
    refused(&mut cmd, &["there is no contract at the Safe address"]);
    // A contract that is not a Safe.
    let registry = address_of(p.seeded_text(), "registry_v1");
    p.edit(&empty, &registry);
    refused(&mut cmd, &["is not a Safe 1.4.1"]);
    p.assert_untouched_since(before).await;
    assert!(!g.out().join("safe-open.json").exists());
}

impl Governed {
    /// `molt --json migrate --yes` signed by the migrator (dev account 4).
    fn migrate(&self) -> Value {
        let mut cmd = self.project.molt();
        cmd.args(["--json", "migrate", "--yes", "--private-key", &self.key(4)]);
        report(&run(&mut cmd))
    }

    /// `molt --json status`.
    fn status(&self) -> Value {
        let mut cmd = self.project.molt();
        cmd.args(["--json", "status"]);
        report(&run(&mut cmd))
    }

    /// Two owners sign the batch file, a third account executes it.
    fn sign_and_exec(&self, batch: &Path) {
        let signatures = batch.with_file_name("safe-signatures.json");
        for key in [1, 2] {
            let out = run(&mut self.sign(batch, key));
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let out = run(&mut self.exec(batch, &signatures));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// `molt migrate` with a Safe owner runs in phases: it stops at `open` (exit 0, the batch file
/// written), goes on once the Safe executed it (imports as the migrator, verification), stops at
/// `close`, and finalizes once the Safe executed that.
#[tokio::test]
async fn molt_migrate_runs_in_owner_phases_with_a_safe_owner() {
    let g = Governed::new().await;
    let p = &g.project;
    let safe = format!("{:#x}", g.safe.address());
    // Signed by another account than the migrator: refused before anything is read or sent.
    let mut other = p.molt();
    other.args(["migrate", "--yes", "--private-key", &g.key(5)]);
    refused(&mut other, &["is not the manifest's migrator", &g.migrator.to_string()]);
    assert!(!p.journal_path().exists());

    let open = g.migrate();
    assert_eq!(open["schema"], "molt.waiting/1");
    assert_eq!((open["phase"].as_str(), open["nonce"].as_u64()), (Some("open"), Some(0)));
    assert_eq!(open["safe"], safe.as_str());
    let open_file = PathBuf::from(open["batch"].as_str().unwrap());
    assert!(open_file.exists());
    for v1 in V1 {
        assert!(!is_paused(&p.devnet, &address_of(p.seeded_text(), v1)).await, "{v1} not paused");
    }
    let status = g.status();
    assert_eq!(status["phase"], "waiting for the Safe");
    assert_eq!(status["waiting"]["safe_tx_hash"], open["safe_tx_hash"]);
    assert_eq!(status["waiting"]["nonce"], 0);
    assert_eq!(status["waiting"]["safe"], safe.as_str());
    // Not executed yet: running again stops at the same phase (exit 0), saying what to sign.
    let mut again = p.molt();
    again.args(["migrate", "--yes", "--private-key", &g.key(4)]);
    let out = run(&mut again);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let hash = open["safe_tx_hash"].as_str().unwrap();
    assert!(text.contains("waiting for the Safe: sign and execute"), "{text}");
    // The preflight ran the Safe's phases through the Safe on a fork, and the first batches.
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("would all succeed"), "{log}");
    assert!(text.contains(hash) && text.contains("nonce 0"), "{text}");
    let mut status = p.molt();
    status.arg("status");
    let text = String::from_utf8_lossy(&run(&mut status).stdout).into_owned();
    assert!(text.contains("phase      waiting for the Safe"), "{text}");
    assert!(text.contains(&format!("safeTxHash {hash}")), "{text}");

    g.sign_and_exec(&open_file);
    let close = g.migrate();
    assert_eq!(close["schema"], "molt.waiting/1");
    assert_eq!((close["phase"].as_str(), close["nonce"].as_u64()), (Some("close"), Some(1)));
    let status = g.status();
    assert_eq!(status["phase"], "waiting for the Safe");
    assert_eq!(status["waiting"]["phase"], "close");
    assert_eq!(status["verified"], true, "verified before `close`");
    assert!(status["components"].as_array().unwrap().iter().all(|c| c["records"] == c["migrated"]));

    // `--wait` gives up after its timeout (exit 3: run again later) ...
    let mut wait = g.project.molt();
    wait.args(["migrate", "--yes", "--wait", "--wait-timeout", "1", "--private-key", &g.key(4)]);
    let out = run(&mut wait);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has not executed owner phase `close`"));
    // ... and goes on once the Safe executed the phase.
    let child = g
        .project
        .molt()
        .args(["--json", "migrate", "--yes", "--wait", "--wait-timeout", "120"])
        .args(["--private-key", &g.key(4)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    g.sign_and_exec(&PathBuf::from(close["batch"].as_str().unwrap()));
    let done = report(&child.wait_with_output().unwrap());
    assert_eq!(done["schema"], "molt.migrate/1");
    assert_eq!((done["verified"].as_bool(), done["finalized"].as_bool()), (Some(true), Some(true)));
    for v2 in V2 {
        assert!(!g.has_role(v2).await, "{v2} revoked the migrator's role");
    }
    let status = g.status();
    assert_eq!(status["phase"], "finalized");
    assert!(status.get("waiting").is_none());
}

/// The Safe's nonce used by another SafeTx than the exported phase (here `open` with other
/// calldata: without its grants) is refused, naming the safeTxHash expected.
#[tokio::test]
async fn an_owner_phase_executed_with_other_calldata_is_refused() {
    let g = Governed::new().await;
    let open = g.migrate();
    let hash = open["safe_tx_hash"].as_str().unwrap().to_owned();
    let text = g.project.manifest_text();
    let cut = text.find("\n[[governance.grant]]").unwrap();
    // Next to the manifest, for its ABI paths.
    let other = g.out().join("other.toml");
    std::fs::create_dir_all(g.out().join("other")).unwrap();
    let revokes = text.find("\n[[governance.revoke]]").unwrap();
    std::fs::write(&other, format!("{}{}", &text[..cut], &text[revokes..])).unwrap();
    let mut export = g.project.molt();
    export.args(["safe", "export", "--phase", "open", "--manifest"]).arg(&other);
    export.arg("--out").arg(g.out().join("other"));
    let out = run(&mut export);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let batch = g.out().join("other").join("safe-open.json");
    for key in [1, 2] {
        let mut sign = g.sign(&batch, key);
        sign.arg("--manifest").arg(&other);
        assert!(run(&mut sign).status.success());
    }
    let mut exec = g.exec(&batch, &batch.with_file_name("safe-signatures.json"));
    exec.arg("--manifest").arg(&other);
    assert!(run(&mut exec).status.success());
    assert_eq!(g.safe.nonce().await.unwrap(), U256::from(1));
    let mut cmd = g.project.molt();
    cmd.args(["migrate", "--yes", "--private-key", &g.key(4)]);
    refused(&mut cmd, &["used nonce 0 for another transaction", &hash]);
}

/// `molt plan --sender <migrator>` with no key: the owner phases run through the real Safe on
/// the fork (threshold 1 there, an owner impersonated), the migrator is impersonated for the
/// imports, the rehearsal verifies, and the plan shows the hashes the owners will sign on the
/// real chain: the ones `molt safe export` gives. Nothing reaches the node.
#[tokio::test]
async fn molt_plan_rehearses_a_safe_owned_migration_without_any_key() {
    let g = Governed::new().await;
    let p = &g.project;
    let mut cmd = p.molt();
    cmd.args(["--json", "plan", "--sender", &g.migrator.to_string()]);
    cmd.env_remove("MOLT_PRIVATE_KEY");
    let plan = report(&run(&mut cmd));
    assert_eq!(plan["schema"], "molt.plan/1");
    assert_eq!(plan["verified_on_fork"], true, "{plan:#}");
    assert_eq!(
        (plan["keyless"].as_bool(), plan["sender"].as_str()),
        (Some(true), Some(format!("{:#x}", g.migrator).as_str()))
    );
    let safe_txs = plan["safe_transactions"].as_array().unwrap();
    assert_eq!(safe_txs.len(), 2, "{plan:#}");
    let export = g.export(&[]);
    for (rehearsed, exported) in safe_txs.iter().zip(export["phases"].as_array().unwrap()) {
        assert_eq!(rehearsed["phase"], exported["phase"]);
        assert_eq!(rehearsed["nonce"], exported["nonce"]);
        assert_eq!(rehearsed["threshold"], 2);
        assert_eq!(rehearsed["safe_tx_hash"], exported["safe_tx_hash"], "the real chain's hash");
        assert!(rehearsed["gas_used"].as_u64().unwrap() > 21_000);
    }
    // Every import was sent by the migrator on the fork; none by the Safe or the owner.
    let batches = plan["transactions"].as_array().unwrap();
    assert!(
        batches.iter().all(|t| t["step"].as_str().unwrap().starts_with("batch:")),
        "{batches:?}"
    );
    // The node itself is untouched.
    assert_eq!(g.safe.nonce().await.unwrap(), U256::ZERO);
    for v1 in V1 {
        assert!(!is_paused(&p.devnet, &address_of(p.seeded_text(), v1)).await, "{v1} not paused");
    }
    for v2 in V2 {
        assert!(!g.has_role(v2).await, "{v2}: no role granted on the node");
    }

    // For people: each Safe transaction with its calls and hashes.
    let mut cmd = p.molt();
    cmd.args(["plan", "--sender", &g.migrator.to_string()]);
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(no key: impersonated on the fork)"), "{text}");
    assert!(
        text.contains("Safe transaction `open`") && text.contains("Safe transaction `close`"),
        "{text}"
    );
    assert!(text.contains(export["phases"][0]["safe_tx_hash"].as_str().unwrap()), "{text}");
    assert!(text.contains("registry_v1.pause()  pause"), "{text}");
}

/// `molt demo --safe`: Fabstir owned by a 2-of-3 Safe. The run stops at `open` and `close`
/// with their batch files and safeTxHashes, two owners sign each with their keys, the Safe
/// executes it, and the run ends verified and finalized; then a UUPS proxy owned by the Safe is
/// upgraded through it with its state kept.
#[test]
fn molt_demo_safe_migrates_through_the_safe_and_upgrades_a_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crate::common::molt();
    cmd.args(["demo", "--safe", "--nodes", "6", "--jobs", "12", "--balances", "4", "--out"])
        .arg(dir.path());
    let out = run(&mut cmd);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    for phase in ["open", "close"] {
        let file = dir.path().join(format!("safe-{phase}.json"));
        assert!(file.exists(), "{phase} exported");
        assert!(stderr.contains(&format!("sign and execute {}", file.display())), "{stderr}");
        assert!(stderr.contains(&format!("executed phase {phase} through the Safe")), "{stderr}");
        assert!(stdout.contains(&format!("Safe transaction `{phase}`")), "the plan shows it");
    }
    assert_eq!(stderr.matches("signed safeTxHash").count(), 4, "two owners, two phases");
    assert!(stdout.contains("verification passed, migration finalized"), "{stdout}");
    assert!(stderr.contains("the proxy runs version 2, count still 2"), "{stderr}");
}

/// A `molt migrate --wait` killed while it waits for the Safe resumes from its journal: the
/// export is not repeated (the same batch file and safeTxHash), and once the Safe executed
/// the phase the next run goes on to the imports.
#[tokio::test]
async fn a_run_killed_while_waiting_for_the_safe_resumes() {
    let g = Governed::new().await;
    let mut child = g
        .project
        .molt()
        .args(["--json", "migrate", "--yes", "--wait", "--wait-timeout", "120"])
        .args(["--private-key", &g.key(4)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let open_file = g.out().join("safe-open.json");
    let started = std::time::Instant::now();
    while !open_file.exists() && started.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    child.kill().unwrap();
    child.wait().unwrap();
    let exported = std::fs::read_to_string(&open_file).unwrap();

    let waiting = g.migrate();
    assert_eq!(
        (waiting["schema"].as_str(), waiting["phase"].as_str()),
        (Some("molt.waiting/1"), Some("open"))
    );
    assert_eq!(std::fs::read_to_string(&open_file).unwrap(), exported, "not exported again");
    g.sign_and_exec(&open_file);
    let close = g.migrate();
    assert_eq!(close["phase"], "close", "{close:#}");
    assert_eq!(g.status()["verified"], true);
}

/// A migrator that is also one of the Safe's owners: the fork executes the Safe's phases from
/// another owner, so the migrator's own nonce stays its imports', and the rehearsal verifies.
#[tokio::test]
async fn a_migrator_that_is_a_safe_owner_is_rehearsed_too() {
    let g = Governed::new().await;
    let owner = g.project.devnet.accounts()[1];
    g.project.edit(
        &format!("migrator = \"{}\"", g.migrator.to_checksum(None)),
        &format!("migrator = \"{}\"", owner.to_checksum(None)),
    );
    let mut cmd = g.project.molt();
    cmd.args(["--json", "plan", "--sender", &owner.to_string()]);
    let plan = report(&run(&mut cmd));
    assert_eq!(plan["verified_on_fork"], true, "{plan:#}");
    for t in plan["safe_transactions"].as_array().unwrap() {
        assert_ne!(t["executor"], format!("{owner:#x}").as_str(), "another owner executes");
    }
}

/// `molt rollback` with a Safe owner gives the same hand-off as the forward path: the Safe's
/// returns, unpauses and revokes in one exported transaction (`safe-rollback.json`, at the
/// nonce `close` would have used); once two owners signed and it was executed, the rollback
/// checks the old side and ends. `--plan` runs it through the Safe on a fork first.
#[tokio::test]
async fn a_safe_owned_run_is_rolled_back_through_the_safe() {
    let g = Governed::new().await;
    let p = &g.project;
    let open = g.migrate();
    g.sign_and_exec(&PathBuf::from(open["batch"].as_str().unwrap()));
    let close = g.migrate();
    assert_eq!((close["phase"].as_str(), close["nonce"].as_u64()), (Some("close"), Some(1)));

    let mut plan = p.molt();
    plan.args(["rollback", "--plan", "--private-key", &g.key(4)]);
    let out = run(&mut plan);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("signs one transaction (nonce 1"), "{text}");
    for call in ["registry_v2.returnFunds(", "escrow_v1.unpause()", "jobs_v2.revokeRole("] {
        assert!(text.contains(call), "{call} in:\n{text}");
    }

    let rollback = |p: &Project| {
        let mut cmd = p.molt();
        cmd.args(["--json", "rollback", "--yes", "--private-key", &g.key(4)]);
        report(&run(&mut cmd))
    };
    let waiting = rollback(p);
    assert_eq!(waiting["outcome"], "waiting_for_safe", "{waiting}");
    assert_eq!(waiting["waiting"]["phase"], "rollback");
    assert_eq!(waiting["waiting"]["nonce"], 1);
    let batch = PathBuf::from(waiting["waiting"]["batch"].as_str().unwrap());
    assert!(batch.ends_with("safe-rollback.json"));
    for v1 in V1 {
        assert!(is_paused(&p.devnet, &address_of(p.seeded_text(), v1)).await, "{v1} still paused");
    }
    // Not executed yet: the same hand-off again, nothing sent.
    assert_eq!(rollback(p)["outcome"], "waiting_for_safe");

    g.sign_and_exec(&batch);
    let done = rollback(p);
    assert_eq!(done["outcome"], "rolled_back", "{done}");
    assert_eq!(done["unpaused"].as_array().unwrap().len(), 3);
    for f in done["returned"].as_array().unwrap() {
        assert_eq!(f["held_now"], f["amount"], "{f}");
    }
    assert!(done["old_state"].as_array().unwrap().iter().all(|c| c["unchanged"] == true));
    for v1 in V1 {
        assert!(!is_paused(&p.devnet, &address_of(p.seeded_text(), v1)).await, "{v1} paused");
    }
    for v2 in V2 {
        assert!(!g.has_role(v2).await, "{v2} revoked the migrator's role");
    }
    // The Safe's nonce moved past `close`: its export can never execute now.
    assert_eq!(g.safe.nonce().await.unwrap(), U256::from(2));
}
