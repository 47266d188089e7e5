// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {MigrationPhase} from "../src/v2/MigrationPhase.sol";
import {TestToken} from "../src/token/TestToken.sol";

/// @dev A concrete MigrationPhase: imports plain values, and has one normal function.
contract MigrationPhaseHarness is MigrationPhase {
    struct ValueImport {
        uint256 key;
        uint256 value;
    }

    mapping(uint256 => uint256) public values;
    uint256 public used;

    function importValues(ValueImport[] calldata recs) external onlyRole(MIGRATOR_ROLE) onlyDuringMigration {
        if (recs.length == 0) revert EmptyBatch();
        bytes32 digest = importDigest;
        for (uint256 i; i < recs.length; ++i) {
            values[recs[i].key] = recs[i].value;
            digest = _fold(digest, keccak256(abi.encode(recs[i])));
        }
        _commitBatch(recs.length, digest);
    }

    function use() external afterMigration whenNotPaused {
        ++used;
    }
}

contract MigrationPhaseTest is Test {
    MigrationPhaseHarness internal phase;
    address internal migrator = address(0x4D16);
    address internal stranger = address(0xCAFE);
    address internal newOwner = address(0x0E);

    function setUp() public {
        phase = new MigrationPhaseHarness();
        phase.grantRole(phase.MIGRATOR_ROLE(), migrator);
    }

    function _recs(uint256 from, uint256 n)
        internal
        pure
        returns (MigrationPhaseHarness.ValueImport[] memory r)
    {
        r = new MigrationPhaseHarness.ValueImport[](n);
        for (uint256 i; i < n; ++i) {
            r[i] = MigrationPhaseHarness.ValueImport(from + i, (from + i) * 7);
        }
    }

    function test_InitialState() public view {
        assertTrue(phase.migrating());
        assertEq(phase.importDigest(), bytes32(0));
        assertEq(phase.importCount(), 0);
        assertEq(phase.owner(), address(this));
        assertEq(phase.MIGRATOR_ROLE(), keccak256("MIGRATOR_ROLE"));
        assertTrue(phase.hasRole(phase.DEFAULT_ADMIN_ROLE(), address(this)), "owner is admin");
        assertTrue(phase.hasRole(phase.MIGRATOR_ROLE(), address(this)), "deployer is migrator");
        assertTrue(phase.hasRole(phase.MIGRATOR_ROLE(), migrator));
    }

    function test_DigestFoldsEveryRecordInOrder() public {
        MigrationPhaseHarness.ValueImport[] memory a = _recs(0, 3);
        MigrationPhaseHarness.ValueImport[] memory b = _recs(3, 2);
        vm.expectEmit(true, true, true, true, address(phase));
        emit MigrationPhase.BatchImported(3, _fold(_fold(_fold(bytes32(0), a[0]), a[1]), a[2]));
        vm.prank(migrator);
        phase.importValues(a);
        vm.prank(migrator);
        phase.importValues(b);

        bytes32 expected;
        for (uint256 i; i < 3; ++i) {
            expected = _fold(expected, a[i]);
        }
        for (uint256 i; i < 2; ++i) {
            expected = _fold(expected, b[i]);
        }
        assertEq(phase.importDigest(), expected);
        assertEq(phase.importCount(), 5);
        assertEq(phase.values(4), 28);
    }

    function _fold(bytes32 d, MigrationPhaseHarness.ValueImport memory r) internal pure returns (bytes32) {
        return keccak256(abi.encode(d, keccak256(abi.encode(r))));
    }

    function test_FinalizeEndsPhase() public {
        vm.prank(migrator);
        phase.importValues(_recs(0, 2));
        bytes32 digest = phase.importDigest();

        vm.expectRevert(MigrationPhase.MigrationInProgress.selector);
        phase.use();

        vm.expectEmit(true, true, true, true, address(phase));
        emit MigrationPhase.MigrationFinalized(digest, 2);
        phase.finalizeMigration();
        assertFalse(phase.migrating());

        phase.use();
        assertEq(phase.used(), 1);

        vm.prank(migrator);
        vm.expectRevert(MigrationPhase.MigrationClosed.selector);
        phase.importValues(_recs(2, 1));
        vm.expectRevert(MigrationPhase.MigrationClosed.selector);
        phase.finalizeMigration();
    }

    function test_RevertWhen_FinalizeByNonOwner() public {
        vm.prank(migrator);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, migrator));
        phase.finalizeMigration();
    }

    function test_RevertWhen_ImportByNonMigrator() public {
        bytes32 role = phase.MIGRATOR_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, role)
        );
        phase.importValues(_recs(0, 1));
    }

    function test_RevertWhen_EmptyBatch() public {
        vm.prank(migrator);
        vm.expectRevert(MigrationPhase.EmptyBatch.selector);
        phase.importValues(_recs(0, 0));
    }

    function test_RevokedMigratorCannotImport() public {
        bytes32 role = phase.MIGRATOR_ROLE();
        phase.revokeRole(role, migrator);
        vm.prank(migrator);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, migrator, role)
        );
        phase.importValues(_recs(0, 1));
    }

    function test_AdminRoleFollowsOwnership() public {
        bytes32 admin = phase.DEFAULT_ADMIN_ROLE();
        phase.transferOwnership(newOwner);
        assertEq(phase.owner(), newOwner);
        assertTrue(phase.hasRole(admin, newOwner));
        assertFalse(phase.hasRole(admin, address(this)));

        vm.prank(newOwner);
        phase.renounceOwnership();
        assertFalse(phase.hasRole(admin, newOwner));
    }

    function test_PauseBlocksNormalUseNotImports() public {
        phase.pause();
        vm.prank(migrator);
        phase.importValues(_recs(0, 1));
        phase.finalizeMigration();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        phase.use();
        phase.unpause();
        phase.use();
    }

    function test_RevertWhen_PauseByNonOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        phase.pause();
    }

    function test_SupportsAccessControlInterface() public view {
        assertTrue(phase.supportsInterface(type(IAccessControl).interfaceId));
    }
}

