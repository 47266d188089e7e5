//! Solidity types rebuilt from an ABI: elementary types, structs (named from `internalType`
//! where present, else synthesized from the parameter name, deduplicated deterministically)
//! and arrays, and the interface file declaring them.

use std::collections::{BTreeMap, BTreeSet};

use alloy::json_abi::{EventParam, Function, InternalType, JsonAbi, Param, StateMutability};

/// A Solidity type as the generated code writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    /// `uint256`, `address`, `string`, `bytes32`...
    Elem(String),
    /// A struct of the [`Registry`], by index.
    Struct(usize),
    /// `T[]` (`None`) or `T[k]`.
    Array(Box<Self>, Option<usize>),
}

/// A struct declared in a generated interface.
#[derive(Debug, Clone)]
pub(crate) struct StructDef {
    /// Its name inside the interface.
    pub(crate) name: String,
    /// Fields in ABI order (names sanitized).
    pub(crate) fields: Vec<(String, Ty)>,
}

/// The structs of one generated interface and the names already in use there.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    /// The interface's name (`IOldFoo`), used to qualify struct names outside it.
    pub(crate) iface: String,
    pub(crate) structs: Vec<StructDef>,
    keys: BTreeMap<String, usize>,
    taken: BTreeSet<String>,
}

/// Solidity keywords and reserved words that an ABI name must not take as an identifier.
const RESERVED: &[&str] = &[
    "abstract",
    "address",
    "after",
    "alias",
    "anonymous",
    "apply",
    "as",
    "assembly",
    "auto",
    "bool",
    "break",
    "byte",
    "bytes",
    "calldata",
    "case",
    "catch",
    "constant",
    "constructor",
    "continue",
    "contract",
    "copyof",
    "default",
    "define",
    "delete",
    "do",
    "else",
    "emit",
    "enum",
    "error",
    "event",
    "external",
    "fallback",
    "false",
    "final",
    "for",
    "function",
    "if",
    "immutable",
    "implements",
    "import",
    "in",
    "indexed",
    "inline",
    "int",
    "interface",
    "internal",
    "is",
    "let",
    "library",
    "macro",
    "mapping",
    "match",
    "memory",
    "modifier",
    "mutable",
    "new",
    "null",
    "of",
    "override",
    "partial",
    "payable",
    "pragma",
    "private",
    "promise",
    "public",
    "pure",
    "receive",
    "reference",
    "relocatable",
    "return",
    "returns",
    "revert",
    "sealed",
    "sizeof",
    "static",
    "storage",
    "string",
    "struct",
    "supports",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "type",
    "typedef",
    "typeof",
    "uint",
    "unchecked",
    "using",
    "var",
    "view",
    "virtual",
    "while",
];

/// Whether `s` can be used as a Solidity identifier.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else { return false };
    (first.is_ascii_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&s)
        && !is_elementary(s)
}

