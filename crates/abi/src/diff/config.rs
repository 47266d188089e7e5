//! The `[diff]` section of `molt.toml`.
//!
//! ```toml
//! [diff]
//! deny = ["warnings"]                 # fail on warnings too (same as --deny warnings)
//!
//! [diff.levels]                       # per-kind severity: breaking | warning | info | allow
//! error_removed = "breaking"
//! function_added = "allow"            # allow: not reported at all
//!
//! [diff.contracts.NodeRegistry.levels]  # per-contract overrides win over [diff.levels]
//! storage_variable_renamed = "info"
//!
//! [[diff.ignore]]                     # drop one finding, with a reason (shown in text output)
//! contract = "NodeRegistry"           # optional: any contract
//! kind = "function_removed"           # optional: any kind
//! item = "legacyStake(uint256)"       # optional: any item
//! reason = "deprecated in v1.4, no callers left"
//!
//! [diff.renames]                      # pair contracts whose name changed (old = new)
//! NodeRegistryV1 = "NodeRegistryV2"
//! ```
//!
//! Other sections of the file (`[network]`, `[contracts.*]`, `[[component]]`, ...) belong to
//! the migration engine and are ignored here.

use std::{collections::BTreeMap, path::Path};

use serde::Deserialize;

use super::{Change, ContractDiff, Ignored, Kind, Severity};
use crate::{Error, Result};

/// A severity override: a [`Severity`] or `allow` (drop the finding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Report as breaking.
    Breaking,
    /// Report as a warning.
    Warning,
    /// Report as info.
    Info,
    /// Do not report.
    Allow,
}

/// One `[[diff.ignore]]` entry: every field given must match.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    /// The contract (new name, or old name for a removed contract).
    #[serde(default)]
    pub contract: Option<String>,
    /// The kind id.
    #[serde(default)]
    pub kind: Option<String>,
    /// The canonical item, as printed in findings.
    #[serde(default)]
    pub item: Option<String>,
    /// Why it is fine (required, so that the next reader knows).
    pub reason: String,
}

/// Per-contract settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractConfig {
    /// Severity overrides for this contract.
    #[serde(default)]
    pub levels: BTreeMap<String, Level>,
}

/// The `[diff]` configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `["warnings"]` makes warnings fail the check.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Severity overrides per kind.
    #[serde(default)]
    pub levels: BTreeMap<String, Level>,
    /// Overrides per contract name.
    #[serde(default)]
    pub contracts: BTreeMap<String, ContractConfig>,
    /// Findings to drop.
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
    /// Contract pairing for renamed contracts: old name = new name.
    #[serde(default)]
    pub renames: BTreeMap<String, String>,
}

