//! `molt adapter` through the real binary: the generated Solidity compiles with forge and its
//! generated tests pass, for the three Fabstir V1 → V2 pairs and every fixture pair of the diff
//! catalog that has functions; the output is deterministic and stable under `forge fmt`; bad
//! inputs exit 2 with a hint; and on a real anvil, V1-style calls through the adapter read and
//! write V2's state.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use alloy::{
    contract::{ContractInstance, Interface},
    dyn_abi::DynSolValue,
    network::TransactionBuilder,
    primitives::{Address, U256, utils::parse_ether},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use molt_abi::Artifact;
use molt_chain::Devnet;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn tools() -> PathBuf {
    repo().join(".tools/bin")
}

/// `molt adapter <args>` with the project's toolchain on PATH (so `forge fmt` runs) unless `fmt`
/// is false.
fn molt(args: &[&str], fmt: bool) -> Output {
    let path = if fmt {
        let old = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![tools()];
        dirs.extend(std::env::split_paths(&old));
        std::env::join_paths(dirs).unwrap()
    } else {
        std::ffi::OsString::from("/nonexistent")
    };
    crate::common::run(
        crate::common::molt().current_dir(repo()).arg("adapter").args(args).env("PATH", path),
    )
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "molt failed ({:?}):\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn artifact(name: &str) -> String {
    let p = repo().join(format!("out/{name}.sol/{name}.json"));
    assert!(p.is_file(), "{} is missing: run `forge build` at the repository root", p.display());
    p.to_string_lossy().into_owned()
}

/// A Foundry project in `dir` that uses the repository's solc and OpenZeppelin, with the V2
/// sources (the generated tests deploy the real V2 contracts with `vm.deployCode`).
fn foundry_project(dir: &Path) {
    let modules = repo().join(".tools/node_modules");
    std::fs::write(
        dir.join("foundry.toml"),
        format!(
            "[profile.default]\nsrc = \".\"\ntest = \".\"\nout = \"out\"\nlibs = [\"{m}\"]\nremappings = [\"@openzeppelin/contracts/={m}/@openzeppelin/contracts/\"]\nsolc_version = \"0.8.28\"\nevm_version = \"cancun\"\noffline = true\nauto_detect_solc = false\n",
            m = modules.display()
        ),
    )
    .unwrap();
    let v2 = dir.join("v2");
    std::fs::create_dir_all(&v2).unwrap();
    for e in std::fs::read_dir(repo().join("contracts/src/v2")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, v2.join(p.file_name().unwrap())).unwrap();
    }
}

fn forge(dir: &Path, args: &[&str]) -> Output {
    Command::new(tools().join("forge"))
        .current_dir(dir)
        .args(args)
        .env("FOUNDRY_SOLC", tools().join("solc"))
        .output()
        .expect("forge runs (run scripts/setup first)")
}

fn forge_ok(dir: &Path, args: &[&str]) -> String {
    let o = forge(dir, args);
    let out =
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "forge {args:?} failed in {}:\n{out}", dir.display());
    out
}

fn summary(json: &str) -> (u64, u64, u64) {
    let v: Value = serde_json::from_str(json).unwrap();
    let s = &v["summary"];
    (
        s["forwarded"].as_u64().unwrap(),
        s["converted"].as_u64().unwrap(),
        s["stubbed"].as_u64().unwrap(),
    )
}

const PAIRS: [(&str, &str); 3] = [
    ("NodeRegistry", "node-registry"),
    ("JobMarketplace", "job-marketplace"),
    ("PaymentEscrow", "payment-escrow"),
];

