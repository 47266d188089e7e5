//! What the journal's entries say about each step: which transactions are pending, which were
//! mined, which records were imported, and whether the run verified or finalized.

use std::{collections::BTreeMap, fmt, path::Path, str::FromStr};

use alloy::primitives::{B256, Bytes};

use super::{Entry, SnapshotComponent};

/// One logical transaction of a run. Its id in the journal is its [`Display`](fmt::Display)
/// form: `pause:<contract>`, `funds:<name>:<token>`, `batch:<component>:<start>-<end>`,
/// `finalize:<n>`, and the rollback's `unpause:<contract>`, `return:<name>:<token>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// Pausing a V1 contract (the manifest's contract name).
    Pause(String),
    /// Moving one token of a `[[funds]]` entry (`token` is `ETH` or an address).
    Funds {
        /// The funds entry's name.
        name: String,
        /// The token.
        token: String,
    },
    /// Importing records `[start, end)` of a component's filtered snapshot.
    Batch {
        /// The component.
        component: String,
        /// The first record's position.
        start: u64,
        /// One past the last record's position.
        end: u64,
    },
    /// The `n`-th `[[finalize]]` call (0-based).
    Finalize(usize),
    /// Rollback: lifting the pause of a V1 contract this run paused.
    Unpause(String),
    /// Rollback: returning one token of a `[[funds]]` move from the new contract to the old.
    Return {
        /// The funds entry's name.
        name: String,
        /// The token.
        token: String,
    },
}

impl Step {
    /// The component of a batch step.
    pub fn component(&self) -> Option<&str> {
        match self {
            Self::Batch { component, .. } => Some(component),
            _ => None,
        }
    }

    /// The record range of a batch step.
    pub fn range(&self) -> Option<(u64, u64)> {
        match self {
            Self::Batch { start, end, .. } => Some((*start, *end)),
            _ => None,
        }
    }

    /// The component of the batch step with this id (`None` for any other step, or an id that
    /// is not a step).
    pub fn batch_component(id: &str) -> Option<String> {
        id.parse::<Self>().ok()?.component().map(str::to_owned)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pause(contract) => write!(f, "pause:{contract}"),
            Self::Funds { name, token } => write!(f, "funds:{name}:{token}"),
            Self::Batch { component, start, end } => write!(f, "batch:{component}:{start}-{end}"),
            Self::Finalize(n) => write!(f, "finalize:{n}"),
            Self::Unpause(contract) => write!(f, "unpause:{contract}"),
            Self::Return { name, token } => write!(f, "return:{name}:{token}"),
        }
    }
}

/// A step id that is none of the known kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a step id (pause:<contract>, funds:<name>:<token>, batch:<component>:<start>-<end>, finalize:<n>, unpause:<contract>, return:<name>:<token>)"
)]
pub struct UnknownStep(pub String);

impl FromStr for Step {
    type Err = UnknownStep;

    fn from_str(id: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownStep(id.to_owned());
        let (kind, rest) = id.split_once(':').ok_or_else(unknown)?;
        let step = match kind {
            "pause" if !rest.is_empty() => Self::Pause(rest.to_owned()),
            "funds" => {
                let (name, token) = rest.rsplit_once(':').ok_or_else(unknown)?;
                Self::Funds { name: name.to_owned(), token: token.to_owned() }
            }
            "batch" => {
                let (component, range) = rest.rsplit_once(':').ok_or_else(unknown)?;
                let (start, end) = range.split_once('-').ok_or_else(unknown)?;
                Self::Batch {
                    component: component.to_owned(),
                    start: start.parse().map_err(|_| unknown())?,
                    end: end.parse().map_err(|_| unknown())?,
                }
            }
            "finalize" => Self::Finalize(rest.parse().map_err(|_| unknown())?),
            "unpause" if !rest.is_empty() => Self::Unpause(rest.to_owned()),
            "return" => {
                let (name, token) = rest.rsplit_once(':').ok_or_else(unknown)?;
                Self::Return { name: name.to_owned(), token: token.to_owned() }
            }
            _ => return Err(unknown()),
        };
        Ok(step)
    }
}

/// A prepared transaction whose outcome is not known yet: reconcile it by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// Hash of the latest attempt.
    pub hash: B256,
    /// Its nonce.
    pub nonce: u64,
    /// Its signed bytes.
    pub raw: Bytes,
    /// Record range, for batches.
    pub range: Option<(u64, u64)>,
}

/// A mined transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mined {
    /// The transaction hash.
    pub hash: B256,
    /// The block it was mined in.
    pub block: u64,
    /// Whether it succeeded.
    pub success: bool,
    /// Gas used.
    pub gas_used: u64,
    /// Record range, for batches.
    pub range: Option<(u64, u64)>,
}

/// Where one step (one logical transaction) stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    /// Prepared (maybe sent), outcome unknown: reconcile by hash.
    Pending(Prepared),
    /// Mined.
    Mined(Mined),
    /// Abandoned: the step must be prepared again.
    Abandoned,
}