impl Config {
    /// Reads the `[diff]` section of a `molt.toml` (an absent section is the default config).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::Read { path: path.into(), source })?;
        Self::parse(&text, path)
    }

    /// Parses the `[diff]` section of a `molt.toml` document; `path` is for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Config { path: path.into(), reason };
        let mut doc: toml::Table =
            toml::from_str(text).map_err(|e| bad(format!("not valid TOML: {e}")))?;
        let Some(section) = doc.remove("diff") else { return Ok(Self::default()) };
        let config: Self = section
            .try_into()
            .map_err(|e: toml::de::Error| bad(format!("[diff]: {}", e.message())))?;
        config.validate().map_err(bad)?;
        Ok(config)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let check = |where_: &str, id: &str| {
            if Kind::from_id(id).is_none() {
                return Err(format!(
                    "{where_}: unknown kind `{id}` (the kinds are listed by `molt diff --list-kinds`)"
                ));
            }
            Ok(())
        };
        for id in self.levels.keys() {
            check("[diff.levels]", id)?;
        }
        for (name, c) in &self.contracts {
            for id in c.levels.keys() {
                check(&format!("[diff.contracts.{name}.levels]"), id)?;
            }
        }
        for (i, ig) in self.ignore.iter().enumerate() {
            if let Some(k) = &ig.kind {
                check(&format!("[[diff.ignore]] #{}", i + 1), k)?;
            }
            if ig.reason.trim().is_empty() {
                return Err(format!("[[diff.ignore]] #{}: `reason` must say why", i + 1));
            }
            if ig.contract.is_none() && ig.kind.is_none() && ig.item.is_none() {
                return Err(format!(
                    "[[diff.ignore]] #{}: give at least one of `contract`, `kind`, `item`",
                    i + 1
                ));
            }
        }
        for d in &self.deny {
            if d != "warnings" {
                return Err(format!("`deny`: unknown value `{d}` (only \"warnings\")"));
            }
        }
        Ok(())
    }

    /// Whether warnings fail the check.
    pub fn deny_warnings(&self) -> bool {
        self.deny.iter().any(|d| d == "warnings")
    }

    /// Applies level overrides and ignores to one contract's findings.
    pub fn apply(&self, diff: &mut ContractDiff) {
        let names: Vec<&str> =
            [Some(diff.name.as_str()), diff.old_name.as_deref()].into_iter().flatten().collect();
        let level = |c: &Change| {
            names
                .iter()
                .find_map(|n| self.contracts.get(*n).and_then(|cc| cc.levels.get(c.kind.id())))
                .or_else(|| self.levels.get(c.kind.id()))
                .copied()
        };
        let mut kept = Vec::with_capacity(diff.changes.len());
        for mut change in std::mem::take(&mut diff.changes) {
            let ignore = self.ignore.iter().find(|ig| {
                ig.contract.as_ref().is_none_or(|c| names.contains(&c.as_str()))
                    && ig.kind.as_ref().is_none_or(|k| k == change.kind.id())
                    && ig.item.as_ref().is_none_or(|i| *i == change.item)
            });
            if let Some(ig) = ignore {
                diff.ignored.push(Ignored { change, reason: ig.reason.clone() });
                continue;
            }
            match level(&change) {
                Some(Level::Allow) => continue,
                Some(Level::Breaking) => change.severity = Severity::Breaking,
                Some(Level::Warning) => change.severity = Severity::Warning,
                Some(Level::Info) => change.severity = Severity::Info,
                None => {}
            }
            kept.push(change);
        }
        diff.changes = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_the_diff_section_and_rejects_unknown_kinds() {
        let text = r#"
            [network]
            rpc = "http://x"
            [[component]]
            name = "a"
            [diff]
            deny = ["warnings"]
            [diff.levels]
            error_removed = "breaking"
            [diff.renames]
            A = "B"
            [[diff.ignore]]
            kind = "function_removed"
            reason = "gone on purpose"
        "#;
        let c = Config::parse(text, Path::new("molt.toml")).unwrap();
        assert!(c.deny_warnings());
        assert_eq!(c.renames["A"], "B");
        assert_eq!(c.levels["error_removed"], Level::Breaking);

        let err = Config::parse("[diff.levels]\nfunction_gone = \"info\"", Path::new("m.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("m.toml") && err.contains("function_gone"), "{err}");
        let err = Config::parse("[diff]\nlevel = {}", Path::new("m.toml")).unwrap_err().to_string();
        assert!(err.contains("unknown field"), "{err}");
        assert_eq!(
            Config::parse("[network]\nx = 1", Path::new("m.toml")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn contract_levels_win_and_ignores_keep_their_reason() {
        let c = Config::parse(
            r#"
            [diff.levels]
            function_added = "warning"
            [diff.contracts.A.levels]
            function_added = "allow"
            [[diff.ignore]]
            item = "g()"
            reason = "r"
            "#,
            Path::new("m.toml"),
        )
        .unwrap();
        let added = |item: &str| Change::of(Kind::FunctionAdded, item);
        let mut d = ContractDiff {
            name: "B".into(),
            old_name: None,
            old: None,
            new: None,
            changes: vec![added("f()"), added("g()")],
            ignored: vec![],
            storage_compared: false,
        };
        c.apply(&mut d);
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].severity, Severity::Warning);
        assert_eq!(d.ignored[0].reason, "r");
        d.name = "A".into();
        d.changes = vec![added("f()")];
        c.apply(&mut d);
        assert!(d.changes.is_empty());
    }
}
