//! `molt demo --safe`: the Fabstir migration with V1 and V2 owned by a real 2-of-3 Safe 1.4.1,
//! then a proxy upgrade through the same Safe.
//!
//! - The Safe contracts are installed at their canonical addresses and the Safe is created
//!   through the real proxy factory; its three owners and the migrator are fresh keys.
//! - `molt plan` rehearses keyless as the migrator: the owner phases run through the Safe on a
//!   fork.
//! - `molt migrate` stops at each owner phase with its batch file and `safeTxHash`; two owners
//!   sign the file (real ECDSA signatures, `molt safe sign`), the migrator sends it
//!   (`molt safe exec`), and the run goes on from its journal.
//! - A UUPS counter behind an ERC1967Proxy, owned by the Safe, is upgraded as `molt upgrade`
//!   does it: layout checked, rehearsed through the Safe on a fork, batch signed and executed.

use std::path::Path;

use alloy::{
    dyn_abi::DynSolValue,
    network::TransactionBuilder,
    primitives::{Address, B256, U256, keccak256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol,
    sol_types::SolCall,
};
use eyre::{Result, WrapErr, eyre};
use molt_chain::{
    Sender, Toolchain,
    safe::{Safe, SafeContracts, SafeSetup, SafeSignature, create_safe, install_contracts},
};
use molt_migrate::{
    Manifest,
    governance::{self, BatchFile, SignaturesFile},
    owner::Waiting,
    run::{self, Outcome as RunOutcome, RunOptions},
    upgrade::{self, Request, Verdict},
};

use super::Node;
use crate::{
    exit::Outcome,
    migration::{decoder, print_plan, print_report},
    opts::GlobalOpts,
    owner_calls::print_safe_transactions,
    progress::Progress,
};

sol! {
    function transferOwnership(address newOwner) external;
    function initialize(address owner) external;
    function increment() external;
    function count() external view returns (uint256);
    function version() external view returns (uint256);
}

/// The V2 contracts of the Fabstir manifest: the importer role is granted and revoked there.
const V2: [&str; 3] = ["registry_v2", "jobs_v2", "escrow_v2"];

/// The Safe that owns the example, its owners' keys and the migrator's.
pub(super) struct Governed {
    safe: Address,
    owners: Vec<PrivateKeySigner>,
    migrator: PrivateKeySigner,
}

/// Installs Safe 1.4.1, creates a 2-of-3 Safe of three fresh keys, hands it the ownership of
/// `contracts`, and funds a fresh migrator key for its gas.
pub(super) async fn hand_to_safe(
    node: &Node,
    contracts: &[Address],
    toolchain: &Toolchain,
    progress: &Progress,
) -> Result<Governed> {
    let installed = install_contracts(&node.provider, &SafeContracts::load(toolchain)?).await?;
    let owners: Vec<PrivateKeySigner> = (0..3).map(|_| PrivateKeySigner::random()).collect();
    let setup = SafeSetup::new(owners.iter().map(|o| o.address()).collect(), 2);
    let safe = create_safe(&node.wallet, node.owner, &installed, &setup).await?;
    progress.step(format!(
        "created a 2-of-3 Safe 1.4.1 at {safe} through the real SafeProxyFactory; owners {}",
        owners.iter().map(|o| o.address().to_string()).collect::<Vec<_>>().join(", ")
    ));
    for &to in contracts {
        send(&node.wallet, node.owner, to, transferOwnershipCall { newOwner: safe }.abi_encode())
            .await
            .wrap_err_with(|| format!("transferOwnership of {to} to the Safe"))?;
    }
    let migrator = PrivateKeySigner::random();
    let fund = TransactionRequest::default()
        .with_from(node.owner)
        .with_to(migrator.address())
        .with_value(U256::from(10u128.pow(18)));
    node.wallet.send_transaction(fund).await?.get_receipt().await?;
    progress.step(format!(
        "the Safe owns the six contracts; the migrator {} (a hot key with 1 ETH) will import the batches",
        migrator.address()
    ));
    Ok(Governed { safe, owners, migrator })
}

/// The manifest's `[governance]`: the Safe owns, the migrator imports with V2's migrator role,
/// granted in phase `open` and revoked in phase `close`.
pub(super) fn governance_toml(g: &Governed) -> String {
    let role = keccak256("MIGRATOR_ROLE");
    let mut text = format!(
        "\n[governance]\nowner = {{ safe = \"{}\" }}\nmigrator = \"{}\"\n",
        g.safe.to_checksum(None),
        g.migrator.address().to_checksum(None)
    );
    for (section, function) in [("grant", "grantRole"), ("revoke", "revokeRole")] {
        for v2 in V2 {
            text.push_str(&format!(
                "\n[[governance.{section}]]\ncontract = \"{v2}\"\nfunction = \"{function}\"\nargs = [\"{role}\", \"$migrator\"]\n"
            ));
        }
    }
    text
}

/// Plans keyless as the migrator, then migrates, stopping at each owner phase: two owners sign
/// its batch file, the migrator sends it, and the run resumes from its journal.
pub(super) async fn migrate_through_safe(
    global: &GlobalOpts,
    progress: &Progress,
    manifest: &Manifest,
    node: &Node,
    g: &Governed,
    opts: &RunOptions,
) -> Result<Outcome> {
    let chain_id = node.provider.get_chain_id().await?;
    let keyless = Sender::keyless(node.provider.clone(), g.migrator.address(), chain_id)
        .with_revert_decoder(decoder(manifest));
    progress.step("planning without a key: the Safe's phases run through the Safe on a fork");
    let plan = molt_migrate::plan::plan(
        manifest,
        &keyless,
        &node.url,
        opts,
        &molt_migrate::events::Silent,
    )
    .await?;
    if !global.json {
        print_plan(&plan);
        print_safe_transactions(&plan.safe_transactions);
        println!();
    }
    let migrator = Sender::new(node.provider.clone(), g.migrator.clone(), chain_id)
        .with_revert_decoder(decoder(manifest));
    let mut runs = 0;
    loop {
        runs += 1;
        match run::run(manifest, &migrator, opts, progress).await? {
            // Anyone may send a SafeTx the owners signed: here the migrator does.
            RunOutcome::Waiting(w) => {
                sign_and_execute(manifest, &migrator, g, &w, progress).await?
            }
            RunOutcome::Done(report) => {
                // The report is the last run's; the migrator's key is fresh, so its nonce counts
                // everything it sent over the runs.
                let sent = node.provider.get_transaction_count(g.migrator.address()).await?;
                progress.step(format!(
                    "over {runs} runs of molt migrate the migrator sent {sent} transactions (the imports, and the execTransaction of each phase the owners signed)"
                ));
                print_report(global, progress, &report)?;
                return Ok(if report.verified { Outcome::Ok } else { Outcome::Problems });
            }
        }
    }
}

/// What the Safe's owners do with a phase's batch file: two of them sign it (`molt safe sign`,
/// into `safe-signatures.json` next to it), then `executor` sends it (`molt safe exec`).
async fn sign_and_execute(
    manifest: &Manifest,
    executor: &Sender,
    g: &Governed,
    w: &Waiting,
    progress: &Progress,
) -> Result<()> {
    progress.step(format!(
        "the run stopped: {} (in a real migration the owners sign on their hardware wallets now)",
        w.summary()
    ));
    let batch = BatchFile::read(&w.batch)?;
    let path = w.batch.with_file_name("safe-signatures.json");
    let mut file = SignaturesFile::new(w.safe, executor.chain_id());
    for owner in &g.owners[..2] {
        let signed = governance::sign(
            executor.provider(),
            manifest,
            &batch,
            owner,
            Some(w.nonce),
            &mut file,
        )
        .await?;
        progress.step(format!(
            "owner {} signed safeTxHash {} ({} of {})",
            signed.owner,
            signed.hashes.safe_tx_hash,
            signed.signers.len(),
            signed.threshold
        ));
    }
    file.write(&path)?;
    let done = governance::exec(executor, manifest, &batch, &file, Some(w.nonce)).await?;
    progress.step(format!(
        "executed phase {} through the Safe in block {} (tx {}); running molt migrate again",
        w.phase, done.block, done.tx
    ));
    Ok(())
}

/// Deploys a UUPS counter behind an ERC1967Proxy owned by the Safe, then upgrades it to V2 as
/// `molt upgrade` does (layout diff, rehearsal through the Safe on a fork, the batch), with
/// two owners' signatures; the count survives.
pub(super) async fn upgrade_through_safe(
    node: &Node,
    g: &Governed,
    toolchain: &Toolchain,
    out: &Path,
    progress: &Progress,
) -> Result<()> {
    let artifacts = toolchain.out_dir();
    let artifact = |name: &str| artifacts.join(format!("{name}.sol/{name}.json"));
    let load = |name: &str| molt_abi::Artifact::load(artifact(name));
    let deploy = |name: &'static str, args: Vec<DynSolValue>| async move {
        molt_chain::devnet::deploy(&node.wallet, node.owner, &load(name)?, &args)
            .await
            .wrap_err_with(|| format!("deploying {name}"))
    };
    let v1 = deploy("UupsCounterV1", vec![]).await?;
    let init = initializeCall { owner: g.safe }.abi_encode();
    let proxy =
        deploy("ERC1967Proxy", vec![DynSolValue::Address(v1), DynSolValue::Bytes(init)]).await?;
    for _ in 0..2 {
        send(&node.wallet, node.owner, proxy, incrementCall {}.abi_encode()).await?;
    }
    progress.step(format!(
        "upgrade: UupsCounterV1 behind the ERC1967Proxy {proxy}, owned by the Safe, counted to 2"
    ));
    let chain_id = node.provider.get_chain_id().await?;
    let deployer = Sender::new(node.provider.clone(), node.signer.clone(), chain_id);
    let req = Request {
        proxy,
        old: artifact("UupsCounterV1"),
        new: artifact("UupsCounterV2"),
        checks: vec!["count()".into()],
        safe: Some(g.safe),
        out_dir: out.to_path_buf(),
        created_at_ms: molt_migrate::owner::now_ms(),
        ..Request::default()
    };
    let report = upgrade::run(&req, &deployer, &node.url, progress).await?;
    let (Verdict::Ready, Some(batch), Some(file)) =
        (report.verdict, &report.batch, &report.batch_file)
    else {
        return Err(eyre!("the demo's upgrade is not ready to sign: {:?}", report.verdict));
    };
    let tx = batch.safe_tx();
    let hash = tx.safe_tx_hash(chain_id, g.safe);
    progress.step(format!(
        "upgrade: layout compatible, rehearsed through the Safe on a fork; batch {} (safeTxHash {hash})",
        file.display()
    ));
    let signatures = g.owners[..2]
        .iter()
        .map(|o| SafeSignature::sign(o, hash))
        .collect::<Result<Vec<_>, _>>()?;
    governance::send_exec(&deployer, g.safe, &tx, &signatures)
        .await
        .wrap_err("execTransaction of the upgrade")?;
    let nonce: u64 =
        Safe::new(g.safe, chain_id, node.provider.clone()).nonce().await?.saturating_to();
    if nonce != batch.safe_tx().nonce.saturating_to::<u64>() + 1 {
        return Err(eyre!("the Safe did not execute the upgrade (its nonce is {nonce})"));
    }
    let (count, version) =
        (read(node, proxy, countCall {}).await?, read(node, proxy, versionCall {}).await?);
    progress.step(format!(
        "upgrade: two owners signed, the Safe executed it: the proxy runs version {version}, count still {count}"
    ));
    if count != U256::from(2) {
        return Err(eyre!("the upgrade lost the counter's state: count() is {count}, not 2"));
    }
    Ok(())
}

/// Sends `input` to `to` from `from` (which `wallet` signs for) and checks it succeeded.
async fn send(wallet: &DynProvider, from: Address, to: Address, input: Vec<u8>) -> Result<B256> {
    let tx = TransactionRequest::default().with_from(from).with_to(to).with_input(input);
    let receipt = wallet.send_transaction(tx).await?.get_receipt().await?;
    if !receipt.status() {
        return Err(eyre!("the transaction to {to} reverted ({})", receipt.transaction_hash));
    }
    Ok(receipt.transaction_hash)
}

/// A `uint256` view through the proxy.
async fn read<C: SolCall<Return = U256>>(node: &Node, to: Address, call: C) -> Result<U256> {
    let tx = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
    let out = node.provider.call(tx).await?;
    Ok(C::abi_decode_returns(&out)?)
}
