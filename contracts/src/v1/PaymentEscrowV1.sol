// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title PaymentEscrowV1
/// @notice Per-(user, token) prepaid balances; ETH is token `address(0)`, any ERC20 otherwise.
/// @dev Every (user, token) pair that ever received a deposit is enumerable through {getBalanceCount} and
/// {getBalanceAt}, which is how a migration reads the whole ledger. During a migration the owner pauses
/// the escrow and moves the funds to the new escrow with {emergencyWithdraw}.
contract PaymentEscrowV1 is Ownable, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice An enumerable (user, token) pair.
    struct BalanceKey {
        address user;
        address token;
    }

    mapping(address user => mapping(address token => uint256)) private _balances;
    BalanceKey[] private _keys;
    /// @dev 1-based position of a pair in `_keys`; 0 when the pair never had a deposit.
    mapping(address user => mapping(address token => uint256)) private _keyPosition;
    /// @notice Sum of every user's balance of `token` (the escrow's liability in that token).
    mapping(address token => uint256) public totalDeposits;

    /// @notice Emitted when `user` deposits `amount` of `token`.
    event Deposited(address indexed user, address indexed token, uint256 amount);
    /// @notice Emitted when `user` withdraws `amount` of `token`.
    event Withdrawn(address indexed user, address indexed token, uint256 amount);
    /// @notice Emitted when the owner moves `amount` of `token` to `to` (the new escrow).
    event EmergencyWithdrawal(address indexed token, uint256 amount, address indexed to);

    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice Withdrawing `requested` of `token` exceeds the balance `available`.
    error InsufficientBalance(address token, uint256 requested, uint256 available);
    /// @notice ETH must go through {depositETH}.
    error UseDepositETH();
    /// @notice `index` is not below the pair count `count`.
    error IndexOutOfRange(uint256 index, uint256 count);
    /// @notice The zero address was given as recipient.
    error ZeroAddress();
    /// @notice Sending `amount` wei to `to` failed.
    error EthTransferFailed(address to, uint256 amount);

    constructor() Ownable(msg.sender) {}

    /// @notice Deposits `amount` of ERC20 `token` (the caller must have approved the escrow).
    /// @param token An ERC20 token (not `address(0)`: use {depositETH}).
    /// @param amount Amount in the token's smallest unit.
    function deposit(address token, uint256 amount) external whenNotPaused nonReentrant {
        if (token == address(0)) revert UseDepositETH();
        if (amount == 0) revert ZeroAmount();
        _credit(msg.sender, token, amount);
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Deposits `msg.value` wei of ETH.
    function depositETH() external payable whenNotPaused {
        if (msg.value == 0) revert ZeroAmount();
        _credit(msg.sender, address(0), msg.value);
    }

    /// @notice Withdraws `amount` of `token` to the caller.
    /// @param token `address(0)` for ETH, an ERC20 otherwise.
    /// @param amount Amount in the token's smallest unit.
    function withdraw(address token, uint256 amount) external whenNotPaused nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 available = _balances[msg.sender][token];
        if (amount > available) revert InsufficientBalance(token, amount, available);
        unchecked {
            _balances[msg.sender][token] = available - amount;
        }
        totalDeposits[token] -= amount;
        emit Withdrawn(msg.sender, token, amount);
        _send(token, msg.sender, amount);
    }

    /// @notice Moves `amount` of `token` held by the escrow to `to`, the new escrow. Only while paused.
    /// @dev Balances are left untouched so the migration can read and re-credit them.
    /// @param token `address(0)` for ETH, an ERC20 otherwise.
    /// @param amount Amount to move.
    /// @param to Recipient.
    function emergencyWithdraw(address token, uint256 amount, address to)
        external
        onlyOwner
        whenPaused
        nonReentrant
    {
        if (to == address(0)) revert ZeroAddress();
        emit EmergencyWithdrawal(token, amount, to);
        _send(token, to, amount);
    }

    /// @notice Takes back ETH moved out for a migration that is rolled back (the new contract's
    /// `returnFunds`). Only while paused: a running contract takes ETH through its own functions.
    receive() external payable whenPaused {}

    /// @notice Pauses deposits and withdrawals.
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyOwner {
        _unpause();
    }

    /// @notice Balance of `user` in `token`.
    /// @param user Any address.
    /// @param token `address(0)` for ETH, an ERC20 otherwise.
    function balanceOf(address user, address token) external view returns (uint256) {
        return _balances[user][token];
    }

    /// @notice Number of (user, token) pairs that ever had a deposit.
    function getBalanceCount() external view returns (uint256) {
        return _keys.length;
    }

    /// @notice The (user, token) pair at `index` and its current balance.
    /// @param index Below {getBalanceCount}.
    function getBalanceAt(uint256 index) external view returns (address user, address token, uint256 amount) {
        uint256 count = _keys.length;
        if (index >= count) revert IndexOutOfRange(index, count);
        BalanceKey storage key = _keys[index];
        user = key.user;
        token = key.token;
        amount = _balances[user][token];
    }

    function _credit(address user, address token, uint256 amount) private {
        if (_keyPosition[user][token] == 0) {
            _keys.push(BalanceKey(user, token));
            _keyPosition[user][token] = _keys.length;
        }
        _balances[user][token] += amount;
        totalDeposits[token] += amount;
        emit Deposited(user, token, amount);
    }

    function _send(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            (bool ok,) = payable(to).call{value: amount}("");
            if (!ok) revert EthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }
}
