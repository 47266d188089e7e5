//! Where V1 keeps its records, as `molt init` finds them: enumerations (`count()` with
//! `get(uint)`, paired by name) and keyed getters (`get(address...)`, public mapping getters)
//! with the event whose logs carry their keys.

use alloy::{
    dyn_abi::{DynSolType, Specifier},
    json_abi::{Event, Function, JsonAbi},
};
use molt_abi::Artifact;

use super::{
    names::{noun, words},
    shape::{Field, is_key_type, is_view, output_record},
};

/// A V1 getter that yields records.
#[derive(Debug, Clone)]
pub(super) struct Source {
    /// The index of its contract among the old artifacts.
    pub(super) contract: usize,
    /// The getter.
    pub(super) get: Function,
    /// Whether records are enumerated or looked up by key.
    pub(super) kind: SourceKind,
    /// The fields the getter returns.
    pub(super) record: Vec<Field>,
    /// What the getter is about (`getNodeAt` → `node`).
    pub(super) noun: String,
}

/// How a source's records are reached.
#[derive(Debug, Clone)]
pub(super) enum SourceKind {
    /// `get(first + i)` for `i < count()`; `count` is `None` when no count view pairs with it.
    Enumerable {
        /// The count view.
        count: Option<Function>,
    },
    /// `get(key...)` for every key.
    Keyed {
        /// The key parts, in the getter's argument order.
        parts: Vec<KeyPart>,
        /// Where the keys come from.
        keys: Keys,
    },
}

/// One part of a key.
#[derive(Debug, Clone)]
pub(super) struct KeyPart {
    /// Its name: the event argument it is read from, else the getter's parameter name (may be
    /// empty for public mapping getters).
    pub(super) name: String,
    /// Its type.
    pub(super) ty: DynSolType,
}

/// Where the keys of a keyed source come from.
#[derive(Debug, Clone)]
pub(super) enum Keys {
    /// The logs of an event, one argument per key part.
    Event {
        /// The event.
        event: Event,
        /// The event arguments holding the key parts, in the getter's argument order.
        args: Vec<String>,
        /// Other events that would do as well (the draft asks which).
        alternatives: Vec<String>,
    },
    /// No event of the contract carries them.
    Unknown,
}

impl Source {
    /// Whether records are enumerated by index.
    pub(super) fn is_enumerable(&self) -> bool {
        matches!(self.kind, SourceKind::Enumerable { .. })
    }

    /// The key parts of a keyed source (none for an enumeration).
    pub(super) fn key_parts(&self) -> &[KeyPart] {
        match &self.kind {
            SourceKind::Keyed { parts, .. } => parts,
            SourceKind::Enumerable { .. } => &[],
        }
    }

    /// How a map rule names key part `i`: `$key` for a single-part key, `$key.<i>` otherwise.
    pub(super) fn key_ref(&self, i: usize) -> String {
        if self.key_parts().len() == 1 { "$key".into() } else { format!("$key.{i}") }
    }
}

/// Functions whose arguments look like keys but that are access control or introspection.
const NOT_RECORDS: &[&str] = &[
    "supportsInterface",
    "hasRole",
    "getRoleAdmin",
    "getRoleMember",
    "getRoleMemberCount",
    "allowance",
];

/// Every record source of the old contracts.
pub(super) fn sources(old: &[Artifact]) -> Vec<Source> {
    let mut out = Vec::new();
    for (contract, a) in old.iter().enumerate() {
        let views: Vec<&Function> = a
            .abi
            .functions()
            .filter(|f| is_view(f) && !NOT_RECORDS.contains(&f.name.as_str()))
            .collect();
        let counts: Vec<&Function> = views.iter().copied().filter(|f| is_count(f)).collect();
        for f in &views {
            let Some(record) = output_record(f) else { continue };
            let Some(types) = key_types(f) else { continue };
            let noun = noun(&f.name);
            let by_index = types.len() == 1 && matches!(types[0], DynSolType::Uint(_));
            let count = by_index.then(|| pair_count(&noun, &counts)).flatten();
            let keys = key_event(&a.abi, f, &types);
            let kind = match (by_index, count, keys) {
                (true, Some(c), _) => SourceKind::Enumerable { count: Some(c.clone()) },
                (true, None, None) => SourceKind::Enumerable { count: None },
                (_, _, keyed) => {
                    let (parts, keys) =
                        keyed.unwrap_or_else(|| (unnamed_parts(f, &types), Keys::Unknown));
                    SourceKind::Keyed { parts, keys }
                }
            };
            out.push(Source { contract, get: (*f).clone(), kind, record, noun });
        }
    }
    out
}

/// A view taking nothing and returning one unsigned integer.
fn is_count(f: &Function) -> bool {
    f.inputs.is_empty() && f.outputs.len() == 1 && f.outputs[0].ty.starts_with("uint")
}

/// The argument types of a getter when all of them can be keys (and it takes at least one).
fn key_types(f: &Function) -> Option<Vec<DynSolType>> {
    if f.inputs.is_empty() {
        return None;
    }
    let types: Vec<DynSolType> =
        f.inputs.iter().map(|p| p.resolve().ok()).collect::<Option<_>>()?;
    types.iter().all(is_key_type).then_some(types)
}

