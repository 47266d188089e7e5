//! `molt plan`: the pre-checks against the node, then the whole run rehearsed on a fork, with
//! what the node says about fees and block time: the `molt.plan/1` document.

use std::time::Duration;

use alloy::providers::{DynProvider, Provider};
use molt_chain::Sender;
use serde::Serialize;

use crate::{
    Result,
    events::Observer,
    manifest::Manifest,
    precheck,
    rehearsal::{self, Rehearsal},
    run::RunOptions,
};

/// `molt.plan/1`.
#[derive(Debug, Serialize)]
pub struct Plan {
    /// `molt.plan/1`.
    pub schema: &'static str,
    /// The node's chain (the fork runs with its own id).
    pub chain_id: u64,
    /// The node's block the fork was taken at.
    pub block: u64,
    /// Per component, in manifest order.
    pub components: Vec<PlanComponent>,
    /// The account that sends the migrator's transactions (lowercase hex).
    pub sender: String,
    /// Whether it was rehearsed without a key (`--sender`: impersonated on the fork).
    pub keyless: bool,
    /// Every transaction of the rehearsal that succeeded, in journal order.
    pub transactions: Vec<PlanTx>,
    /// With a Safe owner: each owner phase's Safe transaction, executed through the Safe on
    /// the fork, with the hashes its owners sign on the real chain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub safe_transactions: Vec<PlanSafeTx>,
    /// The sum over `transactions`.
    pub total_gas: u64,
    /// The node's current fee cap, wei per gas.
    pub max_fee_per_gas: String,
    /// `total_gas × max_fee_per_gas`.
    pub max_cost_wei: String,
    /// The signing account's balance on the node.
    pub sender_balance_wei: String,
    /// `⌈transactions / max_in_flight⌉ + 3 × (confirmations − 1)`.
    pub estimated_blocks: u64,
    /// `estimated_blocks` × the node's recent block time; none when it mines on demand.
    pub estimated_seconds: Option<f64>,
    /// Whether the rehearsal verified.
    pub verified_on_fork: bool,
    /// `[[check]]`s that failed but were allowed, as `name (got value)`.
    pub allowed_check_failures: Vec<String>,
    /// Components with no record to migrate.
    pub empty_components: Vec<String>,
    /// Seconds between the node's recent blocks, when it mines on a clock.
    #[serde(skip)]
    pub block_time: Option<f64>,
    /// How long the rehearsal took.
    #[serde(skip)]
    pub elapsed: Duration,
    /// The rehearsal's first mismatch, when it did not verify.
    #[serde(skip)]
    pub mismatch: Option<String>,
}

/// One component of the plan.
#[derive(Debug, Serialize)]
pub struct PlanComponent {
    /// The component.
    pub name: String,
    /// Records to migrate (after the filter).
    pub records: u64,
    /// Source records the filter left out.
    pub filtered: u64,
    /// Where a keyed source's keys came from; absent for sources by index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_from: Option<crate::component_snapshot::KeysFrom>,
    /// Batch transactions on the fork.
    pub batches: u64,
    /// Gas those batches used.
    pub gas: u64,
    /// `gas / records`, rounded down; none when there are no records.
    pub gas_per_record: Option<u64>,
}

/// One owner phase's Safe transaction, as rehearsed through the Safe on the fork.
#[derive(Debug, Serialize)]
pub struct PlanSafeTx {
    /// `open` or `close`.
    pub phase: crate::governance::PhaseName,
    /// The Safe (lowercase hex).
    pub safe: String,
    /// Its threshold on the real chain (the fork executed with 1).
    pub threshold: u64,
    /// The Safe nonce the SafeTx uses.
    pub nonce: u64,
    /// The SafeTx's `to`: the one call's contract, or MultiSendCallOnly.
    pub to: String,
    /// `call` (0) or `delegatecall` (1, MultiSendCallOnly).
    pub operation: &'static str,
    /// The SafeTx's calldata.
    pub data: String,
    /// The calls, decoded.
    pub calls: Vec<crate::governance::OwnerCall>,
    /// The EIP-712 domain hash on the real chain.
    pub domain_hash: String,
    /// The EIP-712 message (struct) hash.
    pub message_hash: String,
    /// The `safeTxHash` the owners sign on the real chain.
    pub safe_tx_hash: String,
    /// Gas of the `execTransaction` on the fork.
    pub gas_used: u64,
    /// The owner the fork impersonated to execute it.
    pub executor: String,
}

