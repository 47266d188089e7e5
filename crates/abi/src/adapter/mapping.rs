//! The mapping file (`--map adapter.toml`): what the generator cannot guess.
//!
//! ```toml
//! [[function]]
//! old = "getTotalNodes()"              # the old function (canonical signature)
//! new = "nodeCount()"                  # the new function it becomes (default: the differ's match)
//!
//! [[function]]
//! old = "registerNode(string,string[],string)"
//! # values of new parameters (or `param.field` of a new struct parameter): Solidity expressions
//! # over the old parameters (by name), `msg.value` (payable functions) and constants
//! args = { pricePerToken = "1 gwei" }
//!
//! [[function]]
//! old = "getNode(address)"
//! # values of old outputs (by name or index, or `field` of a single struct output): expressions
//! # over `result` (the new function's single output; `result0`, `result1`... for several)
//! returns = { reputation = "result.reputationBps / 100" }
//!
//! [[function]]
//! old = "transferStakes(address)"
//! stub = "V2 has no fund evacuation"   # always a stub, with this reason in its TODO
//!
//! [test]
//! setup = ["finalizeMigration()"]      # no-argument calls the test makes on the target first
//! ```

use std::{collections::BTreeMap, path::Path};

use alloy::json_abi::JsonAbi;
use serde::Deserialize;

use super::error::{Error, Result};

/// A parsed mapping file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// One entry per old function the user decides about.
    #[serde(default, rename = "function")]
    pub functions: Vec<FunctionMap>,
    /// How the generated test prepares the target.
    #[serde(default)]
    pub test: TestMap,
}

/// What to do with one old function.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionMap {
    /// The old function's canonical signature, `name(type,...)`.
    pub old: String,
    /// The new function's canonical signature (default: what the differ matched).
    pub new: Option<String>,
    /// New parameter (or `param.field`) → Solidity expression.
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    /// Old output (name, index, or field of a single struct output) → Solidity expression.
    #[serde(default)]
    pub returns: BTreeMap<String, String>,
    /// Always generate a stub, with this reason.
    pub stub: Option<String>,
}

/// The `[test]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestMap {
    /// Canonical signatures of no-argument functions of the new contract that the test's
    /// `setUp` calls on the target, in order (e.g. `finalizeMigration()`).
    #[serde(default)]
    pub setup: Vec<String>,
    /// The `msg.value` the test sends to payable functions, as a Solidity expression
    /// (default `1 ether`).
    pub value: Option<String>,
}

