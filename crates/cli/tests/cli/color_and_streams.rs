//! `--color auto|always|never` and `NO_COLOR` on every stream molt colours (errors, progress,
//! `molt plan`'s warning); logs on stderr and data on stdout for `molt adapter`; `--journal` and
//! its old name `--checkpoint`.

use std::path::Path;

use crate::common::{Project, molt, run};

const ESC: &str = "\x1b[";

/// `molt <args> status` on a manifest without a journal: exit 2; returns stderr.
fn status_error(args: &[&str], no_color: bool) -> String {
    let mut cmd = molt();
    cmd.args(args).args(["status", "--manifest", "/nonexistent/molt.toml"]);
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn color_always_paints_the_error_and_hint_while_never_auto_and_no_color_do_not() {
    let painted = status_error(&["--color", "always"], false);
    assert!(painted.contains(&format!("{ESC}1;31merror:{ESC}0m no journal at")), "{painted:?}");
    assert!(painted.contains(&format!("{ESC}1;36mhint:{ESC}0m")), "{painted:?}");
    // An explicit `always` wins over NO_COLOR, as no-color.org asks.
    assert!(status_error(&["--color=always"], true).contains(ESC));
    for (args, no_color) in [
        (&["--color", "never"][..], false),
        (&["--color", "NEVER"][..], false),
        (&[][..], true),
        (&["--color", "auto"][..], true),
        // auto, into a pipe: no colour.
        (&[][..], false),
    ] {
        let plain = status_error(args, no_color);
        assert!(!plain.contains(ESC), "{args:?}, NO_COLOR {no_color}: {plain:?}");
        assert!(plain.starts_with("error: no journal at"), "{plain:?}");
    }
}

#[test]
fn clap_usage_errors_follow_color_too() {
    let out = run(molt().env_remove("NO_COLOR").args(["--color", "always", "--bogus"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(ESC));
    let out = run(molt().env_remove("NO_COLOR").args(["--color", "never", "--bogus"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(ESC));
}

#[test]
fn journal_is_the_flag_and_checkpoint_a_hidden_alias() {
    for flag in ["--journal", "--checkpoint"] {
        let out = run(molt().args(["status", flag, "/nonexistent/run.molt-journal"]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains("no journal at /nonexistent/run.molt-journal"), "{flag}: {stderr}");
    }
    for command in ["status", "migrate", "plan", "verify"] {
        let help = run(molt().args([command, "--help"]));
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(help.contains("--journal <PATH>"), "{command}: {help}");
        assert!(!help.to_lowercase().contains("checkpoint"), "{command}: {help}");
    }
}

#[test]
fn adapter_writes_its_table_to_stdout_and_what_it_wrote_to_stderr() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifact = |name: &str| repo.join(format!("out/{name}.sol/{name}.json"));
    let dir = tempfile::tempdir().unwrap();
    let out = run(molt()
        .arg("adapter")
        .arg("--old")
        .arg(artifact("NodeRegistryV1"))
        .arg("--new")
        .arg(artifact("NodeRegistryV2"))
        .arg("--out")
        .arg(dir.path())
        .arg("--no-fmt"));
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let adapter = dir.path().join("NodeRegistryAdapter.sol");
    assert!(stderr.contains(&format!("wrote {}", adapter.display())), "{stderr}");
    assert!(stderr.contains("(not formatted"), "{stderr}");
    assert!(!stdout.contains("wrote") && !stdout.contains("not formatted"), "{stdout}");
    assert!(stdout.contains("forwarded  "), "the per-function table: {stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("NodeRegistryAdapter (17 functions of NodeRegistryV1)"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_paints_its_warning_and_progress_only_with_color() {
    let project = Project::seeded(3, 4, 2).await;
    // The filter keeps no job: `jobs` has no records and plan warns about it.
    project.edit("in = [2]", "in = [9]");
    let plan = |color: &str| {
        let out = run(project.molt().env_remove("NO_COLOR").args([
            "--color",
            color,
            "plan",
            "--allow-empty",
            "jobs",
        ]));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "--color {color}: {stderr}");
        (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
    };

    let (stdout, stderr) = plan("always");
    assert!(
        stdout.contains(&format!("{ESC}1mWARNING: component `jobs` has no records")),
        "{stdout}"
    );
    assert!(stderr.contains(&format!("{ESC}1;36m•{ESC}0m pre-checks")), "{stderr}");

    let (stdout, stderr) = plan("never");
    assert!(stdout.contains("WARNING: component `jobs` has no records"), "{stdout}");
    assert!(!stdout.contains(ESC) && !stderr.contains(ESC), "{stdout}\n{stderr}");
    assert!(stderr.contains("• pre-checks"), "{stderr}");
}
