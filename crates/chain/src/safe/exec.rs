//! A deployed Safe: its state, and the transactions its owners confirm.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, TxHash, U256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    sol_types::{SolCall, SolEvent},
};

use super::{
    SafeError, SafeSignature, SafeTx,
    bindings::ISafe::{self, ISafeInstance},
    encode_signatures,
};
use crate::RevertDecoder;

/// A Safe (proxy) at `address`, read and driven through a provider.
#[derive(Debug, Clone)]
pub struct Safe {
    address: Address,
    chain_id: u64,
    provider: DynProvider,
}

impl Safe {
    /// The Safe at `address` on chain `chain_id`, through `provider`. Transactions are sent
    /// with `from` set: `provider` must sign for that account (or the node impersonate it).
    pub fn new(address: Address, chain_id: u64, provider: DynProvider) -> Self {
        Self { address, chain_id, provider }
    }

    /// The Safe's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The typed contract binding.
    pub fn contract(&self) -> ISafeInstance<DynProvider> {
        ISafe::new(self.address, self.provider.clone())
    }

    /// The nonce the next SafeTx must use.
    pub async fn nonce(&self) -> Result<U256, SafeError> {
        self.contract().nonce().call().await.map_err(call_failed("nonce()"))
    }

    /// How many owners must confirm.
    pub async fn threshold(&self) -> Result<U256, SafeError> {
        self.contract().getThreshold().call().await.map_err(call_failed("getThreshold()"))
    }

    /// The owners, in the Safe's linked-list order.
    pub async fn owners(&self) -> Result<Vec<Address>, SafeError> {
        self.contract().getOwners().call().await.map_err(call_failed("getOwners()"))
    }

    /// The SafeTx hash as the Safe itself computes it (`getTransactionHash`).
    pub async fn onchain_tx_hash(&self, tx: &SafeTx) -> Result<B256, SafeError> {
        let c = self.contract();
        let call = c.getTransactionHash(
            tx.to,
            tx.value,
            tx.data.clone(),
            tx.operation,
            tx.safeTxGas,
            tx.baseGas,
            tx.gasPrice,
            tx.gasToken,
            tx.refundReceiver,
            tx.nonce,
        );
        call.call().await.map_err(call_failed("getTransactionHash(...)"))
    }

    /// The SafeTx hash of `tx` for this Safe, computed locally.
    pub fn tx_hash(&self, tx: &SafeTx) -> B256 {
        tx.safe_tx_hash(self.chain_id, self.address)
    }

    /// Approves `hash` on behalf of `owner` (`approveHash`, sent from `owner`); afterwards
    /// [`SafeSignature::approved_hash`] of `owner` confirms the SafeTx with that hash.
    pub async fn approve_hash(&self, owner: Address, hash: B256) -> Result<TxHash, SafeError> {
        let input = ISafe::approveHashCall { hashToApprove: hash }.abi_encode();
        let receipt = send_checked(&self.provider, owner, self.address, input.into()).await?;
        Ok(receipt.transaction_hash)
    }

    /// Executes `tx` with `signatures` (sorted here), sent from `executor`. The call is
    /// simulated first, so that a Safe refusal comes back as [`SafeError::Rejected`] with its
    /// `GSxxx` code, and nothing is sent.
    pub async fn exec(
        &self,
        executor: Address,
        tx: &SafeTx,
        signatures: &[SafeSignature],
    ) -> Result<TxHash, SafeError> {
        let input = exec_call(tx, encode_signatures(signatures)?).abi_encode();
        let receipt = send_checked(&self.provider, executor, self.address, input.into()).await?;
        self.check_executed(&receipt, self.tx_hash(tx))?;
        Ok(receipt.transaction_hash)
    }

    /// On a local anvil fork only: executes `tx` as the Safe's owners would, without their
    /// keys. The fork's threshold is set to 1 (storage slot 4 of Safe 1.4.1) for the one
    /// transaction and set back after it, whatever happens; an owner other than `avoid` (when
    /// there is one: `avoid` is the caller's own sender, whose nonce it counts) is impersonated,
    /// given gas money when it has little, and executes with its approved-hash signature
    /// (`v = 1`, valid when the owner sends the transaction). Returns that owner and the receipt.
    pub async fn exec_on_fork(
        &self,
        tx: &SafeTx,
        avoid: Address,
    ) -> Result<(Address, TransactionReceipt), SafeError> {
        let owners = self.owners().await?;
        let owner = *owners
            .iter()
            .find(|o| **o != avoid)
            .or(owners.first())
            .ok_or(SafeError::NoOwners { safe: self.address })?;
        let threshold = self.threshold().await?;
        self.set_threshold_on_fork(U256::from(1)).await?;
        let executed = self.exec_impersonated(owner, tx).await;
        let restored = self.set_threshold_on_fork(threshold).await;
        let receipt = executed?;
        restored?;
        Ok((owner, receipt))
    }

