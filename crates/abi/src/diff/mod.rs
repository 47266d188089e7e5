//! The breaking-change differ behind `molt diff`.
//!
//! It compares two versions of a contract (ABI and, where present, storage layout) and
//! classifies every change with a [`Kind`] from the [`RULES`] catalog and a [`Severity`].
//!
//! - [`abi`]: matching functions and errors by selector, events by topic0 (+ `anonymous`).
//! - [`layout`]: aligning two storage layouts and classifying variable changes.
//! - [`inputs`]: loading files or `out/` directories and pairing contracts by name.
//! - [`config`]: the `[diff]` section of `molt.toml` (level overrides, ignores, renames).
//! - [`deployed`]: checking deployed runtime bytecode against an ABI.
//! - [`render`]: text, JSON (`molt.diff/1`), Markdown, SARIF 2.1.0 and GitHub annotations.
//!
//! ```no_run
//! # fn f() -> molt_abi::Result<()> {
//! use molt_abi::diff::{self, Config, Options};
//! let report = diff::diff_paths("old/out".as_ref(), "out".as_ref(), &Options::default())?;
//! let summary = report.summary();
//! println!("{} breaking", summary.breaking);
//! # Ok(()) }
//! ```

pub mod abi;
pub mod config;
pub mod deployed;
pub mod inputs;
pub mod layout;
pub mod render;
mod rules;

use std::path::{Path, PathBuf};

use alloy::json_abi::JsonAbi;
use serde::Serialize;

pub use config::Config;
pub use inputs::{ContractPair, Options};
pub use rules::{Kind, RULES, Rule, Severity};

use crate::{Artifact, ArtifactKind, Result};

/// One classified change.
///
/// Built with [`Change::of`] and the setters that follow it, which keep [`Change::message`]
/// written from the rule's template:
///
/// ```
/// use molt_abi::diff::{Change, Kind};
/// let c = Change::of(Kind::FunctionMutabilityChanged, "f()")
///     .old("view")
///     .new("nonpayable")
///     .detail("callers that use staticcall or eth_call semantics now revert");
/// assert_eq!(
///     c.message,
///     "function `f()` changed from view to nonpayable: callers that use staticcall or eth_call semantics now revert"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: Kind,
    /// How serious it is (after config overrides).
    pub severity: Severity,
    /// The canonical item: a signature (`transfer(address,uint256)`), a storage label, a
    /// contract name. Taken from the old side for removed and changed items, the new side for
    /// added ones.
    pub item: String,
    /// `0x` + 8 hex digits for functions and errors, the 32-byte topic0 for events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// A sentence for humans.
    pub message: String,
    /// The old value (signature, type, mutability) where the change has one.
    pub old: Option<String>,
    /// The new value where the change has one.
    pub new: Option<String>,
    /// The ERC-7201 namespace id of a change to a namespace member (see
    /// [`Change::in_namespace`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A plain clause that completes the message (see [`Change::detail`]).
    #[serde(skip)]
    detail: Option<String>,
    /// A remark the message ends with, in parentheses (see [`Change::aside`]).
    #[serde(skip)]
    aside: Option<String>,
}

impl Change {
    /// A change of `kind` about `item`, with the rule's default severity and its message
    /// written.
    pub fn of(kind: Kind, item: impl Into<String>) -> Self {
        let rule = kind.rule();
        let mut change = Self {
            kind,
            severity: rule.severity,
            item: item.into(),
            selector: None,
            message: String::new(),
            old: None,
            new: None,
            namespace: None,
            detail: None,
            aside: None,
        };
        change.message = rule.message(&change);
        change
    }

    /// The same change with its selector (or topic0).
    pub fn selector(self, selector: impl Into<String>) -> Self {
        self.with(|c| c.selector = Some(selector.into()))
    }

    /// The same change with its old value.
    pub fn old(self, old: impl Into<String>) -> Self {
        self.with(|c| c.old = Some(old.into()))
    }

    /// The same change with its new value.
    pub fn new(self, new: impl Into<String>) -> Self {
        self.with(|c| c.new = Some(new.into()))
    }

    /// The same change with a detail: a plain clause, without leading punctuation. The rule's
    /// template places it (after `: ` or a space, see [`Rule::template`]); an empty detail is
    /// none.
    pub fn detail(self, detail: impl Into<String>) -> Self {
        self.with(|c| c.detail = Some(detail.into()))
    }

