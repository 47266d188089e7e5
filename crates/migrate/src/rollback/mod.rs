//! `molt rollback`: the way back of a run that was not finalized. It undoes what the run did on
//! the old side and nothing else: the funds it moved go back from the new contracts to the old
//! ones (through each `[[funds]]`'s `return` call), then the old contracts it paused are
//! unpaused (`[[pause]]` `unpause`). Contracts paused before the run stay paused. The new
//! contracts are abandoned for the run: their imported records are left as they are (a
//! protocol redeploys them for its next attempt).
//!
//! Every step is journaled in the run's own journal before it is sent, and reconciled by hash
//! when the rollback runs again after a crash, exactly as the forward path's.

mod error;
pub mod plan;
mod safe;
mod undo;

use std::{path::PathBuf, time::Duration, time::Instant};

use alloy::{
    dyn_abi::JsonAbiExt,
    primitives::{Address, B256, U256},
    providers::Provider,
};
use molt_chain::{Sender, read::view};
use serde::Serialize;

pub use error::RollbackError;
pub use safe::SafePhase;
pub use undo::{Undo, token_name};

use crate::{
    Error, Result,
    events::{Event, Observer},
    funds::{holding, owed},
    journal::{self, Entry, Journal, Step},
    lock::RunLock,
    manifest::{Funds, Manifest},
    paused::is_true,
    run::{Run, RunOptions, header},
    snapshot::Snapshot,
};

/// The amount of `token` the run moved for `f` (what the snapshot's records credit): what goes
/// back.
fn returned_amount(
    manifest: &Manifest,
    f: &Funds,
    token: Address,
    snap: Option<&Snapshot>,
) -> Result<U256> {
    let snap = snap.ok_or_else(|| {
        Error::Inconsistent(format!(
            "funds `{}` were moved but the journal has no snapshot to say how much",
            f.name
        ))
    })?;
    let owed = owed(manifest, f, snap);
    Ok(owed.into_iter().find_map(|(t, a)| (t == token).then_some(a)).unwrap_or_default())
}

/// Options of a rollback.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// The journal of the run to roll back.
    pub journal: PathBuf,
    /// How long to wait for one receipt.
    pub receipt_timeout: Duration,
    /// This rollback runs on a fork (`molt rollback --plan`): no fault injection.
    pub rehearsal: bool,
    /// In a rehearsal: the real chain's id (the Safe transaction's hash is shown for it).
    pub real_chain_id: Option<u64>,
}

impl RollbackOptions {
    /// Rolls back the run of `journal`, with the default receipt timeout.
    pub fn new(journal: PathBuf) -> Self {
        Self {
            journal,
            receipt_timeout: Duration::from_secs(120),
            rehearsal: false,
            real_chain_id: None,
        }
    }

    /// The run options of the rollback's steps: batch files (a Safe's rollback phase) go next
    /// to the manifest, as the forward path's.
    fn run_options(&self, manifest: &Manifest) -> RunOptions {
        let dir = manifest.path.parent().filter(|p| !p.as_os_str().is_empty());
        let dir = dir.map_or_else(|| PathBuf::from("."), PathBuf::from);
        let mut opts = RunOptions::new(self.journal.clone(), dir);
        opts.receipt_timeout = self.receipt_timeout;
        opts.rehearsal = self.rehearsal;
        opts
    }
}

/// How a rollback ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackOutcome {
    /// The run's effects on the old side were undone (now, or by an earlier rollback that
    /// this one finished).
    RolledBack,
    /// The run had not paused anything nor moved any funds: nothing was sent.
    NothingToUndo,
    /// An earlier `molt rollback` finished already: nothing was sent.
    AlreadyRolledBack,
    /// With a Safe owner: the rollback's Safe transaction is exported and waits for the
    /// owners (`waiting`); run `molt rollback` again once it is executed.
    WaitingForSafe,
}

/// The JSON report of a rollback (`molt.rollback/1`).
#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    /// `molt.rollback/1`.
    pub schema: &'static str,
    /// How it ended.
    pub outcome: RollbackOutcome,
    /// The chain.
    pub chain_id: u64,
    /// The run's journal.
    pub journal: PathBuf,
    /// The old contracts this run had paused, unpaused now.
    pub unpaused: Vec<String>,
    /// Old contracts that report themselves paused and were paused before the run: left so.
    pub left_paused: Vec<String>,
    /// The funds sent back, per `[[funds]]` entry and token.
    pub returned: Vec<Returned>,
    /// Per component: the old contracts' state hash read now against the run's snapshot.
    pub old_state: Vec<OldState>,
    /// The new contracts, abandoned for this run (redeploy them for the next attempt).
    pub abandoned: Vec<String>,
    /// With a Safe owner, while it waits: what the owners sign and execute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<crate::owner::Waiting>,
    /// In a rehearsal with a Safe owner: the Safe transaction executed on the fork.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe_phase: Option<SafePhase>,
    /// Transactions this rollback sent.
    pub txs: u64,
    /// Gas they used.
    pub gas_used: u64,
    /// Wall time.
    pub duration_ms: u64,
}

