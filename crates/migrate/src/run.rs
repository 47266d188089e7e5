//! A migration run: pre-checks, pause, snapshot, funds, batches, verification, finalize; every
//! transaction journaled before it is sent, so that re-running after a crash resumes it.

use std::{
    collections::{BTreeMap, VecDeque},
    path::PathBuf,
    time::{Duration, Instant},
};

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
};
use futures::{StreamExt, TryStreamExt, stream};
use molt_chain::{
    Sender,
    tx::{EstimateError, ReceiptSummary, SignedTx, TxRequest, TxStatus},
};
use serde::Serialize;

use crate::{
    Error, Result,
    events::{Event, Observer},
    funds::owed,
    governance::PhaseName,
    journal::{self, Entry, Journal, Prepared, SnapshotComponent, Step, VERSION},
    lock::RunLock,
    manifest::{Arg, Component, Funds, Manifest},
    precheck::PrecheckOptions,
    record,
    snapshot::{READ_SLICE, Snapshot},
    verify::{self, Verification},
};
use molt_chain::read::{reader, view, view_u64, views};

use crate::paused::is_true;

/// How often the chain's head is read while waiting for confirmations.
const CONFIRMATION_POLL: Duration = Duration::from_secs(1);

/// How often the Safe is read while `--wait` waits for an owner phase.
const SAFE_POLL: Duration = Duration::from_secs(2);

/// Options of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The journal file.
    pub journal: PathBuf,
    /// Where the data backup is written.
    pub backup_dir: PathBuf,
    /// Names of `[[check]]`s to report but not enforce.
    pub allow_checks: Vec<String>,
    /// How long to wait for one receipt.
    pub receipt_timeout: Duration,
    /// End the migration phase after a verification that passed.
    pub finalize: bool,
    /// Components that may have no records (and may be finalized so).
    pub allow_empty: Vec<String>,
    /// Adopt records found on a target that the journal does not account for.
    pub adopt_existing: bool,
    /// Go on with a manifest changed since the journal was started, when only sections that
    /// cannot alter what was sent changed (`[batch]`, `[network]`, `[[check]]`, `[diff]`).
    pub adopt_manifest: bool,
    /// Before sending anything, rehearse the first steps on a local anvil fork of the node
    /// (the caller passes the rehearsal: the engine's is `rehearsal::preflight_at`). `None`
    /// sends without rehearsing.
    pub preflight: Option<Preflight>,
    /// How much of the run to do.
    pub scope: Scope,
    /// This run is a rehearsal on a fork: the test-only fault injection (`MOLT_TEST_CRASH_AT`)
    /// is for the real run and skips it.
    pub rehearsal: bool,
    /// The snapshot to use when the journal has none yet, instead of reading the sources (a
    /// preflight uses the records it read from the real node).
    pub snapshot: Option<Snapshot>,
    /// With a Safe owner: how long to poll for the Safe to execute an owner phase instead of
    /// stopping (`None`: stop at once).
    pub wait: Option<Duration>,
    /// In a preflight: the owner phases the real journal exported. The fork rehearses them as
    /// exported (the batch file the owners sign), or skips one the Safe already executed.
    pub exported_phases: Vec<crate::owner::Waiting>,
}

/// A rehearsal of what a run would send, on a fork of the node at `url`, before it sends
/// anything: it runs once the pre-checks passed, before the journal is opened, and returns one
/// line for people, or the error that stops the run with nothing sent.
#[derive(Clone)]
pub struct Preflight {
    /// The node URL the fork is taken of.
    pub url: String,
    /// The rehearsal: given the manifest, the real signer, `url` and the run's options.
    pub rehearse: Rehearse,
}

/// See [`Preflight::rehearse`].
pub type Rehearse = for<'a> fn(
    &'a Manifest,
    &'a Sender,
    &'a str,
    &'a RunOptions,
) -> futures::future::LocalBoxFuture<'a, Result<String>>;

impl std::fmt::Debug for Preflight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preflight").field("url", &self.url).finish_non_exhaustive()
    }
}

/// How much of a run to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Everything: the real run, or a full rehearsal.
    #[default]
    Full,
    /// Pause, funds, the first batch of every component and finalize, without verification:
    /// the steps a preflight simulates.
    FirstBatches,
}

impl RunOptions {
    /// Options for a full run with the journal at `journal` and the backup in `backup_dir`, and
    /// every safety default: preflight off, nothing allowed.
    pub fn new(journal: PathBuf, backup_dir: PathBuf) -> Self {
        Self {
            journal,
            backup_dir,
            allow_checks: Vec::new(),
            receipt_timeout: Duration::from_secs(120),
            finalize: true,
            allow_empty: Vec::new(),
            adopt_existing: false,
            adopt_manifest: false,
            preflight: None,
            scope: Scope::Full,
            rehearsal: false,
            snapshot: None,
            wait: None,
            exported_phases: Vec::new(),
        }
    }

    /// The pre-check options of this run, given what its journal holds so far.
    pub fn precheck_options(&self, entries: &[Entry], manifest: &Manifest) -> PrecheckOptions {
        // Records of batches mined, and of batches that may have been (pending: reconciled by
        // hash before anything else), per target contract.
        let mut journaled: BTreeMap<String, u64> = BTreeMap::new();
        for (component, positions) in journal::import_order(entries) {
            if let Some(c) = manifest.component(&component) {
                let group = manifest.digest_group(c).leader.name.clone();
                *journaled.entry(group).or_default() += positions.len() as u64;
            }
        }
        for (step, p) in journal::pending(entries) {
            let (Some(component), Some((start, end))) = (Step::batch_component(&step), p.range)
            else {
                continue;
            };
            if let Some(c) = manifest.component(&component) {
                let group = manifest.digest_group(c).leader.name.clone();
                *journaled.entry(group).or_default() += end - start;
            }
        }
        PrecheckOptions {
            allow_checks: self.allow_checks.clone(),
            allow_empty: self.allow_empty.clone(),
            adopt_existing: self.adopt_existing,
            journaled,
            safe_owner: self.safe_mode(manifest),
        }
    }

    /// Whether the owner's calls are Safe transactions, not sent by the signer: a Safe owner in
    /// `[governance]`. A real run exports them and waits for the Safe; a rehearsal executes
    /// them through the Safe on its fork.
    pub fn safe_mode(&self, manifest: &Manifest) -> bool {
        crate::owner::safe_owner(manifest).is_some()
    }
}

/// The JSON report of a run (`molt.migrate/1`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `molt.migrate/1`.
    pub schema: &'static str,
    /// The chain.
    pub chain_id: u64,
    /// The block the snapshot was read at.
    pub snapshot_block: u64,
    /// Per component.
    pub components: Vec<ComponentReport>,
    /// Per funds move and token.
    pub funds: Vec<verify::FundsCheck>,
    /// Transactions this run sent.
    pub txs: u64,
    /// Gas those transactions used.
    pub gas_used: u64,
    /// Wall time of this run.
    pub duration_ms: u64,
    /// Wall time of each phase (`precheck`, `reconcile`, `pause`, `snapshot`, `funds`,
    /// `migrate`, `verify`, `finalize`).
    pub phases_ms: BTreeMap<&'static str, u64>,
    /// Whether every hash, count and total matched.
    pub verified: bool,
    /// Whether the migration phase was ended.
    pub finalized: bool,
    /// The first mismatch, when verification failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<String>,
    /// The data backup file.
    pub backup: PathBuf,
    /// Whether each old contract of `[[pause]]` reports itself paused, read at the end of the
    /// run (absent in a preflight).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub paused: BTreeMap<String, bool>,
    /// On a fork with a Safe owner: the owner phases executed through the Safe.
    #[serde(skip)]
    pub safe_phases: Vec<crate::owner::RehearsedPhase>,
}

