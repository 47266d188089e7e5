// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {NodeRegistryV1} from "./NodeRegistryV1.sol";

/// @title JobMarketplaceV1
/// @notice Renters post inference jobs paid in ETH; registered nodes claim and complete them and get paid.
/// @dev Job ids are 0-based and sequential: `getJob(i)` for every `i < getJobCount()` enumerates all jobs.
/// {activeJobCount} counts Posted and Claimed jobs (ETH in flight) so a migration can wait for zero.
contract JobMarketplaceV1 is Ownable, Pausable, ReentrancyGuard {
    /// @notice Life cycle of a job.
    enum Status {
        Posted,
        Claimed,
        Completed,
        Cancelled
    }

    /// @notice A job.
    struct Job {
        uint256 id;
        address renter;
        address assignedHost;
        string modelId;
        uint256 payment;
        uint256 maxTokens;
        Status status;
        uint64 createdAt;
        uint64 completedAt;
        bytes32 resultHash;
    }

    /// @notice The node registry whose nodes may claim jobs.
    NodeRegistryV1 public immutable registry;

    mapping(uint256 id => Job) private _jobs;
    uint256 private _nextJobId;
    /// @notice Number of jobs Posted or Claimed (their payment is still held here).
    uint256 public activeJobCount;

    /// @notice Emitted when `renter` posts job `id`.
    event JobPosted(
        uint256 indexed id, address indexed renter, string modelId, uint256 payment, uint256 maxTokens
    );
    /// @notice Emitted when `host` claims job `id`.
    event JobClaimed(uint256 indexed id, address indexed host);
    /// @notice Emitted when job `id` is completed and `host` is paid `payment`.
    event JobCompleted(uint256 indexed id, address indexed host, bytes32 resultHash, uint256 payment);
    /// @notice Emitted when the renter cancels job `id` and is refunded.
    event JobCancelled(uint256 indexed id, address indexed renter, uint256 refund);

    /// @notice A job must carry a payment.
    error PaymentRequired();
    /// @notice The model id is empty.
    error EmptyModelId();
    /// @notice No job `id`.
    error JobNotFound(uint256 id);
    /// @notice Job `id` is in status `current`, which does not allow the operation.
    error InvalidStatus(uint256 id, Status current);
    /// @notice `host` is not registered in the node registry.
    error HostNotRegistered(address host);
    /// @notice `caller` is not the host assigned to job `id`.
    error NotAssignedHost(uint256 id, address caller);
    /// @notice `caller` is not the renter of job `id`.
    error NotRenter(uint256 id, address caller);
    /// @notice The zero address was given.
    error ZeroAddress();
    /// @notice Sending `amount` wei to `to` failed.
    error EthTransferFailed(address to, uint256 amount);

    /// @param registry_ The V1 node registry.
    constructor(address registry_) Ownable(msg.sender) {
        if (registry_ == address(0)) revert ZeroAddress();
        registry = NodeRegistryV1(payable(registry_));
    }

    /// @notice Posts a job paid with `msg.value`.
    /// @param modelId Model to run (nonempty).
    /// @param maxTokens Maximum number of tokens to generate.
    /// @return id The new job's id.
    function postJob(string calldata modelId, uint256 maxTokens)
        external
        payable
        whenNotPaused
        returns (uint256 id)
    {
        if (msg.value == 0) revert PaymentRequired();
        if (bytes(modelId).length == 0) revert EmptyModelId();
        id = _nextJobId++;
        Job storage job = _jobs[id];
        job.id = id;
        job.renter = msg.sender;
        job.modelId = modelId;
        job.payment = msg.value;
        job.maxTokens = maxTokens;
        job.status = Status.Posted;
        job.createdAt = uint64(block.timestamp);
        ++activeJobCount;
        emit JobPosted(id, msg.sender, modelId, msg.value, maxTokens);
    }

    /// @notice Claims Posted job `id` for the caller, who must be a registered node.
    /// @param id The job.
    function claimJob(uint256 id) external whenNotPaused {
        Job storage job = _existing(id);
        if (job.status != Status.Posted) revert InvalidStatus(id, job.status);
        if (!registry.isRegistered(msg.sender)) revert HostNotRegistered(msg.sender);
        job.assignedHost = msg.sender;
        job.status = Status.Claimed;
        emit JobClaimed(id, msg.sender);
    }

    /// @notice Completes Claimed job `id` with `resultHash` and pays the caller, its assigned host.
    /// @param id The job.
    /// @param resultHash Hash of the job's output.
    function completeJob(uint256 id, bytes32 resultHash) external whenNotPaused nonReentrant {
        Job storage job = _existing(id);
        if (job.status != Status.Claimed) revert InvalidStatus(id, job.status);
        if (job.assignedHost != msg.sender) revert NotAssignedHost(id, msg.sender);
        job.status = Status.Completed;
        job.completedAt = uint64(block.timestamp);
        job.resultHash = resultHash;
        --activeJobCount;
        uint256 payment = job.payment;
        emit JobCompleted(id, msg.sender, resultHash, payment);
        _sendEth(msg.sender, payment);
    }

    /// @notice Cancels Posted job `id` and refunds the caller, its renter.
    /// @param id The job.
    function cancelJob(uint256 id) external whenNotPaused nonReentrant {
        Job storage job = _existing(id);
        if (job.renter != msg.sender) revert NotRenter(id, msg.sender);
        if (job.status != Status.Posted) revert InvalidStatus(id, job.status);
        job.status = Status.Cancelled;
        --activeJobCount;
        uint256 refund = job.payment;
        emit JobCancelled(id, msg.sender, refund);
        _sendEth(msg.sender, refund);
    }

    /// @notice Pauses every mutating function.
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyOwner {
        _unpause();
    }

    /// @notice Number of jobs ever posted (ids are `0 .. getJobCount() - 1`).
    function getJobCount() external view returns (uint256) {
        return _nextJobId;
    }

    /// @notice Job `id`.
    /// @param id Below {getJobCount}.
    function getJob(uint256 id) external view returns (Job memory) {
        return _existing(id);
    }

    function _existing(uint256 id) private view returns (Job storage job) {
        if (id >= _nextJobId) revert JobNotFound(id);
        job = _jobs[id];
    }

    function _sendEth(address to, uint256 amount) private {
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert EthTransferFailed(to, amount);
    }
}
