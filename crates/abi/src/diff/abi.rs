//! ABI matching and the ABI rules.
//!
//! - Functions and errors are keyed by the 4-byte selector of their canonical signature
//!   (tuples expanded, names ignored). A selector only in the old ABI is a removal, unless the
//!   name is still in the new ABI under another selector and no overload of that name kept its
//!   selector: then the unmatched overloads are paired (equal arity first, then in arity order)
//!   and each pair is one signature change.
//! - Events are keyed by topic0 and `anonymous`; `indexed` flags and names are compared on
//!   matched events.
//! - Outputs, state mutability and parameter names (struct fields included) are compared on
//!   matched functions.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    path::Path,
};

use alloy::{
    json_abi::{Error as AbiError, Event, EventParam, Function, JsonAbi, Param, StateMutability},
    primitives::{B256, Selector, keccak256},
};

use super::{Change, Kind, Severity};
use crate::Artifact;

/// An ABI, and whether its contract is abstract: the ABI alone cannot tell an abstract
/// contract (no creation bytecode, and often no constructor in its ABI) from one whose
/// constructor takes no parameters.
#[derive(Debug, Clone, Copy)]
pub struct Interface<'a> {
    /// The ABI.
    pub abi: &'a JsonAbi,
    /// The artifact has empty creation bytecode (an abstract contract or an interface).
    pub is_abstract: bool,
}

impl<'a> Interface<'a> {
    /// The ABI of `artifact`, abstract when its creation bytecode is empty.
    pub fn of(artifact: &'a Artifact) -> Self {
        Self { abi: &artifact.abi, is_abstract: artifact.is_abstract() }
    }
}

impl<'a> From<&'a JsonAbi> for Interface<'a> {
    /// An ABI alone: not known to be abstract.
    fn from(abi: &'a JsonAbi) -> Self {
        Self { abi, is_abstract: false }
    }
}

/// Appends every ABI change from `old` to `new` to `out`.
pub fn diff_abi<'a>(
    old: impl Into<Interface<'a>>,
    new: impl Into<Interface<'a>>,
    out: &mut Vec<Change>,
) {
    let (old_side, new_side) = (old.into(), new.into());
    let (old, new) = (old_side.abi, new_side.abi);
    let (old_fns, new_fns) = (sigs(old.functions()), sigs(new.functions()));
    let (old_errs, new_errs) = (sigs(old.errors()), sigs(new.errors()));
    let removed_selectors = diff_functions(&old_fns, &new_fns, out);
    diff_events(&sigs(old.events()), &sigs(new.events()), out);
    diff_errors(&old_errs, &new_errs, out);
    diff_constructor(old_side, new_side, out);
    diff_special(old, new, &removed_selectors, out);
    collisions(&old_fns, &old_errs, &new_fns, &new_errs, out);
}

/// An ABI item with its canonical signature and its hash computed once (signatures and
/// keccak are most of the differ's work on large ABIs).
struct Sig<'a, T> {
    item: &'a T,
    sig: String,
    hash: B256,
}

impl<T> std::ops::Deref for Sig<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.item
    }
}

impl<T> Sig<'_, T> {
    fn signature(&self) -> String {
        self.sig.clone()
    }
}

impl Sig<'_, Function> {
    fn selector(&self) -> Selector {
        Selector::from_slice(&self.hash[..4])
    }
}

impl Sig<'_, AbiError> {
    fn selector(&self) -> Selector {
        Selector::from_slice(&self.hash[..4])
    }
}

impl Sig<'_, Event> {
    fn selector(&self) -> B256 {
        self.hash
    }
}

trait Signed {
    fn canonical(&self) -> String;
}

impl Signed for Function {
    fn canonical(&self) -> String {
        self.signature()
    }
}

impl Signed for Event {
    fn canonical(&self) -> String {
        self.signature()
    }
}

impl Signed for AbiError {
    fn canonical(&self) -> String {
        self.signature()
    }
}

