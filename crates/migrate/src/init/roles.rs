//! The calls around the records: pausing V1 (`pause`/`paused`), the `[[check]]`s (V1 work in
//! flight, V2 still `migrating()`), the funds V1 holds (functions that move ETH or tokens to
//! an address) and the V2 `finalizeMigration`.

use alloy::json_abi::{Function, JsonAbi, StateMutability};
use molt_abi::Artifact;

use super::{
    component::Component,
    fields::How,
    names::{singular, words},
    shape::{is_nonpayable, is_view},
};

/// A `[[pause]]` entry, or the question of how to pause a contract that has no `pause()`.
#[derive(Debug, Clone)]
pub(super) struct Pause {
    /// The V1 contract (index among the old artifacts).
    pub(super) contract: usize,
    /// `pause` and `paused`, when both were found.
    pub(super) calls: Option<(String, String)>,
    /// `unpause`, when found (what `molt rollback` calls).
    pub(super) unpause: Option<String>,
}

/// Finds `pause()` and `paused()` (a view returning bool).
pub(super) fn pause(contract: usize, abi: &JsonAbi) -> Pause {
    let call = no_arg(abi, |f| f.name == "pause" && is_nonpayable(f));
    let paused = no_arg(abi, |f| {
        f.name == "paused" && is_view(f) && f.outputs.len() == 1 && f.outputs[0].ty == "bool"
    });
    let unpause = no_arg(abi, |f| f.name == "unpause" && is_nonpayable(f));
    Pause {
        contract,
        calls: call.zip(paused).map(|(c, p)| (c.name.clone(), p.name.clone())),
        unpause: unpause.map(|f| f.name.clone()),
    }
}

fn no_arg(abi: &JsonAbi, want: impl Fn(&Function) -> bool) -> Option<&Function> {
    abi.functions().find(|f| f.inputs.is_empty() && want(f))
}

/// A `[[check]]` entry.
#[derive(Debug, Clone)]
pub(super) struct Check {
    /// Its name (`active-jobs`, `registry-v2-migrating`).
    pub(super) name: String,
    /// The contract, by manifest name.
    pub(super) contract: String,
    /// The view.
    pub(super) function: String,
    /// The expected result, as TOML.
    pub(super) expect: String,
    /// What a failure means.
    pub(super) message: String,
}

/// Checks on a V1 contract: every `active…Count()` / `pending…Count()` view must be 0 (work in
/// flight, e.g. payments still held).
pub(super) fn v1_checks(contract: &str, abi: &JsonAbi) -> Vec<Check> {
    abi.functions()
        .filter(|f| is_view(f) && f.inputs.is_empty() && f.outputs.len() == 1 && f.outputs[0].ty.starts_with("uint"))
        .filter_map(|f| {
            let ws = words(&f.name);
            let in_flight = matches!(ws.first().map(String::as_str), Some("active" | "pending" | "open" | "unsettled"));
            if !in_flight || ws.last().map(String::as_str) != Some("count") || ws.len() < 3 {
                return None;
            }
            let what = &ws[..ws.len() - 1];
            let last = format!("{}s", singular(&what[what.len() - 1]));
            let name = what[..what.len() - 1].iter().cloned().chain([last]).collect::<Vec<_>>().join("-");
            let readable = name.replace('-', " ");
            Some(Check {
                message: format!(
                    "V1 still has {readable} (`{}()` is not 0): let them finish or cancel them first, or pass --allow-check {name} to migrate anyway",
                    f.name
                ),
                name,
                contract: contract.to_owned(),
                function: f.name.clone(),
                expect: "0".into(),
            })
        })
        .collect()
}

/// The check that a V2 contract is still in its migration phase (`migrating()` is true).
pub(super) fn migrating_check(
    contract: &str,
    artifact: &Artifact,
    finalize: Option<&str>,
) -> Option<Check> {
    no_arg(&artifact.abi, |f| {
        f.name == "migrating" && is_view(f) && f.outputs.len() == 1 && f.outputs[0].ty == "bool"
    })?;
    let ended =
        finalize.map(|f| format!(": {f}() was called, imports are closed")).unwrap_or_default();
    Some(Check {
        name: format!("{}-migrating", super::names::kebab(contract)),
        contract: contract.to_owned(),
        function: "migrating".into(),
        expect: "true".into(),
        message: format!("{} is not in its migration phase any more{ended}", artifact.name),
    })
}

/// The function that ends a V2 contract's migration phase: `finalizeMigration()`, else a
/// no-argument function whose name says it finalizes.
pub(super) fn finalize(abi: &JsonAbi) -> Option<String> {
    no_arg(abi, |f| f.name == "finalizeMigration" && is_nonpayable(f))
        .or_else(|| {
            no_arg(abi, |f| {
                is_nonpayable(f) && words(&f.name).iter().any(|w| w.starts_with("finaliz"))
            })
        })
        .map(|f| f.name.clone())
}

