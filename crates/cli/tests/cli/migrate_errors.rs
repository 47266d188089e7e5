//! Bad input: each case gives one clear error naming the cause, exit code 2, and sends nothing.
//! (An unreachable node is not bad input: it exits 3, see exit_codes.rs.)

use crate::common::{Project, refusal, refused, run};

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/// anvil's dev account #5, which owns nothing.
const STRANGER_KEY: &str = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

/// One bad input: the manifest edited (`from` → `to`, once) and extra arguments.
struct Case {
    name: &'static str,
    edit: Option<(String, String)>,
    args: &'static [&'static str],
    /// What the error must say.
    want: Vec<String>,
}

impl Case {
    fn edit(name: &'static str, from: &str, to: &str, want: &[&str]) -> Self {
        let want = want.iter().map(|w| (*w).to_owned()).collect();
        Self { name, edit: Some((from.into(), to.into())), args: &[], want }
    }
}

fn cases(text: &str) -> Vec<Case> {
    let batch_line = text.lines().position(|l| l.starts_with("[batch]")).unwrap() + 1;
    let registry_v2 = crate::common::address_of(text, "registry_v2");
    let nowhere = "0x00000000000000000000000000000000DeaDBeef";
    vec![
        Case::edit(
            "malformed TOML: file and line",
            "[batch]",
            "[batch]\nthis is not toml",
            &[&format!("molt.toml:{}:", batch_line + 1)],
        ),
        Case::edit(
            "unknown contract name",
            "contract = \"jobs_v1\"\nfunction",
            "contract = \"jobz_v1\"\nfunction",
            &["unknown contract `jobz_v1`"],
        ),
        Case::edit(
            "unknown function name, with a suggestion",
            "count = \"getTotalNodes\"",
            "count = \"getTotalNode\"",
            &["has no function `getTotalNode`", "did you mean `getTotalNodes`"],
        ),
        // V2's jobs ABI replaced by V1's, which has no import function.
        Case::edit(
            "ABI mismatch",
            "JobMarketplaceV2.sol/JobMarketplaceV2.json",
            "JobMarketplaceV1.sol/JobMarketplaceV1.json",
            &["`jobs_v2`", "JobMarketplaceV1.json) has no function"],
        ),
        Case::edit(
            "wrong chain",
            "chain_id = 31337",
            "chain_id = 1",
            &["the manifest is for chain 1 but the node is chain 31337"],
        ),
        Case::edit(
            "no code at an address",
            &registry_v2,
            nowhere,
            &[&format!("no contract code at {nowhere}"), "registry_v2"],
        ),
        Case {
            name: "missing role: a key that owns nothing",
            edit: None,
            args: &["--private-key", STRANGER_KEY],
            want: vec!["may not call `pause()`".into(), "OwnableUnauthorizedAccount".into()],
        },
    ]
}

/// Runs `molt plan` and `molt migrate --yes` on the project with `case` applied: both must
/// refuse it the same way (an operator rehearses first). What is wrong, if anything.
fn check(project: &Project, case: &Case) -> Result<(), String> {
    if let Some((from, to)) = &case.edit {
        project.edit(from, to);
    }
    let want: Vec<&str> = case.want.iter().map(String::as_str).collect();
    let planned = refusal(project.molt().arg("plan").args(case.args), &want)
        .map_err(|why| format!("molt plan: {why}"));
    let result = planned
        .and_then(|_| refusal(project.molt().args(["migrate", "--yes"]).args(case.args), &want));
    project.restore();
    result.map(drop)
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_manifests_and_keys_are_refused_before_anything_is_sent() {
    let project = Project::seeded(6, 12, 6).await;
    let before = project.untouched().await;
    let failed: Vec<String> = cases(project.seeded_text())
        .iter()
        .filter_map(|case| {
            check(&project, case).err().map(|why| format!("case `{}`: {why}", case.name))
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    project.assert_untouched_since(before).await;
    assert!(!project.journal_path().exists(), "a refused run wrote a journal");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_of_a_manifest_whose_batch_settings_changed_needs_adopt_manifest() {
    let project = Project::seeded(3, 4, 2).await;
    let before = project.untouched().await;
    let crashed =
        run(project.molt().env("MOLT_TEST_CRASH_AT", "prepared:1").args(["migrate", "--yes"]));
    assert!(!crashed.status.success());
    project.edit("gas_margin = 1.2", "gas_margin = 1.3");
    refused(
        project.molt().args(["migrate", "--yes"]),
        &["the manifest changed since the run started: batch", "--adopt-manifest"],
    );
    // (the crashed run journaled its first transaction but never broadcast it)
    project.assert_untouched_since(before).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_that_cannot_pay_for_the_run_is_refused() {
    let project = Project::seeded(3, 4, 2).await;
    project.devnet.anvil_call("anvil_setBalance", (DEV0, "0x10")).await.unwrap();
    let before = project.untouched().await;
    refused(project.molt().args(["migrate", "--yes"]), &["holds 16 wei but the run needs about"]);
    project.assert_untouched_since(before).await;
}
