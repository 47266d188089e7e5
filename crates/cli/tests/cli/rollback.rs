//! `molt rollback`: a run stopped part-way is undone on a real anvil: V1 is unpaused and holds
//! exactly its funds again, its state equals the run's snapshot; the rollback resumes after a
//! kill; it is refused after finalize and a no-op before the pause.

use alloy::{
    eips::BlockId,
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol,
    sol_types::SolCall,
};
use serde_json::Value;

use crate::common::{Project, address_of, is_paused, refused, report, run, stderr, stdout};

sol! {
    function balanceOf(address holder) external view returns (uint256);
    function revokeRole(bytes32 role, address account) external;
}

/// A Fabstir project whose run stopped inside the imports (funds moved, V1 paused).
async fn stopped_inside_the_imports() -> Project {
    let project = Project::seeded(20, 40, 15).await;
    project.set_batch(8, 2);
    let out = project.migrate(Some("mined:9"));
    assert!(stderr(&out).contains("aborting here"), "{}", stderr(&out));
    project
}

fn rollback(project: &Project, crash_at: Option<&str>) -> std::process::Output {
    let mut cmd = project.molt();
    cmd.args(["--json", "rollback", "--yes"]);
    if let Some(c) = crash_at {
        cmd.env("MOLT_TEST_CRASH_AT", c);
    }
    run(&mut cmd)
}

/// The journal's snapshot entry.
fn snapshot_entry(project: &Project) -> Value {
    project.journal().into_iter().find(|e| e["type"] == "snapshot").expect("a snapshot")
}

/// What `holder` holds of `token` (the zero address: ETH) at `block` (`None`: now).
async fn holding(project: &Project, token: Address, holder: &str, block: Option<u64>) -> U256 {
    let p = project.devnet.provider();
    let holder: Address = holder.parse().unwrap();
    let at = block.map_or(BlockId::latest(), BlockId::number);
    if token.is_zero() {
        return p.get_balance(holder).block_id(at).await.unwrap();
    }
    let call =
        TransactionRequest::default().to(token).input(balanceOfCall { holder }.abi_encode().into());
    let out = p.call(call).block(at).await.unwrap();
    balanceOfCall::abi_decode_returns(&out).unwrap()
}

/// Every (token, V1 holder) pair the run moved, from the rollback report.
fn moved(project: &Project, r: &Value) -> Vec<(Address, String, String)> {
    r["returned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let to = f["to"].as_str().unwrap();
            let from = f["from"].as_str().unwrap();
            let token = f["token"].as_str().unwrap().parse().unwrap();
            let text = project.manifest_text();
            (token, address_of(&text, to), address_of(&text, from))
        })
        .collect()
}

