//! What the migration commands (`plan`, `migrate`, `verify`, `demo`) share: loading the
//! manifest, the revert decoder, the safety flags, hints for engine errors, and the human form
//! of the run and plan reports.

use std::collections::BTreeMap;

use clap::Args;
use eyre::{Result, eyre};
use molt_chain::RevertDecoder;
use molt_migrate::{
    Manifest,
    plan::Plan,
    run::{Report, RunOptions},
};

use crate::{
    hint::Hint,
    opts::{GlobalOpts, ManifestOpts},
    progress::{Progress, group},
};

/// What a run may let through that it refuses by default.
#[derive(Debug, Clone, Args)]
pub(crate) struct SafetyOpts {
    /// Let the named component have no records, and finalize it so (repeatable). Without it an
    /// empty source is refused: it usually means a wrong address.
    #[arg(long = "allow-empty", value_name = "COMPONENT")]
    pub(crate) allow_empty: Vec<String>,
    /// Adopt records already on a target that no journal accounts for (an earlier run whose
    /// journal was lost): they are recognised by reading them back, and not sent again.
    #[arg(long)]
    pub(crate) adopt_existing: bool,
}

impl SafetyOpts {
    /// Copies these choices into run options.
    pub(crate) fn apply(&self, opts: &mut RunOptions) {
        opts.allow_empty = self.allow_empty.clone();
        opts.adopt_existing = self.adopt_existing;
    }
}

/// Loads a manifest. The error (`file:line:col: reason`) comes first; the hint is printed last.
pub(crate) fn load_manifest(opts: &ManifestOpts) -> Result<Manifest> {
    Manifest::load(&opts.manifest).map_err(|e| {
        let hint = if matches!(e, molt_migrate::Error::ManifestRead { .. }) {
            "run molt in the folder of molt.toml, or pass --manifest PATH (`molt demo --seed-only --out DIR` writes one)"
        } else {
            "see docs/manifest.md for the manifest format and the range of every setting"
        };
        eyre!(Hint(hint.into())).wrap_err(e)
    })
}

/// The node of `manifest` (or `--rpc-url`) and the signing sender on it, its reverts decoded
/// with the manifest's ABIs: what the commands that send share.
pub(crate) async fn signing_sender(
    manifest: &Manifest,
    rpc: &crate::opts::RpcOpts,
    wallet: &crate::opts::WalletOpts,
) -> Result<(String, alloy::providers::DynProvider, molt_chain::Sender)> {
    let (url, provider) =
        crate::connect::provider(rpc, manifest.network.rpc_url.as_deref()).await?;
    let signer = crate::connect::signer(wallet, &provider, &url).await?;
    let sender =
        crate::connect::sender(&provider, signer).await?.with_revert_decoder(decoder(manifest));
    Ok((url, provider, sender))
}

/// A revert decoder knowing every error of the manifest's contracts.
pub(crate) fn decoder(manifest: &Manifest) -> RevertDecoder {
    let mut d = RevertDecoder::new();
    for c in manifest.contracts.values() {
        d.add_abi(&c.abi);
    }
    d
}

/// What the old contracts' pause views say, for people.
pub(crate) fn describe_pause(state: Option<&BTreeMap<String, Option<bool>>>) -> String {
    let Some(state) = state else {
        return "whether the old contracts are paused could not be read from the node".into();
    };
    let with = |want: Option<bool>| -> Vec<&str> {
        state.iter().filter(|(_, p)| **p == want).map(|(c, _)| c.as_str()).collect()
    };
    let (paused, running, unknown) = (with(Some(true)), with(Some(false)), with(None));
    let mut parts = Vec::new();
    if !paused.is_empty() {
        parts.push(format!("paused now: {}", paused.join(", ")));
    }
    if !running.is_empty() {
        parts.push(format!("NOT paused now: {}", running.join(", ")));
    }
    if !unknown.is_empty() {
        parts.push(format!("unreadable: {}", unknown.join(", ")));
    }
    if parts.is_empty() {
        "no old contract is paused by this manifest".into()
    } else {
        parts.join("; ")
    }
}

