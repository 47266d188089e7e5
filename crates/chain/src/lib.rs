//! Chain access for molt.
//!
//! - [`toolchain`]: finding the project's Foundry binaries (anvil, forge) and build output.
//! - [`devnet`]: a local anvil with deployed contracts, for `molt demo` and end-to-end tests.
//! - [`rpc`]: HTTP providers that retry idempotent calls on transient failures, never sends.
//! - [`read`]: many read-only calls at one block, through Multicall3 or JSON-RPC batches.
//! - [`tx`]: sign, broadcast and track transactions, reconciling by hash and nonce.
//! - [`revert`]: decode revert data (custom errors, `Error(string)`, `Panic(uint256)`).
//! - [`logs`]: mapping keys discovered from events, over `eth_getLogs` ranges that adapt.
//! - [`proxy`]: a loopback JSON-RPC forwarder that keeps credentials off anvil's command line.
//! - [`safe`]: Safe 1.4.1 multisigs: the real contracts on devnets, SafeTx hashes, owner
//!   signatures and MultiSendCallOnly batches.

pub mod devnet;
mod error;
pub mod logs;
pub mod proxy;
pub mod read;
pub mod revert;
pub mod rpc;
pub mod safe;
pub mod toolchain;
pub mod tx;

pub use devnet::{Devnet, DevnetBuilder};
pub use error::{Error, Result};
pub use logs::{KeySpec, Keys, LogsError, check_spec, collect_keys};
pub use read::{BatchReader, ReadPath, ViewCall};
pub use revert::{Revert, RevertDecoder};
pub use rpc::{RpcOptions, connect};
pub use toolchain::Toolchain;
pub use tx::{
    BroadcastError, EstimateError, Fees, ReceiptSummary, Sender, SignedTx, TxRequest, TxStatus,
};
