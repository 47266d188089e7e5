//! Deciding, for every old function, whether the adapter forwards it, converts it or stubs it,
//! and writing its Solidity.

use alloy::json_abi::{Function, StateMutability};
use serde::Serialize;

use super::{
    convert::{Converter, Dir, mentions},
    mapping::FunctionMap,
    pairing::FunctionPair,
    types::{Ty, mutability_word, param_names},
};

/// What the adapter does with one old function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Called on the target with the same arguments and results.
    Forwarded,
    /// Called on the target through a mechanical (or mapped) conversion.
    Converted,
    /// Reverts `NotSupportedByAdapter(selector)`: a human must decide.
    Stubbed,
}

impl Disposition {
    /// `forwarded`, `converted` or `stubbed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forwarded => "forwarded",
            Self::Converted => "converted",
            Self::Stubbed => "stubbed",
        }
    }
}

/// The decision for one old function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionPlan {
    /// The old function's canonical signature.
    pub signature: String,
    /// Its selector (`0x` + 8 hex digits).
    pub selector: String,
    /// Forwarded, converted or stubbed.
    pub disposition: Disposition,
    /// The new function called (forwarded and converted functions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// How the call is converted, or why it is a stub and what the options are.
    pub notes: Vec<String>,
}

/// A planned function with the Solidity pieces the renderers need.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) plan: FunctionPlan,
    /// The adapter function's Solidity (NatSpec, comments and body).
    pub(crate) code: String,
    /// The new function's selector (forwarded and converted).
    pub(crate) new_selector: Option<String>,
    /// Whether the test sends value.
    pub(crate) payable: bool,
    /// Old input types (old registry), for test samples.
    pub(crate) inputs: Vec<Ty>,
    /// Old output types (old registry), for decoding in the test.
    pub(crate) outputs: Vec<Ty>,
    /// Old output names as in the ABI (may be empty).
    pub(crate) output_names: Vec<String>,
    /// The old function's mutability as the old interface declares it (pure read as view).
    pub(crate) mutability: StateMutability,
}

/// Context shared by every function of one adapter.
pub(crate) struct Ctx<'a> {
    pub(crate) conv: &'a mut Converter,
    /// The name of the adapter's `INew` state variable (`target`).
    pub(crate) target: &'a str,
    /// Both ABIs (for hints about removed functions).
    pub(crate) old_abi: &'a alloy::json_abi::JsonAbi,
    pub(crate) new_abi: &'a alloy::json_abi::JsonAbi,
}

fn types_of(params: &[alloy::json_abi::Param]) -> Vec<String> {
    params.iter().map(|p| p.selector_type().into_owned()).collect()
}

fn hex_selector(f: &Function) -> String {
    format!("{}", f.selector())
}

fn mut_str(m: StateMutability) -> &'static str {
    match m {
        StateMutability::Pure => "pure",
        StateMutability::View => "view",
        StateMutability::NonPayable => "nonpayable",
        StateMutability::Payable => "payable",
    }
}

/// A function that could not be forwarded: why, and the options.
struct Stub {
    what: String,
    options: String,
}

