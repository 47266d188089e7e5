//! `molt verify`: recompute the source and target state hashes and compare them, any time.

use std::path::PathBuf;

use clap::Args;
use eyre::{Result, eyre};
use molt_migrate::reverify::{SnapshotSource, reverify};

use crate::{
    connect,
    exit::Outcome,
    hint::Hint,
    migration::load_manifest,
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
        let source = match (&self.backup, self.block) {
            (Some(path), _) => SnapshotSource::Backup(path.clone()),
            (None, Some(block)) => SnapshotSource::Block(block),
            (None, None) => SnapshotSource::Journal,
        };
        let progress = Progress::new(global);
        let journal = self.manifest.journal_path();
        let v = reverify(&provider, &manifest, &journal, source, &progress).await.map_err(|e| {
            let hint = match &e {
                molt_migrate::Error::NoSnapshot => Some("pass --backup molt-backup-<chain>-<block>.json or --block N (the block the snapshot was taken at)"),
                molt_migrate::Error::Backup { .. } => Some("verify against the backup the journal names (or pass --block N to read the sources again)"),
                _ => None,
            };
            match hint {
                Some(h) => eyre!(e).wrap_err(Hint(h.into())),
                None => eyre!(e),
            }
        })?;
        if global.json {
            println!("{}", serde_json::to_string_pretty(&v)?);
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
                None => println!("verification passed (snapshot block {})", v.snapshot_block),
                Some(m) => println!("verification FAILED: {m}"),
            }
        }
        Ok(if v.verified { Outcome::Ok } else { Outcome::Problems })
    }
}
