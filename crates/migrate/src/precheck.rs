//! Pre-checks: everything that can be known before a transaction is sent.

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    primitives::U256,
    providers::Provider,
};
use molt_chain::{Sender, revert::Revert, tx::EstimateError};

use crate::{
    Error, Result,
    manifest::Manifest,
    record,
    snapshot::{view, view_u64},
};

/// What the pre-checks found, for `molt plan`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Precheck {
    /// Per component: source records (before the filter) and a rough gas per record.
    pub components: Vec<(String, u64, u64)>,
    /// Checks that failed but were allowed by name.
    pub allowed_failures: Vec<String>,
    /// The sender's balance, in wei.
    pub balance: U256,
    /// A rough upper estimate of the gas the whole run needs.
    pub gas_estimate: u64,
    /// The fee cap used for the balance check, in wei per gas.
    pub max_fee_per_gas: u128,
}

/// Runs the pre-checks; `allow` names `[[check]]`s that may fail.
pub async fn run(manifest: &Manifest, sender: &Sender, allow: &[String]) -> Result<Precheck> {
    let provider = sender.provider();
    sender.check_chain_id().await?;
    for c in manifest.contracts.values() {
        let code = provider.get_code_at(c.address).await.map_err(molt_chain::Error::from)?;
        if code.is_empty() {
            return Err(Error::NoCode { contract: c.name.clone(), address: c.address });
        }
    }

    let mut allowed_failures = Vec::new();
    for check in &manifest.checks {
        let address = manifest.contract(&check.contract).address;
        let got = view(provider, address, &check.function, &[], None).await?;
        if got.first() != Some(&check.expect) {
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
    }

    // Access: a simulated call of every call the run makes must not fail for lack of a role.
    for p in &manifest.pause {
        let data = p.call.abi_encode_input(&[]).expect("no arguments");
        simulate(sender, manifest, &p.contract, &p.call.signature(), data).await?;
    }
    for f in &manifest.finalize {
        if let Ok(data) = f.function.abi_encode_input(&placeholder_args(manifest, &f.args)) {
            simulate(sender, manifest, &f.contract, &f.function.signature(), data).await?;
        }
    }

    let mut components = Vec::new();
    let mut gas_estimate = 0u64;
    for c in &manifest.components {
        let source = manifest.contract(&c.source.contract).address;
        let count = view_u64(provider, source, &c.source.count, None).await?;
        let per_record = if count == 0 {
            0
        } else {
            let args = [DynSolValue::Uint(U256::from(c.source.first), 256)];
            let first =
                record::fields_of(view(provider, source, &c.source.get, &args, None).await?);
            let target = record::map_record(c, c.source.first, &first)?;
            let data = c
                .target
                .import
                .abi_encode_input(&[DynSolValue::Array(vec![target.clone()])])
                .expect("typed");
            match simulate(sender, manifest, &c.target.contract, &c.target.import.signature(), data)
                .await?
            {
                Some(gas) => gas.saturating_sub(21_000),
                // Reverts for want of funds before they are moved: size it from its storage.
                None => 22_100 * (target.abi_encode().len() as u64 / 32) + 5_000,
            }
        };
        gas_estimate += per_record * count;
        components.push((c.name.clone(), count, per_record));
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
