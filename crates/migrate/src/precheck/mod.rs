//! Pre-checks: everything that can be known before a transaction is sent.

use std::collections::BTreeMap;

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    primitives::U256,
    providers::{DynProvider, Provider},
};
use molt_chain::{Sender, revert::Revert, tx::EstimateError};

use crate::{
    Error, Result,
    manifest::{KeyOrigin, Keys, Manifest, Records},
    record,
};
use molt_chain::read::{view, view_u64};

mod dispatch;

/// What the pre-checks may let through.
#[derive(Debug, Clone, Default)]
pub struct PrecheckOptions {
    /// `[[check]]`s that may fail, by name.
    pub allow_checks: Vec<String>,
    /// Components whose source may be empty (and which may be finalized with no record).
    pub allow_empty: Vec<String>,
    /// Accept records already on a target that the journal does not account for (an earlier run
    /// whose journal was lost): they are recognised by reading them back, and skipped.
    pub adopt_existing: bool,
    /// Per digest group (by its leader component, [`Manifest::digest_groups`]), the records
    /// this run's journal says were imported.
    pub journaled: BTreeMap<String, u64>,
    /// The owner is a Safe (`[governance]`): the owner's calls are not the signer's to make, and
    /// the signer (the migrator) may not hold its role before phase `open` grants it.
    pub safe_owner: bool,
}

/// What the pre-checks found, for `molt plan`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Precheck {
    /// Per component.
    pub components: Vec<ComponentPrecheck>,
    /// Checks that failed but were allowed by name.
    pub allowed_failures: Vec<String>,
    /// The sender's balance, in wei.
    pub balance: U256,
    /// A rough upper estimate of the gas the whole run needs.
    pub gas_estimate: u64,
    /// The fee cap used for the balance check, in wei per gas.
    pub max_fee_per_gas: u128,
}

/// One component in the pre-checks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComponentPrecheck {
    /// The component.
    pub name: String,
    /// Records in the source (before the filter). For a keyed source, the keys known before
    /// the snapshot: those of its keys file, 0 for keys from events or another component
    /// (found when the snapshot is taken).
    pub source_count: u64,
    /// Whether the source is keyed (one record per key).
    pub keyed: bool,
    /// Records the target contract already holds (its `verify.count`), when it has a count view.
    pub target_count: Option<u64>,
    /// A rough gas per record.
    pub gas_per_record: u64,
}

/// Runs the pre-checks.
pub async fn run(manifest: &Manifest, sender: &Sender, opts: &PrecheckOptions) -> Result<Precheck> {
    let provider = sender.provider();
    sender.check_chain_id().await?;
    dispatch::check(provider, manifest).await?;
    let allowed_failures = run_checks(provider, manifest, &opts.allow_checks).await?;
    if !opts.safe_owner {
        check_access(sender, manifest).await?;
    }
    let targets = target_counts(provider, manifest).await?;
    check_existing(manifest, &targets, opts)?;

    let mut components = Vec::new();
    let mut gas_estimate = 0u64;
    for c in &manifest.components {
        let source = manifest.contract(&c.source.contract).address;
        let target_count = targets.get(manifest.digest_group(c).leader.name.as_str()).copied();
        let count = match &c.source.records {
            Records::Enumerated { count: count_fn, .. } => {
                let count = view_u64(provider, source, count_fn, None).await?;
                let empty = count == 0 && target_count.unwrap_or(0) == 0;
                if empty && !opts.allow_empty.contains(&c.name) {
                    return Err(Error::EmptySource {
                        component: c.name.clone(),
                        contract: c.source.contract.clone(),
                        function: count_fn.signature(),
                    });
                }
                count
            }
            Records::Keyed(k) => {
                crate::keys::probe(provider, manifest, c).await?;
                match &k.origin {
                    KeyOrigin::File { keys, .. } => keys.len() as u64,
                    _ => 0,
                }
            }
        };
        let gas_per_record = if count == 0 {
            0
        } else {
            gas_per_record(sender, manifest, c, opts.safe_owner).await?
        };
        gas_estimate += gas_per_record * count;
        components.push(ComponentPrecheck {
            name: c.name.clone(),
            source_count: count,
            keyed: c.source.keyed().is_some(),
            target_count,
            gas_per_record,
        });
    }
    gas_estimate +=
        100_000 * (manifest.pause.len() + manifest.funds.len() + manifest.finalize.len()) as u64;

    let fees = sender.fees().await?;
    let balance = provider.get_balance(sender.address()).await.map_err(molt_chain::Error::from)?;
    let need = U256::from(gas_estimate) * U256::from(fees.max_fee_per_gas);
    if balance < need {
        return Err(Error::InsufficientBalance { account: sender.address(), have: balance, need });
    }
    Ok(Precheck {
        components,
        allowed_failures,
        balance,
        gas_estimate,
        max_fee_per_gas: fees.max_fee_per_gas,
    })
}

/// Evaluates the `[[check]]`s; returns the failures that `allow` lets through.
async fn run_checks(
    provider: &DynProvider,
    manifest: &Manifest,
    allow: &[String],
) -> Result<Vec<String>> {
    let mut allowed_failures = Vec::new();
    for check in &manifest.checks {
        let address = manifest.contract(&check.contract).address;
        let got = view(provider, address, &check.function, &[], None).await?;
        if got.first() == Some(&check.expect) {
            continue;
        }
        let got = match got.first().map(record::to_json) {
            Some(serde_json::Value::String(s)) => s,
            Some(v) => v.to_string(),
            None => "nothing".into(),
        };
        if allow.contains(&check.name) {
            allowed_failures.push(format!("{} (got {got})", check.name));
            continue;
        }
        return Err(Error::CheckFailed {
            name: check.name.clone(),
            call: format!("{}.{}", check.contract, check.function.signature()),
            got,
            message: check.message.clone(),
        });
    }
    Ok(allowed_failures)
}

