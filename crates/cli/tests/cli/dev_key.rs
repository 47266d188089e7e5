//! Anvil's dev key (and a migration without confirmation) is the default only on a local anvil
//! of chain 31337: an anvil with another chain id may stand in for a real network.

use crate::common::{molt, run};
use alloy::providers::Provider;
use molt_chain::Devnet;

/// anvil's dev account #0 and its key.
const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const DEV0_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

#[tokio::test(flavor = "multi_thread")]
async fn on_an_anvil_of_chain_5_migrate_without_a_key_is_refused_and_sends_nothing() {
    let devnet = Devnet::builder().chain_id(5).spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Seeding there needs the key too, said explicitly.
    let seed = |key: Option<&str>| {
        let mut cmd = molt();
        cmd.args(["demo", "--seed-only", "--rpc-url", &devnet.endpoint(), "--out"])
            .arg(dir.path())
            .args(["--nodes", "3", "--jobs", "4", "--balances", "3"]);
        if let Some(key) = key {
            cmd.env("MOLT_PRIVATE_KEY", key);
        }
        run(&mut cmd)
    };
    let out = seed(None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is chain 5, not 31337"), "{stderr}");
    let out = seed(Some(DEV0_KEY));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let provider = devnet.provider();
    let nonce = provider.get_transaction_count(DEV0.parse().unwrap()).await.unwrap();
    let block = provider.get_block_number().await.unwrap();
    let out = run(molt().current_dir(dir.path()).args(["migrate", "--yes"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{stderr}");
    let why = format!("no signer: the anvil at {} is chain 5, not 31337", devnet.endpoint());
    assert!(stderr.contains(&why), "{stderr}");
    assert!(stderr.contains("hint: pass --private-key"), "{stderr}");

    // With a key but without --yes, it asks first (and, without a terminal, refuses).
    let out = run(molt().current_dir(dir.path()).env("MOLT_PRIVATE_KEY", DEV0_KEY).arg("migrate"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refusing to send transactions without confirmation"), "{stderr}");
    assert_eq!(provider.get_transaction_count(DEV0.parse().unwrap()).await.unwrap(), nonce);
    assert_eq!(provider.get_block_number().await.unwrap(), block);
    assert!(!dir.path().join("molt.toml.molt-journal").exists());
}
