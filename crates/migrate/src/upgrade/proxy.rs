//! Reading a proxy: its ERC-1967 implementation and admin slots, its kind, and the Safe that
//! may upgrade it.

use alloy::{
    primitives::{Address, B256, Bytes, U256, b256},
    providers::{DynProvider, Provider},
    sol,
    sol_types::SolCall,
};
use molt_chain::safe::Safe;
use serde::Serialize;

use super::UpgradeError;

/// `bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`.
pub const IMPLEMENTATION_SLOT: B256 =
    b256!("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");
/// `bytes32(uint256(keccak256("eip1967.proxy.admin")) - 1)`.
pub const ADMIN_SLOT: B256 =
    b256!("b53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103");

sol! {
    /// What the upgrade calls: UUPS proxies, ProxyAdmin, and `owner()` of both.
    #[sol(rpc)]
    interface IUpgrade {
        function owner() external view returns (address);
        function upgradeToAndCall(address newImplementation, bytes data) external payable;
        function upgradeAndCall(address proxy, address implementation, bytes data) external payable;
    }
}

/// How a proxy is upgraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyKind {
    /// UUPS (ERC1967Proxy): `upgradeToAndCall` on the proxy, authorized by the implementation
    /// (here: its `owner()`).
    Uups,
    /// TransparentUpgradeableProxy: `upgradeAndCall(proxy, ..)` on its ProxyAdmin (the admin
    /// slot), authorized by the ProxyAdmin's `owner()`.
    Transparent,
}

/// One argument of the called method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodInput {
    /// Its name in the ABI.
    pub name: String,
    /// Its Solidity type.
    #[serde(rename = "type")]
    pub ty: String,
    /// Its value (addresses checksummed, bytes in hex).
    pub value: String,
}

/// What was read from the proxy.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyInfo {
    /// The proxy.
    pub address: Address,
    /// UUPS or Transparent.
    pub kind: ProxyKind,
    /// The current implementation (ERC-1967 implementation slot).
    pub implementation: Address,
    /// The ProxyAdmin (ERC-1967 admin slot) of a Transparent proxy.
    pub admin: Option<Address>,
    /// The Safe that may upgrade: `owner()` of the ProxyAdmin or of the UUPS implementation.
    pub safe: Address,
    /// The Safe's owners.
    pub safe_owners: Vec<Address>,
    /// The Safe's threshold.
    pub safe_threshold: u64,
}

impl ProxyInfo {
    /// The contract the Safe calls to upgrade: the proxy (UUPS) or the ProxyAdmin.
    pub fn upgrade_target(&self) -> Address {
        self.admin.unwrap_or(self.address)
    }

    /// The calldata the Safe sends to [`ProxyInfo::upgrade_target`].
    pub fn upgrade_calldata(&self, implementation: Address, data: Bytes) -> Bytes {
        match self.kind {
            ProxyKind::Uups => {
                IUpgrade::upgradeToAndCallCall { newImplementation: implementation, data }
                    .abi_encode()
            }
            ProxyKind::Transparent => {
                IUpgrade::upgradeAndCallCall { proxy: self.address, implementation, data }
                    .abi_encode()
            }
        }
        .into()
    }

    /// The called method and its arguments, as Safe's Transaction Builder lists them.
    pub fn upgrade_method(
        &self,
        implementation: Address,
        data: &Bytes,
    ) -> (String, Vec<MethodInput>) {
        let (imp, d) = (implementation.to_string(), data.to_string());
        match self.kind {
            ProxyKind::Uups => (
                "upgradeToAndCall".into(),
                vec![input("newImplementation", "address", imp), input("data", "bytes", d)],
            ),
            ProxyKind::Transparent => (
                "upgradeAndCall".into(),
                vec![
                    input("proxy", "address", self.address.to_string()),
                    input("implementation", "address", imp),
                    input("data", "bytes", d),
                ],
            ),
        }
    }
}

/// Reads the proxy at `address`: its slots, kind, owner, and that the owner is a Safe (and is
/// `expected_safe`, when given).
pub async fn inspect(
    provider: &DynProvider,
    address: Address,
    expected_safe: Option<Address>,
) -> Result<ProxyInfo, UpgradeError> {
    if provider.get_code_at(address).await?.is_empty() {
        return Err(UpgradeError::NoCode { address });
    }
    let implementation = slot_address(provider, address, IMPLEMENTATION_SLOT).await?;
    if implementation.is_zero() {
        return Err(UpgradeError::NotAProxy { address });
    }
    let admin = slot_address(provider, address, ADMIN_SLOT).await?;
    let (kind, admin) = if admin.is_zero() {
        (ProxyKind::Uups, None)
    } else {
        (ProxyKind::Transparent, Some(admin))
    };
    let (owner, via) = authority(provider, address, admin).await?;
    if let Some(given) = expected_safe.filter(|g| *g != owner) {
        return Err(UpgradeError::SafeMismatch { given, owner, via });
    }
    let chain_id = provider.get_chain_id().await?;
    let safe = Safe::new(owner, chain_id, provider.clone());
    let not_safe = || UpgradeError::NotASafe { owner, via: via.clone() };
    let safe_owners = safe.owners().await.map_err(|_| not_safe())?;
    let threshold = safe.threshold().await.map_err(|_| not_safe())?;
    Ok(ProxyInfo {
        address,
        kind,
        implementation,
        admin,
        safe: owner,
        safe_owners,
        safe_threshold: threshold.saturating_to(),
    })
}

/// The address in the low 20 bytes of storage slot `slot` of `at`.
async fn slot_address(
    provider: &DynProvider,
    at: Address,
    slot: B256,
) -> Result<Address, UpgradeError> {
    let word = provider.get_storage_at(at, U256::from_be_bytes(slot.0)).await?;
    Ok(Address::from_word(word.into()))
}

/// Who may upgrade, and where that was read: the ProxyAdmin's `owner()`, or the UUPS
/// implementation's `owner()` read through the proxy.
async fn authority(
    provider: &DynProvider,
    proxy: Address,
    admin: Option<Address>,
) -> Result<(Address, String), UpgradeError> {
    let (at, via) = match admin {
        Some(a) => (a, format!("owner() of the ProxyAdmin {a}")),
        None => (proxy, format!("owner() of the UUPS proxy {proxy}")),
    };
    let owner = IUpgrade::new(at, provider.clone()).owner().call().await.map_err(|e| {
        UpgradeError::Authority {
            what: via.clone(),
            reason: e.to_string(),
            hint: match admin {
                Some(_) => "; is the admin an OpenZeppelin ProxyAdmin?".into(),
                None => "; molt upgrade expects a UUPS implementation with owner() (OwnableUpgradeable or alike)".into(),
            },
        }
    })?;
    Ok((owner, via))
}

fn input(name: &str, ty: &str, value: impl Into<String>) -> MethodInput {
    MethodInput { name: name.into(), ty: ty.into(), value: value.into() }
}
