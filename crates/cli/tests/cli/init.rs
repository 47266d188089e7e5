//! `molt init` through the real binary: the Fabstir draft from the forge artifacts, refused by
//! `molt plan` while it has TODOs, and rehearsed on a fork of a seeded anvil once its
//! decisions are made (the placeholder addresses and the one edit it needs); the lending
//! draft likewise; overwriting, stdout, `--json` and bad inputs.

use std::path::{Path, PathBuf};

use molt_chain::Devnet;
use serde_json::Value;

use crate::common::{Project, molt, refused, run, stderr, stdout};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn artifact(name: &str) -> String {
    repo().join(format!("out/{name}.sol/{name}.json")).display().to_string()
}

/// `--old <Fabstir V1> --new <Fabstir V2>`.
fn fabstir_args() -> Vec<String> {
    let mut args = vec!["init".to_owned(), "--old".to_owned()];
    args.extend(["NodeRegistryV1", "JobMarketplaceV1", "PaymentEscrowV1"].map(artifact));
    args.push("--new".into());
    args.extend(["NodeRegistryV2", "JobMarketplaceV2", "PaymentEscrowV2"].map(artifact));
    args
}

/// The address the seeded manifest gives the contract whose ABI file is `abi`.
fn seeded_address(seeded: &str, abi: &str) -> String {
    let stem = Path::new(abi).file_name().unwrap().to_str().unwrap();
    let line = seeded.lines().find(|l| l.contains(stem)).unwrap();
    line.split("address = \"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

/// The draft with its decisions made: the seeded addresses in place of the placeholders (of the
/// contracts and of the funds' token), the TODO comments deleted, then each `(from, to)` of
/// `edits` replaced: the decisions that differ from the draft's proposals.
fn resolved(draft: &str, seeded: &str, edits: &[(&str, &str)]) -> String {
    let mut out = Vec::new();
    for line in draft.lines() {
        if line.trim_start().starts_with("# TODO(molt)") {
            continue;
        }
        let mut line = line.split("# TODO(molt)").next().unwrap().trim_end().to_owned();
        if line.contains("address = \"0x") {
            let abi = line.split("abi = \"").nth(1).unwrap().split('"').next().unwrap();
            let placeholder = line.split("address = \"").nth(1).unwrap().split('"').next().unwrap();
            line = line.replace(placeholder, &seeded_address(seeded, abi));
        }
        if line == "tokens = \"TODO: token address\"" {
            line = seeded.lines().find(|l| l.starts_with("tokens = \"0x")).unwrap().to_owned();
        }
        out.push(line);
    }
    let mut text = out.join("\n") + "\n";
    for (from, to) in edits {
        assert!(text.contains(from), "no `{from}` in the draft:\n{text}");
        text = text.replace(from, to);
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fabstir_draft_is_refused_until_decided_then_rehearses_on_a_fork() {
    let project = Project::seeded(6, 12, 5).await;
    let draft = project.path().join("drafts/molt.toml");
    let out = run(project.molt().args(fabstir_args()).arg("--out").arg(&draft));
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        "drafted ",
        "from 3 V1 and 3 V2 contracts:",
        "nodes     registry_v1.getNodeAt -> registry_v2.batchMigrateNodes",
        "funds stakes, escrow; 3 pause, 4 check, 3 finalize entries",
        "7 TODO(molt) to resolve",
        "line  16: the address NodeRegistryV1 is deployed at",
    ] {
        assert!(err.contains(want), "no `{want}` in:\n{err}");
    }
    assert!(stdout(&out).is_empty(), "the draft goes to the file, the summary to stderr");
    let text = std::fs::read_to_string(&draft).unwrap();
    // ABI paths are relative to the draft's folder (absolute when the two share only the root):
    // either way they lead to the repository's artifacts.
    let abi = text
        .lines()
        .find(|l| l.starts_with("registry_v1 "))
        .and_then(|l| l.split("abi = \"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no abi path for registry_v1 in:\n{text}"));
    let artifact = repo().join("out/NodeRegistryV1.sol/NodeRegistryV1.json");
    assert_eq!(
        draft.parent().unwrap().join(abi).canonicalize().unwrap(),
        artifact.canonicalize().unwrap(),
        "{abi}"
    );

    // Unresolved: refused at load, before any node is asked.
    let manifest = draft.display().to_string();
    refused(
        project.molt().args(["plan", "--manifest", &manifest]),
        &[
            "molt.toml:16:",
            "unresolved `TODO(molt)`: the address NodeRegistryV1 is deployed at",
            "(6 more, at lines",
        ],
    );

    // Decided: it rehearses the whole migration on a fork of the seeded node.
    // The one edit: only completed jobs.
    let edits = [("key = \"id\"\n", "key = \"id\"\nfilter = { field = \"status\", in = [2] }\n")];
    std::fs::write(&draft, resolved(&text, project.seeded_text(), &edits)).unwrap();
    let node = project.devnet.endpoint();
    let out =
        run(project.molt().args(["--json", "plan", "--manifest", &manifest, "--rpc-url", &node]));
    assert!(out.status.success(), "{}\n{}", stderr(&out), std::fs::read_to_string(&draft).unwrap());
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["verified_on_fork"], true, "{plan:#}");
    assert_eq!(plan["components"].as_array().unwrap().len(), 3);

    // An existing file is kept unless --force.
    refused(
        project.molt().args(fabstir_args()).arg("--out").arg(&draft),
        &["already exists", "--force"],
    );
    let out = run(project.molt().args(fabstir_args()).args(["--force", "--out"]).arg(&draft));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&draft).unwrap(),
        text,
        "the same inputs draft the same file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lending_draft_needs_one_edit_then_rehearses_on_a_fork() {
    let project = Project::lending_on(Devnet::spawn().await.unwrap(), 4, 24, 30);
    let draft = project.path().join("drafts/molt.toml");
    let (v1, v2) = (artifact("LendingPoolV1"), artifact("LendingPoolV2"));
    let out = run(project.molt().args(["init", "--old", &v1, "--new", &v2, "--out"]).arg(&draft));
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        "from 1 V1 and 1 V2 contracts:",
        "loans     pool_v1.loans -> pool_v2.importLoans",
        "funds collateral; 1 pause, 1 check, 1 finalize entries",
        "7 TODO(molt) to resolve",
        "line  16: the address LendingPoolV1 is deployed at",
    ] {
        assert!(err.contains(want), "no `{want}` in:\n{err}");
    }
    let text = std::fs::read_to_string(&draft).unwrap();

    // The one edit no ABI tells: V1's `since` is V2's `depositedAt` (no longer dropped). The
    // filters are kept, the addresses and the collateral token filled in.
    let edits = [
        ("map.depositedAt = { default = true }", "map.depositedAt = \"since\""),
        ("drop = [\"since\"]\n", ""),
    ];
    std::fs::write(&draft, resolved(&text, project.seeded_text(), &edits)).unwrap();
    let (manifest, node) = (draft.display().to_string(), project.devnet.endpoint());
    let out =
        run(project.molt().args(["--json", "plan", "--manifest", &manifest, "--rpc-url", &node]));
    assert!(out.status.success(), "{}\n{}", stderr(&out), std::fs::read_to_string(&draft).unwrap());
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["verified_on_fork"], true, "{plan:#}");
    assert_eq!(plan["components"].as_array().unwrap().len(), 3);
}

