//! The TOML text of a draft, in the layout of `fixtures/manifests/fabstir.toml`: sections in
//! the order `molt migrate` runs them, a comment next to every guess, and a `# TODO(molt): …`
//! line above every decision left open.

use std::fmt::Write;

use super::{
    Draft, TODO_MARKER,
    component::{Component, Verify},
    fields::{FieldPlan, How},
    roles::Funds,
    sources::{Keys, Source, SourceKind},
};

/// Renders the whole draft.
pub(super) fn render(d: &Draft) -> String {
    let mut body = String::new();
    contracts(d, &mut body);
    pauses(d, &mut body);
    for c in &d.checks {
        body.push_str("\n[[check]]\n");
        let _ = writeln!(body, "name = {}", q(&c.name));
        let _ = writeln!(body, "contract = {}", q(&c.contract));
        let _ = writeln!(body, "function = {}", q(&c.function));
        let _ = writeln!(body, "expect = {}", c.expect);
        let _ = writeln!(body, "message = {}", q(&c.message));
    }
    for c in &d.components {
        component(d, c, &mut body);
    }
    for f in &d.funds {
        funds(d, f, &mut body);
    }
    finalize(d, &mut body);
    if !d.unused.is_empty() {
        let _ = write!(
            body,
            "\n# Not used by this draft (no V1 records or funds paired with them): {}.\n",
            d.unused.join(", ")
        );
    }
    header(body.matches(TODO_MARKER).count()) + &body
}

/// The opening comment and the `[network]` and `[batch]` sections (the defaults, spelled out).
/// The comment must not contain the marker itself, or the file could never load.
fn header(todos: usize) -> String {
    format!(
        "# Migration manifest drafted by `molt init`. Read every entry against docs/manifest.md.\n\
         # The {todos} lines marked TODO below are decisions the draft could not make: decide each,\n\
         # then delete its comment. `molt plan` and `molt migrate` refuse the file until then.\n\
         \n\
         [network]\n\
         rpc_url = \"http://127.0.0.1:8545\"   # --rpc-url or ETH_RPC_URL override it; keep credentials out of this file\n\
         chain_id = 31337                     # the chain you migrate on (a node on another chain is refused)\n\
         confirmations = 1\n\
         \n\
         [batch]\n\
         block_gas_fraction = 0.5   # a batch may use half a block (and never more than 16,777,216 gas)\n\
         gas_margin = 1.2           # gas limit sent = estimate x 1.2\n\
         max_in_flight = 4\n"
    )
}

fn finalize(d: &Draft, out: &mut String) {
    for (contract, function) in &d.finalize {
        let name = &d.new_names[*contract];
        match function {
            Some(f) => {
                let _ =
                    write!(out, "\n[[finalize]]\ncontract = {}\nfunction = {}\n", q(name), q(f));
            }
            None => {
                let _ = write!(
                    out,
                    "\n{}\n",
                    todo(&format!(
                        "no function of `{name}` ends its migration phase (`finalizeMigration()`): add a `[[finalize]]` entry for the call that does, or delete this line if it has none"
                    ))
                );
            }
        }
    }
}

fn contracts(d: &Draft, out: &mut String) {
    out.push_str("\n[contracts]\n");
    let width = d.contracts.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let lines: Vec<String> = d
        .contracts
        .iter()
        .map(|c| {
            format!("{:<width$} = {{ address = {}, abi = {} }}", c.name, q(&c.address), q(&c.abi))
        })
        .collect();
    let col = lines.iter().map(String::len).max().unwrap_or(0);
    for (line, c) in lines.iter().zip(&d.contracts) {
        let _ = writeln!(
            out,
            "{line:<col$}   # {TODO_MARKER}: the address {} is deployed at",
            c.artifact
        );
    }
}

fn pauses(d: &Draft, out: &mut String) {
    for p in &d.pauses {
        let name = &d.old_names[p.contract];
        match &p.calls {
            Some((call, paused)) => {
                let _ = write!(
                    out,
                    "\n[[pause]]\ncontract = {}\ncall = {}\npaused = {}\n",
                    q(name),
                    q(call),
                    q(paused)
                );
                if let Some(unpause) = &p.unpause {
                    let _ = writeln!(out, "unpause = {}", q(unpause));
                }
            }
            None => {
                let _ = write!(
                    out,
                    "\n{}\n",
                    todo(&format!(
                        "`{name}` has no `pause()` with a `paused()` view: its records can change while they are read and imported. Add a `[[pause]]` entry for the calls that freeze it, or delete this line if nothing can change it"
                    ))
                );
            }
        }
    }
}

