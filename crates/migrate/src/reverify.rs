//! Verifying a migration any time later (`molt verify`): choosing the snapshot to compare
//! against and the import order to fold, then [`crate::verify::verify`].

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy::providers::{DynProvider, Provider};
use serde::Serialize;

use crate::{
    Error, Result,
    events::Observer,
    journal::{self, Entry, Journal},
    manifest::Manifest,
    snapshot::Snapshot,
    verify::{self, ComponentCheck, FundsCheck},
};

/// Where the source records come from.
#[derive(Debug, Clone)]
pub enum SnapshotSource {
    /// The backup the journal's snapshot line names.
    Journal,
    /// This backup file.
    Backup(PathBuf),
    /// The old contracts, read again at this block.
    Block(u64),
}

/// `molt.verify/1`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// `molt.verify/1`.
    pub schema: &'static str,
    /// The node's chain.
    pub chain_id: u64,
    /// The block of the snapshot compared against.
    pub snapshot_block: u64,
    /// Per component.
    pub components: Vec<ComponentCheck>,
    /// Per funds move and token.
    pub funds: Vec<FundsCheck>,
    /// Whether everything matched.
    pub verified: bool,
    /// The first mismatch, for a person.
    pub mismatch: Option<String>,
}

/// Verifies the target of `manifest` against the snapshot from `source`, with the import order
/// of the journal at `journal` when it exists and was written for that snapshot.
pub async fn reverify(
    provider: &DynProvider,
    manifest: &Manifest,
    journal: &Path,
    source: SnapshotSource,
    obs: &dyn Observer,
) -> Result<VerifyReport> {
    let chain_id = provider.get_chain_id().await.map_err(molt_chain::Error::from)?;
    if chain_id != manifest.network.chain_id {
        return Err(Error::ChainMismatch { expected: manifest.network.chain_id, got: chain_id });
    }
    let entries = if journal.exists() { Journal::read(journal)? } else { Vec::new() };
    let snapshot = match source {
        SnapshotSource::Backup(path) => Snapshot::read_backup(manifest, &path)?,
        SnapshotSource::Block(block) => Snapshot::take(provider, manifest, chain_id, block).await?,
        SnapshotSource::Journal => {
            let backup = journaled_backup(&entries).ok_or(Error::NoSnapshot)?;
            Snapshot::read_backup(manifest, &backup)?
        }
    };
    if snapshot.chain_id != chain_id {
        return Err(Error::BackupChain { backup: snapshot.chain_id, node: chain_id });
    }
    let order = import_order(&entries, &snapshot)?;
    let v = verify::verify(provider, manifest, &snapshot, &order, obs).await?;
    Ok(VerifyReport {
        schema: "molt.verify/1",
        chain_id,
        snapshot_block: snapshot.block,
        components: v.components,
        funds: v.funds,
        verified: v.ok,
        mismatch: v.mismatch,
    })
}

fn journaled_backup(entries: &[Entry]) -> Option<PathBuf> {
    journal::snapshot(entries).map(|s| s.backup.to_path_buf())
}

/// The import order from the journal (batches by nonce, adopted records) when it was written
/// for this snapshot, after checking the snapshot is the one it recorded; snapshot order (empty)
/// for another snapshot or without a journal.
fn import_order(entries: &[Entry], snapshot: &Snapshot) -> Result<BTreeMap<String, Vec<u64>>> {
    match journal::snapshot(entries) {
        Some(recorded) if recorded.block == snapshot.block => {
            snapshot.check_recorded(recorded.components).map_err(|reason| Error::Backup {
                path: recorded.backup.to_path_buf(),
                reason: format!("it does not match the journal's snapshot: {reason}"),
            })?;
            Ok(journal::import_order(entries))
        }
        _ => Ok(BTreeMap::new()),
    }
}
