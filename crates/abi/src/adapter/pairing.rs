//! Which new function each old function became, as the differ decides it.
//!
//! The matching is the differ's ([`crate::diff::diff_abis`]): same selector and name, or a
//! `function_signature_changed` pair; this module only reads its findings back into function
//! pairs, so that `molt adapter` and `molt diff` never disagree.

use alloy::json_abi::{Function, JsonAbi};

use crate::diff::{self, Change, Kind};

/// What the differ says about one old function.
#[derive(Debug, Clone)]
pub struct FunctionPair<'a> {
    /// The old function.
    pub old: &'a Function,
    /// Its counterpart in the new ABI, if any.
    pub new: Option<&'a Function>,
    /// The differ's findings about this function (outputs, mutability, renames, signature).
    pub changes: Vec<Change>,
}

/// Pairs every old function (in ABI order) with its new counterpart.
pub fn pair_functions<'a>(old: &'a JsonAbi, new: &'a JsonAbi) -> Vec<FunctionPair<'a>> {
    let changes = diff::diff_abis(old, new);
    old.functions()
        .map(|o| {
            let sig = o.signature();
            let mine: Vec<Change> = changes
                .iter()
                .filter(|c| c.kind.to_string().starts_with("function_") && c.item == sig)
                .cloned()
                .collect();
            let renamed_to = mine
                .iter()
                .find(|c| c.kind == Kind::FunctionSignatureChanged)
                .and_then(|c| c.new.as_deref());
            let new_fn = match renamed_to {
                Some(n) => new.functions().find(|f| f.signature() == n),
                None if mine.iter().any(|c| c.kind == Kind::FunctionRemoved) => None,
                None => new.functions().find(|f| f.selector() == o.selector() && f.name == o.name),
            };
            FunctionPair { old: o, new: new_fn, changes: mine }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_differ_for_kept_changed_and_removed_functions() {
        let old: JsonAbi = serde_json::from_str(
            r#"[{"type":"function","name":"f","inputs":[{"name":"a","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"},
                {"type":"function","name":"g","inputs":[],"outputs":[],"stateMutability":"nonpayable"},
                {"type":"function","name":"h","inputs":[],"outputs":[],"stateMutability":"view"}]"#,
        )
        .unwrap();
        let new: JsonAbi = serde_json::from_str(
            r#"[{"type":"function","name":"f","inputs":[{"name":"a","type":"uint256"},{"name":"b","type":"address"}],"outputs":[],"stateMutability":"nonpayable"},
                {"type":"function","name":"h","inputs":[],"outputs":[],"stateMutability":"view"}]"#,
        )
        .unwrap();
        let pairs = pair_functions(&old, &new);
        let got: Vec<_> =
            pairs.iter().map(|p| (p.old.signature(), p.new.map(|n| n.signature()))).collect();
        assert_eq!(
            got,
            [
                ("f(uint256)".to_owned(), Some("f(uint256,address)".to_owned())),
                ("g()".to_owned(), None),
                ("h()".to_owned(), Some("h()".to_owned())),
            ]
        );
    }
}
