//! `molt rollback`: undo what a run that was not finalized did on the old side (the funds it
//! moved go back, the pauses it made are lifted); `--plan` rehearses it on a fork.

use std::{io::IsTerminal, time::Duration};

use alloy::primitives::Address;
use clap::Args;
use eyre::{Result, WrapErr, eyre};
use molt_migrate::{
    Manifest,
    funds::amount_of,
    rollback::{self, RollbackOptions, RollbackOutcome, RollbackReport, Undo},
};

use crate::{
    connect,
    exit::Outcome,
    hint::Hint,
    migration::{load_manifest, signing_sender},
    opts::{GlobalOpts, ManifestOpts, RpcOpts, WalletOpts},
    progress::{Progress, group},
};

/// Arguments of `molt rollback`.
#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    #[command(flatten)]
    manifest: ManifestOpts,
    #[command(flatten)]
    rpc: RpcOpts,
    #[command(flatten)]
    wallet: WalletOpts,
    /// Rehearse the rollback on a local anvil fork of the node and print what it would send;
    /// nothing is sent to the node.
    #[arg(long)]
    plan: bool,
    /// Do not ask for confirmation (it is not asked on a local anvil).
    #[arg(long, short = 'y')]
    yes: bool,
    /// Seconds to wait for one transaction's receipt.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    receipt_timeout: u64,
}

impl RollbackArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let manifest = load_manifest(&self.manifest)?;
        let (url, provider, sender) = signing_sender(&manifest, &self.rpc, &self.wallet).await?;
        let progress = Progress::new(global);
        let mut opts = RollbackOptions::new(self.manifest.journal_path());
        opts.receipt_timeout = Duration::from_secs(self.receipt_timeout);
        opts.real_chain_id = Some(sender.chain_id());
        if self.plan {
            let plan = rollback::plan::rehearse(&manifest, &sender, &url, &opts, &progress)
                .await
                .map_err(|e| with_hint(e, &self.manifest))?;
            print_plan(global, &progress, &plan)?;
            return Ok(Outcome::Ok);
        }
        if !self.yes && connect::not_local_anvil(&url, &provider).await.is_some() {
            confirm(&manifest, &opts, sender.address())?;
        }
        let report = rollback::rollback(&manifest, &sender, &opts, &progress)
            .await
            .map_err(|e| with_hint(e, &self.manifest))?;
        print_report(global, &progress, &report)?;
        let unchanged = report.old_state.iter().all(|c| c.unchanged);
        Ok(if unchanged { Outcome::Ok } else { Outcome::Problems })
    }
}

/// The exact command that rolls back the run of `opts` (for hints).
pub(crate) fn command(opts: &ManifestOpts) -> String {
    let mut cmd = format!("molt rollback --manifest {}", opts.manifest.display());
    if let Some(j) = &opts.journal {
        cmd.push_str(&format!(" --journal {}", j.display()));
    }
    cmd
}

/// When the run of `opts` changed the old side (paused, moved funds) and was not finalized: the
/// exact command that undoes it, for the hint of a run that stopped or failed verification.
pub(crate) fn hint(manifest: &Manifest, opts: &ManifestOpts) -> Option<String> {
    let entries = molt_migrate::journal::Journal::read(opts.journal_path()).ok()?;
    let finalized = molt_migrate::journal::is_finalized(&entries);
    let rolled_back = molt_migrate::journal::rollback_started(&entries);
    let undo = Undo::of(manifest, &entries);
    (!undo.is_empty() && !finalized && !rolled_back).then(|| {
        format!("to go back instead (return the funds, lift the pauses): `{}`", command(opts))
    })
}

fn with_hint(e: molt_migrate::Error, opts: &ManifestOpts) -> eyre::Report {
    use molt_migrate::{Error as E, rollback::RollbackError as R};
    let hint = match &e {
        E::Rollback(R::Finalized { .. }) => Some("the way back now is a new migration, from the new contracts to contracts you deploy for it (or to the old ones, if they can import), planned and rehearsed like this one; `molt history` shows what ran".to_owned()),
        E::Rollback(R::NotReversible { .. }) => Some(format!("add the missing calls to the manifest (see docs/rollback.md) and run `{}` again; nothing was sent", command(opts))),
        E::Rollback(R::NoJournal { .. }) => Some("pass --journal PATH (or the --manifest the run used): the journal is `<manifest>.molt-journal` by default".into()),
        E::Lock(_) => Some("wait for the other molt process on this journal to end (`molt status` shows where it stands), then roll back".into()),
        E::TxReverted { .. } | E::Broadcast(_) | E::Chain(_) | E::ConfirmationTimeout { .. } => Some(format!("fix the cause and run `{}` again: it resumes from the journal", command(opts))),
        _ => None,
    };
    match hint {
        Some(h) => eyre!(e).wrap_err(Hint(h)),
        None => eyre!(e),
    }
}

