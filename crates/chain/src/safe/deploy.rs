//! Safe 1.4.1 on a devnet: the canonical contracts installed at their canonical addresses, and
//! Safes created through the real SafeProxyFactory.
//!
//! The contracts are installed with `anvil_setCode`, which copies runtime code and no storage.
//! None of the five has immutables (their artifacts' runtime code hashes to the canonical code
//! hash, which [`SafeContracts::load`] checks), so the copied code is exactly what runs on
//! every chain. The only constructor state is the singletons' `threshold = 1` (which makes
//! them unusable as Safes themselves); [`install`] writes it too.

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256},
    providers::{DynProvider, Provider},
    sol_types::{SolCall, SolEvent},
};

use super::{
    SafeContract, SafeContracts, SafeError,
    bindings::{ISafe, ISafeProxyFactory},
    exec::send_checked,
};
use crate::Devnet;

/// The storage slot of `threshold` in Safe 1.4.1 (after `singleton`, `modules`, `owners` and
/// `ownerCount`).
const THRESHOLD_SLOT: u64 = 4;

/// The canonical addresses of the installed contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafeAddresses {
    /// The Safe singleton.
    pub safe: Address,
    /// The SafeL2 singleton.
    pub safe_l2: Address,
    /// The SafeProxyFactory.
    pub proxy_factory: Address,
    /// The MultiSendCallOnly library.
    pub multi_send_call_only: Address,
    /// The CompatibilityFallbackHandler.
    pub fallback_handler: Address,
}

impl From<&SafeContracts> for SafeAddresses {
    fn from(c: &SafeContracts) -> Self {
        Self {
            safe: c.address(SafeContract::Safe),
            safe_l2: c.address(SafeContract::SafeL2),
            proxy_factory: c.address(SafeContract::SafeProxyFactory),
            multi_send_call_only: c.address(SafeContract::MultiSendCallOnly),
            fallback_handler: c.address(SafeContract::CompatibilityFallbackHandler),
        }
    }
}

/// Installs the Safe 1.4.1 contracts of the devnet's toolchain on it.
pub async fn install(devnet: &Devnet) -> Result<SafeAddresses, SafeError> {
    let contracts = SafeContracts::load(devnet.toolchain())?;
    install_contracts(devnet.provider(), &contracts).await
}

/// Installs `contracts` at their canonical addresses on the anvil behind `provider`. A
/// contract whose canonical code is already there (on a fork of a chain with Safe, say) is
/// left alone.
pub async fn install_contracts(
    provider: &DynProvider,
    contracts: &SafeContracts,
) -> Result<SafeAddresses, SafeError> {
    for c in &contracts.contracts {
        let present = provider.get_code_at(c.address).await.map_err(crate::Error::from)?;
        if keccak256(&present) == c.code_hash {
            continue;
        }
        set_code(provider, c.contract.name(), c.address, &c.code).await?;
        check_code(provider, c.contract.name(), c.address, c.code_hash).await?;
        if matches!(c.contract, SafeContract::Safe | SafeContract::SafeL2) {
            lock_singleton(provider, c.contract.name(), c.address).await?;
        }
    }
    Ok(SafeAddresses::from(contracts))
}

async fn set_code(
    provider: &DynProvider,
    contract: &'static str,
    at: Address,
    code: &Bytes,
) -> Result<(), SafeError> {
    let set = provider.raw_request::<_, serde_json::Value>("anvil_setCode".into(), (at, code));
    set.await.map_err(|e| SafeError::Install {
        contract,
        address: at,
        reason: format!("anvil_setCode failed (is the node an anvil?): {e}"),
    })?;
    Ok(())
}

async fn check_code(
    provider: &DynProvider,
    contract: &'static str,
    address: Address,
    code_hash: B256,
) -> Result<(), SafeError> {
    let code = provider.get_code_at(address).await.map_err(crate::Error::from)?;
    if keccak256(&code) == code_hash {
        return Ok(());
    }
    let reason = format!("after anvil_setCode the code there hashes to {}", keccak256(&code));
    Err(SafeError::Install { contract, address, reason })
}

