//! Reading contract artifacts: a plain ABI JSON array, a Foundry artifact (`out/X.sol/X.json`)
//! or a Hardhat artifact, and storage layouts written by `forge inspect`.

use std::path::{Path, PathBuf};

use alloy::{json_abi::JsonAbi, primitives::Bytes};
use serde_json::Value;

use crate::{
    Error, Result, StorageLayout,
    abi_types::check_abi_types,
    storage::{SourceAst, SourceHint, declares_namespace},
};

/// Where an artifact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A JSON array of ABI items.
    PlainAbi,
    /// A Foundry artifact (`abi`, `bytecode.object`, optional `storageLayout`).
    Foundry,
    /// A Hardhat artifact (`_format: hh-sol-artifact-1`).
    Hardhat,
    /// A storage layout alone (`forge inspect <C> storageLayout --json`): no ABI.
    StorageLayout,
}

/// A compiled contract as molt sees it.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Contract name: Hardhat's `contractName`, else the compilation target of the metadata,
    /// else the contract that declares the last state variable of the storage layout, else the
    /// file stem.
    pub name: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// What kind of file it was.
    pub kind: ArtifactKind,
    /// The ABI.
    pub abi: JsonAbi,
    /// Creation bytecode, when the artifact has it (not for plain ABIs or interfaces).
    pub bytecode: Option<Bytes>,
    /// Runtime bytecode, when the artifact has it.
    pub deployed_bytecode: Option<Bytes>,
    /// Storage layout, when the artifact was built with `extra_output = ["storageLayout"]`.
    pub storage_layout: Option<StorageLayout>,
}

