//! The Safe Transaction Builder's batch file: what the Safe web app's Transaction Builder
//! loads ("Drag and drop a JSON file") and downloads.
//!
//! The format and the checksum follow the app's source (safe-global/safe-react-apps,
//! `apps/tx-builder/src/typings/models.ts` and `src/lib/checksum.ts`): `meta.checksum` is the
//! keccak256 of the app's own serialization of the file without `meta.checksum` (every object
//! as `{` + the JSON array of its sorted keys + each value followed by `,` + `}`, arrays as
//! `[a,b]`, other values as `JSON.stringify` writes them). On import the app deletes
//! `meta.checksum`, recomputes it and warns when it differs.

use std::{collections::BTreeMap, path::Path};

use alloy::{
    dyn_abi::{DynSolType, DynSolValue},
    json_abi::{Function, Param},
    primitives::{Address, B256, Bytes, U256, keccak256},
};
use molt_chain::safe::{MultiSendCall, SafeTx};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{GovernanceError, OwnerCall, OwnerPhase};
use crate::Result;

/// The batch file format version the app writes.
pub const BATCH_VERSION: &str = "1.0";

/// The Transaction Builder version molt's files say they are for.
pub const TX_BUILDER_VERSION: &str = "1.18.0";

/// A batch file (`BatchFile` in the app).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchFile {
    /// `"1.0"`.
    pub version: String,
    /// The chain id, as a decimal string.
    pub chain_id: String,
    /// When it was written, in milliseconds since the epoch.
    pub created_at: u64,
    /// Its name, description, the Safe and the checksum.
    pub meta: BatchMeta,
    /// The calls, in order.
    pub transactions: Vec<BatchTransaction>,
}

/// `meta` of a batch file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchMeta {
    /// The batch's name.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The Transaction Builder version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_builder_version: Option<String>,
    /// The Safe the batch is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_from_safe_address: Option<String>,
    /// The owner who made it (empty: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_from_owner_address: Option<String>,
    /// See [`checksum`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
}

/// One call of a batch file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchTransaction {
    /// The called contract.
    pub to: String,
    /// The wei sent along, as a decimal string.
    pub value: String,
    /// Raw calldata; absent when `contractMethod` and `contractInputsValues` give the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The function, as the app shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_method: Option<ContractMethod>,
    /// The arguments by parameter name, as strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_inputs_values: Option<BTreeMap<String, String>>,
}

/// `contractMethod` of a batch transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractMethod {
    /// The parameters.
    pub inputs: Vec<ContractInput>,
    /// The function's name.
    pub name: String,
    /// Whether it takes ether.
    pub payable: bool,
}

/// One parameter of a `contractMethod`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractInput {
    /// Solidity's internal type (`address`, `contract IERC20`, `struct S`, …).
    #[serde(rename = "internalType")]
    pub internal_type: String,
    /// The parameter's name.
    pub name: String,
    /// Its ABI type.
    #[serde(rename = "type")]
    pub ty: String,
    /// The members of a tuple.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<Self>>,
}

impl ContractInput {
    fn of(p: &Param, i: usize) -> Self {
        let components = (!p.components.is_empty())
            .then(|| p.components.iter().enumerate().map(|(j, c)| Self::of(c, j)).collect());
        Self {
            internal_type: p.internal_type().map_or_else(|| p.ty.clone(), |t| t.to_string()),
            name: if p.name.is_empty() { format!("_{i}") } else { p.name.clone() },
            ty: p.ty.clone(),
            components,
        }
    }

    /// The parameter as a Solidity type.
    fn sol_type(&self) -> std::result::Result<DynSolType, String> {
        let mut ty = self.ty.clone();
        if let Some(members) = &self.components {
            let inner: Vec<String> = members
                .iter()
                .map(|m| m.sol_type().map(|t| t.sol_type_name().into_owned()))
                .collect::<std::result::Result<_, _>>()?;
            ty = ty.replacen("tuple", &format!("({})", inner.join(",")), 1);
        }
        DynSolType::parse(&ty).map_err(|e| format!("type `{}`: {e}", self.ty))
    }
}

impl BatchTransaction {
    fn of(call: &OwnerCall) -> Self {
        let values = call.args.iter().map(|a| (a.name.clone(), a.value.clone())).collect();
        Self::of_function(call.address, &call.function, values)
    }

    /// A call of `f` on `to`, its arguments given by parameter name as the app writes them
    /// (decimal integers, checksummed addresses, 0x-hex bytes).
    pub fn of_function(to: Address, f: &Function, values: BTreeMap<String, String>) -> Self {
        let inputs: Vec<ContractInput> =
            f.inputs.iter().enumerate().map(|(i, p)| ContractInput::of(p, i)).collect();
        Self {
            to: to.to_checksum(None),
            value: "0".into(),
            data: None,
            contract_method: Some(ContractMethod {
                inputs,
                name: f.name.clone(),
                payable: f.state_mutability == alloy::json_abi::StateMutability::Payable,
            }),
            contract_inputs_values: Some(values),
        }
    }

