//! The Safe transaction of the real upgrade: its SafeTx at the Safe's real nonce, its EIP-712
//! hashes, and the batch file owners import into the Safe{Wallet} Transaction Builder.
//!
//! The file format lives in [`transaction_builder_json`] alone, so that a shared exporter can
//! replace it.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, B256, Bytes, U256};
use molt_chain::safe::SafeTx;
use serde::Serialize;
use serde_json::{Value, json};

use super::{UpgradeError, proxy::ProxyInfo};

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
        let text = serde_json::to_string_pretty(&transaction_builder_json(self, created_at_ms))
            .expect("a JSON value serializes");
        std::fs::write(&path, text + "\n").map_err(io(&path))?;
        Ok(path)
    }
}

/// The Safe{Wallet} Transaction Builder batch format (version 1.0): one transaction, with its
/// method and arguments and its raw calldata. The hashes go into `meta.description`: the
/// Transaction Builder proposes at the Safe's next nonce, and the hashes hold for `nonce` only.
pub fn transaction_builder_json(b: &SafeBatch, created_at_ms: u64) -> Value {
    let inputs: Vec<Value> = b
        .inputs
        .iter()
        .map(|i| json!({ "internalType": i.ty, "name": i.name, "type": i.ty }))
        .collect();
    let values: serde_json::Map<String, Value> =
        b.inputs.iter().map(|i| (i.name.clone(), Value::String(i.value.clone()))).collect();
    json!({
        "version": "1.0",
        "chainId": b.chain_id.to_string(),
        "createdAt": created_at_ms,
        "meta": {
            "name": format!("molt upgrade: {} to {}", b.method, b.implementation),
            "description": format!(
                "Safe nonce {}; domain hash {}; message hash {}; safeTxHash {}",
                b.nonce, b.domain_hash, b.message_hash, b.safe_tx_hash
            ),
            "txBuilderVersion": "1.16.5",
            "createdFromSafeAddress": b.safe.to_checksum(None),
            "createdFromOwnerAddress": "",
        },
        "transactions": [{
            "to": b.to.to_checksum(None),
            "value": "0",
            "data": b.data.to_string(),
            "contractMethod": { "inputs": inputs, "name": b.method, "payable": true },
            "contractInputsValues": values,
        }],
    })
}
