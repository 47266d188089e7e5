//! `molt init`: a first manifest drafted from the V1 and V2 artifacts.
//!
//! The draft pairs V1 record sources (enumerations, keyed getters with the events that carry
//! their keys) with V2 batch-import functions by name and struct shape, maps the import
//! fields (by name, renamed, scaled, `$index`, `$key`, zero values), and finds the pause,
//! check, funds, verify and finalize functions by their usual names and shapes. What it
//! cannot decide is written as a `# TODO(molt): …` comment; the manifest loader refuses a
//! file that still has one, so a draft cannot run before someone has read it.
//!
//! [`load_artifacts`] reads the inputs, [`draft`] builds a [`Draft`], [`Draft::render`]
//! writes its TOML text.

mod component;
mod fields;
mod names;
mod render;
mod roles;
mod shape;
mod sources;

use std::path::{Component as PathPart, Path, PathBuf};

use alloy::json_abi::JsonAbi;
use molt_abi::{Artifact, ArtifactKind};

use self::{
    component::Component,
    roles::{Check, Funds, Pause},
};

pub use crate::manifest::TODO_MARKER;

/// Errors of `molt init`: inputs that are not artifacts, or nothing to pair.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// An artifact could not be read.
    #[error(transparent)]
    Artifact(#[from] molt_abi::Error),
    /// A folder could not be listed.
    #[error("cannot read the folder {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A folder holds no contract artifact.
    #[error(
        "{} holds no contract artifact (Foundry `<File>.sol/<Contract>.json`, Hardhat artifacts or ABI .json files with functions)",
        path.display()
    )]
    NoArtifacts {
        /// The folder.
        path: PathBuf,
    },
    /// One artifact is given as old and as new.
    #[error("{} is given both as an old (V1) and as a new (V2) contract", path.display())]
    OldAndNew {
        /// The artifact.
        path: PathBuf,
    },
    /// No new contract has a batch import function.
    #[error(
        "none of the new contracts ({names}) has a batch import function (one argument: an array of structs), so there is nothing to migrate records into"
    )]
    NoImports {
        /// The new contracts' names.
        names: String,
    },
}

/// A drafted manifest.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The old and new contracts used, in manifest order.
    contracts: Vec<ContractEntry>,
    /// The manifest name of each old artifact (by index), and of each new one.
    old_names: Vec<String>,
    new_names: Vec<String>,
    /// The ABIs of the old and new artifacts (by index): overloaded functions are named by
    /// signature.
    old_abis: Vec<JsonAbi>,
    new_abis: Vec<JsonAbi>,
    pauses: Vec<Pause>,
    checks: Vec<Check>,
    components: Vec<Component>,
    funds: Vec<Funds>,
    /// `(new contract index, function)` or a question for each new contract used.
    finalize: Vec<(usize, Option<String>)>,
    /// Artifacts given that the draft does not use.
    unused: Vec<String>,
}

/// A `[contracts]` entry.
#[derive(Debug, Clone)]
struct ContractEntry {
    name: String,
    artifact: String,
    abi: String,
    address: String,
}

/// What a draft pairs and leaves open: the `molt.init/1` document of `molt init --json`
/// (docs/json.md).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// `molt.init/1`.
    pub schema: &'static str,
    /// The file the draft was written to (None: stdout).
    pub out: Option<PathBuf>,
    /// Each component: its name, its V1 source and its V2 import.
    pub components: Vec<PairedComponent>,
    /// The `[[funds]]` entries, by name.
    pub funds: Vec<String>,
    /// How many `[[pause]]` entries.
    pub pauses: usize,
    /// How many `[[check]]` entries.
    pub checks: usize,
    /// How many `[[finalize]]` entries.
    pub finalize: usize,
    /// Contracts given that the draft does not use.
    pub unused: Vec<String>,
    /// The decisions left open, by line of the rendered text.
    pub todos: Vec<Todo>,
}

/// One component of a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PairedComponent {
    /// The component's name.
    pub name: String,
    /// The V1 getter (`contract.function`), if one was paired.
    pub source: Option<String>,
    /// The V2 import (`contract.function`).
    pub target: String,
}

/// One `TODO(molt)` line of a rendered draft.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Todo {
    /// 1-based line.
    pub line: usize,
    /// The text after the marker.
    pub text: String,
}

/// Reads the artifacts named on the command line: files (a plain ABI, a Foundry or a Hardhat
/// artifact) or folders of them (Foundry `out/`, Hardhat `artifacts/`; interfaces, abstract
/// contracts, test and script contracts and build info are skipped).
pub fn load_artifacts(paths: &[PathBuf]) -> Result<Vec<Artifact>, InitError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = out.len();
            scan(p, &mut out)?;
            if out.len() == before {
                return Err(InitError::NoArtifacts { path: p.clone() });
            }
        } else {
            out.push(Artifact::load(p)?);
        }
    }
    Ok(out)
}