fn sigs<'a, T: Signed + 'a>(items: impl Iterator<Item = &'a T>) -> Vec<Sig<'a, T>> {
    items
        .map(|item| {
            let sig = item.canonical();
            let hash = keccak256(sig.as_bytes());
            Sig { item, sig, hash }
        })
        .collect()
}

type Func<'a> = Sig<'a, Function>;
type Ev<'a> = Sig<'a, Event>;
type ErrSig<'a> = Sig<'a, AbiError>;

fn selector_hex(s: &Selector) -> String {
    format!("{s}")
}

fn topic_hex(t: &B256) -> String {
    format!("{t}")
}

/// `(t1,t2)`: the canonical types of a parameter list.
fn canonical_types(params: &[Param]) -> String {
    let types: Vec<_> = params.iter().map(|p| p.selector_type().into_owned()).collect();
    format!("({})", types.join(","))
}

/// `type name` with tuples written out (`(uint256 a,address b)[] orders`).
fn named_param(p: &Param) -> String {
    let mut s = named_type(&p.ty, &p.components);
    if !p.name.is_empty() {
        s.push(' ');
        s.push_str(&p.name);
    }
    s
}

fn named_type(ty: &str, components: &[Param]) -> String {
    match ty.strip_prefix("tuple") {
        Some(suffix) => {
            let inner: Vec<_> = components.iter().map(named_param).collect();
            format!("({}){suffix}", inner.join(","))
        }
        None => ty.to_owned(),
    }
}

fn named_list(params: &[Param]) -> String {
    params.iter().map(named_param).collect::<Vec<_>>().join(",")
}

/// Name differences between two parameter lists of equal types, as `a` -> `b` paths.
fn renames(old: &[Param], new: &[Param], prefix: &str, what: &str, out: &mut Vec<String>) {
    for (i, (o, n)) in old.iter().zip(new).enumerate() {
        let label = |p: &Param| {
            if p.name.is_empty() { format!("#{i}") } else { format!("{prefix}{}", p.name) }
        };
        if o.name != n.name {
            out.push(format!("{what} `{}` renamed to `{}`", label(o), label(n)));
        }
        let parent =
            if o.name.is_empty() { format!("{prefix}#{i}.") } else { format!("{}.", label(o)) };
        renames(&o.components, &n.components, &parent, what, out);
    }
}

fn mutability_str(m: StateMutability) -> &'static str {
    match m {
        StateMutability::Pure => "pure",
        StateMutability::View => "view",
        StateMutability::NonPayable => "nonpayable",
        StateMutability::Payable => "payable",
    }
}

/// Whether a mutability change breaks callers: view/pure to a state-changing function
/// (staticcall reverts), and payable to anything else (value-carrying calls revert).
fn mutability_breaks(old: StateMutability, new: StateMutability) -> bool {
    use StateMutability::*;
    match old {
        Pure | View => matches!(new, NonPayable | Payable),
        Payable => new != Payable,
        NonPayable => false,
    }
}

/// Pairs the overloads of one name that kept no selector: equal arity first (in declaration
/// order), then what is left in arity order. Returns pairs and the unpaired rest of each side.
fn pair_overloads<T: Copy>(
    old: Vec<T>,
    new: Vec<T>,
    arity: impl Fn(&T) -> usize,
) -> (Vec<(T, T)>, Vec<T>, Vec<T>) {
    let mut pairs = Vec::new();
    let mut new_left: Vec<Option<T>> = new.into_iter().map(Some).collect();
    let mut old_left = Vec::new();
    for o in old {
        let slot = new_left.iter_mut().find(|n| n.as_ref().is_some_and(|n| arity(n) == arity(&o)));
        match slot.and_then(Option::take) {
            Some(n) => pairs.push((o, n)),
            None => old_left.push(o),
        }
    }
    let mut new_left: Vec<T> = new_left.into_iter().flatten().collect();
    old_left.sort_by_key(&arity);
    new_left.sort_by_key(&arity);
    let n = old_left.len().min(new_left.len());
    let rest_old = old_left.split_off(n);
    let rest_new = new_left.split_off(n);
    pairs.extend(old_left.into_iter().zip(new_left));
    (pairs, rest_old, rest_new)
}

