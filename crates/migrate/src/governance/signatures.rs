//! Owners' EIP-712 signatures of a phase's SafeTx, collected in a file keyed by SafeTx hash,
//! and `execTransaction` once the Safe's threshold is met.
//!
//! For rehearsals and for teams without the Safe web app: `molt safe sign` adds one owner's
//! signature, `molt safe exec` sends `execTransaction` with them.

use std::{collections::BTreeMap, path::Path, time::Duration};

use alloy::{
    primitives::{Address, B256, Bytes, Signature, U256},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use molt_chain::{
    EstimateError, Sender, TxRequest,
    safe::{SafeError, SafeSignature, SafeTx, SafeTxHashes, encode_signatures},
};
use serde::{Deserialize, Serialize};

use super::{BatchFile, GovernanceError, SafeInfo, phase::safe_info};
use crate::{Manifest, Result};

/// The `schema` of a signatures file.
pub const SIGNATURES_SCHEMA: &str = "molt.safe-signatures/1";

/// How long `exec` waits for its transaction.
const EXEC_TIMEOUT: Duration = Duration::from_secs(120);

/// A signatures file: per SafeTx hash, the owners' signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignaturesFile {
    /// [`SIGNATURES_SCHEMA`].
    pub schema: String,
    /// The Safe.
    pub safe: Address,
    /// Its chain.
    pub chain_id: u64,
    /// Per SafeTx hash, the signatures (one per owner).
    pub signatures: BTreeMap<B256, Vec<OwnerSignature>>,
}

/// One owner's signature of a SafeTx hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerSignature {
    /// The owner.
    pub owner: Address,
    /// `r ‖ s ‖ v` (65 bytes, v = 27 or 28).
    pub signature: Bytes,
}

impl SignaturesFile {
    /// An empty file for the Safe at `safe` on chain `chain_id`.
    pub fn new(safe: Address, chain_id: u64) -> Self {
        Self { schema: SIGNATURES_SCHEMA.into(), safe, chain_id, signatures: BTreeMap::new() }
    }

    /// Reads a signatures file.
    pub fn read(path: &Path) -> Result<Self> {
        let err = |reason: String| GovernanceError::File { path: path.into(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let file: Self = serde_json::from_str(&text)
            .map_err(|e| err(format!("not a {SIGNATURES_SCHEMA} signatures file: {e}")))?;
        if file.schema != SIGNATURES_SCHEMA {
            return Err(err(format!("schema is {}, not {SIGNATURES_SCHEMA}", file.schema)).into());
        }
        Ok(file)
    }

    /// Writes the file (pretty JSON), replacing it.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("signatures serialize") + "\n";
        std::fs::write(path, text)
            .map_err(|e| GovernanceError::File { path: path.into(), reason: e.to_string() }.into())
    }

    fn check_safe(&self, safe: &SafeInfo) -> Result<()> {
        if self.safe == safe.address && self.chain_id == safe.chain_id {
            return Ok(());
        }
        Err(GovernanceError::OtherSafe {
            what: "the signatures file".into(),
            file_safe: self.safe.to_string(),
            file_chain: self.chain_id.to_string(),
            safe: safe.address,
            chain_id: safe.chain_id,
        }
        .into())
    }
}

/// The batch's SafeTx at the nonce, after checking that the batch file is for this Safe.
fn batch_tx(batch: &BatchFile, safe: &SafeInfo, nonce: Option<u64>) -> Result<(SafeTx, u64)> {
    let file_safe = batch.meta.created_from_safe_address.clone().unwrap_or_default();
    let same_safe = file_safe.parse::<Address>().is_ok_and(|a| a == safe.address);
    if !same_safe || batch.chain_id != safe.chain_id.to_string() {
        return Err(GovernanceError::OtherSafe {
            what: "the batch file".into(),
            file_safe,
            file_chain: batch.chain_id.clone(),
            safe: safe.address,
            chain_id: safe.chain_id,
        }
        .into());
    }
    let nonce = nonce.unwrap_or(safe.nonce);
    Ok((batch.safe_tx(nonce)?, nonce))
}

/// What [`sign`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Signed {
    /// The owner who signed.
    pub owner: Address,
    /// The Safe nonce signed for.
    pub nonce: u64,
    /// The hashes signed (the SafeTx hash) and shown by hardware wallets.
    #[serde(skip)]
    pub hashes: SafeTxHashes,
    /// Owners who have signed this SafeTx now.
    pub signers: Vec<Address>,
    /// The Safe's threshold.
    pub threshold: u64,
}

