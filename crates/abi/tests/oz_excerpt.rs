//! `molt diff` of a few Hardhat artifacts of `@openzeppelin/contracts` 4.9.6 and 5.0.2
//! (`fixtures/oz/`, trimmed as its README says) against the snapshots next to them. The whole
//! `build/contracts/` pair is diffed by the CLI test `openzeppelin_4_to_5_breaks_where_its_changelog_says`.
//! Set `MOLT_BLESS=1` to rewrite the snapshots after an intended change, then review the diff.

use std::path::{Path, PathBuf};

use molt_abi::diff::{self, Options, render};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/oz").canonicalize().unwrap()
}

#[test]
fn the_openzeppelin_excerpt_matches_its_snapshots() {
    let dir = dir();
    let report = diff::diff_paths(&dir.join("old"), &dir.join("new"), &Options::default()).unwrap();
    let portable = |text: String| text.replace(&format!("{}/", dir.display()), "");
    let mut failures = Vec::new();
    for (file, actual) in [
        ("expected.json", portable(render::json(&report))),
        ("expected.txt", portable(render::text(&report))),
    ] {
        let path = dir.join(file);
        if std::env::var_os("MOLT_BLESS").is_some() {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{} differs (rerun with MOLT_BLESS=1 to update)\n--- expected\n{expected}\n--- actual\n{actual}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
