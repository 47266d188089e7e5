//! The owner phases inside a run, when `[governance]` names a Safe owner: instead of sending the
//! owner's calls, the run writes the phase's batch file, journals it and stops; a later run reads
//! on chain whether the Safe executed it (its `ExecutionSuccess` for the exported safeTxHash,
//! the Safe's nonce past it, and for `open` the pauses in effect) and goes on.

use std::path::{Path, PathBuf};

use alloy::{
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use molt_chain::safe::{ISafe, Safe};
use serde::Serialize;

use crate::{
    Error, Result,
    governance::{self, GovernanceError, PhaseName},
    journal::Entry,
    manifest::{Governance, Manifest, Owner},
    paused::pause_state,
};

/// An owner phase exported and not executed yet: what the Safe's owners sign and execute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiting {
    /// `open` or `close`.
    pub phase: PhaseName,
    /// The Safe (lowercase in JSON, as every molt document writes addresses).
    #[serde(serialize_with = "lowercase")]
    pub safe: Address,
    /// The Safe nonce the phase's SafeTx uses.
    pub nonce: u64,
    /// The SafeTx hash the owners sign.
    pub safe_tx_hash: B256,
    /// The batch file to sign and execute.
    pub batch: PathBuf,
    /// The chain's head when it was exported.
    #[serde(skip)]
    pub block: u64,
    /// The run's steps its calls stand for (see [`Entry::OwnerPhaseExported`]).
    #[serde(skip)]
    pub steps: Vec<String>,
}

impl Waiting {
    /// The journal entry of the export.
    pub fn entry(&self) -> Entry {
        Entry::OwnerPhaseExported {
            phase: self.phase,
            safe: self.safe,
            nonce: self.nonce,
            safe_tx_hash: self.safe_tx_hash,
            batch: self.batch.clone(),
            block: self.block,
            steps: self.steps.clone(),
        }
    }

    /// The export an `owner_phase_exported` journal entry records (`None` for other entries).
    pub fn of_export(e: &Entry) -> Option<Self> {
        match e {
            Entry::OwnerPhaseExported { phase, safe, nonce, safe_tx_hash, batch, block, steps } => {
                Some(Self {
                    phase: *phase,
                    safe: *safe,
                    nonce: *nonce,
                    safe_tx_hash: *safe_tx_hash,
                    batch: batch.clone(),
                    block: *block,
                    steps: steps.clone(),
                })
            }
            _ => None,
        }
    }

    /// One line for people: what to sign.
    pub fn summary(&self) -> String {
        format!(
            "waiting for the Safe: sign and execute {} (phase {}, safeTxHash {}, Safe {}, nonce {})",
            self.batch.display(),
            self.phase,
            self.safe_tx_hash,
            self.safe,
            self.nonce
        )
    }
}

/// The Safe owning the manifest's contracts, if `[governance]` names one.
pub fn safe_owner(manifest: &Manifest) -> Option<Address> {
    match &manifest.governance {
        Some(Governance { owner: Owner::Safe(safe), .. }) => Some(*safe),
        _ => None,
    }
}

/// The journal's latest export of `phase` that was not executed yet (`None` when the phase was
/// never exported, or executed).
pub fn waiting(entries: &[Entry], phase: PhaseName) -> Option<Waiting> {
    let mut found = None;
    for e in entries {
        match e {
            Entry::OwnerPhaseExported { phase: p, .. } if *p == phase => {
                found = Waiting::of_export(e);
            }
            Entry::OwnerPhaseExecuted { phase: p, .. } if *p == phase => found = None,
            _ => {}
        }
    }
    found
}

/// The owner phase the journal waits for, if any (a rollback's before `close`, `close` before
/// `open`).
pub fn waiting_any(entries: &[Entry]) -> Option<Waiting> {
    [PhaseName::Rollback, PhaseName::Close, PhaseName::Open]
        .into_iter()
        .find_map(|phase| waiting(entries, phase))
}

/// Whether the journal records `phase` as executed.
pub fn executed(entries: &[Entry], phase: PhaseName) -> bool {
    entries.iter().any(|e| matches!(e, Entry::OwnerPhaseExecuted { phase: p, .. } if *p == phase))
}

