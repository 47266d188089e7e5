//! Storage-layout comparison.
//!
//! Types are resolved into AST-id-free shapes (`t_struct(Node)2768_storage` and
//! `t_struct(Node)3011_storage` compare by members), variables are aligned by an edit
//! distance that prefers keeping labels, then renames of equal shapes, then deletions and
//! insertions: an insert in the middle is one `storage_variable_inserted`, and the variables it
//! shifts are not reported again. `__gap` arrays may shrink by exactly the slots the new
//! variables before them take.

use std::{
    collections::{HashMap, HashSet},
    path::Path,
};

use alloy::primitives::U256;

use super::{Change, Kind, Severity};
use crate::storage::{StorageEntry, StorageLayout};

/// A storage type without AST ids or contract qualifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// An elementary value type (`uint256`, `address`, `bytes32`, ...).
    Value {
        label: String,
        bytes: u64,
    },
    /// A contract or interface type (stored as an address).
    Contract(String),
    /// An enum.
    Enum {
        name: String,
        bytes: u64,
        /// The members in order, when the artifact has an AST.
        members: Option<Vec<String>>,
    },
    /// `string` or `bytes`.
    Bytes(String),
    Mapping(Box<Self>, Box<Self>),
    DynArray(Box<Self>),
    StaticArray {
        base: Box<Self>,
        len: u64,
    },
    Struct {
        name: String,
        members: Vec<Var>,
    },
    /// A struct that refers to itself (through a mapping or an array), by name.
    Recursive(String),
    /// A type id missing from the `types` table.
    Unknown(String),
}

/// A state variable or struct member with its resolved type.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Var {
    label: String,
    slot: U256,
    offset: u32,
    bytes: u64,
    type_label: String,
    shape: Shape,
    /// `@custom:oz-renamed-from`: the name it had in the old version.
    renamed_from: Option<String>,
    /// `@custom:oz-retyped-from`: the type it had in the old version, as written.
    retyped_from: Option<String>,
}

impl Var {
    /// First byte, counting 32 per slot.
    fn start(&self) -> U256 {
        self.slot * U256::from(32) + U256::from(self.offset)
    }

    fn end(&self) -> U256 {
        self.start() + U256::from(self.bytes.max(1))
    }

    fn same_place(&self, other: &Self) -> bool {
        self.slot == other.slot && self.offset == other.offset
    }

    fn is_gap(&self) -> bool {
        self.label.starts_with("__gap") && matches!(self.shape, Shape::StaticArray { .. })
    }

    fn slots(&self) -> u64 {
        self.bytes.div_ceil(32)
    }
}

fn short_name(label: &str, prefix: &str) -> String {
    let rest = label.strip_prefix(prefix).unwrap_or(label);
    rest.rsplit('.').next().unwrap_or(rest).to_owned()
}

fn parse_u64(s: &str) -> u64 {
    s.parse().unwrap_or(0)
}

fn resolve(layout: &StorageLayout, id: &str, stack: &mut Vec<String>) -> Shape {
    let types = &layout.types;
    let Some(t) = types.get(id) else { return Shape::Unknown(id.to_owned()) };
    let bytes = parse_u64(&t.number_of_bytes);
    let sub = |id: &Option<String>, stack: &mut Vec<String>| match id {
        Some(id) => resolve(layout, id, stack),
        None => Shape::Unknown(t.label.clone()),
    };
    match t.encoding.as_str() {
        "mapping" => Shape::Mapping(Box::new(sub(&t.key, stack)), Box::new(sub(&t.value, stack))),
        "dynamic_array" => Shape::DynArray(Box::new(sub(&t.base, stack))),
        "bytes" => Shape::Bytes(t.label.clone()),
        _ => {
            if let Some(members) = &t.members {
                let name = short_name(&t.label, "struct ");
                if stack.iter().any(|s| s == id) {
                    return Shape::Recursive(name);
                }
                stack.push(id.to_owned());
                let members = members.iter().map(|m| var(layout, m, stack)).collect();
                stack.pop();
                Shape::Struct { name, members }
            } else if t.base.is_some() {
                let len = t
                    .label
                    .rsplit_once('[')
                    .and_then(|(_, n)| n.strip_suffix(']'))
                    .map_or(0, parse_u64);
                Shape::StaticArray { base: Box::new(sub(&t.base, stack)), len }
            } else if t.label.starts_with("contract ") {
                Shape::Contract(short_name(&t.label, "contract "))
            } else if t.label.starts_with("enum ") {
                let canonical = t.label.strip_prefix("enum ").unwrap_or(&t.label);
                let members = layout.enums.get(canonical).cloned();
                Shape::Enum { name: short_name(&t.label, "enum "), bytes, members }
            } else {
                Shape::Value { label: t.label.clone(), bytes }
            }
        }
    }
}

fn var(layout: &StorageLayout, e: &StorageEntry, stack: &mut Vec<String>) -> Var {
    let t = layout.types.get(&e.ty);
    let annotation = layout.annotations.get(&e.ast_id);
    Var {
        renamed_from: annotation.and_then(|a| a.renamed_from.clone()),
        retyped_from: annotation.and_then(|a| a.retyped_from.clone()),
        label: e.label.clone(),
        slot: e.slot.parse().unwrap_or_default(),
        offset: e.offset,
        bytes: t.map_or(32, |t| parse_u64(&t.number_of_bytes)),
        type_label: t.map_or_else(|| e.ty.clone(), |t| t.label.clone()),
        shape: resolve(layout, &e.ty, stack),
    }
}

fn vars(layout: &StorageLayout) -> Vec<Var> {
    layout.storage.iter().map(|e| var(layout, e, &mut Vec::new())).collect()
}

/// How two shapes relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Equal,
    /// Equal but for struct member names.
    Renamed,
    /// Reads the old bytes correctly (warning).
    Compatible,
    Incompatible,
}

#[derive(Debug, Default)]
struct Verdict {
    level: Option<Level>,
    notes: Vec<String>,
}

impl Verdict {
    fn level(&self) -> Level {
        self.level.unwrap_or(Level::Equal)
    }

    fn add(&mut self, level: Level, note: String) {
        self.level = Some(self.level().max(level));
        self.notes.push(note);
    }
}

fn describe(s: &Shape) -> String {
    match s {
        Shape::Value { label, .. } | Shape::Bytes(label) => label.clone(),
        Shape::Contract(n) => format!("contract {n}"),
        Shape::Enum { name, .. } => format!("enum {name}"),
        Shape::Mapping(k, v) => format!("mapping({} => {})", describe(k), describe(v)),
        Shape::DynArray(b) => format!("{}[]", describe(b)),
        Shape::StaticArray { base, len } => format!("{}[{len}]", describe(base)),
        Shape::Struct { name, .. } | Shape::Recursive(name) => format!("struct {name}"),
        Shape::Unknown(id) => id.clone(),
    }
}

