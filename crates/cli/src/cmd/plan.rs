//! `molt plan`: the pre-checks and the plan (records, batches, gas, cost, time), found by
//! rehearsing the whole migration on a local anvil fork of the node. Nothing is sent to the node.

use alloy::providers::Provider;
use clap::Args;
use eyre::Result;
use molt_chain::Sender;
use molt_migrate::{
    Manifest,
    events::Observer,
    precheck,
    rehearsal::{self, Rehearsal},
    run::RunOptions,
};
use serde_json::json;

use crate::{
    cmd::migrate::{SafetyOpts, decoder, load_manifest, with_hint},
    connect,
    exit::Outcome,
    opts::{GlobalOpts, ManifestOpts, RpcOpts, WalletOpts},
    progress::{Progress, group},
    style::BOLD,
};

/// Arguments of `molt plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    manifest: ManifestOpts,
    #[command(flatten)]
    rpc: RpcOpts,
    #[command(flatten)]
    wallet: WalletOpts,
    /// Let the named `[[check]]` fail (repeatable).
    #[arg(long = "allow-check", value_name = "NAME")]
    allow_check: Vec<String>,
    #[command(flatten)]
    safety: SafetyOpts,
}

/// A rehearsal on a fork, with what the node says about time and fees.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Seconds between the node's recent blocks, when it mines on a clock.
    pub(crate) block_time: Option<f64>,
    /// The node's current fee caps.
    pub(crate) fees: molt_chain::Fees,
    /// The chain the plan is for (the fork runs with its own id).
    pub(crate) chain_id: u64,
    /// The rehearsal.
    pub(crate) rehearsal: Rehearsal,
}

/// Rehearses the whole migration on a local anvil fork of the node at its latest block, signing
/// as `real` would (on the fork's own chain id); nothing is sent to the node.
pub(crate) async fn rehearse(
    manifest: &Manifest,
    url: &str,
    real: &Sender,
    opts: &RunOptions,
    obs: &dyn Observer,
) -> Result<Plan> {
    let provider = real.provider();
    let block = provider.get_block_number().await?;
    let block_time = average_block_time(provider, block).await;
    let fees = real.fees().await?;
    let rehearsal = rehearsal::rehearse(manifest, real, url, opts, obs)
        .await
        .map_err(|e| with_hint(e, opts))?;
    Ok(Plan { block_time, fees, chain_id: real.chain_id(), rehearsal })
}

impl PlanArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let manifest = load_manifest(&self.manifest)?;
        let (url, provider) =
            connect::provider(&self.rpc, manifest.network.rpc_url.as_deref()).await?;
        let signer = connect::signer(&self.wallet, &provider, &url).await?;
        let real =
            connect::sender(&provider, signer).await?.with_revert_decoder(decoder(&manifest));
        let progress = Progress::new(global);
        let mut opts = RunOptions::new(self.manifest.journal_path(), std::env::temp_dir());
        opts.allow_checks = self.allow_check.clone();
        self.safety.apply(&mut opts);

        // Pre-checks against the node itself, so that errors name its state.
        let checks =
            precheck::run(&manifest, &real, &opts.precheck_options(&[], &manifest)).await?;
        progress.step("rehearsing the migration on a local fork (nothing is sent to the node)");
        let plan = rehearse(&manifest, &url, &real, &opts, &progress).await?;
        progress.finish();
        let r = &plan.rehearsal;
        let report = &r.report;
        let total_gas = r.total_gas();
        let cost_wei = u128::from(total_gas) * plan.fees.max_fee_per_gas;
        // Plus the waits for confirmations: after the pause, the last batch and the finalize.
        let blocks = r.txs.len().div_ceil(manifest.batch.max_in_flight) as u64
            + 3 * manifest.network.confirmations.saturating_sub(1);
        let eta = plan.block_time.map(|t| t * blocks as f64);
        let empty: Vec<&str> = report
            .components
            .iter()
            .filter(|c| c.source_count == 0)
            .map(|c| c.name.as_str())
            .collect();

        if global.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "schema": "molt.plan/1",
                    "chain_id": plan.chain_id,
                    "block": r.block,
                    "components": report.components.iter().map(|c| json!({
                        "name": c.name, "records": c.source_count, "batches": c.batches, "gas": c.gas_used,
                        "gas_per_record": c.gas_used.checked_div(c.source_count),
                    })).collect::<Vec<_>>(),
                    "empty_components": empty,
                    "transactions": r.txs.iter().map(|(s, g)| json!({"step": s, "gas": g})).collect::<Vec<_>>(),
                    "total_gas": total_gas,
                    "max_fee_per_gas": plan.fees.max_fee_per_gas.to_string(),
                    "max_cost_wei": cost_wei.to_string(),
                    "sender_balance_wei": checks.balance.to_string(),
                    "estimated_blocks": blocks,
                    "estimated_seconds": eta,
                    "verified_on_fork": report.verified,
                    "allowed_check_failures": checks.allowed_failures,
                }))?
            );
        } else {
            print_plan(&plan);
            println!("transactions:");
            let width = r.txs.iter().map(|(step, _)| step.len()).max().unwrap_or(0);
            for (step, gas) in &r.txs {
                println!("  {step:<width$} {:>14} gas", group(*gas));
            }
            println!(
                "total: {} transactions, {} gas, at most {} ETH at the current max fee of {:.4} gwei (the account holds {} ETH)",
                r.txs.len(),
                group(total_gas),
                ether(cost_wei),
                plan.fees.max_fee_per_gas as f64 / 1e9,
                ether(checks.balance.to::<u128>()),
            );
            match eta {
                Some(s) => println!(
                    "time: about {s:.0} s ({blocks} blocks of {:.1} s, {} batches in flight)",
                    plan.block_time.unwrap_or_default(),
                    manifest.batch.max_in_flight
                ),
                None => println!(
                    "time: the node mines on demand; the rehearsal took {:.1} s",
                    r.elapsed.as_secs_f64()
                ),
            }
            for c in &empty {
                println!(
                    "{}",
                    BOLD.paint(global.color_stdout(), &format!(
                        "WARNING: component `{c}` has no records: the migration would finalize it empty (allowed by --allow-empty {c})"
                    ))
                );
            }
            if !report.verified {
                println!(
                    "the rehearsal did NOT verify: {}",
                    report.mismatch.as_deref().unwrap_or("see above")
                );
            }
        }
        Ok(if report.verified { Outcome::Ok } else { Outcome::Problems })
    }
}

/// The per-component table of a rehearsal.
pub(crate) fn print_plan(plan: &Plan) {
    let r = &plan.rehearsal;
    println!(
        "plan for chain {} at block {} (rehearsed on a fork in {:.1} s)",
        plan.chain_id,
        r.block,
        r.elapsed.as_secs_f64()
    );
    println!(
        "{:<10} {:>8} {:>8} {:>16} {:>12}",
        "component", "records", "batches", "gas", "gas/record"
    );
    for c in &r.report.components {
        println!(
            "{:<10} {:>8} {:>8} {:>16} {:>12}",
            c.name,
            c.source_count,
            c.batches,
            group(c.gas_used),
            group(c.gas_used.checked_div(c.source_count).unwrap_or(0))
        );
    }
}

/// Seconds between the last blocks, when the node mines on a clock.
async fn average_block_time(provider: &alloy::providers::DynProvider, latest: u64) -> Option<f64> {
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

fn ether(wei: u128) -> String {
    format!("{:.6}", wei as f64 / 1e18)
}
