//! Checking that every parameter type of a JSON ABI is a Solidity type.
//!
//! The JSON ABI reader accepts any string as a type (`uint257`, `bytes33`, `int0`, a `tuple`
//! without components), so an ABI is checked before it is read: each type is parsed with
//! alloy's type parser and resolved, tuples through their components. The check runs on the
//! raw JSON, so that even a type the reader would refuse (`uint256[`) is reported with the item
//! and the parameter it belongs to.

use std::path::Path;

use alloy::{
    dyn_abi::Specifier,
    json_abi::parser::{TypeSpecifier, TypeStem},
};
use serde_json::Value;

use crate::{Error, Result};

/// Checks every parameter type of the ABI `abi` (a JSON array of items) read from `path`.
///
/// Items or parameters that are not objects, or types that are not strings, are left to the
/// ABI reader, which reports them.
pub(crate) fn check_abi_types(path: &Path, abi: &Value) -> Result<()> {
    let Some(items) = abi.as_array() else { return Ok(()) };
    for item in items {
        for (field, role) in [("inputs", "input"), ("outputs", "output")] {
            let Some(params) = item.get(field).and_then(Value::as_array) else { continue };
            for (i, param) in params.iter().enumerate() {
                check_param(param, &param_name(param, role, i)).map_err(|bad| Error::AbiType {
                    path: path.into(),
                    param: format!("{}, {}", item_name(item), bad.param),
                    ty: bad.ty,
                    reason: bad.reason,
                })?;
            }
        }
    }
    Ok(())
}

/// A parameter whose type is not a Solidity type.
#[derive(Debug)]
struct BadType {
    param: String,
    ty: String,
    reason: String,
}

/// `input `x``, or `input 2` for an unnamed parameter (counting from 1).
fn param_name(param: &Value, role: &str, index: usize) -> String {
    match param.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) {
        Some(name) => format!("{role} `{name}`"),
        None => format!("{role} {}", index + 1),
    }
}

/// `function `f``, `event `E``, `error `E``, `the constructor`.
fn item_name(item: &Value) -> String {
    let kind = item.get("type").and_then(Value::as_str).unwrap_or("function");
    match item.get("name").and_then(Value::as_str) {
        Some(name) => format!("{kind} `{name}`"),
        None => format!("the {kind}"),
    }
}

/// Checks one parameter (named `name` in messages), its components first.
fn check_param(param: &Value, name: &str) -> Result<(), BadType> {
    let Some(ty) = param.get("type").and_then(Value::as_str) else { return Ok(()) };
    let bad = |reason: String| BadType { param: name.to_owned(), ty: ty.to_owned(), reason };
    let spec = TypeSpecifier::parse(ty).map_err(|e| bad(last_line(&e)))?;
    let components = param.get("components").and_then(Value::as_array);
    let is_tuple = matches!(&spec.stem, TypeStem::Root(root) if root.span() == "tuple");
    match components {
        Some(components) if is_tuple && !components.is_empty() => {
            for (i, c) in components.iter().enumerate() {
                check_param(c, &component_name(name, c, i))?;
            }
            Ok(())
        }
        _ if is_tuple => Err(bad("a `tuple` needs `components`".into())),
        Some(components) if !components.is_empty() => {
            Err(bad("only a `tuple` has `components`".into()))
        }
        _ => spec.resolve().map(drop).map_err(|e| bad(last_line(&e))),
    }
}

/// The last line of an error: the parser's errors draw the type with a caret under the
/// fault, then say what it expected.
fn last_line(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    text.lines().last().unwrap_or_default().trim().to_owned()
}

/// `input `order.amount``, or `input `order.2`` for an unnamed component.
fn component_name(parent: &str, component: &Value, index: usize) -> String {
    let field = match component.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) {
        Some(name) => name.to_owned(),
        None => (index + 1).to_string(),
    };
    match parent.strip_suffix('`') {
        Some(named) => format!("{named}.{field}`"),
        None => format!("{parent}, component `{field}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(abi: &str) -> Result<(), String> {
        let abi: Value = serde_json::from_str(abi).unwrap();
        check_abi_types(Path::new("a.json"), &abi).map_err(|e| e.to_string())
    }

    fn function(inputs: &str) -> String {
        format!(
            r#"[{{"type":"function","name":"f","inputs":{inputs},"outputs":[],"stateMutability":"view"}}]"#
        )
    }

    #[test]
    fn solidity_types_pass() {
        let ok = function(
            r#"[{"name":"a","type":"uint8"},{"name":"b","type":"bytes32[2][]"},{"name":"","type":"int"},
                {"name":"s","type":"tuple[]","components":[{"name":"x","type":"address"},{"name":"y","type":"string"}]}]"#,
        );
        assert_eq!(check(&ok), Ok(()));
    }

    #[test]
    fn other_types_name_the_file_the_item_the_parameter_and_the_type() {
        let cases = [
            (r#"[{"name":"x","type":"uint257"}]"#, "function `f`, input `x`: `uint257`"),
            (r#"[{"name":"","type":"bytes33"}]"#, "function `f`, input 1: `bytes33`"),
            (r#"[{"name":"x","type":"int0"}]"#, "`int0` is not a Solidity type"),
            (r#"[{"name":"x","type":"tuple"}]"#, "`tuple` is not a Solidity type (a `tuple` needs"),
            (
                r#"[{"name":"x","type":"uint256["}]"#,
                "input `x`: `uint256[` is not a Solidity type (expected `]`)",
            ),
            (
                r#"[{"name":"s","type":"tuple","components":[{"name":"y","type":"uint7"}]}]"#,
                "input `s.y`: `uint7`",
            ),
        ];
        for (inputs, want) in cases {
            let err = check(&function(inputs)).unwrap_err();
            assert!(err.starts_with("a.json: ") && err.contains(want), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
        let event = r#"[{"type":"event","name":"E","inputs":[{"name":"v","type":"uint9","indexed":false}],"anonymous":false}]"#;
        assert!(check(event).unwrap_err().contains("event `E`, input `v`: `uint9`"));
        let ctor = r#"[{"type":"constructor","inputs":[{"name":"o","type":"adress"}],"stateMutability":"nonpayable"}]"#;
        assert!(check(ctor).unwrap_err().contains("the constructor, input `o`: `adress`"));
    }
}
