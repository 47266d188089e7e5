//! What a rollback undoes: read from the run's journal, nothing else.

use std::collections::BTreeSet;

use alloy::primitives::Address;

use crate::{
    journal::{Entry, Step, StepState, steps},
    manifest::{Funds, Manifest, Pause},
};

/// The run's own effects on the old side, as its journal records them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Undo {
    /// The `[[pause]]` contracts this run paused (those paused before it are left paused).
    pub pauses: Vec<String>,
    /// The funds moves this run made: `[[funds]]` name and token.
    pub funds: Vec<(String, Address)>,
}

impl Undo {
    /// What the steps the journal records as done did: mined and successful, or in an owner
    /// phase the Safe executed.
    pub fn of(manifest: &Manifest, entries: &[Entry]) -> Self {
        let done = done_steps(entries);
        let pauses = manifest
            .pause
            .iter()
            .filter(|p| done.contains(&Step::Pause(p.contract.clone())))
            .map(|p| p.contract.clone())
            .collect();
        let funds = done
            .iter()
            .filter_map(|s| match s {
                Step::Funds { name, token } => Some((name.clone(), token.parse().ok()?)),
                _ => None,
            })
            .filter(|(name, _)| manifest.funds.iter().any(|f| &f.name == name))
            .collect();
        Self { pauses, funds }
    }

    /// Whether the run did nothing on the old side.
    pub fn is_empty(&self) -> bool {
        self.pauses.is_empty() && self.funds.is_empty()
    }

    /// What the run did, for people: `paused registry_v1, jobs_v1 and moved funds stakes (ETH)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.pauses.is_empty() {
            parts.push(format!("paused {}", self.pauses.join(", ")));
        }
        if !self.funds.is_empty() {
            let moves: Vec<String> =
                self.funds.iter().map(|(n, t)| format!("{n} ({})", token_name(*t))).collect();
            parts.push(format!("moved the funds {}", moves.join(", ")));
        }
        parts.join(" and ")
    }

    /// The entries of this undo that the manifest gives no call for: a pause without
    /// `unpause`, funds without `return`.
    pub fn missing_calls(&self, manifest: &Manifest) -> Vec<String> {
        let pause = |c: &str| manifest.pause.iter().find(|p| p.contract == c);
        let funds = |n: &str| manifest.funds.iter().find(|f| f.name == n);
        let mut missing: Vec<String> = self
            .pauses
            .iter()
            .filter(|c| pause(c).is_none_or(|p: &Pause| p.unpause.is_none()))
            .map(|c| format!("the [[pause]] of `{c}` has no `unpause = \"<function>\"`"))
            .collect();
        let mut names: Vec<&str> = self.funds.iter().map(|(n, _)| n.as_str()).collect();
        names.dedup();
        missing.extend(
            names
                .into_iter()
                .filter(|n| funds(n).is_none_or(|f: &Funds| f.return_call.is_none()))
                .map(|n| {
                    format!(
                        "[[funds]] `{n}` has no `return = {{ function = \"<function on the new contract>\", args = [...] }}`"
                    )
                }),
        );
        missing
    }
}

/// Every step the journal records as done: its transaction mined and successful, or its call in
/// an owner phase the Safe executed.
fn done_steps(entries: &[Entry]) -> BTreeSet<Step> {
    let mined = steps(entries)
        .into_iter()
        .filter(|(_, s)| matches!(s, StepState::Mined(m) if m.success))
        .map(|(id, _)| id);
    let executed = entries.iter().filter_map(|e| {
        match e {
        Entry::OwnerPhaseExported { safe_tx_hash, steps, .. }
            if entries.iter().any(|x| {
                matches!(x, Entry::OwnerPhaseExecuted { safe_tx_hash: h, .. } if h == safe_tx_hash)
            }) =>
        {
            Some(steps.clone())
        }
        _ => None,
    }
    });
    mined.chain(executed.flatten()).filter_map(|id| id.parse().ok()).collect()
}

/// `ETH`, or the token's address.
pub fn token_name(token: Address) -> String {
    if token.is_zero() { "ETH".into() } else { token.to_string() }
}
