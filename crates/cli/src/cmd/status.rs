//! `molt status`: where a migration run stands, from its journal alone (no network).

use clap::Args;
use eyre::{Result, eyre};
use molt_migrate::{journal::Journal, status::Status};

use crate::{
    exit::Outcome,
    hint::Hint,
    opts::{GlobalOpts, ManifestOpts},
};

/// Arguments of `molt status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    manifest: ManifestOpts,
}

impl StatusArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let path = self.manifest.journal_path();
        if !path.exists() {
            return Err(eyre!("no journal at {}", path.display()).wrap_err(Hint(
                "no run has started with this manifest; pass --journal PATH for another one".into(),
            )));
        }
        let entries = Journal::read(&path)?;
        let status = molt_migrate::status::status(&path, &entries)?;
        // A failed verification is a finding, as in `molt verify`.
        let outcome = if status.verified == Some(false) { Outcome::Problems } else { Outcome::Ok };
        if global.json {
            println!("{}", serde_json::to_string_pretty(&status)?);
        } else {
            print_status(&status);
        }
        Ok(outcome)
    }
}

/// The status for people.
fn print_status(s: &Status) {
    println!("journal    {}", s.journal.display());
    println!("phase      {}", s.phase);
    println!("chain      {}, signing as {}", s.chain_id, s.sender);
    match (s.snapshot_block, &s.backup) {
        (Some(block), Some(backup)) => {
            println!("snapshot   block {block}, backup {}", backup.display());
            for c in &s.components {
                println!(
                    "  {:<10} {:>7}/{:<7} records migrated in {} batch{}{}",
                    c.name,
                    c.migrated,
                    c.records,
                    c.batches,
                    if c.batches == 1 { "" } else { "es" },
                    if c.pending_batches > 0 {
                        format!(", {} pending", c.pending_batches)
                    } else {
                        String::new()
                    }
                );
            }
        }
        _ => println!("snapshot   not taken yet"),
    }
    if let Some(w) = &s.waiting {
        println!(
            "waiting    phase {} for the Safe {}: nonce {}, safeTxHash {}, batch {}",
            w.phase,
            w.safe,
            w.nonce,
            w.safe_tx_hash,
            w.batch.display()
        );
    }
    for p in &s.pending {
        println!(
            "pending    {}: tx {} (nonce {}); `molt migrate` reconciles it by hash",
            p.step, p.hash, p.nonce
        );
    }
}
