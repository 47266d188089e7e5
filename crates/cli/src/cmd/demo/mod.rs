//! `molt demo`: spawn anvil (or use `--rpc-url`), deploy an example protocol's V1/V2 contracts
//! (Fabstir by default, or the lending pool with `--example lending`), seed realistic V1 state,
//! then plan, migrate and verify with progress bars.
//!
//! Everything protocol-specific is in the example's seeder (`seed.rs` for Fabstir, `lending.rs`)
//! and its manifest (`fixtures/manifests/<example>.toml`); the migration itself is the same
//! `molt migrate` for both.

mod lending;
mod safe;
mod seed;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use clap::Args;
use eyre::{Result, WrapErr, eyre};
use indicatif::{ProgressBar, ProgressStyle};
use molt_chain::{Devnet, Toolchain};
use molt_migrate::{
    Manifest, rehearsal,
    run::{self, RunOptions},
};

use crate::{
    connect,
    exit::Outcome,
    hint::Hint,
    migration::{decoder, print_plan, print_report},
    opts::{GlobalOpts, RpcOpts, WalletOpts},
    progress::Progress,
};

use lending::LendingSize;
use seed::SeedSize;

/// The Fabstir demo manifest: the Fabstir fixture, with the deployed addresses filled in.
const TEMPLATE: &str = include_str!("../../../../../fixtures/manifests/fabstir.toml");

/// The example protocols `molt demo` deploys, seeds and migrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Example {
    /// The Fabstir marketplace: node registry, job marketplace and payment escrow, each
    /// enumerable (contracts/src/v1, v2).
    Fabstir,
    /// A lending pool: reserves in an array, collateral accounts and loans in mappings whose
    /// keys come from events, one ERC-20 collateral (contracts/src/lending).
    Lending,
}

/// Arguments of `molt demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// The example protocol to deploy, seed and migrate.
    #[arg(long, value_enum, default_value_t = Example::Fabstir)]
    example: Example,
    /// Nodes to register in V1 [default: 200].
    #[arg(long, help_heading = "Fabstir example")]
    nodes: Option<usize>,
    /// Jobs to post in V1 (about three quarters end completed) [default: 600].
    #[arg(long, help_heading = "Fabstir example")]
    jobs: Option<usize>,
    /// (user, token) escrow balances to deposit in V1 [default: 150].
    #[arg(long, help_heading = "Fabstir example")]
    balances: Option<usize>,
    /// Reserves (borrowable assets) to add to the pool [default: 5].
    #[arg(long, help_heading = "Lending example")]
    reserves: Option<usize>,
    /// Collateral accounts to open, 1 to 3 deposits each; three quarters of them borrow and a
    /// third of the others withdraw everything [default: 200].
    #[arg(long, help_heading = "Lending example")]
    accounts: Option<usize>,
    /// Distinct (borrower, reserve) loans to open; about 15 % end repaid in full (a fifth of
    /// those borrowed again), 10 % partly [default: 300].
    #[arg(long, help_heading = "Lending example")]
    loans: Option<usize>,
    /// Seed of the generated state.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Seeding transactions per block: 1 mines each on its own (realistic timestamps); a larger
    /// number seeds big states much faster (anvil's cost grows with every block).
    #[arg(long, default_value_t = 1, value_name = "N")]
    seed_txs_per_block: usize,
    /// Fabstir owned by a 2-of-3 Safe 1.4.1: the run stops at each owner phase, two owners
    /// sign its batch file, the Safe executes it, the run goes on; then a proxy upgrade
    /// through the same Safe.
    #[arg(long, conflicts_with = "seed_only")]
    safe: bool,
    /// Deploy and seed only, write `<out>/molt.toml`, and stop.
    #[arg(long, requires = "out")]
    seed_only: bool,
    /// Where the manifest, journal and backup go (default: a new temporary folder).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    rpc: RpcOpts,
    #[command(flatten)]
    wallet: WalletOpts,
}

