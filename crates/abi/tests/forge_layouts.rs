//! `molt diff` verdicts on real artifacts: the upgrade pairs of
//! `contracts/test/fixtures/layout/`, built by `forge build` into `out/` (`scripts/test` builds
//! them before `cargo test`). Each pair pins the kind and severity of every finding, and a
//! version diffed against itself gives nothing.

use std::path::{Path, PathBuf};

use molt_abi::{
    Artifact, Severity,
    diff::{Options, diff_artifacts, diff_paths},
};

fn out() -> PathBuf {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../out");
    assert!(
        out.join("NamespaceV1.sol").is_dir(),
        "{} has no NamespaceV1: run `forge build` first",
        out.display()
    );
    out
}

fn artifact(name: &str) -> PathBuf {
    out().join(format!("{name}.sol/{name}.json"))
}

/// (kind, severity, item, namespace) of every finding from `old` to `new`.
fn verdicts(old: &str, new: &str) -> Vec<(String, Severity, String, Option<String>)> {
    let report = diff_paths(&artifact(old), &artifact(new), &Options::default()).unwrap();
    report.contracts[0]
        .changes
        .iter()
        .map(|c| (c.kind.id().to_owned(), c.severity, c.item.clone(), c.namespace.clone()))
        .collect()
}

fn v(
    kind: &str,
    severity: Severity,
    item: &str,
    ns: Option<&str>,
) -> (String, Severity, String, Option<String>) {
    (kind.to_owned(), severity, item.to_owned(), ns.map(str::to_owned))
}

#[test]
fn namespace_members_are_compared_per_namespace() {
    use Severity::*;
    let ns = |id: &str| Some(format!("molt.test.{id}"));
    let got = verdicts("NamespaceV1", "NamespaceV2");
    let want = vec![
        v("storage_variable_appended", Info, "paused", ns("appended").as_deref()),
        v("storage_variable_appended", Info, "limit", ns("appended").as_deref()),
        v("storage_variable_removed", Breaking, "b", ns("deleted").as_deref()),
        v("storage_namespace_removed", Breaking, "molt.test.dropped", None),
        v("storage_variable_inserted", Breaking, "x", ns("inserted").as_deref()),
        v("storage_variable_removed", Breaking, "a", ns("reordered").as_deref()),
        v("storage_variable_inserted", Breaking, "a", ns("reordered").as_deref()),
        v("storage_type_changed", Breaking, "r", ns("retyped").as_deref()),
    ];
    assert_eq!(got, want);
}

#[test]
fn enum_gap_and_array_pairs() {
    use Severity::*;
    assert_eq!(
        verdicts("EnumV1", "EnumV2"),
        vec![v("storage_type_changed", Breaking, "status", None)]
    );
    assert_eq!(
        verdicts("GapStructV1", "GapStructV2"),
        vec![v("storage_type_changed", Warning, "config", None)]
    );
    assert_eq!(
        verdicts("ArrayValueV1", "ArrayValueV2"),
        vec![
            v("storage_type_changed", Warning, "history", None),
            v("storage_type_changed", Breaking, "top", None),
        ]
    );
}

#[test]
fn a_version_against_itself_gives_nothing() {
    for name in [
        "NamespaceV1",
        "NamespaceV2",
        "NamespacePacking",
        "EnumV1",
        "EnumV2",
        "GapStructV1",
        "GapStructV2",
        "ArrayValueV1",
        "ArrayValueV2",
        "NamespaceChildV1",
        "UupsCounterV1",
        "AnnotatedV1",
        "AnnotatedV2",
        "RenamedV1",
        "RenamedV2",
    ] {
        assert_eq!(verdicts(name, name), vec![], "{name}");
    }
}

#[test]
fn both_loaders_read_the_namespaces() {
    for name in ["NamespaceV1", "NamespacePacking"] {
        let lean = Artifact::load_interface(artifact(name)).unwrap();
        let full = Artifact::load(artifact(name)).unwrap();
        let (l, f) = (lean.storage_layout.unwrap(), full.storage_layout.unwrap());
        assert!(l.namespaces.as_ref().is_some_and(|n| !n.is_empty()), "{name}");
        assert_eq!(l.namespaces, f.namespaces, "{name}");
    }
    let old = Artifact::load_interface(artifact("NamespaceV1")).unwrap();
    let new = Artifact::load(artifact("NamespaceV2")).unwrap();
    assert_eq!(diff_artifacts(&old, &new, None).len(), 8);
}

