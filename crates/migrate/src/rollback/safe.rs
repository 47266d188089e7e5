//! A rollback with a Safe owner: the returns, unpauses and revokes are the Safe's calls. They
//! are exported as one owner phase (`safe-rollback.json`) at the Safe's next nonce, the same
//! hand-off as the forward path's `open` and `close`; once the Safe executed it, `molt rollback`
//! goes on and checks the old side. On a fork (`--plan`) the phase runs through the real Safe.

use alloy::{dyn_abi::DynSolValue, primitives::Address};
use molt_chain::{read::view, safe::Safe};
use serde::Serialize;

use super::{Undo, returned_amount};
use crate::{
    Error, Result,
    events::Event,
    funds::holding,
    governance::{self, OwnerCall, PhaseName, Purpose},
    journal::Entry,
    owner::{self, Waiting},
    paused::is_true,
    run::{Run, resolve_args},
    snapshot::Snapshot,
};

/// The rollback's Safe transaction.
#[derive(Debug, Clone, Serialize)]
pub struct SafePhase {
    /// The Safe.
    pub safe: Address,
    /// Its nonce.
    pub nonce: u64,
    /// The safeTxHash on the real chain.
    pub safe_tx_hash: alloy::primitives::B256,
    /// The calls (`contract.signature`).
    pub calls: Vec<String>,
    /// The batch file (absent in a rehearsal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<std::path::PathBuf>,
}

/// Where the rollback's Safe phase stands.
pub(super) enum Phase {
    /// Executed (now or before), or nothing for the Safe to do.
    Done(Option<SafePhase>),
    /// Exported, waiting for the owners.
    Waiting(Waiting),
}

impl Run<'_> {
    /// With a Safe owner: a `close` the Safe executed after the run last looked (the journal
    /// says exported, the chain says executed) finalized the run: refused.
    pub(super) async fn refuse_safe_closed(&self) -> Result<()> {
        let entries = self.journal.entries();
        let rollback_exported = entries
            .iter()
            .any(|e| matches!(e, Entry::OwnerPhaseExported { phase: PhaseName::Rollback, .. }));
        // Once exported, the rollback holds the nonce `close` would have used.
        let Some(w) = owner::waiting(entries, PhaseName::Close).filter(|_| !rollback_exported)
        else {
            return Ok(());
        };
        if owner::check_executed(self.sender.provider(), self.manifest, &w).await?.is_some() {
            return Err(super::RollbackError::Finalized {
                journal: self.journal.path().to_path_buf(),
                what: format!(
                    "the Safe executed its phase `close` (safeTxHash {})",
                    w.safe_tx_hash
                ),
            }
            .into());
        }
        Ok(())
    }

    /// The rollback's owner phase: exported once, then checked executed; on a fork, executed
    /// through the Safe.
    pub(super) async fn safe_phase(
        &mut self,
        undo: &Undo,
        snap: Option<&Snapshot>,
        real_chain_id: Option<u64>,
    ) -> Result<Phase> {
        let entries = self.journal.entries();
        if owner::executed(entries, PhaseName::Rollback) {
            return Ok(Phase::Done(None));
        }
        let w = match owner::waiting(entries, PhaseName::Rollback) {
            Some(w) => w,
            None => {
                let calls = self.rollback_calls(undo, snap).await?;
                if calls.is_empty() {
                    return Ok(Phase::Done(None));
                }
                if self.opts.rehearsal {
                    return self.rehearse_safe_phase(calls, real_chain_id).await;
                }
                let provider = self.sender.provider();
                let dir = &self.opts.backup_dir;
                let w =
                    owner::export_calls(provider, self.manifest, PhaseName::Rollback, calls, dir)
                        .await?;
                self.journal.append(w.entry())?;
                w
            }
        };
        match owner::check_executed(self.sender.provider(), self.manifest, &w).await? {
            Some(block) => {
                let safe_tx_hash = w.safe_tx_hash;
                let phase = PhaseName::Rollback;
                self.journal.append(Entry::OwnerPhaseExecuted { phase, safe_tx_hash, block })?;
                self.obs.on(&Event::Phase {
                    phase: "safe",
                    message: format!("the Safe executed the rollback (safeTxHash {safe_tx_hash}) in block {block}"),
                });
                Ok(Phase::Done(None))
            }
            None => Ok(Phase::Waiting(w)),
        }
    }

    /// The Safe's calls: the returns not made yet, the unpauses of contracts still paused,
    /// the `[[governance.revoke]]` calls.
    async fn rollback_calls(&self, undo: &Undo, snap: Option<&Snapshot>) -> Result<Vec<OwnerCall>> {
        let m = self.manifest;
        let provider = self.sender.provider();
        let mut calls = Vec::new();
        for (name, token) in &undo.funds {
            let f = m.funds.iter().find(|f| &f.name == name).expect("checked");
            let amount = returned_amount(m, f, *token, snap)?;
            let (old, new) = (m.contract(&f.from).address, m.contract(&f.to).address);
            if amount.is_zero()
                || (holding(provider, *token, old).await? >= amount
                    && holding(provider, *token, new).await? < amount)
            {
                continue;
            }
            let call = f.return_call.as_ref().expect("checked");
            let args: Vec<DynSolValue> = resolve_args(m, &call.args, Some((old, *token, amount)));
            let purpose = Purpose::Return { name: name.clone(), token: *token, amount };
            calls.push(OwnerCall::new(m, purpose, &f.to, &call.function, &args)?);
        }
        for contract in &undo.pauses {
            let p = m.pause.iter().find(|p| &p.contract == contract).expect("known");
            let address = m.contract(contract).address;
            if is_true(&view(provider, address, &p.paused, &[], None).await?) {
                let unpause = p.unpause.as_ref().expect("checked");
                calls.push(OwnerCall::new(m, Purpose::Unpause, contract, unpause, &[])?);
            }
        }
        calls.extend(governance::phase::revoke_calls(m)?);
        Ok(calls)
    }

    /// On a fork: the phase executed through the Safe (threshold 1 there, an owner other than
    /// this sender impersonated).
    async fn rehearse_safe_phase(
        &mut self,
        calls: Vec<OwnerCall>,
        real_chain_id: Option<u64>,
    ) -> Result<Phase> {
        let provider = self.sender.provider();
        let info = governance::safe_info(provider, self.manifest).await?;
        let p = governance::phase::phase(provider, &info, PhaseName::Rollback, calls, info.nonce)
            .await?;
        let safe = Safe::new(info.address, info.chain_id, provider.clone());
        let (executor, receipt) = safe
            .exec_on_fork(&p.safe_tx, self.sender.address())
            .await
            .map_err(|e| Error::Governance(e.into()))?;
        self.obs.on(&Event::Phase {
            phase: "safe",
            message: format!(
                "the rollback executed through the Safe {} on the fork (threshold 1 there, owner {executor} impersonated): {} calls, {} gas",
                info.address,
                p.calls.len(),
                receipt.gas_used
            ),
        });
        let hashes = p.safe_tx.hashes(real_chain_id.unwrap_or(info.chain_id), info.address);
        Ok(Phase::Done(Some(SafePhase {
            safe: info.address,
            nonce: p.nonce,
            safe_tx_hash: hashes.safe_tx_hash,
            calls: p.calls.iter().map(|c| format!("{}.{}", c.contract, c.signature)).collect(),
            batch: None,
        })))
    }
}
