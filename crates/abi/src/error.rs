use std::path::PathBuf;

/// Errors of the ABI crate. Every variant names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid JSON.
    #[error("{path} is not valid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error (with line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A file is JSON but not an artifact or ABI that molt understands.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A parameter type of an ABI is not a Solidity type (`uint257`, a `tuple` without
    /// components).
    #[error("{path}: {param}: `{ty}` is not a Solidity type ({reason})")]
    AbiType {
        /// The file.
        path: PathBuf,
        /// The ABI item and its parameter: `function `f`, input `x``, `the constructor, input
        /// 1`, `event `E`, input `order.amount``.
        param: String,
        /// The type as written.
        ty: String,
        /// Why it is not a Solidity type.
        reason: String,
    },
    /// The `[diff]` section of a config file is not valid.
    #[error("{path}: {reason}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The inputs cannot be diffed as given (a file against a directory, nothing in common).
    #[error("{path}: {reason}")]
    Input {
        /// The input path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::Read { path, .. }
            | Self::Json { path, .. }
            | Self::Format { path, .. }
            | Self::AbiType { path, .. }
            | Self::Config { path, .. }
            | Self::Input { path, .. } => path,
        }
    }
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
