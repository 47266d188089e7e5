//! The rule catalog: every kind of change `molt diff` reports, in one table.
//!
//! Each [`Rule`] has its id (the `kind` in every output format), its default severity, a
//! description (SARIF `fullDescription`, `docs/diff.md`) and the message template findings are
//! written with. Kinds whose severity depends on the change (e.g.
//! [`Kind::FunctionMutabilityChanged`]) list the rule in [`Rule::severity_rule`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Change;

/// How serious a change is for callers and for the contract's stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, harmless.
    Info,
    /// Compatible, but deserves a look (fails the check under `--deny warnings`).
    Warning,
    /// Breaks callers, indexers or stored state: fails the check.
    Breaking,
}

impl Severity {
    /// `breaking`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One rule of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The kind of change.
    pub kind: Kind,
    /// Its id, the `kind` field of every output format (e.g. `function_removed`).
    pub id: &'static str,
    /// The severity findings of this kind get unless the rule or the config says otherwise.
    pub severity: Severity,
    /// When the severity depends on the change, how (empty otherwise).
    pub severity_rule: &'static str,
    /// What the rule detects and why it matters.
    pub description: &'static str,
    /// The message template: `{item}`, `{old}`, `{new}` and `{selector}` are replaced by the
    /// finding's values. `{: detail}` and `{ detail}` are replaced by its detail after `: ` or
    /// a space, then its aside in parentheses (` (aside)`), or by nothing when it has neither:
    /// the punctuation around a detail is written here, never by the code that finds it.
    pub template: &'static str,
}

macro_rules! catalog {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $id:literal, $sev:ident, $rule:literal, $desc:literal, $tmpl:literal;
    )*) => {
        /// A kind of change; its [`Rule`] is [`Kind::rule`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $( $(#[$doc])* $variant, )*
        }

        /// Every rule, in catalog order.
        pub static RULES: &[Rule] = &[
            $( Rule {
                kind: Kind::$variant,
                id: $id,
                severity: Severity::$sev,
                severity_rule: $rule,
                description: $desc,
                template: $tmpl,
            }, )*
        ];
    };
}

