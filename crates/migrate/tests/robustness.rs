//! Malformed and inconsistent inputs never panic: seeded random mutations of a data backup
//! (records removed, duplicated, reordered, fields changed, wrong types, truncated JSON,
//! components renamed...) and of a journal (lines dropped, reordered, duplicated, truncated,
//! fields changed) give a clean error or a usable value, and the mutations that break a file
//! are caught. No node is needed: these are the pure functions molt runs on files.

use std::{
    collections::BTreeMap,
    panic::{AssertUnwindSafe, catch_unwind},
    path::{Path, PathBuf},
};

use alloy::{
    dyn_abi::{DynSolType, DynSolValue},
    primitives::{Address, B256, Bytes, U256},
};
use molt_migrate::{
    Manifest,
    component_snapshot::{ComponentSnapshot, SnapshotRecord},
    journal::{self, Entry, Journal, SnapshotComponent},
    manifest::{Component, Records, Test},
    record,
    snapshot::Snapshot,
    verify,
};
use serde_json::{Value, json};

/// xorshift64*: deterministic, seeded, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn manifest() -> Manifest {
    Manifest::load(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/manifests/fabstir.toml"),
    )
    .expect("the fixture loads (the contracts are built: forge build)")
}

/// A value of type `ty` (small numbers: every mapping rule of the manifest fits them).
fn sample(ty: &DynSolType, rng: &mut Rng) -> DynSolValue {
    match ty {
        DynSolType::Bool => DynSolValue::Bool(rng.next().is_multiple_of(2)),
        DynSolType::Uint(bits) => DynSolValue::Uint(U256::from(rng.next() % 100), *bits),
        DynSolType::Int(bits) => {
            DynSolValue::Int(alloy::primitives::I256::try_from(rng.below(100)).unwrap(), *bits)
        }
        DynSolType::Address => {
            DynSolValue::Address(Address::from_word(B256::from(U256::from(rng.next()))))
        }
        DynSolType::FixedBytes(n) => {
            DynSolValue::FixedBytes(B256::from(U256::from(rng.next())), *n)
        }
        DynSolType::Bytes => DynSolValue::Bytes(rng.next().to_be_bytes().to_vec()),
        DynSolType::String => DynSolValue::String(format!("s{}", rng.next() % 1000)),
        DynSolType::Array(inner) => {
            DynSolValue::Array((0..rng.below(3)).map(|_| sample(inner, rng)).collect())
        }
        DynSolType::FixedArray(inner, n) => {
            DynSolValue::FixedArray((0..*n).map(|_| sample(inner, rng)).collect())
        }
        DynSolType::Tuple(types) => {
            DynSolValue::Tuple(types.iter().map(|t| sample(t, rng)).collect())
        }
        other => panic!("no sample for {other}"),
    }
}

/// A snapshot of `n` records per component, every other source record filtered out.
fn snapshot(manifest: &Manifest, n: u64, rng: &mut Rng) -> Snapshot {
    let components = manifest
        .components
        .iter()
        .map(|c| {
            let records: Vec<SnapshotRecord> = (0..n)
                .map(|i| {
                    let first = match &c.source.records {
                        Records::Enumerated { first, .. } => *first,
                        Records::Keyed(_) => 0,
                    };
                    let index = first + 2 * i;
                    let mut source: Vec<DynSolValue> =
                        c.source.record.types.iter().map(|t| sample(t, rng)).collect();
                    for p in &c.filter {
                        if let Test::OneOf(values) = &p.test {
                            source[p.field] = values[0].clone();
                        }
                    }
                    let fields = record::with_pseudo(c, index, &[], source.clone());
                    let target = record::map_record(c, index, &fields).unwrap();
                    SnapshotRecord { index, source, target }
                })
                .collect();
            let source_hash = record::digest(records.iter().map(|r| &r.target));
            (
                c.name.clone(),
                ComponentSnapshot {
                    total: 2 * n,
                    keys: Vec::new(),
                    keys_from: None,
                    records,
                    source_hash,
                },
            )
        })
        .collect();
    Snapshot { chain_id: 31337, block: 48, components }
}

/// Runs `f`, failing the test with `what` when it panics.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| panic!("panicked on: {what}"))
}

/// A value of another JSON kind than any field has: no field type accepts it.
fn wrong_kind(rng: &mut Rng) -> Value {
    [Value::Null, json!({"x": 1})][rng.below(2)].clone()
}

