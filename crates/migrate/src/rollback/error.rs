//! Errors of `molt rollback`.

use std::path::PathBuf;

/// Why a rollback is refused (nothing was sent).
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    /// The journal does not exist: no run to roll back (or a wrong path).
    #[error("no journal at {}: no run started with it, there is nothing to roll back", journal.display())]
    NoJournal {
        /// The journal asked for.
        journal: PathBuf,
    },
    /// The migration phase was ended: the new contracts are live.
    #[error(
        "the run of {} was finalized ({what}): the new contracts are out of their migration phase, users may already hold and move funds in them, and they cannot send the funds back; a rollback is refused",
        journal.display()
    )]
    Finalized {
        /// The journal.
        journal: PathBuf,
        /// What the journal says was finalized.
        what: String,
    },
    /// The run did something the manifest has no way to undo.
    #[error("this run {done}, and the manifest cannot undo it: {missing}")]
    NotReversible {
        /// What the run did.
        done: String,
        /// What the manifest lacks.
        missing: String,
    },
    /// `molt migrate` on a journal that was rolled back (or is rolling back).
    #[error("{} {}", journal.display(), if *finished {
        "belongs to a run that was rolled back: its new contracts are abandoned"
    } else {
        "belongs to a run whose rollback started and did not finish"
    })]
    RolledBack {
        /// The journal.
        journal: PathBuf,
        /// Whether the rollback finished.
        finished: bool,
    },
    /// After the rollback's transactions, an old contract still reports itself paused.
    #[error("{contract} ({address}) still reports itself paused after `{call}`")]
    StillPaused {
        /// The contract's manifest name.
        contract: String,
        /// Its address.
        address: alloy::primitives::Address,
        /// The unpause call sent.
        call: String,
    },
}
