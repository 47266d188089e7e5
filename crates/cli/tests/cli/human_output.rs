//! Snapshots of the human output (stdout) of `molt plan`, `migrate`, `verify` and `status`, on a
//! reproducible Fabstir project (fixed genesis time, same seed). What varies from run to run or
//! with the seeded data is filtered out: temp paths, hashes, addresses (the zero address, ETH,
//! stays apart), durations, block numbers and the fee and balance figures. Gas figures stay: on the same contracts and data they repeat.
//!
//! The snapshots are in `snapshots/` next to this file. After an intended change of the output,
//! rewrite them with `INSTA_UPDATE=always cargo test -p molt-cli --test cli human_output` (or
//! `cargo insta review`), then review the diff. Under CI (`CI=true`) nothing is written.

use std::process::Output;

use crate::common::{Project, run, stderr, stdout};

/// Regexes for what varies, applied in order, and their replacements.
const FILTERS: &[(&str, &str)] = &[
    (r"0x[0-9a-fA-F]{64}", "[HASH]"),
    (r"0x0{40}", "[ZERO ADDRESS]"),
    (r"0x[0-9a-fA-F]{40}", "[ADDRESS]"),
    (r"(fork in|gas,) \d+(\.\d+)? s\b", "$1 [TIME]"),
    (r"block \d+", "block [N]"),
    (r"molt-backup-(\d+)-\d+\.json", "molt-backup-$1-[N].json"),
    (r"\d+(\.\d+)? (ETH|gwei)\b", "[AMOUNT] $2"),
];

/// Asserts that `out` exited with `code` and that its stdout, filtered, matches the snapshot
/// `name`.
fn assert_output(project: &Project, name: &str, out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{name}:\n{}{}", stdout(out), stderr(out));
    let dir = project.path().to_string_lossy().into_owned();
    let text = stdout(out).replace(&dir, "[DIR]");
    let mut settings = insta::Settings::clone_current();
    for (regex, replacement) in FILTERS {
        settings.add_filter(regex, *replacement);
    }
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_migrate_verify_and_status_print_what_they_did() {
    let project = Project::reproducible(4, 6, 3).await;
    assert_output(&project, "plan", &run(project.molt().arg("plan")), 0);
    assert_output(&project, "migrate", &run(project.molt().args(["migrate", "--yes"])), 0);
    assert_output(&project, "verify", &run(project.molt().arg("verify")), 0);
    assert_output(&project, "status", &run(project.molt().arg("status")), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_verify_of_a_run_stopped_halfway() {
    let project = Project::reproducible(4, 6, 3).await;
    project.set_batch(2, 1);
    // Three pauses and four funds moves, then the two nodes batches: the jobs and deposits are
    // not migrated yet.
    let out = project.migrate(Some("mined:9"));
    assert!(stderr(&out).contains("aborting here"), "{}", stderr(&out));
    assert_output(&project, "status_halfway", &run(project.molt().arg("status")), 0);
    assert_output(&project, "verify_halfway", &run(project.molt().arg("verify")), 1);
}
