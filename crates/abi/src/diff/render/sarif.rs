use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
    path::Path,
};

use serde_json::{Value, json};

use super::{location, path_str};
use crate::diff::{Change, RULES, Report, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Breaking => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative URI reference for a path (`/` separators, spaces and `%` escaped).
fn uri(p: &Path) -> String {
    path_str(p).replace('%', "%25").replace(' ', "%20")
}

/// The 1-based line of `file` where the finding's item is declared (`"name": "f"` for ABI
/// items, `"label": "x"` for storage), or 1: code scanning requires a `region.startLine`.
fn line_of(lines: &HashMap<&Path, Vec<String>>, file: &Path, ch: &Change) -> usize {
    let Some(text) = lines.get(file) else { return 1 };
    let id = ch.kind.id();
    let (key, name) = if id.starts_with("storage_") {
        ("label", ch.item.as_str())
    } else {
        ("name", ch.item.split('(').next().unwrap_or(&ch.item))
    };
    let needles = [format!("\"{key}\":\"{name}\""), format!("\"{key}\": \"{name}\"")];
    text.iter().position(|l| needles.iter().any(|n| l.contains(n.as_str()))).map_or(1, |i| i + 1)
}

/// SARIF 2.1.0: one run whose `tool.driver.rules` is the whole catalog and whose results point
/// at the artifact files (the old one for removed items).
pub fn sarif(report: &Report) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let mut rule = json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.id.replace('_', " ") },
                "fullDescription": { "text": r.description },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "tags": ["molt", "upgrade"] },
            });
            if !r.severity_rule.is_empty() {
                rule["help"] = json!({ "text": format!("Severity: {}.", r.severity_rule) });
            }
            rule
        })
        .collect();
    // Read each referenced file once to find line numbers.
    let mut lines: HashMap<&Path, Vec<String>> = HashMap::new();
    for c in &report.contracts {
        for p in [c.old.as_deref(), c.new.as_deref()].into_iter().flatten() {
            if !lines.contains_key(p)
                && let Ok(text) = std::fs::read_to_string(p)
            {
                lines.insert(p, text.lines().map(str::to_owned).collect());
            }
        }
    }
    let mut results = Vec::new();
    for c in &report.contracts {
        for ch in &c.changes {
            let mut result = json!({
                "ruleId": ch.kind.id(),
                "ruleIndex": ch.kind as usize,
                "level": level(ch.severity),
                "message": { "text": format!("{}: {}", c.name, ch.message) },
            });
            if let Some(file) = location(c, ch) {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(file) },
                        "region": { "startLine": line_of(&lines, file, ch) },
                    },
                    "logicalLocations": [{ "name": ch.item, "fullyQualifiedName": format!("{}.{}", c.name, ch.item) }],
                }]);
            }
            let mut h = DefaultHasher::new();
            (&c.name, ch.kind.id(), &ch.item).hash(&mut h);
            result["partialFingerprints"] =
                json!({ "moltFinding/v1": format!("{:016x}", h.finish()) });
            results.push(result);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "molt",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value serializes");
    s.push('\n');
    s
}
