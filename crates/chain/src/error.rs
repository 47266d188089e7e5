use std::{path::PathBuf, time::Duration};

use alloy::primitives::{Address, TxHash};

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
    /// The local RPC forwarder (see [`crate::proxy`]) did not start.
    #[error("cannot start the local RPC forwarder: {0}")]
    Forwarder(String),
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
    /// An RPC endpoint URL is not usable.
    #[error("invalid RPC URL {url}: {reason}")]
    InvalidUrl {
        /// The URL, redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The node serves another chain than the one transactions are signed for.
    #[error("the node's chain id is {got}, but transactions are signed for chain {expected}")]
    ChainIdMismatch {
        /// The chain id the sender signs for.
        expected: u64,
        /// The node's `eth_chainId`.
        got: u64,
    },
    /// A keyless sender was asked to sign.
    #[error(
        "no private key for {address}: without a key molt only rehearses on a local fork that impersonates the account"
    )]
    Keyless {
        /// The account.
        address: Address,
    },
    /// Signing a transaction failed.
    #[error("signing the transaction failed: {0}")]
    Signing(String),
    /// Raw transaction bytes could not be decoded.
    #[error("invalid raw transaction: {0}")]
    InvalidRawTx(String),
    /// A transaction was not mined in time.
    #[error(
        "transaction {hash} has no receipt after {waited:?}; check its status (it may be pending, dropped or replaced)"
    )]
    WaitTimeout {
        /// The transaction hash.
        hash: TxHash,
        /// How long it was waited for.
        waited: Duration,
    },
    /// Broadcasting a transaction could not be confirmed.
    #[error(transparent)]
    Broadcast(#[from] crate::tx::BroadcastError),
    /// A gas estimate failed.
    #[error(transparent)]
    Estimate(#[from] crate::tx::EstimateError),
    /// Keys could not be discovered from events.
    #[error(transparent)]
    Logs(#[from] crate::logs::LogsError),
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