/// What the singleton's constructor does: `threshold = 1`, so that nobody can `setup` it.
async fn lock_singleton(
    provider: &DynProvider,
    contract: &'static str,
    address: Address,
) -> Result<(), SafeError> {
    let (slot, one) = (B256::from(U256::from(THRESHOLD_SLOT)), B256::from(U256::from(1)));
    provider
        .raw_request::<_, serde_json::Value>("anvil_setStorageAt".into(), (address, slot, one))
        .await
        .map_err(crate::Error::from)?;
    let threshold = ISafe::new(address, provider.clone()).getThreshold().call().await;
    match threshold {
        Ok(t) if t == U256::from(1) => Ok(()),
        other => Err(SafeError::Install {
            contract,
            address,
            reason: format!("the singleton's threshold should read 1, got {other:?}"),
        }),
    }
}

/// The owners and threshold of a new Safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeSetup {
    /// The owners (distinct, nonzero).
    pub owners: Vec<Address>,
    /// How many owners must confirm a transaction (1..=owners).
    pub threshold: u64,
    /// The CREATE2 salt nonce: another nonce, another Safe address for the same setup.
    pub salt_nonce: U256,
    /// A SafeL2 (events for every transaction) instead of a Safe.
    pub l2: bool,
}

impl SafeSetup {
    /// A Safe of `owners` needing `threshold` confirmations, salt nonce 0.
    pub fn new(owners: Vec<Address>, threshold: u64) -> Self {
        Self { owners, threshold, salt_nonce: U256::ZERO, l2: false }
    }

    /// Checks what the Safe's `setup` would refuse (GS201, GS202, GS203, GS204).
    pub fn validate(&self) -> Result<(), SafeError> {
        let n = self.owners.len() as u64;
        if self.threshold == 0 || self.threshold > n {
            return Err(SafeError::InvalidSetup(format!(
                "the threshold must be between 1 and the number of owners ({n}), not {}",
                self.threshold
            )));
        }
        if self.owners.iter().any(|o| o.is_zero()) {
            return Err(SafeError::InvalidSetup("an owner is the zero address".into()));
        }
        let mut sorted = self.owners.clone();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(SafeError::InvalidSetup(format!("{} is listed twice as an owner", w[0])));
        }
        Ok(())
    }

    /// The `setup(...)` calldata the proxy runs when it is created: no module setup call, the
    /// CompatibilityFallbackHandler, no payment.
    pub fn initializer(&self, fallback_handler: Address) -> Bytes {
        ISafe::setupCall {
            _owners: self.owners.clone(),
            _threshold: U256::from(self.threshold),
            to: Address::ZERO,
            data: Bytes::new(),
            fallbackHandler: fallback_handler,
            paymentToken: Address::ZERO,
            payment: U256::ZERO,
            paymentReceiver: Address::ZERO,
        }
        .abi_encode()
        .into()
    }
}

/// Creates a Safe through the SafeProxyFactory's `createProxyWithNonce`, sent from `from`,
/// and returns its address (from the factory's `ProxyCreation` event).
pub async fn create_safe(
    provider: &DynProvider,
    from: Address,
    addresses: &SafeAddresses,
    setup: &SafeSetup,
) -> Result<Address, SafeError> {
    setup.validate()?;
    let singleton = if setup.l2 { addresses.safe_l2 } else { addresses.safe };
    let input = ISafeProxyFactory::createProxyWithNonceCall {
        _singleton: singleton,
        initializer: setup.initializer(addresses.fallback_handler),
        saltNonce: setup.salt_nonce,
    }
    .abi_encode();
    let factory = addresses.proxy_factory;
    let receipt = send_checked(provider, from, factory, input.into()).await?;
    receipt
        .logs()
        .iter()
        .filter(|l| l.address() == factory)
        .find_map(|l| ISafeProxyFactory::ProxyCreation::decode_log(&l.inner).ok())
        .map(|e| e.proxy)
        .ok_or(SafeError::MissingEvent {
            tx: receipt.transaction_hash,
            event: "ProxyCreation",
            contract: factory,
        })
}
