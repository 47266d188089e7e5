//! Safe 1.4.1 (formerly Gnosis Safe) multisigs: the real contracts on a devnet, SafeTx hashes,
//! owner signatures and MultiSendCallOnly batches, for migrations a Safe governs.
//!
//! - [`artifacts`]: the contracts' runtime code and canonical addresses, from the npm packages
//!   `@safe-global/safe-contracts` 1.4.1 and `@safe-global/safe-deployments`.
//! - [`deploy`]: installing them on a [`crate::Devnet`], and creating Safes through the factory.
//! - [`tx`]: the [`SafeTx`] struct and its EIP-712 hashes.
//! - [`sign`]: owner signatures (ECDSA, approved hashes), encoded as `execTransaction` wants.
//! - [`multisend`]: batches of calls for MultiSendCallOnly.
//! - [`exec`]: a deployed [`Safe`]: its nonce, owners, and executing confirmed SafeTxs.
//!
//! ```no_run
//! # async fn f() -> Result<(), molt_chain::safe::SafeError> {
//! use alloy::primitives::U256;
//! use molt_chain::{Devnet, safe::{self, MultiSendCall, SafeSetup, SafeSignature}};
//! let devnet = Devnet::spawn().await.map_err(safe::SafeError::from)?;
//! let addrs = safe::install(&devnet).await?;
//! let owners = devnet.accounts()[1..4].to_vec();
//! let at = safe::create_safe(devnet.provider(), owners[0], &addrs, &SafeSetup::new(owners.clone(), 2)).await?;
//! let safe = safe::Safe::new(at, devnet.chain_id(), devnet.provider().clone());
//! let calls = [MultiSendCall::transfer(owners[0], U256::from(1))];
//! let tx = safe::multisend_tx(addrs.multi_send_call_only, &calls, safe.nonce().await?)?;
//! let hash = safe.tx_hash(&tx);
//! let sigs = [SafeSignature::sign(devnet.signer(1), hash)?, SafeSignature::sign(devnet.signer(2), hash)?];
//! safe.exec(owners[0], &tx, &sigs).await?;
//! # Ok(()) }
//! ```

pub mod artifacts;
mod bindings;
pub mod deploy;
mod error;
pub mod exec;
pub mod multisend;
pub mod sign;
pub mod tx;

pub use artifacts::{CanonicalContract, SAFE_CONTRACTS_ENV, SafeContract, SafeContracts};
pub use bindings::{IMultiSendCallOnly, ISafe, ISafeProxyFactory};
pub use deploy::{SafeAddresses, SafeSetup, create_safe, install, install_contracts};
pub use error::{SafeError, gs_meaning};
pub use exec::{Safe, exec_call};
pub use multisend::{MultiSendCall, encode_multisend, multisend_tx};
pub use sign::{SafeSignature, encode_signatures};
pub use tx::{Operation, SafeTx, SafeTxHashes, domain, domain_separator};
