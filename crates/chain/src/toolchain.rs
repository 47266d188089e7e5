//! Where the project's toolchain lives.
//!
//! `scripts/setup` installs anvil, forge and cast under `<project>/.tools/bin`. A binary is
//! looked up, in order, from the environment (`MOLT_ANVIL`, `MOLT_FORGE`), the project's
//! `.tools/bin`, then `PATH`.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The project checkout molt runs in, and its toolchain.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The project root (the folder holding `foundry.toml`), when one was found.
    pub root: Option<PathBuf>,
}

impl Toolchain {
    /// Finds the project root from the current directory upwards, falling back to the checkout
    /// this crate was built from.
    pub fn discover() -> Self {
        let from_cwd = std::env::current_dir().ok().and_then(|d| find_root(&d));
        let built_in = find_root(Path::new(env!("CARGO_MANIFEST_DIR")));
        Self { root: from_cwd.or(built_in) }
    }

    /// A toolchain rooted at `root`.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: Some(root.into()) }
    }

    /// The anvil binary.
    pub fn anvil(&self) -> Result<PathBuf> {
        self.binary("anvil", "MOLT_ANVIL")
    }

    /// The forge binary.
    pub fn forge(&self) -> Result<PathBuf> {
        self.binary("forge", "MOLT_FORGE")
    }

    /// Foundry's build output (`<root>/out`), where compiled artifacts are.
    pub fn out_dir(&self) -> PathBuf {
        self.root.as_deref().unwrap_or(Path::new(".")).join("out")
    }

    fn binary(&self, tool: &'static str, env: &str) -> Result<PathBuf> {
        let mut looked = Vec::new();
        if let Some(p) = std::env::var_os(env) {
            let p = PathBuf::from(p);
            if p.is_file() {
                return Ok(p);
            }
            looked.push(format!("${env}={}", p.display()));
        }
        if let Some(root) = &self.root {
            let p = root.join(".tools/bin").join(tool);
            if p.is_file() {
                return Ok(p);
            }
            looked.push(p.display().to_string());
        }
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                let p = dir.join(tool);
                if p.is_file() {
                    return Ok(p);
                }
            }
        }
        looked.push("PATH".into());
        Err(Error::ToolNotFound { tool, looked: looked.join(", ") })
    }
}

fn find_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|d| d.join("foundry.toml").is_file()).map(Path::to_path_buf)
}
