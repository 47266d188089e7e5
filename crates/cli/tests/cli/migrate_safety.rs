//! Nothing is sent until the run is known to succeed (issue #14): addresses in the wrong role,
//! empty sources, steps that would revert and empty finalizes are caught before the first
//! transaction; a run whose journal was lost is finished from the chain's state.

use serde_json::Value;

use crate::common::{Project, address_of, report, run, stderr, stdout};

/// `molt migrate --yes <args>` in the project: asserts exit 2, one error and every `want`;
/// returns stderr.
fn refused(project: &Project, args: &[&str], want: &[&str]) -> String {
    crate::common::refused(project.molt().args(["migrate", "--yes"]).args(args), want)
}

/// `molt migrate --yes --json <args>` in the project: the report of a run that succeeded.
fn migrated(project: &Project, args: &[&str]) -> Value {
    report(&run(project.molt().args(["--json", "migrate", "--yes"]).args(args)))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_v2_contracts_swapped_are_refused_by_what_their_code_dispatches() {
    let project = Project::seeded(4, 8, 3).await;
    let before = project.untouched().await;
    let text = project.seeded_text();
    let (jobs, escrow) = (address_of(text, "jobs_v2"), address_of(text, "escrow_v2"));
    let (jobs, escrow) = (jobs.as_str(), escrow.as_str());
    for (from, to) in [(jobs, "SWAP"), (escrow, jobs), ("SWAP", escrow)] {
        project.edit(from, to);
    }
    refused(
        &project,
        &[],
        &[
            "`escrow_v2` (",
            "has no function `migrateDeposits(",
            "its code has every function of `jobs_v2`'s ABI: is the address right?",
            "hint: check the addresses",
        ],
    );
    project.assert_untouched_since(before).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_source_is_refused_unless_allowed() {
    let project = Project::seeded(3, 0, 2).await;
    let before = project.untouched().await;
    refused(&project, &[], &["the source `jobs_v1` has no records", "pass --allow-empty jobs"]);
    project.assert_untouched_since(before).await;

    let r = migrated(&project, &["--allow-empty", "jobs"]);
    assert_eq!(r["finalized"], true);
    assert_eq!(r["components"][1]["name"], "jobs");
    assert_eq!(r["components"][1]["source_count"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn finalizing_a_component_without_records_needs_allow_empty() {
    let project = Project::seeded(3, 6, 2).await;
    let before = project.untouched().await;
    // The source has jobs but the filter keeps none of them.
    project.edit("in = [2]", "in = [9]");
    refused(
        &project,
        &[],
        &[
            "rehearsed on a fork",
            "component `jobs` has no records to migrate",
            "--allow-empty jobs",
        ],
    );
    project.assert_untouched_since(before).await;

    // `molt plan` rehearses it and warns.
    let out = run(project.molt().args(["plan", "--allow-empty", "jobs"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(plan.contains("WARNING: component `jobs` has no records"), "{plan}");

    let r = migrated(&project, &["--allow-empty", "jobs"]);
    assert_eq!(r["finalized"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_that_would_revert_is_found_on_a_fork_and_nothing_is_sent() {
    let project = Project::seeded(4, 8, 3).await;
    let before = project.untouched().await;
    // The escrow funds go to the wrong V2 contract: every check on the manifest and the code
    // passes, and the first deposits batch reverts for want of funds.
    project.edit("\"$amount\", \"$to\"] }\nreturn", "\"$amount\", \"@registry_v2\"] }\nreturn");
    refused(
        &project,
        &[],
        &["rehearsed on a fork of block", "nothing was sent", "InsufficientMigratedFunds"],
    );
    project.assert_untouched_since(before).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_journal_was_lost_is_finished_from_the_chain() {
    let project = Project::seeded(5, 8, 4).await;
    project.set_batch(2, 1);
    // Killed after the pauses, the funds moves and the first nodes batch, then the journal is
    // deleted: the funds can no longer be moved from V1 and some nodes are already in V2.
    let out = project.migrate(Some("mined:7"));
    assert!(!out.status.success());
    std::fs::remove_file(project.journal_path()).unwrap();

    let why = refused(&project, &[], &["already holds 2 imported records", "--adopt-existing"]);
    assert!(why.contains("registry_v2"), "{why}");

    let out = run(project.molt().args(["--json", "migrate", "--yes", "--adopt-existing"]));
    let log = stderr(&out);
    let r = report(&out);
    assert_eq!(r["verified"], true, "{r:#}");
    assert_eq!(r["finalized"], true);
    assert_eq!(r["components"][0]["skipped"], 2, "{r:#}");
    // The funds are in V2 already: no funds transaction is sent again.
    assert!(log.contains("moved before, not sent again"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_batch_setting_is_adopted_on_request_and_a_changed_mapping_never() {
    let project = Project::seeded(5, 8, 4).await;
    project.set_batch(2, 1);
    let out = project.migrate(Some("mined:7"));
    assert!(!out.status.success());

    // The mapping changed: the run already imported nodes under the old one.
    project.edit("mul = 100 }", "mul = 10 }");
    for args in [&[][..], &["--adopt-manifest"][..]] {
        refused(&project, args, &["component `nodes`", "the run already acted on"]);
    }
    // Only the batch size changed: refused with the way out, then adopted.
    project.restore();
    project.set_batch(3, 1);
    refused(&project, &[], &["changed since the run started: batch", "--adopt-manifest"]);
    let r = migrated(&project, &["--adopt-manifest"]);
    assert_eq!(r["verified"], true, "{r:#}");
    assert_eq!(r["finalized"], true);
    let journal = std::fs::read_to_string(project.journal_path()).unwrap();
    assert_eq!(journal.matches("\"type\":\"manifest_adopted\"").count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_fails_after_pausing_says_what_is_paused_as_read_from_the_node() {
    let project = Project::seeded(4, 8, 3).await;
    // Without the preflight, the escrow funds go to the wrong contract and the deposits batch
    // fails after the pauses.
    project.edit("\"$amount\", \"$to\"] }\nreturn", "\"$amount\", \"@registry_v2\"] }\nreturn");
    let why = refused(&project, &["--skip-preflight"], &["InsufficientMigratedFunds"]);
    assert!(why.contains("paused now: escrow_v1, jobs_v1, registry_v1"), "{why}");
}
