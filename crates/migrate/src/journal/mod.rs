//! The write-ahead journal of a migration run: nothing lost, nothing doubled.
//!
//! An append-only file of JSON lines (NDJSON). Every entry is written and `fsync`ed before the
//! action it announces: a batch's signed transaction is journaled (hash, nonce, raw bytes,
//! record range) before it is broadcast, so after a crash at any moment the next run knows
//! every transaction that may have reached the network and reconciles each one by hash.
//!
//! A crash in the middle of a write leaves a last line without its newline; such a line was
//! never acknowledged, so nothing it announced was done, and it is ignored on replay.
//! Private keys are never written: raw transactions are signed bytes only.

use std::{
    collections::BTreeMap,
    fs::{File, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
};

use alloy::primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};

mod steps;

pub use steps::{
    Mined, Prepared, RecordedSnapshot, Step, StepState, UnknownStep, import_order, is_finalized,
    is_finished, is_rolled_back, mined, pending, ranges_of, rollback_started, snapshot, steps,
    verified,
};

/// The journal format version written in the header.
pub const VERSION: u32 = 1;

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// The first line: which run this journal belongs to.
    Header {
        /// Format version ([`VERSION`]).
        version: u32,
        /// keccak256 of the manifest file.
        manifest_hash: B256,
        /// The chain the run is on.
        chain_id: u64,
        /// The account that signs.
        sender: Address,
        /// The manifest's contracts and their addresses.
        contracts: BTreeMap<String, Address>,
        /// The fingerprint of each manifest section (absent in older journals): what changed
        /// when the manifest did.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        sections: BTreeMap<String, B256>,
    },
    /// The run goes on with a changed manifest (`--adopt-manifest`); only sections that cannot
    /// change what was sent had changed.
    ManifestAdopted {
        /// keccak256 of the adopted manifest file.
        manifest_hash: B256,
        /// Its section fingerprints.
        sections: BTreeMap<String, B256>,
        /// The sections that changed.
        changed: Vec<String>,
    },
    /// A transaction is about to be broadcast (written before it is sent).
    TxPrepared {
        /// A stable id of the step: `pause:<contract>`, `funds:<name>:<token>`,
        /// `batch:<component>:<start>-<end>`, `finalize:<n>`.
        step: String,
        /// The signed transaction's hash.
        hash: B256,
        /// Its nonce.
        nonce: u64,
        /// The signed bytes, for re-broadcasting the very same transaction.
        raw: Bytes,
        /// For batches: the first record (position in the component's filtered snapshot).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<u64>,
        /// For batches: one past the last record.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<u64>,
    },
    /// A prepared transaction was mined.
    TxMined {
        /// The step.
        step: String,
        /// The transaction's hash.
        hash: B256,
        /// The block it was mined in.
        block: u64,
        /// Gas it used.
        gas_used: u64,
        /// Whether it succeeded.
        success: bool,
    },
    /// A prepared transaction will never be mined: its nonce was taken by another transaction.
    /// (A dropped one is sent again with the same bytes, not abandoned.)
    TxAbandoned {
        /// The step.
        step: String,
        /// The transaction's hash.
        hash: B256,
        /// Why.
        reason: String,
    },
    /// A transaction journaled as mined is no longer on the chain (a reorganization took its
    /// block back): it is pending again and reconciled by hash like any other.
    TxReorged {
        /// The step.
        step: String,
        /// The transaction's hash.
        hash: B256,
        /// The block it had been mined in.
        block: u64,
    },
    /// The snapshot was taken.
    Snapshot {
        /// The pinned block every source record was read at.
        block: u64,
        /// The data backup file.
        backup: PathBuf,
        /// Per component: records to migrate and their state hash.
        components: BTreeMap<String, SnapshotComponent>,
    },
    /// Records found in the target that the journal does not account for (a journal lost, a
    /// torn last line that was a batch's `tx_prepared`): found by reading them back, they are
    /// not sent again. They were imported before anything prepared after this line, and after
    /// everything prepared before it (a torn last line is the newest transaction).
    Adopted {
        /// The component.
        component: String,
        /// Positions in the component's filtered snapshot, as `[start, end)` ranges in
        /// ascending order.
        ranges: Vec<(u64, u64)>,
    },
    /// Verification finished.
    Verified {
        /// Whether every hash and total matched.
        ok: bool,
        /// The chain's head when the read-back started (absent in older journals).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        block: Option<u64>,
    },
    /// The migration phase was ended on the new contracts.
    Finalized,
    /// An owner phase was exported for the Safe to sign and execute (`[governance]` with a
    /// Safe owner); the run stops until it is executed.
    OwnerPhaseExported {
        /// `open` or `close`.
        phase: crate::phase_name::PhaseName,
        /// The Safe.
        safe: Address,
        /// The Safe nonce its SafeTx uses.
        nonce: u64,
        /// Its safeTxHash.
        safe_tx_hash: B256,
        /// The batch file written.
        batch: PathBuf,
        /// The chain's head when it was exported (where the search for its execution starts).
        block: u64,
        /// The run's steps the phase's calls stand for (`pause:…`, `funds:…`, `return:…`,
        /// `unpause:…`; absent in older journals): what the run did once it is executed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        steps: Vec<String>,
    },
    /// `molt rollback` started on this run: the forward path is over for this journal (a
    /// `molt migrate` on it is refused); the rollback's own steps follow.
    RollbackStarted {
        /// The chain's head when it started.
        block: u64,
    },
    /// The rollback finished: the old contracts this run paused are running again and the
    /// funds it moved are back. The new contracts are abandoned for this run.
    RolledBack {
        /// The chain's head when it finished.
        block: u64,
    },
    /// The Safe executed an exported owner phase (its `ExecutionSuccess`, its effects read back).
    OwnerPhaseExecuted {
        /// `open` or `close`.
        phase: crate::phase_name::PhaseName,
        /// Its safeTxHash.
        safe_tx_hash: B256,
        /// The block of the execution.
        block: u64,
    },
}