fn component(d: &Draft, c: &Component, out: &mut String) {
    out.push_str("\n[[component]]\n");
    let _ = writeln!(out, "name = {}", q(&c.name));
    for t in &c.todos {
        let _ = writeln!(out, "{}", todo(t));
    }
    source(d, c.source.as_ref(), out);
    let _ = writeln!(
        out,
        "target = {{ contract = {}, import = {} }}",
        q(&d.new_names[c.import.contract]),
        q(&function_ref(&d.new_abis[c.import.contract], &c.import.function))
    );
    match c.key.as_slice() {
        [one] => {
            let _ = writeln!(out, "key = {}", q(one));
        }
        many => {
            let _ = writeln!(out, "key = {}", list(many));
        }
    }
    if let Some((filter, question)) = &c.filter {
        let _ = writeln!(out, "{}", todo(question));
        let _ = writeln!(out, "filter = {filter}");
    }
    if !c.depends_on.is_empty() {
        let names: Vec<String> = c.depends_on.iter().map(|(d, _)| d.clone()).collect();
        let why: Vec<String> =
            c.depends_on.iter().map(|(d, f)| format!("`{f}` names a record of `{d}`")).collect();
        let _ = writeln!(
            out,
            "depends_on = {}   # {}: those are migrated first",
            list(&names),
            why.join(", ")
        );
    }
    if let Some(m) = &c.mapping {
        let copied: Vec<&str> =
            m.fields.iter().filter(|p| p.how == How::ByName).map(|p| p.name.as_str()).collect();
        if !copied.is_empty() {
            let _ = writeln!(out, "# copied by name: {}", copied.join(", "));
        }
        map_lines(&m.fields, out);
        if !m.unused.is_empty() {
            let names: Vec<String> = m.unused.iter().map(|f| f.name.clone()).collect();
            let _ = writeln!(out, "{}", todo(&dropped_question(m, c.source.as_ref())));
            let _ = writeln!(out, "drop = {}", list(&names));
        }
    }
    verify(c.verify.as_ref(), &c.key, out);
}

fn source(d: &Draft, s: Option<&Source>, out: &mut String) {
    let Some(s) = s else {
        out.push_str("source = { contract = \"TODO\", count = \"TODO\", get = \"TODO\" }\n");
        return;
    };
    let contract = q(&d.old_names[s.contract]);
    let abi = &d.old_abis[s.contract];
    match &s.kind {
        SourceKind::Enumerable { count } => {
            let count = count.as_ref().map_or("TODO".to_owned(), |c| function_ref(abi, c));
            let _ = writeln!(
                out,
                "source = {{ contract = {contract}, count = {}, get = {} }}",
                q(&count),
                q(&function_ref(abi, &s.get))
            );
        }
        SourceKind::Keyed { keys, .. } => {
            let keys = match keys {
                Keys::Event { event, args, .. } => {
                    out.push_str("# keys: every log of the event up to the snapshot block; a `from_block` at V1's deployment shortens the scan\n");
                    let sig = event.full_signature();
                    let sig = sig.strip_prefix("event ").unwrap_or(&sig);
                    let which = match args.as_slice() {
                        [one] => format!("arg = {}", q(one)),
                        many => format!("args = {}", list(many)),
                    };
                    format!("{{ event = {}, {which}, from_block = 0 }}", q(sig))
                }
                Keys::Unknown => "{ file = \"keys.json\" }".to_owned(),
            };
            let _ = writeln!(
                out,
                "source = {{ contract = {contract}, get = {}, keys = {keys} }}",
                q(&s.get.signature())
            );
        }
    }
}

