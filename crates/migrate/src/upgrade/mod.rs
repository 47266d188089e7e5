//! `molt upgrade`: a proxy upgrade governed by a Safe, checked and rehearsed before the owners
//! sign it.
//!
//! 1. [`proxy`]: read the ERC-1967 implementation and admin slots of the proxy; a Transparent
//!    proxy is upgraded by its ProxyAdmin, whose `owner()` is the Safe, a UUPS proxy by
//!    itself, its implementation's `owner()` being the Safe.
//! 2. [`code`]: check that the code at the current implementation is the `--old` artifact's.
//! 3. The storage layouts of the old and new artifacts are diffed with
//!    [`molt_abi::diff::layout`] (the rules of `molt diff`); a breaking change refuses the
//!    upgrade unless forced.
//! 4. [`rehearse`]: on a local anvil fork, deploy the new implementation, read the invariants
//!    ([`checks`]), run the upgrade through the Safe, read them again.
//! 5. [`deploy`]: deploy the new implementation on the node (not in a dry run).
//! 6. [`batch`]: the SafeTx of the real upgrade at the Safe's nonce, its hashes and the batch
//!    file for the Safe{Wallet} Transaction Builder.
//!
//! The engine reports through [`crate::events::Observer`] and never prints.

pub mod batch;
pub mod checks;
pub mod code;
pub mod deploy;
mod error;
pub mod proxy;
pub mod rehearse;

use std::path::PathBuf;

use alloy::{
    dyn_abi::JsonAbiExt,
    primitives::{Address, Bytes},
    providers::Provider,
};
use molt_abi::{Artifact, Change, Severity, diff::layout};
use molt_chain::{RevertDecoder, Sender};
use serde::Serialize;

pub use batch::SafeBatch;
pub use checks::{CheckResult, Invariant};
pub use code::CodeMatch;
pub use deploy::Deployment;
pub use error::UpgradeError;
pub use proxy::{ProxyInfo, ProxyKind};
pub use rehearse::{Outcome, Rehearsal};

use crate::events::{Event, Observer};

/// What to upgrade, and how.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The proxy.
    pub proxy: Address,
    /// The artifact of the current implementation.
    pub old: PathBuf,
    /// The artifact of the new implementation.
    pub new: PathBuf,
    /// The initializer to call with the upgrade: a signature of the new ABI and its arguments.
    pub call: Option<(String, Vec<String>)>,
    /// Invariants as `--check` gives them.
    pub checks: Vec<String>,
    /// A TOML file of `[[check]]` invariants.
    pub checks_file: Option<PathBuf>,
    /// The Safe expected to govern the proxy.
    pub safe: Option<Address>,
    /// Go on despite a breaking layout change.
    pub force: bool,
    /// Deploy nothing on the node: the batch names the address the deployment will get when it
    /// is the signer's next transaction.
    pub dry_run: bool,
    /// Where the batch file goes.
    pub out_dir: PathBuf,
    /// The batch file's `createdAt` (milliseconds since the epoch).
    pub created_at_ms: u64,
}

/// The storage-layout comparison.
#[derive(Debug, Clone, Serialize)]
pub struct LayoutCheck {
    /// Every storage finding of the differ.
    pub changes: Vec<Change>,
    /// How many are breaking.
    pub breaking: usize,
    /// Whether a breaking change was let through by `--force`.
    pub forced: bool,
}

/// How the upgrade stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Rehearsed, invariants held, batch written.
    Ready,
    /// A breaking layout change, not forced: nothing rehearsed.
    LayoutRefused,
    /// The upgrade failed on the fork (a revert, a Safe refusal).
    UpgradeFailed,
    /// The upgrade ran on the fork but an invariant changed.
    InvariantsFailed,
}

