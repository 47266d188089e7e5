//! Runs every fixture under `fixtures/diff/<kind>/` and compares the output with the
//! snapshots next to it (`expected.json`, `expected.txt`).
//!
//! A fixture is `old.json` + `new.json` (files) or `old/` + `new/` (Foundry `out/` folders),
//! with optionally `molt.toml` (config) and `proxy.json` (`--proxy`). The deployed-code kinds
//! have `code.json` (an artifact whose runtime code is checked) and `new.json` (the ABI).
//! Set `MOLT_BLESS=1` to rewrite the snapshots after an intended change, then review the diff.

use std::path::{Path, PathBuf};

use molt_abi::{
    Artifact,
    diff::{self, Config, ContractDiff, Options, RULES, Report, deployed::check_deployed, render},
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/diff").canonicalize().unwrap()
}

fn side(dir: &Path, name: &str) -> PathBuf {
    let file = dir.join(format!("{name}.json"));
    if file.is_file() { file } else { dir.join(name) }
}

fn options(dir: &Path, proxy: bool) -> Options {
    let config = dir.join("molt.toml");
    Options {
        config: if config.is_file() { Config::load(&config).unwrap() } else { Config::default() },
        proxy: proxy.then(|| dir.join("proxy.json")).filter(|p| p.is_file()),
        ..Options::default()
    }
}

fn deployed(dir: &Path, abi: &Path) -> Report {
    let code = Artifact::load(dir.join("code.json")).unwrap();
    let abi = Artifact::load(abi).unwrap();
    let runtime = code.deployed_bytecode.as_ref().unwrap();
    let mut diff = ContractDiff {
        name: abi.name.clone(),
        old_name: None,
        old: Some(code.path.clone()),
        new: Some(abi.path.clone()),
        changes: check_deployed(runtime, &abi.abi),
        ignored: vec![],
        storage_compared: false,
    };
    options(dir, false).config.apply(&mut diff);
    Report { contracts: vec![diff] }
}

fn run(dir: &Path) -> Report {
    if dir.join("code.json").is_file() {
        return deployed(dir, &dir.join("new.json"));
    }
    diff::diff_paths(&side(dir, "old"), &side(dir, "new"), &options(dir, true))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// Output with the fixture folder stripped from paths, so snapshots are portable.
fn portable(text: String, dir: &Path) -> String {
    text.replace(&format!("{}/", dir.display()), "")
}

fn check_snapshot(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("MOLT_BLESS").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        failures.push(format!(
            "{} differs (rerun with MOLT_BLESS=1 to update)\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        ));
    }
}

#[test]
fn every_fixture_matches_its_snapshot() {
    let root = fixtures();
    let mut failures = Vec::new();
    for rule in RULES {
        let dir = root.join(rule.id);
        assert!(dir.is_dir(), "kind `{}` has no fixture folder {}", rule.id, dir.display());
        let report = run(&dir);
        let kinds: Vec<_> =
            report.contracts.iter().flat_map(|c| &c.changes).map(|c| c.kind).collect();
        assert!(
            kinds.contains(&rule.kind),
            "fixture {} reports no `{}`: {kinds:?}",
            rule.id,
            rule.id
        );
        check_snapshot(
            &dir.join("expected.json"),
            &portable(render::json(&report), &dir),
            &mut failures,
        );
        check_snapshot(
            &dir.join("expected.txt"),
            &portable(render::text(&report), &dir),
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn identical_inputs_yield_no_finding() {
    let root = fixtures();
    for rule in RULES {
        let dir = root.join(rule.id);
        let reports: Vec<Report> = if dir.join("code.json").is_file() {
            vec![deployed(&dir, &dir.join("code.json"))]
        } else {
            ["old", "new"]
                .iter()
                .map(|s| {
                    let p = side(&dir, s);
                    diff::diff_paths(&p, &p, &options(&dir, false)).unwrap()
                })
                .collect()
        };
        for r in reports {
            let found: Vec<_> = r.contracts.iter().flat_map(|c| &c.changes).collect();
            assert!(found.is_empty(), "{}: identical inputs reported {found:#?}", rule.id);
        }
    }
}

#[test]
fn every_fixture_folder_is_a_kind() {
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            RULES.iter().any(|r| r.id == name),
            "fixtures/diff/{name} is not a kind of the catalog"
        );
    }
}

#[test]
fn docs_list_every_kind() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diff.md");
    let docs = std::fs::read_to_string(&docs).unwrap();
    for rule in RULES {
        assert!(
            docs.contains(&format!("| `{}` |", rule.id)),
            "docs/diff.md does not list `{}`",
            rule.id
        );
    }
}