/// Groups the unmatched items of both sides by name and pairs the names that kept no match.
/// Returns (paired, removed, added), each in a stable order.
fn match_by_name<'a, T>(
    old_unmatched: Vec<&'a T>,
    new_unmatched: Vec<&'a T>,
    names_with_match: &HashSet<&str>,
    name: impl Fn(&T) -> &str,
    arity: impl Fn(&T) -> usize + Copy,
) -> (Vec<(&'a T, &'a T)>, Vec<&'a T>, Vec<&'a T>) {
    let mut by_name: BTreeMap<&str, (Vec<&T>, Vec<&T>)> = BTreeMap::new();
    for o in old_unmatched {
        by_name.entry(name(o)).or_default().0.push(o);
    }
    for n in new_unmatched {
        by_name.entry(name(n)).or_default().1.push(n);
    }
    let (mut paired, mut removed, mut added) = (Vec::new(), Vec::new(), Vec::new());
    for (key, (olds, news)) in by_name {
        if names_with_match.contains(key) || olds.is_empty() || news.is_empty() {
            removed.extend(olds);
            added.extend(news);
            continue;
        }
        let (p, r, a) = pair_overloads(olds, news, |t| arity(t));
        paired.extend(p);
        removed.extend(r);
        added.extend(a);
    }
    (paired, removed, added)
}

/// Reports what [`match_by_name`] returned: each pair as `changed`, the rest as `removed` and
/// `added` (`kinds` in that order). `id` gives an item's signature and its hex selector or
/// topic; `paired_detail` gives a pair's detail, from the new item.
fn report_unmatched<T>(
    (paired, removed, added): (Vec<(&T, &T)>, Vec<&T>, Vec<&T>),
    [changed, removed_kind, added_kind]: [Kind; 3],
    id: impl Fn(&T) -> (String, String),
    paired_detail: impl Fn(&T) -> String,
    out: &mut Vec<Change>,
) {
    for (o, n) in paired {
        let ((sig, key), (new_sig, _)) = (id(o), id(n));
        let change = Change::of(changed, &sig).selector(key).old(sig).new(new_sig);
        out.push(change.detail(paired_detail(n)));
    }
    for o in removed {
        let (sig, key) = id(o);
        out.push(Change::of(removed_kind, &sig).selector(key).old(sig));
    }
    for n in added {
        let (sig, key) = id(n);
        out.push(Change::of(added_kind, &sig).selector(key).new(sig));
    }
}

/// Diffs functions; returns the selectors that no longer exist (for the fallback rule).
fn diff_functions(old: &[Func<'_>], new: &[Func<'_>], out: &mut Vec<Change>) -> Vec<Selector> {
    let new_by_sel: HashMap<Selector, &Func<'_>> = new.iter().map(|f| (f.selector(), f)).collect();
    let mut matched = HashSet::new();
    let mut names_with_match = HashSet::new();
    let mut old_unmatched = Vec::new();
    for f in old {
        match new_by_sel.get(&f.selector()) {
            Some(g) if g.name == f.name => {
                names_with_match.insert(f.name.as_str());
                matched.insert(f.selector());
                compare_functions(f, g, out);
            }
            // Same selector, other name: a collision across versions; the old one is gone.
            _ => old_unmatched.push(f),
        }
    }
    let new_unmatched: Vec<&Func<'_>> =
        new.iter().filter(|g| !matched.contains(&g.selector())).collect();
    let (paired, removed, added) = match_by_name(
        old_unmatched,
        new_unmatched,
        &names_with_match,
        |f: &Func<'_>| f.name.as_str(),
        |f: &Func<'_>| f.inputs.len(),
    );
    let gone = paired.iter().map(|(o, _)| o).chain(&removed).map(|o| o.selector()).collect();
    report_unmatched(
        (paired, removed, added),
        [Kind::FunctionSignatureChanged, Kind::FunctionRemoved, Kind::FunctionAdded],
        |f| (f.signature(), selector_hex(&f.selector())),
        |n| format!("to {}", selector_hex(&n.selector())),
        out,
    );
    gone
}

