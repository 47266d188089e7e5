//! `molt diff`: classify every change between two versions of contracts (ABI and storage
//! layout) as breaking, warning or info. The rules live in `molt_abi::diff`; this file reads
//! the arguments and the config, runs the differ and prints the chosen format.

mod deployed;

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
};

use alloy::primitives::Address;
use clap::Args;
use eyre::{WrapErr, bail, eyre};
use molt_abi::diff::{self, Config, Options, RULES, Report, render::Format};

use crate::{exit::Outcome, hint::Hint, opts::GlobalOpts};

/// Arguments of `molt diff`.
///
/// Exit codes: 0 no breaking change (and no warning under `--deny warnings`), 1 breaking
/// change found, 2 usage or input error, 3 (`--deployed`) the node unreachable after retries.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  molt diff old/NodeRegistry.json out/NodeRegistry.sol/NodeRegistry.json\n  molt diff old-out/ out/ --format sarif > molt.sarif\n  molt diff --base-ref origin/main --format github\n  molt diff --deployed 0x5FbD...0aa3 --rpc-url http://localhost:8545 out/Token.sol/Token.json"
)]
pub(crate) struct DiffArgs {
    /// OLD and NEW: two files (plain ABI JSON, Foundry or Hardhat artifacts, storage layouts
    /// from `forge inspect <C> storageLayout --json`) or two directories of them (Foundry
    /// `out/`, Hardhat `artifacts/`). With
    /// `--base-ref`, at most NEW (default: the working tree's build); with `--deployed`, the ABI.
    #[arg(value_name = "PATH", num_args = 0..=2)]
    paths: Vec<PathBuf>,

    /// Output format: text, json (schema molt.diff/1), markdown, sarif or github.
    #[arg(long, value_name = "FORMAT", default_value = "text", env = "MOLT_DIFF_FORMAT")]
    format: Format,

    /// Also fail (exit 1) on warnings: `--deny warnings`.
    #[arg(long, value_name = "LEVEL", value_parser = ["warnings"])]
    deny: Vec<String>,

    /// Pair contracts whose name changed (directory mode); repeatable.
    #[arg(long, value_name = "OLD=NEW")]
    rename: Vec<String>,

    /// The config file (its `[diff]` section); default: ./molt.toml when it exists.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,

    /// A proxy's ABI or artifact: report its selectors that collide with the new
    /// implementation's functions.
    #[arg(long, value_name = "PATH")]
    proxy: Option<PathBuf>,

    /// In directory mode, also diff the artifacts of `*.t.sol` and `*.s.sol` files.
    #[arg(long)]
    include_tests: bool,

    /// Diff the contracts as built at this git ref (a worktree, built with forge, cached by
    /// commit) against the working tree's build.
    #[arg(long, value_name = "REF", conflicts_with = "deployed")]
    base_ref: Option<String>,

    /// With `--base-ref`: do not run `forge build` in the working tree first.
    #[arg(long, requires = "base_ref")]
    no_build: bool,

    /// Check the runtime bytecode at this address against the ABI given as PATH: selectors
    /// declared but missing, present but undeclared.
    #[arg(long, value_name = "ADDRESS", requires = "rpc_url")]
    deployed: Option<Address>,

    /// The node to read deployed code from (`--rpc-url`, `--rpc-timeout`).
    #[command(flatten)]
    rpc: crate::opts::RpcOpts,

    /// Print the rule catalog (kind, default severity, description) and exit.
    // Not `exclusive`: that refuses global options too, even when they come from the
    // environment (`MOLT_NO_PROGRESS=1 molt diff --list-kinds`).
    #[arg(long, conflicts_with_all = ["paths", "deny", "rename", "config", "proxy", "include_tests", "base_ref", "deployed"])]
    list_kinds: bool,
}

impl DiffArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> eyre::Result<Outcome> {
        if self.list_kinds {
            print_kinds();
            return Ok(Outcome::Ok);
        }
        // `--json` (global) means `--format json` unless a format was chosen explicitly.
        let format =
            if global.json && self.format == Format::Text { Format::Json } else { self.format };
        let config = self.load_config()?;
        let deny_warnings = config.deny_warnings() || !self.deny.is_empty();
        let renames = parse_renames(&self.rename)?;

