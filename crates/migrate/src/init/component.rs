//! Pairing V2 batch-import functions with V1 record sources, and drafting each component's
//! key, filter, dropped fields, read-back (`verify`: the getter, its digest and count) and
//! the components it depends on.

use alloy::json_abi::Function;
use molt_abi::Artifact;

use super::{
    fields::{Mapping, plan},
    names::{noun, same_noun, singular, split_version, words},
    shape::{Field, fits, import_record, is_view, output_record},
    sources::{Keys, Source, SourceKind},
};

/// A V2 batch import function: one argument, an array of structs.
#[derive(Debug, Clone)]
pub(super) struct Import {
    /// The index of its contract among the new artifacts.
    pub(super) contract: usize,
    /// The function.
    pub(super) function: Function,
    /// The struct it takes.
    pub(super) record: Vec<Field>,
}

/// The draft of one `[[component]]`.
#[derive(Debug, Clone)]
pub(super) struct Component {
    /// Its name (from the import function: `batchMigrateNodes` → `nodes`).
    pub(super) name: String,
    /// The V1 source, when one pairs with the import.
    pub(super) source: Option<Source>,
    /// The V2 import.
    pub(super) import: Import,
    /// How the import struct is built from the source record.
    pub(super) mapping: Option<Mapping>,
    /// How records are read back.
    pub(super) verify: Option<Verify>,
    /// The import fields that identify a record.
    pub(super) key: Vec<String>,
    /// A proposed filter (`field`, predicate text), with its question.
    pub(super) filter: Option<(String, String)>,
    /// The components to migrate first, each with the import field that refers to its
    /// records (`reserves`, `reserveId`).
    pub(super) depends_on: Vec<(String, String)>,
    /// What the draft could not decide, component-wide.
    pub(super) todos: Vec<String>,
}

/// The draft of a component's `verify`.
#[derive(Debug, Clone)]
pub(super) struct Verify {
    /// The V2 getter.
    pub(super) get: Function,
    /// The import fields passed as its arguments.
    pub(super) args: Vec<String>,
    /// Import field = getter output, where the names differ.
    pub(super) map: Vec<(String, String)>,
    /// The running digest view.
    pub(super) digest: Option<String>,
    /// The import count view.
    pub(super) count: Option<String>,
}

/// Every batch import function of the new contracts.
pub(super) fn imports(new: &[Artifact]) -> Vec<Import> {
    let mut out = Vec::new();
    for (contract, a) in new.iter().enumerate() {
        for f in a.abi.functions() {
            if let Some(record) = import_record(f) {
                out.push(Import { contract, function: f.clone(), record });
            }
        }
    }
    out
}

/// Pairs each import with the V1 source that fits it best (each source serves one import),
/// then drafts the components in the order of the imports.
pub(super) fn components(
    old: &[Artifact],
    new: &[Artifact],
    sources: &[Source],
    imports: Vec<Import>,
) -> Vec<Component> {
    let mut scored: Vec<(u32, usize, usize, Mapping)> = Vec::new();
    for (i, imp) in imports.iter().enumerate() {
        for (s, src) in sources.iter().enumerate() {
            let mapping = plan(&imp.record, src);
            if mapping.score < 2 {
                continue;
            }
            let mut score = mapping.score;
            if same_noun(&noun(&imp.function.name), &src.noun) {
                score += 3;
            }
            if split_version(&old[src.contract].name).0 == split_version(&new[imp.contract].name).0
            {
                score += 2;
            }
            if src.is_enumerable() {
                score += 1;
            }
            scored.push((score, i, s, mapping));
        }
    }
    // Best first; ties keep the order of the imports and sources.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut chosen: Vec<Option<(usize, Mapping)>> = vec![None; imports.len()];
    let mut taken = vec![false; sources.len()];
    for (_, i, s, mapping) in scored {
        if chosen[i].is_none() && !taken[s] {
            taken[s] = true;
            chosen[i] = Some((s, mapping));
        }
    }
    let mut names = Vec::new();
    let mut out: Vec<Component> = imports
        .into_iter()
        .zip(chosen)
        .map(|(imp, pick)| {
            let name = unique(component_name(&imp.function.name), &mut names);
            let pick = pick.map(|(s, m)| (sources[s].clone(), m));
            component(name, imp, pick, new)
        })
        .collect();
    shared_digests(&mut out);
    dependencies(&mut out);
    out
}

