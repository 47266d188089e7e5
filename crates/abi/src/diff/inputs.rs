//! Loading what `molt diff` compares and pairing contracts.
//!
//! - Two files: plain ABI JSON, Foundry or Hardhat artifacts, or storage layouts
//!   (`forge inspect <C> storageLayout --json`); any two of them, as long as they have an ABI
//!   or a storage layout in common.
//! - Two directories (Foundry `out/` folders, Hardhat `artifacts/` or an npm package's
//!   `build/contracts/`): every `*.json` below them, except `build-info/`, Hardhat's debug files
//!   (`*.dbg.json`, which name a build-info) and, unless [`Options::include_tests`], the
//!   artifacts of `*.t.sol` and `*.s.sol` files.
//!   Contracts are paired by name (renames first); a name that occurs twice in one directory
//!   is keyed by its source folder (`Foo.sol/Foo`).

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
};

use super::{Change, Config, ContractDiff, Kind, Report, diff_artifacts};
use crate::{
    Artifact, ArtifactKind, Error, Result,
    storage::{BaseNamespaces, inherit_namespaces},
};

/// What to diff and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The `[diff]` config (levels, ignores, renames).
    pub config: Config,
    /// Extra contract renames (old name to new name), e.g. from `--rename`; they win over the
    /// config's.
    pub renames: BTreeMap<String, String>,
    /// A proxy ABI whose selectors must not collide with the new implementation's (file mode).
    pub proxy: Option<PathBuf>,
    /// Also diff the artifacts of test and script files (`*.t.sol`, `*.s.sol`).
    pub include_tests: bool,
}

/// Two contracts to diff (either may be absent: added or removed).
#[derive(Debug, Clone)]
pub struct ContractPair {
    /// The old contract.
    pub old: Option<Artifact>,
    /// The new contract.
    pub new: Option<Artifact>,
}

/// Runs the diff on two files or two directories.
pub(crate) fn run(old: &Path, new: &Path, options: &Options) -> Result<Report> {
    let kind = |p: &Path| -> Result<bool> {
        let meta = std::fs::metadata(p).map_err(|source| Error::Read { path: p.into(), source })?;
        Ok(meta.is_dir())
    };
    let pairs = match (kind(old)?, kind(new)?) {
        (false, false) => {
            let load = |p: &Path| -> Result<Artifact> {
                let mut a = Artifact::load_interface(p)?;
                inherit_from_disk(&mut a);
                Ok(a)
            };
            vec![ContractPair { old: Some(load(old)?), new: Some(load(new)?) }]
        }
        (true, true) => {
            if let Some(proxy) = &options.proxy {
                return Err(Error::Input {
                    path: proxy.clone(),
                    reason: "`--proxy` checks one implementation: give OLD and NEW as files".into(),
                });
            }
            let mut renames = options.config.renames.clone();
            renames.extend(options.renames.clone());
            pair_dirs(old, new, &renames, options.include_tests)?
        }
        (o, _) => {
            let (file, dir) = if o { (new, old) } else { (old, new) };
            return Err(Error::Input {
                path: file.into(),
                reason: format!(
                    "is a file but {} is a directory: give two files or two directories",
                    dir.display()
                ),
            });
        }
    };
    let proxy = options.proxy.as_deref().map(Artifact::load_interface).transpose()?;
    let single = pairs.len() == 1 && pairs[0].old.is_some() && pairs[0].new.is_some();
    let mut contracts = Vec::with_capacity(pairs.len());
    for pair in &pairs {
        let mut diff = diff_pair(pair, proxy.as_ref(), single)?;
        options.config.apply(&mut diff);
        contracts.push(diff);
    }
    Ok(Report { contracts })
}