fn scan(dir: &Path, out: &mut Vec<Artifact>) -> Result<(), InitError> {
    let folder = |source| InitError::Folder { path: dir.into(), source };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(folder)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(folder)?;
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let skipped = ["build-info", "cache"].contains(&name.as_str())
            || name.ends_with(".t.sol")
            || name.ends_with(".s.sol")
            || name.ends_with(".dbg.json");
        if skipped {
            continue;
        }
        if p.is_dir() {
            scan(&p, out)?;
        } else if name.ends_with(".json") {
            // Not every JSON file in a build folder is an artifact.
            let Ok(a) = Artifact::load(&p) else { continue };
            let deployable = a.kind == ArtifactKind::PlainAbi
                || a.bytecode.as_ref().is_some_and(|b| !b.is_empty());
            if deployable && a.abi.functions().next().is_some() {
                out.push(a);
            }
        }
    }
    Ok(())
}

/// Drafts a manifest migrating from the `old` contracts to the `new` ones. `out_dir` is the
/// folder the manifest will be written to: ABI paths are written relative to it.
pub fn draft(old: &[Artifact], new: &[Artifact], out_dir: &Path) -> Result<Draft, InitError> {
    if let Some(a) = old.iter().find(|a| new.iter().any(|n| same_file(&n.path, &a.path))) {
        return Err(InitError::OldAndNew { path: a.path.clone() });
    }
    let imports = component::imports(new);
    if imports.is_empty() {
        let names = new.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");
        return Err(InitError::NoImports { names });
    }
    let sources = sources::sources(old);
    let components = component::components(old, new, &sources, imports);
    let (old_names, new_names) = contract_names(old, new);
    let funds = funds(old, new, &old_names, &components);
    let (old_used, new_used) = used(old.len(), new.len(), &components, &funds);

    let pauses = old_used.iter().map(|&i| roles::pause(i, &old[i].abi)).collect();
    let finalize: Vec<(usize, Option<String>)> =
        new_used.iter().map(|&i| (i, roles::finalize(&new[i].abi))).collect();
    let mut checks: Vec<Check> =
        old_used.iter().flat_map(|&i| roles::v1_checks(&old_names[i], &old[i].abi)).collect();
    for (i, f) in &finalize {
        checks.extend(roles::migrating_check(&new_names[*i], &new[*i], f.as_deref()));
    }
    let used_artifacts: Vec<(&Artifact, &String)> = old_used
        .iter()
        .map(|&i| (&old[i], &old_names[i]))
        .chain(new_used.iter().map(|&i| (&new[i], &new_names[i])))
        .collect();
    let unused = old
        .iter()
        .enumerate()
        .filter(|(i, _)| !old_used.contains(i))
        .chain(new.iter().enumerate().filter(|(i, _)| !new_used.contains(i)))
        .map(|(_, a)| a.name.clone())
        .collect();
    Ok(Draft {
        contracts: entries(&used_artifacts, out_dir),
        old_names,
        new_names,
        old_abis: old.iter().map(|a| a.abi.clone()).collect(),
        new_abis: new.iter().map(|a| a.abi.clone()).collect(),
        pauses,
        checks,
        components,
        funds,
        finalize,
        unused,
    })
}

/// The funds moves of every old contract, each to the new contract of the same name (without
/// its version) or else to the target of the records it holds.
fn funds(
    old: &[Artifact],
    new: &[Artifact],
    old_names: &[String],
    components: &[Component],
) -> Vec<Funds> {
    let successor = |i: usize| -> Option<usize> {
        let base = names::split_version(&old[i].name).0;
        new.iter().position(|n| names::split_version(&n.name).0 == base).or_else(|| {
            components
                .iter()
                .find(|c| c.source.as_ref().is_some_and(|s| s.contract == i))
                .map(|c| c.import.contract)
        })
    };
    let mut funds = Vec::new();
    for (i, a) in old.iter().enumerate() {
        let short = old_names[i].rsplit_once('_').map_or(old_names[i].as_str(), |(s, _)| s);
        funds.extend(roles::funds(i, a, short, successor(i), components));
    }
    funds
}