/// Builds `phase` at the Safe's next nonce and writes its batch file `safe-<phase>.json` into
/// `dir`.
pub async fn export_phase(
    provider: &DynProvider,
    manifest: &Manifest,
    phase: PhaseName,
    dir: &Path,
) -> Result<Waiting> {
    let block = provider.get_block_number().await.map_err(molt_chain::Error::from)?;
    let export = governance::export(provider, manifest, Some(phase)).await?;
    write_export(manifest, &export, dir, block)
}

/// Builds owner phase `phase` of `calls` at the Safe's next nonce and writes its batch file
/// `safe-<phase>.json` into `dir` (a rollback: its calls come from the run's journal).
pub async fn export_calls(
    provider: &DynProvider,
    manifest: &Manifest,
    phase: PhaseName,
    calls: Vec<governance::OwnerCall>,
    dir: &Path,
) -> Result<Waiting> {
    let block = provider.get_block_number().await.map_err(molt_chain::Error::from)?;
    let safe = governance::safe_info(provider, manifest).await?;
    let p = governance::phase::phase(provider, &safe, phase, calls, safe.nonce).await?;
    let export = governance::Export { safe, snapshot_block: None, phases: vec![p] };
    write_export(manifest, &export, dir, block)
}

/// Writes the batch file of the export's one phase and says what the Safe waits for.
fn write_export(
    manifest: &Manifest,
    export: &governance::Export,
    dir: &Path,
    block: u64,
) -> Result<Waiting> {
    let p = export.phases.first().ok_or_else(|| Error::Inconsistent("no phase exported".into()))?;
    let file = governance::batch_file(export, p, now_ms(), &manifest.path);
    let path = dir.join(format!("safe-{}.json", p.phase));
    crate::fsutil::write_atomic(&path, file.to_json().as_bytes()).map_err(|e| {
        Error::Governance(GovernanceError::File { path: path.clone(), reason: e.to_string() })
    })?;
    Ok(Waiting {
        phase: p.phase,
        safe: export.safe.address,
        nonce: p.nonce,
        safe_tx_hash: p.hashes.safe_tx_hash,
        batch: path,
        block,
        steps: p.calls.iter().filter_map(|c| c.purpose.step(&c.contract)).collect(),
    })
}

/// An owner phase executed through the real Safe on a fork (a rehearsal: `molt plan`).
#[derive(Debug, Clone)]
pub struct RehearsedPhase {
    /// The Safe.
    pub safe: Address,
    /// The Safe's real threshold (the fork ran it at 1).
    pub threshold: u64,
    /// How many owners it has.
    pub owners: usize,
    /// The owner the fork impersonated to execute.
    pub executor: Address,
    /// The phase: its calls, SafeTx and hashes (the hashes are the fork's chain id's: see
    /// [`RehearsedPhase::hashes_on`]).
    pub phase: governance::OwnerPhase,
    /// Gas of the `execTransaction`.
    pub gas_used: u64,
}

impl RehearsedPhase {
    /// The phase's EIP-712 hashes on the real chain `chain_id` (a fork runs with its own id,
    /// so its hashes are not the ones the owners sign).
    pub fn hashes_on(&self, chain_id: u64) -> molt_chain::safe::SafeTxHashes {
        self.phase.safe_tx.hashes(chain_id, self.safe)
    }
}

