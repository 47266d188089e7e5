//! Invariants: views of the proxy read before and after the upgrade, whose results must be
//! unchanged or equal a given value.
//!
//! On the command line (`--check`): `SIG [ARG ...] [== VALUE]`, e.g. `count()`,
//! `balances(address) 0xf39F...2266`, `version() == 2`. In a file (`--checks`), TOML in the
//! manner of a manifest's `[[check]]`:
//!
//! ```toml
//! [[check]]
//! name = "the counter is kept"   # optional; default: the call
//! function = "count()"
//! args = []                       # optional
//! expect = "2"                    # optional; without it the result must be unchanged
//! ```

use std::path::Path;

use alloy::{
    dyn_abi::{DynSolType, DynSolValue, FunctionExt, JsonAbiExt},
    json_abi::{Function, JsonAbi},
    network::TransactionBuilder,
    primitives::{Address, Bytes},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
};
use molt_chain::RevertDecoder;
use serde::{Deserialize, Serialize};

use super::UpgradeError;

/// One invariant, resolved against the old and the new ABI.
#[derive(Debug, Clone)]
pub struct Invariant {
    /// Its name (the call, unless the checks file names it).
    pub name: String,
    /// The view in the old implementation's ABI.
    old: Function,
    /// The view in the new implementation's ABI.
    new: Function,
    /// The view's arguments.
    args: Vec<DynSolValue>,
    /// The value required after the upgrade; `None`: the value before.
    expect: Option<DynSolValue>,
}

/// An invariant as written, before it is resolved.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    name: Option<String>,
    function: String,
    #[serde(default)]
    args: Vec<String>,
    expect: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecksFile {
    #[serde(default)]
    check: Vec<RawCheck>,
}

/// Parses a `--check` argument.
pub fn parse_spec(spec: &str, old: &JsonAbi, new: &JsonAbi) -> Result<Invariant, UpgradeError> {
    let (call, expect) = match spec.split_once("==") {
        Some((c, e)) => (c.trim(), Some(e.trim().to_owned())),
        None => (spec.trim(), None),
    };
    let mut words = call.split_whitespace();
    let function = words.next().unwrap_or_default().to_owned();
    let args = words.map(str::to_owned).collect();
    resolve(RawCheck { name: Some(spec.trim().to_owned()), function, args, expect }, old, new)
}

