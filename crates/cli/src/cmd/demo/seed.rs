//! Deploying the Fabstir V1/V2 contracts and seeding realistic V1 state through V1's public
//! functions, from many accounts (impersonated on anvil).

use std::path::Path;

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    json_abi::JsonAbi,
    network::TransactionBuilder,
    primitives::{Address, B256, U256, keccak256, utils::parse_ether},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
};
use eyre::{Result, WrapErr, eyre};
use indicatif::ProgressBar;
use molt_abi::Artifact;

/// How much state to seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeedSize {
    pub(crate) nodes: usize,
    pub(crate) jobs: usize,
    pub(crate) balances: usize,
    pub(crate) seed: u64,
    /// Transactions per block while seeding (1: each mined at once).
    pub(crate) per_block: usize,
}

/// The deployed contracts.
#[derive(Debug, Clone)]
pub(crate) struct Deployment {
    pub(crate) registry_v1: Address,
    pub(crate) jobs_v1: Address,
    pub(crate) escrow_v1: Address,
    pub(crate) registry_v2: Address,
    pub(crate) jobs_v2: Address,
    pub(crate) escrow_v2: Address,
    pub(crate) tokens: Vec<Address>,
}

/// Jobs the seed left active (their payment still in V1), to be settled before migrating.
#[derive(Debug, Clone, Default)]
pub(crate) struct Active {
    /// Posted jobs: (id, renter).
    pub(crate) posted: Vec<(u64, Address)>,
    /// Claimed jobs: (id, host).
    pub(crate) claimed: Vec<(u64, Address)>,
}

/// The ABIs of the Fabstir contracts, from the build output.
#[derive(Debug, Clone)]
pub(crate) struct Abis {
    pub(crate) artifacts: Vec<Artifact>,
}

