//! Deciding, for every old function, whether the adapter forwards it, converts it or stubs it,
//! and writing its Solidity.

use std::collections::BTreeMap;

use alloy::json_abi::{Function, JsonAbi, Param, StateMutability};
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

/// What every function of one adapter shares: the type converter, the name of the adapter's
/// target variable and both ABIs.
pub(crate) struct AdapterContext<'a> {
    pub(crate) conv: &'a mut Converter,
    /// The name of the adapter's `INew` state variable (`target`).
    pub(crate) target: &'a str,
    /// Both ABIs (for hints about removed functions).
    pub(crate) old_abi: &'a JsonAbi,
    pub(crate) new_abi: &'a JsonAbi,
}

fn types_of(params: &[Param]) -> Vec<String> {
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

fn stub(what: String, options: &str) -> Stub {
    Stub { what, options: options.to_owned() }
}

/// The old function's argument names as the adapter declares them: the ABI's names, with `_`
/// appended where one would shadow the target variable or a result local.
fn argument_names(old: &Function, target: &str) -> Vec<String> {
    let mut names = param_names(&old.inputs, "arg");
    for name in &mut names {
        if name == target
            || name.starts_with("result")
            || name == "ret"
            || name.starts_with("ret") && name[3..].chars().all(|c| c.is_ascii_digit())
        {
            name.push('_');
        }
    }
    names
}

/// Marks `used[i]` for every `names[i]` that `expr` mentions.
fn mark_mentioned(used: &mut [bool], names: &[String], expr: &str) {
    for (u, name) in used.iter_mut().zip(names) {
        *u |= mentions(expr, name);
    }
}

impl AdapterContext<'_> {
    /// Decides what the adapter does with `pair.old`, called on `new_fn` (the differ's match or
    /// the mapping's), and writes its Solidity.
    pub(crate) fn decide(
        &mut self,
        pair: &FunctionPair<'_>,
        map: Option<&FunctionMap>,
        new_fn: Option<&Function>,
    ) -> Planned {
        let base = self.stubbed_plan(pair.old);
        let names = argument_names(pair.old, self.target);
        let result = match (map.and_then(|m| m.stub.as_deref()), new_fn) {
            (Some(reason), _) => Err(Stub {
                what: format!("mapped to a stub: {reason}"),
                options:
                    "remove the `stub` entry from the mapping file to let molt generate a forwarder"
                        .into(),
            }),
            (None, None) => Err(self.removed(pair.old)),
            (None, Some(new_fn)) => self.forwarder(&base, &names, new_fn, map),
        };
        match result {
            Ok(p) => p,
            Err(stub) => self.stub(base, stub),
        }
    }

    /// The old function's plan before any decision: a stub without code.
    fn stubbed_plan(&mut self, old: &Function) -> Planned {
        Planned {
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
            inputs: old.inputs.iter().map(|p| self.conv.old.param(p)).collect(),
            outputs: old.outputs.iter().map(|p| self.conv.old.param(p)).collect(),
            output_names: old.outputs.iter().map(|p| p.name.clone()).collect(),
            mutability: match old.state_mutability {
                StateMutability::Pure => StateMutability::View,
                m => m,
            },
        }
    }

    /// The stub of a function the new version removed, naming added functions of the same
    /// input and output types as candidates.
    fn removed(&self, old: &Function) -> Stub {
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
        Stub {
            what: format!("`{}` was removed in the new version", old.signature()),
            options: format!(
                "map it to a new function in the mapping file (`new = \"...\"`){hint}, reimplement it here from the new contract's functions, or keep this stub"
            ),
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

    /// A forwarder (or a converting one) from the old function to `new_fn`, or the reason it
    /// must be a stub. Steps: guards, inputs, outputs, rendering.
    fn forwarder(
        &mut self,
        base: &Planned,
        names: &[String],
        new_fn: &Function,
        map: Option<&FunctionMap>,
    ) -> Result<Planned, Stub> {
        let empty = BTreeMap::new();
        let call = Forwarding {
            base,
            names,
            new_fn,
            new_sig: new_fn.signature(),
            args_map: map.map_or(&empty, |m| &m.args),
            returns_map: map.map_or(&empty, |m| &m.returns),
        };
        call.check_mutability()?;
        call.check_msg_value()?;
        let mut draft =
            Draft { notes: Vec::new(), changed: new_fn.selector() != base_selector(base) };
        let inputs = self.map_inputs(&call, &mut draft)?;
        if map.is_none() {
            call.check_every_argument_used(&inputs.used)?;
        }
        let outputs = self.map_outputs(&call, &mut draft)?;
        call.note_extra_outputs(&outputs, &mut draft);
        Ok(self.render_forwarder(&call, inputs, outputs, draft))
    }
}

/// One old function being forwarded to a new one: what every step reads.
struct Forwarding<'a> {
    /// The old function's plan (types, names, mutability).
    base: &'a Planned,
    /// The old argument names (see [`argument_names`]).
    names: &'a [String],
    new_fn: &'a Function,
    new_sig: String,
    /// The mapping file's `args` and `returns` for this function (empty without an entry).
    args_map: &'a BTreeMap<String, String>,
    returns_map: &'a BTreeMap<String, String>,
}

/// What the steps of a forwarder accumulate: its notes, and whether anything is converted.
struct Draft {
    notes: Vec<String>,
    changed: bool,
}

/// The new call's arguments.
struct Inputs {
    /// One Solidity expression per new parameter.
    args: Vec<String>,
    /// Statements before the call (struct arguments assembled field by field).
    pre: Vec<String>,
    /// Which old arguments the call uses.
    used: Vec<bool>,
}

/// What the forwarder returns.
struct Outputs {
    /// The new function's output types.
    new_types: Vec<Ty>,
    /// The locals the new call's results are stored in (`result`, or `result0`, `result1`...).
    result_names: Vec<String>,
    /// One Solidity expression per old output.
    exprs: Vec<String>,
    /// Statements after the call (struct results assembled field by field).
    post: Vec<String>,
    /// Which new results the returned values use.
    used: Vec<bool>,
}

impl Forwarding<'_> {
    fn old_sig(&self) -> &str {
        &self.base.plan.signature
    }

    fn old_payable(&self) -> bool {
        self.base.mutability == StateMutability::Payable
    }

    /// A view cannot call a state-changing function, and ETH sent cannot go to a function that
    /// is not payable.
    fn check_mutability(&self) -> Result<(), Stub> {
        use StateMutability::*;
        let (old, new_sig) = (self.old_sig(), &self.new_sig);
        let (old_mutability, new_mutability) = (self.base.mutability, self.new_fn.state_mutability);
        if matches!(old_mutability, View | Pure) && matches!(new_mutability, NonPayable | Payable) {
            return Err(stub(
                format!(
                    "`{old}` is view in the old interface but `{new_sig}` is {} in the new version: a view forwarder cannot call it",
                    mut_str(new_mutability)
                ),
                "declare the function non-view in a copy of the old interface (callers using staticcall break), compute the value from the new contract's view functions, or keep this stub",
            ));
        }
        if old_mutability == Payable && new_mutability != Payable {
            return Err(stub(
                format!(
                    "`{old}` is payable in the old interface but `{new_sig}` is {}: the ETH sent cannot be forwarded",
                    mut_str(new_mutability)
                ),
                "keep the ETH in the adapter (and decide who may withdraw it), forward only calls without value, or keep this stub",
            ));
        }
        Ok(())
    }

    /// A mapping expression may only read `msg.value` in a payable function.
    fn check_msg_value(&self) -> Result<(), Stub> {
        for (key, expr) in self.args_map.iter().chain(self.returns_map) {
            if mentions(expr, "msg") && expr.contains("msg.value") && !self.old_payable() {
                return Err(stub(
                    format!(
                        "the mapping uses `msg.value` in `{key}`, but `{}` is not payable",
                        self.old_sig()
                    ),
                    "use a constant instead, or keep this stub",
                ));
            }
        }
        Ok(())
    }

    /// Without a mapping entry, a forwarder may not drop an old argument.
    fn check_every_argument_used(&self, used: &[bool]) -> Result<(), Stub> {
        match used.iter().position(|u| !u) {
            Some(i) => Err(stub(
                format!(
                    "the old argument `{}` has no place in `{}`: the call would drop it",
                    self.names[i], self.new_sig
                ),
                "map the function in the mapping file (`new`, `args`) to accept that, or keep this stub",
            )),
            None => Ok(()),
        }
    }

    /// The fields of the new parameter `param` that the mapping gives (`param.field` keys).
    fn mapped_arg_fields(&self, param: &str) -> Vec<String> {
        let prefix = format!("{param}.");
        self.args_map.keys().filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned)).collect()
    }

    /// The old argument the new parameter `j` (`param`) takes: the one of the same name, else
    /// the one at the same position (same arity, its name not a new parameter, not used yet).
    fn input_source(
        &self,
        j: usize,
        param: &str,
        new_names: &[String],
        used: &[bool],
    ) -> Option<usize> {
        let names = self.names;
        names.iter().position(|o| o == param).or_else(|| {
            (names.len() == new_names.len() && !new_names.contains(&names[j]) && !used[j])
                .then_some(j)
        })
    }

    /// The mapping's `returns` entries for the old output `i` (`name`): `(field path, expr)`,
    /// sorted. A single old output also takes every entry that does not name an output.
    fn mapped_return_fields(&self, i: usize, name: &str) -> Vec<(String, String)> {
        let single = self.base.outputs.len() == 1;
        let mut fields = Vec::new();
        for (key, expr) in self.returns_map {
            let (head, rest) = match key.split_once('.') {
                Some((h, r)) => (h, Some(r)),
                None => (key.as_str(), None),
            };
            let is_this = head == i.to_string() || (!name.is_empty() && head == name);
            match rest {
                Some(rest) if is_this => fields.push((rest.to_owned(), expr.clone())),
                _ if single && !is_this => fields.push((key.clone(), expr.clone())),
                _ => {}
            }
        }
        fields.sort();
        fields.dedup();
        fields
    }

    /// The new output the old output `i` (`name`) comes from: the one of the same name, else
    /// the one at the same position.
    fn output_source(&self, i: usize, name: &str, new_count: usize) -> Option<usize> {
        self.new_fn
            .outputs
            .iter()
            .position(|p| !name.is_empty() && p.name == name)
            .or_else(|| (i < new_count).then_some(i))
    }

    /// A new function that returns more values than the old one is a conversion.
    fn note_extra_outputs(&self, outputs: &Outputs, draft: &mut Draft) {
        let (new_count, old_count) = (outputs.new_types.len(), self.base.outputs.len());
        if new_count > old_count && old_count > 0 {
            draft.changed = true;
            draft.notes.push(format!(
                "`{}` returns {new_count} values; old callers get the first {old_count} matched",
                self.new_sig
            ));
        }
    }
}

