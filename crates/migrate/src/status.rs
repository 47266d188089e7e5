//! Where a run stands, from its journal alone (no network): the `molt.status/1` document.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy::primitives::{Address, B256};
use serde::Serialize;

use crate::journal::{self, Entry, JournalError, Step};

/// `molt.status/1`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// `molt.status/1`.
    pub schema: &'static str,
    /// The journal file.
    pub journal: PathBuf,
    /// The same: the journal's old name, kept for readers of `molt.status/1`.
    pub checkpoint: PathBuf,
    /// Where the run stands, for people and scripts.
    pub phase: Phase,
    /// The chain, from the header.
    pub chain_id: u64,
    /// The manifest's hash, from the header.
    pub manifest_hash: B256,
    /// The signing account, from the header.
    pub sender: Address,
    /// The snapshot's block, once taken.
    pub snapshot_block: Option<u64>,
    /// The data backup, once written.
    pub backup: Option<PathBuf>,
    /// Per component of the snapshot (empty before it).
    pub components: Vec<ComponentStatus>,
    /// Transactions whose outcome the journal does not know yet.
    pub pending: Vec<PendingTx>,
    /// The last verification's outcome, if one ran.
    pub verified: Option<bool>,
    /// Whether the migration phase was ended.
    pub finalized: bool,
    /// The owner phase the run waits for the Safe to execute (`[governance]` with a Safe
    /// owner), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<crate::owner::Waiting>,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Started, before the snapshot.
    #[serde(rename = "started (before the snapshot)")]
    Started,
    /// Snapshot taken, records being imported.
    #[serde(rename = "migrating")]
    Migrating,
    /// The last verification failed.
    #[serde(rename = "verification failed")]
    VerificationFailed,
    /// Verified, migration phase still open.
    #[serde(rename = "verified, not finalized")]
    Verified,
    /// Finalized.
    #[serde(rename = "finalized")]
    Finalized,
    /// Stopped until the Safe executes an owner phase.
    #[serde(rename = "waiting for the Safe")]
    WaitingForSafe,
    /// `molt rollback` started and did not finish (run it again).
    #[serde(rename = "rolling back")]
    RollingBack,
    /// Rolled back: the new contracts are abandoned for this run.
    #[serde(rename = "rolled back")]
    RolledBack,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_value(self).expect("phases serialize");
        f.write_str(text.as_str().expect("a string"))
    }
}

/// One component in the status.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentStatus {
    /// The component.
    pub name: String,
    /// Records to migrate.
    pub records: u64,
    /// Records in mined batches, and adopted from the target.
    pub migrated: u64,
    /// Batches mined.
    pub batches: u64,
    /// Batches whose outcome is unknown.
    pub pending_batches: u64,
    /// The snapshot's state hash.
    pub source_hash: B256,
}

/// A transaction the journal left pending.
#[derive(Debug, Clone, Serialize)]
pub struct PendingTx {
    /// Its step.
    pub step: String,
    /// Its hash.
    pub hash: B256,
    /// Its nonce.
    pub nonce: u64,
}

/// Per component: records migrated, batches mined, batches pending.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    migrated: u64,
    batches: u64,
    pending: u64,
}

/// The status of the journal at `path`, whose entries are `entries`.
pub fn status(path: &Path, entries: &[Entry]) -> Result<Status, JournalError> {
    let Some(Entry::Header { chain_id, manifest_hash, sender, .. }) = entries.first() else {
        return Err(JournalError::Inconsistent {
            path: path.into(),
            line: 1,
            reason: "it does not start with a molt journal header".into(),
        });
    };
    let snapshot = journal::snapshot(entries);
    let verified = journal::verified(entries);
    let finalized = journal::is_finalized(entries);
    let (counts, pending) = counts(entries);
    let components = snapshot
        .map(|s| {
            s.components
                .iter()
                .map(|(name, c)| {
                    let n = counts.get(name).copied().unwrap_or_default();
                    ComponentStatus {
                        name: name.clone(),
                        records: c.count,
                        migrated: n.migrated,
                        batches: n.batches,
                        pending_batches: n.pending,
                        source_hash: c.source_hash,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let waiting = crate::owner::waiting_any(entries);
    let phase = match (finalized, verified, snapshot.is_some()) {
        _ if crate::journal::is_rolled_back(entries) => Phase::RolledBack,
        _ if waiting.is_some() => Phase::WaitingForSafe,
        _ if crate::journal::rollback_started(entries) => Phase::RollingBack,
        (true, _, _) => Phase::Finalized,
        (false, Some(true), _) => Phase::Verified,
        (false, Some(false), _) => Phase::VerificationFailed,
        (false, None, true) => Phase::Migrating,
        (false, None, false) => Phase::Started,
    };
    Ok(Status {
        schema: "molt.status/1",
        journal: path.into(),
        checkpoint: path.into(),
        phase,
        chain_id: *chain_id,
        manifest_hash: *manifest_hash,
        sender: *sender,
        snapshot_block: snapshot.map(|s| s.block),
        backup: snapshot.map(|s| s.backup.to_path_buf()),
        components,
        pending,
        verified,
        finalized,
        waiting,
    })
}

/// Per component, what the journal's steps and adopted records add up to; and the pending
/// transactions.
fn counts(entries: &[Entry]) -> (BTreeMap<String, Counts>, Vec<PendingTx>) {
    let mut per: BTreeMap<String, Counts> = BTreeMap::new();
    let mut pending = Vec::new();
    for (step, m) in journal::mined(entries) {
        if let (true, Some((a, b)), Some(c)) = (m.success, m.range, Step::batch_component(&step)) {
            let n = per.entry(c).or_default();
            n.migrated += b - a;
            n.batches += 1;
        }
    }
    for (step, p) in journal::pending(entries) {
        if let Some(c) = Step::batch_component(&step) {
            per.entry(c).or_default().pending += 1;
        }
        pending.push(PendingTx { step, hash: p.hash, nonce: p.nonce });
    }
    // Records found in the target and adopted by the journal count as migrated.
    for e in entries {
        if let Entry::Adopted { component, ranges } = e {
            per.entry(component.clone()).or_default().migrated +=
                ranges.iter().map(|(a, b)| b.saturating_sub(*a)).sum::<u64>();
        }
    }
    (per, pending)
}