/// @dev `returnFunds`: the way back of a rolled-back migration, only during the phase.
contract MigrationPhaseReturnTest is Test {
    MigrationPhaseHarness internal phase;
    TestToken internal token;
    EthSink internal v1 = new EthSink();
    address internal stranger = address(0xCAFE);

    function setUp() public {
        phase = new MigrationPhaseHarness();
        token = new TestToken("Token", "TKN", 18);
        token.mint(address(phase), 500);
        vm.deal(address(phase), 3 ether);
    }

    function test_ReturnsEthAndTokensDuringMigration() public {
        phase.returnFunds(address(0), 2 ether, address(v1));
        phase.returnFunds(address(token), 500, address(v1));
        assertEq(address(v1).balance, 2 ether);
        assertEq(address(phase).balance, 1 ether);
        assertEq(token.balanceOf(address(v1)), 500);
        assertEq(token.balanceOf(address(phase)), 0);
    }

    function test_RevertWhen_ReturnAfterFinalize() public {
        phase.finalizeMigration();
        vm.expectRevert(MigrationPhase.MigrationClosed.selector);
        phase.returnFunds(address(0), 1 ether, address(v1));
        vm.expectRevert(MigrationPhase.MigrationClosed.selector);
        phase.returnFunds(address(token), 1, address(v1));
    }

    function test_RevertWhen_ReturnByNonOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        phase.returnFunds(address(0), 1 ether, stranger);
    }

    function test_RevertWhen_ReturnToZeroOrRefusingRecipient() public {
        vm.expectRevert(MigrationPhase.ZeroRecipient.selector);
        phase.returnFunds(address(0), 1 ether, address(0));
        EthRefuser refuser = new EthRefuser();
        vm.expectRevert(abi.encodeWithSelector(MigrationPhase.ReturnFailed.selector, address(refuser), 1 ether));
        phase.returnFunds(address(0), 1 ether, address(refuser));
    }
}

/// @dev Takes any ETH.
contract EthSink {
    receive() external payable {}
}

/// @dev Takes no ETH.
contract EthRefuser {}
