//! The manifest-driven migration engine: manifests, pre-checks, rehearsals on a fork,
//! snapshots, gas-sized batches, the write-ahead journal and verification.

mod error;
pub mod events;
mod fsutil;
pub mod funds;
pub mod journal;
pub mod lock;
pub mod manifest;
pub mod precheck;
pub mod record;
pub mod rehearsal;
pub mod run;
pub mod snapshot;
pub mod status;
pub mod verify;

pub use error::{Error, Result};
pub use manifest::Manifest;
