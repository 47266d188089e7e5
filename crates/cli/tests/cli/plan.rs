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

/// `molt plan --sender <owner>` rehearses Fabstir with no key anywhere: the fork impersonates
/// the owner, every step runs and verifies as with its key (the same transactions and gas), and
/// the node is untouched.
#[tokio::test(flavor = "multi_thread")]
async fn plan_with_sender_rehearses_without_a_private_key() {
    let project = Project::seeded(12, 30, 9).await;
    let before = project.untouched().await;
    let owner = project.devnet.accounts()[0].to_string();
    let with_key = run(project.molt().args(["--json", "plan"]));
    assert!(with_key.status.success(), "{}", stderr(&with_key));
    let with_key: serde_json::Value = serde_json::from_slice(&with_key.stdout).unwrap();

    let mut cmd = project.molt();
    cmd.args(["--json", "plan", "--sender", &owner]).env_remove("MOLT_PRIVATE_KEY");
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["verified_on_fork"], true);
    assert_eq!(plan["keyless"], true);
    assert_eq!(plan["sender"], owner.to_lowercase());
    assert_eq!(with_key["keyless"], false);
    let steps = |p: &serde_json::Value| {
        p["transactions"].as_array().unwrap().iter().map(|t| t["step"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(steps(&plan), steps(&with_key), "the same transactions as with the key");
    assert_eq!(plan["total_gas"], with_key["total_gas"]);
    project.assert_untouched_since(before).await;

    // A key given too (here in MOLT_PRIVATE_KEY, as a shell may export it) is not used.
    let mut cmd = project.molt();
    cmd.args(["plan", "--sender", &owner])
        .env("MOLT_PRIVATE_KEY", format!("0x{}", "11".repeat(32)));
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("the key given is not used"), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = format!("sender: {} (no key: impersonated on the fork)", owner.to_lowercase());
    assert!(text.contains(&line), "{text}");
}