/// Diffs one pair. In file mode (`strict`) two inputs with nothing in common are an error.
fn diff_pair(pair: &ContractPair, proxy: Option<&Artifact>, strict: bool) -> Result<ContractDiff> {
    match (&pair.old, &pair.new) {
        (Some(o), Some(n)) => {
            let abi = |a: &Artifact| a.kind != ArtifactKind::StorageLayout;
            let both_abi = abi(o) && abi(n);
            let both_storage = o.storage_layout.is_some() && n.storage_layout.is_some();
            if strict && !both_abi && !both_storage {
                return Err(Error::Input {
                    path: o.path.clone(),
                    reason: format!(
                        "has nothing in common with {}: one input has only an ABI, the other only a storage layout",
                        n.path.display()
                    ),
                });
            }
            Ok(ContractDiff {
                name: n.name.clone(),
                old_name: (o.name != n.name).then(|| o.name.clone()),
                old: Some(o.path.clone()),
                new: Some(n.path.clone()),
                changes: diff_artifacts(o, n, proxy),
                ignored: Vec::new(),
                storage_compared: both_storage,
            })
        }
        (Some(o), None) => Ok(ContractDiff {
            name: o.name.clone(),
            old_name: None,
            old: Some(o.path.clone()),
            new: None,
            changes: vec![Change::of(Kind::ContractRemoved, &o.name).old(&o.name)],
            ignored: Vec::new(),
            storage_compared: false,
        }),
        (None, Some(n)) => Ok(ContractDiff {
            name: n.name.clone(),
            old_name: None,
            old: None,
            new: Some(n.path.clone()),
            changes: vec![Change::of(Kind::ContractAdded, &n.name).new(&n.name)],
            ignored: Vec::new(),
            storage_compared: false,
        }),
        (None, None) => unreachable!("a pair has at least one side"),
    }
}

/// Every artifact file below `dir`, sorted.
pub fn artifact_files(dir: &Path, include_tests: bool) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|source| Error::Read { path: d.clone(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read { path: d.clone(), source })?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                let skip = name == "build-info"
                    || (!include_tests && (name.ends_with(".t.sol") || name.ends_with(".s.sol")));
                if !skip {
                    stack.push(path);
                }
            } else if name.ends_with(".json") && !name.ends_with(".dbg.json") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Loads every artifact below `dir`, keyed by contract name (or `Source.sol/Name` when a
/// name occurs more than once).
fn load_dir(dir: &Path, include_tests: bool) -> Result<BTreeMap<String, Artifact>> {
    let files = artifact_files(dir, include_tests)?;
    let mut artifacts = load_all(&files)?;
    inherit_in(&mut artifacts);
    let mut count: HashMap<String, usize> = HashMap::new();
    for a in &artifacts {
        *count.entry(a.name.clone()).or_default() += 1;
    }
    let mut out = BTreeMap::new();
    for a in artifacts {
        let key = if count[&a.name] > 1 {
            let parent =
                a.path.parent().and_then(Path::file_name).map(|p| p.to_string_lossy().into_owned());
            format!("{}/{}", parent.unwrap_or_default(), a.name)
        } else {
            a.name.clone()
        };
        out.insert(key, a);
    }
    Ok(out)
}

/// Gives each artifact the ERC-7201 namespaces of its bases declared in other files, from the
/// artifacts of those bases among `artifacts` (by name; the first one of a name).
fn inherit_in(artifacts: &mut [Artifact]) {
    let mut by_name: HashMap<&str, BaseNamespaces> = HashMap::new();
    for a in artifacts.iter() {
        if let Some(layout) = &a.storage_layout {
            by_name.entry(&a.name).or_insert_with(|| BaseNamespaces::of(layout));
        }
    }
    let by_name: HashMap<String, BaseNamespaces> =
        by_name.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    for a in artifacts.iter_mut() {
        if let Some(layout) = a.storage_layout.as_mut().filter(|l| !l.external_bases.is_empty()) {
            inherit_namespaces(layout, &mut |name| by_name.get(name).cloned());
        }
    }
}

/// File mode: gives the artifact the ERC-7201 namespaces of its bases declared in other files,
/// from their artifacts in the same `out/` folder (`out/<Base>.sol/<Base>.json`, else any
/// `out/*/<Base>.json`).
fn inherit_from_disk(artifact: &mut Artifact) {
    let Some(layout) = artifact.storage_layout.as_mut().filter(|l| !l.external_bases.is_empty())
    else {
        return;
    };
    let out = artifact.path.parent().and_then(Path::parent).map(Path::to_path_buf);
    let mut lookup = |name: &str| -> Option<BaseNamespaces> {
        let out = out.as_deref()?;
        let direct = out.join(format!("{name}.sol")).join(format!("{name}.json"));
        let file = if direct.is_file() {
            direct
        } else {
            let mut found: Vec<PathBuf> = std::fs::read_dir(out)
                .ok()?
                .filter_map(|d| d.ok().map(|d| d.path().join(format!("{name}.json"))))
                .filter(|p| p.is_file())
                .collect();
            found.sort();
            found.into_iter().next()?
        };
        let base = Artifact::load_interface(file).ok()?;
        base.storage_layout.as_ref().map(BaseNamespaces::of)
    };
    inherit_namespaces(layout, &mut lookup);
}

/// Loads files on a few threads (artifacts are large JSON documents; parsing dominates).
fn load_all(files: &[PathBuf]) -> Result<Vec<Artifact>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || files.len() < 16 {
        return files.iter().map(Artifact::load_interface).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || c.iter().map(Artifact::load_interface).collect::<Result<Vec<_>>>())
            })
            .collect();
        let mut all = Vec::with_capacity(files.len());
        for h in handles {
            all.extend(h.join().expect("artifact loading does not panic")?);
        }
        Ok(all)
    })
}