#[test]
fn fabstir_and_fixture_adapters_compile_and_their_tests_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    foundry_project(project);

    let mut counts = Vec::new();
    for (c, map) in PAIRS {
        let out = project.join(c);
        let (old, new) = (artifact(&format!("{c}V1")), artifact(&format!("{c}V2")));
        let map = repo().join(format!("fixtures/adapter/{map}.toml"));
        let json = ok(&molt(
            &[
                "--json",
                "--old",
                &old,
                "--new",
                &new,
                "--map",
                map.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            true,
        ));
        counts.push((c, summary(&json)));
        // Without the mapping file: what molt decides alone.
        let raw = project.join(format!("Raw{c}"));
        let name = format!("Raw{c}");
        let json = ok(&molt(
            &[
                "--json",
                "--old",
                &old,
                "--new",
                &new,
                "--name",
                &name,
                "--out",
                raw.to_str().unwrap(),
            ],
            true,
        ));
        counts.push((c, summary(&json)));
    }
    assert_eq!(
        counts,
        [
            ("NodeRegistry", (9, 7, 1)),
            ("NodeRegistry", (10, 0, 7)),
            ("JobMarketplace", (12, 2, 0)),
            ("JobMarketplace", (12, 1, 1)),
            ("PaymentEscrow", (9, 4, 1)),
            ("PaymentEscrow", (9, 0, 5)),
        ]
    );

    let fixtures = repo().join("fixtures/diff");
    let mut kinds = Vec::new();
    for e in std::fs::read_dir(&fixtures).unwrap() {
        let dir = e.unwrap().path();
        let (old, new) = (dir.join("old.json"), dir.join("new.json"));
        let (Ok(old), Ok(new)) = (Artifact::load(&old), Artifact::load(&new)) else { continue };
        if old.abi.functions().count() == 0 {
            continue;
        }
        let kind = dir.file_name().unwrap().to_string_lossy().into_owned();
        let name: String = kind.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect();
        let out = project.join("fixtures").join(&kind);
        ok(&molt(
            &[
                "-q",
                "--old",
                old.path.to_str().unwrap(),
                "--new",
                new.path.to_str().unwrap(),
                "--name",
                &name,
                "--out",
                out.to_str().unwrap(),
            ],
            true,
        ));
        kinds.push(kind);
    }
    assert!(kinds.len() >= 15, "fixture pairs with functions: {kinds:?}");

    forge_ok(project, &["build"]);
    let test = forge_ok(project, &["test"]);
    assert!(test.contains(" 0 failed"), "{test}");
    // Every generated test suite ran: 6 Fabstir adapters and one per fixture.
    assert!(test.contains(&format!("Ran {} test suites", 6 + kinds.len())), "{test}");
}

#[test]
fn the_output_is_deterministic_and_stable_under_forge_fmt() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = (artifact("NodeRegistryV1"), artifact("NodeRegistryV2"));
    let map = repo().join("fixtures/adapter/node-registry.toml");
    let run = |dir: &str, fmt: bool| {
        let out = tmp.path().join(dir);
        let mut args = vec!["-q", "--old", &old, "--new", &new, "--map", map.to_str().unwrap()];
        let out_s = out.to_string_lossy().into_owned();
        args.extend(["--out", &out_s]);
        if !fmt {
            args.push("--no-fmt");
        }
        ok(&molt(&args, fmt));
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
            })
            .collect();
        files.sort();
        (out, files)
    };
    let (formatted, a) = run("a", true);
    let (_, b) = run("b", true);
    let (_, c) = run("c", false);
    let (_, d) = run("d", false);
    assert_eq!(a.len(), 4);
    assert_eq!(a, b, "same inputs, same bytes (formatted)");
    assert_eq!(c, d, "same inputs, same bytes (unformatted)");
    // Formatting is a fixed point: forge fmt --check accepts the formatted output.
    let names: Vec<String> = a.iter().map(|(n, _)| n.clone()).collect();
    let mut args = vec!["fmt", "--check"];
    args.extend(names.iter().map(String::as_str));
    forge_ok(&formatted, &args);
    // No placeholder besides the explicit stubs.
    let adapter = String::from_utf8(
        a.iter().find(|(n, _)| n == "NodeRegistryAdapter.sol").unwrap().1.clone(),
    )
    .unwrap();
    assert_eq!(adapter.matches("TODO(molt)").count(), 1 + 2, "{adapter}"); // the stub + 2 in the contract doc
    assert!(!adapter.contains("XXX") && !adapter.contains("FIXME"));
}

