//! The manifest-driven migration engine. It reports through [`events::Observer`] and its
//! errors, and never prints.
//!
//! - [`manifest`]: the migration manifest (`molt.toml`), checked against the ABIs when loaded.
//! - [`precheck`]: what is checked on the chain before anything is sent.
//! - [`run`]: a migration run (pause, snapshot, funds, gas-sized batches, verification,
//!   finalize), resumable after a crash from its [`journal`], one run per journal ([`lock`]).
//! - [`keys`]: the keys of keyed sources (event logs, a keys file, another component).
//! - [`snapshot`] and [`record`]: the source records at a pinned block, their target form and
//!   state hashes, and the data backup.
//! - [`component_snapshot`]: one component's part of the snapshot (records, keys and where the
//!   keys came from), shared by [`snapshot`] and [`keys`].
//! - [`verify`]: records read back and compared, digests, counts and funds.
//! - [`reverify`]: verifying any time later (`molt verify`): which snapshot and import order.
//! - [`funds`]: the funds arithmetic, shared by the run (what to move) and [`verify`] (what moved).
//! - [`status`]: where a run stands, from its journal alone (`molt status`, `molt.status/1`).
//! - [`plan`]: the pre-checks, then the whole run rehearsed on a fork, with fees (`molt plan`).
//! - [`rehearsal`]: the same run on a local anvil fork (`molt plan`, and the preflight of
//!   `molt migrate`).
//! - [`events`]: what a run reports while it works.
//! - [`governance`]: the owner phases of a migration a Safe governs, their Safe
//!   Transaction Builder files, owner signatures and `execTransaction`.
//! - [`phase_name`]: the two owner phases' names (in the journal and in [`governance`]).
//! - [`paused`]: whether the old contracts report themselves paused, read from the node.
//! - [`owner`]: those phases inside a run: written for the Safe, journaled, resumed once executed.
//! - [`init`]: a first manifest drafted from the V1 and V2 artifacts (`molt init`).
//! - [`upgrade`]: a proxy upgrade governed by a Safe, checked and rehearsed on a fork (`molt upgrade`).
//! - Internal: `error` ([`Error`], [`Result`]), `fsutil` (atomic writes), `spelling` (suggestions).

pub mod component_snapshot;
mod error;
pub mod events;
mod fsutil;
pub mod funds;
pub mod governance;
pub mod init;
pub mod journal;
pub mod keys;
pub mod lock;
pub mod manifest;
pub mod owner;
pub mod paused;
pub mod phase_name;
pub mod plan;
pub mod precheck;
pub mod record;
pub mod rehearsal;
pub mod reverify;
pub mod rollback;
pub mod run;
pub mod snapshot;
mod spelling;
pub mod status;
pub mod upgrade;
pub mod verify;

pub use error::{Error, Result};
pub use manifest::Manifest;
