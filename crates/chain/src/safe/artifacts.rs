//! The Safe 1.4.1 contracts from npm: runtime code from the Hardhat artifacts of
//! `@safe-global/safe-contracts`, canonical addresses and code hashes from
//! `@safe-global/safe-deployments`.
//!
//! The packages are looked up in `$MOLT_SAFE_CONTRACTS` (a `node_modules` folder, or an npm
//! project folder holding one), else in `<project>/.tools/node_modules`, where `scripts/setup`
//! installs them.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, B256, Bytes, keccak256};
use serde::Deserialize;

use super::SafeError;
use crate::Toolchain;

/// The environment variable naming a `node_modules` folder with the Safe packages.
pub const SAFE_CONTRACTS_ENV: &str = "MOLT_SAFE_CONTRACTS";

const CONTRACTS_PACKAGE: &str = "@safe-global/safe-contracts";
const DEPLOYMENTS_PACKAGE: &str = "@safe-global/safe-deployments";

/// A Safe 1.4.1 contract molt installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SafeContract {
    /// The singleton of Safes for L1 (no events per executed transaction).
    Safe,
    /// The singleton of Safes that emit `SafeMultiSigTransaction` events (for L2 indexers).
    SafeL2,
    /// The factory of Safe proxies.
    SafeProxyFactory,
    /// The batcher of calls (no delegatecalls) for a Safe to delegatecall.
    MultiSendCallOnly,
    /// The default fallback handler (EIP-1271 signatures, token callbacks).
    CompatibilityFallbackHandler,
}

impl SafeContract {
    /// Every contract, in installation order.
    pub const ALL: [Self; 5] = [
        Self::Safe,
        Self::SafeL2,
        Self::SafeProxyFactory,
        Self::MultiSendCallOnly,
        Self::CompatibilityFallbackHandler,
    ];

    /// The contract's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Safe => "Safe",
            Self::SafeL2 => "SafeL2",
            Self::SafeProxyFactory => "SafeProxyFactory",
            Self::MultiSendCallOnly => "MultiSendCallOnly",
            Self::CompatibilityFallbackHandler => "CompatibilityFallbackHandler",
        }
    }

    /// The Hardhat artifact, relative to the safe-contracts package.
    fn artifact(self) -> &'static str {
        match self {
            Self::Safe => "build/artifacts/contracts/Safe.sol/Safe.json",
            Self::SafeL2 => "build/artifacts/contracts/SafeL2.sol/SafeL2.json",
            Self::SafeProxyFactory => {
                "build/artifacts/contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json"
            }
            Self::MultiSendCallOnly => {
                "build/artifacts/contracts/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json"
            }
            Self::CompatibilityFallbackHandler => {
                "build/artifacts/contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json"
            }
        }
    }

    /// The deployment file, relative to the safe-deployments package.
    fn deployment(self) -> &'static str {
        match self {
            Self::Safe => "dist/assets/v1.4.1/safe.json",
            Self::SafeL2 => "dist/assets/v1.4.1/safe_l2.json",
            Self::SafeProxyFactory => "dist/assets/v1.4.1/safe_proxy_factory.json",
            Self::MultiSendCallOnly => "dist/assets/v1.4.1/multi_send_call_only.json",
            Self::CompatibilityFallbackHandler => {
                "dist/assets/v1.4.1/compatibility_fallback_handler.json"
            }
        }
    }
}

/// One contract: where it lives on every chain, and its runtime code.
#[derive(Debug, Clone)]
pub struct CanonicalContract {
    /// Which contract.
    pub contract: SafeContract,
    /// The canonical (CREATE2, singleton factory) address.
    pub address: Address,
    /// The keccak256 of the runtime code deployed there.
    pub code_hash: B256,
    /// The runtime code, checked against `code_hash`.
    pub code: Bytes,
}

/// The five Safe 1.4.1 contracts molt uses.
#[derive(Debug, Clone)]
pub struct SafeContracts {
    /// In [`SafeContract::ALL`] order.
    pub contracts: Vec<CanonicalContract>,
}

impl SafeContracts {
    /// Loads the contracts from the packages the toolchain finds (see the module docs), and
    /// checks that each runtime code hashes to its canonical code hash.
    pub fn load(toolchain: &Toolchain) -> Result<Self, SafeError> {
        let node_modules = node_modules(toolchain)?;
        Self::load_from(&node_modules)
    }

    /// Loads the contracts from a `node_modules` folder.
    pub fn load_from(node_modules: &Path) -> Result<Self, SafeError> {
        let contracts_dir = node_modules.join(CONTRACTS_PACKAGE);
        let deployments_dir = node_modules.join(DEPLOYMENTS_PACKAGE);
        let contracts = SafeContract::ALL
            .iter()
            .map(|&c| load_one(c, &contracts_dir, &deployments_dir))
            .collect::<Result<_, _>>()?;
        Ok(Self { contracts })
    }

