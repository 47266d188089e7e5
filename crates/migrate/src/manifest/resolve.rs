//! Checking a parsed manifest against the ABIs it names.

use std::{
    collections::{BTreeMap, BTreeSet},
    ops::Range,
    path::{Path, PathBuf},
};

use alloy::{
    dyn_abi::DynSolType,
    primitives::{Address, U256, keccak256},
};
use molt_abi::Artifact;
use toml::Spanned;

use super::{
    Check, Component, Contract, Credit, CreditedToken, Funds, Manifest, Pause, RecordShape, Rule,
    Source, Target, Tokens,
    calls::{Placeholders, Resolver},
    raw::{RawCall, RawCheck, RawComponent, RawContract, RawFunds, RawManifest, RawPause},
    text::ManifestText,
    types::{copyable, param_type, shape, value, zero},
    validate,
};
use crate::{Error, Result};

pub(super) fn resolve(path: &Path, text: &str) -> Result<Manifest> {
    let cx = ManifestText { path, text };
    validate::no_todos(&cx, text)?;
    let raw: RawManifest = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        cx.err(span, e.message().to_owned())
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let network = validate::network(&cx, &raw.network)?;
    let batch = validate::batch(&cx, &raw.batch)?;

    let mut contracts = BTreeMap::new();
    for (name, c) in &raw.contracts {
        contracts.insert(name.clone(), contract(&cx, &dir, name, c)?);
    }
    validate::distinct_addresses(&cx, &raw.contracts, &contracts)?;
    validate::unique_names(&cx, "`[[check]]` entries", raw.check.iter().map(|c| &c.name))?;
    validate::unique_names(&cx, "`[[funds]]` entries", raw.funds.iter().map(|f| &f.name))?;
    validate::unique_names(&cx, "components", raw.component.iter().map(|c| &c.name))?;
    let r = Resolver { cx: &cx, contracts: &contracts, dir: &dir };

    let pause = raw.pause.iter().map(|p| r.pause(p)).collect::<Result<Vec<_>>>()?;
    let checks = raw.check.iter().map(|c| r.check(c)).collect::<Result<Vec<_>>>()?;

    let mut components =
        raw.component.iter().map(|c| r.component(c, &raw.component)).collect::<Result<Vec<_>>>()?;
    super::source::key_dependencies(&mut components);
    let components = order(&cx, &raw.component, components)?;
    super::verify::check_digest_groups(&cx, &raw.component, &components)?;

    let funds = raw.funds.iter().map(|f| r.funds(f, &components)).collect::<Result<Vec<_>>>()?;
    let finalize =
        raw.finalize.iter().map(|c| r.call(c, Placeholders::None)).collect::<Result<Vec<_>>>()?;
    let governance = raw.governance.as_ref().map(|g| r.governance(g)).transpose()?;

    Ok(Manifest {
        path: path.into(),
        hash: keccak256(text.as_bytes()),
        sections: BTreeMap::new(),
        network,
        batch,
        contracts,
        pause,
        checks,
        funds,
        components,
        finalize,
        governance,
    })
}

fn contract(
    cx: &ManifestText<'_>,
    dir: &Path,
    name: &str,
    c: &Spanned<RawContract>,
) -> Result<Contract> {
    let raw = c.get_ref();
    let address =
        validate::address(raw.address.get_ref()).map_err(|m| cx.err(raw.address.span(), m))?;
    let abi_path: PathBuf = dir.join(raw.abi.get_ref());
    let artifact = Artifact::load(&abi_path)
        .map_err(|e| cx.err(raw.abi.span(), format!("cannot load the ABI of `{name}`: {e}")))?;
    Ok(Contract { name: name.into(), address, abi: artifact.abi, abi_path })
}

