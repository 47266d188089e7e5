use std::fmt::Write;

use super::{location, path_str};
use crate::diff::{Report, Severity};

/// Escapes workflow-command data.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes workflow-command property values.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations: `::error file=...,title=...::message` per finding (error for
/// breaking, warning, notice for info), then a plain summary line.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for c in &report.contracts {
        for ch in &c.changes {
            let level = match ch.severity {
                Severity::Breaking => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut props = Vec::new();
            if let Some(f) = location(c, ch) {
                props.push(format!("file={}", property(&path_str(f))));
            }
            props.push(format!("title={}", property(&format!("{} ({})", ch.kind, c.name))));
            let _ = writeln!(out, "::{level} {}::{}", props.join(","), data(&ch.message));
        }
    }
    let s = report.summary();
    let _ =
        writeln!(out, "molt diff: {} breaking, {} warning, {} info", s.breaking, s.warning, s.info);
    out
}
