//! The snapshot: every source record read at one pinned block, mapped to its target form, with
//! the component's state hash, and written to a data backup file.

use std::{collections::BTreeMap, path::Path};

use alloy::{
    dyn_abi::{DynSolType, DynSolValue},
    primitives::U256,
    providers::DynProvider,
};
use molt_chain::BatchReader;
use serde_json::{Value, json};

use crate::{
    Error, Result,
    component_snapshot::{ComponentSnapshot, KeysFrom, SnapshotRecord},
    keys,
    manifest::{Component, Manifest, Records},
    record,
};
use molt_chain::read::{reader, view_u64, views};

/// Records read per round of batched calls (between progress reports).
pub const READ_SLICE: usize = 1_000;

/// Every component's records at one block.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The chain.
    pub chain_id: u64,
    /// The block every record was read at.
    pub block: u64,
    /// Per component, in manifest order.
    pub components: BTreeMap<String, ComponentSnapshot>,
}

impl Snapshot {
    /// Reads every component's source records at `block`.
    pub async fn take(
        provider: &DynProvider,
        manifest: &Manifest,
        chain_id: u64,
        block: u64,
    ) -> Result<Self> {
        let reader = reader(provider, Some(block)).await?;
        let mut components = BTreeMap::new();
        for c in &manifest.components {
            let snap = read_component(provider, &reader, manifest, c, block, &components).await?;
            components.insert(c.name.clone(), snap);
        }
        Ok(Self { chain_id, block, components })
    }

    /// The data backup: every source record as typed JSON, with the block and the hashes.
    pub fn backup_json(&self, manifest: &Manifest) -> Value {
        let components: serde_json::Map<String, Value> = manifest
            .components
            .iter()
            .map(|c| {
                let snap = &self.components[&c.name];
                let src = &c.source;
                let records: Vec<Value> = snap
                    .records
                    .iter()
                    .map(|r| {
                        let fields: serde_json::Map<String, Value> = src
                            .record
                            .names
                            .iter()
                            .zip(&r.source)
                            .map(|(n, v)| (n.clone(), record::to_json(v)))
                            .collect();
                        json!({ "index": r.index, "fields": fields })
                    })
                    .collect();
                let mut value = json!({
                    "contract": src.contract,
                    "address": manifest.contract(&src.contract).address,
                    "getter": src.get.signature(),
                    "fields": src.record.names.iter().zip(&src.record.types).map(|(n, t)| json!({"name": n, "type": t.sol_type_name()})).collect::<Vec<_>>(),
                    "total": snap.total,
                    "migrating": snap.records.len(),
                    "source_hash": snap.source_hash,
                    "records": records,
                });
                if let Some(from) = &snap.keys_from {
                    let keys: Vec<Value> = snap
                        .keys
                        .iter()
                        .map(|k| Value::Array(k.iter().map(record::to_json).collect()))
                        .collect();
                    value["keys_from"] = json!(from);
                    value["keys"] = Value::Array(keys);
                }
                (c.name.clone(), value)
            })
            .collect();
        json!({
            "schema": "molt.backup/1",
            "chain_id": self.chain_id,
            "block": self.block,
            "manifest_hash": manifest.hash,
            "records_fingerprint": crate::manifest::fingerprint::records(&manifest.sections),
            "components": components,
        })
    }

    /// Writes the backup next to `dir` as `molt-backup-<chain>-<block>.json` (atomically).
    pub fn write_backup(&self, manifest: &Manifest, dir: &Path) -> Result<std::path::PathBuf> {
        let path = dir.join(format!("molt-backup-{}-{}.json", self.chain_id, self.block));
        let text = serde_json::to_string_pretty(&self.backup_json(manifest)).expect("serializes");
        crate::fsutil::write_atomic(&path, text.as_bytes())
            .map_err(|source| Error::Io { path: path.clone(), source })?;
        Ok(path)
    }

