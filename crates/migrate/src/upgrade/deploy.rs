//! The real deployment of the new implementation: a plain transaction of the signer (a hot
//! key may deploy code; only the upgrade needs the Safe).

use std::time::Duration;

use alloy::primitives::{Address, TxHash, TxKind, U256};
use molt_abi::Artifact;
use molt_chain::{Sender, TxRequest};
use serde::Serialize;

use super::UpgradeError;

/// How long the deployment may take to be mined.
const MINE_TIMEOUT: Duration = Duration::from_secs(180);

/// The new implementation on the node.
#[derive(Debug, Clone, Serialize)]
pub struct Deployment {
    /// Its address.
    pub address: Address,
    /// The deployment transaction.
    pub tx: TxHash,
    /// The deployer's nonce it used.
    pub nonce: u64,
    /// Gas it used.
    pub gas_used: u64,
}

/// Deploys `artifact` from `sender` and waits for it to be mined.
pub async fn deploy(sender: &Sender, artifact: &Artifact) -> Result<Deployment, UpgradeError> {
    let fail = |reason: String| UpgradeError::Deploy { reason };
    let code = artifact.creation_code()?.clone();
    let nonce = sender.next_nonce().await?;
    let estimate = sender
        .estimate(TxKind::Create, code.clone(), U256::ZERO)
        .await
        .map_err(|e| fail(format!("the node's gas estimate failed: {e}")))?;
    let fees = sender.fees().await?;
    let gas_limit = estimate + estimate / 5;
    let req =
        TxRequest { to: TxKind::Create, data: code, value: U256::ZERO, nonce, gas_limit, fees };
    let signed = sender.sign(req)?;
    sender.broadcast(&signed).await.map_err(|e| fail(e.to_string()))?;
    let receipt = sender.wait(signed.hash, MINE_TIMEOUT).await?;
    if !receipt.success {
        return Err(fail(format!("transaction {} was mined but reverted", signed.hash)));
    }
    Ok(Deployment {
        address: sender.address().create(nonce),
        tx: signed.hash,
        nonce,
        gas_used: receipt.gas_used,
    })
}
