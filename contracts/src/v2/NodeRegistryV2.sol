// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MigrationPhase} from "./MigrationPhase.sol";

/// @title NodeRegistryV2
/// @notice Registry of Fabstir compute nodes, V2: reputation in basis points (0..10000), a per-token price
/// and a registration timestamp per node.
/// @dev Deployed in the migration phase: the V1 stakes arrive through {receive} and holders of
/// `MIGRATOR_ROLE` import the V1 nodes with {batchMigrateNodes}; the total stake credited by imports can
/// never exceed the ETH the registry holds. Registrations open after {finalizeMigration}.
contract NodeRegistryV2 is MigrationPhase {
    /// @notice A registered node.
    struct Node {
        address operator;
        string peerId;
        uint256 stake;
        string[] models;
        string region;
        uint256 reputationBps;
        uint256 pricePerToken;
        uint64 registeredAt;
    }

    /// @notice One V1 node to import, as built by the migration tool.
    struct NodeImport {
        address operator;
        string peerId;
        uint256 stake;
        string[] models;
        string region;
        uint256 reputationBps;
        uint256 pricePerToken;
        uint64 registeredAt;
    }

    /// @notice Minimum stake to register a node.
    uint256 public constant MIN_STAKE = 0.01 ether;
    /// @notice Highest reputation, in basis points.
    uint256 public constant MAX_REPUTATION_BPS = 10_000;
    /// @notice Reputation of a freshly registered node, in basis points.
    uint256 public constant INITIAL_REPUTATION_BPS = 5_000;

    mapping(address operator => Node) private _nodes;
    address[] private _operators;
    /// @notice Sum of the stakes credited to nodes (imported and registered).
    uint256 public totalStaked;

    /// @notice Emitted when `operator` registers a node.
    event NodeRegistered(address indexed operator, string peerId, uint256 stake);
    /// @notice Emitted when the owner sets the reputation of `operator`.
    event ReputationUpdated(address indexed operator, uint256 indexed reputationBps);
    /// @notice Emitted when the registry receives migrated stake funds.
    event StakeFundsReceived(address indexed from, uint256 amount);

    /// @notice `operator` sent a stake below {MIN_STAKE}.
    error InsufficientStake(uint256 sent, uint256 minimum, address operator);
    /// @notice `operator` already has a node.
    error AlreadyRegistered(address operator);
    /// @notice `operator` has no node.
    error NotRegistered(address operator);
    /// @notice `index` is not below the node count `count`.
    error IndexOutOfRange(uint256 index, uint256 count);
    /// @notice A reputation above {MAX_REPUTATION_BPS} (the value is in basis points; the parameter keeps its
    /// V1 name).
    error InvalidReputation(uint256 reputation);
    /// @notice The peer id is empty.
    error EmptyPeerId();
    /// @notice The model list is empty.
    error NoModels();
    /// @notice The zero address was given.
    error ZeroAddress();
    /// @notice The node of `operator` was already imported.
    error NodeAlreadyMigrated(address operator);
    /// @notice Imports would credit `credited` wei of stake while the registry holds only `available`.
    error StakeNotFunded(uint256 credited, uint256 available);

    /// @notice Accepts the V1 stakes, only during the migration phase.
    receive() external payable onlyDuringMigration {
        emit StakeFundsReceived(msg.sender, msg.value);
    }

    /// @notice Imports V1 nodes. Only `MIGRATOR_ROLE`, only during the migration phase.
    /// @dev Reverts with {NodeAlreadyMigrated} for an operator already imported (in an earlier batch or
    /// earlier in this one), and with {StakeNotFunded} if the total credited stake would exceed the ETH
    /// held. Fields equal to zero/empty are not written. Folds each record into {importDigest} and emits
    /// one {BatchImported}.
    /// @param nodes The records, in import order.
    function batchMigrateNodes(NodeImport[] calldata nodes)
        external
        onlyRole(MIGRATOR_ROLE)
        onlyDuringMigration
    {
        uint256 n = nodes.length;
        if (n == 0) revert EmptyBatch();
        bytes32 digest = importDigest;
        uint256 credited = totalStaked;
        for (uint256 i; i < n; ++i) {
            NodeImport calldata rec = nodes[i];
            _importNode(rec);
            credited += rec.stake;
            digest = _fold(digest, keccak256(abi.encode(rec)));
        }
        uint256 available = address(this).balance;
        if (credited > available) revert StakeNotFunded(credited, available);
        totalStaked = credited;
        _commitBatch(n, digest);
    }

    /// @notice Registers the caller's node, staking `msg.value`. Only after the migration.
    /// @param peerId libp2p peer id of the node (nonempty).
    /// @param models Model ids the node serves (nonempty).
    /// @param region Free-form region tag (e.g. "eu-west").
    /// @param pricePerToken Price the node asks per generated token, in wei.
    function registerNode(
        string calldata peerId,
        string[] calldata models,
        string calldata region,
        uint256 pricePerToken
    ) external payable afterMigration whenNotPaused {
        if (msg.value < MIN_STAKE) {
            revert InsufficientStake(msg.value, MIN_STAKE, msg.sender);
        }
        if (_nodes[msg.sender].operator != address(0)) revert AlreadyRegistered(msg.sender);
        if (bytes(peerId).length == 0) revert EmptyPeerId();
        if (models.length == 0) revert NoModels();

        Node storage node = _nodes[msg.sender];
        node.operator = msg.sender;
        node.peerId = peerId;
        node.stake = msg.value;
        _copyStrings(node.models, models);
        node.region = region;
        node.reputationBps = INITIAL_REPUTATION_BPS;
        node.pricePerToken = pricePerToken;
        node.registeredAt = uint64(block.timestamp);
        _operators.push(msg.sender);
        totalStaked += msg.value;

        emit NodeRegistered(msg.sender, peerId, msg.value);
    }

    /// @notice Sets the reputation of `operator`'s node. Only after the migration.
    /// @param operator The node's operator.
    /// @param reputationBps New reputation in basis points, at most {MAX_REPUTATION_BPS}.
    function updateReputation(address operator, uint256 reputationBps)
        external
        onlyOwner
        afterMigration
        whenNotPaused
    {
        if (reputationBps > MAX_REPUTATION_BPS) revert InvalidReputation(reputationBps);
        Node storage node = _nodes[operator];
        if (node.operator == address(0)) revert NotRegistered(operator);
        node.reputationBps = reputationBps;
        emit ReputationUpdated(operator, reputationBps);
    }

    /// @notice Number of nodes (imported and registered).
    function nodeCount() external view returns (uint256) {
        return _operators.length;
    }

    /// @notice The node at `index` (imported nodes first, in import order, then registrations).
    /// @param index Position, below {nodeCount}.
    function getNodeAt(uint256 index) external view returns (Node memory) {
        uint256 count = _operators.length;
        if (index >= count) revert IndexOutOfRange(index, count);
        return _nodes[_operators[index]];
    }

    /// @notice The node of `operator`.
    /// @param operator A registered operator.
    function getNode(address operator) external view returns (Node memory) {
        Node storage node = _nodes[operator];
        if (node.operator == address(0)) revert NotRegistered(operator);
        return node;
    }

    /// @notice Whether `operator` has a node.
    /// @param operator Any address.
    function isRegistered(address operator) external view returns (bool) {
        return _nodes[operator].operator != address(0);
    }

    /// @dev Writes one imported node; the `operator` slot doubles as the duplicate guard.
    function _importNode(NodeImport calldata rec) private {
        address operator = rec.operator;
        if (operator == address(0)) revert ZeroAddress();
        uint256 reputationBps = rec.reputationBps;
        if (reputationBps > MAX_REPUTATION_BPS) revert InvalidReputation(reputationBps);
        Node storage node = _nodes[operator];
        if (node.operator != address(0)) revert NodeAlreadyMigrated(operator);

        node.operator = operator;
        if (bytes(rec.peerId).length != 0) node.peerId = rec.peerId;
        if (rec.stake != 0) node.stake = rec.stake;
        if (rec.models.length != 0) _copyStrings(node.models, rec.models);
        if (bytes(rec.region).length != 0) node.region = rec.region;
        if (reputationBps != 0) node.reputationBps = reputationBps;
        if (rec.pricePerToken != 0) node.pricePerToken = rec.pricePerToken;
        if (rec.registeredAt != 0) node.registeredAt = rec.registeredAt;
        _operators.push(operator);
    }

    /// @dev Copies a calldata string array into storage (the legacy code generator cannot assign it).
    function _copyStrings(string[] storage dst, string[] calldata src) private {
        uint256 n = src.length;
        for (uint256 i; i < n; ++i) {
            dst.push(src[i]);
        }
    }
}
