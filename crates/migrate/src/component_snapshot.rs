//! One component's part of the snapshot: its records at the snapshot block and, for a keyed
//! source, its keys and where they came from. [`crate::snapshot`] takes them, and
//! [`crate::keys`] reads the keys of a component keyed by another from them.

use std::{fmt, path::PathBuf};

use alloy::{dyn_abi::DynSolValue, primitives::B256};
use serde::{Deserialize, Serialize};

/// One component's records.
#[derive(Debug, Clone)]
pub struct ComponentSnapshot {
    /// Records in the source, before the filter (for keyed sources: the keys).
    pub total: u64,
    /// A keyed source's keys, in order (a record's `index` is its key's position); empty for
    /// sources by index.
    pub keys: Vec<Vec<DynSolValue>>,
    /// Where a keyed source's keys came from.
    pub keys_from: Option<KeysFrom>,
    /// The records to migrate, in import order.
    pub records: Vec<SnapshotRecord>,
    /// The digest of the mapped records (equal to V2's on-chain digest once imported).
    pub source_hash: B256,
}

/// One source record and its target form.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRecord {
    /// Its index in the source enumeration.
    pub index: u64,
    /// The source fields.
    pub source: Vec<DynSolValue>,
    /// The import struct, as a tuple.
    pub target: DynSolValue,
}

impl ComponentSnapshot {
    /// Records read but filtered out.
    pub fn skipped(&self) -> u64 {
        self.total - self.records.len() as u64
    }

    /// The key of a record (empty for sources by index).
    pub fn key(&self, index: u64) -> &[DynSolValue] {
        self.keys.get(index as usize).map_or(&[], Vec::as_slice)
    }
}

/// Where a component's keys came from (in the report and the backup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum KeysFrom {
    /// The logs of an event.
    Event {
        /// The event's name.
        event: String,
        /// The logs read.
        logs: u64,
        /// The first block scanned.
        from_block: u64,
        /// The last block scanned (the snapshot block).
        to_block: u64,
    },
    /// The manifest's keys file.
    File {
        /// The file.
        path: PathBuf,
    },
    /// Another component's snapshot records.
    Component {
        /// The component.
        component: String,
    },
}

impl fmt::Display for KeysFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Event { event, logs, from_block, to_block } => {
                write!(f, "from {logs} {event} logs in blocks {from_block}..{to_block}")
            }
            Self::File { path } => write!(f, "from {}", path.display()),
            Self::Component { component } => write!(f, "from the records of `{component}`"),
        }
    }
}