/// The node the demo seeds, and how it signs.
struct Node {
    /// The anvil molt started (kept alive until the demo ends), if it did.
    devnet: Option<Devnet>,
    url: String,
    /// Reads and raw requests (no wallet).
    provider: alloy::providers::DynProvider,
    /// Reads that retry on transient failures, for the seeders.
    plain: alloy::providers::DynProvider,
    /// Signs as the deployer: the owner of every contract.
    wallet: alloy::providers::DynProvider,
    signer: alloy::signers::local::PrivateKeySigner,
    owner: alloy::primitives::Address,
}

impl Example {
    /// The name `--example` takes.
    fn name(self) -> &'static str {
        match self {
            Self::Fabstir => "fabstir",
            Self::Lending => "lending",
        }
    }
}

impl DemoArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        self.check_options()?;
        let progress = Progress::new(global);
        let toolchain = Toolchain::discover();
        match self.example {
            Example::Fabstir => self.fabstir(global, &progress, &toolchain).await,
            Example::Lending => self.lending(global, &progress, &toolchain).await,
        }
    }

    /// Refuses the size options of the other example (they would be ignored).
    fn check_options(&self) -> Result<()> {
        if self.safe && self.example != Example::Fabstir {
            return Err(eyre!("--safe runs the Fabstir example only")
                .wrap_err(Hint("leave out --example, or --safe".into())));
        }
        let (other, options) = match self.example {
            Example::Fabstir => (
                Example::Lending,
                [
                    ("--reserves", self.reserves),
                    ("--accounts", self.accounts),
                    ("--loans", self.loans),
                ],
            ),
            Example::Lending => (
                Example::Fabstir,
                [("--nodes", self.nodes), ("--jobs", self.jobs), ("--balances", self.balances)],
            ),
        };
        match options.iter().find(|(_, v)| v.is_some()) {
            Some((flag, _)) => Err(eyre!(
                "{flag} sizes the {} example, not the {} one",
                other.name(),
                self.example.name()
            )
            .wrap_err(Hint(format!("pass --example {} with it, or leave it out", other.name())))),
            None => Ok(()),
        }
    }

    /// Fabstir: deploy, seed, show the pre-check catching the active jobs, settle them, then
    /// plan, migrate and verify.
    async fn fabstir(
        &self,
        global: &GlobalOpts,
        progress: &Progress,
        toolchain: &Toolchain,
    ) -> Result<Outcome> {
        let abis = seed::Abis::load(&toolchain.out_dir())?;
        let node = self.connect(toolchain, progress).await?;
        progress.step(format!(
            "deploying the Fabstir V1 and V2 contracts on {}",
            molt_chain::rpc::redact_url(&node.url)
        ));
        let dep = seed::deploy(&node.wallet, node.owner, &abis).await?;
        let size = self.size();
        progress.step(format!(
            "seeding V1: {} nodes, {} jobs, {} escrow balances (ETH, FUSD, FAB) from {} accounts",
            size.nodes,
            size.jobs,
            size.balances,
            size.nodes + (size.jobs / 4).max(3) + size.balances.div_ceil(3)
        ));
        let bar = seed_bar(global);
        let active =
            seed::seed(&node.plain, &node.wallet, node.owner, &dep, &abis, size, bar).await?;

        let addresses = [
            dep.registry_v1,
            dep.jobs_v1,
            dep.escrow_v1,
            dep.registry_v2,
            dep.jobs_v2,
            dep.escrow_v2,
        ];
        let (out, manifest_path) =
            self.write_manifest(&node, TEMPLATE, &addresses, toolchain, progress).await?;
        let manifest = Manifest::load(&manifest_path)?;
        let sender = connect::sender(&node.provider, node.signer.clone())
            .await?
            .with_revert_decoder(decoder(&manifest));
        let opts = run_options(&out, &node.url);
        show_the_precheck(&manifest, &sender, &opts, progress).await?;
        progress.step(format!(
            "settling the {} active jobs: the claimed ones ({}) complete, the posted ones ({}) are cancelled",
            active.claimed.len() + active.posted.len(),
            active.claimed.len(),
            active.posted.len()
        ));
        seed::settle_active(&node.plain, &dep, &abis, &active).await?;

        if self.seed_only {
            return Ok(seed_only_done(progress, &node, &out, &manifest_path));
        }
        let outcome = if self.safe {
            let g = safe::hand_to_safe(&node, &addresses, toolchain, progress).await?;
            let mut text = std::fs::read_to_string(&manifest_path)?;
            text.push_str(&safe::governance_toml(&g));
            std::fs::write(&manifest_path, text)?;
            let manifest = Manifest::load(&manifest_path)?;
            let outcome =
                safe::migrate_through_safe(global, progress, &manifest, &node, &g, &opts).await?;
            safe::upgrade_through_safe(&node, &g, toolchain, &out, progress).await?;
            outcome
        } else {
            plan_and_migrate(global, progress, &manifest, &sender, &node.url, &opts).await?
        };
        progress.step(format!("manifest, journal and backup are in {}", out.display()));
        Ok(outcome)
    }

    /// The lending pool: deploy, seed, then plan, migrate and verify.
    async fn lending(
        &self,
        global: &GlobalOpts,
        progress: &Progress,
        toolchain: &Toolchain,
    ) -> Result<Outcome> {
        let size = self.lending_size();
        size.check()?;
        let abis = lending::LendingAbis::load(&toolchain.out_dir())?;
        let node = self.connect(toolchain, progress).await?;
        progress.step(format!(
            "deploying the lending pool V1 and V2, its collateral token and {} reserve assets on {}",
            size.reserves,
            molt_chain::rpc::redact_url(&node.url)
        ));
        let dep = lending::deploy(&node.wallet, node.owner, &abis, size.reserves).await?;
        progress.step(format!(
            "seeding V1: {} reserves, {} collateral accounts, {} loans",
            size.reserves, size.accounts, size.loans
        ));
        let bar = seed_bar(global);
        let seeded =
            lending::seed(&node.plain, &node.wallet, node.owner, &dep, &abis, size, bar).await?;
        progress.step(format!(
            "seeded in {} transactions: {} of the {} accounts withdrew everything, {} of the {} loans are repaid in full and {} partly",
            seeded.transactions,
            seeded.emptied,
            seeded.accounts,
            seeded.repaid,
            seeded.loans,
            seeded.partly_repaid
        ));
        let (out, manifest_path) = self
            .write_manifest(&node, lending::TEMPLATE, &dep.placeholders(), toolchain, progress)
            .await?;
        if self.seed_only {
            // Loading the manifest is left to `molt plan` / `molt migrate`: seeding stands alone.
            return Ok(seed_only_done(progress, &node, &out, &manifest_path));
        }
        let manifest = Manifest::load(&manifest_path)?;
        let sender = connect::sender(&node.provider, node.signer.clone())
            .await?
            .with_revert_decoder(decoder(&manifest));
        let opts = run_options(&out, &node.url);
        let outcome =
            plan_and_migrate(global, progress, &manifest, &sender, &node.url, &opts).await?;
        progress.step(format!("manifest, journal and backup are in {}", out.display()));
        Ok(outcome)
    }

    /// The node (ours or the given one, which must be anvil), the signer and the providers.
    async fn connect(&self, toolchain: &Toolchain, progress: &Progress) -> Result<Node> {
        let (devnet, url) = self.node(toolchain, progress).await?;
        let (_, provider) = connect::provider(&self.rpc.with_url(&url), None).await?;
        if !connect::is_anvil(&provider).await {
            return Err(eyre!(
                "the demo seeds state by impersonating accounts, which needs an anvil node"
            )
            .wrap_err(Hint(
                "start one with `anvil` (see scripts/setup) or omit --rpc-url to let molt start it"
                    .into(),
            )));
        }
        let signer = connect::signer(&self.wallet, &provider, &url).await?;
        let wallet = molt_chain::rpc::connect_with_wallet(
            &url,
            self.rpc.options(),
            alloy::network::EthereumWallet::from(signer.clone()),
        )?;
        let plain = molt_chain::connect(&url, self.rpc.options())?;
        Ok(Node { devnet, owner: signer.address(), url, provider, plain, wallet, signer })
    }

    /// Writes `<out>/molt.toml` from `template` with `addresses` in place of its placeholders;
    /// returns the folder and the manifest's path.
    async fn write_manifest(
        &self,
        node: &Node,
        template: &str,
        addresses: &[alloy::primitives::Address],
        toolchain: &Toolchain,
        progress: &Progress,
    ) -> Result<(PathBuf, PathBuf)> {
        let out = self.out_dir()?;
        let chain_id = alloy::providers::Provider::get_chain_id(&node.provider).await?;
        let manifest_path = out.join("molt.toml");
        let text = manifest_text(template, &node.url, chain_id, addresses, &toolchain.out_dir());
        std::fs::write(&manifest_path, text)
            .wrap_err_with(|| format!("cannot write {}", manifest_path.display()))?;
        if let Some(note) = credentials_note(&node.url) {
            progress.say(note);
        }
        Ok((out, manifest_path))
    }

    /// The node to seed: the one at `--rpc-url`, or an anvil molt starts (and keeps until the
    /// demo ends).
    async fn node(
        &self,
        toolchain: &Toolchain,
        progress: &Progress,
    ) -> Result<(Option<Devnet>, String)> {
        Ok(match &self.rpc.rpc_url {
            Some(url) => (None, url.clone()),
            None => {
                progress.step("starting anvil");
                let devnet = Devnet::builder().toolchain(toolchain.clone()).spawn().await?;
                let url = devnet.endpoint();
                (Some(devnet), url)
            }
        })
    }

    fn size(&self) -> SeedSize {
        SeedSize {
            nodes: self.nodes.unwrap_or(200),
            jobs: self.jobs.unwrap_or(600),
            balances: self.balances.unwrap_or(150),
            seed: self.seed,
            per_block: self.seed_txs_per_block,
        }
    }

    fn lending_size(&self) -> LendingSize {
        LendingSize {
            reserves: self.reserves.unwrap_or(5),
            accounts: self.accounts.unwrap_or(200),
            loans: self.loans.unwrap_or(300),
            seed: self.seed,
            per_block: self.seed_txs_per_block,
        }
    }

    /// `--out`, or a fresh folder in the temporary directory; created.
    fn out_dir(&self) -> Result<PathBuf> {
        let out = match &self.out {
            Some(dir) => dir.clone(),
            None => std::env::temp_dir().join(format!("molt-demo-{}", std::process::id())),
        };
        std::fs::create_dir_all(&out)
            .wrap_err_with(|| format!("cannot create {}", out.display()))?;
        Ok(out)
    }
}