fn compare_functions(o: &Func<'_>, n: &Func<'_>, out: &mut Vec<Change>) {
    if o.item == n.item {
        return;
    }
    let sig = o.signature();
    let sel = selector_hex(&o.selector());
    let (old_out, new_out) = (canonical_types(&o.outputs), canonical_types(&n.outputs));
    let outputs_changed = old_out != new_out;
    if outputs_changed {
        out.push(
            Change::of(Kind::FunctionOutputsChanged, &sig).selector(&sel).old(old_out).new(new_out),
        );
    }
    if o.state_mutability != n.state_mutability {
        let breaks = mutability_breaks(o.state_mutability, n.state_mutability);
        let detail = if breaks {
            match o.state_mutability {
                StateMutability::Payable => "calls that send value now revert",
                _ => "callers that use staticcall or eth_call semantics now revert",
            }
        } else {
            ""
        };
        let c = Change::of(Kind::FunctionMutabilityChanged, &sig)
            .selector(&sel)
            .old(mutability_str(o.state_mutability))
            .new(mutability_str(n.state_mutability))
            .detail(detail);
        out.push(if breaks { c } else { c.with_severity(Severity::Info) });
    }
    let mut names = Vec::new();
    renames(&o.inputs, &n.inputs, "", "input", &mut names);
    if !outputs_changed {
        renames(&o.outputs, &n.outputs, "", "output", &mut names);
    }
    if !names.is_empty() {
        let full = |f: &Function| {
            let mut s = format!("{}({})", f.name, named_list(&f.inputs));
            if !f.outputs.is_empty() {
                s.push_str(&format!(" returns ({})", named_list(&f.outputs)));
            }
            s
        };
        out.push(
            Change::of(Kind::FunctionParamRenamed, &sig)
                .selector(sel)
                .old(full(o.item))
                .new(full(n.item))
                .detail(names.join("; ")),
        );
    }
}

/// `Transfer(address indexed from,address indexed to,uint256 value)`.
fn event_full(e: &Event) -> String {
    let params: Vec<_> = e
        .inputs
        .iter()
        .map(|p| {
            let mut s = named_type(&p.ty, &p.components);
            if p.indexed {
                s.push_str(" indexed");
            }
            if !p.name.is_empty() {
                s.push(' ');
                s.push_str(&p.name);
            }
            s
        })
        .collect();
    let mut s = format!("{}({})", e.name, params.join(","));
    if e.anonymous {
        s.push_str(" anonymous");
    }
    s
}

/// `Transfer(address indexed,address indexed,uint256)`: types and flags, no names.
fn event_indexed_form(e: &Event) -> String {
    let params: Vec<_> = e
        .inputs
        .iter()
        .map(|p| {
            let ty = event_param_type(p);
            if p.indexed { format!("{ty} indexed") } else { ty }
        })
        .collect();
    format!("{}({})", e.name, params.join(","))
}

fn event_param_type(p: &EventParam) -> String {
    p.selector_type().into_owned()
}

fn as_params(ps: &[EventParam]) -> Vec<Param> {
    ps.iter()
        .map(|p| Param {
            ty: p.ty.clone(),
            name: p.name.clone(),
            components: p.components.clone(),
            internal_type: p.internal_type.clone(),
        })
        .collect()
}

