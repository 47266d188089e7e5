//! ABI and storage-layout models for molt, with no network access.
//!
//! - [`artifact`]: reading contract artifacts (plain ABI JSON, Foundry `out/` artifacts,
//!   Hardhat artifacts) and `forge inspect <C> storageLayout --json` files.
//! - [`storage`]: the solc storage-layout model.

pub mod artifact;
mod error;
pub mod storage;

pub use artifact::{Artifact, ArtifactKind};
pub use error::{Error, Result};
pub use storage::StorageLayout;
