//! Errors of the adapter generator.

use std::path::PathBuf;

/// Why an adapter could not be generated. Every variant names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input artifact could not be read.
    #[error(transparent)]
    Artifact(#[from] crate::Error),
    /// The input has no ABI (a storage layout alone).
    #[error("{path}: no ABI to generate an interface from (a storage layout alone)")]
    NoAbi {
        /// The input file.
        path: PathBuf,
    },
    /// The mapping file could not be read.
    #[error("cannot read the mapping file {path}: {source}")]
    MappingRead {
        /// The mapping file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The mapping file is not valid (TOML syntax, unknown key, a function that does not exist).
    #[error("{path}: {reason}")]
    Mapping {
        /// The mapping file.
        path: PathBuf,
        /// What is wrong, naming the entry.
        reason: String,
    },
    /// The adapter name is not a Solidity identifier.
    #[error("`{name}` cannot name a Solidity contract: {reason}")]
    Name {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
}

/// Result with the adapter [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