impl PlanSafeTx {
    fn new(r: &crate::owner::RehearsedPhase, chain_id: u64) -> Self {
        let hashes = r.hashes_on(chain_id);
        let tx = &r.phase.safe_tx;
        Self {
            phase: r.phase.phase,
            safe: format!("{:#x}", r.safe),
            threshold: r.threshold,
            nonce: r.phase.nonce,
            to: format!("{:#x}", tx.to),
            operation: if tx.operation == 1 { "delegatecall" } else { "call" },
            data: tx.data.to_string(),
            calls: r.phase.calls.clone(),
            domain_hash: hashes.domain_separator.to_string(),
            message_hash: hashes.struct_hash.to_string(),
            safe_tx_hash: hashes.safe_tx_hash.to_string(),
            gas_used: r.gas_used,
            executor: format!("{:#x}", r.executor),
        }
    }
}

/// One transaction of the rehearsal.
#[derive(Debug, Serialize)]
pub struct PlanTx {
    /// Its journal step.
    pub step: String,
    /// Gas it used.
    pub gas: u64,
}

/// Pre-checks against the node (so that errors name its state), then rehearses the whole run
/// on a fork of the node at `url`; nothing is sent to the node.
pub async fn plan(
    manifest: &Manifest,
    real: &Sender,
    url: &str,
    opts: &RunOptions,
    obs: &dyn Observer,
) -> Result<Plan> {
    crate::run::check_migrator(manifest, real.address())?;
    let checks = precheck::run(manifest, real, &opts.precheck_options(&[], manifest)).await?;
    let provider = real.provider();
    let head = provider.get_block_number().await.map_err(molt_chain::Error::from)?;
    let block_time = average_block_time(provider, head).await;
    let fees = real.fees().await?;
    let r = rehearsal::rehearse(manifest, real, url, opts, obs).await?;
    let total_gas = r.total_gas();
    // Plus the waits for confirmations: after the pause, the last batch and the finalize.
    let estimated_blocks = r.txs.len().div_ceil(manifest.batch.max_in_flight) as u64
        + 3 * manifest.network.confirmations.saturating_sub(1);
    Ok(Plan {
        schema: "molt.plan/1",
        chain_id: real.chain_id(),
        block: r.block,
        components: components(&r),
        sender: format!("{:#x}", real.address()),
        keyless: real.is_keyless(),
        safe_transactions: r
            .report
            .safe_phases
            .iter()
            .map(|p| PlanSafeTx::new(p, real.chain_id()))
            .collect(),
        transactions: r
            .txs
            .iter()
            .map(|(step, gas)| PlanTx { step: step.clone(), gas: *gas })
            .collect(),
        total_gas,
        max_fee_per_gas: fees.max_fee_per_gas.to_string(),
        max_cost_wei: (u128::from(total_gas) * fees.max_fee_per_gas).to_string(),
        sender_balance_wei: checks.balance.to_string(),
        estimated_blocks,
        estimated_seconds: block_time.map(|t| t * estimated_blocks as f64),
        verified_on_fork: r.report.verified,
        allowed_check_failures: checks.allowed_failures,
        empty_components: r
            .report
            .components
            .iter()
            .filter(|c| c.source_count == 0)
            .map(|c| c.name.clone())
            .collect(),
        block_time,
        elapsed: r.elapsed,
        mismatch: r.report.mismatch,
    })
}

fn components(r: &Rehearsal) -> Vec<PlanComponent> {
    r.report
        .components
        .iter()
        .map(|c| PlanComponent {
            name: c.name.clone(),
            records: c.source_count,
            filtered: c.filtered,
            keys_from: c.keys_from.clone(),
            batches: c.batches,
            gas: c.gas_used,
            gas_per_record: c.gas_used.checked_div(c.source_count),
        })
        .collect()
}

/// Seconds between the last blocks, when the node mines on a clock.
async fn average_block_time(provider: &DynProvider, latest: u64) -> Option<f64> {
    let span = latest.min(10);
    if span == 0 {
        return None;
    }
    let ts = |n: u64| async move {
        provider.get_block_by_number(n.into()).await.ok().flatten().map(|b| b.header.timestamp)
    };
    let (a, b) = (ts(latest - span).await?, ts(latest).await?);
    let t = (b.saturating_sub(a)) as f64 / span as f64;
    // Demo nodes with a fixed timestamp interval and no real clock look like 12 s too; fine.
    (t >= 1.0).then_some(t)
}