catalog! {
    /// A function's selector is gone and no overload of that name was changed into another.
    FunctionRemoved = "function_removed", Breaking, "",
        "A function of the old ABI is not in the new one: calls to its selector revert (or fall into the fallback).",
        "function `{item}` was removed";
    /// A function kept its name but its parameter types (and so its selector) changed.
    FunctionSignatureChanged = "function_signature_changed", Breaking, "",
        "A function kept its name but its parameter types changed, so its selector changed: existing callers use the old selector.",
        "function `{old}` became `{new}`: its selector changed from {selector}{ detail}";
    /// Same selector, different return types.
    FunctionOutputsChanged = "function_outputs_changed", Breaking, "",
        "A function returns different types: callers decode the return data wrongly.",
        "function `{item}` returns {new} instead of {old}";
    /// Same selector, different state mutability.
    FunctionMutabilityChanged = "function_mutability_changed", Breaking,
        "breaking for view/pure to nonpayable/payable and for payable to anything else; info otherwise",
        "A function's state mutability changed: view callers (eth_call, other contracts' staticcall) or senders of value can break.",
        "function `{item}` changed from {old} to {new}{: detail}";
    /// Same selector and types, parameter names differ.
    FunctionParamRenamed = "function_param_renamed", Info, "",
        "Input or output parameter names (or struct field names) changed, types are equal: only tools that use names (named arguments, decoded logs in UIs) notice.",
        "function `{item}`{: detail}";
    /// A selector that is only in the new ABI.
    FunctionAdded = "function_added", Info, "",
        "A function of the new ABI is not in the old one.",
        "function `{item}` was added";
    /// An event's topic0 is gone.
    EventRemoved = "event_removed", Breaking, "",
        "An event of the old ABI is not in the new one: indexers and subscribers that wait for it see nothing.",
        "event `{item}` was removed";
    /// An event kept its name but its parameter types (and so its topic0) changed.
    EventSignatureChanged = "event_signature_changed", Breaking, "",
        "An event kept its name but its parameter types changed, so its topic0 changed: indexers filter on the old topic.",
        "event `{old}` became `{new}`: its topic0 changed";
    /// Same topic0, different `indexed` flags.
    EventIndexedChanged = "event_indexed_changed", Breaking, "",
        "An event's parameters moved between topics and data: decoders of existing logs and topic filters break.",
        "event `{item}` changed its indexed parameters: `{old}` became `{new}`";
    /// An event became anonymous or stopped being anonymous.
    EventAnonymousChanged = "event_anonymous_changed", Breaking, "",
        "An event became anonymous (no topic0 is emitted) or stopped being anonymous: topic filters and decoders break.",
        "event `{item}` changed from {old} to {new}";
    /// Same topic0 and flags, parameter names differ.
    EventParamRenamed = "event_param_renamed", Info, "",
        "Event parameter names changed, types and indexed flags are equal.",
        "event `{item}`{: detail}";
    /// A topic0 that is only in the new ABI.
    EventAdded = "event_added", Info, "",
        "An event of the new ABI is not in the old one.",
        "event `{item}` was added";
    /// A custom error's selector is gone.
    ErrorRemoved = "error_removed", Warning, "",
        "A custom error of the old ABI is not in the new one: callers that decode it see unknown revert data.",
        "error `{item}` was removed";
    /// A custom error kept its name but its parameter types changed.
    ErrorSignatureChanged = "error_signature_changed", Warning, "",
        "A custom error kept its name but its parameter types changed, so its selector changed: callers that match on it no longer recognise it.",
        "error `{old}` became `{new}`: its selector changed from {selector}";
    /// A custom error that is only in the new ABI.
    ErrorAdded = "error_added", Info, "",
        "A custom error of the new ABI is not in the old one.",
        "error `{item}` was added";
    /// Constructor parameter types or payability changed.
    ConstructorChanged = "constructor_changed", Warning, "",
        "The constructor's parameters or payability changed, or the contract became abstract (or stopped being so): deployment scripts must be updated.",
        "the constructor{ detail}";
    /// The fallback function is gone.
    FallbackRemoved = "fallback_removed", Breaking, "",
        "The contract no longer has a fallback function: calls with unknown selectors (or plain calls with data) now revert.",
        "the fallback function was removed";
    /// The receive function is gone.
    ReceiveRemoved = "receive_removed", Breaking,
        "warning when the new ABI has a payable fallback, which plain transfers then run; breaking otherwise",
        "The contract no longer has a receive function: plain ether transfers now revert, or run the fallback when it is payable.",
        "the receive function was removed{ detail}";
    /// A fallback function appeared.
    FallbackAdded = "fallback_added", Info,
        "warning when selectors removed in the same change now fall into it silently; info otherwise",
        "The contract gained a fallback function. Calls to selectors removed in the same upgrade no longer revert but silently run the fallback.",
        "a fallback function was added{: detail}";
    /// A receive function appeared.
    ReceiveAdded = "receive_added", Info, "",
        "The contract gained a receive function.",
        "a receive function was added";
    /// Two different signatures share one selector.
    SelectorCollision = "selector_collision", Breaking, "",
        "Two different signatures share one 4-byte selector (a function and an error of one ABI, or a proxy function and an implementation function): one of them is unreachable or misdecoded.",
        "`{item}` and `{new}` share selector {selector}{ detail}";
    /// A contract of the old build is not in the new one.
    ContractRemoved = "contract_removed", Breaking, "",
        "A contract of the old build has no counterpart in the new one (pair renamed contracts with `--rename Old=New` or `[diff.renames]`).",
        "contract `{item}` was removed";
    /// A contract that is only in the new build.
    ContractAdded = "contract_added", Info, "",
        "A contract of the new build has no counterpart in the old one.",
        "contract `{item}` was added";
    /// A state variable is gone.
    StorageVariableRemoved = "storage_variable_removed", Breaking, "",
        "A state variable of the old layout is not in the new one: its data is orphaned and later variables may read it.",
        "state variable `{item}` ({old}) was removed{ detail}";
    /// A state variable was inserted before existing ones.
    StorageVariableInserted = "storage_variable_inserted", Breaking,
        "breaking when it shifts or overlaps existing variables; warning when it only fills unused bytes of a slot",
        "A state variable was inserted among existing ones: when it shifts them or overlaps their slots, every later variable reads the wrong data.",
        "state variable `{item}` ({new}) was inserted{ detail}";
    /// A state variable was added after every existing one.
    StorageVariableAppended = "storage_variable_appended", Info, "",
        "A state variable was added in storage no old variable used (after the last one, or in the space of a `__gap`).",
        "state variable `{item}` ({new}) was added{ detail}";
    /// A state variable's type changed.
    StorageTypeChanged = "storage_type_changed", Breaking,
        "breaking when incompatible; warning for layout-compatible changes (address, contract types and uint160 among each other, a mapping value that grows at its end, a struct `__gap` consumed by exactly the members added before it, an enum mapping key whose members changed, a change annotated `@custom:oz-retyped-from <old type>` that keeps the variable's place and size)",
        "A state variable's type changed: unless the new type reads the old bytes the same way, the stored data is misread.",
        "state variable `{item}` changed type from `{old}` to `{new}`{: detail}";
    /// A state variable was renamed in place.
    StorageVariableRenamed = "storage_variable_renamed", Warning,
        "info when the new variable is annotated `@custom:oz-renamed-from <old>`; warning otherwise",
        "A state variable (or a struct member) has a new name at the same slot, offset and type: harmless for the layout, but check that the meaning is the same.",
        "state variable `{item}`{ detail}";
    /// New variables do not consume a `__gap` by exactly their size.
    StorageGapMisused = "storage_gap_misused", Breaking, "",
        "A storage gap (`__gap`) must shrink by exactly the number of slots the new variables before it take, or every later variable moves.",
        "storage gap `{item}`{ detail}";
    /// An ERC-7201 namespace of the old version is gone.
    StorageNamespaceRemoved = "storage_namespace_removed", Breaking, "",
        "An ERC-7201 namespace (a struct annotated `@custom:storage-location erc7201:<id>`) of the old version is not declared by the new one: the data at its root slot is orphaned, or read by whatever uses those slots next.",
        "namespace `erc7201:{item}` (struct `{old}`) was removed{ detail}";
    /// Namespaced storage could not be compared.
    StorageNamespaceUnchecked = "storage_namespace_unchecked", Warning, "",
        "An artifact has no AST, so its ERC-7201 namespaces (which solc's storage layout does not list) could not be compared, and its source declares one or may have changed.",
        "namespaced storage not checked: build with ast = true{ detail}";
    /// A selector of the ABI is not dispatched by the deployed bytecode.
    DeployedSelectorMissing = "deployed_selector_missing", Breaking, "",
        "`--deployed`: a function of the ABI is not dispatched by the deployed runtime bytecode: calls to it revert or hit the fallback.",
        "function `{item}` is declared in the ABI but the deployed code has no selector {selector}";
    /// The deployed bytecode dispatches a selector the ABI does not declare.
    DeployedSelectorUndeclared = "deployed_selector_undeclared", Warning, "",
        "`--deployed`: the deployed runtime bytecode dispatches a selector the ABI does not declare (an older version is deployed, or the ABI is incomplete).",
        "the deployed code dispatches selector {selector}, which the ABI does not declare";
}

