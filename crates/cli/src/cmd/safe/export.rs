//! `molt safe export`: the owner phases as Safe Transaction Builder batch files.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use eyre::{Result, WrapErr};
use molt_migrate::governance::{Export, MULTI_SEND_CALL_ONLY, OwnerPhase, PhaseName};
use serde_json::{Value, json};

use super::{SCHEMA, addr};
use crate::{
    connect,
    exit::Outcome,
    migration::load_manifest,
    opts::{GlobalOpts, ManifestOpts, RpcOpts},
    owner_calls::print_calls,
};

/// Arguments of `molt safe export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    manifest: ManifestOpts,
    #[command(flatten)]
    rpc: RpcOpts,
    /// Only this phase (default both: `open` at the Safe's nonce, `close` at the next one;
    /// an `open` executed already is left out).
    #[arg(long, value_enum)]
    phase: Option<Phase>,
    /// The folder the batch files are written to (`safe-open.json`, `safe-close.json`).
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
}

/// An owner phase on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Phase {
    /// Pause V1, move the funds, grant the migrator its role.
    Open,
    /// Finalize, revoke the migrator's role (after verification passed).
    Close,
}

impl From<Phase> for PhaseName {
    fn from(p: Phase) -> Self {
        match p {
            Phase::Open => Self::Open,
            Phase::Close => Self::Close,
        }
    }
}

impl ExportArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let manifest = load_manifest(&self.manifest)?;
        let (_, provider) =
            connect::provider(&self.rpc, manifest.network.rpc_url.as_deref()).await?;
        let export =
            molt_migrate::governance::export(&provider, &manifest, self.phase.map(Into::into))
                .await?;
        let created_at = molt_migrate::owner::now_ms();
        let mut files = Vec::new();
        for p in &export.phases {
            let file = molt_migrate::governance::batch_file(&export, p, created_at, &manifest.path);
            let path = self.out.join(format!("safe-{}.json", p.phase));
            std::fs::write(&path, file.to_json())
                .wrap_err_with(|| format!("cannot write {}", path.display()))?;
            files.push(path);
        }
        if global.json {
            println!("{}", serde_json::to_string_pretty(&document(&export, &files))?);
        } else {
            print_export(&export, &files);
        }
        Ok(Outcome::Ok)
    }
}

/// The `molt.safe/1` document of an export.
fn document(export: &Export, files: &[PathBuf]) -> Value {
    let s = &export.safe;
    let phases: Vec<Value> = export
        .phases
        .iter()
        .zip(files)
        .map(|(p, file)| {
            json!({
                "phase": p.phase,
                "file": file,
                "nonce": p.nonce,
                "to": addr(p.safe_tx.to),
                "value": p.safe_tx.value.to_string(),
                "operation": p.safe_tx.operation,
                "data": p.safe_tx.data,
                "domain_hash": p.hashes.domain_separator,
                "message_hash": p.hashes.struct_hash,
                "safe_tx_hash": p.hashes.safe_tx_hash,
                "calls": p.calls.iter().map(|c| json!({
                    "purpose": c.purpose,
                    "contract": c.contract,
                    "address": addr(c.address),
                    "function": c.signature,
                    "args": c.args,
                    "calldata": c.calldata,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "schema": SCHEMA,
        "command": "export",
        "safe": {
            "address": addr(s.address),
            "chain_id": s.chain_id,
            "version": s.version,
            "nonce": s.nonce,
            "threshold": s.threshold,
            "owners": s.owners.iter().copied().map(addr).collect::<Vec<_>>(),
        },
        "snapshot_block": export.snapshot_block,
        "phases": phases,
    })
}

/// The export for people.
fn print_export(export: &Export, files: &[PathBuf]) {
    let s = &export.safe;
    println!(
        "Safe {} (Safe {}, {} of {} owners) on chain {}, next nonce {}",
        s.address,
        s.version,
        s.threshold,
        s.owners.len(),
        s.chain_id,
        s.nonce
    );
    for (p, file) in export.phases.iter().zip(files) {
        println!();
        println!("phase {}  ->  {}", p.phase, file.display());
        print_calls(&p.calls);
        print_tx(p, export.snapshot_block);
    }
}

fn print_tx(p: &OwnerPhase, snapshot_block: Option<u64>) {
    let tx = &p.safe_tx;
    if tx.to == MULTI_SEND_CALL_ONLY {
        println!(
            "  SafeTx        delegatecall MultiSendCallOnly {} (operation 1), nonce {}",
            tx.to, p.nonce
        );
        println!("  MultiSend calldata {}", tx.data);
    } else {
        println!("  SafeTx        call {} (operation 0), nonce {}", tx.to, p.nonce);
        println!("  calldata      {}", tx.data);
    }
    println!("  domain hash   {}", p.hashes.domain_separator);
    println!("  message hash  {}", p.hashes.struct_hash);
    println!("  safeTxHash    {}", p.hashes.safe_tx_hash);
    if let (PhaseName::Open, Some(b)) = (p.phase, snapshot_block) {
        println!(
            "  amounts fixed at block {b}: verification catches a V1 that changes before execution"
        );
    }
}
