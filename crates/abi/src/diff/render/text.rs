use std::fmt::Write;

use super::{path_str, title};
use crate::diff::Report;

/// Grouped by contract: a header, one line per finding (`severity kind message`), the ignored
/// findings with their reasons, then a summary line. Contracts without findings are skipped
/// unless the report has only one contract.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let single = report.contracts.len() == 1;
    for c in &report.contracts {
        if c.changes.is_empty() && c.ignored.is_empty() && !single {
            continue;
        }
        let paths = match (&c.old, &c.new) {
            (Some(o), Some(n)) => format!("{} -> {}", path_str(o), path_str(n)),
            (Some(p), None) | (None, Some(p)) => path_str(p),
            (None, None) => String::new(),
        };
        let _ = writeln!(out, "{}  ({paths})", title(c));
        if c.changes.is_empty() && c.ignored.is_empty() {
            let _ = writeln!(out, "  no changes");
        }
        for ch in &c.changes {
            let _ = writeln!(out, "  {:<8}  {:<28}  {}", ch.severity, ch.kind, ch.message);
        }
        for ig in &c.ignored {
            let _ = writeln!(
                out,
                "  {:<8}  {:<28}  {} (ignored: {})",
                "ignored", ig.change.kind, ig.change.message, ig.reason
            );
        }
        out.push('\n');
    }
    let s = report.summary();
    let compared = report.contracts.len();
    let _ = write!(
        out,
        "summary: {} breaking, {} warning{}, {} info",
        s.breaking,
        s.warning,
        if s.warning == 1 { "" } else { "s" },
        s.info
    );
    let ignored = report.ignored();
    if ignored > 0 {
        let _ = write!(out, ", {ignored} ignored");
    }
    if !single {
        let _ = write!(out, " ({compared} contract{})", if compared == 1 { "" } else { "s" });
    }
    out.push('\n');
    out
}
