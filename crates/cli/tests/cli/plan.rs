//! `molt plan` rehearses on a fork and sends nothing to the node.

use crate::common::{Project, run, stderr};

#[tokio::test(flavor = "multi_thread")]
async fn plan_rehearses_on_a_fork_and_leaves_the_node_untouched() {
    let project = Project::seeded(12, 30, 9).await;
    let before = project.untouched().await;

    let out = run(project.molt().args(["--json", "plan"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["schema"], "molt.plan/1");
    assert_eq!(plan["verified_on_fork"], true);
    let components = plan["components"].as_array().unwrap();
    assert_eq!(components.len(), 3);
    assert_eq!(components[0]["name"], "nodes");
    assert_eq!(components[0]["records"], 12);
    for c in components {
        assert!(c["batches"].as_u64().unwrap() >= 1 && c["gas"].as_u64().unwrap() > 0, "{c}");
    }
    let txs = plan["transactions"].as_array().unwrap();
    assert!(txs.iter().any(|t| t["step"] == "pause:registry_v1"));
    assert!(txs.iter().all(|t| t["gas"].as_u64().unwrap() <= 16_777_216), "EIP-7825 cap");

    // The node itself: no transaction, no block, V1 not paused, no journal in the folder.
    project.assert_untouched_since(before).await;
    assert!(!project.journal_path().exists());

    // With confirmations, the rehearsal does not wait for blocks the fork never mines; the
    // estimate counts the three waits (after the pause, the last batch, the finalize).
    project.edit("confirmations = 1", "confirmations = 3");
    let out = run(project.molt().args(["--json", "plan"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let deeper: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(deeper["estimated_blocks"], plan["estimated_blocks"].as_u64().unwrap() + 6);
}
