//! `molt demo --example lending`: deploying the example lending pool (`contracts/src/lending`)
//! and seeding realistic V1 state through V1's public functions: reserves, depositors (some
//! depositing several times, some withdrawing, some everything), loans (some topped up, some
//! repaid in full, some partly, a few borrowed again after repaying).
//!
//! The whole seed is planned first ([`plan`]) against a copy of V1's books, so every borrow and
//! withdrawal is sized to succeed; then it is sent phase by phase.

use std::{collections::BTreeMap, path::Path};

use alloy::{
    dyn_abi::DynSolValue,
    primitives::{Address, U256},
    providers::{DynProvider, Provider},
};
use eyre::{Result, WrapErr, eyre};
use indicatif::ProgressBar;
use molt_abi::Artifact;

use super::seed::{Impersonator, Rng, account, calldata, uint};
use crate::hint::Hint;

/// The demo manifest: the lending fixture, with the deployed addresses filled in.
pub(super) const TEMPLATE: &str = include_str!("../../../../../fixtures/manifests/lending.toml");

/// One unit of the collateral token (18 decimals).
const UNIT: u128 = 1_000_000_000_000_000_000;
/// Borrowed, repaid and withdrawn amounts are rounded down to this (1e-6 of a unit).
const GRAIN: u128 = 1_000_000_000_000;

/// Reserve assets: name, symbol, decimals, loan-to-value %, liquidation threshold %, rate (bps).
const ASSETS: [(&str, &str, u8, u8, u8, u16); 5] = [
    ("USD Coin", "USDC", 6, 80, 85, 450),
    ("Dai Stablecoin", "DAI", 18, 77, 82, 400),
    ("Tether USD", "USDT", 6, 75, 80, 520),
    ("Wrapped Bitcoin", "WBTC", 8, 70, 75, 250),
    ("Chainlink", "LINK", 18, 60, 70, 690),
];

/// How much state to seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LendingSize {
    /// Reserves (borrowable assets).
    pub(crate) reserves: usize,
    /// Depositors: collateral accounts.
    pub(crate) accounts: usize,
    /// Distinct loans, (borrower, reserve) pairs.
    pub(crate) loans: usize,
    pub(crate) seed: u64,
    /// Transactions per block (1: each mined at once).
    pub(crate) per_block: usize,
}

impl LendingSize {
    /// Depositors who borrow: the first three quarters (the others only save).
    fn borrowers(&self) -> usize {
        (self.accounts * 3).div_ceil(4)
    }

    /// Checks that the sizes fit together, before anything is deployed.
    pub(super) fn check(&self) -> Result<()> {
        if self.reserves == 0 || self.accounts == 0 {
            return Err(eyre!("the lending demo needs at least one reserve and one account")
                .wrap_err(Hint("pass --reserves and --accounts of at least 1".into())));
        }
        let pairs = self.borrowers() * self.reserves;
        if self.loans > pairs {
            return Err(eyre!(
                "--loans {} is more than the {pairs} (borrower, reserve) pairs there are: {} of the {} accounts borrow, from {} reserves",
                self.loans,
                self.borrowers(),
                self.accounts,
                self.reserves
            )
            .wrap_err(Hint("raise --accounts or --reserves, or lower --loans".into())));
        }
        Ok(())
    }
}

/// What the seed left in V1 (known from the plan; the chain says the same).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) reserves: usize,
    /// Collateral accounts that ever deposited.
    pub(crate) accounts: usize,
    /// Of those, the ones that withdrew everything (they read as zeros).
    pub(crate) emptied: usize,
    /// Distinct (borrower, reserve) loans ever opened.
    pub(crate) loans: usize,
    /// Of those, the ones repaid in full (they read as zeros).
    pub(crate) repaid: usize,
    /// Loans still open after a partial repayment.
    pub(crate) partly_repaid: usize,
    /// Every seeding transaction.
    pub(crate) transactions: usize,
}

