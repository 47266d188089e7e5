//! `molt demo`: spawn anvil (or use `--rpc-url`), deploy the Fabstir V1/V2 contracts, seed
//! realistic V1 state, then plan, migrate and verify with progress bars.

mod seed;

use std::{path::PathBuf, time::Duration};

use clap::Args;
use eyre::{Result, WrapErr, eyre};
use indicatif::{ProgressBar, ProgressStyle};
use molt_chain::{Devnet, Toolchain};
use molt_migrate::{
    Manifest,
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

pub(crate) use seed::{Deployment, SeedSize};

/// The demo manifest: the Fabstir fixture, with the deployed addresses filled in.
const TEMPLATE: &str = include_str!("../../../../../fixtures/manifests/fabstir.toml");

/// Arguments of `molt demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Nodes to register in V1.
    #[arg(long, default_value_t = 200)]
    nodes: usize,
    /// Jobs to post in V1 (about three quarters end completed).
    #[arg(long, default_value_t = 600)]
    jobs: usize,
    /// (user, token) escrow balances to deposit in V1.
    #[arg(long, default_value_t = 150)]
    balances: usize,
    /// Seed of the generated state.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Seeding transactions per block: 1 mines each on its own (realistic timestamps); a larger
    /// number seeds big states much faster (anvil's cost grows with every block).
    #[arg(long, default_value_t = 1, value_name = "N")]
    seed_txs_per_block: usize,
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

impl DemoArgs {
    pub(crate) async fn run(self, global: &GlobalOpts) -> Result<Outcome> {
        let progress = Progress::new(global);
        let toolchain = Toolchain::discover();
        let abis = seed::Abis::load(&toolchain.out_dir())?;
        // The node: ours (kept alive until the end) or the given one.
        let (devnet, url) = self.node(&toolchain, &progress).await?;
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
        let owner = signer.address();
        let wallet_provider = molt_chain::rpc::connect_with_wallet(
            &url,
            self.rpc.options(),
            alloy::network::EthereumWallet::from(signer.clone()),
        )?;

        progress.step(format!(
            "deploying the Fabstir V1 and V2 contracts on {}",
            molt_chain::rpc::redact_url(&url)
        ));
        let dep = seed::deploy(&wallet_provider, owner, &abis).await?;
        let size = self.size();
        progress.step(format!(
            "seeding V1: {} nodes, {} jobs, {} escrow balances (ETH, FUSD, FAB) from {} accounts",
            size.nodes,
            size.jobs,
            size.balances,
            size.nodes + (size.jobs / 4).max(3) + size.balances.div_ceil(3)
        ));
        let plain = molt_chain::connect(&url, self.rpc.options())?;
        let bar = seed_bar(global);
        let active = seed::seed(&plain, &wallet_provider, owner, &dep, &abis, size, bar).await?;

        let out = self.out_dir()?;
        let chain_id = alloy::providers::Provider::get_chain_id(&provider).await?;
        let manifest_path = out.join("molt.toml");
        std::fs::write(&manifest_path, manifest_text(&url, chain_id, &dep, &toolchain.out_dir()))
            .wrap_err_with(|| format!("cannot write {}", manifest_path.display()))?;
        if let Some(note) = credentials_note(&url) {
            progress.say(note);
        }
        let manifest = Manifest::load(&manifest_path)?;
        let sender =
            connect::sender(&provider, signer).await?.with_revert_decoder(decoder(&manifest));
        let mut opts = RunOptions::new(out.join("molt.toml.molt-journal"), out.clone());
        opts.receipt_timeout = Duration::from_secs(60);
        opts.preflight = Some(url.clone());
        show_the_precheck(&manifest, &sender, &opts, &progress).await?;
        progress.step(format!(
            "settling the {} active jobs: the claimed ones ({}) complete, the posted ones ({}) are cancelled",
            active.claimed.len() + active.posted.len(),
            active.claimed.len(),
            active.posted.len()
        ));
        seed::settle_active(&plain, &dep, &abis, &active).await?;

        if self.seed_only {
            progress.step(format!("wrote {}", manifest_path.display()));
            println!("{}", manifest_path.display());
            progress.say(format!("  next: cd {} && molt migrate --yes", out.display()));
            if devnet.is_some() {
                progress.say("  (the anvil molt started stops now; pass --rpc-url to seed a node that stays up)");
            }
            return Ok(Outcome::Ok);
        }
        let outcome = plan_and_migrate(global, &progress, &manifest, &sender, &url, &opts).await?;
        progress.step(format!("manifest, journal and backup are in {}", out.display()));
        drop(devnet);
        Ok(outcome)
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
            nodes: self.nodes,
            jobs: self.jobs,
            balances: self.balances,
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

/// The Fabstir manifest for this deployment: addresses, node URL (without credentials), chain id
/// and absolute ABI paths.
fn manifest_text(url: &str, chain_id: u64, dep: &Deployment, out: &std::path::Path) -> String {
    let url = molt_chain::rpc::strip_credentials(url);
    let mut text = TEMPLATE
        .replace("rpc_url = \"http://127.0.0.1:8545\"", &format!("rpc_url = \"{url}\""))
        .replace("chain_id = 31337", &format!("chain_id = {chain_id}"))
        .replace("../../out/", &format!("{}/", out.display()));
    let addresses =
        [dep.registry_v1, dep.jobs_v1, dep.escrow_v1, dep.registry_v2, dep.jobs_v2, dep.escrow_v2];
    for (i, a) in addresses.iter().enumerate() {
        text = text.replace(
            &format!("0x000000000000000000000000000000000000000{}", i + 1),
            &a.to_checksum(None),
        );
    }
    text.replace(
        "# `molt demo --seed-only` writes a copy of this file with the addresses it deployed.",
        "# Written by `molt demo` for the contracts it deployed.",
    )
}
