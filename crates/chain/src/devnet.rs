//! A local anvil with the project's contracts: the shared helper of `molt demo` and of every
//! end-to-end test.
//!
//! ```no_run
//! # async fn f() -> molt_chain::Result<()> {
//! use alloy::{dyn_abi::DynSolValue, primitives::Address};
//! let devnet = molt_chain::Devnet::spawn().await?;
//! let registry = devnet.deploy("NodeRegistryV1", &[]).await?;
//! # Ok(()) }
//! ```
//! Dropping the [`Devnet`] kills anvil.

use std::path::PathBuf;

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    network::{EthereumWallet, TransactionBuilder},
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, Bytes},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use molt_abi::Artifact;

use crate::{Error, Result, Sender, Toolchain};

/// Options for spawning a [`Devnet`].
#[derive(Debug, Clone)]
pub struct DevnetBuilder {
    toolchain: Toolchain,
    accounts: u32,
    chain_id: Option<u64>,
    fork: Option<ForkSource>,
    args: Vec<String>,
}

impl Default for DevnetBuilder {
    fn default() -> Self {
        Self {
            toolchain: Toolchain::discover(),
            accounts: 10,
            chain_id: None,
            fork: None,
            args: Vec::new(),
        }
    }
}

/// The node a devnet forks. Its `Debug` shows the URL redacted.
#[derive(Clone)]
struct ForkSource {
    url: String,
    block: Option<u64>,
}

impl std::fmt::Debug for ForkSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForkSource")
            .field("url", &crate::rpc::redact_url(&self.url))
            .field("block", &self.block)
            .finish()
    }
}

impl DevnetBuilder {
    /// Uses this toolchain (anvil binary and build output) instead of the discovered one.
    pub fn toolchain(mut self, toolchain: Toolchain) -> Self {
        self.toolchain = toolchain;
        self
    }

    /// The number of funded dev accounts (anvil's `--accounts`, default 10).
    pub fn accounts(mut self, n: u32) -> Self {
        self.accounts = n;
        self
    }

    /// The chain id (anvil's `--chain-id`; default 31337, or the forked node's).
    pub fn chain_id(mut self, id: u64) -> Self {
        self.chain_id = Some(id);
        self
    }

    /// Forks the node at `url`, at `block` (default: its latest). When the URL carries more
    /// than a scheme, host and port (user info, an API key in the path or query; see
    /// [`crate::rpc::carries_secrets`]), anvil gets the address of a local
    /// [`crate::proxy::Forwarder`] instead, so that the URL never shows in its command line.
    pub fn fork(mut self, url: impl Into<String>, block: Option<u64>) -> Self {
        self.fork = Some(ForkSource { url: url.into(), block });
        self
    }

    /// An extra anvil argument (e.g. `--enable-tx-gas-limit`).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Starts anvil on a free port and connects a provider that signs with every dev account.
    pub async fn spawn(self) -> Result<Devnet> {
        let path = self.toolchain.anvil()?;
        let mut anvil =
            Anvil::at(&path).port(0u16).arg("--accounts").arg(self.accounts.to_string());
        if let Some(id) = self.chain_id {
            anvil = anvil.chain_id(id);
        }
        let forwarder = match &self.fork {
            Some(fork) if crate::rpc::carries_secrets(&fork.url) => {
                Some(crate::proxy::Forwarder::start(&fork.url)?)
            }
            _ => None,
        };
        if let Some(fork) = &self.fork {
            anvil = anvil.fork(forwarder.as_ref().map_or(fork.url.clone(), |f| f.url()));
            if let Some(block) = fork.block {
                anvil = anvil.fork_block_number(block);
            }
        }
        for a in &self.args {
            anvil = anvil.arg(a);
        }
        let anvil = tokio::task::spawn_blocking(move || anvil.try_spawn())
            .await
            .map_err(|e| Error::AnvilSpawn { path: path.clone(), reason: e.to_string() })?
            .map_err(|e| Error::AnvilSpawn { path: path.clone(), reason: e.to_string() })?;
        reap_with_this_process(anvil.child().id());
        let signers: Vec<PrivateKeySigner> =
            anvil.keys().iter().map(|k| PrivateKeySigner::from(k.clone())).collect();
        let mut wallet = EthereumWallet::from(signers[0].clone());
        for s in &signers[1..] {
            wallet.register_signer(s.clone());
        }
        let provider = crate::rpc::connect_with_wallet(
            &anvil.endpoint(),
            crate::RpcOptions::default(),
            wallet,
        )?;
        Ok(Devnet { anvil, _forwarder: forwarder, provider, signers, toolchain: self.toolchain })
    }
}

/// A running anvil with a signing provider. Dropping it kills anvil (and then stops the
/// forwarder of a fork, if it has one).
#[derive(Debug)]
pub struct Devnet {
    anvil: AnvilInstance,
    _forwarder: Option<crate::proxy::Forwarder>,
    provider: DynProvider,
    signers: Vec<PrivateKeySigner>,
    toolchain: Toolchain,
}

impl Devnet {
    /// Options for spawning.
    pub fn builder() -> DevnetBuilder {
        DevnetBuilder::default()
    }

