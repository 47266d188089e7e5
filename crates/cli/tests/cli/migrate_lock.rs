//! One run per journal: a second `molt migrate` on the same journal is refused while the first
//! runs, and a run killed with SIGKILL leaves no lock behind.

use std::process::Command;

use crate::common::{Project, refused, report, run, stderr};

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_the_same_journal_is_refused_and_a_killed_run_leaves_no_lock() {
    let project = Project::seeded(6, 12, 4).await;
    project.set_batch(3, 1);

    // The first run is held after its second receipt was journaled.
    let (mut first, _paused) = project.migrate_paused("mined:2");
    let before = project.untouched().await;

    let holder = format!("pid {} on host ", first.id());
    refused(
        project.molt().args(["migrate", "--yes"]),
        &["is in use by another `molt migrate`", &holder, "started 20"],
    );
    let after = project.untouched().await;
    assert_eq!(after.nonce(), before.nonce(), "the refused run sent a transaction");

    // Readers do not take the lock.
    let status = run(project.molt().arg("status"));
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));

    // Killed while it holds the lock: the next run takes it and finishes the migration.
    Command::new("kill").args(["-9", &first.id().to_string()]).status().unwrap();
    first.wait().unwrap();
    let lock = project.path().join("molt.toml.molt-journal.lock");
    assert!(lock.exists(), "the lock file stays; only its lock went with the process");
    let done = report(&project.migrate(None));
    assert_eq!(done["verified"], true);
    assert_eq!(done["finalized"], true);
}
