// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {MigrationPhase} from "../src/v2/MigrationPhase.sol";
import {NodeRegistryV1} from "../src/v1/NodeRegistryV1.sol";
import {JobMarketplaceV1} from "../src/v1/JobMarketplaceV1.sol";
import {PaymentEscrowV1} from "../src/v1/PaymentEscrowV1.sol";
import {NodeRegistryV2} from "../src/v2/NodeRegistryV2.sol";
import {JobMarketplaceV2} from "../src/v2/JobMarketplaceV2.sol";
import {PaymentEscrowV2} from "../src/v2/PaymentEscrowV2.sol";
import {TestToken} from "../src/token/TestToken.sol";

/// @notice End to end: seed V1, pause it, move the funds, import everything into V2 (as molt does), verify
/// digests, counts and balances, finalize, and use V2.
contract MigrationTest is Test {
    NodeRegistryV1 internal registryV1;
    JobMarketplaceV1 internal marketV1;
    PaymentEscrowV1 internal escrowV1;
    NodeRegistryV2 internal registryV2;
    JobMarketplaceV2 internal marketV2;
    PaymentEscrowV2 internal escrowV2;
    TestToken internal usdc;
    TestToken internal weth;

    address internal hostA = address(0xA001);
    address internal hostB = address(0xA002);
    address internal hostC = address(0xA003);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal newHost = address(0xA004);

    /// Default V2 price for migrated nodes (V1 has none).
    uint256 internal constant DEFAULT_PRICE = 1 gwei;
    /// Registration time given to migrated nodes (V1 has none).
    uint64 internal constant MIGRATED_AT = 1_700_000_000;

    function setUp() public {
        vm.warp(1_650_000_000);
        registryV1 = new NodeRegistryV1();
        marketV1 = new JobMarketplaceV1(address(registryV1));
        escrowV1 = new PaymentEscrowV1();
        usdc = new TestToken("USD Coin", "USDC", 6);
        weth = new TestToken("Wrapped Ether", "WETH", 18);
        address[6] memory actors = [hostA, hostB, hostC, alice, bob, newHost];
        for (uint256 i; i < actors.length; ++i) {
            vm.deal(actors[i], 100 ether);
            usdc.mint(actors[i], 10_000e6);
            weth.mint(actors[i], 10 ether);
        }
        _seedV1();
    }

    function _models(string memory a, string memory b) internal pure returns (string[] memory m) {
        m = new string[](2);
        m[0] = a;
        m[1] = b;
    }

    function _seedV1() internal {
        vm.prank(hostA);
        registryV1.registerNode{value: 1 ether}(
            "12D3KooWAlpha", _models("llama-3-8b", "mistral-7b"), "eu-west"
        );
        vm.prank(hostB);
        registryV1.registerNode{value: 2.5 ether}("12D3KooWBeta", _models("llama-3-70b", "qwen-2"), "us-east");
        vm.prank(hostC);
        registryV1.registerNode{value: 0.01 ether}("12D3KooWGamma", _models("phi-3", "gemma-2"), "");
        registryV1.updateReputation(hostA, 93);
        registryV1.updateReputation(hostC, 0);

        // Jobs: 0 completed by A, 1 cancelled, 2 completed by B, 3 completed by A.
        vm.prank(alice);
        marketV1.postJob{value: 0.2 ether}("llama-3-8b", 512);
        vm.prank(bob);
        marketV1.postJob{value: 0.3 ether}("qwen-2", 1024);
        vm.prank(alice);
        marketV1.postJob{value: 0.4 ether}("llama-3-70b", 2048);
        vm.prank(bob);
        marketV1.postJob{value: 0.5 ether}("mistral-7b", 256);
        vm.warp(1_650_000_100);
        _claimAndComplete(hostA, 0);
        vm.prank(bob);
        marketV1.cancelJob(1);
        _claimAndComplete(hostB, 2);
        vm.warp(1_650_000_200);
        _claimAndComplete(hostA, 3);

        // Escrow: ETH, a 6-decimals and an 18-decimals token; bob empties his ETH.
        vm.startPrank(alice);
        usdc.approve(address(escrowV1), type(uint256).max);
        weth.approve(address(escrowV1), type(uint256).max);
        escrowV1.depositETH{value: 3 ether}();
        escrowV1.deposit(address(usdc), 1_500e6);
        escrowV1.deposit(address(weth), 2 ether);
        vm.stopPrank();
        vm.startPrank(bob);
        usdc.approve(address(escrowV1), type(uint256).max);
        escrowV1.deposit(address(usdc), 250e6);
        escrowV1.depositETH{value: 1 ether}();
        escrowV1.withdraw(address(0), 1 ether);
        vm.stopPrank();
    }

    function _claimAndComplete(address host, uint256 id) internal {
        vm.startPrank(host);
        marketV1.claimJob(id);
        marketV1.completeJob(id, keccak256(abi.encode("result", id)));
        vm.stopPrank();
    }

    // ---- what the off-chain tool does: read V1, build import records ----

    function _nodeImports() internal view returns (NodeRegistryV2.NodeImport[] memory recs) {
        uint256 n = registryV1.getTotalNodes();
        recs = new NodeRegistryV2.NodeImport[](n);
        for (uint256 i; i < n; ++i) {
            NodeRegistryV1.Node memory v1 = registryV1.getNodeAt(i);
            recs[i] = NodeRegistryV2.NodeImport({
                operator: v1.operator,
                peerId: v1.peerId,
                stake: v1.stake,
                models: v1.models,
                region: v1.region,
                reputationBps: v1.reputation * 100,
                pricePerToken: DEFAULT_PRICE,
                registeredAt: MIGRATED_AT
            });
        }
    }

    function _jobImports() internal view returns (JobMarketplaceV2.JobImport[] memory recs) {
        uint256 count = marketV1.getJobCount();
        uint256 completed;
        for (uint256 i; i < count; ++i) {
            if (marketV1.getJob(i).status == JobMarketplaceV1.Status.Completed) ++completed;
        }
        recs = new JobMarketplaceV2.JobImport[](completed);
        uint256 k;
        for (uint256 i; i < count; ++i) {
            JobMarketplaceV1.Job memory j = marketV1.getJob(i);
            if (j.status != JobMarketplaceV1.Status.Completed) continue;
            recs[k++] = JobMarketplaceV2.JobImport({
                id: j.id,
                renter: j.renter,
                host: j.assignedHost,
                modelId: j.modelId,
                payment: JobMarketplaceV2.Payment({amount: j.payment, token: address(0)}),
                maxTokens: j.maxTokens,
                createdAt: j.createdAt,
                completedAt: j.completedAt,
                resultHash: j.resultHash
            });
        }
    }

    function _depositImports() internal view returns (PaymentEscrowV2.DepositImport[] memory recs) {
        uint256 n = escrowV1.getBalanceCount();
        recs = new PaymentEscrowV2.DepositImport[](n);
        for (uint256 i; i < n; ++i) {
            (address user, address token, uint256 amount) = escrowV1.getBalanceAt(i);
            recs[i] = PaymentEscrowV2.DepositImport(user, token, amount);
        }
    }

    function _nodesDigest(NodeRegistryV2.NodeImport[] memory recs) internal pure returns (bytes32 d) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
    }

    function _jobsDigest(JobMarketplaceV2.JobImport[] memory recs) internal pure returns (bytes32 d) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
    }

    function _depositsDigest(PaymentEscrowV2.DepositImport[] memory recs) internal pure returns (bytes32 d) {
        for (uint256 i; i < recs.length; ++i) {
            d = keccak256(abi.encode(d, keccak256(abi.encode(recs[i]))));
        }
    }

    function test_EndToEndMigration() public {
        // 1. Pre-checks and pause.
        assertEq(marketV1.activeJobCount(), 0, "no funds in flight");
        registryV1.pause();
        marketV1.pause();
        escrowV1.pause();

        // 2. Deploy V2 (in the migration phase).
        registryV2 = new NodeRegistryV2();
        marketV2 = new JobMarketplaceV2(address(registryV2));
        escrowV2 = new PaymentEscrowV2();
        assertTrue(registryV2.migrating() && marketV2.migrating() && escrowV2.migrating());

        // 3. Move the funds.
        uint256 stakes = address(registryV1).balance;
        assertEq(stakes, 3.51 ether);
        registryV1.transferStakes(payable(address(registryV2)));
        assertEq(address(registryV2).balance, stakes);
        address[3] memory tokens = [address(0), address(usdc), address(weth)];
        for (uint256 i; i < tokens.length; ++i) {
            address token = tokens[i];
            uint256 held = token == address(0)
                ? address(escrowV1).balance
                : TestToken(token).balanceOf(address(escrowV1));
            escrowV1.emergencyWithdraw(token, held, address(escrowV2));
        }
        assertEq(address(escrowV2).balance, 3 ether);
        assertEq(usdc.balanceOf(address(escrowV2)), 1_750e6);
        assertEq(weth.balanceOf(address(escrowV2)), 2 ether);

        // 4. Import (nodes in two batches, to exercise resumption), verify digests and counts.
        NodeRegistryV2.NodeImport[] memory nodes = _nodeImports();
        NodeRegistryV2.NodeImport[] memory first = new NodeRegistryV2.NodeImport[](2);
        NodeRegistryV2.NodeImport[] memory rest = new NodeRegistryV2.NodeImport[](1);
        first[0] = nodes[0];
        first[1] = nodes[1];
        rest[0] = nodes[2];
        registryV2.batchMigrateNodes(first);
        // A resumed run that replays the last batch cannot double-import.
        vm.expectRevert(
            abi.encodeWithSelector(NodeRegistryV2.NodeAlreadyMigrated.selector, nodes[0].operator)
        );
        registryV2.batchMigrateNodes(first);
        registryV2.batchMigrateNodes(rest);

        JobMarketplaceV2.JobImport[] memory jobs = _jobImports();
        assertEq(jobs.length, 3);
        marketV2.importHistoricalJobs(jobs);

        PaymentEscrowV2.DepositImport[] memory deposits = _depositImports();
        assertEq(deposits.length, 5);
        escrowV2.migrateDeposits(deposits);

        assertEq(registryV2.importDigest(), _nodesDigest(nodes));
        assertEq(registryV2.importCount(), 3);
        assertEq(marketV2.importDigest(), _jobsDigest(jobs));
        assertEq(marketV2.importCount(), 3);
        assertEq(escrowV2.importDigest(), _depositsDigest(deposits));
        assertEq(escrowV2.importCount(), 5);

        // 5. Verify state against V1 through the getters.
        assertEq(registryV2.nodeCount(), registryV1.getTotalNodes());
        assertEq(registryV2.totalStaked(), registryV1.totalStaked());
        for (uint256 i; i < 3; ++i) {
            NodeRegistryV1.Node memory a = registryV1.getNodeAt(i);
            NodeRegistryV2.Node memory b = registryV2.getNodeAt(i);
            assertEq(b.operator, a.operator);
            assertEq(b.peerId, a.peerId);
            assertEq(b.stake, a.stake);
            assertEq(b.models, a.models, "models");
            assertEq(b.region, a.region);
            assertEq(b.reputationBps, a.reputation * 100);
        }
        assertEq(registryV2.getNode(hostA).reputationBps, 9_300);
        assertEq(registryV2.getNode(hostC).reputationBps, 0);
        assertEq(marketV2.getJobCount(), marketV1.getJobCount());
        for (uint256 i; i < 4; ++i) {
            JobMarketplaceV1.Job memory a = marketV1.getJob(i);
            if (a.status != JobMarketplaceV1.Status.Completed) {
                vm.expectRevert(abi.encodeWithSelector(JobMarketplaceV2.JobNotFound.selector, i));
                marketV2.getJob(i);
                continue;
            }
            JobMarketplaceV2.Job memory b = marketV2.getJob(i);
            assertEq(b.renter, a.renter);
            assertEq(b.assignedHost, a.assignedHost);
            assertEq(b.payment.amount, a.payment);
            assertEq(b.payment.token, address(0));
            assertEq(b.completedAt, a.completedAt);
            assertEq(b.resultHash, a.resultHash);
        }
        assertEq(escrowV2.balanceCount(), escrowV1.getBalanceCount());
        for (uint256 i; i < deposits.length; ++i) {
            (address user, address token, uint256 amount) = escrowV2.getBalanceAt(i);
            assertEq(amount, escrowV1.balanceOf(user, token));
        }
        for (uint256 i; i < tokens.length; ++i) {
            assertEq(escrowV2.totalCredited(tokens[i]), escrowV1.totalDeposits(tokens[i]));
        }
        assertEq(escrowV2.balanceOf(bob, address(0)), 0);

        // 6. Finalize.
        bytes32 d = registryV2.importDigest();
        vm.expectEmit(true, true, true, true, address(registryV2));
        emit MigrationPhase.MigrationFinalized(d, 3);
        registryV2.finalizeMigration();
        marketV2.finalizeMigration();
        escrowV2.finalizeMigration();
        vm.expectRevert(MigrationPhase.MigrationClosed.selector);
        escrowV2.migrateDeposits(deposits);

        // 7. Use V2.
        vm.prank(newHost);
        registryV2.registerNode{value: 0.5 ether}(
            "12D3KooWDelta", _models("llama-3-8b", "phi-3"), "ap-south", 2 gwei
        );
        assertEq(registryV2.nodeCount(), 4);

        vm.startPrank(alice);
        usdc.approve(address(marketV2), type(uint256).max);
        uint256 id = marketV2.postJob("llama-3-8b", 300, address(usdc), 25e6);
        vm.stopPrank();
        assertEq(id, 4, "new ids follow the V1 ids");
        vm.prank(hostA); // a migrated node
        marketV2.claimJob(id);
        vm.prank(hostA);
        marketV2.completeJob(id, keccak256("v2 result"));
        assertEq(usdc.balanceOf(hostA), 10_000e6 + 25e6);

        uint256 before = alice.balance;
        vm.prank(alice);
        escrowV2.withdraw(address(0), 3 ether, alice);
        assertEq(alice.balance - before, 3 ether);
        vm.prank(bob);
        escrowV2.withdraw(address(usdc), 250e6, bob);
        assertEq(usdc.balanceOf(bob), 10_000e6);
        assertEq(address(escrowV2).balance, 0);
        assertEq(escrowV2.totalCredited(address(0)), 0);
    }
}
