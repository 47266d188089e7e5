//! The upgrade rehearsed on a local anvil fork of the node, the way the Safe will run it.
//!
//! On the fork only: the deployer is impersonated to deploy the new implementation (at its
//! real nonce, so at the address the real deployment gets when it is the deployer's next
//! transaction); the Safe's threshold is set to 1 by writing its storage slot 4; one of its
//! owners, impersonated, executes the SafeTx with an approved-hash signature (v = 1,
//! r = owner: the sender of `execTransaction` approves by sending it). Nothing reaches the node.

use alloy::{
    json_abi::JsonAbi,
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, U256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
};
use molt_abi::Artifact;
use molt_chain::{
    Devnet, RevertDecoder, RpcOptions,
    safe::{Safe, SafeTx},
};
use serde::Serialize;

use super::{
    UpgradeError,
    checks::{CheckResult, Invariant},
    proxy::{IMPLEMENTATION_SLOT, ProxyInfo},
};
use crate::rehearsal::fork_chain_id;

/// What the rehearsal found.
#[derive(Debug, Clone, Serialize)]
pub struct Rehearsal {
    /// The block the fork was taken at.
    pub block: u64,
    /// The new implementation on the fork.
    pub implementation: Address,
    /// Gas the deployment used.
    pub deploy_gas: u64,
    /// How the upgrade went.
    pub outcome: Outcome,
    /// The invariants before and after (empty when the upgrade did not happen).
    pub checks: Vec<CheckResult>,
}

impl Rehearsal {
    /// Whether the upgrade ran and every invariant held.
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Upgraded { .. }) && self.checks.iter().all(|c| c.ok)
    }
}

/// How the upgrade through the Safe went on the fork.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The Safe executed it and the proxy points at the new implementation.
    Upgraded {
        /// Gas of `execTransaction`.
        gas_used: u64,
    },
    /// The upgrade call reverted (the initializer, the authorization, the implementation
    /// check), decoded with the ABIs' errors.
    Reverted {
        /// The decoded revert, e.g. `LimitTooHigh(limit: 5000, max: 1000)`.
        error: String,
    },
    /// The Safe refused or the call went through without upgrading.
    Failed {
        /// Why.
        reason: String,
    },
}

/// What the rehearsal needs.
#[derive(Debug)]
pub struct Plan<'a> {
    /// The proxy as read from the node.
    pub proxy: &'a ProxyInfo,
    /// The new implementation.
    pub new: &'a Artifact,
    /// Its initializer calldata (empty: none).
    pub init: &'a Bytes,
    /// The invariants.
    pub invariants: &'a [Invariant],
    /// Who deploys the new implementation.
    pub deployer: Address,
    /// The errors a revert is decoded with.
    pub decoder: &'a RevertDecoder,
}

/// Rehearses `plan` on a fork of the node at `url` (chain `chain_id`) at its latest block.
pub async fn rehearse(
    plan: &Plan<'_>,
    url: &str,
    chain_id: u64,
    block: u64,
) -> Result<Rehearsal, UpgradeError> {
    let devnet = Devnet::fork(url, Some(block))
        .chain_id(fork_chain_id(chain_id))
        .spawn()
        .await
        .map_err(|source| UpgradeError::NoFork { source })?;
    let fork = molt_chain::connect(&devnet.endpoint(), RpcOptions::default())?;
    let (implementation, deploy_gas) = deploy_impersonated(&fork, plan.deployer, plan.new).await?;
    let proxy = plan.proxy.address;
    let mut before = Vec::new();
    for i in plan.invariants {
        before.push(i.read_before(&fork, proxy).await?);
    }
    let data = plan.proxy.upgrade_calldata(implementation, plan.init.clone());
    let outcome = match simulate(&fork, plan, &data).await {
        Some(error) => Outcome::Reverted { error },
        None => execute(&fork, plan.proxy, data, implementation).await?,
    };
    let mut checks = Vec::new();
    if matches!(outcome, Outcome::Upgraded { .. }) {
        for (i, b) in plan.invariants.iter().zip(&before) {
            checks.push(i.compare_after(&fork, proxy, b).await);
        }
    }
    Ok(Rehearsal { block, implementation, deploy_gas, outcome, checks })
}