impl Resolver<'_> {
    /// A `[pause]` entry: a call taking no arguments and a view returning whether paused.
    fn pause(&self, p: &RawPause) -> Result<Pause> {
        let cx = self.cx;
        let contract = self.contract_name(&p.contract)?;
        let call = self.function(&p.contract, &p.call)?;
        if !call.inputs.is_empty() {
            return Err(cx.err(
                p.call.span(),
                format!("`{}` takes arguments; a pause call must take none", call.signature()),
            ));
        }
        let paused = self.function(&p.contract, &p.paused)?;
        if !paused.inputs.is_empty() || paused.outputs.len() != 1 || paused.outputs[0].ty != "bool"
        {
            return Err(cx.err(
                p.paused.span(),
                format!("`{}` must take no arguments and return one bool", paused.signature()),
            ));
        }
        let unpause = match &p.unpause {
            Some(name) => {
                let f = self.function(&p.contract, name)?;
                if !f.inputs.is_empty() {
                    return Err(cx.err(
                        name.span(),
                        format!(
                            "`{}` takes arguments; an unpause call must take none",
                            f.signature()
                        ),
                    ));
                }
                Some(f)
            }
            None => None,
        };
        Ok(Pause { contract, call, paused, unpause })
    }

    /// A `[[check]]` entry: a view taking no arguments and the value it must return.
    fn check(&self, c: &RawCheck) -> Result<Check> {
        let cx = self.cx;
        let contract = self.contract_name(&c.contract)?;
        let function = self.function(&c.contract, &c.function)?;
        if !function.inputs.is_empty() || function.outputs.len() != 1 {
            return Err(cx.err(
                c.function.span(),
                format!("`{}` must take no arguments and return one value", function.signature()),
            ));
        }
        let ty = param_type(&function.outputs[0]).map_err(|m| cx.err(c.function.span(), m))?;
        let expect = value(&ty, c.expect.get_ref()).map_err(|m| cx.err(c.expect.span(), m))?;
        Ok(Check {
            name: c.name.get_ref().clone(),
            contract,
            function,
            expect,
            message: c.message.clone(),
        })
    }

    /// A `[[component]]`: its source, target, mapping, key, filter and read-back.
    fn component(&self, c: &RawComponent, raw: &[RawComponent]) -> Result<Component> {
        let source = self.source(c, raw)?;
        let target = self.target(c)?;
        let mapping = self.mapping(c, &source, &target.record)?;
        let key = self.key(c, &target.record)?;
        let filter = self.filter(c, &source)?;
        let verify = self.verify(c, &target.record)?;
        Ok(Component {
            name: c.name.get_ref().clone(),
            source,
            target,
            key,
            filter,
            mapping,
            verify,
            depends_on: c.depends_on.iter().map(|d| d.get_ref().clone()).collect(),
        })
    }

    /// The target: `import(Struct[])`, and the struct it takes.
    fn target(&self, c: &RawComponent) -> Result<Target> {
        let cx = self.cx;
        let import = self.function(&c.target.contract, &c.target.import)?;
        let record = match import.inputs.as_slice() {
            [p] if p.ty == "tuple[]" => {
                shape(&p.components).map_err(|m| cx.err(c.target.import.span(), m))?
            }
            _ => {
                return Err(cx.err(
                    c.target.import.span(),
                    format!(
                        "`{}` must take exactly one array of structs (the batch)",
                        import.signature()
                    ),
                ));
            }
        };
        Ok(Target { contract: c.target.contract.get_ref().clone(), import, record })
    }

    /// The rule for every import field, then the check that no source field is silently lost.
    fn mapping(
        &self,
        c: &RawComponent,
        source: &Source,
        target: &RecordShape,
    ) -> Result<Vec<Rule>> {
        let mut used = BTreeSet::new();
        let fields = source.fields();
        let mapping = map_fields(self.cx, target, &fields, &c.map, &mut used, "", &c.name.span())?;
        self.drops(c, source, &used)?;
        Ok(mapping)
    }

    /// Checks `drop`: it names source fields that are not mapped, and every source field is
    /// either mapped (`used`) or dropped.
    fn drops(&self, c: &RawComponent, source: &Source, used: &BTreeSet<usize>) -> Result<()> {
        let cx = self.cx;
        let record = &source.record;
        for d in &c.drop {
            if record.index(d.get_ref()).is_none() {
                return Err(cx.err(
                    d.span(),
                    format!(
                        "`drop` names `{}`, which `{}` does not return (it returns: {})",
                        d.get_ref(),
                        source.get.signature(),
                        record.names.join(", ")
                    ),
                ));
            }
        }
        for d in &c.drop {
            if record.index(d.get_ref()).is_some_and(|i| used.contains(&i)) {
                return Err(cx.err(
                    d.span(),
                    format!("`{}` is both mapped and dropped; remove it from `drop`", d.get_ref()),
                ));
            }
        }
        let dropped: BTreeSet<&str> = c.drop.iter().map(|d| d.get_ref().as_str()).collect();
        for (i, n) in record.names.iter().enumerate() {
            if !used.contains(&i) && !dropped.contains(n.as_str()) {
                return Err(cx.err(c.name.span(), format!(
                    "component `{}`: source field `{n}` is not carried to the target; map it to a field of the import struct or list it in `drop = [...]` to discard it on purpose",
                    c.name.get_ref()
                )));
            }
        }
        Ok(())
    }

    /// The indices of the key fields in the import struct.
    fn key(&self, c: &RawComponent, target: &RecordShape) -> Result<Vec<usize>> {
        c.key
            .get_ref()
            .names()
            .iter()
            .map(|k| {
                target.index(k).ok_or_else(|| {
                    self.cx.err(
                        c.key.span(),
                        format!(
                            "key field `{k}` is not a field of the import struct (fields: {})",
                            target.names.join(", ")
                        ),
                    )
                })
            })
            .collect()
    }

    fn funds(&self, f: &RawFunds, components: &[Component]) -> Result<Funds> {
        let from = self.contract_name(&f.from)?;
        let to = self.contract_name(&f.to)?;
        let call = self.call(
            &RawCall {
                contract: f.from.clone(),
                function: f.call.function.clone(),
                args: f.call.args.clone(),
            },
            Placeholders::Funds,
        )?;
        let return_call = match &f.return_call {
            Some(r) => Some(self.call(
                &RawCall {
                    contract: f.to.clone(),
                    function: r.function.clone(),
                    args: r.args.clone(),
                },
                Placeholders::Funds,
            )?),
            None => None,
        };
        let tokens = self.tokens(f, components)?;
        let credited_by = self.credit(f, components, &tokens)?;
        Ok(Funds {
            name: f.name.get_ref().clone(),
            from,
            to,
            tokens,
            call,
            return_call,
            credited_by,
        })
    }

    /// `tokens`: "ETH", one token address, a list of them, or `{ component, field }` (the
    /// address field of a component's source records).
    fn tokens(&self, f: &RawFunds, components: &[Component]) -> Result<Tokens> {
        let cx = self.cx;
        let span = f.tokens.span();
        let table = match f.tokens.get_ref() {
            toml::Value::Array(list) => {
                let list = list.iter().map(token_address).collect::<std::result::Result<_, _>>();
                return list.map(Tokens::List).map_err(|m| cx.err(span, m));
            }
            toml::Value::Table(t) => t,
            v => return Ok(Tokens::List(vec![token_address(v).map_err(|m| cx.err(span, m))?])),
        };
        let (Some(toml::Value::String(component)), Some(toml::Value::String(field)), 2) =
            (table.get("component"), table.get("field"), table.len())
        else {
            return Err(
                cx.err(span, "expected `tokens = { component = \"...\", field = \"...\" }`")
            );
        };
        let c = components
            .iter()
            .find(|c| c.name == *component)
            .ok_or_else(|| cx.err(span.clone(), format!("unknown component `{component}`")))?;
        let record = &c.source.record;
        let i = record.index(field).filter(|&i| record.types[i] == DynSolType::Address);
        let i = i.ok_or_else(|| {
            let what =
                format!("`{field}` is not an address field of `{}`'s source records", c.name);
            cx.err(span, what)
        })?;
        Ok(Tokens::FromComponent { component: component.clone(), field: i })
    }

    /// `credited_by = { component, amount, token? }`: the import-struct fields that say what a
    /// record credits. Without `token`, the one token that moves.
    fn credit(&self, f: &RawFunds, components: &[Component], tokens: &Tokens) -> Result<Credit> {
        let cx = self.cx;
        let by = &f.credited_by;
        let c = components.iter().find(|c| c.name == *by.component.get_ref()).ok_or_else(|| {
            cx.err(by.component.span(), format!("unknown component `{}`", by.component.get_ref()))
        })?;
        let field = |n: &Spanned<String>, want: fn(&DynSolType) -> bool, what: &str| {
            let record = &c.target.record;
            record.index(n.get_ref()).filter(|&i| want(&record.types[i])).ok_or_else(|| {
                let name = n.get_ref();
                cx.err(
                    n.span(),
                    format!("`{name}` is not {what} field of `{}`'s import struct", c.name),
                )
            })
        };
        let is_uint = |t: &DynSolType| matches!(t, DynSolType::Uint(_));
        let amount = field(&by.amount, is_uint, "an unsigned integer")?;
        let token = match (&by.token, tokens) {
            (Some(t), _) => {
                CreditedToken::Field(field(t, |t| *t == DynSolType::Address, "an address")?)
            }
            // One token moves: it is what every record credits.
            (None, Tokens::List(list)) if list.len() == 1 => CreditedToken::Only(list[0]),
            (None, _) => {
                return Err(cx.err(
                    by.amount.span(),
                    format!(
                        "`[[funds]]` `{}` moves several tokens (or the tokens of a component): `credited_by` needs `token = \"<field>\"`, the import-struct field that says which token a record credits",
                        f.name.get_ref()
                    ),
                ));
            }
        };
        Ok(Credit { component: c.name.clone(), amount, token })
    }
}

