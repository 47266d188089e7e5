//! Fingerprints of a manifest's sections: which parts of a manifest changed since a run
//! started, and whether the run may go on with the new one (`molt migrate --adopt-manifest`).
//!
//! Every top-level TOML section gets a keccak256 of its value (serialized canonically, so
//! comments and formatting do not count); `[[component]]`s are fingerprinted one by one, by
//! name. A section is *adoptable* when changing it cannot change what a partial run already
//! sent or snapshotted: how batches are sized and sent, where the node is, the pre-run
//! conditions, the differ's settings.

use std::collections::BTreeMap;

use alloy::primitives::{B256, keccak256};

/// Sections whose change a run may adopt: `[batch]`, `[network]` (its chain id is checked on
/// its own), `[[check]]` and `[diff]`.
pub const ADOPTABLE: &[&str] = &["batch", "network", "check", "diff"];

/// The fingerprint of every section of the manifest text (empty if it does not parse; a
/// manifest that loaded always parses).
pub fn sections(text: &str) -> BTreeMap<String, B256> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for (key, value) in table {
        match (key.as_str(), &value) {
            ("component", toml::Value::Array(components)) => {
                for (i, c) in components.iter().enumerate() {
                    let name =
                        c.get("name").and_then(|n| n.as_str()).map_or(i.to_string(), str::to_owned);
                    out.insert(format!("component `{name}`"), hash(c));
                }
            }
            _ => {
                out.insert(key, hash(&value));
            }
        }
    }
    out
}

/// The sections that differ between two fingerprints (present in one only, or changed).
pub fn changed(old: &BTreeMap<String, B256>, new: &BTreeMap<String, B256>) -> Vec<String> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| old.get(*k) != new.get(*k)).cloned().collect()
}

/// Whether a change of the named section may be adopted by a partial run.
pub fn adoptable(section: &str) -> bool {
    ADOPTABLE.contains(&section)
}

/// The fingerprint of what decides the records: the contracts and the components. A backup
/// stays valid for a manifest whose other sections changed.
pub fn records(sections: &BTreeMap<String, B256>) -> B256 {
    let mut bytes = Vec::new();
    for (k, v) in sections {
        if k == "contracts" || k.starts_with("component ") {
            bytes.extend_from_slice(k.as_bytes());
            bytes.extend_from_slice(v.as_slice());
        }
    }
    keccak256(bytes)
}

/// keccak256 of a TOML value as canonical JSON (tables have sorted keys).
fn hash(value: &toml::Value) -> B256 {
    let json = serde_json::to_value(value).expect("TOML values serialize");
    keccak256(canonical(&json).as_bytes())
}

fn canonical(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", serde_json::Value::from(k.as_str()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        serde_json::Value::Array(items) => {
            format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[network]
chain_id = 1
[batch]
max_in_flight = 4
[contracts]
a = { address = "0x01", abi = "a.json" }
[[component]]
name = "nodes"
key = "operator"
[[component]]
name = "jobs"
key = "id"
"#;

    #[test]
    fn formatting_and_comments_do_not_count() {
        let reformatted = BASE.replace("max_in_flight = 4", "max_in_flight   =   4 # four");
        assert_eq!(sections(BASE), sections(&reformatted));
    }

    #[test]
    fn a_changed_section_is_named_and_only_some_may_be_adopted() {
        let batch = BASE.replace("max_in_flight = 4", "max_in_flight = 2");
        assert_eq!(changed(&sections(BASE), &sections(&batch)), vec!["batch".to_string()]);
        assert!(adoptable("batch"));
        let jobs = BASE.replace("key = \"id\"", "key = \"jobId\"");
        assert_eq!(
            changed(&sections(BASE), &sections(&jobs)),
            vec!["component `jobs`".to_string()]
        );
        assert!(!adoptable("component `jobs`"));
        assert_eq!(records(&sections(BASE)), records(&sections(&batch)));
        assert_ne!(records(&sections(BASE)), records(&sections(&jobs)));
    }
}