fn is_elementary(s: &str) -> bool {
    let num = |p: &str| {
        s.strip_prefix(p).is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    num("uint") || num("int") || num("bytes")
}

/// The parameter's name when usable, else `fallback`.
pub(crate) fn ident_or(name: &str, fallback: impl FnOnce() -> String) -> String {
    if is_identifier(name) { name.to_owned() } else { fallback() }
}

fn normalize_elementary(base: &str) -> String {
    match base {
        "uint" => "uint256".into(),
        "int" => "int256".into(),
        other => other.to_owned(),
    }
}

/// Splits `tuple[2][]` into `tuple` and the dimensions innermost first (`[Some(2), None]`).
fn split_dims(ty: &str) -> (&str, Vec<Option<usize>>) {
    let Some(i) = ty.find('[') else { return (ty, Vec::new()) };
    let dims = ty[i..]
        .split(']')
        .filter_map(|d| d.strip_prefix('['))
        .map(|d| d.parse::<usize>().ok())
        .collect();
    (&ty[..i], dims)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

impl Registry {
    /// Every type of `abi`, in a stable order: functions (inputs, outputs), events, errors,
    /// constructor. Names of functions, events and errors are reserved before structs are named.
    pub(crate) fn new(iface: &str, abi: &JsonAbi) -> Self {
        let mut r = Self {
            iface: iface.to_owned(),
            structs: Vec::new(),
            keys: BTreeMap::new(),
            taken: BTreeSet::new(),
        };
        r.taken.insert(iface.to_owned());
        for f in abi.functions() {
            r.taken.insert(f.name.clone());
        }
        for e in abi.events() {
            r.taken.insert(e.name.clone());
        }
        for e in abi.errors() {
            r.taken.insert(e.name.clone());
        }
        for f in abi.functions() {
            for p in f.inputs.iter().chain(&f.outputs) {
                r.param(p);
            }
        }
        for e in abi.events() {
            for p in &e.inputs {
                r.event_param(p);
            }
        }
        for e in abi.errors() {
            for p in &e.inputs {
                r.param(p);
            }
        }
        if let Some(c) = &abi.constructor {
            for p in &c.inputs {
                r.param(p);
            }
        }
        r
    }

    /// The type of a function or error parameter (registering its structs).
    pub(crate) fn param(&mut self, p: &Param) -> Ty {
        self.ty(&p.ty, &p.components, p.internal_type(), &p.name)
    }

    /// The type of an event parameter.
    pub(crate) fn event_param(&mut self, p: &EventParam) -> Ty {
        self.ty(&p.ty, &p.components, p.internal_type(), &p.name)
    }

    fn ty(
        &mut self,
        ty: &str,
        components: &[Param],
        internal: Option<&InternalType>,
        pname: &str,
    ) -> Ty {
        let (base, dims) = split_dims(ty);
        let mut t = if base == "tuple" {
            let hint = match internal {
                Some(InternalType::Struct { ty, .. }) => {
                    ty.split('[').next().unwrap_or_default().to_owned()
                }
                _ => String::new(),
            };
            let hint = if is_identifier(&hint) {
                hint
            } else {
                let from_param = capitalize(pname.trim_start_matches('_'));
                if is_identifier(&from_param) { from_param } else { "Tuple".to_owned() }
            };
            let fields: Vec<(String, Ty)> = components
                .iter()
                .enumerate()
                .map(|(i, c)| (ident_or(&c.name, || format!("field{i}")), self.param(c)))
                .collect();
            Ty::Struct(self.intern(hint, fields))
        } else {
            Ty::Elem(normalize_elementary(base))
        };
        for d in dims {
            t = Ty::Array(Box::new(t), d);
        }
        t
    }

    fn intern(&mut self, hint: String, fields: Vec<(String, Ty)>) -> usize {
        let shape: Vec<String> =
            fields.iter().map(|(n, t)| format!("{n}:{}", self.key_of(t))).collect();
        let key = format!("{hint}({})", shape.join(","));
        if let Some(&i) = self.keys.get(&key) {
            return i;
        }
        let mut name = hint.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{hint}{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        self.structs.push(StructDef { name, fields });
        let i = self.structs.len() - 1;
        self.keys.insert(key, i);
        i
    }

    fn key_of(&self, t: &Ty) -> String {
        match t {
            Ty::Elem(e) => e.clone(),
            Ty::Struct(i) => format!("#{i}"),
            Ty::Array(inner, d) => format!("{}{}", self.key_of(inner), dim(*d)),
        }
    }

    /// The type as written inside the interface (`Node`) or outside it (`IOldFoo.Node`).
    pub(crate) fn sol(&self, t: &Ty, qualified: bool) -> String {
        match t {
            Ty::Elem(e) => e.clone(),
            Ty::Struct(i) if qualified => format!("{}.{}", self.iface, self.structs[*i].name),
            Ty::Struct(i) => self.structs[*i].name.clone(),
            Ty::Array(inner, d) => format!("{}{}", self.sol(inner, qualified), dim(*d)),
        }
    }

    /// The canonical ABI type (`(uint256,address)[]`): what decides if two types are one shape.
    pub(crate) fn canonical(&self, t: &Ty) -> String {
        match t {
            Ty::Elem(e) => e.clone(),
            Ty::Struct(i) => {
                let f: Vec<_> =
                    self.structs[*i].fields.iter().map(|(_, t)| self.canonical(t)).collect();
                format!("({})", f.join(","))
            }
            Ty::Array(inner, d) => format!("{}{}", self.canonical(inner), dim(*d)),
        }
    }

    /// `Node memory name`, `uint256 name`, `string calldata`.
    pub(crate) fn decl(&self, t: &Ty, name: &str, loc: &str, qualified: bool) -> String {
        let mut s = self.sol(t, qualified);
        if is_reference(t) && !loc.is_empty() {
            s.push(' ');
            s.push_str(loc);
        }
        if !name.is_empty() {
            s.push(' ');
            s.push_str(name);
        }
        s
    }
}

fn dim(d: Option<usize>) -> String {
    match d {
        Some(k) => format!("[{k}]"),
        None => "[]".into(),
    }
}

/// Whether a value of this type needs a data location.
pub(crate) fn is_reference(t: &Ty) -> bool {
    match t {
        Ty::Elem(e) => e == "string" || e == "bytes",
        Ty::Struct(_) | Ty::Array(..) => true,
    }
}

/// Whether a struct appears anywhere in the type.
pub(crate) fn has_struct(t: &Ty) -> bool {
    match t {
        Ty::Elem(_) => false,
        Ty::Struct(_) => true,
        Ty::Array(inner, _) => has_struct(inner),
    }
}

/// `view`, `pure`, `payable` or nothing, as written after `external`.
pub(crate) fn mutability_word(m: StateMutability) -> &'static str {
    match m {
        StateMutability::Pure => " pure",
        StateMutability::View => " view",
        StateMutability::NonPayable => "",
        StateMutability::Payable => " payable",
    }
}

/// The name of a parameter list entry: the ABI's when usable, else `arg{i}` / `out{i}`.
pub(crate) fn param_names(params: &[Param], prefix: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let n = ident_or(&p.name, || format!("{prefix}{i}"));
            if seen.insert(n.clone()) { n } else { format!("{prefix}{i}") }
        })
        .collect()
}