fn pair_dirs(
    old: &Path,
    new: &Path,
    renames: &BTreeMap<String, String>,
    include_tests: bool,
) -> Result<Vec<ContractPair>> {
    let mut olds = load_dir(old, include_tests)?;
    let mut news = load_dir(new, include_tests)?;
    let mut pairs = Vec::new();
    for (from, to) in renames {
        if let (Some(_), Some(_)) = (olds.get(from), news.get(to)) {
            pairs.push(ContractPair { old: olds.remove(from), new: news.remove(to) });
        }
    }
    for (name, o) in std::mem::take(&mut olds) {
        let n = news.remove(&name);
        pairs.push(ContractPair { old: Some(o), new: n });
    }
    pairs.extend(news.into_values().map(|n| ContractPair { old: None, new: Some(n) }));
    let key = |p: &ContractPair| {
        p.new.as_ref().or(p.old.as_ref()).map(|a| a.name.clone()).unwrap_or_default()
    };
    pairs.sort_by_key(key);
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hardhat_artifacts_folder_is_read_without_its_debug_files_and_build_info() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("contracts/Token.sol");
        std::fs::create_dir_all(&source).unwrap();
        std::fs::create_dir_all(dir.path().join("build-info")).unwrap();
        let artifact =
            r#"{"_format":"hh-sol-artifact-1","contractName":"Token","abi":[],"bytecode":"0x"}"#;
        std::fs::write(source.join("Token.json"), artifact).unwrap();
        let dbg = r#"{"_format":"hh-sol-dbg-1","buildInfo":"../../build-info/0a.json"}"#;
        std::fs::write(source.join("Token.dbg.json"), dbg).unwrap();
        std::fs::write(dir.path().join("build-info/0a.json"), "{}").unwrap();
        assert_eq!(artifact_files(dir.path(), false).unwrap(), [source.join("Token.json")]);
        let report = crate::diff::diff_paths(dir.path(), dir.path(), &Options::default()).unwrap();
        assert_eq!(report.contracts.len(), 1);
        assert!(report.contracts[0].changes.is_empty());
    }
}
