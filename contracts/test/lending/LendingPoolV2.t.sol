// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {LendingPoolV2} from "../../src/lending/LendingPoolV2.sol";
import {TestToken} from "../../src/token/TestToken.sol";

contract LendingPoolV2Test is Test {
    LendingPoolV2 internal pool;
    TestToken internal collateral;
    address internal migrator = address(0x4D16);
    address internal usdc = address(0x05DC);
    address internal dai = address(0xDA1);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal stranger = address(0xCAFE);

    function setUp() public {
        vm.warp(1_800_000_000);
        collateral = new TestToken("Wrapped Ether", "WETH", 18);
        pool = new LendingPoolV2(IERC20(address(collateral)));
        pool.setMigrator(migrator);
        address[2] memory users = [alice, bob];
        for (uint256 i; i < users.length; ++i) {
            collateral.mint(users[i], 1_000 ether);
            vm.prank(users[i]);
            collateral.approve(address(pool), type(uint256).max);
        }
    }

    // ---- record builders and digests ----

    function _r(uint256 id, address asset, uint32 ltv, uint32 threshold)
        internal
        pure
        returns (LendingPoolV2.ReserveImport memory)
    {
        return LendingPoolV2.ReserveImport(id, asset, ltv, threshold, 450e14, 0, true);
    }

    function _a(address user, uint256 amount) internal pure returns (LendingPoolV2.AccountImport memory) {
        return LendingPoolV2.AccountImport(user, amount, 1_700_000_000, 0);
    }

    function _l(address borrower, uint256 reserveId, uint256 principal)
        internal
        pure
        returns (LendingPoolV2.LoanImport memory)
    {
        return LendingPoolV2.LoanImport(borrower, reserveId, principal, 300e14, 1_700_000_100);
    }

    function _reserves2() internal view returns (LendingPoolV2.ReserveImport[] memory recs) {
        recs = new LendingPoolV2.ReserveImport[](2);
        recs[0] = _r(0, usdc, 8_000, 8_500);
        recs[1] = _r(1, dai, 7_500, 8_000);
    }

    function _one(LendingPoolV2.ReserveImport memory r)
        internal
        pure
        returns (LendingPoolV2.ReserveImport[] memory recs)
    {
        recs = new LendingPoolV2.ReserveImport[](1);
        recs[0] = r;
    }

    function _one(LendingPoolV2.AccountImport memory a)
        internal
        pure
        returns (LendingPoolV2.AccountImport[] memory recs)
    {
        recs = new LendingPoolV2.AccountImport[](1);
        recs[0] = a;
    }

    function _one(LendingPoolV2.LoanImport memory l)
        internal
        pure
        returns (LendingPoolV2.LoanImport[] memory recs)
    {
        recs = new LendingPoolV2.LoanImport[](1);
        recs[0] = l;
    }

    function _digest(bytes32 d, LendingPoolV2.ReserveImport[] memory recs) internal pure returns (bytes32) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
        return d;
    }

    function _digest(bytes32 d, LendingPoolV2.AccountImport[] memory recs) internal pure returns (bytes32) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
        return d;
    }

    function _digest(bytes32 d, LendingPoolV2.LoanImport[] memory recs) internal pure returns (bytes32) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
        return d;
    }

    function _importReserves(LendingPoolV2.ReserveImport[] memory recs) internal {
        vm.prank(migrator);
        pool.importReserves(recs);
    }

    function _importAccounts(LendingPoolV2.AccountImport[] memory recs) internal {
        vm.prank(migrator);
        pool.importAccounts(recs);
    }

    function _importLoans(LendingPoolV2.LoanImport[] memory recs) internal {
        vm.prank(migrator);
        pool.importLoans(recs);
    }

    /// Reserves 0 and 1, alice with 10 ether of collateral (funded), a 4 ether loan of alice in reserve 0;
    /// then the phase ends.
    function _migratedAndFinalized() internal {
        _importReserves(_reserves2());
        collateral.mint(address(pool), 10 ether);
        _importAccounts(_one(_a(alice, 10 ether)));
        _importLoans(_one(_l(alice, 0, 4 ether)));
        pool.finalizeMigration();
    }

    // ---- construction and the migrator ----

    function test_Constructor() public {
        LendingPoolV2 fresh = new LendingPoolV2(IERC20(address(collateral)));
        assertEq(fresh.migrator(), address(this));
        assertEq(fresh.owner(), address(this));
        assertTrue(fresh.migrating());
        assertEq(address(fresh.collateralToken()), address(collateral));
        assertEq(fresh.reservesDigest(), bytes32(0));
        assertEq(fresh.accountsImported() + fresh.loansImported() + fresh.reservesImported(), 0);
    }

    function test_RevertWhen_ConstructedWithoutToken() public {
        vm.expectRevert(LendingPoolV2.ZeroAddress.selector);
        new LendingPoolV2(IERC20(address(0)));
    }

    function test_SetMigrator() public {
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.MigratorSet(bob);
        pool.setMigrator(bob);
        assertEq(pool.migrator(), bob);
        // The old migrator lost the right.
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.NotMigrator.selector, migrator));
        pool.importReserves(_reserves2());
    }

    function test_RevertWhen_SetMigratorNotOwnerZeroOrClosed() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.setMigrator(stranger);
        vm.expectRevert(LendingPoolV2.ZeroAddress.selector);
        pool.setMigrator(address(0));
        pool.finalizeMigration();
        vm.expectRevert(LendingPoolV2.MigrationClosed.selector);
        pool.setMigrator(bob);
    }

    // ---- importReserves ----

    function test_ImportReserves() public {
        LendingPoolV2.ReserveImport[] memory recs = _reserves2();
        recs[1].borrowCap = 1_000 ether;
        recs[1].active = false;
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.ReservesImported(2, _digest(bytes32(0), recs));
        _importReserves(recs);
        assertEq(pool.reservesDigest(), _digest(bytes32(0), recs));
        assertEq(pool.reservesImported(), 2);
        assertEq(pool.nextReserveId(), 2);
        LendingPoolV2.Reserve memory r = pool.getReserve(1);
        assertEq(r.asset, dai);
        assertEq(r.ltvBps, 7_500);
        assertEq(r.liquidationThresholdBps, 8_000);
        assertEq(r.rateWad, 450e14);
        assertEq(r.borrowCap, 1_000 ether);
        assertFalse(r.active);
        assertTrue(r.listed);
        assertEq(r.totalBorrowed, 0);
        // The other sets' digests are untouched.
        assertEq(pool.accountsDigest(), bytes32(0));
        assertEq(pool.loansDigest(), bytes32(0));
    }

    function test_ImportReservesUnderSparseIds() public {
        _importReserves(_one(_r(7, usdc, 5_000, 6_000)));
        _importReserves(_one(_r(3, dai, 5_000, 6_000)));
        assertEq(pool.nextReserveId(), 8);
        assertEq(pool.getReserve(3).asset, dai);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.UnknownReserve.selector, 0));
        pool.getReserve(0);
    }

    function test_ReserveDigestIgnoresBatching() public {
        LendingPoolV2.ReserveImport[] memory recs = _reserves2();
        _importReserves(_one(recs[0]));
        _importReserves(_one(recs[1]));
        assertEq(pool.reservesDigest(), _digest(bytes32(0), recs));
        assertEq(pool.reservesImported(), 2);
    }

    function test_RevertWhen_ReserveImportedTwice() public {
        LendingPoolV2.ReserveImport[] memory twice = new LendingPoolV2.ReserveImport[](2);
        twice[0] = _r(4, usdc, 5_000, 6_000);
        twice[1] = _r(4, dai, 5_000, 6_000);
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.ReserveAlreadyImported.selector, 4));
        pool.importReserves(twice);
        _importReserves(_reserves2());
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.ReserveAlreadyImported.selector, 0));
        pool.importReserves(_reserves2());
    }

    function test_RevertWhen_ReserveImportInvalid() public {
        vm.startPrank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.InvalidReserveSettings.selector, 0, 0, 6_000));
        pool.importReserves(_one(_r(0, usdc, 0, 6_000)));
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV2.InvalidReserveSettings.selector, 0, 7_000, 6_000)
        );
        pool.importReserves(_one(_r(0, usdc, 7_000, 6_000)));
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV2.InvalidReserveSettings.selector, 0, 7_000, 10_001)
        );
        pool.importReserves(_one(_r(0, usdc, 7_000, 10_001)));
        vm.expectRevert(LendingPoolV2.ZeroAddress.selector);
        pool.importReserves(_one(_r(0, address(0), 7_000, 8_000)));
        vm.expectRevert(LendingPoolV2.EmptyBatch.selector);
        pool.importReserves(new LendingPoolV2.ReserveImport[](0));
        vm.stopPrank();
    }

    function test_RevertWhen_ImportReservesNotMigratorOrClosed() public {
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.NotMigrator.selector, address(this)));
        pool.importReserves(_reserves2());
        pool.finalizeMigration();
        vm.prank(migrator);
        vm.expectRevert(LendingPoolV2.MigrationClosed.selector);
        pool.importReserves(_reserves2());
    }

    // ---- importAccounts ----

    function test_ImportAccounts() public {
        LendingPoolV2.AccountImport[] memory recs = new LendingPoolV2.AccountImport[](2);
        recs[0] = _a(alice, 10 ether);
        recs[1] = LendingPoolV2.AccountImport(bob, 2.5 ether, 1_700_000_777, 3);
        collateral.mint(address(pool), 12.5 ether);
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.AccountsImported(2, _digest(bytes32(0), recs));
        _importAccounts(recs);
        assertEq(pool.accountsDigest(), _digest(bytes32(0), recs));
        assertEq(pool.accountsImported(), 2);
        assertEq(pool.totalCollateral(), 12.5 ether);
        LendingPoolV2.Account memory b = pool.accountOf(bob);
        assertEq(b.collateral, 2.5 ether);
        assertEq(b.depositedAt, 1_700_000_777);
        assertEq(b.tier, 3);
        assertTrue(b.opened);
        assertEq(pool.reservesDigest(), bytes32(0));
    }

    function test_AccountDigestIgnoresBatching() public {
        LendingPoolV2.AccountImport[] memory recs = new LendingPoolV2.AccountImport[](2);
        recs[0] = _a(alice, 1 ether);
        recs[1] = _a(bob, 2 ether);
        collateral.mint(address(pool), 3 ether);
        _importAccounts(_one(recs[0]));
        _importAccounts(_one(recs[1]));
        assertEq(pool.accountsDigest(), _digest(bytes32(0), recs));
    }

    function test_RevertWhen_AccountsExceedTheCollateralHeld() public {
        collateral.mint(address(pool), 3 ether);
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(
                LendingPoolV2.InsufficientMigratedFunds.selector, 3.000000000000000001 ether, 3 ether
            )
        );
        pool.importAccounts(_one(_a(alice, 3.000000000000000001 ether)));
        // Across batches too: the total counts.
        _importAccounts(_one(_a(alice, 2 ether)));
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV2.InsufficientMigratedFunds.selector, 3.5 ether, 3 ether)
        );
        pool.importAccounts(_one(_a(bob, 1.5 ether)));
        _importAccounts(_one(_a(bob, 1 ether)));
        assertEq(pool.totalCollateral(), 3 ether);
    }

    function test_RevertWhen_AccountImportedTwice() public {
        collateral.mint(address(pool), 10 ether);
        LendingPoolV2.AccountImport[] memory twice = new LendingPoolV2.AccountImport[](2);
        twice[0] = _a(alice, 1 ether);
        twice[1] = _a(alice, 1 ether);
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.AccountAlreadyImported.selector, alice));
        pool.importAccounts(twice);
        _importAccounts(_one(_a(alice, 1 ether)));
        // Even with no collateral, the account exists.
        _importAccounts(_one(_a(bob, 0)));
        vm.startPrank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.AccountAlreadyImported.selector, bob));
        pool.importAccounts(_one(_a(bob, 0)));
        vm.expectRevert(LendingPoolV2.ZeroAddress.selector);
        pool.importAccounts(_one(_a(address(0), 1)));
        vm.expectRevert(LendingPoolV2.EmptyBatch.selector);
        pool.importAccounts(new LendingPoolV2.AccountImport[](0));
        vm.stopPrank();
    }

    function test_RevertWhen_ImportAccountsNotMigratorOrClosed() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.NotMigrator.selector, stranger));
        pool.importAccounts(_one(_a(alice, 0)));
        pool.finalizeMigration();
        vm.prank(migrator);
        vm.expectRevert(LendingPoolV2.MigrationClosed.selector);
        pool.importAccounts(_one(_a(alice, 0)));
    }

    // ---- importLoans ----

    function test_ImportLoans() public {
        _importReserves(_reserves2());
        LendingPoolV2.LoanImport[] memory recs = new LendingPoolV2.LoanImport[](3);
        recs[0] = _l(alice, 0, 4 ether);
        recs[1] = _l(alice, 1, 3 ether);
        recs[2] = _l(bob, 0, 1 ether);
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.LoansImported(3, _digest(bytes32(0), recs));
        _importLoans(recs);
        assertEq(pool.loansDigest(), _digest(bytes32(0), recs));
        assertEq(pool.loansImported(), 3);
        LendingPoolV2.Loan memory l = pool.loanOf(alice, 1);
        assertEq(l.principal, 3 ether);
        assertEq(l.rateWad, 300e14);
        assertEq(l.openedAt, 1_700_000_100);
        // 4 at 80 % locks 5, 3 at 75 % locks 4.
        assertEq(pool.lockedCollateral(alice), 9 ether);
        assertEq(pool.lockedCollateral(bob), 1.25 ether);
        assertEq(pool.getReserve(0).totalBorrowed, 5 ether);
        // A loan that was never imported reads as zeros.
        assertEq(pool.loanOf(bob, 1).principal, 0);
        assertEq(pool.accountsDigest(), bytes32(0));
    }

    function test_LoanDigestIgnoresBatching() public {
        _importReserves(_reserves2());
        LendingPoolV2.LoanImport[] memory recs = new LendingPoolV2.LoanImport[](2);
        recs[0] = _l(alice, 0, 4 ether);
        recs[1] = _l(bob, 1, 3 ether);
        _importLoans(_one(recs[0]));
        _importLoans(_one(recs[1]));
        assertEq(pool.loansDigest(), _digest(bytes32(0), recs));
        assertEq(pool.loansImported(), 2);
    }

    function test_RevertWhen_LoanReserveNotImported() public {
        _importReserves(_one(_r(0, usdc, 8_000, 8_500)));
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.UnknownReserve.selector, 1));
        pool.importLoans(_one(_l(alice, 1, 1 ether)));
    }

    function test_RevertWhen_LoanImportedTwice() public {
        _importReserves(_reserves2());
        LendingPoolV2.LoanImport[] memory twice = new LendingPoolV2.LoanImport[](2);
        twice[0] = _l(alice, 1, 1 ether);
        twice[1] = _l(alice, 1, 2 ether);
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.LoanAlreadyImported.selector, alice, 1));
        pool.importLoans(twice);
        _importLoans(_one(_l(alice, 1, 1 ether)));
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.LoanAlreadyImported.selector, alice, 1));
        pool.importLoans(_one(_l(alice, 1, 1 ether)));
        // Same borrower, other reserve: a different key.
        _importLoans(_one(_l(alice, 0, 1 ether)));
    }

    function test_RevertWhen_LoanImportInvalid() public {
        _importReserves(_reserves2());
        vm.startPrank(migrator);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.EmptyLoan.selector, alice, 0));
        pool.importLoans(_one(_l(alice, 0, 0)));
        vm.expectRevert(LendingPoolV2.ZeroAddress.selector);
        pool.importLoans(_one(_l(address(0), 0, 1)));
        vm.expectRevert(LendingPoolV2.EmptyBatch.selector);
        pool.importLoans(new LendingPoolV2.LoanImport[](0));
        vm.stopPrank();
    }

    function test_RevertWhen_ImportLoansNotMigratorOrClosed() public {
        _importReserves(_reserves2());
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.NotMigrator.selector, address(this)));
        pool.importLoans(_one(_l(alice, 0, 1)));
        pool.finalizeMigration();
        vm.prank(migrator);
        vm.expectRevert(LendingPoolV2.MigrationClosed.selector);
        pool.importLoans(_one(_l(alice, 0, 1)));
    }

    // ---- gas per record in a 100-record batch, against 22,100 per new storage slot ----

    /// Each reserve writes 2 new slots: asset|ltvBps|liquidationThresholdBps|active|listed, rateWad
    /// (borrowCap 0 is not written).
    function test_GasPerImportedReserve() public {
        uint256 n = 100;
        LendingPoolV2.ReserveImport[] memory recs = new LendingPoolV2.ReserveImport[](n);
        for (uint256 i; i < n; ++i) {
            recs[i] = _r(i, address(uint160(0x1000 + i)), 7_500, 8_000);
        }
        vm.prank(migrator);
        uint256 before = gasleft();
        pool.importReserves(recs);
        _reportGas("reserve", (before - gasleft()) / n, 2);
    }

    /// Each account writes 2 new slots: collateral, depositedAt|tier|opened.
    function test_GasPerImportedAccount() public {
        uint256 n = 100;
        LendingPoolV2.AccountImport[] memory recs = new LendingPoolV2.AccountImport[](n);
        for (uint256 i; i < n; ++i) {
            recs[i] = _a(address(uint160(0x1000 + i)), 1 ether);
        }
        collateral.mint(address(pool), 100 ether);
        vm.prank(migrator);
        uint256 before = gasleft();
        pool.importAccounts(recs);
        _reportGas("account", (before - gasleft()) / n, 2);
    }

    /// Each loan (of a borrower with no other) writes 4 new slots: principal, rateWad, openedAt and
    /// the borrower's lockedCollateral; its reserve's totalBorrowed is warm after the first.
    function test_GasPerImportedLoan() public {
        _importReserves(_reserves2());
        uint256 n = 100;
        LendingPoolV2.LoanImport[] memory recs = new LendingPoolV2.LoanImport[](n);
        for (uint256 i; i < n; ++i) {
            recs[i] = _l(address(uint160(0x1000 + i)), i % 2, 1 ether);
        }
        vm.prank(migrator);
        uint256 before = gasleft();
        pool.importLoans(recs);
        _reportGas("loan", (before - gasleft()) / n, 4);
    }

    function _reportGas(string memory what, uint256 perRecord, uint256 slots) internal {
        uint256 lowerBound = slots * 22_100;
        emit log_named_uint(string.concat("gas per imported ", what), perRecord);
        emit log_named_uint(string.concat("storage lower bound per ", what), lowerBound);
        assertLe(perRecord * 100, lowerBound * 125, string.concat("gas per ", what, " above 1.25x the bound"));
    }

    // ---- finalize ----

    function test_FinalizeMigration() public {
        _importReserves(_reserves2());
        bytes32 reserves = pool.reservesDigest();
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.MigrationFinalized(reserves, bytes32(0), bytes32(0));
        pool.finalizeMigration();
        assertFalse(pool.migrating());
        vm.expectRevert(LendingPoolV2.MigrationClosed.selector);
        pool.finalizeMigration();
    }

    function test_ReturnCollateralOnlyDuringMigration() public {
        collateral.mint(address(pool), 10 ether);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.returnCollateral(stranger, 1 ether);
        address v1 = address(0x7E7);
        pool.returnCollateral(v1, 4 ether);
        assertEq(collateral.balanceOf(v1), 4 ether);
        pool.finalizeMigration();
        vm.expectRevert(LendingPoolV2.MigrationClosed.selector);
        pool.returnCollateral(v1, 1 ether);
        assertEq(collateral.balanceOf(address(pool)), 6 ether);
    }

    function test_RevertWhen_FinalizeNotOwner() public {
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, migrator));
        pool.finalizeMigration();
    }

    function test_RevertWhen_NormalUseDuringMigration() public {
        vm.startPrank(alice);
        vm.expectRevert(LendingPoolV2.MigrationInProgress.selector);
        pool.deposit(1 ether);
        vm.expectRevert(LendingPoolV2.MigrationInProgress.selector);
        pool.withdraw(1 ether);
        vm.expectRevert(LendingPoolV2.MigrationInProgress.selector);
        pool.borrow(0, 1 ether);
        vm.expectRevert(LendingPoolV2.MigrationInProgress.selector);
        pool.repay(0, 1 ether);
        vm.stopPrank();
        vm.expectRevert(LendingPoolV2.MigrationInProgress.selector);
        pool.addReserve(usdc, 5_000, 6_000, 0, 0);
        vm.expectRevert(LendingPoolV2.MigrationInProgress.selector);
        pool.updateReserve(0, 0, false);
    }

    function test_PauseDoesNotBlockImports() public {
        pool.pause();
        _importReserves(_reserves2());
        assertEq(pool.reservesImported(), 2);
    }

    // ---- after the migration ----

    function test_DepositAndWithdraw() public {
        _migratedAndFinalized();
        vm.warp(1_800_000_500);
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.CollateralDeposited(bob, 2 ether);
        vm.prank(bob);
        pool.deposit(2 ether);
        LendingPoolV2.Account memory b = pool.accountOf(bob);
        assertEq(b.collateral, 2 ether);
        assertEq(b.depositedAt, 1_800_000_500);
        assertTrue(b.opened);
        assertEq(pool.totalCollateral(), 12 ether);
        assertEq(collateral.balanceOf(address(pool)), 12 ether);
        // alice's imported collateral, of which 5 ether is locked by her loan.
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.CollateralWithdrawn(alice, 5 ether);
        vm.prank(alice);
        pool.withdraw(5 ether);
        assertEq(collateral.balanceOf(alice), 1_005 ether);
        assertEq(pool.totalCollateral(), 7 ether);
        assertEq(pool.accountOf(alice).depositedAt, 1_700_000_000, "the imported time stays");
    }

    function test_RevertWhen_WithdrawLocked() public {
        _migratedAndFinalized();
        vm.startPrank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV2.InsufficientCollateral.selector, alice, 6 ether, 5 ether)
        );
        pool.withdraw(6 ether);
        vm.expectRevert(LendingPoolV2.ZeroAmount.selector);
        pool.withdraw(0);
        vm.expectRevert(LendingPoolV2.ZeroAmount.selector);
        pool.deposit(0);
        vm.stopPrank();
    }

    function test_BorrowAndRepay() public {
        _migratedAndFinalized();
        vm.startPrank(alice);
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.Borrowed(alice, 0, 2 ether);
        pool.borrow(0, 2 ether);
        LendingPoolV2.Loan memory l = pool.loanOf(alice, 0);
        assertEq(l.principal, 6 ether);
        assertEq(l.openedAt, 1_700_000_100, "the imported opening time stays");
        assertEq(pool.lockedCollateral(alice), 7.5 ether);
        assertEq(pool.getReserve(0).totalBorrowed, 6 ether);
        pool.borrow(1, 1.5 ether);
        l = pool.loanOf(alice, 1);
        assertEq(l.principal, 1.5 ether);
        assertEq(l.rateWad, 450e14);
        assertEq(l.openedAt, 1_800_000_000);
        assertEq(pool.lockedCollateral(alice), 9.5 ether);

        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.Repaid(alice, 0, 6 ether);
        pool.repay(0, 6 ether);
        vm.stopPrank();
        assertEq(pool.loanOf(alice, 0).principal, 0);
        assertEq(pool.loanOf(alice, 0).openedAt, 0);
        assertEq(pool.lockedCollateral(alice), 2 ether);
        assertEq(pool.getReserve(0).totalBorrowed, 0);
    }

    function test_RevertWhen_BorrowBeyondLimitCapOrReserve() public {
        _migratedAndFinalized();
        vm.startPrank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                LendingPoolV2.BorrowLimitExceeded.selector, alice, 5.000000000000000013 ether, 5 ether
            )
        );
        pool.borrow(0, 4.00000000000000001 ether);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.UnknownReserve.selector, 5));
        pool.borrow(5, 1);
        vm.expectRevert(LendingPoolV2.ZeroAmount.selector);
        pool.borrow(0, 0);
        vm.stopPrank();

        pool.updateReserve(0, 5 ether, true);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV2.BorrowCapExceeded.selector, 0, 5.5 ether, 5 ether)
        );
        pool.borrow(0, 1.5 ether);
        vm.prank(alice);
        pool.borrow(0, 1 ether);

        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.ReserveUpdated(1, 0, false);
        pool.updateReserve(1, 0, false);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.ReserveInactive.selector, 1));
        pool.borrow(1, 1);
    }

    function test_RevertWhen_RepayMoreThanOwed() public {
        _migratedAndFinalized();
        vm.startPrank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV2.RepayExceedsDebt.selector, alice, 0, 5 ether, 4 ether)
        );
        pool.repay(0, 5 ether);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.UnknownReserve.selector, 9));
        pool.repay(9, 1);
        vm.expectRevert(LendingPoolV2.ZeroAmount.selector);
        pool.repay(0, 0);
        pool.repay(0, 1 ether);
        vm.stopPrank();
        assertEq(pool.loanOf(alice, 0).principal, 3 ether);
        assertEq(pool.lockedCollateral(alice), 3.75 ether);
    }

    function test_RevertWhen_Paused() public {
        _migratedAndFinalized();
        pool.pause();
        vm.startPrank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pool.deposit(1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pool.withdraw(1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pool.borrow(0, 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pool.repay(0, 1);
        vm.stopPrank();
        pool.unpause();
        vm.prank(alice);
        pool.repay(0, 1);
    }

    function test_RevertWhen_PauseNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.pause();
    }

    function test_AddReserveAfterTheImportedOnes() public {
        _migratedAndFinalized();
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV2.ReserveAdded(2, address(0x7E7));
        uint256 id = pool.addReserve(address(0x7E7), 5_000, 6_000, 1e17, 100 ether);
        assertEq(id, 2);
        assertEq(pool.nextReserveId(), 3);
        LendingPoolV2.Reserve memory r = pool.getReserve(2);
        assertEq(r.borrowCap, 100 ether);
        assertEq(r.rateWad, 1e17);
        assertTrue(r.active && r.listed);
    }

    function test_RevertWhen_ReserveAdminInvalid() public {
        _migratedAndFinalized();
        vm.expectRevert(LendingPoolV2.ZeroAddress.selector);
        pool.addReserve(address(0), 5_000, 6_000, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV2.InvalidReserveSettings.selector, 2, 7_000, 6_000)
        );
        pool.addReserve(usdc, 7_000, 6_000, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV2.UnknownReserve.selector, 2));
        pool.updateReserve(2, 0, true);
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.addReserve(usdc, 5_000, 6_000, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.updateReserve(0, 0, true);
        vm.stopPrank();
    }
}
