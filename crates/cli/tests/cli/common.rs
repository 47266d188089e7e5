//! Shared helpers of the CLI's end-to-end tests: the real `molt` binary against a real anvil.

use std::{
    path::Path,
    process::{Command, Output},
};

use alloy::{
    primitives::Address, providers::Provider, rpc::types::TransactionRequest, sol,
    sol_types::SolCall,
};
use molt_chain::Devnet;
use serde_json::Value;

sol! {
    function paused() external view returns (bool);
}

/// A `molt` command with progress off and a clean environment for the variables molt reads.
pub(crate) fn molt() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_molt"));
    c.env("MOLT_NO_PROGRESS", "1")
        .env_remove("ETH_RPC_URL")
        .env_remove("MOLT_PRIVATE_KEY")
        .env_remove("MOLT_JSON")
        .env_remove("MOLT_TEST_CRASH_AT")
        .env_remove("MOLT_TEST_PAUSE_AT")
        .env_remove("MOLT_TEST_PAUSE_FILE");
    c
}

/// Runs a command and returns its output, with stderr in the panic message on failure to spawn.
pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Deploys the Fabstir contracts on `devnet`, seeds V1 and writes `<dir>/molt.toml`.
pub(crate) fn seed(devnet: &Devnet, dir: &Path, nodes: u32, jobs: u32, balances: u32) {
    let out = run(molt()
        .args(["demo", "--seed-only", "--rpc-url", &devnet.endpoint(), "--out"])
        .arg(dir)
        .args([
            "--nodes",
            &nodes.to_string(),
            "--jobs",
            &jobs.to_string(),
            "--balances",
            &balances.to_string(),
        ]));
    assert!(out.status.success(), "seeding failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// Edits `[batch]` of the manifest in `dir`.
pub(crate) fn set_batch(dir: &Path, max_records: u32, max_in_flight: u32) {
    let path = dir.join("molt.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace(
        "max_in_flight = 4",
        &format!("max_in_flight = {max_in_flight}\nmax_records = {max_records}"),
    );
    std::fs::write(path, text).unwrap();
}

/// `molt migrate --yes --json` in `dir`, with an optional crash point.
pub(crate) fn migrate(dir: &Path, crash_at: Option<&str>) -> Output {
    let mut cmd = molt();
    cmd.current_dir(dir).args(["--json", "migrate", "--yes"]);
    if let Some(c) = crash_at {
        cmd.env("MOLT_TEST_CRASH_AT", c);
    }
    run(&mut cmd)
}

/// The JSON report on stdout of a successful run.
pub(crate) fn report(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "molt failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout))
    })
}

/// What must be equal between two runs of the same migration: counts, hashes, funds.
pub(crate) fn outcome(report: &Value) -> Value {
    let components: Vec<Value> = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c["name"],
                "source_count": c["source_count"],
                "imported": c["migrated"].as_u64().unwrap() + c["skipped"].as_u64().unwrap(),
                "source_hash": c["source_hash"],
                "target_hash": c["target_hash"],
                "onchain_digest": c["onchain_digest"],
                "verified": c["verified"],
            })
        })
        .collect();
    serde_json::json!({ "components": components, "funds": report["funds"], "verified": report["verified"], "finalized": report["finalized"] })
}

/// The address of the `[contracts]` entry `name` in the manifest text.
pub(crate) fn address_of(text: &str, name: &str) -> String {
    let line = text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap();
    line.split('"').nth(1).unwrap().to_owned()
}

/// Whether the contract at `address` says it is paused.
pub(crate) async fn is_paused(devnet: &Devnet, address: &str) -> bool {
    let to: Address = address.parse().unwrap();
    let call = TransactionRequest::default().to(to).input(pausedCall {}.abi_encode().into());
    let out = devnet.provider().call(call).await.unwrap();
    pausedCall::abi_decode_returns(&out).unwrap()
}

/// The chain as a test found it: to check later that a refused run sent nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Untouched {
    nonce: u64,
    block: u64,
}

impl Untouched {
    /// Notes the dev account's nonce and the head.
    pub(crate) async fn note(devnet: &Devnet) -> Self {
        let p = devnet.provider();
        let nonce = p.get_transaction_count(devnet.accounts()[0]).await.unwrap();
        Self { nonce, block: p.get_block_number().await.unwrap() }
    }

    /// Asserts that nothing was sent since: same nonce, same head, and no V1 contract of the
    /// manifest text paused.
    pub(crate) async fn assert_still(&self, devnet: &Devnet, manifest: &str) {
        let p = devnet.provider();
        let nonce = p.get_transaction_count(devnet.accounts()[0]).await.unwrap();
        assert_eq!(nonce, self.nonce, "a transaction was sent");
        assert_eq!(p.get_block_number().await.unwrap(), self.block, "a block was mined");
        for v1 in ["registry_v1", "jobs_v1", "escrow_v1"] {
            assert!(!is_paused(devnet, &address_of(manifest, v1)).await, "{v1} was paused");
        }
    }
}

/// `molt migrate --yes --json` in `dir`, started in the background and held at `point`
/// (`MOLT_TEST_PAUSE_AT`, e.g. `mined:2`): returns once it is paused there. Removing the returned
/// file lets it go on.
pub(crate) fn migrate_paused(dir: &Path, point: &str) -> (std::process::Child, std::path::PathBuf) {
    let file = dir.join("molt-test-paused");
    let mut child = molt()
        .current_dir(dir)
        .args(["--json", "migrate", "--yes"])
        .env("MOLT_TEST_PAUSE_AT", point)
        .env("MOLT_TEST_PAUSE_FILE", &file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !file.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "the run ended ({status:?}) before {point}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(start.elapsed().as_secs() < 120, "the run never reached {point}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (child, file)
}
