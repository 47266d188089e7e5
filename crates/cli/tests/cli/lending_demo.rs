//! `molt demo --example lending --seed-only`: the lending pool's V1 on anvil holds what the seed
//! promises, found the way the manifest finds it: reserves by index, accounts and loans by the
//! keys of their events (a mapping is not enumerable), repaid loans and emptied accounts reading
//! as zeros; V1 holds exactly the accounts' collateral; V2 waits, empty, in its migration phase.

use std::collections::BTreeMap;

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::Filter,
    sol,
    sol_types::SolEvent,
};
use molt_chain::Devnet;

use crate::common::{Project, address_of, molt, refused};

sol! {
    #[sol(rpc)]
    interface LendingPoolV1 {
        event CollateralDeposited(address indexed user, uint256 amount);
        event Borrowed(address indexed borrower, uint256 indexed reserveId, uint256 amount);
        function collateralToken() external view returns (address);
        function reserveCount() external view returns (uint256);
        function reserves(uint256 id) external view returns (address asset, uint8 ltvPercent, uint8 liquidationThresholdPercent, uint16 rateBps, bool active);
        function accounts(address user) external view returns (uint128 collateral, uint64 since);
        function loans(address borrower, uint256 reserveId) external view returns (uint128 principal, uint16 rateBps, uint64 openedAt);
        function lockedCollateral(address user) external view returns (uint256);
        function paused() external view returns (bool);
    }

    #[sol(rpc)]
    interface LendingPoolV2 {
        function collateralToken() external view returns (address);
        function migrating() external view returns (bool);
        function migrator() external view returns (address);
        function reservesImported() external view returns (uint256);
        function accountsImported() external view returns (uint256);
        function loansImported() external view returns (uint256);
    }

    #[sol(rpc)]
    interface IERC20 {
        function balanceOf(address who) external view returns (uint256);
    }
}

/// The keys of every `E` log of `pool`, deduplicated in first-appearance order, and how many
/// logs there were.
async fn keys<E: SolEvent, K: Ord + Clone>(
    devnet: &Devnet,
    pool: Address,
    key: impl Fn(&E) -> K,
) -> (Vec<K>, usize) {
    let filter = Filter::new().address(pool).event_signature(E::SIGNATURE_HASH).from_block(0);
    let logs = devnet.provider().get_logs(&filter).await.unwrap();
    let mut seen = BTreeMap::new();
    let mut order = Vec::new();
    for log in &logs {
        let k = key(&log.log_decode::<E>().unwrap().inner.data);
        if seen.insert(k.clone(), ()).is_none() {
            order.push(k);
        }
    }
    (order, logs.len())
}