/// Renders the interface file body (without the header): structs, events, errors, functions.
/// `pure_as_view` declares pure functions `view` (the adapter cannot forward a pure function).
pub(crate) fn render_interface(
    reg: &mut Registry,
    abi: &JsonAbi,
    doc: &[String],
    pure_as_view: bool,
) -> String {
    // Types are collected first (registering structs in the order they appear), so that
    // structs come first.
    let function_names: BTreeSet<&str> = abi.functions().map(|f| f.name.as_str()).collect();
    let events = interface_events(reg, abi, &function_names);
    let errors = interface_errors(reg, abi, &function_names);
    let functions: Vec<String> =
        abi.functions().map(|f| interface_function(reg, f, pure_as_view)).collect();
    let structs: Vec<String> = reg
        .structs
        .iter()
        .map(|s| {
            let fields: Vec<String> =
                s.fields.iter().map(|(n, t)| format!("    {} {n};", reg.sol(t, false))).collect();
            format!("struct {} {{\n{}\n}}", s.name, fields.join("\n"))
        })
        .collect();
    let mut sections = Vec::new();
    if !structs.is_empty() {
        sections.push(structs.join("\n\n"));
    }
    for group in [events, errors, functions] {
        if !group.is_empty() {
            sections.push(group.join("\n"));
        }
    }
    let mut out = String::new();
    for d in doc {
        out.push_str(&format!("/// {d}\n"));
    }
    out.push_str(&format!("interface {} {{\n", reg.iface));
    out.push_str(&indent(&sections.join("\n\n"), 1));
    out.push_str("}\n");
    out
}

/// One declaration per distinct event; one named like a function is a comment.
fn interface_events(
    reg: &mut Registry,
    abi: &JsonAbi,
    function_names: &BTreeSet<&str>,
) -> Vec<String> {
    let mut events = Vec::new();
    let mut seen_events = BTreeSet::new();
    for e in abi.events() {
        let params: Vec<String> = e
            .inputs
            .iter()
            .map(|p| {
                let t = reg.event_param(p);
                let mut s = reg.sol(&t, false);
                if p.indexed {
                    s.push_str(" indexed");
                }
                if is_identifier(&p.name) {
                    s.push(' ');
                    s.push_str(&p.name);
                }
                s
            })
            .collect();
        let anon = if e.anonymous { " anonymous" } else { "" };
        let line = format!("event {}({}){anon};", e.name, params.join(", "));
        if !seen_events.insert(line.clone()) {
            continue;
        }
        if function_names.contains(e.name.as_str()) {
            events.push(format!(
                "// {line} (not declared: Solidity does not allow an event named like a function)"
            ));
        } else {
            events.push(line);
        }
    }
    events
}

/// One declaration per error name; overloads and names taken by a function or an event are
/// comments.
fn interface_errors(
    reg: &mut Registry,
    abi: &JsonAbi,
    function_names: &BTreeSet<&str>,
) -> Vec<String> {
    let mut errors = Vec::new();
    let mut error_names = BTreeSet::new();
    for e in abi.errors() {
        let params: Vec<String> = e
            .inputs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let t = reg.param(p);
                reg.decl(&t, &ident_or(&p.name, || format!("arg{i}")), "", false)
            })
            .collect();
        let line = format!("error {}({});", e.name, params.join(", "));
        let clash =
            function_names.contains(e.name.as_str()) || abi.events().any(|ev| ev.name == e.name);
        if !error_names.insert(e.name.clone()) {
            if !errors.contains(&line) {
                errors.push(format!(
                    "// {line} (not declared: Solidity errors cannot be overloaded; selector {})",
                    e.selector()
                ));
            }
        } else if clash {
            errors.push(format!(
                "// {line} (not declared: its name is taken by a function or event; selector {})",
                e.selector()
            ));
        } else {
            errors.push(line);
        }
    }
    errors
}

