//! `molt verify`: recompute the source and target state hashes and compare them, any time.

use std::{collections::BTreeMap, path::PathBuf};

use clap::Args;
use eyre::{Result, eyre};
use molt_migrate::{
    journal::{self, Entry, Journal},
    snapshot::Snapshot,
    verify,
};
use serde_json::json;

use crate::{
    cmd::migrate::load_manifest,
    connect,
    exit::Outcome,
    hint::Hint,
    opts::{GlobalOpts, ManifestOpts, RpcOpts},
    progress::Progress,
};

/// Arguments of `molt verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    manifest: ManifestOpts,
    #[command(flatten)]
    rpc: RpcOpts,
    /// The source records: a data backup written by `molt migrate` (default: the journal's).
    #[arg(long, value_name = "PATH", conflicts_with = "block")]
    backup: Option<PathBuf>,
    /// Read the source records from the old contracts at this block instead.
    #[arg(long, value_name = "N")]
    block: Option<u64>,
}

impl VerifyArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let manifest = load_manifest(&self.manifest)?;
        let (_, provider) =
            connect::provider(&self.rpc, manifest.network.rpc_url.as_deref()).await?;
        let chain_id = alloy::providers::Provider::get_chain_id(&provider).await?;
        if chain_id != manifest.network.chain_id {
            return Err(molt_migrate::Error::ChainMismatch {
                expected: manifest.network.chain_id,
                got: chain_id,
            }
            .into());
        }
        let journal = self.manifest.journal_path();
        let entries = if journal.exists() { Journal::read(&journal)? } else { Vec::new() };

        let snapshot = match (&self.backup, self.block) {
            (Some(path), _) => Snapshot::read_backup(&manifest, path)?,
            (None, Some(block)) => Snapshot::take(&provider, &manifest, chain_id, block).await?,
            (None, None) => {
                let backup = entries.iter().find_map(|e| match e {
                    Entry::Snapshot { backup, .. } => Some(backup.clone()),
                    _ => None,
                });
                let backup = backup.ok_or_else(|| {
                    eyre!("no snapshot to verify against").wrap_err(Hint(
                        "pass --backup molt-backup-<chain>-<block>.json or --block N (the block the snapshot was taken at)".into(),
                    ))
                })?;
                Snapshot::read_backup(&manifest, &backup)?
            }
        };
        if snapshot.chain_id != chain_id {
            return Err(eyre!(
                "the backup was taken on chain {}, but the node is chain {chain_id}",
                snapshot.chain_id
            ));
        }
        let order = import_order(&entries, &snapshot)?;
        let progress = Progress::new(global);
        let v = verify::verify(&provider, &manifest, &snapshot, &order, &progress).await?;
        if global.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "schema": "molt.verify/1",
                    "chain_id": chain_id,
                    "snapshot_block": snapshot.block,
                    "components": v.components,
                    "funds": v.funds,
                    "verified": v.ok,
                    "mismatch": v.mismatch,
                }))?
            );
        } else {
            for c in &v.components {
                println!(
                    "{:<10} source {}  target {}  {}",
                    c.name,
                    c.source_hash,
                    c.target_hash,
                    if c.ok { "ok" } else { "MISMATCH" }
                );
            }
            for f in &v.funds {
                println!(
                    "funds {:<8} {}  moved {}  credited {}  {}",
                    f.name,
                    f.token,
                    f.moved,
                    f.credited,
                    if f.ok { "ok" } else { "MISMATCH" }
                );
            }
            match &v.mismatch {
                None => println!("verification passed (snapshot block {})", snapshot.block),
                Some(m) => println!("verification FAILED: {m}"),
            }
        }
        Ok(if v.ok { Outcome::Ok } else { Outcome::Problems })
    }
}

/// The import order from the journal (batches by nonce, adopted records) when it was written
/// for this snapshot, after checking the snapshot is the one it recorded; snapshot order (empty)
/// for another snapshot or without a journal.
fn import_order(entries: &[Entry], snapshot: &Snapshot) -> Result<BTreeMap<String, Vec<u64>>> {
    let recorded = entries.iter().find_map(|e| match e {
        Entry::Snapshot { block, components, .. } => Some((*block, components)),
        _ => None,
    });
    match recorded {
        Some((block, components)) if block == snapshot.block => {
            snapshot.check_recorded(components).map_err(|reason| {
                eyre!("the backup does not match the journal's snapshot: {reason}").wrap_err(
                    Hint("verify against the backup the journal names (or pass --block N to read the sources again)".into()),
                )
            })?;
            Ok(journal::import_order(entries))
        }
        _ => Ok(BTreeMap::new()),
    }
}