    /// Reads a backup written by [`Snapshot::write_backup`] and re-maps its records with the
    /// manifest (which must be the one it was taken with). Everything is checked, and anything
    /// malformed or inconsistent is an [`Error::Backup`] naming it: the schema, the manifest
    /// hash, each manifest component present (and no other), its `fields` against the source
    /// getter's, every record's fields and types, records in source order within `total`,
    /// passing the filter, as many as `migrating` says, and hashing to `source_hash`.
    pub fn read_backup(manifest: &Manifest, path: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Backup { path: path.into(), reason };
        let bytes =
            std::fs::read(path).map_err(|source| Error::Io { path: path.into(), source })?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        if v["schema"] != "molt.backup/1" {
            return Err(bad("not a molt.backup/1 file".into()));
        }
        // The sections that decide the records must be the same; the others (batch settings,
        // say) may have changed since, with `--adopt-manifest`.
        let same = match v.get("records_fingerprint") {
            Some(f) => *f == json!(crate::manifest::fingerprint::records(&manifest.sections)),
            None => v["manifest_hash"] == json!(manifest.hash),
        };
        if !same {
            return Err(bad("it was taken with another manifest".into()));
        }
        let num = |x: &Value, what: &str| {
            x.as_u64().ok_or_else(|| bad(format!("`{what}` is missing or not a number")))
        };
        let (chain_id, block) = (num(&v["chain_id"], "chain_id")?, num(&v["block"], "block")?);
        let listed = v["components"]
            .as_object()
            .ok_or_else(|| bad("`components` is missing or not an object".into()))?;
        if let Some(name) = listed.keys().find(|n| manifest.component(n).is_none()) {
            return Err(bad(format!(
                "it has a component `{name}` that the manifest does not have (renamed?)"
            )));
        }
        let mut components = BTreeMap::new();
        for c in &manifest.components {
            let cv = listed.get(&c.name).ok_or_else(|| {
                bad(format!("it has no component `{}`, which the manifest migrates", c.name))
            })?;
            let snap = component_from_backup(c, cv).map_err(|e| match e {
                BackupProblem::Reason(reason) => bad(format!("component `{}`: {reason}", c.name)),
                BackupProblem::Error(e) => e,
            })?;
            components.insert(c.name.clone(), snap);
        }
        Ok(Self { chain_id, block, components })
    }
}

impl Snapshot {
    /// Checks the snapshot against what a journal's `snapshot` line recorded: the same
    /// components, each with the same record count and state hash.
    pub fn check_recorded(
        &self,
        recorded: &BTreeMap<String, crate::journal::SnapshotComponent>,
    ) -> std::result::Result<(), String> {
        for (name, r) in recorded {
            let Some(c) = self.components.get(name) else {
                return Err(format!("it has no component `{name}`"));
            };
            if c.records.len() as u64 != r.count {
                return Err(format!(
                    "component `{name}` has {} records, the journal recorded {}",
                    c.records.len(),
                    r.count
                ));
            }
            if c.source_hash != r.source_hash {
                return Err(format!(
                    "component `{name}` hashes to {}, the journal recorded {}",
                    c.source_hash, r.source_hash
                ));
            }
        }
        match self.components.keys().find(|n| !recorded.contains_key(*n)) {
            Some(name) => Err(format!("the journal recorded no component `{name}`")),
            None => Ok(()),
        }
    }
}

/// Why a backup's component cannot be used: a reason (the caller names the file and component)
/// or an error of its own (a record that does not map).
enum BackupProblem {
    Reason(String),
    Error(Error),
}

impl From<String> for BackupProblem {
    fn from(reason: String) -> Self {
        Self::Reason(reason)
    }
}

