// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {Vm} from "../utils/Vm.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {LendingPoolV1} from "../../src/lending/LendingPoolV1.sol";
import {LendingPoolV2} from "../../src/lending/LendingPoolV2.sol";
import {TestToken} from "../../src/token/TestToken.sol";

/// @notice End to end, as molt does it: seed V1, discover the account and loan keys from V1's events,
/// pause V1, move the collateral, import reserves (by index), accounts and loans (keyed, zeros filtered
/// out) into V2, check each set's digest and count and the read-back views, finalize, and use V2.
contract LendingMigrationTest is Test {
    LendingPoolV1 internal v1;
    LendingPoolV2 internal v2;
    TestToken internal weth;

    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA401);
    address internal dave = address(0xDA7E);

    /// A discovered composite key.
    struct LoanKey {
        address borrower;
        uint256 reserveId;
    }

    function setUp() public {
        vm.warp(1_700_000_000);
        weth = new TestToken("Wrapped Ether", "WETH", 18);
        v1 = new LendingPoolV1(IERC20(address(weth)));
        v1.addReserve(address(0x05DC), 80, 85, 450);
        v1.addReserve(address(0xDA1), 75, 80, 300);
        v1.addReserve(address(0x7E7), 50, 65, 1_200);
        v1.setReserveActive(2, false);
        address[4] memory users = [alice, bob, carol, dave];
        for (uint256 i; i < users.length; ++i) {
            weth.mint(users[i], 100 ether);
            vm.prank(users[i]);
            weth.approve(address(v1), type(uint256).max);
        }
        vm.recordLogs();
        _seedV1();
    }

    function _seedV1() internal {
        vm.startPrank(alice);
        v1.deposit(10 ether);
        v1.borrow(0, 4 ether);
        v1.borrow(1, 1 ether);
        vm.stopPrank();

        vm.warp(1_700_000_100);
        vm.startPrank(bob);
        v1.deposit(5 ether);
        v1.borrow(0, 1 ether);
        v1.repay(0, 1 ether); // repaid: reads as zeros
        v1.borrow(1, 2 ether);
        v1.deposit(1 ether); // a second deposit event for the same key
        vm.stopPrank();

        vm.warp(1_700_000_200);
        vm.startPrank(carol);
        v1.deposit(3 ether);
        v1.withdraw(3 ether); // withdrew everything: reads as zeros
        vm.stopPrank();

        vm.warp(1_700_000_300);
        vm.startPrank(dave);
        v1.deposit(7 ether);
        v1.borrow(1, 3 ether);
        v1.repay(1, 0.5 ether); // partly repaid
        v1.withdraw(2 ether);
        vm.stopPrank();
    }

    // ---- key discovery: what molt's `keys = { event = ... }` does ----

    function _discover() internal returns (address[] memory users, LoanKey[] memory loanKeys) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 deposited = keccak256("CollateralDeposited(address,uint256)");
        bytes32 borrowed = keccak256("Borrowed(address,uint256,uint256)");
        users = new address[](logs.length);
        loanKeys = new LoanKey[](logs.length);
        uint256 nu;
        uint256 nl;
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != address(v1)) continue;
            if (log.topics[0] == deposited) {
                address user = address(uint160(uint256(log.topics[1])));
                if (!_seenUser(users, nu, user)) users[nu++] = user;
            } else if (log.topics[0] == borrowed) {
                LoanKey memory k = LoanKey(address(uint160(uint256(log.topics[1]))), uint256(log.topics[2]));
                if (!_seenLoan(loanKeys, nl, k)) loanKeys[nl++] = k;
            }
        }
        assembly {
            mstore(users, nu)
            mstore(loanKeys, nl)
        }
    }

    function _seenUser(address[] memory list, uint256 n, address user) internal pure returns (bool) {
        for (uint256 i; i < n; ++i) {
            if (list[i] == user) return true;
        }
        return false;
    }

    function _seenLoan(LoanKey[] memory list, uint256 n, LoanKey memory k) internal pure returns (bool) {
        for (uint256 i; i < n; ++i) {
            if (list[i].borrower == k.borrower && list[i].reserveId == k.reserveId) return true;
        }
        return false;
    }

    // ---- the records molt builds from the manifest's map rules ----

    function _reserveImports() internal view returns (LendingPoolV2.ReserveImport[] memory recs) {
        uint256 n = v1.reserveCount();
        recs = new LendingPoolV2.ReserveImport[](n);
        for (uint256 i; i < n; ++i) {
            (address asset, uint8 ltv, uint8 threshold, uint16 rate, bool active) = v1.reserves(i);
            recs[i] = LendingPoolV2.ReserveImport({
                id: i, // $index
                asset: asset,
                ltvBps: uint32(ltv) * 100,
                liquidationThresholdBps: uint32(threshold) * 100,
                rateWad: uint256(rate) * 1e14,
                borrowCap: 0, // default
                active: active
            });
        }
    }

    function _accountImports(address[] memory users)
        internal
        view
        returns (LendingPoolV2.AccountImport[] memory recs, uint256 skipped)
    {
        recs = new LendingPoolV2.AccountImport[](users.length);
        uint256 k;
        for (uint256 i; i < users.length; ++i) {
            (uint128 collateral, uint64 since) = v1.accounts(users[i]);
            if (collateral == 0) continue; // filter = { field = "collateral", nonzero = true }
            recs[k++] = LendingPoolV2.AccountImport({
                user: users[i], // $key
                collateral: collateral,
                depositedAt: since,
                tier: 0 // default
            });
        }
        skipped = users.length - k;
        assembly {
            mstore(recs, k)
        }
    }

    function _loanImports(LoanKey[] memory keys)
        internal
        view
        returns (LendingPoolV2.LoanImport[] memory recs, uint256 skipped)
    {
        recs = new LendingPoolV2.LoanImport[](keys.length);
        uint256 k;
        for (uint256 i; i < keys.length; ++i) {
            (uint128 principal, uint16 rate, uint64 openedAt) = v1.loans(keys[i].borrower, keys[i].reserveId);
            if (principal == 0) continue; // filter = { field = "principal", nonzero = true }
            recs[k++] = LendingPoolV2.LoanImport({
                borrower: keys[i].borrower, // $key.0
                reserveId: keys[i].reserveId, // $key.1
                principal: principal,
                rateWad: uint256(rate) * 1e14,
                openedAt: openedAt
            });
        }
        skipped = keys.length - k;
        assembly {
            mstore(recs, k)
        }
    }

    function _digest(LendingPoolV2.ReserveImport[] memory recs) internal pure returns (bytes32 d) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
    }

    function _digest(LendingPoolV2.AccountImport[] memory recs) internal pure returns (bytes32 d) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
    }

    function _digest(LendingPoolV2.LoanImport[] memory recs) internal pure returns (bytes32 d) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
    }

    function _slice(LendingPoolV2.AccountImport[] memory recs, uint256 from, uint256 to)
        internal
        pure
        returns (LendingPoolV2.AccountImport[] memory out)
    {
        out = new LendingPoolV2.AccountImport[](to - from);
        for (uint256 i = from; i < to; ++i) {
            out[i - from] = recs[i];
        }
    }

    function test_EndToEndMigration() public {
        // 1. Keys from the events (deduplicated, first appearance), then pause.
        (address[] memory users, LoanKey[] memory loanKeys) = _discover();
        assertEq(users.length, 4, "alice, bob, carol, dave");
        assertEq(loanKeys.length, 5, "alice 0, alice 1, bob 0, bob 1, dave 1");
        v1.pause();

        // 2. V2 in its migration phase; the collateral moves (the funds step).
        v2 = new LendingPoolV2(IERC20(address(weth)));
        uint256 held = weth.balanceOf(address(v1));
        assertEq(held, 10 ether + 6 ether + 5 ether, "V1 holds exactly the accounts' collateral");
        v1.transferCollateral(address(v2), held);
        assertEq(weth.balanceOf(address(v2)), held);

        // 3. The records, as the manifest maps them.
        LendingPoolV2.ReserveImport[] memory reserves = _reserveImports();
        (LendingPoolV2.AccountImport[] memory accounts, uint256 skippedAccounts) = _accountImports(users);
        (LendingPoolV2.LoanImport[] memory loans, uint256 skippedLoans) = _loanImports(loanKeys);
        assertEq(skippedAccounts, 1, "carol withdrew everything");
        assertEq(skippedLoans, 1, "bob repaid reserve 0");
        assertEq(accounts.length, 3);
        assertEq(loans.length, 4);

        // 4. Import: loans need their reserves (depends_on); accounts in two batches.
        v2.importReserves(reserves);
        v2.importAccounts(_slice(accounts, 0, 2));
        // A resumed run replaying a batch cannot double-import.
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV2.AccountAlreadyImported.selector, accounts[0].user)
        );
        v2.importAccounts(_slice(accounts, 0, 2));
        v2.importAccounts(_slice(accounts, 2, 3));
        v2.importLoans(loans);

        // 5. One digest and count per record set.
        assertEq(v2.reservesDigest(), _digest(reserves));
        assertEq(v2.reservesImported(), 3);
        assertEq(v2.accountsDigest(), _digest(accounts));
        assertEq(v2.accountsImported(), 3);
        assertEq(v2.loansDigest(), _digest(loans));
        assertEq(v2.loansImported(), 4);
        assertTrue(v2.reservesDigest() != v2.accountsDigest() && v2.accountsDigest() != v2.loansDigest());

        // 6. Read back through the views; funds and locks agree with V1.
        for (uint256 i; i < reserves.length; ++i) {
            LendingPoolV2.Reserve memory r = v2.getReserve(i);
            assertEq(r.asset, reserves[i].asset);
            assertEq(r.ltvBps, reserves[i].ltvBps);
            assertEq(r.liquidationThresholdBps, reserves[i].liquidationThresholdBps);
            assertEq(r.rateWad, reserves[i].rateWad);
            assertEq(r.borrowCap, 0);
            assertEq(r.active, reserves[i].active);
        }
        assertEq(v2.getReserve(0).ltvBps, 8_000);
        assertEq(v2.getReserve(2).rateWad, 0.12e18);
        assertFalse(v2.getReserve(2).active);
        for (uint256 i; i < accounts.length; ++i) {
            LendingPoolV2.Account memory a = v2.accountOf(accounts[i].user);
            assertEq(a.collateral, accounts[i].collateral);
            assertEq(a.depositedAt, accounts[i].depositedAt);
            assertEq(a.tier, 0);
        }
        assertEq(v2.accountOf(bob).depositedAt, 1_700_000_100);
        assertEq(v2.accountOf(carol).collateral, 0);
        for (uint256 i; i < loans.length; ++i) {
            LendingPoolV2.Loan memory l = v2.loanOf(loans[i].borrower, loans[i].reserveId);
            assertEq(l.principal, loans[i].principal);
            assertEq(l.rateWad, loans[i].rateWad);
            assertEq(l.openedAt, loans[i].openedAt);
        }
        assertEq(v2.loanOf(dave, 1).principal, 2.5 ether);
        assertEq(v2.loanOf(bob, 0).principal, 0);
        assertEq(v2.totalCollateral(), held);
        for (uint256 i; i < users.length; ++i) {
            assertEq(v2.lockedCollateral(users[i]), v1.lockedCollateral(users[i]), "locks recomputed");
        }
        assertEq(v2.getReserve(1).totalBorrowed, 1 ether + 2 ether + 2.5 ether);

        // 7. Finalize; the pool works on V2.
        v2.finalizeMigration();
        vm.startPrank(alice);
        uint256 free = 10 ether - v2.lockedCollateral(alice);
        v2.withdraw(free);
        v2.repay(0, 4 ether);
        v2.withdraw(5 ether);
        vm.stopPrank();
        assertEq(v2.lockedCollateral(alice), v1.lockedCollateral(alice) - 5 ether);
        vm.prank(carol);
        weth.approve(address(v2), type(uint256).max);
        vm.prank(carol);
        v2.deposit(1 ether);
        assertEq(v2.accountOf(carol).collateral, 1 ether);
        assertEq(weth.balanceOf(address(v2)), v2.totalCollateral());
    }
}