/// The lending pool's artifacts, from the build output.
#[derive(Debug, Clone)]
pub(crate) struct LendingAbis {
    v1: Artifact,
    v2: Artifact,
    token: Artifact,
}

impl LendingAbis {
    /// Loads `LendingPoolV1`, `LendingPoolV2` and `TestToken` from `out`.
    pub(crate) fn load(out: &Path) -> Result<Self> {
        let find = |name: &str| {
            Artifact::find_in(out, name)?.ok_or_else(|| {
                eyre!(
                    "no compiled artifact for {name} under {}; build the contracts first (scripts/setup && source .tools/env && forge build)",
                    out.display()
                )
            })
        };
        Ok(Self {
            v1: find("LendingPoolV1")?,
            v2: find("LendingPoolV2")?,
            token: find("TestToken")?,
        })
    }
}

/// The deployed contracts.
#[derive(Debug, Clone)]
pub(crate) struct LendingDeployment {
    /// The collateral token (WETH-like, 18 decimals).
    pub(crate) collateral: Address,
    /// One test token per reserve, the asset its facility lends.
    pub(crate) assets: Vec<Address>,
    pub(crate) pool_v1: Address,
    pub(crate) pool_v2: Address,
}

impl LendingDeployment {
    /// The addresses the manifest template's placeholders `0x…01`, `0x…02`, `0x…03` stand for.
    pub(crate) fn placeholders(&self) -> [Address; 3] {
        [self.pool_v1, self.pool_v2, self.collateral]
    }
}

/// One reserve's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ReserveSpec {
    name: String,
    symbol: String,
    decimals: u8,
    ltv: u8,
    threshold: u8,
    rate_bps: u16,
}

/// `n` reserves: the five assets of [`ASSETS`], then again with a suffix and lower ratios.
fn reserve_specs(n: usize) -> Vec<ReserveSpec> {
    (0..n)
        .map(|i| {
            let (name, symbol, decimals, ltv, threshold, rate_bps) = ASSETS[i % ASSETS.len()];
            let round = (i / ASSETS.len()) as u8;
            let ltv = ltv.saturating_sub(round.saturating_mul(5)).max(10);
            let (name, symbol) = match round {
                0 => (name.to_owned(), symbol.to_owned()),
                r => (format!("{name} {}", r + 1), format!("{symbol}{}", r + 1)),
            };
            let threshold = threshold.saturating_sub(round.saturating_mul(5)).max(ltv);
            ReserveSpec { name, symbol, decimals, ltv, threshold, rate_bps }
        })
        .collect()
}

/// Deploys the collateral token, one asset token per reserve, V1 and V2 from `deployer` (V2's
/// owner and migrator).
pub(crate) async fn deploy(
    provider: &DynProvider,
    deployer: Address,
    abis: &LendingAbis,
    reserves: usize,
) -> Result<LendingDeployment> {
    // Blocks 12 s apart whatever the wall clock does: the same seed gives the same timestamps.
    provider
        .raw_request::<_, serde_json::Value>("anvil_setBlockTimestampInterval".into(), (12,))
        .await
        .wrap_err("the demo needs an anvil node (anvil_setBlockTimestampInterval failed)")?;
    let token = |name: &str, symbol: &str, decimals: u8| {
        vec![
            DynSolValue::String(name.into()),
            DynSolValue::String(symbol.into()),
            DynSolValue::Uint(U256::from(decimals), 8),
        ]
    };
    let d = |artifact, args| deploy_one(provider, deployer, artifact, args);
    let collateral = d(&abis.token, token("Wrapped Ether", "WETH", 18)).await?;
    let mut assets = Vec::new();
    for spec in reserve_specs(reserves) {
        assets.push(d(&abis.token, token(&spec.name, &spec.symbol, spec.decimals)).await?);
    }
    let pool_v1 = d(&abis.v1, vec![DynSolValue::Address(collateral)]).await?;
    let pool_v2 = d(&abis.v2, vec![DynSolValue::Address(collateral)]).await?;
    Ok(LendingDeployment { collateral, assets, pool_v1, pool_v2 })
}