fn confirm(manifest: &Manifest, opts: &RollbackOptions, sender: Address) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(eyre!("refusing to send transactions without confirmation")
            .wrap_err(Hint("pass --yes to roll back non-interactively".into())));
    }
    let entries = molt_migrate::journal::Journal::read(&opts.journal)?;
    let undo = Undo::of(manifest, &entries);
    eprint!(
        "Roll back on chain {}, signing as {sender}: the run {}; this returns those funds and lifts those pauses.\nType 'yes' to continue: ",
        manifest.network.chain_id,
        if undo.is_empty() { "did nothing on the old side".into() } else { undo.describe() }
    );
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).wrap_err("cannot read the answer")?;
    if answer.trim() != "yes" {
        return Err(eyre!("not confirmed; nothing was sent"));
    }
    Ok(())
}

fn print_report(global: &GlobalOpts, progress: &Progress, r: &RollbackReport) -> Result<()> {
    progress.finish();
    if global.json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    match r.outcome {
        RollbackOutcome::NothingToUndo => {
            println!(
                "nothing to roll back: the run of {} paused nothing and moved no funds; nothing was sent",
                r.journal.display()
            );
            return Ok(());
        }
        RollbackOutcome::AlreadyRolledBack => {
            println!("{} was rolled back already; nothing was sent", r.journal.display());
            return Ok(());
        }
        RollbackOutcome::WaitingForSafe => {
            if let Some(w) = &r.waiting {
                println!("{}", w.summary());
            }
            println!(
                "  then run molt rollback again: it checks the Safe's execution and the old contracts"
            );
            return Ok(());
        }
        RollbackOutcome::RolledBack => {}
    }
    print_body(r);
    println!(
        "rolled back: {} transactions, {} gas. The new contracts ({}) are abandoned for this run: redeploy them before migrating again.",
        r.txs,
        group(r.gas_used),
        r.abandoned.join(", ")
    );
    Ok(())
}

/// The steps' results: funds, pauses, the old state.
fn print_body(r: &RollbackReport) {
    for f in &r.returned {
        let held = if f.held_now == f.amount {
            String::new()
        } else {
            format!(" ({} holds {} now)", f.to, amount_of(f.token, f.held_now))
        };
        println!(
            "returned   `{}` {}: {} -> {}{held}",
            f.funds,
            amount_of(f.token, f.amount),
            f.from,
            f.to
        );
    }
    if !r.unpaused.is_empty() {
        println!("unpaused   {}", r.unpaused.join(", "));
    }
    if !r.left_paused.is_empty() {
        println!("left paused (paused before the run) {}", r.left_paused.join(", "));
    }
    for c in &r.old_state {
        println!(
            "old state  {:<10} {:>6} records  {}  {}",
            c.component,
            c.count,
            c.hash,
            if c.unchanged { "= snapshot" } else { "CHANGED since the snapshot" }
        );
    }
}

fn print_plan(
    global: &GlobalOpts,
    progress: &Progress,
    p: &rollback::plan::RollbackPlan,
) -> Result<()> {
    progress.finish();
    if global.json {
        let doc = serde_json::json!({
            "schema": "molt.rollback-plan/1",
            "fork_block": p.block,
            "txs": p.txs.iter().map(|(step, gas)| serde_json::json!({"step": step, "gas_used": gas})).collect::<Vec<_>>(),
            "report": p.report,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("rehearsed on a fork of block {} (nothing was sent to the node):", p.block);
    for (step, gas) in &p.txs {
        println!("  {step:<60} {:>10} gas", group(*gas));
    }
    if let Some(safe) = &p.report.safe_phase {
        println!(
            "  the Safe {} signs one transaction (nonce {}, safeTxHash {} on the real chain):",
            safe.safe, safe.nonce, safe.safe_tx_hash
        );
        for call in &safe.calls {
            println!("    {call}");
        }
    } else if p.txs.is_empty() {
        println!("  no transaction");
    }
    print_body(&p.report);
    Ok(())
}
