//! Records: mapping a source record to its target form, reading a migrated record back into the
//! same form, and the state hashes that prove both sides hold the same data.
//!
//! The hash of a record set is the same fold the V2 contracts keep on chain: starting from zero,
//! for every record in import order, `digest = keccak256(abi.encode(digest, keccak256(abi.encode(record))))`.
//! So the off-chain snapshot, the read-back from V2 and V2's own digest can be compared directly.

use alloy::{
    dyn_abi::{DynSolType, DynSolValue},
    primitives::{B256, U256, keccak256},
};

use crate::{
    Error, Result,
    manifest::{Component, Predicate, PseudoValue, Readback, Rule, Test},
};

/// The fields of a getter's result: the members of its one struct output, or its outputs.
pub fn fields_of(outputs: Vec<DynSolValue>) -> Vec<DynSolValue> {
    match <[DynSolValue; 1]>::try_from(outputs) {
        Ok([DynSolValue::Tuple(fields)]) => fields,
        Ok([one]) => vec![one],
        Err(outputs) => outputs,
    }
}

/// A source record's fields followed by its pseudo-fields (`$index`, `$key`, ...): the fields
/// `map` and `filter` refer to ([`crate::manifest::Source::fields`]). `key` is empty for
/// sources by index.
pub fn with_pseudo(
    component: &Component,
    index: u64,
    key: &[DynSolValue],
    source: Vec<DynSolValue>,
) -> Vec<DynSolValue> {
    let mut fields = source;
    for p in &component.source.pseudo {
        fields.push(match p.value {
            PseudoValue::Index => DynSolValue::Uint(U256::from(index), 256),
            PseudoValue::KeyPart(n) => key[n].clone(),
        });
    }
    fields
}

/// Whether a record (with its pseudo-fields) passes every predicate of the component's filter.
pub fn passes(filter: &[Predicate], fields: &[DynSolValue]) -> bool {
    filter.iter().all(|p| {
        let v = &fields[p.field];
        match &p.test {
            Test::OneOf(values) => values.contains(v),
            Test::NoneOf(values) => !values.contains(v),
            Test::Zero(zero) => is_zero(v) == *zero,
        }
    })
}

/// Whether a value is its type's zero value (a struct or array: every member is).
fn is_zero(v: &DynSolValue) -> bool {
    match v {
        DynSolValue::Bool(b) => !b,
        DynSolValue::Int(n, _) => n.is_zero(),
        DynSolValue::Uint(n, _) => n.is_zero(),
        DynSolValue::FixedBytes(w, _) => w.is_zero(),
        DynSolValue::Address(a) => a.is_zero(),
        DynSolValue::Bytes(b) => b.is_empty(),
        DynSolValue::String(s) => s.is_empty(),
        DynSolValue::Array(items) => items.is_empty(),
        DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => items.iter().all(is_zero),
        _ => false,
    }
}

/// Builds the target record (the import struct, as a tuple) from a source record with its
/// pseudo-fields ([`with_pseudo`]).
pub fn map_record(
    component: &Component,
    index: u64,
    source: &[DynSolValue],
) -> Result<DynSolValue> {
    let err =
        |message: String| Error::Mapping { component: component.name.clone(), index, message };
    apply(&component.mapping, &component.target.record.types, source).map_err(err)
}

fn apply(
    rules: &[Rule],
    types: &[DynSolType],
    source: &[DynSolValue],
) -> Result<DynSolValue, String> {
    let mut out = Vec::with_capacity(rules.len());
    for (rule, ty) in rules.iter().zip(types) {
        out.push(match rule {
            Rule::Copy(i) => convert(&source[*i], ty)?,
            Rule::Const(v) => v.clone(),
            Rule::Scale { field, mul, div } => {
                let Some((v, _)) = source[*field].as_uint() else {
                    return Err(format!("field {field} is not an unsigned integer"));
                };
                let scaled = v.checked_mul(*mul).ok_or("scaling overflows 256 bits")?;
                if !(scaled % *div).is_zero() {
                    return Err(format!("{v} * {mul} is not divisible by {div}; the scaled value would lose precision"));
                }
                convert(&DynSolValue::Uint(scaled / *div, 256), ty)?
            }
            Rule::Struct(rules) => {
                let DynSolType::Tuple(inner) = ty else { return Err(format!("{ty} is not a struct")) };
                apply(rules, inner, source)?
            }
        });
    }
    Ok(DynSolValue::Tuple(out))
}

