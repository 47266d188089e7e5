// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Multicall3 (aggregate3 only)
/// @notice The part of Multicall3 that molt's batched reads use, with Multicall3's ABI. Anvil does
/// not predeploy Multicall3; molt-chain's tests put this contract's code at Multicall3's canonical
/// address to exercise that read path.
contract Multicall3 {
    /// @notice One call.
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    /// @notice One call's outcome.
    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice Makes every call; one that fails reverts the whole unless it allows failure.
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData) {
        returnData = new Result[](calls.length);
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory data) = calls[i].target.call(calls[i].callData);
            require(ok || calls[i].allowFailure, "Multicall3: call failed");
            returnData[i] = Result(ok, data);
        }
    }
}
