//! The Fabstir V1 → V2 migration from start to end, as an operator runs it: seed V1, `molt plan`,
//! `molt migrate`, `molt verify`, `molt status`. Each step goes through the binary and is checked
//! against the steps before it: the plan predicts the run, the run's hashes are what verify and
//! status find, and only `migrate` touches the chain.

use serde_json::Value;

use crate::common::{Project, address_of, is_paused, outcome, report, run};

/// `molt --json <args>` in the project: the document on stdout of a command that succeeded.
fn json(project: &Project, args: &[&str]) -> Value {
    report(&run(project.molt().arg("--json").args(args)))
}

/// The value of `field` for each element of `array`, by `name`.
fn by_name<'a>(array: &'a Value, field: &str) -> Vec<(&'a Value, &'a Value)> {
    array.as_array().unwrap().iter().map(|c| (&c["name"], &c[field])).collect()
}

/// `molt plan`: rehearsed on a fork, verified there, and nothing sent to the node.
async fn plan(project: &Project) -> Value {
    let before = project.untouched().await;
    let plan = json(project, &["plan"]);
    assert_eq!(plan["schema"], "molt.plan/1");
    assert_eq!(plan["verified_on_fork"], true, "{plan:#}");
    project.assert_untouched_since(before).await;
    assert!(!project.journal_path().exists(), "the plan wrote a journal");
    plan
}

/// `molt migrate`: does what the plan rehearsed, verifies and finalizes; V1 stays paused.
async fn migrate(project: &Project, plan: &Value) -> Value {
    let done = report(&project.migrate(None));
    assert_eq!((&done["verified"], &done["finalized"]), (&true.into(), &true.into()), "{done:#}");
    assert_eq!(done["chain_id"], plan["chain_id"]);
    assert_eq!(
        done["txs"].as_u64().unwrap() as usize,
        plan["transactions"].as_array().unwrap().len(),
        "the run sends the transactions the plan listed"
    );
    assert_eq!(
        by_name(&done["components"], "source_count"),
        by_name(&plan["components"], "records")
    );
    assert_eq!(by_name(&done["components"], "batches"), by_name(&plan["components"], "batches"));
    for c in done["components"].as_array().unwrap() {
        assert_eq!(c["migrated"], c["source_count"], "{c}");
        assert_eq!(c["source_hash"], c["target_hash"], "{c}");
    }
    assert!(done["funds"].as_array().unwrap().iter().all(|f| f["ok"] == true), "{done:#}");
    for v1 in ["registry_v1", "jobs_v1", "escrow_v1"] {
        let paused = is_paused(&project.devnet, &address_of(project.seeded_text(), v1)).await;
        assert!(paused, "{v1} is left paused after the migration");
    }
    done
}

/// `molt verify` on the node: the hashes and funds the run reported.
fn verify(project: &Project, done: &Value) {
    let verified = json(project, &["verify"]);
    assert_eq!(verified["schema"], "molt.verify/1");
    assert_eq!(verified["verified"], true, "{verified:#}");
    assert_eq!(verified["snapshot_block"], done["snapshot_block"]);
    for field in ["source_hash", "target_hash"] {
        assert_eq!(by_name(&verified["components"], field), by_name(&done["components"], field));
    }
    assert_eq!(verified["funds"], done["funds"]);
}

/// `molt status` from the journal alone: finished, every record migrated.
fn status(project: &Project, done: &Value) {
    let status = json(project, &["status"]);
    assert_eq!(status["schema"], "molt.status/1");
    assert_eq!(status["phase"], "finalized", "{status:#}");
    assert_eq!((&status["verified"], &status["finalized"]), (&true.into(), &true.into()));
    assert_eq!(status["snapshot_block"], done["snapshot_block"]);
    assert_eq!(status["backup"], done["backup"]);
    assert_eq!(status["pending"], serde_json::json!([]));
    let mut want = by_name(&done["components"], "source_hash");
    want.sort_by_key(|(name, _)| name.as_str().unwrap().to_owned());
    assert_eq!(by_name(&status["components"], "source_hash"), want, "sorted by name");
    for c in status["components"].as_array().unwrap() {
        assert_eq!((&c["migrated"], &c["pending_batches"]), (&c["records"], &0.into()), "{c}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fabstir_v1_to_v2_seed_plan_migrate_verify_status() {
    let project = Project::reproducible(12, 30, 9).await;
    let plan = plan(&project).await;
    let done = migrate(&project, &plan).await;
    verify(&project, &done);
    status(&project, &done);
    // A second run finds everything done: it sends nothing and reports the same outcome.
    let again = report(&project.migrate(None));
    assert_eq!(again["txs"], 0, "{again:#}");
    assert_eq!(outcome(&again), outcome(&done));
}