/// The namespace struct of NamespacePacking is also a state variable, so solc's own layout of
/// it is in the artifact: molt's packing (from the AST) must give the same slots, offsets, types
/// and sizes, nested struct included.
#[test]
fn namespace_packing_matches_solc() {
    let a = Artifact::load_interface(artifact("NamespacePacking")).unwrap();
    let layout = a.storage_layout.unwrap();
    let ns = &layout.namespaces.as_ref().unwrap()["molt.test.packing"];
    assert_eq!(ns.struct_name, "NamespacePacking.Packed");
    let solc = &layout.types[&layout.storage[0].ty];
    let solc_members = solc.members.as_ref().unwrap();
    let row = |types: &std::collections::BTreeMap<String, molt_abi::storage::StorageType>,
               m: &molt_abi::storage::StorageEntry| {
        let t = &types[&m.ty];
        (m.label.clone(), m.slot.clone(), m.offset, t.label.clone(), t.number_of_bytes.clone())
    };
    let want: Vec<_> = solc_members.iter().map(|m| row(&layout.types, m)).collect();
    let got: Vec<_> = ns.layout.storage.iter().map(|m| row(&ns.layout.types, m)).collect();
    assert_eq!(got, want);
    // The nested struct's members too.
    let inner = |types: &std::collections::BTreeMap<String, molt_abi::storage::StorageType>| {
        let t = types.values().find(|t| t.label == "struct NamespacePacking.Inner").unwrap();
        t.members.as_ref().unwrap().iter().map(|m| row(types, m)).collect::<Vec<_>>()
    };
    assert_eq!(inner(&ns.layout.types), inner(&layout.types));
}

/// A namespace declared by a base in another file is the child's too: file mode reads the
/// base's artifact next to the child's, directory mode the base among the loaded artifacts.
#[test]
fn namespaces_of_bases_in_other_files_are_inherited() {
    use Severity::*;
    let want = vec![v("storage_variable_inserted", Breaking, "limit", Some("molt.test.base"))];
    assert_eq!(verdicts("NamespaceChildV1", "NamespaceChildV2"), want);
    // OpenZeppelin 5's Initializable, inherited by UupsCounterV1.
    let mut counter = Artifact::load_interface(artifact("UupsCounterV1")).unwrap();
    let layout = counter.storage_layout.as_mut().unwrap();
    assert!(layout.namespaces.as_ref().unwrap().is_empty());
    assert!(
        layout.external_bases.iter().any(|b| b == "Initializable"),
        "{:?}",
        layout.external_bases
    );
    let report = diff_paths(&out(), &out(), &Options::default()).unwrap();
    assert_eq!(report.summary().breaking + report.summary().warning, 0);
    // Alone in a folder, the base cannot be read: said, not silent.
    let dir = tempfile::tempdir().unwrap();
    let solo = dir.path().join("NamespaceChildV1.json");
    std::fs::copy(artifact("NamespaceChildV1"), &solo).unwrap();
    let report = diff_paths(&solo, &solo, &Options::default()).unwrap();
    let changes = &report.contracts[0].changes;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        (changes[0].kind.id(), changes[0].severity),
        ("storage_namespace_unchecked", Warning)
    );
    assert!(changes[0].message.contains("`NamespaceBaseV1`"), "{}", changes[0].message);
}

/// `@custom:oz-renamed-from` makes a rename info; `@custom:oz-retyped-from` makes a type change
/// a warning where the variable keeps its place and size, and only there.
#[test]
fn openzeppelin_annotations() {
    use Severity::*;
    assert_eq!(
        verdicts("AnnotatedV1", "AnnotatedV2"),
        vec![
            v("storage_variable_renamed", Info, "total", None),
            v("storage_type_changed", Warning, "small", None),
            v("storage_type_changed", Warning, "owner", None),
            v("storage_type_changed", Breaking, "count", None),
            // solc keeps no natspec of struct members: a plain rename.
            v("storage_variable_renamed", Warning, "a", Some("molt.test.annotated")),
        ]
    );
}

/// Renames that keep every slot, offset and type: a warning unannotated (upgrades-core rejects
/// them: scripts/compare-oz), info under `@custom:oz-renamed-from`; nothing breaks.
#[test]
fn renames_in_place_are_warnings_at_most() {
    use Severity::*;
    assert_eq!(
        verdicts("RenamedV1", "RenamedV2"),
        vec![
            v("storage_variable_renamed", Warning, "total", None),
            v("storage_variable_renamed", Info, "admin", None),
            v("storage_variable_renamed", Warning, "a", Some("molt.test.renamed")),
        ]
    );
}
