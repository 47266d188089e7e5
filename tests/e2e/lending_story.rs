//! The lending example (contracts/src/lending) from V1 to V2, as its operator runs it: seed V1
//! with `molt demo --example lending --seed-only`, `molt plan`, `molt migrate`, `molt verify`.
//! Then V2 is read back record by record and compared with V1 by a reading of its own (not
//! molt's): every live reserve, account and loan of V1 is in V2 with the manifest's rules
//! applied, the emptied ones are not, and the collateral moved to the wei.

use std::collections::BTreeSet;

use alloy::{
    primitives::{Address, U256},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol,
    sol_types::SolEvent,
};
use molt_chain::Devnet;
use serde_json::Value;

use crate::common::{Project, address_of, is_paused, report, run};

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
    }

    #[sol(rpc)]
    interface LendingPoolV2 {
        struct Reserve { address asset; uint32 ltvBps; uint32 liquidationThresholdBps; bool active; bool listed; uint256 rateWad; uint256 borrowCap; uint256 totalBorrowed; }
        struct Account { uint256 collateral; uint64 depositedAt; uint8 tier; bool opened; }
        struct Loan { uint256 principal; uint256 rateWad; uint64 openedAt; }
        function getReserve(uint256 id) external view returns (Reserve memory);
        function accountOf(address user) external view returns (Account memory);
        function loanOf(address borrower, uint256 reserveId) external view returns (Loan memory);
        function lockedCollateral(address user) external view returns (uint256);
        function totalCollateral() external view returns (uint256);
        function migrating() external view returns (bool);
        function reservesImported() external view returns (uint256);
        function accountsImported() external view returns (uint256);
        function loansImported() external view returns (uint256);
    }

    #[sol(rpc)]
    interface IERC20 {
        function balanceOf(address who) external view returns (uint256);
    }
}

/// V1 bps -> V2 WAD (1e18 = 100 %), the manifest's `mul = 100000000000000`.
const BPS_TO_WAD: u64 = 100_000_000_000_000;

/// `molt --json <args>` in the project: the document on stdout of a command that succeeded.
fn json(project: &Project, args: &[&str]) -> Value {
    report(&run(project.molt().arg("--json").args(args)))
}

/// The distinct keys of every `E` log of `pool`, as `key` makes them.
async fn keys<E: SolEvent, K: Ord>(p: &DynProvider, pool: Address, key: impl Fn(E) -> K) -> Vec<K> {
    let filter = Filter::new().address(pool).event_signature(E::SIGNATURE_HASH).from_block(0);
    let logs = p.get_logs(&filter).await.unwrap();
    let keys: BTreeSet<K> =
        logs.iter().map(|l| key(l.log_decode::<E>().unwrap().inner.data)).collect();
    keys.into_iter().collect()
}

