//! Bad settings in the manifest (issue #14): each is refused at load with one error at its own
//! line, reason first, exit code 2, and nothing is sent (the signer's nonce is unchanged, no
//! block is mined, V1 is not paused).

use crate::common::{Project, address_of, run, stderr};

/// One bad edit of the seeded manifest.
struct Case {
    name: &'static str,
    from: String,
    to: String,
    /// The start of the line the error must point at, in the edited manifest.
    at: String,
    /// What the error must say.
    want: Vec<String>,
}

impl Case {
    fn new(name: &'static str, from: &str, to: &str, at: &str, want: &[&str]) -> Self {
        Self {
            name,
            from: from.into(),
            to: to.into(),
            at: at.into(),
            want: want.iter().map(|w| (*w).to_owned()).collect(),
        }
    }
}

/// `address` with the case of its first letter flipped: a wrong EIP-55 checksum.
fn miscased(address: &str) -> String {
    let i = address[2..].find(|c: char| c.is_ascii_alphabetic()).expect("a letter in the address");
    let mut s = address.to_owned();
    let c = s.as_bytes()[i + 2] as char;
    let flipped =
        if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() };
    s.replace_range(i + 2..i + 3, &flipped.to_string());
    s
}

fn cases(text: &str) -> Vec<Case> {
    let budget = "`gas_budget = {}` is out of range: it must be from 100,000 gas (what any import batch needs) to 16,777,216 gas (the EIP-7825 per-transaction cap)";
    let margin = "is out of range: it must be a finite number from 1.0 to 3.0";
    let registry_v1 = address_of(text, "registry_v1");
    let bad = miscased(&registry_v1);
    let checksum = format!(
        "`{bad}` has a wrong EIP-55 checksum (a mistyped character?); the checksummed form of this address is `{registry_v1}`"
    );
    let jobs_v1 = address_of(text, "jobs_v1");
    let jobs_v2 = address_of(text, "jobs_v2");
    let shared = "`jobs_v2` has the same address as `jobs_v1`";
    let inflight = "max_in_flight = 4";
    vec![
        Case::new(
            "gas_budget = 0",
            inflight,
            "max_in_flight = 4\ngas_budget = 0",
            "gas_budget = 0",
            &[&budget.replace("{}", "0")],
        ),
        Case::new(
            "gas_budget = 1000",
            inflight,
            "max_in_flight = 4\ngas_budget = 1000",
            "gas_budget = 1000",
            &[&budget.replace("{}", "1000")],
        ),
        Case::new(
            "gas_margin = nan",
            "gas_margin = 1.2",
            "gas_margin = nan",
            "gas_margin",
            &["`gas_margin = NaN`", margin],
        ),
        Case::new(
            "gas_margin = inf",
            "gas_margin = 1.2",
            "gas_margin = inf",
            "gas_margin",
            &["`gas_margin = inf`", margin],
        ),
        Case::new(
            "max_in_flight = 0",
            inflight,
            "max_in_flight = 0",
            "max_in_flight",
            &["`max_in_flight = 0` is out of range: it must be at least 1"],
        ),
        Case::new("wrong checksum", &registry_v1, &bad, "registry_v1 ", &[&checksum]),
        Case::new("two contracts, one address", &jobs_v1, &jobs_v2, "jobs_v2 ", &[shared]),
        Case::new(
            "governance owner with a wrong checksum",
            "[[finalize]]",
            &format!("[governance]\nowner = {{ safe = \"{bad}\" }}\n\n[[finalize]]"),
            "owner =",
            &[&checksum],
        ),
        Case::new(
            "$migrator without a migrator",
            "[[finalize]]",
            &format!(
                "[governance]\nowner = {{ safe = \"{registry_v1}\" }}\n\n[[governance.grant]]\ncontract = \"registry_v2\"\nfunction = \"grantRole\"\nargs = [\"0x600e5f1c60beb469a3fa6dd3814a4ae211cc6259a6d033bae218a742f2af01d3\", \"$migrator\"]\n\n[[finalize]]"
            ),
            "args = ",
            &["`$migrator` needs `migrator = \"0x…\"` in `[governance]`"],
        ),
        Case::new(
            "governance owner neither a safe nor an account",
            "[[finalize]]",
            &format!("[governance]\nowner = {{ multisig = \"{registry_v1}\" }}\n\n[[finalize]]"),
            "owner =",
            &["unknown field `multisig`"],
        ),
    ]
}

/// Runs `molt migrate --yes` on the manifest edited as `case` says; what is wrong, if anything.
fn check(project: &Project, case: &Case) -> Result<(), String> {
    project.edit(&case.from, &case.to);
    let edited = project.manifest_text();
    let line = edited.lines().position(|l| l.starts_with(&case.at)).ok_or("no line to point at")?;
    let out = run(project.molt().args(["migrate", "--yes"]));
    let stderr = stderr(&out);
    if out.status.code() != Some(2) {
        return Err(format!("exit {:?}, expected 2; stderr:\n{stderr}", out.status.code()));
    }
    let first = stderr.lines().next().unwrap_or_default();
    let at = format!("error: molt.toml:{}:", line + 1);
    if !first.starts_with(&at) {
        return Err(format!("the first line does not start with `{at}`:\n{stderr}"));
    }
    if let Some(w) = case.want.iter().find(|w| !first.contains(w.as_str())) {
        return Err(format!("the first line does not say `{w}`:\n{stderr}"));
    }
    if stderr.lines().filter(|l| l.starts_with("error: ")).count() != 1 {
        return Err(format!("not exactly one error:\n{stderr}"));
    }
    if !stderr.contains("\nhint: see docs/manifest.md") {
        return Err(format!("the docs pointer is not the hint:\n{stderr}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_settings_are_refused_at_their_line_and_nothing_is_sent() {
    let project = Project::seeded(3, 4, 2).await;
    let before = project.untouched().await;

    let mut failed = Vec::new();
    for case in cases(project.seeded_text()) {
        if let Err(why) = check(&project, &case) {
            failed.push(format!("case `{}`: {why}", case.name));
        }
        project.restore();
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));

    project.assert_untouched_since(before).await;
    assert!(!project.journal_path().exists(), "a journal was written");
}
