//! Rehearsals on a local anvil fork of the node: nothing reaches the node.
//!
//! - [`preflight`]: what `molt migrate` does before its first transaction (passed to the run as
//!   [`preflight_at`]). The pauses, the funds
//!   moves, the first batch of every component and the finalize run on a fork of the node's
//!   latest block; a step that would revert stops the run with nothing sent.
//! - [`rehearse`]: the whole run on a fork, for `molt plan`.
//!
//! The fork runs with its own chain id ([`fork_chain_id`]), so the transactions the real signer
//! signs there are not valid on the real chain (EIP-155): a rehearsal's signed bytes can never
//! be replayed on the node.

use std::time::{Duration, Instant};

use alloy::providers::Provider;
use futures::future::LocalBoxFuture;
use molt_chain::{Devnet, Sender};

use crate::{
    Error, Result,
    events::{Observer, Silent},
    journal::{self, Entry, Journal},
    manifest::Manifest,
    run::{self, Report, RunOptions, Scope},
    snapshot::Snapshot,
};

/// The chain id a fork of chain `real` runs with: never the real one.
pub fn fork_chain_id(real: u64) -> u64 {
    const MOLT: u64 = 0x6d6f_6c74; // "molt"
    if real == MOLT { MOLT + 1 } else { MOLT }
}

/// A local anvil fork of the node with the real signer on it (or, for a keyless sender, the
/// account impersonated).
#[derive(Debug)]
pub struct Fork {
    /// The anvil process (dropping the fork stops it).
    _devnet: Devnet,
    /// The real signer on the fork's chain id.
    pub sender: Sender,
    /// The manifest as the fork sees it: its chain id, and one confirmation (a fork mines only
    /// what it is sent: waiting for more blocks would wait forever).
    pub manifest: Manifest,
    /// The block the fork was taken at.
    pub block: u64,
}

/// Forks the node at `url` at its latest block.
pub async fn fork(manifest: &Manifest, real: &Sender, url: &str) -> Result<Fork> {
    // The fork runs under its own chain id: the manifest's is checked against the node here.
    if real.chain_id() != manifest.network.chain_id {
        return Err(Error::ChainMismatch {
            expected: manifest.network.chain_id,
            got: real.chain_id(),
        });
    }
    let block = real.provider().get_block_number().await.map_err(molt_chain::Error::from)?;
    let chain_id = fork_chain_id(real.chain_id());
    // Through a loopback forwarder when the URL carries credentials: anvil's command line is
    // visible to every local user.
    let devnet = Devnet::fork(url, Some(block))
        .chain_id(chain_id)
        .spawn()
        .await
        .map_err(|source| Error::NoFork { source })?;
    let sender = real.on_chain(devnet.provider().clone(), chain_id);
    if sender.is_keyless() {
        // `molt plan --sender`: the fork sends as the account without its key.
        impersonate(&devnet, sender.address()).await?;
    }
    let mut manifest = manifest.clone();
    manifest.network.chain_id = chain_id;
    manifest.network.confirmations = 1;
    Ok(Fork { _devnet: devnet, sender, manifest, block })
}

/// Lets the fork send as `account` without its key (`anvil_impersonateAccount`).
pub(crate) async fn impersonate(
    devnet: &Devnet,
    account: alloy::primitives::Address,
) -> Result<()> {
    devnet.anvil_call("anvil_impersonateAccount", (account,)).await.map_err(Error::from)
}

/// What a preflight rehearsed: every transaction, with its gas, all of which succeeded.
#[derive(Debug, Clone)]
pub struct Preflight {
    /// The block the fork was taken at.
    pub block: u64,
    /// Every transaction of the rehearsal (journal step, gas used).
    pub txs: Vec<(String, u64)>,
}

impl Preflight {
    /// One line for people.
    pub fn summary(&self) -> String {
        format!(
            "rehearsed on a fork of block {}: {} transactions (pauses, funds, the first batch of every component, finalize) would all succeed",
            self.block,
            self.txs.len()
        )
    }
}