    /// `owner` (impersonated by the fork) executes `tx` with its approved-hash signature.
    async fn exec_impersonated(
        &self,
        owner: Address,
        tx: &SafeTx,
    ) -> Result<TransactionReceipt, SafeError> {
        anvil(&self.provider, "anvil_impersonateAccount", serde_json::json!([owner])).await?;
        let balance = self.provider.get_balance(owner).await.map_err(crate::Error::from)?;
        let gas_money = U256::from(10u128.pow(19));
        if balance < gas_money {
            anvil(&self.provider, "anvil_setBalance", serde_json::json!([owner, gas_money]))
                .await?;
        }
        let signatures = [SafeSignature::approved_hash(owner)];
        let input = exec_call(tx, encode_signatures(&signatures)?).abi_encode();
        let receipt = send_impersonated(&self.provider, owner, self.address, input.into()).await?;
        self.check_executed(&receipt, self.tx_hash(tx))?;
        Ok(receipt)
    }

    /// Writes the threshold (storage slot 4 of Safe 1.4.1) with `anvil_setStorageAt`.
    async fn set_threshold_on_fork(&self, threshold: U256) -> Result<(), SafeError> {
        const THRESHOLD_SLOT: u64 = 4;
        let slot = B256::from(U256::from(THRESHOLD_SLOT));
        let params = serde_json::json!([self.address, slot, B256::from(threshold)]);
        anvil(&self.provider, "anvil_setStorageAt", params).await
    }

    fn check_executed(&self, receipt: &TransactionReceipt, hash: B256) -> Result<(), SafeError> {
        let from_safe = receipt.logs().iter().filter(|l| l.address() == self.address);
        for log in from_safe {
            if let Ok(e) = ISafe::ExecutionSuccess::decode_log(&log.inner)
                && e.txHash == hash
            {
                return Ok(());
            }
            if let Ok(e) = ISafe::ExecutionFailure::decode_log(&log.inner)
                && e.txHash == hash
            {
                return Err(SafeError::ExecutionFailure { safe: self.address, safe_tx_hash: hash });
            }
        }
        Err(SafeError::MissingEvent {
            tx: receipt.transaction_hash,
            event: "ExecutionSuccess",
            contract: self.address,
        })
    }
}

fn call_failed(what: &'static str) -> impl FnOnce(alloy::contract::Error) -> SafeError {
    move |source| SafeError::Call { what, source: Box::new(source) }
}

/// The `execTransaction` call of `tx` with `signatures` (as [`super::encode_signatures`] makes them).
pub fn exec_call(tx: &SafeTx, signatures: Bytes) -> ISafe::execTransactionCall {
    ISafe::execTransactionCall {
        to: tx.to,
        value: tx.value,
        data: tx.data.clone(),
        operation: tx.operation,
        safeTxGas: tx.safeTxGas,
        baseGas: tx.baseGas,
        gasPrice: tx.gasPrice,
        gasToken: tx.gasToken,
        refundReceiver: tx.refundReceiver,
        signatures,
    }
}

/// Simulates the call of `to` with `input` from `from`, turning a revert into a
/// [`SafeError`], then sends it and checks that it was mined successfully.
pub(super) async fn send_checked(
    provider: &DynProvider,
    from: Address,
    to: Address,
    input: Bytes,
) -> Result<TransactionReceipt, SafeError> {
    let tx = TransactionRequest::default().with_from(from).with_to(to).with_input(input);
    simulate(provider, &tx, to).await?;
    let pending = provider.send_transaction(tx).await.map_err(crate::Error::from)?;
    let receipt = pending.get_receipt().await.map_err(crate::Error::from)?;
    mined_ok(receipt, to)
}

/// As [`send_checked`], but sent by the node itself (`eth_sendTransaction` as a raw request,
/// past any wallet of `provider`): for an account a local fork impersonates.
async fn send_impersonated(
    provider: &DynProvider,
    from: Address,
    to: Address,
    input: Bytes,
) -> Result<TransactionReceipt, SafeError> {
    let tx = TransactionRequest::default().with_from(from).with_to(to).with_input(input);
    simulate(provider, &tx, to).await?;
    let hash: TxHash = provider
        .raw_request("eth_sendTransaction".into(), (tx,))
        .await
        .map_err(crate::Error::from)?;
    let receipt = alloy::providers::PendingTransactionBuilder::new(provider.root().clone(), hash)
        .get_receipt()
        .await
        .map_err(crate::Error::from)?;
    mined_ok(receipt, to)
}

/// An anvil method whose answer does not matter.
async fn anvil(
    provider: &DynProvider,
    method: &'static str,
    params: serde_json::Value,
) -> Result<(), SafeError> {
    provider
        .raw_request::<_, serde_json::Value>(method.into(), params)
        .await
        .map(|_| ())
        .map_err(|e| SafeError::from(crate::Error::from(e)))
}

/// `eth_call` of `tx` first: a refusal comes back decoded ([`SafeError::from_revert`]).
async fn simulate(
    provider: &DynProvider,
    tx: &TransactionRequest,
    to: Address,
) -> Result<(), SafeError> {
    match provider.call(tx.clone()).await {
        Ok(_) => Ok(()),
        Err(e) => Err(match RevertDecoder::new().decode_error(&e) {
            Some(revert) => SafeError::from_revert(to, revert),
            None => crate::Error::from(e).into(),
        }),
    }
}

fn mined_ok(receipt: TransactionReceipt, to: Address) -> Result<TransactionReceipt, SafeError> {
    if !receipt.status() {
        return Err(SafeError::MinedReverted { tx: receipt.transaction_hash, to });
    }
    Ok(receipt)
}