fn diff_events(old: &[Ev<'_>], new: &[Ev<'_>], out: &mut Vec<Change>) {
    type Key = (B256, bool);
    let key = |e: &Ev<'_>| (e.selector(), e.anonymous);
    fn dedup<'s, 'a>(events: &'s [Ev<'a>]) -> Vec<&'s Ev<'a>> {
        let mut seen = HashSet::new();
        events.iter().filter(|e| seen.insert((e.selector(), e.anonymous))).collect()
    }
    let (olds, news) = (dedup(old), dedup(new));
    let new_by_key: HashMap<Key, &Ev<'_>> = news.iter().map(|e| (key(e), *e)).collect();
    let old_keys: HashSet<Key> = olds.iter().map(|e| key(e)).collect();
    let mut names_with_match = HashSet::new();
    let mut old_unmatched = Vec::new();
    for o in &olds {
        match new_by_key.get(&key(o)) {
            Some(n) => {
                names_with_match.insert(o.name.as_str());
                compare_events(o, n, out);
            }
            None => old_unmatched.push(*o),
        }
    }
    let mut new_unmatched: Vec<&Ev<'_>> =
        news.iter().copied().filter(|n| !old_keys.contains(&key(n))).collect();
    // Same signature, other `anonymous` flag.
    old_unmatched.retain(|o| {
        let Some(i) = new_unmatched.iter().position(|n| n.selector() == o.selector()) else {
            return true;
        };
        let n = new_unmatched.remove(i);
        names_with_match.insert(o.name.as_str());
        let flag = |a: bool| if a { "anonymous" } else { "not anonymous" };
        out.push(
            Change::of(Kind::EventAnonymousChanged, o.signature())
                .selector(topic_hex(&o.selector()))
                .old(flag(o.anonymous))
                .new(flag(n.anonymous)),
        );
        false
    });
    let (paired, removed, added) = match_by_name(
        old_unmatched,
        new_unmatched,
        &names_with_match,
        |e: &Ev<'_>| e.name.as_str(),
        |e: &Ev<'_>| e.inputs.len(),
    );
    report_unmatched(
        (paired, removed, added),
        [Kind::EventSignatureChanged, Kind::EventRemoved, Kind::EventAdded],
        |e| (e.signature(), topic_hex(&e.selector())),
        |_| String::new(),
        out,
    );
}

fn compare_events(o: &Ev<'_>, n: &Ev<'_>, out: &mut Vec<Change>) {
    if o.item == n.item {
        return;
    }
    let sig = o.signature();
    let topic = topic_hex(&o.selector());
    let flags = |e: &Ev<'_>| e.inputs.iter().map(|p| p.indexed).collect::<Vec<_>>();
    if flags(o) != flags(n) {
        out.push(
            Change::of(Kind::EventIndexedChanged, &sig)
                .selector(&topic)
                .old(event_indexed_form(o.item))
                .new(event_indexed_form(n.item)),
        );
    }
    let mut names = Vec::new();
    renames(&as_params(&o.inputs), &as_params(&n.inputs), "", "parameter", &mut names);
    if !names.is_empty() {
        out.push(
            Change::of(Kind::EventParamRenamed, &sig)
                .selector(topic)
                .old(event_full(o.item))
                .new(event_full(n.item))
                .detail(names.join("; ")),
        );
    }
}

fn diff_errors(old: &[ErrSig<'_>], new: &[ErrSig<'_>], out: &mut Vec<Change>) {
    fn dedup<'s, 'a>(errors: &'s [ErrSig<'a>]) -> Vec<&'s ErrSig<'a>> {
        let mut seen = HashSet::new();
        errors.iter().filter(|e| seen.insert(e.selector())).collect()
    }
    let (olds, news) = (dedup(old), dedup(new));
    let new_sels: HashSet<Selector> = news.iter().map(|e| e.selector()).collect();
    let old_sels: HashSet<Selector> = olds.iter().map(|e| e.selector()).collect();
    let mut names_with_match = HashSet::new();
    let mut old_unmatched = Vec::new();
    for o in &olds {
        if new_sels.contains(&o.selector()) {
            names_with_match.insert(o.name.as_str());
        } else {
            old_unmatched.push(*o);
        }
    }
    let new_unmatched: Vec<&ErrSig<'_>> =
        news.iter().copied().filter(|n| !old_sels.contains(&n.selector())).collect();
    let (paired, removed, added) = match_by_name(
        old_unmatched,
        new_unmatched,
        &names_with_match,
        |e: &ErrSig<'_>| e.name.as_str(),
        |e: &ErrSig<'_>| e.inputs.len(),
    );
    report_unmatched(
        (paired, removed, added),
        [Kind::ErrorSignatureChanged, Kind::ErrorRemoved, Kind::ErrorAdded],
        |e| (e.signature(), selector_hex(&e.selector())),
        |_| String::new(),
        out,
    );
}

