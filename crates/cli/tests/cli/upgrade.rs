//! `molt upgrade` against real anvils: a UUPS counter and a Transparent box behind proxies
//! governed by a real 2-of-3 Safe 1.4.1 (installed and created through its factory). The
//! upgrade is rehearsed on a fork; the batch's safeTxHash is the Safe's own
//! `getTransactionHash`, and the batch, signed by two owners, upgrades the real proxy.

use std::{path::PathBuf, process::Command};

use alloy::{
    dyn_abi::DynSolValue,
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, U256, hex},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol,
    sol_types::SolCall,
};
use molt_chain::{
    Devnet,
    safe::{self, Safe, SafeSetup, SafeSignature, SafeTx},
};
use serde_json::Value;
use tempfile::TempDir;

use crate::common::{molt, refused, run, stderr, stdout};

sol! {
    function initialize(address owner) external;
    function increment() external;
    function count() external view returns (uint256);
    function version() external view returns (uint256);
}

/// `bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`.
const IMPLEMENTATION_SLOT: &str =
    "360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

/// A proxy on a fresh anvil, governed by a 2-of-3 Safe of dev accounts 1..3.
pub(crate) struct Upgradeable {
    pub(crate) devnet: Devnet,
    safe: Safe,
    proxy: Address,
    implementation: Address,
    pub(crate) out: TempDir,
}

impl Upgradeable {
    /// UupsCounterV1 behind an ERC1967Proxy, owned by the Safe, counted up twice by account 0.
    pub(crate) async fn uups() -> Self {
        let (devnet, safe) = with_safe().await;
        let implementation = devnet.deploy("UupsCounterV1", &[]).await.unwrap();
        let init = initializeCall { owner: safe.address() }.abi_encode();
        let args = [DynSolValue::Address(implementation), DynSolValue::Bytes(init)];
        let proxy = devnet.deploy("ERC1967Proxy", &args).await.unwrap();
        let me = Self { devnet, safe, proxy, implementation, out: tempfile::tempdir().unwrap() };
        for _ in 0..2 {
            me.send(proxy, incrementCall {}.abi_encode()).await;
        }
        me
    }

    /// BoxV1 behind a TransparentUpgradeableProxy whose ProxyAdmin the Safe owns.
    async fn transparent() -> Self {
        let (devnet, safe) = with_safe().await;
        let implementation = devnet.deploy("BoxV1", &[]).await.unwrap();
        sol! { function initialize(uint256 value) external; }
        let init = initializeCall { value: U256::from(42) }.abi_encode();
        let args = [
            DynSolValue::Address(implementation),
            DynSolValue::Address(safe.address()),
            DynSolValue::Bytes(init),
        ];
        let proxy = devnet.deploy("TransparentUpgradeableProxy", &args).await.unwrap();
        Self { devnet, safe, proxy, implementation, out: tempfile::tempdir().unwrap() }
    }

    async fn send(&self, to: Address, input: Vec<u8>) {
        let tx = TransactionRequest::default().with_to(to).with_input(input);
        let p = self.devnet.provider();
        assert!(p.send_transaction(tx).await.unwrap().get_receipt().await.unwrap().status());
    }

    fn artifact(&self, name: &str) -> PathBuf {
        self.devnet.toolchain().out_dir().join(format!("{name}.sol/{name}.json"))
    }

    /// `molt upgrade --proxy <proxy> --old <old> --new <new> --rpc-url .. --out ..`.
    fn upgrade(&self, old: &str, new: &str) -> Command {
        self.upgrade_at(&self.devnet.endpoint(), old, new)
    }

    /// [`Self::upgrade`] through the node URL `url`.
    pub(crate) fn upgrade_at(&self, url: &str, old: &str, new: &str) -> Command {
        let mut c = molt();
        c.arg("upgrade").arg("--proxy").arg(self.proxy.to_string());
        c.arg("--old").arg(self.artifact(old)).arg("--new").arg(self.artifact(new));
        c.args(["--rpc-url", url]).arg("--out").arg(self.out.path());
        c
    }

    async fn view(&self, input: Vec<u8>) -> U256 {
        let tx = TransactionRequest::default().with_to(self.proxy).with_input(input);
        U256::from_be_slice(&self.devnet.provider().call(tx).await.unwrap())
    }

