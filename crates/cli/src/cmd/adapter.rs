//! `molt adapter`: generate a Solidity adapter that keeps the old interface alive in front of
//! the new contract. The generation lives in `molt_abi::adapter`; this file reads the inputs,
//! writes the files, formats them with `forge fmt` and prints the summary.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use clap::Args;
use eyre::{WrapErr, eyre};
use molt_abi::{
    Artifact,
    adapter::{self, Disposition, Generated, Mapping},
};
use serde::Serialize;

use crate::{exit::Outcome, hint::Hint, opts::GlobalOpts};

/// Arguments of `molt adapter`.
///
/// Writes `IOld<Name>.sol`, `INew<Name>.sol`, `<Name>Adapter.sol` and `<Name>Adapter.t.sol` to
/// `--out`, then prints how many old functions are forwarded, converted and stubbed.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  molt adapter --old out/NodeRegistryV1.sol/NodeRegistryV1.json --new out/NodeRegistryV2.sol/NodeRegistryV2.json --out adapter/\n  molt adapter --old v1.json --new v2.json --name Vault --map adapter.toml --out src/adapter/"
)]
pub(crate) struct AdapterArgs {
    /// The old version: a plain ABI JSON, a Foundry or a Hardhat artifact.
    #[arg(long, value_name = "PATH")]
    old: PathBuf,
    /// The new version (with a Foundry artifact, the generated test deploys the real contract).
    #[arg(long, value_name = "PATH")]
    new: PathBuf,
    /// The base name: `Foo` (or `FooAdapter`) writes `FooAdapter.sol`, `IOldFoo.sol`...
    /// Default: the new contract's name without its version suffix.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The folder to write the four files to (created if missing; those files are overwritten).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// A mapping file stating what molt cannot guess (see docs/adapter.md).
    #[arg(long = "map", value_name = "PATH")]
    map: Option<PathBuf>,
    /// Do not run `forge fmt` on the output (it runs when forge is on PATH).
    #[arg(long)]
    no_fmt: bool,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    name: &'a str,
    files: Vec<PathBuf>,
    formatted: bool,
    mock_target: bool,
    summary: adapter::Summary,
    functions: &'a [adapter::FunctionPlan],
}

impl AdapterArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> eyre::Result<Outcome> {
        let load = |p: &Path, which: &str| {
            Artifact::load(p).map_err(|e| {
                eyre!(Hint(format!(
                    "--{which} takes an ABI JSON array, or a Foundry (out/<File>.sol/<C>.json) or Hardhat artifact"
                )))
                .wrap_err(e)
            })
        };
        let old = load(&self.old, "old")?;
        let new = load(&self.new, "new")?;
        let mapping = match &self.map {
            Some(p) => Some((
                p.clone(),
                Mapping::load(p).map_err(|e| {
                    eyre!(Hint("see docs/adapter.md for the mapping file format".into()))
                        .wrap_err(e)
                })?,
            )),
            None => None,
        };
        let options = adapter::Options { name: self.name.clone(), mapping };
        let generated = adapter::generate(&old, &new, &options).map_err(|e| {
            let hint = match &e {
                adapter::Error::Mapping { .. } => "fix the entry (signatures are canonical: `name(type,...)`, as `molt diff` prints them)",
                adapter::Error::Name { .. } => "pass --name with a Solidity identifier, e.g. --name Vault",
                _ => "give two contract ABIs or artifacts (a storage layout alone has no functions)",
            };
            eyre!(Hint(hint.into())).wrap_err(e)
        })?;

        std::fs::create_dir_all(&self.out)
            .wrap_err_with(|| format!("cannot create {}", self.out.display()))?;
        let mut paths = Vec::new();
        for f in &generated.files {
            let path = self.out.join(&f.name);
            std::fs::write(&path, &f.contents)
                .wrap_err_with(|| format!("cannot write {}", path.display()))?;
            paths.push(path);
        }
        let formatted = if self.no_fmt { false } else { forge_fmt(&self.out, &generated, global) };

        if global.json {
            let report = JsonReport {
                name: &generated.name,
                files: paths,
                formatted,
                mock_target: generated.mock_target,
                summary: generated.summary,
                functions: &generated.functions,
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
            return Ok(Outcome::Ok);
        }
        print_summary(&generated, &old, &paths, formatted, global);
        Ok(Outcome::Ok)
    }
}

/// Runs `forge fmt` on the generated files when forge is on PATH. Returns whether it did.
fn forge_fmt(dir: &Path, generated: &Generated, global: &GlobalOpts) -> bool {
    let Some(forge) = find_on_path("forge") else { return false };
    let files: Vec<&str> = generated.files.iter().map(|f| f.name.as_str()).collect();
    match Command::new(forge).arg("fmt").args(&files).current_dir(dir).output() {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            if !global.quiet {
                eprintln!(
                    "warning: `forge fmt` failed; the files are written unformatted:\n{}",
                    String::from_utf8_lossy(&o.stderr).trim_end()
                );
            }
            false
        }
        Err(e) => {
            if !global.quiet {
                eprintln!("warning: cannot run forge fmt ({e}); the files are written unformatted");
            }
            false
        }
    }
}

fn find_on_path(exe: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(exe)).find(|p| p.is_file())
}

/// The files written and how, on stderr: a log, not the adapter's data.
fn print_written(g: &Generated, paths: &[PathBuf], formatted: bool) {
    for p in paths {
        eprintln!("wrote {}", p.display());
    }
    if !formatted {
        eprintln!("(not formatted: forge is not on PATH or --no-fmt was given)");
    }
    if g.mock_target {
        eprintln!(
            "(the test deploys a mock target: the new contract was given as an ABI without bytecode)"
        );
    }
}

/// The adapter's functions and what it does with each, then the summary line, on stdout.
fn print_summary(
    g: &Generated,
    old: &Artifact,
    paths: &[PathBuf],
    formatted: bool,
    global: &GlobalOpts,
) {
    let s = g.summary;
    if !global.quiet {
        print_written(g, paths, formatted);
        let width = g.functions.iter().map(|f| f.signature.len()).max().unwrap_or(0);
        for f in &g.functions {
            let detail = match f.disposition {
                Disposition::Forwarded => String::new(),
                Disposition::Converted => {
                    let t = f.target.as_deref().unwrap_or_default();
                    let how = if f.notes.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", f.notes.join("; "))
                    };
                    format!("-> {t}{how}")
                }
                Disposition::Stubbed => {
                    format!(
                        "TODO(molt): {}",
                        f.notes.first().map(String::as_str).unwrap_or_default()
                    )
                }
            };
            let line =
                format!("  {:<9}  {:<width$}  {detail}", f.disposition.as_str(), f.signature);
            println!("{}", line.trim_end());
        }
        println!();
    }
    println!(
        "{}Adapter ({} functions of {}): {} forwarded, {} converted, {} stubbed",
        g.name,
        g.functions.len(),
        old.name,
        s.forwarded,
        s.converted,
        s.stubbed
    );
}