#[test]
fn the_draft_goes_to_stdout_with_out_dash_and_json_describes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(molt().current_dir(tmp.path()).args(fabstir_args()).args(["--out", "-"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("# Migration manifest drafted by `molt init`"), "{text}");
    assert!(text.contains("[[component]]\nname = \"nodes\""), "{text}");
    assert!(
        stderr(&out).contains("drafted stdout from 3 V1 and 3 V2 contracts"),
        "{}",
        stderr(&out)
    );
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none(), "nothing written");

    let out = run(molt().current_dir(tmp.path()).arg("--json").args(fabstir_args()));
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "molt.init/1");
    assert_eq!(report["out"], "molt.toml");
    assert_eq!(report["components"][0]["source"], "registry_v1.getNodeAt");
    assert_eq!(report["todos"].as_array().unwrap().len(), 7);
    assert_eq!(report["todos"][6]["line"], 88);
    assert!(tmp.path().join("molt.toml").is_file());

    refused(
        molt().current_dir(tmp.path()).arg("--json").args(fabstir_args()).args(["--out", "-"]),
        &["--json and --out - would both print to stdout"],
    );
}

#[test]
fn inputs_that_are_not_artifacts_are_refused_with_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let v2 = artifact("NodeRegistryV2");
    refused(
        molt().current_dir(tmp.path()).args(["init", "--old"]).arg(&empty).args(["--new", &v2]),
        &["holds no contract artifact", "hint: --old takes artifacts or folders of them"],
    );
    refused(
        molt().current_dir(tmp.path()).args([
            "init",
            "--old",
            &v2,
            "--new",
            &artifact("TestToken"),
        ]),
        &["none of the new contracts (TestToken) has a batch import function"],
    );
    refused(
        molt().current_dir(tmp.path()).args(["init", "--old", "missing.json", "--new", &v2]),
        &["missing.json"],
    );
    assert!(!tmp.path().join("molt.toml").exists());
}
