//! Options shared by every subcommand.

use clap::Args;

/// Display options, accepted before or after the subcommand.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Display options")]
pub(crate) struct GlobalOpts {
    /// Write machine-readable JSON to stdout (progress becomes NDJSON events on stderr).
    #[arg(long, global = true, env = "MOLT_JSON")]
    pub(crate) json: bool,
    /// Print only data and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// More detail on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Do not draw progress bars.
    #[arg(long, global = true, env = "MOLT_NO_PROGRESS")]
    pub(crate) no_progress: bool,
}

impl GlobalOpts {
    /// Whether stderr may use colour (`NO_COLOR` is respected).
    #[allow(dead_code)]
    pub(crate) fn color(&self) -> bool {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::IsTerminal::is_terminal(&std::io::stderr())
    }
}