/// A component in the snapshot entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotComponent {
    /// Records after the filter.
    pub count: u64,
    /// The digest of the mapped records.
    pub source_hash: B256,
}

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file could not be read or written.
    #[error("journal {path}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A complete line is not a journal entry.
    #[error("journal {path}, line {line}: not a molt journal entry ({reason})")]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The parse error.
        reason: String,
    },
    /// A line parses but does not fit the lines before it (a second header, a batch outside
    /// the snapshot's records...).
    #[error("journal {path}, line {line}: {reason}")]
    Inconsistent {
        /// The journal file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What does not fit.
        reason: String,
    },
    /// The manifest changed since the journal's run started.
    #[error("journal {path}: the manifest changed since the run started: {}; {}", changed.join(", "), if *adoptable {
        "these changes do not alter what was sent, and --adopt-manifest goes on with them"
    } else {
        "the run already acted on some of these (only [batch], [network], [[check]] and [diff] may change mid-run)"
    })]
    ManifestChanged {
        /// The journal file.
        path: PathBuf,
        /// The sections that changed.
        changed: Vec<String>,
        /// Whether every changed section may be adopted.
        adoptable: bool,
    },
    /// The journal belongs to another run.
    #[error("journal {path} belongs to another run: {what}")]
    Mismatch {
        /// The journal file.
        path: PathBuf,
        /// What differs (manifest, chain, sender, addresses, version).
        what: String,
    },
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    entries: Vec<Entry>,
}

impl Journal {
    /// Opens the journal at `path` for the run described by `header`: creates it, or replays an
    /// existing one after checking it belongs to the same manifest, chain, sender and contracts.
    pub fn open(path: impl AsRef<Path>, header: Entry) -> Result<Self, JournalError> {
        Self::open_adopting(path, header, false)
    }

    /// [`Journal::open`], but a journal written for an earlier version of the manifest is
    /// accepted when `adopt` is set and only adoptable sections changed
    /// ([`crate::manifest::fingerprint::ADOPTABLE`]); the adoption is journaled.
    pub fn open_adopting(
        path: impl AsRef<Path>,
        header: Entry,
        adopt: bool,
    ) -> Result<Self, JournalError> {
        Self::open_with(path.as_ref(), header, Some(adopt))
    }

