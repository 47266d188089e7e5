//! `molt migrate`: run (or resume) a migration.

use std::{io::IsTerminal, time::Duration};

use clap::Args;
use eyre::{Result, WrapErr, eyre};
use molt_migrate::{
    Manifest, rehearsal,
    run::{self, RunOptions},
};

use crate::{
    connect,
    exit::Outcome,
    hint::Hint,
    migration::{
        SafetyOpts, describe_pause, hint_for, load_manifest, print_report, signing_sender,
        with_hint,
    },
    opts::{GlobalOpts, ManifestOpts, RpcOpts, WalletOpts},
    progress::Progress,
};

/// Arguments of `molt migrate`.
#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    #[command(flatten)]
    pub(crate) manifest: ManifestOpts,
    #[command(flatten)]
    pub(crate) rpc: RpcOpts,
    #[command(flatten)]
    pub(crate) wallet: WalletOpts,
    /// Do not ask for confirmation (it is not asked on a local anvil: chain 31337 at a loopback
    /// address).
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Let the named `[[check]]` fail (repeatable), e.g. `--allow-check active-jobs`.
    #[arg(long = "allow-check", value_name = "NAME")]
    pub(crate) allow_check: Vec<String>,
    /// Leave the migration phase open after a verification that passed.
    #[arg(long)]
    pub(crate) no_finalize: bool,
    /// Seconds to wait for one transaction's receipt.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub(crate) receipt_timeout: u64,
    #[command(flatten)]
    pub(crate) safety: SafetyOpts,
    /// Send without first rehearsing the pauses, funds, first batches and finalize on a local
    /// anvil fork. Not recommended: a step that would revert is then found on the chain, after
    /// the old contracts were paused.
    #[arg(long)]
    pub(crate) skip_preflight: bool,
    /// Go on with a manifest changed since the run started, when only `[batch]`, `[network]`,
    /// `[[check]]` or `[diff]` changed (nothing already sent depends on them).
    #[arg(long)]
    pub(crate) adopt_manifest: bool,
    /// With a Safe owner (`[governance]`): poll until the Safe executes the owner phase instead
    /// of stopping when it has not yet.
    #[arg(long)]
    pub(crate) wait: bool,
    /// How long `--wait` polls at most.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS", requires = "wait")]
    pub(crate) wait_timeout: u64,
}

impl MigrateArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let manifest = load_manifest(&self.manifest)?;
        let (url, provider, sender) = signing_sender(&manifest, &self.rpc, &self.wallet).await?;
        let progress = Progress::new(global);

        // Refused before the operator is asked to confirm anything.
        molt_migrate::run::check_migrator(&manifest, sender.address())?;
        if !self.yes && connect::not_local_anvil(&url, &provider).await.is_some() {
            confirm(&manifest, sender.address())?;
        }
        // Absolute, so that the journal's backup path works from any folder later.
        let dir = manifest
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let backup_dir = std::fs::canonicalize(dir)
            .wrap_err_with(|| format!("cannot resolve {}", dir.display()))?;
        let mut opts = RunOptions::new(self.manifest.journal_path(), backup_dir);
        opts.allow_checks = self.allow_check.clone();
        opts.receipt_timeout = Duration::from_secs(self.receipt_timeout);
        opts.finalize = !self.no_finalize;
        opts.preflight = (!self.skip_preflight).then(|| rehearsal::preflight_at(url));
        opts.adopt_manifest = self.adopt_manifest;
        opts.wait = self.wait.then(|| Duration::from_secs(self.wait_timeout));
        self.safety.apply(&mut opts);
        let report = match run::run(&manifest, &sender, &opts, &progress).await {
            Ok(run::Outcome::Done(report)) => report,
            Ok(run::Outcome::Waiting(w)) => return print_waiting(global, &progress, &w),
            Err(e) => {
                let back = super::rollback::hint(&manifest, &self.manifest);
                return Err(after_failure(e, &opts, &manifest, &provider, back).await);
            }
        };
        print_report(global, &progress, &report)?;
        if !report.verified {
            let back = super::rollback::hint(&manifest, &self.manifest);
            eprintln!(
                "hint: nothing was finalized; find the cause with `molt verify`{}",
                back.map(|b| format!("; {b}")).unwrap_or_default()
            );
        }
        Ok(if report.verified { Outcome::Ok } else { Outcome::Problems })
    }
}