/// The `tokens = "0x…"` of the manifest's `[[funds]]`.
fn funds_token(text: &str) -> Address {
    let line = text.lines().find(|l| l.starts_with("tokens = ")).unwrap();
    line.split('"').nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_only_leaves_reserves_event_keyed_accounts_and_loans_in_v1() {
    let (reserves, accounts, loans) = (4u32, 24u32, 30u32);
    let project = Project::lending_on(Devnet::spawn().await.unwrap(), reserves, accounts, loans);
    let text = project.seeded_text();
    let p = project.devnet.provider();
    let v1_address: Address = address_of(text, "pool_v1").parse().unwrap();
    let v2_address: Address = address_of(text, "pool_v2").parse().unwrap();
    let v1 = LendingPoolV1::new(v1_address, &p);
    let v2 = LendingPoolV2::new(v2_address, &p);

    // The manifest names the deployed contracts, their built ABIs and the collateral token.
    for line in text.lines().filter(|l| l.contains("abi = ")) {
        let path = line.split('"').nth(3).unwrap();
        assert!(std::path::Path::new(path).is_file(), "{path} is not a file");
    }
    assert!(!text.contains("0x0000000000000000000000000000000000000001"), "{text}");
    let token = funds_token(text);
    assert_eq!(v1.collateralToken().call().await.unwrap(), token);
    assert!(!v1.paused().call().await.unwrap());

    // Reserves: an array, by index; the last one stopped lending after its loans were opened.
    assert_eq!(v1.reserveCount().call().await.unwrap(), U256::from(reserves));
    let mut rates = Vec::new();
    for i in 0..reserves {
        let r = v1.reserves(U256::from(i)).call().await.unwrap();
        assert!(0 < r.ltvPercent && r.ltvPercent <= r.liquidationThresholdPercent, "reserve {i}");
        assert!(r.liquidationThresholdPercent <= 100 && !r.asset.is_zero(), "reserve {i}");
        assert_eq!(r.active, i + 1 < reserves, "reserve {i} active");
        rates.push((r.ltvPercent, r.rateBps));
    }

    // Accounts: keyed by the CollateralDeposited logs; some deposited more than once, a few
    // withdrew everything (a deleted entry reads as zeros).
    let (users, deposit_logs) =
        keys::<LendingPoolV1::CollateralDeposited, _>(&project.devnet, v1_address, |e| e.user)
            .await;
    assert_eq!(users.len(), accounts as usize, "one key per account");
    assert!(deposit_logs > users.len(), "{deposit_logs} logs: nobody deposited twice");
    let mut collateral = BTreeMap::new();
    for u in &users {
        let a = v1.accounts(*u).call().await.unwrap();
        assert_eq!(a.collateral == 0, a.since == 0, "{u}: a half-deleted account");
        if a.collateral > 0 {
            collateral.insert(*u, U256::from(a.collateral));
        }
    }
    assert!(!collateral.is_empty() && collateral.len() < users.len(), "{} live", collateral.len());
    let total: U256 = collateral.values().copied().sum();
    let held = IERC20::new(token, &p).balanceOf(v1_address).call().await.unwrap();
    assert_eq!(held, total, "V1 holds exactly the accounts' collateral");

    // Loans: keyed by (borrower, reserveId) of the Borrowed logs; some topped up or borrowed
    // again, some repaid in full (zeros), the others at their reserve's rate.
    let (pairs, borrow_logs) =
        keys::<LendingPoolV1::Borrowed, _>(&project.devnet, v1_address, |e| {
            (e.borrower, e.reserveId)
        })
        .await;
    assert_eq!(pairs.len(), loans as usize, "one key per loan");
    assert!(borrow_logs > pairs.len(), "{borrow_logs} logs: no loan was borrowed twice");
    let mut repaid = 0;
    let mut locks: BTreeMap<Address, U256> = BTreeMap::new();
    for (borrower, reserve) in &pairs {
        let l = v1.loans(*borrower, *reserve).call().await.unwrap();
        if l.principal == 0 {
            assert_eq!((l.rateBps, l.openedAt), (0, 0), "{borrower} {reserve}: half-deleted");
            repaid += 1;
            continue;
        }
        let (ltv, rate) = rates[reserve.to::<usize>()];
        assert_eq!(l.rateBps, rate, "{borrower} {reserve}: rate");
        assert!(l.openedAt > 0);
        let lock = (U256::from(l.principal) * U256::from(100)).div_ceil(U256::from(ltv));
        *locks.entry(*borrower).or_default() += lock;
    }
    assert!(repaid > 0 && repaid < pairs.len(), "{repaid} of {} repaid", pairs.len());
    for u in &users {
        let want = locks.get(u).copied().unwrap_or_default();
        assert_eq!(v1.lockedCollateral(*u).call().await.unwrap(), want, "{u}: locked");
    }

    // V2: deployed for the same collateral, empty, in its migration phase, the deployer its
    // migrator.
    assert_eq!(v2.collateralToken().call().await.unwrap(), token);
    assert!(v2.migrating().call().await.unwrap());
    assert_eq!(v2.migrator().call().await.unwrap(), project.devnet.accounts()[0]);
    assert_eq!(v2.reservesImported().call().await.unwrap(), U256::ZERO);
    assert_eq!(v2.accountsImported().call().await.unwrap(), U256::ZERO);
    assert_eq!(v2.loansImported().call().await.unwrap(), U256::ZERO);
}

#[test]
fn sizes_of_the_other_example_or_that_do_not_fit_are_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let demo = || {
        let mut cmd = molt();
        cmd.args(["demo", "--seed-only", "--out"]).arg(dir.path());
        cmd
    };
    refused(
        demo().args(["--example", "lending", "--nodes", "3"]),
        &["--nodes sizes the fabstir example, not the lending one", "hint: pass --example fabstir"],
    );
    refused(demo().args(["--loans", "3"]), &["--loans sizes the lending example"]);
    refused(
        demo().args(["--example", "lending", "--reserves", "2", "--accounts", "4", "--loans", "7"]),
        &["--loans 7 is more than the 6 (borrower, reserve) pairs", "hint: raise --accounts"],
    );
    // Nothing was started or written.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