/// Everything `molt upgrade` found and did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The proxy, its kind, implementation, admin and Safe.
    pub proxy: ProxyInfo,
    /// What the code comparison of the current implementation covered.
    pub code: CodeMatch,
    /// The storage-layout comparison.
    pub layout: LayoutCheck,
    /// The initializer calldata (`0x`: none).
    pub init: Bytes,
    /// The rehearsal on the fork (absent when the layout refused it).
    pub rehearsal: Option<Rehearsal>,
    /// The real deployment (absent in a dry run and when the rehearsal failed).
    pub deployment: Option<Deployment>,
    /// The Safe batch (absent when the rehearsal failed).
    pub batch: Option<SafeBatch>,
    /// The batch file.
    pub batch_file: Option<PathBuf>,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// The outcome.
    pub verdict: Verdict,
}

impl Report {
    /// Whether the upgrade is not ready to sign (exit 1).
    pub fn fails(&self) -> bool {
        self.verdict != Verdict::Ready
    }
}

/// The checked local inputs.
struct Inputs {
    old: Artifact,
    new: Artifact,
    init: Bytes,
    invariants: Vec<Invariant>,
    decoder: RevertDecoder,
}

/// Checks, rehearses and prepares the upgrade of `req.proxy` on the node `real` is connected
/// to (at `url`, which the fork is taken of). Bad input is an error; findings are in the
/// report.
pub async fn run(
    req: &Request,
    real: &Sender,
    url: &str,
    obs: &dyn Observer,
) -> Result<Report, UpgradeError> {
    let inputs = load_inputs(req)?;
    let provider = real.provider();
    phase(obs, "proxy", format!("reading the proxy {}", req.proxy));
    let proxy = proxy::inspect(provider, req.proxy, req.safe).await?;
    let onchain = provider.get_code_at(proxy.implementation).await?;
    let code =
        code::compare(&onchain, &inputs.old).map_err(|reason| UpgradeError::CodeMismatch {
            implementation: proxy.implementation,
            artifact: req.old.clone(),
            reason,
        })?;
    let layout = layout_check(&inputs.old, &inputs.new, req.force);
    let mut report = Report {
        proxy,
        code,
        layout,
        init: inputs.init.clone(),
        rehearsal: None,
        deployment: None,
        batch: None,
        batch_file: None,
        dry_run: req.dry_run,
        verdict: Verdict::LayoutRefused,
    };
    if report.layout.breaking > 0 && !req.force {
        return Ok(report);
    }
    let block = provider.get_block_number().await?;
    phase(
        obs,
        "rehearse",
        format!(
            "rehearsing the upgrade through the Safe on a fork of block {block} (nothing is sent)"
        ),
    );
    let plan = rehearse::Plan {
        proxy: &report.proxy,
        new: &inputs.new,
        init: &inputs.init,
        invariants: &inputs.invariants,
        deployer: real.address(),
        decoder: &inputs.decoder,
    };
    let rehearsal = rehearse::rehearse(&plan, url, real.chain_id(), block).await?;
    report.verdict = match rehearsal.outcome {
        Outcome::Upgraded { .. } if rehearsal.passed() => Verdict::Ready,
        Outcome::Upgraded { .. } => Verdict::InvariantsFailed,
        _ => Verdict::UpgradeFailed,
    };
    let predicted = rehearsal.implementation;
    report.rehearsal = Some(rehearsal);
    if report.fails() {
        return Ok(report);
    }
    let implementation = if req.dry_run {
        predicted
    } else {
        phase(obs, "deploy", format!("deploying {} from {}", inputs.new.name, real.address()));
        let d = deploy::deploy(real, &inputs.new).await?;
        let at = d.address;
        report.deployment = Some(d);
        at
    };
    finish_batch(&mut report, req, real, implementation).await?;
    Ok(report)
}

/// The SafeTx at the Safe's real nonce, and its file.
async fn finish_batch(
    report: &mut Report,
    req: &Request,
    real: &Sender,
    implementation: Address,
) -> Result<(), UpgradeError> {
    let safe =
        molt_chain::safe::Safe::new(report.proxy.safe, real.chain_id(), real.provider().clone());
    let nonce = safe.nonce().await?.saturating_to();
    let batch = SafeBatch::new(&report.proxy, implementation, &report.init, real.chain_id(), nonce);
    report.batch_file = Some(batch.write(&req.out_dir, report.proxy.address, req.created_at_ms)?);
    report.batch = Some(batch);
    Ok(())
}