    /// Opens (or creates) the journal; `manifest`: whether a changed manifest may be adopted
    /// (`None`: the manifest is not checked, for a journal that must exist).
    fn open_with(path: &Path, header: Entry, manifest: Option<bool>) -> Result<Self, JournalError> {
        let path = path.to_path_buf();
        let io = |source| JournalError::Io { path: path.clone(), source };
        let existing = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        let mut entries = match &existing {
            Some(text) => parse(&path, text)?,
            None => Vec::new(),
        };
        let adoption = match (entries.first(), manifest) {
            (Some(first), Some(adopt)) => {
                check_same_run(&path, first, &header)?;
                check_same_manifest(&path, &entries, &header, adopt)?
            }
            (Some(first), None) => {
                check_same_run(&path, first, &header)?;
                None
            }
            (None, None) => {
                return Err(JournalError::Inconsistent {
                    path,
                    line: 1,
                    reason: "the journal is empty: no run wrote it".into(),
                });
            }
            (None, Some(_)) => None,
        };
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
        if let Some(text) = &existing
            && !text.is_empty()
            && !text.ends_with('\n')
        {
            // Cut off the torn last line so the next entry starts on a line of its own.
            let keep = text.rfind('\n').map_or(0, |i| i + 1);
            file.set_len(keep as u64).map_err(io)?;
        }
        let mut journal = Self { path, file, entries: Vec::new() };
        if entries.is_empty() {
            if let Some(parent) = journal.path.parent() {
                sync_dir(parent);
            }
            journal.append(header)?;
        } else {
            journal.entries.append(&mut entries);
        }
        if let Some(adopted) = adoption {
            journal.append(adopted)?;
        }
        Ok(journal)
    }

    /// Opens the existing journal at `path` of the run described by `header` (same chain,
    /// sender, contracts and format) to append to it, whatever manifest version it was written
    /// with: `molt rollback` undoes what the journal says was done, with the manifest's current
    /// `unpause` and `return` calls.
    pub fn reopen(path: impl AsRef<Path>, header: Entry) -> Result<Self, JournalError> {
        Self::open_with(path.as_ref(), header, None)
    }

    /// Checks, without opening it, that the journal at `path` (its `entries`) can be resumed
    /// by the run described by `header`: the checks of [`Journal::open_adopting`].
    pub fn check_resumable(
        path: &Path,
        entries: &[Entry],
        header: &Entry,
        adopt: bool,
    ) -> Result<(), JournalError> {
        if let Some(first) = entries.first() {
            check_same_run(path, first, header)?;
            check_same_manifest(path, entries, header, adopt)?;
        }
        Ok(())
    }

    /// Reads a journal without opening it for writing (for `molt status`).
    pub fn read(path: impl AsRef<Path>) -> Result<Vec<Entry>, JournalError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| JournalError::Io { path: path.into(), source })?;
        parse(path, &text)
    }

    /// Appends an entry and waits until it is on disk.
    pub fn append(&mut self, entry: Entry) -> Result<(), JournalError> {
        let mut line = serde_json::to_string(&entry).expect("journal entries serialize");
        line.push('\n');
        let io = |source| JournalError::Io { path: self.path.clone(), source };
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.entries.push(entry);
        Ok(())
    }

    /// Every entry so far, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The latest state of every transaction step, by step id.
    pub fn steps(&self) -> BTreeMap<String, StepState> {
        steps(&self.entries)
    }

    /// The steps whose transaction is pending, in nonce order.
    pub fn pending(&self) -> Vec<(String, Prepared)> {
        pending(&self.entries)
    }

    /// The steps whose transaction was mined, by step id.
    pub fn mined(&self) -> Vec<(String, Mined)> {
        mined(&self.entries)
    }

    /// Whether the step's transaction was mined and succeeded.
    pub fn is_done(&self, step: &str) -> bool {
        matches!(self.steps().get(step), Some(StepState::Mined(m)) if m.success)
    }

    /// Whether the run verified (and may be left to finalize) or finalized.
    pub fn is_finished(&self) -> bool {
        is_finished(&self.entries)
    }

    /// Whether the migration phase was ended on the new contracts.
    pub fn is_finalized(&self) -> bool {
        is_finalized(&self.entries)
    }

    /// The snapshot entry, once taken.
    pub fn snapshot(&self) -> Option<RecordedSnapshot<'_>> {
        snapshot(&self.entries)
    }
}

fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, JournalError> {
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut check = Consistency::default();
    let mut entries = Vec::new();
    for (i, l) in complete.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let corrupt =
            |reason: String| JournalError::Corrupt { path: path.into(), line: i + 1, reason };
        let entry: Entry = serde_json::from_str(l).map_err(|e| corrupt(e.to_string()))?;
        check.entry(entries.is_empty(), &entry).map_err(|reason| JournalError::Inconsistent {
            path: path.into(),
            line: i + 1,
            reason,
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

/// What a journal must hold together: one header, first; one snapshot; batches and adopted
/// records within the snapshot's components and counts.
#[derive(Default)]
struct Consistency {
    /// Records per component, once the snapshot line was read.
    counts: Option<BTreeMap<String, u64>>,
}

impl Consistency {
    fn entry(&mut self, first: bool, entry: &Entry) -> Result<(), String> {
        match entry {
            Entry::Header { .. } if !first => {
                Err("a second header: two runs wrote this journal at once".into())
            }
            _ if first && !matches!(entry, Entry::Header { .. }) => {
                Err("the first line is not a molt journal header".into())
            }
            Entry::Snapshot { components, .. } => {
                if self.counts.is_some() {
                    return Err("a second snapshot: two runs wrote this journal at once".into());
                }
                self.counts = Some(components.iter().map(|(n, c)| (n.clone(), c.count)).collect());
                Ok(())
            }
            Entry::TxPrepared { step, start, end, .. } => {
                let kind = step.parse::<Step>().map_err(|e| e.to_string())?;
                match (kind.component(), start.zip(*end)) {
                    (None, None) => Ok(()),
                    (Some(c), Some(range)) if kind.range() == Some(range) => {
                        self.range(step, c, range)
                    }
                    _ => Err(format!(
                        "step `{step}`: a batch needs `start` and `end` equal to its id's range, and only a batch has them"
                    )),
                }
            }
            Entry::Adopted { component, ranges } => {
                ranges.iter().try_for_each(|r| self.range("adopted", component, *r))
            }
            _ => Ok(()),
        }
    }

    /// A range of positions of `component` that `what` names.
    fn range(&self, what: &str, component: &str, (start, end): (u64, u64)) -> Result<(), String> {
        let Some(counts) = &self.counts else {
            return Err(format!("`{what}` comes before the snapshot"));
        };
        let Some(&count) = counts.get(component) else {
            return Err(format!("`{what}`: the snapshot has no component `{component}`"));
        };
        if start >= end || end > count {
            return Err(format!(
                "`{what}`: records {start}..{end} of `{component}` are not a range within its {count} records"
            ));
        }
        Ok(())
    }
}

fn check_same_run(path: &Path, first: &Entry, want: &Entry) -> Result<(), JournalError> {
    let mismatch = |what: String| Err(JournalError::Mismatch { path: path.into(), what });
    let (
        Entry::Header { version, manifest_hash, chain_id, sender, contracts, .. },
        Entry::Header {
            version: v2,
            manifest_hash: m2,
            chain_id: c2,
            sender: s2,
            contracts: k2,
            ..
        },
    ) = (first, want)
    else {
        return mismatch("its first line is not a molt journal header".into());
    };
    if version != v2 {
        return mismatch(format!("journal format version {version}, this molt writes {v2}"));
    }
    if chain_id != c2 {
        return mismatch(format!("it is for chain {chain_id}, the node is chain {c2}"));
    }
    let _ = (manifest_hash, m2); // see check_same_manifest
    if sender != s2 {
        return mismatch(format!("it was signed by {sender}, this run signs as {s2}"));
    }
    if contracts != k2 {
        return mismatch("the contract addresses differ".into());
    }
    Ok(())
}

/// The manifest a journal's run goes on with: the header's, or the last one adopted.
fn current_manifest(entries: &[Entry]) -> Option<(B256, &BTreeMap<String, B256>)> {
    entries.iter().rev().find_map(|e| match e {
        Entry::ManifestAdopted { manifest_hash, sections, .. }
        | Entry::Header { manifest_hash, sections, .. } => Some((*manifest_hash, sections)),
        _ => None,
    })
}

/// Checks that the journal's run goes on with the manifest of `want`; with `adopt`, returns the
/// adoption to journal when only adoptable sections changed.
fn check_same_manifest(
    path: &Path,
    entries: &[Entry],
    want: &Entry,
    adopt: bool,
) -> Result<Option<Entry>, JournalError> {
    use crate::manifest::fingerprint;
    let mismatch = |what: String| Err(JournalError::Mismatch { path: path.into(), what });
    let (Some((hash, sections)), Entry::Header { manifest_hash: m2, sections: s2, .. }) =
        (current_manifest(entries), want)
    else {
        return mismatch("its first line is not a molt journal header".into());
    };
    if hash == *m2 {
        return Ok(None);
    }
    if sections.is_empty() {
        return mismatch(format!(
            "it was written for another manifest (hash {hash}, this one is {m2}), and it is too old to say which sections changed"
        ));
    }
    let changed = fingerprint::changed(sections, s2);
    let adoptable = changed.iter().all(|c| fingerprint::adoptable(c));
    if !adoptable || !adopt {
        return Err(JournalError::ManifestChanged { path: path.into(), changed, adoptable });
    }
    Ok(Some(Entry::ManifestAdopted { manifest_hash: *m2, sections: s2.clone(), changed }))
}

fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(chain_id: u64) -> Entry {
        Entry::Header {
            version: VERSION,
            manifest_hash: B256::repeat_byte(1),
            chain_id,
            sender: Address::repeat_byte(2),
            contracts: [("registry_v1".to_string(), Address::repeat_byte(3))].into(),
            sections: BTreeMap::new(),
        }
    }

    fn snapshot(component: &str, count: u64) -> Entry {
        Entry::Snapshot {
            block: 1,
            backup: "backup.json".into(),
            components: [(component.into(), SnapshotComponent { count, source_hash: B256::ZERO })]
                .into(),
        }
    }

    /// A prepared transaction of the step with this id (a batch's range is its id's).
    fn prepared(step: &str, n: u8) -> Entry {
        let range = step.parse::<Step>().ok().and_then(|s| s.range());
        Entry::TxPrepared {
            step: step.into(),
            hash: B256::repeat_byte(n),
            nonce: u64::from(n),
            raw: Bytes::from(vec![n; 4]),
            start: range.map(|r| r.0),
            end: range.map(|r| r.1),
        }
    }

    /// A pause step that carries a record range.
    fn paused_with_range() -> Entry {
        let Entry::TxPrepared { hash, nonce, raw, .. } = prepared("pause:x", 1) else {
            unreachable!()
        };
        Entry::TxPrepared { step: "pause:x".into(), hash, nonce, raw, start: Some(0), end: Some(1) }
    }

    #[test]
    fn step_ids_round_trip_through_their_kinds() {
        let steps = [
            Step::Pause("registry_v1".into()),
            Step::Funds {
                name: "escrow".into(),
                token: "0x00000000000000000000000000000000000000aa".into(),
            },
            Step::Batch { component: "jobs".into(), start: 10, end: 20 },
            Step::Finalize(2),
        ];
        for step in steps {
            assert_eq!(step.to_string().parse::<Step>(), Ok(step.clone()), "{step}");
        }
        assert_eq!(Step::batch_component("batch:jobs:0-10").as_deref(), Some("jobs"));
        assert_eq!(Step::batch_component("pause:jobs"), None);
        for bad in ["batch:jobs:0", "batch:jobs:a-b", "finalize:x", "pause:", "sweep:x", "pause"] {
            assert!(bad.parse::<Step>().is_err(), "{bad}");
        }
    }

    #[test]
    fn replays_steps_and_resumes_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.molt-journal");
        {
            let mut j = Journal::open(&path, header(31337)).unwrap();
            j.append(snapshot("nodes", 20)).unwrap();
            j.append(prepared("batch:nodes:0-10", 7)).unwrap();
            j.append(Entry::TxMined {
                step: "batch:nodes:0-10".into(),
                hash: B256::repeat_byte(7),
                block: 5,
                gas_used: 100,
                success: true,
            })
            .unwrap();
            j.append(prepared("batch:nodes:10-20", 8)).unwrap();
        }
        let mut j = Journal::open(&path, header(31337)).unwrap();
        assert_eq!(j.entries().len(), 5);
        let steps = j.steps();
        assert!(matches!(
            steps["batch:nodes:0-10"],
            StepState::Mined(Mined { success: true, gas_used: 100, range: Some((0, 10)), .. })
        ));
        assert!(matches!(
            steps["batch:nodes:10-20"],
            StepState::Pending(Prepared { nonce: 8, .. })
        ));
        j.append(Entry::TxAbandoned {
            step: "batch:nodes:10-20".into(),
            hash: B256::repeat_byte(8),
            reason: "dropped".into(),
        })
        .unwrap();
        assert_eq!(j.steps()["batch:nodes:10-20"], StepState::Abandoned);
    }

    #[test]
    fn a_reorged_transaction_is_pending_again_with_its_signed_bytes() {
        let mined = |block| Entry::TxMined {
            step: "batch:jobs:0-10".into(),
            hash: B256::repeat_byte(7),
            block,
            gas_used: 100,
            success: true,
        };
        let mut entries = vec![header(1), prepared("batch:jobs:0-10", 7), mined(5)];
        assert!(matches!(
            steps(&entries)["batch:jobs:0-10"],
            StepState::Mined(Mined { block: 5, .. })
        ));
        assert_eq!(import_order(&entries)["jobs"], (0..10).collect::<Vec<u64>>());

        entries.push(Entry::TxReorged {
            step: "batch:jobs:0-10".into(),
            hash: B256::repeat_byte(7),
            block: 5,
        });
        assert_eq!(
            steps(&entries)["batch:jobs:0-10"],
            StepState::Pending(Prepared {
                hash: B256::repeat_byte(7),
                nonce: 7,
                raw: Bytes::from(vec![7; 4]),
                range: Some((0, 10)),
            })
        );
        assert!(!import_order(&entries).contains_key("jobs"), "its records are not imported");

        // Mined again (the same bytes, another block).
        entries.push(mined(9));
        assert!(matches!(
            steps(&entries)["batch:jobs:0-10"],
            StepState::Mined(Mined { block: 9, .. })
        ));
        // A reorg line for another hash than the current one changes nothing.
        entries.push(Entry::TxReorged {
            step: "batch:jobs:0-10".into(),
            hash: B256::repeat_byte(8),
            block: 9,
        });
        assert!(matches!(
            steps(&entries)["batch:jobs:0-10"],
            StepState::Mined(Mined { block: 9, .. })
        ));
    }

    #[test]
    fn adopted_records_are_imported_after_what_was_prepared_before_them() {
        let mined = |step: &str, n: u8| Entry::TxMined {
            step: step.into(),
            hash: B256::repeat_byte(n),
            block: u64::from(n),
            gas_used: 100,
            success: true,
        };
        let batch = |start: u64, end: u64, n: u8| Entry::TxPrepared {
            step: format!("batch:jobs:{start}-{end}"),
            hash: B256::repeat_byte(n),
            nonce: u64::from(n),
            raw: Bytes::from(vec![n; 4]),
            start: Some(start),
            end: Some(end),
        };
        // Batches 0-10 (nonce 4) and 10-20 (nonce 5) journaled; 20-30 (nonce 6) was the torn
        // line. The resumed run reconciles nonce 5 after adopting 20-30: it still comes first.
        let entries = vec![
            header(1),
            batch(0, 10, 4),
            mined("batch:jobs:0-10", 4),
            batch(10, 20, 5),
            Entry::Adopted { component: "jobs".into(), ranges: vec![(20, 30)] },
            mined("batch:jobs:10-20", 5),
            batch(30, 40, 7),
            mined("batch:jobs:30-40", 7),
        ];
        assert_eq!(import_order(&entries)["jobs"], (0..40).collect::<Vec<u64>>());
        assert_eq!(ranges_of(&[1, 2, 3, 7, 9, 10]), vec![(1, 4), (7, 8), (9, 11)]);
        // Adopted before anything was prepared (a lost journal): first.
        let lost = vec![
            header(1),
            Entry::Adopted { component: "jobs".into(), ranges: vec![(5, 9)] },
            batch(0, 5, 0),
            mined("batch:jobs:0-5", 0),
        ];
        assert_eq!(import_order(&lost)["jobs"], vec![5, 6, 7, 8, 0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.molt-journal");
        Journal::open(&path, header(1)).unwrap().append(snapshot("x", 10)).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"type":"tx_prepared","step":"batch:x:0-10","ha"#).unwrap();
        drop(f);
        let mut j = Journal::open(&path, header(1)).unwrap();
        assert_eq!(j.entries().len(), 2);
        j.append(prepared("batch:x:0-10", 9)).unwrap();
        assert_eq!(Journal::read(&path).unwrap().len(), 3);
    }

    #[test]
    fn a_journal_of_another_run_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.molt-journal");
        drop(Journal::open(&path, header(1)).unwrap());
        let err = Journal::open(&path, header(2)).unwrap_err().to_string();
        assert!(err.contains("belongs to another run") && err.contains("chain 1"), "{err}");
        let Entry::Header { version, chain_id, sender, contracts, .. } = header(1) else {
            unreachable!()
        };
        let other = Entry::Header {
            version,
            chain_id,
            sender,
            contracts,
            manifest_hash: B256::repeat_byte(9),
            sections: BTreeMap::new(),
        };
        let err = Journal::open(&path, other).unwrap_err().to_string();
        assert!(err.contains("another manifest"), "{err}");
    }

    #[test]
    fn lines_that_do_not_fit_the_journal_are_errors_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.molt-journal");
        let cases: &[(&[Entry], &str)] = &[
            (&[header(1), header(1)], "line 2: a second header"),
            (&[snapshot("x", 10)], "line 1: the first line is not a molt journal header"),
            (&[header(1), snapshot("x", 10), snapshot("x", 10)], "line 3: a second snapshot"),
            (&[header(1), prepared("batch:x:0-10", 1)], "comes before the snapshot"),
            (
                &[header(1), snapshot("x", 5), prepared("batch:x:0-10", 1)],
                "not a range within its 5",
            ),
            (&[header(1), snapshot("y", 10), prepared("batch:x:0-10", 1)], "no component `x`"),
            (
                &[
                    header(1),
                    snapshot("x", 5),
                    Entry::Adopted { component: "x".into(), ranges: vec![(3, 2)] },
                ],
                "records 3..2 of `x`",
            ),
            (&[header(1), snapshot("x", 5), paused_with_range()], "only a batch has them"),
            (&[header(1), snapshot("x", 5), prepared("sweep:x", 1)], "`sweep:x` is not a step id"),
        ];
        for (entries, want) in cases {
            let text: String =
                entries.iter().map(|e| serde_json::to_string(e).unwrap() + "\n").collect();
            std::fs::write(&path, text).unwrap();
            let err = Journal::read(&path).unwrap_err().to_string();
            assert!(err.contains(want), "expected `{want}` in: {err}");
        }
    }

    #[test]
    fn a_corrupt_complete_line_is_an_error_with_its_line_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.molt-journal");
        drop(Journal::open(&path, header(1)).unwrap());
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"garbage\n").unwrap();
        drop(f);
        let err = Journal::open(&path, header(1)).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    /// A header for a manifest with these `(section, fingerprint byte)` pairs.
    fn header_with(hash: u8, sections: &[(&str, u8)]) -> Entry {
        let Entry::Header { version, chain_id, sender, contracts, .. } = header(1) else {
            unreachable!()
        };
        Entry::Header {
            version,
            chain_id,
            sender,
            contracts,
            manifest_hash: B256::repeat_byte(hash),
            sections: sections
                .iter()
                .map(|(k, v)| ((*k).to_owned(), B256::repeat_byte(*v)))
                .collect(),
        }
    }

    #[test]
    fn a_changed_batch_section_is_adopted_only_when_asked_and_a_changed_component_never() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.molt-journal");
        let first = [("batch", 1), ("component `jobs`", 2)];
        drop(Journal::open(&path, header_with(1, &first)).unwrap());

        let batch = header_with(2, &[("batch", 3), ("component `jobs`", 2)]);
        let err = Journal::open(&path, batch.clone()).unwrap_err().to_string();
        assert!(
            err.contains("changed since the run started: batch")
                && err.contains("--adopt-manifest"),
            "{err}"
        );
        let j = Journal::open_adopting(&path, batch.clone(), true).unwrap();
        assert!(
            matches!(j.entries().last(), Some(Entry::ManifestAdopted { changed, .. }) if changed == &["batch"])
        );
        drop(j);
        // Adopted once, it is the run's manifest: opening with it again needs nothing.
        assert_eq!(Journal::open(&path, batch).unwrap().entries().len(), 2);

        let jobs = header_with(3, &[("batch", 3), ("component `jobs`", 9)]);
        let err = Journal::open_adopting(&path, jobs, true).unwrap_err().to_string();
        assert!(err.contains("started: component `jobs`; the run already acted on"), "{err}");
    }
}
