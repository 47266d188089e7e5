use std::fmt::Write;

use super::{path_str, title};
use crate::diff::Report;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A PR comment: a heading with the counts, then one table per contract with findings.
pub fn markdown(report: &Report) -> String {
    let s = report.summary();
    let mut out = String::new();
    let verdict = if s.breaking > 0 { "breaking changes found" } else { "no breaking change" };
    let _ = writeln!(
        out,
        "### molt diff: {verdict}\n\n**{}** breaking, **{}** warning, **{}** info",
        s.breaking, s.warning, s.info
    );
    for c in &report.contracts {
        if c.changes.is_empty() && c.ignored.is_empty() {
            continue;
        }
        let paths = match (&c.old, &c.new) {
            (Some(o), Some(n)) => format!("`{}` → `{}`", path_str(o), path_str(n)),
            (Some(p), None) | (None, Some(p)) => format!("`{}`", path_str(p)),
            (None, None) => String::new(),
        };
        let _ = writeln!(out, "\n#### {} ({paths})\n", cell(&title(c)));
        let _ = writeln!(out, "| severity | kind | item | change |\n|---|---|---|---|");
        for ch in &c.changes {
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}` | {} |",
                ch.severity,
                ch.kind,
                cell(&ch.item),
                cell(&ch.message)
            );
        }
        for ig in &c.ignored {
            let _ = writeln!(
                out,
                "| ignored | `{}` | `{}` | {} (ignored: {}) |",
                ig.change.kind,
                cell(&ig.change.item),
                cell(&ig.change.message),
                cell(&ig.reason)
            );
        }
    }
    if report.contracts.iter().all(|c| c.changes.is_empty() && c.ignored.is_empty()) {
        out.push_str("\nNo changes.\n");
    }
    out
}