fn phase(obs: &dyn Observer, phase: &'static str, message: String) {
    obs.on(&Event::Phase { phase, message });
}

/// Checks what needs no node: the artifacts, the initializer and the invariants ([`run`]
/// checks them again first; a caller may check them before it connects).
pub fn check_inputs(req: &Request) -> Result<(), UpgradeError> {
    load_inputs(req).map(|_| ())
}

/// Reads the artifacts, the initializer and the invariants: everything checked before the
/// node is asked anything.
fn load_inputs(req: &Request) -> Result<Inputs, UpgradeError> {
    let old = load_artifact(&req.old, false)?;
    let new = load_artifact(&req.new, true)?;
    let init = match &req.call {
        None => Bytes::new(),
        Some((sig, args)) => initializer(&new, sig, args)?,
    };
    let mut invariants = req
        .checks
        .iter()
        .map(|s| checks::parse_spec(s, &old.abi, &new.abi))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(path) = &req.checks_file {
        invariants.extend(checks::load_file(path, &old.abi, &new.abi)?);
    }
    let decoder = RevertDecoder::new()
        .with_abi(&new.abi)
        .with_abi(&old.abi)
        .with_abi(&rehearse::proxy_errors());
    Ok(Inputs { old, new, init, invariants, decoder })
}

fn load_artifact(path: &std::path::Path, deployable: bool) -> Result<Artifact, UpgradeError> {
    let artifact = Artifact::load(path)?;
    let missing =
        |reason: &str| UpgradeError::Artifact { path: path.into(), reason: reason.into() };
    if artifact.storage_layout.is_none() {
        return Err(missing(
            "no storage layout: build with `extra_output = [\"storageLayout\"]` in foundry.toml",
        ));
    }
    if artifact.deployed_bytecode.as_ref().is_none_or(|b| b.is_empty()) {
        return Err(missing(
            "no deployedBytecode: give a Foundry or Hardhat artifact of a deployable contract",
        ));
    }
    if deployable && artifact.abi.constructor.as_ref().is_some_and(|c| !c.inputs.is_empty()) {
        return Err(missing(
            "the constructor takes arguments; molt upgrade deploys implementations without constructor arguments",
        ));
    }
    Ok(artifact)
}

/// The calldata of `sig(args)` in the new implementation's ABI.
fn initializer(new: &Artifact, sig: &str, args: &[String]) -> Result<Bytes, UpgradeError> {
    let bad = |reason: String| UpgradeError::Call { signature: sig.into(), reason };
    let wanted = sig.replace(' ', "");
    let f = new
        .abi
        .functions()
        .find(|f| f.signature() == wanted || (!wanted.contains('(') && f.name == wanted))
        .ok_or_else(|| bad(format!("{} has no such function", new.name)))?;
    if f.inputs.len() != args.len() {
        return Err(bad(format!(
            "{} takes {} argument(s), --args gave {}",
            f.signature(),
            f.inputs.len(),
            args.len()
        )));
    }
    let types: Vec<&str> = f.inputs.iter().map(|p| p.ty.as_str()).collect();
    let values = checks::coerce_all(&types, args).map_err(bad)?;
    Ok(f.abi_encode_input(&values).map_err(|e| bad(e.to_string()))?.into())
}

/// The storage findings of the differ between `old` and `new`.
fn layout_check(old: &Artifact, new: &Artifact, force: bool) -> LayoutCheck {
    let mut changes = Vec::new();
    if let (Some(o), Some(n)) = (&old.storage_layout, &new.storage_layout) {
        layout::diff_layouts(o, n, &mut changes);
    }
    let breaking = changes.iter().filter(|c| c.severity == Severity::Breaking).count();
    LayoutCheck { changes, breaking, forced: force && breaking > 0 }
}