fn random_value(rng: &mut Rng) -> Value {
    match rng.below(7) {
        0 => Value::Null,
        1 => json!(rng.next()),
        2 => json!(-1),
        3 => json!("0x1234"),
        4 => json!(format!("{}", rng.next())),
        5 => json!([1, "a", null]),
        _ => json!(true),
    }
}

/// One mutation of a backup; returns its description and whether the result must be refused.
fn mutate_backup(v: &mut Value, rng: &mut Rng) -> (String, bool) {
    let names: Vec<String> = v["components"].as_object().unwrap().keys().cloned().collect();
    let name = names[rng.below(names.len())].clone();
    let c = &mut v["components"][&name];
    let n = c["records"].as_array().unwrap().len();
    let (i, j) = (rng.below(n), rng.below(n));
    match rng.below(14) {
        13 => {
            // For people and other tools only: molt rebuilds the rest from the manifest.
            let key = ["contract", "address", "getter"][rng.below(3)];
            c[key] = random_value(rng);
            (format!("`{name}`: `{key}` changed"), false)
        }
        0 if n > 0 => {
            c["records"].as_array_mut().unwrap().remove(i);
            (format!("`{name}`: record {i} removed"), true)
        }
        1 if n > 0 => {
            let r = c["records"][i].clone();
            c["records"].as_array_mut().unwrap().insert(j, r);
            (format!("`{name}`: record {i} duplicated at {j}"), true)
        }
        2 if i != j => {
            c["records"].as_array_mut().unwrap().swap(i, j);
            (format!("`{name}`: records {i} and {j} swapped"), true)
        }
        3 | 4 if n > 0 => {
            let fields = c["records"][i]["fields"].as_object_mut().unwrap();
            let keys: Vec<String> = fields.keys().cloned().collect();
            let key = &keys[rng.below(keys.len())];
            if rng.next().is_multiple_of(2) {
                fields.insert(key.clone(), wrong_kind(rng));
                (format!("`{name}`: record {i} field `{key}` of a wrong type"), true)
            } else {
                fields.insert(key.clone(), random_value(rng));
                (format!("`{name}`: record {i} field `{key}` changed"), false)
            }
        }
        5 if n > 0 => {
            let fields = c["records"][i]["fields"].as_object_mut().unwrap();
            let key = fields.keys().next().unwrap().clone();
            fields.remove(&key);
            (format!("`{name}`: record {i} without field `{key}`"), true)
        }
        6 if n > 0 => {
            c["records"][i]["index"] = random_value(rng);
            (format!("`{name}`: record {i} index changed"), false)
        }
        7 => {
            let m = c["migrating"].as_u64().unwrap() + 1 + rng.next() % 3;
            c["migrating"] = json!(m);
            (format!("`{name}`: migrating {m}"), true)
        }
        8 => {
            c["total"] = random_value(rng);
            (format!("`{name}`: total changed"), false)
        }
        9 => {
            c["source_hash"] = json!(B256::from(U256::from(rng.next())));
            (format!("`{name}`: source_hash changed"), true)
        }
        10 => {
            let cv = v["components"].as_object_mut().unwrap().remove(&name).unwrap();
            if rng.next().is_multiple_of(2) {
                v["components"][format!("{name}_v2")] = cv;
                (format!("`{name}` renamed"), true)
            } else {
                (format!("`{name}` removed"), true)
            }
        }
        11 => {
            c["fields"][0]["type"] = json!("bytes7");
            (format!("`{name}`: fields header changed"), true)
        }
        _ => {
            let keys = [
                "schema",
                "records_fingerprint",
                "manifest_hash",
                "chain_id",
                "block",
                "components",
            ];
            let key = keys[rng.below(keys.len())];
            v[key] = random_value(rng);
            // The manifest's hash is informative: what must match is the fingerprint of the
            // sections that decide the records (the batch settings may change mid-run).
            let breaking = !["chain_id", "block", "manifest_hash"].contains(&key);
            (format!("top-level `{key}` changed"), breaking)
        }
    }
}

