// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {NodeRegistryV1} from "../src/v1/NodeRegistryV1.sol";

contract RejectEth {
    receive() external payable {
        revert("no");
    }
}

contract NodeRegistryV1Test is Test {
    NodeRegistryV1 internal registry;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal newRegistry = address(0x2222);

    function setUp() public {
        registry = new NodeRegistryV1();
        vm.deal(alice, 100 ether);
        vm.deal(bob, 100 ether);
    }

    function _models() internal pure returns (string[] memory m) {
        m = new string[](2);
        m[0] = "llama-3-8b";
        m[1] = "mistral-7b";
    }

    function _register(address op, uint256 stake) internal {
        vm.prank(op);
        registry.registerNode{value: stake}("12D3KooWpeer", _models(), "eu-west");
    }

    function test_RegisterNode() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit NodeRegistryV1.NodeRegistered(alice, "12D3KooWpeer", 1 ether);
        _register(alice, 1 ether);

        NodeRegistryV1.Node memory n = registry.getNode(alice);
        assertEq(n.operator, alice);
        assertEq(n.peerId, "12D3KooWpeer");
        assertEq(n.stake, 1 ether);
        assertEq(n.models, _models(), "models");
        assertEq(n.region, "eu-west");
        assertEq(n.reputation, registry.INITIAL_REPUTATION());
        assertTrue(registry.isRegistered(alice));
        assertFalse(registry.isRegistered(bob));
        assertEq(registry.getTotalNodes(), 1);
        assertEq(registry.totalStaked(), 1 ether);
        assertEq(address(registry).balance, 1 ether);
    }

    function test_GetNodeAt_EnumeratesInRegistrationOrder() public {
        _register(alice, 1 ether);
        _register(bob, 2 ether);
        assertEq(registry.getTotalNodes(), 2);
        assertEq(registry.getNodeAt(0).operator, alice);
        assertEq(registry.getNodeAt(1).operator, bob);
        assertEq(registry.getNodeAt(1).stake, 2 ether);
        assertEq(registry.totalStaked(), 3 ether);
    }

    function testFuzz_RegisterNode_Stake(uint256 stake) public {
        stake = bound(stake, registry.MIN_STAKE(), 100 ether);
        _register(alice, stake);
        assertEq(registry.getNode(alice).stake, stake);
        assertEq(address(registry).balance, stake);
    }

    function testFuzz_RevertWhen_StakeBelowMinimum(uint256 stake) public {
        stake = bound(stake, 0, registry.MIN_STAKE() - 1);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV1.InsufficientStake.selector, stake, 0.01 ether));
        _register(alice, stake);
    }

    function test_RevertWhen_AlreadyRegistered() public {
        _register(alice, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV1.AlreadyRegistered.selector, alice));
        _register(alice, 1 ether);
    }

    function test_RevertWhen_EmptyPeerId() public {
        vm.prank(alice);
        vm.expectRevert(NodeRegistryV1.EmptyPeerId.selector);
        registry.registerNode{value: 1 ether}("", _models(), "eu");
    }

    function test_RevertWhen_NoModels() public {
        vm.prank(alice);
        vm.expectRevert(NodeRegistryV1.NoModels.selector);
        registry.registerNode{value: 1 ether}("peer", new string[](0), "eu");
    }

    function test_UpdateReputation() public {
        _register(alice, 1 ether);
        vm.expectEmit(true, true, true, true, address(registry));
        emit NodeRegistryV1.ReputationUpdated(alice, 97);
        registry.updateReputation(alice, 97);
        assertEq(registry.getNode(alice).reputation, 97);
    }

    function test_RevertWhen_UpdateReputationByNonOwner() public {
        _register(alice, 1 ether);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, bob));
        registry.updateReputation(alice, 10);
    }

    function test_RevertWhen_ReputationAbove100() public {
        _register(alice, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV1.InvalidReputation.selector, 101));
        registry.updateReputation(alice, 101);
    }

    function test_RevertWhen_UpdateReputationOfUnknownNode() public {
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV1.NotRegistered.selector, bob));
        registry.updateReputation(bob, 10);
    }

    function test_RevertWhen_GetNodeAtOutOfRange() public {
        _register(alice, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV1.IndexOutOfRange.selector, 1, 1));
        registry.getNodeAt(1);
    }

    function test_RevertWhen_GetNodeOfUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV1.NotRegistered.selector, bob));
        registry.getNode(bob);
    }

    function test_PauseBlocksRegistration() public {
        registry.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _register(alice, 1 ether);
        registry.unpause();
        _register(alice, 1 ether);
        assertTrue(registry.isRegistered(alice));
    }

    function test_RevertWhen_PauseByNonOwner() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.pause();
    }

    function test_TransferStakes() public {
        _register(alice, 1 ether);
        _register(bob, 2 ether);
        registry.pause();
        vm.expectEmit(true, true, true, true, address(registry));
        emit NodeRegistryV1.StakesTransferred(newRegistry, 3 ether);
        registry.transferStakes(payable(newRegistry));
        assertEq(newRegistry.balance, 3 ether);
        assertEq(address(registry).balance, 0);
        // Records keep their stakes for the migration to read.
        assertEq(registry.getNode(bob).stake, 2 ether);
        assertEq(registry.totalStaked(), 3 ether);
    }

    function test_TakesStakesBackOnlyWhilePaused() public {
        _register(alice, 1 ether);
        vm.deal(newRegistry, 1 ether);
        vm.prank(newRegistry);
        (bool ok,) = address(registry).call{value: 1 ether}("");
        assertFalse(ok, "ETH sent to a running registry");
        registry.pause();
        vm.prank(newRegistry);
        (ok,) = address(registry).call{value: 1 ether}("");
        assertTrue(ok, "ETH returned to the paused registry");
        assertEq(address(registry).balance, 2 ether);
    }

    function test_RevertWhen_TransferStakesNotPaused() public {
        _register(alice, 1 ether);
        vm.expectRevert(Pausable.ExpectedPause.selector);
        registry.transferStakes(payable(newRegistry));
    }

    function test_RevertWhen_TransferStakesByNonOwner() public {
        registry.pause();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.transferStakes(payable(alice));
    }

    function test_RevertWhen_TransferStakesToZero() public {
        registry.pause();
        vm.expectRevert(NodeRegistryV1.ZeroAddress.selector);
        registry.transferStakes(payable(address(0)));
    }

    function test_RevertWhen_TransferStakesRecipientRejects() public {
        _register(alice, 1 ether);
        registry.pause();
        address rejecter = address(new RejectEth());
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV1.EthTransferFailed.selector, rejecter, 1 ether));
        registry.transferStakes(payable(rejecter));
    }
}
