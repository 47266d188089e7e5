//! A component's `source` (enumerable by index, or keyed: one record per key, the keys from
//! events, a file or another component) and its `filter`.

use std::{collections::BTreeSet, path::Path};

use alloy::{
    dyn_abi::{DynSolType, DynSolValue, Specifier},
    json_abi::Event,
};
use molt_chain::logs::{KeySpec, check_spec};
use toml::Spanned;

use super::{
    Component, KeyOrigin, Keys, Predicate, Pseudo, PseudoValue, RecordShape, Records, Source, Test,
    calls::Resolver,
    raw::{RawComponent, RawKeys, RawPredicate, RawSource},
    types::{output_record, param_type, value},
};
use crate::Result;

impl Resolver<'_> {
    /// The source: its getter, how its records are found, and the record `get` returns.
    pub(super) fn source(&self, c: &RawComponent, raw: &[RawComponent]) -> Result<Source> {
        let cx = self.cx;
        let s = &c.source;
        let get = self.function(&s.contract, &s.get)?;
        let record = output_record(&get).map_err(|m| cx.err(s.get.span(), m))?;
        let (records, pseudo) = match (&s.count, &s.keys) {
            (Some(_), Some(keys)) => {
                return Err(cx.err(
                    keys.span(),
                    "a source has either `count` (records by index) or `keys` (records by key), not both",
                ));
            }
            (None, None) => {
                return Err(cx.err(
                    s.get.span(),
                    "the source needs `count = \"<view>\"` (records by index) or `keys = { ... }` (records by key: from an event, a file or another component)",
                ));
            }
            (Some(count), None) => self.enumerated(s, count, &get)?,
            (None, Some(keys)) => self.keyed(c, keys, &get, raw)?,
        };
        Ok(Source { contract: s.contract.get_ref().clone(), get, records, record, pseudo })
    }

    /// `count()` and `get(uint)`: records `first..first + count`.
    fn enumerated(
        &self,
        s: &RawSource,
        count: &Spanned<String>,
        get: &alloy::json_abi::Function,
    ) -> Result<(Records, Vec<Pseudo>)> {
        let cx = self.cx;
        let count_fn = self.function(&s.contract, count)?;
        if !count_fn.inputs.is_empty()
            || count_fn.outputs.len() != 1
            || !count_fn.outputs[0].ty.starts_with("uint")
        {
            return Err(cx.err(
                count.span(),
                format!(
                    "`{}` must take no arguments and return one unsigned integer",
                    count_fn.signature()
                ),
            ));
        }
        if get.inputs.len() != 1 || !get.inputs[0].ty.starts_with("uint") {
            return Err(cx.err(
                s.get.span(),
                format!("`{}` must take one unsigned integer (the index)", get.signature()),
            ));
        }
        let first = s.first.as_ref().map_or(0, |f| *f.get_ref());
        Ok((Records::Enumerated { count: count_fn, first }, vec![index_pseudo()]))
    }

    /// `get(key...)` for every key, and where the keys come from.
    fn keyed(
        &self,
        c: &RawComponent,
        keys: &Spanned<RawKeys>,
        get: &alloy::json_abi::Function,
        raw: &[RawComponent],
    ) -> Result<(Records, Vec<Pseudo>)> {
        let cx = self.cx;
        let s = &c.source;
        if let Some(first) = &s.first {
            return Err(cx.err(
                first.span(),
                "`first` is for sources by index; a keyed source reads one record per key",
            ));
        }
        if get.inputs.is_empty() {
            return Err(cx.err(
                s.get.span(),
                format!(
                    "`{}` takes no arguments; a keyed source's getter takes the key",
                    get.signature()
                ),
            ));
        }
        let types = get
            .inputs
            .iter()
            .map(|p| param_type(p).map_err(|m| cx.err(s.get.span(), m)))
            .collect::<Result<Vec<_>>>()?;
        let k = keys.get_ref();
        let (origin, names) = match (&k.event, &k.file, &k.component) {
            (Some(event), None, None) => self.event_keys(s, k, event, &types, get)?,
            (None, Some(file), None) => {
                if let Some(extra) =
                    k.arg.as_ref().map(|a| a.span()).or(k.from_block.as_ref().map(|b| b.span()))
                {
                    return Err(cx.err(
                        extra,
                        "`keys = { file = ... }` takes no `arg`, `args` or `from_block`",
                    ));
                }
                let path = self.dir.join(file.get_ref());
                let keys = read_keys_file(&path, &types).map_err(|m| {
                    cx.err(file.span(), format!("keys file {}: {m}", path.display()))
                })?;
                (KeyOrigin::File { path, keys }, Vec::new())
            }
            (None, None, Some(component)) => {
                (self.component_keys(c, component, k.field.as_ref(), &types, raw)?, Vec::new())
            }
            _ => {
                return Err(cx.err(
                    keys.span(),
                    "`keys` takes one of `event = \"...\"` (with `arg` or `args`), `file = \"...\"` or `component = \"...\"` (with `field`)",
                ));
            }
        };
        let mut pseudo = vec![index_pseudo()];
        let part = |name: String, n: usize| Pseudo {
            name,
            ty: types[n].clone(),
            value: PseudoValue::KeyPart(n),
        };
        if types.len() == 1 {
            pseudo.push(part("$key".into(), 0));
        }
        for n in 0..types.len() {
            pseudo.push(part(format!("$key.{n}"), n));
        }
        for (n, name) in names.into_iter().enumerate() {
            pseudo.push(part(format!("$key.{name}"), n));
        }
        let at = cx.location(keys.span());
        Ok((Records::Keyed(Keys { types, origin, at }), pseudo))
    }

    /// `keys = { event, arg | args, from_block }`: the event and which of its inputs make a key.
    fn event_keys(
        &self,
        s: &RawSource,
        k: &RawKeys,
        event: &Spanned<String>,
        types: &[DynSolType],
        get: &alloy::json_abi::Function,
    ) -> Result<(KeyOrigin, Vec<String>)> {
        let cx = self.cx;
        if let Some(f) = &k.field {
            return Err(cx.err(f.span(), "`field` goes with `keys = { component = ... }`"));
        }
        let ev = self.event(s, event)?;
        let args: Vec<Spanned<String>> = match (&k.arg, &k.args) {
            (Some(a), None) => vec![a.clone()],
            (None, Some(list)) => {
                list.get_ref().iter().map(|a| Spanned::new(list.span(), a.clone())).collect()
            }
            _ => {
                return Err(cx.err(
                    event.span(),
                    format!(
                        "say which argument of `{}` is the key: `arg = \"<name>\"`, or `args = [...]` for a composite key",
                        ev.name
                    ),
                ));
            }
        };
        if args.len() != types.len() {
            return Err(cx.err(
                args[0].span(),
                format!(
                    "`{}` takes {} argument(s) but the key has {} part(s)",
                    get.signature(),
                    types.len(),
                    args.len()
                ),
            ));
        }
        let mut indices = Vec::new();
        for (a, ty) in args.iter().zip(types) {
            let Some(i) = ev.inputs.iter().position(|p| p.name == *a.get_ref()) else {
                let has: Vec<&str> = ev.inputs.iter().map(|p| p.name.as_str()).collect();
                return Err(cx.err(
                    a.span(),
                    format!(
                        "event `{}` has no argument `{}` (it has: {})",
                        ev.signature(),
                        a.get_ref(),
                        has.join(", ")
                    ),
                ));
            };
            let got = ev.inputs[i].resolve().map_err(|e| cx.err(a.span(), e.to_string()))?;
            if got != *ty {
                return Err(cx.err(
                    a.span(),
                    format!(
                        "`{}` of `{}` is {got}, but `{}` takes {ty} there",
                        a.get_ref(),
                        ev.name,
                        get.signature()
                    ),
                ));
            }
            indices.push(i);
        }
        let spec =
            KeySpec { address: Default::default(), event: ev.clone(), args: indices.clone() };
        check_spec(&spec).map_err(|e| cx.err(event.span(), e.to_string()))?;
        let names = args.iter().map(|a| a.get_ref().clone()).collect();
        let from_block = k.from_block.as_ref().map_or(0, |b| *b.get_ref());
        Ok((KeyOrigin::Event { event: ev, args: indices, from_block }, names))
    }

    /// An event of the source contract, by name (unique) or signature.
    fn event(&self, s: &RawSource, event: &Spanned<String>) -> Result<Event> {
        let cx = self.cx;
        let contract = &self.contracts[s.contract.get_ref()];
        let wanted = event.get_ref().trim();
        let found: Vec<&Event> = if wanted.contains('(') {
            let parsed = Event::parse(wanted).map_err(|e| {
                cx.err(event.span(), format!("`{wanted}` is not an event signature: {e}"))
            })?;
            contract.abi.events().filter(|e| e.selector() == parsed.selector()).collect()
        } else {
            contract.abi.event(wanted).map(|v| v.iter().collect()).unwrap_or_default()
        };
        match found.as_slice() {
            [e] => Ok((*e).clone()),
            [] => {
                let known: Vec<String> = contract.abi.events().map(|e| e.signature()).collect();
                Err(cx.err(
                    event.span(),
                    format!(
                        "contract `{}` ({}) has no event `{wanted}` (its events: {})",
                        contract.name,
                        contract.abi_path.display(),
                        if known.is_empty() { "none".into() } else { known.join(", ") }
                    ),
                ))
            }
            many => Err(cx.err(
                event.span(),
                format!(
                    "`{wanted}` names several events of `{}`; give its signature: {}",
                    contract.name,
                    many.iter().map(|e| e.signature()).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    /// `keys = { component, field }`: a source field of another component.
    fn component_keys(
        &self,
        c: &RawComponent,
        component: &Spanned<String>,
        field: Option<&Spanned<String>>,
        types: &[DynSolType],
        raw: &[RawComponent],
    ) -> Result<KeyOrigin> {
        let cx = self.cx;
        let Some(field) = field else {
            return Err(cx.err(
                component.span(),
                "`keys = { component = ... }` needs `field = \"<source field of that component>\"`",
            ));
        };
        if component.get_ref() == c.name.get_ref() {
            return Err(cx.err(component.span(), "a component cannot take its keys from itself"));
        }
        let Some(other) = raw.iter().find(|r| r.name.get_ref() == component.get_ref()) else {
            return Err(
                cx.err(component.span(), format!("unknown component `{}`", component.get_ref()))
            );
        };
        if other.source.keys.as_ref().is_some_and(|k| k.get_ref().component.is_some()) {
            return Err(cx.err(
                component.span(),
                format!(
                    "`{}` takes its own keys from another component; take them from a component whose keys come from events or a file",
                    component.get_ref()
                ),
            ));
        }
        // Its fields and pseudo-fields (`$key.0` of a composite key, say).
        let shape = self.source(other, raw)?.fields();
        let Some(i) = shape.index(field.get_ref()) else {
            return Err(cx.err(
                field.span(),
                format!(
                    "`{}`'s source records have no field `{}` (they have: {})",
                    component.get_ref(),
                    field.get_ref(),
                    shape.names.join(", ")
                ),
            ));
        };
        if types.len() != 1 || shape.types[i] != types[0] {
            return Err(cx.err(
                field.span(),
                format!(
                    "`{}` is {}, but the getter takes {}",
                    field.get_ref(),
                    shape.types[i],
                    types.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        Ok(KeyOrigin::Component { component: component.get_ref().clone(), field: i })
    }

    /// The filter: every predicate on a source field or pseudo-field.
    pub(super) fn filter(&self, c: &RawComponent, source: &Source) -> Result<Vec<Predicate>> {
        let fields = source.fields();
        c.filter.iter().map(|p| self.predicate(p, source, &fields)).collect()
    }

    fn predicate(
        &self,
        p: &RawPredicate,
        source: &Source,
        fields: &RecordShape,
    ) -> Result<Predicate> {
        let cx = self.cx;
        let field = fields.index(p.field.get_ref()).ok_or_else(|| {
            cx.err(
                p.field.span(),
                format!(
                    "filter field `{}` is not returned by `{}` (fields: {})",
                    p.field.get_ref(),
                    source.get.signature(),
                    fields.names.join(", ")
                ),
            )
        })?;
        let ty = &fields.types[field];
        let values = |list: &Spanned<Vec<toml::Value>>| {
            list.get_ref()
                .iter()
                .map(|v| value(ty, v).map_err(|m| cx.err(list.span(), m)))
                .collect::<Result<Vec<_>>>()
        };
        let flag = |b: &Spanned<bool>, zero: bool| {
            if *b.get_ref() {
                Ok(Test::Zero(zero))
            } else {
                Err(cx.err(b.span(), "write `zero = true` or `nonzero = true` (or leave it out)"))
            }
        };
        let test = match (&p.one_of, &p.not_in, &p.zero, &p.nonzero) {
            (Some(list), None, None, None) => Test::OneOf(values(list)?),
            (None, Some(list), None, None) => Test::NoneOf(values(list)?),
            (None, None, Some(b), None) => flag(b, true)?,
            (None, None, None, Some(b)) => flag(b, false)?,
            _ => {
                return Err(cx.err(
                    p.field.span(),
                    "a filter predicate takes exactly one of `in = [...]`, `not_in = [...]`, `zero = true`, `nonzero = true`",
                ));
            }
        };
        Ok(Predicate { field, test })
    }
}

/// Keyed components take their keys from the components named in `keys = { component }`:
/// those are snapshotted first, so they count as dependencies.
pub(super) fn key_dependencies(components: &mut [Component]) {
    for c in components {
        if let Some(Keys { origin: KeyOrigin::Component { component, .. }, .. }) = c.source.keyed()
            && !c.depends_on.contains(component)
        {
            let component = component.clone();
            c.depends_on.push(component);
        }
    }
}

fn index_pseudo() -> Pseudo {
    Pseudo { name: "$index".into(), ty: DynSolType::Uint(256), value: PseudoValue::Index }
}

/// A keys file: a JSON array (of keys, or of arrays for composite keys), or one key per line
/// (composite keys: parts separated by commas or whitespace; `#` starts a comment). Keys are
/// typed as the getter's inputs and deduplicated, first appearance kept.
pub(crate) fn read_keys_file(
    path: &Path,
    types: &[DynSolType],
) -> std::result::Result<Vec<Vec<DynSolValue>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let parts: Vec<(String, Vec<toml::Value>)> = if text.trim_start().starts_with('[') {
        json_keys(&text, types.len())?
    } else {
        text.lines()
            .enumerate()
            .map(|(n, l)| (n, l.split('#').next().unwrap_or("").trim()))
            .filter(|(_, l)| !l.is_empty())
            .map(|(n, l)| {
                let parts = l
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|p| !p.is_empty())
                    .map(|p| toml::Value::String(p.into()))
                    .collect();
                (format!("line {}", n + 1), parts)
            })
            .collect()
    };
    let mut seen = BTreeSet::new();
    let mut keys = Vec::new();
    for (at, parts) in parts {
        if parts.len() != types.len() {
            return Err(format!(
                "{at} has {} part(s), but the getter takes {} argument(s)",
                parts.len(),
                types.len()
            ));
        }
        let key = parts
            .iter()
            .zip(types)
            .map(|(p, ty)| value(ty, p))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|m| format!("{at}: {m}"))?;
        if seen.insert(DynSolValue::Tuple(key.clone()).abi_encode()) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// The elements of a JSON keys file, each as key parts (TOML values, to type them like the
/// manifest's literals).
fn json_keys(
    text: &str,
    arity: usize,
) -> std::result::Result<Vec<(String, Vec<toml::Value>)>, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let items = v.as_array().ok_or("expected a JSON array of keys")?;
    let part = |at: &str, p: &serde_json::Value| match p {
        serde_json::Value::String(s) => Ok(toml::Value::String(s.clone())),
        serde_json::Value::Number(n) if n.is_u64() || n.is_i64() => {
            Ok(toml::Value::String(n.to_string()))
        }
        serde_json::Value::Bool(b) => Ok(toml::Value::Boolean(*b)),
        other => Err(format!("{at}: {other} is not a key part (write big numbers as strings)")),
    };
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let at = format!("element {n}");
            let parts = match item {
                serde_json::Value::Array(ps) if arity > 1 || ps.len() != 1 => {
                    ps.iter().map(|p| part(&at, p)).collect::<std::result::Result<Vec<_>, _>>()?
                }
                serde_json::Value::Array(ps) => vec![part(&at, &ps[0])?],
                p => vec![part(&at, p)?],
            };
            Ok((at, parts))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(
        text: &str,
        types: &[DynSolType],
    ) -> std::result::Result<Vec<Vec<DynSolValue>>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(&path, text).unwrap();
        read_keys_file(&path, types)
    }

    #[test]
    fn keys_files_are_typed_deduplicated_and_errors_name_the_line_or_element() {
        let (addr, u8t) = (DynSolType::Address, DynSolType::Uint(8));
        let pair = [addr.clone(), DynSolType::Uint(256)];
        let a = "0x00000000000000000000000000000000000000aa";
        let got = keys(&format!("{a}, 1\n{a} 2 # note\n\n{a},1\n"), &pair).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1][1], DynSolValue::Uint(alloy::primitives::U256::from(2), 256));
        let json = keys(&format!(r#"[["{a}", 1], ["{a}", "1"], ["{a}", 3]]"#), &pair).unwrap();
        assert_eq!(json.len(), 2);
        assert_eq!(keys("[7, [8], \"7\"]", std::slice::from_ref(&u8t)).unwrap().len(), 2);

        let err = keys("1\n300\n", std::slice::from_ref(&u8t)).unwrap_err();
        assert!(err.starts_with("line 2: ") && err.contains("300"), "{err}");
        let err = keys("[\"0x12\"]", std::slice::from_ref(&addr)).unwrap_err();
        assert!(err.starts_with("element 0: ") && err.contains("0x12"), "{err}");
        let err = keys(&format!("{a}\n"), &pair).unwrap_err();
        assert_eq!(err, "line 1 has 1 part(s), but the getter takes 2 argument(s)");
        let err = keys("[1.5]", std::slice::from_ref(&u8t)).unwrap_err();
        assert!(err.contains("element 0") && err.contains("big numbers as strings"), "{err}");
        assert!(keys("[1,", &[u8t]).unwrap_err().starts_with("not valid JSON"));
    }
}