/// Signs the batch's SafeTx (at `nonce`, default the Safe's next) with `signer`, an owner of
/// the manifest's Safe, and records the signature in `file` (replacing an earlier one of the
/// same owner).
pub async fn sign(
    provider: &alloy::providers::DynProvider,
    manifest: &Manifest,
    batch: &BatchFile,
    signer: &PrivateKeySigner,
    nonce: Option<u64>,
    file: &mut SignaturesFile,
) -> Result<Signed> {
    let safe = safe_info(provider, manifest).await?;
    file.check_safe(&safe)?;
    let owner = signer.address();
    if !safe.owners.contains(&owner) {
        return Err(not_owner(owner, &safe));
    }
    let (tx, nonce) = batch_tx(batch, &safe, nonce)?;
    let hashes = tx.hashes(safe.chain_id, safe.address);
    let signature =
        match SafeSignature::sign(signer, hashes.safe_tx_hash).map_err(GovernanceError::from)? {
            SafeSignature::Ecdsa { signature, .. } => Bytes::from(signature.as_bytes().to_vec()),
            SafeSignature::ApprovedHash { .. } => unreachable!("sign makes ECDSA signatures"),
        };
    let list = file.signatures.entry(hashes.safe_tx_hash).or_default();
    list.retain(|s| s.owner != owner);
    list.push(OwnerSignature { owner, signature });
    list.sort_by_key(|s| s.owner);
    let signers = list.iter().map(|s| s.owner).collect();
    Ok(Signed { owner, nonce, hashes, signers, threshold: safe.threshold })
}

fn not_owner(signer: Address, safe: &SafeInfo) -> crate::Error {
    let owners = safe.owners.iter().map(Address::to_string).collect::<Vec<_>>().join(", ");
    GovernanceError::NotOwner { signer, safe: safe.address, owners }.into()
}

/// What [`exec`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Executed {
    /// The SafeTx hash executed.
    pub safe_tx_hash: B256,
    /// The Safe nonce it used.
    pub nonce: u64,
    /// The `execTransaction` transaction.
    pub tx: B256,
    /// Its block.
    pub block: u64,
    /// The owners whose signatures it carried.
    pub signers: Vec<Address>,
}

/// Sends `execTransaction` of the batch's SafeTx (at `nonce`, default the Safe's next) with
/// the signatures `file` holds for it, from `sender`. Refused, with nothing sent, when the
/// file has no signatures for this SafeTx, a signature does not recover to its owner or its
/// owner is not an owner, fewer owners signed than the threshold, or the Safe would reject it.
pub async fn exec(
    sender: &Sender,
    manifest: &Manifest,
    batch: &BatchFile,
    file: &SignaturesFile,
    nonce: Option<u64>,
) -> Result<Executed> {
    let safe = safe_info(sender.provider(), manifest).await?;
    file.check_safe(&safe)?;
    let (tx, nonce) = batch_tx(batch, &safe, nonce)?;
    let hash = tx.safe_tx_hash(safe.chain_id, safe.address);
    let signatures = valid_signatures(file, &safe, hash, nonce)?;
    let receipt = send_exec(sender, safe.address, &tx, &signatures).await?;
    let after = super::phase::safe_at(sender.provider(), safe.address).await?.nonce;
    if after != nonce + 1 {
        return Err(GovernanceError::NotExecuted { tx: receipt.hash }.into());
    }
    let signers = signatures.iter().map(SafeSignature::owner).collect();
    Ok(Executed {
        safe_tx_hash: hash,
        nonce,
        tx: receipt.hash,
        block: receipt.block_number,
        signers,
    })
}

