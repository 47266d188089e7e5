//! Connecting to the node and choosing the signer, Foundry-style.

use alloy::{
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use eyre::{Result, WrapErr, eyre};
use molt_chain::Sender;

use crate::{
    hint::Hint,
    opts::{RpcOpts, WalletOpts},
};

/// Anvil's first dev account (mnemonic "test test … junk"): used only on a local anvil (see
/// [`not_local_anvil`]).
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
    let provider = molt_chain::connect(&url, rpc.options())?;
    provider.get_chain_id().await.map_err(|e| {
        eyre!(e)
            .wrap_err(format!("cannot reach the node at {}", molt_chain::rpc::redact_url(&url)))
            .wrap_err(Hint(
                "check --rpc-url / ETH_RPC_URL and that the node is up; --rpc-timeout SECONDS waits longer for a slow one".into(),
            ))
    })?;
    Ok((url, provider))
}

/// Whether the node is an anvil (by `web3_clientVersion`).
pub(crate) async fn is_anvil(provider: &DynProvider) -> bool {
    provider.get_client_version().await.is_ok_and(|v| v.to_lowercase().starts_with("anvil"))
}

/// The chain id of anvil's default chain, the only one on which its dev key is used unasked.
const ANVIL_CHAIN_ID: u64 = 31337;

/// Why the node at `url` is not a local anvil, or `None` when it is: an anvil
/// (`web3_clientVersion`) on chain 31337 at a loopback address (127.0.0.0/8, ::1, localhost).
/// Only there do anvil's dev key and a migration without confirmation go unasked: an anvil
/// started with another chain id or reachable from elsewhere may stand in for a real network.
pub(crate) async fn not_local_anvil(url: &str, provider: &DynProvider) -> Option<String> {
    let host = molt_chain::rpc::redact_url(url);
    if !is_loopback(url) {
        return Some(format!("{host} is not a loopback address"));
    }
    if !is_anvil(provider).await {
        return Some(format!("the node at {host} is not anvil"));
    }
    match provider.get_chain_id().await {
        Ok(ANVIL_CHAIN_ID) => None,
        Ok(id) => Some(format!("the anvil at {host} is chain {id}, not {ANVIL_CHAIN_ID}")),
        Err(e) => Some(format!("the chain id of {host} is unknown ({e})")),
    }
}

/// Whether `url`'s host is a loopback address: 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback(url: &str) -> bool {
    let Ok(u) = url.parse::<alloy::transports::http::reqwest::Url>() else { return false };
    let host = u.host_str().unwrap_or_default();
    match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// The signer: `--private-key`, `--keystore`, or anvil's dev key on a local anvil (see
/// [`not_local_anvil`]) at `url`.
pub(crate) async fn signer(
    wallet: &WalletOpts,
    provider: &DynProvider,
    url: &str,
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
    match not_local_anvil(url, provider).await {
        None => Ok(ANVIL_DEV_KEY.parse().expect("valid key")),
        Some(why) => Err(eyre!("no signer: {why}").wrap_err(Hint(format!(
            "pass --private-key (or MOLT_PRIVATE_KEY) or --keystore; anvil's dev key is used by default only on a local anvil (chain {ANVIL_CHAIN_ID} at a loopback address)"
        )))),
    }
}

/// A [`Sender`] for the signer on the node's chain.
pub(crate) async fn sender(provider: &DynProvider, signer: PrivateKeySigner) -> Result<Sender> {
    let chain_id = provider.get_chain_id().await?;
    Ok(Sender::new(provider.clone(), signer, chain_id))
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_hosts() {
        for url in
            ["http://127.0.0.1:8545", "http://127.1.2.3", "http://[::1]:8545", "http://LOCALHOST:1"]
        {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "http://10.0.0.2:8545",
            "http://[::2]:1",
            "https://eth.example.com",
            "http://localhost.evil.com",
            "nope",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }
}