impl Artifact {
    /// Reads an artifact or plain ABI file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::Read { path: path.into(), source })?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|source| Error::Json { path: path.into(), source })?;
        Self::from_value(stem(path), path, value)
    }

    /// Reads the ABI, name and storage layout of an artifact, and whether its creation bytecode
    /// is empty, skipping the bytecode and the metadata but its compilation target (several
    /// times faster on Foundry artifacts; what `molt diff` needs). Plain ABIs and
    /// storage-layout files are read as by [`Artifact::load`].
    pub fn load_interface(path: impl AsRef<Path>) -> Result<Self> {
        #[derive(serde::Deserialize)]
        struct Interface {
            abi: Option<Value>,
            #[serde(rename = "storageLayout")]
            storage_layout: Option<Value>,
            #[serde(rename = "contractName")]
            contract_name: Option<Value>,
            #[serde(rename = "_format")]
            format: Option<Value>,
            #[serde(default, deserialize_with = "compilation_target")]
            metadata: Option<LeanMetadata>,
            #[serde(default, deserialize_with = "code_is_empty")]
            bytecode: Option<bool>,
            /// Parsed lean: only enum definitions are kept.
            ast: Option<SourceAst>,
        }
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::Read { path: path.into(), source })?;
        if !text.trim_start().starts_with('{') {
            let value: Value = serde_json::from_str(&text)
                .map_err(|source| Error::Json { path: path.into(), source })?;
            return Self::from_value(stem(path), path, value);
        }
        let lean: Interface = serde_json::from_str(&text)
            .map_err(|source| Error::Json { path: path.into(), source })?;
        let Some(abi) = lean.abi else {
            // A storage layout, or not an artifact: the full reader says which.
            let value: Value = serde_json::from_str(&text)
                .map_err(|source| Error::Json { path: path.into(), source })?;
            return Self::from_value(stem(path), path, value);
        };
        let mut obj = serde_json::Map::new();
        obj.insert("abi".into(), abi);
        // Only an artifact without an AST needs its source looked at.
        let hint = lean.ast.is_none().then(|| lean.metadata.as_ref()?.hint(path)).flatten();
        let metadata = lean
            .metadata
            .and_then(|m| m.target)
            .map(|t| serde_json::json!({ "settings": { "compilationTarget": t } }));
        // Only whether it is empty (abstract): code with unlinked libraries is not hex.
        let bytecode = lean.bytecode.filter(|empty| *empty).map(|_| Value::from("0x"));
        for (key, v) in [
            ("storageLayout", lean.storage_layout),
            ("contractName", lean.contract_name),
            ("_format", lean.format),
            ("metadata", metadata),
            ("bytecode", bytecode),
        ] {
            if let Some(v) = v {
                obj.insert(key.into(), v);
            }
        }
        let mut artifact = Self::from_json(stem(path), path, Value::Object(obj), false)?;
        if let Some(layout) = &mut artifact.storage_layout {
            match lean.ast {
                Some(ast) => read_ast(layout, &ast, &artifact.name),
                None => layout.source = hint,
            }
        }
        Ok(artifact)
    }

    /// Interprets an already parsed JSON document; `name` is used when it carries none.
    pub fn from_value(name: &str, path: &Path, value: Value) -> Result<Self> {
        Self::from_json(name, path, value, true)
    }

    /// [`Artifact::from_value`]; `hint`: for a layout without an AST, look up the source file
    /// the metadata names (the lean loader does it from the metadata it kept).
    fn from_json(name: &str, path: &Path, value: Value, hint: bool) -> Result<Self> {
        let format = |reason: String| Error::Format { path: path.into(), reason };
        let parse_abi = |abi: Value| {
            check_abi_types(path, &abi)?;
            serde_json::from_value::<JsonAbi>(abi)
                .map_err(|e| format(format!("the ABI is not valid: {e}")))
        };
        match value {
            Value::Array(_) => Ok(Self {
                name: name.to_owned(),
                path: path.into(),
                kind: ArtifactKind::PlainAbi,
                abi: parse_abi(value)?,
                bytecode: None,
                deployed_bytecode: None,
                storage_layout: None,
            }),
            Value::Object(obj) if !obj.contains_key("abi") && obj.contains_key("storage") => {
                let layout: StorageLayout = serde_json::from_value(Value::Object(obj))
                    .map_err(|e| format(format!("not a valid storage layout: {e}")))?;
                Ok(Self {
                    name: layout_name(&layout).unwrap_or(name).to_owned(),
                    path: path.into(),
                    kind: ArtifactKind::StorageLayout,
                    abi: JsonAbi::default(),
                    bytecode: None,
                    deployed_bytecode: None,
                    storage_layout: Some(layout),
                })
            }
            Value::Object(mut obj) => {
                let abi = obj.remove("abi").ok_or_else(|| {
                    format(
                        "no `abi` field: expected an ABI array, a Foundry or a Hardhat artifact, or a storage layout"
                            .into(),
                    )
                })?;
                let hardhat = obj
                    .get("_format")
                    .and_then(Value::as_str)
                    .is_some_and(|f| f.starts_with("hh-"));
                let bytecode = bytecode_field(obj.get("bytecode"), path, "bytecode")?;
                let deployed_bytecode =
                    bytecode_field(obj.get("deployedBytecode"), path, "deployedBytecode")?;
                let mut storage_layout: Option<StorageLayout> = match obj.remove("storageLayout") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        serde_json::from_value(v)
                            .map_err(|e| format(format!("`storageLayout` is not valid: {e}")))?,
                    ),
                };
                let name = declared_name(&obj)
                    .or_else(|| storage_layout.as_ref().and_then(layout_name))
                    .unwrap_or(name)
                    .to_owned();
                if let Some(layout) = &mut storage_layout {
                    match obj.remove("ast") {
                        Some(ast) if !ast.is_null() => {
                            let ast: SourceAst = serde_json::from_value(ast)
                                .map_err(|e| format(format!("`ast` is not a solc AST: {e}")))?;
                            read_ast(layout, &ast, &name);
                        }
                        _ if hint => {
                            let metadata = obj.get("metadata").map(LeanMetadata::of);
                            layout.source = metadata.and_then(|m| m.hint(path));
                        }
                        _ => {}
                    }
                }
                Ok(Self {
                    name,
                    path: path.into(),
                    kind: if hardhat { ArtifactKind::Hardhat } else { ArtifactKind::Foundry },
                    abi: parse_abi(abi)?,
                    bytecode,
                    deployed_bytecode,
                    storage_layout,
                })
            }
            _ => Err(format("expected a JSON array (ABI) or object (artifact)".into())),
        }
    }

    /// Finds `<out>/<name>.sol/<name>.json` (Foundry's layout when the file is named after the
    /// contract) or else any `<out>/*.sol/<name>.json`, and reads it.
    pub fn find_in(out: impl AsRef<Path>, name: &str) -> Result<Option<Self>> {
        let out = out.as_ref();
        let direct = out.join(format!("{name}.sol")).join(format!("{name}.json"));
        if direct.is_file() {
            return Self::load(direct).map(Some);
        }
        let Ok(dirs) = std::fs::read_dir(out) else { return Ok(None) };
        let mut found: Vec<PathBuf> = dirs
            .filter_map(|d| d.ok().map(|d| d.path().join(format!("{name}.json"))))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.first().map(Self::load).transpose()
    }

    /// Whether the artifact has empty creation bytecode: an abstract contract or an interface
    /// (a plain ABI, which has no bytecode field, is not known to be abstract).
    pub fn is_abstract(&self) -> bool {
        self.bytecode.as_ref().is_some_and(|b| b.is_empty())
    }

    /// The creation bytecode, or an error saying this artifact cannot be deployed.
    pub fn creation_code(&self) -> Result<&Bytes> {
        self.bytecode.as_ref().filter(|b| !b.is_empty()).ok_or_else(|| Error::Format {
            path: self.path.clone(),
            reason: format!(
                "`{}` has no creation bytecode (an interface, abstract contract or plain ABI cannot be deployed)",
                self.name
            ),
        })
    }
}