/// V1 holds what it held at the snapshot (before any funds moved), to the wei, and V2
/// nothing; every V1 contract runs again; V1's state hash is the snapshot's.
async fn assert_rolled_back(project: &Project, r: &Value) {
    assert_eq!(r["schema"], "molt.rollback/1");
    assert_eq!(r["outcome"], "rolled_back", "{r}");
    let block = snapshot_entry(project)["block"].as_u64().unwrap();
    let moved = moved(project, r);
    assert_eq!(moved.len(), 4, "ETH stakes, ETH and two tokens of the escrow: {r}");
    for (token, v1, v2) in moved {
        let before = holding(project, token, &v1, Some(block)).await;
        assert!(!before.is_zero());
        assert_eq!(holding(project, token, &v1, None).await, before, "{token} in {v1}");
        assert_eq!(holding(project, token, &v2, None).await, U256::ZERO, "{token} in {v2}");
    }
    let text = project.manifest_text();
    for v1 in ["registry_v1", "jobs_v1", "escrow_v1"] {
        assert!(!is_paused(&project.devnet, &address_of(&text, v1)).await, "{v1} still paused");
    }
    let snapshot = snapshot_entry(project);
    for c in r["old_state"].as_array().unwrap() {
        let name = c["component"].as_str().unwrap();
        assert_eq!(c["hash"], snapshot["components"][name]["source_hash"], "{name}");
        assert_eq!(c["unchanged"], true);
    }
    assert_eq!(project.journal().last().unwrap()["type"], "rolled_back");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_stopped_inside_the_imports_is_rolled_back_to_the_wei() {
    let project = stopped_inside_the_imports().await;
    let plan = run(project.molt().args(["rollback", "--plan"]));
    assert!(plan.status.success(), "{}", stderr(&plan));
    let text = stdout(&plan);
    for step in ["return:stakes:", "return:escrow:", "unpause:registry_v1", "unpause:escrow_v1"] {
        assert!(text.contains(step), "the plan lists {step}:\n{text}");
    }
    // The plan sent nothing: V1 is still paused, the funds still in V2.
    let manifest = project.manifest_text();
    assert!(is_paused(&project.devnet, &address_of(&manifest, "registry_v1")).await);

    // The run cannot go on (the migrator lost its role): its error says how to go back.
    let jobs_v2: Address = address_of(&manifest, "jobs_v2").parse().unwrap();
    let dev = project.devnet.accounts()[0];
    let role = alloy::primitives::keccak256("MIGRATOR_ROLE");
    let revoke = revokeRoleCall { role, account: dev }.abi_encode();
    let tx = TransactionRequest::default().from(dev).to(jobs_v2).input(revoke.into());
    let p = project.devnet.provider();
    p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    let failed = run(project.molt().args(["migrate", "--yes"]));
    assert_ne!(failed.status.code(), Some(0));
    let err = stderr(&failed);
    assert!(err.contains("to go back instead"), "{err}");
    assert!(err.contains("`molt rollback --manifest molt.toml`"), "{err}");

    let r = report(&rollback(&project, None));
    assert_rolled_back(&project, &r).await;
    assert_eq!(r["txs"], 7, "4 returns and 3 unpauses: {r}");
    let again = report(&rollback(&project, None));
    assert_eq!(again["outcome"], "already_rolled_back");
    assert_eq!(again["txs"], 0);
    // The forward path is over for this journal.
    refused(
        project.molt().args(["migrate", "--yes"]),
        &["rolled back", "redeploy the new contracts"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_killed_at_any_point_resumes_to_the_same_end() {
    let project = stopped_inside_the_imports().await;
    for crash in ["prepared:1", "sent:2", "mined:2", "prepared:1"] {
        let out = rollback(&project, Some(crash));
        assert!(stderr(&out).contains("aborting here"), "{crash}: {}", stderr(&out));
        // Stopped mid-way, the journal refuses the forward path.
        refused(project.molt().args(["migrate", "--yes"]), &["rollback started"]);
    }
    let r = report(&rollback(&project, None));
    assert_rolled_back(&project, &r).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finalized_run_cannot_be_rolled_back() {
    let project = Project::seeded(5, 10, 5).await;
    report(&project.migrate(None));
    let before = project.untouched().await;
    let err = refused(project.molt().args(["rollback", "--yes"]), &["was finalized", "refused"]);
    assert!(err.contains("hint: the way back now is a new migration"), "{err}");
    let nonce = project.devnet.provider();
    let n = nonce.get_transaction_count(project.devnet.accounts()[0]).await.unwrap();
    assert_eq!(n, before.nonce(), "nothing sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn before_the_pause_a_rollback_is_a_no_op_that_says_so() {
    let project = Project::seeded(5, 10, 5).await;
    // No journal at all: a wrong path, refused.
    refused(project.molt().args(["rollback", "--yes"]), &["no journal at", "--journal"]);
    // A journal with its header only: the run was stopped before its first transaction.
    let crashed = project.migrate(Some("prepared:1"));
    assert!(stderr(&crashed).contains("aborting here"));
    let header = std::fs::read_to_string(project.journal_path()).unwrap();
    let first = header.lines().next().unwrap();
    std::fs::write(project.journal_path(), format!("{first}\n")).unwrap();
    let before = project.untouched().await;
    let out = run(project.molt().args(["rollback", "--yes"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("nothing to roll back"), "{}", stdout(&out));
    project.assert_untouched_since(before).await;
}
