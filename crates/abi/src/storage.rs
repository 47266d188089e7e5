//! The storage-layout model solc emits (`storageLayout` in artifacts,
//! `forge inspect <C> storageLayout --json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// A contract's storage layout: its state variables and the types they use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageLayout {
    /// State variables in declaration order (inherited ones first).
    #[serde(default)]
    pub storage: Vec<StorageEntry>,
    /// Type descriptions keyed by type id (e.g. `t_uint256`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub types: BTreeMap<String, StorageType>,
    /// Enum members by canonical name (`Vault.Status`), read from the artifact's AST when it
    /// has one (`ast = true` in `foundry.toml`); empty otherwise. Not part of solc's output.
    #[serde(skip)]
    pub enums: BTreeMap<String, Vec<String>>,
}

/// The parts of a solc AST (`SourceUnit`) molt reads: enum definitions at file level and in
/// contracts. Everything else (function bodies, expressions) is skipped while parsing, not
/// built.
#[derive(Debug, Default, Deserialize)]
pub struct SourceAst {
    #[serde(default)]
    nodes: Vec<AstNode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AstNode {
    node_type: String,
    #[serde(default)]
    canonical_name: Option<String>,
    #[serde(default)]
    members: Vec<AstMember>,
    #[serde(default)]
    nodes: Vec<Self>,
}

#[derive(Debug, Deserialize)]
struct AstMember {
    #[serde(default)]
    name: String,
}

impl SourceAst {
    /// Every enum of the source unit, by canonical name, with its members in order.
    pub fn enums(&self) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        let contracts = self.nodes.iter().filter(|n| n.node_type == "ContractDefinition");
        let nested = contracts.flat_map(|c| &c.nodes);
        for node in self.nodes.iter().chain(nested) {
            if let ("EnumDefinition", Some(name)) = (node.node_type.as_str(), &node.canonical_name)
            {
                out.insert(name.clone(), node.members.iter().map(|m| m.name.clone()).collect());
            }
        }
        out
    }
}

/// One state variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageEntry {
    /// The AST id of the declaration.
    #[serde(default)]
    pub ast_id: u64,
    /// `path/to/File.sol:Contract` that declares it.
    #[serde(default)]
    pub contract: String,
    /// The variable's name.
    pub label: String,
    /// Byte offset inside the slot.
    pub offset: u32,
    /// The slot, as a decimal string in solc's output.
    #[serde(deserialize_with = "string_or_number")]
    pub slot: String,
    /// The type id, a key of [`StorageLayout::types`].
    #[serde(rename = "type")]
    pub ty: String,
}

/// A type used in storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageType {
    /// `inplace`, `mapping`, `dynamic_array` or `bytes`.
    pub encoding: String,
    /// The Solidity name of the type (e.g. `mapping(address => uint256)`).
    pub label: String,
    /// Size in bytes, a decimal string in solc's output.
    #[serde(deserialize_with = "string_or_number")]
    pub number_of_bytes: String,
    /// Element type of arrays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Key type of mappings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Value type of mappings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Members of structs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<StorageEntry>>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(u64),
    }
    Ok(match Either::deserialize(d)? {
        Either::S(s) => s,
        Either::N(n) => n.to_string(),
    })
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