/// Each component whose import struct has a field `<record>Id` (`reserveId`) named after the
/// records of another component (`reserves`) depends on it: those are migrated first, so the
/// target knows every record referred to. A dependency that would close a cycle is left out.
fn dependencies(components: &mut [Component]) {
    for i in 0..components.len() {
        for field in components[i].import.record.iter().map(|f| f.name.clone()) {
            let Some(j) = referred(components, &field).filter(|&j| j != i) else { continue };
            let name = components[j].name.clone();
            let known = components[i].depends_on.iter().any(|(d, _)| *d == name);
            if !known && !depends(components, j, &components[i].name) {
                components[i].depends_on.push((name, field));
            }
        }
    }
}

/// The component whose records a field `<record>Id` names (`reserveId` → `reserves`).
fn referred(components: &[Component], field: &str) -> Option<usize> {
    let ws = words(field);
    let (last, record) = ws.split_last()?;
    if last != "id" || record.is_empty() {
        return None;
    }
    let record = singular(&record.join(" "));
    components.iter().position(|c| singular(&c.name) == record)
}

/// Whether the component `from` depends on `on`, directly or through others.
fn depends(components: &[Component], from: usize, on: &str) -> bool {
    components[from].depends_on.iter().any(|(d, _)| {
        d == on
            || components
                .iter()
                .position(|c| &c.name == d)
                .is_some_and(|k| depends(components, k, on))
    })
}

/// `batchMigrateNodes` → `nodes`: the last word of the import function.
fn component_name(import: &str) -> String {
    words(import).pop().unwrap_or_else(|| "records".into())
}

