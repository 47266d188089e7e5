//! `molt upgrade`: check a proxy upgrade governed by a Safe, rehearse it through the Safe on a
//! local fork, deploy the new implementation and write the Safe batch the owners sign. The
//! work is `molt_migrate::upgrade`'s; this file reads the arguments and prints the report.

use std::path::PathBuf;

use alloy::primitives::Address;
use clap::Args;
use eyre::{Result, eyre};
use molt_abi::Severity;
use molt_migrate::upgrade::{self, Outcome as UpgradeOutcome, Report, Request, Verdict};

use crate::{
    connect,
    exit::Outcome,
    hint::Hint,
    opts::{GlobalOpts, RpcOpts, WalletOpts},
    progress::{Progress, group},
    style::BOLD,
};

/// Arguments of `molt upgrade`.
///
/// Exit codes: 0 the upgrade is ready to sign, 1 refused (breaking layout without `--force`,
/// the upgrade reverts on the fork, an invariant changed), 2 bad input, 3 the node failed.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  molt upgrade --proxy 0x5FbD...0aa3 --old old/CounterV1.json --new out/CounterV2.sol/CounterV2.json --check 'count()'\n  molt upgrade --proxy 0x5FbD...0aa3 --old v1.json --new v2.json --call 'initializeV2(uint256)' --args 100 --dry-run"
)]
pub(crate) struct UpgradeArgs {
    /// The proxy (ERC1967Proxy for UUPS, or TransparentUpgradeableProxy).
    #[arg(long, value_name = "ADDRESS")]
    proxy: Address,
    /// The artifact of the current implementation (checked against the code on the node).
    /// With `--base-ref`, a path inside that ref's build (default: `--new`'s path there).
    #[arg(long, value_name = "PATH", required_unless_present = "base_ref")]
    old: Option<PathBuf>,
    /// Take the current implementation's artifact from the contracts as they are at this git
    /// ref (built in a worktree with forge, cached by commit, as `molt diff --base-ref` does).
    #[arg(long, value_name = "REF")]
    base_ref: Option<String>,
    /// The artifact of the new implementation.
    #[arg(long, value_name = "PATH")]
    new: PathBuf,
    /// An initializer of the new implementation to call with the upgrade, e.g.
    /// `initializeV2(uint256)`.
    #[arg(long, value_name = "SIGNATURE")]
    call: Option<String>,
    /// The initializer's arguments.
    #[arg(long, value_name = "ARG", num_args = 1.., allow_negative_numbers = true, requires = "call")]
    args: Vec<String>,
    /// An invariant read through the proxy before and after: `SIG [ARG ...]` must be unchanged,
    /// `SIG [ARG ...] == VALUE` must equal VALUE after (repeatable).
    #[arg(long = "check", value_name = "SPEC")]
    checks: Vec<String>,
    /// A TOML file of `[[check]]` invariants (`name`, `function`, `args`, `expect`).
    #[arg(long = "checks", value_name = "PATH")]
    checks_file: Option<PathBuf>,
    /// The Safe that must govern the proxy (default: the one found).
    #[arg(long, value_name = "ADDRESS")]
    safe: Option<Address>,
    /// Rehearse despite a breaking storage-layout change.
    #[arg(long)]
    force: bool,
    /// Send nothing: the batch names the address the implementation gets when its deployment
    /// is the signer's next transaction.
    #[arg(long)]
    dry_run: bool,
    /// Where to write the Safe batch file.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    #[command(flatten)]
    rpc: RpcOpts,
    #[command(flatten)]
    wallet: WalletOpts,
}

impl UpgradeArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let old = self.old_artifact(global)?;
        let request = self.request(old);
        upgrade::check_inputs(&request)?;
        let (url, provider) = connect::provider(&self.rpc, None).await?;
        let signer = connect::signer(&self.wallet, &provider, &url).await?;
        let real = connect::sender(&provider, signer).await?;
        let progress = Progress::new(global);
        let report = upgrade::run(&request, &real, &url, &progress).await?;
        progress.finish();
        if global.json {
            let doc = serde_json::json!({ "schema": "molt.upgrade/1", "report": report });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        } else {
            print_report(&report, global.color_stdout());
        }
        Ok(if report.fails() { Outcome::Problems } else { Outcome::Ok })
    }

    /// `--old`, or with `--base-ref` the artifact in that ref's build: `--old` relative to it,
    /// or `--new`'s path relative to the working tree's build.
    fn old_artifact(&self, global: &GlobalOpts) -> Result<PathBuf> {
        let Some(reference) = &self.base_ref else {
            return Ok(self.old.clone().expect("clap requires --old without --base-ref"));
        };
        let base = crate::base_ref::Base::discover(global)?;
        let relative = match &self.old {
            Some(old) if old.is_absolute() => {
                return Err(eyre!(
                    "with --base-ref, --old is a path inside the ref's build (e.g. Counter.sol/Counter.json), not {}",
                    old.display()
                )
                .wrap_err(Hint("leave out --base-ref to use an artifact file as it is".into())));
            }
            Some(old) => old.clone(),
            None => relative_to_out(&self.new, &base.working_out())?,
        };
        let old = base.build_ref(reference)?.join(&relative);
        if !old.is_file() {
            return Err(eyre!("`--base-ref {reference}`: its build has no {}", relative.display())
                .wrap_err(Hint(
                    "the contract has another name or path there: give it as --old, relative to that build's out/".into(),
                )));
        }
        Ok(old)
    }

    fn request(&self, old: PathBuf) -> Request {
        let created_at_ms = molt_migrate::owner::now_ms();
        Request {
            proxy: self.proxy,
            old,
            new: self.new.clone(),
            call: self.call.clone().map(|c| (c, self.args.clone())),
            checks: self.checks.clone(),
            checks_file: self.checks_file.clone(),
            safe: self.safe,
            force: self.force,
            dry_run: self.dry_run,
            out_dir: self.out.clone(),
            created_at_ms,
        }
    }
}

