//! How a command's result becomes an exit code and what is printed on failure.

use std::process::ExitCode;

use crate::opts::GlobalOpts;

/// What a command that ran to the end found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // both variants are used once the checks land
pub(crate) enum Outcome {
    /// Nothing to report: exit 0.
    Ok,
    /// The check found problems (breaking changes, failed verification): exit 1.
    Problems,
}

impl Outcome {
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Self::Ok => ExitCode::SUCCESS,
            Self::Problems => ExitCode::from(1),
        }
    }
}

/// A hint printed after an error, attached with `.wrap_err`-style context: `Err(e).hint("...")`.
#[derive(Debug)]
pub(crate) struct Hint(pub(crate) String);

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Hint {}

/// Prints an error with its cause chain (and a hint when one was attached) to stderr and
/// returns exit code 2 (usage or input error).
pub(crate) fn error(global: &GlobalOpts, err: &eyre::Report) -> ExitCode {
    let _ = global;
    // Hints are attached as context (`wrap_err(Hint(..))`, whose link in the chain is eyre's
    // wrapper, not a `Hint`) or as the root error; they are printed last, not as the error.
    // `Report::downcast_ref` looks through the contexts.
    let hint = err.downcast_ref::<Hint>().map(|h| h.0.clone());
    let mut causes = err.chain().map(|c| c.to_string()).filter(|c| Some(c) != hint.as_ref());
    let mut shown = String::new();
    if let Some(top) = causes.next() {
        eprintln!("error: {top}");
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
        eprintln!("\nhint: {hint}");
    }
    ExitCode::from(2)
}
