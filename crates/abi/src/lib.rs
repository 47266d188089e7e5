//! ABI and storage-layout models for molt, with no network access.
//!
//! - [`adapter`]: generating a Solidity adapter that keeps an old interface alive in front of
//!   the new contract (`molt adapter`).
//! - [`artifact`]: reading contract artifacts (plain ABI JSON, Foundry `out/` artifacts,
//!   Hardhat artifacts) and `forge inspect <C> storageLayout --json` files.
//! - [`storage`]: the solc storage-layout model.
//! - [`diff`]: the breaking-change differ behind `molt diff` (ABI and storage rules, config,
//!   renderers).

mod abi_types;
pub mod adapter;
pub mod artifact;
pub mod diff;
mod error;
pub mod storage;

pub use artifact::{Artifact, ArtifactKind};
pub use diff::{Change, Kind, Report, Severity};
pub use error::{Error, Result};
pub use storage::StorageLayout;
