//! `molt status`: where a migration run stands, from its journal alone (no network).

use std::collections::BTreeMap;

use clap::Args;
use eyre::{Result, eyre};
use molt_migrate::journal::{self, Entry, Journal, StepState};
use serde_json::json;

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
        let steps = journal::steps(&entries);
        let Some(Entry::Header { chain_id, manifest_hash, sender, .. }) = entries.first() else {
            return Err(eyre!("{} does not start with a molt journal header", path.display()));
        };
        let snapshot = entries.iter().find_map(|e| match e {
            Entry::Snapshot { block, components, backup } => Some((block, components, backup)),
            _ => None,
        });
        let verified = entries.iter().rev().find_map(|e| match e {
            Entry::Verified { ok, .. } => Some(*ok),
            _ => None,
        });
        let finalized = entries.iter().any(|e| matches!(e, Entry::Finalized));

        // Per component: records in mined batches, batches mined and pending.
        let mut per: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
        let mut pending = Vec::new();
        for (step, state) in &steps {
            let component = journal::batch_component(step);
            match (component, state) {
                (Some(c), StepState::Mined { success: true, range: Some((a, b)), .. }) => {
                    let e = per.entry(c.into()).or_default();
                    e.0 += b - a;
                    e.1 += 1;
                }
                (_, StepState::Pending { hash, nonce, .. }) => {
                    if let Some(c) = component {
                        per.entry(c.into()).or_default().2 += 1;
                    }
                    pending.push((step.clone(), *hash, *nonce));
                }
                _ => {}
            }
        }
        // Records found in the target and adopted by the journal count as migrated.
        for e in &entries {
            if let Entry::Adopted { component, ranges } = e {
                per.entry(component.clone()).or_default().0 +=
                    ranges.iter().map(|(a, b)| b.saturating_sub(*a)).sum::<u64>();
            }
        }
        let phase = if finalized {
            "finalized"
        } else if verified == Some(true) {
            "verified, not finalized"
        } else if verified == Some(false) {
            "verification failed"
        } else if snapshot.is_some() {
            "migrating"
        } else {
            "started (before the snapshot)"
        };

        if global.json {
            let components: Vec<_> = snapshot
                .map(|(_, cs, _)| {
                    cs.iter()
                        .map(|(n, c)| {
                            let (done, batches, pend) = per.get(n).copied().unwrap_or_default();
                            json!({"name": n, "records": c.count, "migrated": done, "batches": batches, "pending_batches": pend, "source_hash": c.source_hash})
                        })
                        .collect()
                })
                .unwrap_or_default();
            let out = json!({
                "schema": "molt.status/1",
                "journal": path,
                // The journal's old name, kept for readers of `molt.status/1`.
                "checkpoint": path,
                "phase": phase,
                "chain_id": chain_id,
                "manifest_hash": manifest_hash,
                "sender": sender,
                "snapshot_block": snapshot.map(|s| *s.0),
                "backup": snapshot.map(|s| s.2),
                "components": components,
                "pending": pending.iter().map(|(s, h, n)| json!({"step": s, "hash": h, "nonce": n})).collect::<Vec<_>>(),
                "verified": verified,
                "finalized": finalized,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            return Ok(Outcome::Ok);
        }
        println!("journal    {}", path.display());
        println!("phase      {phase}");
        println!("chain      {chain_id}, signing as {sender}");
        match snapshot {
            Some((block, cs, backup)) => {
                println!("snapshot   block {block}, backup {}", backup.display());
                for (n, c) in cs {
                    let (done, batches, pend) = per.get(n).copied().unwrap_or_default();
                    println!(
                        "  {n:<10} {done:>7}/{:<7} records migrated in {batches} batches{}",
                        c.count,
                        if pend > 0 { format!(", {pend} pending") } else { String::new() }
                    );
                }
            }
            None => println!("snapshot   not taken yet"),
        }
        for (step, hash, nonce) in &pending {
            println!(
                "pending    {step}: tx {hash} (nonce {nonce}); `molt migrate` reconciles it by hash"
            );
        }
        Ok(Outcome::Ok)
    }
}
