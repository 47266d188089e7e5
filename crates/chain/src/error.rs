use std::path::PathBuf;

/// Errors of chain access.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Foundry binary could not be found.
    #[error("cannot find `{tool}` (looked at {looked})")]
    ToolNotFound {
        /// The binary's name.
        tool: &'static str,
        /// The places that were tried.
        looked: String,
    },
    /// The contracts have not been built.
    #[error(
        "no compiled artifact for `{contract}` under {out}; build the contracts first (`scripts/setup && source .tools/env && forge build`)"
    )]
    ArtifactMissing {
        /// The contract name.
        contract: String,
        /// The build output folder searched.
        out: PathBuf,
    },
    /// Anvil did not start.
    #[error("cannot start anvil ({path}): {reason}")]
    AnvilSpawn {
        /// The anvil binary.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A contract deployment failed.
    #[error("deploying `{contract}` failed: {reason}")]
    Deploy {
        /// The contract name.
        contract: String,
        /// What went wrong.
        reason: String,
    },
    /// Constructor arguments do not fit the constructor.
    #[error("constructor arguments for `{contract}` do not match its ABI: {reason}")]
    ConstructorArgs {
        /// The contract name.
        contract: String,
        /// What went wrong.
        reason: String,
    },
    /// An artifact could not be read.
    #[error(transparent)]
    Abi(#[from] molt_abi::Error),
    /// A JSON-RPC call failed.
    #[error("RPC call failed: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// Waiting for a transaction failed.
    #[error("waiting for a transaction failed: {0}")]
    Pending(#[from] alloy::providers::PendingTransactionError),
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
