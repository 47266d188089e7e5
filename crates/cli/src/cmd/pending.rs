//! Subcommands that are planned but not built yet: they say so and exit 2.

use clap::Args;

use crate::report::Outcome;

/// Arguments of a subcommand that is not built yet (accepted and ignored).
#[derive(Debug, Args)]
pub(crate) struct PendingArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

impl PendingArgs {
    pub(crate) fn run(self, name: &str, issue: u32) -> eyre::Result<Outcome> {
        Err(eyre::eyre!("`molt {name}` is not built yet (tracked in issue #{issue})"))
    }
}
