//! Nothing is sent until the run is known to succeed (issue #14): addresses in the wrong role,
//! empty sources, steps that would revert and empty finalizes are caught before the first
//! transaction; a run whose journal was lost is finished from the chain's state.

use std::path::Path;

use molt_chain::Devnet;
use serde_json::Value;

use crate::common::{Untouched, address_of, migrate, molt, report, run, seed, set_batch};

/// A node seeded with `nodes`, `jobs` and `balances`, and its manifest folder and text.
async fn seeded(nodes: u32, jobs: u32, balances: u32) -> (Devnet, tempfile::TempDir, String) {
    let devnet = Devnet::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    seed(&devnet, dir.path(), nodes, jobs, balances);
    let text = std::fs::read_to_string(dir.path().join("molt.toml")).unwrap();
    (devnet, dir, text)
}

/// Writes the manifest text with each `(from, to)` replaced once, asserting that it matched.
fn edit(dir: &Path, text: &str, edits: &[(&str, &str)]) {
    let mut text = text.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "the manifest has no `{from}`");
        text = text.replacen(from, to, 1);
    }
    std::fs::write(dir.join("molt.toml"), text).unwrap();
}

/// `molt migrate --yes <args>` in `dir`: asserts exit 2 and one error; returns stderr.
fn refused(dir: &Path, args: &[&str], want: &[&str]) -> String {
    let out = run(molt().current_dir(dir).args(["migrate", "--yes"]).args(args));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "expected exit 2; stderr:\n{stderr}");
    for w in want {
        assert!(stderr.contains(w), "expected `{w}` in:\n{stderr}");
    }
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{stderr}");
    stderr
}