/// Whether one of two shapes is an address (`address`, `address payable`, a contract type) and
/// the other `uint160`: both are 20 bytes at the same place, and a mapping hashes both keys
/// padded alike.
fn same_twenty_bytes(o: &Shape, n: &Shape) -> bool {
    let is_uint160 = |s: &Shape| matches!(s, Shape::Value { label, .. } if label == "uint160");
    let is_address = |s: &Shape| match s {
        Shape::Value { label, .. } => label == "address" || label == "address payable",
        Shape::Contract(_) => true,
        _ => false,
    };
    (is_address(o) && is_uint160(n)) || (is_uint160(o) && is_address(n))
}

/// Compares shapes. `isolated`: the value starts its own slot and nothing follows it in
/// that storage region (a mapping value), so it may grow.
fn compare(o: &Shape, n: &Shape, isolated: bool, v: &mut Verdict) {
    use Shape::*;
    let is_address = |l: &str| l == "address" || l == "address payable";
    match (o, n) {
        _ if same_twenty_bytes(o, n) => v.add(
            Level::Compatible,
            format!(
                "`{}` and `{}` are the same 20 bytes, read as a number by `uint160`",
                describe(o),
                describe(n)
            ),
        ),
        (Value { label: a, bytes: ab }, Value { label: b, bytes: bb }) => {
            if a == b {
            } else if is_address(a) && is_address(b) {
                v.add(Level::Compatible, format!("`{a}` and `{b}` are stored alike"));
            } else if isolated && a.starts_with("uint") && b.starts_with("uint") && bb >= ab {
                v.add(Level::Compatible, format!("the mapping value grows from `{a}` to `{b}`"));
            } else {
                v.add(Level::Incompatible, format!("`{a}` became `{b}`"));
            }
        }
        (Value { label, .. }, Contract(c)) | (Contract(c), Value { label, .. })
            if is_address(label) =>
        {
            v.add(
                Level::Compatible,
                format!("`{label}` and `contract {c}` are both stored as an address"),
            );
        }
        (Contract(a), Contract(b)) => {
            if a != b {
                v.add(
                    Level::Compatible,
                    format!("`contract {a}` became `contract {b}` (both stored as an address)"),
                );
            }
        }
        (Enum { name: a, bytes: ab, members: am }, Enum { name: b, bytes: bb, members: bm }) => {
            if ab != bb {
                v.add(Level::Incompatible, format!("enum `{a}` became `{b}` of another size"));
            } else {
                compare_enums((a, am.as_deref()), (b, bm.as_deref()), false, v);
            }
        }
        (Enum { name, bytes: 1, .. }, Value { label, .. })
        | (Value { label, .. }, Enum { name, bytes: 1, .. })
            if label == "uint8" =>
        {
            v.add(Level::Compatible, format!("enum `{name}` and `uint8` are stored alike"));
        }
        (Bytes(a), Bytes(b)) => {
            if a != b {
                v.add(Level::Compatible, format!("`{a}` and `{b}` are stored alike"));
            }
        }
        (Mapping(ok, ov), Mapping(nk, nv))
            if matches!((&**ok, &**nk), (Enum { .. }, Enum { .. })) =>
        {
            if let (
                Enum { name: a, bytes: ab, members: am },
                Enum { name: b, bytes: bb, members: bm },
            ) = (&**ok, &**nk)
                && ab == bb
            {
                compare_enums((a, am.as_deref()), (b, bm.as_deref()), true, v);
            } else {
                compare(ok, nk, true, v);
            }
            compare(ov, nv, true, v);
        }
        (Mapping(ok, ov), Mapping(nk, nv)) => {
            // Keys are hashed after padding to 32 bytes, so widening a uint key reads alike.
            compare(ok, nk, true, v);
            compare(ov, nv, true, v);
        }
        (DynArray(a), DynArray(b)) => compare(a, b, false, v),
        (StaticArray { base: a, len: al }, StaticArray { base: b, len: bl }) => {
            if isolated && bl > al {
                v.add(
                    Level::Compatible,
                    format!("the array grows at its end from {al} to {bl} elements, in storage nothing else uses"),
                );
            } else if al != bl {
                v.add(Level::Incompatible, format!("the array length changed from {al} to {bl}"));
            }
            // Elements are contiguous: an element that grows moves every later one.
            compare(a, b, false, v);
        }
        (Struct { name, members: om }, Struct { members: nm, .. }) => {
            compare_members(name, om, nm, isolated, v);
        }
        (Recursive(a), Recursive(b)) if a == b => {}
        _ => v.add(Level::Incompatible, format!("`{}` became `{}`", describe(o), describe(n))),
    }
}

/// Two enums of the same size, `(name, members)`; members are `None` without an AST. A stored
/// enum is its member's index: a member removed, replaced or inserted before the end gives old
/// indexes another meaning (breaking; a warning for a mapping key, `key`, whose entries stay
/// but answer to another member). Members appended at the end are fine.
fn compare_enums(
    o: (&str, Option<&[String]>),
    n: (&str, Option<&[String]>),
    key: bool,
    v: &mut Verdict,
) {
    let ((a, am), (b, bm)) = (o, n);
    let (Some(am), Some(bm)) = (am, bm) else {
        if a != b {
            let note = format!(
                "enum `{a}` became `{b}` of the same size (members not compared: build with ast = true)"
            );
            v.add(Level::Compatible, note);
        }
        return;
    };
    let appended = bm.len() >= am.len() && bm[..am.len()] == *am;
    let renamed = if a == b { String::new() } else { format!(" (it became `{b}`)") };
    if appended {
        if a != b {
            v.add(
                Level::Compatible,
                format!("enum `{a}` became `{b}` of the same size, with the same members first"),
            );
        }
        return;
    }
    let change = format!(
        "the members of enum `{a}` changed from `{}` to `{}`{renamed}",
        am.join(", "),
        bm.join(", ")
    );
    if key {
        v.add(Level::Compatible, format!("{change}: as a mapping key, an entry is stored under its member's index, so entries written for one member are now read through whichever member has that index"));
    } else {
        v.add(
            Level::Incompatible,
            format!(
                "{change}: a stored value is its member's index, which now names another member"
            ),
        );
    }
}

fn compare_members(name: &str, old: &[Var], new: &[Var], isolated: bool, v: &mut Verdict) {
    let ops = align(old, new);
    let gaps = Layouts::new(old, new, &ops).gaps();
    let mut moved = false;
    let last_kept = ops.iter().rposition(|op| !matches!(op, Op::Insert(_)));
    for (k, op) in ops.iter().enumerate() {
        match *op {
            Op::Keep(i, _) if gaps.handled_old.contains(&i) => {}
            Op::Keep(i, j) => {
                // The last member of a struct that is alone in its storage may grow too.
                let last = isolated && i + 1 == old.len() && j + 1 == new.len();
                moved |= !old[i].same_place(&new[j]);
                member_kept(name, &old[i], &new[j], last, v);
            }
            Op::Rename(i, j) => {
                v.add(
                    Level::Renamed,
                    format!("member `{name}.{}` was renamed to `{}`", old[i].label, new[j].label),
                );
            }
            Op::Delete(i) if gaps.handled_old.contains(&i) => {}
            Op::Delete(i) => {
                v.add(Level::Incompatible, format!("member `{name}.{}` was removed", old[i].label))
            }
            Op::Insert(j) if gaps.handled_new.contains(&j) => {}
            Op::Insert(j) => {
                if let Some(how) = gaps.in_gap.get(&j) {
                    v.add(
                        Level::Compatible,
                        format!("member `{name}.{}` was added {how}", new[j].label),
                    );
                    continue;
                }
                let at_end = last_kept.is_none_or(|l| k > l);
                member_inserted(name, &new[j], at_end, isolated, v);
            }
        }
    }
    for misuse in gaps.changes {
        let detail = misuse.detail_text().unwrap_or_default();
        v.add(Level::Incompatible, format!("member storage gap `{name}.{}` {detail}", misuse.item));
    }
    if moved && v.level() < Level::Incompatible {
        v.add(Level::Incompatible, format!("members of `{name}` moved"));
    }
}