/// Deploys one contract, naming it in the error.
async fn deploy_one(
    provider: &DynProvider,
    deployer: Address,
    artifact: &Artifact,
    args: Vec<DynSolValue>,
) -> Result<Address> {
    molt_chain::devnet::deploy(provider, deployer, artifact, &args)
        .await
        .wrap_err_with(|| format!("deploying {}", artifact.name))
}

/// One seeding transaction; accounts and reserves by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// The owner adds reserve `i`.
    AddReserve(usize),
    /// The owner stops reserve `i` lending (its open loans stay).
    DisableReserve(usize),
    /// The owner mints collateral tokens to a user.
    Mint {
        user: usize,
        amount: u128,
    },
    /// A user approves V1 for its collateral.
    Approve {
        user: usize,
    },
    Deposit {
        user: usize,
        amount: u128,
    },
    Withdraw {
        user: usize,
        amount: u128,
    },
    Borrow {
        user: usize,
        reserve: usize,
        amount: u128,
    },
    Repay {
        user: usize,
        reserve: usize,
        amount: u128,
    },
}

/// V1's books as the plan leaves them (mirroring LendingPoolV1's arithmetic), to size every
/// borrow and withdrawal so that none reverts.
#[derive(Debug, Clone)]
struct Ledger {
    ltv: Vec<u8>,
    collateral: Vec<u128>,
    locked: Vec<u128>,
    loans: BTreeMap<(usize, usize), u128>,
}

impl Ledger {
    fn new(ltv: Vec<u8>, accounts: usize) -> Self {
        Self {
            ltv,
            collateral: vec![0; accounts],
            locked: vec![0; accounts],
            loans: BTreeMap::new(),
        }
    }

    /// Collateral a principal locks in reserve `r`: `ceil(principal * 100 / ltv)`.
    fn lock_for(&self, principal: u128, r: usize) -> u128 {
        (principal * 100).div_ceil(u128::from(self.ltv[r]))
    }

    fn free(&self, user: usize) -> u128 {
        self.collateral[user] - self.locked[user]
    }

    fn principal(&self, user: usize, r: usize) -> u128 {
        self.loans.get(&(user, r)).copied().unwrap_or(0)
    }

    /// The most `user` can borrow from reserve `r` now.
    fn capacity(&self, user: usize, r: usize) -> u128 {
        let p = self.principal(user, r);
        (self.lock_for(p, r) + self.free(user)) * u128::from(self.ltv[r]) / 100 - p
    }

    fn borrow(&mut self, user: usize, r: usize, amount: u128) {
        let p = self.principal(user, r);
        let required = self.lock_for(p + amount, r) - self.lock_for(p, r);
        assert!(required <= self.free(user), "planned a borrow above the limit");
        self.locked[user] += required;
        self.loans.insert((user, r), p + amount);
    }

    fn repay(&mut self, user: usize, r: usize, amount: u128) {
        let p = self.principal(user, r);
        self.locked[user] -= self.lock_for(p, r) - self.lock_for(p - amount, r);
        if amount == p {
            self.loans.remove(&(user, r));
        } else {
            self.loans.insert((user, r), p - amount);
        }
    }
}

/// The seed, phase by phase: a phase's transactions depend only on earlier phases (a block
/// is mined between phases), and a user's transactions within one phase are in nonce order.
#[derive(Debug, Clone)]
struct Plan {
    phases: Vec<Vec<Action>>,
    summary: Summary,
}

/// `percent` percent of `amount`, rounded down to the grain (at least 1 when `amount` is).
fn share(amount: u128, percent: u64) -> u128 {
    let raw = amount * u128::from(percent) / 100;
    let rounded = raw - raw % GRAIN;
    if rounded > 0 { rounded } else { raw.max(amount.min(1)) }
}

