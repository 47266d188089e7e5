// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

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

    /// @notice The migration phase is over.
    error MigrationClosed();
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