/// The draft of a `[[funds]]` entry.
#[derive(Debug, Clone)]
pub(super) struct Funds {
    /// Its name.
    pub(super) name: String,
    /// The V1 contract holding the funds (index among the old artifacts).
    pub(super) from: usize,
    /// The V2 contract receiving them (index among the new artifacts), when found.
    pub(super) to: Option<usize>,
    /// `tokens`, as TOML.
    pub(super) tokens: String,
    /// The call on `from`.
    pub(super) function: String,
    /// Its arguments, as TOML.
    pub(super) args: Vec<String>,
    /// `credited_by`: component, amount field, token field.
    pub(super) credited: Option<(String, String, Option<String>)>,
    /// What the draft could not decide.
    pub(super) todos: Vec<String>,
}

/// Words of parameter names that say where funds go (`to`, `recipient`, `newVault`).
const RECIPIENT: &[&str] =
    &["to", "recipient", "receiver", "destination", "dest", "target", "beneficiary", "successor"];
/// Words of parameter names of the token moved (`token`, `asset`, `collateralToken`).
const TOKEN: &[&str] = &["token", "asset", "erc20"];
/// Words of parameter names of the amount moved (`amount`, `value`, `collateralAmount`).
const AMOUNT: &[&str] = &["amount", "value", "wad", "amt", "quantity"];
/// Verbs that name a funds function without saying what it moves.
const GENERIC: &[&str] =
    &["withdraw", "transfer", "sweep", "migrate", "move", "rescue", "drain", "send", "recover"];

/// Names of token-standard functions: they move the caller's tokens, not the contract's.
const STANDARD: &[&str] =
    &["transfer", "transferFrom", "safeTransfer", "safeTransferFrom", "mint", "burn", "approve"];
/// Words of a function name that say it moves funds.
const MOVES: &[&str] = &[
    "withdraw",
    "transfer",
    "sweep",
    "migrat",
    "move",
    "rescue",
    "drain",
    "send",
    "recover",
    "release",
    "emergency",
];

/// The funds moves of one V1 contract: functions that send ETH or tokens to an address and
/// take nothing else than the token and the amount (`transferStakes(to)`,
/// `emergencyWithdraw(token, amount, to)`).
pub(super) fn funds(
    from: usize,
    old: &Artifact,
    short: &str,
    to: Option<usize>,
    components: &[Component],
) -> Vec<Funds> {
    let candidates: Vec<&Function> = old
        .abi
        .functions()
        .filter(|f| is_nonpayable(f) && !STANDARD.contains(&f.name.as_str()))
        .filter(|f| words(&f.name).iter().any(|w| MOVES.iter().any(|m| w.starts_with(m))))
        .filter(|f| f.inputs.iter().any(|p| p.ty == "address" && is_named(&p.name, RECIPIENT)))
        .filter(|f| f.inputs.iter().all(|p| role(p).is_some()))
        .collect();
    let several = candidates.len() > 1;
    candidates
        .into_iter()
        .map(|f| {
            let mut d = one_funds(from, old, short, to, f, components);
            if several {
                d.todos.push(format!(
                    "`{}` has several functions that move funds out: keep the ones the migration needs",
                    old.name
                ));
            }
            d
        })
        .collect()
}

/// The placeholder a funds call's parameter takes: `$to`, `$token` or `$amount`.
fn role(p: &alloy::json_abi::Param) -> Option<&'static str> {
    if p.ty == "address" && is_named(&p.name, RECIPIENT) {
        Some("$to")
    } else if p.ty == "address" && is_named(&p.name, TOKEN) {
        Some("$token")
    } else if p.ty.starts_with("uint") && is_named(&p.name, AMOUNT) {
        Some("$amount")
    } else {
        None
    }
}

/// Whether the last word of a name is in `set`; for recipients also a `new…` name other than
/// `newOwner` (`newPool`: the contract that takes over).
fn is_named(name: &str, set: &[&str]) -> bool {
    let ws = words(name);
    let last = ws.last().map(String::as_str).unwrap_or_default();
    let successor = set == RECIPIENT && ws.len() > 1 && ws[0] == "new" && last != "owner";
    set.contains(&last) || successor
}

/// One funds move through `f`.
fn one_funds(
    from: usize,
    old: &Artifact,
    short: &str,
    to: Option<usize>,
    f: &Function,
    components: &[Component],
) -> Funds {
    let mut todos = Vec::new();
    let roles: Vec<&str> = f.inputs.iter().filter_map(role).collect();
    let has_token = roles.contains(&"$token");
    let args = roles.iter().map(|r| format!("\"{r}\"")).collect();
    let (tokens, credited_token) = tokens(from, old, has_token, components, &mut todos);
    let credited = credited(to, f, components, &credited_token, &mut todos);
    let last = words(&f.name).pop().unwrap_or_default();
    let name = if GENERIC.iter().any(|g| last.starts_with(g)) { short.to_owned() } else { last };
    if to.is_none() {
        todos.push(format!("which new contract receives the funds of `{}`?", old.name));
    }
    Funds { name, from, to, tokens, function: f.name.clone(), args, credited, todos }
}