/// `new`'s path inside the build output `out`.
fn relative_to_out(new: &std::path::Path, out: &std::path::Path) -> Result<PathBuf> {
    let (new_abs, out_abs) = (new.canonicalize(), out.canonicalize());
    match (new_abs, out_abs) {
        (Ok(n), Ok(o)) if n.starts_with(&o) => Ok(n.strip_prefix(&o).expect("checked").into()),
        _ => Err(eyre!(
            "with --base-ref and no --old, --new must be an artifact of this project's build {} (it is {})",
            out.display(),
            new.display()
        )
        .wrap_err(Hint("give --old: the artifact's path inside the ref's out/".into()))),
    }
}

fn print_report(r: &Report, color: bool) {
    print_proxy(r);
    print_layout(r, color);
    if let Some(h) = &r.rehearsal {
        print_rehearsal(h, color);
    }
    print_batch(r);
    let verdict = match r.verdict {
        Verdict::Ready => {
            "ready to sign: the upgrade rehearsed through the Safe and every invariant held"
        }
        Verdict::LayoutRefused => {
            "REFUSED: the new implementation breaks the storage layout (nothing rehearsed, nothing sent; --force rehearses anyway)"
        }
        Verdict::UpgradeFailed => "REFUSED: the upgrade fails on the fork (nothing sent)",
        Verdict::InvariantsFailed => "REFUSED: an invariant changed on the fork (nothing sent)",
    };
    let line = if r.fails() { BOLD.paint(color, verdict) } else { verdict.to_owned() };
    println!("{line}");
}

fn print_proxy(r: &Report) {
    let p = &r.proxy;
    let kind = match p.kind {
        upgrade::ProxyKind::Uups => "UUPS".to_owned(),
        upgrade::ProxyKind::Transparent => {
            format!("Transparent, ProxyAdmin {}", p.admin.unwrap_or_default())
        }
    };
    println!("proxy {} ({kind})", p.address);
    println!("  implementation {}: {}", p.implementation, r.code.describe());
    println!(
        "  governed by the Safe {} ({} of {} owners)",
        p.safe,
        p.safe_threshold,
        p.safe_owners.len()
    );
}

fn print_layout(r: &Report, color: bool) {
    let l = &r.layout;
    if l.changes.is_empty() {
        println!("storage layout: compatible (no change)");
    } else if l.breaking == 0 {
        println!("storage layout: compatible ({} non-breaking change(s))", l.changes.len());
    } else {
        let forced = if l.forced { ", let through by --force" } else { "" };
        println!("storage layout: {} BREAKING change(s){forced}", l.breaking);
    }
    for c in &l.changes {
        let sev = match c.severity {
            Severity::Breaking => BOLD.paint(color, "breaking"),
            Severity::Warning => "warning".into(),
            Severity::Info => "info".into(),
        };
        println!("  {sev}: {}", c.message);
    }
}

fn print_rehearsal(h: &upgrade::Rehearsal, color: bool) {
    println!("rehearsal on a fork of block {}:", h.block);
    println!("  new implementation deployed at {} ({} gas)", h.implementation, group(h.deploy_gas));
    match &h.outcome {
        UpgradeOutcome::Upgraded { gas_used } => {
            println!("  upgrade executed through the Safe ({} gas)", group(*gas_used))
        }
        UpgradeOutcome::Reverted { error } => {
            println!("  {} {error}", BOLD.paint(color, "the upgrade call reverts:"))
        }
        UpgradeOutcome::Failed { reason } => {
            println!("  {} {reason}", BOLD.paint(color, "the upgrade fails:"))
        }
    }
    if h.checks.is_empty() {
        return;
    }
    println!("invariants:");
    for c in &h.checks {
        if c.ok {
            println!("  ok       {}: {}", c.name, c.after);
        } else {
            let mark = BOLD.paint(color, "CHANGED");
            println!(
                "  {mark}  {}: before {}, after {} (expected {})",
                c.name, c.before, c.after, c.expected
            );
        }
    }
}

fn print_batch(r: &Report) {
    match (&r.deployment, r.dry_run, &r.batch) {
        (Some(d), _, _) => println!(
            "deployed the new implementation at {} (tx {}, nonce {}, {} gas)",
            d.address,
            d.tx,
            d.nonce,
            group(d.gas_used)
        ),
        (None, true, Some(b)) => println!(
            "dry run: nothing sent; the batch assumes the new implementation at {}, where the signer's next transaction deploys it",
            b.implementation
        ),
        _ => {}
    }
    let (Some(b), Some(path)) = (&r.batch, &r.batch_file) else { return };
    println!("Safe batch: {}", path.display());
    println!("  Safe {} on chain {}, nonce {}", b.safe, b.chain_id, b.nonce);
    println!("  call {}.{}({})", b.to, b.method, args(b));
    println!("  domain hash   {}", b.domain_hash);
    println!("  message hash  {}", b.message_hash);
    println!("  safeTxHash    {}", b.safe_tx_hash);
}

fn args(b: &upgrade::SafeBatch) -> String {
    b.inputs.iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join(", ")
}
