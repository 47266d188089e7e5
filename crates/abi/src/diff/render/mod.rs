//! Output formats of `molt diff`: one function per format, each turning a [`Report`] into the
//! text written to stdout.
//!
//! | format | for |
//! |---|---|
//! | [`text`] | people at a terminal (default) |
//! | [`json`] | machines: the `molt.diff/1` schema (see `docs/diff.md`) |
//! | [`markdown`] | a pull-request comment |
//! | [`sarif`] | code scanning (SARIF 2.1.0) |
//! | [`github`] | GitHub Actions workflow-command annotations |

mod github;
mod json;
mod markdown;
mod sarif;
mod text;

use std::{fmt, str::FromStr};

pub use github::github;
pub use json::{SCHEMA, json};
pub use markdown::markdown;
pub use sarif::sarif;
pub use text::text;

use super::{ContractDiff, Report};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Grouped by contract, one line per finding, a summary line.
    #[default]
    Text,
    /// One `molt.diff/1` JSON document.
    Json,
    /// A Markdown table per contract, for a PR comment.
    Markdown,
    /// SARIF 2.1.0.
    Sarif,
    /// `::error file=...::` workflow commands.
    Github,
}

impl Format {
    /// Every format's name, for help texts.
    pub const NAMES: [&'static str; 5] = ["text", "json", "markdown", "sarif", "github"];
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "text" => Self::Text,
            "json" => Self::Json,
            "markdown" | "md" => Self::Markdown,
            "sarif" => Self::Sarif,
            "github" => Self::Github,
            other => {
                return Err(format!(
                    "unknown format `{other}` (one of {})",
                    Self::NAMES.join(", ")
                ));
            }
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::NAMES[*self as usize])
    }
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => json(report),
        Format::Markdown => markdown(report),
        Format::Sarif => sarif(report),
        Format::Github => github(report),
    }
}

/// `Old -> New` when the contract was renamed, else its name.
fn title(c: &ContractDiff) -> String {
    match &c.old_name {
        Some(old) => format!("{old} -> {}", c.name),
        None => c.name.clone(),
    }
}

/// A path as written in outputs: `/` separators whatever the platform.
fn path_str(p: &std::path::Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// The artifact a finding points at: the old file for removed items, else the new one.
fn location<'a>(c: &'a ContractDiff, ch: &super::Change) -> Option<&'a std::path::Path> {
    let removed = ch.kind.id().ends_with("_removed") || (ch.new.is_none() && ch.old.is_some());
    if removed {
        c.old.as_deref().or(c.new.as_deref())
    } else {
        c.new.as_deref().or(c.old.as_deref())
    }
}
