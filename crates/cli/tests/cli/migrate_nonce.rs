//! Two runs with the same key on two journals race for its nonces: a transaction sent from the
//! same account in the middle of a run stops it cleanly, naming the nonces, without re-sending;
//! a later single run resumes and finishes.

use crate::common::{Project, report, stderr, stdout};
use alloy::{
    network::TransactionBuilder,
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use serde_json::Value;

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/// Holds a run at `point` (inside the batches), sends a transfer from the signing account, lets
/// the run go on and returns (its stderr, the nonce our transfer used, the journal's length at
/// the pause).
async fn race_at(project: &Project, point: &str) -> (String, u64, usize) {
    project.set_batch(2, 1);
    let devnet = &project.devnet;
    let (child, paused) = project.migrate_paused(point);
    let entries = project.journal();
    let last = entries.last().unwrap();
    assert!(last["step"].as_str().unwrap().starts_with("batch:"), "paused between batches: {last}");

    let dev0: Address = DEV0.parse().unwrap();
    let nonce = devnet.provider().get_transaction_count(dev0).await.unwrap();
    let transfer = TransactionRequest::default()
        .with_from(dev0)
        .with_to(Address::repeat_byte(0x42))
        .with_value(U256::from(1));
    let receipt =
        devnet.provider().send_transaction(transfer).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    std::fs::remove_file(paused).unwrap();

    let out = child.wait_with_output().unwrap();
    let why = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{why}");
    assert!(out.stdout.is_empty(), "no report on stdout: {}", stdout(&out));
    let after = devnet.provider().get_transaction_count(dev0).await.unwrap();
    assert_eq!(after, nonce + 1, "the run sent nothing after the race:\n{why}");
    (why, nonce, entries.len())
}

fn assert_resumes(project: &Project) {
    let done = report(&project.migrate(None));
    assert_eq!(done["verified"], true, "{done}");
    assert_eq!(done["finalized"], true, "{done}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nonce_taken_between_two_batches_stops_the_run_before_it_signs() {
    let project = Project::seeded(6, 12, 4).await;
    // The receipt of a batch is journaled; the next batch is not signed yet.
    let (stderr, nonce, len) = race_at(&project, "mined:8").await;
    let want = format!("expected to sign with nonce {nonce}, but the node reports {}", nonce + 1);
    assert!(stderr.contains("moved under this run") && stderr.contains(&want), "{stderr}");
    assert!(stderr.contains("stop the other process"), "with a hint: {stderr}");
    assert_eq!(project.journal().len(), len, "nothing was journaled after the race");
    assert_resumes(&project);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nonce_taken_between_journaling_and_broadcast_is_refused_and_abandoned_on_resume() {
    let project = Project::seeded(6, 12, 4).await;
    // A batch is journaled as prepared with the nonce our transfer then takes.
    let (stderr, nonce, _) = race_at(&project, "prepared:9").await;
    let want = format!("expected to sign with nonce {nonce}, but the node reports {}", nonce + 1);
    assert!(stderr.contains("moved under this run") && stderr.contains(&want), "{stderr}");
    assert!(stderr.contains(&format!("another transaction was mined with nonce {nonce}")));
    assert_resumes(&project);
    let abandoned: Vec<Value> =
        project.journal().into_iter().filter(|e| e["type"] == "tx_abandoned").collect();
    assert_eq!(
        abandoned.len(),
        1,
        "the raced transaction is abandoned, not re-sent: {abandoned:?}"
    );
}