#[test]
fn no_backup_mutation_panics_and_the_breaking_ones_are_refused() {
    let manifest = manifest();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let snap = snapshot(&manifest, 6, &mut rng);
    let good = snap.write_backup(&manifest, dir.path()).unwrap();
    let text = std::fs::read_to_string(&good).unwrap();
    let read = Snapshot::read_backup(&manifest, &good).expect("a backup molt wrote reads back");
    for (name, c) in &snap.components {
        assert_eq!(read.components[name].records, c.records);
        assert_eq!(read.components[name].source_hash, c.source_hash);
    }
    let original: Value = serde_json::from_str(&text).unwrap();
    let path = dir.path().join("mutated.json");
    let (mut refused, mut accepted) = (0, 0);
    for round in 0..800 {
        let seed = rng.0;
        let (mut described, mut must_fail) = (Vec::new(), false);
        let out = if round % 8 == 7 {
            // Text-level: cut short, or a byte changed.
            let mut bytes = text.clone().into_bytes();
            let at = rng.below(bytes.len());
            if rng.next().is_multiple_of(2) {
                bytes.truncate(at);
                described.push(format!("truncated at byte {at}"));
                must_fail = true;
            } else {
                bytes[at] = rng.next() as u8;
                described.push(format!("byte {at} changed"));
            }
            bytes
        } else {
            let mut v = original.clone();
            for _ in 0..1 + rng.below(3) {
                if v["components"].as_object().is_none_or(|o| o.is_empty()) {
                    break;
                }
                let (what, fails) = mutate_backup(&mut v, &mut rng);
                described.push(what);
                must_fail |= fails;
            }
            serde_json::to_vec_pretty(&v).unwrap()
        };
        must_fail &= described.len() == 1;
        std::fs::write(&path, out).unwrap();
        let what = format!("{} (seed {seed:#x})", described.join("; "));
        let result = no_panic(&what, || Snapshot::read_backup(&manifest, &path));
        match result {
            Ok(s) => {
                assert!(!must_fail, "accepted a broken backup: {what}");
                accepted += 1;
                // Whatever was read, the verification's position handling copes with it.
                let order = journal::import_order(&journal_entries(&snap, &mut rng));
                no_panic(&what, || fold_all(&manifest, &s, &order));
            }
            Err(e) => {
                let message = e.to_string();
                assert!(message.starts_with("backup "), "{what}: {message}");
                refused += 1;
            }
        }
    }
    assert!(refused > 400 && accepted > 5, "refused {refused}, accepted {accepted}");
}

/// The verification's digest fold over every target contract, as `molt verify` does it.
fn fold_all(
    manifest: &Manifest,
    snap: &Snapshot,
    order: &BTreeMap<String, Vec<u64>>,
) -> Vec<Result<(B256, u64), String>> {
    manifest
        .components
        .iter()
        .map(|c| {
            let of: Vec<&Component> = vec![c];
            verify::expected_digest(snap, &of, order).map_err(|e| e.to_string())
        })
        .collect()
}

/// A consistent journal for `snap`: header, pauses, snapshot, batches mined, records adopted,
/// verified, finalized.
fn journal_entries(snap: &Snapshot, rng: &mut Rng) -> Vec<Entry> {
    let hash = |n: u64| B256::from(U256::from(n + 1));
    let mut nonce = 0;
    let mut entries = vec![Entry::Header {
        version: journal::VERSION,
        manifest_hash: B256::repeat_byte(1),
        chain_id: 31337,
        sender: Address::repeat_byte(2),
        contracts: BTreeMap::new(),
        sections: BTreeMap::new(),
    }];
    let mut tx = |entries: &mut Vec<Entry>, step: String, range: Option<(u64, u64)>| {
        entries.push(Entry::TxPrepared {
            step: step.clone(),
            hash: hash(nonce),
            nonce,
            raw: Bytes::from(vec![0x02, nonce as u8]),
            start: range.map(|r| r.0),
            end: range.map(|r| r.1),
        });
        entries.push(Entry::TxMined {
            step,
            hash: hash(nonce),
            block: nonce,
            gas_used: 21_000,
            success: true,
        });
        nonce += 1;
    };
    tx(&mut entries, "pause:registry_v1".into(), None);
    entries.push(Entry::Snapshot {
        block: snap.block,
        backup: PathBuf::from("backup.json"),
        components: snap
            .components
            .iter()
            .map(|(n, c)| {
                let count = c.records.len() as u64;
                (n.clone(), SnapshotComponent { count, source_hash: c.source_hash })
            })
            .collect(),
    });
    for (name, c) in &snap.components {
        let len = c.records.len() as u64;
        let cut = rng.below(len as usize + 1) as u64;
        if cut > 0 {
            entries.push(Entry::Adopted { component: name.clone(), ranges: vec![(0, cut)] });
        }
        let mut start = cut;
        while start < len {
            let end = (start + 1 + rng.below(3) as u64).min(len);
            tx(&mut entries, format!("batch:{name}:{start}-{end}"), Some((start, end)));
            start = end;
        }
    }
    entries.push(Entry::Verified { ok: true, block: Some(nonce) });
    entries.push(Entry::Finalized);
    entries
}

