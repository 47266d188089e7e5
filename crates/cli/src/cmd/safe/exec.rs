//! `molt safe exec`: `execTransaction` of a batch's SafeTx with the owners' signatures.

use std::path::PathBuf;

use clap::Args;
use eyre::Result;
use molt_migrate::governance::{BatchFile, SignaturesFile};
use serde_json::json;

use super::{SCHEMA, addr};
use crate::{
    connect,
    exit::Outcome,
    migration::{decoder, load_manifest},
    opts::{GlobalOpts, ManifestOpts, RpcOpts, WalletOpts},
};

/// Arguments of `molt safe exec`.
#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    #[command(flatten)]
    manifest: ManifestOpts,
    #[command(flatten)]
    rpc: RpcOpts,
    /// Who sends `execTransaction` and pays its gas (any account; anvil's dev key by default
    /// only on a local anvil).
    #[command(flatten)]
    wallet: WalletOpts,
    /// The Transaction Builder batch file `molt safe export` wrote.
    #[arg(long, value_name = "FILE")]
    batch: PathBuf,
    /// The signatures file `molt safe sign` wrote.
    #[arg(long, value_name = "FILE")]
    signatures: PathBuf,
    /// The Safe nonce the signatures are for (default: the Safe's next nonce).
    #[arg(long, value_name = "N")]
    nonce: Option<u64>,
}

impl ExecArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let manifest = load_manifest(&self.manifest)?;
        let (url, provider) =
            connect::provider(&self.rpc, manifest.network.rpc_url.as_deref()).await?;
        let batch = BatchFile::read(&self.batch)?;
        let file = SignaturesFile::read(&self.signatures)?;
        let signer = connect::signer(&self.wallet, &provider, &url).await?;
        let sender =
            connect::sender(&provider, signer).await?.with_revert_decoder(decoder(&manifest));
        let done =
            molt_migrate::governance::exec(&sender, &manifest, &batch, &file, self.nonce).await?;
        if global.json {
            let doc = json!({
                "schema": SCHEMA,
                "command": "exec",
                "safe": addr(file.safe),
                "nonce": done.nonce,
                "safe_tx_hash": done.safe_tx_hash,
                "tx": done.tx,
                "block": done.block,
                "signers": done.signers.iter().copied().map(addr).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        } else {
            let signers: Vec<String> = done.signers.iter().map(|s| s.to_string()).collect();
            println!(
                "executed SafeTx {} (Safe nonce {}) in tx {} (block {}), signed by {}",
                done.safe_tx_hash,
                done.nonce,
                done.tx,
                done.block,
                signers.join(", ")
            );
        }
        Ok(Outcome::Ok)
    }
}
