//! Bad input: each case gives one clear error naming the cause, exit code 2, and sends nothing.

use std::path::Path;

use crate::common::{molt, run, seed};
use alloy::providers::Provider;
use molt_chain::Devnet;

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/// anvil's dev account #5, which owns nothing.
const STRANGER_KEY: &str = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

/// Writes `molt.toml` with `from` replaced by `to` into a new folder and returns it.
fn variant(base: &Path, from: &str, to: &str) -> tempfile::TempDir {
    let text = std::fs::read_to_string(base.join("molt.toml")).unwrap();
    assert!(text.contains(from), "the manifest has no `{from}`");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("molt.toml"), text.replacen(from, to, 1)).unwrap();
    dir
}

/// Runs `molt migrate --yes` in `dir` with extra arguments; asserts exit 2 and returns stderr.
fn refused(dir: &Path, args: &[&str], want: &[&str]) -> String {
    let out = run(molt().current_dir(dir).args(["migrate", "--yes"]).args(args));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "expected exit 2 for {want:?}; stderr:\n{stderr}");
    for w in want {
        assert!(stderr.contains(w), "expected `{w}` in:\n{stderr}");
    }
    let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
    assert_eq!(errors, 1, "exactly one error:\n{stderr}");
    stderr
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_before_anything_is_sent() {
    let devnet = Devnet::spawn().await.unwrap();
    let seeded = tempfile::tempdir().unwrap();
    seed(&devnet, seeded.path(), 6, 12, 6);
    let base = seeded.path();
    let text = std::fs::read_to_string(base.join("molt.toml")).unwrap();
    let provider = devnet.provider();
    let nonce = || async { provider.get_transaction_count(DEV0.parse().unwrap()).await.unwrap() };
    let before = nonce().await;

    // Malformed TOML: file and line.
    let line = text.lines().position(|l| l.starts_with("[batch]")).unwrap() + 1;
    let d = variant(base, "[batch]", "[batch]\nthis is not toml");
    refused(d.path(), &[], &[&format!("molt.toml:{}:", line + 1)]);

    // Unknown contract and function names.
    let d = variant(base, "contract = \"jobs_v1\"\nfunction", "contract = \"jobz_v1\"\nfunction");
    refused(d.path(), &[], &["unknown contract `jobz_v1`"]);
    let d = variant(base, "count = \"getTotalNodes\"", "count = \"getTotalNode\"");
    refused(d.path(), &[], &["has no function `getTotalNode`", "did you mean `getTotalNodes`"]);

    // ABI mismatch: V2's jobs ABI replaced by V1's, which has no import function.
    let d = variant(
        base,
        "JobMarketplaceV2.sol/JobMarketplaceV2.json",
        "JobMarketplaceV1.sol/JobMarketplaceV1.json",
    );
    refused(d.path(), &[], &["`jobs_v2`", "JobMarketplaceV1.json) has no function"]);

    // Wrong chain.
    let d = variant(base, "chain_id = 31337", "chain_id = 1");
    refused(d.path(), &[], &["the manifest is for chain 1 but the node is chain 31337"]);

    // No code at an address.
    let v2 = text.lines().find(|l| l.starts_with("registry_v2")).unwrap();
    let addr = v2.split('"').nth(1).unwrap();
    let d = variant(base, addr, "0x00000000000000000000000000000000DeaDBeef");
    refused(
        d.path(),
        &[],
        &["no contract code at 0x00000000000000000000000000000000DeaDBeef", "registry_v2"],
    );

    // Missing role: a key that owns nothing.
    refused(
        base,
        &["--private-key", STRANGER_KEY],
        &["may not call `pause()`", "OwnableUnauthorizedAccount"],
    );

    // (An unreachable node is not bad input: it exits 3, see exit_codes.rs.)

    // A checkpoint of another run: a journal written for another manifest.
    let d = variant(base, "[batch]", "[batch]");
    let crashed = run(molt()
        .current_dir(d.path())
        .env("MOLT_TEST_CRASH_AT", "prepared:1")
        .args(["migrate", "--yes"]));
    assert!(!crashed.status.success());
    let manifest = d.path().join("molt.toml");
    let edited =
        std::fs::read_to_string(&manifest).unwrap().replace("gas_margin = 1.2", "gas_margin = 1.3");
    std::fs::write(&manifest, edited).unwrap();
    refused(
        d.path(),
        &[],
        &["the manifest changed since the run started: batch", "--adopt-manifest"],
    );
    // (the crashed run journaled its first transaction but never broadcast it)
    assert_eq!(nonce().await, before, "a refused run sent a transaction");

    // Insufficient balance: the owner's account emptied.
    devnet.anvil_call("anvil_setBalance", (DEV0, "0x10")).await.unwrap();
    refused(base, &[], &["holds 16 wei but the run needs about"]);

    assert_eq!(nonce().await, before, "a refused run sent a transaction");
}
