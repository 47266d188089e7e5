//! `molt adapter`: a Solidity contract that keeps an old interface alive in front of the new
//! contract, generated from the ABI diff.
//!
//! [`generate`] writes four files for a name `Foo`:
//! - `IOldFoo.sol`, `INewFoo.sol`: interfaces rebuilt from the ABIs (structs, events, errors);
//! - `FooAdapter.sol`: `contract FooAdapter is IOldFoo` holding an immutable `INewFoo target`,
//!   with a forwarder, a converting forwarder or a `TODO(molt)` stub per old function;
//! - `FooAdapter.t.sol`: a Foundry test calling every old function through the adapter.
//!
//! Which new function an old one became is the differ's decision ([`pairing`]); what cannot be
//! guessed comes from a [`Mapping`] file. The output is deterministic: the same inputs give the
//! same bytes.
//!
//! ```no_run
//! # fn f() -> molt_abi::adapter::Result<()> {
//! use molt_abi::{Artifact, adapter};
//! let old = Artifact::load("out/NodeRegistryV1.sol/NodeRegistryV1.json")?;
//! let new = Artifact::load("out/NodeRegistryV2.sol/NodeRegistryV2.json")?;
//! let generated = adapter::generate(&old, &new, &adapter::Options::default())?;
//! println!("{} forwarded", generated.summary.forwarded);
//! # Ok(()) }
//! ```

mod convert;
mod error;
mod forwarding;
pub mod mapping;
pub mod pairing;
mod testgen;
mod types;

use std::path::PathBuf;

use serde::Serialize;

pub use error::{Error, Result};
pub use forwarding::{Disposition, FunctionPlan};
pub use mapping::Mapping;
pub use pairing::{FunctionPair, pair_functions};

use crate::{Artifact, ArtifactKind};

/// How to generate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The base name (`Foo` gives `FooAdapter`, `IOldFoo`...); a trailing `Adapter` is
    /// dropped. Default: the new contract's name without a version suffix (`NodeRegistryV2` →
    /// `NodeRegistry`).
    pub name: Option<String>,
    /// The mapping file's contents and path.
    pub mapping: Option<(PathBuf, Mapping)>,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedFile {
    /// The file name (`FooAdapter.sol`).
    pub name: String,
    /// Its contents.
    pub contents: String,
}

/// Counts of the adapter's functions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Forwarded as-is.
    pub forwarded: usize,
    /// Converting forwarders.
    pub converted: usize,
    /// `TODO(molt)` stubs.
    pub stubbed: usize,
}

/// What [`generate`] produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Generated {
    /// The base name (`Foo`).
    pub name: String,
    /// `IOldFoo.sol`, `INewFoo.sol`, `FooAdapter.sol`, `FooAdapter.t.sol`.
    pub files: Vec<GeneratedFile>,
    /// One decision per old function, in ABI order.
    pub functions: Vec<FunctionPlan>,
    /// The counts.
    pub summary: Summary,
    /// Whether the test deploys a mock (only an ABI was given for the new contract) rather than
    /// the new contract's artifact.
    pub mock_target: bool,
}

const PRAGMA: &str = "pragma solidity ^0.8.20;";

/// Generates the interfaces, the adapter and its test for `old` → `new`.
pub fn generate(old: &Artifact, new: &Artifact, options: &Options) -> Result<Generated> {
    for a in [old, new] {
        if a.kind == ArtifactKind::StorageLayout {
            return Err(Error::NoAbi { path: a.path.clone() });
        }
    }
    let name = base_name(options.name.as_deref(), &new.name)?;
    let mapping = options.mapping.as_ref();
    if let Some((path, m)) = mapping {
        m.check(path, &old.abi, &new.abi)?;
    }
    let names = Names {
        old_iface: format!("IOld{name}"),
        new_iface: format!("INew{name}"),
        target: target_variable(old),
        base: name,
    };
    let (mut conv, old_text, new_text) = interfaces(&names, old, new);
    let planned = plan_functions(&mut conv, &names.target, old, new, mapping);
    let summary = summarize(&planned);
    let adapter = render_adapter(&names, old, new, &planned, &conv, summary);
    let spec = test_spec(&names, new, mapping, &mut conv, &planned);
    let mock_target = matches!(spec.target, testgen::Target::Mock);
    let test = testgen::render(&spec, &conv.old, &conv.new, &new.abi);
    let files = files(&names, old, new, mapping, [old_text, new_text, adapter, test]);
    Ok(Generated {
        name: names.base,
        files,
        functions: planned.into_iter().map(|p| p.plan).collect(),
        summary,
        mock_target,
    })
}

