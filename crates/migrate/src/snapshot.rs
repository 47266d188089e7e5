//! The snapshot: every source record read at one pinned block, mapped to its target form, with
//! the component's state hash, and written to a data backup file.

use std::{collections::BTreeMap, path::Path};

use alloy::{
    dyn_abi::{DynSolType, DynSolValue, FunctionExt, JsonAbiExt},
    eips::BlockId,
    json_abi::Function,
    network::TransactionBuilder,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
};
use molt_chain::{BatchReader, ViewCall};
use serde_json::{Value, json};

use crate::{
    Error, Result,
    manifest::{Component, Manifest},
    record,
};

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

/// One component's records.
#[derive(Debug, Clone)]
pub struct ComponentSnapshot {
    /// Records in the source, before the filter.
    pub total: u64,
    /// The records to migrate, in import order.
    pub records: Vec<SnapshotRecord>,
    /// The digest of the mapped records (equal to V2's on-chain digest once imported).
    pub source_hash: B256,
}

/// One source record and its target form.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRecord {
    /// Its index in the source enumeration.
    pub index: u64,
    /// The source fields.
    pub source: Vec<DynSolValue>,
    /// The import struct, as a tuple.
    pub target: DynSolValue,
}

/// Calls a view at a block and decodes its outputs.
pub async fn view(
    provider: &DynProvider,
    address: Address,
    function: &Function,
    args: &[DynSolValue],
    block: Option<u64>,
) -> Result<Vec<DynSolValue>> {
    let call_err = |reason: String| Error::Call { function: function.signature(), address, reason };
    let data = function.abi_encode_input(args).map_err(|e| call_err(e.to_string()))?;
    let tx = TransactionRequest::default().with_to(address).with_input(data);
    let call = provider.call(tx);
    let call = match block {
        Some(b) => call.block(BlockId::number(b)),
        None => call,
    };
    let out = call.await.map_err(|e| call_err(e.to_string()))?;
    decode_output(function, address, &out)
}

/// Decodes what a call of `function` on `address` returned.
fn decode_output(function: &Function, address: Address, out: &[u8]) -> Result<Vec<DynSolValue>> {
    let call_err = |reason: String| Error::Call { function: function.signature(), address, reason };
    if out.is_empty() && !function.outputs.is_empty() {
        return Err(call_err(format!("returned no data; is there a contract at {address}?")));
    }
    function.abi_decode_output(out).map_err(|e| call_err(format!("cannot decode the result: {e}")))
}

/// Calls `function` once per argument list at `block` (the latest if `None`), batched by
/// `reader`, and decodes each result. The outer error is a call that could not be made; the
/// inner ones are calls that reverted or returned something undecodable.
pub async fn views(
    reader: &BatchReader,
    address: Address,
    function: &Function,
    args: &[Vec<DynSolValue>],
    block: Option<u64>,
) -> Result<Vec<Result<Vec<DynSolValue>>>> {
    let call_err = |reason: String| Error::Call { function: function.signature(), address, reason };
    let calls = args
        .iter()
        .map(|a| {
            let data = function.abi_encode_input(a).map_err(|e| call_err(e.to_string()))?;
            Ok(ViewCall { to: address, data: data.into() })
        })
        .collect::<Result<Vec<_>>>()?;
    let block = block.map_or(BlockId::latest(), BlockId::number);
    let outcomes = reader.call_all(&calls, block).await.map_err(|e| call_err(error_chain(&e)))?;
    Ok(outcomes
        .into_iter()
        .map(|o| match o {
            Err(revert) => Err(call_err(format!("reverted with {revert}"))),
            Ok(out) => decode_output(function, address, &out),
        })
        .collect())
}

