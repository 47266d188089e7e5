//! Record shapes as `molt init` compares them: named, typed fields (struct members, named
//! outputs, `_0`, `_1`, ... for unnamed outputs), with nested structs.

use alloy::{
    dyn_abi::{DynSolType, Specifier},
    json_abi::{Function, Param},
};

/// One field of a record.
#[derive(Debug, Clone)]
pub(super) struct Field {
    /// Its name (`_0`, `_1`, ... for unnamed outputs; `$index`, `$key`, `$key.0`, ... for the
    /// record's position and key).
    pub(super) name: String,
    /// Its type.
    pub(super) ty: DynSolType,
    /// Its Solidity type as the ABI says (`enum JobMarketplaceV1.Status`), when it says.
    pub(super) internal: Option<String>,
    /// The members of a struct field.
    pub(super) members: Option<Vec<Self>>,
}

impl Field {
    /// Whether the ABI declares it as an enum.
    pub(super) fn is_enum(&self) -> bool {
        self.internal.as_deref().is_some_and(|t| t.starts_with("enum "))
    }

    /// A short description for comments: `status (enum JobMarketplaceV1.Status)`.
    pub(super) fn described(&self) -> String {
        match &self.internal {
            Some(t) if t.starts_with("enum ") || t.starts_with("struct ") => {
                format!("`{}` ({t})", self.name)
            }
            _ => format!("`{}` ({})", self.name, self.ty),
        }
    }
}

/// The fields of a parameter list, or `None` when a type cannot be resolved or a name is
/// missing (molt maps fields by name).
pub(super) fn fields(params: &[Param]) -> Option<Vec<Field>> {
    params
        .iter()
        .map(|p| {
            if p.name.is_empty() {
                return None;
            }
            param_field(p, p.name.clone())
        })
        .collect()
}

fn param_field(p: &Param, name: String) -> Option<Field> {
    let ty = p.resolve().ok()?;
    let members = if p.ty == "tuple" { Some(fields(&p.components)?) } else { None };
    Some(Field { name, ty, internal: p.internal_type.as_ref().map(ToString::to_string), members })
}

/// The record a getter returns: the members of its one struct output, or its outputs (unnamed
/// ones as `_0`, `_1`, ...). `None` when it returns nothing or a type is unusable.
pub(super) fn output_record(f: &Function) -> Option<Vec<Field>> {
    match f.outputs.as_slice() {
        [] => None,
        [p] if p.ty == "tuple" => fields(&p.components),
        outputs => outputs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let name = if p.name.is_empty() { format!("_{i}") } else { p.name.clone() };
                param_field(p, name)
            })
            .collect(),
    }
}

/// The struct a batch import function takes, when it takes exactly one array of structs.
pub(super) fn import_record(f: &Function) -> Option<Vec<Field>> {
    if is_view(f) {
        return None;
    }
    match f.inputs.as_slice() {
        [p] if p.ty == "tuple[]" => fields(&p.components),
        _ => None,
    }
}

/// Whether a value of type `from` can be copied into a field of type `to` (equal types, or
/// integers that widen), as the manifest loader allows.
pub(super) fn fits(from: &DynSolType, to: &DynSolType) -> bool {
    match (from, to) {
        (DynSolType::Uint(a), DynSolType::Uint(b)) | (DynSolType::Int(a), DynSolType::Int(b)) => {
            a <= b
        }
        (a, b) => a == b,
    }
}

/// Whether a function only reads.
pub(super) fn is_view(f: &Function) -> bool {
    use alloy::json_abi::StateMutability as M;
    matches!(f.state_mutability, M::View | M::Pure)
}

/// Whether a function changes state without taking ETH.
pub(super) fn is_nonpayable(f: &Function) -> bool {
    f.state_mutability == alloy::json_abi::StateMutability::NonPayable
}

/// Whether a type can be a mapping key part that molt can read from events or files.
pub(super) fn is_key_type(ty: &DynSolType) -> bool {
    matches!(
        ty,
        DynSolType::Address
            | DynSolType::Uint(_)
            | DynSolType::Int(_)
            | DynSolType::FixedBytes(_)
            | DynSolType::Bool
    )
}
