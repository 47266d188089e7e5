//! `--base-ref REF` (`molt diff`, `molt upgrade`): build the contracts as they are at a git ref,
//! to compare with the working tree's build.
//!
//! The ref is checked out in a detached git worktree and built with the project's forge
//! (`molt_chain::Toolchain`, with `FOUNDRY_SOLC` pointing at `.tools/bin/solc` when the
//! project has one). The build output is cached by commit under
//! `$MOLT_CACHE_DIR/base/<commit>` (default: `<git dir>/molt/base/<commit>`), so a second run
//! against the same commit builds nothing. Untracked dependency folders (`.tools`, `lib`,
//! `node_modules`) that the worktree lacks are linked from the project.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use eyre::{WrapErr, bail, eyre};
use molt_chain::Toolchain;

use crate::{hint::Hint, opts::GlobalOpts};

/// The git repository and Foundry project `--base-ref` works in.
#[derive(Debug)]
pub(crate) struct Base {
    /// The repository's top level.
    repo: PathBuf,
    /// The Foundry project (folder with foundry.toml), inside `repo`.
    project: PathBuf,
    toolchain: Toolchain,
    quiet: bool,
}

fn git(dir: &Path, args: &[&str]) -> eyre::Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .wrap_err("cannot run git (is it installed?)")?;
    if !out.status.success() {
        bail!("`git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Base {
    /// The project around the current directory.
    pub(crate) fn discover(global: &GlobalOpts) -> eyre::Result<Self> {
        let cwd = std::env::current_dir()?;
        let project = cwd
            .ancestors()
            .find(|d| d.join("foundry.toml").is_file())
            .map(Path::to_path_buf)
            .ok_or_else(|| {
                eyre!(Hint(
                    "run it inside the Foundry project (the folder with foundry.toml)".into()
                ))
                .wrap_err(format!("`--base-ref`: no foundry.toml in {} or above", cwd.display()))
            })?;
        let repo = PathBuf::from(
            git(&project, &["rev-parse", "--show-toplevel"])
                .wrap_err("`--base-ref` needs a git repository")?,
        );
        let project = project.canonicalize()?;
        let repo = repo.canonicalize()?;
        Ok(Self { toolchain: Toolchain::at(&project), repo, project, quiet: global.quiet })
    }

    fn cache_root(&self) -> eyre::Result<PathBuf> {
        if let Some(dir) = std::env::var_os("MOLT_CACHE_DIR") {
            return Ok(PathBuf::from(dir).join("base"));
        }
        let common = PathBuf::from(git(&self.repo, &["rev-parse", "--git-common-dir"])?);
        let common = if common.is_absolute() { common } else { self.repo.join(common) };
        Ok(common.join("molt").join("base"))
    }

    fn forge(&self, dir: &Path, extra: &[&str]) -> eyre::Result<()> {
        let forge = self.toolchain.forge().map_err(|e| {
            eyre!(Hint("run scripts/setup, or set MOLT_FORGE to a forge binary".into())).wrap_err(e)
        })?;
        let mut cmd = Command::new(&forge);
        cmd.arg("build").arg("--root").arg(dir).args(extra).stdin(Stdio::null());
        let solc = self.project.join(".tools/bin/solc");
        if std::env::var_os("FOUNDRY_SOLC").is_none() && solc.is_file() {
            cmd.env("FOUNDRY_SOLC", &solc);
        }
        if !self.quiet {
            eprintln!("molt: forge build in {}", dir.display());
        }
        let out = cmd.output().wrap_err_with(|| format!("cannot run {}", forge.display()))?;
        if !out.status.success() {
            let tail: Vec<_> = String::from_utf8_lossy(&out.stderr)
                .lines()
                .chain(String::from_utf8_lossy(&out.stdout).lines())
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect();
            let tail = tail[tail.len().saturating_sub(15)..].join("\n");
            bail!("`forge build` failed in {}:\n{tail}", dir.display());
        }
        Ok(())
    }

    /// Builds `reference` (cached by commit) and returns its `out/` directory.
    pub(crate) fn build_ref(&self, reference: &str) -> eyre::Result<PathBuf> {
        let commit = git(
            &self.repo,
            &["rev-parse", "--verify", "--quiet", &format!("{reference}^{{commit}}")],
        )
        .map_err(|e| {
            eyre!(Hint("give a branch, tag or commit, e.g. `--base-ref origin/main`".into()))
                .wrap_err(e)
                .wrap_err(format!(
                    "`--base-ref {reference}`: not a commit in {}",
                    self.repo.display()
                ))
        })?;
        let rel = self.project.strip_prefix(&self.repo).unwrap_or(Path::new(""));
        let dir = self.cache_root()?.join(&commit);
        let out = dir.join("out");
        let done = dir.join("complete");
        if done.is_file() && out.is_dir() {
            if !self.quiet {
                eprintln!("molt: using the cached build of {reference} ({})", &commit[..12]);
            }
            return Ok(out);
        }
        std::fs::create_dir_all(&dir)
            .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
        let worktree = dir.join("worktree");
        if worktree.exists() {
            let _ =
                git(&self.repo, &["worktree", "remove", "--force", &worktree.to_string_lossy()]);
            let _ = std::fs::remove_dir_all(&worktree);
            let _ = git(&self.repo, &["worktree", "prune"]);
        }
        git(
            &self.repo,
            &["worktree", "add", "--detach", "--quiet", &worktree.to_string_lossy(), &commit],
        )
        .wrap_err_with(|| format!("cannot check out {reference} in a worktree"))?;
        let result = self.build_in(&worktree.join(rel), &out);
        let _ = git(&self.repo, &["worktree", "remove", "--force", &worktree.to_string_lossy()]);
        result.wrap_err_with(|| {
            format!("cannot build the contracts at {reference} ({})", &commit[..12])
        })?;
        std::fs::write(&done, &commit)?;
        Ok(out)
    }

    fn build_in(&self, project: &Path, out: &Path) -> eyre::Result<()> {
        if !project.join("foundry.toml").is_file() {
            bail!("{} has no foundry.toml at that commit", project.display());
        }
        // Dependencies that are not tracked by git (installed by a setup script).
        for dep in [".tools", "lib", "node_modules"] {
            let (src, dst) = (self.project.join(dep), project.join(dep));
            let empty_dir = dst.read_dir().map(|mut d| d.next().is_none()).unwrap_or(true);
            if src.exists() && empty_dir {
                let _ = std::fs::remove_dir(&dst);
                link(&src, &dst)
                    .wrap_err_with(|| format!("cannot link {} into the worktree", src.display()))?;
            }
        }
        let _ = std::fs::remove_dir_all(out);
        self.forge(project, &["--out", &out.to_string_lossy()])
    }

    /// The working tree's build output directory (not built).
    pub(crate) fn working_out(&self) -> PathBuf {
        self.toolchain.out_dir()
    }

    /// Builds the working tree (unless `no_build`) and returns its `out/` directory.
    pub(crate) fn build_working_tree(&self, no_build: bool) -> eyre::Result<PathBuf> {
        if !no_build {
            self.forge(&self.project, &[])?;
        }
        Ok(self.toolchain.out_dir())
    }
}

#[cfg(unix)]
fn link(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(src, dst)
}

#[cfg(not(unix))]
fn link(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(src, dst)
}