/// What `--seed-only` prints when it is done: the manifest's path (on stdout) and what to do next.
fn seed_only_done(progress: &Progress, node: &Node, out: &Path, manifest_path: &Path) -> Outcome {
    progress.step(format!("wrote {}", manifest_path.display()));
    println!("{}", manifest_path.display());
    progress.say(format!("  next: cd {} && molt migrate --yes", out.display()));
    if node.devnet.is_some() {
        progress.say(
            "  (the anvil molt started stops now; pass --rpc-url to seed a node that stays up)",
        );
    }
    Outcome::Ok
}

/// The run options of the demo's migration: journal and backup in `out`, a preflight on a fork
/// of the node at `url`.
fn run_options(out: &Path, url: &str) -> RunOptions {
    let mut opts = RunOptions::new(out.join("molt.toml.molt-journal"), out.to_path_buf());
    opts.receipt_timeout = Duration::from_secs(60);
    opts.preflight = Some(rehearsal::preflight_at(url));
    opts
}

/// The seeding progress bar (hidden when progress is off).
fn seed_bar(global: &GlobalOpts) -> ProgressBar {
    if global.json || global.quiet || global.no_progress {
        return ProgressBar::hidden();
    }
    ProgressBar::new(0).with_style(
        ProgressStyle::with_template("      seed [{bar:30}] {pos}/{len} transactions ({per_sec})")
            .expect("valid template")
            .progress_chars("=> "),
    )
}