/// Folds entries into the latest state per step id.
pub fn steps(entries: &[Entry]) -> BTreeMap<String, StepState> {
    let mut out = BTreeMap::new();
    // Every prepared attempt, by hash: what a reorged transaction goes back to.
    let mut prepared: BTreeMap<B256, Prepared> = BTreeMap::new();
    for e in entries {
        match e {
            Entry::TxPrepared { step, hash, nonce, raw, start, end } => {
                let p = Prepared {
                    hash: *hash,
                    nonce: *nonce,
                    raw: raw.clone(),
                    range: start.zip(*end),
                };
                prepared.insert(*hash, p.clone());
                out.insert(step.clone(), StepState::Pending(p));
            }
            Entry::TxMined { step, hash, block, gas_used, success } => {
                let range = prepared.get(hash).and_then(|p| p.range);
                let mined = Mined {
                    hash: *hash,
                    block: *block,
                    success: *success,
                    gas_used: *gas_used,
                    range,
                };
                out.insert(step.clone(), StepState::Mined(mined));
            }
            Entry::TxReorged { step, hash, .. } => {
                if matches!(out.get(step), Some(StepState::Mined(m)) if m.hash == *hash)
                    && let Some(p) = prepared.get(hash)
                {
                    out.insert(step.clone(), StepState::Pending(p.clone()));
                }
            }
            Entry::TxAbandoned { step, hash, .. } => {
                // Only the attempt that is current may be abandoned.
                if matches!(out.get(step), Some(StepState::Pending(p)) if p.hash == *hash) {
                    out.insert(step.clone(), StepState::Abandoned);
                }
            }
            _ => {}
        }
    }
    out
}

/// The steps whose transaction is pending, in nonce order (the order to reconcile them in).
pub fn pending(entries: &[Entry]) -> Vec<(String, Prepared)> {
    let mut out: Vec<(String, Prepared)> = steps(entries)
        .into_iter()
        .filter_map(|(step, state)| match state {
            StepState::Pending(p) => Some((step, p)),
            _ => None,
        })
        .collect();
    out.sort_by_key(|(step, p)| (p.nonce, step.clone()));
    out
}

/// The steps whose transaction was mined (successfully or not), by step id.
pub fn mined(entries: &[Entry]) -> Vec<(String, Mined)> {
    steps(entries)
        .into_iter()
        .filter_map(|(step, state)| match state {
            StepState::Mined(m) => Some((step, m)),
            _ => None,
        })
        .collect()
}

/// The latest verification's outcome, if the run verified.
pub fn verified(entries: &[Entry]) -> Option<bool> {
    entries.iter().rev().find_map(|e| match e {
        Entry::Verified { ok, .. } => Some(*ok),
        _ => None,
    })
}

/// Whether the migration phase was ended on the new contracts.
pub fn is_finalized(entries: &[Entry]) -> bool {
    entries.iter().any(|e| matches!(e, Entry::Finalized))
}

/// Whether `molt rollback` started on this run (the forward path is over for this journal).
pub fn rollback_started(entries: &[Entry]) -> bool {
    entries.iter().any(|e| matches!(e, Entry::RollbackStarted { .. }))
}

/// Whether `molt rollback` finished on this run.
pub fn is_rolled_back(entries: &[Entry]) -> bool {
    entries.iter().any(|e| matches!(e, Entry::RolledBack { .. }))
}

/// Whether the run has nothing left to check: it verified (and what may be left is finalizing)
/// or it finalized.
pub fn is_finished(entries: &[Entry]) -> bool {
    is_finalized(entries) || entries.iter().any(|e| matches!(e, Entry::Verified { ok: true, .. }))
}

/// The journal's snapshot entry, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct RecordedSnapshot<'a> {
    /// The pinned block.
    pub block: u64,
    /// The data backup file.
    pub backup: &'a Path,
    /// Per component: records to migrate and their state hash.
    pub components: &'a BTreeMap<String, SnapshotComponent>,
}

/// The snapshot entry, once taken.
pub fn snapshot(entries: &[Entry]) -> Option<RecordedSnapshot<'_>> {
    entries.iter().find_map(|e| match e {
        Entry::Snapshot { block, backup, components } => {
            Some(RecordedSnapshot { block: *block, backup, components })
        }
        _ => None,
    })
}

/// Per component, the positions (in its snapshot) of the records imported by successful
/// batches and adopted from the target, in the order they were imported: batches by nonce,
/// which is the order they were mined; adopted records after every transaction prepared before
/// their `adopted` line and before every one prepared after it.
pub fn import_order(entries: &[Entry]) -> BTreeMap<String, Vec<u64>> {
    // Sorted by (nonce, 0 for adopted before 1 for a batch, line).
    type Imported = ((u64, u8, usize), String, (u64, u64));
    let mut imported: Vec<Imported> = Vec::new();
    let mut nonces: BTreeMap<B256, u64> = BTreeMap::new();
    let mut next_nonce = 0;
    for (line, e) in entries.iter().enumerate() {
        match e {
            Entry::TxPrepared { hash, nonce, .. } => {
                nonces.insert(*hash, *nonce);
                next_nonce = next_nonce.max(nonce.saturating_add(1));
            }
            Entry::Adopted { component, ranges } => imported
                .extend(ranges.iter().map(|r| ((next_nonce, 0, line), component.clone(), *r))),
            _ => {}
        }
    }
    for (step, m) in mined(entries) {
        if let (true, Some(range), Some(component)) =
            (m.success, m.range, Step::batch_component(&step))
        {
            let nonce = nonces.get(&m.hash).copied().unwrap_or_default();
            imported.push(((nonce, 1, 0), component, range));
        }
    }
    imported.sort();
    let mut order: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (_, c, (start, end)) in imported {
        order.entry(c).or_default().extend(start..end);
    }
    order
}

/// `[start, end)` ranges of ascending positions.
pub fn ranges_of(positions: &[u64]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &p in positions {
        match out.last_mut() {
            Some((_, end)) if *end == p => *end += 1,
            _ => out.push((p, p + 1)),
        }
    }
    out
}
