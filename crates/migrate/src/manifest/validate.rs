//! The checks of a manifest that do not need the ABIs: setting ranges, EIP-55 checksums of
//! address literals, and names and addresses that must be unique. Each error points at the
//! offending value's own line.

use std::{collections::BTreeMap, fmt::Display, ops::Range};

use alloy::{dyn_abi::DynSolType, primitives::Address};
use toml::Spanned;

use super::TODO_MARKER;
use super::{
    BatchOptions, Contract, Network, TX_GAS_CAP,
    raw::{RawBatch, RawContract, RawNetwork},
    text::ManifestText,
};
use crate::Result;

/// Refuses a manifest that still has a `TODO(molt)` line (a `molt init` draft whose open
/// decisions are not all made), at the first one, saying how many more there are.
pub(super) fn no_todos(cx: &ManifestText<'_>, text: &str) -> Result<()> {
    let mut at = text.match_indices(TODO_MARKER).map(|(i, _)| i);
    let Some(first) = at.next() else { return Ok(()) };
    let line_end = text[first..].find('\n').map_or(text.len(), |n| first + n);
    let what = text[first + TODO_MARKER.len()..line_end].trim_start_matches(':').trim();
    let more: Vec<String> = at.map(|i| cx.line(i).to_string()).collect();
    let more = match more.as_slice() {
        [] => String::new(),
        [one] => format!(" (one more, at line {one})"),
        many => format!(" ({} more, at lines {})", many.len(), many.join(", ")),
    };
    Err(cx.err(
        first..first,
        format!(
            "unresolved `{TODO_MARKER}`: {what}. Decide it, then delete the comment{more}; `molt plan` and `molt migrate` refuse a draft until every one is resolved"
        ),
    ))
}

/// The smallest `gas_budget`: what any import batch needs.
const MIN_GAS_BUDGET: u64 = 100_000;
/// The largest `gas_margin`: beyond it the estimate is not what is being sent.
const MAX_GAS_MARGIN: f64 = 3.0;

/// `[network]`, with `confirmations` checked.
pub(super) fn network(cx: &ManifestText<'_>, raw: &RawNetwork) -> Result<Network> {
    let confirmations = setting(
        cx,
        "confirmations",
        &raw.confirmations,
        |n| n >= 1,
        "it must be at least 1 (1: a transaction's own block is enough)",
    )?;
    Ok(Network {
        rpc_url: raw.rpc_url.clone(),
        chain_id: raw.chain_id,
        confirmations: confirmations.unwrap_or(1),
    })
}

/// `[batch]`, every value checked against its range.
pub(super) fn batch(cx: &ManifestText<'_>, raw: &RawBatch) -> Result<BatchOptions> {
    let d = BatchOptions::default();
    let gas_budget = setting(
        cx,
        "gas_budget",
        &raw.gas_budget,
        |g| (MIN_GAS_BUDGET..=TX_GAS_CAP).contains(&g),
        "it must be from 100,000 gas (what any import batch needs) to 16,777,216 gas (the EIP-7825 per-transaction cap)",
    )?;
    let block_gas_fraction = setting(
        cx,
        "block_gas_fraction",
        &raw.block_gas_fraction,
        |f| f > 0.0 && f <= 1.0,
        "it must be a number in (0, 1] (the fraction of the latest block's gas limit a batch may use)",
    )?;
    let gas_margin = setting(
        cx,
        "gas_margin",
        &raw.gas_margin,
        |m| (1.0..=MAX_GAS_MARGIN).contains(&m),
        "it must be a finite number from 1.0 to 3.0 (the gas limit sent is the estimate times it; below 1.0 a batch runs out of gas)",
    )?;
    let max_in_flight = setting(
        cx,
        "max_in_flight",
        &raw.max_in_flight,
        |n| n >= 1,
        "it must be at least 1 (batch transactions in flight at once)",
    )?;
    let max_records = setting(
        cx,
        "max_records",
        &raw.max_records,
        |n| n >= 1,
        "it must be at least 1 (records per batch at most)",
    )?;
    Ok(BatchOptions {
        gas_budget,
        block_gas_fraction: block_gas_fraction.unwrap_or(d.block_gas_fraction),
        gas_margin: gas_margin.unwrap_or(d.gas_margin),
        max_in_flight: max_in_flight.unwrap_or(d.max_in_flight),
        max_records: max_records.unwrap_or(d.max_records),
    })
}

