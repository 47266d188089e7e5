//! `molt safe sign`: one owner's EIP-712 signature of a batch's SafeTx, added to a signatures
//! file.

use std::path::{Path, PathBuf};

use clap::Args;
use eyre::{Result, eyre};
use molt_migrate::governance::{BatchFile, SignaturesFile, safe_info};
use serde_json::json;

use super::{SCHEMA, addr};
use crate::{
    connect,
    exit::Outcome,
    hint::Hint,
    migration::load_manifest,
    opts::{GlobalOpts, ManifestOpts, RpcOpts, WalletOpts},
};

/// Arguments of `molt safe sign`.
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    manifest: ManifestOpts,
    #[command(flatten)]
    rpc: RpcOpts,
    /// The owner who signs (`--private-key` or `--keystore`; required).
    #[command(flatten)]
    wallet: WalletOpts,
    /// The Transaction Builder batch file `molt safe export` wrote.
    #[arg(long, value_name = "FILE")]
    batch: PathBuf,
    /// The signatures file (created if missing; default `safe-signatures.json` next to the batch).
    #[arg(long, value_name = "FILE")]
    signatures: Option<PathBuf>,
    /// The Safe nonce to sign for (default: the Safe's next nonce).
    #[arg(long, value_name = "N")]
    nonce: Option<u64>,
}

/// `--signatures`, or `safe-signatures.json` next to the batch file.
pub(crate) fn signatures_path(given: Option<&Path>, batch: &Path) -> PathBuf {
    given.map_or_else(
        || batch.parent().unwrap_or(Path::new("")).join("safe-signatures.json"),
        Path::to_path_buf,
    )
}

impl SignArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        if self.wallet.private_key.is_none() && self.wallet.keystore.is_none() {
            return Err(eyre!("`molt safe sign` needs the owner's key").wrap_err(Hint(
                "pass --private-key (or MOLT_PRIVATE_KEY) or --keystore of an owner of the Safe"
                    .into(),
            )));
        }
        let manifest = load_manifest(&self.manifest)?;
        let (url, provider) =
            connect::provider(&self.rpc, manifest.network.rpc_url.as_deref()).await?;
        let signer = connect::signer(&self.wallet, &provider, &url).await?;
        let batch = BatchFile::read(&self.batch)?;
        let path = signatures_path(self.signatures.as_deref(), &self.batch);
        let mut file = if path.exists() {
            SignaturesFile::read(&path)?
        } else {
            let safe = safe_info(&provider, &manifest).await?;
            SignaturesFile::new(safe.address, safe.chain_id)
        };
        let signed = molt_migrate::governance::sign(
            &provider, &manifest, &batch, &signer, self.nonce, &mut file,
        )
        .await?;
        file.write(&path)?;
        if global.json {
            let doc = json!({
                "schema": SCHEMA,
                "command": "sign",
                "safe": addr(file.safe),
                "owner": addr(signed.owner),
                "nonce": signed.nonce,
                "domain_hash": signed.hashes.domain_separator,
                "message_hash": signed.hashes.struct_hash,
                "safe_tx_hash": signed.hashes.safe_tx_hash,
                "signatures_file": path,
                "signers": signed.signers.iter().copied().map(addr).collect::<Vec<_>>(),
                "threshold": signed.threshold,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        } else {
            println!(
                "signed SafeTx {} (Safe nonce {}) as {}",
                signed.hashes.safe_tx_hash, signed.nonce, signed.owner
            );
            println!("  domain hash   {}", signed.hashes.domain_separator);
            println!("  message hash  {}", signed.hashes.struct_hash);
            println!(
                "  {} of {} signatures in {}",
                signed.signers.len(),
                signed.threshold,
                path.display()
            );
        }
        Ok(Outcome::Ok)
    }
}