    /// Spawns anvil with the defaults.
    pub async fn spawn() -> Result<Self> {
        DevnetBuilder::default().spawn().await
    }

    /// Options for a fork of the node at `url`, at `block` (default: its latest); see
    /// [`DevnetBuilder::fork`]. `Devnet::fork(url, Some(block)).spawn().await`.
    pub fn fork(url: impl Into<String>, block: Option<u64>) -> DevnetBuilder {
        DevnetBuilder::default().fork(url, block)
    }

    /// The anvil process's id.
    pub fn pid(&self) -> u32 {
        self.anvil.child().id()
    }

    /// The HTTP endpoint, e.g. `http://localhost:41235`.
    pub fn endpoint(&self) -> String {
        self.anvil.endpoint()
    }

    /// The chain id (31337 unless [`DevnetBuilder::chain_id`] said otherwise).
    pub fn chain_id(&self) -> u64 {
        self.anvil.chain_id()
    }

    /// A provider that signs with any dev account; transactions without `from` come from
    /// account 0, the deployer.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The funded dev accounts; the first one deploys.
    pub fn accounts(&self) -> Vec<Address> {
        self.signers.iter().map(|s| s.address()).collect()
    }

    /// The signer of dev account `i`.
    pub fn signer(&self, i: usize) -> &PrivateKeySigner {
        &self.signers[i]
    }

    /// A [`Sender`] for dev account `i` over the devnet's provider.
    pub fn sender(&self, i: usize) -> Sender {
        Sender::new(self.provider.clone(), self.signers[i].clone(), self.chain_id())
    }

    /// Calls an anvil/evm method that returns nothing useful, e.g. `evm_mine` or
    /// `anvil_dropTransaction`.
    pub async fn anvil_call<P>(&self, method: &'static str, params: P) -> Result<()>
    where
        P: alloy::rpc::json_rpc::RpcSend,
    {
        self.provider.raw_request::<P, serde_json::Value>(method.into(), params).await?;
        Ok(())
    }

    /// The toolchain the devnet was spawned with (its anvil, build output and npm packages).
    pub fn toolchain(&self) -> &Toolchain {
        &self.toolchain
    }

    /// The compiled artifact of contract `name` from the project's build output.
    pub fn artifact(&self, name: &str) -> Result<Artifact> {
        let out: PathBuf = self.toolchain.out_dir();
        Artifact::find_in(&out, name)?
            .ok_or_else(|| Error::ArtifactMissing { contract: name.into(), out })
    }

    /// Deploys contract `name` from the build output with constructor arguments, from account 0.
    pub async fn deploy(&self, name: &str, args: &[DynSolValue]) -> Result<Address> {
        let artifact = self.artifact(name)?;
        self.deploy_artifact(&artifact, args).await
    }

    /// Deploys an artifact with constructor arguments, from account 0.
    pub async fn deploy_artifact(
        &self,
        artifact: &Artifact,
        args: &[DynSolValue],
    ) -> Result<Address> {
        deploy(&self.provider, self.signers[0].address(), artifact, args).await
    }
}

/// Deploys `artifact` with constructor arguments from `from` (which `provider` must be able to
/// sign for) and waits for the receipt.
pub async fn deploy(
    provider: &DynProvider,
    from: Address,
    artifact: &Artifact,
    args: &[DynSolValue],
) -> Result<Address> {
    let mut code = artifact.creation_code()?.to_vec();
    match &artifact.abi.constructor {
        Some(ctor) => {
            let encoded = ctor.abi_encode_input(args).map_err(|e| Error::ConstructorArgs {
                contract: artifact.name.clone(),
                reason: e.to_string(),
            })?;
            code.extend_from_slice(&encoded);
        }
        None if !args.is_empty() => {
            return Err(Error::ConstructorArgs {
                contract: artifact.name.clone(),
                reason: format!("it has no constructor but {} argument(s) were given", args.len()),
            });
        }
        None => {}
    }
    let tx = TransactionRequest::default().with_from(from).with_deploy_code(Bytes::from(code));
    let receipt = provider.send_transaction(tx).await?.get_receipt().await?;
    let deploy_err = |reason: String| Error::Deploy { contract: artifact.name.clone(), reason };
    if !receipt.status() {
        return Err(deploy_err(format!(
            "the deployment reverted (tx {})",
            receipt.transaction_hash
        )));
    }
    receipt.contract_address.ok_or_else(|| deploy_err("the receipt has no contract address".into()))
}

/// Makes sure anvil does not outlive this process. Dropping a [`Devnet`] kills it, but a process
/// killed with SIGKILL (or aborting) runs no destructors, and its anvil — a rehearsal fork of
/// the user's node, say — would run on forever. A detached watchdog (`sh`, one `kill -0` a
/// second) kills anvil once this process is gone, and exits by itself once anvil is.
fn reap_with_this_process(anvil: u32) {
    let me = std::process::id();
    // In the background of a shell that exits at once (and is waited for): the watchdog is
    // nobody's child, so it leaves no zombie behind.
    let script = format!(
        "(while kill -0 {me} && kill -0 {anvil}; do sleep 1; done; kill -9 {anvil}) >/dev/null 2>&1 &"
    );
    // Best effort: without `sh` the destructor is still the normal way anvil stops.
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}
