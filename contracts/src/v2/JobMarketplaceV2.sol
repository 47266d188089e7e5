// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MigrationPhase} from "./MigrationPhase.sol";
import {NodeRegistryV2} from "./NodeRegistryV2.sol";

/// @title JobMarketplaceV2
/// @notice Renters post inference jobs paid in ETH or in an ERC20; nodes registered in {NodeRegistryV2}
/// claim and complete them and get paid.
/// @dev Deployed in the migration phase: holders of `MIGRATOR_ROLE` import the completed V1 jobs (history)
/// under their V1 ids with {importHistoricalJobs}. Jobs posted after {finalizeMigration} get ids above
/// every imported id. Tokens charging a fee on transfer are not supported.
contract JobMarketplaceV2 is MigrationPhase, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Life cycle of a job.
    enum Status {
        Posted,
        Claimed,
        Completed,
        Cancelled
    }

    /// @notice A job's payment: `amount` of `token` (`address(0)` for ETH).
    struct Payment {
        uint256 amount;
        address token;
    }

    /// @notice A job.
    struct Job {
        uint256 id;
        address renter;
        address assignedHost;
        string modelId;
        Payment payment;
        uint256 maxTokens;
        Status status;
        uint64 createdAt;
        uint64 completedAt;
        bytes32 resultHash;
    }

    /// @notice One completed V1 job to import, as built by the migration tool.
    struct JobImport {
        uint256 id;
        address renter;
        address host;
        string modelId;
        Payment payment;
        uint256 maxTokens;
        uint64 createdAt;
        uint64 completedAt;
        bytes32 resultHash;
    }

    /// @notice The node registry whose nodes may claim jobs.
    NodeRegistryV2 public immutable registry;

    mapping(uint256 id => Job) private _jobs;
    uint256 private _nextJobId;
    /// @notice Number of jobs Posted or Claimed (their payment is still held here).
    uint256 public activeJobCount;

    /// @notice Emitted when `renter` posts job `id` paying `amount` of `token`.
    event JobPosted(
        uint256 indexed id,
        address indexed renter,
        string modelId,
        address token,
        uint256 amount,
        uint256 maxTokens
    );
    /// @notice Emitted when `host` claims job `id`.
    event JobClaimed(uint256 indexed id, address indexed host);
    /// @notice Emitted when job `id` is completed and `host` is paid `payment` (in the job's token).
    event JobCompleted(uint256 indexed id, address indexed host, bytes32 resultHash, uint256 payment);
    /// @notice Emitted when the renter cancels job `id` and is refunded (in the job's token).
    event JobCancelled(uint256 indexed id, address indexed renter, uint256 refund);

    /// @notice A job must carry a payment.
    error PaymentRequired();
    /// @notice The model id is empty.
    error EmptyModelId();
    /// @notice `msg.value` is `sent` but must be `expected` (the amount for ETH, zero for an ERC20).
    error EthAmountMismatch(uint256 sent, uint256 expected);
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
    /// @notice Job `id` was already imported.
    error JobAlreadyImported(uint256 id);
    /// @notice The imported job `id` has no renter.
    error InvalidJobImport(uint256 id);

    /// @param registry_ The V2 node registry.
    constructor(address registry_) {
        if (registry_ == address(0)) revert ZeroAddress();
        registry = NodeRegistryV2(payable(registry_));
    }

    /// @notice Imports completed V1 jobs under their V1 ids. Only `MIGRATOR_ROLE`, only during the
    /// migration phase.
    /// @dev Each job is stored with status Completed. Reverts with {JobAlreadyImported} for an id already
    /// imported (in an earlier batch or earlier in this one). Fields equal to zero/empty are not written.
    /// Folds each record into {importDigest} and emits one {BatchImported}.
    /// @param jobs The records, in import order.
    function importHistoricalJobs(JobImport[] calldata jobs)
        external
        onlyRole(MIGRATOR_ROLE)
        onlyDuringMigration
    {
        uint256 n = jobs.length;
        if (n == 0) revert EmptyBatch();
        bytes32 digest = importDigest;
        uint256 nextId = _nextJobId;
        uint256 newNextId = nextId;
        for (uint256 i; i < n; ++i) {
            JobImport calldata rec = jobs[i];
            uint256 id = _importJob(rec);
            if (id >= newNextId) newNextId = id + 1;
            digest = _fold(digest, keccak256(abi.encode(rec)));
        }
        if (newNextId != nextId) _nextJobId = newNextId;
        _commitBatch(n, digest);
    }

    /// @notice Posts a job paying `amount` of `token`. Only after the migration.
    /// @dev For ETH (`token == address(0)`) send `msg.value == amount`; for an ERC20 send no ETH and approve
    /// the marketplace for `amount` first.
    /// @param modelId Model to run (nonempty).
    /// @param maxTokens Maximum number of tokens to generate.
    /// @param token `address(0)` for ETH, an ERC20 otherwise.
    /// @param amount The payment, nonzero.
    /// @return id The new job's id.
    function postJob(string calldata modelId, uint256 maxTokens, address token, uint256 amount)
        external
        payable
        afterMigration
        whenNotPaused
        nonReentrant
        returns (uint256 id)
    {
        if (amount == 0) revert PaymentRequired();
        if (bytes(modelId).length == 0) revert EmptyModelId();
        uint256 expected = token == address(0) ? amount : 0;
        if (msg.value != expected) revert EthAmountMismatch(msg.value, expected);

        id = _nextJobId++;
        Job storage job = _jobs[id];
        job.id = id;
        job.renter = msg.sender;
        job.modelId = modelId;
        job.payment = Payment(amount, token);
        job.maxTokens = maxTokens;
        job.status = Status.Posted;
        job.createdAt = uint64(block.timestamp);
        ++activeJobCount;
        emit JobPosted(id, msg.sender, modelId, token, amount, maxTokens);

        if (token != address(0)) IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Claims Posted job `id` for the caller, who must be a registered node. Only after the migration.
    /// @param id The job.
    function claimJob(uint256 id) external afterMigration whenNotPaused {
        Job storage job = _existing(id);
        if (job.status != Status.Posted) revert InvalidStatus(id, job.status);
        if (!registry.isRegistered(msg.sender)) revert HostNotRegistered(msg.sender);
        job.assignedHost = msg.sender;
        job.status = Status.Claimed;
        emit JobClaimed(id, msg.sender);
    }

    /// @notice Completes Claimed job `id` with `resultHash` and pays the caller, its assigned host.
    /// Only after the migration.
    /// @param id The job.
    /// @param resultHash Hash of the job's output.
    function completeJob(uint256 id, bytes32 resultHash) external afterMigration whenNotPaused nonReentrant {
        Job storage job = _existing(id);
        if (job.status != Status.Claimed) revert InvalidStatus(id, job.status);
        if (job.assignedHost != msg.sender) revert NotAssignedHost(id, msg.sender);
        job.status = Status.Completed;
        job.completedAt = uint64(block.timestamp);
        job.resultHash = resultHash;
        --activeJobCount;
        Payment memory payment = job.payment;
        emit JobCompleted(id, msg.sender, resultHash, payment.amount);
        _send(payment, msg.sender);
    }

    /// @notice Cancels Posted job `id` and refunds the caller, its renter. Only after the migration.
    /// @param id The job.
    function cancelJob(uint256 id) external afterMigration whenNotPaused nonReentrant {
        Job storage job = _existing(id);
        if (job.renter != msg.sender) revert NotRenter(id, msg.sender);
        if (job.status != Status.Posted) revert InvalidStatus(id, job.status);
        job.status = Status.Cancelled;
        --activeJobCount;
        Payment memory payment = job.payment;
        emit JobCancelled(id, msg.sender, payment.amount);
        _send(payment, msg.sender);
    }

    /// @notice One above the highest job id in use (imported or posted); ids below it may be unused
    /// (V1 jobs that were not imported).
    function getJobCount() external view returns (uint256) {
        return _nextJobId;
    }

    /// @notice Job `id`.
    /// @param id An imported or posted job id.
    function getJob(uint256 id) external view returns (Job memory) {
        return _existing(id);
    }

    /// @dev Writes one imported job; the `renter` slot doubles as the duplicate guard.
    function _importJob(JobImport calldata rec) private returns (uint256 id) {
        id = rec.id;
        address renter = rec.renter;
        if (renter == address(0)) revert InvalidJobImport(id);
        Job storage job = _jobs[id];
        if (job.renter != address(0)) revert JobAlreadyImported(id);

        if (id != 0) job.id = id;
        job.renter = renter;
        if (rec.host != address(0)) job.assignedHost = rec.host;
        if (bytes(rec.modelId).length != 0) job.modelId = rec.modelId;
        if (rec.payment.amount != 0) job.payment.amount = rec.payment.amount;
        if (rec.payment.token != address(0)) job.payment.token = rec.payment.token;
        if (rec.maxTokens != 0) job.maxTokens = rec.maxTokens;
        job.status = Status.Completed;
        job.createdAt = rec.createdAt;
        job.completedAt = rec.completedAt;
        if (rec.resultHash != bytes32(0)) job.resultHash = rec.resultHash;
    }

    function _existing(uint256 id) private view returns (Job storage job) {
        job = _jobs[id];
        if (job.renter == address(0)) revert JobNotFound(id);
    }

    function _send(Payment memory payment, address to) private {
        if (payment.token == address(0)) {
            (bool ok,) = payable(to).call{value: payment.amount}("");
            if (!ok) revert EthTransferFailed(to, payment.amount);
        } else {
            IERC20(payment.token).safeTransfer(to, payment.amount);
        }
    }
}