/// A member kept under its label: its own type changes, as notes of `v`. `last`: it is the last
/// member of a struct alone in its storage, so it may grow.
fn member_kept(name: &str, o: &Var, n: &Var, last: bool, v: &mut Verdict) {
    let mut sub = Verdict::default();
    compare(&o.shape, &n.shape, last, &mut sub);
    for note in sub.notes {
        let note = if note.starts_with("member ") {
            note
        } else {
            format!("member `{name}.{}`: {note}", o.label)
        };
        v.add(sub.level.unwrap_or(Level::Equal), note);
    }
}

/// A new member `n` of struct `name`: appended (`at_end`) to a struct alone in its storage
/// (`isolated`) it is compatible, anywhere else breaking.
fn member_inserted(name: &str, n: &Var, at_end: bool, isolated: bool, v: &mut Verdict) {
    let label = &n.label;
    if at_end && isolated {
        v.add(
            Level::Compatible,
            format!("member `{name}.{label}` was appended (the mapping value grows at its end)"),
        );
    } else if at_end {
        v.add(
            Level::Incompatible,
            format!(
                "member `{name}.{label}` was appended, which makes `{name}` larger where its size matters"
            ),
        );
    } else {
        v.add(Level::Incompatible, format!("member `{name}.{label}` was inserted"));
    }
}

/// One step of an alignment: indices into old and new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Same label.
    Keep(usize, usize),
    /// Other label, equal shape.
    Rename(usize, usize),
    Delete(usize),
    Insert(usize),
}

/// Edit-distance alignment: keeping a label costs 0, renaming an equal shape at the same slot
/// and offset 3, deleting or inserting 2. A rename beats delete + insert; a variable that moved
/// is never taken for a rename (a swap reads as delete + insert, and a removed variable is not
/// "renamed" to an inserted one further down).
fn align(old: &[Var], new: &[Var]) -> Vec<Op> {
    const RENAME: u32 = 3;
    const INDEL: u32 = 2;
    let (n, m) = (old.len(), new.len());
    let diag = |i: usize, j: usize| -> Option<u32> {
        if old[i].label == new[j].label || new[j].renamed_from.as_ref() == Some(&old[i].label) {
            Some(0)
        } else if old[i].same_place(&new[j])
            && old[i].shape == new[j].shape
            && !old[i].is_gap()
            && !new[j].is_gap()
        {
            Some(RENAME)
        } else {
            None
        }
    };
    // cost[i][j]: aligning old[i..] with new[j..].
    let mut cost = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if i == n {
                INDEL * (m - j) as u32
            } else if j == m {
                INDEL * (n - i) as u32
            } else {
                let mut best = INDEL + cost[i + 1][j].min(cost[i][j + 1]);
                if let Some(d) = diag(i, j) {
                    best = best.min(d + cost[i + 1][j + 1]);
                }
                best
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n.max(m));
    while i < n || j < m {
        if i < n
            && j < m
            && let Some(d) = diag(i, j)
            && d + cost[i + 1][j + 1] == cost[i][j]
        {
            ops.push(if d == 0 { Op::Keep(i, j) } else { Op::Rename(i, j) });
            i += 1;
            j += 1;
            continue;
        }
        if i < n && (j == m || INDEL + cost[i + 1][j] == cost[i][j]) {
            ops.push(Op::Delete(i));
            i += 1;
        } else {
            ops.push(Op::Insert(j));
            j += 1;
        }
    }
    ops
}

/// Where a variable is relative to where it was, in bytes.
fn delta(o: &Var, n: &Var) -> (bool, U256) {
    let (a, b) = (o.start(), n.start());
    if b >= a { (true, b - a) } else { (false, a - b) }
}

/// A variable removed and one of the same type inserted between the same two kept variables,
/// shifted exactly as much as the kept variable before them, is a rename that moved with its
/// neighbours (the shift is reported by whatever caused it). Only the variable *before* counts:
/// the one after has absorbed every insert of the run, so matching it would take a removed
/// variable for the last inserted one.
fn renames_that_moved(mut ops: Vec<Op>, old: &[Var], new: &[Var]) -> Vec<Op> {
    let kept_delta = |op: &Op| match *op {
        Op::Keep(i, j) | Op::Rename(i, j) => Some(delta(&old[i], &new[j])),
        _ => None,
    };
    let mut start = 0;
    while start < ops.len() {
        if kept_delta(&ops[start]).is_some() {
            start += 1;
            continue;
        }
        let end = (start..ops.len()).find(|&k| kept_delta(&ops[k]).is_some()).unwrap_or(ops.len());
        let before = start.checked_sub(1).and_then(|k| kept_delta(&ops[k]));
        for d in start..end {
            let Op::Delete(i) = ops[d] else { continue };
            let partner = (start..end).find(|&k| match ops[k] {
                Op::Insert(j) => {
                    let dj = delta(&old[i], &new[j]);
                    old[i].shape == new[j].shape && !old[i].is_gap() && before == Some(dj)
                }
                _ => false,
            });
            if let Some(k) = partner {
                let Op::Insert(j) = ops[k] else { unreachable!() };
                ops[d] = Op::Rename(i, j);
                ops.remove(k);
                return renames_that_moved(ops, old, new);
            }
        }
        start = end;
    }
    ops
}

fn place(v: &Var) -> String {
    if v.offset == 0 {
        format!("slot {}", v.slot)
    } else {
        format!("slot {} offset {}", v.slot, v.offset)
    }
}

