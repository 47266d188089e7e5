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

/// Asserts that the fixture with `from` replaced by `to` is refused at the line of the last
/// line containing `at` (in the edited text), with `want` in the message.
fn refused_at(from: &str, to: &str, at: &str, want: &str) {
    let (_, text) = fixture();
    let edited = text.replacen(from, to, 1);
    let lines: Vec<&str> = edited.lines().collect();
    let line = lines.iter().rposition(|l| l.contains(at)).unwrap_or_else(|| panic!("no `{at}`"));
    let err = match load_with(from, to) {
        Ok(_) => panic!("`{to}` was accepted; expected an error containing `{want}`"),
        Err(e) => e.to_string(),
    };
    let at_line = format!("fabstir.toml:{}:", line + 1);
    assert!(err.contains(&at_line), "`{to}`: expected `{at_line}` in: {err}");
    assert!(err.contains(want), "`{to}`: expected `{want}` in: {err}");
}

/// Asserts that the fixture with `from` replaced by `to` loads.
fn accepted(from: &str, to: &str) -> Manifest {
    load_with(from, to).unwrap_or_else(|e| panic!("`{to}` must load: {e}"))
}

/// Adds a `[batch]` setting to the fixture.
const BATCH: &str = "max_in_flight = 4\n";

/// anvil's first dev account, EIP-55 checksummed.
const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/// The same with the case of its first letter flipped: a wrong checksum.
const DEV0_BAD: &str = "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

