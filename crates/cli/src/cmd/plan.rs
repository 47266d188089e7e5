//! `molt plan`: the pre-checks and the plan (records, batches, gas, cost, time), found by
//! rehearsing the whole migration on a local anvil fork of the node. Nothing is sent to the node.

use clap::Args;
use eyre::Result;
use molt_migrate::{Manifest, plan::Plan, run::RunOptions};

use crate::{
    connect,
    exit::Outcome,
    migration::{SafetyOpts, decoder, load_manifest, print_plan, with_hint},
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

        progress.step("rehearsing the migration on a local fork (nothing is sent to the node)");
        let plan = molt_migrate::plan::plan(&manifest, &real, &url, &opts, &progress)
            .await
            .map_err(|e| with_hint(e, &opts))?;
        progress.finish();
        if global.json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            print_plan(&plan);
            print_details(&plan, &manifest, global.color_stdout());
        }
        Ok(if plan.verified_on_fork { Outcome::Ok } else { Outcome::Problems })
    }
}

/// The transactions, the cost, the time and the warnings of a plan.
fn print_details(plan: &Plan, manifest: &Manifest, color: bool) {
    println!("transactions:");
    let width = plan.transactions.iter().map(|t| t.step.len()).max().unwrap_or(0);
    for t in &plan.transactions {
        println!("  {:<width$} {:>14} gas", t.step, group(t.gas));
    }
    let wei = |s: &str| s.parse::<u128>().unwrap_or_default();
    let fee = wei(&plan.max_fee_per_gas);
    println!(
        "total: {} transactions, {} gas, at most {} ETH at the current max fee of {:.4} gwei (the account holds {} ETH)",
        plan.transactions.len(),
        group(plan.total_gas),
        ether(wei(&plan.max_cost_wei)),
        fee as f64 / 1e9,
        ether(wei(&plan.sender_balance_wei)),
    );
    match plan.estimated_seconds {
        Some(s) => println!(
            "time: about {s:.0} s ({} blocks of {:.1} s, {} batches in flight)",
            plan.estimated_blocks,
            plan.block_time.unwrap_or_default(),
            manifest.batch.max_in_flight
        ),
        None => println!(
            "time: the node mines on demand; the rehearsal took {:.1} s",
            plan.elapsed.as_secs_f64()
        ),
    }
    for c in &plan.empty_components {
        let warning = format!(
            "WARNING: component `{c}` has no records: the migration would finalize it empty (allowed by --allow-empty {c})"
        );
        println!("{}", BOLD.paint(color, &warning));
    }
    if !plan.verified_on_fork {
        println!(
            "the rehearsal did NOT verify: {}",
            plan.mismatch.as_deref().unwrap_or("see above")
        );
    }
}

fn ether(wei: u128) -> String {
    format!("{:.6}", wei as f64 / 1e18)
}