/// Deploys `artifact` from the impersonated `deployer` on the fork.
async fn deploy_impersonated(
    fork: &DynProvider,
    deployer: Address,
    artifact: &Artifact,
) -> Result<(Address, u64), UpgradeError> {
    impersonate(fork, deployer).await?;
    let nonce = fork.get_transaction_count(deployer).await?;
    let code = artifact.creation_code()?.clone();
    let tx = TransactionRequest::default().with_from(deployer).with_deploy_code(code);
    let pending = fork.send_transaction(tx).await?;
    let receipt = pending.get_receipt().await.map_err(molt_chain::Error::from)?;
    if !receipt.status() {
        return Err(UpgradeError::Deploy {
            reason: format!("the deployment of {} reverted on the fork", artifact.name),
        });
    }
    Ok((deployer.create(nonce), receipt.gas_used))
}

/// The decoded revert of the upgrade call made by the Safe, if it reverts. Safe's
/// `execTransaction` would only say GS013; the call itself says why.
async fn simulate(fork: &DynProvider, plan: &Plan<'_>, data: &Bytes) -> Option<String> {
    let tx = TransactionRequest::default()
        .with_from(plan.proxy.safe)
        .with_to(plan.proxy.upgrade_target())
        .with_input(data.clone());
    let err = fork.call(tx).await.err()?;
    Some(match plan.decoder.decode_error(&err) {
        Some(revert) => revert.to_string(),
        None => err.to_string(),
    })
}

/// Runs the upgrade through the Safe: threshold 1, one impersonated owner executing with its
/// approved-hash signature; then checks the implementation slot.
async fn execute(
    fork: &DynProvider,
    proxy: &ProxyInfo,
    data: Bytes,
    implementation: Address,
) -> Result<Outcome, UpgradeError> {
    if proxy.safe_owners.is_empty() {
        return Ok(Outcome::Failed { reason: format!("the Safe {} has no owners", proxy.safe) });
    }
    let chain_id = fork.get_chain_id().await?;
    let safe = Safe::new(proxy.safe, chain_id, fork.clone());
    let tx = SafeTx::call(proxy.upgrade_target(), U256::ZERO, data, safe.nonce().await?);
    let receipt = match safe.exec_on_fork(&tx, Address::ZERO).await {
        Ok((_, receipt)) => receipt,
        Err(e) => return Ok(Outcome::Failed { reason: e.to_string() }),
    };
    let word =
        fork.get_storage_at(proxy.address, U256::from_be_bytes(IMPLEMENTATION_SLOT.0)).await?;
    let now = Address::from_word(B256::from(word));
    if now != implementation {
        let reason = format!(
            "the Safe executed the call, but the proxy's implementation is {now}, not {implementation}"
        );
        return Ok(Outcome::Failed { reason });
    }
    Ok(Outcome::Upgraded { gas_used: receipt.gas_used })
}

async fn impersonate(fork: &DynProvider, who: Address) -> Result<(), UpgradeError> {
    let rich = U256::from(10u128.pow(24));
    fork.raw_request::<_, serde_json::Value>("anvil_impersonateAccount".into(), (who,)).await?;
    fork.raw_request::<_, serde_json::Value>("anvil_setBalance".into(), (who, rich)).await?;
    Ok(())
}

/// The errors an upgrade call may revert with besides the implementations' own: OpenZeppelin's
/// proxy, UUPS, Initializable, Ownable and Address errors.
pub fn proxy_errors() -> JsonAbi {
    JsonAbi::parse([
        "error ERC1967InvalidImplementation(address implementation)",
        "error ERC1967NonPayable()",
        "error UUPSUnauthorizedCallContext()",
        "error UUPSUnsupportedProxiableUUID(bytes32 slot)",
        "error InvalidInitialization()",
        "error NotInitializing()",
        "error OwnableUnauthorizedAccount(address account)",
        "error AddressEmptyCode(address target)",
        "error FailedCall()",
    ])
    .expect("valid error signatures")
}
