use std::path::{Path, PathBuf};

use alloy::{dyn_abi::DynSolValue, primitives::U256};

use super::*;

fn fixture() -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/manifests/fabstir.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

/// Loads the Fabstir fixture with `from` replaced by `to`; the ABIs come from `forge build`.
fn load_with(from: &str, to: &str) -> Result<Manifest> {
    let (path, text) = fixture();
    assert!(text.contains(from), "the fixture has no `{from}`");
    Manifest::parse(&path, &text.replacen(from, to, 1))
}

fn error_of(from: &str, to: &str) -> String {
    load_with(from, to).expect_err("the manifest must be refused").to_string()
}

#[test]
fn the_fabstir_manifest_loads_and_binds_every_name() {
    let (path, _) = fixture();
    let m = Manifest::load(&path).expect("fixture loads (the contracts are built: forge build)");
    assert_eq!(m.network.chain_id, 31337);
    assert_eq!(m.contracts.len(), 6);
    assert_eq!(m.pause.len(), 3);
    let names: Vec<_> = m.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["nodes", "jobs", "deposits"]);

    let nodes = m.component("nodes").unwrap();
    assert_eq!(nodes.target.record.names[nodes.key[0]], "operator");
    let rep = nodes.target.record.index("reputationBps").unwrap();
    let src_rep = nodes.source.record.index("reputation").unwrap();
    assert_eq!(
        nodes.mapping[rep],
        Rule::Scale { field: src_rep, mul: U256::from(100), div: U256::from(1) }
    );
    let price = nodes.target.record.index("pricePerToken").unwrap();
    assert_eq!(nodes.mapping[price], Rule::Const(DynSolValue::Uint(U256::ZERO, 256)));

    let jobs = m.component("jobs").unwrap();
    let filter = jobs.filter.as_ref().unwrap();
    assert_eq!(jobs.source.record.names[filter.field], "status");
    assert_eq!(filter.one_of, [DynSolValue::Uint(U256::from(2), 8)]);
    let payment = jobs.target.record.index("payment").unwrap();
    let Rule::Struct(inner) = &jobs.mapping[payment] else {
        panic!("payment is built as a struct")
    };
    assert_eq!(inner[0], Rule::Copy(jobs.source.record.index("payment").unwrap()));

    let deposits = m.component("deposits").unwrap();
    assert_eq!(deposits.verify.readback, [Readback::Arg(0), Readback::Arg(1), Readback::Output(0)]);
    assert_eq!(m.funds.len(), 2);
    assert_eq!(m.funds[0].tokens, Tokens::List(vec![Address::ZERO]));
    assert!(matches!(m.funds[1].tokens, Tokens::FromComponent { .. }));
    assert_eq!(m.funds[1].call.args, [Arg::Token, Arg::Amount, Arg::To]);
    assert_eq!(m.finalize.len(), 3);
}

#[test]
fn a_misspelt_function_names_file_line_and_a_suggestion() {
    let err = error_of("count = \"getTotalNodes\"", "count = \"getTotalNode\"");
    assert!(err.contains("fabstir.toml:"), "{err}");
    assert!(
        err.contains("has no function `getTotalNode`")
            && err.contains("did you mean `getTotalNodes`"),
        "{err}"
    );
    let (_, text) = fixture();
    let line = text.lines().position(|l| l.contains("count = \"getTotalNodes\"")).unwrap() + 1;
    assert!(err.contains(&format!("fabstir.toml:{line}:")), "{err} (expected line {line})");
}

#[test]
fn bad_input_is_refused_with_the_reason() {
    let cases = [
        (
            "contract = \"jobs_v1\"\ncall",
            "contract = \"jobz_v1\"\ncall",
            "unknown contract `jobz_v1`",
        ),
        ("drop = [\"status\"]", "drop = []", "source field `status` is not carried to the target"),
        (
            "drop = [\"status\"]",
            "drop = [\"status\", \"renter\"]",
            "`renter` is both mapped and dropped",
        ),
        (
            "map.registeredAt = { default = true }",
            "",
            "import field `registeredAt` (uint64) has no source",
        ),
        (
            "map.host = \"assignedHost\"",
            "map.host = \"createdAt\"",
            "cannot copy `createdAt` (uint64) into `host` (address)",
        ),
        ("in = [2]", "in = [\"completed\"]", "is not a valid uint8"),
        ("chain_id = 31337", "chain_id = \"x\"", "invalid type"),
        ("0x0000000000000000000000000000000000000004", "0x04", "is not an address"),
        (
            "args = [\"$to\"]",
            "args = [\"$amount\"]",
            "`$amount` (an unsigned integer) does not fit parameter",
        ),
        (
            "function = \"finalizeMigration\"",
            "function = \"finalizeMigration\"\nargs = [1]",
            "takes 0 argument(s), 1 given",
        ),
        (
            "../../out/NodeRegistryV2.sol",
            "../../out/Missing.sol",
            "cannot load the ABI of `registry_v2`",
        ),
        (
            "map = { host = \"assignedHost\" }",
            "map = {}",
            "import field `host` cannot be read back",
        ),
    ];
    for (from, to, want) in cases {
        match load_with(from, to) {
            Ok(_) if want.is_empty() => {}
            Ok(_) => panic!("`{to}` was accepted; expected an error containing `{want}`"),
            Err(e) if !want.is_empty() => {
                let e = e.to_string();
                assert!(e.contains(want), "`{to}`: expected `{want}` in: {e}");
                assert!(e.contains("fabstir.toml:"), "`{to}`: the error names no file: {e}");
            }
            Err(e) => panic!("`{to}` must load: {e}"),
        }
    }
}

#[test]
fn dependency_cycles_and_unknown_dependencies_are_refused() {
    let err = error_of("name = \"jobs\"\n", "name = \"jobs\"\ndepends_on = [\"nodez\"]\n");
    assert!(err.contains("depends on unknown component `nodez`"), "{err}");
    let (path, text) = fixture();
    let text = text
        .replacen("name = \"nodes\"\n", "name = \"nodes\"\ndepends_on = [\"jobs\"]\n", 1)
        .replacen("name = \"jobs\"\n", "name = \"jobs\"\ndepends_on = [\"nodes\"]\n", 1);
    let err = Manifest::parse(&path, &text).unwrap_err().to_string();
    assert!(err.contains("cycle"), "{err}");
}

#[test]
fn the_batch_gas_limit_never_exceeds_the_eip7825_cap() {
    let o = BatchOptions::default();
    assert_eq!(o.gas_limit_cap(30_000_000), 15_000_000);
    assert_eq!(o.gas_limit_cap(60_000_000), TX_GAS_CAP);
    let fixed = BatchOptions { gas_budget: Some(40_000_000), ..o };
    assert_eq!(fixed.gas_limit_cap(36_000_000), TX_GAS_CAP);
}
