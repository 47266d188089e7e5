// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MigrationPhase} from "./MigrationPhase.sol";

/// @title PaymentEscrowV2
/// @notice Per-(user, token) prepaid balances, V2; ETH is token `address(0)`, any ERC20 otherwise. ETH and
/// ERC20 deposits share {deposit}; withdrawals name their recipient.
/// @dev Every (user, token) pair that ever had a balance is enumerable through {balanceCount} and
/// {getBalanceAt}. Deployed in the migration phase: the V1 funds arrive (ETH through {receive}, ERC20 by
/// plain transfer) and holders of `MIGRATOR_ROLE` import the V1 balances with {migrateDeposits}; per token,
/// the total credited never exceeds what the escrow holds. Deposits and withdrawals open after
/// {finalizeMigration}. Tokens charging a fee on transfer are not supported.
contract PaymentEscrowV2 is MigrationPhase, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice An enumerable (user, token) pair.
    struct BalanceKey {
        address user;
        address token;
    }

    /// @notice One V1 balance to import, as built by the migration tool.
    struct DepositImport {
        address user;
        address token;
        uint256 amount;
    }

    mapping(address user => mapping(address token => uint256)) private _balances;
    BalanceKey[] private _keys;
    /// @dev 1-based position of a pair in `_keys`; 0 when the pair has no entry.
    mapping(address user => mapping(address token => uint256)) private _keyPosition;
    /// @notice Sum of every user's balance of `token` (imported and deposited, minus withdrawn): the
    /// escrow's liability in that token, never above what it holds.
    mapping(address token => uint256) public totalCredited;

    /// @notice Emitted when `user` deposits `amount` of `token`.
    event Deposited(address indexed user, address indexed token, uint256 amount);
    /// @notice Emitted when `user` withdraws `amount` of `token` to `to`.
    event Withdrawn(address indexed user, address indexed token, uint256 amount, address to);
    /// @notice Emitted when the escrow receives migrated ETH.
    event FundsReceived(address indexed from, uint256 amount);

    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice `user` cannot withdraw `requested` of `token`: the balance is `available`.
    error InsufficientBalance(address user, address token, uint256 requested, uint256 available);
    /// @notice `msg.value` is `sent` but must be `expected` (the amount for ETH, zero for an ERC20).
    error EthAmountMismatch(uint256 sent, uint256 expected);
    /// @notice `index` is not below the pair count `count`.
    error IndexOutOfRange(uint256 index, uint256 count);
    /// @notice The zero address was given.
    error ZeroAddress();
    /// @notice Sending `amount` wei to `to` failed.
    error EthTransferFailed(address to, uint256 amount);
    /// @notice The balance of `user` in `token` was already imported.
    error DepositAlreadyMigrated(address user, address token);
    /// @notice Imports would credit `credited` of `token` in total while the escrow holds only `available`.
    error InsufficientMigratedFunds(address token, uint256 credited, uint256 available);

    /// @notice Accepts the V1 ETH, only during the migration phase.
    receive() external payable onlyDuringMigration {
        emit FundsReceived(msg.sender, msg.value);
    }

    /// @notice Imports V1 balances. Only `MIGRATOR_ROLE`, only during the migration phase.
    /// @dev Reverts with {DepositAlreadyMigrated} for a (user, token) pair already imported (in an earlier
    /// batch or earlier in this one), and with {InsufficientMigratedFunds} if a token's total credited would
    /// exceed the escrow's holdings of it (checked once per run of consecutive records with the same token:
    /// group records by token for the cheapest batch). Folds each record into {importDigest} and emits one
    /// {BatchImported}.
    /// @param deposits The records, in import order.
    function migrateDeposits(DepositImport[] calldata deposits)
        external
        onlyRole(MIGRATOR_ROLE)
        onlyDuringMigration
    {
        uint256 n = deposits.length;
        if (n == 0) revert EmptyBatch();
        bytes32 digest = importDigest;
        address runToken = deposits[0].token;
        uint256 runSum;
        for (uint256 i; i < n; ++i) {
            DepositImport calldata rec = deposits[i];
            address token = rec.token;
            if (token != runToken) {
                _settleRun(runToken, runSum);
                runToken = token;
                runSum = 0;
            }
            _importDeposit(rec.user, token, rec.amount);
            runSum += rec.amount;
            digest = _fold(digest, keccak256(abi.encode(rec)));
        }
        _settleRun(runToken, runSum);
        _commitBatch(n, digest);
    }

    /// @notice Deposits `amount` of `token` for the caller. Only after the migration.
    /// @dev For ETH (`token == address(0)`) send `msg.value == amount`; for an ERC20 send no ETH and approve
    /// the escrow for `amount` first.
    /// @param token `address(0)` for ETH, an ERC20 otherwise.
    /// @param amount Amount in the token's smallest unit, nonzero.
    function deposit(address token, uint256 amount)
        external
        payable
        afterMigration
        whenNotPaused
        nonReentrant
    {
        if (amount == 0) revert ZeroAmount();
        uint256 expected = token == address(0) ? amount : 0;
        if (msg.value != expected) revert EthAmountMismatch(msg.value, expected);
        if (_keyPosition[msg.sender][token] == 0) {
            _keys.push(BalanceKey(msg.sender, token));
            _keyPosition[msg.sender][token] = _keys.length;
        }
        _balances[msg.sender][token] += amount;
        totalCredited[token] += amount;
        emit Deposited(msg.sender, token, amount);
        if (token != address(0)) IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws `amount` of the caller's `token` balance to `to`. Only after the migration.
    /// @param token `address(0)` for ETH, an ERC20 otherwise.
    /// @param amount Amount in the token's smallest unit, nonzero.
    /// @param to Recipient.
    function withdraw(address token, uint256 amount, address to)
        external
        afterMigration
        whenNotPaused
        nonReentrant
    {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        uint256 available = _balances[msg.sender][token];
        if (amount > available) revert InsufficientBalance(msg.sender, token, amount, available);
        unchecked {
            _balances[msg.sender][token] = available - amount;
        }
        totalCredited[token] -= amount;
        emit Withdrawn(msg.sender, token, amount, to);
        if (token == address(0)) {
            (bool ok,) = payable(to).call{value: amount}("");
            if (!ok) revert EthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @notice Balance of `user` in `token`.
    /// @param user Any address.
    /// @param token `address(0)` for ETH, an ERC20 otherwise.
    function balanceOf(address user, address token) external view returns (uint256) {
        return _balances[user][token];
    }

    /// @notice Number of enumerable (user, token) pairs (imported, then first deposits).
    function balanceCount() external view returns (uint256) {
        return _keys.length;
    }

    /// @notice The (user, token) pair at `index` and its current balance.
    /// @param index Below {balanceCount}.
    function getBalanceAt(uint256 index) external view returns (address user, address token, uint256 amount) {
        uint256 count = _keys.length;
        if (index >= count) revert IndexOutOfRange(index, count);
        BalanceKey storage key = _keys[index];
        user = key.user;
        token = key.token;
        amount = _balances[user][token];
    }

    /// @dev Writes one imported balance; the pair's `_keyPosition` (written anyway for enumeration) doubles
    /// as the duplicate guard. Zero fields are not written.
    function _importDeposit(address user, address token, uint256 amount) private {
        if (user == address(0)) revert ZeroAddress();
        mapping(address => uint256) storage position = _keyPosition[user];
        if (position[token] != 0) revert DepositAlreadyMigrated(user, token);
        BalanceKey storage key = _keys.push();
        key.user = user;
        if (token != address(0)) key.token = token;
        position[token] = _keys.length;
        if (amount != 0) _balances[user][token] = amount;
    }

    /// @dev Adds a run's credits to `token`'s total and checks it against the escrow's holdings.
    function _settleRun(address token, uint256 sum) private {
        uint256 credited = totalCredited[token] + sum;
        uint256 available =
            token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
        if (credited > available) revert InsufficientMigratedFunds(token, credited, available);
        totalCredited[token] = credited;
    }
}
