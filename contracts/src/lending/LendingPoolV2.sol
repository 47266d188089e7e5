// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title LendingPoolV2
/// @notice The lending pool's ledger, V2: reserve settings in basis points and WAD rates with an optional
/// borrow cap, collateral accounts with a tier, loans keyed by (borrower, reserve id). Like V1, it custodies
/// only the collateral token; borrowed amounts are recorded debt, paid out and collected by the reserve's
/// facility. A loan locks `ceil(principal * 10_000 / ltvBps)` of its borrower's collateral.
/// @dev Deployed in its migration phase (`migrating == true`): the V1 collateral arrives by plain ERC-20
/// transfer and the {migrator} imports the V1 records with {importReserves}, {importAccounts} and
/// {importLoans}. Imports work only during the phase; deposits, withdrawals, borrows, repayments and
/// reserve administration only after {finalizeMigration}, which the owner calls once.
///
/// Each record set has its own digest and count ({reservesDigest}/{reservesImported},
/// {accountsDigest}/{accountsImported}, {loansDigest}/{loansImported}). Per set, from `bytes32(0)`, for
/// every record in import order: `d = keccak256(abi.encode(d, keccak256(abi.encode(record))))`, where
/// `record` is the import struct as received (all three are static structs). Batching does not matter.
contract LendingPoolV2 is Ownable, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice One V1 reserve to import (V1 percentages x 100, V1 rate in bps x 1e14).
    struct ReserveImport {
        uint256 id;
        address asset;
        uint32 ltvBps;
        uint32 liquidationThresholdBps;
        uint256 rateWad;
        uint256 borrowCap;
        bool active;
    }

    /// @notice One V1 collateral account to import.
    struct AccountImport {
        address user;
        uint256 collateral;
        uint64 depositedAt;
        uint8 tier;
    }

    /// @notice One V1 loan to import; its reserve must have been imported first.
    struct LoanImport {
        address borrower;
        uint256 reserveId;
        uint256 principal;
        uint256 rateWad;
        uint64 openedAt;
    }

    /// @notice Settings and totals of one borrowable asset.
    struct Reserve {
        address asset;
        uint32 ltvBps;
        uint32 liquidationThresholdBps;
        bool active;
        // Set once the reserve exists (imported or added); never cleared.
        bool listed;
        uint256 rateWad;
        // 0: uncapped.
        uint256 borrowCap;
        // Sum of the principals of the reserve's open loans.
        uint256 totalBorrowed;
    }

    /// @notice A collateral account.
    struct Account {
        uint256 collateral;
        uint64 depositedAt;
        uint8 tier;
        // Set once the account exists (imported or first deposit); never cleared.
        bool opened;
    }

    /// @notice Debt of one borrower in one reserve (principal 0: no loan).
    struct Loan {
        uint256 principal;
        uint256 rateWad;
        uint64 openedAt;
    }

    /// @notice Highest loan-to-value and liquidation threshold: 100 %.
    uint32 public constant MAX_BPS = 10_000;

    /// @notice The token every account deposits as collateral.
    IERC20 public immutable collateralToken;
    /// @notice The account allowed to import records during the migration phase (the deployer at first).
    address public migrator;
    /// @notice True from deployment until {finalizeMigration}.
    bool public migrating = true;

    /// @notice Running digest of the imported reserves.
    bytes32 public reservesDigest;
    /// @notice Number of imported reserves.
    uint256 public reservesImported;
    /// @notice Running digest of the imported accounts.
    bytes32 public accountsDigest;
    /// @notice Number of imported accounts.
    uint256 public accountsImported;
    /// @notice Running digest of the imported loans.
    bytes32 public loansDigest;
    /// @notice Number of imported loans.
    uint256 public loansImported;

    /// @notice Sum of every account's collateral (imported and deposited, minus withdrawn): the pool's
    /// liability in the collateral token, never above what it holds.
    uint256 public totalCollateral;
    /// @notice One above the highest reserve id in use: the id {addReserve} gives next.
    uint256 public nextReserveId;

    mapping(uint256 reserveId => Reserve) private _reserves;
    mapping(address user => Account) private _accounts;
    mapping(address borrower => mapping(uint256 reserveId => Loan)) private _loans;
    /// @notice Collateral of `user` that its open loans lock: the sum over its loans of
    /// `ceil(principal * 10_000 / ltvBps)`.
    mapping(address user => uint256) public lockedCollateral;

    /// @notice Emitted when the owner hands the import right to `migrator`.
    event MigratorSet(address indexed migrator);
    /// @notice Emitted when migrated collateral is sent back to `to` (a rollback of the migration).
    event CollateralReturned(address indexed to, uint256 amount);
    /// @notice Emitted once per {importReserves} batch of `count` records; the reserves digest is now `digest`.
    event ReservesImported(uint256 count, bytes32 digest);
    /// @notice Emitted once per {importAccounts} batch of `count` records; the accounts digest is now `digest`.
    event AccountsImported(uint256 count, bytes32 digest);
    /// @notice Emitted once per {importLoans} batch of `count` records; the loans digest is now `digest`.
    event LoansImported(uint256 count, bytes32 digest);
    /// @notice Emitted when the migration phase ends, with the three final digests.
    event MigrationFinalized(bytes32 reservesDigest, bytes32 accountsDigest, bytes32 loansDigest);
    /// @notice Emitted when the owner adds reserve `reserveId` (after the migration).
    event ReserveAdded(uint256 indexed reserveId, address indexed asset);
    /// @notice Emitted when the owner changes reserve `reserveId`'s borrow cap or active flag.
    event ReserveUpdated(uint256 indexed reserveId, uint256 borrowCap, bool active);
    /// @notice Emitted when `user` deposits `amount` of collateral.
    event CollateralDeposited(address indexed user, uint256 amount);
    /// @notice Emitted when `user` withdraws `amount` of collateral.
    event CollateralWithdrawn(address indexed user, uint256 amount);
    /// @notice Emitted when `borrower` borrows `amount` from reserve `reserveId`.
    event Borrowed(address indexed borrower, uint256 indexed reserveId, uint256 amount);
    /// @notice Emitted when `borrower` repays `amount` to reserve `reserveId`.
    event Repaid(address indexed borrower, uint256 indexed reserveId, uint256 amount);

    /// @notice `caller` is not the {migrator}.
    error NotMigrator(address caller);
    /// @notice The migration phase is over.
    error MigrationClosed();
    /// @notice The migration phase is not over yet.
    error MigrationInProgress();
    /// @notice An import batch without records.
    error EmptyBatch();
    /// @notice Reserve `id` was already imported (in an earlier batch or earlier in this one).
    error ReserveAlreadyImported(uint256 id);
    /// @notice The account of `user` was already imported.
    error AccountAlreadyImported(address user);
    /// @notice The loan of `borrower` in reserve `reserveId` was already imported.
    error LoanAlreadyImported(address borrower, uint256 reserveId);
    /// @notice A loan of `borrower` in reserve `reserveId` with a zero principal (a repaid V1 loan).
    error EmptyLoan(address borrower, uint256 reserveId);
    /// @notice Reserve `reserveId` does not exist (loans need their reserve imported first).
    error UnknownReserve(uint256 reserveId);
    /// @notice Settings of reserve `id` out of range: `0 < ltvBps <= liquidationThresholdBps <= 10_000`.
    error InvalidReserveSettings(uint256 id, uint32 ltvBps, uint32 liquidationThresholdBps);
    /// @notice Imports would credit `credited` collateral in total while the pool holds only `held`.
    error InsufficientMigratedFunds(uint256 credited, uint256 held);
    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice The zero address was given.
    error ZeroAddress();
    /// @notice Reserve `reserveId` does not lend at the moment.
    error ReserveInactive(uint256 reserveId);
    /// @notice Borrowing would bring reserve `reserveId`'s total to `total`, above its cap `cap`.
    error BorrowCapExceeded(uint256 reserveId, uint256 total, uint256 cap);
    /// @notice `user` cannot withdraw `requested`: only `available` of its collateral is not locked.
    error InsufficientCollateral(address user, uint256 requested, uint256 available);
    /// @notice Borrowing would lock `required` collateral of `borrower`, which has only `available` free.
    error BorrowLimitExceeded(address borrower, uint256 required, uint256 available);
    /// @notice `borrower` owes only `owed` to reserve `reserveId`, less than `amount`.
    error RepayExceedsDebt(address borrower, uint256 reserveId, uint256 amount, uint256 owed);

    /// @notice Restricts a function to the {migrator}.
    modifier onlyMigrator() {
        if (msg.sender != migrator) revert NotMigrator(msg.sender);
        _;
    }

    /// @notice Restricts a function to the migration phase.
    modifier onlyDuringMigration() {
        if (!migrating) revert MigrationClosed();
        _;
    }

    /// @notice Restricts a function to after the migration phase.
    modifier afterMigration() {
        if (migrating) revert MigrationInProgress();
        _;
    }

    /// @param collateralToken_ The ERC-20 deposited as collateral (V1's `collateralToken`).
    constructor(IERC20 collateralToken_) Ownable(msg.sender) {
        if (address(collateralToken_) == address(0)) revert ZeroAddress();
        collateralToken = collateralToken_;
        migrator = msg.sender;
        emit MigratorSet(msg.sender);
    }

    // ---- migration ----

    /// @notice Hands the import right to `newMigrator`. Only the owner, only during the migration phase.
    /// @param newMigrator The account that will call the imports.
    function setMigrator(address newMigrator) external onlyOwner onlyDuringMigration {
        if (newMigrator == address(0)) revert ZeroAddress();
        migrator = newMigrator;
        emit MigratorSet(newMigrator);
    }

    /// @notice Imports V1 reserves under their V1 ids. Only the {migrator}, only during the phase.
    /// @dev Reverts {ReserveAlreadyImported} for an id already imported and {InvalidReserveSettings} for
    /// settings V2 could not lend with. Folds each record into {reservesDigest}; emits one {ReservesImported}.
    /// @param records The reserves, in import order.
    function importReserves(ReserveImport[] calldata records) external onlyMigrator onlyDuringMigration {
        uint256 n = records.length;
        if (n == 0) revert EmptyBatch();
        bytes32 digest = reservesDigest;
        uint256 next = nextReserveId;
        for (uint256 i; i < n; ++i) {
            ReserveImport calldata r = records[i];
            Reserve storage reserve = _reserves[r.id];
            if (reserve.listed) revert ReserveAlreadyImported(r.id);
            if (r.asset == address(0)) revert ZeroAddress();
            _checkSettings(r.id, r.ltvBps, r.liquidationThresholdBps);
            reserve.asset = r.asset;
            reserve.ltvBps = r.ltvBps;
            reserve.liquidationThresholdBps = r.liquidationThresholdBps;
            reserve.active = r.active;
            reserve.listed = true;
            if (r.rateWad != 0) reserve.rateWad = r.rateWad;
            if (r.borrowCap != 0) reserve.borrowCap = r.borrowCap;
            if (r.id >= next) next = r.id + 1;
            digest = _fold(digest, keccak256(abi.encode(r)));
        }
        nextReserveId = next;
        reservesDigest = digest;
        reservesImported += n;
        emit ReservesImported(n, digest);
    }

    /// @notice Imports V1 collateral accounts. Only the {migrator}, only during the phase.
    /// @dev Reverts {AccountAlreadyImported} for a user already imported, and
    /// {InsufficientMigratedFunds} if the total credited collateral would exceed the pool's token balance
    /// (move the V1 collateral first). Folds each record into {accountsDigest}; emits one {AccountsImported}.
    /// @param records The accounts, in import order.
    function importAccounts(AccountImport[] calldata records) external onlyMigrator onlyDuringMigration {
        uint256 n = records.length;
        if (n == 0) revert EmptyBatch();
        bytes32 digest = accountsDigest;
        uint256 credited = totalCollateral;
        for (uint256 i; i < n; ++i) {
            AccountImport calldata a = records[i];
            if (a.user == address(0)) revert ZeroAddress();
            Account storage account = _accounts[a.user];
            if (account.opened) revert AccountAlreadyImported(a.user);
            if (a.collateral != 0) account.collateral = a.collateral;
            account.depositedAt = a.depositedAt;
            account.tier = a.tier;
            account.opened = true;
            credited += a.collateral;
            digest = _fold(digest, keccak256(abi.encode(a)));
        }
        uint256 held = collateralToken.balanceOf(address(this));
        if (credited > held) revert InsufficientMigratedFunds(credited, held);
        totalCollateral = credited;
        accountsDigest = digest;
        accountsImported += n;
        emit AccountsImported(n, digest);
    }

    /// @notice Imports V1 loans. Only the {migrator}, only during the phase; each loan's reserve must
    /// have been imported.
    /// @dev Reverts {UnknownReserve} for a reserve not imported, {EmptyLoan} for a zero principal (a
    /// repaid V1 loan reads as zeros: leave it out) and {LoanAlreadyImported} for a (borrower, reserve)
    /// already imported. Locks the borrower's collateral and adds to the reserve's total as a borrow
    /// would. Folds each record into {loansDigest}; emits one {LoansImported}.
    /// @param records The loans, in import order.
    function importLoans(LoanImport[] calldata records) external onlyMigrator onlyDuringMigration {
        uint256 n = records.length;
        if (n == 0) revert EmptyBatch();
        bytes32 digest = loansDigest;
        for (uint256 i; i < n; ++i) {
            LoanImport calldata l = records[i];
            Reserve storage reserve = _reserves[l.reserveId];
            if (!reserve.listed) revert UnknownReserve(l.reserveId);
            if (l.borrower == address(0)) revert ZeroAddress();
            if (l.principal == 0) revert EmptyLoan(l.borrower, l.reserveId);
            Loan storage loan = _loans[l.borrower][l.reserveId];
            if (loan.principal != 0) revert LoanAlreadyImported(l.borrower, l.reserveId);
            loan.principal = l.principal;
            if (l.rateWad != 0) loan.rateWad = l.rateWad;
            loan.openedAt = l.openedAt;
            reserve.totalBorrowed += l.principal;
            lockedCollateral[l.borrower] += _lockFor(l.principal, reserve.ltvBps);
            digest = _fold(digest, keccak256(abi.encode(l)));
        }
        loansDigest = digest;
        loansImported += n;
        emit LoansImported(n, digest);
    }

    /// @notice Sends `amount` of collateral back to `to`, the V1 pool it came from: the way back of a
    /// migration that is rolled back. Only the owner, only during the migration phase (after
    /// {finalizeMigration} the collateral belongs to V2's accounts).
    /// @param to Recipient (the V1 pool).
    /// @param amount Amount of the collateral token.
    function returnCollateral(address to, uint256 amount) external onlyOwner onlyDuringMigration {
        if (to == address(0)) revert ZeroAddress();
        emit CollateralReturned(to, amount);
        collateralToken.safeTransfer(to, amount);
    }

    /// @notice Ends the migration phase forever: imports close, normal use opens.
    function finalizeMigration() external onlyOwner onlyDuringMigration {
        migrating = false;
        emit MigrationFinalized(reservesDigest, accountsDigest, loansDigest);
    }

    // ---- reserves (owner, after the migration) ----

    /// @notice Adds an active reserve with id {nextReserveId}.
    /// @param asset The asset the reserve's facility lends.
    /// @param ltvBps Loan-to-value in basis points (a loan is at most this share of the collateral it locks).
    /// @param liquidationThresholdBps Liquidation threshold in basis points (at least `ltvBps`, at most 10,000).
    /// @param rateWad Yearly interest rate, 1e18 = 100 %.
    /// @param borrowCap Most the reserve's loans may total; 0 for no cap.
    /// @return reserveId The new reserve's id.
    function addReserve(
        address asset,
        uint32 ltvBps,
        uint32 liquidationThresholdBps,
        uint256 rateWad,
        uint256 borrowCap
    ) external onlyOwner afterMigration returns (uint256 reserveId) {
        if (asset == address(0)) revert ZeroAddress();
        reserveId = nextReserveId++;
        _checkSettings(reserveId, ltvBps, liquidationThresholdBps);
        _reserves[reserveId] =
            Reserve(asset, ltvBps, liquidationThresholdBps, true, true, rateWad, borrowCap, 0);
        emit ReserveAdded(reserveId, asset);
    }

    /// @notice Sets reserve `reserveId`'s borrow cap and whether it lends (open loans are unaffected).
    /// @param reserveId An existing reserve.
    /// @param borrowCap Most the reserve's loans may total; 0 for no cap.
    /// @param active Whether the reserve lends.
    function updateReserve(uint256 reserveId, uint256 borrowCap, bool active)
        external
        onlyOwner
        afterMigration
    {
        Reserve storage reserve = _listed(reserveId);
        reserve.borrowCap = borrowCap;
        reserve.active = active;
        emit ReserveUpdated(reserveId, borrowCap, active);
    }

    // ---- collateral and loans (after the migration) ----

    /// @notice Deposits `amount` of collateral for the caller (approve the pool first). Starts the
    /// account's `depositedAt` when it had no collateral.
    /// @param amount Amount in the collateral token's unit.
    function deposit(uint256 amount) external afterMigration whenNotPaused nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Account storage account = _accounts[msg.sender];
        if (account.collateral == 0) account.depositedAt = uint64(block.timestamp);
        account.opened = true;
        account.collateral += amount;
        totalCollateral += amount;
        emit CollateralDeposited(msg.sender, amount);
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws `amount` of the caller's collateral that no loan locks.
    /// @param amount At most the collateral minus {lockedCollateral}.
    function withdraw(uint256 amount) external afterMigration whenNotPaused nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Account storage account = _accounts[msg.sender];
        uint256 free = account.collateral - lockedCollateral[msg.sender];
        if (amount > free) revert InsufficientCollateral(msg.sender, amount, free);
        account.collateral -= amount;
        totalCollateral -= amount;
        emit CollateralWithdrawn(msg.sender, amount);
        collateralToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Records a loan of `amount` from reserve `reserveId` to the caller; a second borrow adds to
    /// the loan (its rate and `openedAt` stay). The facility pays the asset out; this contract moves nothing.
    /// @param reserveId An active reserve.
    /// @param amount Amount borrowed; the reserve's total must stay within its cap.
    function borrow(uint256 reserveId, uint256 amount) external afterMigration whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        Reserve storage reserve = _listed(reserveId);
        if (!reserve.active) revert ReserveInactive(reserveId);
        uint256 total = reserve.totalBorrowed + amount;
        if (reserve.borrowCap != 0 && total > reserve.borrowCap) {
            revert BorrowCapExceeded(reserveId, total, reserve.borrowCap);
        }
        Loan storage loan = _loans[msg.sender][reserveId];
        uint256 principal = loan.principal;
        uint256 ltv = reserve.ltvBps;
        uint256 required = _lockFor(principal + amount, ltv) - _lockFor(principal, ltv);
        uint256 locked = lockedCollateral[msg.sender];
        uint256 free = _accounts[msg.sender].collateral - locked;
        if (required > free) revert BorrowLimitExceeded(msg.sender, required, free);
        if (principal == 0) {
            loan.rateWad = reserve.rateWad;
            loan.openedAt = uint64(block.timestamp);
        }
        loan.principal = principal + amount;
        reserve.totalBorrowed = total;
        lockedCollateral[msg.sender] = locked + required;
        emit Borrowed(msg.sender, reserveId, amount);
    }

    /// @notice Records that the caller repaid `amount` of its loan from reserve `reserveId` (to the
    /// facility), unlocking the collateral that part locked. Repaying in full deletes the loan.
    /// @param reserveId The loan's reserve.
    /// @param amount At most the principal owed.
    function repay(uint256 reserveId, uint256 amount) external afterMigration whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        Reserve storage reserve = _listed(reserveId);
        Loan storage loan = _loans[msg.sender][reserveId];
        uint256 principal = loan.principal;
        if (amount > principal) revert RepayExceedsDebt(msg.sender, reserveId, amount, principal);
        uint256 ltv = reserve.ltvBps;
        uint256 unlock = _lockFor(principal, ltv) - _lockFor(principal - amount, ltv);
        if (amount == principal) {
            delete _loans[msg.sender][reserveId];
        } else {
            loan.principal = principal - amount;
        }
        reserve.totalBorrowed -= amount;
        lockedCollateral[msg.sender] -= unlock;
        emit Repaid(msg.sender, reserveId, amount);
    }

    /// @notice Pauses deposits, withdrawals, borrows and repayments (never the imports).
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyOwner {
        _unpause();
    }

    // ---- views (the migration reads records back through these) ----

    /// @notice Reserve `id`; reverts {UnknownReserve} if it does not exist.
    /// @param id A reserve id (for imported reserves, the V1 index).
    function getReserve(uint256 id) external view returns (Reserve memory) {
        return _listed(id);
    }

    /// @notice The account of `user` (all zeros if it has none).
    /// @param user Any address.
    function accountOf(address user) external view returns (Account memory) {
        return _accounts[user];
    }

    /// @notice The loan of `borrower` in reserve `reserveId` (all zeros if there is none).
    /// @param borrower Any address.
    /// @param reserveId Any reserve id.
    function loanOf(address borrower, uint256 reserveId) external view returns (Loan memory) {
        return _loans[borrower][reserveId];
    }

    // ---- internals ----

    function _listed(uint256 reserveId) private view returns (Reserve storage reserve) {
        reserve = _reserves[reserveId];
        if (!reserve.listed) revert UnknownReserve(reserveId);
    }

    function _checkSettings(uint256 id, uint32 ltvBps, uint32 liquidationThresholdBps) private pure {
        if (ltvBps == 0 || ltvBps > liquidationThresholdBps || liquidationThresholdBps > MAX_BPS) {
            revert InvalidReserveSettings(id, ltvBps, liquidationThresholdBps);
        }
    }

    /// @dev Collateral a principal locks at `ltvBps`: `ceil(principal * 10_000 / ltvBps)`.
    function _lockFor(uint256 principal, uint256 ltvBps) private pure returns (uint256) {
        return Math.ceilDiv(principal * MAX_BPS, ltvBps);
    }

    /// @dev Folds one record's hash into a running digest.
    function _fold(bytes32 digest, bytes32 recordHash) private pure returns (bytes32) {
        return keccak256(abi.encode(digest, recordHash));
    }
}