fn overlaps(a: (U256, U256), b: (U256, U256)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Appends every storage change from `old` to `new` to `out`.
pub fn diff_layouts(old: &StorageLayout, new: &StorageLayout, out: &mut Vec<Change>) {
    let (old_vars, new_vars) = (vars(old), vars(new));
    let ops = renames_that_moved(align(&old_vars, &new_vars), &old_vars, &new_vars);
    let layouts = Layouts::new(&old_vars, &new_vars, &ops);
    // Gaps first, so their inserts and their own resize are reported once.
    let gaps = layouts.gaps();
    for (k, op) in ops.iter().enumerate() {
        match *op {
            Op::Keep(i, j) if !gaps.handled_old.contains(&i) => {
                let (o, n) = (&old_vars[i], &new_vars[j]);
                if o.label != n.label {
                    out.push(annotated_rename(o, n));
                }
                out.extend(kept(o, n));
            }
            Op::Rename(i, j) => out.push(renamed(&old_vars[i], &new_vars[j])),
            Op::Delete(i) if !gaps.handled_old.contains(&i) => out.push(removed(&old_vars[i])),
            Op::Insert(j) if !gaps.handled_new.contains(&j) => {
                out.push(layouts.inserted(k, j, gaps.in_gap.get(&j)));
            }
            _ => {}
        }
    }
    out.extend(gaps.changes);
}

/// Appends the changes of the ERC-7201 namespaces of `old` to `new` (each a layout and its
/// file): per namespace id, the members are compared as state variables are (slots relative
/// to the root); a namespace that is gone is breaking, a new one is not reported. When a side
/// has no AST and its namespaces matter, one `storage_namespace_unchecked` says why.
pub fn diff_namespaces(
    old: (&StorageLayout, &Path),
    new: (&StorageLayout, &Path),
    out: &mut Vec<Change>,
) {
    let (Some(o), Some(n)) = (&old.0.namespaces, &new.0.namespaces) else {
        if let Some(why) = unchecked(old, new) {
            out.push(Change::of(Kind::StorageNamespaceUnchecked, "erc7201").aside(why));
        }
        return;
    };
    for (id, ons) in o {
        match n.get(id) {
            Some(nns) => {
                let mut found = Vec::new();
                diff_layouts(&ons.layout, &nns.layout, &mut found);
                out.extend(found.into_iter().map(|c| c.in_namespace(id)));
            }
            None => out.push(
                Change::of(Kind::StorageNamespaceRemoved, id)
                    .old(&ons.struct_name)
                    .aside(format!("its root slot is {}", ons.root)),
            ),
        }
    }
    let mut unresolved: Vec<&str> =
        [old.0, new.0].iter().flat_map(|l| &l.unresolved_bases).map(String::as_str).collect();
    unresolved.sort_unstable();
    unresolved.dedup();
    if !unresolved.is_empty() {
        let names: Vec<_> = unresolved.iter().map(|n| format!("`{n}`")).collect();
        out.push(Change::of(Kind::StorageNamespaceUnchecked, "erc7201").aside(format!(
            "the namespaces of {}, inherited from other files, were not read: no artifact of that name with an AST was found next to this one",
            names.join(", ")
        )));
    }
}

/// Why the namespaces of two layouts, one of them at least without an AST, must be checked by
/// other means; `None` when they cannot matter: the sources say they declare none, or the
/// source is unchanged (same keccak256 in both metadata), or nothing tells (no metadata: a
/// `forge inspect` layout or a trimmed artifact).
fn unchecked(old: (&StorageLayout, &Path), new: (&StorageLayout, &Path)) -> Option<String> {
    let file =
        |p: &Path| p.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let sides = [(old, new), (new, old)];
    for ((layout, path), (other, other_path)) in sides {
        if layout.namespaces.is_some() {
            continue;
        }
        if let Some(ns) = other.namespaces.as_ref().filter(|ns| !ns.is_empty()) {
            let ids: Vec<_> = ns.keys().map(|id| format!("`erc7201:{id}`")).collect();
            return Some(format!(
                "`{}` has no AST; `{}` declares {}",
                file(path),
                file(other_path),
                ids.join(", ")
            ));
        }
    }
    let hints =
        [old, new].map(|(l, p)| (l.namespaces.is_none().then_some(()).and(l.source.as_ref()), p));
    if let [(Some(a), _), (Some(b), _)] = &hints
        && a.keccak256.is_some()
        && a.keccak256 == b.keccak256
    {
        return None;
    }
    for (hint, path) in hints {
        let Some(hint) = hint else { continue };
        match hint.declares_namespace {
            Some(true) => {
                return Some(format!(
                    "`{}` has no AST and its source `{}` declares an ERC-7201 namespace",
                    file(path),
                    hint.path
                ));
            }
            Some(false) => {}
            None => {
                return Some(format!(
                    "`{}` has no AST and its source `{}` could not be read to tell whether it declares an ERC-7201 namespace",
                    file(path),
                    hint.path
                ));
            }
        }
    }
    None
}

/// Two aligned layouts, and what the old one used.
struct Layouts<'a> {
    old: &'a [Var],
    new: &'a [Var],
    ops: &'a [Op],
    /// The byte ranges of the old variables that are not gaps, with their labels.
    old_used: Vec<(U256, U256, &'a str)>,
    /// Where the old layout ends.
    old_end: U256,
}

/// What the gaps decided.
#[derive(Default)]
struct Gaps {
    /// Old variables (gaps) already reported.
    handled_old: HashSet<usize>,
    /// New variables already reported (in a misused gap).
    handled_new: HashSet<usize>,
    /// New variables that fill a gap correctly, with how (`in the space of ...`).
    in_gap: HashMap<usize, String>,
    /// `storage_gap_misused` findings, reported after the others.
    changes: Vec<Change>,
}

impl<'a> Layouts<'a> {
    fn new(old: &'a [Var], new: &'a [Var], ops: &'a [Op]) -> Self {
        let old_used = old
            .iter()
            .filter(|v| !v.is_gap())
            .map(|v| (v.start(), v.end(), v.label.as_str()))
            .collect();
        let old_end = old.iter().map(Var::end).max().unwrap_or_default();
        Self { old, new, ops, old_used, old_end }
    }

    /// Decides every old gap: unchanged, correctly consumed by the new variables in it, or
    /// misused.
    fn gaps(&self) -> Gaps {
        let inserts: Vec<usize> = self
            .ops
            .iter()
            .filter_map(|op| if let Op::Insert(j) = op { Some(*j) } else { None })
            .collect();
        let mut gaps = Gaps::default();
        for (gi, gap) in self.old.iter().enumerate().filter(|(_, v)| v.is_gap()) {
            self.gap(gi, gap, &inserts, &mut gaps);
        }
        gaps
    }

    /// Decides the old gap `gi` (`gap`): `inserts` are the new variables not in the old layout.
    fn gap(&self, gi: usize, gap: &Var, inserts: &[usize], gaps: &mut Gaps) {
        let nv = self.new;
        let range = (gap.start(), gap.end());
        let pair = self.ops.iter().find_map(|op| match *op {
            Op::Keep(i, j) if i == gi => Some(&nv[j]),
            _ => None,
        });
        let taking: Vec<usize> = inserts
            .iter()
            .copied()
            .filter(|&j| overlaps(range, (nv[j].start(), nv[j].end())))
            .collect();
        // Unchanged (a move is the consequence of a change reported elsewhere).
        if pair.is_some_and(|p| p.shape == gap.shape) && taking.is_empty() {
            return;
        }
        let within = taking.iter().all(|&j| {
            nv[j].start() >= range.0
                && nv[j].end() <= range.1
                && !self.old_used.iter().any(|u| overlaps((u.0, u.1), (nv[j].start(), nv[j].end())))
        });
        let taken: u64 = taking.iter().map(|&j| nv[j].slots()).sum();
        let ok = within
            && match pair {
                Some(p) => p.end() == gap.end(),
                // Removed: fine when the new variables take the whole gap.
                None => taken == gap.slots(),
            };
        gaps.handled_old.insert(gi);
        if ok {
            let shrink = match pair {
                Some(p) => format!("which shrank from {} to {} slots", gap.slots(), p.slots()),
                None => "which they replace".to_owned(),
            };
            for &j in &taking {
                gaps.in_gap.insert(j, format!("in the space of `{}` ({shrink})", gap.label));
            }
            return;
        }
        gaps.handled_new.extend(taking.iter().copied());
        gaps.changes.push(self.misused(gap, pair, &taking));
    }

    /// The `storage_gap_misused` finding for `gap`: `pair` is what became of it, `taking` the
    /// new variables in its space. Breaking even when no old variable follows the gap: the
    /// variables of a contract that inherits this one would move.
    fn misused(&self, gap: &Var, pair: Option<&Var>, taking: &[usize]) -> Change {
        let nv = self.new;
        let names: Vec<_> = taking.iter().map(|&j| format!("`{}`", nv[j].label)).collect();
        let taken: u64 = taking.iter().map(|&j| nv[j].slots()).sum();
        let followed = self.old.iter().any(|v| v.start() >= gap.end());
        let change = Change::of(Kind::StorageGapMisused, &gap.label)
            .old(&gap.type_label)
            .detail(gap_misuse(gap, pair, &names, taken, followed));
        match pair {
            Some(p) => change.new(&p.type_label),
            None => change,
        }
    }

    /// Whether the insert at op index `k` shifts what follows: the first kept variable after it
    /// moved (a later insert's shift is that insert's finding).
    fn moved_after(&self, k: usize) -> bool {
        self.ops[k + 1..].iter().find_map(|op| match *op {
            Op::Keep(i, j) | Op::Rename(i, j) => Some(!self.old[i].same_place(&self.new[j])),
            _ => None,
        }) == Some(true)
    }

    /// The new variable `j` (op index `k`): in a gap (`in_gap`), appended after the old layout,
    /// or inserted (breaking when it overlaps old variables or shifts later ones).
    fn inserted(&self, k: usize, j: usize, in_gap: Option<&String>) -> Change {
        let n = &self.new[j];
        let change = |kind| Change::of(kind, &n.label).new(&n.type_label);
        if let Some(how) = in_gap {
            return change(Kind::StorageVariableAppended).detail(format!("at {} {how}", place(n)));
        }
        let range = (n.start(), n.end());
        let hit: Vec<_> = self
            .old_used
            .iter()
            .filter(|u| overlaps((u.0, u.1), range))
            .map(|u| format!("`{}`", u.2))
            .collect();
        let shifts = self.moved_after(k);
        if !hit.is_empty() || shifts {
            let mut why = Vec::new();
            if !hit.is_empty() {
                why.push(format!("it overlaps the old place of {}", hit.join(", ")));
            }
            if shifts {
                why.push("every later variable moves".to_owned());
            }
            change(Kind::StorageVariableInserted).detail(format!(
                "at {}: {}",
                place(n),
                why.join(" and ")
            ))
        } else if range.0 >= self.old_end {
            change(Kind::StorageVariableAppended).detail(format!("at {}", place(n)))
        } else {
            change(Kind::StorageVariableInserted)
                .detail(format!(
                    "at {} in bytes no old variable used; no existing variable moves",
                    place(n)
                ))
                .with_severity(Severity::Warning)
        }
    }
}

/// Why the gap `gap` is misused: `pair` is what became of it, `names` the new variables in
/// it, which take `taken` slots; `followed`: whether old variables come after it.
fn gap_misuse(
    gap: &Var,
    pair: Option<&Var>,
    names: &[String],
    taken: u64,
    followed: bool,
) -> String {
    let slots = gap.slots();
    let moves = if followed {
        ": every later variable moves"
    } else {
        "; no variable follows it here, but those of a contract that inherits this one would move"
    };
    let names = names.join(", ");
    match (pair, names.is_empty()) {
        (Some(p), true) if p.slots() == slots => {
            format!("kept its {slots} slots but its type became `{}`{moves}", p.type_label)
        }
        (Some(p), true) => format!(
            "changed from {slots} to {} slots with no new variable before it{moves}",
            p.slots()
        ),
        (Some(p), false) if p.slots() == slots => format!(
            "kept its {slots} slots, but the new variables before it ({names}) take {taken}{moves}"
        ),
        (Some(p), false) if followed => format!(
            "changed from {slots} to {} slots but the new variables before it ({names}) take {taken}: it must shrink by exactly {taken}",
            p.slots()
        ),
        (Some(p), false) => format!(
            "changed from {slots} to {} slots but the new variables before it ({names}) take {taken}{moves}",
            p.slots()
        ),
        (None, true) => format!("({slots} slots) was removed{moves}"),
        (None, false) => format!(
            "({slots} slots) was removed but the new variables in its place ({names}) take {taken} slot(s){moves}"
        ),
    }
}

/// A variable kept under its label: a type change (breaking, or a warning when
/// layout-compatible), struct members renamed, or nothing.
fn kept(o: &Var, n: &Var) -> Option<Change> {
    let mut v = Verdict::default();
    compare(&o.shape, &n.shape, false, &mut v);
    // "`a` became `b`" for the variable's own types says what the message already does.
    let restated = format!("`{}` became `{}`", o.type_label, n.type_label);
    v.notes.retain(|note| *note != restated);
    let notes = v.notes.join("; ");
    let change = |kind| Change::of(kind, &o.label).old(&o.type_label).new(&n.type_label);
    match v.level() {
        Level::Equal => None,
        Level::Renamed => Some(
            change(Kind::StorageVariableRenamed)
                .detail(format!("keeps its place and type, but {notes}")),
        ),
        Level::Compatible => Some(
            change(Kind::StorageTypeChanged)
                .detail(notes)
                .aside("layout-compatible")
                .with_severity(Severity::Warning),
        ),
        Level::Incompatible => match &n.retyped_from {
            Some(from) => Some(retyped(o, n, from, notes)),
            None => Some(change(Kind::StorageTypeChanged).detail(notes)),
        },
    }
}

/// A variable renamed with `@custom:oz-renamed-from <old>`: said, as info.
fn annotated_rename(o: &Var, n: &Var) -> Change {
    Change::of(Kind::StorageVariableRenamed, &o.label)
        .old(&o.label)
        .new(&n.label)
        .detail(format!(
            "was renamed to `{}` ({}; annotated `@custom:oz-renamed-from {}`)",
            n.label,
            place(n),
            o.label
        ))
        .with_severity(Severity::Info)
}

/// An incompatible type change of a variable annotated `@custom:oz-retyped-from <from>`: the
/// annotation says the new type is meant to read the old values, which molt takes (a warning)
/// only where the layout is unchanged: the annotation names the old type, and the variable
/// keeps its place and size. Otherwise the change stays breaking and says why.
fn retyped(o: &Var, n: &Var, from: &str, notes: String) -> Change {
    let squash = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let names_old = squash(from) == squash(&o.type_label)
        || o.type_label.rsplit(['.', ' ']).next() == Some(from.trim());
    let change =
        Change::of(Kind::StorageTypeChanged, &o.label).old(&o.type_label).new(&n.type_label);
    let tag = format!("`@custom:oz-retyped-from {from}`");
    let and = |why: String| if notes.is_empty() { why } else { format!("{notes}; {why}") };
    if !names_old {
        change.detail(and(format!("{tag} does not name the old type `{}`", o.type_label)))
    } else if !o.same_place(n) || o.bytes != n.bytes {
        change.detail(and(format!(
            "{tag} does not make it compatible: it moved or its size changed from {} to {} bytes",
            o.bytes, n.bytes
        )))
    } else {
        change
            .detail(format!(
                "annotated {tag}, and its place and size are unchanged; check that `{}` reads the old values",
                n.type_label
            ))
            .aside("layout-compatible by annotation")
            .with_severity(Severity::Warning)
    }
}

/// A variable renamed in place, or with the variables around it.
fn renamed(o: &Var, n: &Var) -> Change {
    let detail = if o.same_place(n) {
        format!("was renamed to `{}` ({}, same type)", n.label, place(o))
    } else {
        format!(
            "was renamed to `{}` (same type; it moved from {} to {} with the variables around it)",
            n.label,
            place(o),
            place(n)
        )
    };
    Change::of(Kind::StorageVariableRenamed, &o.label).old(&o.label).new(&n.label).detail(detail)
}

/// A variable that is gone.
fn removed(o: &Var) -> Change {
    Change::of(Kind::StorageVariableRemoved, &o.label)
        .old(&o.type_label)
        .aside(format!("it was at {}", place(o)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `vars`: (label, slot, offset, type id); types: the usual elementary ones plus `extra`.
    fn layout(vars: &[(&str, u32, u32, &str)], extra: &str) -> StorageLayout {
        let storage: Vec<_> = vars
            .iter()
            .map(|(l, s, o, t)| {
                format!(r#"{{"label":"{l}","slot":"{s}","offset":{o},"type":"{t}","contract":"c","astId":1}}"#)
            })
            .collect();
        let mut types = String::from(
            r#""t_uint256":{"encoding":"inplace","label":"uint256","numberOfBytes":"32"},
               "t_uint128":{"encoding":"inplace","label":"uint128","numberOfBytes":"16"},
               "t_address":{"encoding":"inplace","label":"address","numberOfBytes":"20"},
               "t_bool":{"encoding":"inplace","label":"bool","numberOfBytes":"1"},
               "t_array(t_uint256)50_storage":{"encoding":"inplace","label":"uint256[50]","numberOfBytes":"1600","base":"t_uint256"},
               "t_array(t_uint256)49_storage":{"encoding":"inplace","label":"uint256[49]","numberOfBytes":"1568","base":"t_uint256"},
               "t_array(t_uint256)48_storage":{"encoding":"inplace","label":"uint256[48]","numberOfBytes":"1536","base":"t_uint256"}"#,
        );
        if !extra.is_empty() {
            types.push(',');
            types.push_str(extra);
        }
        serde_json::from_str(&format!(
            r#"{{"storage":[{}],"types":{{{types}}}}}"#,
            storage.join(",")
        ))
        .unwrap()
    }

    fn kinds(old: &StorageLayout, new: &StorageLayout) -> Vec<(Kind, Severity, String)> {
        let mut out = Vec::new();
        diff_layouts(old, new, &mut out);
        out.into_iter().map(|c| (c.kind, c.severity, c.item)).collect()
    }

    #[test]
    fn insert_in_the_middle_is_one_finding() {
        let old = layout(
            &[("a", 0, 0, "t_uint256"), ("b", 1, 0, "t_uint256"), ("c", 2, 0, "t_uint256")],
            "",
        );
        let new = layout(
            &[
                ("a", 0, 0, "t_uint256"),
                ("x", 1, 0, "t_uint256"),
                ("b", 2, 0, "t_uint256"),
                ("c", 3, 0, "t_uint256"),
            ],
            "",
        );
        assert_eq!(
            kinds(&old, &new),
            vec![(Kind::StorageVariableInserted, Severity::Breaking, "x".into())]
        );
        assert!(kinds(&old, &old).is_empty());
    }

    #[test]
    fn append_rename_and_gap() {
        let old = layout(
            &[("a", 0, 0, "t_uint256"), ("__gap", 1, 0, "t_array(t_uint256)50_storage")],
            "",
        );
        let ok = layout(
            &[
                ("a", 0, 0, "t_uint256"),
                ("x", 1, 0, "t_uint256"),
                ("y", 2, 0, "t_uint256"),
                ("__gap", 3, 0, "t_array(t_uint256)48_storage"),
            ],
            "",
        );
        assert_eq!(
            kinds(&old, &ok),
            vec![
                (Kind::StorageVariableAppended, Severity::Info, "x".into()),
                (Kind::StorageVariableAppended, Severity::Info, "y".into()),
            ]
        );
        let bad = layout(
            &[
                ("a", 0, 0, "t_uint256"),
                ("x", 1, 0, "t_uint256"),
                ("y", 2, 0, "t_uint256"),
                ("__gap", 3, 0, "t_array(t_uint256)49_storage"),
            ],
            "",
        );
        assert_eq!(
            kinds(&old, &bad),
            vec![(Kind::StorageGapMisused, Severity::Breaking, "__gap".into())]
        );
        let renamed = layout(
            &[("b", 0, 0, "t_uint256"), ("__gap", 1, 0, "t_array(t_uint256)50_storage")],
            "",
        );
        assert_eq!(
            kinds(&old, &renamed),
            vec![(Kind::StorageVariableRenamed, Severity::Warning, "a".into())]
        );
    }

    #[test]
    fn gap_messages_say_what_happened_and_whether_anything_moves() {
        let gap = "t_array(t_uint256)48_storage";
        let misuse = |old: &[(&str, u32, u32, &str)], new: &[(&str, u32, u32, &str)]| {
            let mut out = Vec::new();
            diff_layouts(&layout(old, ""), &layout(new, ""), &mut out);
            out.into_iter().map(|c| (c.kind, c.severity, c.message)).collect::<Vec<_>>()
        };
        let kept_size = misuse(
            &[("a", 0, 0, "t_uint256"), ("__gap", 1, 0, gap), ("b", 49, 0, "t_uint256")],
            &[
                ("a", 0, 0, "t_uint256"),
                ("x", 1, 0, "t_uint256"),
                ("__gap", 2, 0, gap),
                ("b", 50, 0, "t_uint256"),
            ],
        );
        assert_eq!(
            kept_size,
            vec![(
                Kind::StorageGapMisused,
                Severity::Breaking,
                "storage gap `__gap` kept its 48 slots, but the new variables before it (`x`) take 1: every later variable moves".to_owned()
            )]
        );
        let removed = |old: &[(&str, u32, u32, &str)], new: &[(&str, u32, u32, &str)]| {
            let got = misuse(old, new);
            assert_eq!(got.len(), 1, "{got:?}");
            (got[0].1, got[0].2.clone())
        };
        assert_eq!(
            removed(&[("a", 0, 0, "t_uint256"), ("__gap", 1, 0, gap)], &[("a", 0, 0, "t_uint256")]),
            (
                Severity::Breaking,
                "storage gap `__gap` (48 slots) was removed; no variable follows it here, but those of a contract that inherits this one would move"
                    .to_owned()
            )
        );
        assert_eq!(
            removed(
                &[("a", 0, 0, "t_uint256"), ("__gap", 1, 0, gap), ("b", 49, 0, "t_uint256")],
                &[("a", 0, 0, "t_uint256"), ("b", 1, 0, "t_uint256")],
            ),
            (
                Severity::Breaking,
                "storage gap `__gap` (48 slots) was removed: every later variable moves".to_owned()
            )
        );
    }

    #[test]
    fn packing_into_unused_bytes_is_a_warning() {
        let old = layout(&[("a", 0, 0, "t_address"), ("b", 1, 0, "t_uint256")], "");
        let new = layout(
            &[("a", 0, 0, "t_address"), ("f", 0, 20, "t_bool"), ("b", 1, 0, "t_uint256")],
            "",
        );
        assert_eq!(
            kinds(&old, &new),
            vec![(Kind::StorageVariableInserted, Severity::Warning, "f".into())]
        );
    }

    #[test]
    fn a_rename_that_moved_with_its_neighbours_is_a_rename_and_a_removal_is_not() {
        let old = layout(
            &[
                ("a", 0, 0, "t_uint256"),
                ("g", 1, 0, "t_address"),
                ("b", 2, 0, "t_uint256"),
                ("t", 3, 0, "t_uint256"),
            ],
            "",
        );
        // `g` removed (another type than `x`, so not a rename), `x` and `y` inserted, `t` renamed
        // to `total` and shifted by one slot with `b`.
        let new = layout(
            &[
                ("a", 0, 0, "t_uint256"),
                ("x", 1, 0, "t_uint256"),
                ("y", 2, 0, "t_uint256"),
                ("b", 3, 0, "t_uint256"),
                ("total", 4, 0, "t_uint256"),
            ],
            "",
        );
        assert_eq!(
            kinds(&old, &new),
            vec![
                (Kind::StorageVariableRemoved, Severity::Breaking, "g".into()),
                (Kind::StorageVariableInserted, Severity::Breaking, "x".into()),
                (Kind::StorageVariableInserted, Severity::Breaking, "y".into()),
                (Kind::StorageVariableRenamed, Severity::Warning, "t".into()),
            ]
        );
    }

    #[test]
    fn an_address_and_uint160_are_the_same_20_bytes() {
        let extra = r#""t_uint160":{"encoding":"inplace","label":"uint160","numberOfBytes":"20"},
            "t_contract(C)1":{"encoding":"inplace","label":"contract C","numberOfBytes":"20"},
            "t_bytes20":{"encoding":"inplace","label":"bytes20","numberOfBytes":"20"}"#;
        let one = |ty| layout(&[("a", 0, 0, ty)], extra);
        let changes = |o, n| {
            let mut out = Vec::new();
            diff_layouts(&one(o), &one(n), &mut out);
            out.into_iter().map(|c| (c.severity, c.message)).collect::<Vec<_>>()
        };
        for (o, n) in [("t_address", "t_uint160"), ("t_uint160", "t_contract(C)1")] {
            let got = changes(o, n);
            assert!(got.len() == 1 && got[0].0 == Severity::Warning, "{o} -> {n}: {got:?}");
            assert!(got[0].1.contains("the same 20 bytes"), "{got:?}");
        }
        // Another size, or a type outside the table (`bytes20`): breaking, said once.
        assert_eq!(
            changes("t_uint160", "t_uint256"),
            vec![(
                Severity::Breaking,
                "state variable `a` changed type from `uint160` to `uint256`".to_owned()
            )]
        );
        assert_eq!(changes("t_address", "t_bytes20")[0].0, Severity::Breaking);
    }

    /// A struct type `t_struct(S)1_storage` of `members` (label, slot, offset, type id).
    fn struct_type(members: &[(&str, u32, u32, &str)], slots: u32) -> String {
        let members: Vec<_> = members
            .iter()
            .map(|(l, s, o, t)| {
                format!(r#"{{"label":"{l}","slot":"{s}","offset":{o},"type":"{t}","contract":"c","astId":1}}"#)
            })
            .collect();
        format!(
            r#""t_struct(S)1_storage":{{"encoding":"inplace","label":"struct C.S","numberOfBytes":"{}","members":[{}]}}"#,
            slots * 32,
            members.join(",")
        )
    }

    #[test]
    fn a_gap_inside_a_struct_may_shrink_by_what_was_added_before_it() {
        let gap = |n| format!("t_array(t_uint256){n}_storage");
        let (g50, g49, g48) = (gap(50), gap(49), gap(48));
        let one = |members: &[(&str, u32, u32, &str)], slots| {
            layout(&[("s", 0, 0, "t_struct(S)1_storage")], &struct_type(members, slots))
        };
        let old = one(
            &[
                ("a", 0, 0, "t_uint256"),
                ("b", 1, 0, "t_uint256"),
                ("__gap", 2, 0, &g50),
                ("d", 52, 0, "t_uint256"),
            ],
            53,
        );
        let ok = one(
            &[
                ("a", 0, 0, "t_uint256"),
                ("b", 1, 0, "t_uint256"),
                ("c", 2, 0, "t_uint256"),
                ("__gap", 3, 0, &g49),
                ("d", 52, 0, "t_uint256"),
            ],
            53,
        );
        let mut out = Vec::new();
        diff_layouts(&old, &ok, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].severity, Severity::Warning, "{out:?}");
        assert!(
            out[0].message.contains("member `S.c` was added in the space of `__gap`"),
            "{out:?}"
        );
        // The gap shrank by two for one new slot: `d` moves.
        let bad = one(
            &[
                ("a", 0, 0, "t_uint256"),
                ("b", 1, 0, "t_uint256"),
                ("c", 2, 0, "t_uint256"),
                ("__gap", 3, 0, &g48),
                ("d", 51, 0, "t_uint256"),
            ],
            52,
        );
        let mut out = Vec::new();
        diff_layouts(&old, &bad, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].severity, Severity::Breaking, "{out:?}");
        assert!(out[0].message.contains("member storage gap `S.__gap`"), "{out:?}");
        assert!(kinds(&old, &old).is_empty());
    }

    #[test]
    fn an_array_that_is_alone_in_its_storage_may_grow_at_its_end() {
        let extra = r#""t_array(t_uint256)20_storage":{"encoding":"inplace","label":"uint256[20]","numberOfBytes":"640","base":"t_uint256"},
            "t_array(t_uint256)25_storage":{"encoding":"inplace","label":"uint256[25]","numberOfBytes":"800","base":"t_uint256"},
            "t_mapping(t_uint256,t_array(t_uint256)20_storage)":{"encoding":"mapping","label":"mapping(uint256 => uint256[20])","numberOfBytes":"32","key":"t_uint256","value":"t_array(t_uint256)20_storage"},
            "t_mapping(t_uint256,t_array(t_uint256)25_storage)":{"encoding":"mapping","label":"mapping(uint256 => uint256[25])","numberOfBytes":"32","key":"t_uint256","value":"t_array(t_uint256)25_storage"},
            "t_array(t_array(t_uint256)20_storage)dyn_storage":{"encoding":"dynamic_array","label":"uint256[20][]","numberOfBytes":"32","base":"t_array(t_uint256)20_storage"},
            "t_array(t_array(t_uint256)25_storage)dyn_storage":{"encoding":"dynamic_array","label":"uint256[25][]","numberOfBytes":"32","base":"t_array(t_uint256)25_storage"}"#;
        let one = |ty| layout(&[("m", 0, 0, ty)], extra);
        let changes = |o, n| {
            let mut out = Vec::new();
            diff_layouts(&one(o), &one(n), &mut out);
            out.into_iter().map(|c| (c.severity, c.message)).collect::<Vec<_>>()
        };
        let grown = changes(
            "t_mapping(t_uint256,t_array(t_uint256)20_storage)",
            "t_mapping(t_uint256,t_array(t_uint256)25_storage)",
        );
        assert_eq!(grown.len(), 1, "{grown:?}");
        assert_eq!(grown[0].0, Severity::Warning, "{grown:?}");
        assert!(grown[0].1.contains("grows at its end from 20 to 25"), "{grown:?}");
        // Elements of a dynamic array are contiguous: a longer element moves every later one.
        let elements = changes(
            "t_array(t_array(t_uint256)20_storage)dyn_storage",
            "t_array(t_array(t_uint256)25_storage)dyn_storage",
        );
        assert_eq!(elements[0].0, Severity::Breaking, "{elements:?}");
        // A state variable is followed by the variables of inheriting contracts.
        let top = changes("t_array(t_uint256)20_storage", "t_array(t_uint256)25_storage");
        assert_eq!(top[0].0, Severity::Breaking, "{top:?}");
    }

    #[test]
    fn enum_members_are_compared_when_the_ast_gives_them() {
        let extra = r#""t_enum(Status)1":{"encoding":"inplace","label":"enum C.Status","numberOfBytes":"1"},
            "t_mapping(t_enum(Status)1,t_uint256)":{"encoding":"mapping","label":"mapping(enum C.Status => uint256)","numberOfBytes":"32","key":"t_enum(Status)1","value":"t_uint256"}"#;
        let with = |ty, members: &[&str]| {
            let mut l = layout(&[("s", 0, 0, ty)], extra);
            l.enums.insert("C.Status".into(), members.iter().map(|m| m.to_string()).collect());
            l
        };
        let changes = |ty, o: &[&str], n: &[&str]| {
            let mut out = Vec::new();
            diff_layouts(&with(ty, o), &with(ty, n), &mut out);
            out.into_iter().map(|c| (c.severity, c.message)).collect::<Vec<_>>()
        };
        let value = "t_enum(Status)1";
        assert!(changes(value, &["A", "B"], &["A", "B", "C"]).is_empty());
        for new in [&["A"][..], &["A", "C"], &["C", "A", "B"]] {
            let got = changes(value, &["A", "B"], new);
            assert_eq!(got.len(), 1, "{new:?}: {got:?}");
            assert_eq!(got[0].0, Severity::Breaking, "{new:?}: {got:?}");
            assert!(got[0].1.contains("the members of enum `Status` changed"), "{got:?}");
        }
        let key = changes("t_mapping(t_enum(Status)1,t_uint256)", &["A", "B"], &["B", "A"]);
        assert_eq!(key.len(), 1, "{key:?}");
        assert_eq!(key[0].0, Severity::Warning, "{key:?}");
        assert!(key[0].1.contains("as a mapping key"), "{key:?}");
        // Without an AST (no members), an unchanged enum is not reported.
        let bare = |ty| layout(&[("s", 0, 0, ty)], extra);
        assert!(kinds(&bare(value), &bare(value)).is_empty());
    }

    #[test]
    fn namespaces_unchecked_only_when_they_may_matter() {
        use crate::storage::{Namespace, SourceHint, erc7201_slot};
        let hint = |keccak: &str, declares: Option<bool>| {
            let mut l = layout(&[("a", 0, 0, "t_uint256")], "");
            l.source = Some(SourceHint {
                path: "src/A.sol".into(),
                keccak256: Some(keccak.into()),
                declares_namespace: declares,
            });
            l
        };
        let with_ast = |ids: &[&str]| {
            let mut l = layout(&[("a", 0, 0, "t_uint256")], "");
            let ns = ids.iter().map(|id| {
                let ns = Namespace {
                    id: id.to_string(),
                    struct_name: "A.S".into(),
                    root: erc7201_slot(id),
                    layout: layout(&[("x", 0, 0, "t_uint256")], ""),
                };
                (id.to_string(), ns)
            });
            l.namespaces = Some(ns.collect());
            l
        };
        let check = |o: &StorageLayout, n: &StorageLayout| {
            let mut out = Vec::new();
            diff_namespaces((o, Path::new("old.json")), (n, Path::new("new.json")), &mut out);
            out.into_iter().map(|c| (c.kind, c.severity, c.message)).collect::<Vec<_>>()
        };
        let warned = |got: Vec<(Kind, Severity, String)>, why: &str| {
            assert_eq!(got.len(), 1, "{got:?}");
            assert_eq!((got[0].0, got[0].1), (Kind::StorageNamespaceUnchecked, Severity::Warning));
            assert!(got[0].2.contains(why), "{got:?}");
        };
        warned(
            check(&with_ast(&["a.b"]), &hint("1", Some(false))),
            "`old.json` declares `erc7201:a.b`",
        );
        warned(
            check(&hint("1", Some(true)), &hint("2", Some(true))),
            "declares an ERC-7201 namespace",
        );
        warned(check(&hint("1", None), &hint("2", None)), "could not be read");
        // The same source, a source without namespaces, no metadata, or an AST on both sides
        // that declares none: nothing to say.
        assert!(check(&hint("1", None), &hint("1", None)).is_empty());
        assert!(check(&hint("1", Some(false)), &hint("2", Some(false))).is_empty());
        assert!(check(&with_ast(&[]), &hint("2", Some(false))).is_empty());
        let bare = layout(&[("a", 0, 0, "t_uint256")], "");
        assert!(check(&bare, &bare).is_empty());
        // A namespace removed, one added.
        let got = check(&with_ast(&["a.b", "c.d"]), &with_ast(&["c.d", "e.f"]));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (Kind::StorageNamespaceRemoved, Severity::Breaking));
    }

    #[test]
    fn swapped_variables_are_breaking() {
        let old = layout(&[("a", 0, 0, "t_uint256"), ("b", 1, 0, "t_uint256")], "");
        let new = layout(&[("b", 0, 0, "t_uint256"), ("a", 1, 0, "t_uint256")], "");
        let got = kinds(&old, &new);
        assert!(got.iter().all(|c| c.1 == Severity::Breaking) && !got.is_empty(), "{got:?}");
    }
}
