//! Exit code 3 for runtime failures outside the user's input (a node that is down or does not
//! answer), 2 for usage and input errors.

use std::{path::PathBuf, time::Duration};

use crate::common::{molt, run};

/// The Fabstir manifest of the repository (its ABIs are the build output; its addresses are
/// placeholders, which is fine: no node is reached).
fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/manifests/fabstir.toml")
}

/// Runs molt with the manifest, a journal in `dir` and `args`; returns exit code and stderr.
fn molt_in(dir: &tempfile::TempDir, args: &[&str]) -> (Option<i32>, String, Duration) {
    let started = std::time::Instant::now();
    let out = run(molt()
        .arg(args[0])
        .arg("--manifest")
        .arg(manifest())
        .arg("--journal")
        .arg(dir.path().join("journal"))
        .args(&args[1..]));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stderr, started.elapsed())
}

#[test]
fn a_node_that_is_down_or_silent_exits_3_and_a_usage_error_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };

    // Connection refused, after the retries.
    let (code, stderr, _) = molt_in(&dir, &["verify", "--rpc-url", &closed]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("cannot reach the node at") && stderr.contains("Connection refused"));
    let (code, stderr, _) = molt_in(&dir, &["migrate", "--yes", "--rpc-url", &closed]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{stderr}");

    // A node that accepts connections (the kernel does, from the backlog) and never answers:
    // given up at the deadline, which the error names.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = format!("http://{}", silent.local_addr().unwrap());
    let (code, stderr, took) =
        molt_in(&dir, &["migrate", "--yes", "--rpc-url", &silent, "--rpc-timeout", "2"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(stderr.contains("deadline of 2 s per call"), "{stderr}");

    // Usage and input errors stay 2.
    let (code, stderr, _) = molt_in(&dir, &["verify", "--no-such-flag"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, stderr, _) = molt_in(&dir, &["verify", "--rpc-url", &closed, "--rpc-timeout", "0"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, stderr, _) = molt_in(&dir, &["verify", "--rpc-url", "ftp://127.0.0.1:1"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!dir.path().join("journal").exists());
}