/// One mutation of a journal's lines; returns its description and whether it must be refused.
fn mutate_journal(lines: &mut Vec<String>, rng: &mut Rng) -> (String, bool) {
    let n = lines.len();
    let (i, j) = (rng.below(n), rng.below(n));
    match rng.below(6) {
        0 => {
            lines.remove(i);
            (format!("line {} dropped", i + 1), i == 0)
        }
        1 if i != j => {
            lines.swap(i, j);
            let header_moved = i == 0 || j == 0;
            (format!("lines {} and {} swapped", i + 1, j + 1), header_moved)
        }
        2 => {
            let l = lines[i].clone();
            lines.insert(j, l);
            let twice = lines[j].contains("\"header\"") || lines[j].contains("\"snapshot\"");
            (format!("line {} duplicated at {}", i + 1, j + 1), twice)
        }
        3 => {
            let cut = rng.below(lines[i].len());
            lines[i].truncate(cut);
            (format!("line {} cut at {cut}", i + 1), cut > 0)
        }
        _ => {
            let Ok(mut v) = serde_json::from_str::<Value>(&lines[i]) else {
                lines.remove(i);
                return (format!("line {} (cut before) dropped", i + 1), i == 0);
            };
            let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            let key = &keys[rng.below(keys.len())];
            let new = match rng.below(4) {
                0 => json!(u64::MAX),
                1 => json!(rng.below(40)),
                2 => json!([[0, u64::MAX]]),
                _ => random_value(rng),
            };
            v[key] = new;
            lines[i] = v.to_string();
            (format!("line {} field `{key}` changed", i + 1), false)
        }
    }
}

#[test]
fn no_journal_mutation_panics_and_the_breaking_ones_are_refused() {
    let manifest = manifest();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("molt.toml.molt-journal");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let snap = snapshot(&manifest, 7, &mut rng);
    let (mut refused, mut accepted) = (0, 0);
    for _ in 0..1500 {
        let seed = rng.0;
        let entries = journal_entries(&snap, &mut rng);
        let mut lines: Vec<String> =
            entries.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
        let (mut described, mut must_fail) = (Vec::new(), false);
        for _ in 0..1 + rng.below(3) {
            if lines.is_empty() {
                break;
            }
            let (what, fails) = mutate_journal(&mut lines, &mut rng);
            described.push(what);
            must_fail |= fails;
        }
        // Two mutations may undo each other (a swap and its reverse): only a single one must
        // be refused for sure.
        must_fail &= described.len() == 1;
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, text).unwrap();
        let what = format!("{} (seed {seed:#x})", described.join("; "));
        match no_panic(&what, || Journal::read(&path)) {
            Ok(entries) => {
                assert!(!must_fail, "accepted a broken journal: {what}");
                accepted += 1;
                no_panic(&what, || {
                    journal::steps(&entries);
                    let order = journal::import_order(&entries);
                    for (name, c) in &snap.components {
                        let known = order.get(name).map_or(&[][..], Vec::as_slice);
                        let _ = verify::full_order(name, known, c.records.len());
                    }
                    fold_all(&manifest, &snap, &order)
                });
            }
            Err(e) => {
                assert!(e.to_string().starts_with("journal "), "{what}: {e}");
                refused += 1;
            }
        }
    }
    assert!(refused > 100 && accepted > 100, "refused {refused}, accepted {accepted}");
}

#[test]
fn a_journal_order_beyond_a_shortened_backup_is_an_error_not_a_panic() {
    let manifest = manifest();
    let mut rng = Rng(7);
    let full = snapshot(&manifest, 5, &mut rng);
    let order = journal::import_order(&journal_entries(&full, &mut rng));
    let mut short = full.clone();
    short.components.get_mut("jobs").unwrap().records.pop();
    let jobs = manifest.component("jobs").unwrap();
    let err = verify::expected_digest(&short, &[jobs], &order).unwrap_err().to_string();
    assert!(err.contains("record 4 of `jobs`") && err.contains("has 4 records"), "{err}");
    assert!(verify::expected_digest(&full, &[jobs], &order).is_ok());
}