#[test]
fn bad_inputs_exit_2_with_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = (artifact("NodeRegistryV1"), artifact("NodeRegistryV2"));
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[[function]]\nold = \"getTotal()\"\nnew = \"nodeCount()\"\n").unwrap();
    let out = tmp.path().join("out");
    let o = molt(
        &[
            "--old",
            &old,
            "--new",
            &new,
            "--map",
            bad.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        false,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.toml") && err.contains("getTotal()") && err.contains("hint:"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written on an input error");

    let layout = repo().join("fixtures/diff/storage_type_changed/old.json");
    let o = molt(
        &["--old", layout.to_str().unwrap(), "--new", &new, "--out", out.to_str().unwrap()],
        false,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no ABI"), "{err}");

    let o = molt(
        &["--old", &old, "--new", &new, "--name", "9lives", "--out", out.to_str().unwrap()],
        false,
    );
    assert_eq!(o.status.code(), Some(2));
}

fn uint(v: u64) -> DynSolValue {
    DynSolValue::Uint(U256::from(v), 256)
}

fn strings(v: &[&str]) -> DynSolValue {
    DynSolValue::Array(v.iter().map(|s| DynSolValue::String((*s).into())).collect())
}

#[tokio::test]
async fn v1_calls_through_the_adapter_read_and_write_v2_state_on_anvil() {
    // Generate and compile the registry adapter.
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    foundry_project(project);
    let map = repo().join("fixtures/adapter/node-registry.toml");
    ok(&molt(
        &[
            "-q",
            "--old",
            &artifact("NodeRegistryV1"),
            "--new",
            &artifact("NodeRegistryV2"),
            "--map",
            map.to_str().unwrap(),
            "--out",
            project.join("adapter").to_str().unwrap(),
        ],
        true,
    ));
    forge_ok(project, &["build"]);
    let adapter_artifact =
        Artifact::load(project.join("out/NodeRegistryAdapter.sol/NodeRegistryAdapter.json"))
            .unwrap();

    // V2 with two migrated nodes, migration finalized.
    let devnet = Devnet::spawn().await.expect("anvil starts (run scripts/setup first)");
    let p = devnet.provider().clone();
    let v2_artifact = devnet.artifact("NodeRegistryV2").unwrap();
    let v2_addr = devnet.deploy_artifact(&v2_artifact, &[]).await.unwrap();
    let v2 = ContractInstance::new(v2_addr, p.clone(), Interface::new(v2_artifact.abi.clone()));
    let [a, b] = [devnet.accounts()[3], devnet.accounts()[4]];
    let stakes = [parse_ether("1").unwrap(), parse_ether("0.5").unwrap()];
    let fund = TransactionRequest::default().with_to(v2_addr).with_value(stakes[0] + stakes[1]);
    assert!(p.send_transaction(fund).await.unwrap().get_receipt().await.unwrap().status());
    let node = |op: Address, peer: &str, stake: U256, models: &[&str], bps: u64| {
        DynSolValue::Tuple(vec![
            DynSolValue::Address(op),
            DynSolValue::String(peer.into()),
            DynSolValue::Uint(stake, 256),
            strings(models),
            DynSolValue::String("eu-west".into()),
            uint(bps),
            uint(7),
            DynSolValue::Uint(U256::from(1_700_000_000u64), 64),
        ])
    };
    let records = vec![
        node(a, "12D3KooWa", stakes[0], &["llama-3-70b", "mistral-7b"], 9700),
        node(b, "12D3KooWb", stakes[1], &["mistral-7b"], 5049),
    ];
    for (f, args) in
        [("batchMigrateNodes", vec![DynSolValue::Array(records)]), ("finalizeMigration", vec![])]
    {
        let r = v2.function(f, &args).unwrap().send().await.unwrap().get_receipt().await.unwrap();
        assert!(r.status(), "{f}");
    }

    // The adapter, called with V1's ABI.
    let adapter_addr =
        devnet.deploy_artifact(&adapter_artifact, &[DynSolValue::Address(v2_addr)]).await.unwrap();
    let v1_abi = devnet.artifact("NodeRegistryV1").unwrap().abi;
    let v1 = ContractInstance::new(adapter_addr, p.clone(), Interface::new(v1_abi));
    let call = |f: &'static str, args: Vec<DynSolValue>| {
        let v1 = &v1;
        async move { v1.function(f, &args).unwrap().call().await.unwrap() }
    };

    let total = call("getTotalNodes", vec![]).await;
    let count = v2.function("nodeCount", &[]).unwrap().call().await.unwrap();
    assert_eq!(total, count);
    assert_eq!(total, vec![uint(2)]);
    assert_eq!(call("INITIAL_REPUTATION", vec![]).await, vec![uint(50)]);
    assert_eq!(call("MAX_REPUTATION", vec![]).await, vec![uint(100)]);
    for f in ["MIN_STAKE", "totalStaked", "owner", "paused"] {
        let direct = v2.function(f, &[]).unwrap().call().await.unwrap();
        assert_eq!(call(f, vec![]).await, direct, "{f}");
    }
    assert_eq!(
        call("isRegistered", vec![DynSolValue::Address(b)]).await,
        vec![DynSolValue::Bool(true)]
    );

    // getNodeAt / getNode: V1's Node from V2's, reputation back on V1's 0..100 scale.
    for (i, (op, rep)) in [(a, 97u64), (b, 50)].into_iter().enumerate() {
        let v2_node = v2.function("getNodeAt", &[uint(i as u64)]).unwrap().call().await.unwrap();
        let DynSolValue::Tuple(n2) = &v2_node[0] else { panic!("{v2_node:?}") };
        for via in [
            call("getNodeAt", vec![uint(i as u64)]).await,
            call("getNode", vec![DynSolValue::Address(op)]).await,
        ] {
            let DynSolValue::Tuple(n1) = &via[0] else { panic!("{via:?}") };
            assert_eq!(n1.len(), 6, "V1's Node has 6 fields");
            assert_eq!(
                &n1[..5],
                &n2[..5],
                "operator, peerId, stake, models, region as V2 holds them"
            );
            assert_eq!(n1[5], uint(rep), "reputation = reputationBps / 100");
        }
    }

    // A V1-style registration through the adapter lands in V2 (operator: the adapter).
    let stake = parse_ether("0.02").unwrap();
    let r = v1
        .function(
            "registerNode",
            &[
                DynSolValue::String("12D3KooWc".into()),
                strings(&["phi-3"]),
                DynSolValue::String("us-east".into()),
            ],
        )
        .unwrap()
        .from(devnet.accounts()[5])
        .value(stake)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    assert_eq!(v2.function("nodeCount", &[]).unwrap().call().await.unwrap(), vec![uint(3)]);
    let mine = v2
        .function("getNode", &[DynSolValue::Address(adapter_addr)])
        .unwrap()
        .call()
        .await
        .unwrap();
    let DynSolValue::Tuple(n) = &mine[0] else { panic!("{mine:?}") };
    assert_eq!((n[1].as_str(), n[2].as_uint()), (Some("12D3KooWc"), Some((stake, 256))));
    assert_eq!(n[6], uint(0), "pricePerToken from the mapping file");
    assert_eq!(p.get_balance(adapter_addr).await.unwrap(), U256::ZERO, "the stake went on to V2");

    // The stub reverts with NotSupportedByAdapter(transferStakes.selector).
    let err = v1
        .function("transferStakes", &[DynSolValue::Address(a)])
        .unwrap()
        .call()
        .await
        .unwrap_err()
        .to_string();
    let data = format!("{:x}", alloy::primitives::keccak256("NotSupportedByAdapter(bytes4)"));
    assert!(err.contains(&data[..8]) && err.contains("f3f46c3c"), "{err}");
}
