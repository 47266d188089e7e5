//! `molt`: smart-contract upgrades and state migrations on EVM chains.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod base_ref;
mod cmd;
mod connect;
mod exit;
mod hint;
mod migration;
mod opts;
mod owner_calls;
mod progress;
mod style;

use opts::GlobalOpts;

/// Smart-contract upgrades and state migrations on EVM chains.
///
/// Exit codes: 0 ok, 1 the check found problems (breaking changes, failed verification),
/// 2 usage or input error, 3 runtime failure outside your input (the node unreachable or not
/// answering after retries, timeouts; try again later).
#[derive(Debug, Parser)]
#[command(name = "molt", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    global: GlobalOpts,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Diff two ABIs / storage layouts and classify every change (breaking, warning, info).
    Diff(cmd::diff::DiffArgs),
    /// Generate a Solidity adapter that keeps the old interface alive in front of the new contract.
    Adapter(cmd::adapter::AdapterArgs),
    /// Draft a migration manifest (`molt.toml`) from the V1 and V2 artifacts.
    Init(cmd::init::InitArgs),
    /// Pre-check a migration manifest and print the plan (records, batches, gas, cost); sends nothing.
    Plan(cmd::plan::PlanArgs),
    /// Run a migration: pause, snapshot, move records in batches, verify, finalize.
    Migrate(cmd::migrate::MigrateArgs),
    /// Undo what a run that was not finalized did: return the funds it moved, unpause what it paused.
    Rollback(cmd::rollback::RollbackArgs),
    /// Recompute and compare source and target state hashes of a migration.
    Verify(cmd::verify::VerifyArgs),
    /// Show where a migration run stands, from its journal.
    Status(cmd::status::StatusArgs),
    /// The owner phases of a migration a Safe owns: export them for the Safe web app, sign, execute.
    Safe(cmd::safe::SafeArgs),
    /// Check a proxy upgrade governed by a Safe, rehearse it on a fork and write the Safe batch.
    Upgrade(cmd::upgrade::UpgradeArgs),
    /// Spawn anvil, deploy an example protocol (Fabstir, or a lending pool), seed state, migrate and verify.
    Demo(cmd::demo::DemoArgs),
}

fn main() -> ExitCode {
    let matches = Cli::command().color(clap_color()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let global = cli.global;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return exit::error(
                &global,
                &eyre::eyre!(e).wrap_err("cannot start the async runtime"),
            );
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Diff(args) => args.run(&global).await,
            Command::Adapter(args) => args.run(&global).await,
            Command::Init(args) => args.run(&global).await,
            Command::Plan(args) => args.run(&global).await,
            Command::Migrate(args) => args.run(&global).await,
            Command::Verify(args) => args.run(&global).await,
            Command::Rollback(args) => args.run(&global).await,
            Command::Status(args) => args.run(&global).await,
            Command::Safe(args) => args.run(&global).await,
            Command::Upgrade(args) => args.run(&global).await,
            Command::Demo(args) => args.run(&global).await,
        }
    });
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => exit::error(&global, &err),
    }
}

/// `--color` for clap's own help and usage errors, which are printed before the arguments are
/// parsed: the last `--color WHEN` or `--color=WHEN` (clap itself honours `NO_COLOR`).
fn clap_color() -> clap::ColorChoice {
    let args: Vec<String> = std::env::args_os().filter_map(|a| a.into_string().ok()).collect();
    let when = args.iter().enumerate().rev().find_map(|(i, a)| match a.as_str() {
        "--color" => args.get(i + 1).map(String::as_str),
        _ => a.strip_prefix("--color="),
    });
    match when.map(str::to_ascii_lowercase).as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}