/// A deterministic shuffle (Fisher-Yates) with the seed's generator.
fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

/// Plans the whole seed for `specs` reserves.
fn plan(size: LendingSize, rng: &mut Rng, specs: &[ReserveSpec]) -> Plan {
    let mut ledger = Ledger::new(specs.iter().map(|s| s.ltv).collect(), size.accounts);
    let mut phases = vec![(0..size.reserves).map(Action::AddReserve).collect()];
    phases.extend(plan_deposits(size, rng, &mut ledger));
    let (borrows, keys) = plan_borrows(size, rng, &mut ledger);
    phases.push(borrows);
    let (repays, reborrows, partly) = plan_repayments(rng, &mut ledger, &keys);
    phases.push(repays);
    phases.push(reborrows);
    phases.push(plan_withdrawals(size, rng, &mut ledger));
    if size.reserves >= 4 {
        phases.push(vec![Action::DisableReserve(size.reserves - 1)]);
    }
    let summary = Summary {
        reserves: size.reserves,
        accounts: size.accounts,
        emptied: ledger.collateral.iter().filter(|&&c| c == 0).count(),
        loans: keys.len(),
        repaid: keys.len() - ledger.loans.len(),
        partly_repaid: partly,
        transactions: phases.iter().map(Vec::len).sum(),
    };
    Plan { phases, summary }
}

/// Mints, approvals, then 1 to 3 deposits per account (0.01 to 20 units each), interleaved so
/// that one account's `CollateralDeposited` logs are far apart.
fn plan_deposits(size: LendingSize, rng: &mut Rng, ledger: &mut Ledger) -> [Vec<Action>; 3] {
    let amounts: Vec<Vec<u128>> = (0..size.accounts)
        .map(|_| {
            let n = 1 + rng.below(3) as usize;
            (0..n).map(|_| u128::from(1 + rng.below(2_000)) * (UNIT / 100)).collect()
        })
        .collect();
    let mints = amounts
        .iter()
        .enumerate()
        .map(|(user, a)| Action::Mint { user, amount: a.iter().sum() })
        .collect();
    let approvals = (0..size.accounts).map(|user| Action::Approve { user }).collect();
    let mut deposits = Vec::new();
    for round in 0..3 {
        for (user, a) in amounts.iter().enumerate() {
            if let Some(&amount) = a.get(round) {
                ledger.collateral[user] += amount;
                deposits.push(Action::Deposit { user, amount });
            }
        }
    }
    [mints, approvals, deposits]
}

/// `size.loans` distinct (borrower, reserve) loans, each 10 to 49 % of what the borrower could
/// borrow there, then top-ups (a second borrow on a tenth of them). Returns the borrows and the
/// loan keys in the order they were opened.
fn plan_borrows(
    size: LendingSize,
    rng: &mut Rng,
    ledger: &mut Ledger,
) -> (Vec<Action>, Vec<(usize, usize)>) {
    let mut pairs: Vec<(usize, usize)> =
        (0..size.borrowers()).flat_map(|u| (0..size.reserves).map(move |r| (u, r))).collect();
    shuffle(rng, &mut pairs);
    pairs.truncate(size.loans);
    let mut borrows = Vec::new();
    for &(user, reserve) in &pairs {
        let amount = share(ledger.capacity(user, reserve), 10 + rng.below(40));
        ledger.borrow(user, reserve, amount);
        borrows.push(Action::Borrow { user, reserve, amount });
    }
    for _ in 0..size.loans / 10 {
        let (user, reserve) = *rng.pick(&pairs);
        let amount = share(ledger.capacity(user, reserve), 5 + rng.below(15));
        if amount > 0 {
            ledger.borrow(user, reserve, amount);
            borrows.push(Action::Borrow { user, reserve, amount });
        }
    }
    (borrows, pairs)
}