/// Funds sent back.
#[derive(Debug, Clone, Serialize)]
pub struct Returned {
    /// The `[[funds]]` entry.
    pub funds: String,
    /// The token (the zero address for ETH).
    pub token: Address,
    /// The amount (decimal, in the token's smallest unit).
    #[serde(serialize_with = "decimal")]
    pub amount: U256,
    /// The new contract it left.
    pub from: String,
    /// The old contract it went back to.
    pub to: String,
    /// What the old contract holds of the token now (decimal).
    #[serde(serialize_with = "decimal")]
    pub held_now: U256,
}

/// A component's source state after the rollback.
#[derive(Debug, Clone, Serialize)]
pub struct OldState {
    /// The component.
    pub component: String,
    /// Records and state hash in the run's snapshot.
    pub snapshot_count: u64,
    /// The snapshot's state hash.
    pub snapshot_hash: B256,
    /// Records read now.
    pub count: u64,
    /// The state hash read now.
    pub hash: B256,
    /// Whether both are equal.
    pub unchanged: bool,
}

fn decimal<S: serde::Serializer>(n: &U256, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&n.to_string())
}

/// Rolls back the run whose journal is `opts.journal`, signing with `sender`.
pub async fn rollback(
    manifest: &Manifest,
    sender: &Sender,
    opts: &RollbackOptions,
    obs: &dyn Observer,
) -> Result<RollbackReport> {
    let started = Instant::now();
    let _lock = RunLock::acquire(&opts.journal)?;
    if sender.is_keyless() && !opts.rehearsal {
        return Err(molt_chain::Error::Keyless { address: sender.address() }.into());
    }
    let header = header(manifest, sender).await?;
    let entries = read_journal(opts)?;
    Journal::check_resumable(&opts.journal, &entries, &header, true).or_else(|e| match e {
        // The manifest may have gained its `unpause` and `return` calls since the run.
        journal::JournalError::ManifestChanged { .. } => Ok(()),
        e => Err(e),
    })?;
    refuse_finalized(&opts.journal, &entries)?;
    let undo = Undo::of(manifest, &entries);
    let report = |outcome, txs, gas| {
        empty_report(manifest, &opts.journal, sender.chain_id(), outcome, txs, gas, started)
    };
    if journal::is_rolled_back(&entries) {
        return Ok(report(RollbackOutcome::AlreadyRolledBack, 0, 0));
    }
    if undo.is_empty()
        && !journal::rollback_started(&entries)
        && journal::pending(&entries).is_empty()
    {
        return Ok(report(RollbackOutcome::NothingToUndo, 0, 0));
    }
    let missing = undo.missing_calls(manifest);
    if !missing.is_empty() {
        return Err(RollbackError::NotReversible {
            done: undo.describe(),
            missing: missing.join("; "),
        }
        .into());
    }
    refuse_unknown_open(manifest, &entries)?;
    let run_opts = opts.run_options(manifest);
    let journal = Journal::reopen(&opts.journal, header)?;
    let mut run = Run::new(manifest, sender, &run_opts, obs, journal);
    let mut r = run.roll_back(started, opts.real_chain_id).await?;
    r.duration_ms = started.elapsed().as_millis() as u64;
    Ok(r)
}

