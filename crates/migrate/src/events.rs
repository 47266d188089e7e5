//! What a run reports while it works: the CLI draws progress bars from these events, or prints
//! them as NDJSON with `--json`.

use alloy::primitives::B256;
use serde::Serialize;

/// A progress event.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// A phase of the run began (`precheck`, `reconcile`, `pause`, `confirm`, `snapshot`,
    /// `funds`, `verify`, `finalize`; the imports announce themselves per component with
    /// [`Event::ComponentStarted`]), with a line for humans.
    Phase {
        /// The phase.
        phase: &'static str,
        /// What is happening.
        message: String,
    },
    /// A component's migration began; `done` records are already in the target (imported by an
    /// earlier run of this journal, or found there by reading back).
    ComponentStarted {
        /// The component.
        component: String,
        /// Records to migrate in all.
        records: u64,
        /// Records already migrated.
        done: u64,
    },
    /// A batch transaction was broadcast.
    BatchSent {
        /// The component.
        component: String,
        /// Records in the batch.
        records: u64,
        /// The transaction hash.
        hash: B256,
        /// Its nonce.
        nonce: u64,
        /// Its gas limit.
        gas_limit: u64,
    },
    /// A batch transaction was mined successfully.
    BatchMined {
        /// The component.
        component: String,
        /// Records in the batch.
        records: u64,
        /// Gas it used.
        gas_used: u64,
    },
    /// A component's records were all migrated.
    ComponentFinished {
        /// The component.
        component: String,
    },
    /// Records were read back from the target during verification.
    Verified {
        /// The component.
        component: String,
        /// Records read back so far.
        records: u64,
        /// Records to read back in all.
        total: u64,
    },
}

/// Receives progress events.
pub trait Observer: Send + Sync {
    /// Called for every event, in order.
    fn on(&self, event: &Event);
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {
    fn on(&self, _: &Event) {}
}
