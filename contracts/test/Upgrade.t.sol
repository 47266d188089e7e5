// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {UupsCounterV1} from "./fixtures/upgrade/UupsCounterV1.sol";
import {UupsCounterV2} from "./fixtures/upgrade/UupsCounterV2.sol";

/// @notice The fixtures `molt upgrade` rehearses: V1 behind an ERC1967Proxy upgrades to V2 with
/// its state kept; only the owner upgrades; V2's initializer refuses a limit above the maximum.
contract UpgradeTest is Test {
    UupsCounterV1 internal v1;
    address internal owner = address(0x5AFE);

    function setUp() public {
        UupsCounterV1 impl = new UupsCounterV1();
        ERC1967Proxy proxy = new ERC1967Proxy(address(impl), abi.encodeCall(UupsCounterV1.initialize, (owner)));
        v1 = UupsCounterV1(address(proxy));
        v1.increment();
        v1.increment();
    }

    function test_upgradeKeepsStateAndRunsTheInitializer() public {
        UupsCounterV2 impl = new UupsCounterV2();
        vm.prank(owner);
        v1.upgradeToAndCall(address(impl), abi.encodeCall(UupsCounterV2.initializeV2, (3)));
        UupsCounterV2 v2 = UupsCounterV2(address(v1));
        assertEq(v2.version(), 2);
        assertEq(v2.count(), 2);
        assertEq(v2.balances(address(this)), 2);
        assertEq(v2.limit(), 3);
        v2.increment();
        vm.expectRevert(abi.encodeWithSelector(UupsCounterV2.LimitTooHigh.selector, 4, 3));
        v2.increment();
    }

    function test_onlyTheOwnerUpgrades() public {
        UupsCounterV2 impl = new UupsCounterV2();
        vm.expectRevert(abi.encodeWithSelector(UupsCounterV1.NotOwner.selector, address(this)));
        v1.upgradeToAndCall(address(impl), "");
    }

    function test_initializerRefusesALimitAboveTheMaximum() public {
        UupsCounterV2 impl = new UupsCounterV2();
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(UupsCounterV2.LimitTooHigh.selector, 5000, 1000));
        v1.upgradeToAndCall(address(impl), abi.encodeCall(UupsCounterV2.initializeV2, (5000)));
    }
}
