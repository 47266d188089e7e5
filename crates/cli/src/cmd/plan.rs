//! `molt plan`: the pre-checks and the plan (records, batches, gas, cost, time), found by
//! rehearsing the whole migration on a local anvil fork of the node. Nothing is sent to the node.

use std::time::{Duration, Instant};

use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use clap::Args;
use eyre::{Result, WrapErr};
use molt_chain::{Devnet, Sender, Toolchain};
use molt_migrate::{
    Manifest,
    events::Observer,
    journal::{Entry, Journal},
    run::{self, RunOptions},
};
use serde_json::json;

use crate::{
    cmd::migrate::{decoder, load_manifest},
    connect,
    opts::{GlobalOpts, ManifestOpts, RpcOpts, WalletOpts},
    progress::{Progress, group},
    report::{Hint, Outcome},
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
}

/// The outcome of a rehearsal on a fork.
#[derive(Debug)]
pub(crate) struct Rehearsal {
    /// The block the fork was taken at.
    pub(crate) block: u64,
    /// Seconds between the node's recent blocks, when it mines on a clock.
    pub(crate) block_time: Option<f64>,
    /// The node's current fee caps.
    pub(crate) fees: molt_chain::Fees,
    /// The run's report on the fork.
    pub(crate) report: run::Report,
    /// Every transaction of the run on the fork, with its gas.
    pub(crate) txs: Vec<(String, u64)>,
    /// How long the rehearsal took.
    pub(crate) elapsed: Duration,
}

impl Rehearsal {
    pub(crate) fn total_gas(&self) -> u64 {
        self.txs.iter().map(|(_, g)| g).sum()
    }
}

/// Runs the whole migration on a local anvil fork of the node at its latest block, signing as
/// `real` would; nothing is sent to the node.
pub(crate) async fn rehearse(
    manifest: &Manifest,
    url: &str,
    real: &Sender,
    signer: PrivateKeySigner,
    allow_checks: &[String],
    obs: &dyn Observer,
) -> Result<Rehearsal> {
    let provider = real.provider();
    let block = provider.get_block_number().await?;
    let block_time = average_block_time(provider, block).await;
    let fees = real.fees().await?;
    // Through a local forwarder when the URL carries credentials: anvil's command line is
    // visible to every local user.
    let fork =
        Devnet::fork(url, Some(block)).toolchain(Toolchain::discover()).spawn().await.map_err(
            |e| {
                eyre::eyre!(e).wrap_err(Hint(
                    "rehearsing needs anvil (scripts/setup installs it) to fork the node".into(),
                ))
            },
        )?;
    let forked = Sender::new(fork.provider().clone(), signer, real.chain_id())
        .with_revert_decoder(decoder(manifest));
    let dir = tempfile::tempdir().wrap_err("cannot create a temporary folder")?;
    let opts = RunOptions {
        checkpoint: dir.path().join("plan.molt-journal"),
        backup_dir: dir.path().to_path_buf(),
        allow_checks: allow_checks.to_vec(),
        receipt_timeout: Duration::from_secs(120),
        finalize: true,
    };
    // The fork mines only what the rehearsal sends: waiting there for confirmations would wait
    // for blocks that never come.
    let mut manifest = manifest.clone();
    manifest.network.confirmations = 1;
    let started = Instant::now();
    let report = run::migrate(&manifest, &forked, &opts, obs)
        .await
        .wrap_err("the rehearsal on the fork failed")?;
    let elapsed = started.elapsed();
    let txs = Journal::read(&opts.checkpoint)?
        .into_iter()
        .filter_map(|e| match e {
            Entry::TxMined { step, gas_used, success: true, .. } => Some((step, gas_used)),
            _ => None,
        })
        .collect();
    Ok(Rehearsal { block, block_time, fees, report, txs, elapsed })
}

impl PlanArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let manifest = load_manifest(&self.manifest)?;
        let (url, provider) =
            connect::provider(&self.rpc, manifest.network.rpc_url.as_deref()).await?;
        let signer = connect::signer(&self.wallet, &provider, &url).await?;
        let real = connect::sender(&provider, signer.clone()).await?;
        let progress = Progress::new(global);

        // Pre-checks against the node itself, so that errors name its state.
        let checks = molt_migrate::precheck::run(&manifest, &real, &self.allow_check).await?;
        progress.say("• rehearsing the migration on a local fork (nothing is sent to the node)");
        let r = rehearse(&manifest, &url, &real, signer, &self.allow_check, &progress).await?;
        let report = &r.report;
        let total_gas = r.total_gas();
        let cost_wei = u128::from(total_gas) * r.fees.max_fee_per_gas;
        // Plus the waits for confirmations: after the pause, the last batch and the finalize.
        let blocks = r.txs.len().div_ceil(manifest.batch.max_in_flight) as u64
            + 3 * manifest.network.confirmations.saturating_sub(1);
        let eta = r.block_time.map(|t| t * blocks as f64);

        if global.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "schema": "molt.plan/1",
                    "chain_id": report.chain_id,
                    "block": r.block,
                    "components": report.components.iter().map(|c| json!({
                        "name": c.name, "records": c.source_count, "batches": c.batches, "gas": c.gas_used,
                        "gas_per_record": c.gas_used.checked_div(c.source_count),
                    })).collect::<Vec<_>>(),
                    "transactions": r.txs.iter().map(|(s, g)| json!({"step": s, "gas": g})).collect::<Vec<_>>(),
                    "total_gas": total_gas,
                    "max_fee_per_gas": r.fees.max_fee_per_gas.to_string(),
                    "max_cost_wei": cost_wei.to_string(),
                    "sender_balance_wei": checks.balance.to_string(),
                    "estimated_blocks": blocks,
                    "estimated_seconds": eta,
                    "verified_on_fork": report.verified,
                    "allowed_check_failures": checks.allowed_failures,
                }))?
            );
        } else {
            print_plan(&r);
            println!("transactions:");
            for (step, gas) in &r.txs {
                println!("  {step:<40} {:>14} gas", group(*gas));
            }
            println!(
                "total: {} transactions, {} gas, at most {} ETH at the current max fee of {:.4} gwei (the account holds {} ETH)",
                r.txs.len(),
                group(total_gas),
                ether(cost_wei),
                r.fees.max_fee_per_gas as f64 / 1e9,
                ether(checks.balance.to::<u128>()),
            );
            match eta {
                Some(s) => println!(
                    "time: about {s:.0} s ({blocks} blocks of {:.1} s, {} batches in flight)",
                    r.block_time.unwrap_or_default(),
                    manifest.batch.max_in_flight
                ),
                None => println!(
                    "time: the node mines on demand; the rehearsal took {:.1} s",
                    r.elapsed.as_secs_f64()
                ),
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
pub(crate) fn print_plan(r: &Rehearsal) {
    println!(
        "plan for chain {} at block {} (rehearsed on a fork in {:.1} s)",
        r.report.chain_id,
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