/// One component of a backup, checked against the manifest and against itself.
fn component_from_backup(
    c: &Component,
    cv: &Value,
) -> std::result::Result<ComponentSnapshot, BackupProblem> {
    check_fields_header(c, &cv["fields"])?;
    let total = cv["total"].as_u64().ok_or("`total` is missing or not a number".to_owned())?;
    let items =
        cv["records"].as_array().ok_or("`records` is missing or not an array".to_owned())?;
    let (keys, keys_from) = keys_from_backup(c, cv, total)?;
    let first = match &c.source.records {
        Records::Enumerated { first, .. } => *first,
        Records::Keyed(_) => 0,
    };
    let end = first.saturating_add(total);
    let mut records: Vec<SnapshotRecord> = Vec::with_capacity(items.len());
    for (n, r) in items.iter().enumerate() {
        let (index, source) = record_from_backup(c, n, r)?;
        if !(first..end).contains(&index) {
            let why = format!("record {n} has index {index}, outside the source's {first}..{end}");
            return Err(why.into());
        }
        if let Some(prev) = records.last().map(|p| p.index)
            && index <= prev
        {
            let why = format!(
                "record {n} has index {index} after index {prev}: records are out of source order or duplicated"
            );
            return Err(why.into());
        }
        let key = keys.get((index - first) as usize).map_or(&[][..], Vec::as_slice);
        let fields = record::with_pseudo(c, index, key, source.clone());
        if !record::passes(&c.filter, &fields) {
            return Err(format!("record {n} (index {index}) does not pass the filter").into());
        }
        let target = record::map_record(c, index, &fields).map_err(BackupProblem::Error)?;
        records.push(SnapshotRecord { index, source, target });
    }
    let migrating = cv["migrating"].as_u64();
    if migrating != Some(records.len() as u64) {
        let said = migrating.map_or("no number".to_owned(), |m| m.to_string());
        let why = format!("it has {} records, but `migrating` says {said}", records.len());
        return Err(why.into());
    }
    let source_hash = record::digest(records.iter().map(|r| &r.target));
    if cv["source_hash"] != json!(source_hash) {
        return Err(format!(
            "its records hash to {source_hash}, but `source_hash` says {}: the records were changed after the backup was written",
            cv["source_hash"]
        )
        .into());
    }
    Ok(ComponentSnapshot { total, keys, keys_from, records, source_hash })
}