    async fn implementation_now(&self) -> Address {
        let slot =
            U256::from_be_bytes(B256::from_slice(&hex::decode(IMPLEMENTATION_SLOT).unwrap()).0);
        let word = self.devnet.provider().get_storage_at(self.proxy, slot).await.unwrap();
        Address::from_word(word.into())
    }

    async fn head(&self) -> u64 {
        self.devnet.provider().get_block_number().await.unwrap()
    }

    /// The SafeTx the report's batch describes, and the hash the report printed.
    fn batch_tx(report: &Value) -> (SafeTx, B256) {
        let b = &report["report"]["batch"];
        let parse = |k: &str| b[k].as_str().unwrap().to_owned();
        let tx = SafeTx::call(
            parse("to").parse().unwrap(),
            U256::ZERO,
            parse("data").parse::<Bytes>().unwrap(),
            U256::from(b["nonce"].as_u64().unwrap()),
        );
        (tx, parse("safe_tx_hash").parse().unwrap())
    }
}

async fn with_safe() -> (Devnet, Safe) {
    let devnet = Devnet::spawn().await.expect("anvil starts (run scripts/setup first)");
    let addresses = safe::install(&devnet).await.unwrap_or_else(|e| panic!("{e}"));
    let setup = SafeSetup::new(devnet.accounts()[1..4].to_vec(), 2);
    let from = devnet.accounts()[0];
    let at = safe::create_safe(devnet.provider(), from, &addresses, &setup).await.unwrap();
    let safe = Safe::new(at, devnet.chain_id(), devnet.provider().clone());
    (devnet, safe)
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\nstderr: {}", stdout(out), stderr(out)))
}