/// Reads the `[[check]]`s of a TOML file.
pub fn load_file(
    path: &Path,
    old: &JsonAbi,
    new: &JsonAbi,
) -> Result<Vec<Invariant>, UpgradeError> {
    let bad = |reason: String| UpgradeError::ChecksFile { path: path.into(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let file: ChecksFile = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if file.check.is_empty() {
        return Err(bad("no [[check]] in the file".into()));
    }
    file.check.into_iter().map(|c| resolve(c, old, new)).collect()
}

fn resolve(raw: RawCheck, old: &JsonAbi, new: &JsonAbi) -> Result<Invariant, UpgradeError> {
    let name = raw.name.clone().unwrap_or_else(|| raw.function.clone());
    let bad = |reason: String| UpgradeError::Check { spec: name.clone(), reason };
    let old_fn = find(old, &raw.function).map_err(|r| bad(format!("{r} in the --old ABI")))?;
    let new_fn =
        find(new, &old_fn.signature()).map_err(|r| bad(format!("{r} in the --new ABI")))?;
    if old_fn.inputs.len() != raw.args.len() {
        return Err(bad(format!(
            "{} takes {} argument(s), {} given",
            old_fn.signature(),
            old_fn.inputs.len(),
            raw.args.len()
        )));
    }
    let args =
        coerce_all(&old_fn.inputs.iter().map(|p| p.ty.as_str()).collect::<Vec<_>>(), &raw.args)
            .map_err(bad)?;
    let expect = match &raw.expect {
        None => None,
        Some(e) => Some(output_type(&new_fn).and_then(|t| coerce(&t, e)).map_err(bad)?),
    };
    Ok(Invariant { name, old: old_fn, new: new_fn, args, expect })
}

/// The function of `abi` with signature `sig` (or named `sig`, when only one has that name).
fn find(abi: &JsonAbi, sig: &str) -> Result<Function, String> {
    if sig.contains('(') {
        let wanted = sig.replace(' ', "");
        return abi
            .functions()
            .find(|f| f.signature() == wanted)
            .cloned()
            .ok_or_else(|| format!("no function {wanted}"));
    }
    match abi.function(sig).map(Vec::as_slice) {
        Some([f]) => Ok(f.clone()),
        Some(_) => Err(format!("`{sig}` is overloaded: give the signature")),
        None => Err(format!("no function named `{sig}`")),
    }
}

fn output_type(f: &Function) -> Result<DynSolType, String> {
    match f.outputs.as_slice() {
        [one] => DynSolType::parse(&one.ty).map_err(|e| e.to_string()),
        _ => Err(format!(
            "expect needs a view with one output; {} has {}",
            f.signature(),
            f.outputs.len()
        )),
    }
}

/// Coerces `values` to the Solidity types `types`.
pub fn coerce_all(types: &[&str], values: &[String]) -> Result<Vec<DynSolValue>, String> {
    types
        .iter()
        .zip(values)
        .map(|(t, v)| coerce(&DynSolType::parse(t).map_err(|e| e.to_string())?, v))
        .collect()
}

fn coerce(ty: &DynSolType, v: &str) -> Result<DynSolValue, String> {
    ty.coerce_str(v).map_err(|e| format!("`{v}` is not a valid {ty}: {e}"))
}

/// An invariant's values before and after the upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The invariant's name.
    pub name: String,
    /// The value before the upgrade.
    pub before: String,
    /// The value after the upgrade (or why it could not be read).
    pub after: String,
    /// The value required after, when one was given (else: `before`).
    pub expected: String,
    /// Whether `after` is `expected`.
    pub ok: bool,
}

impl Invariant {
    /// Reads the view through the proxy with the old ABI (before the upgrade).
    pub async fn read_before(
        &self,
        provider: &DynProvider,
        proxy: Address,
    ) -> Result<Vec<DynSolValue>, UpgradeError> {
        read(provider, proxy, &self.old, &self.args)
            .await
            .map_err(|reason| UpgradeError::CheckUnreadable { check: self.name.clone(), reason })
    }

    /// Reads the view with the new ABI and compares it with `before` or the expected value.
    pub async fn compare_after(
        &self,
        provider: &DynProvider,
        proxy: Address,
        before: &[DynSolValue],
    ) -> CheckResult {
        let after = read(provider, proxy, &self.new, &self.args).await;
        let wanted = match &self.expect {
            Some(e) => std::slice::from_ref(e),
            None => before,
        };
        let (after, ok) = match after {
            Ok(values) => (show_all(&values), values == wanted),
            Err(reason) => (reason, false),
        };
        CheckResult {
            name: self.name.clone(),
            before: show_all(before),
            after,
            expected: show_all(wanted),
            ok,
        }
    }
}

async fn read(
    provider: &DynProvider,
    at: Address,
    f: &Function,
    args: &[DynSolValue],
) -> Result<Vec<DynSolValue>, String> {
    let input: Bytes = f.abi_encode_input(args).map_err(|e| e.to_string())?.into();
    let tx = TransactionRequest::default().with_to(at).with_input(input);
    match provider.call(tx).await {
        Ok(out) => {
            f.abi_decode_output(&out).map_err(|e| format!("cannot decode {}: {e}", f.signature()))
        }
        Err(e) => Err(match RevertDecoder::new().decode_error(&e) {
            Some(revert) => format!("reverted: {revert}"),
            None => e.to_string(),
        }),
    }
}

/// Values for people: one as itself, several as a tuple.
pub fn show_all(values: &[DynSolValue]) -> String {
    match values {
        [one] => show(one),
        many => format!("({})", many.iter().map(show).collect::<Vec<_>>().join(", ")),
    }
}

/// One value for people: numbers in decimal, addresses checksummed, bytes in hex.
pub fn show(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::FixedBytes(w, n) => Bytes::copy_from_slice(&w[..*n]).to_string(),
        DynSolValue::Bytes(b) => Bytes::copy_from_slice(b).to_string(),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Function(f) => f.to_string(),
        DynSolValue::Array(xs) | DynSolValue::FixedArray(xs) => {
            format!("[{}]", xs.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        DynSolValue::Tuple(xs) => show_all(xs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abi() -> JsonAbi {
        JsonAbi::parse([
            "function count() view returns (uint256)",
            "function balances(address) view returns (uint256)",
        ])
        .unwrap()
    }

    #[test]
    fn specs_name_a_view_its_arguments_and_an_expected_value() {
        let a = abi();
        let i = parse_spec("count() == 7", &a, &a).unwrap();
        assert_eq!(i.expect, Some(DynSolValue::Uint(alloy::primitives::U256::from(7), 256)));
        let b = parse_spec("balances(address) 0x0000000000000000000000000000000000000001", &a, &a)
            .unwrap();
        assert_eq!(b.args.len(), 1);
        let e = parse_spec("balances(address)", &a, &a).unwrap_err();
        assert!(e.to_string().contains("takes 1 argument(s), 0 given"), "{e}");
        let e = parse_spec("total()", &a, &a).unwrap_err();
        assert!(e.to_string().contains("no function total() in the --old ABI"), "{e}");
    }
}
