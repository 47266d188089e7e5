//! The snapshot of a keyed source against an enumerable one of the same size (issue #9): 50,000
//! staking-vault positions read by key (`positions(address)`, keys from a file) and 50,000
//! epochs read by index (`epochs(i)`), on an anvil whose genesis holds the V1 vault with that
//! storage (written directly: seeding 100,000 records through transactions would take far
//! longer than what is measured). A measurement, not a check: run it with
//! `cargo test -p molt-migrate --test keyed_bench -- --ignored --nocapture` (`MOLT_BENCH_N` sets
//! the size). Figures are in docs/benchmarks.md.

use std::{fmt::Write as _, path::Path, time::Instant};

use alloy::primitives::{Address, B256, U256, keccak256};
use molt_chain::Devnet;
use molt_migrate::{Manifest, snapshot::Snapshot};
use serde_json::json;

const VAULT: &str = "0x00000000000000000000000000000000000b0b01";

/// The storage slot `keccak256(abi.encode(key, slot))` of a mapping entry.
fn mapping_slot(key: Address, slot: u64) -> U256 {
    let mut buf = [0u8; 64];
    buf[12..32].copy_from_slice(key.as_slice());
    buf[32..].copy_from_slice(&U256::from(slot).to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(buf).0)
}

fn word(v: U256) -> String {
    B256::from(v).to_string()
}

/// A genesis with the V1 vault holding `n` positions and `n` epochs, and the stakers' keys file.
fn genesis(dir: &Path, n: u64) -> std::path::PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifact: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("out/StakingVaultV1.sol/StakingVaultV1.json")).unwrap(),
    )
    .unwrap();
    let mut storage = serde_json::Map::new();
    let mut keys = String::new();
    // positions: slot 1; a Position is (amount) and (since | boost << 64).
    for i in 0..n {
        let user = Address::from_word(B256::from(U256::from(i + 1)));
        writeln!(keys, "{user}").unwrap();
        let base = mapping_slot(user, 1);
        storage.insert(word(base), json!(word(U256::from(i + 1))));
        storage.insert(
            word(base + U256::from(1)),
            json!(word(U256::from(1) | (U256::from(10) << 64))),
        );
    }
    // epochs: slot 2 holds the length; element i at keccak256(2) + 2i: (reward), (start | end << 64).
    storage.insert(word(U256::from(2)), json!(word(U256::from(n))));
    let start = U256::from_be_bytes(keccak256(U256::from(2).to_be_bytes::<32>()).0);
    for i in 0..n {
        let at = start + U256::from(2 * i);
        storage.insert(word(at), json!(word(U256::from(i + 1))));
        storage.insert(
            word(at + U256::from(1)),
            json!(word(U256::from(i) | (U256::from(i + 1) << 64))),
        );
    }
    std::fs::write(dir.join("stakers.txt"), keys).unwrap();
    let genesis = json!({
        "config": { "chainId": 31337 },
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "alloc": { VAULT: { "balance": "0x0", "code": artifact["deployedBytecode"]["object"], "storage": storage } },
    });
    let path = dir.join("genesis.json");
    std::fs::write(&path, genesis.to_string()).unwrap();
    path
}

/// A manifest migrating one component of the vault.
fn manifest(dir: &Path, component: &str) -> Manifest {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../out");
    let abi = |n: &str| out.join(format!("{n}.sol/{n}.json")).display().to_string();
    let body = match component {
        "positions" => {
            r#"name = "positions"
source = { contract = "vault_v1", get = "positions", keys = { file = "stakers.txt" } }
target = { contract = "vault_v2", import = "importPositions" }
key = "user"
map.user = "$key"
map.boostBps = { from = "boost", mul = 100 }
map.lockedUntil = { default = true }
verify = { get = "positionOf", args = ["user"], digest = "positionsDigest", count = "positionsCount" }"#
        }
        _ => {
            r#"name = "epochs"
source = { contract = "vault_v1", count = "epochCount", get = "epochs" }
target = { contract = "vault_v2", import = "importEpochs" }
key = "id"
map.id = "$index"
verify = { get = "getEpoch", args = ["id"], digest = "epochsDigest", count = "epochsCount" }"#
        }
    };
    let text = format!(
        "[network]\nchain_id = 31337\n\n[contracts]\nvault_v1 = {{ address = \"{VAULT}\", abi = \"{}\" }}\nvault_v2 = {{ address = \"0x00000000000000000000000000000000000b0b02\", abi = \"{}\" }}\n\n[[component]]\n{body}\n",
        abi("StakingVaultV1"),
        abi("StakingVaultV2")
    );
    let path = dir.join(format!("{component}.toml"));
    std::fs::write(&path, &text).unwrap();
    Manifest::load(&path).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn snapshot_of_keyed_records_against_enumerable_ones() {
    let n: u64 = std::env::var("MOLT_BENCH_N").ok().and_then(|s| s.parse().ok()).unwrap_or(50_000);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let genesis = genesis(dir.path(), n);
    let devnet =
        Devnet::builder().arg("--init").arg(genesis.display().to_string()).spawn().await.unwrap();
    println!("genesis with {n} positions and {n} epochs: {:.1} s", started.elapsed().as_secs_f64());
    let block = alloy::providers::Provider::get_block_number(devnet.provider()).await.unwrap();
    for component in ["epochs", "positions", "epochs", "positions"] {
        let t = Instant::now();
        let m = manifest(dir.path(), component);
        let load = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let snap = Snapshot::take(devnet.provider(), &m, 31337, block).await.unwrap();
        let secs = t.elapsed().as_secs_f64();
        let c = &snap.components[component];
        assert_eq!(c.records.len() as u64, n);
        let rate = n as f64 / secs;
        println!(
            "{component:<9} {n} records in {secs:.2} s ({rate:.0} records/s); manifest loaded in {load:.2} s"
        );
    }
}