/// The constructor: its parameter types and payability, or that the contract became (or
/// stopped being) abstract.
fn diff_constructor(old: Interface<'_>, new: Interface<'_>, out: &mut Vec<Change>) {
    let (oc, nc) = (constructor(old.abi), constructor(new.abi));
    if oc == nc {
        return;
    }
    let change = Change::of(Kind::ConstructorChanged, &oc).old(&oc);
    out.push(match (&old.abi.constructor, &new.abi.constructor) {
        (Some(_), None) if new.is_abstract => change.detail(format!(
            "`{oc}` is gone: the contract became abstract (its artifact has no creation bytecode)"
        )),
        (Some(_), None) => change.new(&nc).detail(format!(
            "`{oc}` is not in the new ABI (a contract without one is deployed with `{nc}`)"
        )),
        (None, Some(_)) if old.is_abstract => {
            change.new(&nc).detail(format!("`{nc}` is new: the contract is no longer abstract"))
        }
        _ => change.new(&nc).detail(format!("changed from `{oc}` to `{nc}`")),
    });
}

/// The constructor's canonical form, `constructor()` when the ABI has none.
fn constructor(abi: &JsonAbi) -> String {
    match &abi.constructor {
        Some(c) => {
            let payable =
                if c.state_mutability == StateMutability::Payable { " payable" } else { "" };
            let types: Vec<_> = c.inputs.iter().map(|p| p.selector_type().into_owned()).collect();
            format!("constructor({}){payable}", types.join(","))
        }
        None => "constructor()".to_owned(),
    }
}

/// Fallback and receive.
fn diff_special(old: &JsonAbi, new: &JsonAbi, gone: &[Selector], out: &mut Vec<Change>) {
    match (&old.fallback, &new.fallback) {
        (Some(_), None) => {
            out.push(Change::of(Kind::FallbackRemoved, "fallback()"));
        }
        (None, Some(_)) => {
            let c = Change::of(Kind::FallbackAdded, "fallback()");
            let c = if gone.is_empty() {
                c
            } else {
                let sels: Vec<_> = gone.iter().map(selector_hex).collect();
                c.detail(format!(
                    "calls to the removed selector(s) {} now run it instead of reverting",
                    sels.join(", ")
                ))
                .with_severity(Severity::Warning)
            };
            out.push(c);
        }
        (Some(o), Some(n)) if o.state_mutability != n.state_mutability => {
            let breaks = mutability_breaks(o.state_mutability, n.state_mutability);
            let c = Change::of(Kind::FunctionMutabilityChanged, "fallback()")
                .old(mutability_str(o.state_mutability))
                .new(mutability_str(n.state_mutability))
                .detail(if breaks { "calls that send value to it now revert" } else { "" });
            out.push(if breaks { c } else { c.with_severity(Severity::Info) });
        }
        _ => {}
    }
    match (&old.receive, &new.receive) {
        (Some(_), None) => {
            let c = Change::of(Kind::ReceiveRemoved, "receive()");
            // A payable fallback takes the empty calldata of plain transfers: they still land
            // (OpenZeppelin 5 dropped `Proxy`'s receive as redundant), but in other code.
            out.push(match &new.fallback {
                Some(f) if f.state_mutability == StateMutability::Payable => c
                    .aside("plain transfers now run the payable fallback")
                    .with_severity(Severity::Warning),
                _ => c,
            });
        }
        (None, Some(_)) => {
            out.push(Change::of(Kind::ReceiveAdded, "receive()"));
        }
        _ => {}
    }
}

/// Function/error pairs of one ABI with one selector and different signatures:
/// `(selector, (what, signature), (what, signature))`, `what` being `function` or `error`.
type Collision = (Selector, (&'static str, String), (&'static str, String));