fn unique(name: String, taken: &mut Vec<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

/// One component, from its import and (when one was found) its source and mapping.
fn component(
    name: String,
    import: Import,
    pick: Option<(Source, Mapping)>,
    new: &[Artifact],
) -> Component {
    let mut todos = Vec::new();
    let target = &new[import.contract];
    let Some((source, mapping)) = pick else {
        todos.push(format!(
            "no V1 getter returns records like the struct `{}` takes: name the source (`count` and `get`, or `get` and `keys`; docs/manifest.md)",
            import.function.name
        ));
        let key = import.record.first().map(|f| vec![f.name.clone()]).unwrap_or_default();
        return Component {
            name,
            source: None,
            import,
            mapping: None,
            verify: None,
            key,
            filter: None,
            depends_on: Vec::new(),
            todos,
        };
    };
    source_todos(&source, &mut todos);
    let verify = verify(target, &import, &mapping, &name);
    let key = match &verify {
        Some(v) => v.args.clone(),
        None => {
            todos.push(format!(
                "no view of `{}` takes import fields and returns the rest of a record: name the getter that reads one back (`verify = {{ get, args }}`) and the key fields",
                target.name
            ));
            import.record.first().map(|f| vec![f.name.clone()]).unwrap_or_default()
        }
    };
    if let Some(v) = &verify
        && v.digest.is_none()
    {
        todos.push(format!(
            "no digest view of `{}` for these records was recognised: name it (`verify.digest`, and `verify.count`), or leave it out to compare read-backs only",
            target.name
        ));
    }
    let filter = proposed_filter(&source, &mapping);
    Component {
        name,
        source: Some(source),
        import,
        mapping: Some(mapping),
        verify,
        key,
        filter,
        depends_on: Vec::new(),
        todos,
    }
}

/// What a source leaves open: a count view not found, keys that no event carries, several
/// events that carry them.
fn source_todos(source: &Source, todos: &mut Vec<String>) {
    match &source.kind {
        SourceKind::Enumerable { count: None } => todos.push(format!(
            "no view counts the records of `{}(uint256)`: name it (`count`), or give the keys another way (docs/manifest.md)",
            source.get.name
        )),
        SourceKind::Keyed { keys: Keys::Unknown, .. } => todos.push(format!(
            "no event of V1 carries the keys of `{}`: list them in a file (`keys = {{ file = \"keys.json\" }}`) or take them from another component (`keys = {{ component, field }}`)",
            source.get.signature()
        )),
        SourceKind::Keyed { keys: Keys::Event { event, alternatives, .. }, .. } if !alternatives.is_empty() => {
            todos.push(format!(
                "the keys are read from the `{}` logs; {} carry them too: which event is emitted for every record?",
                event.name,
                alternatives.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        _ => {}
    }
}

/// A filter worth asking about: event keys include deleted entries, which read as zeros.
fn proposed_filter(source: &Source, mapping: &Mapping) -> Option<(String, String)> {
    let SourceKind::Keyed { keys: Keys::Event { event, .. }, .. } = &source.kind else {
        return None;
    };
    let field = source
        .record
        .iter()
        .find(|f| {
            matches!(f.ty, alloy::dyn_abi::DynSolType::Uint(_))
                && !mapping.unused.iter().any(|u| u.name == f.name)
        })
        .or_else(|| source.record.first())?;
    Some((
        format!("{{ field = \"{}\", nonzero = true }}", field.name),
        format!(
            "keys come from every `{}` log, and an entry deleted since reads as zeros: this filter skips those; keep it if a live record never has `{}` = 0",
            event.name, field.name
        ),
    ))
}

/// The V2 view that reads a record back: it takes import fields (of their exact types) and
/// returns the others (by name, through a V1 rename, or as unnamed outputs in order).
fn verify(
    target: &Artifact,
    import: &Import,
    mapping: &Mapping,
    component: &str,
) -> Option<Verify> {
    let mut candidates: Vec<(i32, Verify)> = target
        .abi
        .functions()
        .filter(|f| is_view(f) && !f.inputs.is_empty())
        .filter_map(|f| readback(f, import, mapping))
        .map(|v| {
            let about = same_noun(&noun(&v.get.name), &singular(component)) as i32;
            (about * 10 - v.map.len() as i32, v)
        })
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    let (_, mut v) = candidates.into_iter().next()?;
    let (digest, count) = digest_and_count(target, component);
    v.digest = digest;
    v.count = count;
    Some(v)
}

/// `f` as the read-back getter of `import`'s records, if it can be.
fn readback(f: &Function, import: &Import, mapping: &Mapping) -> Option<Verify> {
    use alloy::dyn_abi::Specifier;
    let mut args = Vec::new();
    for p in &f.inputs {
        let field = import.record.iter().find(|r| r.name == p.name)?;
        if p.resolve().ok()? != field.ty {
            return None;
        }
        args.push(field.name.clone());
    }
    let out = output_record(f)?;
    let mut used = vec![false; out.len()];
    let mut map = Vec::new();
    let mut pending = Vec::new();
    for field in &import.record {
        if let Some(o) = out.iter().position(|o| o.name == field.name) {
            if !fits(&out[o].ty, &field.ty) {
                return None;
            }
            used[o] = true;
        } else if let Some(o) = mapping
            .renamed_from(&field.name)
            .and_then(|s| out.iter().position(|o| o.name == s && fits(&o.ty, &field.ty)))
        {
            used[o] = true;
            map.push((field.name.clone(), out[o].name.clone()));
        } else if !args.contains(&field.name) {
            pending.push(field);
        }
    }
    // The rest from unnamed outputs (`_0`, ...), in order.
    for field in pending {
        let o = (0..out.len())
            .find(|&o| !used[o] && out[o].name.starts_with('_') && fits(&out[o].ty, &field.ty))?;
        used[o] = true;
        map.push((field.name.clone(), out[o].name.clone()));
    }
    Some(Verify { get: f.clone(), args, map, digest: None, count: None })
}

/// Words of a digest or count view's name that say nothing about which records.
const DIGEST_WORDS: &[&str] =
    &["import", "imported", "migration", "migrated", "digest", "state", "running", "count"];

/// Words of which one names a count view (`reservesImported`, `positionsCount`,
/// `importedLoans`, `numMigratedJobs`).
const COUNT_WORDS: &[&str] = &["count", "imported", "migrated", "num", "number", "total"];

/// What a digest or count view is about: its words but [`DIGEST_WORDS`] and [`COUNT_WORDS`],
/// in the singular (`reservesDigest`, `reservesImported` → `reserve`; `importDigest` → ``).
fn view_about(name: &str) -> String {
    words(name)
        .iter()
        .filter(|w| !DIGEST_WORDS.contains(&w.as_str()) && !COUNT_WORDS.contains(&w.as_str()))
        .map(|w| singular(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The digest view of a component's records on the target (`<set>Digest` for the component,
/// else the contract's one `importDigest`), and its count view ([`count_view`]).
fn digest_and_count(target: &Artifact, component: &str) -> (Option<String>, Option<String>) {
    let views: Vec<&Function> = target
        .abi
        .functions()
        .filter(|f| is_view(f) && f.inputs.is_empty() && f.outputs.len() == 1)
        .collect();
    let digests: Vec<&Function> = views
        .iter()
        .copied()
        .filter(|f| f.outputs[0].ty == "bytes32" && words(&f.name).iter().any(|w| w == "digest"))
        .collect();
    let own: Vec<&Function> =
        digests.iter().copied().filter(|f| view_about(&f.name) == singular(component)).collect();
    let generic: Vec<&Function> =
        digests.iter().copied().filter(|f| view_about(&f.name).is_empty()).collect();
    let digest = match (own.as_slice(), generic.as_slice()) {
        ([one], _) | ([], [one]) => *one,
        _ => return (None, None),
    };
    (Some(digest.name.clone()), count_view(&views, &digest.name))
}

/// The count view that goes with a digest view: the one named like it (`importDigest` →
/// `importCount`), else the only unsigned view about the same records with a count word in
/// its name (`reservesDigest` → `reservesImported`, `reserveCount`, `importedReserves`).
fn count_view(views: &[&Function], digest: &str) -> Option<String> {
    let counts: Vec<&Function> =
        views.iter().copied().filter(|f| f.outputs[0].ty.starts_with("uint")).collect();
    let named = digest.replace("Digest", "Count").replace("digest", "count");
    if let Some(f) = counts.iter().find(|f| f.name == named) {
        return Some(f.name.clone());
    }
    let about = view_about(digest);
    let counting: Vec<&Function> = counts
        .into_iter()
        .filter(|f| words(&f.name).iter().any(|w| COUNT_WORDS.contains(&w.as_str())))
        .filter(|f| view_about(&f.name) == about)
        .collect();
    match counting.as_slice() {
        [one] => Some(one.name.clone()),
        _ => None,
    }
}

/// Components of one target contract that resolved to the same digest view: the records of
/// both fold into it, which the manifest has to say.
fn shared_digests(components: &mut [Component]) {
    let digest_of = |c: &Component| {
        c.verify.as_ref().and_then(|v| v.digest.clone()).map(|d| (c.import.contract, d))
    };
    let keys: Vec<Option<(usize, String)>> = components.iter().map(digest_of).collect();
    for i in 0..components.len() {
        let Some(k) = &keys[i] else { continue };
        let others: Vec<String> = (0..components.len())
            .filter(|&j| j != i && keys[j].as_ref() == Some(k))
            .map(|j| format!("`{}`", components[j].name))
            .collect();
        if !others.is_empty() {
            components[i].todos.push(format!(
                "`{}` folds the records of this component and of {} together: in every component but the first migrated, replace `digest` and `count` with `digest_shared_with = \"<that first component>\"` (docs/manifest.md, the state hashes), or name a digest of these records only",
                k.1,
                others.join(", ")
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component named `name` whose import struct has the uint256 fields `fields`.
    fn importing(name: &str, fields: &[&str]) -> Component {
        let record = fields
            .iter()
            .map(|f| Field {
                name: (*f).into(),
                ty: alloy::dyn_abi::DynSolType::Uint(256),
                internal: None,
                members: None,
            })
            .collect();
        let function = Function::parse(&format!("function import_{name}()")).unwrap();
        Component {
            name: name.into(),
            source: None,
            import: Import { contract: 0, function, record },
            mapping: None,
            verify: None,
            key: Vec::new(),
            filter: None,
            depends_on: Vec::new(),
            todos: Vec::new(),
        }
    }

    #[test]
    fn a_field_naming_another_components_records_is_a_dependency_without_cycles() {
        let mut cs = [
            importing("loans", &["reserveId", "id", "principal"]),
            importing("reserves", &["id", "loanId"]),
            importing("accounts", &["accountId", "reserveId", "tierId"]),
        ];
        dependencies(&mut cs);
        let deps = |c: &Component| c.depends_on.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>();
        assert_eq!(cs[0].depends_on, [("reserves".to_owned(), "reserveId".to_owned())]);
        // `reserves.loanId` would close a cycle; its own id and unknown records are not
        // dependencies.
        assert!(deps(&cs[1]).is_empty());
        assert_eq!(deps(&cs[2]), ["reserves"]);
    }

    fn views(signatures: &[&str]) -> Vec<Function> {
        signatures.iter().map(|s| Function::parse(s).unwrap()).collect()
    }

    #[test]
    fn finds_the_count_view_of_a_digest_by_its_usual_names() {
        let count = |sigs: &[&str], digest: &str| {
            let fs = views(sigs);
            count_view(&fs.iter().collect::<Vec<_>>(), digest)
        };
        let named = ["function importCount() view returns (uint256)"];
        assert_eq!(count(&named, "importDigest").as_deref(), Some("importCount"));
        for name in ["reservesImported", "reserveCount", "importedReserves", "numMigratedReserves"]
        {
            let sig = format!("function {name}() view returns (uint64)");
            assert_eq!(count(&[&sig], "reservesDigest").as_deref(), Some(name), "{name}");
        }
        // Not a count word, another record set, not a number, or two candidates: none.
        for sigs in [
            &["function nextReserveId() view returns (uint256)"][..],
            &["function loansImported() view returns (uint256)"],
            &["function reservesImported() view returns (bool)"],
            &[
                "function reservesImported() view returns (uint256)",
                "function reserveCount() view returns (uint256)",
            ],
        ] {
            assert_eq!(count(sigs, "reservesDigest"), None, "{sigs:?}");
        }
    }
}
