// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title LendingPoolV1
/// @notice The ledger of a lending pool: users deposit one ERC-20 collateral token and borrow against it
/// from per-asset reserves (settings in an array, one loan per borrower and reserve).
/// @dev Live V1 state that molt migrates to {LendingPoolV2}. This contract custodies only the collateral:
/// borrowed amounts are recorded debt, paid out and collected by the reserve's facility (off this
/// contract), so the contract's token balance always equals the sum of `accounts[*].collateral`. There
/// is no price oracle: every amount is in the collateral token's unit. A loan locks
/// `ceil(principal * 100 / ltvPercent)` of its borrower's collateral until it is repaid.
///
/// Accounts and loans are mappings and are not enumerable: their keys are known only from the
/// {CollateralDeposited} and {Borrowed} events. A full withdrawal or a full repayment `delete`s the
/// entry, so it then reads as all zeros. During a migration the owner pauses the pool and moves the
/// collateral to the new pool with {transferCollateral}.
contract LendingPoolV1 is Ownable, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Settings of one borrowable asset; its id is its index in {reserves}.
    struct Reserve {
        address asset;
        uint8 ltvPercent;
        uint8 liquidationThresholdPercent;
        uint16 rateBps;
        bool active;
    }

    /// @notice A depositor's collateral, and when its current deposit run started.
    struct Account {
        uint128 collateral;
        uint64 since;
    }

    /// @notice Debt of one borrower in one reserve.
    struct Loan {
        uint128 principal;
        uint16 rateBps;
        uint64 openedAt;
    }

    /// @notice The token every account deposits as collateral.
    IERC20 public immutable collateralToken;
    /// @notice Reserve settings, by id (the array index).
    Reserve[] public reserves;
    /// @notice Collateral accounts, by user (keys from {CollateralDeposited}).
    mapping(address user => Account) public accounts;
    /// @notice Loans, by borrower and reserve id (keys from {Borrowed}).
    mapping(address borrower => mapping(uint256 reserveId => Loan)) public loans;
    /// @notice Collateral of `user` that its open loans lock: the sum over its loans of
    /// `ceil(principal * 100 / ltvPercent)`.
    mapping(address user => uint256) public lockedCollateral;

    /// @notice Emitted when the owner adds reserve `reserveId`.
    event ReserveAdded(
        uint256 indexed reserveId,
        address indexed asset,
        uint8 ltvPercent,
        uint8 liquidationThresholdPercent,
        uint16 rateBps
    );
    /// @notice Emitted when the owner turns borrowing from reserve `reserveId` on or off.
    event ReserveActiveSet(uint256 indexed reserveId, bool active);
    /// @notice Emitted when `user` deposits `amount` of collateral.
    event CollateralDeposited(address indexed user, uint256 amount);
    /// @notice Emitted when `user` withdraws `amount` of collateral.
    event CollateralWithdrawn(address indexed user, uint256 amount);
    /// @notice Emitted when `borrower` borrows `amount` from reserve `reserveId`.
    event Borrowed(address indexed borrower, uint256 indexed reserveId, uint256 amount);
    /// @notice Emitted when `borrower` repays `amount` to reserve `reserveId`.
    event Repaid(address indexed borrower, uint256 indexed reserveId, uint256 amount);
    /// @notice Emitted when the owner moves `amount` of collateral to `to` (the new pool).
    event CollateralTransferred(address indexed to, uint256 amount);

    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice The zero address was given.
    error ZeroAddress();
    /// @notice Reserve settings out of range: `0 < ltvPercent <= liquidationThresholdPercent <= 100`.
    error InvalidReserveSettings(uint8 ltvPercent, uint8 liquidationThresholdPercent);
    /// @notice There is no reserve `reserveId` (the count is `count`).
    error UnknownReserve(uint256 reserveId, uint256 count);
    /// @notice Reserve `reserveId` does not lend at the moment.
    error ReserveInactive(uint256 reserveId);
    /// @notice `user` cannot withdraw `requested`: only `available` of its collateral is not locked.
    error InsufficientCollateral(address user, uint256 requested, uint256 available);
    /// @notice Borrowing would lock `required` collateral of `borrower`, which has only `available` free.
    error BorrowLimitExceeded(address borrower, uint256 required, uint256 available);
    /// @notice `borrower` owes only `owed` to reserve `reserveId`, less than `amount`.
    error RepayExceedsDebt(address borrower, uint256 reserveId, uint256 amount, uint256 owed);

    /// @param collateralToken_ The ERC-20 deposited as collateral.
    constructor(IERC20 collateralToken_) Ownable(msg.sender) {
        if (address(collateralToken_) == address(0)) revert ZeroAddress();
        collateralToken = collateralToken_;
    }

    // ---- reserves (owner) ----

    /// @notice Adds a reserve, active, with the next id ({reserveCount} before the call).
    /// @param asset The asset the reserve's facility lends.
    /// @param ltvPercent Loan-to-value: a loan may be at most this percentage of the collateral it locks.
    /// @param liquidationThresholdPercent Debt percentage of the collateral above which a loan can be
    /// liquidated (at least `ltvPercent`, at most 100).
    /// @param rateBps Yearly interest rate, in basis points.
    /// @return reserveId The new reserve's id.
    function addReserve(address asset, uint8 ltvPercent, uint8 liquidationThresholdPercent, uint16 rateBps)
        external
        onlyOwner
        returns (uint256 reserveId)
    {
        if (asset == address(0)) revert ZeroAddress();
        bool ordered = 0 < ltvPercent && ltvPercent <= liquidationThresholdPercent;
        if (!ordered || liquidationThresholdPercent > 100) {
            revert InvalidReserveSettings(ltvPercent, liquidationThresholdPercent);
        }
        reserveId = reserves.length;
        reserves.push(Reserve(asset, ltvPercent, liquidationThresholdPercent, rateBps, true));
        emit ReserveAdded(reserveId, asset, ltvPercent, liquidationThresholdPercent, rateBps);
    }

    /// @notice Turns borrowing from reserve `reserveId` on or off (open loans are unaffected).
    /// @param reserveId An existing reserve.
    /// @param active Whether the reserve lends.
    function setReserveActive(uint256 reserveId, bool active) external onlyOwner {
        _reserve(reserveId).active = active;
        emit ReserveActiveSet(reserveId, active);
    }

    /// @notice Number of reserves (ids are `0 .. reserveCount() - 1`).
    function reserveCount() external view returns (uint256) {
        return reserves.length;
    }

    // ---- collateral ----

    /// @notice Deposits `amount` of collateral for the caller (approve the pool first). Starts the
    /// account's `since` when it had no collateral.
    /// @param amount Amount in the collateral token's unit; the account's total must fit 128 bits.
    function deposit(uint256 amount) external whenNotPaused nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Account storage account = accounts[msg.sender];
        if (account.collateral == 0) account.since = uint64(block.timestamp);
        account.collateral = SafeCast.toUint128(account.collateral + amount);
        emit CollateralDeposited(msg.sender, amount);
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws `amount` of the caller's collateral that no loan locks. Withdrawing everything
    /// deletes the account.
    /// @param amount At most the collateral minus {lockedCollateral}.
    function withdraw(uint256 amount) external whenNotPaused nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Account storage account = accounts[msg.sender];
        uint256 collateral = account.collateral;
        uint256 free = collateral - lockedCollateral[msg.sender];
        if (amount > free) revert InsufficientCollateral(msg.sender, amount, free);
        if (amount == collateral) {
            delete accounts[msg.sender];
        } else {
            // casting to 'uint128' is safe because the result is below the stored uint128 `collateral`
            // forge-lint: disable-next-line(unsafe-typecast)
            account.collateral = uint128(collateral - amount);
        }
        emit CollateralWithdrawn(msg.sender, amount);
        collateralToken.safeTransfer(msg.sender, amount);
    }

    // ---- loans (recorded debt: the reserve's facility pays out and collects) ----

    /// @notice Records a loan of `amount` from reserve `reserveId` to the caller. The loan locks
    /// `ceil(principal * 100 / ltvPercent)` of the caller's collateral. A second borrow from the same
    /// reserve adds to the loan (its `rateBps` and `openedAt` stay). The facility pays the asset out; this
    /// contract moves nothing.
    /// @param reserveId An active reserve.
    /// @param amount Amount borrowed; the loan's principal must fit 128 bits.
    function borrow(uint256 reserveId, uint256 amount) external whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        Reserve storage reserve = _reserve(reserveId);
        if (!reserve.active) revert ReserveInactive(reserveId);
        Loan storage loan = loans[msg.sender][reserveId];
        uint256 principal = loan.principal;
        uint256 ltv = reserve.ltvPercent;
        // The loan locks `_lockFor(principal)` in total, whatever the number of borrows.
        uint256 required = _lockFor(principal + amount, ltv) - _lockFor(principal, ltv);
        uint256 locked = lockedCollateral[msg.sender];
        uint256 free = accounts[msg.sender].collateral - locked;
        if (required > free) revert BorrowLimitExceeded(msg.sender, required, free);
        if (principal == 0) {
            loan.rateBps = reserve.rateBps;
            loan.openedAt = uint64(block.timestamp);
        }
        loan.principal = SafeCast.toUint128(principal + amount);
        lockedCollateral[msg.sender] = locked + required;
        emit Borrowed(msg.sender, reserveId, amount);
    }

    /// @notice Records that the caller repaid `amount` of its loan from reserve `reserveId` (to the
    /// facility), unlocking the collateral that part locked. Repaying in full deletes the loan.
    /// @param reserveId The loan's reserve.
    /// @param amount At most the principal owed.
    function repay(uint256 reserveId, uint256 amount) external whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        Reserve storage reserve = _reserve(reserveId);
        Loan storage loan = loans[msg.sender][reserveId];
        uint256 principal = loan.principal;
        if (amount > principal) revert RepayExceedsDebt(msg.sender, reserveId, amount, principal);
        uint256 ltv = reserve.ltvPercent;
        // Unlock exactly what the remaining principal no longer needs (no rounding drift).
        uint256 unlock = _lockFor(principal, ltv) - _lockFor(principal - amount, ltv);
        if (amount == principal) {
            delete loans[msg.sender][reserveId];
        } else {
            // casting to 'uint128' is safe because the result is below the stored uint128 `principal`
            // forge-lint: disable-next-line(unsafe-typecast)
            loan.principal = uint128(principal - amount);
        }
        lockedCollateral[msg.sender] -= unlock;
        emit Repaid(msg.sender, reserveId, amount);
    }

    // ---- pause and migration (owner) ----

    /// @notice Pauses deposits, withdrawals, borrows and repayments.
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyOwner {
        _unpause();
    }

    /// @notice Moves `amount` of collateral to `to`, the new pool. Only while paused.
    /// @dev Accounts keep their `collateral` so the migration can read and re-credit it.
    /// @param to Recipient (the V2 pool).
    /// @param amount Amount of the collateral token.
    function transferCollateral(address to, uint256 amount) external onlyOwner whenPaused nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        emit CollateralTransferred(to, amount);
        collateralToken.safeTransfer(to, amount);
    }

    // ---- internals ----

    function _reserve(uint256 reserveId) private view returns (Reserve storage) {
        uint256 count = reserves.length;
        if (reserveId >= count) revert UnknownReserve(reserveId, count);
        return reserves[reserveId];
    }

    /// @dev Collateral a principal locks at `ltvPercent`: `ceil(principal * 100 / ltvPercent)`.
    function _lockFor(uint256 principal, uint256 ltvPercent) private pure returns (uint256) {
        return Math.ceilDiv(principal * 100, ltvPercent);
    }
}
