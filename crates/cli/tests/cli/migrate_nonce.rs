//! Two runs with the same key on two checkpoints race for its nonces: a transaction sent from the
//! same account in the middle of a run stops it cleanly, naming the nonces, without re-sending;
//! a later single run resumes and finishes.

use std::path::Path;

use crate::common::{migrate, migrate_paused, report, seed, set_batch};
use alloy::{
    network::TransactionBuilder,
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use molt_chain::Devnet;
use serde_json::Value;

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

fn journal(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("molt.toml.molt-journal"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Holds a run at `point` (inside the batches), sends a transfer from the signing account, lets
/// the run go on and returns (its stderr, the nonce our transfer used, the journal's length at
/// the pause).
async fn race_at(devnet: &Devnet, dir: &Path, point: &str) -> (String, u64, usize) {
    seed(devnet, dir, 6, 12, 4);
    set_batch(dir, 2, 1);
    let (child, paused) = migrate_paused(dir, point);
    let entries = journal(dir);
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
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "no report on stdout: {}", String::from_utf8_lossy(&out.stdout));
    let after = devnet.provider().get_transaction_count(dev0).await.unwrap();
    assert_eq!(after, nonce + 1, "the run sent nothing after the race:\n{stderr}");
    (stderr, nonce, entries.len())
}

fn assert_resumes(dir: &Path) {
    let done = report(&migrate(dir, None));
    assert_eq!(done["verified"], true, "{done}");
    assert_eq!(done["finalized"], true, "{done}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nonce_taken_between_two_batches_stops_the_run_before_it_signs() {
    let devnet = Devnet::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The receipt of a batch is journaled; the next batch is not signed yet.
    let (stderr, nonce, len) = race_at(&devnet, dir.path(), "mined:8").await;
    let want = format!("expected to sign with nonce {nonce}, but the node reports {}", nonce + 1);
    assert!(stderr.contains("moved under this run") && stderr.contains(&want), "{stderr}");
    assert!(stderr.contains("stop the other process"), "with a hint: {stderr}");
    assert_eq!(journal(dir.path()).len(), len, "nothing was journaled after the race");
    assert_resumes(dir.path());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nonce_taken_between_journaling_and_broadcast_is_refused_and_abandoned_on_resume() {
    let devnet = Devnet::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A batch is journaled as prepared with the nonce our transfer then takes.
    let (stderr, nonce, _) = race_at(&devnet, dir.path(), "prepared:9").await;
    let want = format!("expected to sign with nonce {nonce}, but the node reports {}", nonce + 1);
    assert!(stderr.contains("moved under this run") && stderr.contains(&want), "{stderr}");
    assert!(stderr.contains(&format!("another transaction was mined with nonce {nonce}")));
    assert_resumes(dir.path());
    let abandoned: Vec<Value> =
        journal(dir.path()).into_iter().filter(|e| e["type"] == "tx_abandoned").collect();
    assert_eq!(
        abandoned.len(),
        1,
        "the raced transaction is abandoned, not re-sent: {abandoned:?}"
    );
}
