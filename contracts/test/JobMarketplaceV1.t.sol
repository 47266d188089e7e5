// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {NodeRegistryV1} from "../src/v1/NodeRegistryV1.sol";
import {JobMarketplaceV1} from "../src/v1/JobMarketplaceV1.sol";

contract JobMarketplaceV1Test is Test {
    NodeRegistryV1 internal registry;
    JobMarketplaceV1 internal market;
    address internal renter = address(0xA11CE);
    address internal host = address(0xB0B);
    address internal stranger = address(0xCAFE);

    function setUp() public {
        registry = new NodeRegistryV1();
        market = new JobMarketplaceV1(address(registry));
        vm.deal(renter, 100 ether);
        vm.deal(host, 100 ether);
        vm.deal(stranger, 100 ether);
        string[] memory models = new string[](1);
        models[0] = "llama-3-8b";
        vm.prank(host);
        registry.registerNode{value: 1 ether}("peer", models, "eu");
    }

    function _post(uint256 payment) internal returns (uint256 id) {
        vm.prank(renter);
        id = market.postJob{value: payment}("llama-3-8b", 512);
    }

    function test_RevertWhen_ConstructedWithZeroRegistry() public {
        vm.expectRevert(JobMarketplaceV1.ZeroAddress.selector);
        new JobMarketplaceV1(address(0));
    }

    function test_PostJob() public {
        vm.warp(1000);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarketplaceV1.JobPosted(0, renter, "llama-3-8b", 1 ether, 512);
        uint256 id = _post(1 ether);
        assertEq(id, 0);
        JobMarketplaceV1.Job memory j = market.getJob(0);
        assertEq(j.id, 0);
        assertEq(j.renter, renter);
        assertEq(j.assignedHost, address(0));
        assertEq(j.modelId, "llama-3-8b");
        assertEq(j.payment, 1 ether);
        assertEq(j.maxTokens, 512);
        assertEq(uint256(j.status), uint256(JobMarketplaceV1.Status.Posted));
        assertEq(j.createdAt, 1000);
        assertEq(market.getJobCount(), 1);
        assertEq(market.activeJobCount(), 1);
        assertEq(_post(2 ether), 1, "ids are sequential");
        assertEq(address(market).balance, 3 ether);
    }

    function test_FullLifecycle_PaysHost() public {
        uint256 id = _post(1 ether);
        vm.prank(host);
        market.claimJob(id);
        assertEq(market.getJob(id).assignedHost, host);
        assertEq(market.activeJobCount(), 1);

        vm.warp(5000);
        uint256 before = host.balance;
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarketplaceV1.JobCompleted(id, host, keccak256("out"), 1 ether);
        vm.prank(host);
        market.completeJob(id, keccak256("out"));
        JobMarketplaceV1.Job memory j = market.getJob(id);
        assertEq(uint256(j.status), uint256(JobMarketplaceV1.Status.Completed));
        assertEq(j.completedAt, 5000);
        assertEq(j.resultHash, keccak256("out"));
        assertEq(host.balance - before, 1 ether);
        assertEq(market.activeJobCount(), 0);
        assertEq(address(market).balance, 0);
    }

    function test_CancelJob_Refunds() public {
        uint256 id = _post(1 ether);
        uint256 before = renter.balance;
        vm.prank(renter);
        market.cancelJob(id);
        assertEq(renter.balance - before, 1 ether);
        assertEq(uint256(market.getJob(id).status), uint256(JobMarketplaceV1.Status.Cancelled));
        assertEq(market.activeJobCount(), 0);
    }

    function testFuzz_PostAndCancel(uint256 payment) public {
        payment = bound(payment, 1, 100 ether);
        uint256 id = _post(payment);
        assertEq(market.getJob(id).payment, payment);
        vm.prank(renter);
        market.cancelJob(id);
        assertEq(renter.balance, 100 ether);
    }

    function test_RevertWhen_PostWithoutPayment() public {
        vm.prank(renter);
        vm.expectRevert(JobMarketplaceV1.PaymentRequired.selector);
        market.postJob("m", 1);
    }

    function test_RevertWhen_PostWithEmptyModel() public {
        vm.prank(renter);
        vm.expectRevert(JobMarketplaceV1.EmptyModelId.selector);
        market.postJob{value: 1}("", 1);
    }

    function test_RevertWhen_ClaimByUnregisteredHost() public {
        uint256 id = _post(1 ether);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV1.HostNotRegistered.selector, stranger));
        market.claimJob(id);
    }

    function test_RevertWhen_ClaimTwice() public {
        uint256 id = _post(1 ether);
        vm.prank(host);
        market.claimJob(id);
        vm.prank(host);
        vm.expectRevert(
            abi.encodeWithSelector(
                JobMarketplaceV1.InvalidStatus.selector, id, JobMarketplaceV1.Status.Claimed
            )
        );
        market.claimJob(id);
    }

    function test_RevertWhen_ClaimUnknownJob() public {
        vm.prank(host);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV1.JobNotFound.selector, 7));
        market.claimJob(7);
    }

    function test_RevertWhen_CompleteByOtherThanAssignedHost() public {
        uint256 id = _post(1 ether);
        vm.prank(host);
        market.claimJob(id);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV1.NotAssignedHost.selector, id, stranger));
        market.completeJob(id, bytes32(0));
    }

    function test_RevertWhen_CompleteUnclaimed() public {
        uint256 id = _post(1 ether);
        vm.prank(host);
        vm.expectRevert(
            abi.encodeWithSelector(
                JobMarketplaceV1.InvalidStatus.selector, id, JobMarketplaceV1.Status.Posted
            )
        );
        market.completeJob(id, bytes32(0));
    }

    function test_RevertWhen_CancelByNonRenter() public {
        uint256 id = _post(1 ether);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV1.NotRenter.selector, id, stranger));
        market.cancelJob(id);
    }

    function test_RevertWhen_CancelClaimed() public {
        uint256 id = _post(1 ether);
        vm.prank(host);
        market.claimJob(id);
        vm.prank(renter);
        vm.expectRevert(
            abi.encodeWithSelector(
                JobMarketplaceV1.InvalidStatus.selector, id, JobMarketplaceV1.Status.Claimed
            )
        );
        market.cancelJob(id);
    }

    function test_RevertWhen_GetJobOutOfRange() public {
        _post(1 ether);
        vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV1.JobNotFound.selector, 1));
        market.getJob(1);
    }

    function test_PauseBlocksMutations() public {
        uint256 id = _post(1 ether);
        market.pause();
        vm.prank(renter);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.postJob{value: 1}("m", 1);
        vm.prank(host);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.claimJob(id);
        vm.prank(renter);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.cancelJob(id);
        market.unpause();
        vm.prank(renter);
        market.cancelJob(id);
    }

    function test_RevertWhen_PauseByNonOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        market.pause();
    }
}
