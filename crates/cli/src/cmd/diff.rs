//! `molt diff`: placeholder until the differ lands (issue #3).

use clap::Args;

use crate::{opts::GlobalOpts, report::Outcome};

/// Arguments of `molt diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

impl DiffArgs {
    pub(crate) async fn run(self, _global: &GlobalOpts) -> eyre::Result<Outcome> {
        Err(eyre::eyre!("`molt diff` is not built yet (tracked in issue #3)"))
    }
}
