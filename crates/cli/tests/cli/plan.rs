//! `molt plan` rehearses on a fork and sends nothing to the node.

use crate::common::{molt, run, seed};
use alloy::providers::Provider;
use molt_chain::Devnet;

#[tokio::test(flavor = "multi_thread")]
async fn plan_rehearses_on_a_fork_and_leaves_the_node_untouched() {
    let devnet = Devnet::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    seed(&devnet, dir.path(), 12, 30, 9);
    let deployer = devnet.accounts()[0];
    let nonce = devnet.provider().get_transaction_count(deployer).await.unwrap();
    let block = devnet.provider().get_block_number().await.unwrap();

    let out = run(molt().current_dir(dir.path()).args(["--json", "plan"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
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

    // The node itself: no transaction, no block, V1 not paused, no checkpoint in the folder.
    assert_eq!(devnet.provider().get_transaction_count(deployer).await.unwrap(), nonce);
    assert_eq!(devnet.provider().get_block_number().await.unwrap(), block);
    assert!(!dir.path().join("molt.toml.molt-journal").exists());

    // With confirmations, the rehearsal does not wait for blocks the fork never mines; the
    // estimate counts the three waits (after the pause, the last batch, the finalize).
    let path = dir.path().join("molt.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("confirmations = 1", "confirmations = 3")).unwrap();
    let out = run(molt().current_dir(dir.path()).args(["--json", "plan"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deeper: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(deeper["estimated_blocks"], plan["estimated_blocks"].as_u64().unwrap() + 6);
}