    /// One contract.
    pub fn get(&self, contract: SafeContract) -> &CanonicalContract {
        self.contracts
            .iter()
            .find(|c| c.contract == contract)
            .expect("load_from loads every SafeContract")
    }

    /// The canonical address of a contract.
    pub fn address(&self, contract: SafeContract) -> Address {
        self.get(contract).address
    }
}

/// The `node_modules` folder holding both Safe packages.
pub fn node_modules(toolchain: &Toolchain) -> Result<PathBuf, SafeError> {
    let env = std::env::var_os(SAFE_CONTRACTS_ENV).map(PathBuf::from);
    find_packages(&candidates(env, toolchain.root.as_deref()))
}

/// Where to look: `$MOLT_SAFE_CONTRACTS` (its `node_modules`, or itself) when it is set, else
/// the project's `.tools/node_modules`.
fn candidates(env: Option<PathBuf>, root: Option<&Path>) -> Vec<PathBuf> {
    match (env, root) {
        (Some(dir), _) => vec![dir.join("node_modules"), dir],
        (None, Some(root)) => vec![root.join(".tools/node_modules")],
        (None, None) => Vec::new(),
    }
}

fn find_packages(candidates: &[PathBuf]) -> Result<PathBuf, SafeError> {
    let has = |d: &PathBuf, package: &str| d.join(package).is_dir();
    if let Some(found) =
        candidates.iter().find(|d| has(d, CONTRACTS_PACKAGE) && has(d, DEPLOYMENTS_PACKAGE))
    {
        return Ok(found.clone());
    }
    let package = if candidates.iter().any(|d| has(d, CONTRACTS_PACKAGE)) {
        DEPLOYMENTS_PACKAGE
    } else {
        CONTRACTS_PACKAGE
    };
    let looked: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
    let looked = if looked.is_empty() { "no project root found".into() } else { looked.join(", ") };
    Err(SafeError::PackagesMissing { package, looked })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HardhatArtifact {
    deployed_bytecode: Bytes,
}

#[derive(Deserialize)]
struct DeploymentFile {
    version: String,
    deployments: Deployments,
}

#[derive(Deserialize)]
struct Deployments {
    canonical: Canonical,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Canonical {
    address: Address,
    code_hash: B256,
}

fn load_one(
    contract: SafeContract,
    contracts_dir: &Path,
    deployments_dir: &Path,
) -> Result<CanonicalContract, SafeError> {
    let artifact_path = contracts_dir.join(contract.artifact());
    let artifact: HardhatArtifact = read_json(&artifact_path)?;
    let deployment_path = deployments_dir.join(contract.deployment());
    let deployment: DeploymentFile = read_json(&deployment_path)?;
    if deployment.version != "1.4.1" {
        return Err(SafeError::PackageFile {
            path: deployment_path,
            reason: format!("it describes version {}, not 1.4.1", deployment.version),
        });
    }
    let Canonical { address, code_hash } = deployment.deployments.canonical;
    let got = keccak256(&artifact.deployed_bytecode);
    if got != code_hash {
        return Err(SafeError::CodeHashMismatch {
            contract: contract.name(),
            path: artifact_path,
            expected: code_hash,
            got,
        });
    }
    Ok(CanonicalContract { contract, address, code_hash, code: artifact.deployed_bytecode })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SafeError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SafeError::PackageFile { path: path.into(), reason: e.to_string() })?;
    serde_json::from_str(&text)
        .map_err(|e| SafeError::PackageFile { path: path.into(), reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_tools_are_the_default_and_the_env_var_wins() {
        let root = Path::new("/repo");
        assert_eq!(candidates(None, Some(root)), [root.join(".tools/node_modules")]);
        let env = PathBuf::from("/work/safe-npm");
        assert_eq!(
            candidates(Some(env.clone()), Some(root)),
            [env.join("node_modules"), env.clone()]
        );
    }

    #[test]
    fn a_missing_package_is_named_with_the_places_looked_at() {
        let dir = std::env::temp_dir().join(format!("molt-safe-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(CONTRACTS_PACKAGE)).unwrap();
        let err = find_packages(std::slice::from_ref(&dir)).unwrap_err();
        std::fs::create_dir_all(dir.join(DEPLOYMENTS_PACKAGE)).unwrap();
        let found = find_packages(std::slice::from_ref(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            matches!(&err, SafeError::PackagesMissing { package, looked }
                if *package == DEPLOYMENTS_PACKAGE && looked.contains("molt-safe-")),
            "{err}"
        );
        assert!(err.to_string().contains("scripts/setup"), "{err}");
        assert_eq!(found.unwrap(), dir);
    }
}
