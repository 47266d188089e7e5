//! Typed bindings of the Safe 1.4.1 functions and events molt calls (from the contracts' ABI).

// `execTransaction` and friends take ten arguments; the generated callers mirror them.
#![allow(clippy::too_many_arguments)]

use alloy::sol;

sol! {
    /// The Safe 1.4.1 singleton, as seen through a proxy.
    #[sol(rpc)]
    interface ISafe {
        function setup(address[] calldata _owners, uint256 _threshold, address to, bytes calldata data, address fallbackHandler, address paymentToken, uint256 payment, address paymentReceiver) external;
        function execTransaction(address to, uint256 value, bytes calldata data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes memory signatures) external payable returns (bool success);
        function getTransactionHash(address to, uint256 value, bytes calldata data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) external view returns (bytes32);
        function encodeTransactionData(address to, uint256 value, bytes calldata data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) external view returns (bytes memory);
        function domainSeparator() external view returns (bytes32);
        function nonce() external view returns (uint256);
        function getThreshold() external view returns (uint256);
        function getOwners() external view returns (address[] memory);
        function isOwner(address owner) external view returns (bool);
        function approveHash(bytes32 hashToApprove) external;
        function approvedHashes(address owner, bytes32 hash) external view returns (uint256);
        function VERSION() external view returns (string memory);

        event ExecutionSuccess(bytes32 indexed txHash, uint256 payment);
        event ExecutionFailure(bytes32 indexed txHash, uint256 payment);
        event ApproveHash(bytes32 indexed approvedHash, address indexed owner);
    }

    /// The Safe 1.4.1 proxy factory.
    #[sol(rpc)]
    interface ISafeProxyFactory {
        function createProxyWithNonce(address _singleton, bytes memory initializer, uint256 saltNonce) external returns (address proxy);

        event ProxyCreation(address indexed proxy, address singleton);
    }

    /// The Safe 1.4.1 MultiSendCallOnly library.
    #[sol(rpc)]
    interface IMultiSendCallOnly {
        function multiSend(bytes memory transactions) external payable;
    }
}
