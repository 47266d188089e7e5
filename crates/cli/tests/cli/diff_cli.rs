//! `molt diff` through the real binary: every fixture's JSON output, the exit-code table, the
//! output formats, the config file, `--deployed` against a real anvil and `--base-ref` on a
//! throwaway git repository.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::Value;

use crate::common::{self, run, stderr, stdout};

/// `molt diff <args>` in `dir`.
fn molt(dir: &Path, args: &[&str]) -> Output {
    run(common::molt().current_dir(dir).arg("diff").args(args))
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("molt exits normally")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/diff").canonicalize().unwrap()
}

fn fixture(kind: &str) -> PathBuf {
    fixtures().join(kind)
}

/// `old.json new.json` or `old new`, plus `--proxy proxy.json` when the fixture has one.
fn fixture_args(dir: &Path) -> Vec<&'static str> {
    let mut args = if dir.join("old.json").is_file() {
        vec!["old.json", "new.json"]
    } else {
        vec!["old", "new"]
    };
    if dir.join("proxy.json").is_file() {
        args.extend(["--proxy", "proxy.json"]);
    }
    args
}

#[test]
fn every_fixture_prints_its_expected_json_and_exit_code() {
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let dir = entry.unwrap().path();
        if dir.join("code.json").is_file() {
            continue; // deployed-code fixtures need a node: see deployed_code_is_checked_against_anvil
        }
        let mut args = fixture_args(&dir);
        args.extend(["--format", "json"]);
        let out = molt(&dir, &args);
        let expected = std::fs::read_to_string(dir.join("expected.json")).unwrap();
        assert_eq!(stdout(&out), expected, "{}: {}", dir.display(), stderr(&out));
        let doc: Value = serde_json::from_str(&expected).unwrap();
        let breaking = doc["summary"]["breaking"].as_u64().unwrap();
        assert_eq!(code(&out), if breaking > 0 { 1 } else { 0 }, "{}", dir.display());
    }
}