/// One entry of `tokens`: "ETH" (any case) or a checksummed token address.
fn token_address(v: &toml::Value) -> std::result::Result<Address, String> {
    match v {
        toml::Value::String(s) if s.eq_ignore_ascii_case("eth") => Ok(Address::ZERO),
        toml::Value::String(s) => validate::address(s),
        other => Err(format!("expected \"ETH\" or a token address, found {other}")),
    }
}

/// Builds the rule for every field of `target` from `source`, with `map` overriding same-name
/// copies. `prefix` names the enclosing struct field in messages.
fn map_fields(
    cx: &ManifestText<'_>,
    target: &RecordShape,
    source: &RecordShape,
    map: &BTreeMap<String, Spanned<toml::Value>>,
    used: &mut BTreeSet<usize>,
    prefix: &str,
    at: &Range<usize>,
) -> Result<Vec<Rule>> {
    for (k, v) in map {
        if target.index(k).is_none() {
            return Err(cx.err(
                v.span(),
                format!(
                    "`{prefix}{k}` is not a field of the import struct (fields: {})",
                    target.names.join(", ")
                ),
            ));
        }
    }
    let mut rules = Vec::new();
    for (i, name) in target.names.iter().enumerate() {
        let ty = &target.types[i];
        let rule = match map.get(name) {
            Some(v) => rule(
                cx,
                v,
                ty,
                target.nested[i].as_ref(),
                source,
                used,
                &format!("{prefix}{name}"),
            )?,
            None => match source.index(name) {
                Some(s) if copyable(&source.types[s], ty) => {
                    used.insert(s);
                    Rule::Copy(s)
                }
                Some(s) => {
                    return Err(cx.err(at.clone(), format!(
                        "import field `{prefix}{name}` is {ty} but the source field of that name is {}; map it explicitly",
                        source.types[s]
                    )));
                }
                None => {
                    return Err(cx.err(at.clone(), format!(
                        "import field `{prefix}{name}` ({ty}) has no source: map it, e.g. `{name} = \"<source field>\"`, `{name} = {{ const = ... }}` or `{name} = {{ default = true }}`"
                    )));
                }
            },
        };
        rules.push(rule);
    }
    Ok(rules)
}