/// Enum members and ERC-7201 namespaces of contract `name`, from its file's AST.
fn read_ast(layout: &mut StorageLayout, ast: &SourceAst, name: &str) {
    layout.enums = ast.enums();
    let (namespaces, bases) = ast.namespaces(name, &layout.enums);
    layout.namespaces = Some(namespaces);
    layout.external_bases = bases;
    layout.annotations = ast.annotations();
}

/// What molt reads of solc's metadata: the compilation target and its source's hash.
#[derive(Debug, Default)]
struct LeanMetadata {
    /// `settings.compilationTarget` (`{"src/Vault.sol": "Vault"}`).
    target: Option<Value>,
    /// `sources[<target>].keccak256`.
    keccak256: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct Settings {
    #[serde(rename = "compilationTarget")]
    compilation_target: Option<Value>,
}

impl LeanMetadata {
    /// From a metadata value of a fully parsed artifact (an object, or the JSON string
    /// solc writes).
    fn of(v: &Value) -> Self {
        let parsed = match v {
            Value::String(s) => {
                compilation_target(&mut serde_json::Deserializer::from_str(s)).ok().flatten()
            }
            v => compilation_target(v.clone()).ok().flatten(),
        };
        parsed.unwrap_or_default()
    }

    /// For an artifact without an AST: its source file and whether that declares an ERC-7201
    /// namespace. The path is tried as given, then from each folder above the artifact (a
    /// Foundry project root holds `out/X.sol/X.json`).
    fn hint(&self, artifact: &Path) -> Option<SourceHint> {
        let source = self.target.as_ref()?.as_object()?.keys().next()?.clone();
        let keccak256 = self.keccak256.clone();
        // Absolute, so that `old.json` given from its own folder has folders above it.
        let artifact = std::fs::canonicalize(artifact).unwrap_or_else(|_| artifact.to_owned());
        let candidates = std::iter::once(PathBuf::from(&source))
            .chain(artifact.ancestors().skip(1).take(4).map(|d| d.join(&source)));
        let declares_namespace = candidates
            .filter(|p| p.is_file())
            .find_map(|p| std::fs::read_to_string(p).ok())
            .map(|text| declares_namespace(&text));
        Some(SourceHint { path: source, keccak256, declares_namespace })
    }
}

/// Reads `settings.compilationTarget` and the hash of its source from solc's metadata object
/// (the other sources' entries are skipped, not kept); anything else in the field (a string,
/// `null`) is none. solc writes `settings` before `sources`.
fn compilation_target<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<LeanMetadata>, D::Error> {
    struct Target;
    impl<'de> serde::de::Visitor<'de> for Target {
        type Value = Option<LeanMetadata>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("solc metadata")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = LeanMetadata::default();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "settings" => {
                        let settings: Option<Settings> = map.next_value()?;
                        out.target = settings.and_then(|s| s.compilation_target);
                    }
                    "sources" => {
                        let path = out
                            .target
                            .as_ref()
                            .and_then(Value::as_object)
                            .and_then(|t| t.keys().next().cloned());
                        out.keccak256 = map.next_value_seed(SourceHash(path))?;
                    }
                    _ => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
            }
            Ok(Some(out))
        }

        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(Target)
}

