// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {LendingPoolV1} from "../../src/lending/LendingPoolV1.sol";
import {TestToken} from "../../src/token/TestToken.sol";

contract LendingPoolV1Test is Test {
    LendingPoolV1 internal pool;
    TestToken internal collateral;
    address internal usdc = address(0x05DC);
    address internal dai = address(0xDA1);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal stranger = address(0xCAFE);

    function setUp() public {
        vm.warp(1_700_000_000);
        collateral = new TestToken("Wrapped Ether", "WETH", 18);
        pool = new LendingPoolV1(IERC20(address(collateral)));
        pool.addReserve(usdc, 80, 85, 450); // id 0
        pool.addReserve(dai, 75, 80, 300); // id 1
        address[2] memory users = [alice, bob];
        for (uint256 i; i < users.length; ++i) {
            collateral.mint(users[i], 1_000 ether);
            vm.prank(users[i]);
            collateral.approve(address(pool), type(uint256).max);
        }
    }

    function _deposit(address user, uint256 amount) internal {
        vm.prank(user);
        pool.deposit(amount);
    }

    function _collateralOf(address user) internal view returns (uint256 amount, uint64 since) {
        (uint128 c, uint64 s) = pool.accounts(user);
        return (c, s);
    }

    function _loan(address borrower, uint256 reserveId)
        internal
        view
        returns (uint256 principal, uint16 rateBps, uint64 openedAt)
    {
        (uint128 p, uint16 r, uint64 o) = pool.loans(borrower, reserveId);
        return (p, r, o);
    }

    // ---- construction and reserves ----

    function test_Constructor() public view {
        assertEq(address(pool.collateralToken()), address(collateral));
        assertEq(pool.owner(), address(this));
        assertFalse(pool.paused());
    }

    function test_RevertWhen_ConstructedWithoutToken() public {
        vm.expectRevert(LendingPoolV1.ZeroAddress.selector);
        new LendingPoolV1(IERC20(address(0)));
    }

    function test_AddReserve() public {
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV1.ReserveAdded(2, address(0x7E7), 60, 100, 1_200);
        uint256 id = pool.addReserve(address(0x7E7), 60, 100, 1_200);
        assertEq(id, 2);
        assertEq(pool.reserveCount(), 3);
        (address asset, uint8 ltv, uint8 threshold, uint16 rate, bool active) = pool.reserves(2);
        assertEq(asset, address(0x7E7));
        assertEq(ltv, 60);
        assertEq(threshold, 100);
        assertEq(rate, 1_200);
        assertTrue(active);
    }

    function test_RevertWhen_AddReserveNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.addReserve(usdc, 50, 60, 100);
    }

    function test_RevertWhen_AddReserveZeroAsset() public {
        vm.expectRevert(LendingPoolV1.ZeroAddress.selector);
        pool.addReserve(address(0), 50, 60, 100);
    }

    function test_RevertWhen_AddReserveBadSettings() public {
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.InvalidReserveSettings.selector, 0, 60));
        pool.addReserve(usdc, 0, 60, 100);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.InvalidReserveSettings.selector, 70, 60));
        pool.addReserve(usdc, 70, 60, 100);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.InvalidReserveSettings.selector, 70, 101));
        pool.addReserve(usdc, 70, 101, 100);
    }

    function test_SetReserveActive() public {
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV1.ReserveActiveSet(1, false);
        pool.setReserveActive(1, false);
        (,,,, bool active) = pool.reserves(1);
        assertFalse(active);
        pool.setReserveActive(1, true);
        (,,,, active) = pool.reserves(1);
        assertTrue(active);
    }

    function test_RevertWhen_SetReserveActiveUnknownOrNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.UnknownReserve.selector, 2, 2));
        pool.setReserveActive(2, false);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.setReserveActive(0, false);
    }

    // ---- collateral ----

    function test_Deposit() public {
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV1.CollateralDeposited(alice, 10 ether);
        _deposit(alice, 10 ether);
        (uint256 amount, uint64 since) = _collateralOf(alice);
        assertEq(amount, 10 ether);
        assertEq(since, 1_700_000_000);
        assertEq(collateral.balanceOf(address(pool)), 10 ether);

        // A second deposit adds and keeps `since`.
        vm.warp(1_700_000_500);
        _deposit(alice, 5 ether);
        (amount, since) = _collateralOf(alice);
        assertEq(amount, 15 ether);
        assertEq(since, 1_700_000_000);
    }

    function test_RevertWhen_DepositZero() public {
        vm.prank(alice);
        vm.expectRevert(LendingPoolV1.ZeroAmount.selector);
        pool.deposit(0);
    }

    function test_RevertWhen_DepositWithoutAllowance() public {
        collateral.mint(stranger, 1 ether);
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(pool), 0, 1 ether
            )
        );
        pool.deposit(1 ether);
    }

    function test_RevertWhen_DepositOverflows128Bits() public {
        uint256 huge = uint256(type(uint128).max) + 1;
        collateral.mint(alice, huge);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, 128, huge));
        pool.deposit(huge);
    }

    function test_RevertWhen_DepositPaused() public {
        pool.pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pool.deposit(1 ether);
    }

    function test_WithdrawPartial() public {
        _deposit(alice, 10 ether);
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV1.CollateralWithdrawn(alice, 4 ether);
        vm.prank(alice);
        pool.withdraw(4 ether);
        (uint256 amount, uint64 since) = _collateralOf(alice);
        assertEq(amount, 6 ether);
        assertEq(since, 1_700_000_000);
        assertEq(collateral.balanceOf(alice), 994 ether);
    }

    function test_WithdrawAllDeletesTheAccount() public {
        _deposit(alice, 10 ether);
        vm.prank(alice);
        pool.withdraw(10 ether);
        (uint256 amount, uint64 since) = _collateralOf(alice);
        assertEq(amount, 0);
        assertEq(since, 0, "a deleted account reads as zeros");
        // A new deposit starts a new `since`.
        vm.warp(1_700_009_000);
        _deposit(alice, 1 ether);
        (, since) = _collateralOf(alice);
        assertEq(since, 1_700_009_000);
    }

    function test_RevertWhen_WithdrawMoreThanFree() public {
        _deposit(alice, 10 ether);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV1.InsufficientCollateral.selector, alice, 11 ether, 10 ether)
        );
        pool.withdraw(11 ether);
        // 4 ether borrowed at 80 % locks 5 ether.
        vm.startPrank(alice);
        pool.borrow(0, 4 ether);
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV1.InsufficientCollateral.selector, alice, 6 ether, 5 ether)
        );
        pool.withdraw(6 ether);
        pool.withdraw(5 ether);
        vm.stopPrank();
    }

    function test_RevertWhen_WithdrawZeroOrPaused() public {
        _deposit(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(LendingPoolV1.ZeroAmount.selector);
        pool.withdraw(0);
        pool.pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pool.withdraw(1 ether);
    }

    // ---- loans ----

    function test_Borrow() public {
        _deposit(alice, 10 ether);
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV1.Borrowed(alice, 1, 3 ether);
        vm.prank(alice);
        pool.borrow(1, 3 ether);
        (uint256 principal, uint16 rate, uint64 openedAt) = _loan(alice, 1);
        assertEq(principal, 3 ether);
        assertEq(rate, 300);
        assertEq(openedAt, 1_700_000_000);
        assertEq(pool.lockedCollateral(alice), 4 ether, "3 ether at 75 % locks 4 ether");
        // No token moves: the facility pays out.
        assertEq(collateral.balanceOf(address(pool)), 10 ether);
        assertEq(collateral.balanceOf(alice), 990 ether);
    }

    function test_BorrowAgainAddsToTheLoan() public {
        _deposit(alice, 10 ether);
        vm.prank(alice);
        pool.borrow(0, 1 ether);
        vm.warp(1_700_000_900);
        vm.prank(alice);
        pool.borrow(0, 2 ether);
        (uint256 principal,, uint64 openedAt) = _loan(alice, 0);
        assertEq(principal, 3 ether);
        assertEq(openedAt, 1_700_000_000, "openedAt stays");
        assertEq(pool.lockedCollateral(alice), 3.75 ether);
    }

    function test_LockRoundsUpOnceForTheWholeLoan() public {
        _deposit(alice, 100);
        // 1 wei at 75 % locks ceil(100/75) = 2; twice: ceil(200/75) = 3, not 4.
        vm.startPrank(alice);
        pool.borrow(1, 1);
        assertEq(pool.lockedCollateral(alice), 2);
        pool.borrow(1, 1);
        assertEq(pool.lockedCollateral(alice), 3);
        pool.repay(1, 2);
        vm.stopPrank();
        assertEq(pool.lockedCollateral(alice), 0);
    }

    function test_RevertWhen_BorrowAboveLtv() public {
        _deposit(alice, 10 ether);
        vm.startPrank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                LendingPoolV1.BorrowLimitExceeded.selector, alice, 10.0000000000000125 ether, 10 ether
            )
        );
        pool.borrow(0, 8.00000000000001 ether);
        pool.borrow(0, 8 ether);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.BorrowLimitExceeded.selector, alice, 2, 0));
        pool.borrow(1, 1);
        vm.stopPrank();
        // Without collateral nothing can be borrowed.
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.BorrowLimitExceeded.selector, stranger, 2, 0));
        pool.borrow(0, 1);
    }

    function test_RevertWhen_BorrowFromInactiveOrUnknownReserve() public {
        _deposit(alice, 10 ether);
        pool.setReserveActive(0, false);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.ReserveInactive.selector, 0));
        pool.borrow(0, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.UnknownReserve.selector, 7, 2));
        pool.borrow(7, 1 ether);
        vm.expectRevert(LendingPoolV1.ZeroAmount.selector);
        pool.borrow(1, 0);
        vm.stopPrank();
        pool.pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pool.borrow(1, 1 ether);
    }

    function test_RepayPartial() public {
        _deposit(alice, 10 ether);
        vm.startPrank(alice);
        pool.borrow(0, 4 ether);
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV1.Repaid(alice, 0, 1 ether);
        pool.repay(0, 1 ether);
        vm.stopPrank();
        (uint256 principal, uint16 rate, uint64 openedAt) = _loan(alice, 0);
        assertEq(principal, 3 ether);
        assertEq(rate, 450);
        assertEq(openedAt, 1_700_000_000);
        assertEq(pool.lockedCollateral(alice), 3.75 ether);
    }

    function test_RepayInFullDeletesTheLoan() public {
        _deposit(alice, 10 ether);
        vm.startPrank(alice);
        pool.borrow(0, 4 ether);
        pool.borrow(1, 1 ether);
        pool.repay(0, 4 ether);
        vm.stopPrank();
        (uint256 principal, uint16 rate, uint64 openedAt) = _loan(alice, 0);
        assertEq(principal + rate + openedAt, 0, "a repaid loan reads as zeros");
        assertEq(pool.lockedCollateral(alice), 1.333333333333333334 ether);
    }

    function test_RevertWhen_RepayMoreThanOwed() public {
        _deposit(alice, 10 ether);
        vm.startPrank(alice);
        pool.borrow(0, 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(LendingPoolV1.RepayExceedsDebt.selector, alice, 0, 2 ether, 1 ether)
        );
        pool.repay(0, 2 ether);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.RepayExceedsDebt.selector, alice, 1, 1, 0));
        pool.repay(1, 1);
        vm.expectRevert(abi.encodeWithSelector(LendingPoolV1.UnknownReserve.selector, 9, 2));
        pool.repay(9, 1);
        vm.expectRevert(LendingPoolV1.ZeroAmount.selector);
        pool.repay(0, 0);
        vm.stopPrank();
        pool.pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        pool.repay(0, 1 ether);
    }

    /// Whatever the borrows and repayments, the lock is exactly what the open loans need.
    function testFuzz_LockFollowsTheLoans(uint96 a, uint96 b, uint96 r) public {
        uint256 first = bound(a, 1, 100 ether);
        uint256 second = bound(b, 1, 100 ether);
        _deposit(alice, 1_000 ether);
        vm.startPrank(alice);
        pool.borrow(1, first);
        pool.borrow(1, second);
        uint256 back = bound(r, 1, first + second);
        pool.repay(1, back);
        vm.stopPrank();
        uint256 left = first + second - back;
        assertEq(pool.lockedCollateral(alice), (left * 100 + 74) / 75);
    }

    // ---- pause and migration ----

    function test_RevertWhen_PauseNotOwner() public {
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.pause();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.unpause();
        vm.stopPrank();
    }

    function test_Unpause() public {
        pool.pause();
        pool.unpause();
        _deposit(alice, 1 ether);
    }

    function test_TransferCollateral() public {
        _deposit(alice, 10 ether);
        _deposit(bob, 5 ether);
        pool.pause();
        vm.expectEmit(true, true, true, true, address(pool));
        emit LendingPoolV1.CollateralTransferred(address(0x7777), 15 ether);
        pool.transferCollateral(address(0x7777), 15 ether);
        assertEq(collateral.balanceOf(address(0x7777)), 15 ether);
        assertEq(collateral.balanceOf(address(pool)), 0);
        // The records stay, for the migration to read.
        (uint256 amount,) = _collateralOf(alice);
        assertEq(amount, 10 ether);
    }

    function test_RevertWhen_TransferCollateralNotPausedOrNotOwner() public {
        _deposit(alice, 10 ether);
        vm.expectRevert(Pausable.ExpectedPause.selector);
        pool.transferCollateral(address(0x7777), 1 ether);
        pool.pause();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        pool.transferCollateral(stranger, 1 ether);
        vm.expectRevert(LendingPoolV1.ZeroAddress.selector);
        pool.transferCollateral(address(0), 1 ether);
        vm.expectRevert(LendingPoolV1.ZeroAmount.selector);
        pool.transferCollateral(address(0x7777), 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientBalance.selector, address(pool), 10 ether, 11 ether
            )
        );
        pool.transferCollateral(address(0x7777), 11 ether);
    }
}