/// A simulated call of every owner call the run makes must not fail for lack of a role.
async fn check_access(sender: &Sender, manifest: &Manifest) -> Result<()> {
    for p in &manifest.pause {
        let data = p.call.abi_encode_input(&[]).expect("no arguments");
        simulate(sender, manifest, &p.contract, &p.call.signature(), data).await?;
    }
    for f in &manifest.finalize {
        if let Ok(data) = f.function.abi_encode_input(&placeholder_args(manifest, &f.args)) {
            simulate(sender, manifest, &f.contract, &f.function.signature(), data).await?;
        }
    }
    Ok(())
}

/// Per digest group with a count view (by its leader component), the records its target
/// holds.
async fn target_counts<'a>(
    provider: &DynProvider,
    manifest: &'a Manifest,
) -> Result<BTreeMap<&'a str, u64>> {
    let mut counts = BTreeMap::new();
    for group in manifest.digest_groups() {
        let Some(count) = &group.leader.verify.count else { continue };
        let address = manifest.contract(group.contract()).address;
        counts.insert(group.leader.name.as_str(), view_u64(provider, address, count, None).await?);
    }
    Ok(counts)
}

/// A target holding more records than the journal accounts for stops the run, unless adopted.
fn check_existing(
    manifest: &Manifest,
    targets: &BTreeMap<&str, u64>,
    opts: &PrecheckOptions,
) -> Result<()> {
    if opts.adopt_existing {
        return Ok(());
    }
    for group in manifest.digest_groups() {
        let Some(&onchain) = targets.get(group.leader.name.as_str()) else { continue };
        let known = opts.journaled.get(&group.leader.name).copied().unwrap_or(0);
        if onchain > known {
            return Err(Error::ExistingRecords {
                contract: group.contract().into(),
                components: group.label(),
                onchain,
                known,
            });
        }
    }
    Ok(())
}

/// A rough gas per record, from a simulated import of the component's first record.
async fn gas_per_record(
    sender: &Sender,
    manifest: &Manifest,
    c: &crate::manifest::Component,
    safe_owner: bool,
) -> Result<u64> {
    let source = manifest.contract(&c.source.contract).address;
    let (index, args) = match &c.source.records {
        Records::Enumerated { first, .. } => {
            (*first, vec![DynSolValue::Uint(U256::from(*first), 256)])
        }
        Records::Keyed(Keys { origin: KeyOrigin::File { keys, .. }, .. }) => (0, keys[0].clone()),
        // Keys are found with the snapshot: size it like a record of zeros.
        Records::Keyed(k) => (0, k.types.iter().map(crate::manifest::zero_value).collect()),
    };
    let first =
        record::fields_of(view(sender.provider(), source, &c.source.get, &args, None).await?);
    let fields = record::with_pseudo(c, index, &args, first);
    let target = record::map_record(c, index, &fields)?;
    let data = c
        .target
        .import
        .abi_encode_input(&[DynSolValue::Array(vec![target.clone()])])
        .expect("typed");
    let simulated =
        match simulate(sender, manifest, &c.target.contract, &c.target.import.signature(), data)
            .await
        {
            // The migrator gets its role from the Safe's phase `open`, after the pre-checks.
            Err(Error::MissingRole { .. }) if safe_owner => None,
            other => other?,
        };
    Ok(match simulated {
        Some(gas) => gas.saturating_sub(21_000),
        // Reverts for want of funds before they are moved: size it from its storage.
        None => 22_100 * (target.abi_encode().len() as u64 / 32) + 5_000,
    })
}

/// Simulates a call from the sender. `Ok(Some(gas))` when it would succeed, `Ok(None)` when it
/// reverts for a reason other than access control (state the run will change first), and an
/// error when the sender lacks the role or ownership the call needs.
async fn simulate(
    sender: &Sender,
    manifest: &Manifest,
    contract: &str,
    function: &str,
    data: Vec<u8>,
) -> Result<Option<u64>> {
    let address = manifest.contract(contract).address;
    match sender.estimate(address, data.into(), U256::ZERO).await {
        Ok(gas) => Ok(Some(gas)),
        Err(EstimateError::Reverted { revert }) if is_access_denied(&revert) => {
            Err(Error::MissingRole {
                account: sender.address(),
                contract: contract.into(),
                function: function.into(),
                reason: revert.to_string(),
            })
        }
        Err(EstimateError::Reverted { .. }) => Ok(None),
        Err(EstimateError::Rpc(e)) => Err(Error::Chain(e.into())),
    }
}

fn is_access_denied(revert: &Revert) -> bool {
    match revert {
        Revert::Custom { name, .. } => {
            name.contains("Unauthorized")
                || name.starts_with("AccessControl")
                || name.contains("NotOwner")
        }
        Revert::Message(m) => {
            let m = m.to_lowercase();
            m.contains("not the owner") || m.contains("missing role") || m.contains("unauthorized")
        }
        _ => false,
    }
}

fn placeholder_args(manifest: &Manifest, args: &[crate::manifest::Arg]) -> Vec<DynSolValue> {
    args.iter()
        .map(|a| match a {
            crate::manifest::Arg::Value(v) => v.clone(),
            crate::manifest::Arg::ContractAddress(n) => {
                DynSolValue::Address(manifest.contract(n).address)
            }
            crate::manifest::Arg::Amount => DynSolValue::Uint(U256::ZERO, 256),
            _ => DynSolValue::Address(Default::default()),
        })
        .collect()
}
