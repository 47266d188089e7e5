//! `molt safe`: the owner phases of a migration a Safe owns (`[governance] owner = { safe }`):
//! exported as Safe Transaction Builder files, signed by owners, executed.

mod exec;
mod export;
mod sign;

use clap::{Args, Subcommand};
use eyre::Result;

use crate::{exit::Outcome, opts::GlobalOpts};

/// The `schema` of every `molt safe --json` document.
pub(crate) const SCHEMA: &str = "molt.safe/1";

/// Arguments of `molt safe`.
#[derive(Debug, Args)]
pub(crate) struct SafeArgs {
    #[command(subcommand)]
    command: SafeCommand,
}

#[derive(Debug, Subcommand)]
enum SafeCommand {
    /// Write each owner phase as a Safe Transaction Builder batch file, and print its calls,
    /// MultiSend calldata and EIP-712 hashes (what a hardware wallet shows).
    Export(export::ExportArgs),
    /// Sign a batch's SafeTx with an owner's key and add the signature to a signatures file.
    Sign(sign::SignArgs),
    /// Execute a batch's SafeTx (`execTransaction`) once enough owners signed it.
    Exec(exec::ExecArgs),
}

impl SafeArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        match self.command {
            SafeCommand::Export(a) => a.run(global).await,
            SafeCommand::Sign(a) => a.run(global).await,
            SafeCommand::Exec(a) => a.run(global).await,
        }
    }
}

/// `0x…` of an address, lowercase (as every molt JSON document writes addresses).
pub(crate) fn addr(a: alloy::primitives::Address) -> String {
    format!("{a:#x}")
}