/// Re-types a value for a field of type `ty` (widening or range-checked narrowing of integers).
fn convert(v: &DynSolValue, ty: &DynSolType) -> Result<DynSolValue, String> {
    Ok(match (v, ty) {
        (DynSolValue::Uint(n, _), DynSolType::Uint(bits)) => {
            if *bits < 256 && *n >= (U256::from(1) << *bits) {
                return Err(format!("{n} does not fit in uint{bits}"));
            }
            DynSolValue::Uint(*n, *bits)
        }
        (DynSolValue::Int(n, _), DynSolType::Int(bits)) => DynSolValue::Int(*n, *bits),
        (DynSolValue::Tuple(tuple), DynSolType::Tuple(types)) => DynSolValue::Tuple(
            tuple.iter().zip(types).map(|(v, t)| convert(v, t)).collect::<Result<_, _>>()?,
        ),
        (DynSolValue::Array(items), DynSolType::Array(t)) => {
            DynSolValue::Array(items.iter().map(|v| convert(v, t)).collect::<Result<_, _>>()?)
        }
        _ if ty.matches(v) => v.clone(),
        _ => {
            return Err(format!(
                "a {} value does not fit {ty}",
                v.sol_type_name().unwrap_or_default()
            ));
        }
    })
}

/// The getter arguments that read a target record back.
pub fn verify_args(component: &Component, target: &DynSolValue) -> Vec<DynSolValue> {
    let fields = target.as_tuple().unwrap_or_default();
    component.verify.args.iter().map(|&i| fields[i].clone()).collect()
}

/// Rebuilds the target record from what the getter returned, for comparison with what was sent.
pub fn readback_record(
    component: &Component,
    args: &[DynSolValue],
    outputs: Vec<DynSolValue>,
) -> Result<DynSolValue, String> {
    let out = fields_of(outputs);
    let types = &component.target.record.types;
    let mut fields = Vec::with_capacity(types.len());
    for (from, ty) in component.verify.readback.iter().zip(types) {
        let v = match from {
            Readback::Output(i) => out.get(*i).ok_or_else(|| {
                format!("the getter returned {} fields, expected more", out.len())
            })?,
            Readback::Arg(i) => &args[*i],
        };
        fields.push(convert(v, ty)?);
    }
    Ok(DynSolValue::Tuple(fields))
}

/// `keccak256(abi.encode(record))`, as the V2 contracts compute it.
pub fn record_hash(record: &DynSolValue) -> B256 {
    keccak256(record.abi_encode())
}

/// One step of the running digest: `keccak256(abi.encode(digest, recordHash))`.
pub fn fold(digest: B256, record_hash: B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(digest.as_slice());
    buf[32..].copy_from_slice(record_hash.as_slice());
    keccak256(buf)
}

/// The running digest of records, in order, from zero.
pub fn digest<'a>(records: impl IntoIterator<Item = &'a DynSolValue>) -> B256 {
    records.into_iter().fold(B256::ZERO, |d, r| fold(d, record_hash(r)))
}

/// Renders a value for messages and the JSON backup: numbers in decimal, bytes and addresses in
/// hex, structs and arrays as JSON.
pub fn to_json(v: &DynSolValue) -> serde_json::Value {
    use serde_json::Value;
    match v {
        DynSolValue::Bool(b) => Value::Bool(*b),
        DynSolValue::Int(n, _) => Value::String(n.to_string()),
        DynSolValue::Uint(n, _) => Value::String(n.to_string()),
        DynSolValue::FixedBytes(w, n) => {
            Value::String(alloy::primitives::hex::encode_prefixed(&w[..*n]))
        }
        DynSolValue::Address(a) => Value::String(a.to_checksum(None)),
        DynSolValue::Function(f) => Value::String(f.to_string()),
        DynSolValue::Bytes(b) => Value::String(alloy::primitives::hex::encode_prefixed(b)),
        DynSolValue::String(s) => Value::String(s.clone()),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            Value::Array(items.iter().map(to_json).collect())
        }
        #[allow(unreachable_patterns)]
        other => Value::String(format!("{other:?}")),
    }
}
