//! Shared helpers of the CLI's end-to-end tests: the real `molt` binary against a real anvil.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use alloy::{
    primitives::Address, providers::Provider, rpc::types::TransactionRequest, sol,
    sol_types::SolCall,
};
use molt_chain::Devnet;
use serde_json::Value;
use tempfile::TempDir;

sol! {
    function paused() external view returns (bool);
}

/// The `molt` binary under test: cargo's path to it inside molt-cli's tests; elsewhere (the
/// molt-e2e crate, which includes this file) the workspace's `target/debug/molt`, which
/// `scripts/test` builds first.
pub(crate) fn molt_bin() -> PathBuf {
    if let Some(bin) = option_env!("CARGO_BIN_EXE_molt") {
        return PathBuf::from(bin);
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.ancestors().find(|d| d.join("Cargo.lock").is_file()).unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), PathBuf::from);
    let bin = target.join("debug/molt");
    assert!(bin.is_file(), "{} is missing: run `cargo build -p molt-cli` first", bin.display());
    bin
}

/// A `molt` command with progress off and a clean environment for the variables molt reads.
pub(crate) fn molt() -> Command {
    let mut c = Command::new(molt_bin());
    c.env("MOLT_NO_PROGRESS", "1")
        .env_remove("ETH_RPC_URL")
        .env_remove("MOLT_PRIVATE_KEY")
        .env_remove("MOLT_JSON")
        .env_remove("MOLT_DIFF_FORMAT")
        .env_remove("MOLT_TEST_CRASH_AT")
        .env_remove("MOLT_TEST_PAUSE_AT")
        .env_remove("MOLT_TEST_PAUSE_FILE");
    c
}

/// Runs a command and returns its output, with stderr in the panic message on failure to spawn.
pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Stdout of a command's output, as text.
pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stderr of a command's output, as text.
pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `cmd` and checks that it was refused as bad input: exit 2, exactly one `error:` line,
/// and every `want` in stderr. Returns stderr, or what is wrong.
pub(crate) fn refusal(cmd: &mut Command, want: &[&str]) -> Result<String, String> {
    let out = run(cmd);
    let stderr = stderr(&out);
    if out.status.code() != Some(2) {
        return Err(format!("exit {:?}, expected 2; stderr:\n{stderr}", out.status.code()));
    }
    if let Some(w) = want.iter().find(|w| !stderr.contains(*w)) {
        return Err(format!("expected `{w}` in:\n{stderr}"));
    }
    if stderr.lines().filter(|l| l.starts_with("error: ")).count() != 1 {
        return Err(format!("not exactly one error:\n{stderr}"));
    }
    Ok(stderr)
}

/// [`refusal`], panicking on what is wrong.
pub(crate) fn refused(cmd: &mut Command, want: &[&str]) -> String {
    refusal(cmd, want).unwrap_or_else(|why| panic!("{why}"))
}

/// Replaces the first `from` in the manifest at `path` with `to`; panics if the manifest has no
/// `from`.
pub(crate) fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "the manifest has no `{from}`:\n{text}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// `molt migrate --yes --json` in `dir`, with an optional crash point (`MOLT_TEST_CRASH_AT`).
pub(crate) fn migrate_in(dir: &Path, crash_at: Option<&str>) -> Output {
    let mut cmd = molt();
    cmd.current_dir(dir).args(["--json", "migrate", "--yes"]);
    if let Some(c) = crash_at {
        cmd.env("MOLT_TEST_CRASH_AT", c);
    }
    run(&mut cmd)
}

/// A seeded Fabstir project: a real anvil with the V1 and V2 contracts deployed and V1 seeded,
/// and a temporary folder holding its `molt.toml`. Dropping it stops the anvil and removes the
/// folder.
#[derive(Debug)]
pub(crate) struct Project {
    /// The node the project was seeded on.
    pub(crate) devnet: Devnet,
    dir: TempDir,
    seeded: String,
}

impl Project {
    /// A fresh anvil, seeded with `nodes`, `jobs` and `balances`.
    pub(crate) async fn seeded(nodes: u32, jobs: u32, balances: u32) -> Self {
        Self::seeded_on(Devnet::spawn().await.unwrap(), nodes, jobs, balances)
    }

    /// The same state every time: an anvil with a fixed genesis time (with the seeder's fixed
    /// block interval, job timestamps repeat too) and the same deployer nonces.
    pub(crate) async fn reproducible(nodes: u32, jobs: u32, balances: u32) -> Self {
        let devnet = Devnet::builder().arg("--timestamp").arg("1767225600").spawn().await.unwrap();
        Self::seeded_on(devnet, nodes, jobs, balances)
    }

    /// Deploys the Fabstir contracts on `devnet`, seeds V1 and writes `molt.toml` in a new
    /// temporary folder.
    pub(crate) fn seeded_on(devnet: Devnet, nodes: u32, jobs: u32, balances: u32) -> Self {
        let counts = [("--nodes", nodes), ("--jobs", jobs), ("--balances", balances)];
        Self::demo_on(devnet, &["--example", "fabstir"], &counts)
    }

