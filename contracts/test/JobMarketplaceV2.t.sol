// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {MigrationPhase} from "../src/v2/MigrationPhase.sol";
import {NodeRegistryV2} from "../src/v2/NodeRegistryV2.sol";
import {JobMarketplaceV2} from "../src/v2/JobMarketplaceV2.sol";
import {TestToken} from "../src/token/TestToken.sol";

contract JobMarketplaceV2Test is Test {
    NodeRegistryV2 internal registry;
    JobMarketplaceV2 internal market;
    TestToken internal usdc;
    address internal migrator = address(0x4D16);
    address internal renter = address(0xA11CE);
    address internal host = address(0xB0B);
    address internal stranger = address(0xCAFE);

    function setUp() public {
        registry = new NodeRegistryV2();
        market = new JobMarketplaceV2(address(registry));
        market.grantRole(market.MIGRATOR_ROLE(), migrator);
        usdc = new TestToken("USD Coin", "USDC", 6);
        usdc.mint(renter, 1_000_000e6);
        vm.prank(renter);
        usdc.approve(address(market), type(uint256).max);
        vm.deal(renter, 100 ether);
        vm.deal(host, 100 ether);

        // The host is a node of the V2 registry (migrated, unfunded stake 0), registry finalized.
        NodeRegistryV2.NodeImport[] memory nodes = new NodeRegistryV2.NodeImport[](1);
        nodes[0].operator = host;
        registry.batchMigrateNodes(nodes);
        registry.finalizeMigration();
    }

    function _rec(uint256 id) internal view returns (JobMarketplaceV2.JobImport memory r) {
        r = JobMarketplaceV2.JobImport({
            id: id,
            renter: renter,
            host: host,
            modelId: "llama-3-8b",
            payment: JobMarketplaceV2.Payment({
                amount: 0.1 ether + id, token: id % 2 == 0 ? address(0) : address(usdc)
            }),
            maxTokens: 512,
            // forge-lint: disable-next-line(unsafe-typecast)
            createdAt: uint64(1_700_000_000 + id),
            // forge-lint: disable-next-line(unsafe-typecast)
            completedAt: uint64(1_700_000_100 + id),
            resultHash: keccak256(abi.encode(id))
        });
    }

    function _batch(uint256[] memory ids) internal view returns (JobMarketplaceV2.JobImport[] memory b) {
        b = new JobMarketplaceV2.JobImport[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            b[i] = _rec(ids[i]);
        }
    }

    function _ids(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](3);
        ids[0] = a;
        ids[1] = b;
        ids[2] = c;
    }

    function _digest(bytes32 d, JobMarketplaceV2.JobImport[] memory recs) internal pure returns (bytes32) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
        return d;
    }

    function _import(JobMarketplaceV2.JobImport[] memory recs) internal {
        vm.prank(migrator);
        market.importHistoricalJobs(recs);
    }

    // ---- migration ----

    function test_ImportHistoricalJobs() public {
        JobMarketplaceV2.JobImport[] memory recs = _batch(_ids(0, 5, 2));
        vm.expectEmit(true, true, true, true, address(market));
        emit MigrationPhase.BatchImported(3, _digest(bytes32(0), recs));
        _import(recs);

        assertEq(market.importCount(), 3);
        assertEq(market.importDigest(), _digest(bytes32(0), recs));
        assertEq(market.getJobCount(), 6, "next id above every imported id");
        assertEq(market.activeJobCount(), 0);
        for (uint256 i; i < 3; ++i) {
            JobMarketplaceV2.JobImport memory r = recs[i];
            JobMarketplaceV2.Job memory j = market.getJob(r.id);
            assertEq(j.id, r.id);
            assertEq(j.renter, r.renter);
            assertEq(j.assignedHost, r.host);
            assertEq(j.modelId, r.modelId);
            assertEq(j.payment.amount, r.payment.amount);
            assertEq(j.payment.token, r.payment.token);
            assertEq(j.maxTokens, r.maxTokens);
            assertEq(uint256(j.status), uint256(JobMarketplaceV2.Status.Completed));
            assertEq(j.createdAt, r.createdAt);
            assertEq(j.completedAt, r.completedAt);
            assertEq(j.resultHash, r.resultHash);
        }
        // Ids that were not imported (e.g. cancelled V1 jobs) do not exist.
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV2.JobNotFound.selector, 1));
        market.getJob(1);
    }

    function test_DigestAndNextIdAcrossBatches() public {
        JobMarketplaceV2.JobImport[] memory a = _batch(_ids(7, 8, 9));
        JobMarketplaceV2.JobImport[] memory b = _batch(_ids(0, 1, 2));
        _import(a);
        _import(b);
        assertEq(market.importDigest(), _digest(_digest(bytes32(0), a), b));
        assertEq(market.importCount(), 6);
        assertEq(market.getJobCount(), 10, "a later batch of lower ids keeps the next id");
    }

    function test_RevertWhen_DuplicateInSameBatch() public {
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV2.JobAlreadyImported.selector, 3));
        market.importHistoricalJobs(_batch(_ids(3, 4, 3)));
    }

    function test_RevertWhen_DuplicateAcrossBatches() public {
        _import(_batch(_ids(0, 1, 2)));
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV2.JobAlreadyImported.selector, 0));
        market.importHistoricalJobs(_batch(_ids(3, 4, 0)));
        assertEq(market.importCount(), 3);
    }

    function test_RevertWhen_ImportWithoutRenter() public {
        JobMarketplaceV2.JobImport[] memory recs = _batch(_ids(0, 1, 2));
        recs[1].renter = address(0);
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV2.InvalidJobImport.selector, 1));
        market.importHistoricalJobs(recs);
    }

    function test_RevertWhen_ImportByNonMigrator() public {
        bytes32 role = market.MIGRATOR_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, role)
        );
        market.importHistoricalJobs(_batch(_ids(0, 1, 2)));
    }

    function test_RevertWhen_ImportAfterFinalize() public {
        market.finalizeMigration();
        vm.prank(migrator);
        vm.expectRevert(MigrationPhase.MigrationClosed.selector);
        market.importHistoricalJobs(_batch(_ids(0, 1, 2)));
    }

    function test_RevertWhen_EmptyBatch() public {
        vm.prank(migrator);
        vm.expectRevert(MigrationPhase.EmptyBatch.selector);
        market.importHistoricalJobs(new JobMarketplaceV2.JobImport[](0));
    }

    /// Gas per imported job vs the storage lower bound. Each record here writes 8 new slots: id, renter,
    /// host, modelId, payment.amount, maxTokens, status|createdAt|completedAt, resultHash, plus
    /// payment.token for half of them (ERC20): 8.5 on average.
    function test_GasPerImportedJob() public {
        uint256 n = 100;
        JobMarketplaceV2.JobImport[] memory recs = new JobMarketplaceV2.JobImport[](n);
        for (uint256 i; i < n; ++i) {
            recs[i] = _rec(i + 1);
        }
        vm.prank(migrator);
        uint256 before = gasleft();
        market.importHistoricalJobs(recs);
        uint256 perRecord = (before - gasleft()) / n;
        uint256 lowerBound = 85 * 22_100 / 10;
        emit log_named_uint("gas per imported job", perRecord);
        emit log_named_uint("storage lower bound per job", lowerBound);
        assertLe(perRecord * 100, lowerBound * 125, "gas per job above 1.25x the storage lower bound");
    }

    // ---- normal use ----

    function test_RevertWhen_PostBeforeFinalize() public {
        vm.prank(renter);
        vm.expectRevert(MigrationPhase.MigrationInProgress.selector);
        market.postJob{value: 1 ether}("m", 1, address(0), 1 ether);
    }

    function test_PostedIdsFollowImportedIds() public {
        _import(_batch(_ids(0, 4, 2)));
        market.finalizeMigration();
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarketplaceV2.JobPosted(5, renter, "llama-3-8b", address(0), 1 ether, 256);
        vm.prank(renter);
        uint256 id = market.postJob{value: 1 ether}("llama-3-8b", 256, address(0), 1 ether);
        assertEq(id, 5);
        assertEq(market.getJobCount(), 6);
        assertEq(market.activeJobCount(), 1);
    }

    function test_EthJobLifecycle() public {
        market.finalizeMigration();
        vm.prank(renter);
        uint256 id = market.postJob{value: 1 ether}("llama-3-8b", 256, address(0), 1 ether);
        vm.prank(host);
        market.claimJob(id);
        uint256 before = host.balance;
        vm.warp(3_000);
        vm.prank(host);
        market.completeJob(id, keccak256("out"));
        assertEq(host.balance - before, 1 ether);
        JobMarketplaceV2.Job memory j = market.getJob(id);
        assertEq(uint256(j.status), uint256(JobMarketplaceV2.Status.Completed));
        assertEq(j.completedAt, 3_000);
        assertEq(market.activeJobCount(), 0);
    }

    function testFuzz_Erc20JobLifecycle(uint256 amount) public {
        amount = bound(amount, 1, 1_000_000e6);
        market.finalizeMigration();
        vm.prank(renter);
        uint256 id = market.postJob("llama-3-8b", 256, address(usdc), amount);
        assertEq(usdc.balanceOf(address(market)), amount);
        JobMarketplaceV2.Job memory j = market.getJob(id);
        assertEq(j.payment.amount, amount);
        assertEq(j.payment.token, address(usdc));
        vm.prank(host);
        market.claimJob(id);
        vm.prank(host);
        market.completeJob(id, bytes32(uint256(1)));
        assertEq(usdc.balanceOf(host), amount);
        assertEq(usdc.balanceOf(address(market)), 0);
    }

    function test_CancelErc20JobRefunds() public {
        market.finalizeMigration();
        vm.prank(renter);
        uint256 id = market.postJob("m", 1, address(usdc), 50e6);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarketplaceV2.JobCancelled(id, renter, 50e6);
        vm.prank(renter);
        market.cancelJob(id);
        assertEq(usdc.balanceOf(renter), 1_000_000e6);
        assertEq(market.activeJobCount(), 0);
    }

    function test_RevertWhen_EthAmountMismatch() public {
        market.finalizeMigration();
        vm.startPrank(renter);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarketplaceV2.EthAmountMismatch.selector, 1 ether - 1, 1 ether)
        );
        market.postJob{value: 1 ether - 1}("m", 1, address(0), 1 ether);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV2.EthAmountMismatch.selector, 1, 0));
        market.postJob{value: 1}("m", 1, address(usdc), 1e6);
        vm.expectRevert(JobMarketplaceV2.PaymentRequired.selector);
        market.postJob("m", 1, address(usdc), 0);
        vm.expectRevert(JobMarketplaceV2.EmptyModelId.selector);
        market.postJob("", 1, address(usdc), 1);
        vm.stopPrank();
    }

    function test_RevertWhen_ClaimByHostNotInV2Registry() public {
        market.finalizeMigration();
        vm.prank(renter);
        uint256 id = market.postJob{value: 1}("m", 1, address(0), 1);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV2.HostNotRegistered.selector, stranger));
        market.claimJob(id);
    }

    function test_RevertWhen_ActOnImportedJob() public {
        _import(_batch(_ids(0, 1, 2)));
        market.finalizeMigration();
        vm.prank(host);
        vm.expectRevert(
            abi.encodeWithSelector(
                JobMarketplaceV2.InvalidStatus.selector, 1, JobMarketplaceV2.Status.Completed
            )
        );
        market.claimJob(1);
        vm.prank(renter);
        vm.expectRevert(
            abi.encodeWithSelector(
                JobMarketplaceV2.InvalidStatus.selector, 1, JobMarketplaceV2.Status.Completed
            )
        );
        market.cancelJob(1);
    }

    function test_RevertWhen_WrongActors() public {
        market.finalizeMigration();
        vm.prank(renter);
        uint256 id = market.postJob{value: 1}("m", 1, address(0), 1);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV2.NotRenter.selector, id, stranger));
        market.cancelJob(id);
        vm.prank(host);
        market.claimJob(id);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV2.NotAssignedHost.selector, id, stranger));
        market.completeJob(id, bytes32(0));
    }

    function test_PauseBlocksNormalUse() public {
        market.finalizeMigration();
        market.pause();
        vm.prank(renter);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.postJob{value: 1}("m", 1, address(0), 1);
        market.unpause();
        vm.prank(renter);
        market.postJob{value: 1}("m", 1, address(0), 1);
    }
}