/// A component in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentReport {
    /// The component.
    pub name: String,
    /// Records to migrate (after the filter).
    pub source_count: u64,
    /// Records imported by this and earlier runs of this journal.
    pub migrated: u64,
    /// Records found already in the target and not sent again.
    pub skipped: u64,
    /// Source records read at the snapshot block, before the filter.
    pub read: u64,
    /// Source records the filter left out (`read - source_count`).
    pub filtered: u64,
    /// Where a keyed source's keys came from; absent for sources by index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_from: Option<crate::component_snapshot::KeysFrom>,
    /// Batch transactions mined for it.
    pub batches: u64,
    /// Gas those batches used.
    pub gas_used: u64,
    /// The snapshot's state hash.
    pub source_hash: B256,
    /// The read-back's state hash.
    pub target_hash: B256,
    /// The target contract's on-chain digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onchain_digest: Option<B256>,
    /// Whether it verified.
    pub verified: bool,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It ran to its end (verified, and finalized when asked).
    Done(Box<Report>),
    /// It stopped at an owner phase the Safe has to execute (a Safe owner in `[governance]`).
    Waiting(crate::owner::Waiting),
}

/// Runs (or resumes) the migration described by `manifest`, signing with `sender`; a run that
/// has to wait for the Safe is an error here (see [`run`]).
pub async fn migrate(
    manifest: &Manifest,
    sender: &Sender,
    opts: &RunOptions,
    obs: &dyn Observer,
) -> Result<Report> {
    match run(manifest, sender, opts, obs).await? {
        Outcome::Done(report) => Ok(*report),
        Outcome::Waiting(w) => {
            Err(crate::governance::GovernanceError::Waiting { phase: w.phase.as_str() }.into())
        }
    }
}

/// Runs (or resumes) the migration described by `manifest`, signing with `sender`. With a Safe
/// owner, it stops at each owner phase the Safe has not executed yet ([`Outcome::Waiting`]).
pub async fn run(
    manifest: &Manifest,
    sender: &Sender,
    opts: &RunOptions,
    obs: &dyn Observer,
) -> Result<Outcome> {
    let mut clock = PhaseClock::start();
    // One run per journal, held to the end: a second one is refused before it reads anything.
    let _lock = RunLock::acquire(&opts.journal)?;
    if sender.is_keyless() && !opts.rehearsal {
        // Sent unsigned, a keyless run would rely on the node holding the account: only a fork.
        return Err(molt_chain::Error::Keyless { address: sender.address() }.into());
    }
    check_migrator(manifest, sender.address())?;
    let header = header(manifest, sender).await?;
    let journal = open_journal(manifest, sender, opts, obs, header, &mut clock).await?;
    let mut run = Run::new(manifest, sender, opts, obs, journal);
    // The chain may have reorganized since the journal was written: what it says was mined is
    // checked before anything builds on it.
    run.recheck_mined().await?;
    run.reconcile().await?;
    clock.lap("reconcile");
    if let Some(w) = run.owner_phase(PhaseName::Open).await? {
        return Ok(Outcome::Waiting(w));
    }
    let (snapshot, backup) = run.pause_and_snapshot(&mut clock).await?;
    let mut reports = run.import(&snapshot, &mut clock).await?;
    if opts.scope == Scope::FirstBatches {
        if opts.finalize && run.safe_mode {
            // A preflight: `close` through the Safe on the fork.
            run.check_empty(&snapshot)?;
            run.owner_phase(PhaseName::Close).await?;
        } else if opts.finalize {
            run.finalize(&snapshot).await?;
        }
        let report = run.report(clock, &snapshot, backup, reports, None, opts.finalize).await;
        return Ok(Outcome::Done(Box::new(report)));
    }
    let v = run.verify(&snapshot, &mut reports, &mut clock).await?;
    let finalized = match run.finalize_if_verified(&v, &snapshot, &mut clock).await? {
        Finalize::Waiting(w) => return Ok(Outcome::Waiting(w)),
        Finalize::Done(f) => f,
    };
    let report = run.report(clock, &snapshot, backup, reports, Some(v), finalized).await;
    Ok(Outcome::Done(Box::new(report)))
}

/// Where the finalize step left the run.
enum Finalize {
    /// Whether the migration phase is over.
    Done(bool),
    /// Waiting for the Safe to execute `close`.
    Waiting(crate::owner::Waiting),
}

/// Wall time per phase of a run.
#[derive(Debug)]
struct PhaseClock {
    started: Instant,
    lap: Instant,
    phases: BTreeMap<&'static str, u64>,
}

impl PhaseClock {
    fn start() -> Self {
        Self { started: Instant::now(), lap: Instant::now(), phases: BTreeMap::new() }
    }

    /// Ends `phase`: the time since the previous lap is its time.
    fn lap(&mut self, phase: &'static str) {
        self.phases.insert(phase, self.lap.elapsed().as_millis() as u64);
        self.lap = Instant::now();
    }
}

/// With a Safe owner, the imports are the migrator's: a run signed by another account is
/// refused before anything is read.
pub fn check_migrator(manifest: &Manifest, sender: Address) -> Result<()> {
    let migrator = manifest.governance.as_ref().and_then(|g| g.migrator);
    match migrator {
        Some(migrator) if crate::owner::safe_owner(manifest).is_some() && sender != migrator => {
            Err(crate::governance::GovernanceError::SignerNotMigrator { signer: sender, migrator }
                .into())
        }
        _ => Ok(()),
    }
}

/// The journal header of this run, once the node is known to be the manifest's chain.
pub(crate) async fn header(manifest: &Manifest, sender: &Sender) -> Result<Entry> {
    sender.check_chain_id().await?;
    if sender.chain_id() != manifest.network.chain_id {
        return Err(Error::ChainMismatch {
            expected: manifest.network.chain_id,
            got: sender.chain_id(),
        });
    }
    Ok(Entry::Header {
        version: VERSION,
        manifest_hash: manifest.hash,
        chain_id: sender.chain_id(),
        sender: sender.address(),
        contracts: manifest.contracts.iter().map(|(n, c)| (n.clone(), c.address)).collect(),
        sections: manifest.sections.clone(),
    })
}