    /// Deploys the example lending pool (`molt demo --example lending`) on `devnet`, seeds V1
    /// with `reserves`, `accounts` and distinct `loans` (many transactions per block: the seed
    /// is large for its size) and writes `molt.toml` in a new temporary folder.
    pub(crate) fn lending_on(devnet: Devnet, reserves: u32, accounts: u32, loans: u32) -> Self {
        let counts = [("--reserves", reserves), ("--accounts", accounts), ("--loans", loans)];
        Self::demo_on(devnet, &["--example", "lending", "--seed-txs-per-block", "50"], &counts)
    }

    /// `molt demo --seed-only` on `devnet` with `args` and the `counts` flags.
    fn demo_on(devnet: Devnet, args: &[&str], counts: &[(&str, u32)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = molt();
        cmd.args(["demo", "--seed-only", "--rpc-url", &devnet.endpoint(), "--out"]).arg(dir.path());
        cmd.args(args);
        for (flag, n) in counts {
            cmd.arg(flag).arg(n.to_string());
        }
        let out = run(&mut cmd);
        assert!(out.status.success(), "seeding failed:\n{}", stderr(&out));
        let manifest = dir.path().join("molt.toml");
        assert_eq!(
            stdout(&out).trim(),
            manifest.display().to_string(),
            "stdout is the manifest's path"
        );
        let seeded = std::fs::read_to_string(manifest).unwrap();
        Self { devnet, dir, seeded }
    }

    /// The project folder.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `molt` command (see [`molt`]) that runs in the project folder.
    pub(crate) fn molt(&self) -> Command {
        let mut c = molt();
        c.current_dir(self.path());
        c
    }

    /// The manifest's path.
    pub(crate) fn manifest(&self) -> PathBuf {
        self.path().join("molt.toml")
    }

    /// The manifest's text as it is now.
    pub(crate) fn manifest_text(&self) -> String {
        std::fs::read_to_string(self.manifest()).unwrap()
    }

    /// Replaces the first `from` in the manifest with `to` (see [`edit`]).
    pub(crate) fn edit(&self, from: &str, to: &str) {
        edit(&self.manifest(), from, to);
    }

    /// The manifest as the seeder wrote it.
    pub(crate) fn seeded_text(&self) -> &str {
        &self.seeded
    }

    /// Undoes every edit: writes the manifest back as the seeder wrote it.
    pub(crate) fn restore(&self) {
        std::fs::write(self.manifest(), &self.seeded).unwrap();
    }

    /// Sets `[batch]`'s `max_in_flight` and adds `max_records` (the seeded manifest has
    /// `max_in_flight = 4` and no `max_records`).
    pub(crate) fn set_batch(&self, max_records: u32, max_in_flight: u32) {
        let to = format!("max_in_flight = {max_in_flight}\nmax_records = {max_records}");
        self.edit("max_in_flight = 4", &to);
    }

    /// `molt migrate --yes --json` in the project, with an optional crash point (see
    /// [`migrate_in`]).
    pub(crate) fn migrate(&self, crash_at: Option<&str>) -> Output {
        migrate_in(self.path(), crash_at)
    }

    /// The journal's path.
    pub(crate) fn journal_path(&self) -> PathBuf {
        self.path().join("molt.toml.molt-journal")
    }

    /// The journal's entries.
    pub(crate) fn journal(&self) -> Vec<Value> {
        std::fs::read_to_string(self.journal_path())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// `molt migrate --yes --json` in the project, started in the background and held at
    /// `point` (`MOLT_TEST_PAUSE_AT`, e.g. `mined:2`): returns once it is paused there.
    /// Removing the returned file lets it go on.
    pub(crate) fn migrate_paused(&self, point: &str) -> (std::process::Child, PathBuf) {
        let file = self.path().join("molt-test-paused");
        let mut child = self
            .molt()
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
                panic!("the run ended ({status:?}) before {point}:\n{}", stderr(&out));
            }
            assert!(start.elapsed().as_secs() < 120, "the run never reached {point}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        (child, file)
    }

    /// Notes the chain as it is now, to check later that nothing was sent.
    pub(crate) async fn untouched(&self) -> Untouched {
        Untouched::note(&self.devnet).await
    }

    /// Asserts that nothing was sent since `before` (see [`Untouched::assert_still`]), with
    /// the V1 addresses of the seeded manifest.
    pub(crate) async fn assert_untouched_since(&self, before: Untouched) {
        before.assert_still(&self.devnet, &self.seeded).await;
    }
}

/// The JSON report on stdout of a successful run.
pub(crate) fn report(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "molt failed ({:?}):\n{}\nstdout:\n{}",
        out.status,
        stderr(out),
        stdout(out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(out)))
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

    /// The dev account's nonce then.
    pub(crate) fn nonce(&self) -> u64 {
        self.nonce
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