/// The rule `map.<path> = v` gives a field of type `ty` (`nested`: its shape, for a struct).
fn rule(
    cx: &ManifestText<'_>,
    v: &Spanned<toml::Value>,
    ty: &DynSolType,
    nested: Option<&RecordShape>,
    source: &RecordShape,
    used: &mut BTreeSet<usize>,
    path: &str,
) -> Result<Rule> {
    let at = FieldAt { cx, span: v.span(), ty, path, source };
    match v.get_ref() {
        toml::Value::String(name) => at.copy(name, used),
        toml::Value::Table(t) if t.contains_key("const") => at.constant(t),
        toml::Value::Table(t) if t.contains_key("default") => at.default(t),
        toml::Value::Table(t) if t.contains_key("from") => at.scale(t, used),
        toml::Value::Table(t) => {
            let Some(shape) = nested else {
                return Err(cx.err(at.span, format!("`{path}` is {ty}, not a struct; a table maps a struct field by field (or use `from`, `const`, `default`)")));
            };
            let entries: BTreeMap<String, Spanned<toml::Value>> = t
                .iter()
                .map(|(k, v)| (k.clone(), Spanned::new(at.span.clone(), v.clone())))
                .collect();
            map_fields(cx, shape, source, &entries, used, &format!("{path}."), &at.span)
                .map(Rule::Struct)
        }
        other => Err(cx.err(
            at.span,
            format!("`{path}`: expected a source field name or a table, found {other}"),
        )),
    }
}