/// The value of an optional setting, or an error at its own line when `ok` refuses it
/// (NaN fails every comparison, so range checks refuse it too).
fn setting<T: Copy + Display>(
    cx: &ManifestText<'_>,
    key: &str,
    value: &Option<Spanned<T>>,
    ok: impl Fn(T) -> bool,
    rule: &str,
) -> Result<Option<T>> {
    match value {
        Some(v) if !ok(*v.get_ref()) => {
            Err(cx.err(v.span(), format!("`{key} = {}` is out of range: {rule}", v.get_ref())))
        }
        v => Ok(v.as_ref().map(|v| *v.get_ref())),
    }
}

/// An address literal. Mixed-case hex must be its EIP-55 checksum, as in cast; all-lowercase
/// or all-uppercase hex is taken as unchecksummed.
pub(super) fn address(s: &str) -> std::result::Result<Address, String> {
    let a: Address = s.parse().map_err(|e| format!("`{s}` is not an address: {e}"))?;
    let hex = s.get(2..).filter(|_| s.starts_with("0x") || s.starts_with("0X")).unwrap_or(s);
    let mixed = hex.contains(|c: char| c.is_ascii_lowercase())
        && hex.contains(|c: char| c.is_ascii_uppercase());
    let checksummed = a.to_checksum(None);
    if mixed && checksummed[2..] != *hex {
        return Err(format!(
            "`{s}` has a wrong EIP-55 checksum (a mistyped character?); the checksummed form of this address is `{checksummed}`"
        ));
    }
    Ok(a)
}

/// Checks the checksum of every address inside a composite literal (a tuple or array written
/// as one string, e.g. `"(0xAb…, 5)"`): `0x` followed by exactly 40 hex digits.
pub(super) fn checksums_in(s: &str) -> std::result::Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        let starts = b[i] == b'0'
            && (b[i + 1] == b'x' || b[i + 1] == b'X')
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let end = (i + 2..b.len()).find(|&j| !b[j].is_ascii_hexdigit()).unwrap_or(b.len());
        if end - i - 2 == 40 && (end == b.len() || !b[end].is_ascii_alphanumeric()) {
            address(&s[i..end])?;
        }
        i = end;
    }
    Ok(())
}

/// Whether values of `ty` contain addresses.
pub(super) fn has_address(ty: &DynSolType) -> bool {
    match ty {
        DynSolType::Address => true,
        DynSolType::Array(t) | DynSolType::FixedArray(t, _) => has_address(t),
        DynSolType::Tuple(ts) => ts.iter().any(has_address),
        _ => false,
    }
}

/// No two entries of a kind (`what`, plural) share a name; the error is at the second one.
pub(super) fn unique_names<'a>(
    cx: &ManifestText<'_>,
    what: &str,
    names: impl IntoIterator<Item = &'a Spanned<String>>,
) -> Result<()> {
    let mut seen: BTreeMap<&str, Range<usize>> = BTreeMap::new();
    for n in names {
        if let Some(first) = seen.get(n.get_ref().as_str()) {
            return Err(cx.err(
                n.span(),
                format!(
                    "two {what} are called `{}` (the first at line {}); give each its own name",
                    n.get_ref(),
                    cx.line(first.start)
                ),
            ));
        }
        seen.insert(n.get_ref(), n.span());
    }
    Ok(())
}

/// No address serves two roles: each `[contracts]` entry is a different contract. The error is
/// at the entry that comes second in the file and names both.
pub(super) fn distinct_addresses(
    cx: &ManifestText<'_>,
    raw: &BTreeMap<String, Spanned<RawContract>>,
    contracts: &BTreeMap<String, Contract>,
) -> Result<()> {
    let mut in_file_order: Vec<(&String, &Spanned<RawContract>)> = raw.iter().collect();
    in_file_order.sort_by_key(|(_, c)| c.span().start);
    let mut seen: BTreeMap<Address, (&str, usize)> = BTreeMap::new();
    for (name, c) in in_file_order {
        let address = contracts[name].address;
        let at = c.get_ref().address.span();
        if let Some((first, line)) = seen.get(&address) {
            return Err(cx.err(
                at,
                format!(
                    "`{name}` has the same address as `{first}` (line {line}), {address}: one contract cannot play two roles; give each entry its own contract's address"
                ),
            ));
        }
        seen.insert(address, (name, cx.line(at.start)));
    }
    Ok(())
}
