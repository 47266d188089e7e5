//! Transaction primitives for a pipelined, crash-safe sender.
//!
//! The caller owns a write-ahead journal. The steps are apart so that it can record each one
//! before the next:
//!
//! 1. [`Sender::next_nonce`] (at `pending`) once, then count nonces up locally;
//!    [`Sender::fees`], [`Sender::estimate`] (a revert comes back decoded).
//! 2. [`Sender::sign`]: a signed EIP-1559 transaction, `{hash, nonce, raw, ..}`, nothing sent.
//!    **Journal it now**; after a crash, [`SignedTx::from_raw`] rebuilds it from the raw bytes.
//! 3. [`Sender::broadcast`]: sends the bytes once. When the send fails it reconciles by hash and
//!    nonce instead of sending blindly again; see its docs.
//! 4. [`Sender::wait_or_rebroadcast`] (which sends the same bytes again if the node loses
//!    them), [`Sender::wait`] or [`Sender::status`]: mined (with the receipt's gist), pending,
//!    dropped (safe to send again with the same nonce) or replaced (another transaction took
//!    the nonce).
//!
//! Sending many transactions without waiting in between is safe: give each its own nonce, and
//! track each by hash.
//!
//! A [`Sender::keyless`] has an address and no key: it reads and estimates as that account, and
//! sends only on a local anvil fork that impersonates it ([`Sender::send_impersonated`]), which
//! is how `molt plan --sender` rehearses without a private key.

use std::{fmt, sync::Arc, time::Duration};

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::{Decodable2718, Encodable2718},
    network::TxSignerSync,
    primitives::{Address, B256, Bytes, TxHash, TxKind, U256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionInput, TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    transports::{RpcError, TransportError},
};

use crate::{
    Error, Result,
    revert::{Revert, RevertDecoder},
    rpc::is_transient_payload,
};

/// EIP-1559 fee caps, in wei per gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// The most the transaction pays per gas, base fee included.
    pub max_fee_per_gas: u128,
    /// The tip to the block producer per gas, within `max_fee_per_gas`.
    pub max_priority_fee_per_gas: u128,
}

impl Fees {
    /// Both caps raised by `percent` (rounded up), e.g. 10 or more to replace a pending
    /// transaction (geth's default price bump is 10%).
    pub fn bumped(self, percent: u32) -> Self {
        let bump = |v: u128| v + (v * u128::from(percent)).div_ceil(100);
        Self {
            max_fee_per_gas: bump(self.max_fee_per_gas),
            max_priority_fee_per_gas: bump(self.max_priority_fee_per_gas),
        }
    }
}

/// What to sign: every field is explicit, nothing is filled in from the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRequest {
    /// The callee, or [`TxKind::Create`] to deploy `data` (an [`Address`] converts with `.into()`).
    pub to: TxKind,
    /// The calldata (or creation code).
    pub data: Bytes,
    /// Wei sent along.
    pub value: U256,
    /// The sender's nonce for this transaction.
    pub nonce: u64,
    /// The gas limit (see [`Sender::estimate`]; add a margin, the estimate is exact).
    pub gas_limit: u64,
    /// The fee caps.
    pub fees: Fees,
}

/// A signed transaction, not necessarily sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    /// The transaction hash, known before sending.
    pub hash: TxHash,
    /// The sender's nonce.
    pub nonce: u64,
    /// The EIP-2718 encoding, what `eth_sendRawTransaction` takes.
    pub raw: Bytes,
    /// The gas limit.
    pub gas_limit: u64,
    /// The fee caps it was signed with.
    pub fees: Fees,
}

