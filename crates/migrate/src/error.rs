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
    /// A keyed source's `from_block` is after the node's head.
    #[error(
        "{at}: component `{component}`: `from_block` {from_block} is after the node's latest block {head}"
    )]
    KeysFromBlock {
        /// The manifest's `keys` table (`file:line:col`).
        at: String,
        /// The component.
        component: String,
        /// The manifest's `from_block`.
        from_block: u64,
        /// The node's latest block.
        head: u64,
    },
    /// The node does not serve `eth_getLogs`, so keys from events cannot be discovered on it.
    #[error(
        "{at}: component `{component}`: its keys cannot be discovered on this node, which refuses eth_getLogs ({reason})"
    )]
    KeysUnsupported {
        /// The manifest's `keys` table (`file:line:col`).
        at: String,
        /// The component.
        component: String,
        /// The node's answer.
        reason: String,
    },
    /// Scanning the logs for a component's keys failed.
    #[error("component `{component}`: scanning the logs for its keys failed: {reason}")]
    KeyScan {
        /// The component.
        component: String,
        /// What went wrong.
        reason: String,
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
        /// Whether the node failed (after the retries) rather than the call.
        node_failed: bool,
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
    /// The node is on another chain than the manifest says.
    #[error("the manifest is for chain {expected} but the node is chain {got}")]
    ChainMismatch {
        /// The manifest's chain id.
        expected: u64,
        /// The node's chain id.
        got: u64,
    },
    /// No contract at an address of the manifest.
    #[error(
        "no contract code at {address} (`{contract}` in the manifest); wrong address or wrong network?"
    )]
    NoCode {
        /// The contract's manifest name.
        contract: String,
        /// The address.
        address: alloy::primitives::Address,
    },
    /// The code at a contract's address does not dispatch a function the run calls on it: the
    /// address is wrong (another contract, or two contracts swapped), or the ABI is.
    #[error(
        "`{contract}` ({address}) has no function `{function}` ({selector}), which {role} calls{}: is the address right?",
        looks_like.as_ref().map(|o| format!("; its code has every function of `{o}`'s ABI")).unwrap_or_default()
    )]
    NotDispatched {
        /// The contract's manifest name.
        contract: String,
        /// Its address.
        address: alloy::primitives::Address,
        /// The function's signature.
        function: String,
        /// Its selector.
        selector: alloy::primitives::Selector,
        /// What the run calls it for.
        role: String,
        /// Another manifest contract whose calls the code does dispatch.
        looks_like: Option<String>,
    },
    /// A component's source has no records while its target is empty: most likely the wrong
    /// address, or a migration that would finalize nothing.
    #[error(
        "component `{component}`: the source `{contract}` has no records ({function} returned 0) and the target is empty"
    )]
    EmptySource {
        /// The component.
        component: String,
        /// The source contract's manifest name.
        contract: String,
        /// The count view.
        function: String,
    },
    /// The target already holds records that no journal of this run accounts for.
    #[error(
        "`{contract}` already holds {onchain} imported records of {components}, but this run's journal accounts for {known}"
    )]
    ExistingRecords {
        /// The target contract's manifest name.
        contract: String,
        /// The components whose count it is (one digest group).
        components: String,
        /// Its import count.
        onchain: u64,
        /// Records the journal says it imported.
        known: u64,
    },
    /// Finalizing would close a component that migrated no record.
    #[error(
        "component `{component}` has no records to migrate; finalizing closes the imports for good"
    )]
    EmptyComponent {
        /// The component.
        component: String,
    },
    /// The backup was taken on another chain than the node's.
    #[error("the backup was taken on chain {backup}, but the node is chain {node}")]
    BackupChain {
        /// The backup's chain.
        backup: u64,
        /// The node's chain.
        node: u64,
    },
    /// `molt verify` was given no snapshot, and the journal has none.
    #[error("no snapshot to verify against: the journal has no snapshot")]
    NoSnapshot,
    /// A local anvil fork of the node could not be started for a rehearsal.
    #[error("cannot start a local anvil fork of the node to rehearse the run: {source}")]
    NoFork {
        /// Why.
        #[source]
        source: molt_chain::Error,
    },
    /// A step failed when rehearsed on a fork: nothing was sent to the node.
    #[error("rehearsed on a fork of block {block}, the run fails, so nothing was sent: {source}")]
    PreflightFailed {
        /// The block the fork was taken at.
        block: u64,
        /// What failed on the fork.
        #[source]
        source: Box<Self>,
    },
    /// A `[[check]]` failed.
    #[error("pre-check `{name}` failed: {call} returned {got}. {message}")]
    CheckFailed {
        /// The check's name.
        name: String,
        /// What was called.
        call: String,
        /// What it returned.
        got: String,
        /// The manifest's explanation.
        message: String,
    },
    /// The signing account lacks a role or ownership a call needs.
    #[error("{account} may not call `{function}` on `{contract}`: {reason}")]
    MissingRole {
        /// The account.
        account: alloy::primitives::Address,
        /// The contract's manifest name.
        contract: String,
        /// The function.
        function: String,
        /// The decoded revert.
        reason: String,
    },
    /// The signing account cannot pay for the run.
    #[error("{account} holds {have} wei but the run needs about {need} wei of gas")]
    InsufficientBalance {
        /// The account.
        account: alloy::primitives::Address,
        /// Its balance.
        have: alloy::primitives::U256,
        /// The estimate.
        need: alloy::primitives::U256,
    },
    /// A call would revert (found by simulation, before sending).
    #[error("{what} would revert: {reason}")]
    WouldRevert {
        /// What was simulated.
        what: String,
        /// The decoded revert.
        reason: String,
    },
    /// A transaction was mined but reverted; the run stops.
    #[error("transaction {hash} ({step}) reverted: {reason}")]
    TxReverted {
        /// The journal step.
        step: String,
        /// The transaction.
        hash: alloy::primitives::B256,
        /// The decoded reason.
        reason: String,
    },
    /// One record needs more gas than a transaction may use.
    #[error(
        "component `{component}`, record {index} needs {gas} gas alone, more than the batch budget of {budget}"
    )]
    RecordTooLarge {
        /// The component.
        component: String,
        /// The record's source index.
        index: u64,
        /// Its gas.
        gas: u64,
        /// The budget.
        budget: u64,
    },
    /// The run's transactions did not get as deep as the manifest's `confirmations` in time.
    #[error(
        "block {block} is not {confirmations} blocks deep after {waited:?} (the head is {head}); is the node producing blocks? A local anvil mines only when it receives transactions: set `confirmations = 1` there"
    )]
    ConfirmationTimeout {
        /// The newest block with a transaction of the run.
        block: u64,
        /// The confirmations the manifest asks for.
        confirmations: u64,
        /// The chain's head when it gave up.
        head: u64,
        /// How long it waited.
        waited: std::time::Duration,
    },
    /// Another sender uses the signing account (another run with the same key on another
    /// journal, a wallet): its nonce moved under the run, which stopped before sending again.
    #[error(
        "the nonce of {account} moved under this run: before `{step}` it expected to sign with nonce {expected}, but the node reports {node}{detail}. Another process is sending with the same key (another `molt migrate` on another journal?); this run stopped without sending anything more, and the journal is consistent"
    )]
    NonceRace {
        /// The signing account.
        account: alloy::primitives::Address,
        /// The journal step the run was about to send.
        step: String,
        /// The nonce the run expected to use.
        expected: u64,
        /// The account's next nonce as the node reports it.
        node: u64,
        /// What the node said, when a broadcast told.
        detail: String,
    },
    /// The chain does not look the way the journal says it should.
    #[error("inconsistent state: {0}")]
    Inconsistent(String),
    /// The journal.
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    /// The journal is in use by another run.
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// Chain access.
    #[error(transparent)]
    Chain(#[from] molt_chain::Error),
    /// A rollback refused.
    #[error(transparent)]
    Rollback(#[from] crate::rollback::RollbackError),
    /// The owner phases of a Safe-governed migration.
    #[error(transparent)]
    Governance(#[from] crate::governance::GovernanceError),
    /// A broadcast whose outcome could not be established.
    #[error(transparent)]
    Broadcast(#[from] molt_chain::tx::BroadcastError),
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<molt_chain::read::CallError> for Error {
    fn from(e: molt_chain::read::CallError) -> Self {
        use molt_chain::read::CallError;
        let CallError { function, address, reason, node_failed } = e;
        Self::Call { function, address, reason, node_failed }
    }
}