    /// The call: `data` when given, else the function encoded with its input values (as the
    /// app does on import).
    pub fn call(&self) -> std::result::Result<MultiSendCall, String> {
        let to: Address = self.to.parse().map_err(|e| format!("`to` {}: {e}", self.to))?;
        let value: U256 = self.value.parse().map_err(|e| format!("`value` {}: {e}", self.value))?;
        let data = match (&self.data, &self.contract_method) {
            (Some(d), _) if !d.is_empty() && d != "0x" => {
                d.parse::<Bytes>().map_err(|e| format!("`data`: {e}"))?
            }
            (_, Some(m)) => self.encode(m)?,
            _ => Bytes::new(),
        };
        Ok(MultiSendCall { to, value, data })
    }

    fn encode(&self, m: &ContractMethod) -> std::result::Result<Bytes, String> {
        let empty = BTreeMap::new();
        let values = self.contract_inputs_values.as_ref().unwrap_or(&empty);
        let mut types = Vec::new();
        let mut args = Vec::new();
        for input in &m.inputs {
            let ty = input.sol_type()?;
            let raw = values.get(&input.name).ok_or_else(|| {
                format!("`contractInputsValues` has no value for `{}`", input.name)
            })?;
            args.push(ty.coerce_str(raw).map_err(|e| format!("`{}` = {raw}: {e}", input.name))?);
            types.push(ty.sol_type_name().into_owned());
        }
        let signature = format!("{}({})", m.name, types.join(","));
        let selector = &keccak256(signature.as_bytes())[..4];
        let mut data = selector.to_vec();
        data.extend(DynSolValue::Tuple(args).abi_encode_params());
        Ok(data.into())
    }
}

impl BatchFile {
    /// The batch file of an owner phase of the Safe at `safe` on chain `chain_id`, written at
    /// `created_at` (milliseconds), with its checksum.
    pub fn of_phase(
        phase: &OwnerPhase,
        safe: Address,
        chain_id: u64,
        created_at: u64,
        description: String,
    ) -> Self {
        let name = format!("molt owner phase {}", phase.phase);
        let transactions = phase.calls.iter().map(BatchTransaction::of).collect();
        Self::new(name, description, safe, chain_id, created_at, transactions)
    }

    /// A batch of `transactions` named `name` for the Safe at `safe` on chain `chain_id`,
    /// written at `created_at` (milliseconds), with its checksum.
    pub fn new(
        name: String,
        description: String,
        safe: Address,
        chain_id: u64,
        created_at: u64,
        transactions: Vec<BatchTransaction>,
    ) -> Self {
        let mut file = Self {
            version: BATCH_VERSION.into(),
            chain_id: chain_id.to_string(),
            created_at,
            meta: BatchMeta {
                name,
                description: Some(description),
                tx_builder_version: Some(TX_BUILDER_VERSION.into()),
                created_from_safe_address: Some(safe.to_checksum(None)),
                created_from_owner_address: Some(String::new()),
                checksum: None,
            },
            transactions,
        };
        file.meta.checksum = Some(checksum(&file.to_value()).to_string());
        file
    }

    fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a batch file serializes")
    }

    /// The file as written (pretty JSON, a final newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a batch file serializes") + "\n"
    }

    /// Reads a batch file and checks its checksum (when it has one).
    pub fn read(path: &Path) -> Result<Self> {
        let file_err = |reason: String| GovernanceError::File { path: path.into(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| file_err(format!("not a Transaction Builder batch file: {e}")))?;
        let stored = value.pointer("/meta/checksum").and_then(Value::as_str).map(str::to_owned);
        let computed = checksum(&value).to_string();
        if let Some(stored) = stored.filter(|s| !s.eq_ignore_ascii_case(&computed)) {
            return Err(GovernanceError::Checksum { path: path.into(), stored, computed }.into());
        }
        let file: Self = serde_json::from_value(value)
            .map_err(|e| file_err(format!("not a Transaction Builder batch file: {e}")))?;
        Ok(file)
    }

    /// The calls of the batch, encoded.
    pub fn calls(&self) -> Result<Vec<MultiSendCall>> {
        let calls = self.transactions.iter().enumerate().map(|(index, t)| {
            t.call().map_err(|reason| GovernanceError::BadTransaction { index, reason }.into())
        });
        calls.collect()
    }

    /// The SafeTx the Safe web app makes of this batch at Safe nonce `nonce`.
    pub fn safe_tx(&self, nonce: u64) -> Result<SafeTx> {
        let calls = self.calls()?;
        if calls.is_empty() {
            return Err(GovernanceError::BadTransaction {
                index: 0,
                reason: "the batch has no transaction".into(),
            }
            .into());
        }
        super::phase::safe_tx(&calls, nonce)
    }
}

/// `meta.checksum` of a batch file as the Transaction Builder computes it: keccak256 of the
/// app's serialization of the file without `meta.checksum`.
pub fn checksum(file: &Value) -> B256 {
    let mut file = file.clone();
    if let Some(meta) = file.get_mut("meta").and_then(Value::as_object_mut) {
        meta.remove("checksum");
    }
    keccak256(serialize(&file).as_bytes())
}