/// The `keccak256` of one entry (the given path) of the metadata's `sources`.
struct SourceHash(Option<String>);

impl<'de> serde::de::DeserializeSeed<'de> for SourceHash {
    type Value = Option<String>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for SourceHash {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the sources of solc metadata")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        #[derive(serde::Deserialize)]
        struct Source {
            keccak256: Option<String>,
        }
        let mut out = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if self.0.as_deref() == Some(key.as_ref()) {
                out = map.next_value::<Source>()?.keccak256;
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

/// Reads only whether creation code (a hex string, or Foundry's `{ "object": "0x…" }`) is
/// empty, without copying it: the code is most of an artifact's bytes. Anything else is none.
fn code_is_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct Code;
    impl<'de> serde::de::Visitor<'de> for Code {
        type Value = Option<bool>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("creation code")
        }

        fn visit_str<E: serde::de::Error>(self, hex: &str) -> Result<Self::Value, E> {
            Ok(Some(hex.is_empty() || hex == "0x"))
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut empty = None;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "object" {
                    empty = map.next_value_seed(Self)?;
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(empty)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    impl<'de> serde::de::DeserializeSeed<'de> for Code {
        type Value = Option<bool>;

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(Code)
}

/// The contract an artifact says it is of: Hardhat's `contractName`, else the compilation
/// target of solc's metadata (`{"src/Vault.sol": "Vault"}`).
fn declared_name(obj: &serde_json::Map<String, Value>) -> Option<&str> {
    if let Some(name) = obj.get("contractName").and_then(Value::as_str) {
        return Some(name);
    }
    let target = obj.get("metadata")?.get("settings")?.get("compilationTarget")?.as_object()?;
    target.values().next()?.as_str()
}

/// The contract that declares the last state variable of a layout (`src/Vault.sol:Vault`
/// gives `Vault`): the most derived one with state of its own.
fn layout_name(layout: &StorageLayout) -> Option<&str> {
    let contract = layout.storage.last()?.contract.as_str();
    let name = contract.rsplit(':').next()?;
    (!name.is_empty()).then_some(name)
}

/// The contract name a file stands for when it names none: its stem, without the solc version Foundry appends
/// to artifacts of a contract compiled by several versions (`X.0.8.28.json`).
fn stem(path: &Path) -> &str {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("Contract");
    stem.split('.').next().unwrap_or(stem)
}

/// Reads a storage layout file as written by `forge inspect <C> storageLayout --json`.
pub fn load_storage_layout(path: impl AsRef<Path>) -> Result<StorageLayout> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|source| Error::Read { path: path.into(), source })?;
    serde_json::from_str(&text).map_err(|source| Error::Json { path: path.into(), source })
}

/// Foundry writes `{"object": "0x..", ...}`, Hardhat a plain hex string.
fn bytecode_field(v: Option<&Value>, path: &Path, field: &str) -> Result<Option<Bytes>> {
    let hex = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) => match o.get("object").and_then(Value::as_str) {
            Some(s) => s,
            None => return Ok(None),
        },
        Some(_) => return Ok(None),
    };
    if hex.is_empty() || hex == "0x" {
        return Ok(Some(Bytes::new()));
    }
    hex.parse::<Bytes>().map(Some).map_err(|e| Error::Format {
        path: path.into(),
        reason: format!("`{field}` is not hex ({e}); unlinked libraries are not supported"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_abi_foundry_and_hardhat() {
        let abi =
            r#"[{"type":"function","name":"f","inputs":[],"outputs":[],"stateMutability":"view"}]"#;
        let plain =
            Artifact::from_value("A", Path::new("A.json"), serde_json::from_str(abi).unwrap())
                .unwrap();
        assert_eq!(plain.kind, ArtifactKind::PlainAbi);
        assert_eq!(plain.abi.functions().count(), 1);

        let foundry = format!(
            r#"{{"abi":{abi},"bytecode":{{"object":"0x6001"}},"deployedBytecode":{{"object":"0x00"}},
               "storageLayout":{{"storage":[{{"astId":1,"contract":"a.sol:A","label":"x","offset":0,"slot":"0","type":"t_uint256"}}],
               "types":{{"t_uint256":{{"encoding":"inplace","label":"uint256","numberOfBytes":"32"}}}}}}}}"#
        );
        let f =
            Artifact::from_value("A", Path::new("A.json"), serde_json::from_str(&foundry).unwrap())
                .unwrap();
        assert_eq!(f.kind, ArtifactKind::Foundry);
        assert_eq!(f.creation_code().unwrap().as_ref(), &[0x60, 0x01]);
        assert_eq!(f.storage_layout.unwrap().storage[0].label, "x");

        let hardhat = format!(
            r#"{{"_format":"hh-sol-artifact-1","contractName":"B","abi":{abi},"bytecode":"0x","deployedBytecode":"0x"}}"#
        );
        let h =
            Artifact::from_value("x", Path::new("x.json"), serde_json::from_str(&hardhat).unwrap())
                .unwrap();
        assert_eq!((h.kind, h.name.as_str()), (ArtifactKind::Hardhat, "B"));
        assert!(h.creation_code().is_err());
    }

    #[test]
    fn the_name_comes_from_the_artifact_before_the_file_stem() {
        let dir = tempfile::tempdir().unwrap();
        let entry = r#"{"astId":1,"contract":"src/Vault.sol:Vault","label":"x","offset":0,"slot":"0","type":"t_uint256"}"#;
        let layout = format!(
            r#"{{"storage":[{entry}],"types":{{"t_uint256":{{"encoding":"inplace","label":"uint256","numberOfBytes":"32"}}}}}}"#
        );
        let cases = [
            (
                format!(
                    r#"{{"abi":[],"metadata":{{"settings":{{"compilationTarget":{{"src/A.sol":"Token"}}}}}},"storageLayout":{layout}}}"#
                ),
                "Token",
            ),
            (format!(r#"{{"abi":[],"metadata":"{{}}","storageLayout":{layout}}}"#), "Vault"),
            (layout, "Vault"),
            (r#"{"abi":[]}"#.to_owned(), "old"),
            ("[]".to_owned(), "old"),
        ];
        for (json, want) in cases {
            let path = dir.path().join("old.json");
            std::fs::write(&path, &json).unwrap();
            assert_eq!(Artifact::load_interface(&path).unwrap().name, want, "{json}");
            assert_eq!(Artifact::load(&path).unwrap().name, want, "{json}");
        }
    }

    #[test]
    fn the_interface_tells_abstract_contracts_and_skips_unlinked_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("A.json");
        for (bytecode, is_abstract) in [
            (r#"{"object":"0x"}"#, true),
            (r#""0x""#, true),
            (r#"{"object":"0x6080__$0123456789abcdef0123456789abcdef01$__"}"#, false),
        ] {
            std::fs::write(&path, format!(r#"{{"abi":[],"bytecode":{bytecode}}}"#)).unwrap();
            let a = Artifact::load_interface(&path).unwrap();
            assert_eq!(a.is_abstract(), is_abstract, "{bytecode}");
        }
    }

    #[test]
    fn rejects_json_that_is_not_an_artifact() {
        let err = Artifact::from_value("A", Path::new("bad.json"), serde_json::json!({"x": 1}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.json") && err.contains("no `abi` field"), "{err}");
    }
}