/// `tokens` of a funds move, and the source field that names a record's token: the tokens of
/// a component's `token` field when the call takes a token; ETH when V1 takes ETH; otherwise a
/// question.
fn tokens(
    from: usize,
    old: &Artifact,
    has_token: bool,
    components: &[Component],
    todos: &mut Vec<String>,
) -> (String, Option<(String, String)>) {
    if has_token {
        if let Some(found) = component_tokens(from, components) {
            return found;
        }
        todos.push(
            "which tokens move? `tokens` is a list of addresses, or `{ component, field }`".into(),
        );
        return ("[\"TODO: token addresses\"]".into(), None);
    }
    let payable = |m: StateMutability| m == StateMutability::Payable;
    let takes_eth = old.abi.functions().any(|f| payable(f.state_mutability))
        || old.abi.receive.is_some()
        || old.abi.fallback.as_ref().is_some_and(|f| payable(f.state_mutability));
    if takes_eth {
        return ("\"ETH\"".into(), None);
    }
    let getters: Vec<String> = old
        .abi
        .functions()
        .filter(|f| {
            is_view(f)
                && f.inputs.is_empty()
                && f.outputs.len() == 1
                && f.outputs[0].ty == "address"
        })
        .filter(|f| words(&f.name).iter().any(|w| w.contains("token") || w.contains("asset")))
        .map(|f| format!("`{}()`", f.name))
        .collect();
    let hint = if getters.is_empty() {
        String::new()
    } else {
        format!(" (V1's {} returns it)", getters.join(", "))
    };
    todos.push(format!("`{}` takes no ETH: the address of the ERC-20 it holds{hint}", old.name));
    ("\"TODO: token address\"".into(), None)
}

/// `tokens = { component, field }` from a component of `from` whose source has a `token`
/// (or `asset`) address field that the import carries; with the import field that carries it.
fn component_tokens(
    from: usize,
    components: &[Component],
) -> Option<(String, Option<(String, String)>)> {
    components.iter().find_map(|c| {
        let (s, m) = (c.source.as_ref()?, c.mapping.as_ref()?);
        if s.contract != from {
            return None;
        }
        let field = s
            .record
            .iter()
            .find(|f| f.ty == alloy::dyn_abi::DynSolType::Address && is_named(&f.name, TOKEN))?;
        let carried = m.fields.iter().find(|p| match &p.how {
            How::ByName => p.name == field.name,
            How::From(s) => *s == field.name,
            _ => false,
        })?;
        let tokens = format!("{{ component = \"{}\", field = \"{}\" }}", c.name, field.name);
        Some((tokens, Some((c.name.clone(), carried.name.clone()))))
    })
}

/// `credited_by`: the import field of a component of the receiving contract that credits the
/// funds: the unsigned field named in the function (`transferStakes` → `stake`), else one
/// named like an amount.
fn credited(
    to: Option<usize>,
    f: &Function,
    components: &[Component],
    token: &Option<(String, String)>,
    todos: &mut Vec<String>,
) -> Option<(String, String, Option<String>)> {
    let fn_words: Vec<String> = words(&f.name).iter().map(|w| singular(w)).collect();
    let mut scored: Vec<(u8, &Component, String)> = Vec::new();
    for c in components.iter().filter(|c| Some(c.import.contract) == to) {
        if token.as_ref().is_some_and(|(tc, _)| *tc != c.name) {
            continue;
        }
        for field in
            c.import.record.iter().filter(|r| matches!(r.ty, alloy::dyn_abi::DynSolType::Uint(_)))
        {
            let ws: Vec<String> = words(&field.name).iter().map(|w| singular(w)).collect();
            let score = if ws.iter().all(|w| fn_words.contains(w)) {
                2
            } else if ws.iter().any(|w| {
                ["amount", "balance", "stake", "deposit", "collateral", "principal"]
                    .contains(&w.as_str())
            }) {
                1
            } else {
                0
            };
            if score > 0 {
                scored.push((score, c, field.name.clone()));
            }
        }
    }
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    let Some((best, c, amount)) = scored.first() else {
        todos.push(format!(
            "which import field credits the funds moved by `{}`? (`credited_by = {{ component, amount }}`)",
            f.name
        ));
        return None;
    };
    let rivals: Vec<String> = scored[1..]
        .iter()
        .filter(|(s, ..)| s == best)
        .map(|(_, c, a)| format!("`{}.{a}`", c.name))
        .collect();
    if !rivals.is_empty() {
        todos.push(format!(
            "the funds moved by `{}` are taken as credited by `{}.{amount}`; {} would fit too: which one?",
            f.name,
            c.name,
            rivals.join(", ")
        ));
    }
    Some((c.name.clone(), amount.clone(), token.as_ref().map(|(_, t)| t.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funds_parameters_are_recognised_by_their_last_word() {
        for to in ["to", "_to", "recipient", "newPool", "newVault"] {
            assert!(is_named(to, RECIPIENT), "{to}");
        }
        assert!(!is_named("newOwner", RECIPIENT));
        assert!(!is_named("account", RECIPIENT));
        assert!(is_named("collateralToken", TOKEN) && is_named("asset", TOKEN));
        assert!(is_named("collateralAmount", AMOUNT) && !is_named("amounts", AMOUNT));
    }
}