fn collision_pairs(functions: &[Func<'_>], errors: &[ErrSig<'_>]) -> Vec<Collision> {
    let mut by_sel: BTreeMap<Selector, BTreeSet<(&'static str, &str)>> = BTreeMap::new();
    for f in functions {
        by_sel.entry(f.selector()).or_default().insert(("function", &f.sig));
    }
    for e in errors {
        by_sel.entry(e.selector()).or_default().insert(("error", &e.sig));
    }
    by_sel.retain(|_, sigs| sigs.len() > 1);
    let mut pairs = Vec::new();
    for (sel, sigs) in by_sel {
        let sigs: Vec<_> = sigs.into_iter().collect();
        for (i, a) in sigs.iter().enumerate() {
            for b in &sigs[i + 1..] {
                pairs.push((sel, (a.0, a.1.to_owned()), (b.0, b.1.to_owned())));
            }
        }
    }
    pairs
}

/// Collisions in the new ABI that the old one did not have.
fn collisions(
    old_fns: &[Func<'_>],
    old_errs: &[ErrSig<'_>],
    new_fns: &[Func<'_>],
    new_errs: &[ErrSig<'_>],
    out: &mut Vec<Change>,
) {
    let before: HashSet<_> = collision_pairs(old_fns, old_errs).into_iter().collect();
    for pair in collision_pairs(new_fns, new_errs) {
        if before.contains(&pair) {
            continue;
        }
        let (sel, (what_a, a), (what_b, b)) = pair;
        out.push(
            Change::of(Kind::SelectorCollision, a)
                .selector(selector_hex(&sel))
                .new(b)
                .detail(format!("in the new ABI ({what_a} and {what_b})")),
        );
    }
}

/// Proxy functions whose selector equals an implementation function's with another
/// signature: the proxy answers and the implementation's function is unreachable.
pub fn proxy_collisions(
    proxy: &JsonAbi,
    proxy_path: &Path,
    implementation: &JsonAbi,
    out: &mut Vec<Change>,
) {
    let proxy_by_sel: HashMap<Selector, &Function> =
        proxy.functions().map(|f| (f.selector(), f)).collect();
    for f in implementation.functions() {
        let Some(p) = proxy_by_sel.get(&f.selector()) else { continue };
        if p.signature() == f.signature() {
            continue;
        }
        out.push(
            Change::of(Kind::SelectorCollision, f.signature())
                .selector(selector_hex(&f.selector()))
                .new(p.signature())
                .aside(format!(
                    "the proxy {} answers it: the implementation's function is unreachable through the proxy",
                    proxy_path.display()
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abi(items: &str) -> JsonAbi {
        serde_json::from_str(&format!("[{items}]")).unwrap()
    }

    #[test]
    fn a_constructor_that_leaves_the_abi_is_not_a_change_to_constructor() {
        let ctor = r#"{"type":"constructor","inputs":[{"name":"n","type":"string"}],"stateMutability":"nonpayable"}"#;
        let (with, without) = (abi(ctor), abi(""));
        let message = |old: Interface<'_>, new: Interface<'_>| {
            let mut out = Vec::new();
            diff_abi(old, new, &mut out);
            out.into_iter().map(|c| c.message).collect::<Vec<_>>()
        };
        let side = |abi, is_abstract| Interface { abi, is_abstract };
        assert_eq!(
            message(side(&with, false), side(&without, true)),
            [
                "the constructor `constructor(string)` is gone: the contract became abstract (its artifact has no creation bytecode)"
            ]
        );
        assert_eq!(
            message(side(&with, false), side(&without, false)),
            [
                "the constructor `constructor(string)` is not in the new ABI (a contract without one is deployed with `constructor()`)"
            ]
        );
        assert_eq!(
            message(side(&without, true), side(&with, false)),
            ["the constructor `constructor(string)` is new: the contract is no longer abstract"]
        );
    }

    fn kinds(old: &str, new: &str) -> Vec<(Kind, Severity, String)> {
        let mut out = Vec::new();
        diff_abi(&abi(old), &abi(new), &mut out);
        out.into_iter().map(|c| (c.kind, c.severity, c.item)).collect()
    }

    const F_U: &str = r#"{"type":"function","name":"f","inputs":[{"name":"a","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"}"#;
    const F_UU: &str = r#"{"type":"function","name":"f","inputs":[{"name":"a","type":"uint256"},{"name":"b","type":"uint256"}],"outputs":[],"stateMutability":"nonpayable"}"#;
    const F_A: &str = r#"{"type":"function","name":"f","inputs":[{"name":"a","type":"address"}],"outputs":[],"stateMutability":"nonpayable"}"#;
    const F_UA: &str = r#"{"type":"function","name":"f","inputs":[{"name":"a","type":"uint256"},{"name":"b","type":"address"}],"outputs":[],"stateMutability":"nonpayable"}"#;

    #[test]
    fn a_receive_removed_beside_a_payable_fallback_is_a_warning() {
        const RECEIVE: &str = r#"{"type":"receive","stateMutability":"payable"}"#;
        let fallback = |m: &str| format!(r#"{{"type":"fallback","stateMutability":"{m}"}}"#);
        let (payable, nonpayable) = (fallback("payable"), fallback("nonpayable"));
        let removed = |old: &str, new: &str| {
            let mut out = Vec::new();
            diff_abi(&abi(old), &abi(new), &mut out);
            out.into_iter()
                .filter(|c| c.kind == Kind::ReceiveRemoved)
                .map(|c| (c.severity, c.message))
                .collect::<Vec<_>>()
        };
        // OpenZeppelin's Proxy 4.9 -> 5.0: plain transfers now reach the payable fallback.
        assert_eq!(
            removed(&[RECEIVE, &payable].join(","), &payable),
            [(
                Severity::Warning,
                "the receive function was removed (plain transfers now run the payable fallback)"
                    .to_owned()
            )]
        );
        for new in ["", nonpayable.as_str()] {
            assert_eq!(
                removed(RECEIVE, new),
                [(Severity::Breaking, "the receive function was removed".to_owned())]
            );
        }
    }

    #[test]
    fn identical_abis_have_no_change() {
        let all = [F_U, F_UU].join(",");
        assert!(kinds(&all, &all).is_empty());
    }

    #[test]
    fn one_overload_changed_while_another_kept_is_removed_plus_added() {
        let got = kinds(&[F_U, F_UU].join(","), &[F_U, F_UA].join(","));
        assert_eq!(
            got,
            vec![
                (Kind::FunctionRemoved, Severity::Breaking, "f(uint256,uint256)".into()),
                (Kind::FunctionAdded, Severity::Info, "f(uint256,address)".into()),
            ]
        );
    }

    #[test]
    fn overloads_pair_by_arity_when_none_kept_its_selector() {
        let got = kinds(&[F_U, F_UU].join(","), &[F_A, F_UA].join(","));
        assert_eq!(
            got,
            vec![
                (Kind::FunctionSignatureChanged, Severity::Breaking, "f(uint256)".into()),
                (Kind::FunctionSignatureChanged, Severity::Breaking, "f(uint256,uint256)".into()),
            ]
        );
    }

    #[test]
    fn an_added_parameter_is_a_signature_change() {
        let got = kinds(F_U, F_UU);
        assert_eq!(
            got,
            vec![(Kind::FunctionSignatureChanged, Severity::Breaking, "f(uint256)".into())]
        );
    }

    #[test]
    fn struct_field_rename_is_info_and_field_type_change_is_a_signature_change() {
        let s = |field: &str, ty: &str| {
            format!(
                r#"{{"type":"function","name":"g","inputs":[{{"name":"o","type":"tuple","components":[{{"name":"{field}","type":"{ty}"}}]}}],"outputs":[],"stateMutability":"nonpayable"}}"#
            )
        };
        assert_eq!(
            kinds(&s("amount", "uint256"), &s("value", "uint256")),
            vec![(Kind::FunctionParamRenamed, Severity::Info, "g((uint256))".into())]
        );
        assert_eq!(
            kinds(&s("amount", "uint256"), &s("amount", "uint128")),
            vec![(Kind::FunctionSignatureChanged, Severity::Breaking, "g((uint256))".into())]
        );
    }

    #[test]
    fn mutability_severity_follows_the_catalog() {
        use StateMutability::*;
        assert!(mutability_breaks(View, NonPayable));
        assert!(mutability_breaks(Pure, Payable));
        assert!(mutability_breaks(Payable, NonPayable));
        assert!(mutability_breaks(Payable, View));
        assert!(!mutability_breaks(NonPayable, Payable));
        assert!(!mutability_breaks(NonPayable, View));
        assert!(!mutability_breaks(View, Pure));
    }
}
