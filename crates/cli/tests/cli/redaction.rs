//! Credentials in the RPC URL never reach any output or file: every network command, pointed at
//! a real anvil through a URL with a password and an API key (anvil ignores both).

use std::{
    path::Path,
    process::{Command, Output},
};

use crate::{
    common::{molt, run},
    safe::Governed,
    upgrade::Upgradeable,
};
use alloy::primitives::U256;
use molt_chain::Devnet;
use serde_json::Value;

const SECRET: &str = "secret";

/// `devnet`'s URL with credentials in user info and query.
fn secret_url(endpoint: &str) -> String {
    let port = endpoint.rsplit(':').next().unwrap();
    format!("http://user:{SECRET}@127.0.0.1:{port}/?apikey={SECRET}")
}

/// A URL with the same credentials where no node listens.
const DEAD_URL: &str = "http://user:secret@127.0.0.1:1/?apikey=secret";

/// Runs `args` in `dir`; asserts that neither stdout nor stderr shows the secret, and returns
/// the output.
fn clean(dir: &Path, args: &[&str]) -> Output {
    clean_cmd(molt().current_dir(dir).args(args))
}

/// Runs `cmd`; asserts that neither stdout nor stderr shows the secret, and returns the output.
fn clean_cmd(cmd: &mut Command) -> Output {
    let out = run(cmd);
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(text);
        assert!(!text.contains(SECRET), "`{cmd:?}` shows the secret on {name}:\n{text}");
    }
    out
}

/// Asserts that no file under `dir` holds the secret.
fn no_file_holds_the_secret(dir: &Path) {
    for file in files(dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(SECRET), "{} holds the secret", file.display());
    }
}

/// Stdout of a successful command, as JSON.
fn json(out: &Output) -> Value {
    succeeded(out);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout))
    })
}

fn succeeded(out: &Output) {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn no_command_shows_or_writes_the_credentials_of_the_rpc_url() {
    let devnet = Devnet::spawn().await.unwrap();
    let url = secret_url(&devnet.endpoint());
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();

    let seed = ["--nodes", "4", "--jobs", "8", "--balances", "4"];
    let out = clean(
        dir,
        &[&["demo", "--seed-only", "--rpc-url", &url, "--out", "fabstir"], &seed[..]].concat(),
    );
    succeeded(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("ETH_RPC_URL"));
    let fabstir = dir.join("fabstir");
    let manifest = std::fs::read_to_string(fabstir.join("molt.toml")).unwrap();
    let registry = manifest.lines().find(|l| l.starts_with("registry_v1 =")).unwrap();
    let (address, abi) = (registry.split('"').nth(1).unwrap(), registry.split('"').nth(3).unwrap());

    succeeded(&clean(dir, &["diff", "--deployed", address, "--rpc-url", &url, abi]));
    succeeded(&clean(&fabstir, &["plan", "--rpc-url", &url]));
    succeeded(&clean(&fabstir, &["-v", "migrate", "--yes", "--rpc-url", &url]));
    succeeded(&clean(&fabstir, &["--json", "verify", "--rpc-url", &url]));
    succeeded(&clean(&fabstir, &["status"]));
    // Help shows the variables molt reads, not their values.
    let help = run(molt().env("ETH_RPC_URL", &url).args(["verify", "--help"]));
    assert!(help.status.success() && !String::from_utf8_lossy(&help.stdout).contains(SECRET));
    // And when the node is gone, the errors.
    drop(devnet);
    let out = clean(&fabstir, &["verify", "--rpc-url", &url, "--rpc-timeout", "1"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let out = clean(dir, &["diff", "--deployed", address, "--rpc-url", &url, abi]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));

    let written = files(dir);
    for name in ["molt.toml", "molt.toml.molt-journal"] {
        assert!(written.iter().any(|f| f.ends_with(name)), "{name} in {written:?}");
    }
    assert!(written.iter().any(|f| f.to_string_lossy().contains("molt-backup-")), "{written:?}");
    no_file_holds_the_secret(dir);
}

/// `molt safe export`, `sign` and `exec` of a Safe-governed migration, through the URL with
/// credentials only (the manifest's own URL points where no node listens): the phase `open` is
/// exported, signed by two owners and executed on the node; and the same commands' errors when
/// no node answers at such a URL.
#[tokio::test(flavor = "multi_thread")]
async fn the_safe_commands_show_and_write_no_credentials() {
    let g = Governed::new().await;
    let p = &g.project;
    let url = secret_url(&p.devnet.endpoint());
    let text = p.manifest_text();
    let manifest_url = text.lines().find(|l| l.starts_with("rpc_url = ")).unwrap();
    p.edit(manifest_url, "rpc_url = \"http://127.0.0.1:1/\"");
    let out_dir = g.out();

    let mut export = p.molt();
    export.args(["--json", "safe", "export", "--rpc-url", &url, "--out"]).arg(&out_dir);
    let doc = json(&clean_cmd(&mut export));
    assert_eq!(doc["safe"]["threshold"], 2, "the Safe was read from the node: {doc}");
    let open = out_dir.join("safe-open.json");
    assert!(open.exists());
    for key in [1, 2] {
        succeeded(&clean_cmd(g.sign(&open, key).args(["--rpc-url", &url])));
    }
    let signatures = out_dir.join("safe-signatures.json");
    assert!(signatures.exists());
    let mut exec = g.exec(&open, &signatures);
    succeeded(&clean_cmd(exec.args(["--rpc-url", &url])));
    assert_eq!(g.safe.nonce().await.unwrap(), U256::from(1), "the Safe executed `open`");

    // No node at the URL: the errors (a runtime failure, exit 3).
    let mut export = p.molt();
    export.args(["safe", "export", "--out"]).arg(&out_dir);
    for cmd in [&mut export, &mut g.sign(&open, 3), &mut g.exec(&open, &signatures)] {
        let out = clean_cmd(cmd.args(["--rpc-url", DEAD_URL, "--rpc-timeout", "1"]));
        assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    }
    no_file_holds_the_secret(p.path());
}

/// `molt upgrade` of a UUPS proxy through the URL with credentials: it deploys the new
/// implementation on the node, rehearses the upgrade on a fork of it and writes the batch file;
/// and its error when no node answers at such a URL.
#[tokio::test(flavor = "multi_thread")]
async fn molt_upgrade_shows_and_writes_no_credentials() {
    let f = Upgradeable::uups().await;
    let url = secret_url(&f.devnet.endpoint());
    let out = clean_cmd(f.upgrade_at(&url, "UupsCounterV1", "UupsCounterV2").arg("--json"));
    let doc = json(&out);
    let r = &doc["report"];
    assert_eq!(r["verdict"], "ready", "{doc}");
    assert_eq!(r["rehearsal"]["outcome"]["status"], "upgraded", "rehearsed on a fork: {doc}");
    let deployed: alloy::primitives::Address =
        r["deployment"]["address"].as_str().unwrap().parse().unwrap();
    let code = alloy::providers::Provider::get_code_at(f.devnet.provider(), deployed);
    assert!(!code.await.unwrap().is_empty(), "the implementation was deployed on the node");
    assert!(std::path::Path::new(r["batch_file"].as_str().unwrap()).exists());

    let mut dead = f.upgrade_at(DEAD_URL, "UupsCounterV1", "UupsCounterV2");
    let out = clean_cmd(dead.args(["--rpc-timeout", "1"]));
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    no_file_holds_the_secret(f.out.path());
}
