//! How a command's result becomes an exit code and what is printed on failure: 0 ok, 1 the
//! check found problems, 2 usage or input error, 3 runtime failure outside the user's input.

use std::process::ExitCode;

use alloy::transports::TransportError;

use crate::{
    hint::Hint,
    opts::GlobalOpts,
    style::{ACCENT, ERROR},
};

/// What a command that ran to the end found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing to report: exit 0.
    Ok,
    /// The check found problems (breaking changes, failed verification): exit 1.
    Problems,
}

impl Outcome {
    /// The process's exit code for this outcome.
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Self::Ok => ExitCode::SUCCESS,
            Self::Problems => ExitCode::from(1),
        }
    }
}

/// Prints an error with its cause chain (and a hint when one was attached) to stderr and
/// returns its exit code: 3 for a runtime failure outside the user's input (see
/// [`is_runtime_failure`]), 2 for everything else (usage or input error).
pub(crate) fn error(global: &GlobalOpts, err: &eyre::Report) -> ExitCode {
    let color = global.color_stderr();
    // Hints are attached as context (`wrap_err(Hint(..))`, whose link in the chain is eyre's
    // wrapper, not a `Hint`) or as the root error; they are printed last, not as the error.
    // `Report::downcast_ref` looks through the contexts.
    let hint = err.downcast_ref::<Hint>().map(|h| h.0.clone());
    let mut causes = err.chain().map(|c| c.to_string()).filter(|c| Some(c) != hint.as_ref());
    let mut shown = String::new();
    if let Some(top) = causes.next() {
        eprintln!("{} {top}", ERROR.paint(color, "error:"));
        shown = top;
    }
    for cause in causes {
        // Errors that quote their source in their own message are not repeated.
        if !shown.contains(&cause) {
            eprintln!("  caused by: {cause}");
        }
        shown.push_str(&cause);
    }
    if let Some(hint) = hint {
        eprintln!("\n{} {hint}", ACCENT.paint(color, "hint:"));
    }
    ExitCode::from(if is_runtime_failure(err) { 3 } else { 2 })
}

/// Whether `err` is a runtime failure outside the user's input: the node unreachable, timing
/// out or failing with transient errors until the retries ran out, a transaction without a
/// receipt in time, a broadcast whose outcome is unknown, confirmations that did not come.
/// Decided by the first link of the cause chain that is a chain or engine error.
pub(crate) fn is_runtime_failure(err: &eyre::Report) -> bool {
    err.chain().find_map(runtime_link).unwrap_or(false)
}

/// Whether one link of a cause chain is a runtime failure; `None` when it is not a chain or
/// engine error.
fn runtime_link(link: &(dyn std::error::Error + 'static)) -> Option<bool> {
    if let Some(e) = link.downcast_ref::<molt_migrate::Error>() {
        return Some(match e {
            molt_migrate::Error::Chain(e) => chain_runtime(e),
            molt_migrate::Error::Broadcast(e) => broadcast_runtime(e),
            molt_migrate::Error::ConfirmationTimeout { .. } => true,
            // `--wait` ran out of time: run again later.
            molt_migrate::Error::Governance(
                molt_migrate::governance::GovernanceError::WaitTimeout { .. },
            ) => true,
            // The node failed while the logs were scanned (not the manifest's doing).
            molt_migrate::Error::KeyScan { .. }
            | molt_migrate::Error::Governance(molt_migrate::governance::GovernanceError::Logs {
                ..
            }) => true,
            // A view read that the node failed, not one that reverted.
            molt_migrate::Error::Call { node_failed, .. } => *node_failed,
            // The node failed while the Safe was read or the transaction sent.
            molt_migrate::Error::Governance(molt_migrate::governance::GovernanceError::Safe(
                molt_chain::safe::SafeError::Chain(e),
            )) => chain_runtime(e),
            _ => false,
        });
    }
    if let Some(e) = link.downcast_ref::<molt_migrate::upgrade::UpgradeError>() {
        use molt_migrate::upgrade::UpgradeError as U;
        return Some(match e {
            U::Chain(e) | U::Safe(molt_chain::safe::SafeError::Chain(e)) => chain_runtime(e),
            _ => false,
        });
    }
    if let Some(e) = link.downcast_ref::<molt_chain::Error>() {
        return Some(chain_runtime(e));
    }
    if let Some(e) = link.downcast_ref::<molt_chain::BroadcastError>() {
        return Some(broadcast_runtime(e));
    }
    link.downcast_ref::<TransportError>().map(molt_chain::rpc::is_transient)
}

fn chain_runtime(e: &molt_chain::Error) -> bool {
    use molt_chain::Error as E;
    match e {
        // Transient failures that outlasted the retries (or the deadline); a revert, invalid
        // params or an HTTP 401/404 (a wrong URL or key) are the user's to fix.
        E::Rpc(t) | E::Estimate(molt_chain::EstimateError::Rpc(t)) => {
            molt_chain::rpc::is_transient(t)
        }
        E::WaitTimeout { .. } | E::Pending(_) => true,
        E::Broadcast(b) => broadcast_runtime(b),
        _ => false,
    }
}

/// Only an unknown outcome: a refused transaction or a nonce another one took needs a person.
fn broadcast_runtime(e: &molt_chain::BroadcastError) -> bool {
    matches!(e, molt_chain::BroadcastError::Unknown { .. })
}
