//! The first real oracle of the differ: `molt diff` on the compiled Fabstir V1/V2 contracts
//! reports exactly the ABI changes listed in `contracts/README.md`, with the right kinds, and
//! nothing else.

use std::{collections::BTreeSet, path::PathBuf};

use crate::common::{molt, run, stderr};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `(kind, item)` rows of the README table under `### <old> → <new>`.
fn documented(old: &str, new: &str) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(root().join("contracts/README.md")).unwrap();
    let heading = format!("### {old} → {new}");
    let section = text
        .split(&heading)
        .nth(1)
        .unwrap_or_else(|| panic!("no `{heading}` in contracts/README.md"));
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| !l.starts_with("| Kind") && !l.starts_with("|---"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let item = cells[2].split('`').nth(1).unwrap_or_else(|| panic!("no item in `{l}`"));
            (cells[1].to_owned(), item.to_owned())
        })
        .collect()
}

fn reported(old: &str, new: &str) -> BTreeSet<(String, String)> {
    let artifact = |c: &str| root().join(format!("out/{c}.sol/{c}.json"));
    let out = run(molt().args(["diff", "--format", "json"]).arg(artifact(old)).arg(artifact(new)));
    assert_eq!(out.status.code(), Some(1), "V1 → V2 breaks: exit 1\n{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema"], "molt.diff/1");
    json["contracts"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].as_str().unwrap().to_owned(), c["item"].as_str().unwrap().to_owned()))
        // The README documents storage changes in prose (the V2 contracts are new deployments).
        .filter(|(kind, _)| !kind.starts_with("storage_"))
        .collect()
}

#[test]
fn molt_diff_finds_exactly_the_documented_fabstir_changes() {
    for (old, new, count) in [
        ("NodeRegistryV1", "NodeRegistryV2", 48),
        ("JobMarketplaceV1", "JobMarketplaceV2", 34),
        ("PaymentEscrowV1", "PaymentEscrowV2", 43),
    ] {
        let want = documented(old, new);
        assert_eq!(want.len(), count, "{old}: the README table has {} rows", want.len());
        let got = reported(old, new);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{old} → {new}\n  documented but not found: {missing:#?}\n  found but not documented: {extra:#?}"
        );
    }
}