/// The `map.<field>` lines, their comments aligned, each open question above its line.
fn map_lines(fields: &[FieldPlan], out: &mut String) {
    let lines: Vec<(&FieldPlan, String, Vec<String>)> = fields
        .iter()
        .filter(|p| p.how != How::ByName)
        .map(|p| {
            let mut todos = Vec::new();
            collect_todos(p, &mut todos);
            (p, format!("map.{} = {}", p.name, rule(p)), todos)
        })
        .collect();
    let col = lines.iter().map(|(_, l, _)| l.len()).max().unwrap_or(0).min(60);
    for (p, line, todos) in lines {
        for t in todos {
            let _ = writeln!(out, "{}", todo(&t));
        }
        match notes(p) {
            Some(note) => {
                let _ = writeln!(out, "{line:<col$}   # {note}");
            }
            None => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
}

/// A field's rule as a TOML value.
fn rule(p: &FieldPlan) -> String {
    match &p.how {
        How::ByName => q(&p.name),
        How::From(s) => q(s),
        How::Narrow(s) => format!("{{ from = {} }}", q(s)),
        How::Scale { from, mul } => format!("{{ from = {}, mul = {mul} }}", q(from)),
        How::Default => "{ default = true }".into(),
        How::Struct(members) => {
            let inner: Vec<String> =
                members.iter().map(|m| format!("{} = {}", m.name, rule(m))).collect();
            format!("{{ {} }}", inner.join(", "))
        }
    }
}

fn collect_todos(p: &FieldPlan, out: &mut Vec<String>) {
    out.extend(p.todo.clone());
    if let How::Struct(members) = &p.how {
        for m in members {
            collect_todos(m, out);
        }
    }
}

/// The remark next to a rule; for a struct, its members' remarks.
fn notes(p: &FieldPlan) -> Option<String> {
    match &p.how {
        How::Struct(members) => {
            let parts: Vec<String> = members
                .iter()
                .filter_map(|m| notes(m).map(|n| format!("{}: {n}", m.name)))
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => p.note.clone(),
    }
}

/// The question about V1 fields that no import field carries.
fn dropped_question(m: &super::fields::Mapping, source: Option<&Source>) -> String {
    let fields: Vec<String> = m.unused.iter().map(|f| f.described()).collect();
    let mut q = format!(
        "V1 {} {} {} no V2 field and {} dropped: confirm that V2 does not need {}",
        if fields.len() == 1 { "field" } else { "fields" },
        fields.join(", "),
        if fields.len() == 1 { "has" } else { "have" },
        if fields.len() == 1 { "is" } else { "are" },
        if fields.len() == 1 { "it" } else { "them" },
    );
    let statusy: Vec<&str> = m
        .unused
        .iter()
        .filter(|f| {
            f.is_enum()
                || ["status", "state", "kind", "phase"].contains(&f.name.to_lowercase().as_str())
        })
        .map(|f| f.name.as_str())
        .collect();
    if let (Some(first), Some(_)) = (statusy.first(), source) {
        let _ = write!(
            q,
            ". To migrate only the records in some states, add `filter = {{ field = \"{first}\", in = [...] }}`"
        );
    }
    q
}

fn verify(v: Option<&Verify>, key: &[String], out: &mut String) {
    let Some(v) = v else {
        let _ = writeln!(out, "verify = {{ get = \"TODO\", args = {} }}", list(key));
        return;
    };
    let mut parts = vec![format!("get = {}", q(&v.get.name)), format!("args = {}", list(&v.args))];
    if !v.map.is_empty() {
        let m: Vec<String> = v.map.iter().map(|(k, o)| format!("{k} = {}", q(o))).collect();
        parts.push(format!("map = {{ {} }}", m.join(", ")));
    }
    if let Some(d) = &v.digest {
        parts.push(format!("digest = {}", q(d)));
    }
    if let Some(c) = &v.count {
        parts.push(format!("count = {}", q(c)));
    }
    let _ = writeln!(out, "verify = {{ {} }}", parts.join(", "));
}

fn funds(d: &Draft, f: &Funds, out: &mut String) {
    out.push_str("\n[[funds]]\n");
    let _ = writeln!(out, "name = {}", q(&f.name));
    for t in &f.todos {
        let _ = writeln!(out, "{}", todo(t));
    }
    let _ = writeln!(out, "from = {}", q(&d.old_names[f.from]));
    let _ = writeln!(out, "to = {}", q(f.to.map_or("TODO", |t| d.new_names[t].as_str())));
    let _ = writeln!(out, "tokens = {}", f.tokens);
    let _ =
        writeln!(out, "call = {{ function = {}, args = [{}] }}", q(&f.function), f.args.join(", "));
    match &f.credited {
        Some((component, amount, token)) => {
            let token = token.as_ref().map(|t| format!(", token = {}", q(t))).unwrap_or_default();
            let _ = writeln!(
                out,
                "credited_by = {{ component = {}, amount = {}{token} }}",
                q(component),
                q(amount)
            );
        }
        None => out.push_str("credited_by = { component = \"TODO\", amount = \"TODO\" }\n"),
    }
}

/// A function as the manifest names it: by name, or by signature when it is overloaded.
fn function_ref(abi: &alloy::json_abi::JsonAbi, f: &alloy::json_abi::Function) -> String {
    let overloaded = abi.function(&f.name).is_some_and(|v| v.len() > 1);
    if overloaded { f.signature() } else { f.name.clone() }
}

fn todo(text: &str) -> String {
    format!("# {TODO_MARKER}: {text}")
}

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", "))
}
