//! `molt diff --deployed ADDRESS --rpc-url URL ABI`: read the runtime code from the node and
//! compare its selectors with the ABI.

use std::path::Path;

use alloy::{primitives::Address, providers::Provider};
use eyre::{WrapErr, eyre};
use molt_abi::{
    Artifact,
    diff::{Config, ContractDiff, Report, deployed::check_deployed},
};

use crate::{connect, hint::Hint, opts::RpcOpts};

/// Builds the one-contract report of a deployed-code check.
pub(super) async fn report(
    address: Address,
    rpc: &RpcOpts,
    abi: &Path,
    config: &Config,
) -> eyre::Result<Report> {
    let artifact = Artifact::load(abi).map_err(super::input_error)?;
    // The URL may carry an API key: messages show it redacted.
    let (url, provider) = connect::provider(rpc, None).await?;
    let node = molt_chain::rpc::redact_url(&url);
    let code = provider
        .get_code_at(address)
        .await
        .wrap_err_with(|| format!("cannot read the code of {address} from {node}"))?;
    if code.is_empty() {
        return Err(eyre!(Hint(
            "check the address and that --rpc-url points at the right chain".into()
        ))
        .wrap_err(format!("there is no code at {address} on {node}")));
    }
    let mut diff = ContractDiff {
        name: artifact.name.clone(),
        old_name: None,
        old: Some(format!("{address}").into()),
        new: Some(artifact.path.clone()),
        changes: check_deployed(&code, &artifact.abi),
        ignored: Vec::new(),
        storage_compared: false,
    };
    config.apply(&mut diff);
    Ok(Report { contracts: vec![diff] })
}