/// The app's `serializeJSONObject`: objects as `{["k1","k2"]v1,v2,}` (keys sorted), arrays as
/// `[a,b]`, everything else as `JSON.stringify` writes it.
fn serialize(v: &Value) -> String {
    match v {
        Value::Array(items) => {
            format!("[{}]", items.iter().map(serialize).collect::<Vec<_>>().join(","))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = format!("{{{}", serde_json::to_string(&keys).expect("strings serialize"));
            for k in keys {
                out.push_str(&serialize(&map[k]));
                out.push(',');
            }
            out.push('}');
            out
        }
        other => other.to_string(),
    }
}

/// The Transaction Builder file of a phase, its description saying what it does.
pub fn batch_file(
    export: &super::Export,
    p: &super::OwnerPhase,
    created_at: u64,
    manifest: &std::path::Path,
) -> BatchFile {
    let what = match p.phase {
        super::PhaseName::Open => {
            "pause the V1 contracts, move the funds, grant the migrator its role"
        }
        super::PhaseName::Close => "finalize the migration, revoke the migrator's role",
        super::PhaseName::Rollback => {
            "roll the migration back: return the funds to V1, unpause V1, revoke the migrator's role"
        }
    };
    let amounts = match export.snapshot_block {
        Some(b) if p.phase == super::PhaseName::Open => {
            format!(" Funds amounts: what the V1 records credit at block {b}.")
        }
        _ => String::new(),
    };
    let description = format!(
        "molt owner phase `{}` of {}: {what}. Safe nonce {}, safeTxHash {}.{amounts}",
        p.phase,
        manifest.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        p.nonce,
        p.hashes.safe_tx_hash
    );
    BatchFile::of_phase(p, export.safe.address, export.safe.chain_id, created_at, description)
}

#[cfg(test)]
mod tests {
    use alloy::{dyn_abi::JsonAbiExt, primitives::b256};
    use serde_json::json;

    use super::*;

    /// The batch file of the app's own checksum test (`apps/tx-builder/src/lib/checksum.test.js`
    /// in safe-global/safe-react-apps), whose checksum the test pins.
    fn the_apps_test_file() -> Value {
        json!({
          "version": "1.0",
          "chainId": "4",
          "createdAt": 1646321521061u64,
          "meta": {
            "name": "test batch file",
            "txBuilderVersion": "1.4.0",
            "checksum": "",
            "createdFromSafeAddress": "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
            "createdFromOwnerAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6"
          },
          "transactions": [
            {
              "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
              "value": "0",
              "contractMethod": {
                "inputs": [{ "internalType": "address", "name": "paramAddress", "type": "address" }],
                "name": "testAddress",
                "payable": false
              },
              "contractInputsValues": { "paramAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6" }
            },
            {
              "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
              "value": "0",
              "contractMethod": {
                "inputs": [{ "internalType": "bool", "name": "paramBool", "type": "bool" }],
                "name": "testBool",
                "payable": false
              },
              "contractInputsValues": { "paramAddress": "", "paramBool": "false" }
            },
            {
              "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
              "value": "2000000000000000000",
              "data": "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6"
            }
          ]
        })
    }

    #[test]
    fn the_checksum_is_the_apps() {
        // The app's test adds the checksum to a file whose `meta.checksum` is "" (a key the
        // serialization sees): the pinned value hashes the file with that key.
        let file = the_apps_test_file();
        let with_empty_key = keccak256(serialize(&file).as_bytes());
        assert_eq!(
            with_empty_key,
            b256!("832ecdb6653751ed00b79dede73864163e46e71815b72e11e506d6399bedffc9")
        );
        // On import the app deletes the key before hashing: `checksum` does the same.
        assert_ne!(checksum(&file), with_empty_key);
    }

    #[test]
    fn key_order_does_not_matter_and_transaction_order_does() {
        let file = the_apps_test_file();
        let text = serde_json::to_string(&file).unwrap();
        let reordered: Value = serde_json::from_str(&text.replace(
            "\"chainId\":\"4\",\"createdAt\":1646321521061",
            "\"createdAt\":1646321521061,\"chainId\":\"4\"",
        ))
        .unwrap();
        assert_eq!(checksum(&file), checksum(&reordered));
        let mut reversed = file.clone();
        reversed["transactions"].as_array_mut().unwrap().reverse();
        assert_ne!(checksum(&file), checksum(&reversed));
    }

    #[test]
    fn transactions_encode_from_their_method_and_values() {
        let file: BatchFile = serde_json::from_value(the_apps_test_file()).unwrap();
        let calls = file.calls().unwrap();
        let a: Address = "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6".parse().unwrap();
        let f = alloy::json_abi::Function::parse("function testAddress(address)").unwrap();
        let want = f.abi_encode_input(&[DynSolValue::Address(a)]).unwrap();
        assert_eq!(calls[0].data.as_ref(), want.as_slice());
        assert_eq!(calls[2].value, U256::from(2_000_000_000_000_000_000u128));
        assert_eq!(calls[2].data.len(), 36);
    }
}