/// The names of one adapter's Solidity pieces.
struct Names {
    /// The base name (`Foo`).
    base: String,
    /// `IOldFoo`.
    old_iface: String,
    /// `INewFoo`.
    new_iface: String,
    /// The adapter's target variable (`target`, or `target2`... when the old ABI uses it).
    target: String,
}

/// `target`, or `target2`, `target3`... when the old ABI has a function, event or error of
/// that name.
fn target_variable(old: &Artifact) -> String {
    let taken = |n: &str| {
        old.abi.functions().any(|f| f.name == n)
            || old.abi.events().any(|e| e.name == n)
            || old.abi.errors().any(|e| e.name == n)
    };
    let mut n = "target".to_owned();
    let mut i = 2;
    while taken(&n) {
        n = format!("target{i}");
        i += 1;
    }
    n
}

/// Both interfaces' Solidity, and the converter holding their type registries.
fn interfaces(
    names: &Names,
    old: &Artifact,
    new: &Artifact,
) -> (convert::Converter, String, String) {
    let mut old_reg = types::Registry::new(&names.old_iface, &old.abi);
    let mut new_reg = types::Registry::new(&names.new_iface, &new.abi);
    let old_text = types::render_interface(
        &mut old_reg,
        &old.abi,
        &[format!("@notice The interface of `{}` that the adapter keeps alive.", old.name)],
        true,
    );
    let new_text = types::render_interface(
        &mut new_reg,
        &new.abi,
        &[format!("@notice The interface of `{}`, the adapter's target.", new.name)],
        false,
    );
    (convert::Converter::new(old_reg, new_reg), old_text, new_text)
}

/// One decision per old function, in ABI order: the new function is the mapping's or the
/// differ's match.
fn plan_functions(
    conv: &mut convert::Converter,
    target: &str,
    old: &Artifact,
    new: &Artifact,
    mapping: Option<&(PathBuf, Mapping)>,
) -> Vec<forwarding::Planned> {
    let mut ctx = forwarding::AdapterContext { conv, target, old_abi: &old.abi, new_abi: &new.abi };
    pair_functions(&old.abi, &new.abi)
        .iter()
        .map(|pair| {
            let sig = pair.old.signature();
            let map = mapping.and_then(|(_, m)| m.function(&sig));
            let new_fn = match map.and_then(|m| m.new.as_deref()) {
                Some(n) => new.abi.functions().find(|f| f.signature() == n),
                None => pair.new,
            };
            ctx.decide(pair, map, new_fn)
        })
        .collect()
}

fn summarize(planned: &[forwarding::Planned]) -> Summary {
    let mut summary = Summary::default();
    for p in planned {
        match p.plan.disposition {
            Disposition::Forwarded => summary.forwarded += 1,
            Disposition::Converted => summary.converted += 1,
            Disposition::Stubbed => summary.stubbed += 1,
        }
    }
    summary
}

/// What the generated test deploys, prepares and sends.
fn test_spec<'a>(
    names: &'a Names,
    new: &Artifact,
    mapping: Option<&(PathBuf, Mapping)>,
    conv: &mut convert::Converter,
    planned: &'a [forwarding::Planned],
) -> testgen::TestSpec<'a> {
    let setup = mapping
        .map(|(_, m)| {
            m.test
                .setup
                .iter()
                .filter_map(|s| {
                    new.abi
                        .functions()
                        .find(|f| f.signature() == *s)
                        .map(|f| (s.clone(), format!("{}", f.selector())))
                })
                .collect()
        })
        .unwrap_or_default();
    let value =
        mapping.and_then(|(_, m)| m.test.value.clone()).unwrap_or_else(|| "1 ether".to_owned());
    testgen::TestSpec {
        name: &names.base,
        old_iface: &names.old_iface,
        new_iface: &names.new_iface,
        target: test_target(new, conv),
        setup,
        value,
        planned,
    }
}

/// The real contract when `new` is a Foundry artifact with bytecode, else a mock.
fn test_target(new: &Artifact, conv: &mut convert::Converter) -> testgen::Target {
    let has_code = new.bytecode.as_ref().is_some_and(|b| !b.is_empty());
    match (&new.kind, has_code, artifact_id(new)) {
        (ArtifactKind::Foundry, true, Some(id)) => testgen::Target::Artifact {
            id,
            ctor: new
                .abi
                .constructor
                .iter()
                .flat_map(|c| &c.inputs)
                .map(|p| conv.new.param(p))
                .collect(),
        },
        _ => testgen::Target::Mock,
    }
}

