//! Connecting to the node and choosing the signer, Foundry-style.

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use eyre::{Result, WrapErr, eyre};
use molt_chain::{RpcOptions, Sender};

use crate::{
    opts::{RpcOpts, WalletOpts},
    report::Hint,
};

/// Anvil's first dev account (mnemonic "test test … junk"): used only on a local anvil.
pub(crate) const ANVIL_DEV_KEY: &str =
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// The node at `--rpc-url`, `ETH_RPC_URL` or the manifest's URL, with retries on reads.
pub(crate) async fn provider(
    rpc: &RpcOpts,
    manifest_url: Option<&str>,
) -> Result<(String, DynProvider)> {
    let url = rpc.rpc_url.clone().or_else(|| manifest_url.map(str::to_owned)).ok_or_else(|| {
        eyre!("no RPC URL").wrap_err(Hint(
            "pass --rpc-url URL, set ETH_RPC_URL, or set [network] rpc_url in the manifest".into(),
        ))
    })?;
    let provider = molt_chain::connect(&url, RpcOptions::default())?;
    provider.get_chain_id().await.map_err(|e| {
        eyre!(e).wrap_err(format!("cannot reach the node at {}", molt_chain::rpc::redact_url(&url)))
    })?;
    Ok((url, provider))
}

/// Whether the node is an anvil (by `web3_clientVersion`).
pub(crate) async fn is_anvil(provider: &DynProvider) -> bool {
    provider.get_client_version().await.is_ok_and(|v| v.to_lowercase().starts_with("anvil"))
}

/// The signer: `--private-key`, `--keystore`, or anvil's dev key on a local anvil.
pub(crate) async fn signer(
    wallet: &WalletOpts,
    provider: &DynProvider,
) -> Result<PrivateKeySigner> {
    if let Some(key) = &wallet.private_key {
        return key
            .trim()
            .parse()
            .map_err(|_| eyre!("--private-key / MOLT_PRIVATE_KEY is not a 32-byte hex key"));
    }
    if let Some(path) = &wallet.keystore {
        let password = wallet.password.clone().ok_or_else(|| {
            eyre!("the keystore needs a password")
                .wrap_err(Hint("pass --password or set MOLT_KEYSTORE_PASSWORD".into()))
        })?;
        return PrivateKeySigner::decrypt_keystore(path, password)
            .wrap_err_with(|| format!("cannot decrypt the keystore {}", path.display()));
    }
    if is_anvil(provider).await {
        return Ok(ANVIL_DEV_KEY.parse().expect("valid key"));
    }
    Err(eyre!("no signer").wrap_err(Hint(
        "pass --private-key (or MOLT_PRIVATE_KEY) or --keystore; anvil's dev key is only used on a local anvil".into(),
    )))
}

/// A [`Sender`] for the signer on the node's chain.
pub(crate) async fn sender(provider: &DynProvider, signer: PrivateKeySigner) -> Result<Sender> {
    let chain_id = provider.get_chain_id().await?;
    Ok(Sender::new(provider.clone(), signer, chain_id))
}

/// Short form of an address for messages.
#[allow(dead_code)]
pub(crate) fn short(a: Address) -> String {
    let s = a.to_string();
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}