/// Builds owner phase `phase` as `molt safe export` does and executes it through the Safe on
/// the fork `provider` points at (threshold 1 there, an owner impersonated; see
/// [`Safe::exec_on_fork`]). `None` when the phase has nothing to do.
pub async fn rehearse_phase(
    provider: &DynProvider,
    manifest: &Manifest,
    phase: PhaseName,
    avoid: Address,
) -> Result<Option<RehearsedPhase>> {
    let export = match governance::export(provider, manifest, Some(phase)).await {
        Ok(export) => export,
        Err(Error::Governance(GovernanceError::EmptyPhase { .. })) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(p) = export.phases.into_iter().next() else { return Ok(None) };
    let safe = Safe::new(export.safe.address, export.safe.chain_id, provider.clone());
    let (executor, receipt) =
        safe.exec_on_fork(&p.safe_tx, avoid).await.map_err(|e| Error::Governance(e.into()))?;
    Ok(Some(RehearsedPhase {
        safe: export.safe.address,
        threshold: export.safe.threshold,
        owners: export.safe.owners.len(),
        executor,
        phase: p,
        gas_used: receipt.gas_used,
    }))
}

/// Executes the exported phase `w` (its batch file, at its nonce) through the Safe on the fork
/// `provider` points at, executed by an owner other than `avoid` when there is one; `None` when
/// the Safe's nonce is past it and it was executed as exported ([`check_executed`]: another
/// transaction at its nonce is refused). Returns the executing owner and the gas.
pub async fn rehearse_exported(
    provider: &DynProvider,
    manifest: &Manifest,
    w: &Waiting,
    avoid: Address,
) -> Result<Option<(Address, u64)>> {
    let chain_id = provider.get_chain_id().await.map_err(molt_chain::Error::from)?;
    let safe = Safe::new(w.safe, chain_id, provider.clone());
    let gov = |e: molt_chain::safe::SafeError| Error::Governance(e.into());
    let nonce: u64 = safe.nonce().await.map_err(gov)?.saturating_to();
    if nonce > w.nonce {
        check_executed(provider, manifest, w).await?;
        return Ok(None);
    }
    let tx = governance::BatchFile::read(&w.batch)?.safe_tx(w.nonce)?;
    let (executor, receipt) = safe.exec_on_fork(&tx, avoid).await.map_err(gov)?;
    Ok(Some((executor, receipt.gas_used)))
}

/// The latest export of each owner phase in the journal, executed or not.
pub fn exports(entries: &[Entry]) -> Vec<Waiting> {
    PhaseName::ALL
        .iter()
        .filter_map(|&phase| {
            entries.iter().rev().find_map(|e| match e {
                Entry::OwnerPhaseExported { phase: p, .. } if *p == phase => Waiting::of_export(e),
                _ => None,
            })
        })
        .collect()
}

/// Whether the Safe executed `w`: `None` while its nonce has not moved past it; the block of
/// its `ExecutionSuccess` once it has and the phase's effects read back. The nonce used by
/// another SafeTx (another transaction, or the phase with other calldata) is refused.
pub async fn check_executed(
    provider: &DynProvider,
    manifest: &Manifest,
    w: &Waiting,
) -> Result<Option<u64>> {
    let chain_id = provider.get_chain_id().await.map_err(molt_chain::Error::from)?;
    let safe = Safe::new(w.safe, chain_id, provider.clone());
    let nonce: u64 = safe.nonce().await.map_err(|e| Error::Governance(e.into()))?.saturating_to();
    if nonce <= w.nonce {
        return Ok(None);
    }
    let filter = Filter::new()
        .address(w.safe)
        .event_signature(ISafe::ExecutionSuccess::SIGNATURE_HASH)
        .topic1(w.safe_tx_hash);
    let head = provider.get_block_number().await.map_err(molt_chain::Error::from)?;
    // In ranges the node accepts: the Safe may execute days after the export.
    let mut found = None;
    molt_chain::logs::scan(provider, &filter, w.block, head, &mut |logs, _| {
        found = found.or_else(|| logs.iter().find_map(|l| l.block_number));
        Ok(())
    })
    .await
    .map_err(|e| GovernanceError::Logs { safe: w.safe, reason: e.to_string() })?;
    let Some(block) = found else {
        return Err(GovernanceError::OtherExecution {
            phase: w.phase.as_str(),
            safe: w.safe,
            nonce: w.nonce,
            safe_tx_hash: w.safe_tx_hash,
            batch: w.batch.clone(),
        }
        .into());
    };
    if w.phase == PhaseName::Open {
        let unpaused: Vec<String> = pause_state(provider, manifest)
            .await
            .into_iter()
            .filter(|(_, p)| *p != Some(true))
            .map(|(c, _)| c)
            .collect();
        if !unpaused.is_empty() {
            return Err(GovernanceError::EffectsMissing {
                phase: w.phase.as_str(),
                safe_tx_hash: w.safe_tx_hash,
                what: format!("{} do not report themselves paused", unpaused.join(", ")),
            }
            .into());
        }
    }
    Ok(Some(block))
}

fn lowercase<S: serde::Serializer>(a: &Address, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{a:#x}"))
}

/// Milliseconds since the Unix epoch (a batch file's `createdAt`; 0 if the clock is before it).
pub fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| d.as_millis() as u64)
}