/// The file's signatures of `hash`, each checked (it recovers to its owner, an owner of the
/// Safe), at least the threshold of them.
fn valid_signatures(
    file: &SignaturesFile,
    safe: &SafeInfo,
    hash: B256,
    nonce: u64,
) -> Result<Vec<SafeSignature>> {
    let Some(list) = file.signatures.get(&hash) else {
        let found: Vec<String> = file.signatures.keys().map(B256::to_string).collect();
        let found = if found.is_empty() { "no SafeTx".into() } else { found.join(", ") };
        return Err(GovernanceError::OtherSafeTx { expected: hash, nonce, found }.into());
    };
    let mut valid = Vec::new();
    for s in list {
        let signature = Signature::from_raw(&s.signature)
            .map_err(|_| GovernanceError::BadSignature { owner: s.owner, safe_tx_hash: hash })?;
        let recovered = signature.recover_address_from_prehash(&hash).ok();
        if recovered != Some(s.owner) {
            return Err(GovernanceError::BadSignature { owner: s.owner, safe_tx_hash: hash }.into());
        }
        if !safe.owners.contains(&s.owner) {
            return Err(not_owner(s.owner, safe));
        }
        valid.push(SafeSignature::Ecdsa { owner: s.owner, signature });
    }
    if (valid.len() as u64) < safe.threshold {
        let signed = list.iter().map(|s| s.owner.to_string()).collect::<Vec<_>>();
        let signed = if signed.is_empty() { "nobody".into() } else { signed.join(", ") };
        return Err(GovernanceError::BelowThreshold {
            safe_tx_hash: hash,
            have: valid.len(),
            need: safe.threshold,
            signed,
        }
        .into());
    }
    Ok(valid)
}

fn exec_input(tx: &SafeTx, signatures: Bytes) -> Bytes {
    molt_chain::safe::exec_call(tx, signatures).abi_encode().into()
}

/// Sends `execTransaction` of `tx` with `signatures` (sorted here) to `safe`, signed by
/// `sender`: estimated first (a Safe refusal is an error, and nothing is sent), then waited for.
/// The signatures are not checked here ([`exec`] checks them against a signatures file).
pub async fn send_exec(
    sender: &Sender,
    safe: Address,
    tx: &SafeTx,
    signatures: &[SafeSignature],
) -> Result<molt_chain::tx::ReceiptSummary> {
    let input = exec_input(tx, encode_signatures(signatures).map_err(GovernanceError::from)?);
    send(sender, safe, input).await
}

/// Estimates (a revert is a Safe refusal, nothing sent), signs, sends and waits.
async fn send(
    sender: &Sender,
    safe: Address,
    input: Bytes,
) -> Result<molt_chain::tx::ReceiptSummary> {
    let gas = sender.estimate(safe, input.clone(), U256::ZERO).await.map_err(|e| match e {
        EstimateError::Reverted { revert } => {
            GovernanceError::WouldFail(SafeError::from_revert(safe, revert).to_string())
        }
        other => GovernanceError::WouldFail(other.to_string()),
    })?;
    let req = TxRequest {
        to: safe.into(),
        data: input,
        value: U256::ZERO,
        nonce: sender.next_nonce().await?,
        gas_limit: gas + gas / 5,
        fees: sender.fees().await?,
    };
    let signed = sender.sign(req)?;
    sender.broadcast(&signed).await.map_err(molt_chain::Error::from)?;
    let receipt = sender.wait_or_rebroadcast(&signed, EXEC_TIMEOUT).await?;
    if !receipt.success {
        return Err(GovernanceError::NotExecuted { tx: receipt.hash }.into());
    }
    Ok(receipt)
}