impl SignedTx {
    /// Rebuilds a [`SignedTx`] from its raw bytes (e.g. read back from a journal).
    pub fn from_raw(raw: Bytes) -> Result<Self> {
        let envelope = TxEnvelope::decode_2718(&mut raw.as_ref())
            .map_err(|e| Error::InvalidRawTx(e.to_string()))?;
        let TxEnvelope::Eip1559(signed) = &envelope else {
            return Err(Error::InvalidRawTx(format!(
                "expected an EIP-1559 transaction, got type {}",
                envelope.tx_type()
            )));
        };
        let tx = signed.tx();
        Ok(Self {
            hash: *signed.hash(),
            nonce: tx.nonce,
            gas_limit: tx.gas_limit,
            fees: Fees {
                max_fee_per_gas: tx.max_fee_per_gas,
                max_priority_fee_per_gas: tx.max_priority_fee_per_gas,
            },
            raw,
        })
    }
}

/// The gist of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptSummary {
    /// The transaction hash.
    pub hash: TxHash,
    /// The block it was mined in.
    pub block_number: u64,
    /// That block's hash (compare it later to notice a reorg).
    pub block_hash: B256,
    /// Gas used by this transaction.
    pub gas_used: u64,
    /// The price paid per gas, in wei.
    pub effective_gas_price: u128,
    /// Whether it succeeded; `false` means it was mined but reverted (it still used its nonce).
    pub success: bool,
}

impl From<&TransactionReceipt> for ReceiptSummary {
    fn from(r: &TransactionReceipt) -> Self {
        Self {
            hash: r.transaction_hash,
            block_number: r.block_number.unwrap_or_default(),
            block_hash: r.block_hash.unwrap_or_default(),
            gas_used: r.gas_used,
            effective_gas_price: r.effective_gas_price,
            success: r.status(),
        }
    }
}

/// Where a sent transaction stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxStatus {
    /// It has a receipt (which may say it reverted).
    Mined(ReceiptSummary),
    /// The node knows it and it has no receipt yet.
    Pending,
    /// The node does not know it and its nonce is still free: it is safe to send it again, or
    /// to sign something else with the same nonce.
    Dropped,
    /// The node does not know it and another transaction used its nonce: it can never be mined.
    Replaced,
}

/// Why a gas estimate failed.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    /// The call reverts.
    #[error("the call reverts: {revert}")]
    Reverted {
        /// The decoded revert.
        revert: Revert,
    },
    /// The estimate failed for another reason.
    #[error("gas estimation failed: {0}")]
    Rpc(TransportError),
}

/// Why [`Sender::broadcast`] could not confirm that the node has the transaction.
#[derive(Debug, thiserror::Error)]
pub enum BroadcastError {
    /// The node refused it and does not know it, and no mined transaction uses its nonce: fix
    /// the cause and sign again with the same nonce. (With "replacement transaction
    /// underpriced", another transaction with this nonce is pending: the journal tells whose.)
    #[error(
        "the node rejected transaction {hash} (nonce {nonce}): {message}; it is not pending and no mined transaction uses its nonce"
    )]
    Rejected {
        /// The transaction hash.
        hash: TxHash,
        /// Its nonce.
        nonce: u64,
        /// The node's JSON-RPC error code.
        code: i64,
        /// The node's message (e.g. "insufficient funds", "replacement transaction underpriced").
        message: String,
    },
    /// Another transaction was mined with this nonce: this one can never be mined.
    #[error(
        "nonce {nonce} of transaction {hash} was used by another transaction (the account's mined nonce is {mined_nonce}); this transaction can never be mined"
    )]
    NonceConsumed {
        /// The transaction hash.
        hash: TxHash,
        /// Its nonce.
        nonce: u64,
        /// The account's transaction count at `latest`.
        mined_nonce: u64,
    },
    /// The send failed and what happened could not be established.
    #[error(
        "the outcome of sending transaction {hash} (nonce {nonce}) is unknown: the send failed ({send_error}), and {lookup}; check its status before using this nonce again"
    )]
    Unknown {
        /// The transaction hash.
        hash: TxHash,
        /// Its nonce.
        nonce: u64,
        /// The send's error.
        send_error: String,
        /// What the lookup by hash found, or why it failed.
        lookup: String,
    },
}

/// Signs and tracks the transactions of one account. Cheap to clone.
///
/// Its `Debug` shows the address and chain id, never the key.
#[derive(Clone)]
pub struct Sender {
    provider: DynProvider,
    key: Key,
    chain_id: u64,
    decoder: Arc<RevertDecoder>,
}

