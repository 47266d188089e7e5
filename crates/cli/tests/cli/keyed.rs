//! Keyed sources (issue #9) on a real anvil with the staking-vault fixture
//! (contracts/test/fixtures/init): positions in a mapping whose keys are `Staked` logs (one
//! staker unstaked since: a deleted entry, filtered out), claims keyed by (user, epoch) from
//! `Claimed` logs, epochs in an array (`$index`); keys from files; a resumed run that reuses
//! the backup's keys; bad input refused at its manifest line with nothing sent.

use std::path::{Path, PathBuf};

use alloy::{
    dyn_abi::DynSolValue,
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol,
    sol_types::SolCall,
};
use molt_chain::Devnet;
use serde_json::Value;
use tempfile::TempDir;

use crate::common::{Untouched, edit, migrate_in, molt, refused, report, run, stderr};

sol! {
    function mint(address to, uint256 amount) external;
    function approve(address spender, uint256 amount) external returns (bool);
    function stake(uint256 amount, uint8 boost) external;
    function unstake() external;
    function addEpoch(uint256 reward, uint64 start, uint64 end) external;
    function claim(uint256 epoch) external;
}

/// A vault V1 with four stakers (the third unstaked since, the first staked twice), two epochs
/// and three claims, an empty V2, and a folder with the manifest.
struct Vault {
    devnet: Devnet,
    dir: TempDir,
    v1: Address,
    v2: Address,
    url: String,
    stakers: Vec<Address>,
}

impl Vault {
    async fn new() -> Self {
        let devnet = Devnet::spawn().await.unwrap();
        let token = devnet
            .deploy(
                "TestToken",
                &[
                    DynSolValue::String("Stake".into()),
                    DynSolValue::String("STK".into()),
                    DynSolValue::Uint(U256::from(18), 8),
                ],
            )
            .await
            .unwrap();
        let v1 = devnet.deploy("StakingVaultV1", &[DynSolValue::Address(token)]).await.unwrap();
        let v2 = devnet.deploy("StakingVaultV2", &[]).await.unwrap();
        let accounts = devnet.accounts();
        let stakers = accounts[1..=4].to_vec();
        let owner = accounts[0];
        let url = devnet.endpoint();
        let vault = Self { devnet, dir: tempfile::tempdir().unwrap(), v1, v2, url, stakers };
        for (i, &s) in vault.stakers.iter().enumerate() {
            let amount = U256::from(100 * (i + 1));
            vault.send(owner, token, mintCall { to: s, amount }.abi_encode()).await;
            vault.send(s, token, approveCall { spender: v1, amount: U256::MAX }.abi_encode()).await;
            let boost = 10 * (i as u8 + 1);
            vault.send(s, v1, stakeCall { amount, boost }.abi_encode()).await;
        }
        vault
            .send(
                owner,
                token,
                mintCall { to: vault.stakers[0], amount: U256::from(5) }.abi_encode(),
            )
            .await;
        let again = stakeCall { amount: U256::from(5), boost: 50 };
        vault.send(vault.stakers[0], v1, again.abi_encode()).await;
        for id in 0..2u64 {
            let epoch = addEpochCall { reward: U256::from(1000 + id), start: id, end: id + 1 };
            vault.send(owner, v1, epoch.abi_encode()).await;
        }
        for (s, epoch) in [(0, 0u64), (1, 0), (1, 1)] {
            vault
                .send(vault.stakers[s], v1, claimCall { epoch: U256::from(epoch) }.abi_encode())
                .await;
        }
        vault.send(vault.stakers[2], v1, unstakeCall {}.abi_encode()).await;
        vault.write(&manifest(vault.at(), POSITIONS_FROM_EVENTS, CLAIMS_FROM_EVENTS));
        vault
    }

