use serde_json::{Value, json};

use super::path_str;
use crate::diff::Report;

/// The schema id of [`json`] output.
pub const SCHEMA: &str = "molt.diff/1";

/// The `molt.diff/1` document:
/// `{"schema","contracts":[{"name","old","new","changes":[...]}],"summary":{...}}`.
/// Every compared contract is listed, with or without changes.
pub fn json(report: &Report) -> String {
    let contracts: Vec<Value> = report
        .contracts
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "old": c.old.as_deref().map(path_str),
                "new": c.new.as_deref().map(path_str),
                "changes": c.changes,
            })
        })
        .collect();
    let doc = json!({
        "schema": SCHEMA,
        "contracts": contracts,
        "summary": report.summary(),
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value serializes");
    s.push('\n');
    s
}
