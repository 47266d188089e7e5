use std::path::PathBuf;

/// Errors of the migration engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest file could not be read.
    #[error("cannot read the manifest {path}: {source}")]
    ManifestRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The manifest is malformed or does not fit the ABIs it names.
    #[error("{}:{line}:{col}: {message}", path.display())]
    Manifest {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// A source record cannot be mapped to the target (e.g. a scaled value overflows).
    #[error("component `{component}`, record {index}: {message}")]
    Mapping {
        /// The component.
        component: String,
        /// The record's position in the source.
        index: u64,
        /// What is wrong.
        message: String,
    },
    /// A contract call failed.
    #[error("calling {function} on {address} failed: {reason}")]
    Call {
        /// The function's signature.
        function: String,
        /// The contract.
        address: alloy::primitives::Address,
        /// What went wrong.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A backup file is not usable.
    #[error("backup {}: {reason}", path.display())]
    Backup {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