    /// Sends a transaction from an unlocked anvil account and waits for it to succeed.
    async fn send(&self, from: Address, to: Address, data: Vec<u8>) {
        let tx = TransactionRequest::default().from(from).to(to).input(data.into());
        let receipt =
            self.devnet.provider().send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
        assert!(receipt.status(), "a setup transaction reverted");
    }

    /// The node's URL and the two vaults' addresses.
    fn at(&self) -> (&str, Address, Address) {
        (&self.url, self.v1, self.v2)
    }

    fn manifest(&self) -> PathBuf {
        self.dir.path().join("molt.toml")
    }

    fn write(&self, text: &str) {
        std::fs::write(self.manifest(), text).unwrap();
    }

    fn molt(&self) -> std::process::Command {
        let mut c = molt();
        c.current_dir(self.dir.path());
        c
    }

    /// `molt migrate --yes --json` in the folder, as [`crate::common::Project::migrate`].
    fn migrate(&self, crash_at: Option<&str>) -> std::process::Output {
        migrate_in(self.dir.path(), crash_at)
    }

    /// Replaces the first `from` in the manifest with `to` (see [`edit`]).
    fn edit(&self, from: &str, to: &str) {
        edit(&self.manifest(), from, to);
    }

    fn component<'a>(report: &'a Value, name: &str) -> &'a Value {
        report["components"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
    }

    /// Refused at load or pre-check: exit 2, one error naming `want`, and nothing sent.
    async fn assert_refused(&self, text: &str, want: &[&str]) {
        self.write(text);
        let before = Untouched::note(&self.devnet).await;
        refused(self.molt().args(["migrate", "--yes"]), want);
        let p = self.devnet.provider();
        let nonce = p.get_transaction_count(self.devnet.accounts()[0]).await.unwrap();
        assert_eq!(nonce, before.nonce(), "a transaction was sent for {want:?}");
    }
}

const POSITIONS_FROM_EVENTS: &str = r#"source = { contract = "vault_v1", get = "positions(address)", keys = { event = "Staked(address indexed user, uint256 amount)", arg = "user", from_block = 0 } }"#;
const CLAIMS_FROM_EVENTS: &str = r#"source = { contract = "vault_v1", get = "claims", keys = { event = "Claimed", args = ["user", "epoch"] } }"#;

/// The manifest with the two keyed sources given (the epochs enumerated by index).
fn manifest(vault: (&str, Address, Address), positions: &str, claims: &str) -> String {
    let (rpc_url, v1, v2) = vault;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../out");
    let abi = |n: &str| out.join(format!("{n}.sol/{n}.json")).display().to_string();
    format!(
        r#"[network]
rpc_url = "{rpc_url}"
chain_id = 31337

[contracts]
vault_v1 = {{ address = "{v1}", abi = "{a1}" }}
vault_v2 = {{ address = "{v2}", abi = "{a2}" }}

[[pause]]
contract = "vault_v1"
call = "pause"
paused = "paused"

[[component]]
name = "positions"
{positions}
target = {{ contract = "vault_v2", import = "importPositions" }}
key = "user"
filter = [{{ field = "amount", nonzero = true }}, {{ field = "$key", not_in = ["0x000000000000000000000000000000000000dEaD"] }}]
map.user = "$key"
map.boostBps = {{ from = "boost", mul = 100 }}
map.lockedUntil = {{ default = true }}
verify = {{ get = "positionOf", args = ["user"], digest = "positionsDigest", count = "positionsCount" }}

[[component]]
name = "epochs"
source = {{ contract = "vault_v1", count = "epochCount", get = "epochs" }}
target = {{ contract = "vault_v2", import = "importEpochs" }}
key = "id"
map.id = "$index"
verify = {{ get = "getEpoch", args = ["id"], digest = "epochsDigest", count = "epochsCount" }}

[[component]]
name = "claims"
{claims}
target = {{ contract = "vault_v2", import = "importClaims" }}
key = ["user", "epoch"]
map.user = "$key.user"
map.epoch = "$key.1"
map.claimedAt = "at"
verify = {{ get = "claimOf", args = ["user", "epoch"], digest = "claimsDigest", count = "claimsCount" }}

[[finalize]]
contract = "vault_v2"
function = "finalizeMigration"
"#,
        a1 = abi("StakingVaultV1"),
        a2 = abi("StakingVaultV2"),
    )
}

