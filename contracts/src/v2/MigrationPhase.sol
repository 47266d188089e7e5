// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title MigrationPhase
/// @notice Shared migration machinery of the V2 contracts: a one-way migration phase during which
/// holders of {MIGRATOR_ROLE} import V1 records, and a running digest of everything imported.
/// @dev The contract starts in the migration phase (`migrating == true`). Import functions use
/// `onlyRole(MIGRATOR_ROLE) onlyDuringMigration`; normal use is `afterMigration`. The owner ends the phase
/// forever with {finalizeMigration}. The owner always holds `DEFAULT_ADMIN_ROLE` (it follows ownership
/// transfers); the deployer also gets {MIGRATOR_ROLE}. The owner can pause the normal (post-migration)
/// functions of the inheriting contract; pausing does not affect imports.
///
/// Digest: starting from `bytes32(0)`, for every imported record, in import order,
/// `importDigest = keccak256(abi.encode(importDigest, keccak256(abi.encode(record))))`
/// where `record` is the import struct exactly as received in calldata and `abi.encode(record)` is the
/// Solidity encoding of that single struct value (for a struct with dynamic members this starts with the
/// 0x20 offset word; alloy's `SolValue::abi_encode` produces the same bytes). The off-chain tool
/// recomputes it from the records it sent, in the same order, and compares with {importDigest}.
abstract contract MigrationPhase is Ownable, Pausable, AccessControl {
    using SafeERC20 for IERC20;

    /// @notice Role allowed to import records during the migration phase.
    bytes32 public constant MIGRATOR_ROLE = keccak256("MIGRATOR_ROLE");

    /// @notice True from deployment until {finalizeMigration}.
    bool public migrating = true;
    /// @notice Running digest of every imported record (see the contract documentation).
    bytes32 public importDigest;
    /// @notice Number of records imported so far.
    uint256 public importCount;

    /// @notice Emitted once per import batch: `count` records were imported and the digest is now `digest`.
    event BatchImported(uint256 count, bytes32 digest);
    /// @notice Emitted when the migration phase ends, with the final digest and record count.
    event MigrationFinalized(bytes32 digest, uint256 count);

    /// @notice Emitted when migrated funds are sent back to `to` (a rollback of the migration).
    event FundsReturned(address indexed token, uint256 amount, address indexed to);

    /// @notice The migration phase is over.
    error MigrationClosed();
    /// @notice The zero address was given as the recipient of returned funds.
    error ZeroRecipient();
    /// @notice Sending returned ETH to `to` failed.
    error ReturnFailed(address to, uint256 amount);
    /// @notice The migration phase is not over yet.
    error MigrationInProgress();
    /// @notice An import batch without records.
    error EmptyBatch();

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

    constructor() Ownable(msg.sender) {
        _grantRole(MIGRATOR_ROLE, msg.sender);
    }

    /// @notice Ends the migration phase forever: imports close and normal use opens.
    function finalizeMigration() external onlyOwner onlyDuringMigration {
        migrating = false;
        emit MigrationFinalized(importDigest, importCount);
    }

    /// @notice Sends `amount` of `token` (`address(0)` for ETH) back to `to`, the old contract the
    /// funds came from: the way back of a migration that is rolled back. Only the owner, only during
    /// the migration phase: once {finalizeMigration} ran, the funds belong to V2's users and cannot
    /// leave this way.
    /// @dev Imported records are left as they are: a rolled-back V2 is abandoned (redeployed for the next
    /// attempt), never emptied record by record.
    function returnFunds(address token, uint256 amount, address to) external onlyOwner onlyDuringMigration {
        if (to == address(0)) revert ZeroRecipient();
        emit FundsReturned(token, amount, to);
        if (token == address(0)) {
            (bool ok,) = payable(to).call{value: amount}("");
            if (!ok) revert ReturnFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @notice Pauses the contract's normal functions.
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyOwner {
        _unpause();
    }

    /// @dev Folds one record's hash into a running digest.
    function _fold(bytes32 digest, bytes32 recordHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(digest, recordHash));
    }

    /// @dev Stores the batch's resulting digest and count (one write each per batch) and emits the event.
    function _commitBatch(uint256 count, bytes32 digest) internal {
        importDigest = digest;
        importCount += count;
        emit BatchImported(count, digest);
    }

    /// @dev Keeps `DEFAULT_ADMIN_ROLE` with the owner across ownership transfers and renunciation.
    function _transferOwnership(address newOwner) internal virtual override {
        address oldOwner = owner();
        super._transferOwnership(newOwner);
        if (oldOwner != address(0)) _revokeRole(DEFAULT_ADMIN_ROLE, oldOwner);
        if (newOwner != address(0)) _grantRole(DEFAULT_ADMIN_ROLE, newOwner);
    }
}