/// The function's declaration (a pure one as `view` when `pure_as_view`, with a note).
fn interface_function(reg: &mut Registry, f: &Function, pure_as_view: bool) -> String {
    let ins = param_names(&f.inputs, "arg");
    let inputs: Vec<String> = f
        .inputs
        .iter()
        .zip(&ins)
        .map(|(p, n)| {
            let t = reg.param(p);
            let n = if is_identifier(&p.name) { n.as_str() } else { "" };
            reg.decl(&t, n, "calldata", false)
        })
        .collect();
    let outputs: Vec<String> = f
        .outputs
        .iter()
        .map(|p| {
            let t = reg.param(p);
            let n = if is_identifier(&p.name) { p.name.as_str() } else { "" };
            reg.decl(&t, n, "memory", false)
        })
        .collect();
    let mut m = f.state_mutability;
    let mut note = String::new();
    if pure_as_view && m == StateMutability::Pure {
        m = StateMutability::View;
        note = "/// @dev `pure` in the ABI; declared `view` so that an adapter can forward it (callers are unaffected).\n".into();
    }
    let returns = if outputs.is_empty() {
        String::new()
    } else {
        format!(" returns ({})", outputs.join(", "))
    };
    format!(
        "{note}function {}({}) external{}{returns};",
        f.name,
        inputs.join(", "),
        mutability_word(m)
    )
}

/// Indents every non-empty line by `level` × 4 spaces.
pub(crate) fn indent(text: &str, level: usize) -> String {
    let pad = "    ".repeat(level);
    let mut out = String::new();
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abi(items: &str) -> JsonAbi {
        serde_json::from_str(&format!("[{items}]")).unwrap()
    }

    #[test]
    fn structs_are_named_from_internal_type_and_deduplicated() {
        let a = abi(r#"{"type":"function","name":"f","inputs":[
                {"name":"a","type":"tuple","internalType":"struct C.Node","components":[{"name":"x","type":"uint256"}]},
                {"name":"b","type":"tuple[2][]","internalType":"struct D.Node[2][]","components":[{"name":"y","type":"address"}]},
                {"name":"order","type":"tuple","components":[{"name":"","type":"uint"},{"name":"inner","type":"tuple","internalType":"struct C.Node","components":[{"name":"x","type":"uint256"}]}]}
            ],"outputs":[],"stateMutability":"nonpayable"}"#);
        let mut reg = Registry::new("IOld", &a);
        let names: Vec<_> = reg.structs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Node", "Node2", "Order"]);
        let f = a.functions().next().unwrap();
        let b = reg.param(&f.inputs[1]);
        assert_eq!(reg.sol(&b, true), "IOld.Node2[2][]");
        assert_eq!(reg.canonical(&b), "(address)[2][]");
        assert_eq!(reg.structs[2].fields[0], ("field0".to_owned(), Ty::Elem("uint256".into())));
        let text = render_interface(&mut reg, &a, &[], true);
        assert!(text.contains("Node2[2][] calldata b"), "{text}");
        assert!(
            text.contains("struct Order {\n        uint256 field0;\n        Node inner;\n    }"),
            "{text}"
        );
    }

    #[test]
    fn overloaded_errors_are_declared_once() {
        let a = abi(r#"{"type":"error","name":"E","inputs":[{"name":"a","type":"uint256"}]},
               {"type":"error","name":"E","inputs":[{"name":"a","type":"address"}]},
               {"type":"event","name":"V","inputs":[{"name":"a","type":"uint256","indexed":true}],"anonymous":true}"#);
        let mut reg = Registry::new("I", &a);
        let text = render_interface(&mut reg, &a, &[], false);
        assert!(text.contains("    error E(uint256 a);"), "{text}");
        assert!(text.contains("// error E(address a); (not declared"), "{text}");
        assert!(text.contains("event V(uint256 indexed a) anonymous;"), "{text}");
    }

    #[test]
    fn reserved_words_are_not_identifiers() {
        assert!(is_identifier("operator"));
        assert!(
            !is_identifier("address")
                && !is_identifier("uint8")
                && !is_identifier("")
                && !is_identifier("1a")
        );
    }
}