/// Everything before the first transaction: the journal checked for this run, the pre-checks,
/// the preflight on a fork; then the journal opened. A run refused here leaves no new journal.
async fn open_journal(
    manifest: &Manifest,
    sender: &Sender,
    opts: &RunOptions,
    obs: &dyn Observer,
    header: Entry,
    clock: &mut PhaseClock,
) -> Result<Journal> {
    obs.on(&Event::Phase { phase: "precheck", message: "pre-checks".into() });
    let entries = match Journal::read(&opts.journal) {
        Ok(entries) => entries,
        Err(crate::journal::JournalError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    // A journal this run cannot resume is refused before anything else reads it.
    Journal::check_resumable(&opts.journal, &entries, &header, opts.adopt_manifest)?;
    if journal::rollback_started(&entries) {
        // Rolled back (or rolling back): the new contracts are abandoned for this run.
        return Err(crate::rollback::RollbackError::RolledBack {
            journal: opts.journal.clone(),
            finished: journal::is_rolled_back(&entries),
        }
        .into());
    }
    // A run that already verified (and maybe finalized) has nothing left to check: what is
    // left is finalizing, and the pre-checks on the migration phase would refuse half of it.
    let finished = journal::is_finished(&entries);
    if !finished {
        crate::precheck::run(manifest, sender, &opts.precheck_options(&entries, manifest)).await?;
    }
    clock.lap("precheck");
    if let (false, Some(p)) = (finished, &opts.preflight) {
        obs.on(&Event::Phase {
            phase: "preflight",
            message: "rehearsing the first steps on a local fork (nothing is sent yet)".into(),
        });
        // Boxed (a `LocalBoxFuture`): the preflight is itself a (scoped) run.
        let summary = (p.rehearse)(manifest, sender, &p.url, opts).await?;
        obs.on(&Event::Phase { phase: "preflight", message: summary });
    }
    clock.lap("preflight");
    let journal = Journal::open_adopting(&opts.journal, header, opts.adopt_manifest)?;
    if journal.entries().len() > 1 {
        obs.on(&Event::Phase {
            phase: "precheck",
            message: format!("resuming from the journal {}", opts.journal.display()),
        });
    }
    Ok(journal)
}

/// A run in progress: the journal it appends to and the signer's nonce. `molt rollback` drives
/// one too (its steps are journaled, sent and reconciled the same way).
pub(crate) struct Run<'a> {
    pub(crate) manifest: &'a Manifest,
    pub(crate) sender: &'a Sender,
    pub(crate) opts: &'a RunOptions,
    pub(crate) obs: &'a dyn Observer,
    pub(crate) journal: Journal,
    nonce: u64,
    pub(crate) txs: u64,
    pub(crate) gas_used: u64,
    /// The owner's calls are exported for the Safe, not sent ([`RunOptions::safe_mode`]).
    safe_mode: bool,
    /// On a fork: the owner phases executed through the Safe.
    rehearsed: Vec<crate::owner::RehearsedPhase>,
}

impl<'a> Run<'a> {
    /// A run on an opened `journal`; [`Run::reconcile`] reads the nonce.
    pub(crate) fn new(
        manifest: &'a Manifest,
        sender: &'a Sender,
        opts: &'a RunOptions,
        obs: &'a dyn Observer,
        journal: Journal,
    ) -> Self {
        Self {
            manifest,
            sender,
            opts,
            obs,
            journal,
            nonce: 0,
            txs: 0,
            gas_used: 0,
            safe_mode: opts.safe_mode(manifest),
            rehearsed: Vec::new(),
        }
    }
}

impl Run<'_> {
    /// Pauses the old contracts and, once the pauses are `confirmations` deep, takes the
    /// snapshot (or reads back the one this journal took).
    async fn pause_and_snapshot(&mut self, clock: &mut PhaseClock) -> Result<(Snapshot, PathBuf)> {
        self.pause().await?;
        while self.settle().await? {
            self.pause().await?;
        }
        clock.lap("pause");
        let snapshot = self.snapshot().await?;
        clock.lap("snapshot");
        Ok(snapshot)
    }

    /// Moves the funds and imports every component; then waits until it is all `confirmations`
    /// deep, redoing what a reorganization took back.
    async fn import(
        &mut self,
        snapshot: &Snapshot,
        clock: &mut PhaseClock,
    ) -> Result<Vec<ComponentReport>> {
        self.move_funds(snapshot).await?;
        clock.lap("funds");
        let mut reports = self.migrate_components(snapshot).await?;
        while self.settle().await? {
            self.move_funds(snapshot).await?;
            reports = self.migrate_components(snapshot).await?;
        }
        clock.lap("migrate");
        Ok(reports)
    }

    /// Reads every record back and compares; journals the outcome.
    async fn verify(
        &mut self,
        snapshot: &Snapshot,
        reports: &mut [ComponentReport],
        clock: &mut PhaseClock,
    ) -> Result<Verification> {
        self.obs.on(&Event::Phase {
            phase: "verify",
            message: "reading every migrated record back".into(),
        });
        let order = self.import_order();
        let provider = self.sender.provider();
        let head = provider.get_block_number().await.map_err(molt_chain::Error::from)?;
        let v = verify::verify(provider, self.manifest, snapshot, &order, self.obs).await?;
        self.journal.append(Entry::Verified { ok: v.ok, block: Some(head) })?;
        clock.lap("verify");
        for (r, c) in reports.iter_mut().zip(&v.components) {
            r.target_hash = c.target_hash;
            r.onchain_digest = c.onchain_digest;
            r.verified = c.ok;
        }
        Ok(v)
    }

    /// Finalizes when verification passed and the run should; returns whether the migration
    /// phase is over (by this run or an earlier one).
    async fn finalize_if_verified(
        &mut self,
        v: &Verification,
        snapshot: &Snapshot,
        clock: &mut PhaseClock,
    ) -> Result<Finalize> {
        let mut finalized = self.journal.is_finalized();
        if v.ok && self.opts.finalize && !finalized && self.safe_mode {
            self.check_empty(snapshot)?;
            if let Some(w) = self.owner_phase(PhaseName::Close).await? {
                return Ok(Finalize::Waiting(w));
            }
            self.journal.append(Entry::Finalized)?;
            finalized = true;
        }
        if v.ok && self.opts.finalize && !finalized {
            self.finalize(snapshot).await?;
            while self.settle().await? {
                self.finalize(snapshot).await?;
            }
            finalized = true;
        }
        clock.lap("finalize");
        Ok(Finalize::Done(finalized))
    }

    /// The report of the run; without a verification (a preflight), nothing is verified.
    async fn report(
        &self,
        clock: PhaseClock,
        snapshot: &Snapshot,
        backup: PathBuf,
        components: Vec<ComponentReport>,
        v: Option<Verification>,
        finalized: bool,
    ) -> Report {
        let paused = match v {
            Some(_) => crate::paused::pause_state(self.sender.provider(), self.manifest)
                .await
                .into_iter()
                .filter_map(|(c, p)| Some((c, p?)))
                .collect(),
            None => BTreeMap::new(),
        };
        let (verified, funds, mismatch) =
            v.map_or((false, Vec::new(), None), |v| (v.ok, v.funds, v.mismatch));
        Report {
            schema: "molt.migrate/1",
            chain_id: self.sender.chain_id(),
            snapshot_block: snapshot.block,
            components,
            funds,
            txs: self.txs,
            gas_used: self.gas_used,
            duration_ms: clock.started.elapsed().as_millis() as u64,
            phases_ms: clock.phases,
            verified,
            finalized,
            mismatch,
            backup,
            paused,
            safe_phases: self.rehearsed.clone(),
        }
    }

    /// Settles every transaction the journal left pending: by hash, never by position, and in
    /// nonce order (a transaction waits for the one before it). Then reads the next nonce.
    pub(crate) async fn reconcile(&mut self) -> Result<()> {
        for (step, Prepared { hash, nonce, raw, .. }) in self.journal.pending() {
            match self.sender.status(hash, nonce).await? {
                TxStatus::Mined(r) => self.record_mined(&step, &r)?,
                TxStatus::Pending => {
                    let r = self.sender.wait(hash, self.opts.receipt_timeout).await?;
                    self.record_mined(&step, &r)?;
                }
                TxStatus::Dropped => {
                    // The node does not know it and its nonce is free: send the very same bytes.
                    let tx = SignedTx::from_raw(raw)?;
                    self.sender.broadcast(&tx).await?;
                    let r = self.sender.wait(hash, self.opts.receipt_timeout).await?;
                    self.record_mined(&step, &r)?;
                }
                TxStatus::Replaced => {
                    self.journal.append(Entry::TxAbandoned {
                        step,
                        hash,
                        reason: format!("nonce {nonce} was used by another transaction"),
                    })?;
                }
            }
        }
        self.nonce = self.sender.next_nonce().await?;
        Ok(())
    }

    /// Checks that every transaction journaled as mined still has its receipt: one that lost it
    /// to a reorganization is journaled as reorged (pending again); one mined again elsewhere is
    /// journaled with its new receipt. Returns whether anything changed.
    pub(crate) async fn recheck_mined(&mut self) -> Result<bool> {
        let mined: Vec<(String, B256, u64, bool)> = self
            .journal
            .mined()
            .into_iter()
            .map(|(step, m)| (step, m.hash, m.block, m.success))
            .collect();
        let provider = self.sender.provider();
        let receipts: Vec<Option<ReceiptSummary>> = stream::iter(&mined)
            .map(|(_, hash, _, _)| async move {
                let r = provider.get_transaction_receipt(*hash).await;
                r.map(|r| r.as_ref().map(ReceiptSummary::from)).map_err(molt_chain::Error::from)
            })
            .buffered(16)
            .try_collect()
            .await?;
        let mut changed = false;
        for ((step, hash, block, success), receipt) in mined.into_iter().zip(receipts) {
            match receipt {
                None => {
                    self.obs.on(&Event::Phase {
                        phase: "reconcile",
                        message: format!(
                            "{step}: transaction {hash} is no longer in block {block} (reorganization); reconciling it"
                        ),
                    });
                    self.journal.append(Entry::TxReorged { step, hash, block })?;
                    changed = true;
                }
                Some(r) if r.block_number != block || r.success != success => {
                    changed |= r.success != success;
                    self.record_mined(&step, &r)?;
                }
                Some(_) => {}
            }
        }
        Ok(changed)
    }

    /// Waits until the newest mined transaction is `confirmations` deep, then rechecks every
    /// mined transaction and reconciles what a reorganization took back. Returns whether anything
    /// changed (the caller redoes its step, then settles again).
    async fn settle(&mut self) -> Result<bool> {
        let confirmations = self.manifest.network.confirmations;
        if confirmations <= 1 {
            // Nothing to wait for; a reorganization is caught on the next run.
            return Ok(false);
        }
        let newest = self.journal.mined().iter().map(|(_, m)| m.block).max();
        let Some(newest) = newest else { return Ok(false) };
        let target = newest + confirmations - 1;
        let provider = self.sender.provider();
        let mut head = provider.get_block_number().await.map_err(molt_chain::Error::from)?;
        if head < target {
            self.obs.on(&Event::Phase {
                phase: "confirm",
                message: format!(
                    "waiting for {confirmations} confirmations (block {target}, head {head})"
                ),
            });
        }
        let start = Instant::now();
        let limit = self.opts.receipt_timeout * u32::try_from(confirmations).unwrap_or(u32::MAX);
        while head < target {
            if start.elapsed() > limit {
                return Err(Error::ConfirmationTimeout {
                    block: newest,
                    confirmations,
                    head,
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(CONFIRMATION_POLL).await;
            head = provider.get_block_number().await.map_err(molt_chain::Error::from)?;
        }
        if !self.recheck_mined().await? {
            return Ok(false);
        }
        self.reconcile().await?;
        Ok(true)
    }

    fn record_mined(&mut self, step: &str, r: &ReceiptSummary) -> Result<()> {
        self.journal.append(Entry::TxMined {
            step: step.into(),
            hash: r.hash,
            block: r.block_number,
            gas_used: r.gas_used,
            success: r.success,
        })?;
        self.crash_point("mined");
        Ok(())
    }

    /// A fault-injection point of the real run (see [`crash_point`]).
    fn crash_point(&self, point: &str) {
        if !self.opts.rehearsal {
            crash_point(point);
        }
    }

    pub(crate) fn done(&self, step: &str) -> bool {
        self.journal.is_done(step)
    }

    /// Estimates, signs, journals, then broadcasts one transaction.
    async fn send(
        &mut self,
        step: &str,
        to: Address,
        data: Bytes,
        range: Option<(u64, u64)>,
    ) -> Result<SignedTx> {
        let gas = self
            .sender
            .estimate(to, data.clone(), U256::ZERO)
            .await
            .map_err(|e| estimate_error(step, e))?;
        let cap = self.block_gas_cap().await?;
        let gas_limit = ((gas as f64 * self.manifest.batch.gas_margin) as u64).min(cap).max(gas);
        self.send_with_limit(step, to, data, gas_limit, range).await
    }

    async fn send_with_limit(
        &mut self,
        step: &str,
        to: Address,
        data: Bytes,
        gas_limit: u64,
        range: Option<(u64, u64)>,
    ) -> Result<SignedTx> {
        self.check_nonce(step).await?;
        let fees = self.sender.fees().await?;
        let req = TxRequest {
            to: to.into(),
            data,
            value: U256::ZERO,
            nonce: self.nonce,
            gas_limit,
            fees,
        };
        let prepared = |tx: &SignedTx| Entry::TxPrepared {
            step: step.into(),
            hash: tx.hash,
            nonce: tx.nonce,
            raw: tx.raw.clone(),
            start: range.map(|r| r.0),
            end: range.map(|r| r.1),
        };
        if self.sender.is_keyless() {
            // A keyless rehearsal on a fork that impersonates the sender: the fork names the
            // hash, so the transaction is journaled once sent (the fork's journal is never
            // resumed: it dies with the fork).
            let tx = self.sender.send_impersonated(req).await?;
            self.journal.append(prepared(&tx))?;
            self.nonce += 1;
            self.txs += 1;
            return Ok(tx);
        }
        let tx = self.sender.sign(req)?;
        self.journal.append(prepared(&tx))?;
        self.crash_point("prepared");
        if let Err(e) = self.sender.broadcast(&tx).await {
            return Err(self.nonce_race(step, e).await);
        }
        self.crash_point("sent");
        self.nonce += 1;
        self.txs += 1;
        Ok(tx)
    }

    /// Stops the run when the account's nonce moved under it: a node that counts more
    /// transactions than the run sent means another sender uses the key, and every transaction
    /// signed now would race it.
    async fn check_nonce(&self, step: &str) -> Result<()> {
        let node = self.sender.next_nonce().await?;
        if node > self.nonce {
            return Err(Error::NonceRace {
                account: self.sender.address(),
                step: step.into(),
                expected: self.nonce,
                node,
                detail: String::new(),
            });
        }
        Ok(())
    }

    /// A broadcast that failed because another transaction took (or holds) its nonce is a
    /// nonce race; any other failure is returned as it is. The transaction stays journaled as
    /// prepared: the next run reconciles it by hash (abandons it when its nonce was taken).
    async fn nonce_race(&self, step: &str, e: molt_chain::tx::BroadcastError) -> Error {
        use molt_chain::tx::BroadcastError as B;
        let (expected, detail) = match &e {
            B::NonceConsumed { nonce, .. } => {
                (*nonce, format!("another transaction was mined with nonce {nonce}"))
            }
            B::Rejected { nonce, message, .. }
                if ["nonce too low", "already known", "replacement transaction underpriced"]
                    .iter()
                    .any(|m| message.to_ascii_lowercase().contains(m)) =>
            {
                (*nonce, format!("the node refused the transaction: {message}"))
            }
            _ => return e.into(),
        };
        let node = match self.sender.next_nonce().await {
            Ok(n) => n,
            Err(_) => return e.into(),
        };
        Error::NonceRace {
            account: self.sender.address(),
            step: step.into(),
            expected,
            node,
            detail: format!(" ({detail})"),
        }
    }

    /// Waits for a transaction, journals its receipt and fails if it reverted.
    async fn confirm(
        &mut self,
        step: &str,
        tx: &SignedTx,
        to: Address,
        data: &Bytes,
    ) -> Result<ReceiptSummary> {
        let r = self.sender.wait_or_rebroadcast(tx, self.opts.receipt_timeout).await?;
        self.record_mined(step, &r)?;
        self.gas_used += r.gas_used;
        if !r.success {
            // The node's trace says why; without one, replay the call now (the state may have
            // moved on since: say so).
            let reason = match self.sender.mined_revert(tx.hash).await {
                Some(revert) => revert.to_string(),
                None => match self.sender.estimate(to, data.clone(), U256::ZERO).await {
                    Err(EstimateError::Reverted { revert }) => {
                        format!("{revert} (when simulated again now; the node does not trace)")
                    }
                    _ => "it no longer reverts when simulated now, and the node does not trace; check the transaction in a block explorer".into(),
                },
            };
            return Err(Error::TxReverted { step: step.into(), hash: tx.hash, reason });
        }
        Ok(r)
    }

    pub(crate) async fn call_step(&mut self, step: &str, to: Address, data: Bytes) -> Result<()> {
        if self.done(step) {
            return Ok(());
        }
        let tx = self.send(step, to, data.clone(), None).await?;
        self.confirm(step, &tx, to, &data).await?;
        Ok(())
    }

    async fn block_gas_cap(&self) -> Result<u64> {
        let block = self
            .sender
            .provider()
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(molt_chain::Error::from)?
            .ok_or_else(|| Error::Inconsistent("the node returned no latest block".into()))?;
        Ok(self.manifest.batch.gas_limit_cap(block.header.gas_limit))
    }

    async fn pause(&mut self) -> Result<()> {
        for p in &self.manifest.pause {
            let address = self.manifest.contract(&p.contract).address;
            if is_true(&view(self.sender.provider(), address, &p.paused, &[], None).await?) {
                continue;
            }
            if self.safe_mode {
                return Err(self.open_missing(format!("{} is not paused", p.contract)));
            }
            self.obs
                .on(&Event::Phase { phase: "pause", message: format!("pausing {}", p.contract) });
            let data = p.call.abi_encode_input(&[]).expect("no arguments").into();
            self.call_step(&Step::Pause(p.contract.clone()).to_string(), address, data).await?;
            if !is_true(&view(self.sender.provider(), address, &p.paused, &[], None).await?) {
                return Err(Error::Inconsistent(format!(
                    "{} ({address}) still reports not paused after `{}`",
                    p.contract,
                    p.call.signature()
                )));
            }
        }
        Ok(())
    }

    /// Takes the snapshot once; a resumed run reads it back from the backup it wrote.
    async fn snapshot(&mut self) -> Result<(Snapshot, PathBuf)> {
        if let Some(recorded) = self.journal.snapshot() {
            let backup = recorded.backup.to_path_buf();
            let snap = Snapshot::read_backup(self.manifest, &backup)?;
            for (name, c) in recorded.components {
                if snap.components.get(name).map(|s| s.source_hash) != Some(c.source_hash) {
                    return Err(Error::Backup {
                        path: backup,
                        reason: format!(
                            "component `{name}` no longer has the state hash recorded in the journal"
                        ),
                    });
                }
            }
            return Ok((snap, backup));
        }
        let snap = match &self.opts.snapshot {
            Some(snap) => snap.clone(),
            None => self.take_snapshot().await?,
        };
        let block = snap.block;
        let backup = snap.write_backup(self.manifest, &self.opts.backup_dir)?;
        self.crash_point("backup");
        self.journal.append(Entry::Snapshot {
            block,
            backup: backup.clone(),
            components: snap
                .components
                .iter()
                .map(|(n, c)| {
                    (
                        n.clone(),
                        SnapshotComponent {
                            count: c.records.len() as u64,
                            source_hash: c.source_hash,
                        },
                    )
                })
                .collect(),
        })?;
        Ok((snap, backup))
    }

    /// Reads every source record at the current block.
    async fn take_snapshot(&self) -> Result<Snapshot> {
        let block =
            self.sender.provider().get_block_number().await.map_err(molt_chain::Error::from)?;
        self.obs.on(&Event::Phase {
            phase: "snapshot",
            message: format!("reading every source record at block {block}"),
        });
        Snapshot::take(self.sender.provider(), self.manifest, self.sender.chain_id(), block).await
    }

    async fn move_funds(&mut self, snap: &Snapshot) -> Result<()> {
        for f in &self.manifest.funds {
            for (token, amount) in owed(self.manifest, f, snap) {
                if amount.is_zero() {
                    continue;
                }
                let step =
                    Step::Funds { name: f.name.clone(), token: token.to_string() }.to_string();
                if self.done(&step) || self.already_moved(f, token, amount).await? {
                    continue;
                }
                if self.safe_mode {
                    let what = format!(
                        "funds `{}` ({}) are not moved",
                        f.name,
                        crate::funds::amount_of(token, amount)
                    );
                    return Err(self.open_missing(what));
                }
                self.obs.on(&Event::Phase {
                    phase: "funds",
                    message: format!(
                        "moving {} from {} to {}",
                        crate::funds::amount_of(token, amount),
                        f.from,
                        f.to
                    ),
                });
                let args = resolve_args(
                    self.manifest,
                    &f.call.args,
                    Some((self.manifest.contract(&f.to).address, token, amount)),
                );
                let data = f
                    .call
                    .function
                    .abi_encode_input(&args)
                    .map_err(|e| Error::Inconsistent(e.to_string()))?
                    .into();
                self.call_step(&step, self.manifest.contract(&f.from).address, data).await?;
            }
        }
        Ok(())
    }

    /// Whether a funds move's effect is already on the chain (an earlier run whose journal is
    /// gone, or another journal): the receiving contract holds what is owed and the sending one
    /// no longer does. Such a move is not sent again (it would revert, or move other funds).
    async fn already_moved(&self, f: &Funds, token: Address, amount: U256) -> Result<bool> {
        let provider = self.sender.provider();
        let (from, to) = (self.manifest.contract(&f.from), self.manifest.contract(&f.to));
        let held_by_to = crate::funds::holding(provider, token, to.address).await?;
        let held_by_from = crate::funds::holding(provider, token, from.address).await?;
        let moved = held_by_to >= amount && held_by_from < amount;
        if moved {
            self.obs.on(&Event::Phase {
                phase: "funds",
                message: format!(
                    "funds `{}`: {} already holds {} and {} does not: moved before, not sent again",
                    f.name,
                    f.to,
                    crate::funds::amount_of(token, amount),
                    f.from
                ),
            });
        }
        Ok(moved)
    }

    /// A component without records may only be finalized with `--allow-empty`.
    fn check_empty(&self, snap: &Snapshot) -> Result<()> {
        if let Some(c) = self.manifest.components.iter().find(|c| {
            snap.components[&c.name].records.is_empty() && !self.opts.allow_empty.contains(&c.name)
        }) {
            return Err(Error::EmptyComponent { component: c.name.clone() });
        }
        Ok(())
    }

    /// With a Safe owner, owner phase `phase`: `None` once the Safe executed it (journaled then);
    /// otherwise it is exported (once) and the run waits for it: polls with `--wait`, stops
    /// with what to sign without.
    async fn owner_phase(&mut self, phase: PhaseName) -> Result<Option<crate::owner::Waiting>> {
        use crate::owner;
        if !self.safe_mode || owner::executed(self.journal.entries(), phase) {
            return Ok(None);
        }
        if self.opts.rehearsal {
            self.rehearse_owner_phase(phase).await?;
            return Ok(None);
        }
        let provider = self.sender.provider();
        let w = match owner::waiting(self.journal.entries(), phase) {
            Some(w) => w,
            None => {
                let w = owner::export_phase(provider, self.manifest, phase, &self.opts.backup_dir)
                    .await?;
                self.journal.append(w.entry())?;
                w
            }
        };
        self.obs.on(&Event::Phase { phase: "safe", message: w.summary() });
        let start = Instant::now();
        loop {
            if let Some(block) = owner::check_executed(provider, self.manifest, &w).await? {
                let safe_tx_hash = w.safe_tx_hash;
                self.journal.append(Entry::OwnerPhaseExecuted { phase, safe_tx_hash, block })?;
                self.obs.on(&Event::Phase {
                    phase: "safe",
                    message: format!(
                        "the Safe executed phase {phase} (safeTxHash {safe_tx_hash}) in block {block}"
                    ),
                });
                return Ok(None);
            }
            match self.opts.wait {
                Some(limit) if start.elapsed() < limit => tokio::time::sleep(SAFE_POLL).await,
                Some(limit) => {
                    return Err(crate::governance::GovernanceError::WaitTimeout {
                        phase: phase.as_str(),
                        safe: w.safe,
                        nonce: w.nonce,
                        safe_tx_hash: w.safe_tx_hash,
                        waited_s: limit.as_secs(),
                    }
                    .into());
                }
                None => return Ok(Some(w)),
            }
        }
    }

    /// On a fork: owner phase `phase` executed through the real Safe (journaled as executed):
    /// as exported when the real journal exported it, else built as `molt safe export` would.
    async fn rehearse_owner_phase(&mut self, phase: PhaseName) -> Result<()> {
        use crate::owner;
        let provider = self.sender.provider();
        let me = self.sender.address();
        let (safe_tx_hash, message) = match self
            .opts
            .exported_phases
            .iter()
            .find(|w| w.phase == phase)
        {
            Some(w) => {
                let message = match owner::rehearse_exported(provider, self.manifest, w, me).await?
                {
                    Some((executor, gas)) => format!(
                        "phase {phase} as exported ({}) executed through the Safe {} on the fork (threshold 1 there, owner {executor} impersonated): {gas} gas",
                        w.batch.display(),
                        w.safe
                    ),
                    None => format!("phase {phase}: the Safe executed it already"),
                };
                (w.safe_tx_hash, message)
            }
            None => {
                let Some(r) = owner::rehearse_phase(provider, self.manifest, phase, me).await?
                else {
                    return Ok(());
                };
                let message = format!(
                    "phase {phase} executed through the Safe {} on the fork (threshold 1 there, owner {} impersonated): {} calls, {} gas",
                    r.safe,
                    r.executor,
                    r.phase.calls.len(),
                    r.gas_used
                );
                let hash = r.phase.hashes.safe_tx_hash;
                self.rehearsed.push(r);
                (hash, message)
            }
        };
        let block = provider.get_block_number().await.map_err(molt_chain::Error::from)?;
        self.journal.append(Entry::OwnerPhaseExecuted { phase, safe_tx_hash, block })?;
        self.obs.on(&Event::Phase { phase: "safe", message });
        // The executing owner may be this sender (when no other owner exists).
        self.nonce = self.sender.next_nonce().await?;
        Ok(())
    }

    /// The Safe's `open` did not leave `what` on chain: the migrator cannot make up for it.
    fn open_missing(&self, what: String) -> Error {
        let safe_tx_hash = crate::owner::waiting(self.journal.entries(), PhaseName::Open)
            .map(|w| w.safe_tx_hash)
            .or_else(|| {
                self.journal.entries().iter().find_map(|e| match e {
                    Entry::OwnerPhaseExecuted { phase: PhaseName::Open, safe_tx_hash, .. } => {
                        Some(*safe_tx_hash)
                    }
                    _ => None,
                })
            })
            .unwrap_or_default();
        crate::governance::GovernanceError::EffectsMissing { phase: "open", safe_tx_hash, what }
            .into()
    }

    /// Ends the migration phase; a component without records needs `--allow-empty`.
    async fn finalize(&mut self, snap: &Snapshot) -> Result<()> {
        self.check_empty(snap)?;
        self.obs
            .on(&Event::Phase { phase: "finalize", message: "ending the migration phase".into() });
        for (i, call) in self.manifest.finalize.iter().enumerate() {
            let args = resolve_args(self.manifest, &call.args, None);
            let data = call
                .function
                .abi_encode_input(&args)
                .map_err(|e| Error::Inconsistent(e.to_string()))?
                .into();
            self.call_step(
                &Step::Finalize(i).to_string(),
                self.manifest.contract(&call.contract).address,
                data,
            )
            .await?;
        }
        if !self.journal.is_finalized() {
            self.journal.append(Entry::Finalized)?;
        }
        Ok(())
    }

    async fn migrate_components(&mut self, snap: &Snapshot) -> Result<Vec<ComponentReport>> {
        let mut reports = Vec::new();
        for c in &self.manifest.components {
            reports.push(self.migrate_component(c, snap).await?);
        }
        Ok(reports)
    }

    /// Record positions (in the component's snapshot) already imported, per component, in the
    /// order they were imported (by nonce).
    fn import_order(&self) -> BTreeMap<String, Vec<u64>> {
        journal::import_order(self.journal.entries())
    }

    /// Imports the component's records that are not in the target yet, in gas-sized batches,
    /// up to `max_in_flight` at once.
    async fn migrate_component(
        &mut self,
        c: &Component,
        snap: &Snapshot,
    ) -> Result<ComponentReport> {
        let cs = &snap.components[&c.name];
        let (todo, skipped) = self.pending_positions(c, cs).await?;
        self.obs.on(&Event::ComponentStarted {
            component: c.name.clone(),
            records: cs.records.len() as u64,
            done: (cs.records.len() - todo.len()) as u64,
        });
        let target = self.manifest.contract(&c.target.contract).address;
        let cap = self.block_gas_cap().await?;
        let budget = (cap as f64 / self.manifest.batch.gas_margin) as u64;
        let mut model: Option<GasModel> = None;
        let mut in_flight: VecDeque<InFlight> = VecDeque::new();
        let mut next = 0;
        while next < todo.len() {
            // Batches are runs of consecutive positions, so a range identifies one.
            let run = consecutive_run(&todo[next..]);
            let records: Vec<&DynSolValue> = run.iter().map(|&i| &cs.records[i].target).collect();
            if model.is_none() {
                model = Some(GasModel::fit(self.sender, c, target, &records).await?);
            }
            let model = model.as_ref().expect("fitted");
            let batch = self.size_batch(c, cs, run[0], &records, model, budget).await?;
            next += batch.records;
            in_flight.push_back(self.send_batch(c, target, run[0], batch, cap).await?);
            if self.opts.scope == Scope::FirstBatches {
                break;
            }
            while in_flight.len() >= self.manifest.batch.max_in_flight {
                self.land(c, &mut in_flight, target).await?;
            }
        }
        while !in_flight.is_empty() {
            self.land(c, &mut in_flight, target).await?;
        }
        self.obs.on(&Event::ComponentFinished { component: c.name.clone() });
        Ok(self.component_report(c, cs, skipped))
    }

    /// The positions of the component's records still to import, in order, and how many of
    /// the others were found in the target without the journal knowing them.
    async fn pending_positions(
        &mut self,
        c: &Component,
        cs: &crate::component_snapshot::ComponentSnapshot,
    ) -> Result<(Vec<usize>, u64)> {
        let order = self.import_order();
        let known = order.get(&c.name).map_or(&[][..], Vec::as_slice);
        // Positions outside the snapshot, or twice, are refused rather than indexed.
        let full = verify::full_order(&c.name, known, cs.records.len())?;
        let mut done = vec![false; cs.records.len()];
        for &i in &full[..known.len()] {
            done[i] = true;
        }
        let skipped = self.skip_existing(c, cs, &mut done).await?;
        Ok(((0..cs.records.len()).filter(|&i| !done[i]).collect(), skipped))
    }

    /// How many of `records` (from snapshot position `start` on) one batch takes: the gas
    /// model's guess, shrunk until the node's estimate fits `budget`.
    async fn size_batch(
        &self,
        c: &Component,
        cs: &crate::component_snapshot::ComponentSnapshot,
        start: usize,
        records: &[&DynSolValue],
        model: &GasModel,
        budget: u64,
    ) -> Result<Batch> {
        let target = self.manifest.contract(&c.target.contract).address;
        let mut n = model.pack(records, budget, self.manifest.batch.max_records);
        loop {
            let data = import_call(c, &records[..n]);
            let gas =
                self.sender.estimate(target, data.clone(), U256::ZERO).await.map_err(|e| {
                    let what = format!("batch of `{}` records {start}..{}", c.name, start + n);
                    estimate_error(&what, e)
                })?;
            if gas <= budget {
                return Ok(Batch { data, gas, records: n });
            }
            if n == 1 {
                return Err(Error::RecordTooLarge {
                    component: c.name.clone(),
                    index: cs.records[start].index,
                    gas,
                    budget,
                });
            }
            n = ((n as u128 * u128::from(budget) * 95 / 100 / u128::from(gas)) as usize)
                .clamp(1, n - 1);
        }
    }

    /// Journals and broadcasts a batch starting at snapshot position `start`.
    async fn send_batch(
        &mut self,
        c: &Component,
        target: Address,
        start: usize,
        batch: Batch,
        cap: u64,
    ) -> Result<InFlight> {
        let (start, end) = (start as u64, (start + batch.records) as u64);
        let step = Step::Batch { component: c.name.clone(), start, end }.to_string();
        let gas_limit =
            ((batch.gas as f64 * self.manifest.batch.gas_margin) as u64).min(cap).max(batch.gas);
        let tx = self
            .send_with_limit(&step, target, batch.data.clone(), gas_limit, Some((start, end)))
            .await?;
        self.obs.on(&Event::BatchSent {
            component: c.name.clone(),
            records: batch.records as u64,
            hash: tx.hash,
            nonce: tx.nonce,
            gas_limit,
        });
        Ok(InFlight { step, tx, data: batch.data, records: batch.records as u64 })
    }

    /// The component's line in the report, from the journal's mined batches.
    fn component_report(
        &self,
        c: &Component,
        cs: &crate::component_snapshot::ComponentSnapshot,
        skipped: u64,
    ) -> ComponentReport {
        let (batches, gas_used) = self
            .journal
            .mined()
            .iter()
            .filter(|(s, m)| m.success && Step::batch_component(s).as_deref() == Some(&c.name))
            .fold((0, 0), |(n, g), (_, m)| (n + 1, g + m.gas_used));
        let total = cs.records.len() as u64;
        ComponentReport {
            name: c.name.clone(),
            source_count: total,
            migrated: total - skipped,
            skipped,
            read: cs.total,
            filtered: cs.skipped(),
            keys_from: cs.keys_from.clone(),
            batches,
            gas_used,
            source_hash: cs.source_hash,
            target_hash: B256::ZERO,
            onchain_digest: None,
            verified: false,
        }
    }

    /// Waits for the oldest batch in flight; a revert stops the run after the others landed.
    async fn land(
        &mut self,
        c: &Component,
        in_flight: &mut VecDeque<InFlight>,
        target: Address,
    ) -> Result<()> {
        let b = in_flight.pop_front().expect("non-empty");
        match self.confirm(&b.step, &b.tx, target, &b.data).await {
            Ok(r) => {
                self.obs.on(&Event::BatchMined {
                    component: c.name.clone(),
                    records: b.records,
                    gas_used: r.gas_used,
                });
                Ok(())
            }
            Err(e) => {
                while let Some(other) = in_flight.pop_front() {
                    let _ = self.confirm(&other.step, &other.tx, target, &other.data).await;
                }
                Err(e)
            }
        }
    }

    /// When the target holds more records than the journal accounts for (a journal lost, a
    /// torn last line, or records imported by hand), finds them by reading back, marks them done
    /// and journals them as adopted: they take their place in the import order here.
    async fn skip_existing(
        &mut self,
        c: &Component,
        cs: &crate::component_snapshot::ComponentSnapshot,
        done: &mut [bool],
    ) -> Result<u64> {
        let group = self.manifest.digest_group(c);
        let Some(count_fn) = &group.leader.verify.count else { return Ok(0) };
        let target = self.manifest.contract(&c.target.contract).address;
        let onchain = view_u64(self.sender.provider(), target, count_fn, None).await?;
        let order = self.import_order();
        let known: u64 =
            group.members.iter().map(|x| order.get(&x.name).map_or(0, |v| v.len() as u64)).sum();
        if onchain <= known {
            return Ok(0);
        }
        let pending: Vec<usize> = (0..cs.records.len()).filter(|&i| !done[i]).collect();
        let reader = reader(self.sender.provider(), None).await?;
        let mut adopted = Vec::new();
        for slice in pending.chunks(READ_SLICE) {
            let args: Vec<Vec<DynSolValue>> =
                slice.iter().map(|&i| record::verify_args(c, &cs.records[i].target)).collect();
            let outs = views(&reader, target, &c.verify.get, &args, None).await?;
            for ((&i, args), out) in slice.iter().zip(&args).zip(outs) {
                // A getter that reverts or returns another record: not imported.
                if let Ok(out) = out
                    && record::readback_record(c, args, out).ok().as_ref()
                        == Some(&cs.records[i].target)
                {
                    done[i] = true;
                    adopted.push(i as u64);
                }
            }
        }
        if !adopted.is_empty() {
            let ranges = journal::ranges_of(&adopted);
            self.journal.append(Entry::Adopted { component: c.name.clone(), ranges })?;
        }
        Ok(adopted.len() as u64)
    }
}

/// A batch transaction sent and not yet mined.
#[derive(Debug)]
struct InFlight {
    /// Its journal step.
    step: String,
    /// The signed transaction.
    tx: SignedTx,
    /// Its calldata (to explain a revert).
    data: Bytes,
    /// Records in it.
    records: u64,
}

/// A batch sized to the budget, not yet sent.
#[derive(Debug)]
struct Batch {
    /// `import([records])` calldata.
    data: Bytes,
    /// The node's gas estimate.
    gas: u64,
    /// Records in it.
    records: usize,
}

/// The leading run of consecutive positions of `todo` (never empty when `todo` is not).
fn consecutive_run(todo: &[usize]) -> &[usize] {
    let len = todo.iter().enumerate().take_while(|(k, p)| **p == todo[0] + k).count();
    &todo[..len.max(1)]
}

/// `import([records])` calldata.
fn import_call(c: &Component, records: &[&DynSolValue]) -> Bytes {
    let arr = DynSolValue::Array(records.iter().map(|r| (*r).clone()).collect());
    c.target.import.abi_encode_input(&[arr]).expect("records were type-checked at load").into()
}

/// Gas of an import as `base + per_word * words`, words being the records' ABI-encoded size.
#[derive(Debug, Clone, Copy)]
struct GasModel {
    base: f64,
    per_word: f64,
}

fn words(r: &DynSolValue) -> f64 {
    (r.abi_encode().len() / 32) as f64
}

impl GasModel {
    /// Fits the model from two estimates: the first record alone, and the first few together.
    async fn fit(
        sender: &Sender,
        c: &Component,
        target: Address,
        records: &[&DynSolValue],
    ) -> Result<Self> {
        let est = |rs: &[&DynSolValue]| {
            let data = import_call(c, rs);
            let (a, b) = (0, rs.len());
            async move {
                sender.estimate(target, data, U256::ZERO).await.map_err(|e| {
                    estimate_error(&format!("sizing batches of `{}` (records {a}..{b})", c.name), e)
                })
            }
        };
        let one = est(&records[..1]).await? as f64;
        let k = records.len().min(8);
        if k < 2 {
            return Ok(Self {
                base: 21_000.0,
                per_word: (one - 21_000.0).max(1.0) / words(records[0]),
            });
        }
        let many = est(&records[..k]).await? as f64;
        let (w1, wk) = (words(records[0]), records[..k].iter().map(|r| words(r)).sum::<f64>());
        let per_word = ((many - one) / (wk - w1).max(1.0)).max(1.0);
        Ok(Self { base: (one - per_word * w1).max(0.0), per_word })
    }

    /// How many of `records` fit `budget` (with 3% slack for the model's error).
    fn pack(&self, records: &[&DynSolValue], budget: u64, max: usize) -> usize {
        let limit = budget as f64 * 0.97;
        let mut gas = self.base;
        let mut n = 0;
        for r in records.iter().take(max) {
            gas += self.per_word * words(r);
            if gas > limit && n > 0 {
                break;
            }
            n += 1;
        }
        n.max(1)
    }
}

pub(crate) fn resolve_args(
    manifest: &Manifest,
    args: &[Arg],
    funds: Option<(Address, Address, U256)>,
) -> Vec<DynSolValue> {
    args.iter()
        .map(|a| match (a, funds) {
            (Arg::Value(v), _) => v.clone(),
            (Arg::ContractAddress(n), _) => DynSolValue::Address(manifest.contract(n).address),
            (Arg::To, Some((to, _, _))) => DynSolValue::Address(to),
            (Arg::Token, Some((_, token, _))) => DynSolValue::Address(token),
            (Arg::Amount, Some((_, _, amount))) => DynSolValue::Uint(amount, 256),
            (_, None) => unreachable!("placeholders are only accepted in [[funds]] calls"),
        })
        .collect()
}

/// Fault injection for the kill-and-resume tests: with `MOLT_TEST_CRASH_AT=<point>:<n>` the
/// process aborts (no destructors, no flushing: like `kill -9`) the `n`-th time it passes
/// `point`: `prepared` (journaled, not yet broadcast), `sent` (broadcast, receipt not yet
/// journaled), `mined` (receipt journaled), `backup` (backup written, snapshot not journaled).
///
/// With `MOLT_TEST_PAUSE_AT=<point>:<n>` and `MOLT_TEST_PAUSE_FILE=<path>` the run instead
/// creates that file the `n`-th time and waits until the test removes it (two minutes at most):
/// the test acts on the chain or the journal at a known point of the run.
fn crash_point(point: &str) {
    static CRASH: TestPoint = TestPoint::new("MOLT_TEST_CRASH_AT");
    static PAUSE: TestPoint = TestPoint::new("MOLT_TEST_PAUSE_AT");
    if let Some(n) = CRASH.hit(point) {
        eprintln!("molt: MOLT_TEST_CRASH_AT={point}:{n}: aborting here");
        std::process::abort();
    }
    if let Some(n) = PAUSE.hit(point)
        && let Some(file) = std::env::var_os("MOLT_TEST_PAUSE_FILE")
    {
        eprintln!("molt: MOLT_TEST_PAUSE_AT={point}:{n}: pausing until {file:?} is removed");
        let file = PathBuf::from(file);
        if std::fs::write(&file, b"paused\n").is_ok() {
            let start = Instant::now();
            while file.exists() && start.elapsed() < Duration::from_secs(120) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// A test point named by an environment variable `<point>:<n>`: hit the `n`-th time `point`
/// is passed.
struct TestPoint {
    var: &'static str,
    spec: std::sync::OnceLock<Option<(String, u64)>>,
    passed: std::sync::atomic::AtomicU64,
}

impl TestPoint {
    const fn new(var: &'static str) -> Self {
        Self { var, spec: std::sync::OnceLock::new(), passed: std::sync::atomic::AtomicU64::new(0) }
    }

    fn hit(&self, point: &str) -> Option<u64> {
        let spec = self.spec.get_or_init(|| {
            let v = std::env::var(self.var).ok()?;
            let (p, n) = v.split_once(':')?;
            Some((p.to_owned(), n.parse().ok()?))
        });
        let (p, n) = spec.as_ref()?;
        let passed =
            self.passed.fetch_add(u64::from(p == point), std::sync::atomic::Ordering::SeqCst);
        (p == point && passed + 1 == *n).then_some(*n)
    }
}

fn estimate_error(what: &str, e: EstimateError) -> Error {
    match e {
        EstimateError::Reverted { revert } => {
            Error::WouldRevert { what: what.into(), reason: revert.to_string() }
        }
        EstimateError::Rpc(e) => Error::Chain(molt_chain::Error::from(e)),
    }
}
