//! Nothing lost, nothing doubled: a migration killed at any moment and re-run ends in the same
//! state as an uninterrupted one (same counts, same hashes, same balances).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::common::{Project, outcome, report, run};
use alloy::providers::Provider;

const NODES: u32 = 40;
const JOBS: u32 = 120;
const BALANCES: u32 = 30;

/// A fresh anvil with the same state every time (same seed, same deployer nonces).
async fn fresh() -> Project {
    let project = Project::reproducible(NODES, JOBS, BALANCES).await;
    // Small batches, several in flight: many steps to crash between.
    project.set_batch(12, 3);
    project
}

/// The outcome of an uninterrupted run on a fresh project.
async fn reference() -> serde_json::Value {
    let project = fresh().await;
    outcome(&report(&project.migrate(None)))
}

#[tokio::test(flavor = "multi_thread")]
async fn crashes_at_every_kind_of_point_resume_to_the_uninterrupted_result() {
    let reference = reference().await;
    assert_eq!(reference["verified"], true);
    assert_eq!(reference["finalized"], true);

    // Each scenario crashes the run at the given points, one after the other, then lets it finish.
    let scenarios: &[&[&str]] = &[
        &["prepared:1"],                      // the first pause tx journaled, never sent
        &["sent:4", "sent:2"],                // a funds move sent, no receipt journaled; twice
        &["backup:1"],                        // backup written, snapshot not journaled
        &["prepared:9", "mined:3", "sent:5"], // inside the batches, three crashes in a row
        &["mined:12"],                        // late: some components done, others not
    ];
    for crashes in scenarios {
        let project = fresh().await;
        for crash in *crashes {
            let out = project.migrate(Some(crash));
            assert!(!out.status.success(), "{crash}: the run was expected to abort");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("aborting here"),
                "{crash}: did not reach the crash point:\n{stderr}"
            );
        }
        let resumed = report(&project.migrate(None));
        assert_eq!(outcome(&resumed), reference, "after crashes {crashes:?}");
        // Nothing was imported twice: V2 rejects duplicates, and the counts match exactly.
        let again = report(&project.migrate(None));
        assert_eq!(again["txs"], 0, "a finished run sends nothing more: {again}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_arbitrary_moments_then_resume() {
    let reference = reference().await;

    let project = fresh().await;
    // Kill with SIGKILL after growing delays until a run gets to the end by itself.
    let mut kills = 0;
    for delay_ms in (40..).step_by(60) {
        let mut child = project
            .molt()
            .args(["--json", "migrate", "--yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(delay_ms) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success(), "an unkilled run failed: {status:?}");
                break;
            }
            None => {
                Command::new("kill").args(["-9", &child.id().to_string()]).status().unwrap();
                child.wait().unwrap();
                kills += 1;
            }
        }
        assert!(kills < 60, "the run never finished");
    }
    assert!(kills > 0, "the run finished before the first kill; the test proved nothing");
    let finished = report(&project.migrate(None));
    assert_eq!(outcome(&finished), reference, "after {kills} kills");
}

/// Waits until the node's pool holds no transaction (pending or queued): everything sent is mined.
async fn wait_for_empty_pool(chain: &molt_chain::Devnet) {
    let start = Instant::now();
    loop {
        let status: serde_json::Value =
            chain.provider().raw_request("txpool_status".into(), ()).await.unwrap();
        if status["pending"] == "0x0" && status["queued"] == "0x0" {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the pool never emptied: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_a_reorganization_took_back_are_reconciled_by_hash() {
    let reference = reference().await;

    let project = fresh().await;
    let chain = &project.devnet;
    let out = project.migrate(Some("mined:8"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("aborting here"));
    // The aborted run may have left transactions in the node's pool (sent, not mined yet); one
    // mined after the rollback below would put back a block the test means to take away.
    wait_for_empty_pool(chain).await;
    // Take back the block of the last transaction journaled as mined, and every block after it
    // (as a reorganization that drops them would): their transactions are gone from the node.
    let entries = project.journal();
    let last = entries.iter().rev().find(|e| e["type"] == "tx_mined").unwrap();
    let block = last["block"].as_u64().unwrap();
    let head = chain.provider().get_block_number().await.unwrap();
    chain.anvil_call("anvil_rollback", (head - block + 1,)).await.unwrap();
    // anvil puts the rolled-back transactions back into its pool and may mine them again at any
    // moment, racing the resumed run; a reorganization's losing transactions are simply gone.
    chain.anvil_call("anvil_dropAllTransactions", ()).await.unwrap();
    let hash: alloy::primitives::B256 = last["hash"].as_str().unwrap().parse().unwrap();
    assert!(chain.provider().get_transaction_receipt(hash).await.unwrap().is_none());
    assert_eq!(chain.provider().get_block_number().await.unwrap(), block - 1, "blocks came back");

    let resumed = report(&project.migrate(None));
    assert_eq!(outcome(&resumed), reference);
    let entries = project.journal();
    let reorged: Vec<_> = entries.iter().filter(|e| e["type"] == "tx_reorged").collect();
    assert_eq!(reorged.len(), 1, "only the one journaled as mined is reorged: {reorged:?}");
    assert_eq!(reorged[0]["hash"], last["hash"]);
    // The very same signed transaction was mined again.
    let remined = entries
        .iter()
        .rev()
        .find(|e| e["type"] == "tx_mined" && e["hash"] == last["hash"])
        .unwrap();
    assert!(remined["block"].as_u64().unwrap() >= block);
    let again = report(&project.migrate(None));
    assert_eq!(again["txs"], 0, "a finished run sends nothing more: {again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_run_waits_for_confirmations_before_it_snapshots_and_verifies() {
    let project = Project::seeded(6, 12, 4).await;
    let chain = &project.devnet;
    project.edit("confirmations = 1", "confirmations = 3");
    // A block every second, as on a real chain.
    chain.anvil_call("evm_setIntervalMining", (1,)).await.unwrap();

    let out = project.migrate(None);
    let r = report(&out);
    assert_eq!(r["verified"], true);
    assert_eq!(r["finalized"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("waiting for 3 confirmations"));

    let entries = project.journal();
    let mined_block = |prefix: &str| {
        entries
            .iter()
            .filter(|e| e["type"] == "tx_mined" && e["step"].as_str().unwrap().starts_with(prefix))
            .map(|e| e["block"].as_u64().unwrap())
            .max()
            .unwrap()
    };
    let snapshot = entries.iter().find(|e| e["type"] == "snapshot").unwrap();
    let verified = entries.iter().find(|e| e["type"] == "verified").unwrap();
    assert!(snapshot["block"].as_u64().unwrap() >= mined_block("pause:") + 2, "{snapshot}");
    assert!(verified["block"].as_u64().unwrap() >= mined_block("batch:") + 2, "{verified}");
    let head = chain.provider().get_block_number().await.unwrap();
    assert!(head >= mined_block("finalize:") + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mined_batch_lost_to_a_torn_last_line_is_adopted_and_verification_passes() {
    let project = Project::seeded(NODES, JOBS, BALANCES).await;
    // One batch in flight: a batch's `tx_prepared` is followed by its `tx_mined`.
    project.set_batch(12, 1);
    let out = project.migrate(Some("mined:10"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("aborting here"));

    // Tear the journal: the mined batch's receipt line is gone and its `tx_prepared` is cut in
    // half, as if the crash had come in the middle of writing it.
    let path = project.journal_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let mined: serde_json::Value = serde_json::from_str(lines.pop().unwrap()).unwrap();
    let prepared: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(mined["type"], "tx_mined");
    assert_eq!((&prepared["type"], &prepared["hash"]), (&"tx_prepared".into(), &mined["hash"]));
    let step = prepared["step"].as_str().unwrap();
    let component = molt_migrate::journal::Step::batch_component(step).expect("a batch");
    let (start, end) = (prepared["start"].as_u64().unwrap(), prepared["end"].as_u64().unwrap());
    let torn = lines.pop().unwrap();
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.push_str(&torn[..torn.len() / 2]);
    std::fs::write(&path, text).unwrap();

    // The journal no longer accounts for the batch's records: taking them over needs consent.
    let refused = project.migrate(None);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--adopt-existing"), "{stderr}");
    let resumed =
        report(&run(project.molt().args(["--json", "migrate", "--yes", "--adopt-existing"])));
    assert_eq!(resumed["verified"], true, "{resumed}");
    assert_eq!(resumed["finalized"], true, "{resumed}");
    let c = resumed["components"].as_array().unwrap().iter().find(|c| c["name"] == *component);
    assert_eq!(c.unwrap()["skipped"], end - start, "the lost batch is found, not sent again");
    let adopted: Vec<_> =
        project.journal().into_iter().filter(|e| e["type"] == "adopted").collect();
    assert_eq!(adopted.len(), 1, "{adopted:?}");
    assert_eq!(adopted[0]["component"], *component);
    assert_eq!(adopted[0]["ranges"], serde_json::json!([[start, end]]));

    let verify = run(project.molt().arg("verify"));
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let again = report(&project.migrate(None));
    assert_eq!(again["txs"], 0, "a finished run sends nothing more: {again}");
}