/// A keyed component's `keys` and `keys_from` in a backup: as many keys as `total`, each typed
/// as the getter's arguments. Sources by index have neither.
fn keys_from_backup(
    c: &Component,
    cv: &Value,
    total: u64,
) -> std::result::Result<(Vec<Vec<DynSolValue>>, Option<KeysFrom>), String> {
    let Some(k) = c.source.keyed() else { return Ok((Vec::new(), None)) };
    let from: KeysFrom = serde_json::from_value(cv["keys_from"].clone())
        .map_err(|e| format!("`keys_from` is missing or malformed: {e}"))?;
    let items = cv["keys"].as_array().ok_or("`keys` is missing or not an array")?;
    if items.len() as u64 != total {
        return Err(format!("it has {} keys, but `total` says {total}", items.len()));
    }
    let keys = items
        .iter()
        .enumerate()
        .map(|(n, key)| {
            let parts = key
                .as_array()
                .filter(|p| p.len() == k.types.len())
                .ok_or_else(|| format!("key {n} is not an array of {} part(s)", k.types.len()))?;
            parts
                .iter()
                .zip(&k.types)
                .map(|(p, ty)| from_json(ty, p).map_err(|e| format!("key {n}: {e}")))
                .collect()
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;
    Ok((keys, Some(from)))
}

/// The backup's `fields` must be the source getter's names and types.
fn check_fields_header(c: &Component, fields: &Value) -> std::result::Result<(), String> {
    let want: Vec<Value> = c
        .source
        .record
        .names
        .iter()
        .zip(&c.source.record.types)
        .map(|(n, t)| json!({"name": n, "type": t.sol_type_name()}))
        .collect();
    if fields.as_array() != Some(&want) {
        return Err(format!(
            "its `fields` are {fields}, but the manifest's source getter `{}` returns {}",
            c.source.get.signature(),
            Value::Array(want)
        ));
    }
    Ok(())
}

/// The `n`-th record of a backup's component: its index and source fields.
fn record_from_backup(
    c: &Component,
    n: usize,
    r: &Value,
) -> std::result::Result<(u64, Vec<DynSolValue>), String> {
    let index = r["index"]
        .as_u64()
        .ok_or_else(|| format!("record {n}: `index` is missing or not a number"))?;
    let fields = r["fields"].as_object().ok_or_else(|| {
        format!("record {n} (index {index}): `fields` is missing or not an object")
    })?;
    let names = &c.source.record.names;
    if let Some(extra) = fields.keys().find(|k| !names.contains(k)) {
        return Err(format!(
            "record {n} (index {index}) has a field `{extra}` that the source getter does not return"
        ));
    }
    let source = names
        .iter()
        .zip(&c.source.record.types)
        .map(|(name, ty)| {
            let v = fields
                .get(name)
                .ok_or_else(|| format!("record {n} (index {index}) has no field `{name}`"))?;
            from_json(ty, v).map_err(|e| format!("record {n} (index {index}) field `{name}`: {e}"))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((index, source))
}

async fn read_component(
    provider: &DynProvider,
    reader: &BatchReader,
    manifest: &Manifest,
    c: &Component,
    block: u64,
    earlier: &BTreeMap<String, ComponentSnapshot>,
) -> Result<ComponentSnapshot> {
    let address = manifest.contract(&c.source.contract).address;
    let (indexes, args, keys, keys_from) = match &c.source.records {
        Records::Enumerated { count, first } => {
            let total = view_u64(provider, address, count, Some(block)).await?;
            let bits = match c.source.get.inputs[0].ty.trim_start_matches("uint") {
                "" => 256,
                b => b.parse().unwrap_or(256),
            };
            let indexes: Vec<u64> = (*first..first + total).collect();
            let args = indexes.iter().map(|&i| vec![DynSolValue::Uint(U256::from(i), bits)]);
            (indexes.clone(), args.collect(), Vec::new(), None)
        }
        Records::Keyed(k) => {
            let (keys, from) = keys::collect(provider, manifest, c, k, block, earlier).await?;
            ((0..keys.len() as u64).collect(), keys.clone(), keys, Some(from))
        }
    };
    let mut records = Vec::new();
    for (slice, args) in indexes.chunks(READ_SLICE).zip(args.chunks(READ_SLICE)) {
        let outs = views(reader, address, &c.source.get, args, Some(block)).await?;
        for ((&index, out), key) in slice.iter().zip(outs).zip(args) {
            let source = record::fields_of(out?);
            let key = if keys.is_empty() { &[][..] } else { key.as_slice() };
            let fields = record::with_pseudo(c, index, key, source.clone());
            if record::passes(&c.filter, &fields) {
                let target = record::map_record(c, index, &fields)?;
                records.push(SnapshotRecord { index, source, target });
            }
        }
    }
    let source_hash = record::digest(records.iter().map(|r| &r.target));
    Ok(ComponentSnapshot { total: indexes.len() as u64, keys, keys_from, records, source_hash })
}

/// Parses a value written by [`record::to_json`] back as type `ty`.
fn from_json(ty: &DynSolType, v: &Value) -> std::result::Result<DynSolValue, String> {
    match (ty, v) {
        (DynSolType::Array(inner), Value::Array(items)) => items
            .iter()
            .map(|i| from_json(inner, i))
            .collect::<std::result::Result<_, _>>()
            .map(DynSolValue::Array),
        (DynSolType::FixedArray(inner, n), Value::Array(items)) if items.len() == *n => items
            .iter()
            .map(|i| from_json(inner, i))
            .collect::<std::result::Result<_, _>>()
            .map(DynSolValue::FixedArray),
        (DynSolType::Tuple(types), Value::Array(items)) if types.len() == items.len() => types
            .iter()
            .zip(items)
            .map(|(t, i)| from_json(t, i))
            .collect::<std::result::Result<_, _>>()
            .map(DynSolValue::Tuple),
        (DynSolType::Bool, Value::Bool(b)) => Ok(DynSolValue::Bool(*b)),
        // Strings are taken verbatim: coercion would trim or reinterpret them.
        (DynSolType::String, Value::String(s)) => Ok(DynSolValue::String(s.clone())),
        (_, Value::String(s)) => ty.coerce_str(s).map_err(|e| e.to_string()),
        (_, other) => Err(format!("{other} is not a {ty}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, B256};

    #[test]
    fn json_round_trips_every_kind_of_field() {
        let ty: DynSolType =
            "(address,string,uint256,string[],uint8,bytes32,bool,bytes,(uint256,address))"
                .parse()
                .unwrap();
        let v = DynSolValue::Tuple(vec![
            DynSolValue::Address(Address::repeat_byte(0xab)),
            DynSolValue::String("  spaced, (odd) \"text\" ".into()),
            DynSolValue::Uint(U256::MAX, 256),
            DynSolValue::Array(vec![
                DynSolValue::String("a".into()),
                DynSolValue::String(String::new()),
            ]),
            DynSolValue::Uint(U256::from(2), 8),
            DynSolValue::FixedBytes(B256::repeat_byte(7), 32),
            DynSolValue::Bool(true),
            DynSolValue::Bytes(vec![0, 1, 2]),
            DynSolValue::Tuple(vec![
                DynSolValue::Uint(U256::from(5), 256),
                DynSolValue::Address(Address::ZERO),
            ]),
        ]);
        assert_eq!(from_json(&ty, &record::to_json(&v)).unwrap(), v);
    }
}