impl Ctx<'_> {
    pub(crate) fn plan(
        &mut self,
        pair: &FunctionPair<'_>,
        map: Option<&FunctionMap>,
        new_fn: Option<&Function>,
    ) -> Planned {
        let old = pair.old;
        let inputs: Vec<Ty> = old.inputs.iter().map(|p| self.conv.old.param(p)).collect();
        let outputs: Vec<Ty> = old.outputs.iter().map(|p| self.conv.old.param(p)).collect();
        let mut names = param_names(&old.inputs, "arg");
        for n in &mut names {
            if n == self.target
                || n.starts_with("result")
                || n == "ret"
                || n.starts_with("ret") && n[3..].chars().all(|c| c.is_ascii_digit())
            {
                n.push('_');
            }
        }
        let base = Planned {
            plan: FunctionPlan {
                signature: old.signature(),
                selector: hex_selector(old),
                disposition: Disposition::Stubbed,
                target: None,
                notes: Vec::new(),
            },
            code: String::new(),
            new_selector: None,
            payable: old.state_mutability == StateMutability::Payable,
            inputs,
            outputs,
            output_names: old.outputs.iter().map(|p| p.name.clone()).collect(),
            mutability: match old.state_mutability {
                StateMutability::Pure => StateMutability::View,
                m => m,
            },
        };
        let result = match (map.and_then(|m| m.stub.as_deref()), new_fn) {
            (Some(reason), _) => Err(Stub {
                what: format!("mapped to a stub: {reason}"),
                options:
                    "remove the `stub` entry from the mapping file to let molt generate a forwarder"
                        .into(),
            }),
            (None, None) => {
                // Functions added in the new version with the same input and output types.
                let candidates: Vec<String> = self
                    .new_abi
                    .functions()
                    .filter(|f| !self.old_abi.functions().any(|o| o.selector() == f.selector()))
                    .filter(|f| {
                        types_of(&f.inputs) == types_of(&old.inputs)
                            && types_of(&f.outputs) == types_of(&old.outputs)
                    })
                    .map(|f| format!("`{}`", f.signature()))
                    .collect();
                let hint = if candidates.is_empty() {
                    String::new()
                } else {
                    format!(" (same types: {})", candidates.join(", "))
                };
                Err(Stub {
                    what: format!("`{}` was removed in the new version", old.signature()),
                    options: format!(
                        "map it to a new function in the mapping file (`new = \"...\"`){hint}, reimplement it here from the new contract's functions, or keep this stub"
                    ),
                })
            }
            (None, Some(n)) => self.forwarder(&base, &names, n, map),
        };
        match result {
            Ok(p) => p,
            Err(stub) => self.stub(base, stub),
        }
    }

    fn stub(&mut self, mut p: Planned, stub: Stub) -> Planned {
        let old_sig = p.plan.signature.clone();
        p.plan.notes = vec![stub.what.clone(), format!("options: {}", stub.options)];
        let params: Vec<String> =
            p.inputs.iter().map(|t| self.conv.old.decl(t, "", "calldata", true)).collect();
        let returns = self.returns_decl(&p.outputs);
        let m = if p.payable { " payable" } else { " pure" };
        let name = old_sig.split('(').next().unwrap_or_default();
        p.code = format!(
            "/// @notice Not supported by this adapter: reverts `NotSupportedByAdapter({sel})`.\n// TODO(molt): {}.\n// Options: {}.\nfunction {name}({}) external{m}{returns} {{\n    revert NotSupportedByAdapter(bytes4({sel}));\n}}",
            stub.what,
            stub.options,
            params.join(", "),
            sel = p.plan.selector,
        );
        p
    }

    fn returns_decl(&self, outputs: &[Ty]) -> String {
        if outputs.is_empty() {
            return String::new();
        }
        let o: Vec<String> =
            outputs.iter().map(|t| self.conv.old.decl(t, "", "memory", true)).collect();
        format!(" returns ({})", o.join(", "))
    }

    fn forwarder(
        &mut self,
        base: &Planned,
        names: &[String],
        n: &Function,
        map: Option<&FunctionMap>,
    ) -> Result<Planned, Stub> {
        use StateMutability::*;
        let old = base.plan.signature.clone();
        let new_sig = n.signature();
        let (om, nm) = (base.mutability, n.state_mutability);
        let stub = |what: String, options: &str| Stub { what, options: options.to_owned() };
        if matches!(om, View | Pure) && matches!(nm, NonPayable | Payable) {
            return Err(stub(
                format!(
                    "`{old}` is view in the old interface but `{new_sig}` is {} in the new version: a view forwarder cannot call it",
                    mut_str(nm)
                ),
                "declare the function non-view in a copy of the old interface (callers using staticcall break), compute the value from the new contract's view functions, or keep this stub",
            ));
        }
        if om == Payable && nm != Payable {
            return Err(stub(
                format!(
                    "`{old}` is payable in the old interface but `{new_sig}` is {}: the ETH sent cannot be forwarded",
                    mut_str(nm)
                ),
                "keep the ETH in the adapter (and decide who may withdraw it), forward only calls without value, or keep this stub",
            ));
        }
        let mut notes = Vec::new();
        let mut changed = n.selector() != base_selector(base);
        let empty = std::collections::BTreeMap::new();
        let args_map = map.map_or(&empty, |m| &m.args);
        let returns_map = map.map_or(&empty, |m| &m.returns);
        let payable_value = om == Payable && nm == Payable;
        for (k, e) in args_map.iter().chain(returns_map) {
            if mentions(e, "msg") && e.contains("msg.value") && om != Payable {
                return Err(stub(
                    format!("the mapping uses `msg.value` in `{k}`, but `{old}` is not payable"),
                    "use a constant instead, or keep this stub",
                ));
            }
        }

        // Inputs: every new parameter from the mapping, an old parameter of the same name, or
        // the old parameter at the same position (same arity, name not used elsewhere).
        let new_in_names = param_names(&n.inputs, "arg");
        let new_in: Vec<Ty> = n.inputs.iter().map(|p| self.conv.new.param(p)).collect();
        let mut used = vec![false; names.len()];
        let mut pre = Vec::<String>::new();
        let mut args = Vec::new();
        for (j, (nn, nt)) in new_in_names.iter().zip(&new_in).enumerate() {
            let key_idx = j.to_string();
            if let Some(e) = args_map.get(nn).or_else(|| args_map.get(&key_idx)) {
                notes.push(format!("`{nn}` = `{e}` (mapping file)"));
                for (i, on) in names.iter().enumerate() {
                    used[i] |= mentions(e, on);
                }
                args.push(e.clone());
                changed = true;
                continue;
            }
            let skip: Vec<String> = args_map
                .keys()
                .filter_map(|k| k.strip_prefix(&format!("{nn}.")).map(str::to_owned))
                .collect();
            let src = names.iter().position(|o| o == nn).or_else(|| {
                (names.len() == new_in_names.len() && !new_in_names.contains(&names[j]) && !used[j])
                    .then_some(j)
            });
            let Some(i) = src else {
                return Err(stub(
                    format!(
                        "`{new_sig}` takes `{}`, which the old call does not provide",
                        self.conv.new.decl(nt, nn, "", false)
                    ),
                    &format!(
                        "give it a value in the mapping file (`args = {{ {nn} = \"...\" }}`), or keep this stub"
                    ),
                ));
            };
            used[i] = true;
            let ot = base.inputs[i].clone();
            let c = self
                .conv
                .convert(&names[i], &ot, nt, Dir::In, &skip, &names[i], &mut notes)
                .map_err(|why| {
                    stub(
                        why,
                        "state the conversion in the mapping file (`args`), or keep this stub",
                    )
                })?;
            changed |= c.changed;
            if skip.is_empty() {
                args.push(c.expr);
            } else {
                let local = format!("{nn}_");
                pre.push(format!(
                    "{} = {};",
                    self.conv.new.decl(nt, &local, "memory", true),
                    c.expr
                ));
                for s in &skip {
                    let e = &args_map[&format!("{nn}.{s}")];
                    notes.push(format!("`{nn}.{s}` = `{e}` (mapping file)"));
                    for (i, on) in names.iter().enumerate() {
                        used[i] |= mentions(e, on);
                    }
                    pre.push(format!("{local}.{s} = {e};"));
                }
                args.push(local);
                changed = true;
            }
        }
        if map.is_none()
            && let Some(i) = used.iter().position(|u| !u)
        {
            return Err(stub(
                format!(
                    "the old argument `{}` has no place in `{new_sig}`: the call would drop it",
                    names[i]
                ),
                "map the function in the mapping file (`new`, `args`) to accept that, or keep this stub",
            ));
        }

        // Outputs: the mapping, a new output of the same name, or the one at the same position.
        let new_out: Vec<Ty> = n.outputs.iter().map(|p| self.conv.new.param(p)).collect();
        let single = new_out.len() == 1;
        let result_name =
            |j: usize| if single { "result".to_owned() } else { format!("result{j}") };
        let mut ret_exprs = Vec::new();
        let mut post = Vec::new();
        let mut used_results = vec![false; new_out.len()];
        for (i, (op, ot)) in
            base.output_names.iter().cloned().zip(base.outputs.iter().cloned()).enumerate()
        {
            let oname = op;
            let keys = [oname.clone(), i.to_string()];
            if let Some(e) = keys.iter().filter(|k| !k.is_empty()).find_map(|k| returns_map.get(k))
            {
                notes.push(match (oname.is_empty(), base.outputs.len()) {
                    (true, 1) => format!("returns `{e}` (mapping file)"),
                    (true, _) => format!("returns #{i} = `{e}` (mapping file)"),
                    (false, _) => format!("returns `{oname}` = `{e}` (mapping file)"),
                });
                for (j, u) in used_results.iter_mut().enumerate() {
                    *u |= mentions(e, &result_name(j));
                }
                ret_exprs.push(e.clone());
                changed = true;
                continue;
            }
            let mut skip: Vec<(String, String)> = Vec::new();
            for (k, e) in returns_map {
                let (head, rest) = match k.split_once('.') {
                    Some((h, r)) => (h, Some(r)),
                    None => (k.as_str(), None),
                };
                let is_this = head == i.to_string() || (!oname.is_empty() && head == oname);
                match rest {
                    Some(rest) if is_this => skip.push((rest.to_owned(), e.clone())),
                    _ if base.outputs.len() == 1 && !is_this => skip.push((k.clone(), e.clone())),
                    _ => {}
                }
            }
            skip.sort();
            skip.dedup();
            let src = n
                .outputs
                .iter()
                .position(|p| !oname.is_empty() && p.name == oname)
                .or_else(|| (i < new_out.len()).then_some(i));
            let Some(j) = src else {
                return Err(stub(
                    format!(
                        "`{new_sig}` does not return the old output #{i} `{}`",
                        self.conv.old.sol(&ot, false)
                    ),
                    "give its value in the mapping file (`returns`), or keep this stub",
                ));
            };
            used_results[j] = true;
            let skip_paths: Vec<String> = skip.iter().map(|(s, _)| s.clone()).collect();
            let what = match (&ot, oname.is_empty()) {
                (Ty::Struct(k), true) => self.conv.old.structs[*k].name.clone(),
                (_, true) => format!("output #{i}"),
                (_, false) => oname.clone(),
            };
            let c = self
                .conv
                .convert(
                    &result_name(j),
                    &new_out[j],
                    &ot,
                    Dir::Out,
                    &skip_paths,
                    &what,
                    &mut notes,
                )
                .map_err(|why| {
                    stub(
                        why,
                        "state the conversion in the mapping file (`returns`), or keep this stub",
                    )
                })?;
            changed |= c.changed;
            if skip.is_empty() {
                ret_exprs.push(c.expr);
            } else {
                let local = format!("ret{i}");
                post.push(format!(
                    "{} = {};",
                    self.conv.old.decl(&ot, &local, "memory", true),
                    c.expr
                ));
                for (s, e) in &skip {
                    notes.push(format!("returns `{s}` = `{e}` (mapping file)"));
                    for (j, u) in used_results.iter_mut().enumerate() {
                        *u |= mentions(e, &result_name(j));
                    }
                    post.push(format!("{local}.{s} = {e};"));
                }
                ret_exprs.push(local);
                changed = true;
            }
        }
        if new_out.len() > base.outputs.len() && !base.outputs.is_empty() {
            changed = true;
            notes.push(format!(
                "`{new_sig}` returns {} values; old callers get the first {} matched",
                new_out.len(),
                base.outputs.len()
            ));
        }

        // The adapter function.
        let value = if payable_value { "{value: msg.value}" } else { "" };
        let call = format!("{}.{}{value}({})", self.target, n.name, args.join(", "));
        let identity_returns = ret_exprs.len() == new_out.len()
            && ret_exprs.iter().enumerate().all(|(j, e)| *e == result_name(j))
            && post.is_empty();
        let mut body = pre;
        if base.outputs.is_empty() {
            body.push(format!("{call};"));
        } else if identity_returns {
            body.push(format!("return {call};"));
        } else {
            let locals: Vec<String> = new_out
                .iter()
                .enumerate()
                .map(|(j, t)| {
                    if used_results[j] {
                        self.conv.new.decl(t, &result_name(j), "memory", true)
                    } else {
                        String::new()
                    }
                })
                .collect();
            if single {
                body.push(format!("{} = {call};", locals[0]));
            } else {
                body.push(format!("({}) = {call};", locals.join(", ")));
            }
            body.extend(post);
            if ret_exprs.len() == 1 {
                body.push(format!("return {};", ret_exprs[0]));
            } else {
                body.push(format!("return ({});", ret_exprs.join(", ")));
            }
        }
        let params: Vec<String> = base
            .inputs
            .iter()
            .zip(names)
            .enumerate()
            .map(|(i, (t, name))| {
                if used[i] {
                    self.conv.old.decl(t, name, "calldata", true)
                } else {
                    self.conv.old.decl(t, "", "calldata", true)
                }
            })
            .collect();
        // Strictest mutability the forwarding allows (an override may narrow nonpayable to view).
        let m = match (om, nm) {
            (Payable, _) => Payable,
            (_, View | Pure) => View,
            (View | Pure, _) => View,
            _ => NonPayable,
        };
        let disposition = if changed { Disposition::Converted } else { Disposition::Forwarded };
        let mut doc = match disposition {
            Disposition::Forwarded => vec![format!("/// @notice Forwarded as-is to `{new_sig}`.")],
            _ => vec![format!("/// @notice Converted: calls `{new_sig}`.")],
        };
        let mut dev = Vec::new();
        if om == Payable {
            dev.push("`msg.value` is forwarded".to_owned());
        }
        for (i, name) in names.iter().enumerate() {
            if !used[i] {
                notes.push(format!("the old argument `{name}` is not used (mapping file)"));
            }
        }
        dev.extend(notes.iter().cloned());
        match dev.as_slice() {
            [] => {}
            [one] => doc.push(format!("/// @dev {one}.")),
            many => {
                doc.push("/// @dev".to_owned());
                doc.extend(many.iter().map(|n| format!("///  - {n};")));
            }
        }
        let code = format!(
            "{}\nfunction {}({}) external{}{} {{\n{}\n}}",
            doc.join("\n"),
            old.split('(').next().unwrap_or_default(),
            params.join(", "),
            mutability_word(m),
            self.returns_decl(&base.outputs),
            body.iter().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
        );
        let mut p = base.clone();
        p.plan.disposition = disposition;
        p.plan.target = Some(new_sig);
        p.plan.notes = notes;
        p.code = code;
        p.new_selector = Some(format!("{}", n.selector()));
        Ok(p)
    }
}

fn base_selector(p: &Planned) -> alloy::primitives::Selector {
    let hex = p.plan.selector.trim_start_matches("0x");
    let mut b = [0u8; 4];
    for (i, chunk) in b.iter_mut().enumerate() {
        *chunk = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or_default();
    }
    b.into()
}