/// `molt migrate --yes --json <args>` in `dir`: the report of a run that succeeded.
fn migrated(dir: &Path, args: &[&str]) -> Value {
    report(&run(molt().current_dir(dir).args(["--json", "migrate", "--yes"]).args(args)))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_v2_contracts_swapped_are_refused_by_what_their_code_dispatches() {
    let (devnet, dir, text) = seeded(4, 8, 3).await;
    let before = Untouched::note(&devnet).await;
    let (jobs, escrow) = (address_of(&text, "jobs_v2"), address_of(&text, "escrow_v2"));
    edit(dir.path(), &text, &[(&jobs, "SWAP"), (&escrow, &jobs), ("SWAP", &escrow)]);
    refused(
        dir.path(),
        &[],
        &[
            "`escrow_v2` (",
            "has no function `migrateDeposits(",
            "its code has every function of `jobs_v2`'s ABI: is the address right?",
            "hint: check the addresses",
        ],
    );
    before.assert_still(&devnet, &text).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_source_is_refused_unless_allowed() {
    let (devnet, dir, text) = seeded(3, 0, 2).await;
    let before = Untouched::note(&devnet).await;
    refused(dir.path(), &[], &["the source `jobs_v1` has no records", "pass --allow-empty jobs"]);
    before.assert_still(&devnet, &text).await;

    let r = migrated(dir.path(), &["--allow-empty", "jobs"]);
    assert_eq!(r["finalized"], true);
    assert_eq!(r["components"][1]["name"], "jobs");
    assert_eq!(r["components"][1]["source_count"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn finalizing_a_component_without_records_needs_allow_empty() {
    let (devnet, dir, text) = seeded(3, 6, 2).await;
    let before = Untouched::note(&devnet).await;
    // The source has jobs but the filter keeps none of them.
    edit(dir.path(), &text, &[("in = [2]", "in = [9]")]);
    refused(
        dir.path(),
        &[],
        &[
            "rehearsed on a fork",
            "component `jobs` has no records to migrate",
            "--allow-empty jobs",
        ],
    );
    before.assert_still(&devnet, &text).await;

    // `molt plan` rehearses it and warns.
    let out = run(molt().current_dir(dir.path()).args(["plan", "--allow-empty", "jobs"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("WARNING: component `jobs` has no records"), "{stdout}");

    let r = migrated(dir.path(), &["--allow-empty", "jobs"]);
    assert_eq!(r["finalized"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_that_would_revert_is_found_on_a_fork_and_nothing_is_sent() {
    let (devnet, dir, text) = seeded(4, 8, 3).await;
    let before = Untouched::note(&devnet).await;
    // The escrow funds go to the wrong V2 contract: every check on the manifest and the code
    // passes, and the first deposits batch reverts for want of funds.
    edit(dir.path(), &text, &[("\"$amount\", \"$to\"", "\"$amount\", \"@registry_v2\"")]);
    refused(
        dir.path(),
        &[],
        &["rehearsed on a fork of block", "nothing was sent", "InsufficientMigratedFunds"],
    );
    before.assert_still(&devnet, &text).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_journal_was_lost_is_finished_from_the_chain() {
    let (devnet, dir, text) = seeded(5, 8, 4).await;
    set_batch(dir.path(), 2, 1);
    // Killed after the pauses, the funds moves and the first nodes batch, then the journal is
    // deleted: the funds can no longer be moved from V1 and some nodes are already in V2.
    let out = migrate(dir.path(), Some("mined:7"));
    assert!(!out.status.success());
    std::fs::remove_file(dir.path().join("molt.toml.molt-journal")).unwrap();

    let stderr =
        refused(dir.path(), &[], &["already holds 2 imported records", "--adopt-existing"]);
    assert!(stderr.contains("registry_v2"), "{stderr}");

    let out = run(molt().current_dir(dir.path()).args([
        "--json",
        "migrate",
        "--yes",
        "--adopt-existing",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let r = report(&out);
    assert_eq!(r["verified"], true, "{r:#}");
    assert_eq!(r["finalized"], true);
    assert_eq!(r["components"][0]["skipped"], 2, "{r:#}");
    // The funds are in V2 already: no funds transaction is sent again.
    assert!(stderr.contains("moved before, not sent again"), "{stderr}");
    let _ = (devnet, text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_batch_setting_is_adopted_on_request_and_a_changed_mapping_never() {
    let (_devnet, dir, _) = seeded(5, 8, 4).await;
    set_batch(dir.path(), 2, 1);
    let out = migrate(dir.path(), Some("mined:7"));
    assert!(!out.status.success());
    let text = std::fs::read_to_string(dir.path().join("molt.toml")).unwrap();

    // The mapping changed: the run already imported nodes under the old one.
    edit(dir.path(), &text, &[("mul = 100 }", "mul = 10 }")]);
    for args in [&[][..], &["--adopt-manifest"][..]] {
        refused(dir.path(), args, &["component `nodes`", "the run already acted on"]);
    }
    // Only the batch size changed: refused with the way out, then adopted.
    edit(dir.path(), &text, &[("max_records = 2", "max_records = 3")]);
    refused(dir.path(), &[], &["changed since the run started: batch", "--adopt-manifest"]);
    let r = migrated(dir.path(), &["--adopt-manifest"]);
    assert_eq!(r["verified"], true, "{r:#}");
    assert_eq!(r["finalized"], true);
    let journal = std::fs::read_to_string(dir.path().join("molt.toml.molt-journal")).unwrap();
    assert_eq!(journal.matches("\"type\":\"manifest_adopted\"").count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_fails_after_pausing_says_what_is_paused_as_read_from_the_node() {
    let (_devnet, dir, text) = seeded(4, 8, 3).await;
    // Without the preflight, the escrow funds go to the wrong contract and the deposits batch
    // fails after the pauses.
    edit(dir.path(), &text, &[("\"$amount\", \"$to\"", "\"$amount\", \"@registry_v2\"")]);
    let stderr = refused(dir.path(), &["--skip-preflight"], &["InsufficientMigratedFunds"]);
    assert!(stderr.contains("paused now: escrow_v1, jobs_v1, registry_v1"), "{stderr}");
}