#[test]
fn the_fabstir_manifest_loads_and_binds_every_name() {
    let (path, _) = fixture();
    let m = Manifest::load(&path).expect("fixture loads (the contracts are built: forge build)");
    assert_eq!(m.network.chain_id, 31337);
    assert_eq!(m.network.confirmations, 1);
    let d = BatchOptions::default();
    assert_eq!(
        m.batch,
        BatchOptions { block_gas_fraction: 0.5, gas_margin: 1.2, max_in_flight: 4, ..d }
    );
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
    let [filter] = jobs.filter.as_slice() else { panic!("one predicate") };
    assert_eq!(jobs.source.record.names[filter.field], "status");
    assert_eq!(filter.test, Test::OneOf(vec![DynSolValue::Uint(U256::from(2), 8)]));
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
fn an_unknown_dependency_is_refused_at_its_line() {
    refused_at(
        "name = \"jobs\"\n",
        "name = \"jobs\"\ndepends_on = [\"nodez\"]\n",
        "depends_on = [\"nodez\"]",
        "component `jobs` depends on unknown component `nodez`",
    );
}

#[test]
fn the_batch_gas_limit_never_exceeds_the_eip7825_cap() {
    let o = BatchOptions::default();
    assert_eq!(o.gas_limit_cap(30_000_000), 15_000_000);
    assert_eq!(o.gas_limit_cap(60_000_000), TX_GAS_CAP);
    let fixed = BatchOptions { gas_budget: Some(40_000_000), ..o };
    assert_eq!(fixed.gas_limit_cap(36_000_000), TX_GAS_CAP);
}

#[test]
fn gas_budget_must_be_from_100k_to_the_eip7825_cap() {
    let want = "it must be from 100,000 gas (what any import batch needs) to 16,777,216 gas (the EIP-7825 per-transaction cap)";
    for bad in ["0", "1000", "99999", "16777217"] {
        let to = format!("{BATCH}gas_budget = {bad}\n");
        refused_at(
            BATCH,
            &to,
            "gas_budget",
            &format!("`gas_budget = {bad}` is out of range: {want}"),
        );
    }
    for good in [100_000, TX_GAS_CAP] {
        let m = accepted(BATCH, &format!("{BATCH}gas_budget = {good}\n"));
        assert_eq!(m.batch.gas_budget, Some(good));
    }
}

#[test]
fn gas_margin_must_be_finite_and_from_1_to_3() {
    let want = "is out of range: it must be a finite number from 1.0 to 3.0";
    for (bad, shown) in
        [("nan", "NaN"), ("inf", "inf"), ("-inf", "-inf"), ("0.9", "0.9"), ("3.5", "3.5")]
    {
        let to = format!("gas_margin = {bad} ");
        refused_at(
            "gas_margin = 1.2 ",
            &to,
            "gas_margin",
            &format!("`gas_margin = {shown}` {want}"),
        );
    }
    for good in [1.0, 3.0] {
        let m = accepted("gas_margin = 1.2 ", &format!("gas_margin = {good:?} "));
        assert_eq!(m.batch.gas_margin, good);
    }
}

#[test]
fn block_gas_fraction_must_be_in_zero_to_one() {
    let want = "is out of range: it must be a number in (0, 1]";
    for bad in ["0", "-0.5", "1.5", "nan"] {
        let to = format!("block_gas_fraction = {bad} ");
        refused_at("block_gas_fraction = 0.5 ", &to, "block_gas_fraction", want);
    }
    let m = accepted("block_gas_fraction = 0.5 ", "block_gas_fraction = 1 ");
    assert_eq!(m.batch.block_gas_fraction, 1.0);
}

#[test]
fn max_in_flight_and_max_records_must_be_at_least_one() {
    refused_at(
        "max_in_flight = 4",
        "max_in_flight = 0",
        "max_in_flight",
        "`max_in_flight = 0` is out of range: it must be at least 1",
    );
    refused_at(
        BATCH,
        &format!("{BATCH}max_records = 0\n"),
        "max_records",
        "`max_records = 0` is out of range: it must be at least 1",
    );
    let m = accepted("max_in_flight = 4", "max_in_flight = 1\nmax_records = 1");
    assert_eq!((m.batch.max_in_flight, m.batch.max_records), (1, 1));
}

#[test]
fn confirmations_must_be_at_least_one() {
    refused_at(
        "confirmations = 1",
        "confirmations = 0",
        "confirmations",
        "`confirmations = 0` is out of range: it must be at least 1",
    );
    assert_eq!(accepted("confirmations = 1", "confirmations = 3").network.confirmations, 3);
}

#[test]
fn check_funds_and_component_names_are_unique() {
    refused_at(
        "name = \"registry-v2-migrating\"",
        "name = \"active-jobs\"",
        "name = \"active-jobs\"",
        "two `[[check]]` entries are called `active-jobs` (the first at line",
    );
    refused_at(
        "name = \"escrow\"",
        "name = \"stakes\"",
        "name = \"stakes\"",
        "two `[[funds]]` entries are called `stakes` (the first at line",
    );
    refused_at(
        "name = \"deposits\"",
        "name = \"nodes\"",
        "name = \"nodes\"",
        "two components are called `nodes` (the first at line",
    );
}

#[test]
fn a_contract_address_with_a_wrong_checksum_is_refused() {
    let four = "0x0000000000000000000000000000000000000004";
    refused_at(
        four,
        DEV0_BAD,
        DEV0_BAD,
        &format!(
            "`{DEV0_BAD}` has a wrong EIP-55 checksum (a mistyped character?); the checksummed form of this address is `{DEV0}`"
        ),
    );
    // Checksummed, all-lowercase and all-uppercase hex are all accepted.
    for good in [DEV0.to_owned(), DEV0.to_lowercase(), format!("0x{}", DEV0[2..].to_uppercase())] {
        let m = accepted(four, &good);
        assert_eq!(m.contract("registry_v2").address, DEV0.parse::<Address>().unwrap());
    }
}

#[test]
fn address_literals_with_a_wrong_checksum_are_refused() {
    let want = format!(
        "`{DEV0_BAD}` has a wrong EIP-55 checksum (a mistyped character?); the checksummed form of this address is `{DEV0}`"
    );
    // A constant of a mapping.
    let zero = "token = { const = \"0x0000000000000000000000000000000000000000\" }";
    refused_at(
        zero,
        &zero.replace("0x0000000000000000000000000000000000000000", DEV0_BAD),
        DEV0_BAD,
        &want,
    );
    // A token of a funds move.
    refused_at("tokens = \"ETH\"", &format!("tokens = [\"ETH\", \"{DEV0_BAD}\"]"), DEV0_BAD, &want);
    // A filter value.
    let key = "key = [\"user\", \"token\"]";
    let filter = format!("{key}\nfilter = {{ field = \"token\", in = [\"{DEV0_BAD}\"] }}");
    refused_at(key, &filter, DEV0_BAD, &want);
    let m = accepted("tokens = \"ETH\"", &format!("tokens = [\"{DEV0}\"]"));
    assert_eq!(m.funds[0].tokens, Tokens::List(vec![DEV0.parse().unwrap()]));
    // Inside a composite literal (a tuple written as one string).
    let err = validate::checksums_in(&format!("({DEV0_BAD}, 5)")).unwrap_err();
    assert_eq!(err, want);
    validate::checksums_in(&format!("([{DEV0}, {}], 0x1234)", DEV0.to_lowercase())).unwrap();
}

#[test]
fn two_contracts_with_one_address_are_refused_at_the_second() {
    // jobs_v1 given jobs_v2's address: molt would pause V2 and migrate nothing.
    refused_at(
        "0x0000000000000000000000000000000000000002",
        "0x0000000000000000000000000000000000000005",
        "jobs_v2     =",
        "`jobs_v2` has the same address as `jobs_v1` (line 16), 0x0000000000000000000000000000000000000005: one contract cannot play two roles",
    );
}

#[test]
fn a_dependency_cycle_is_shown_at_its_depends_on_line() {
    let (path, text) = fixture();
    let text = text
        .replacen("name = \"nodes\"\n", "name = \"nodes\"\ndepends_on = [\"jobs\"]\n", 1)
        .replacen("name = \"jobs\"\n", "name = \"jobs\"\ndepends_on = [\"nodes\"]\n", 1);
    let line = text.lines().position(|l| l == "depends_on = [\"nodes\"]").unwrap() + 1;
    let err = Manifest::parse(&path, &text).unwrap_err().to_string();
    assert!(err.contains(&format!("fabstir.toml:{line}:")), "expected line {line}: {err}");
    assert!(
        err.contains("components depend on each other in a cycle: `jobs` depends on `nodes` depends on `jobs`; remove one of these `depends_on` entries"),
        "{err}"
    );
    refused_at(
        "name = \"deposits\"\n",
        "name = \"deposits\"\ndepends_on = [\"nodes\", \"deposits\"]\n",
        "depends_on = [\"nodes\", \"deposits\"]",
        "a cycle: `deposits` depends on `deposits`;",
    );
}

#[test]
fn funds_of_one_token_credit_that_token_and_several_need_a_token_field() {
    // One ERC-20 and no `token` in `credited_by` (the vault case of issue #9): that token.
    let m = accepted("tokens = \"ETH\"", &format!("tokens = \"{DEV0}\""));
    let stakes = m.funds.iter().find(|f| f.name == "stakes").unwrap();
    assert_eq!(stakes.credited_by.token, CreditedToken::Only(DEV0.parse().unwrap()));
    // ETH stays ETH.
    let m = accepted("tokens = \"ETH\"", "tokens = \"ETH\"");
    let stakes = m.funds.iter().find(|f| f.name == "stakes").unwrap();
    assert_eq!(stakes.credited_by.token, CreditedToken::Only(alloy::primitives::Address::ZERO));
    // Several tokens and no `token` field: which one a record credits is ambiguous.
    refused_at(
        "tokens = \"ETH\"",
        &format!("tokens = [\"ETH\", \"{DEV0}\"]"),
        "credited_by = { component = \"nodes\"",
        "moves several tokens (or the tokens of a component): `credited_by` needs `token",
    );
}

#[test]
fn a_draft_with_an_unresolved_todo_is_refused_at_its_line() {
    let todo = "# TODO(molt): which statuses migrate?";
    refused_at(
        "[[component]]\nname = \"jobs\"\n",
        &format!("[[component]]\nname = \"jobs\"\n{todo}\n"),
        todo,
        "unresolved `TODO(molt)`: which statuses migrate?. Decide it, then delete the comment;",
    );
    // A trailing one counts too, and the error says how many are left.
    let err =
        error_of("[network]\n", "# TODO(molt): the first\n[network]   # TODO(molt): the second\n");
    assert!(err.contains("fabstir.toml:4:3: unresolved `TODO(molt)`: the first."), "{err}");
    assert!(err.contains("(one more, at line 5)"), "{err}");
}

const NODES_SOURCE: &str =
    r#"source = { contract = "registry_v1", count = "getTotalNodes", get = "getNodeAt" }"#;

#[test]
fn keyed_sources_load_with_their_keys_and_pseudo_fields() {
    let keyed = r#"source = { contract = "registry_v1", get = "getNode(address)", keys = { event = "NodeRegistered", arg = "operator", from_block = 7 } }"#;
    let m = load_with(NODES_SOURCE, keyed).unwrap();
    let nodes = m.component("nodes").unwrap();
    let Some(Keys { types, origin: KeyOrigin::Event { event, args, from_block: 7 }, at }) =
        nodes.source.keyed()
    else {
        panic!("nodes are keyed by NodeRegistered logs")
    };
    assert_eq!(
        (types.as_slice(), event.name.as_str(), args.as_slice()),
        (&[DynSolType::Address][..], "NodeRegistered", &[0][..])
    );
    assert!(at.ends_with("fabstir.toml:72:71"), "{at}");
    let names = nodes.source.fields().names;
    assert!(
        names.ends_with(&["$index", "$key", "$key.0", "$key.operator"].map(String::from)),
        "{names:?}"
    );

    // Keys from another component: it is read first.
    let from_deposits = r#"source = { contract = "registry_v1", get = "getNode", keys = { component = "deposits", field = "user" } }"#;
    let m = load_with(NODES_SOURCE, from_deposits).unwrap();
    assert_eq!(m.component("nodes").unwrap().depends_on, ["deposits"]);
    let order: Vec<&str> = m.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(order, ["jobs", "deposits", "nodes"]);
}

#[test]
fn filters_take_one_predicate_or_an_array() {
    let both =
        r#"filter = [{ field = "status", not_in = [0, 3] }, { field = "$index", nonzero = true }]"#;
    let m = load_with(r#"filter = { field = "status", in = [2] }"#, both).unwrap();
    let jobs = m.component("jobs").unwrap();
    assert_eq!(jobs.filter.len(), 2);
    assert_eq!(jobs.filter[1].test, Test::Zero(false));
    assert_eq!(jobs.source.fields().names[jobs.filter[1].field], "$index");
}

#[test]
fn bad_keys_and_filters_are_refused_at_their_line() {
    let filter = r#"filter = { field = "status", in = [2] }"#;
    refused_at(
        filter,
        r#"filter = { field = "status", in = [2], zero = true }"#,
        "filter",
        "exactly one of",
    );
    refused_at(filter, r#"filter = { field = "status", zero = false }"#, "filter", "zero = true");
    refused_at(
        filter,
        r#"filter = [{ field = "$key", nonzero = true }]"#,
        "filter",
        "filter field `$key`",
    );
    let keyed = |keys: &str| {
        format!(r#"source = {{ contract = "registry_v1", get = "getNode", keys = {keys} }}"#)
    };
    for (keys, want) in [
        (r#"{ event = "NodeRegistered" }"#, "say which argument of `NodeRegistered` is the key"),
        (
            r#"{ event = "NodeRegistered", args = ["operator", "stake"] }"#,
            "takes 1 argument(s) but the key has 2",
        ),
        (
            r#"{ event = "Registered(address)", arg = "operator" }"#,
            "has no event `Registered(address)`",
        ),
        (r#"{ component = "deposits" }"#, "needs `field"),
        (
            r#"{ component = "deposits", field = "amount" }"#,
            "`amount` is uint256, but the getter takes address",
        ),
        (r#"{ component = "nodes", field = "operator" }"#, "cannot take its keys from itself"),
        (r#"{ component = "loans", field = "user" }"#, "unknown component `loans`"),
        (r#"{ file = "nodes.txt", from_block = 3 }"#, "takes no `arg`, `args` or `from_block`"),
    ] {
        refused_at(NODES_SOURCE, &keyed(keys), "registry_v1\", get = \"getNode\"", want);
    }
    let first = r#"source = { contract = "registry_v1", get = "getNode", first = 1, keys = { file = "x" } }"#;
    refused_at(NODES_SOURCE, first, "first = 1", "`first` is for sources by index");
    refused_at(
        NODES_SOURCE,
        r#"source = { contract = "registry_v1", get = "getNodeAt" }"#,
        "getNodeAt",
        "needs `count",
    );
}

/// A `[governance]` section owned by a Safe, granting and revoking Fabstir V2's importer role.
const GOVERNANCE: &str = r#"
[governance]
owner = { safe = "0x00000000000000000000000000000000000000aa" }
migrator = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

[[governance.grant]]
contract = "registry_v2"
function = "grantRole"
args = ["0xcecd3a5d9d0c2f2e0b3a9c6f6f8a5b3f1d6c0e3b7a8d9e0f1a2b3c4d5e6f7a8b", "$migrator"]

[[governance.revoke]]
contract = "registry_v2"
function = "revokeRole"
args = ["0xcecd3a5d9d0c2f2e0b3a9c6f6f8a5b3f1d6c0e3b7a8d9e0f1a2b3c4d5e6f7a8b", "$migrator"]
"#;

fn with_governance(from: &str, to: &str) -> (PathBuf, String) {
    let (path, text) = fixture();
    let g = GOVERNANCE.replacen(from, to, 1);
    (path, format!("{text}{g}"))
}

#[test]
fn governance_loads_with_the_migrator_filled_in() {
    let (path, text) = with_governance("", "");
    let m = Manifest::parse(&path, &text).unwrap();
    let g = m.governance.expect("[governance]");
    let safe: alloy::primitives::Address =
        "0x00000000000000000000000000000000000000aa".parse().unwrap();
    assert_eq!(g.owner, Owner::Safe(safe));
    let migrator = g.migrator.unwrap();
    assert_eq!(g.grant[0].function.signature(), "grantRole(bytes32,address)");
    assert_eq!(g.grant[0].args[1], Arg::Value(DynSolValue::Address(migrator)));
    assert_eq!(g.revoke.len(), 1);
    assert!(fixture_loads_without_governance());
}

fn fixture_loads_without_governance() -> bool {
    let (path, text) = fixture();
    Manifest::parse(&path, &text).unwrap().governance.is_none()
}

#[test]
fn governance_errors_are_shown_at_their_line() {
    let cases = [
        // A mixed-case address with a wrong checksum.
        (
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "0x70997970c51812dc3A010C7d01b50e0d17dc79C8",
            "migrator =",
            "checksum",
        ),
        (
            "owner = { safe =",
            "owner = { account = \"0x00000000000000000000000000000000000000bb\", safe =",
            "owner =",
            "either",
        ),
        (
            "function = \"grantRole\"",
            "function = \"grantRoles\"",
            "grantRoles",
            "did you mean `grantRole`",
        ),
        ("\"$migrator\"]", "\"$owner\"]", "$owner", "unknown placeholder `$owner`"),
        (
            "\"0xcecd3a5d9d0c2f2e0b3a9c6f6f8a5b3f1d6c0e3b7a8d9e0f1a2b3c4d5e6f7a8b\", \"$migrator\"]",
            "\"0x12\", \"$migrator\"]",
            "\"0x12\"",
            "bytes32",
        ),
        (
            "migrator = \"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\"",
            "",
            "\"$migrator\"]",
            "needs `migrator",
        ),
        (
            "owner = { safe = \"0x00000000000000000000000000000000000000aa\" }",
            "owner = { safe = \"0x0\" }",
            "owner =",
            "address",
        ),
    ];
    for (from, to, at, want) in cases {
        let (path, text) = with_governance(from, to);
        let lines: Vec<&str> = text.lines().collect();
        let line = lines.iter().position(|l| l.contains(at)).unwrap_or_else(|| panic!("no `{at}`"));
        let err = match Manifest::parse(&path, &text) {
            Ok(_) => panic!("`{to}` was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(&format!("fabstir.toml:{}:", line + 1)),
            "`{to}`: line {} in: {err}",
            line + 1
        );
        assert!(err.contains(want), "`{to}`: expected `{want}` in: {err}");
    }
}