/// The journal's entries; a journal that does not exist is refused.
fn read_journal(opts: &RollbackOptions) -> Result<Vec<Entry>> {
    match Journal::read(&opts.journal) {
        Ok(entries) => Ok(entries),
        Err(journal::JournalError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Err(RollbackError::NoJournal { journal: opts.journal.clone() }.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// A Safe's executed `open` phase journaled by an older molt does not say which pauses and
/// funds moves it made: refused rather than guessed.
fn refuse_unknown_open(manifest: &Manifest, entries: &[Entry]) -> Result<()> {
    let old_open = crate::owner::exports(entries).into_iter().any(|w| {
        w.phase == crate::governance::PhaseName::Open
            && w.steps.is_empty()
            && crate::owner::executed(entries, w.phase)
    });
    if old_open && crate::owner::safe_owner(manifest).is_some() {
        return Err(RollbackError::NotReversible {
            done: "had the Safe execute its `open` phase".into(),
            missing: "the journal was written by an older molt that does not record which pauses and funds moves that phase made; undo them with Safe transactions of your own (unpause, return the funds)".into(),
        }
        .into());
    }
    Ok(())
}

/// A finalized run (or one whose finalize started) cannot be rolled back.
fn refuse_finalized(journal: &std::path::Path, entries: &[Entry]) -> Result<()> {
    let finalize_mined = journal::steps(entries).into_iter().find_map(|(id, s)| {
        let mined = matches!(s, journal::StepState::Mined(m) if m.success);
        (mined && matches!(id.parse(), Ok(Step::Finalize(_)))).then_some(id)
    });
    let what = if journal::is_finalized(entries) {
        Some("the journal records the migration phase ended".to_owned())
    } else {
        finalize_mined.map(|id| format!("its step `{id}` was mined"))
    };
    match what {
        Some(what) => Err(RollbackError::Finalized { journal: journal.to_path_buf(), what }.into()),
        None => Ok(()),
    }
}

fn empty_report(
    manifest: &Manifest,
    journal: &std::path::Path,
    chain_id: u64,
    outcome: RollbackOutcome,
    txs: u64,
    gas_used: u64,
    started: Instant,
) -> RollbackReport {
    RollbackReport {
        schema: "molt.rollback/1",
        outcome,
        chain_id,
        journal: journal.to_path_buf(),
        unpaused: Vec::new(),
        left_paused: Vec::new(),
        returned: Vec::new(),
        old_state: Vec::new(),
        abandoned: new_contracts(manifest),
        waiting: None,
        safe_phase: None,
        txs,
        gas_used,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

/// The manifest's new contracts: the import targets and the funds' receivers.
fn new_contracts(manifest: &Manifest) -> Vec<String> {
    let mut names: Vec<String> = manifest
        .components
        .iter()
        .map(|c| c.target.contract.clone())
        .chain(manifest.funds.iter().map(|f| f.to.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

impl Run<'_> {
    /// Settles what the forward path left in flight, journals the start, returns the funds,
    /// lifts the pauses, checks the old side, journals the end.
    async fn roll_back(
        &mut self,
        started: Instant,
        real_chain_id: Option<u64>,
    ) -> Result<RollbackReport> {
        self.recheck_mined().await?;
        self.reconcile().await?;
        // What was in flight may have finalized, paused or moved more: read the journal again.
        refuse_finalized(self.journal.path(), self.journal.entries())?;
        self.refuse_safe_closed().await?;
        let undo = Undo::of(self.manifest, self.journal.entries());
        if !journal::rollback_started(self.journal.entries()) {
            let block = self.head().await?;
            self.journal.append(Entry::RollbackStarted { block })?;
        }
        let snap = self.run_snapshot().await?;
        let safe = self.opts.safe_mode(self.manifest);
        let mut safe_phase = None;
        if safe {
            match self.safe_phase(&undo, snap.as_ref(), real_chain_id).await? {
                safe::Phase::Done(p) => safe_phase = p,
                safe::Phase::Waiting(w) => {
                    let mut r = self.rollback_report(RollbackOutcome::WaitingForSafe, started);
                    r.waiting = Some(w);
                    return Ok(r);
                }
            }
        }
        // With a Safe owner the Safe sent the returns and unpauses: they are only checked.
        let returned = self.return_funds(&undo, snap.as_ref(), !safe).await?;
        let unpaused = self.unpause(&undo, !safe).await?;
        let left_paused = self.left_paused(&undo).await?;
        let old_state = self.old_state(snap.as_ref()).await?;
        let block = self.head().await?;
        self.journal.append(Entry::RolledBack { block })?;
        Ok(RollbackReport {
            unpaused,
            left_paused,
            returned,
            old_state,
            safe_phase,
            ..self.rollback_report(RollbackOutcome::RolledBack, started)
        })
    }

    fn rollback_report(&self, outcome: RollbackOutcome, started: Instant) -> RollbackReport {
        empty_report(
            self.manifest,
            self.journal.path(),
            self.sender.chain_id(),
            outcome,
            self.txs,
            self.gas_used,
            started,
        )
    }

    async fn head(&self) -> Result<u64> {
        Ok(self.sender.provider().get_block_number().await.map_err(molt_chain::Error::from)?)
    }

    /// The run's snapshot, read back from its backup (none when the run stopped before it).
    async fn run_snapshot(&self) -> Result<Option<Snapshot>> {
        match self.journal.snapshot() {
            Some(s) => Ok(Some(Snapshot::read_backup(self.manifest, s.backup)?)),
            None => Ok(None),
        }
    }

    /// Sends back every funds move of `undo` not returned yet: the amount the run moved (what
    /// Sends back (with `send`; else only reads) every funds move of `undo` not returned yet:
    /// the amount the run moved (what the snapshot's records credit).
    async fn return_funds(
        &mut self,
        undo: &Undo,
        snap: Option<&Snapshot>,
        send: bool,
    ) -> Result<Vec<Returned>> {
        let mut returned = Vec::new();
        for (name, token) in &undo.funds {
            let f = self.manifest.funds.iter().find(|f| &f.name == name).expect("checked");
            let amount = returned_amount(self.manifest, f, *token, snap)?;
            if send {
                self.return_one(f, *token, amount).await?;
            }
            let held_now =
                holding(self.sender.provider(), *token, self.manifest.contract(&f.from).address)
                    .await?;
            returned.push(Returned {
                funds: name.clone(),
                token: *token,
                amount,
                from: f.to.clone(),
                to: f.from.clone(),
                held_now,
            });
        }
        Ok(returned)
    }

    /// One token of one funds move, back from `f.to` to `f.from`: skipped when the old
    /// contract holds it again and the new one no longer does (returned before).
    async fn return_one(&mut self, f: &Funds, token: Address, amount: U256) -> Result<()> {
        let step = Step::Return { name: f.name.clone(), token: token.to_string() }.to_string();
        let provider = self.sender.provider();
        let (old, new) = (self.manifest.contract(&f.from), self.manifest.contract(&f.to));
        if self.done(&step) || amount.is_zero() {
            return Ok(());
        }
        let back = holding(provider, token, old.address).await? >= amount
            && holding(provider, token, new.address).await? < amount;
        if back {
            return Ok(());
        }
        let call = f.return_call.as_ref().expect("checked");
        let args =
            crate::run::resolve_args(self.manifest, &call.args, Some((old.address, token, amount)));
        let data = call
            .function
            .abi_encode_input(&args)
            .map_err(|e| Error::Inconsistent(e.to_string()))?;
        self.obs.on(&Event::Phase {
            phase: "rollback",
            message: format!(
                "returning {} from {} to {}",
                crate::funds::amount_of(token, amount),
                f.to,
                f.from
            ),
        });
        self.call_step(&step, new.address, data.into()).await
    }

    /// Unpauses (with `send`; else only checks) the old contracts this run paused.
    async fn unpause(&mut self, undo: &Undo, send: bool) -> Result<Vec<String>> {
        for contract in &undo.pauses {
            let p = self.manifest.pause.iter().find(|p| &p.contract == contract).expect("known");
            let address = self.manifest.contract(contract).address;
            let provider = self.sender.provider();
            if !is_true(&view(provider, address, &p.paused, &[], None).await?) {
                continue;
            }
            let call = p.unpause.as_ref().expect("checked");
            if send {
                self.obs.on(&Event::Phase {
                    phase: "rollback",
                    message: format!("unpausing {contract}"),
                });
                let data = call.abi_encode_input(&[]).expect("no arguments").into();
                let step = Step::Unpause(contract.clone()).to_string();
                self.call_step(&step, address, data).await?;
            }
            if is_true(&view(self.sender.provider(), address, &p.paused, &[], None).await?) {
                return Err(RollbackError::StillPaused {
                    contract: contract.clone(),
                    address,
                    call: call.signature(),
                }
                .into());
            }
        }
        Ok(undo.pauses.clone())
    }

    /// The `[[pause]]` contracts that report themselves paused and that this run did not pause.
    async fn left_paused(&self, undo: &Undo) -> Result<Vec<String>> {
        let mut left = Vec::new();
        for p in self.manifest.pause.iter().filter(|p| !undo.pauses.contains(&p.contract)) {
            let address = self.manifest.contract(&p.contract).address;
            if is_true(&view(self.sender.provider(), address, &p.paused, &[], None).await?) {
                left.push(p.contract.clone());
            }
        }
        Ok(left)
    }

    /// The old contracts' state read now, per component, against the run's snapshot.
    async fn old_state(&self, snap: Option<&Snapshot>) -> Result<Vec<OldState>> {
        let Some(snap) = snap else { return Ok(Vec::new()) };
        self.obs.on(&Event::Phase {
            phase: "rollback",
            message: "reading the old contracts again to compare with the run's snapshot".into(),
        });
        let block = self.head().await?;
        let now =
            Snapshot::take(self.sender.provider(), self.manifest, self.sender.chain_id(), block)
                .await?;
        Ok(snap
            .components
            .iter()
            .map(|(name, before)| {
                let after = &now.components[name];
                OldState {
                    component: name.clone(),
                    snapshot_count: before.records.len() as u64,
                    snapshot_hash: before.source_hash,
                    count: after.records.len() as u64,
                    hash: after.source_hash,
                    unchanged: before.source_hash == after.source_hash,
                }
            })
            .collect())
    }
}