impl Abis {
    pub(crate) fn load(out: &Path) -> Result<Self> {
        let names = [
            "NodeRegistryV1",
            "JobMarketplaceV1",
            "PaymentEscrowV1",
            "NodeRegistryV2",
            "JobMarketplaceV2",
            "PaymentEscrowV2",
            "TestToken",
        ];
        let artifacts = names
            .iter()
            .map(|n| {
                Artifact::find_in(out, n)?.ok_or_else(|| {
                    eyre!(
                        "no compiled artifact for {n} under {}; build the contracts first (scripts/setup && source .tools/env && forge build)",
                        out.display()
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { artifacts })
    }

    pub(crate) fn get(&self, name: &str) -> &Artifact {
        self.artifacts.iter().find(|a| a.name == name).expect("loaded")
    }

    fn abi(&self, name: &str) -> &JsonAbi {
        &self.get(name).abi
    }
}

/// Calldata of `name(args)` (the first overload).
pub(crate) fn calldata(abi: &JsonAbi, name: &str, args: &[DynSolValue]) -> Vec<u8> {
    let f = &abi.function(name).unwrap_or_else(|| panic!("the ABI has `{name}`"))[0];
    f.abi_encode_input(args).unwrap_or_else(|e| panic!("arguments of `{name}`: {e}"))
}

/// A `uint256` argument.
pub(super) trait IntoU256 {
    fn u256(self) -> U256;
}
impl IntoU256 for u64 {
    fn u256(self) -> U256 {
        U256::from(self)
    }
}
impl IntoU256 for U256 {
    fn u256(self) -> U256 {
        self
    }
}

pub(super) fn uint(n: impl IntoU256) -> DynSolValue {
    DynSolValue::Uint(n.u256(), 256)
}

/// Deploys V1, V2 and two test tokens from `deployer`.
pub(crate) async fn deploy(
    provider: &DynProvider,
    deployer: Address,
    abis: &Abis,
) -> Result<Deployment> {
    // Blocks 12 s apart whatever the wall clock does: the same seed on a node started with the
    // same `--timestamp` gives the same state, job timestamps included.
    provider
        .raw_request::<_, serde_json::Value>("anvil_setBlockTimestampInterval".into(), (12,))
        .await
        .wrap_err("the demo needs an anvil node (anvil_setBlockTimestampInterval failed)")?;
    let d = |name: &'static str, args: Vec<DynSolValue>| async move {
        molt_chain::devnet::deploy(provider, deployer, abis.get(name), &args)
            .await
            .wrap_err_with(|| format!("deploying {name}"))
    };
    let registry_v1 = d("NodeRegistryV1", vec![]).await?;
    let jobs_v1 = d("JobMarketplaceV1", vec![DynSolValue::Address(registry_v1)]).await?;
    let escrow_v1 = d("PaymentEscrowV1", vec![]).await?;
    let registry_v2 = d("NodeRegistryV2", vec![]).await?;
    let jobs_v2 = d("JobMarketplaceV2", vec![DynSolValue::Address(registry_v2)]).await?;
    let escrow_v2 = d("PaymentEscrowV2", vec![]).await?;
    let token = |name: &str, symbol: &str, decimals: u8| {
        vec![
            DynSolValue::String(name.into()),
            DynSolValue::String(symbol.into()),
            DynSolValue::Uint(U256::from(decimals), 8),
        ]
    };
    let usd = d("TestToken", token("Fabstir USD", "FUSD", 6)).await?;
    let fab = d("TestToken", token("Fabstir Token", "FAB", 18)).await?;
    Ok(Deployment {
        registry_v1,
        jobs_v1,
        escrow_v1,
        registry_v2,
        jobs_v2,
        escrow_v2,
        tokens: vec![usd, fab],
    })
}

/// A small deterministic generator (splitmix64): the same seed gives the same state.
#[derive(Debug, Clone)]
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const MODELS: [&str; 8] = [
    "llama-3.1-70b-instruct",
    "llama-3.1-8b-instruct",
    "mistral-7b-instruct-v0.3",
    "mixtral-8x7b",
    "qwen2.5-72b",
    "phi-3-mini-4k",
    "gemma-2-27b-it",
    "deepseek-coder-33b",
];
const REGIONS: [&str; 7] =
    ["eu-west", "eu-central", "us-east", "us-west", "ap-southeast", "ap-northeast", "sa-east"];
const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// A deterministic account for a role and index.
pub(super) fn account(role: &str, i: usize) -> Address {
    Address::from_slice(&keccak256(format!("molt-demo/{role}/{i}"))[12..])
}

/// Sends transactions from impersonated accounts and checks every receipt.
pub(super) struct Impersonator {
    plain: DynProvider,
    /// Signs the owner's calls.
    owner: (DynProvider, Address),
    pub(super) bar: ProgressBar,
    /// Transactions per block: 1 mines each at once (automine); more turns automine off and
    /// mines a block every `per_block` transactions and at every [`Impersonator::flush`].
    per_block: usize,
    pending: std::sync::Mutex<Vec<B256>>,
}

impl Impersonator {
    /// Turns on impersonation (and, for more than one transaction per block, turns automine
    /// off) on the node behind `plain`.
    pub(super) async fn start(
        plain: &DynProvider,
        provider: &DynProvider,
        owner: Address,
        per_block: usize,
        bar: ProgressBar,
    ) -> Result<Self> {
        // `plain` (without a wallet) retries reads on transient failures; sends never are.
        plain
            .raw_request::<_, serde_json::Value>("anvil_autoImpersonateAccount".into(), (true,))
            .await
            .wrap_err("seeding needs an anvil node (anvil_autoImpersonateAccount failed)")?;
        let per_block = per_block.max(1);
        if per_block > 1 {
            plain.raw_request::<_, serde_json::Value>("evm_setAutomine".into(), (false,)).await?;
        }
        Ok(Self {
            plain: plain.clone(),
            owner: (provider.clone(), owner),
            bar,
            per_block,
            pending: Default::default(),
        })
    }

    /// Undoes [`Impersonator::start`] and clears the progress bar.
    pub(super) async fn stop(&self) -> Result<()> {
        if self.per_block > 1 {
            self.plain
                .raw_request::<_, serde_json::Value>("evm_setAutomine".into(), (true,))
                .await?;
        }
        let _ = self
            .plain
            .raw_request::<_, serde_json::Value>("anvil_autoImpersonateAccount".into(), (false,))
            .await;
        self.bar.finish_and_clear();
        Ok(())
    }

    /// A transaction from an impersonated account.
    pub(super) async fn send(
        &self,
        from: Address,
        to: Address,
        value: U256,
        data: Vec<u8>,
    ) -> Result<()> {
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(to)
            .with_value(value)
            .with_input(data);
        let pending = self
            .plain
            .send_transaction(tx)
            .await
            .wrap_err_with(|| format!("seeding: a transaction from {from} to {to} failed"))?;
        self.track(*pending.tx_hash()).await
    }

    /// An owner-only call, signed by the deployer.
    pub(super) async fn owner_call(&self, to: Address, data: Vec<u8>) -> Result<()> {
        let (provider, owner) = &self.owner;
        let tx = TransactionRequest::default().with_from(*owner).with_to(to).with_input(data);
        let pending = provider
            .send_transaction(tx)
            .await
            .wrap_err_with(|| format!("an owner call to {to} failed"))?;
        self.track(*pending.tx_hash()).await
    }

    async fn track(&self, hash: B256) -> Result<()> {
        self.bar.inc(1);
        if self.per_block <= 1 {
            // One transaction per block, in order: the same seed gives the same blocks.
            return mined(&self.plain, hash).await;
        }
        let full = {
            let mut p = self.pending.lock().expect("not poisoned");
            p.push(hash);
            p.len() >= self.per_block
        };
        if full { self.flush().await } else { Ok(()) }
    }

    /// Mines what is pending (in as many blocks as it takes) and checks every receipt; a phase
    /// whose transactions depend on the previous phase starts after a flush.
    pub(super) async fn flush(&self) -> Result<()> {
        let mut left: Vec<B256> = std::mem::take(&mut *self.pending.lock().expect("not poisoned"));
        let mut failures = 0;
        while !left.is_empty() {
            // A lost `evm_mine` response is not retried by the transport (mining twice is not
            // idempotent); here an extra empty block is harmless, so mine again after looking.
            if let Err(e) =
                self.plain.raw_request::<_, serde_json::Value>("evm_mine".into(), ()).await
            {
                failures += 1;
                if failures > 5 {
                    return Err(e).wrap_err("evm_mine keeps failing");
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            let mut still = Vec::new();
            for h in left {
                match self.plain.get_transaction_receipt(h).await? {
                    Some(r) if !r.status() => {
                        return Err(eyre!("seeding transaction {h} reverted"));
                    }
                    Some(_) => {}
                    None => still.push(h),
                }
            }
            left = still;
        }
        Ok(())
    }
}

/// Seeds V1 with nodes, jobs in every status and escrow balances in ETH and two ERC20s.
/// `owner` signs owner-only calls through `provider`; everyone else is impersonated.
pub(crate) async fn seed(
    plain: &DynProvider,
    provider: &DynProvider,
    owner: Address,
    dep: &Deployment,
    abis: &Abis,
    size: SeedSize,
    bar: ProgressBar,
) -> Result<Active> {
    let sim = Impersonator::start(plain, provider, owner, size.per_block, bar).await?;
    let mut rng = Rng(size.seed);
    let accounts = Accounts::new(size);
    accounts.fund(plain).await?;
    sim.bar.set_length((size.nodes * 2 + size.jobs * 3 + size.balances * 3) as u64);
    seed_nodes(&sim, dep, abis, &mut rng, &accounts.operators).await?;
    let active = seed_jobs(&sim, dep, abis, &mut rng, &accounts, size.jobs).await?;
    seed_balances(&sim, dep, abis, &mut rng, &accounts.users, size.balances).await?;
    sim.stop().await?;
    Ok(active)
}

/// The accounts that act in the seed, by role.
struct Accounts {
    /// Node operators (hosts), one per node.
    operators: Vec<Address>,
    /// Renters posting jobs.
    renters: Vec<Address>,
    /// Users holding escrow balances.
    users: Vec<Address>,
}

impl Accounts {
    fn new(size: SeedSize) -> Self {
        Self {
            operators: (0..size.nodes).map(|i| account("node", i)).collect(),
            renters: (0..(size.jobs / 4).max(3)).map(|i| account("renter", i)).collect(),
            users: (0..size.balances.div_ceil(3).max(1)).map(|i| account("user", i)).collect(),
        }
    }

    /// Gives every account plenty of ETH.
    async fn fund(&self, plain: &DynProvider) -> Result<()> {
        let rich = U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18));
        for a in self.operators.iter().chain(&self.renters).chain(&self.users) {
            plain.raw_request::<_, serde_json::Value>("anvil_setBalance".into(), (a, rich)).await?;
        }
        Ok(())
    }
}

/// Registers a node per operator (peer id, models, region, stake), then sets the reputation of
/// some of them.
async fn seed_nodes(
    sim: &Impersonator,
    dep: &Deployment,
    abis: &Abis,
    rng: &mut Rng,
    operators: &[Address],
) -> Result<()> {
    let reg = abis.abi("NodeRegistryV1");
    for op in operators {
        let peer_len = 46 + rng.below(7) as usize;
        let peer: String = "12D3KooW"
            .chars()
            .chain((0..peer_len - 8).map(|_| *rng.pick(BASE58) as char))
            .collect();
        let n_models = 1 + rng.below(4) as usize;
        let mut models: Vec<&str> = Vec::new();
        while models.len() < n_models {
            let m = *rng.pick(&MODELS);
            if !models.contains(&m) {
                models.push(m);
            }
        }
        let stake = parse_ether("0.01")? + U256::from(rng.below(5_000)) * parse_ether("0.001")?;
        let args = [
            DynSolValue::String(peer),
            DynSolValue::Array(models.iter().map(|m| DynSolValue::String((*m).into())).collect()),
            DynSolValue::String((*rng.pick(&REGIONS)).into()),
        ];
        sim.send(*op, dep.registry_v1, stake, calldata(reg, "registerNode", &args)).await?;
    }
    sim.flush().await?;
    for op in operators {
        if rng.below(10) < 6 {
            let args = [DynSolValue::Address(*op), uint(rng.below(101))];
            let data = calldata(reg, "updateReputation", &args);
            sim.owner_call(dep.registry_v1, data).await?;
        }
        sim.bar.inc(1);
    }
    Ok(())
}

/// A posted job and what becomes of it.
struct PlannedJob {
    id: u64,
    renter: Address,
    /// 0..75 completed, 75..90 cancelled, 90..95 claimed (active), 95..100 posted (active).
    roll: u64,
    /// The host that would claim it (none without nodes).
    host: Option<Address>,
}

/// Jobs: post all, then claim, then complete or cancel; a few stay active.
async fn seed_jobs(
    sim: &Impersonator,
    dep: &Deployment,
    abis: &Abis,
    rng: &mut Rng,
    accounts: &Accounts,
    count: usize,
) -> Result<Active> {
    let plan = post_jobs(sim, dep, abis, rng, accounts, count).await?;
    let mut active = Active::default();
    claim_or_cancel_jobs(sim, dep, abis, &plan, &mut active).await?;
    complete_jobs(sim, dep, abis, &plan, &mut active).await?;
    Ok(active)
}

/// Posts `count` jobs from random renters and plans what becomes of each.
async fn post_jobs(
    sim: &Impersonator,
    dep: &Deployment,
    abis: &Abis,
    rng: &mut Rng,
    accounts: &Accounts,
    count: usize,
) -> Result<Vec<PlannedJob>> {
    let jobs = abis.abi("JobMarketplaceV1");
    let operators = &accounts.operators;
    let mut plan = Vec::new();
    for id in 0..count as u64 {
        let renter = *rng.pick(&accounts.renters);
        let args =
            [DynSolValue::String((*rng.pick(&MODELS)).into()), uint(256 + rng.below(32_768))];
        let payment = U256::from(1 + rng.below(500)) * parse_ether("0.0001")?;
        sim.send(renter, dep.jobs_v1, payment, calldata(jobs, "postJob", &args)).await?;
        let host = operators.get(rng.below(operators.len() as u64) as usize).copied();
        plan.push(PlannedJob { id, renter, roll: rng.below(100), host });
    }
    sim.flush().await?;
    Ok(plan)
}

/// Claims the jobs to complete or leave claimed, cancels those to cancel; the rest stay posted.
async fn claim_or_cancel_jobs(
    sim: &Impersonator,
    dep: &Deployment,
    abis: &Abis,
    plan: &[PlannedJob],
    active: &mut Active,
) -> Result<()> {
    let jobs = abis.abi("JobMarketplaceV1");
    for PlannedJob { id, renter, roll, host } in plan {
        match (roll, host) {
            (0..75 | 90..95, Some(host)) => {
                let data = calldata(jobs, "claimJob", &[uint(*id)]);
                sim.send(*host, dep.jobs_v1, U256::ZERO, data).await?;
            }
            (75..90, _) | (_, None) => {
                let data = calldata(jobs, "cancelJob", &[uint(*id)]);
                sim.send(*renter, dep.jobs_v1, U256::ZERO, data).await?;
            }
            _ => active.posted.push((*id, *renter)),
        }
    }
    sim.flush().await
}

/// Completes the claimed jobs to complete; the others claimed stay active.
async fn complete_jobs(
    sim: &Impersonator,
    dep: &Deployment,
    abis: &Abis,
    plan: &[PlannedJob],
    active: &mut Active,
) -> Result<()> {
    let jobs = abis.abi("JobMarketplaceV1");
    for PlannedJob { id, roll, host, .. } in plan {
        match (roll, host) {
            (0..75, Some(host)) => {
                let result = DynSolValue::FixedBytes(keccak256(format!("result/{id}")), 32);
                let data = calldata(jobs, "completeJob", &[uint(*id), result]);
                sim.send(*host, dep.jobs_v1, U256::ZERO, data).await?;
            }
            (90..95, Some(host)) => active.claimed.push((*id, *host)),
            _ => sim.bar.inc(1),
        }
    }
    sim.flush().await
}

/// Escrow: distinct (user, token) pairs over ETH and the two tokens; ERC20s are minted,
/// approved, then deposited (three passes: each depends on the one before).
async fn seed_balances(
    sim: &Impersonator,
    dep: &Deployment,
    abis: &Abis,
    rng: &mut Rng,
    users: &[Address],
    count: usize,
) -> Result<()> {
    let (escrow, token) = (abis.abi("PaymentEscrowV1"), abis.abi("TestToken"));
    let deposits = plan_deposits(dep, rng, users, count);
    for &(user, asset, amount) in deposits.iter().filter(|d| !d.1.is_zero()) {
        sim.owner_call(asset, calldata(token, "mint", &[DynSolValue::Address(user), uint(amount)]))
            .await?;
    }
    sim.flush().await?;
    for &(user, asset, amount) in deposits.iter().filter(|d| !d.1.is_zero()) {
        let approve =
            calldata(token, "approve", &[DynSolValue::Address(dep.escrow_v1), uint(amount)]);
        sim.send(user, asset, U256::ZERO, approve).await?;
    }
    sim.flush().await?;
    for &(user, asset, amount) in &deposits {
        if asset.is_zero() {
            sim.send(user, dep.escrow_v1, amount, calldata(escrow, "depositETH", &[])).await?;
            sim.bar.inc(2);
        } else {
            let deposit = calldata(escrow, "deposit", &[DynSolValue::Address(asset), uint(amount)]);
            sim.send(user, dep.escrow_v1, U256::ZERO, deposit).await?;
        }
    }
    sim.flush().await
}

/// `count` deposits as (user, asset, amount), the asset `Address::ZERO` for ETH.
fn plan_deposits(
    dep: &Deployment,
    rng: &mut Rng,
    users: &[Address],
    count: usize,
) -> Vec<(Address, Address, U256)> {
    let assets: Vec<Address> =
        std::iter::once(Address::ZERO).chain(dep.tokens.iter().copied()).collect();
    (0..count)
        .map(|k| {
            let user = users[k % users.len()];
            let asset = assets[(k / users.len()) % assets.len()];
            let amount = if asset.is_zero() {
                U256::from(1 + rng.below(2_000)) * U256::from(10u64).pow(U256::from(15))
            } else {
                U256::from(1 + rng.below(1_000_000)) * U256::from(10_000u64)
            };
            (user, asset, amount)
        })
        .collect()
}

/// Settles the jobs left active: claimed ones complete, posted ones are cancelled.
pub(crate) async fn settle_active(
    plain: &DynProvider,
    dep: &Deployment,
    abis: &Abis,
    active: &Active,
) -> Result<()> {
    plain
        .raw_request::<_, serde_json::Value>("anvil_autoImpersonateAccount".into(), (true,))
        .await?;
    let sim = Impersonator {
        plain: plain.clone(),
        owner: (plain.clone(), Address::ZERO),
        bar: ProgressBar::hidden(),
        per_block: 1,
        pending: Default::default(),
    };
    let jobs = abis.abi("JobMarketplaceV1");
    for (id, host) in &active.claimed {
        let result = DynSolValue::FixedBytes(keccak256(format!("result/{id}")), 32);
        sim.send(
            *host,
            dep.jobs_v1,
            U256::ZERO,
            calldata(jobs, "completeJob", &[uint(*id), result]),
        )
        .await?;
    }
    for (id, renter) in &active.posted {
        sim.send(*renter, dep.jobs_v1, U256::ZERO, calldata(jobs, "cancelJob", &[uint(*id)]))
            .await?;
    }
    let _ = plain
        .raw_request::<_, serde_json::Value>("anvil_autoImpersonateAccount".into(), (false,))
        .await;
    Ok(())
}

/// Waits (polling every few ms: anvil mines at once) until `hash` is mined; fails if it reverted.
async fn mined(provider: &DynProvider, hash: B256) -> Result<()> {
    let receipt = loop {
        if let Some(r) = provider.get_transaction_receipt(hash).await? {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    if !receipt.status() {
        return Err(eyre!("seeding transaction {hash} reverted"));
    }
    Ok(())
}
