//! `molt init`: draft a migration manifest from the V1 and V2 artifacts. The drafting lives in
//! `molt_migrate::init`; this file reads the arguments, writes the file and prints the summary.

use std::path::{Path, PathBuf};

use clap::Args;
use eyre::{WrapErr, eyre};
use molt_migrate::init::{self, InitError, Report};

use crate::{exit::Outcome, hint::Hint, opts::GlobalOpts};

/// Arguments of `molt init`.
///
/// Pairs V1 record getters with V2 batch imports, maps their fields, and finds the pause,
/// check, funds, verify and finalize functions. Every decision it cannot make is a
/// `# TODO(molt): …` comment; `molt plan` and `molt migrate` refuse the file until each is
/// resolved.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  molt init --old out/NodeRegistryV1.sol/NodeRegistryV1.json --new out/NodeRegistryV2.sol/NodeRegistryV2.json\n  molt init --old v1-out/ --new out/ --out migration/molt.toml\n  molt init --old v1.json --new v2.json --out -"
)]
pub(crate) struct InitArgs {
    /// The V1 contracts: artifacts (a plain ABI JSON, a Foundry or a Hardhat artifact) or
    /// folders of them.
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    old: Vec<PathBuf>,
    /// The V2 contracts, the same way.
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    new: Vec<PathBuf>,
    /// Where to write the draft; `-` writes it to stdout. ABI paths in it are relative to its
    /// folder.
    #[arg(long, value_name = "FILE", default_value = "molt.toml")]
    out: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    force: bool,
}

impl InitArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> eyre::Result<Outcome> {
        let to_stdout = self.out.as_os_str() == "-";
        if to_stdout && global.json {
            return Err(eyre!("--json and --out - would both print to stdout").wrap_err(Hint(
                "write the draft to a file with --out FILE, or leave out --json".into(),
            )));
        }
        if !to_stdout && self.out.exists() && !self.force {
            return Err(eyre!("{} already exists", self.out.display()).wrap_err(Hint(
                "pass --force to overwrite it, or --out FILE to write the draft elsewhere".into(),
            )));
        }
        let old = load(&self.old, "old")?;
        let new = load(&self.new, "new")?;
        let out_dir = match self.out.parent() {
            _ if to_stdout => PathBuf::from("."),
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let draft = init::draft(&old, &new, &out_dir).map_err(|e| {
            let hint = match &e {
                InitError::OldAndNew { .. } => "give each contract once: V1 after --old, V2 after --new",
                _ => "--new takes the contracts that import the records (a function taking one array of structs)",
            };
            eyre!(Hint(hint.into())).wrap_err(e)
        })?;
        let text = draft.render();
        let written = (!to_stdout).then_some(self.out.as_path());
        if let Some(path) = written {
            write(path, &text)?;
        } else {
            print!("{text}");
        }
        let report = draft.report(&text, written);
        if global.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else if !global.quiet {
            print_summary(&report, old.len(), new.len());
        }
        Ok(Outcome::Ok)
    }
}

fn load(paths: &[PathBuf], which: &str) -> eyre::Result<Vec<molt_abi::Artifact>> {
    init::load_artifacts(paths).map_err(|e| {
        let hint = match &e {
            InitError::NoArtifacts { .. } => format!(
                "--{which} takes artifacts or folders of them: run `forge build` (or your build) first, or name the files"
            ),
            _ => format!(
                "--{which} takes an ABI JSON array, a Foundry (out/<File>.sol/<C>.json) or Hardhat artifact, or a folder of them"
            ),
        };
        eyre!(Hint(hint)).wrap_err(e)
    })
}

fn write(path: &Path, text: &str) -> eyre::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).wrap_err_with(|| format!("cannot write {}", path.display()))
}

/// What was paired and what is left to decide, on stderr (the draft is the data).
fn print_summary(r: &Report, old: usize, new: usize) {
    let into = r.out.as_ref().map_or("stdout".to_owned(), |p| p.display().to_string());
    eprintln!("drafted {into} from {old} V1 and {new} V2 contracts:");
    let width = r.components.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &r.components {
        let source = c.source.as_deref().unwrap_or("(no V1 source found)");
        eprintln!("  {:<width$}  {source} -> {}", c.name, c.target);
    }
    let funds = if r.funds.is_empty() {
        "no funds".to_owned()
    } else {
        format!("funds {}", r.funds.join(", "))
    };
    eprintln!("  {funds}; {} pause, {} check, {} finalize entries", r.pauses, r.checks, r.finalize);
    if !r.unused.is_empty() {
        eprintln!("  not used: {}", r.unused.join(", "));
    }
    if r.todos.is_empty() {
        eprintln!("nothing left to decide: review it, then `molt plan`");
        return;
    }
    eprintln!(
        "{} TODO(molt) to resolve (`molt plan` refuses the file until each is decided and its comment deleted):",
        r.todos.len()
    );
    for t in &r.todos {
        eprintln!("  line {:>3}: {}", t.line, t.text);
    }
}