#[test]
fn exit_codes() {
    // 0: only info.
    let out = molt(&fixture("function_added"), &["old.json", "new.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // 1: breaking.
    assert_eq!(code(&molt(&fixture("function_removed"), &["old.json", "new.json"])), 1);
    // Warnings pass, unless denied.
    let dir = fixture("error_removed");
    assert_eq!(code(&molt(&dir, &["old.json", "new.json"])), 0);
    assert_eq!(code(&molt(&dir, &["old.json", "new.json", "--deny", "warnings"])), 1);

    // 2: usage and input errors, each naming the file and the reason.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.json"), "[{\"type\": ").unwrap();
    std::fs::write(tmp.path().join("obj.json"), "{\"x\": 1}").unwrap();
    let ok = fixture("function_added").join("old.json");
    let ok = ok.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["missing.json", ok], "missing.json"),
        (&["bad.json", ok], "bad.json is not valid JSON"),
        (&["obj.json", ok], "obj.json: no `abi` field"),
        (&[".", ok], "is a file but . is a directory"),
        (&[ok], "give OLD and NEW"),
        (&[ok, ok, "--rename", "nope"], "expected OLD=NEW"),
        (&[ok, ok, "--format", "yaml"], "yaml"),
    ];
    for (args, needle) in cases {
        let out = molt(tmp.path(), args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    }
}

#[test]
fn an_abi_type_that_is_not_a_solidity_type_is_an_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let ok = fixture("function_added").join("old.json");
    let cases = [
        (r#"{"name":"amount","type":"uint257"}"#, "function `deposit`, input `amount`: `uint257`"),
        (r#"{"name":"","type":"bytes33"}"#, "function `deposit`, input 1: `bytes33`"),
        (r#"{"name":"amount","type":"int0"}"#, "input `amount`: `int0` is not a Solidity type"),
        (r#"{"name":"order","type":"tuple"}"#, "input `order`: `tuple` is not a Solidity type"),
        (r#"{"name":"amount","type":"uint256["}"#, "input `amount`: `uint256[` is not"),
    ];
    for (param, want) in cases {
        let abi = format!(
            r#"[{{"type":"function","name":"deposit","inputs":[{param}],"outputs":[],"stateMutability":"nonpayable"}}]"#
        );
        let bad = tmp.path().join("bad.json");
        std::fs::write(&bad, abi).unwrap();
        let stderr = common::refused(
            common::molt().current_dir(tmp.path()).arg("diff").arg(&ok).arg("bad.json"),
            &["error: bad.json: "],
        );
        let line = stderr.lines().find(|l| l.starts_with("error: ")).unwrap();
        assert!(line.contains(want), "{stderr}");
    }
}

#[test]
fn config_overrides_levels_ignores_with_reason_and_denies_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture("function_removed");
    let args = |cfg: &Path| {
        vec![
            dir.join("old.json").to_string_lossy().into_owned(),
            dir.join("new.json").to_string_lossy().into_owned(),
            "--config".into(),
            cfg.to_string_lossy().into_owned(),
        ]
    };
    let run = |cfg: &str| {
        let path = tmp.path().join("molt.toml");
        std::fs::write(&path, cfg).unwrap();
        let a = args(&path);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        molt(tmp.path(), &a)
    };
    // Other sections of molt.toml belong to the migration engine and are ignored.
    let out =
        run("[network]\nrpc_url = \"http://x\"\n[diff.levels]\nfunction_removed = \"warning\"\n");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("warning   function_removed"), "{}", stdout(&out));
    let out = run("[diff]\ndeny = [\"warnings\"]\n[diff.levels]\nfunction_removed = \"warning\"\n");
    assert_eq!(code(&out), 1);
    let out = run(
        "[[diff.ignore]]\nitem = \"withdraw(uint256)\"\nreason = \"removed on purpose in v2\"\n",
    );
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("ignored: removed on purpose in v2"), "{}", stdout(&out));
    let out = run("[diff.contracts.new.levels]\nfunction_removed = \"info\"\n");
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = run("[diff.levels]\nfunction_vanished = \"info\"\n");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unknown kind `function_vanished`"), "{}", stderr(&out));
    // A config file given explicitly must exist.
    let a = args(&tmp.path().join("absent.toml"));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    assert_eq!(code(&molt(tmp.path(), &a)), 2);
}

#[test]
fn renames_pair_contracts_in_directory_mode() {
    let dir = fixture("contract_removed");
    // The fixture's molt.toml pairs RegistryV1 with RegistryV2; without it they are a removal
    // and an addition.
    let out = molt(&dir, &["old", "new", "--format", "json", "--config", "/dev/null"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let kinds: Vec<_> = doc["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|ch| ch["item"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(kinds, ["LegacyOracle", "RegistryV1", "RegistryV2"]);
    let out = molt(
        &dir,
        &[
            "old",
            "new",
            "--format",
            "json",
            "--config",
            "/dev/null",
            "--rename",
            "RegistryV1=RegistryV2",
        ],
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["summary"]["breaking"], 1);
    assert_eq!(doc["summary"]["info"], 0);
}

#[test]
fn sarif_github_markdown_and_global_json() {
    let dir = fixture("storage_variable_inserted");
    let out = molt(&dir, &["old.json", "new.json", "--format", "sarif"]);
    assert_eq!(code(&out), 1);
    let sarif: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "storage_variable_inserted"));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "new.json");
        assert!(loc["region"]["startLine"].as_u64().unwrap() > 1, "the line of the variable");
        assert!(r["message"]["text"].as_str().unwrap().contains("inserted"));
    }

    let out = molt(&dir, &["old.json", "new.json", "--format", "github"]);
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l
                .starts_with("::error file=new.json,title=storage_variable_inserted (Vault)::")),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("::warning file=new.json,")), "{text}");

    let out = molt(&dir, &["old.json", "new.json", "--format", "markdown"]);
    let md = stdout(&out);
    assert!(md.starts_with("### molt diff: breaking changes found"), "{md}");
    assert!(md.contains("| severity | kind | item | change |"), "{md}");

    let out = molt(&dir, &["--json", "old.json", "new.json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["schema"], "molt.diff/1");
}

#[test]
fn list_kinds_prints_the_catalog() {
    // `common::molt()` sets MOLT_NO_PROGRESS=1: global options from the environment are fine.
    let out = run(common::molt().args(["diff", "--list-kinds"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("storage_gap_misused") && text.contains("selector_collision"), "{text}");
    // Options of a diff make no sense with it.
    let out = run(common::molt().args(["diff", "--list-kinds", "old.json", "new.json"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn deployed_code_is_checked_against_anvil() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let devnet = molt_chain::Devnet::spawn().await.expect("anvil (run scripts/setup)");
        for kind in ["deployed_selector_missing", "deployed_selector_undeclared"] {
            let dir = fixture(kind);
            let artifact = molt_abi::Artifact::load(dir.join("code.json")).unwrap();
            let address = devnet.deploy_artifact(&artifact, &[]).await.unwrap();
            let out = molt(
                &dir,
                &[
                    "--deployed",
                    &address.to_string(),
                    "--rpc-url",
                    &devnet.endpoint(),
                    "new.json",
                    "--format",
                    "json",
                ],
            );
            let doc: Value = serde_json::from_str(&stdout(&out))
                .unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
            let expected: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                    .unwrap();
            assert_eq!(
                doc["contracts"][0]["changes"], expected["contracts"][0]["changes"],
                "{kind}"
            );
            assert_eq!(doc["contracts"][0]["old"], address.to_string());
            let breaking = expected["summary"]["breaking"].as_u64().unwrap();
            assert_eq!(code(&out), if breaking > 0 { 1 } else { 0 });

            // The artifact's own ABI matches its code.
            let out = molt(
                &dir,
                &["--deployed", &address.to_string(), "--rpc-url", &devnet.endpoint(), "code.json"],
            );
            assert_eq!(code(&out), 0, "{}", stdout(&out));
            assert!(stdout(&out).contains("no changes"), "{}", stdout(&out));
        }
        // No code at the address: an input error.
        let out = molt(
            &fixtures(),
            &[
                "--deployed",
                "0x000000000000000000000000000000000000dEaD",
                "--rpc-url",
                &devnet.endpoint(),
                "deployed_selector_missing/new.json",
            ],
        );
        assert_eq!(code(&out), 2);
        assert!(stderr(&out).contains("there is no code at"), "{}", stderr(&out));
    });
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn base_ref_builds_the_baseline_in_a_worktree_and_caches_it() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let tools = repo.join(".tools");
    assert!(tools.join("bin/forge").is_file(), "forge is missing: run scripts/setup");
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(
        project.join("foundry.toml"),
        "[profile.default]\nsrc = \"src\"\nout = \"out\"\nsolc_version = \"0.8.28\"\noffline = true\nauto_detect_solc = false\nextra_output = [\"storageLayout\"]\n",
    )
    .unwrap();
    std::fs::write(project.join(".gitignore"), "out/\ncache/\n.tools\n").unwrap();
    // The project's toolchain, as scripts/setup would install it.
    std::os::unix::fs::symlink(&tools, project.join(".tools")).unwrap();
    let source = |body: &str| {
        format!(
            "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\ncontract Box {{\n{body}\n}}\n"
        )
    };
    std::fs::write(
        project.join("src/Box.sol"),
        source("uint256 public value;\nfunction set(uint256 v) external { value = v; }"),
    )
    .unwrap();
    git(project, &["init", "-q"]);
    git(project, &["add", "."]);
    git(project, &["commit", "-q", "-m", "v1"]);
    std::fs::write(
        project.join("src/Box.sol"),
        source("address public owner;\nuint256 public value;\nfunction store(uint256 v) external { value = v; }"),
    )
    .unwrap();

    let cache = tmp.path().join("cache");
    let run = || {
        run(common::molt()
            .current_dir(project)
            .args(["diff", "--base-ref", "HEAD", "--format", "json"])
            .env("MOLT_CACHE_DIR", &cache)
            .env_remove("FOUNDRY_SOLC"))
    };
    let out = run();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let kinds: Vec<_> = doc["contracts"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["function_removed", "function_added", "function_added", "storage_variable_inserted"],
        "{doc:#}"
    );
    // The second run uses the cached baseline.
    let out = run();
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("using the cached build"), "{}", stderr(&out));
    // No worktree is left registered.
    let list =
        Command::new("git").current_dir(project).args(["worktree", "list"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&list.stdout).lines().count(), 1);
}

/// The Hardhat artifacts (`build/contracts/`) of `@openzeppelin/contracts` 4.9.6 and 5.0.2,
/// which `scripts/setup` installs under the npm aliases `oz-4.9.6` and `oz-5.0.2`.
fn openzeppelin_build(version: &str) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let dir = repo.join(format!(".tools/node_modules/oz-{version}/build/contracts"));
    assert!(dir.is_dir(), "{} is missing: run scripts/setup", dir.display());
    dir
}

#[test]
fn openzeppelin_4_to_5_breaks_where_its_changelog_says() {
    let (old, new) = (openzeppelin_build("4.9.6"), openzeppelin_build("5.0.2"));
    let out = run(common::molt().arg("diff").arg(&old).arg(&new).args(["--format", "json"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let findings: Vec<(String, String, String, String)> = doc["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["changes"].as_array().unwrap().iter().map(move |f| {
                let s = |k: &str| f[k].as_str().unwrap().to_owned();
                (c["name"].as_str().unwrap().to_owned(), s("kind"), s("severity"), s("item"))
            })
        })
        .collect();
    let has = |contract: &str, kind: &str, severity: &str, item: &str| {
        let want = (contract.into(), kind.into(), severity.into(), item.into());
        assert!(findings.contains(&want), "no {want:?} among the findings");
    };
    for token in ["ERC20", "ERC20Burnable", "ERC20Votes"] {
        has(token, "function_removed", "breaking", "increaseAllowance(address,uint256)");
        has(token, "function_removed", "breaking", "decreaseAllowance(address,uint256)");
    }
    has("ERC20", "error_added", "info", "ERC20InsufficientBalance(address,uint256,uint256)");
    has("ERC20", "constructor_changed", "warning", "constructor(string,string)");
    has("Ownable", "error_added", "info", "OwnableUnauthorizedAccount(address)");
    // Ownable is abstract in both versions, so neither ABI has its constructor: the new
    // `constructor(address initialOwner)` shows in the concrete contracts that inherit it.
    assert!(!findings.iter().any(|f| f.0 == "Ownable" && f.1 == "constructor_changed"));
    has("ProxyAdmin", "constructor_changed", "warning", "constructor()");
    has("UpgradeableBeacon", "constructor_changed", "warning", "constructor(address)");
    has("ProxyAdmin", "function_removed", "breaking", "upgrade(address,address)");
    has("UUPSUpgradeable", "function_removed", "breaking", "upgradeTo(address)");
    has("Initializable", "event_signature_changed", "breaking", "Initialized(uint8)");
    // 5.0 dropped the proxies' receive function: plain transfers reach the payable fallback.
    for proxy in ["Proxy", "ERC1967Proxy", "BeaconProxy", "TransparentUpgradeableProxy"] {
        has(proxy, "receive_removed", "warning", "receive()");
    }
    has("Counters", "contract_removed", "breaking", "Counters");
    has("AccessManager", "contract_added", "info", "AccessManager");
    let summary = &doc["summary"];
    assert_eq!(
        (summary["breaking"].as_u64(), summary["warning"].as_u64(), summary["info"].as_u64()),
        (Some(111), Some(19), Some(646)),
        "{summary}"
    );
}
