//! One run per checkpoint: a second `molt migrate` on the same journal is refused while the first
//! runs, and a run killed with SIGKILL leaves no lock behind.

use std::process::Command;

use crate::common::{migrate, migrate_paused, molt, report, run, seed, set_batch};
use alloy::providers::Provider;
use molt_chain::Devnet;

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_the_same_checkpoint_is_refused_and_a_killed_run_leaves_no_lock() {
    let devnet = Devnet::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    seed(&devnet, dir.path(), 6, 12, 4);
    set_batch(dir.path(), 3, 1);

    // The first run is held after its second receipt was journaled.
    let (mut first, _paused) = migrate_paused(dir.path(), "mined:2");
    let nonce = || async { devnet.provider().get_transaction_count(DEV0.parse().unwrap()).await };
    let before = nonce().await.unwrap();

    let second = run(molt().current_dir(dir.path()).args(["migrate", "--yes"]));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is in use by another `molt migrate`"), "{stderr}");
    assert!(stderr.contains(&format!("pid {} on host ", first.id())), "names the holder: {stderr}");
    assert!(stderr.contains("started 20"), "names its start time: {stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{stderr}");
    assert_eq!(nonce().await.unwrap(), before, "the refused run sent a transaction");

    // Readers do not take the lock.
    let status = run(molt().current_dir(dir.path()).arg("status"));
    assert_eq!(status.status.code(), Some(0), "{}", String::from_utf8_lossy(&status.stderr));

    // Killed while it holds the lock: the next run takes it and finishes the migration.
    Command::new("kill").args(["-9", &first.id().to_string()]).status().unwrap();
    first.wait().unwrap();
    let lock = dir.path().join("molt.toml.molt-journal.lock");
    assert!(lock.exists(), "the lock file stays; only its lock went with the process");
    let done = report(&migrate(dir.path(), None));
    assert_eq!(done["verified"], true);
    assert_eq!(done["finalized"], true);
}