/// The seed leaves jobs active on purpose: the pre-check must catch them first.
async fn show_the_precheck(
    manifest: &Manifest,
    sender: &molt_chain::Sender,
    opts: &RunOptions,
    progress: &Progress,
) -> Result<()> {
    let checks = opts.precheck_options(&[], manifest);
    match molt_migrate::precheck::run(manifest, sender, &checks).await {
        Err(e @ molt_migrate::Error::CheckFailed { .. }) => {
            progress.step(format!("the pre-check caught it: {e}"))
        }
        // A demo seeded without records of a kind: `molt migrate` will ask for --allow-empty.
        Err(e @ molt_migrate::Error::EmptySource { .. }) => progress.step(format!("note: {e}")),
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    Ok(())
}

/// The plan (the whole run rehearsed on a fork of the node), then the migration itself.
async fn plan_and_migrate(
    global: &GlobalOpts,
    progress: &Progress,
    manifest: &Manifest,
    sender: &molt_chain::Sender,
    url: &str,
    opts: &RunOptions,
) -> Result<Outcome> {
    progress.step("planning: rehearsing the migration on a local fork of the node");
    let plan = molt_migrate::plan::plan(manifest, sender, url, opts, &molt_migrate::events::Silent)
        .await?;
    if !global.json {
        print_plan(&plan);
        println!(
            "total: {} transactions, {} gas\n",
            plan.transactions.len(),
            crate::progress::group(plan.total_gas)
        );
    }
    let report = run::migrate(manifest, sender, opts, progress).await?;
    print_report(global, progress, &report)?;
    Ok(if report.verified { Outcome::Ok } else { Outcome::Problems })
}

/// When the node's URL carries credentials, what to tell the user about the manifest's URL,
/// which does not.
fn credentials_note(url: &str) -> Option<String> {
    let stripped = molt_chain::rpc::strip_credentials(url);
    let same =
        url.parse::<alloy::transports::http::reqwest::Url>().is_ok_and(|u| u.as_str() == stripped);
    (!same).then(|| {
        format!(
            "  the RPC URL carries credentials, so molt.toml has it without them ({stripped}); \
             set ETH_RPC_URL to the full URL when you run molt there"
        )
    })
}

/// An example's manifest for this deployment: `template` with the node URL (without
/// credentials), the chain id, absolute ABI paths, and `addresses[i]` in place of the placeholder
/// address ending in `i + 1`.
fn manifest_text(
    template: &str,
    url: &str,
    chain_id: u64,
    addresses: &[alloy::primitives::Address],
    out: &Path,
) -> String {
    let url = molt_chain::rpc::strip_credentials(url);
    let mut text = template
        .replace("rpc_url = \"http://127.0.0.1:8545\"", &format!("rpc_url = \"{url}\""))
        .replace("chain_id = 31337", &format!("chain_id = {chain_id}"))
        .replace("../../out/", &format!("{}/", out.display()));
    for (i, a) in addresses.iter().enumerate() {
        text = text.replace(&format!("0x{:040x}", i + 1), &a.to_checksum(None));
    }
    // The template's note on where copies come from becomes a note on where this one came from.
    let note = "writes a copy of this file with the addresses it deployed.";
    let mut filled = String::with_capacity(text.len());
    for line in text.lines() {
        let line = if line.ends_with(note) {
            "# Written by `molt demo` for the contracts it deployed."
        } else {
            line
        };
        filled.push_str(line);
        filled.push('\n');
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_of_both_templates_is_filled() {
        let out = Path::new("/abs/out");
        let fabstir: Vec<_> =
            (1..=6).map(|i| alloy::primitives::Address::repeat_byte(0x10 + i)).collect();
        let lending: Vec<_> =
            (1..=3).map(|i| alloy::primitives::Address::repeat_byte(0x20 + i)).collect();
        for (template, addresses) in [(TEMPLATE, fabstir), (lending::TEMPLATE, lending)] {
            let text = manifest_text(template, "http://u:p@127.0.0.1:9999", 7, &addresses, out);
            for (i, a) in addresses.iter().enumerate() {
                assert!(
                    !text.contains(&format!("0x{:040x}", i + 1)),
                    "placeholder {i} left:\n{text}"
                );
                assert!(text.contains(&a.to_checksum(None)), "{a} missing:\n{text}");
            }
            assert!(
                text.contains("rpc_url = \"http://127.0.0.1:9999/\"\n"),
                "credentials kept:\n{text}"
            );
            assert!(text.contains("chain_id = 7\n"));
            assert!(!text.contains("../../out/") && text.contains("/abs/out/"));
            assert!(text.contains("# Written by `molt demo` for the contracts it deployed.\n"));
            assert!(!text.contains("--seed-only"));
        }
    }
}