/// Repays about 15 % of the loans in full and 10 % partly (20 to 79 %); a fifth of the loans
/// repaid in full are then borrowed again (their key was logged twice, with a deletion in
/// between). Returns the repayments, the new borrows, and how many loans stay partly repaid.
fn plan_repayments(
    rng: &mut Rng,
    ledger: &mut Ledger,
    keys: &[(usize, usize)],
) -> (Vec<Action>, Vec<Action>, usize) {
    let mut order = keys.to_vec();
    shuffle(rng, &mut order);
    let full = (keys.len() * 15).div_ceil(100);
    let partial = keys.len() / 10;
    let mut repays = Vec::new();
    for (k, &(user, reserve)) in order.iter().take(full + partial).enumerate() {
        let principal = ledger.principal(user, reserve);
        let amount = if k < full || principal < 2 {
            principal
        } else {
            share(principal, 20 + rng.below(60)).min(principal - 1)
        };
        ledger.repay(user, reserve, amount);
        repays.push(Action::Repay { user, reserve, amount });
    }
    let mut reborrows = Vec::new();
    for &(user, reserve) in order.iter().take(full / 5) {
        let amount = share(ledger.capacity(user, reserve), 10 + rng.below(20));
        if amount > 0 {
            ledger.borrow(user, reserve, amount);
            reborrows.push(Action::Borrow { user, reserve, amount });
        }
    }
    let partly =
        order[full..full + partial].iter().filter(|k| ledger.loans.contains_key(k)).count();
    (repays, reborrows, partly)
}

/// A third of the savers (accounts that never borrowed) withdraw everything; a tenth of all
/// accounts withdraw 10 to 49 % of their free collateral.
fn plan_withdrawals(size: LendingSize, rng: &mut Rng, ledger: &mut Ledger) -> Vec<Action> {
    let savers: Vec<usize> = (size.borrowers()..size.accounts).collect();
    let emptied = savers.len().div_ceil(3);
    let mut out = Vec::new();
    for &user in &savers[..emptied] {
        let amount = ledger.collateral[user];
        ledger.collateral[user] = 0;
        out.push(Action::Withdraw { user, amount });
    }
    for _ in 0..size.accounts / 10 {
        let user = rng.below(size.accounts as u64) as usize;
        let amount = share(ledger.free(user), 10 + rng.below(40));
        // Never empties an account: the share is below half of the free collateral.
        if amount > 0 && amount < ledger.collateral[user] {
            ledger.collateral[user] -= amount;
            out.push(Action::Withdraw { user, amount });
        }
    }
    out
}

/// Seeds V1 as planned: `owner` signs the owner's calls through `provider`; depositors are
/// impersonated. Returns what V1 now holds.
pub(crate) async fn seed(
    plain: &DynProvider,
    provider: &DynProvider,
    owner: Address,
    dep: &LendingDeployment,
    abis: &LendingAbis,
    size: LendingSize,
    bar: ProgressBar,
) -> Result<Summary> {
    let specs = reserve_specs(size.reserves);
    let plan = plan(size, &mut Rng(size.seed), &specs);
    let users: Vec<Address> = (0..size.accounts).map(|i| account("depositor", i)).collect();
    let gas_money = U256::from(100u64) * U256::from(UNIT);
    for user in &users {
        plain
            .raw_request::<_, serde_json::Value>("anvil_setBalance".into(), (user, gas_money))
            .await?;
    }
    let sim = Impersonator::start(plain, provider, owner, size.per_block, bar).await?;
    sim.bar.set_length(plan.summary.transactions as u64);
    let seeder = Seeder { sim: &sim, dep, abis, specs: &specs, users: &users };
    for phase in &plan.phases {
        for action in phase {
            seeder.send(*action).await?;
        }
        sim.flush().await?;
    }
    sim.stop().await?;
    Ok(plan.summary)
}

