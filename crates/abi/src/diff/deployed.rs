//! `molt diff --deployed`: does the deployed runtime bytecode dispatch what the ABI declares?
//!
//! Selectors are extracted from the bytecode with [`evmole`] (no source, no network here; the
//! CLI reads the code from the node).

use std::collections::BTreeSet;

use alloy::{json_abi::JsonAbi, primitives::Selector};

use super::{Change, Kind};

/// The function selectors the runtime bytecode dispatches.
pub fn bytecode_selectors(code: &[u8]) -> BTreeSet<Selector> {
    let info = evmole::contract_info(evmole::ContractInfoArgs::new(code).with_selectors());
    info.functions.unwrap_or_default().into_iter().map(|f| Selector::from(f.selector)).collect()
}

/// Compares the selectors of `code` with the functions of `abi`: declared but missing is
/// breaking, present but undeclared is a warning.
pub fn check_deployed(code: &[u8], abi: &JsonAbi) -> Vec<Change> {
    let found = bytecode_selectors(code);
    let mut changes = Vec::new();
    let mut declared = BTreeSet::new();
    for f in abi.functions() {
        let sel = f.selector();
        declared.insert(sel);
        if !found.contains(&sel) {
            changes.push(
                Change::of(Kind::DeployedSelectorMissing, f.signature())
                    .selector(format!("{sel}"))
                    .old(f.signature()),
            );
        }
    }
    for sel in found.difference(&declared) {
        changes.push(
            Change::of(Kind::DeployedSelectorUndeclared, format!("{sel}"))
                .selector(format!("{sel}")),
        );
    }
    changes
}
