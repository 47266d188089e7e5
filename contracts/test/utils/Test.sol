// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "./Vm.sol";

/// @notice Minimal test base: the cheatcode handle and assertion helpers that revert with both values.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev Marks the contract as a test suite for forge.
    bool public constant IS_TEST = true;

    /// @dev ds-test style log, printed by `forge test -vv`.
    event log_named_uint(string key, uint256 val);

    error AssertionFailed(string message);

    function fail(string memory message) internal pure {
        revert AssertionFailed(message);
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) fail(string.concat("assertTrue failed: ", message));
    }

    function assertTrue(bool condition) internal pure {
        assertTrue(condition, "");
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) fail(string.concat("assertFalse failed: ", message));
    }

    function assertFalse(bool condition) internal pure {
        assertFalse(condition, "");
    }

    function assertEq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) fail(string.concat("assertEq(uint256) failed: ", message, ": ", _u(a), " != ", _u(b)));
    }

    function assertEq(uint256 a, uint256 b) internal pure {
        assertEq(a, b, "");
    }

    function assertEq(address a, address b, string memory message) internal pure {
        if (a != b) {
            fail(
                string.concat(
                    "assertEq(address) failed: ",
                    message,
                    ": ",
                    _h(uint160(a), 20),
                    " != ",
                    _h(uint160(b), 20)
                )
            );
        }
    }

    function assertEq(address a, address b) internal pure {
        assertEq(a, b, "");
    }

    function assertEq(bytes32 a, bytes32 b, string memory message) internal pure {
        if (a != b) {
            fail(
                string.concat(
                    "assertEq(bytes32) failed: ",
                    message,
                    ": ",
                    _h(uint256(a), 32),
                    " != ",
                    _h(uint256(b), 32)
                )
            );
        }
    }

    function assertEq(bytes32 a, bytes32 b) internal pure {
        assertEq(a, b, "");
    }

    function assertEq(bool a, bool b, string memory message) internal pure {
        if (a != b) fail(string.concat("assertEq(bool) failed: ", message, ": ", _b(a), " != ", _b(b)));
    }

    function assertEq(bool a, bool b) internal pure {
        assertEq(a, b, "");
    }

    function assertEq(string memory a, string memory b, string memory message) internal pure {
        if (keccak256(bytes(a)) != keccak256(bytes(b))) {
            fail(string.concat("assertEq(string) failed: ", message, ": \"", a, "\" != \"", b, "\""));
        }
    }

    function assertEq(string memory a, string memory b) internal pure {
        assertEq(a, b, "");
    }

    function assertEq(string[] memory a, string[] memory b, string memory message) internal pure {
        assertEq(a.length, b.length, string.concat(message, " (length)"));
        for (uint256 i; i < a.length; ++i) {
            assertEq(a[i], b[i], string.concat(message, "[", _u(i), "]"));
        }
    }

    function assertLe(uint256 a, uint256 b, string memory message) internal pure {
        if (a > b) fail(string.concat("assertLe failed: ", message, ": ", _u(a), " > ", _u(b)));
    }

    function assertGt(uint256 a, uint256 b, string memory message) internal pure {
        if (a <= b) fail(string.concat("assertGt failed: ", message, ": ", _u(a), " <= ", _u(b)));
    }

    /// @dev Maps `x` into `[min, max]` (like forge-std's `bound`), keeping small values unchanged when in range.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    function _u(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) {
            ++len;
        }
        bytes memory s = new bytes(len);
        for (; v != 0; v /= 10) {
            // forge-lint: disable-next-line(unsafe-typecast)
            s[--len] = bytes1(uint8(48 + v % 10));
        }
        return string(s);
    }

    function _h(uint256 v, uint256 nbytes) private pure returns (string memory) {
        bytes memory digits = "0123456789abcdef";
        bytes memory s = new bytes(2 + 2 * nbytes);
        s[0] = "0";
        s[1] = "x";
        for (uint256 i = 2 * nbytes; i > 0; --i) {
            s[1 + i] = digits[v & 0xf];
            v >>= 4;
        }
        return string(s);
    }

    function _b(bool v) private pure returns (string memory) {
        return v ? "true" : "false";
    }
}