        let report = if let Some(address) = self.deployed {
            let [abi] = self.paths.as_slice() else {
                bail!(usage(
                    "`--deployed` takes one PATH: the ABI or artifact to check the code against"
                ));
            };
            deployed::report(address, &self.rpc, abi, &config).await?
        } else {
            let (old, new) = match (&self.base_ref, self.paths.as_slice()) {
                (Some(r), paths) if paths.len() <= 1 => {
                    let base = crate::base_ref::Base::discover(global)?;
                    let old = base.build_ref(r)?;
                    let new = match paths.first() {
                        Some(p) => p.clone(),
                        None => base.build_working_tree(self.no_build)?,
                    };
                    (old, new)
                }
                (Some(_), _) => bail!(usage("with `--base-ref`, give at most NEW (a directory)")),
                (None, [old, new]) => (old.clone(), new.clone()),
                (None, _) => bail!(usage(
                    "give OLD and NEW (two files or two directories), or `--base-ref REF`"
                )),
            };
            let options = Options {
                config,
                renames,
                proxy: self.proxy.clone(),
                include_tests: self.include_tests,
            };
            diff::diff_paths(&old, &new, &options).map_err(input_error)?
        };

        let mut stdout = std::io::stdout().lock();
        stdout.write_all(diff::render::render(&report, format).as_bytes())?;
        stdout.flush()?;
        Ok(outcome(&report, deny_warnings))
    }

    fn load_config(&self) -> eyre::Result<Config> {
        match &self.config {
            Some(path) => Config::load(path).map_err(input_error),
            None => {
                let default = Path::new("molt.toml");
                if default.is_file() {
                    Config::load(default).map_err(input_error)
                } else {
                    Ok(Config::default())
                }
            }
        }
    }
}

fn outcome(report: &Report, deny_warnings: bool) -> Outcome {
    if report.fails(deny_warnings) { Outcome::Problems } else { Outcome::Ok }
}

fn usage(msg: &str) -> eyre::Report {
    eyre!(Hint("run `molt diff --help` for the forms it accepts".into())).wrap_err(msg.to_owned())
}

/// Wraps a library error with a hint when one helps.
fn input_error(e: molt_abi::Error) -> eyre::Report {
    let hint = match &e {
        molt_abi::Error::Format { .. } => Some(
            "molt diff reads plain ABI JSON arrays, Foundry or Hardhat artifacts, and `forge inspect <C> storageLayout --json` output",
        ),
        molt_abi::Error::AbiType { .. } => Some(
            "ABI types are Solidity's: `uintN`/`intN` (N a multiple of 8, 8 to 256), `bytes1` to `bytes32`, `address`, `bool`, `string`, `bytes`, `function`, arrays of them (`T[]`, `T[k]`), and `tuple` with `components`",
        ),
        molt_abi::Error::Config { .. } => Some(
            "the [diff] section is described in docs/diff.md; `molt diff --list-kinds` lists the kinds",
        ),
        _ => None,
    };
    match hint {
        Some(h) => eyre!(Hint(h.into())).wrap_err(e),
        None => eyre!(e),
    }
}

fn parse_renames(pairs: &[String]) -> eyre::Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((o, n)) if !o.trim().is_empty() && !n.trim().is_empty() => {
                Ok((o.trim().to_owned(), n.trim().to_owned()))
            }
            _ => Err(usage(&format!(
                "`--rename {p}`: expected OLD=NEW, e.g. `--rename NodeRegistryV1=NodeRegistryV2`"
            ))),
        })
        .collect::<eyre::Result<_>>()
        .wrap_err("invalid --rename")
}

fn print_kinds() {
    let mut out = String::new();
    for r in RULES {
        let sev = if r.severity_rule.is_empty() {
            r.severity.to_string()
        } else {
            format!("{}*", r.severity)
        };
        out.push_str(&format!("{:<30} {:<9} {}\n", r.id, sev, r.description));
    }
    out.push_str("\n* the severity depends on the change; see docs/diff.md\n");
    print!("{out}");
}