/// The counts a keyed migration must report: what was read, filtered out and migrated.
fn counts(report: &Value, name: &str) -> (u64, u64, u64) {
    let c = Vault::component(report, name);
    assert_eq!(c["verified"], true, "{c}");
    let n = |k: &str| c[k].as_u64().unwrap_or_else(|| panic!("no `{k}` in {c}"));
    (n("read"), n("filtered"), n("source_count"))
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_from_events_migrate_and_verify_skipping_deleted_entries() {
    let vault = Vault::new().await;
    let r = report(&vault.migrate(None));
    assert_eq!(r["verified"], true, "{r}");
    // Four stakers (one staked twice: five logs); the one who unstaked reads as zeros.
    assert_eq!(counts(&r, "positions"), (4, 1, 3));
    let from = &Vault::component(&r, "positions")["keys_from"];
    assert_eq!(
        (&from["from"], &from["event"], &from["logs"]),
        (&"event".into(), &"Staked".into(), &5.into())
    );
    assert_eq!(from["to_block"], r["snapshot_block"]);
    assert_eq!(counts(&r, "claims"), (3, 0, 3));
    assert_eq!(counts(&r, "epochs"), (2, 0, 2));
    assert!(Vault::component(&r, "epochs").get("keys_from").is_none());

    // The backup holds the keys, in first-appearance order; `molt verify` reads them there.
    let backup: Value =
        serde_json::from_str(&std::fs::read_to_string(r["backup"].as_str().unwrap()).unwrap())
            .unwrap();
    let keys = backup["components"]["positions"]["keys"].as_array().unwrap();
    let stakers: Vec<Value> =
        vault.stakers.iter().map(|s| Value::Array(vec![s.to_checksum(None).into()])).collect();
    assert_eq!(keys, &stakers);
    let claims = &backup["components"]["claims"]["keys"];
    assert_eq!(claims[2], serde_json::json!([vault.stakers[1].to_checksum(None), "1"]));
    let verify = run(vault.molt().arg("verify"));
    assert!(verify.status.success(), "{}", stderr(&verify));
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_from_files_next_to_the_manifest() {
    let vault = Vault::new().await;
    let [a, b, c, d] = [0, 1, 2, 3].map(|i| vault.stakers[i].to_checksum(None));
    // One key per line, a comment, a duplicate; a JSON array of [user, epoch] pairs.
    let lines = format!("# stakers\n{a}\n{b}\n{a}\n{c}  # unstaked\n{d}\n");
    std::fs::write(vault.dir.path().join("stakers.txt"), lines).unwrap();
    let pairs = format!(r#"[["{a}", 0], ["{b}", "0"], ["{b}", 1]]"#);
    std::fs::write(vault.dir.path().join("claims.json"), pairs).unwrap();
    let text = manifest(
        vault.at(),
        r#"source = { contract = "vault_v1", get = "positions", keys = { file = "stakers.txt" } }"#,
        r#"source = { contract = "vault_v1", get = "claims", keys = { file = "claims.json" } }"#,
    );
    vault.write(&text);
    // Key parts are named after event arguments only; file keys are `$key.N`.
    vault.edit("$key.user", "$key.0");
    let r = report(&vault.migrate(None));
    assert_eq!(counts(&r, "positions"), (4, 1, 3));
    assert_eq!(counts(&r, "claims"), (3, 0, 3));
    assert_eq!(Vault::component(&r, "positions")["keys_from"]["from"], "file");
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_from_another_components_records() {
    let vault = Vault::new().await;
    // The positions of the stakers who claimed (the users of the claims, deduplicated), read
    // again and folded into the positions' digest after the positions themselves.
    let claimers = r#"
[[component]]
name = "claimers"
source = { contract = "vault_v1", get = "positions", keys = { component = "claims", field = "$key.0" } }
target = { contract = "vault_v2", import = "importPositions" }
key = "user"
map.user = "$key"
map.boostBps = { from = "boost", mul = 100 }
map.lockedUntil = { default = true }
verify = { get = "positionOf", args = ["user"], digest_shared_with = "positions" }
"#;
    vault.edit("[[finalize]]", &format!("{claimers}\n[[finalize]]"));
    // The plan says where the keys came from and what the filter left out.
    let plan = run(vault.molt().arg("plan"));
    let said = crate::common::stdout(&plan);
    assert!(plan.status.success(), "{said}\n{}", stderr(&plan));
    for want in [
        "keys: 4 from 5 Staked logs in blocks 0..",
        "filtered out 1 of 4 records read",
        "keys: 2 from the records of `claims`",
    ] {
        assert!(said.contains(want), "no `{want}` in:\n{said}");
    }
    let r = report(&vault.migrate(None));
    assert_eq!(r["verified"], true, "{r}");
    assert_eq!(counts(&r, "claimers"), (2, 0, 2));
    let from = &Vault::component(&r, "claimers")["keys_from"];
    assert_eq!((&from["from"], &from["component"]), (&"component".into(), &"claims".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_run_reads_the_keys_from_the_backup_and_does_not_scan_again() {
    let vault = Vault::new().await;
    // `mined:1` is V1's pause; the first batch comes after the snapshot.
    let crashed = vault.migrate(Some("mined:2"));
    assert!(!crashed.status.success(), "the run was to abort after its first batch");
    let journal = std::fs::read_to_string(vault.dir.path().join("molt.toml.molt-journal")).unwrap();
    let block = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find_map(|e| {
            e["block"].as_u64().filter(|_| e["kind"] == "snapshot" || e.get("backup").is_some())
        })
        .unwrap_or_else(|| panic!("no snapshot entry:\n{journal}\n{}", stderr(&crashed)));
    // Blocks mined since: a new scan would end at a later block.
    vault.devnet.anvil_call("anvil_mine", (U256::from(5),)).await.unwrap();
    let r = report(&vault.migrate(None));
    assert_eq!(r["verified"], true, "{r}");
    assert_eq!(r["snapshot_block"], block);
    assert_eq!(Vault::component(&r, "positions")["keys_from"]["to_block"], block);
    assert_eq!(counts(&r, "positions"), (4, 1, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_while_it_snapshots_scans_again_and_verifies() {
    let vault = Vault::new().await;
    // `backup:1`: the keys are scanned and the backup written, the snapshot not journaled yet.
    let crashed = vault.migrate(Some("backup:1"));
    assert!(stderr(&crashed).contains("aborting here"), "{}", stderr(&crashed));
    let head = alloy::providers::Provider::get_block_number(vault.devnet.provider()).await.unwrap();
    vault.devnet.anvil_call("anvil_mine", (U256::from(5),)).await.unwrap();
    let r = report(&vault.migrate(None));
    assert!(r["snapshot_block"].as_u64().unwrap() > head, "the crashed run's snapshot was reused");
    assert_eq!((&r["verified"], &r["finalized"]), (&true.into(), &true.into()), "{r}");
    // Nothing was journaled as the snapshot: the resumed run took its own, keys and all.
    let positions = Vault::component(&r, "positions");
    assert_eq!(positions["keys_from"]["to_block"], r["snapshot_block"], "{positions}");
    assert_eq!(counts(&r, "positions"), (4, 1, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_keys_are_refused_at_their_manifest_line_with_nothing_sent() {
    let vault = Vault::new().await;
    let with = |positions: &str| manifest(vault.at(), positions, CLAIMS_FROM_EVENTS);
    let source = |keys: &str| {
        format!(
            r#"source = {{ contract = "vault_v1", get = "positions(address)", keys = {keys} }}"#
        )
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        (source(r#"{ event = "Deposited", arg = "user" }"#), vec!["molt.toml:16:", "has no event `Deposited`", "Staked(address,uint256)"]),
        (source(r#"{ event = "Staked", arg = "staker" }"#), vec!["molt.toml:16:", "has no argument `staker`", "user, amount"]),
        (source(r#"{ event = "Staked", arg = "amount" }"#), vec!["molt.toml:16:", "`amount` of `Staked` is uint256", "takes address"]),
        (source(r#"{ file = "missing.txt" }"#), vec!["molt.toml:16:", "missing.txt", "cannot read it"]),
        (source(r#"{ file = "short.txt" }"#), vec!["molt.toml:16:", "short.txt: line 2", "`0x12` is not an address"]),
        (source(r#"{ file = "bad.json" }"#), vec!["molt.toml:16:", "bad.json: not valid JSON"]),
        (source(r#"{ event = "Staked", arg = "user", from_block = 1000000 }"#), vec!["molt.toml:16:", "`from_block` 1000000 is after the node's latest block"]),
        (source(r#"{ event = "Staked", arg = "user", file = "x" }"#), vec!["molt.toml:16:", "`keys` takes one of"]),
        (
            r#"source = { contract = "vault_v1", count = "epochCount", get = "positions", keys = { file = "x" } }"#.into(),
            vec!["molt.toml:16:", "either `count`"],
        ),
    ];
    std::fs::write(vault.dir.path().join("short.txt"), format!("{}\n0x12\n", vault.stakers[0]))
        .unwrap();
    std::fs::write(vault.dir.path().join("bad.json"), "[\"0x\",").unwrap();
    for (positions, want) in cases {
        vault.assert_refused(&with(&positions), &want).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_without_eth_get_logs_is_refused_with_the_hint_of_a_keys_file() {
    let vault = Vault::new().await;
    let url = no_logs_node(vault.devnet.endpoint());
    vault.write(&manifest((&url, vault.v1, vault.v2), POSITIONS_FROM_EVENTS, CLAIMS_FROM_EVENTS));
    let before = Untouched::note(&vault.devnet).await;
    let err = refused(
        vault.molt().args(["migrate", "--yes"]),
        &[
            "molt.toml:16:",
            "component `positions`",
            "cannot be discovered on this node",
            "keys = { file",
        ],
    );
    assert!(!err.contains("claims"), "one error, for the first component: {err}");
    let nonce =
        vault.devnet.provider().get_transaction_count(vault.devnet.accounts()[0]).await.unwrap();
    assert_eq!(nonce, before.nonce(), "a transaction was sent");
}

/// A JSON-RPC endpoint in front of `upstream` that answers `eth_getLogs` as a node that does
/// not serve it ("method not found", -32601) and forwards everything else.
fn no_logs_node(upstream: String) -> String {
    use std::net::TcpListener;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_owned();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || serve_without_logs(conn, &upstream));
        }
    });
    url
}

fn serve_without_logs(mut conn: std::net::TcpStream, upstream: &str) {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let request: Value = serde_json::from_slice(&body).unwrap();
        let reply = if request["method"] == "eth_getLogs" {
            serde_json::json!({ "jsonrpc": "2.0", "id": request["id"], "error": { "code": -32601, "message": "Method not found" } }).to_string()
        } else {
            let mut up = std::net::TcpStream::connect(upstream).unwrap();
            write!(up, "POST / HTTP/1.1\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n").unwrap();
            up.write_all(&body).unwrap();
            let mut response = Vec::new();
            up.read_to_end(&mut response).unwrap();
            let at = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            String::from_utf8(response[at..].to_vec()).unwrap()
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            reply.len()
        );
        if conn.write_all(head.as_bytes()).and_then(|()| conn.write_all(reply.as_bytes())).is_err()
        {
            return;
        }
    }
}
