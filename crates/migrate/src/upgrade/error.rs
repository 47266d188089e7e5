//! What can stop `molt upgrade` before it has a report: bad input, and the node failing.
//!
//! A breaking layout, a reverting upgrade and a changed invariant are not errors: they are
//! findings of the [`super::Report`].

use std::path::PathBuf;

use alloy::primitives::Address;

/// Errors of [`crate::upgrade`].
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// There is no code at the proxy address.
    #[error("there is no contract at {address}: is --proxy the proxy's address on this chain?")]
    NoCode {
        /// The address given as the proxy.
        address: Address,
    },
    /// The ERC-1967 implementation slot is empty.
    #[error(
        "{address} is not an ERC-1967 proxy: its implementation slot (0x360894a1...382bbc) is empty; give the proxy's address, not the implementation's"
    )]
    NotAProxy {
        /// The address given as the proxy.
        address: Address,
    },
    /// The code at the current implementation is not the `--old` artifact's.
    #[error(
        "the current implementation {implementation} is not the contract of {}: {reason}; pass the artifact it was deployed from as --old",
        artifact.display()
    )]
    CodeMismatch {
        /// The implementation the proxy points at.
        implementation: Address,
        /// The `--old` artifact.
        artifact: PathBuf,
        /// How they differ.
        reason: String,
    },
    /// An artifact lacks what the upgrade needs (storage layout, bytecode).
    #[error("{}: {reason}", path.display())]
    Artifact {
        /// The artifact file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The account allowed to upgrade cannot be read.
    #[error("cannot read who may upgrade the proxy: {what} failed ({reason}){hint}")]
    Authority {
        /// The call that failed.
        what: String,
        /// Why.
        reason: String,
        /// What to do about it (empty or starting with `; `).
        hint: String,
    },
    /// The account allowed to upgrade is not a Safe.
    #[error(
        "{owner} ({via}) is not a Safe: its getOwners()/getThreshold() do not answer; molt upgrade rehearses upgrades governed by a Safe"
    )]
    NotASafe {
        /// The owner found.
        owner: Address,
        /// Where it was found (e.g. `owner() of the ProxyAdmin 0x..`).
        via: String,
    },
    /// `--safe` is not the account allowed to upgrade.
    #[error(
        "--safe {given} is not the account that may upgrade the proxy: that is {owner} ({via})"
    )]
    SafeMismatch {
        /// `--safe`.
        given: Address,
        /// The owner found.
        owner: Address,
        /// Where it was found.
        via: String,
    },
    /// An invariant (`--check`, `--checks`) is not valid.
    #[error("invariant `{spec}`: {reason}")]
    Check {
        /// The invariant as given.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// The checks file cannot be read or parsed.
    #[error("{}: {reason}", path.display())]
    ChecksFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// `--call` / `--args` do not make calldata for the new implementation.
    #[error("--call `{signature}`: {reason}")]
    Call {
        /// The signature given.
        signature: String,
        /// What is wrong.
        reason: String,
    },
    /// An invariant's view reverted or could not be decoded before the upgrade.
    #[error("invariant `{check}` cannot be read before the upgrade: {reason}")]
    CheckUnreadable {
        /// The invariant.
        check: String,
        /// Why.
        reason: String,
    },
    /// The local fork could not be started.
    #[error("cannot start a local anvil fork of the node: {source}")]
    NoFork {
        /// Why.
        #[source]
        source: molt_chain::Error,
    },
    /// The deployment of the new implementation on the node failed.
    #[error("deploying the new implementation failed: {reason}")]
    Deploy {
        /// Why.
        reason: String,
    },
    /// The Safe batch file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Reading an artifact failed.
    #[error(transparent)]
    Abi(#[from] molt_abi::Error),
    /// Safe contract access failed.
    #[error(transparent)]
    Safe(#[from] molt_chain::safe::SafeError),
    /// Chain access failed.
    #[error(transparent)]
    Chain(#[from] molt_chain::Error),
}

impl From<alloy::transports::TransportError> for UpgradeError {
    fn from(e: alloy::transports::TransportError) -> Self {
        Self::Chain(e.into())
    }
}
