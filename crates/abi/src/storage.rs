//! The storage-layout model solc emits (`storageLayout` in artifacts,
//! `forge inspect <C> storageLayout --json`).

use std::collections::{BTreeMap, HashMap};

use alloy::primitives::{B256, U256, keccak256};

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
    /// ERC-7201 namespaces by id, read from the artifact's AST; `None` when the artifact has
    /// no AST (nothing is known of them). Not part of solc's output.
    #[serde(skip)]
    pub namespaces: Option<BTreeMap<String, Namespace>>,
    /// The contract's source file, as far as an artifact without an AST tells it (for
    /// [`StorageLayout::namespaces`] unknown). Not part of solc's output.
    #[serde(skip)]
    pub source: Option<SourceHint>,
    /// The bases of the contract declared in other files (by name, as imported), whose
    /// namespaces its own file's AST does not have; see [`inherit_namespaces`]. Not part of
    /// solc's output.
    #[serde(skip)]
    pub external_bases: Vec<String>,
    /// Those of [`StorageLayout::external_bases`] (and of their bases) whose namespaces could
    /// not be read: no artifact of that name was found, or it has no AST.
    #[serde(skip)]
    pub unresolved_bases: Vec<String>,
    /// OpenZeppelin's upgrade annotations of the state variables declared in the artifact's
    /// own file, by AST id ([`StorageEntry::ast_id`]). Not part of solc's
    /// output.
    #[serde(skip)]
    pub annotations: BTreeMap<u64, Annotation>,
}

/// `@custom:oz-renamed-from <old name>` and `@custom:oz-retyped-from <old type>` of a variable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotation {
    /// The variable's name in the old version.
    pub renamed_from: Option<String>,
    /// The variable's type in the old version, as written.
    pub retyped_from: Option<String>,
}

impl Annotation {
    /// The annotations of natspec `doc`, if it has any.
    fn of(doc: &str) -> Option<Self> {
        let tag = |name: &str| {
            let (_, rest) = doc.split_once(name)?;
            let line = rest.lines().next()?.trim();
            (!line.is_empty()).then(|| line.to_owned())
        };
        let a = Self {
            renamed_from: tag("@custom:oz-renamed-from")
                .and_then(|l| l.split_whitespace().next().map(str::to_owned)),
            retyped_from: tag("@custom:oz-retyped-from"),
        };
        (a != Self::default()).then_some(a)
    }
}

/// What [`inherit_namespaces`] needs of a base contract's artifact: its namespaces (`None`
/// without an AST) and its own bases in other files.
#[derive(Debug, Clone, Default)]
pub struct BaseNamespaces {
    /// [`StorageLayout::namespaces`] of the base.
    pub namespaces: Option<BTreeMap<String, Namespace>>,
    /// [`StorageLayout::external_bases`] of the base.
    pub bases: Vec<String>,
}

impl BaseNamespaces {
    /// Of a base's layout.
    pub fn of(layout: &StorageLayout) -> Self {
        Self { namespaces: layout.namespaces.clone(), bases: layout.external_bases.clone() }
    }
}

/// Adds to `layout`'s namespaces those of its bases declared in other files, found by name
/// with `lookup` (and theirs, transitively). Bases that `lookup` does not find, or whose
/// artifact has no AST, go to [`StorageLayout::unresolved_bases`]. Nothing happens without an
/// AST.
pub fn inherit_namespaces(
    layout: &mut StorageLayout,
    lookup: &mut dyn FnMut(&str) -> Option<BaseNamespaces>,
) {
    let Some(own) = &mut layout.namespaces else { return };
    let mut stack: Vec<String> = layout.external_bases.iter().rev().cloned().collect();
    let mut seen = std::collections::HashSet::new();
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        match lookup(&name) {
            Some(BaseNamespaces { namespaces: Some(ns), bases }) => {
                for (id, n) in ns {
                    own.entry(id).or_insert(n);
                }
                stack.extend(bases.into_iter().rev());
            }
            _ => layout.unresolved_bases.push(name),
        }
    }
}

/// The source file of a contract whose artifact has no AST: what its metadata and the file on
/// disk say about ERC-7201 namespaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceHint {
    /// The source path of the compilation target.
    pub path: String,
    /// The source's keccak256 from the metadata, if given.
    pub keccak256: Option<String>,
    /// Whether the source declares a namespace (`erc7201:`), when the file could be read.
    pub declares_namespace: Option<bool>,
}

