// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title NodeRegistryV1
/// @notice Registry of Fabstir compute nodes: each operator stakes ETH and advertises a peer id, the models
/// it serves and its region. Reputation is a score from 0 to 100.
/// @dev Live V1 state that molt migrates to {NodeRegistryV2}. During a migration the owner pauses the
/// registry and moves every staked wei to the new registry with {transferStakes}.
contract NodeRegistryV1 is Ownable, Pausable, ReentrancyGuard {
    /// @notice A registered node.
    struct Node {
        address operator;
        string peerId;
        uint256 stake;
        string[] models;
        string region;
        uint256 reputation;
    }

    /// @notice Minimum stake to register a node.
    uint256 public constant MIN_STAKE = 0.01 ether;
    /// @notice Highest reputation score.
    uint256 public constant MAX_REPUTATION = 100;
    /// @notice Reputation of a freshly registered node.
    uint256 public constant INITIAL_REPUTATION = 50;

    mapping(address operator => Node) private _nodes;
    address[] private _operators;
    /// @notice Sum of the stakes of every registered node (not reduced by {transferStakes}).
    uint256 public totalStaked;

    /// @notice Emitted when `operator` registers a node.
    event NodeRegistered(address indexed operator, string peerId, uint256 stake);
    /// @notice Emitted when the owner sets the reputation of `operator`.
    event ReputationUpdated(address indexed operator, uint256 reputation);
    /// @notice Emitted when the owner moves every staked wei to `to` (the new registry).
    event StakesTransferred(address indexed to, uint256 amount);

    /// @notice The stake sent is below {MIN_STAKE}.
    error InsufficientStake(uint256 sent, uint256 minimum);
    /// @notice `operator` already has a node.
    error AlreadyRegistered(address operator);
    /// @notice `operator` has no node.
    error NotRegistered(address operator);
    /// @notice `index` is not below the node count `count`.
    error IndexOutOfRange(uint256 index, uint256 count);
    /// @notice A reputation above {MAX_REPUTATION}.
    error InvalidReputation(uint256 reputation);
    /// @notice The peer id is empty.
    error EmptyPeerId();
    /// @notice The model list is empty.
    error NoModels();
    /// @notice The zero address was given as recipient.
    error ZeroAddress();
    /// @notice Sending `amount` wei to `to` failed.
    error EthTransferFailed(address to, uint256 amount);

    constructor() Ownable(msg.sender) {}

    /// @notice Registers the caller's node, staking `msg.value`.
    /// @param peerId libp2p peer id of the node (nonempty).
    /// @param models Model ids the node serves (nonempty).
    /// @param region Free-form region tag (e.g. "eu-west").
    function registerNode(string calldata peerId, string[] calldata models, string calldata region)
        external
        payable
        whenNotPaused
    {
        if (msg.value < MIN_STAKE) revert InsufficientStake(msg.value, MIN_STAKE);
        if (_nodes[msg.sender].operator != address(0)) revert AlreadyRegistered(msg.sender);
        if (bytes(peerId).length == 0) revert EmptyPeerId();
        if (models.length == 0) revert NoModels();

        Node storage node = _nodes[msg.sender];
        node.operator = msg.sender;
        node.peerId = peerId;
        node.stake = msg.value;
        _copyStrings(node.models, models);
        node.region = region;
        node.reputation = INITIAL_REPUTATION;
        _operators.push(msg.sender);
        totalStaked += msg.value;

        emit NodeRegistered(msg.sender, peerId, msg.value);
    }

    /// @notice Sets the reputation of `operator`'s node.
    /// @param operator The node's operator.
    /// @param reputation New score, at most {MAX_REPUTATION}.
    function updateReputation(address operator, uint256 reputation) external onlyOwner whenNotPaused {
        if (reputation > MAX_REPUTATION) revert InvalidReputation(reputation);
        Node storage node = _nodes[operator];
        if (node.operator == address(0)) revert NotRegistered(operator);
        node.reputation = reputation;
        emit ReputationUpdated(operator, reputation);
    }

    /// @notice Pauses registrations and reputation updates.
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyOwner {
        _unpause();
    }

    /// @notice Takes back ETH moved out for a migration that is rolled back (the new contract's
    /// `returnFunds`). Only while paused: a running contract takes ETH through its own functions.
    receive() external payable whenPaused {}

    /// @notice Moves the whole ETH balance (every stake) to `to`, the new registry. Only while paused.
    /// @dev Node records keep their `stake` so the migration can read and re-credit it.
    /// @param to Recipient of the stakes.
    function transferStakes(address payable to) external onlyOwner whenPaused nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        uint256 amount = address(this).balance;
        emit StakesTransferred(to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed(to, amount);
    }

    /// @notice Number of registered nodes.
    function getTotalNodes() external view returns (uint256) {
        return _operators.length;
    }

    /// @notice The node at `index` in registration order.
    /// @param index Position, below {getTotalNodes}.
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

    /// @dev Copies a calldata string array into storage (the legacy code generator cannot assign it).
    function _copyStrings(string[] storage dst, string[] calldata src) private {
        uint256 n = src.length;
        for (uint256 i; i < n; ++i) {
            dst.push(src[i]);
        }
    }
}