/// A reader for batched calls at `block` (the latest if `None`): through Multicall3 where it is
/// deployed, JSON-RPC batches otherwise.
pub async fn reader(provider: &DynProvider, block: Option<u64>) -> Result<BatchReader> {
    let block = block.map_or(BlockId::latest(), BlockId::number);
    BatchReader::new(provider, block).await.map_err(|e| Error::Call {
        function: "eth_getCode".into(),
        address: e.to,
        reason: error_chain(&e),
    })
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// A view returning one unsigned integer, as u64.
pub async fn view_u64(
    provider: &DynProvider,
    address: Address,
    function: &Function,
    block: Option<u64>,
) -> Result<u64> {
    let out = view(provider, address, function, &[], block).await?;
    let n = out.first().and_then(DynSolValue::as_uint).map(|(n, _)| n).unwrap_or_default();
    u64::try_from(n).map_err(|_| Error::Call {
        function: function.signature(),
        address,
        reason: format!("{n} is not a count"),
    })
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
            let snap = read_component(provider, &reader, manifest, c, block).await?;
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
                let value = json!({
                    "contract": src.contract,
                    "address": manifest.contract(&src.contract).address,
                    "getter": src.get.signature(),
                    "fields": src.record.names.iter().zip(&src.record.types).map(|(n, t)| json!({"name": n, "type": t.sol_type_name()})).collect::<Vec<_>>(),
                    "total": snap.total,
                    "migrating": snap.records.len(),
                    "source_hash": snap.source_hash,
                    "records": records,
                });
                (c.name.clone(), value)
            })
            .collect();
        json!({
            "schema": "molt.backup/1",
            "chain_id": self.chain_id,
            "block": self.block,
            "manifest_hash": manifest.hash,
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
    /// manifest (which must be the one it was taken with).
    pub fn read_backup(manifest: &Manifest, path: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Backup { path: path.into(), reason };
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::Io { path: path.into(), source })?;
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if v["schema"] != "molt.backup/1" {
            return Err(bad("not a molt.backup/1 file".into()));
        }
        if v["manifest_hash"] != json!(manifest.hash) {
            return Err(bad("it was taken with another manifest".into()));
        }
        let num =
            |x: &Value, what: &str| x.as_u64().ok_or_else(|| bad(format!("`{what}` is missing")));
        let mut components = BTreeMap::new();
        for c in &manifest.components {
            let cv = &v["components"][&c.name];
            let mut records = Vec::new();
            for r in cv["records"]
                .as_array()
                .ok_or_else(|| bad(format!("component `{}` has no records", c.name)))?
            {
                let index = num(&r["index"], "index")?;
                let source = c
                    .source
                    .record
                    .names
                    .iter()
                    .zip(&c.source.record.types)
                    .map(|(n, t)| {
                        from_json(t, &r["fields"][n]).map_err(|e| {
                            bad(format!("`{}` record {index} field `{n}`: {e}", c.name))
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let target = record::map_record(c, index, &source)?;
                records.push(SnapshotRecord { index, source, target });
            }
            let source_hash = record::digest(records.iter().map(|r| &r.target));
            components.insert(
                c.name.clone(),
                ComponentSnapshot { total: num(&cv["total"], "total")?, records, source_hash },
            );
        }
        Ok(Self {
            chain_id: num(&v["chain_id"], "chain_id")?,
            block: num(&v["block"], "block")?,
            components,
        })
    }
}

async fn read_component(
    provider: &DynProvider,
    reader: &BatchReader,
    manifest: &Manifest,
    c: &Component,
    block: u64,
) -> Result<ComponentSnapshot> {
    let address = manifest.contract(&c.source.contract).address;
    let total = view_u64(provider, address, &c.source.count, Some(block)).await?;
    let bits = match c.source.get.inputs[0].ty.trim_start_matches("uint") {
        "" => 256,
        b => b.parse().unwrap_or(256),
    };
    let indexes: Vec<u64> = (c.source.first..c.source.first + total).collect();
    let mut records = Vec::new();
    for slice in indexes.chunks(READ_SLICE) {
        let args: Vec<Vec<DynSolValue>> =
            slice.iter().map(|&i| vec![DynSolValue::Uint(U256::from(i), bits)]).collect();
        let outs = views(reader, address, &c.source.get, &args, Some(block)).await?;
        for (&index, out) in slice.iter().zip(outs) {
            let source = record::fields_of(out?);
            if record::passes(c.filter.as_ref(), &source) {
                let target = record::map_record(c, index, &source)?;
                records.push(SnapshotRecord { index, source, target });
            }
        }
    }
    let source_hash = record::digest(records.iter().map(|r| &r.target));
    Ok(ComponentSnapshot { total, records, source_hash })
}

/// Parses a value written by [`record::to_json`] back as type `ty`.
fn from_json(ty: &DynSolType, v: &Value) -> std::result::Result<DynSolValue, String> {
    match (ty, v) {
        (DynSolType::Array(inner), Value::Array(items)) => items
            .iter()
            .map(|i| from_json(inner, i))
            .collect::<std::result::Result<_, _>>()
            .map(DynSolValue::Array),
        (DynSolType::FixedArray(inner, _), Value::Array(items)) => items
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