/// Turns planned actions into transactions.
struct Seeder<'a> {
    sim: &'a Impersonator,
    dep: &'a LendingDeployment,
    abis: &'a LendingAbis,
    specs: &'a [ReserveSpec],
    users: &'a [Address],
}

impl Seeder<'_> {
    async fn send(&self, action: Action) -> Result<()> {
        let (pool, token) = (&self.abis.v1.abi, &self.abis.token.abi);
        let v1 = self.dep.pool_v1;
        let amount = |a: u128| uint(U256::from(a));
        let user_call = |user: usize, to: Address, data: Vec<u8>| {
            self.sim.send(self.users[user], to, U256::ZERO, data)
        };
        match action {
            Action::AddReserve(i) => {
                let s = &self.specs[i];
                let args = [
                    DynSolValue::Address(self.dep.assets[i]),
                    DynSolValue::Uint(U256::from(s.ltv), 8),
                    DynSolValue::Uint(U256::from(s.threshold), 8),
                    DynSolValue::Uint(U256::from(s.rate_bps), 16),
                ];
                self.sim.owner_call(v1, calldata(pool, "addReserve", &args)).await
            }
            Action::DisableReserve(i) => {
                let args = [uint(U256::from(i)), DynSolValue::Bool(false)];
                self.sim.owner_call(v1, calldata(pool, "setReserveActive", &args)).await
            }
            Action::Mint { user, amount: a } => {
                let args = [DynSolValue::Address(self.users[user]), amount(a)];
                self.sim.owner_call(self.dep.collateral, calldata(token, "mint", &args)).await
            }
            Action::Approve { user } => {
                let args = [DynSolValue::Address(v1), uint(U256::MAX)];
                user_call(user, self.dep.collateral, calldata(token, "approve", &args)).await
            }
            Action::Deposit { user, amount: a } => {
                user_call(user, v1, calldata(pool, "deposit", &[amount(a)])).await
            }
            Action::Withdraw { user, amount: a } => {
                user_call(user, v1, calldata(pool, "withdraw", &[amount(a)])).await
            }
            Action::Borrow { user, reserve, amount: a } => {
                let args = [uint(U256::from(reserve)), amount(a)];
                user_call(user, v1, calldata(pool, "borrow", &args)).await
            }
            Action::Repay { user, reserve, amount: a } => {
                let args = [uint(U256::from(reserve)), amount(a)];
                user_call(user, v1, calldata(pool, "repay", &args)).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(reserves: usize, accounts: usize, loans: usize) -> LendingSize {
        LendingSize { reserves, accounts, loans, seed: 42, per_block: 1 }
    }

    /// Replays a plan's actions on a fresh ledger with V1's rules, failing on anything V1 would
    /// revert; returns the ledger and every (user, reserve) ever borrowed.
    fn replay(
        plan: &Plan,
        specs: &[ReserveSpec],
        accounts: usize,
    ) -> (Ledger, Vec<(usize, usize)>) {
        let mut l = Ledger::new(specs.iter().map(|s| s.ltv).collect(), accounts);
        let mut keys = Vec::new();
        let mut minted = vec![0u128; accounts];
        for action in plan.phases.iter().flatten() {
            match *action {
                Action::Mint { user, amount } => minted[user] += amount,
                Action::Deposit { user, amount } => {
                    assert!(amount > 0 && amount <= minted[user], "deposit without tokens");
                    minted[user] -= amount;
                    l.collateral[user] += amount;
                }
                Action::Withdraw { user, amount } => {
                    assert!(
                        amount > 0 && amount <= l.free(user),
                        "withdrawal above free collateral"
                    );
                    l.collateral[user] -= amount;
                }
                Action::Borrow { user, reserve, amount } => {
                    assert!(amount > 0, "zero borrow");
                    l.borrow(user, reserve, amount);
                    if !keys.contains(&(user, reserve)) {
                        keys.push((user, reserve));
                    }
                }
                Action::Repay { user, reserve, amount } => {
                    assert!(amount > 0 && amount <= l.principal(user, reserve), "repay above debt");
                    l.repay(user, reserve, amount);
                }
                Action::AddReserve(_) | Action::DisableReserve(_) | Action::Approve { .. } => {}
            }
        }
        (l, keys)
    }

    #[test]
    fn the_default_plan_has_every_kind_of_record_and_never_reverts() {
        let s = size(5, 200, 300);
        let specs = reserve_specs(5);
        let plan = plan(s, &mut Rng(42), &specs);
        let (ledger, keys) = replay(&plan, &specs, 200);
        assert_eq!(keys.len(), 300, "exactly --loans distinct loans");
        let repaid = keys.iter().filter(|k| !ledger.loans.contains_key(k)).count();
        assert_eq!(plan.summary.repaid, repaid);
        assert!(repaid > 0 && repaid < 300, "{repaid} repaid");
        assert!(plan.summary.partly_repaid > 0);
        let emptied = ledger.collateral.iter().filter(|&&c| c == 0).count();
        assert_eq!(plan.summary.emptied, emptied);
        assert!(emptied > 0 && emptied < 200);
        assert_eq!(plan.summary.transactions, plan.phases.iter().map(Vec::len).sum::<usize>());
        // Some accounts deposit more than once, some loans are topped up or borrowed again.
        let deposits = plan.phases.iter().flatten().filter(|a| matches!(a, Action::Deposit { .. }));
        assert!(deposits.count() > 200);
        let borrows = plan.phases.iter().flatten().filter(|a| matches!(a, Action::Borrow { .. }));
        assert!(borrows.count() > 300);
        // Locks are exactly what the open loans need, as V1 computes them.
        for (u, locked) in ledger.locked.iter().enumerate() {
            let need: u128 = ledger
                .loans
                .iter()
                .filter(|((b, _), _)| *b == u)
                .map(|(&(_, r), &p)| ledger.lock_for(p, r))
                .sum();
            assert_eq!(*locked, need, "account {u}");
        }
    }

    #[test]
    fn small_plans_still_repay_and_empty_something() {
        for (r, a, l) in [(1, 4, 1), (2, 4, 3), (4, 8, 12), (7, 30, 40)] {
            let specs = reserve_specs(r);
            let plan = plan(size(r, a, l), &mut Rng(7), &specs);
            let (_, keys) = replay(&plan, &specs, a);
            assert_eq!(keys.len(), l, "{r} reserves, {a} accounts, {l} loans");
            assert!(plan.summary.repaid >= 1, "{r}/{a}/{l}: nothing repaid");
            assert!(plan.summary.emptied >= 1, "{r}/{a}/{l}: nobody withdrew everything");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_plan() {
        let specs = reserve_specs(5);
        let a = plan(size(5, 50, 60), &mut Rng(9), &specs);
        let b = plan(size(5, 50, 60), &mut Rng(9), &specs);
        assert_eq!(a.phases, b.phases);
        let c = plan(size(5, 50, 60), &mut Rng(10), &specs);
        assert_ne!(a.phases, c.phases);
    }

    #[test]
    fn reserve_settings_stay_valid_beyond_the_five_assets() {
        let specs = reserve_specs(40);
        for s in &specs {
            assert!(0 < s.ltv && s.ltv <= s.threshold && s.threshold <= 100, "{s:?}");
        }
        assert_eq!(specs[5].symbol, "USDC2");
        assert_eq!(specs[5].ltv, 75);
    }

    #[test]
    fn too_many_loans_for_the_accounts_is_refused() {
        let err = size(2, 4, 7).check().unwrap_err();
        assert!(
            format!("{err:#}").contains("--loans 7 is more than the 6 (borrower, reserve) pairs")
        );
        assert!(size(2, 4, 6).check().is_ok());
        assert!(size(0, 4, 0).check().is_err());
        assert!(size(1, 0, 0).check().is_err());
    }
}
