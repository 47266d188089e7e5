// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {MigrationPhase} from "../src/v2/MigrationPhase.sol";
import {PaymentEscrowV2} from "../src/v2/PaymentEscrowV2.sol";
import {TestToken} from "../src/token/TestToken.sol";

contract PaymentEscrowV2Test is Test {
    PaymentEscrowV2 internal escrow;
    TestToken internal usdc;
    TestToken internal weth;
    address internal migrator = address(0x4D16);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA401);
    address internal stranger = address(0xCAFE);

    function setUp() public {
        escrow = new PaymentEscrowV2();
        escrow.grantRole(escrow.MIGRATOR_ROLE(), migrator);
        usdc = new TestToken("USD Coin", "USDC", 6);
        weth = new TestToken("Wrapped Ether", "WETH", 18);
        vm.deal(address(this), 1_000_000 ether);
        vm.deal(alice, 100 ether);
        usdc.mint(alice, 1_000_000e6);
        vm.prank(alice);
        usdc.approve(address(escrow), type(uint256).max);
    }

    function _d(address user, address token, uint256 amount)
        internal
        pure
        returns (PaymentEscrowV2.DepositImport memory)
    {
        return PaymentEscrowV2.DepositImport(user, token, amount);
    }

    function _fundEth(uint256 amount) internal {
        (bool ok,) = address(escrow).call{value: amount}("");
        assertTrue(ok, "funding failed");
    }

    function _digest(bytes32 d, PaymentEscrowV2.DepositImport[] memory recs) internal pure returns (bytes32) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
        return d;
    }

    function _migrate(PaymentEscrowV2.DepositImport[] memory recs) internal {
        vm.prank(migrator);
        escrow.migrateDeposits(recs);
    }

    /// alice: 2 ETH + 500 USDC, bob: 300 USDC + 1 WETH, carol: 1 ETH (interleaved tokens on purpose).
    function _mixed() internal view returns (PaymentEscrowV2.DepositImport[] memory recs) {
        recs = new PaymentEscrowV2.DepositImport[](5);
        recs[0] = _d(alice, address(0), 2 ether);
        recs[1] = _d(alice, address(usdc), 500e6);
        recs[2] = _d(bob, address(usdc), 300e6);
        recs[3] = _d(bob, address(weth), 1 ether);
        recs[4] = _d(carol, address(0), 1 ether);
    }

    function _fundMixed() internal {
        _fundEth(3 ether);
        usdc.mint(address(escrow), 800e6);
        weth.mint(address(escrow), 1 ether);
    }

    // ---- migration ----

    function test_ReceiveDuringMigration() public {
        vm.expectEmit(true, true, true, true, address(escrow));
        emit PaymentEscrowV2.FundsReceived(address(this), 1 ether);
        _fundEth(1 ether);
    }

    function test_MigrateDeposits_ExactlyFunded() public {
        PaymentEscrowV2.DepositImport[] memory recs = _mixed();
        _fundMixed();
        vm.expectEmit(true, true, true, true, address(escrow));
        emit MigrationPhase.BatchImported(5, _digest(bytes32(0), recs));
        _migrate(recs);

        assertEq(escrow.importCount(), 5);
        assertEq(escrow.importDigest(), _digest(bytes32(0), recs));
        assertEq(escrow.balanceCount(), 5);
        for (uint256 i; i < 5; ++i) {
            (address user, address token, uint256 amount) = escrow.getBalanceAt(i);
            assertEq(user, recs[i].user);
            assertEq(token, recs[i].token);
            assertEq(amount, recs[i].amount);
            assertEq(escrow.balanceOf(user, token), recs[i].amount);
        }
        assertEq(escrow.totalCredited(address(0)), 3 ether);
        assertEq(escrow.totalCredited(address(usdc)), 800e6);
        assertEq(escrow.totalCredited(address(weth)), 1 ether);
    }

    function test_MigrateZeroBalancePair() public {
        PaymentEscrowV2.DepositImport[] memory recs = new PaymentEscrowV2.DepositImport[](1);
        recs[0] = _d(alice, address(usdc), 0);
        _migrate(recs);
        assertEq(escrow.balanceCount(), 1);
        (address user, address token, uint256 amount) = escrow.getBalanceAt(0);
        assertEq(user, alice);
        assertEq(token, address(usdc));
        assertEq(amount, 0);
        // Still a duplicate afterwards.
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(PaymentEscrowV2.DepositAlreadyMigrated.selector, alice, address(usdc))
        );
        escrow.migrateDeposits(recs);
    }

    function test_DigestAcrossBatches() public {
        PaymentEscrowV2.DepositImport[] memory all = _mixed();
        PaymentEscrowV2.DepositImport[] memory a = new PaymentEscrowV2.DepositImport[](2);
        PaymentEscrowV2.DepositImport[] memory b = new PaymentEscrowV2.DepositImport[](3);
        a[0] = all[0];
        a[1] = all[1];
        b[0] = all[2];
        b[1] = all[3];
        b[2] = all[4];
        _fundMixed();
        _migrate(a);
        _migrate(b);
        assertEq(escrow.importDigest(), _digest(bytes32(0), all), "split batches give the same digest");
        assertEq(escrow.importCount(), 5);
    }

    function test_RevertWhen_EthUnderfunded() public {
        _fundEth(3 ether - 1);
        usdc.mint(address(escrow), 800e6);
        weth.mint(address(escrow), 1 ether);
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(
                PaymentEscrowV2.InsufficientMigratedFunds.selector, address(0), 3 ether, 3 ether - 1
            )
        );
        escrow.migrateDeposits(_mixed());
    }

    function test_RevertWhen_Erc20Underfunded() public {
        _fundEth(3 ether);
        usdc.mint(address(escrow), 799e6);
        weth.mint(address(escrow), 1 ether);
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(
                PaymentEscrowV2.InsufficientMigratedFunds.selector, address(usdc), 800e6, 799e6
            )
        );
        escrow.migrateDeposits(_mixed());
    }

    function test_RevertWhen_LaterBatchUnderfunded() public {
        usdc.mint(address(escrow), 500e6);
        PaymentEscrowV2.DepositImport[] memory recs = new PaymentEscrowV2.DepositImport[](1);
        recs[0] = _d(alice, address(usdc), 500e6);
        _migrate(recs);
        recs[0] = _d(bob, address(usdc), 1);
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(
                PaymentEscrowV2.InsufficientMigratedFunds.selector, address(usdc), 500e6 + 1, 500e6
            )
        );
        escrow.migrateDeposits(recs);
    }

    function testFuzz_MigrateDeposits_ExactFunding(uint256 a, uint256 b, uint256 c) public {
        a = bound(a, 0, 1e30);
        b = bound(b, 0, 1e30);
        c = bound(c, 0, 1_000_000 ether);
        usdc.mint(address(escrow), a + b);
        _fundEth(c);
        PaymentEscrowV2.DepositImport[] memory recs = new PaymentEscrowV2.DepositImport[](3);
        recs[0] = _d(alice, address(usdc), a);
        recs[1] = _d(bob, address(0), c);
        recs[2] = _d(bob, address(usdc), b);
        _migrate(recs);
        assertEq(escrow.totalCredited(address(usdc)), a + b);
        assertEq(escrow.totalCredited(address(0)), c);
        assertEq(escrow.balanceOf(bob, address(usdc)), b);
    }

    function testFuzz_RevertWhen_Underfunded(uint256 amount, uint256 missing) public {
        amount = bound(amount, 1, 1e30);
        missing = bound(missing, 1, amount);
        weth.mint(address(escrow), amount - missing);
        PaymentEscrowV2.DepositImport[] memory recs = new PaymentEscrowV2.DepositImport[](1);
        recs[0] = _d(alice, address(weth), amount);
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(
                PaymentEscrowV2.InsufficientMigratedFunds.selector, address(weth), amount, amount - missing
            )
        );
        escrow.migrateDeposits(recs);
    }

    function test_RevertWhen_DuplicateInSameBatch() public {
        PaymentEscrowV2.DepositImport[] memory recs = _mixed();
        recs[4] = _d(alice, address(usdc), 1);
        _fundMixed();
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(PaymentEscrowV2.DepositAlreadyMigrated.selector, alice, address(usdc))
        );
        escrow.migrateDeposits(recs);
    }

    function test_RevertWhen_DuplicateAcrossBatches() public {
        _fundMixed();
        _migrate(_mixed());
        PaymentEscrowV2.DepositImport[] memory recs = new PaymentEscrowV2.DepositImport[](1);
        recs[0] = _d(carol, address(0), 0);
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(PaymentEscrowV2.DepositAlreadyMigrated.selector, carol, address(0))
        );
        escrow.migrateDeposits(recs);
    }

    function test_RevertWhen_ImportZeroUser() public {
        PaymentEscrowV2.DepositImport[] memory recs = new PaymentEscrowV2.DepositImport[](1);
        recs[0] = _d(address(0), address(usdc), 0);
        vm.prank(migrator);
        vm.expectRevert(PaymentEscrowV2.ZeroAddress.selector);
        escrow.migrateDeposits(recs);
    }

    function test_RevertWhen_ImportByNonMigrator() public {
        bytes32 role = escrow.MIGRATOR_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, role)
        );
        escrow.migrateDeposits(_mixed());
    }

    function test_RevertWhen_ImportAfterFinalize() public {
        escrow.finalizeMigration();
        vm.prank(migrator);
        vm.expectRevert(MigrationPhase.MigrationClosed.selector);
        escrow.migrateDeposits(_mixed());
    }

    function test_RevertWhen_EmptyBatch() public {
        vm.prank(migrator);
        vm.expectRevert(MigrationPhase.EmptyBatch.selector);
        escrow.migrateDeposits(new PaymentEscrowV2.DepositImport[](0));
    }

    function test_RevertWhen_ReceiveAfterFinalize() public {
        escrow.finalizeMigration();
        (bool ok, bytes memory ret) = address(escrow).call{value: 1 ether}("");
        assertFalse(ok);
        assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(MigrationPhase.MigrationClosed.selector)));
    }

    /// Gas per migrated balance vs the storage lower bound. Each ERC20 record writes 4 new slots: the
    /// balance, the enumeration entry (user, token: 2 slots) and the entry's position (duplicate guard).
    function test_GasPerMigratedDeposit() public {
        uint256 n = 100;
        PaymentEscrowV2.DepositImport[] memory recs = new PaymentEscrowV2.DepositImport[](n);
        for (uint256 i; i < n; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            recs[i] = _d(address(uint160(0x10000 + i)), address(usdc), 1e6 + i);
        }
        usdc.mint(address(escrow), 200e6);
        vm.prank(migrator);
        uint256 before = gasleft();
        escrow.migrateDeposits(recs);
        uint256 perRecord = (before - gasleft()) / n;
        uint256 lowerBound = 4 * 22_100;
        emit log_named_uint("gas per migrated deposit", perRecord);
        emit log_named_uint("storage lower bound per deposit", lowerBound);
        assertLe(perRecord * 100, lowerBound * 125, "gas per deposit above 1.25x the storage lower bound");
    }

    // ---- normal use ----

    function test_RevertWhen_DepositOrWithdrawBeforeFinalize() public {
        vm.startPrank(alice);
        vm.expectRevert(MigrationPhase.MigrationInProgress.selector);
        escrow.deposit{value: 1 ether}(address(0), 1 ether);
        vm.expectRevert(MigrationPhase.MigrationInProgress.selector);
        escrow.withdraw(address(0), 1, alice);
        vm.stopPrank();
    }

    function test_DepositAndWithdrawAfterFinalize() public {
        escrow.finalizeMigration();
        vm.startPrank(alice);
        vm.expectEmit(true, true, true, true, address(escrow));
        emit PaymentEscrowV2.Deposited(alice, address(0), 2 ether);
        escrow.deposit{value: 2 ether}(address(0), 2 ether);
        escrow.deposit(address(usdc), 100e6);
        vm.expectEmit(true, true, true, true, address(escrow));
        emit PaymentEscrowV2.Withdrawn(alice, address(0), 1 ether, carol);
        escrow.withdraw(address(0), 1 ether, carol);
        escrow.withdraw(address(usdc), 40e6, bob);
        vm.stopPrank();
        assertEq(carol.balance, 1 ether);
        assertEq(usdc.balanceOf(bob), 40e6);
        assertEq(escrow.balanceOf(alice, address(0)), 1 ether);
        assertEq(escrow.balanceOf(alice, address(usdc)), 60e6);
        assertEq(escrow.totalCredited(address(usdc)), 60e6);
        assertEq(escrow.balanceCount(), 2);
    }

    function test_MigratedBalanceWithdrawable() public {
        _fundMixed();
        _migrate(_mixed());
        escrow.finalizeMigration();
        vm.prank(bob);
        escrow.withdraw(address(weth), 1 ether, bob);
        assertEq(weth.balanceOf(bob), 1 ether);
        vm.prank(alice);
        escrow.deposit(address(usdc), 1e6);
        assertEq(escrow.balanceOf(alice, address(usdc)), 501e6);
        assertEq(escrow.balanceCount(), 5, "existing pair reused");
    }

    function testFuzz_RevertWhen_WithdrawTooMuch(uint256 amount, uint256 extra) public {
        amount = bound(amount, 1, 100 ether);
        extra = bound(extra, 1, 100 ether);
        escrow.finalizeMigration();
        vm.startPrank(alice);
        escrow.deposit{value: amount}(address(0), amount);
        vm.expectRevert(
            abi.encodeWithSelector(
                PaymentEscrowV2.InsufficientBalance.selector, alice, address(0), amount + extra, amount
            )
        );
        escrow.withdraw(address(0), amount + extra, alice);
        vm.stopPrank();
    }

    function test_RevertWhen_BadDeposit() public {
        escrow.finalizeMigration();
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(PaymentEscrowV2.EthAmountMismatch.selector, 1 ether, 2 ether));
        escrow.deposit{value: 1 ether}(address(0), 2 ether);
        vm.expectRevert(abi.encodeWithSelector(PaymentEscrowV2.EthAmountMismatch.selector, 1, 0));
        escrow.deposit{value: 1}(address(usdc), 1e6);
        vm.expectRevert(PaymentEscrowV2.ZeroAmount.selector);
        escrow.deposit(address(usdc), 0);
        vm.expectRevert(PaymentEscrowV2.ZeroAmount.selector);
        escrow.withdraw(address(usdc), 0, alice);
        vm.expectRevert(PaymentEscrowV2.ZeroAddress.selector);
        escrow.withdraw(address(usdc), 1, address(0));
        vm.stopPrank();
    }

    function test_RevertWhen_GetBalanceAtOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(PaymentEscrowV2.IndexOutOfRange.selector, 0, 0));
        escrow.getBalanceAt(0);
    }

    function test_PauseBlocksNormalUse() public {
        escrow.finalizeMigration();
        escrow.pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        escrow.deposit{value: 1}(address(0), 1);
        escrow.unpause();
        vm.prank(alice);
        escrow.deposit{value: 1}(address(0), 1);
    }
}
