//! `molt rollback --plan`: the rollback rehearsed on a local anvil fork of the node; nothing
//! reaches the node.

use std::io::Write;

use molt_chain::Sender;

use super::{RollbackOptions, RollbackReport, rollback};
use crate::{
    Error, Result,
    events::Observer,
    journal::{Entry, Journal},
    manifest::Manifest,
    rehearsal::fork,
};

/// A rollback rehearsed on a fork.
#[derive(Debug)]
pub struct RollbackPlan {
    /// The block the fork was taken at.
    pub block: u64,
    /// The rollback's report on the fork (its `chain_id` is the fork's).
    pub report: RollbackReport,
    /// Every transaction it sent there (journal step, gas used).
    pub txs: Vec<(String, u64)>,
}

/// Rolls back, on a fork of the node at `url`, the run whose journal is `opts.journal`: a
/// copy of the journal (its header on the fork's chain id) is rolled back there, signed as
/// `real` would sign.
pub async fn rehearse(
    manifest: &Manifest,
    real: &Sender,
    url: &str,
    opts: &RollbackOptions,
    obs: &dyn Observer,
) -> Result<RollbackPlan> {
    let entries = super::read_journal(opts)?;
    let fork = fork(manifest, real, url).await?;
    let dir =
        tempfile::tempdir().map_err(|source| Error::Io { path: std::env::temp_dir(), source })?;
    let journal = dir.path().join("rollback-rehearsal.molt-journal");
    write_on_chain(&journal, &entries, fork.sender.chain_id())?;
    let before = entries.len();
    let opts = RollbackOptions { journal: journal.clone(), rehearsal: true, ..opts.clone() };
    let block = fork.block;
    let report = rollback(&fork.manifest, &fork.sender, &opts, obs)
        .await
        .map_err(|e| Error::PreflightFailed { block, source: Box::new(e) })?;
    let txs = Journal::read(&journal)?
        .into_iter()
        .skip(before)
        .filter_map(|e| match e {
            Entry::TxMined { step, gas_used, success: true, .. } => Some((step, gas_used)),
            _ => None,
        })
        .collect();
    Ok(RollbackPlan { block, report, txs })
}

/// Writes `entries` to `path` with the header's chain id replaced by `chain_id`.
fn write_on_chain(path: &std::path::Path, entries: &[Entry], chain_id: u64) -> Result<()> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::create(path).map_err(io)?;
    for e in entries {
        let e = match e.clone() {
            Entry::Header { version, manifest_hash, sender, contracts, sections, .. } => {
                Entry::Header { version, manifest_hash, chain_id, sender, contracts, sections }
            }
            other => other,
        };
        let line = serde_json::to_string(&e).expect("journal entries serialize");
        writeln!(file, "{line}").map_err(io)?;
    }
    Ok(())
}