/// The old and the new contracts the draft uses (by index): sources, import targets and the
/// two ends of funds moves.
fn used(
    old: usize,
    new: usize,
    components: &[Component],
    funds: &[Funds],
) -> (Vec<usize>, Vec<usize>) {
    let old_used = (0..old)
        .filter(|&i| {
            components.iter().any(|c| c.source.as_ref().is_some_and(|s| s.contract == i))
                || funds.iter().any(|f| f.from == i)
        })
        .collect();
    let new_used = (0..new)
        .filter(|&i| {
            components.iter().any(|c| c.import.contract == i)
                || funds.iter().any(|f| f.to == Some(i))
        })
        .collect();
    (old_used, new_used)
}

/// The `[contracts]` entries: placeholder addresses `0x…01`, `0x…02`, … in order, ABI paths
/// relative to the manifest's folder.
fn entries(used: &[(&Artifact, &String)], out_dir: &Path) -> Vec<ContractEntry> {
    used.iter()
        .enumerate()
        .map(|(i, (artifact, name))| ContractEntry {
            name: (*name).clone(),
            artifact: artifact.name.clone(),
            abi: relative(out_dir, &artifact.path),
            address: alloy::primitives::Address::left_padding_from(&(i as u64 + 1).to_be_bytes())
                .to_checksum(None),
        })
        .collect()
}

impl Draft {
    /// The manifest's TOML text.
    pub fn render(&self) -> String {
        render::render(self)
    }

    /// What the draft pairs and, in `text` (its rendering), leaves open; `out` is where the
    /// text was written.
    pub fn report(&self, text: &str, out: Option<&Path>) -> Report {
        let at = |names: &[String], contract: usize, f: &str| format!("{}.{f}", names[contract]);
        Report {
            schema: "molt.init/1",
            out: out.map(Path::to_path_buf),
            components: self
                .components
                .iter()
                .map(|c| PairedComponent {
                    name: c.name.clone(),
                    source: c.source.as_ref().map(|s| at(&self.old_names, s.contract, &s.get.name)),
                    target: at(&self.new_names, c.import.contract, &c.import.function.name),
                })
                .collect(),
            funds: self.funds.iter().map(|f| f.name.clone()).collect(),
            pauses: self.pauses.iter().filter(|p| p.calls.is_some()).count(),
            checks: self.checks.len(),
            finalize: self.finalize.iter().filter(|(_, f)| f.is_some()).count(),
            unused: self.unused.clone(),
            todos: todos(text),
        }
    }
}

/// The `TODO(molt)` lines of a manifest's text.
pub fn todos(text: &str) -> Vec<Todo> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let at = l.find(TODO_MARKER)?;
            let text = l[at + TODO_MARKER.len()..].trim_start_matches(':').trim().to_owned();
            Some(Todo { line: i + 1, text })
        })
        .collect()
}

/// The manifest names of the old and new contracts: the last word of the name and the version
/// (`registry_v1`), or every word where two contracts would share it.
fn contract_names(old: &[Artifact], new: &[Artifact]) -> (Vec<String>, Vec<String>) {
    let all: Vec<(&str, bool)> = old
        .iter()
        .map(|a| (a.name.as_str(), true))
        .chain(new.iter().map(|a| (a.name.as_str(), false)))
        .collect();
    let short: Vec<String> = all.iter().map(|(n, o)| names::contract_name(n, *o, false)).collect();
    let mut named: Vec<String> = Vec::new();
    for (i, (n, o)) in all.iter().enumerate() {
        let clash =
            short.iter().enumerate().any(|(j, s)| j != i && *s == short[i] && all[j].0 != *n);
        let mut name = if clash { names::contract_name(n, *o, true) } else { short[i].clone() };
        let base = name.clone();
        let mut k = 2;
        while named.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        named.push(name);
    }
    let new_names = named.split_off(old.len());
    (named, new_names)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `to` relative to the folder `from`, with `/` separators (`../../out/X.sol/X.json`); the
/// absolute path when the two share nothing but the root.
fn relative(from: &Path, to: &Path) -> String {
    let (from, to) = (real(from), real(to));
    let a: Vec<PathPart<'_>> = from.components().collect();
    let b: Vec<PathPart<'_>> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let rooted = a.first().is_some_and(|c| matches!(c, PathPart::RootDir | PathPart::Prefix(_)));
    if rooted && common <= 1 {
        return to.to_string_lossy().into_owned();
    }
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(b[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

/// A path with symbolic links resolved, as far as it exists (the output folder may not yet).
fn real(p: &Path) -> PathBuf {
    let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut existing = p.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        let Some(parent) = existing.parent() else { break };
        rest.push(existing.file_name().map(ToOwned::to_owned).unwrap_or_default());
        existing = parent;
    }
    let mut out = existing.canonicalize().unwrap_or_else(|_| existing.to_path_buf());
    out.extend(rest.iter().rev());
    out
}

#[cfg(test)]
mod tests;
