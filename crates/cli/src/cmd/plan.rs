//! `molt plan`: the pre-checks and the plan (records, batches, gas, cost, time), found by
//! rehearsing the whole migration on a local anvil fork of the node. Nothing is sent to the node.

use alloy::{primitives::Address, providers::Provider};
use clap::Args;
use eyre::Result;
use molt_chain::Sender;
use molt_migrate::{Manifest, plan::Plan, run::RunOptions};

use crate::{
    connect,
    exit::Outcome,
    migration::{SafetyOpts, decoder, load_manifest, print_plan, with_hint},
    opts::{GlobalOpts, ManifestOpts, RpcOpts, WalletOpts},
    owner_calls::print_safe_transactions,
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
    /// Rehearse as this account without its key: the fork impersonates it
    /// (`anvil_impersonateAccount`); a key given too is not used. With a Safe owner, give the
    /// migrator; the Safe's phases run through the Safe itself on the fork.
    #[arg(long, value_name = "ADDRESS")]
    sender: Option<Address>,
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
        let progress = Progress::new(global);
        if self.sender.is_some()
            && (self.wallet.private_key.is_some() || self.wallet.keystore.is_some())
        {
            progress.say("--sender: rehearsing without a key; the key given is not used");
        }
        let real = match self.sender {
            Some(address) => {
                Sender::keyless(provider.clone(), address, provider.get_chain_id().await?)
            }
            None => {
                let signer = connect::signer(&self.wallet, &provider, &url).await?;
                connect::sender(&provider, signer).await?
            }
        }
        .with_revert_decoder(decoder(&manifest));
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
    let how = if plan.keyless { "no key: impersonated on the fork" } else { "its key signs" };
    println!("sender: {} ({how})", plan.sender);
    print_safe_transactions(&plan.safe_transactions);
    println!("transactions:");
    let width = plan.transactions.iter().map(|t| t.step.len()).max().unwrap_or(0);
    for t in &plan.transactions {
        println!("  {:<width$} {:>14} gas", t.step, group(t.gas));
    }
    let wei = |s: &str| s.parse::<u128>().unwrap_or_default();
    let fee = wei(&plan.max_fee_per_gas);
    println!(
        "total: {} transactions, {} gas, at most {} at the current max fee of {} (the account holds {})",
        plan.transactions.len(),
        group(plan.total_gas),
        ether(wei(&plan.max_cost_wei)),
        gwei(fee),
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

/// An amount in ETH to six decimals, or in wei when that would print as zero.
fn ether(wei: u128) -> String {
    if wei == 0 || wei >= 1_000_000_000_000 {
        format!("{:.6} ETH", wei as f64 / 1e18)
    } else {
        format!("{} wei", group(wei as u64))
    }
}

/// A fee per gas in gwei to four decimals, or in wei when that would print as zero (a local
/// node whose base fee decayed).
fn gwei(wei: u128) -> String {
    if wei == 0 || wei >= 100_000 {
        format!("{:.4} gwei", wei as f64 / 1e9)
    } else {
        format!("{wei} wei")
    }
}

#[cfg(test)]
mod tests {
    use super::{ether, gwei};

    #[test]
    fn tiny_amounts_print_in_wei_instead_of_as_zero() {
        assert_eq!(ether(0), "0.000000 ETH");
        assert_eq!(ether(2_500_000_000_000_000), "0.002500 ETH");
        assert_eq!(ether(219_447_921), "219,447,921 wei");
        assert_eq!(gwei(1_875_000_000), "1.8750 gwei");
        assert_eq!(gwei(7), "7 wei");
    }
}