/// The engine error with its hint attached.
pub(crate) fn with_hint(e: molt_migrate::Error, opts: &RunOptions) -> eyre::Report {
    match hint_for(&e, opts) {
        Some(h) => eyre!(e).wrap_err(Hint(h)),
        None => eyre!(e),
    }
}

/// What to do about an engine error.
pub(crate) fn hint_for(e: &molt_migrate::Error, opts: &RunOptions) -> Option<String> {
    use molt_migrate::{Error as E, journal::JournalError};
    match e {
        E::CheckFailed { name, .. } => Some(format!("fix the condition, or pass --allow-check {name} to migrate anyway")),
        E::Lock(molt_migrate::lock::LockError::Held { .. }) => Some("wait for that run to end (`molt status` shows where it stands) and run `molt migrate` again; the lock goes away by itself when its process ends, even when it is killed".into()),
        E::NonceRace { .. } => Some("stop the other process that signs with this key (or give each migration its own key), then run `molt migrate` again: it resumes from the journal".into()),
        E::Journal(JournalError::ManifestChanged { adoptable: true, .. }) => Some("run again with --adopt-manifest, or put the manifest back as it was".into()),
        E::Journal(JournalError::Mismatch { .. } | JournalError::ManifestChanged { .. }) => Some(format!("finish the run with the manifest it started with; or move the journal {} away and run again with --adopt-existing: what is already on the chain (pauses, funds, records) is recognised and not sent again", opts.journal.display())),
        E::MissingRole { .. } => Some("grant the signing account the role (or sign with the owner / migrator key)".into()),
        E::NotDispatched { .. } => Some("check the addresses in [contracts]: each must be the deployed contract of its role (and its ABI that contract's)".into()),
        E::EmptySource { component, .. } => Some(format!("check the source address; if the component really has no records, pass --allow-empty {component}")),
        E::KeysUnsupported { .. } => Some("list the keys in a file next to the manifest and use `keys = { file = \"keys.txt\" }` (one key per line, or a JSON array; see docs/manifest.md), or use a node that serves eth_getLogs".into()),
        E::KeysFromBlock { .. } => Some("set `from_block` to a block the node has (the source contract's deployment block scans least), or check that the node is on the right chain".into()),
        E::EmptyComponent { component } => Some(format!("pass --allow-empty {component} to finalize without any {component}, or --no-finalize to leave the migration phase open")),
        E::ExistingRecords { .. } => Some("if an earlier run of this migration imported them (its journal lost), pass --adopt-existing: they are read back and skipped; otherwise the target is not a fresh deployment".into()),
        // A rehearsal's revert: nothing was sent, so there is no journal to resume from.
        E::PreflightFailed { source, .. } => Some(match source.as_ref() {
            E::WouldRevert { .. } | E::TxReverted { .. } => "nothing was sent to the node: fix the cause (often the manifest: a missing `depends_on`, a filter, a scale) and run again".into(),
            other => match hint_for(other, opts) {
                Some(h) => format!("nothing was sent to the node; {h}"),
                None => "nothing was sent to the node: fix the cause (often the manifest) and run again".into(),
            },
        }),
        E::NoFork { .. } => Some("the preflight needs anvil (scripts/setup installs it) and a node it can fork; --skip-preflight sends without it (not recommended)".into()),
        E::WouldRevert { .. } => Some("fix the cause (often the manifest: --adopt-manifest takes changed batch settings) and run `molt migrate` again: it resumes from the journal".into()),
        E::Rollback(molt_migrate::rollback::RollbackError::RolledBack { finished: true, .. }) => Some(format!("redeploy the new contracts, put their addresses in the manifest's [contracts] and migrate again with a new journal (move {} away, or pass --journal NEW)", opts.journal.display())),
        E::Rollback(molt_migrate::rollback::RollbackError::RolledBack { finished: false, .. }) => Some("finish the rollback first: run `molt rollback` again (it resumes from the journal)".into()),
        E::TxReverted { .. } | E::Broadcast(_) | E::Chain(_) => Some("fix the cause and run `molt migrate` again: it resumes from the journal".into()),
        _ => None,
    }
}