/// An import field being mapped: where its rule is written, its type and its name.
struct FieldAt<'a> {
    cx: &'a ManifestText<'a>,
    span: Range<usize>,
    ty: &'a DynSolType,
    path: &'a str,
    source: &'a RecordShape,
}

impl FieldAt<'_> {
    fn err(&self, message: impl Into<String>) -> Error {
        self.cx.err(self.span.clone(), message)
    }

    /// The source field `name`, marked as used.
    fn source_field(&self, name: &str, used: &mut BTreeSet<usize>) -> Result<usize> {
        let i = self.source.index(name).ok_or_else(|| {
            self.err(format!(
                "`{}` maps from `{name}`, which the source record does not have (it has: {})",
                self.path,
                self.source.names.join(", ")
            ))
        })?;
        used.insert(i);
        Ok(i)
    }

    /// `field = "<source field>"`.
    fn copy(&self, name: &str, used: &mut BTreeSet<usize>) -> Result<Rule> {
        let s = self.source_field(name, used)?;
        if !copyable(&self.source.types[s], self.ty) {
            let from = &self.source.types[s];
            return Err(self
                .err(format!("cannot copy `{name}` ({from}) into `{}` ({})", self.path, self.ty)));
        }
        Ok(Rule::Copy(s))
    }

    /// `field = { const = ... }`.
    fn constant(&self, t: &toml::Table) -> Result<Rule> {
        if t.len() != 1 {
            return Err(self.err("`const` stands alone: `{ const = ... }`"));
        }
        value(self.ty, &t["const"])
            .map(Rule::Const)
            .map_err(|m| self.err(format!("`{}`: {m}", self.path)))
    }

    /// `field = { default = true }`.
    fn default(&self, t: &toml::Table) -> Result<Rule> {
        if t.len() != 1 || t["default"] != toml::Value::Boolean(true) {
            return Err(self.err("write `{ default = true }` for the type's zero value"));
        }
        Ok(Rule::Const(zero(self.ty)))
    }

    /// `field = { from = "<source field>", mul = n, div = n }`.
    fn scale(&self, t: &toml::Table, used: &mut BTreeSet<usize>) -> Result<Rule> {
        let Some(toml::Value::String(name)) = t.get("from") else {
            return Err(self.err("`from` names a source field"));
        };
        let s = self.source_field(name, used)?;
        let (DynSolType::Uint(_), DynSolType::Uint(_)) = (&self.source.types[s], self.ty) else {
            return Err(self.err(format!(
                "scaling needs unsigned integers; `{name}` is {} and `{}` is {}",
                self.source.types[s], self.path, self.ty
            )));
        };
        if let Some(k) = t.keys().find(|k| !["from", "mul", "div"].contains(&k.as_str())) {
            return Err(
                self.err(format!("unknown key `{k}` (a scaled field takes `from`, `mul`, `div`)"))
            );
        }
        Ok(Rule::Scale { field: s, mul: self.factor(t, "mul")?, div: self.factor(t, "div")? })
    }

    /// `mul` or `div` of a scaled field: a positive integer (a string for large ones), 1 if absent.
    fn factor(&self, t: &toml::Table, key: &str) -> Result<U256> {
        let positive = || self.err(format!("`{key}` must be a positive integer"));
        match t.get(key) {
            None => Ok(U256::from(1)),
            Some(toml::Value::Integer(n)) if *n > 0 => Ok(U256::from(*n as u64)),
            Some(toml::Value::String(s)) => {
                s.parse::<U256>().ok().filter(|n| !n.is_zero()).ok_or_else(positive)
            }
            Some(_) => Err(positive()),
        }
    }
}