    /// The same change with an aside: a remark the template writes in parentheses after the
    /// detail, without parentheses of its own.
    pub fn aside(self, aside: impl Into<String>) -> Self {
        self.with(|c| c.aside = Some(aside.into()))
    }

    /// The same change, about a member of ERC-7201 namespace `id`: the message starts with the
    /// namespace and says "member" for "state variable".
    pub fn in_namespace(self, id: impl Into<String>) -> Self {
        self.with(|c| c.namespace = Some(id.into()))
    }

    /// The same change with another severity.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The detail, if any (empty counts as none).
    fn detail_text(&self) -> Option<&str> {
        self.detail.as_deref().filter(|d| !d.is_empty())
    }

    /// The aside, if any (empty counts as none).
    fn aside_text(&self) -> Option<&str> {
        self.aside.as_deref().filter(|a| !a.is_empty())
    }

    /// Applies `set`, then writes the message again.
    fn with(mut self, set: impl FnOnce(&mut Self)) -> Self {
        set(&mut self);
        self.message = self.kind.rule().message(&self);
        self
    }
}

/// A finding dropped by an `ignore` entry of the config, with the reason given there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The finding.
    pub change: Change,
    /// Why it is ignored.
    pub reason: String,
}

/// The changes of one contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDiff {
    /// The contract's name (the new name when it was renamed).
    pub name: String,
    /// The old contract's name when it differs from [`ContractDiff::name`].
    pub old_name: Option<String>,
    /// The old artifact (absent for an added contract).
    pub old: Option<PathBuf>,
    /// The new artifact (absent for a removed contract).
    pub new: Option<PathBuf>,
    /// Findings, in a stable order: ABI items first, then storage.
    pub changes: Vec<Change>,
    /// Findings dropped by the config.
    pub ignored: Vec<Ignored>,
    /// Whether storage layouts were compared (both sides had one).
    pub storage_compared: bool,
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Breaking changes.
    pub breaking: usize,
    /// Warnings.
    pub warning: usize,
    /// Informational changes.
    pub info: usize,
}

/// Everything one `molt diff` run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// One entry per paired, added or removed contract.
    pub contracts: Vec<ContractDiff>,
}

impl Report {
    /// Counts per severity over every contract.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in self.contracts.iter().flat_map(|c| &c.changes) {
            match c.severity {
                Severity::Breaking => s.breaking += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s
    }

    /// The number of findings dropped by the config.
    pub fn ignored(&self) -> usize {
        self.contracts.iter().map(|c| c.ignored.len()).sum()
    }

    /// Whether the check fails: a breaking change, or a warning when `deny_warnings`.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        let s = self.summary();
        s.breaking > 0 || (deny_warnings && s.warning > 0)
    }
}

/// Diffs two artifacts: ABIs when both have one, storage layouts when both have one.
///
/// `proxy` is a proxy's ABI whose selectors must not collide with the new implementation's.
pub fn diff_artifacts(old: &Artifact, new: &Artifact, proxy: Option<&Artifact>) -> Vec<Change> {
    let mut changes = Vec::new();
    let has_abi = |a: &Artifact| a.kind != ArtifactKind::StorageLayout;
    if has_abi(old) && has_abi(new) {
        abi::diff_abi(abi::Interface::of(old), abi::Interface::of(new), &mut changes);
        if let Some(proxy) = proxy {
            abi::proxy_collisions(&proxy.abi, &proxy.path, &new.abi, &mut changes);
        }
    }
    if let (Some(o), Some(n)) = (&old.storage_layout, &new.storage_layout) {
        layout::diff_layouts(o, n, &mut changes);
        layout::diff_namespaces((o, &old.path), (n, &new.path), &mut changes);
    }
    changes
}

/// Diffs two files or two directories (see [`inputs`]) and applies the config.
pub fn diff_paths(old: &Path, new: &Path, options: &Options) -> Result<Report> {
    inputs::run(old, new, options)
}

/// Diffs two ABIs alone (no storage, no config).
pub fn diff_abis(old: &JsonAbi, new: &JsonAbi) -> Vec<Change> {
    let mut changes = Vec::new();
    abi::diff_abi(old, new, &mut changes);
    changes
}