/// Prints the report: JSON on stdout with `--json`, a summary otherwise.
pub(crate) fn print_report(global: &GlobalOpts, progress: &Progress, r: &Report) -> Result<()> {
    progress.finish();
    if global.json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    progress.say("");
    println!(
        "snapshot block {}  chain {}  backup {}",
        r.snapshot_block,
        r.chain_id,
        r.backup.display()
    );
    println!(
        "{:<10} {:>8} {:>8} {:>8} {:>8} {:>14}  verified",
        "component", "source", "migrated", "skipped", "batches", "gas"
    );
    for c in &r.components {
        println!(
            "{:<10} {:>8} {:>8} {:>8} {:>8} {:>14}  {}",
            c.name,
            c.source_count,
            c.migrated,
            c.skipped,
            c.batches,
            group(c.gas_used),
            if c.verified { "yes" } else { "NO" }
        );
        println!(
            "           source hash {}\n           target hash {}",
            c.source_hash, c.target_hash
        );
        if let Some(d) = c.onchain_digest {
            println!("           on-chain    {d}");
        }
        source_lines(c.filtered, c.read, c.keys_from.as_ref());
    }
    for f in &r.funds {
        println!(
            "funds {:<8} token {}  moved {}  credited {}  {}",
            f.name,
            f.token,
            f.moved,
            f.credited,
            if f.ok { "ok" } else { "MISMATCH" }
        );
    }
    println!(
        "{} transactions, {} gas, {:.1} s; verification {}{}",
        r.txs,
        group(r.gas_used),
        r.duration_ms as f64 / 1000.0,
        if r.verified { "passed" } else { "FAILED" },
        if r.finalized { ", migration finalized" } else { "" }
    );
    if let Some(m) = &r.mismatch {
        println!("first mismatch: {m}");
        let state = r.paused.iter().map(|(c, p)| (c.clone(), Some(*p))).collect();
        println!("nothing was finalized; {}", describe_pause(Some(&state)));
    }
    Ok(())
}

/// The per-component table of a plan.
pub(crate) fn print_plan(plan: &Plan) {
    println!(
        "plan for chain {} at block {} (rehearsed on a fork in {:.1} s)",
        plan.chain_id,
        plan.block,
        plan.elapsed.as_secs_f64()
    );
    println!(
        "{:<10} {:>8} {:>8} {:>16} {:>12}",
        "component", "records", "batches", "gas", "gas/record"
    );
    for c in &plan.components {
        println!(
            "{:<10} {:>8} {:>8} {:>16} {:>12}",
            c.name,
            c.records,
            c.batches,
            group(c.gas),
            group(c.gas_per_record.unwrap_or(0))
        );
        source_lines(c.filtered, c.records + c.filtered, c.keys_from.as_ref());
    }
}

/// Under a component's line: where its keys came from, and what the filter left out.
fn source_lines(
    filtered: u64,
    read: u64,
    keys_from: Option<&molt_migrate::component_snapshot::KeysFrom>,
) {
    if let Some(from) = keys_from {
        println!("           keys: {} {from}", group(read));
    }
    if filtered > 0 {
        println!("           filtered out {} of {} records read", group(filtered), group(read));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_state_is_said_as_read() {
        let state: BTreeMap<String, Option<bool>> = [
            ("escrow_v1".to_string(), Some(false)),
            ("jobs_v1".to_string(), Some(true)),
            ("registry_v1".to_string(), None),
        ]
        .into();
        assert_eq!(
            describe_pause(Some(&state)),
            "paused now: jobs_v1; NOT paused now: escrow_v1; unreadable: registry_v1"
        );
        assert!(describe_pause(None).contains("could not be read"));
    }
}
