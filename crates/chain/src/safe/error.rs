//! What can go wrong with Safe contracts, with the Safe's own revert codes spelled out.

use std::path::PathBuf;

use alloy::primitives::{Address, B256, TxHash};

use crate::Revert;

/// Errors of [`crate::safe`].
#[derive(Debug, thiserror::Error)]
pub enum SafeError {
    /// The npm packages holding the Safe artifacts and deployments are not installed.
    #[error(
        "the Safe 1.4.1 contracts are not installed (looked for {package} at {looked}); run `scripts/setup` (it installs them into .tools/node_modules) or set MOLT_SAFE_CONTRACTS to a node_modules folder holding @safe-global/safe-contracts and @safe-global/safe-deployments"
    )]
    PackagesMissing {
        /// The npm package that was looked for.
        package: &'static str,
        /// The places that were tried.
        looked: String,
    },
    /// A file of the Safe packages could not be read or parsed.
    #[error("cannot read {path}: {reason} (reinstall the Safe packages with `scripts/setup`)")]
    PackageFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An artifact's runtime code is not the code deployed at the canonical address.
    #[error(
        "the runtime code of {contract} in {path} hashes to {got}, not to the canonical 1.4.1 code hash {expected}; is @safe-global/safe-contracts 1.4.1 installed?"
    )]
    CodeHashMismatch {
        /// The contract.
        contract: &'static str,
        /// The artifact file.
        path: PathBuf,
        /// The code hash safe-deployments lists.
        expected: B256,
        /// The hash of the artifact's runtime code.
        got: B256,
    },
    /// Installing a contract on a devnet did not leave the expected code or state.
    #[error("installing {contract} at {address} failed: {reason}")]
    Install {
        /// The contract.
        contract: &'static str,
        /// Its canonical address.
        address: Address,
        /// What went wrong.
        reason: String,
    },
    /// The owners and threshold cannot make a Safe.
    #[error("invalid Safe setup: {0}")]
    InvalidSetup(String),
    /// A transaction's receipt lacks the event that should report its outcome.
    #[error("transaction {tx} emitted no {event} event; is {contract} the Safe 1.4.1 contract?")]
    MissingEvent {
        /// The transaction.
        tx: TxHash,
        /// The event that was expected.
        event: &'static str,
        /// The contract that should have emitted it.
        contract: Address,
    },
    /// The Safe refused the transaction with one of its `GSxxx` codes.
    #[error("the Safe at {safe} rejected the transaction: {code} ({meaning})")]
    Rejected {
        /// The Safe.
        safe: Address,
        /// The Safe's revert code, e.g. `GS020`.
        code: String,
        /// What the code means.
        meaning: &'static str,
    },
    /// A call reverted with something other than a Safe code.
    #[error("the call to {to} reverted: {revert}")]
    Reverted {
        /// The called contract.
        to: Address,
        /// The decoded revert.
        revert: Revert,
    },
    /// A transaction was mined but reverted.
    #[error("transaction {tx} to {to} was mined but reverted")]
    MinedReverted {
        /// The transaction.
        tx: TxHash,
        /// The called contract.
        to: Address,
    },
    /// The Safe ran the transaction and its inner call failed (possible only with a nonzero
    /// `safeTxGas` or `gasPrice`); the nonce was used up all the same.
    #[error(
        "the Safe at {safe} executed SafeTx {safe_tx_hash} but its call failed (ExecutionFailure)"
    )]
    ExecutionFailure {
        /// The Safe.
        safe: Address,
        /// The SafeTx hash.
        safe_tx_hash: B256,
    },
    /// Two signatures are from the same owner; the Safe would reject them (GS026).
    #[error("two signatures are from the same owner {0}; each owner signs once")]
    DuplicateSigner(Address),
    /// The Safe reports no owners.
    #[error("the Safe {safe} has no owners")]
    NoOwners {
        /// The Safe.
        safe: Address,
    },
    /// A MultiSend batch without calls.
    #[error("a MultiSend batch needs at least one call")]
    EmptyBatch,
    /// A signer failed to sign.
    #[error("signing the SafeTx hash failed: {0}")]
    Signing(String),
    /// A contract call through alloy failed.
    #[error("calling {what} failed: {source}")]
    Call {
        /// What was called.
        what: &'static str,
        /// The underlying error.
        source: Box<alloy::contract::Error>,
    },
    /// Chain access failed.
    #[error(transparent)]
    Chain(#[from] crate::Error),
}

impl SafeError {
    /// The error for a revert of a call to `to` (a Safe when the revert is a `GSxxx` code).
    pub fn from_revert(to: Address, revert: Revert) -> Self {
        match &revert {
            Revert::Message(code) if gs_meaning(code).is_some() => Self::Rejected {
                safe: to,
                code: code.clone(),
                meaning: gs_meaning(code).unwrap_or_default(),
            },
            _ => Self::Reverted { to, revert },
        }
    }

    /// The Safe's revert code (e.g. `GS026`), if the Safe rejected the transaction.
    pub fn safe_code(&self) -> Option<&str> {
        match self {
            Self::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// What a Safe 1.4.1 revert code means (the `require` codes of `Safe.sol` and its bases).
pub fn gs_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "GS000" => "could not finish initialization",
        "GS001" => "threshold needs to be defined",
        "GS002" => {
            "a call to set up modules couldn't be executed because the destination account was not a contract"
        }
        "GS010" => "not enough gas to execute the Safe transaction",
        "GS011" => "could not pay gas costs with ether",
        "GS012" => "could not pay gas costs with token",
        "GS013" => "the Safe transaction failed when gasPrice and safeTxGas were 0",
        "GS020" => "signatures data too short: fewer signatures than the threshold",
        "GS021" => "invalid contract signature location: inside static part",
        "GS022" => "invalid contract signature location: length not present",
        "GS023" => "invalid contract signature location: data not complete",
        "GS024" => "invalid contract signature provided",
        "GS025" => "hash has not been approved",
        "GS026" => {
            "invalid owner provided: a signer is not an owner, or signatures are not sorted by owner ascending, or an owner signed twice"
        }
        "GS027" => "data hash does not match the hash of the data",
        "GS030" => "only owners can approve a hash",
        "GS031" => "method can only be called from this contract",
        "GS100" => "modules have already been initialized",
        "GS101" => "invalid module address provided",
        "GS102" => "module has already been added",
        "GS103" => "invalid prevModule, module pair provided",
        "GS104" => "method can only be called from an enabled module",
        "GS105" => "invalid starting point for fetching paginated modules",
        "GS106" => "invalid page size for fetching paginated modules",
        "GS200" => "owners have already been set up",
        "GS201" => "threshold cannot exceed owner count",
        "GS202" => "threshold needs to be greater than 0",
        "GS203" => "invalid owner address provided",
        "GS204" => "address is already an owner",
        "GS205" => "invalid prevOwner, owner pair provided",
        "GS300" => "the guard does not implement IERC165",
        "GS400" => "the fallback handler cannot be the Safe itself",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use alloy::primitives::Address;

    use super::*;

    #[test]
    fn a_gs_code_becomes_a_rejection_with_its_meaning() {
        let err = SafeError::from_revert(Address::ZERO, Revert::Message("GS026".into()));
        assert_eq!(err.safe_code(), Some("GS026"));
        assert!(err.to_string().contains("not sorted by owner ascending"), "{err}");
        let other = SafeError::from_revert(Address::ZERO, Revert::Message("nope".into()));
        assert!(matches!(other, SafeError::Reverted { .. }));
    }
}