/// The four files, each with its header: the old and new interfaces, the adapter, its test.
fn files(
    names: &Names,
    old: &Artifact,
    new: &Artifact,
    mapping: Option<&(PathBuf, Mapping)>,
    [old_text, new_text, adapter, test]: [String; 4],
) -> Vec<GeneratedFile> {
    let mapping_note = mapping
        .and_then(|(p, _)| p.file_name())
        .map(|f| format!(", mapping {}", f.to_string_lossy()))
        .unwrap_or_default();
    let file = |name: String, what: String, body: String| GeneratedFile {
        name,
        contents: format!(
            "// SPDX-License-Identifier: UNLICENSED\n// {what}\n// Generated by `molt adapter` (old {}, new {}{mapping_note}): re-generate rather than edit.\n{PRAGMA}\n\n{body}",
            old.name, new.name
        ),
    };
    let (base, old_i, new_i) = (&names.base, &names.old_iface, &names.new_iface);
    vec![
        file(
            format!("{old_i}.sol"),
            format!("The interface of {} (the old version).", old.name),
            old_text,
        ),
        file(
            format!("{new_i}.sol"),
            format!("The interface of {} (the new version).", new.name),
            new_text,
        ),
        file(
            format!("{base}Adapter.sol"),
            format!("{base}Adapter: the {} interface in front of {}.", old.name, new.name),
            adapter,
        ),
        file(format!("{base}Adapter.t.sol"), format!("Tests {base}Adapter."), test),
    ]
}

/// `File.sol:Contract` for a Foundry artifact at `out/File.sol/Contract.json`.
fn artifact_id(a: &Artifact) -> Option<String> {
    let dir = a.path.parent()?.file_name()?.to_str()?;
    dir.ends_with(".sol").then(|| format!("{dir}:{}", a.name))
}

fn base_name(given: Option<&str>, new_name: &str) -> Result<String> {
    let bad =
        |name: &str, reason: &str| Error::Name { name: name.to_owned(), reason: reason.to_owned() };
    let name = match given {
        Some(g) => {
            let n = g.strip_suffix("Adapter").filter(|n| !n.is_empty()).unwrap_or(g);
            if !types::is_identifier(n) {
                return Err(bad(g, "use letters, digits and `_`, not starting with a digit"));
            }
            n.to_owned()
        }
        None => {
            let trimmed = new_name.trim_end_matches(|c: char| c.is_ascii_digit());
            let n = match trimmed.strip_suffix(['V', 'v']) {
                Some(n) if trimmed.len() < new_name.len() && !n.is_empty() => n,
                _ => new_name,
            };
            if types::is_identifier(n) { n.to_owned() } else { "Contract".to_owned() }
        }
    };
    Ok(name)
}