/// A run stopped at an owner phase: what to sign (`molt.waiting/1` with `--json`); exit 0.
fn print_waiting(
    global: &GlobalOpts,
    progress: &Progress,
    w: &molt_migrate::owner::Waiting,
) -> Result<Outcome> {
    progress.finish();
    if global.json {
        let doc = serde_json::json!({
            "schema": "molt.waiting/1",
            "phase": w.phase,
            "safe": format!("{:#x}", w.safe),
            "nonce": w.nonce,
            "safe_tx_hash": w.safe_tx_hash,
            "batch": w.batch,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!("{}", w.summary());
        println!(
            "  then run molt migrate again (or with --wait) to go on; molt status shows this phase"
        );
    }
    Ok(Outcome::Ok)
}

/// A failed run's error with its hint; a run that stopped after sending says what state the
/// old contracts are in, as read from the node now (not assumed).
async fn after_failure(
    e: molt_migrate::Error,
    opts: &RunOptions,
    manifest: &Manifest,
    provider: &alloy::providers::DynProvider,
    rollback: Option<String>,
) -> eyre::Report {
    // Refused before the journal was written: nothing was sent, the hint alone says it all.
    if !opts.journal.exists() || matches!(e, molt_migrate::Error::Journal(_)) {
        return with_hint(e, opts);
    }
    let read = molt_migrate::paused::pause_state(provider, manifest);
    let state = tokio::time::timeout(Duration::from_secs(5), read).await.ok();
    let mut hint = match hint_for(&e, opts) {
        Some(h) => format!("{h} ({})", describe_pause(state.as_ref())),
        None => describe_pause(state.as_ref()),
    };
    if let Some(back) = rollback {
        hint.push_str(&format!("; {back}"));
    }
    eyre!(e).wrap_err(Hint(hint))
}

/// What the run will do, from the manifest alone, for the operator to confirm.
fn what_will_be_sent(manifest: &Manifest, sender: alloy::primitives::Address) -> String {
    let list = |names: Vec<&str>| if names.is_empty() { "none".into() } else { names.join(", ") };
    let pauses = list(manifest.pause.iter().map(|p| p.contract.as_str()).collect());
    let funds = list(manifest.funds.iter().map(|f| f.name.as_str()).collect());
    let components = list(manifest.components.iter().map(|c| c.name.as_str()).collect());
    let finalize = list(manifest.finalize.iter().map(|f| f.contract.as_str()).collect());
    if let Some(safe) = molt_migrate::owner::safe_owner(manifest) {
        return format!(
            "Migrate on chain {}, importing as {sender}; the Safe {safe} signs the rest:\n  Safe phase open  (exported, not sent): pause {pauses}; move funds {funds}; grant the migrator's role\n  import           {components} (sent by {sender})\n  Safe phase close (exported after verification passes): finalize {finalize} (irreversible); revoke the role\n",
            manifest.network.chain_id
        );
    }
    format!(
        "Migrate on chain {}, signing as {sender}:\n  pause      {pauses}\n  move funds {funds}\n  import     {components}\n  finalize   {finalize} (after verification passes; irreversible)\n",
        manifest.network.chain_id
    )
}

fn confirm(manifest: &Manifest, sender: alloy::primitives::Address) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(eyre!("refusing to send transactions without confirmation")
            .wrap_err(Hint("pass --yes to migrate non-interactively".into())));
    }
    eprint!("{}Type 'yes' to continue: ", what_will_be_sent(manifest, sender));
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).wrap_err("cannot read the answer")?;
    if answer.trim() != "yes" {
        return Err(eyre!("not confirmed; nothing was sent"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_names_what_is_paused_moved_imported_and_finalized() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/manifests/fabstir.toml");
        let manifest = Manifest::load(path).unwrap();
        let text = what_will_be_sent(&manifest, alloy::primitives::Address::repeat_byte(0x11));
        assert_eq!(
            text,
            "Migrate on chain 31337, signing as 0x1111111111111111111111111111111111111111:\n  \
             pause      registry_v1, jobs_v1, escrow_v1\n  \
             move funds stakes, escrow\n  \
             import     nodes, jobs, deposits\n  \
             finalize   registry_v2, jobs_v2, escrow_v2 (after verification passes; irreversible)\n"
        );
    }

    #[test]
    fn with_a_safe_owner_the_confirmation_says_what_the_safe_signs() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/manifests/fabstir.toml");
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace("../../out/", concat!(env!("CARGO_MANIFEST_DIR"), "/../../out/"))
            + "\n[governance]\nowner = { safe = \"0x2222222222222222222222222222222222222222\" }\n";
        let copy = dir.path().join("molt.toml");
        std::fs::write(&copy, text).unwrap();
        let manifest = Manifest::load(&copy).unwrap();
        let text = what_will_be_sent(&manifest, alloy::primitives::Address::repeat_byte(0x11));
        assert!(
            text.contains("the Safe 0x2222222222222222222222222222222222222222 signs the rest"),
            "{text}"
        );
        assert!(
            text.contains(
                "Safe phase open  (exported, not sent): pause registry_v1, jobs_v1, escrow_v1"
            ),
            "{text}"
        );
        assert!(text.contains("finalize registry_v2, jobs_v2, escrow_v2 (irreversible)"), "{text}");
    }
}