/// The parts of a solc AST (`SourceUnit`) molt reads: enum, struct and user-defined value type
/// definitions at file level and in contracts, and each contract's linearized bases.
/// Everything else (function bodies, expressions) is skipped while parsing, not built.
#[derive(Debug, Default, Deserialize)]
pub struct SourceAst {
    #[serde(default)]
    nodes: Vec<AstNode>,
    /// Every name the file declares or imports, with the AST ids it stands for.
    #[serde(default, rename = "exportedSymbols")]
    exported_symbols: HashMap<String, Vec<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AstNode {
    node_type: String,
    #[serde(default)]
    id: i64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    canonical_name: Option<String>,
    #[serde(default)]
    members: Vec<AstMember>,
    #[serde(default)]
    nodes: Vec<Self>,
    #[serde(default)]
    linearized_base_contracts: Vec<i64>,
    /// Natspec, kept only when it has a `@custom:` tag.
    #[serde(default, deserialize_with = "custom_doc")]
    documentation: Option<String>,
    /// The underlying type of a user-defined value type.
    #[serde(default)]
    underlying_type: Option<TypeName>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AstMember {
    #[serde(default)]
    id: u64,
    #[serde(default)]
    name: String,
    /// The type of a struct member (enum values have none).
    #[serde(default)]
    type_name: Option<TypeName>,
}

/// A type as written in the source (`ElementaryTypeName`, `UserDefinedTypeName`, `Mapping`,
/// `ArrayTypeName`, `FunctionTypeName`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeName {
    node_type: String,
    #[serde(default)]
    type_descriptions: TypeDescriptions,
    #[serde(default)]
    key_type: Option<Box<Self>>,
    #[serde(default)]
    value_type: Option<Box<Self>>,
    #[serde(default)]
    base_type: Option<Box<Self>>,
    #[serde(default)]
    referenced_declaration: Option<i64>,
    #[serde(default)]
    path_node: Option<PathNode>,
    #[serde(default)]
    visibility: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeDescriptions {
    #[serde(default)]
    type_string: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PathNode {
    #[serde(default)]
    referenced_declaration: Option<i64>,
}

/// Natspec (a `StructuredDocumentation` node, or a plain string in old ASTs), kept only when it
/// carries a `@custom:` tag: most natspec is of functions and is not needed.
fn custom_doc<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Doc;
    impl<'de> serde::de::Visitor<'de> for Doc {
        type Value = Option<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("natspec")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(text.contains("@custom:").then(|| text.to_owned()))
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = None;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "text" {
                    out = map.next_value_seed(Self)?;
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(out)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    impl<'de> serde::de::DeserializeSeed<'de> for Doc {
        type Value = Option<String>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(Doc)
}

/// An ERC-7201 namespace: a struct annotated `@custom:storage-location erc7201:<id>`, laid
/// out from the namespace's root slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// The namespace id (`openzeppelin.storage.Ownable`).
    pub id: String,
    /// The struct's canonical name (`OwnableUpgradeable.OwnableStorage`).
    pub struct_name: String,
    /// The root slot, `erc7201_slot(id)`.
    pub root: B256,
    /// The struct's members as a layout of their own: slots are relative to the root.
    pub layout: StorageLayout,
}

/// The root slot of ERC-7201 namespace `id`:
/// `keccak256(abi.encode(uint256(keccak256(bytes(id))) - 1)) & ~bytes32(uint256(0xff))`.
pub fn erc7201_slot(id: &str) -> B256 {
    let inner = U256::from_be_bytes(keccak256(id.as_bytes()).0) - U256::from(1);
    let mut slot = keccak256(inner.to_be_bytes::<32>()).0;
    slot[31] = 0;
    B256::from(slot)
}

/// The namespace id of `@custom:storage-location erc7201:<id>` in natspec `doc`; other
/// formulas are not namespaces molt can place.
fn erc7201_id(doc: &str) -> Option<&str> {
    let (_, rest) = doc.split_once("@custom:storage-location")?;
    rest.split_whitespace().next()?.strip_prefix("erc7201:")
}

/// Whether Solidity source text declares an ERC-7201 namespace.
pub fn declares_namespace(source: &str) -> bool {
    source.contains("@custom:storage-location") && source.contains("erc7201:")
}

/// What the lean AST knows of one file.
struct Defs<'a> {
    /// Struct, enum and user-defined value type definitions by AST id.
    by_id: HashMap<i64, &'a AstNode>,
    enums: &'a BTreeMap<String, Vec<String>>,
}

/// A laid-out type: its id in the synthesized `types` table and its size.
struct Placed {
    id: String,
    bytes: u64,
    /// Whether it takes whole slots of its own (structs, arrays, mappings, `bytes`, `string`).
    own_slots: bool,
}

impl Placed {
    /// A value type of `bytes`, which may share a slot.
    fn value(id: String, bytes: u64) -> Self {
        Self { id, bytes, own_slots: false }
    }

    /// A type that takes whole slots of its own.
    fn whole(id: String, bytes: u64) -> Self {
        Self { id, bytes, own_slots: true }
    }
}

/// The `types` entry of `label`: `encoding`, `bytes`, nothing nested yet.
fn entry(label: &str, encoding: &str, bytes: u64) -> StorageType {
    StorageType {
        encoding: encoding.to_owned(),
        label: label.to_owned(),
        number_of_bytes: bytes.to_string(),
        base: None,
        key: None,
        value: None,
        members: None,
    }
}

impl Defs<'_> {
    /// Adds the type `t` to `types` (keyed by its Solidity name) and says its size.
    fn place(&self, t: &TypeName, types: &mut BTreeMap<String, StorageType>) -> Placed {
        let label = t.type_descriptions.type_string.clone().unwrap_or_else(|| "?".to_owned());
        let label = label.strip_suffix(" storage ref").unwrap_or(&label).to_owned();
        match t.node_type.as_str() {
            "Mapping" => self.place_mapping(t, label, types),
            "ArrayTypeName" => self.place_array(t, label, types),
            "FunctionTypeName" => {
                let bytes = if t.visibility.as_deref() == Some("external") { 24 } else { 8 };
                types.insert(label.clone(), entry(&label, "inplace", bytes));
                Placed::value(label, bytes)
            }
            "UserDefinedTypeName" => self.place_user_defined(t, label, types),
            _ => {
                // Elementary.
                let (encoding, bytes, own) = elementary(&label);
                types.insert(label.clone(), entry(&label, encoding, bytes));
                Placed { id: label, bytes, own_slots: own }
            }
        }
    }

    fn place_mapping(
        &self,
        t: &TypeName,
        label: String,
        types: &mut BTreeMap<String, StorageType>,
    ) -> Placed {
        let mut e = entry(&label, "mapping", 32);
        match (&t.key_type, &t.value_type) {
            (Some(k), Some(v)) => {
                let (k, v) = (self.place(k, types), self.place(v, types));
                (e.key, e.value) = (Some(k.id), Some(v.id));
            }
            _ => e = entry(&label, "inplace", 32),
        }
        types.insert(label.clone(), e);
        Placed::whole(label, 32)
    }

    fn place_array(
        &self,
        t: &TypeName,
        label: String,
        types: &mut BTreeMap<String, StorageType>,
    ) -> Placed {
        let base = t.base_type.as_ref().map(|b| self.place(b, types));
        let len = label
            .rsplit_once('[')
            .and_then(|(_, n)| n.strip_suffix(']'))
            .and_then(|n| n.parse::<u64>().ok());
        let (encoding, bytes) = match (&base, len) {
            (_, None) => ("dynamic_array", 32),
            (Some(b), Some(len)) if !b.own_slots && b.bytes <= 32 => {
                let per_slot = 32 / b.bytes.max(1);
                ("inplace", len.div_ceil(per_slot) * 32)
            }
            (Some(b), Some(len)) => ("inplace", len * b.bytes.div_ceil(32) * 32),
            (None, Some(len)) => ("inplace", len * 32),
        };
        let mut e = entry(&label, encoding, bytes);
        e.base = base.map(|b| b.id);
        types.insert(label.clone(), e);
        Placed::whole(label, bytes)
    }

    /// A contract, an enum, a struct or a user-defined value type.
    fn place_user_defined(
        &self,
        t: &TypeName,
        label: String,
        types: &mut BTreeMap<String, StorageType>,
    ) -> Placed {
        if label.starts_with("contract ") {
            types.insert(label.clone(), entry(&label, "inplace", 20));
            return Placed::value(label, 20);
        }
        if let Some(canonical) = label.strip_prefix("enum ") {
            let n = self.enums.get(canonical).map_or(0, Vec::len);
            let bytes = if n > 256 { 2 } else { 1 };
            types.insert(label.clone(), entry(&label, "inplace", bytes));
            return Placed::value(label, bytes);
        }
        let target = t
            .referenced_declaration
            .or_else(|| t.path_node.as_ref().and_then(|p| p.referenced_declaration))
            .and_then(|r| self.by_id.get(&r));
        match target {
            Some(def) if def.node_type == "StructDefinition" => {
                if !types.contains_key(&label) {
                    // A placeholder first: a struct may refer to itself.
                    types.insert(label.clone(), entry(&label, "inplace", 32));
                    let (members, slots) = self.members(def, types);
                    let mut e = entry(&label, "inplace", slots * 32);
                    e.members = Some(members);
                    types.insert(label.clone(), e);
                }
                let bytes =
                    types.get(&label).map_or(32, |e| e.number_of_bytes.parse().unwrap_or(32));
                Placed::whole(label, bytes)
            }
            Some(def) if def.node_type == "UserDefinedValueTypeDefinition" => {
                let under = def.underlying_type.as_ref().map(|u| self.place(u, types));
                let bytes = under.map_or(32, |u| u.bytes);
                types.insert(label.clone(), entry(&label, "inplace", bytes));
                Placed::value(label, bytes)
            }
            // Declared in another file: its size is not known here.
            _ => {
                types.insert(label.clone(), entry(&label, "inplace", 32));
                Placed::whole(label, 32)
            }
        }
    }

    /// Lays out the members of struct `def` with Solidity's packing rules: value types share
    /// a slot while they fit, structs, arrays, mappings, `bytes` and `string` start a new slot
    /// and what follows them does too. Gives the members and the number of slots.
    fn members(
        &self,
        def: &AstNode,
        types: &mut BTreeMap<String, StorageType>,
    ) -> (Vec<StorageEntry>, u64) {
        let (mut slot, mut offset) = (0u64, 0u64);
        let mut out = Vec::with_capacity(def.members.len());
        for m in &def.members {
            let Some(t) = &m.type_name else { continue };
            let p = self.place(t, types);
            if p.own_slots {
                if offset > 0 {
                    (slot, offset) = (slot + 1, 0);
                }
            } else if offset + p.bytes > 32 {
                (slot, offset) = (slot + 1, 0);
            }
            out.push(StorageEntry {
                ast_id: m.id,
                contract: String::new(),
                label: m.name.clone(),
                offset: offset as u32,
                slot: slot.to_string(),
                ty: p.id,
            });
            if p.own_slots {
                slot += p.bytes.div_ceil(32).max(1);
            } else {
                offset += p.bytes;
            }
        }
        (out, slot + u64::from(offset > 0))
    }
}

/// Encoding, size and whether it takes slots of its own, of an elementary type.
fn elementary(label: &str) -> (&'static str, u64, bool) {
    let bits = |rest: &str| rest.parse::<u64>().map_or(32, |b| b / 8);
    match label {
        "bool" => ("inplace", 1, false),
        "address" | "address payable" => ("inplace", 20, false),
        "string" | "bytes" => ("bytes", 32, true),
        _ => {
            if let Some(rest) = label.strip_prefix("uint").or_else(|| label.strip_prefix("int")) {
                ("inplace", if rest.is_empty() { 32 } else { bits(rest) }, false)
            } else if let Some(rest) = label.strip_prefix("bytes") {
                ("inplace", rest.parse().unwrap_or(32), false)
            } else {
                ("inplace", 32, false)
            }
        }
    }
}

impl SourceAst {
    /// Every enum of the source unit, by canonical name, with its members in order.
    pub fn enums(&self) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for node in self.definitions() {
            if let ("EnumDefinition", Some(name)) = (node.node_type.as_str(), &node.canonical_name)
            {
                out.insert(name.clone(), node.members.iter().map(|m| m.name.clone()).collect());
            }
        }
        out
    }

    /// The upgrade annotations of the state variables of the file's contracts, by AST id.
    pub fn annotations(&self) -> BTreeMap<u64, Annotation> {
        let contracts = self.nodes.iter().filter(|n| n.node_type == "ContractDefinition");
        contracts
            .flat_map(|c| &c.nodes)
            .filter(|n| n.node_type == "VariableDeclaration")
            .filter_map(|n| Some((n.id as u64, Annotation::of(n.documentation.as_deref()?)?)))
            .collect()
    }

    /// Definitions at file level and in contracts.
    fn definitions(&self) -> impl Iterator<Item = &AstNode> {
        let contracts = self.nodes.iter().filter(|n| n.node_type == "ContractDefinition");
        self.nodes.iter().chain(contracts.flat_map(|c| &c.nodes))
    }

    /// The ERC-7201 namespaces of contract `name`, by id: the annotated structs of the contract
    /// and of its bases declared in this file, and those at file level; then the names of its
    /// bases declared in other files, as this file imports them (a base of such a base that
    /// this file does not import is found through that base). `enums` are this file's (see
    /// [`SourceAst::enums`]).
    pub fn namespaces(
        &self,
        name: &str,
        enums: &BTreeMap<String, Vec<String>>,
    ) -> (BTreeMap<String, Namespace>, Vec<String>) {
        let mut out = BTreeMap::new();
        let mut external = Vec::new();
        let contracts: HashMap<i64, &AstNode> = self
            .nodes
            .iter()
            .filter(|n| n.node_type == "ContractDefinition")
            .map(|n| (n.id, n))
            .collect();
        let Some(contract) = contracts.values().find(|c| c.name.as_deref() == Some(name)) else {
            return (out, external);
        };
        for id in contract.linearized_base_contracts.iter().filter(|id| !contracts.contains_key(id))
        {
            let named = self.exported_symbols.iter().find(|(_, ids)| ids.contains(id));
            if let Some((base, _)) = named {
                external.push(base.clone());
            }
        }
        let annotated = |n: &&AstNode| {
            n.node_type == "StructDefinition"
                && n.documentation.as_deref().and_then(erc7201_id).is_some()
        };
        // Bases first, as solc lays out inherited state.
        let in_contracts = contract
            .linearized_base_contracts
            .iter()
            .rev()
            .filter_map(|id| contracts.get(id))
            .flat_map(|c| c.nodes.iter());
        let structs: Vec<&AstNode> =
            self.nodes.iter().chain(in_contracts).filter(annotated).collect();
        if structs.is_empty() {
            return (out, external);
        }
        let by_id = self
            .definitions()
            .filter(|n| {
                matches!(
                    n.node_type.as_str(),
                    "StructDefinition" | "UserDefinedValueTypeDefinition"
                )
            })
            .map(|n| (n.id, n))
            .collect();
        let defs = Defs { by_id, enums };
        for s in structs {
            let Some(id) = s.documentation.as_deref().and_then(erc7201_id) else { continue };
            let mut types = BTreeMap::new();
            let (storage, _) = defs.members(s, &mut types);
            let layout = StorageLayout {
                storage,
                types,
                enums: enums.clone(),
                namespaces: None,
                source: None,
                external_bases: Vec::new(),
                unresolved_bases: Vec::new(),
                // solc keeps no natspec of struct members: no annotations.
                annotations: BTreeMap::new(),
            };
            let struct_name =
                s.canonical_name.clone().or_else(|| s.name.clone()).unwrap_or_default();
            out.insert(
                id.to_owned(),
                Namespace { id: id.to_owned(), struct_name, root: erc7201_slot(id), layout },
            );
        }
        (out, external)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erc7201_root_slots_match_known_vectors() {
        // OpenZeppelin 5's OwnableUpgradeable, and the example of EIP-7201.
        assert_eq!(
            erc7201_slot("openzeppelin.storage.Ownable").to_string(),
            "0x9016d09d72d40fdae2fd8ceac6b6234c7706214fd39c1cd1e609a0528c199300"
        );
        assert_eq!(
            erc7201_slot("example.main").to_string(),
            "0x183a6125c38840424c4a85fa12bab2ab606c4b6d0e7cc73c0c06ba5300eab500"
        );
    }

    #[test]
    fn the_namespace_id_comes_from_the_storage_location_tag() {
        let doc =
            " @dev Storage.\n @custom:storage-location erc7201:openzeppelin.storage.Initializable";
        assert_eq!(erc7201_id(doc), Some("openzeppelin.storage.Initializable"));
        assert_eq!(erc7201_id("@custom:storage-location erc1234:x"), None);
        assert_eq!(erc7201_id("@custom:oz-upgrades-unsafe-allow constructor"), None);
    }
}