impl AdapterContext<'_> {
    /// Inputs: every new parameter from the mapping, an old parameter of the same name, or the
    /// old parameter at the same position.
    fn map_inputs(&mut self, call: &Forwarding<'_>, draft: &mut Draft) -> Result<Inputs, Stub> {
        let new_names = param_names(&call.new_fn.inputs, "arg");
        let new_types: Vec<Ty> =
            call.new_fn.inputs.iter().map(|p| self.conv.new.param(p)).collect();
        let mut inputs =
            Inputs { args: Vec::new(), pre: Vec::new(), used: vec![false; call.names.len()] };
        for (j, (param, new_ty)) in new_names.iter().zip(&new_types).enumerate() {
            if let Some(expr) =
                call.args_map.get(param).or_else(|| call.args_map.get(&j.to_string()))
            {
                draft.notes.push(format!("`{param}` = `{expr}` (mapping file)"));
                mark_mentioned(&mut inputs.used, call.names, expr);
                inputs.args.push(expr.clone());
                draft.changed = true;
                continue;
            }
            let Some(i) = call.input_source(j, param, &new_names, &inputs.used) else {
                return Err(stub(
                    format!(
                        "`{}` takes `{}`, which the old call does not provide",
                        call.new_sig,
                        self.conv.new.decl(new_ty, param, "", false)
                    ),
                    &format!(
                        "give it a value in the mapping file (`args = {{ {param} = \"...\" }}`), or keep this stub"
                    ),
                ));
            };
            inputs.used[i] = true;
            self.convert_input(call, i, param, new_ty, draft, &mut inputs)?;
        }
        Ok(inputs)
    }

    /// The new parameter `param` from the old argument `i`, converted; a struct whose fields
    /// the mapping gives is assembled in a local before the call.
    fn convert_input(
        &mut self,
        call: &Forwarding<'_>,
        i: usize,
        param: &str,
        new_ty: &Ty,
        draft: &mut Draft,
        inputs: &mut Inputs,
    ) -> Result<(), Stub> {
        let fields = call.mapped_arg_fields(param);
        let old_name = &call.names[i];
        let old_ty = call.base.inputs[i].clone();
        let c = self
            .conv
            .convert(old_name, &old_ty, new_ty, Dir::In, &fields, old_name, &mut draft.notes)
            .map_err(|why| {
                stub(why, "state the conversion in the mapping file (`args`), or keep this stub")
            })?;
        draft.changed |= c.changed;
        if fields.is_empty() {
            inputs.args.push(c.expr);
            return Ok(());
        }
        let local = format!("{param}_");
        inputs.pre.push(format!(
            "{} = {};",
            self.conv.new.decl(new_ty, &local, "memory", true),
            c.expr
        ));
        for field in &fields {
            let expr = &call.args_map[&format!("{param}.{field}")];
            draft.notes.push(format!("`{param}.{field}` = `{expr}` (mapping file)"));
            mark_mentioned(&mut inputs.used, call.names, expr);
            inputs.pre.push(format!("{local}.{field} = {expr};"));
        }
        inputs.args.push(local);
        draft.changed = true;
        Ok(())
    }

    /// Outputs: every old output from the mapping, a new output of the same name, or the one at
    /// the same position.
    fn map_outputs(&mut self, call: &Forwarding<'_>, draft: &mut Draft) -> Result<Outputs, Stub> {
        let new_types: Vec<Ty> =
            call.new_fn.outputs.iter().map(|p| self.conv.new.param(p)).collect();
        let result_names = match new_types.len() {
            1 => vec!["result".to_owned()],
            n => (0..n).map(|j| format!("result{j}")).collect(),
        };
        let mut outputs = Outputs {
            used: vec![false; new_types.len()],
            new_types,
            result_names,
            exprs: Vec::new(),
            post: Vec::new(),
        };
        let old_outputs = call.base.output_names.iter().zip(&call.base.outputs);
        for (i, (name, old_ty)) in old_outputs.enumerate() {
            if let Some(expr) = Self::mapped_output(call, i, name, draft, &mut outputs) {
                outputs.exprs.push(expr);
                continue;
            }
            self.convert_output(call, i, name, old_ty, draft, &mut outputs)?;
        }
        Ok(outputs)
    }

    /// The old output `i` (`name`) when the mapping gives it whole (by name or index).
    fn mapped_output(
        call: &Forwarding<'_>,
        i: usize,
        name: &str,
        draft: &mut Draft,
        outputs: &mut Outputs,
    ) -> Option<String> {
        let keys = [name.to_owned(), i.to_string()];
        let expr = keys.iter().filter(|k| !k.is_empty()).find_map(|k| call.returns_map.get(k))?;
        draft.notes.push(match (name.is_empty(), call.base.outputs.len()) {
            (true, 1) => format!("returns `{expr}` (mapping file)"),
            (true, _) => format!("returns #{i} = `{expr}` (mapping file)"),
            (false, _) => format!("returns `{name}` = `{expr}` (mapping file)"),
        });
        mark_mentioned(&mut outputs.used, &outputs.result_names, expr);
        draft.changed = true;
        Some(expr.clone())
    }

    /// The old output `i` (`name`) from a new result, converted; a struct whose fields the
    /// mapping gives is assembled in a local after the call.
    fn convert_output(
        &mut self,
        call: &Forwarding<'_>,
        i: usize,
        name: &str,
        old_ty: &Ty,
        draft: &mut Draft,
        outputs: &mut Outputs,
    ) -> Result<(), Stub> {
        let fields = call.mapped_return_fields(i, name);
        let Some(j) = call.output_source(i, name, outputs.new_types.len()) else {
            return Err(stub(
                format!(
                    "`{}` does not return the old output #{i} `{}`",
                    call.new_sig,
                    self.conv.old.sol(old_ty, false)
                ),
                "give its value in the mapping file (`returns`), or keep this stub",
            ));
        };
        outputs.used[j] = true;
        let paths: Vec<String> = fields.iter().map(|(path, _)| path.clone()).collect();
        let what = match (old_ty, name.is_empty()) {
            (Ty::Struct(k), true) => self.conv.old.structs[*k].name.clone(),
            (_, true) => format!("output #{i}"),
            (_, false) => name.to_owned(),
        };
        let result = &outputs.result_names[j];
        let c = self
            .conv
            .convert(
                result,
                &outputs.new_types[j],
                old_ty,
                Dir::Out,
                &paths,
                &what,
                &mut draft.notes,
            )
            .map_err(|why| {
                stub(why, "state the conversion in the mapping file (`returns`), or keep this stub")
            })?;
        draft.changed |= c.changed;
        if fields.is_empty() {
            outputs.exprs.push(c.expr);
            return Ok(());
        }
        let local = format!("ret{i}");
        outputs.post.push(format!(
            "{} = {};",
            self.conv.old.decl(old_ty, &local, "memory", true),
            c.expr
        ));
        for (path, expr) in &fields {
            draft.notes.push(format!("returns `{path}` = `{expr}` (mapping file)"));
            mark_mentioned(&mut outputs.used, &outputs.result_names, expr);
            outputs.post.push(format!("{local}.{path} = {expr};"));
        }
        outputs.exprs.push(local);
        draft.changed = true;
        Ok(())
    }

    /// The forwarder's plan and Solidity: NatSpec, signature and body.
    fn render_forwarder(
        &self,
        call: &Forwarding<'_>,
        inputs: Inputs,
        outputs: Outputs,
        mut draft: Draft,
    ) -> Planned {
        for (name, used) in call.names.iter().zip(&inputs.used) {
            if !used {
                draft.notes.push(format!("the old argument `{name}` is not used (mapping file)"));
            }
        }
        let disposition =
            if draft.changed { Disposition::Converted } else { Disposition::Forwarded };
        let doc = forwarder_doc(disposition, &call.new_sig, call.old_payable(), &draft.notes);
        let params = self.forwarder_params(call, &inputs.used);
        let body = self.forwarder_body(call, inputs, outputs);
        let code = format!(
            "{}\nfunction {}({}) external{}{} {{\n{}\n}}",
            doc.join("\n"),
            call.old_sig().split('(').next().unwrap_or_default(),
            params.join(", "),
            mutability_word(forwarder_mutability(
                call.base.mutability,
                call.new_fn.state_mutability
            )),
            self.returns_decl(&call.base.outputs),
            body.iter().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
        );
        let mut p = call.base.clone();
        p.plan.disposition = disposition;
        p.plan.target = Some(call.new_sig.clone());
        p.plan.notes = draft.notes;
        p.code = code;
        p.new_selector = Some(format!("{}", call.new_fn.selector()));
        p
    }

    /// The old parameters as the forwarder declares them (unused ones without a name).
    fn forwarder_params(&self, call: &Forwarding<'_>, used: &[bool]) -> Vec<String> {
        let params = call.base.inputs.iter().zip(call.names).zip(used);
        params
            .map(|((ty, name), used)| {
                let name = if *used { name.as_str() } else { "" };
                self.conv.old.decl(ty, name, "calldata", true)
            })
            .collect()
    }

    /// The statements of the forwarder: the prepared arguments, the call, the converted
    /// results and the return.
    fn forwarder_body(
        &self,
        call: &Forwarding<'_>,
        inputs: Inputs,
        outputs: Outputs,
    ) -> Vec<String> {
        let value =
            if call.old_payable() && call.new_fn.state_mutability == StateMutability::Payable {
                "{value: msg.value}"
            } else {
                ""
            };
        let target_call =
            format!("{}.{}{value}({})", self.target, call.new_fn.name, inputs.args.join(", "));
        let identity_returns = outputs.exprs == outputs.result_names && outputs.post.is_empty();
        let mut body = inputs.pre;
        if call.base.outputs.is_empty() {
            body.push(format!("{target_call};"));
        } else if identity_returns {
            body.push(format!("return {target_call};"));
        } else {
            let locals: Vec<String> = (outputs.new_types.iter().zip(&outputs.result_names))
                .zip(&outputs.used)
                .map(|((ty, name), used)| {
                    if *used { self.conv.new.decl(ty, name, "memory", true) } else { String::new() }
                })
                .collect();
            if locals.len() == 1 {
                body.push(format!("{} = {target_call};", locals[0]));
            } else {
                body.push(format!("({}) = {target_call};", locals.join(", ")));
            }
            body.extend(outputs.post);
            if outputs.exprs.len() == 1 {
                body.push(format!("return {};", outputs.exprs[0]));
            } else {
                body.push(format!("return ({});", outputs.exprs.join(", ")));
            }
        }
        body
    }
}

/// The strictest mutability the forwarding allows (an override may narrow nonpayable to view).
fn forwarder_mutability(old: StateMutability, new: StateMutability) -> StateMutability {
    use StateMutability::*;
    match (old, new) {
        (Payable, _) => Payable,
        (_, View | Pure) => View,
        (View | Pure, _) => View,
        _ => NonPayable,
    }
}

/// The forwarder's NatSpec: what it calls, then its notes as `@dev`.
fn forwarder_doc(
    disposition: Disposition,
    new_sig: &str,
    old_payable: bool,
    notes: &[String],
) -> Vec<String> {
    let mut doc = match disposition {
        Disposition::Forwarded => vec![format!("/// @notice Forwarded as-is to `{new_sig}`.")],
        _ => vec![format!("/// @notice Converted: calls `{new_sig}`.")],
    };
    let mut dev = Vec::new();
    if old_payable {
        dev.push("`msg.value` is forwarded".to_owned());
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
    doc
}

fn base_selector(p: &Planned) -> alloy::primitives::Selector {
    let hex = p.plan.selector.trim_start_matches("0x");
    let mut b = [0u8; 4];
    for (i, chunk) in b.iter_mut().enumerate() {
        *chunk = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or_default();
    }
    b.into()
}
