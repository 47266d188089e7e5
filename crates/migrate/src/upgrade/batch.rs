//! The Safe transaction of the real upgrade: its SafeTx at the Safe's real nonce, its EIP-712
//! hashes, and the batch file owners import into the Safe{Wallet} Transaction Builder.
//!
//! The file is the Transaction Builder format of `molt safe export`
//! ([`crate::governance::batch::BatchFile`]).

use std::path::{Path, PathBuf};

use alloy::{
    json_abi::Function,
    primitives::{Address, B256, Bytes, U256},
};
use molt_chain::safe::SafeTx;
use serde::Serialize;

pub use super::proxy::MethodInput;
use super::{UpgradeError, proxy::ProxyInfo};
use crate::governance::batch::{BatchFile, BatchTransaction};

/// The upgrade as the Safe's owners sign it.
#[derive(Debug, Clone, Serialize)]
pub struct SafeBatch {
    /// The Safe.
    pub safe: Address,
    /// The real chain id.
    pub chain_id: u64,
    /// The Safe's nonce the SafeTx uses (its current one on the node).
    pub nonce: u64,
    /// The called contract: the proxy (UUPS) or its ProxyAdmin (Transparent).
    pub to: Address,
    /// The new implementation the call installs.
    pub implementation: Address,
    /// The called method (`upgradeToAndCall` or `upgradeAndCall`).
    pub method: String,
    /// The method's arguments.
    pub inputs: Vec<MethodInput>,
    /// The calldata.
    pub data: Bytes,
    /// EIP-712 domain separator (the Safe on its chain).
    pub domain_hash: B256,
    /// EIP-712 hashStruct of the SafeTx ("message hash").
    pub message_hash: B256,
    /// What the owners sign: the Safe's `getTransactionHash(...)`.
    pub safe_tx_hash: B256,
}

impl SafeBatch {
    /// The batch upgrading `proxy` to `implementation` with initializer `init`, at the Safe's
    /// `nonce` on chain `chain_id`.
    pub fn new(
        proxy: &ProxyInfo,
        implementation: Address,
        init: &Bytes,
        chain_id: u64,
        nonce: u64,
    ) -> Self {
        let data = proxy.upgrade_calldata(implementation, init.clone());
        let to = proxy.upgrade_target();
        let tx = SafeTx::call(to, U256::ZERO, data.clone(), U256::from(nonce));
        let hashes = tx.hashes(chain_id, proxy.safe);
        let (method, inputs) = proxy.upgrade_method(implementation, init);
        Self {
            safe: proxy.safe,
            chain_id,
            nonce,
            to,
            implementation,
            method,
            inputs,
            data,
            domain_hash: hashes.domain_separator,
            message_hash: hashes.struct_hash,
            safe_tx_hash: hashes.safe_tx_hash,
        }
    }

    /// The SafeTx itself.
    pub fn safe_tx(&self) -> SafeTx {
        SafeTx::call(self.to, U256::ZERO, self.data.clone(), U256::from(self.nonce))
    }

    /// Writes the Transaction Builder file into `dir` (created if needed) and returns its path:
    /// `upgrade-<proxy>-safe-batch.json`.
    pub fn write(
        &self,
        dir: &Path,
        proxy: Address,
        created_at_ms: u64,
    ) -> Result<PathBuf, UpgradeError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| UpgradeError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(format!("upgrade-{proxy}-safe-batch.json"));
        let text = transaction_builder_file(self, created_at_ms).to_json();
        std::fs::write(&path, text).map_err(io(&path))?;
        Ok(path)
    }
}

/// The upgrade as a Safe{Wallet} Transaction Builder batch file (the format `molt safe export`
/// writes, [`BatchFile`], checksum included), its hashes in `meta.description`: the
/// Transaction Builder proposes at the Safe's next nonce, and the hashes hold for `nonce` only.
pub fn transaction_builder_file(b: &SafeBatch, created_at_ms: u64) -> BatchFile {
    let params: Vec<String> = b.inputs.iter().map(|i| format!("{} {}", i.ty, i.name)).collect();
    let function =
        Function::parse(&format!("function {}({}) payable", b.method, params.join(", ")))
            .expect("the upgrade method is a valid signature");
    let values = b.inputs.iter().map(|i| (i.name.clone(), i.value.clone())).collect();
    let description = format!(
        "Safe nonce {}; domain hash {}; message hash {}; safeTxHash {}",
        b.nonce, b.domain_hash, b.message_hash, b.safe_tx_hash
    );
    BatchFile::new(
        format!("molt upgrade: {} to {}", b.method, b.implementation),
        description,
        b.safe,
        b.chain_id,
        created_at_ms,
        vec![BatchTransaction::of_function(b.to, &function, values)],
    )
}