fn render_adapter(
    names: &Names,
    old: &Artifact,
    new: &Artifact,
    planned: &[forwarding::Planned],
    conv: &convert::Converter,
    s: Summary,
) -> String {
    let (name, old_i, new_i, target) =
        (&names.base, &names.old_iface, &names.new_iface, &names.target);
    let mut out = format!(
        "import {{{old_i}}} from \"./{old_i}.sol\";\nimport {{{new_i}}} from \"./{new_i}.sol\";\n\n"
    );
    out.push_str(&format!(
        "/// @title {name}Adapter\n\
         /// @notice Keeps the `{old}` interface alive in front of `{new}`: {} forwarded, {} converted, {} stubbed.\n\
         /// @dev What an adapter cannot preserve:\n\
         ///  - `msg.sender`: the target sees the adapter as the caller, so access control (owner, roles) and\n\
         ///    per-caller state (balances, stakes, registrations) apply to the adapter, not to the original caller;\n\
         ///  - events: the target emits its own (new) events from its own address; the adapter emits none;\n\
         ///  - the old contract's address and storage: the adapter holds no state besides `{target}`;\n\
         ///  - ETH sent to the adapter outside a payable forwarder is refused (no receive or fallback).\n\
         /// Stubs revert `NotSupportedByAdapter(selector)`: each carries a TODO(molt) with the options.\n",
        s.forwarded,
        s.converted,
        s.stubbed,
        old = old.name,
        new = new.name,
    ));
    let mut body = vec![
        "/// @notice An old function this adapter does not support (see its TODO(molt)).\nerror NotSupportedByAdapter(bytes4 selector);".to_owned(),
        format!("/// @notice The new contract every call goes to.\n{new_i} public immutable {target};"),
        format!("constructor({new_i} target_) {{\n    {target} = target_;\n}}"),
    ];
    body.extend(planned.iter().map(|p| p.code.clone()));
    if !conv.helpers.is_empty() {
        body.push("// Conversions between the old and the new types.".to_owned());
        let helpers = conv.helpers.join("\n\n");
        let last = body.pop().unwrap_or_default();
        body.push(format!("{last}\n\n{helpers}"));
    }
    out.push_str(&format!(
        "contract {name}Adapter is {old_i} {{\n{}}}\n",
        types::indent(&body.join("\n\n"), 1)
    ));
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn artifact(name: &str, items: &str) -> Artifact {
        let value = serde_json::from_str(&format!("[{items}]")).unwrap();
        Artifact::from_value(name, Path::new(&format!("{name}.json")), value).unwrap()
    }

    fn f(name: &str, inputs: &str, outputs: &str, m: &str) -> String {
        format!(
            r#"{{"type":"function","name":"{name}","inputs":[{inputs}],"outputs":[{outputs}],"stateMutability":"{m}"}}"#
        )
    }

    fn plans(g: &Generated) -> Vec<(String, Disposition)> {
        g.functions.iter().map(|p| (p.signature.clone(), p.disposition)).collect()
    }

    const A: &str = r#"{"name":"a","type":"address"}"#;
    const U: &str = r#"{"name":"u","type":"uint256"}"#;

    #[test]
    fn base_name_drops_version_and_adapter_suffixes() {
        assert_eq!(base_name(None, "NodeRegistryV2").unwrap(), "NodeRegistry");
        assert_eq!(base_name(None, "Vault").unwrap(), "Vault");
        assert_eq!(base_name(None, "V2").unwrap(), "V2");
        assert_eq!(base_name(Some("FooAdapter"), "X").unwrap(), "Foo");
        assert!(base_name(Some("1x"), "X").is_err());
    }

    #[test]
    fn reordered_arguments_are_converted_by_name_and_views_that_became_writes_are_stubbed() {
        let old = artifact(
            "TokenV1",
            &[
                f("move", &format!("{A},{U}"), "", "nonpayable"),
                f("peek", "", r#"{"name":"","type":"uint256"}"#, "view"),
                f("ver", "", r#"{"name":"","type":"uint256"}"#, "pure"),
            ]
            .join(","),
        );
        let new = artifact(
            "TokenV2",
            &[
                f("move", &format!("{U},{A}"), "", "nonpayable"),
                f("peek", "", r#"{"name":"","type":"uint256"}"#, "nonpayable"),
                f("ver", "", r#"{"name":"","type":"uint256"}"#, "pure"),
            ]
            .join(","),
        );
        let g = generate(&old, &new, &Options::default()).unwrap();
        assert_eq!(g.name, "Token");
        assert_eq!(
            plans(&g),
            [
                ("move(address,uint256)".into(), Disposition::Converted),
                ("peek()".into(), Disposition::Stubbed),
                ("ver()".into(), Disposition::Forwarded),
            ]
        );
        let adapter = &g.files[2].contents;
        assert!(adapter.contains("target.move(u, a);"), "{adapter}");
        assert!(
            adapter.contains(
                "// TODO(molt): `peek()` is view in the old interface but `peek()` is nonpayable"
            ),
            "{adapter}"
        );
        // A pure function is declared view in IOld so that the adapter can forward it.
        assert!(g.files[0].contents.contains("function ver() external view returns (uint256);"));
        assert!(
            adapter.contains(
                "function ver() external view returns (uint256) {\n        return target.ver();"
            ),
            "{adapter}"
        );
    }

    #[test]
    fn same_inputs_same_bytes() {
        let old = artifact("V1", &f("g", U, "", "payable"));
        let new = artifact("V2", &f("g", &format!("{U},{A}"), "", "payable"));
        let map = Mapping::parse(
            "[[function]]\nold = \"g(uint256)\"\nargs = { a = \"msg.sender\" }",
            Path::new("m.toml"),
        )
        .unwrap();
        let options = Options { name: Some("G".into()), mapping: Some(("m.toml".into(), map)) };
        let a = generate(&old, &new, &options).unwrap();
        let b = generate(&old, &new, &options).unwrap();
        assert_eq!(a, b);
        assert!(a.files[2].contents.contains("target.g{value: msg.value}(u, msg.sender);"));
        assert_eq!(a.summary, Summary { forwarded: 0, converted: 1, stubbed: 0 });
        // Without the mapping, the new parameter has no value: a stub that says how to give one.
        let raw = generate(&old, &new, &Options::default()).unwrap();
        assert_eq!(raw.summary.stubbed, 1);
        assert!(
            raw.functions[0].notes[1].contains("args = { a = "),
            "{:?}",
            raw.functions[0].notes
        );
    }
}