/// What the run reported for component `name`.
fn component<'a>(done: &'a Value, name: &str) -> &'a Value {
    done["components"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

/// Every V1 reserve is in V2 under its index: percentages in basis points, the rate in WAD.
async fn check_reserves(v1: &LendingPoolV1::LendingPoolV1Instance<&DynProvider>, v2: &V2<'_>) {
    let count = v1.reserveCount().call().await.unwrap().to::<u64>();
    assert!(count > 0);
    assert_eq!(v2.reservesImported().call().await.unwrap(), U256::from(count));
    for id in 0..count {
        let old = v1.reserves(U256::from(id)).call().await.unwrap();
        let new = v2.getReserve(U256::from(id)).call().await.unwrap();
        assert_eq!(new.asset, old.asset, "reserve {id}");
        assert_eq!(new.ltvBps, u32::from(old.ltvPercent) * 100, "reserve {id}");
        assert_eq!(new.liquidationThresholdBps, u32::from(old.liquidationThresholdPercent) * 100);
        assert_eq!(new.rateWad, U256::from(old.rateBps) * U256::from(BPS_TO_WAD), "reserve {id}");
        assert_eq!((new.active, new.listed, new.borrowCap), (old.active, true, U256::ZERO));
    }
}

type V2<'a> = LendingPoolV2::LendingPoolV2Instance<&'a DynProvider>;

/// Every account of V1 with collateral is in V2 (tier 0, its deposit time kept), the emptied
/// ones are not; the locks that loans put on collateral are the same. Returns how many moved
/// and their collateral.
async fn check_accounts(
    p: &DynProvider,
    v1: &LendingPoolV1::LendingPoolV1Instance<&DynProvider>,
    v2: &V2<'_>,
) -> (usize, U256) {
    let users = keys(p, *v1.address(), |e: LendingPoolV1::CollateralDeposited| e.user).await;
    let (mut live, mut total) = (0, U256::ZERO);
    for user in users {
        let old = v1.accounts(user).call().await.unwrap();
        let new = v2.accountOf(user).call().await.unwrap();
        if old.collateral == 0 {
            assert!(!new.opened && new.collateral.is_zero(), "{user}: emptied, yet migrated");
            continue;
        }
        assert_eq!(new.collateral, U256::from(old.collateral), "{user}");
        assert_eq!((new.depositedAt, new.tier, new.opened), (old.since, 0, true), "{user}");
        let locked = v1.lockedCollateral(user).call().await.unwrap();
        assert_eq!(v2.lockedCollateral(user).call().await.unwrap(), locked, "{user}: locked");
        live += 1;
        total += new.collateral;
    }
    (live, total)
}

/// Every open loan of V1, keyed by (borrower, reserve), is in V2 with its rate in WAD; the ones
/// repaid in full are not. Returns how many moved.
async fn check_loans(
    p: &DynProvider,
    v1: &LendingPoolV1::LendingPoolV1Instance<&DynProvider>,
    v2: &V2<'_>,
) -> usize {
    let pairs =
        keys(p, *v1.address(), |e: LendingPoolV1::Borrowed| (e.borrower, e.reserveId)).await;
    let mut live = 0;
    for (borrower, reserve) in pairs {
        let old = v1.loans(borrower, reserve).call().await.unwrap();
        let new = v2.loanOf(borrower, reserve).call().await.unwrap();
        if old.principal == 0 {
            assert!(new.principal.is_zero(), "{borrower} {reserve}: repaid, yet migrated");
            continue;
        }
        assert_eq!(new.principal, U256::from(old.principal), "{borrower} {reserve}");
        assert_eq!(new.rateWad, U256::from(old.rateBps) * U256::from(BPS_TO_WAD));
        assert_eq!(new.openedAt, old.openedAt, "{borrower} {reserve}");
        live += 1;
    }
    live
}

#[tokio::test(flavor = "multi_thread")]
async fn lending_v1_to_v2_seed_plan_migrate_verify_and_read_back_record_by_record() {
    let project = Project::lending_on(Devnet::spawn().await.unwrap(), 4, 40, 60);
    let text = project.seeded_text();
    let p = project.devnet.provider();
    let v1 = LendingPoolV1::new(address_of(text, "pool_v1").parse().unwrap(), p);
    let v2 = LendingPoolV2::new(address_of(text, "pool_v2").parse().unwrap(), p);
    let token = v1.collateralToken().call().await.unwrap();
    let held_before = IERC20::new(token, p).balanceOf(*v1.address()).call().await.unwrap();

    let plan = json(&project, &["plan"]);
    assert_eq!(plan["verified_on_fork"], true, "{plan:#}");
    assert!(!project.journal_path().exists(), "the plan wrote a journal");

    let done = report(&project.migrate(None));
    assert_eq!((&done["verified"], &done["finalized"]), (&true.into(), &true.into()), "{done:#}");
    assert!(is_paused(&project.devnet, v1.address().to_string().as_str()).await);
    assert!(!v2.migrating().call().await.unwrap());

    // The manifest's rules, checked against V1 by a reading of its own.
    check_reserves(&v1, &v2).await;
    let (accounts, collateral) = check_accounts(p, &v1, &v2).await;
    let loans = check_loans(p, &v1, &v2).await;
    assert_eq!(v2.accountsImported().call().await.unwrap(), U256::from(accounts));
    assert_eq!(v2.loansImported().call().await.unwrap(), U256::from(loans));

    // The run's figures are those: records read from every key, the emptied ones filtered out.
    for (name, live) in [("accounts", accounts), ("loans", loans)] {
        let c = component(&done, name);
        assert_eq!(c["migrated"], live, "{c}");
        let (read, filtered) = (c["read"].as_u64().unwrap(), c["filtered"].as_u64().unwrap());
        assert_eq!(read - filtered, live as u64, "{c}");
        assert!(filtered > 0, "the seed empties some {name}: {c}");
        assert_eq!(c["keys_from"]["from"], "event", "{c}");
    }

    // The collateral moved to the wei: V1 holds nothing, V2 exactly what its accounts hold.
    assert_eq!(collateral, held_before);
    assert_eq!(IERC20::new(token, p).balanceOf(*v1.address()).call().await.unwrap(), U256::ZERO);
    assert_eq!(IERC20::new(token, p).balanceOf(*v2.address()).call().await.unwrap(), collateral);
    assert_eq!(v2.totalCollateral().call().await.unwrap(), collateral);

    // `molt verify` finds what the run found; a second run sends nothing.
    let verified = json(&project, &["verify"]);
    assert_eq!(verified["verified"], true, "{verified:#}");
    assert_eq!(verified["funds"], done["funds"]);
    assert_eq!(report(&project.migrate(None))["txs"], 0);
}