#[tokio::test]
async fn a_compatible_uups_upgrade_rehearses_and_its_batch_upgrades_the_real_proxy() {
    let f = Upgradeable::uups().await;
    let deployer = f.devnet.accounts()[0];
    let nonce = f.devnet.provider().get_transaction_count(deployer).await.unwrap();
    let mut cmd = f.upgrade("UupsCounterV1", "UupsCounterV2");
    cmd.args(["--call", "initializeV2(uint256)", "--args", "500", "--check", "count()"]);
    cmd.args(["--check", &format!("balances(address) {deployer}"), "--check", "owner()"]);
    let out = run(cmd.arg("--json"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_of(&out);
    let r = &report["report"];
    assert_eq!(report["schema"], "molt.upgrade/1");
    assert_eq!(r["verdict"], "ready");
    assert_eq!(r["proxy"]["kind"], "uups");
    assert_eq!(r["rehearsal"]["outcome"]["status"], "upgraded");
    let checks = r["rehearsal"]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 3);
    assert!(checks.iter().all(|c| c["ok"] == true), "{checks:?}");
    assert_eq!(checks[0]["before"], "2");

    // Only the implementation was deployed: one transaction of the signer, the proxy and the
    // Safe as they were.
    let new_impl: Address = r["deployment"]["address"].as_str().unwrap().parse().unwrap();
    assert_eq!(new_impl, deployer.create(nonce));
    assert_eq!(f.devnet.provider().get_transaction_count(deployer).await.unwrap(), nonce + 1);
    assert!(!f.devnet.provider().get_code_at(new_impl).await.unwrap().is_empty());
    assert_eq!(f.implementation_now().await, f.implementation);
    assert_eq!(f.safe.nonce().await.unwrap(), U256::ZERO);

    // The batch's hash is the Safe's; the file holds the same call.
    let (tx, hash) = Upgradeable::batch_tx(&report);
    assert_eq!(f.safe.onchain_tx_hash(&tx).await.unwrap(), hash);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(r["batch_file"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(file["chainId"], "31337");
    assert_eq!(file["meta"]["createdFromSafeAddress"], f.safe.address().to_checksum(None));
    let t = &file["transactions"][0];
    assert_eq!(t["to"], f.proxy.to_checksum(None));
    // As the app (and `molt safe sign`) reads it: checksum valid, the method and its values
    // encode to the SafeTx's calldata.
    let batch_path = std::path::Path::new(r["batch_file"].as_str().unwrap());
    let batch = molt_migrate::governance::batch::BatchFile::read(batch_path).unwrap();
    assert_eq!(batch.calls().unwrap()[0].data, tx.data);
    assert_eq!(t["contractMethod"]["name"], "upgradeToAndCall");
    assert_eq!(t["contractInputsValues"]["newImplementation"], new_impl.to_string());
    assert!(file["meta"]["description"].as_str().unwrap().contains(&hash.to_string()));

    // Two owners sign it and it upgrades the real proxy, the state kept.
    let sigs = [
        SafeSignature::sign(f.devnet.signer(1), hash).unwrap(),
        SafeSignature::sign(f.devnet.signer(2), hash).unwrap(),
    ];
    // From account 4: the devnet provider's cached nonce of account 0 is behind molt's deployment.
    f.safe.exec(f.devnet.accounts()[4], &tx, &sigs).await.unwrap();
    assert_eq!(f.implementation_now().await, new_impl);
    assert_eq!(f.view(versionCall {}.abi_encode()).await, U256::from(2));
    assert_eq!(f.view(countCall {}.abi_encode()).await, U256::from(2));
}

#[tokio::test]
async fn a_transparent_proxy_is_upgraded_by_its_proxy_admin_and_a_dry_run_sends_nothing() {
    let f = Upgradeable::transparent().await;
    let head = f.head().await;
    let deployer = f.devnet.accounts()[0];
    let nonce = f.devnet.provider().get_transaction_count(deployer).await.unwrap();
    let mut cmd = f.upgrade("BoxV1", "BoxV2");
    let out = run(cmd.args(["--check", "value() == 42", "--dry-run"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("(Transparent, ProxyAdmin 0x"), "{text}");
    assert!(text.contains("governed by the Safe") && text.contains("(2 of 3 owners)"), "{text}");
    assert!(text.contains("ok       value() == 42: 42"), "{text}");
    assert!(
        text.contains(&format!(
            "dry run: nothing sent; the batch assumes the new implementation at {}",
            deployer.create(nonce)
        )),
        "{text}"
    );
    assert!(text.contains(".upgradeAndCall("), "{text}");
    assert_eq!(f.head().await, head, "a dry run sends nothing");

    let checks = f.out.path().join("checks.toml");
    std::fs::write(&checks, "[[check]]\nname = \"the value is kept\"\nfunction = \"value\"\n\n[[check]]\nfunction = \"version()\"\nexpect = \"2\"\n").unwrap();
    let out =
        run(f.upgrade("BoxV1", "BoxV2").args(["--dry-run", "--json", "--checks"]).arg(&checks));
    let report = json_of(&out);
    assert_eq!(report["report"]["proxy"]["kind"], "transparent");
    let results = report["report"]["rehearsal"]["checks"].as_array().unwrap();
    assert_eq!(results[0]["name"], "the value is kept");
    assert_eq!((&results[0]["after"], &results[0]["ok"]), (&Value::from("42"), &Value::Bool(true)));
    assert_eq!(
        (&results[1]["before"], &results[1]["after"]),
        (&Value::from("1"), &Value::from("2"))
    );
    assert_eq!(results[1]["ok"], true);
    let (tx, hash) = Upgradeable::batch_tx(&report);
    let admin: Address = report["report"]["proxy"]["admin"].as_str().unwrap().parse().unwrap();
    assert_eq!(tx.to, admin);
    assert_eq!(f.safe.onchain_tx_hash(&tx).await.unwrap(), hash);
    let shown = format!("safeTxHash    {hash}");
    assert!(text.contains(&shown), "{text}");
}

#[tokio::test]
async fn a_breaking_layout_is_refused_unless_forced_and_shows_the_changed_invariant() {
    let f = Upgradeable::uups().await;
    let head = f.head().await;
    let out = run(&mut f.upgrade("UupsCounterV1", "UupsCounterV2Breaking"));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("BREAKING change(s)"), "{text}");
    assert!(text.contains("`count`"), "{text}");
    assert!(text.contains("REFUSED: the new implementation breaks the storage layout"), "{text}");
    assert!(!text.contains("rehearsal"), "{text}");

    let out =
        run(f.upgrade("UupsCounterV1", "UupsCounterV2Breaking").args(["--force", "--dry-run"]));
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("let through by --force"));

    let mut cmd = f.upgrade("UupsCounterV1", "UupsCounterV2Breaking");
    let out = run(cmd.args(["--force", "--dry-run", "--check", "count()"]));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("CHANGED  count(): before 2, after 0 (expected 2)"), "{text}");
    assert!(text.contains("REFUSED: an invariant changed on the fork"), "{text}");
    assert_eq!(f.head().await, head, "nothing was sent");
}

#[tokio::test]
async fn a_reverting_initializer_is_reported_by_its_error_name() {
    let f = Upgradeable::uups().await;
    let head = f.head().await;
    let mut cmd = f.upgrade("UupsCounterV1", "UupsCounterV2");
    let out =
        run(cmd.args(["--call", "initializeV2(uint256)", "--args", "5000", "--check", "count()"]));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("the upgrade call reverts: LimitTooHigh(limit: 5000, max: 1000)"),
        "{text}"
    );
    assert!(text.contains("REFUSED: the upgrade fails on the fork"), "{text}");
    assert!(!text.contains("Safe batch"), "{text}");
    assert_eq!(f.head().await, head, "nothing was deployed");
}

#[tokio::test]
async fn bad_inputs_exit_2_and_send_nothing() {
    let f = Upgradeable::uups().await;
    let head = f.head().await;
    let nobody = "0x00000000000000000000000000000000000b0b00";
    let mut c = f.upgrade("UupsCounterV1", "UupsCounterV2");
    let args: Vec<_> = c.get_args().map(|a| a.to_owned()).collect();
    let mut no_proxy = molt();
    no_proxy.args(
        args.iter().map(|a| if *a == *f.proxy.to_string() { nobody.into() } else { a.clone() }),
    );
    refused(&mut no_proxy, &["there is no contract at 0x00000000000000000000000000000000000B0b00"]);
    let mut at_impl = molt();
    let imp = f.implementation.to_string();
    at_impl.args(
        args.iter()
            .map(|a| if *a == *f.proxy.to_string() { imp.clone().into() } else { a.clone() }),
    );
    refused(&mut at_impl, &["is not an ERC-1967 proxy"]);
    // An interface has no code to deploy as the new implementation.
    refused(
        &mut f.upgrade("UupsCounterV1", "IERC1967"),
        &["IERC1967.json: no deployedBytecode", "a deployable contract"],
    );
    refused(
        &mut f.upgrade("UupsCounterV2", "UupsCounterV2"),
        &[
            "the current implementation",
            "is not the contract of",
            "pass the artifact it was deployed from as --old",
        ],
    );
    refused(
        c.args(["--call", "initializeV3()"]),
        &["--call `initializeV3()`: UupsCounterV2 has no such function"],
    );
    refused(
        f.upgrade("UupsCounterV1", "UupsCounterV2").args(["--check", "total()"]),
        &["invariant `total()`: no function total() in the --old ABI"],
    );
    // Local inputs are checked before the node is asked anything.
    let mut no_node = molt();
    no_node.args([
        "upgrade",
        "--proxy",
        nobody,
        "--old",
        "/nonexistent.json",
        "--new",
        "/nonexistent.json",
    ]);
    refused(no_node.args(["--rpc-url", "http://127.0.0.1:1"]), &["/nonexistent.json"]);
    assert_eq!(f.head().await, head, "nothing was sent");

    // A proxy owned by an account that is not a Safe, and a --safe that is not the owner.
    let init = initializeCall { owner: f.devnet.accounts()[5] }.abi_encode();
    let args = [DynSolValue::Address(f.implementation), DynSolValue::Bytes(init)];
    let eoa_owned = f.devnet.deploy("ERC1967Proxy", &args).await.unwrap();
    let head = f.head().await;
    let mut c = f.upgrade("UupsCounterV1", "UupsCounterV2");
    let args: Vec<_> = c.get_args().map(|a| a.to_owned()).collect();
    let mut not_safe = molt();
    not_safe.args(args.iter().map(|a| {
        if *a == *f.proxy.to_string() { eoa_owned.to_string().into() } else { a.clone() }
    }));
    refused(&mut not_safe, &["is not a Safe", "owner() of the UUPS proxy"]);
    refused(
        c.args(["--safe", nobody]),
        &[
            "--safe 0x00000000000000000000000000000000000B0b00 is not the account that may upgrade the proxy",
        ],
    );
    assert_eq!(f.head().await, head, "nothing was sent");
}

/// `git` in `dir` as a fixed committer, which must succeed.
fn git(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "molt")
        .env("GIT_AUTHOR_EMAIL", "molt@example.com")
        .env("GIT_COMMITTER_NAME", "molt")
        .env("GIT_COMMITTER_EMAIL", "molt@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A Foundry project in a git repository whose `Counter` is the UUPS counter V1 at `HEAD`
/// (committed and built) and `version` in the working tree (built when asked).
struct CounterProject {
    dir: TempDir,
    repo: PathBuf,
}

impl CounterProject {
    fn new() -> Self {
        let repo =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("src")).unwrap();
        std::fs::write(
            p.join("foundry.toml"),
            "[profile.default]\nsrc = \"src\"\nout = \"out\"\nlibs = [\".tools/node_modules\"]\nremappings = [\"@openzeppelin/contracts/=.tools/node_modules/@openzeppelin/contracts/\"]\nsolc_version = \"0.8.28\"\nevm_version = \"cancun\"\noptimizer = true\noffline = true\nauto_detect_solc = false\nextra_output = [\"storageLayout\"]\n",
        )
        .unwrap();
        std::fs::write(p.join(".gitignore"), "out/\ncache/\n.tools\n").unwrap();
        std::os::unix::fs::symlink(repo.join(".tools"), p.join(".tools")).unwrap();
        let me = Self { dir, repo };
        me.write("UupsCounterV1");
        let p = me.dir.path();
        git(p, &["init", "-q"]);
        git(p, &["add", "."]);
        git(p, &["commit", "-q", "-m", "counter v1"]);
        me.build();
        me
    }

    /// `src/Counter.sol` := the fixture `fixture`, its contract named `Counter`.
    fn write(&self, fixture: &str) {
        let source = std::fs::read_to_string(
            self.repo.join(format!("contracts/test/fixtures/upgrade/{fixture}.sol")),
        )
        .unwrap();
        std::fs::write(self.dir.path().join("src/Counter.sol"), source.replace(fixture, "Counter"))
            .unwrap();
    }

    fn build(&self) {
        let out = Command::new(self.repo.join(".tools/bin/forge"))
            .args(["build", "--root"])
            .arg(self.dir.path())
            .env("FOUNDRY_SOLC", self.repo.join(".tools/bin/solc"))
            .output()
            .unwrap();
        assert!(out.status.success(), "forge build: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn artifact(&self) -> PathBuf {
        self.dir.path().join("out/Counter.sol/Counter.json")
    }
}

/// `molt upgrade --base-ref HEAD`: the current implementation's artifact is the one built from
/// the committed source (in a worktree, cached); the working tree's build is the new one. A
/// compatible V2 is ready to sign; a V2 that breaks the layout is refused.
#[tokio::test]
async fn base_ref_takes_the_current_implementation_from_git() {
    let project = CounterProject::new();
    let (devnet, safe) = with_safe().await;
    let v1 = molt_abi::Artifact::load(project.artifact()).unwrap();
    let implementation = devnet.deploy_artifact(&v1, &[]).await.unwrap();
    let init = initializeCall { owner: safe.address() }.abi_encode();
    let args = [DynSolValue::Address(implementation), DynSolValue::Bytes(init)];
    let proxy = devnet.deploy("ERC1967Proxy", &args).await.unwrap();
    let cache = tempfile::tempdir().unwrap();
    let batches = tempfile::tempdir().unwrap();
    let upgrade = || {
        let mut c = molt();
        c.current_dir(project.dir.path())
            .env("MOLT_CACHE_DIR", cache.path())
            .env_remove("FOUNDRY_SOLC")
            .args(["--json", "upgrade", "--proxy", &proxy.to_string(), "--base-ref", "HEAD"])
            .arg("--new")
            .arg(project.artifact())
            .args(["--check", "count()", "--dry-run", "--rpc-url", &devnet.endpoint(), "--out"])
            .arg(batches.path());
        c
    };

    project.write("UupsCounterV2");
    project.build();
    let out = run(&mut upgrade());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["report"]["verdict"], "ready", "{report:#}");
    assert!(stderr(&out).contains("forge build in"), "the ref was built: {}", stderr(&out));

    project.write("UupsCounterV2Breaking");
    project.build();
    let out = run(&mut upgrade());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json_of(&out)["report"]["verdict"], "layout_refused");
    assert!(stderr(&out).contains("using the cached build of HEAD"), "{}", stderr(&out));

    // A contract the ref's build does not have is one clear error.
    let mut missing = upgrade();
    missing.args(["--old", "Nope.sol/Nope.json"]);
    refused(&mut missing, &["`--base-ref HEAD`: its build has no Nope.sol/Nope.json"]);
    let mut absolute = upgrade();
    absolute.arg("--old").arg(project.artifact());
    refused(&mut absolute, &["with --base-ref, --old is a path inside the ref's build"]);
}
