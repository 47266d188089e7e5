//! Credentials in the RPC URL never reach any output or file: every network command, pointed at
//! a real anvil through a URL with a password and an API key (anvil ignores both).

use std::{path::Path, process::Output};

use crate::common::{molt, run};
use molt_chain::Devnet;

const SECRET: &str = "secret";

/// `devnet`'s URL with credentials in user info and query.
fn secret_url(endpoint: &str) -> String {
    let port = endpoint.rsplit(':').next().unwrap();
    format!("http://user:{SECRET}@127.0.0.1:{port}/?apikey={SECRET}")
}

/// Runs `args` in `dir`; asserts that neither stdout nor stderr shows the secret, and returns
/// the output.
fn clean(dir: &Path, args: &[&str]) -> Output {
    let out = run(molt().current_dir(dir).args(args));
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(text);
        assert!(!text.contains(SECRET), "`molt {}` shows the secret on {name}:\n{text}", args[0]);
    }
    out
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
    for file in written {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(SECRET), "{} holds the secret", file.display());
    }
}