/// What a [`Sender`] signs with.
#[derive(Clone)]
enum Key {
    /// A local private key.
    Local(PrivateKeySigner),
    /// No key: the account is impersonated by a local fork ([`Sender::keyless`]).
    Impersonated(Address),
}

impl Key {
    fn address(&self) -> Address {
        match self {
            Self::Local(signer) => signer.address(),
            Self::Impersonated(address) => *address,
        }
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("address", &format_args!("{}", self.address()))
            .field("keyless", &self.is_keyless())
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

/// How the receipt poll of [`Sender::wait`] backs off.
const POLL_START: Duration = Duration::from_millis(50);
const POLL_MAX: Duration = Duration::from_secs(2);
/// How often [`Sender::wait_or_rebroadcast`] asks whether the node still knows the transaction.
const KNOWN_CHECK: Duration = Duration::from_secs(3);

impl Sender {
    /// A sender for `signer`'s account on chain `chain_id` (see [`Sender::check_chain_id`]).
    pub fn new(provider: DynProvider, signer: PrivateKeySigner, chain_id: u64) -> Self {
        Self {
            provider,
            key: Key::Local(signer),
            chain_id,
            decoder: Arc::new(RevertDecoder::new()),
        }
    }

    /// A sender for `address` without its key: it reads, estimates and checks as that account,
    /// and refuses to sign ([`Error::Keyless`]). On a local anvil fork that impersonates the
    /// account (`anvil_impersonateAccount`), [`Sender::send_impersonated`] sends as it.
    pub fn keyless(provider: DynProvider, address: Address, chain_id: u64) -> Self {
        Self {
            provider,
            key: Key::Impersonated(address),
            chain_id,
            decoder: Arc::new(RevertDecoder::new()),
        }
    }

    /// Whether this sender has no key ([`Sender::keyless`]).
    pub fn is_keyless(&self) -> bool {
        matches!(self.key, Key::Impersonated(_))
    }

    /// The same signer and revert decoder on another node and chain: for rehearsing on a fork
    /// started with its own chain id, where the signatures it makes are not valid on the real
    /// chain (EIP-155).
    pub fn on_chain(&self, provider: DynProvider, chain_id: u64) -> Self {
        Self { provider, key: self.key.clone(), chain_id, decoder: self.decoder.clone() }
    }

    /// Decodes reverts of [`Sender::estimate`] with `decoder` (custom errors of the contracts).
    pub fn with_revert_decoder(mut self, decoder: RevertDecoder) -> Self {
        self.decoder = Arc::new(decoder);
        self
    }

    /// The sending account.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The chain id transactions are signed for.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// Fails with [`Error::ChainIdMismatch`] unless the node's `eth_chainId` is this sender's.
    pub async fn check_chain_id(&self) -> Result<()> {
        let got = self.provider.get_chain_id().await?;
        if got != self.chain_id {
            return Err(Error::ChainIdMismatch { expected: self.chain_id, got });
        }
        Ok(())
    }

    /// The next nonce to use: the account's transaction count at `pending`, so that transactions
    /// already in the node's pool are counted.
    pub async fn next_nonce(&self) -> Result<u64> {
        Ok(self.provider.get_transaction_count(self.address()).pending().await?)
    }

    /// The account's transaction count at `latest`: every nonce below it is used by a mined
    /// transaction.
    pub async fn mined_nonce(&self) -> Result<u64> {
        Ok(self.provider.get_transaction_count(self.address()).latest().await?)
    }

    /// Fee caps from the node's fee history (alloy's `estimate_eip1559_fees`).
    pub async fn fees(&self) -> Result<Fees> {
        let est = self.provider.estimate_eip1559_fees().await?;
        Ok(Fees {
            max_fee_per_gas: est.max_fee_per_gas,
            max_priority_fee_per_gas: est.max_priority_fee_per_gas,
        })
    }

    /// The gas a call from this account would use now (`eth_estimateGas`, exact, no margin).
    /// A revert comes back decoded with the sender's [`RevertDecoder`].
    pub async fn estimate(
        &self,
        to: impl Into<TxKind>,
        data: Bytes,
        value: U256,
    ) -> Result<u64, EstimateError> {
        let request = TransactionRequest {
            from: Some(self.address()),
            to: Some(to.into()),
            value: Some(value),
            input: TransactionInput::new(data),
            ..Default::default()
        };
        self.provider.estimate_gas(request).await.map_err(|err| {
            match self.decoder.decode_error(&err) {
                Some(revert) => EstimateError::Reverted { revert },
                None => EstimateError::Rpc(err),
            }
        })
    }

    /// Why mined transaction `hash` reverted, from the node's trace of it
    /// (`debug_traceTransaction` with the call tracer), decoded with the sender's
    /// [`RevertDecoder`]. `None` when the node does not trace (the debug namespace is often
    /// disabled) or the transaction did not revert.
    pub async fn mined_revert(&self, hash: TxHash) -> Option<Revert> {
        let options =
            serde_json::json!({ "tracer": "callTracer", "tracerConfig": { "onlyTopCall": true } });
        let trace: serde_json::Value = self
            .provider
            .raw_request("debug_traceTransaction".into(), (hash, options))
            .await
            .ok()?;
        trace.get("error")?;
        let output = trace.get("output").and_then(|o| o.as_str()).unwrap_or("0x");
        let data: Bytes = output.parse().ok()?;
        Some(self.decoder.decode(&data))
    }

    /// Signs an EIP-1559 transaction locally; nothing is sent. A keyless sender cannot
    /// ([`Error::Keyless`]).
    pub fn sign(&self, req: TxRequest) -> Result<SignedTx> {
        let Key::Local(signer) = &self.key else {
            return Err(Error::Keyless { address: self.address() });
        };
        let mut tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: req.nonce,
            gas_limit: req.gas_limit,
            max_fee_per_gas: req.fees.max_fee_per_gas,
            max_priority_fee_per_gas: req.fees.max_priority_fee_per_gas,
            to: req.to,
            value: req.value,
            access_list: Default::default(),
            input: req.data,
        };
        let signature =
            signer.sign_transaction_sync(&mut tx).map_err(|e| Error::Signing(e.to_string()))?;
        let signed = tx.into_signed(signature);
        let hash = *signed.hash();
        let raw = Bytes::from(TxEnvelope::from(signed).encoded_2718());
        Ok(SignedTx { hash, nonce: req.nonce, raw, gas_limit: req.gas_limit, fees: req.fees })
    }

    /// Sends `tx` to the node, once.
    ///
    /// When the send fails (timeout, dropped connection, 5xx, "already known", "nonce too low",
    /// ...) the node may have the transaction anyway, so it reconciles:
    /// - the node knows the hash (`eth_getTransactionByHash`, pending or mined): success;
    /// - another transaction was mined with the nonce: [`BroadcastError::NonceConsumed`];
    /// - the node refused it ("insufficient funds", "underpriced", ...):
    ///   [`BroadcastError::Rejected`];
    /// - the send failed in transit and the node does not know the hash: the same bytes are sent
    ///   once more (the same transaction, so it cannot execute twice), and reconciled again;
    /// - otherwise [`BroadcastError::Unknown`].
    pub async fn broadcast(&self, tx: &SignedTx) -> Result<(), BroadcastError> {
        let mut sends = 0;
        loop {
            sends += 1;
            let (kind, send_error) = match self.send_raw(&tx.raw).await {
                Ok(hash) if hash == tx.hash => return Ok(()),
                Ok(hash) => {
                    (SendFailure::InTransit, format!("the node answered with another hash, {hash}"))
                }
                Err(err) => (SendFailure::of(&err), err.to_string()),
            };
            match self.reconcile(tx, kind, send_error, sends).await? {
                Reconciled::Known => return Ok(()),
                Reconciled::SendAgain => {}
            }
        }
    }

    /// Sends `req` unsigned (`eth_sendTransaction` from this sender's address), for a keyless
    /// sender on a local fork that impersonates it: the node signs nothing and names the hash.
    /// The [`SignedTx`] it returns has that hash and no raw bytes (it cannot be sent again; a
    /// fork does not lose transactions).
    pub async fn send_impersonated(&self, req: TxRequest) -> Result<SignedTx> {
        let request = TransactionRequest {
            from: Some(self.address()),
            to: Some(req.to),
            value: Some(req.value),
            input: TransactionInput::new(req.data),
            nonce: Some(req.nonce),
            gas: Some(req.gas_limit),
            max_fee_per_gas: Some(req.fees.max_fee_per_gas),
            max_priority_fee_per_gas: Some(req.fees.max_priority_fee_per_gas),
            chain_id: Some(self.chain_id),
            ..Default::default()
        };
        let hash: TxHash =
            self.provider.client().request("eth_sendTransaction", (request,)).await?;
        Ok(SignedTx {
            hash,
            nonce: req.nonce,
            raw: Bytes::new(),
            gas_limit: req.gas_limit,
            fees: req.fees,
        })
    }

    async fn send_raw(&self, raw: &Bytes) -> Result<TxHash, TransportError> {
        self.provider.client().request("eth_sendRawTransaction", (raw,)).await
    }

    async fn reconcile(
        &self,
        tx: &SignedTx,
        kind: SendFailure,
        send_error: String,
        sends: u32,
    ) -> Result<Reconciled, BroadcastError> {
        let unknown = |lookup: String| BroadcastError::Unknown {
            hash: tx.hash,
            nonce: tx.nonce,
            send_error: send_error.clone(),
            lookup,
        };
        let known = |r: std::result::Result<Option<_>, TransportError>| match r {
            Ok(found) => Ok(found.is_some()),
            Err(e) => Err(unknown(format!("looking the hash up failed too ({e})"))),
        };
        if known(self.provider.get_transaction_by_hash(tx.hash).await)? {
            return Ok(Reconciled::Known);
        }
        let mined_nonce = self.mined_nonce().await.map_err(|e| {
            unknown(format!("the node does not know the hash, and reading the nonce failed ({e})"))
        })?;
        if mined_nonce > tx.nonce {
            // It may have been mined between the two reads.
            if known(self.provider.get_transaction_by_hash(tx.hash).await)? {
                return Ok(Reconciled::Known);
            }
            return Err(BroadcastError::NonceConsumed {
                hash: tx.hash,
                nonce: tx.nonce,
                mined_nonce,
            });
        }
        match kind {
            SendFailure::Rejected { code, message } => {
                Err(BroadcastError::Rejected { hash: tx.hash, nonce: tx.nonce, code, message })
            }
            SendFailure::InTransit if sends < 2 => Ok(Reconciled::SendAgain),
            SendFailure::InTransit => {
                Err(unknown(format!("the node does not know the hash after {sends} sends")))
            }
            SendFailure::ClaimsKnown => Err(unknown(
                "the node said it had the transaction, yet does not know its hash".into(),
            )),
        }
    }

    /// Where transaction `hash` with `nonce` (this sender's) stands; see [`TxStatus`].
    pub async fn status(&self, hash: TxHash, nonce: u64) -> Result<TxStatus> {
        if let Some(receipt) = self.provider.get_transaction_receipt(hash).await? {
            return Ok(TxStatus::Mined((&receipt).into()));
        }
        if self.provider.get_transaction_by_hash(hash).await?.is_some() {
            return Ok(TxStatus::Pending);
        }
        if self.mined_nonce().await? <= nonce {
            return Ok(TxStatus::Dropped);
        }
        // The nonce is used; by this transaction if it was mined meanwhile.
        Ok(match self.provider.get_transaction_receipt(hash).await? {
            Some(receipt) => TxStatus::Mined((&receipt).into()),
            None => TxStatus::Replaced,
        })
    }

    /// Polls for the receipt of `hash` (from 50 ms, backing off to every 2 s) until it is mined
    /// or `timeout` has passed ([`Error::WaitTimeout`]). A reverted transaction is a receipt with
    /// `success: false`, not an error.
    pub async fn wait(&self, hash: TxHash, timeout: Duration) -> Result<ReceiptSummary> {
        self.poll_receipt(hash, timeout, None).await
    }

    /// Like [`Sender::wait`] for a transaction this sender signed, and every 3 s it asks the
    /// node whether it still knows it: one that the node lost (a restart, a pool eviction) while
    /// its nonce is still free is broadcast again, the very same signed bytes (never a new
    /// transaction), instead of stalling until `timeout`. A nonce taken by another transaction
    /// fails at once with [`BroadcastError::NonceConsumed`], a refused re-broadcast with
    /// [`BroadcastError::Rejected`]; a re-broadcast whose outcome is unknown is tried again at
    /// the next check.
    pub async fn wait_or_rebroadcast(
        &self,
        tx: &SignedTx,
        timeout: Duration,
    ) -> Result<ReceiptSummary> {
        self.poll_receipt(tx.hash, timeout, Some(tx)).await
    }

    async fn poll_receipt(
        &self,
        hash: TxHash,
        timeout: Duration,
        rebroadcast: Option<&SignedTx>,
    ) -> Result<ReceiptSummary> {
        let start = tokio::time::Instant::now();
        let mut delay = POLL_START;
        let mut next_check = start + KNOWN_CHECK;
        loop {
            if let Some(receipt) = self.provider.get_transaction_receipt(hash).await? {
                return Ok((&receipt).into());
            }
            if let Some(tx) = rebroadcast.filter(|_| tokio::time::Instant::now() >= next_check) {
                if let Some(mined) = self.rebroadcast_if_dropped(tx).await? {
                    return Ok(mined);
                }
                next_check = tokio::time::Instant::now() + KNOWN_CHECK;
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(Error::WaitTimeout { hash, waited });
            }
            tokio::time::sleep(delay.min(timeout - waited)).await;
            delay = (delay * 3 / 2).min(POLL_MAX);
        }
    }

    /// Sends `tx` again if the node does not know it and its nonce is free; its receipt if it
    /// turns out mined.
    async fn rebroadcast_if_dropped(&self, tx: &SignedTx) -> Result<Option<ReceiptSummary>> {
        match self.status(tx.hash, tx.nonce).await? {
            TxStatus::Mined(receipt) => Ok(Some(receipt)),
            TxStatus::Pending => Ok(None),
            // Sent unsigned by an impersonating fork: nothing to send again, wait on.
            TxStatus::Dropped if tx.raw.is_empty() => Ok(None),
            TxStatus::Dropped => match self.broadcast(tx).await {
                Ok(()) | Err(BroadcastError::Unknown { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            },
            TxStatus::Replaced => Err(BroadcastError::NonceConsumed {
                hash: tx.hash,
                nonce: tx.nonce,
                mined_nonce: self.mined_nonce().await?,
            }
            .into()),
        }
    }
}

enum Reconciled {
    Known,
    SendAgain,
}

/// How a send failed, as far as the error tells.
enum SendFailure {
    /// The node answered that it refuses the transaction.
    Rejected { code: i64, message: String },
    /// The node answered that it already has it ("already known", "nonce too low").
    ClaimsKnown,
    /// No answer from the node itself (transport failure, timeout, rate limit): it may or may
    /// not have received the transaction.
    InTransit,
}

impl SendFailure {
    fn of(err: &TransportError) -> Self {
        let RpcError::ErrorResp(payload) = err else { return Self::InTransit };
        if is_transient_payload(payload) {
            return Self::InTransit;
        }
        let message = payload.message.to_ascii_lowercase();
        let claims_known = [
            "already known",
            "known transaction",
            "already imported",
            "already exists",
            "nonce too low",
            "already been used",
        ];
        if claims_known.iter().any(|m| message.contains(m)) {
            Self::ClaimsKnown
        } else {
            Self::Rejected { code: payload.code, message: payload.message.to_string() }
        }
    }
}
