// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {MigrationPhase} from "../src/v2/MigrationPhase.sol";
import {NodeRegistryV2} from "../src/v2/NodeRegistryV2.sol";

contract NodeRegistryV2Test is Test {
    NodeRegistryV2 internal registry;
    address internal migrator = address(0x4D16);
    address internal alice = address(0xA11CE);
    address internal stranger = address(0xCAFE);

    // A realistic 52-character libp2p peer id.
    string internal constant PEER_ID = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo";

    function setUp() public {
        registry = new NodeRegistryV2();
        registry.grantRole(registry.MIGRATOR_ROLE(), migrator);
        vm.deal(address(this), 1_000_000 ether);
        vm.deal(alice, 100 ether);
    }

    function _rec(uint256 i, uint256 stake) internal pure returns (NodeRegistryV2.NodeImport memory r) {
        string[] memory models = new string[](2);
        models[0] = "llama-3-8b";
        models[1] = "mistral-7b";
        r = NodeRegistryV2.NodeImport({
            // forge-lint: disable-next-line(unsafe-typecast)
            operator: address(uint160(0x10000 + i)),
            peerId: PEER_ID,
            stake: stake,
            models: models,
            region: "eu-west",
            reputationBps: 7_500,
            pricePerToken: 1 gwei,
            // forge-lint: disable-next-line(unsafe-typecast)
            registeredAt: uint64(1_700_000_000 + i)
        });
    }

    function _batch(uint256 from, uint256 n, uint256 stake)
        internal
        pure
        returns (NodeRegistryV2.NodeImport[] memory b)
    {
        b = new NodeRegistryV2.NodeImport[](n);
        for (uint256 i; i < n; ++i) {
            b[i] = _rec(from + i, stake);
        }
    }

    function _fund(uint256 amount) internal {
        (bool ok,) = address(registry).call{value: amount}("");
        assertTrue(ok, "funding failed");
    }

    function _digest(bytes32 d, NodeRegistryV2.NodeImport[] memory recs) internal pure returns (bytes32) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
        return d;
    }

    function _migrate(NodeRegistryV2.NodeImport[] memory recs) internal {
        vm.prank(migrator);
        registry.batchMigrateNodes(recs);
    }

    function _finalizeWithOneNode() internal {
        _fund(1 ether);
        _migrate(_batch(0, 1, 1 ether));
        registry.finalizeMigration();
    }

    // ---- migration ----

    function test_ReceiveDuringMigration() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit NodeRegistryV2.StakeFundsReceived(address(this), 3 ether);
        _fund(3 ether);
        assertEq(address(registry).balance, 3 ether);
    }

    function test_BatchMigrateNodes() public {
        NodeRegistryV2.NodeImport[] memory recs = _batch(0, 3, 1 ether);
        _fund(3 ether);
        vm.expectEmit(true, true, true, true, address(registry));
        emit MigrationPhase.BatchImported(3, _digest(bytes32(0), recs));
        _migrate(recs);

        assertEq(registry.nodeCount(), 3);
        assertEq(registry.totalStaked(), 3 ether);
        assertEq(registry.importCount(), 3);
        assertEq(registry.importDigest(), _digest(bytes32(0), recs));
        for (uint256 i; i < 3; ++i) {
            NodeRegistryV2.Node memory n = registry.getNodeAt(i);
            assertEq(n.operator, recs[i].operator);
            assertEq(n.peerId, PEER_ID);
            assertEq(n.stake, 1 ether);
            assertEq(n.models, recs[i].models, "models");
            assertEq(n.region, "eu-west");
            assertEq(n.reputationBps, 7_500);
            assertEq(n.pricePerToken, 1 gwei);
            assertEq(n.registeredAt, recs[i].registeredAt);
            assertTrue(registry.isRegistered(recs[i].operator));
        }
    }

    function test_DigestAcrossBatches() public {
        NodeRegistryV2.NodeImport[] memory a = _batch(0, 2, 1 ether);
        NodeRegistryV2.NodeImport[] memory b = _batch(2, 3, 1 ether);
        _fund(5 ether);
        _migrate(a);
        _migrate(b);
        assertEq(registry.importDigest(), _digest(_digest(bytes32(0), a), b));
        assertEq(registry.importCount(), 5);
    }

    function test_ImportWithEmptyAndZeroFields() public {
        NodeRegistryV2.NodeImport memory r;
        r.operator = alice;
        NodeRegistryV2.NodeImport[] memory recs = new NodeRegistryV2.NodeImport[](1);
        recs[0] = r;
        _migrate(recs);
        NodeRegistryV2.Node memory n = registry.getNode(alice);
        assertEq(n.operator, alice);
        assertEq(n.peerId, "");
        assertEq(n.stake, 0);
        assertEq(n.models.length, 0);
        assertEq(n.reputationBps, 0);
        assertEq(n.registeredAt, 0);
        assertEq(registry.importDigest(), _digest(bytes32(0), recs));
    }

    function test_RevertWhen_DuplicateInSameBatch() public {
        NodeRegistryV2.NodeImport[] memory recs = _batch(0, 3, 1 ether);
        recs[2] = recs[0];
        _fund(3 ether);
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV2.NodeAlreadyMigrated.selector, recs[0].operator));
        registry.batchMigrateNodes(recs);
    }

    function test_RevertWhen_DuplicateAcrossBatches() public {
        _fund(3 ether);
        _migrate(_batch(0, 2, 1 ether));
        bytes32 digest = registry.importDigest();
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(NodeRegistryV2.NodeAlreadyMigrated.selector, _rec(1, 0).operator)
        );
        registry.batchMigrateNodes(_batch(1, 1, 1 ether));
        assertEq(registry.importDigest(), digest, "digest unchanged");
        assertEq(registry.importCount(), 2);
    }

    function test_RevertWhen_StakeNotFunded() public {
        _fund(3 ether - 1);
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV2.StakeNotFunded.selector, 3 ether, 3 ether - 1));
        registry.batchMigrateNodes(_batch(0, 3, 1 ether));
    }

    function test_RevertWhen_SecondBatchNotFunded() public {
        _fund(2 ether);
        _migrate(_batch(0, 2, 1 ether));
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV2.StakeNotFunded.selector, 3 ether, 2 ether));
        registry.batchMigrateNodes(_batch(2, 1, 1 ether));
    }

    function testFuzz_ExactlyFundedPasses(uint256 s1, uint256 s2, uint256 s3) public {
        s1 = bound(s1, 0, 100_000 ether);
        s2 = bound(s2, 0, 100_000 ether);
        s3 = bound(s3, 0, 100_000 ether);
        NodeRegistryV2.NodeImport[] memory recs = _batch(0, 3, 0);
        recs[0].stake = s1;
        recs[1].stake = s2;
        recs[2].stake = s3;
        _fund(s1 + s2 + s3);
        _migrate(recs);
        assertEq(registry.totalStaked(), s1 + s2 + s3);
        assertEq(registry.getNodeAt(1).stake, s2);
    }

    function testFuzz_RevertWhen_Underfunded(uint256 stake, uint256 missing) public {
        stake = bound(stake, 1, 100_000 ether);
        missing = bound(missing, 1, stake);
        _fund(stake - missing);
        NodeRegistryV2.NodeImport[] memory recs = _batch(0, 1, stake);
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(NodeRegistryV2.StakeNotFunded.selector, stake, stake - missing)
        );
        registry.batchMigrateNodes(recs);
    }

    function test_RevertWhen_ImportByNonMigrator() public {
        bytes32 role = registry.MIGRATOR_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, role)
        );
        registry.batchMigrateNodes(_batch(0, 1, 0));
    }

    function test_RevertWhen_ImportZeroOperator() public {
        NodeRegistryV2.NodeImport[] memory recs = _batch(0, 1, 0);
        recs[0].operator = address(0);
        vm.prank(migrator);
        vm.expectRevert(NodeRegistryV2.ZeroAddress.selector);
        registry.batchMigrateNodes(recs);
    }

    function test_RevertWhen_ImportReputationAboveMax() public {
        NodeRegistryV2.NodeImport[] memory recs = _batch(0, 1, 0);
        recs[0].reputationBps = 10_001;
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV2.InvalidReputation.selector, 10_001));
        registry.batchMigrateNodes(recs);
    }

    function test_RevertWhen_EmptyBatch() public {
        vm.prank(migrator);
        vm.expectRevert(MigrationPhase.EmptyBatch.selector);
        registry.batchMigrateNodes(new NodeRegistryV2.NodeImport[](0));
    }

    function test_RevertWhen_ImportAfterFinalize() public {
        registry.finalizeMigration();
        vm.prank(migrator);
        vm.expectRevert(MigrationPhase.MigrationClosed.selector);
        registry.batchMigrateNodes(_batch(0, 1, 0));
    }

    function test_RevertWhen_ReceiveAfterFinalize() public {
        registry.finalizeMigration();
        (bool ok, bytes memory ret) = address(registry).call{value: 1 ether}("");
        assertFalse(ok);
        assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(MigrationPhase.MigrationClosed.selector)));
    }

    function test_ImportsIgnorePause() public {
        registry.pause();
        _migrate(_batch(0, 1, 0));
        assertEq(registry.nodeCount(), 1);
    }

    /// Gas per migrated node vs the storage lower bound (22,100 per new slot). Each record here writes
    /// 13 new slots: operator, peerId (52 bytes: length + 2 data), stake, models (length + 2), region,
    /// reputationBps, pricePerToken, registeredAt, and the enumeration entry.
    function test_GasPerMigratedNode() public {
        uint256 n = 100;
        NodeRegistryV2.NodeImport[] memory recs = _batch(0, n, 1 ether);
        _fund(n * 1 ether);
        vm.prank(migrator);
        uint256 before = gasleft();
        registry.batchMigrateNodes(recs);
        uint256 perRecord = (before - gasleft()) / n;
        uint256 lowerBound = 13 * 22_100;
        emit log_named_uint("gas per migrated node", perRecord);
        emit log_named_uint("storage lower bound per node", lowerBound);
        assertLe(perRecord * 100, lowerBound * 125, "gas per node above 1.25x the storage lower bound");
    }

    // ---- normal use ----

    function test_RevertWhen_RegisterBeforeFinalize() public {
        vm.prank(alice);
        vm.expectRevert(MigrationPhase.MigrationInProgress.selector);
        registry.registerNode{value: 1 ether}("peer", _models(), "eu", 1);
    }

    function _models() internal pure returns (string[] memory m) {
        m = new string[](1);
        m[0] = "llama-3-8b";
    }

    function test_RegisterAfterFinalize() public {
        _finalizeWithOneNode();
        vm.warp(2_000_000_000);
        vm.expectEmit(true, true, true, true, address(registry));
        emit NodeRegistryV2.NodeRegistered(alice, "peer", 1 ether);
        vm.prank(alice);
        registry.registerNode{value: 1 ether}("peer", _models(), "us-east", 3 gwei);

        NodeRegistryV2.Node memory n = registry.getNode(alice);
        assertEq(n.operator, alice);
        assertEq(n.stake, 1 ether);
        assertEq(n.models, _models(), "models");
        assertEq(n.region, "us-east");
        assertEq(n.reputationBps, registry.INITIAL_REPUTATION_BPS());
        assertEq(n.pricePerToken, 3 gwei);
        assertEq(n.registeredAt, 2_000_000_000);
        assertEq(registry.nodeCount(), 2);
        assertEq(registry.getNodeAt(1).operator, alice);
        assertEq(registry.totalStaked(), 2 ether);
    }

    function testFuzz_RevertWhen_StakeBelowMinimum(uint256 stake) public {
        _finalizeWithOneNode();
        stake = bound(stake, 0, registry.MIN_STAKE() - 1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(NodeRegistryV2.InsufficientStake.selector, stake, 0.01 ether, alice)
        );
        registry.registerNode{value: stake}("peer", _models(), "eu", 1);
    }

    function test_RevertWhen_RegisterMigratedOperator() public {
        _finalizeWithOneNode();
        address op = _rec(0, 0).operator;
        vm.deal(op, 1 ether);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV2.AlreadyRegistered.selector, op));
        registry.registerNode{value: 1 ether}("peer", _models(), "eu", 1);
    }

    function test_RevertWhen_RegisterInvalidInput() public {
        _finalizeWithOneNode();
        vm.startPrank(alice);
        vm.expectRevert(NodeRegistryV2.EmptyPeerId.selector);
        registry.registerNode{value: 1 ether}("", _models(), "eu", 1);
        vm.expectRevert(NodeRegistryV2.NoModels.selector);
        registry.registerNode{value: 1 ether}("peer", new string[](0), "eu", 1);
        vm.stopPrank();
    }

    function test_UpdateReputationBps() public {
        _finalizeWithOneNode();
        address op = _rec(0, 0).operator;
        vm.expectEmit(true, true, true, true, address(registry));
        emit NodeRegistryV2.ReputationUpdated(op, 9_950);
        registry.updateReputation(op, 9_950);
        assertEq(registry.getNode(op).reputationBps, 9_950);
    }

    function test_RevertWhen_UpdateReputationBeforeFinalize() public {
        _fund(1 ether);
        _migrate(_batch(0, 1, 1 ether));
        vm.expectRevert(MigrationPhase.MigrationInProgress.selector);
        registry.updateReputation(_rec(0, 0).operator, 1);
    }

    function test_RevertWhen_UpdateReputationInvalid() public {
        _finalizeWithOneNode();
        address op = _rec(0, 0).operator;
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV2.InvalidReputation.selector, 10_001));
        registry.updateReputation(op, 10_001);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV2.NotRegistered.selector, alice));
        registry.updateReputation(alice, 1);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        registry.updateReputation(op, 1);
    }

    function test_RevertWhen_GetNodeAtOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV2.IndexOutOfRange.selector, 0, 0));
        registry.getNodeAt(0);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistryV2.NotRegistered.selector, alice));
        registry.getNode(alice);
    }

    function test_PauseBlocksRegistration() public {
        _finalizeWithOneNode();
        registry.pause();
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        registry.registerNode{value: 1 ether}("peer", _models(), "eu", 1);
        registry.unpause();
        vm.prank(alice);
        registry.registerNode{value: 1 ether}("peer", _models(), "eu", 1);
    }
}
