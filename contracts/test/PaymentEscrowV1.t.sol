// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {PaymentEscrowV1} from "../src/v1/PaymentEscrowV1.sol";
import {TestToken} from "../src/token/TestToken.sol";

contract PaymentEscrowV1Test is Test {
    PaymentEscrowV1 internal escrow;
    TestToken internal usdc;
    TestToken internal weth;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal newEscrow = address(0x2222);

    function setUp() public {
        escrow = new PaymentEscrowV1();
        usdc = new TestToken("USD Coin", "USDC", 6);
        weth = new TestToken("Wrapped Ether", "WETH", 18);
        vm.deal(alice, 100 ether);
        vm.deal(bob, 100 ether);
        usdc.mint(alice, 1_000_000e6);
        usdc.mint(bob, 1_000_000e6);
        weth.mint(alice, 1_000 ether);
        vm.prank(alice);
        usdc.approve(address(escrow), type(uint256).max);
        vm.prank(bob);
        usdc.approve(address(escrow), type(uint256).max);
        vm.prank(alice);
        weth.approve(address(escrow), type(uint256).max);
    }

    function test_TokenDecimals() public view {
        assertEq(usdc.decimals(), 6);
        assertEq(weth.decimals(), 18);
        assertEq(usdc.symbol(), "USDC");
    }

    function test_RevertWhen_MintByNonOwner() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        usdc.mint(alice, 1);
    }

    function test_DepositERC20AndETH() public {
        vm.expectEmit(true, true, true, true, address(escrow));
        emit PaymentEscrowV1.Deposited(alice, address(usdc), 500e6);
        vm.prank(alice);
        escrow.deposit(address(usdc), 500e6);
        vm.prank(alice);
        escrow.depositETH{value: 2 ether}();
        vm.prank(alice);
        escrow.deposit(address(usdc), 100e6);

        assertEq(escrow.balanceOf(alice, address(usdc)), 600e6);
        assertEq(escrow.balanceOf(alice, address(0)), 2 ether);
        assertEq(escrow.totalDeposits(address(usdc)), 600e6);
        assertEq(escrow.totalDeposits(address(0)), 2 ether);
        assertEq(usdc.balanceOf(address(escrow)), 600e6);
        assertEq(address(escrow).balance, 2 ether);
        // One enumerable entry per (user, token) pair, not per deposit.
        assertEq(escrow.getBalanceCount(), 2);
        (address user, address token, uint256 amount) = escrow.getBalanceAt(0);
        assertEq(user, alice);
        assertEq(token, address(usdc));
        assertEq(amount, 600e6);
        (user, token, amount) = escrow.getBalanceAt(1);
        assertEq(token, address(0));
        assertEq(amount, 2 ether);
    }

    function test_Withdraw() public {
        vm.startPrank(alice);
        escrow.deposit(address(usdc), 500e6);
        escrow.depositETH{value: 2 ether}();
        vm.expectEmit(true, true, true, true, address(escrow));
        emit PaymentEscrowV1.Withdrawn(alice, address(usdc), 200e6);
        escrow.withdraw(address(usdc), 200e6);
        escrow.withdraw(address(0), 2 ether);
        vm.stopPrank();
        assertEq(escrow.balanceOf(alice, address(usdc)), 300e6);
        assertEq(escrow.balanceOf(alice, address(0)), 0);
        assertEq(alice.balance, 100 ether);
        assertEq(usdc.balanceOf(alice), 1_000_000e6 - 300e6);
        assertEq(escrow.totalDeposits(address(usdc)), 300e6);
        // Emptied pairs stay enumerable.
        assertEq(escrow.getBalanceCount(), 2);
    }

    function testFuzz_DepositWithdraw(uint256 depositAmount, uint256 withdrawAmount) public {
        depositAmount = bound(depositAmount, 1, 1_000_000e6);
        withdrawAmount = bound(withdrawAmount, 1, depositAmount);
        vm.startPrank(alice);
        escrow.deposit(address(usdc), depositAmount);
        escrow.withdraw(address(usdc), withdrawAmount);
        vm.stopPrank();
        assertEq(escrow.balanceOf(alice, address(usdc)), depositAmount - withdrawAmount);
        assertEq(usdc.balanceOf(address(escrow)), depositAmount - withdrawAmount);
        assertEq(escrow.totalDeposits(address(usdc)), depositAmount - withdrawAmount);
    }

    function testFuzz_RevertWhen_WithdrawMoreThanBalance(uint256 depositAmount, uint256 extra) public {
        depositAmount = bound(depositAmount, 1, 100 ether);
        extra = bound(extra, 1, 100 ether);
        vm.startPrank(alice);
        escrow.depositETH{value: depositAmount}();
        vm.expectRevert(
            abi.encodeWithSelector(
                PaymentEscrowV1.InsufficientBalance.selector, address(0), depositAmount + extra, depositAmount
            )
        );
        escrow.withdraw(address(0), depositAmount + extra);
        vm.stopPrank();
    }

    function test_RevertWhen_ZeroAmounts() public {
        vm.startPrank(alice);
        vm.expectRevert(PaymentEscrowV1.ZeroAmount.selector);
        escrow.deposit(address(usdc), 0);
        vm.expectRevert(PaymentEscrowV1.ZeroAmount.selector);
        escrow.depositETH();
        vm.expectRevert(PaymentEscrowV1.ZeroAmount.selector);
        escrow.withdraw(address(usdc), 0);
        vm.stopPrank();
    }

    function test_RevertWhen_DepositEthThroughDeposit() public {
        vm.prank(alice);
        vm.expectRevert(PaymentEscrowV1.UseDepositETH.selector);
        escrow.deposit(address(0), 1);
    }

    function test_RevertWhen_GetBalanceAtOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(PaymentEscrowV1.IndexOutOfRange.selector, 0, 0));
        escrow.getBalanceAt(0);
    }

    function test_PauseBlocksDepositAndWithdraw() public {
        vm.prank(alice);
        escrow.depositETH{value: 1 ether}();
        escrow.pause();
        vm.startPrank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        escrow.depositETH{value: 1 ether}();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        escrow.deposit(address(usdc), 1);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        escrow.withdraw(address(0), 1 ether);
        vm.stopPrank();
        escrow.unpause();
        vm.prank(alice);
        escrow.withdraw(address(0), 1 ether);
    }

    function test_EmergencyWithdraw_MovesFundsKeepsBalances() public {
        vm.prank(alice);
        escrow.deposit(address(usdc), 500e6);
        vm.prank(bob);
        escrow.deposit(address(usdc), 250e6);
        vm.prank(bob);
        escrow.depositETH{value: 3 ether}();
        escrow.pause();

        vm.expectEmit(true, true, true, true, address(escrow));
        emit PaymentEscrowV1.EmergencyWithdrawal(address(usdc), 750e6, newEscrow);
        escrow.emergencyWithdraw(address(usdc), 750e6, newEscrow);
        escrow.emergencyWithdraw(address(0), 3 ether, newEscrow);

        assertEq(usdc.balanceOf(newEscrow), 750e6);
        assertEq(newEscrow.balance, 3 ether);
        assertEq(usdc.balanceOf(address(escrow)), 0);
        assertEq(address(escrow).balance, 0);
        assertEq(escrow.balanceOf(bob, address(usdc)), 250e6);
        assertEq(escrow.totalDeposits(address(usdc)), 750e6);
    }

    function test_RevertWhen_EmergencyWithdrawNotPaused() public {
        vm.expectRevert(Pausable.ExpectedPause.selector);
        escrow.emergencyWithdraw(address(0), 0, newEscrow);
    }

    function test_RevertWhen_EmergencyWithdrawByNonOwner() public {
        escrow.pause();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        escrow.emergencyWithdraw(address(0), 0, alice);
    }

    function test_RevertWhen_EmergencyWithdrawToZero() public {
        escrow.pause();
        vm.expectRevert(PaymentEscrowV1.ZeroAddress.selector);
        escrow.emergencyWithdraw(address(0), 0, address(0));
    }
}