impl Mapping {
    /// Reads and parses a mapping file (not yet checked against ABIs: see [`Mapping::check`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::MappingRead { path: path.into(), source })?;
        Self::parse(&text, path)
    }

    /// Parses mapping TOML; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let m: Self = toml::from_str(text)
            .map_err(|e| Error::Mapping { path: path.into(), reason: e.to_string() })?;
        let bad = |reason: String| Error::Mapping { path: path.into(), reason };
        let mut seen = BTreeMap::new();
        for (i, f) in m.functions.iter().enumerate() {
            if seen.insert(f.old.clone(), i).is_some() {
                return Err(bad(format!("`{}` is mapped twice", f.old)));
            }
            for (key, expr) in f.args.iter().chain(&f.returns) {
                check_expr(expr).map_err(|why| {
                    bad(format!("[[function]] `{}`: `{key} = \"{expr}\"`: {why}", f.old))
                })?;
            }
            if f.stub.is_some() && (f.new.is_some() || !f.args.is_empty() || !f.returns.is_empty())
            {
                return Err(bad(format!(
                    "[[function]] `{}`: `stub` cannot be combined with `new`, `args` or `returns`",
                    f.old
                )));
            }
        }
        if let Some(v) = &m.test.value {
            check_expr(v).map_err(|why| bad(format!("[test] value = \"{v}\": {why}")))?;
        }
        Ok(m)
    }

    /// Checks every signature against the ABIs.
    pub fn check(&self, path: &Path, old: &JsonAbi, new: &JsonAbi) -> Result<()> {
        let bad = |reason: String| Error::Mapping { path: path.into(), reason };
        let has = |abi: &JsonAbi, sig: &str| abi.functions().any(|f| f.signature() == sig);
        let sigs = |abi: &JsonAbi, name: &str| -> String {
            let v: Vec<String> =
                abi.functions().filter(|f| f.name == name).map(|f| f.signature()).collect();
            if v.is_empty() { String::new() } else { format!(" (it has {})", v.join(", ")) }
        };
        let name_of = |sig: &str| sig.split('(').next().unwrap_or_default().to_owned();
        for f in &self.functions {
            if !has(old, &f.old) {
                return Err(bad(format!(
                    "[[function]] old = \"{}\": the old ABI has no such function{}",
                    f.old,
                    sigs(old, &name_of(&f.old))
                )));
            }
            if let Some(n) = &f.new
                && !has(new, n)
            {
                return Err(bad(format!(
                    "[[function]] `{}`: new = \"{n}\": the new ABI has no such function{}",
                    f.old,
                    sigs(new, &name_of(n))
                )));
            }
        }
        for s in &self.test.setup {
            match new.functions().find(|f| f.signature() == *s) {
                None => {
                    return Err(bad(format!(
                        "[test] setup: the new ABI has no function `{s}`{}",
                        sigs(new, &name_of(s))
                    )));
                }
                Some(f) if !f.inputs.is_empty() => {
                    return Err(bad(format!(
                        "[test] setup: `{s}` takes arguments; only no-argument calls are supported"
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The entry for an old function, by canonical signature.
    pub fn function(&self, old_signature: &str) -> Option<&FunctionMap> {
        self.functions.iter().find(|f| f.old == old_signature)
    }
}

/// A mapping expression is inserted into the generated code as written: refuse what would
/// make it more than one expression.
fn check_expr(expr: &str) -> std::result::Result<(), &'static str> {
    if expr.trim().is_empty() {
        return Err("empty expression");
    }
    if expr.contains([';', '{', '}', '\n', '\r']) || expr.contains("//") || expr.contains("/*") {
        return Err("must be a single Solidity expression (no `;`, braces, comments or newlines)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_against_the_abis() {
        let text = r#"
            [[function]]
            old = "f(uint256)"
            new = "g(uint256,address)"
            args = { to = "msg.sender" }
            [test]
            setup = ["start()"]
        "#;
        let m = Mapping::parse(text, Path::new("a.toml")).unwrap();
        assert_eq!(m.functions[0].args["to"], "msg.sender");
        let old: JsonAbi = serde_json::from_str(
            r#"[{"type":"function","name":"f","inputs":[{"name":"a","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"}]"#,
        )
        .unwrap();
        let new: JsonAbi = serde_json::from_str(
            r#"[{"type":"function","name":"g","inputs":[{"name":"a","type":"uint256"},{"name":"to","type":"address"}],"outputs":[],"stateMutability":"nonpayable"},
                {"type":"function","name":"start","inputs":[],"outputs":[],"stateMutability":"nonpayable"}]"#,
        )
        .unwrap();
        m.check(Path::new("a.toml"), &old, &new).unwrap();
        let err = m.check(Path::new("a.toml"), &new, &old).unwrap_err().to_string();
        assert!(err.starts_with("a.toml: [[function]] old = \"f(uint256)\""), "{err}");
    }

    #[test]
    fn refuses_statements_and_unknown_keys() {
        let err = Mapping::parse(
            "[[function]]\nold = \"f()\"\nargs = { a = \"1; selfdestruct\" }",
            Path::new("m.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("single Solidity expression"), "{err}");
        let err = Mapping::parse("[[function]]\nold = \"f()\"\nnwe = \"g()\"", Path::new("m.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("m.toml") && err.contains("nwe"), "{err}");
    }
}