/// Orders components so that each comes after those it depends on (manifest order otherwise).
fn order(
    cx: &ManifestText<'_>,
    raw: &[RawComponent],
    components: Vec<Component>,
) -> Result<Vec<Component>> {
    for (c, r) in components.iter().zip(raw) {
        for (d, span) in c.depends_on.iter().zip(&r.depends_on) {
            if !components.iter().any(|x| &x.name == d) {
                return Err(cx.err(
                    span.span(),
                    format!("component `{}` depends on unknown component `{d}`", c.name),
                ));
            }
        }
    }
    let mut done: Vec<Component> = Vec::new();
    let mut left = components;
    while !left.is_empty() {
        let Some(i) = left
            .iter()
            .position(|c| c.depends_on.iter().all(|d| done.iter().any(|x| &x.name == d)))
        else {
            return Err(cycle(cx, raw, &left));
        };
        done.push(left.remove(i));
    }
    Ok(done)
}

/// The error for components that cannot be ordered: one dependency cycle among them, shown at
/// the `depends_on` entry of its member that comes last in the file.
fn cycle(cx: &ManifestText<'_>, raw: &[RawComponent], left: &[Component]) -> Error {
    let position = |name: &str| raw.iter().position(|r| r.name.get_ref() == name);
    // Each component left over waits for another left over (unknown ones were refused).
    let next = |name: &str| {
        let r = &raw[position(name).expect("a component of the manifest")];
        r.depends_on
            .iter()
            .find(|d| left.iter().any(|c| c.name == *d.get_ref()))
            .expect("a component left over depends on another left over")
    };
    let mut path: Vec<&str> = vec![&left[0].name];
    let members = loop {
        let to = next(path[path.len() - 1]).get_ref().as_str();
        if let Some(i) = path.iter().position(|p| *p == to) {
            break &path[i..];
        }
        path.push(to);
    };
    let last = (0..members.len()).max_by_key(|&i| position(members[i])).unwrap_or(0);
    let chain: Vec<String> =
        (0..=members.len()).map(|k| format!("`{}`", members[(last + k) % members.len()])).collect();
    cx.err(
        next(members[last]).span(),
        format!(
            "components depend on each other in a cycle: {}; remove one of these `depends_on` entries",
            chain.join(" depends on ")
        ),
    )
}
