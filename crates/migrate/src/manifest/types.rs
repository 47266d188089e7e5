//! Solidity types of the ABIs as the manifest uses them: parameter types, the record a getter
//! returns, TOML values typed, zero values and which types copy into which.

use alloy::{
    dyn_abi::{DynSolType, DynSolValue, Specifier},
    json_abi::{Function, Param},
    primitives::{Address, U256},
};

use super::{RecordShape, validate};

/// Whether a value of type `from` can be copied into a field of type `to`.
pub(crate) fn copyable(from: &DynSolType, to: &DynSolType) -> bool {
    match (from, to) {
        (DynSolType::Uint(a), DynSolType::Uint(b)) => a <= b,
        (DynSolType::Int(a), DynSolType::Int(b)) => a <= b,
        (a, b) => a == b,
    }
}

pub(super) fn param_type(p: &Param) -> std::result::Result<DynSolType, String> {
    p.resolve().map_err(|e| format!("cannot use type `{}` of `{}`: {e}", p.ty, p.name))
}

/// The named, typed fields of a list of parameters.
pub(super) fn shape(params: &[Param]) -> std::result::Result<RecordShape, String> {
    let mut s = RecordShape { names: Vec::new(), types: Vec::new(), nested: Vec::new() };
    for (i, p) in params.iter().enumerate() {
        if p.name.is_empty() {
            return Err(format!("field {i} ({}) has no name; molt maps fields by name", p.ty));
        }
        s.names.push(p.name.clone());
        s.types.push(param_type(p)?);
        s.nested.push(if p.ty == "tuple" { Some(shape(&p.components)?) } else { None });
    }
    Ok(s)
}

/// The record a getter returns: the fields of its one struct output, or its named outputs.
pub(super) fn output_record(f: &Function) -> std::result::Result<RecordShape, String> {
    match f.outputs.as_slice() {
        [] => Err(format!("`{}` returns nothing", f.signature())),
        [p] if p.ty == "tuple" => shape(&p.components),
        outputs => {
            // Unnamed outputs are named by position: `_0`, `_1`, ...
            let named: Vec<Param> = outputs
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut p = p.clone();
                    if p.name.is_empty() {
                        p.name = format!("_{i}");
                    }
                    p
                })
                .collect();
            shape(&named).map_err(|m| format!("`{}`: output {m}", f.signature()))
        }
    }
}

/// A TOML value typed as `ty`.
pub(crate) fn value(ty: &DynSolType, v: &toml::Value) -> std::result::Result<DynSolValue, String> {
    let coerce = |s: &str| ty.coerce_str(s).map_err(|e| format!("`{s}` is not a valid {ty}: {e}"));
    match (ty, v) {
        (DynSolType::Array(inner), toml::Value::Array(items)) => items
            .iter()
            .map(|i| value(inner, i))
            .collect::<std::result::Result<_, _>>()
            .map(DynSolValue::Array),
        (DynSolType::Address, toml::Value::String(s)) if s == "0x0" || s == "0" => {
            Ok(DynSolValue::Address(Address::ZERO))
        }
        (DynSolType::Address, toml::Value::String(s)) => {
            validate::address(s).map(DynSolValue::Address)
        }
        (_, toml::Value::String(s)) => {
            if validate::has_address(ty) {
                validate::checksums_in(s)?;
            }
            coerce(s)
        }
        (_, toml::Value::Integer(i)) => coerce(&i.to_string()),
        (_, toml::Value::Boolean(b)) => coerce(&b.to_string()),
        (_, other) => Err(format!("cannot use {other} as {ty}")),
    }
}

/// The zero value of a type.
pub(crate) fn zero(ty: &DynSolType) -> DynSolValue {
    match ty {
        DynSolType::Bool => DynSolValue::Bool(false),
        DynSolType::Int(b) => DynSolValue::Int(Default::default(), *b),
        DynSolType::Uint(b) => DynSolValue::Uint(U256::ZERO, *b),
        DynSolType::FixedBytes(n) => DynSolValue::FixedBytes(Default::default(), *n),
        DynSolType::Address => DynSolValue::Address(Address::ZERO),
        DynSolType::Function => DynSolValue::Function(Default::default()),
        DynSolType::Bytes => DynSolValue::Bytes(Vec::new()),
        DynSolType::String => DynSolValue::String(String::new()),
        DynSolType::Array(_) => DynSolValue::Array(Vec::new()),
        DynSolType::FixedArray(t, n) => DynSolValue::FixedArray(vec![zero(t); *n]),
        DynSolType::Tuple(ts) => DynSolValue::Tuple(ts.iter().map(zero).collect()),
        #[allow(unreachable_patterns)]
        _ => DynSolValue::Tuple(Vec::new()),
    }
}
