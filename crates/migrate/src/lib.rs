//! The manifest-driven migration engine: manifests, record mapping and state hashes, and
//! (to come) snapshots, gas-sized batches, the write-ahead journal and verification.

mod error;
mod fsutil;
pub mod journal;
pub mod manifest;
pub mod record;
pub mod snapshot;

pub use error::{Error, Result};
pub use manifest::Manifest;