impl Kind {
    /// The kind's rule.
    pub fn rule(self) -> &'static Rule {
        // RULES is in declaration order, so the discriminant is the index.
        &RULES[self as usize]
    }

    /// The kind's id, e.g. `function_removed`.
    pub fn id(self) -> &'static str {
        self.rule().id
    }

    /// Finds a kind by id.
    pub fn from_id(id: &str) -> Option<Self> {
        RULES.iter().find(|r| r.id == id).map(|r| r.kind)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.id())
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl Rule {
    /// Fills the template with `change`'s values.
    pub fn message(&self, change: &Change) -> String {
        let mut out = String::with_capacity(self.template.len() + change.item.len());
        // A member of an ERC-7201 namespace is reported like a state variable, in its namespace.
        let scoped;
        let mut rest = self.template;
        if let Some(ns) = &change.namespace {
            out.push_str("namespace `erc7201:");
            out.push_str(ns);
            out.push_str("`: ");
            scoped = rest.replacen("state variable", "member", 1);
            rest = &scoped;
        }
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else { break };
            match &after[..end] {
                "item" => out.push_str(&change.item),
                "old" => out.push_str(change.old.as_deref().unwrap_or("")),
                "new" => out.push_str(change.new.as_deref().unwrap_or("")),
                "selector" => out.push_str(change.selector.as_deref().unwrap_or("")),
                ": detail" => push_detail(&mut out, ": ", change),
                " detail" => push_detail(&mut out, " ", change),
                other => {
                    out.push('{');
                    out.push_str(other);
                    out.push('}');
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// `separator` and the detail, then ` (aside)`: whichever of the two the change has.
fn push_detail(out: &mut String, separator: &str, change: &Change) {
    if let Some(detail) = change.detail_text() {
        out.push_str(separator);
        out.push_str(detail);
    }
    if let Some(aside) = change.aside_text() {
        out.push_str(" (");
        out.push_str(aside);
        out.push(')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_declaration_order_and_ids_are_unique() {
        for (i, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.kind as usize, i, "{}", rule.id);
            assert_eq!(Kind::from_id(rule.id), Some(rule.kind));
            assert!(!rule.description.is_empty() && !rule.template.is_empty());
        }
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }

    #[test]
    fn templates_use_only_known_placeholders() {
        for rule in RULES {
            let mut rest = rule.template.to_owned();
            for p in ["{item}", "{old}", "{new}", "{selector}", "{: detail}", "{ detail}"] {
                rest = rest.replace(p, "");
            }
            assert!(!rest.contains('{') && !rest.contains('}'), "{}: {}", rule.id, rule.template);
        }
    }

    #[test]
    fn templates_fill_placeholders() {
        let change = Change::of(Kind::FunctionSignatureChanged, "f(uint256)")
            .selector("0x12345678")
            .old("f(uint256)")
            .new("f(uint128)");
        assert_eq!(
            change.message,
            "function `f(uint256)` became `f(uint128)`: its selector changed from 0x12345678"
        );
        assert_eq!(
            change.detail("to 0x9abcdef0").message,
            "function `f(uint256)` became `f(uint128)`: its selector changed from 0x12345678 to 0x9abcdef0"
        );
    }

    #[test]
    fn the_template_writes_the_punctuation_around_details_and_asides() {
        let typed = |c: Change| c.old("uint256").new("uint128").message;
        let change = || Change::of(Kind::StorageTypeChanged, "x");
        assert_eq!(typed(change()), "state variable `x` changed type from `uint256` to `uint128`");
        assert_eq!(
            typed(change().detail("")),
            "state variable `x` changed type from `uint256` to `uint128`"
        );
        assert_eq!(
            typed(change().detail("it shrank")),
            "state variable `x` changed type from `uint256` to `uint128`: it shrank"
        );
        assert_eq!(
            typed(change().detail("it shrank").aside("see the docs")),
            "state variable `x` changed type from `uint256` to `uint128`: it shrank (see the docs)"
        );
        assert_eq!(
            Change::of(Kind::StorageVariableRemoved, "x")
                .old("uint256")
                .aside("it was at slot 3")
                .message,
            "state variable `x` (uint256) was removed (it was at slot 3)"
        );
        assert_eq!(
            Change::of(Kind::StorageVariableAppended, "y").new("bool").detail("at slot 4").message,
            "state variable `y` (bool) was added at slot 4"
        );
    }
}
