//! The owner phases of a migration whose contracts a Safe owns (`[governance]`).
//!
//! - [`phase`]: the owner phases built from the manifest: `open` (the pauses of contracts not
//!   paused yet, the funds moves, the `grant` calls) and `close` (the finalize calls, the
//!   `revoke` calls), each call decoded and encoded, and each phase's SafeTx (one call
//!   directly, several through MultiSendCallOnly) at the Safe's nonce, with its EIP-712 hashes.
//! - [`batch`]: the Safe Transaction Builder batch file of a phase, with the checksum the app
//!   computes.
//! - [`signatures`]: owners' EIP-712 signatures collected in a file keyed by SafeTx hash, and
//!   `execTransaction` once the threshold is met.
//!
//! The amounts of the funds moves are what the V1 records credit at the block of the export;
//! a V1 that changes before the phase executes is caught by verification (the moved funds
//! would not equal what the records credit).

pub mod batch;
mod error;
pub mod phase;
pub mod signatures;

pub use batch::{BatchFile, batch_file, checksum};
pub use error::GovernanceError;
pub use phase::{
    Export, MULTI_SEND_CALL_ONLY, OwnerCall, OwnerPhase, PhaseName, Purpose, SafeInfo, export,
    safe_info,
};
pub use signatures::{Executed, SignaturesFile, Signed, exec, send_exec, sign};