/// Simulates on a fork what the run at `opts` would send: pauses, funds, the first batch of
/// every component and (when the run finalizes) the finalize. The records are the ones the
/// run's journal already snapshotted, or read from the real node at the fork's block.
pub async fn preflight(
    manifest: &Manifest,
    real: &Sender,
    url: &str,
    opts: &RunOptions,
) -> Result<Preflight> {
    let fork = fork(manifest, real, url).await?;
    let exported_phases = match opts.journal.exists() {
        true => crate::owner::exports(&Journal::read(&opts.journal)?),
        false => Vec::new(),
    };
    let snapshot = match journaled_backup(&opts.journal)? {
        Some(path) => Snapshot::read_backup(manifest, &path)?,
        None => Snapshot::take(real.provider(), manifest, real.chain_id(), fork.block).await?,
    };
    let opts = RunOptions {
        // What the real journal already imported is on the fork too: recognised, not refused.
        adopt_existing: true,
        scope: Scope::FirstBatches,
        snapshot: Some(snapshot),
        exported_phases,
        ..opts.clone()
    };
    let (_, txs) = fork.run(&opts, &Silent).await?;
    Ok(Preflight { block: fork.block, txs })
}

/// The preflight of a run ([`RunOptions::preflight`]) on a fork of the node at `url`: the
/// rehearsal is [`preflight`].
pub fn preflight_at(url: impl Into<String>) -> run::Preflight {
    run::Preflight { url: url.into(), rehearse: preflight_summary }
}

/// [`preflight`], summed up in one line.
fn preflight_summary<'a>(
    manifest: &'a Manifest,
    real: &'a Sender,
    url: &'a str,
    opts: &'a RunOptions,
) -> LocalBoxFuture<'a, Result<String>> {
    Box::pin(async move { Ok(preflight(manifest, real, url, opts).await?.summary()) })
}

impl Fork {
    /// Runs the migration on the fork with `opts` (in a journal and backup folder of its own,
    /// without fault injection); returns the report and every transaction with its gas.
    async fn run(
        &self,
        opts: &RunOptions,
        obs: &dyn Observer,
    ) -> Result<(Report, Vec<(String, u64)>)> {
        let dir = tempfile::tempdir()
            .map_err(|source| Error::Io { path: std::env::temp_dir(), source })?;
        let opts = RunOptions {
            journal: dir.path().join("rehearsal.molt-journal"),
            backup_dir: dir.path().to_path_buf(),
            preflight: None,
            rehearsal: true,
            ..opts.clone()
        };
        let block = self.block;
        let report = run::migrate(&self.manifest, &self.sender, &opts, obs)
            .await
            .map_err(|e| Error::PreflightFailed { block, source: Box::new(e) })?;
        Ok((report, mined_txs(&opts.journal)?))
    }
}

/// A whole run rehearsed on a fork.
#[derive(Debug)]
pub struct Rehearsal {
    /// The block the fork was taken at.
    pub block: u64,
    /// The run's report on the fork (its `chain_id` is the fork's).
    pub report: Report,
    /// Every transaction of the run on the fork (journal step, gas used).
    pub txs: Vec<(String, u64)>,
    /// How long the rehearsal took.
    pub elapsed: Duration,
}

impl Rehearsal {
    /// Gas of every transaction together.
    pub fn total_gas(&self) -> u64 {
        self.txs.iter().map(|(_, g)| g).sum()
    }
}

/// Runs the whole migration on a fork of the node at `url`, signing as `real` would (on the
/// fork's chain id); `opts` supplies the checks and components allowed to fail or be empty.
pub async fn rehearse(
    manifest: &Manifest,
    real: &Sender,
    url: &str,
    opts: &RunOptions,
    obs: &dyn Observer,
) -> Result<Rehearsal> {
    let fork = fork(manifest, real, url).await?;
    let opts = RunOptions { finalize: true, scope: Scope::Full, snapshot: None, ..opts.clone() };
    let started = Instant::now();
    let (report, txs) = fork.run(&opts, obs).await?;
    Ok(Rehearsal { block: fork.block, report, txs, elapsed: started.elapsed() })
}

/// The backup the journal at `path` snapshotted, if it exists and has one.
fn journaled_backup(path: &std::path::Path) -> Result<Option<std::path::PathBuf>> {
    if !path.exists() {
        return Ok(None);
    }
    Ok(journal::snapshot(&Journal::read(path)?).map(|s| s.backup.to_path_buf()))
}

/// Every successful transaction of a journal, with its gas.
fn mined_txs(path: &std::path::Path) -> Result<Vec<(String, u64)>> {
    Ok(Journal::read(path)?
        .into_iter()
        .filter_map(|e| match e {
            Entry::TxMined { step, gas_used, success: true, .. } => Some((step, gas_used)),
            _ => None,
        })
        .collect())
}