/// The count view about the same records as a `get(uint)` getter (`getTotalNodes` for
/// `getNodeAt`, `getJobCount` for `getJob`, `epochCount` for `epochs`).
fn pair_count<'a>(noun: &str, counts: &[&'a Function]) -> Option<&'a Function> {
    let mut found = counts.iter().copied().filter(|c| super::names::noun(&c.name) == noun);
    let first = found.next()?;
    // Prefer a name that says it counts (`getJobCount` rather than a `job()` constant).
    let counting = |f: &Function| {
        words(&f.name)
            .iter()
            .any(|w| ["count", "total", "length", "len", "num", "number"].contains(&w.as_str()))
    };
    if counting(first) { Some(first) } else { found.find(|f| counting(f)).or(Some(first)) }
}

/// Key parts named after the getter's parameters (for keys with no event).
fn unnamed_parts(f: &Function, types: &[DynSolType]) -> Vec<KeyPart> {
    f.inputs
        .iter()
        .zip(types)
        .map(|(p, ty)| KeyPart { name: p.name.clone(), ty: ty.clone() })
        .collect()
}

/// Event names that say a record was created (its key appears for the first time).
const CREATES: &[&str] = &[
    "register", "creat", "add", "open", "stak", "deposit", "post", "borrow", "mint", "join",
    "list", "suppl", "initiali", "new", "lock", "issu", "start",
];
/// Event names that say a record was removed or left (its key appeared before).
const REMOVES: &[&str] = &[
    "un", "withdr", "remov", "delet", "cancel", "repa", "burn", "exit", "clos", "liquidat",
    "transfer", "paus",
];

/// How well an event fits a getter's key: compared field by field, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct EventFit {
    /// Key parts matched to an argument of the same name.
    by_name: usize,
    /// The event's indexed arguments are exactly the key parts.
    indexed_is_key: bool,
    /// Its name says a record was created.
    creates: bool,
    /// Its name does not say a record was removed.
    not_removal: bool,
}

/// The event whose logs carry a getter's keys, with the key parts named after its arguments.
fn key_event(abi: &JsonAbi, f: &Function, types: &[DynSolType]) -> Option<(Vec<KeyPart>, Keys)> {
    let mut fits: Vec<(EventFit, &Event, Vec<usize>)> = abi
        .events()
        .filter(|e| !e.anonymous)
        .filter_map(|e| {
            let (args, by_name) = assign_args(e, f, types)?;
            let indexed: Vec<usize> =
                (0..e.inputs.len()).filter(|&i| e.inputs[i].indexed).collect();
            let mut sorted = args.clone();
            sorted.sort_unstable();
            let ws = words(&e.name);
            let removes = ws.iter().any(|w| REMOVES.iter().any(|r| w.starts_with(r)));
            let creates = !removes && ws.iter().any(|w| CREATES.iter().any(|c| w.starts_with(c)));
            let fit = EventFit {
                by_name,
                indexed_is_key: sorted == indexed,
                creates,
                not_removal: !removes,
            };
            Some((fit, e, args))
        })
        .collect();
    fits.sort_by_key(|f| std::cmp::Reverse(f.0));
    let (best, event, args) = fits.first()?.clone();
    let alternatives =
        fits[1..].iter().filter(|(fit, ..)| *fit == best).map(|(_, e, _)| e.name.clone()).collect();
    let parts = args
        .iter()
        .zip(types)
        .map(|(&a, ty)| KeyPart { name: event.inputs[a].name.clone(), ty: ty.clone() })
        .collect();
    let args = args.iter().map(|&a| event.inputs[a].name.clone()).collect();
    Some((parts, Keys::Event { event: event.clone(), args, alternatives }))
}

/// Assigns each getter argument a distinct event argument of its type: the one of the same
/// name, else the only one of that type, else the only indexed one. Returns the argument
/// indices and how many matched by name, or `None` when some argument has no unambiguous
/// counterpart (or an event argument has no name).
fn assign_args(e: &Event, f: &Function, types: &[DynSolType]) -> Option<(Vec<usize>, usize)> {
    let arg_types: Vec<Option<DynSolType>> = e.inputs.iter().map(|p| p.resolve().ok()).collect();
    let mut taken = vec![false; e.inputs.len()];
    let mut out = Vec::new();
    let mut by_name = 0;
    for (p, ty) in f.inputs.iter().zip(types) {
        let free: Vec<usize> = (0..e.inputs.len())
            .filter(|&i| {
                !taken[i] && arg_types[i].as_ref() == Some(ty) && !e.inputs[i].name.is_empty()
            })
            .collect();
        let named =
            free.iter().copied().find(|&i| !p.name.is_empty() && e.inputs[i].name == p.name);
        let indexed: Vec<usize> = free.iter().copied().filter(|&i| e.inputs[i].indexed).collect();
        let pick = match (named, free.as_slice(), indexed.as_slice()) {
            (Some(i), ..) => {
                by_name += 1;
                i
            }
            (None, [only], _) | (None, _, [only]) => *only,
            _ => return None,
        };
        taken[pick] = true;
        out.push(pick);
    }
    Some((out, by_name))
}
