//! `molt verify` on damaged inputs and on a partly migrated target: a malformed or inconsistent
//! backup is one clean error (exit 2) naming what is wrong, never a panic; a record missing from
//! the target is a verification finding (exit 1, the `molt.verify/1` document).

use std::path::Path;

use crate::common::{Project, refused, report, run, stderr};
use serde_json::Value;

/// `molt verify <args>` in the project; asserts exit 2 with one error containing every `want`.
fn verify_refused(project: &Project, args: &[&str], want: &[&str]) {
    refused(project.molt().arg("verify").args(args), want);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_backup_is_one_clean_error_not_a_panic() {
    let project = Project::seeded(6, 12, 4).await;
    let done = report(&project.migrate(None));
    assert_eq!(done["verified"], true);
    let backup = Path::new(done["backup"].as_str().unwrap()).to_path_buf();
    let original = std::fs::read_to_string(&backup).unwrap();
    let mut v: Value = serde_json::from_str(&original).unwrap();

    // One record removed, in a copy given with --backup and in the journal's own backup.
    v["components"]["nodes"]["records"].as_array_mut().unwrap().remove(2);
    let copy = project.path().join("damaged.json");
    std::fs::write(&copy, serde_json::to_string(&v).unwrap()).unwrap();
    let want = ["component `nodes`: it has 5 records, but `migrating` says 6"];
    verify_refused(&project, &["--backup", copy.to_str().unwrap()], &want);
    std::fs::write(&backup, serde_json::to_string(&v).unwrap()).unwrap();
    verify_refused(&project, &[], &want);

    // The header fixed too: the records no longer hash to what the backup says.
    v["components"]["nodes"]["migrating"] = 5.into();
    std::fs::write(&backup, serde_json::to_string(&v).unwrap()).unwrap();
    verify_refused(&project, &[], &["the records were changed after the backup was written"]);

    // Truncated JSON; a component renamed.
    std::fs::write(&backup, &original[..original.len() / 2]).unwrap();
    verify_refused(&project, &[], &["not JSON"]);
    std::fs::write(&backup, original.replace("\"nodes\":", "\"nodez\":")).unwrap();
    verify_refused(&project, &[], &["component `nodez` that the manifest does not have"]);

    std::fs::write(&backup, &original).unwrap();
    let ok = run(project.molt().arg("verify"));
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

#[tokio::test(flavor = "multi_thread")]
async fn records_missing_from_a_partly_migrated_target_are_a_finding_with_the_revert_decoded() {
    let project = Project::seeded(6, 12, 4).await;
    project.set_batch(2, 1);
    // Crash after each receipt until the first batch is mined: 2 of 6 nodes imported.
    for attempt in 0.. {
        assert!(attempt < 20, "the first batch was never mined");
        let out = project.migrate(Some("mined:1"));
        assert!(stderr(&out).contains("aborting here"), "{}", stderr(&out));
        let last = project.journal().pop().unwrap();
        if last["type"] == "tx_mined" && last["step"].as_str().unwrap().starts_with("batch:") {
            assert_eq!(last["step"], "batch:nodes:0-2");
            break;
        }
    }

    let out = run(project.molt().args(["--json", "verify"]));
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "a finding, not an error: {log}");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {log}"));
    assert_eq!(v["schema"], "molt.verify/1");
    assert_eq!(v["verified"], false);
    let mismatch = v["mismatch"].as_str().unwrap();
    assert!(
        mismatch.starts_with("component `nodes`, record 2 (key ")
            && mismatch.contains("is missing from the target")
            && mismatch.contains("getNode(address) reverted with NotRegistered("),
        "{mismatch}"
    );
    let nodes = v["components"].as_array().unwrap().iter().find(|c| c["name"] == "nodes");
    assert_eq!(nodes.unwrap()["ok"], false);
}
