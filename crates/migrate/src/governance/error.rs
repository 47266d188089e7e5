//! What can go wrong with the owner phases, each error saying what to do.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};

/// Errors of [`crate::governance`].
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// The manifest has no `[governance]` owned by a Safe.
    #[error(
        "the manifest has no `[governance]` with `owner = {{ safe = \"0x…\" }}`: the owner phases are Safe transactions (docs/safe.md)"
    )]
    NoSafeOwner,
    /// No code at the Safe's address.
    #[error(
        "there is no contract at the Safe address {safe} on chain {chain_id}: check `[governance] owner` (and that the node is on the right chain)"
    )]
    NoSafeCode {
        /// The address.
        safe: Address,
        /// The node's chain.
        chain_id: u64,
    },
    /// The code there is not a Safe 1.4.1.
    #[error(
        "the contract at {safe} is not a Safe 1.4.1 ({found}); molt builds Safe 1.4.1 transactions: check `[governance] owner`"
    )]
    NotSafe141 {
        /// The address.
        safe: Address,
        /// What `VERSION()` said, or why it could not be read.
        found: String,
    },
    /// With a Safe owner, the run's signer is not the manifest's migrator: the role `open`
    /// grants would go to another account, and every import would revert.
    #[error(
        "the sender {signer} is not the manifest's migrator {migrator}: the Safe's phase `open` grants the importer role to the migrator, so run as the migrator (its key; `molt plan --sender {migrator}` without one), or change `[governance] migrator`"
    )]
    SignerNotMigrator {
        /// The run's signer.
        signer: Address,
        /// `[governance] migrator`.
        migrator: Address,
    },
    /// The Safe's `ExecutionSuccess` logs could not be read.
    #[error("cannot read the ExecutionSuccess logs of the Safe {safe}: {reason}")]
    Logs {
        /// The Safe.
        safe: Address,
        /// What the node said.
        reason: String,
    },
    /// An owner phase with nothing to call.
    #[error("the owner phase `{phase}` has nothing to do: {why}")]
    EmptyPhase {
        /// The phase.
        phase: &'static str,
        /// Why.
        why: String,
    },
    /// No MultiSendCallOnly at its canonical address.
    #[error(
        "MultiSendCallOnly 1.4.1 is not deployed at its canonical address {address} on this chain; a phase of several calls needs it"
    )]
    NoMultiSend {
        /// The canonical address.
        address: Address,
    },
    /// A file could not be read, parsed or written.
    #[error("{}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A batch file's checksum does not match its content.
    #[error(
        "{}: the batch file was modified since it was written (meta.checksum is {stored}, its content hashes to {computed}); export it again with `molt safe export`",
        path.display()
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// `meta.checksum`.
        stored: String,
        /// What the content hashes to.
        computed: String,
    },
    /// A batch file or signatures file for another Safe or chain.
    #[error(
        "{what} is for the Safe {file_safe} on chain {file_chain}, not for {safe} on chain {chain_id}"
    )]
    OtherSafe {
        /// Which file.
        what: String,
        /// The file's Safe.
        file_safe: String,
        /// The file's chain.
        file_chain: String,
        /// The manifest's Safe.
        safe: Address,
        /// The node's chain.
        chain_id: u64,
    },
    /// A transaction of a batch file cannot be encoded.
    #[error("transaction {index} of the batch file: {reason}")]
    BadTransaction {
        /// Its position (0-based).
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The signer is not an owner of the Safe.
    #[error(
        "{signer} is not an owner of the Safe {safe} (its owners: {owners}); sign with an owner's key"
    )]
    NotOwner {
        /// The signer.
        signer: Address,
        /// The Safe.
        safe: Address,
        /// Its owners.
        owners: String,
    },
    /// A signature in the signatures file does not recover to the owner it names.
    #[error(
        "the signature of {owner} for SafeTx {safe_tx_hash} does not recover to that owner; sign again"
    )]
    BadSignature {
        /// The owner it claims to be from.
        owner: Address,
        /// The SafeTx hash.
        safe_tx_hash: B256,
    },
    /// The signatures file has no signature for this SafeTx.
    #[error(
        "the signatures file has no signature for SafeTx {expected} (the batch at Safe nonce {nonce}); it holds signatures for {found}: they were made for another batch or nonce"
    )]
    OtherSafeTx {
        /// The SafeTx hash of the batch at the nonce.
        expected: B256,
        /// The nonce.
        nonce: u64,
        /// The hashes the file has signatures for.
        found: String,
    },
    /// Fewer owners signed than the threshold.
    #[error(
        "SafeTx {safe_tx_hash} has {have} of the {need} signatures the Safe needs (signed by: {signed}); collect more with `molt safe sign`, nothing was sent"
    )]
    BelowThreshold {
        /// The SafeTx hash.
        safe_tx_hash: B256,
        /// Valid owner signatures.
        have: usize,
        /// The threshold.
        need: u64,
        /// Who signed.
        signed: String,
    },
    /// The Safe (or a call it makes) would reject the transaction.
    #[error("execTransaction would fail, nothing was sent: {0}")]
    WouldFail(String),
    /// The transaction was mined but did not execute the SafeTx.
    #[error(
        "execTransaction {tx} was mined but the Safe's nonce did not move: the SafeTx was not executed"
    )]
    NotExecuted {
        /// The transaction.
        tx: B256,
    },
    /// The Safe's nonce moved past an owner phase, but not by executing its SafeTx.
    #[error(
        "the Safe {safe} used nonce {nonce} for another transaction: owner phase `{phase}` (SafeTx {safe_tx_hash}, batch {}) was not executed as exported (another transaction, or different calldata); nothing was sent. Check the Safe's history, then remove the journal's owner_phase_exported line of `{phase}` to export it again",
        batch.display()
    )]
    OtherExecution {
        /// The phase.
        phase: &'static str,
        /// The Safe.
        safe: Address,
        /// The nonce the phase was exported at.
        nonce: u64,
        /// The safeTxHash expected.
        safe_tx_hash: B256,
        /// The batch file.
        batch: PathBuf,
    },
    /// The Safe executed an owner phase's SafeTx, but its effects are not on chain.
    #[error(
        "the Safe executed owner phase `{phase}` (SafeTx {safe_tx_hash}) but {what}; nothing was sent"
    )]
    EffectsMissing {
        /// The phase.
        phase: &'static str,
        /// The safeTxHash.
        safe_tx_hash: B256,
        /// What is missing.
        what: String,
    },
    /// `--wait` ran out of time before the Safe executed the phase.
    #[error(
        "waited {waited_s} s and the Safe {safe} has not executed owner phase `{phase}` (SafeTx {safe_tx_hash}, nonce {nonce}); run `molt migrate` again once it has"
    )]
    WaitTimeout {
        /// The phase.
        phase: &'static str,
        /// The Safe.
        safe: Address,
        /// The nonce.
        nonce: u64,
        /// The safeTxHash.
        safe_tx_hash: B256,
        /// Seconds waited.
        waited_s: u64,
    },
    /// [`crate::run::migrate`] stopped at an owner phase (only [`crate::run::run`] reports that).
    #[error("the run stopped to wait for the Safe to execute owner phase `{phase}`")]
    Waiting {
        /// The phase.
        phase: &'static str,
    },
    /// A Safe call failed.
    #[error(transparent)]
    Safe(#[from] molt_chain::safe::SafeError),
}
