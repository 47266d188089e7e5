//! Many read-only calls at one block, batched: through Multicall3 where it is deployed (one
//! `eth_call` carries a chunk of calls), otherwise as JSON-RPC batches of `eth_call`s, and as
//! single calls on a node that refuses batches.
//!
//! Snapshots and verification read tens of thousands of records; one request per record is what
//! makes them slow on a remote node. Results come back in the order of the calls, each either the
//! call's return data or its revert data.

use std::sync::atomic::{AtomicBool, Ordering};

use alloy::{
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{Address, Bytes, address},
    providers::{DynProvider, Provider},
    rpc::{client::BatchRequest, types::TransactionRequest},
    sol,
    sol_types::SolCall,
    transports::{RpcError, TransportError},
};
use futures::{StreamExt, TryStreamExt, stream};

mod views;

pub use views::{
    CallError, decode_output, error_chain, reader, view, view_outcomes, view_u64, views,
};

/// Multicall3's address, the same on every chain it is deployed on.
pub const MULTICALL3: Address = address!("cA11bde05977b3631167028862bE2a173976CA11");

sol! {
    /// Multicall3's call description.
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    /// Multicall3's per-call result.
    struct Result3 {
        bool success;
        bytes returnData;
    }

    /// Multicall3's `aggregate3`: every call, each allowed to fail on its own.
    function aggregate3(Call3[] calls) external payable returns (Result3[] returnData);
}

/// One read-only call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewCall {
    /// The contract called.
    pub to: Address,
    /// The calldata.
    pub data: Bytes,
}

/// A call's outcome: its return data, or the revert data it failed with.
pub type CallOutcome = Result<Bytes, Bytes>;

/// How a [`BatchReader`] sends its calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPath {
    /// Chunks of calls through Multicall3's `aggregate3`, one `eth_call` each.
    Multicall3,
    /// Chunks of `eth_call`s, one JSON-RPC batch each.
    JsonRpcBatch,
    /// One `eth_call` per call (the node refused batches).
    Single,
}

/// A read failed for a reason other than the call reverting.
#[derive(Debug, thiserror::Error)]
#[error("reading {to} failed: {source}")]
pub struct ReadError {
    /// The contract called.
    pub to: Address,
    /// The transport's error.
    #[source]
    pub source: TransportError,
}

/// Sends many read-only calls at one block in few requests.
#[derive(Debug)]
pub struct BatchReader {
    provider: DynProvider,
    multicall: bool,
    /// Set once the node has refused a JSON-RPC batch: later chunks go one call at a time.
    batches_refused: AtomicBool,
    chunk: usize,
    concurrency: usize,
}

impl BatchReader {
    /// Calls per chunk (one `aggregate3` or one JSON-RPC batch).
    pub const CHUNK: usize = 100;
    /// Chunks in flight at once.
    pub const CONCURRENCY: usize = 4;

    /// A reader that uses Multicall3 if it has code at `block`, JSON-RPC batches otherwise.
    pub async fn new(provider: &DynProvider, block: BlockId) -> Result<Self, ReadError> {
        let code = provider
            .get_code_at(MULTICALL3)
            .block_id(block)
            .await
            .map_err(|source| ReadError { to: MULTICALL3, source })?;
        Ok(Self::with_multicall(provider, !code.is_empty()))
    }

    /// A reader that uses Multicall3 or not, as told.
    pub fn with_multicall(provider: &DynProvider, multicall: bool) -> Self {
        Self {
            provider: provider.clone(),
            multicall,
            batches_refused: AtomicBool::new(false),
            chunk: Self::CHUNK,
            concurrency: Self::CONCURRENCY,
        }
    }

    /// Sets the calls per chunk (at least 1).
    pub fn chunk(mut self, calls: usize) -> Self {
        self.chunk = calls.max(1);
        self
    }

    /// How the calls are sent now.
    pub fn path(&self) -> ReadPath {
        if self.multicall {
            ReadPath::Multicall3
        } else if self.batches_refused.load(Ordering::Relaxed) {
            ReadPath::Single
        } else {
            ReadPath::JsonRpcBatch
        }
    }

    /// Makes every call at `block`; the outcomes are in the order of `calls`. Fails only when a
    /// call could not be made (the retrying transport has already retried transient failures),
    /// not when a call reverts.
    pub async fn call_all(
        &self,
        calls: &[ViewCall],
        block: BlockId,
    ) -> Result<Vec<CallOutcome>, ReadError> {
        let chunks: Vec<Vec<CallOutcome>> = stream::iter(calls.chunks(self.chunk))
            .map(|chunk| self.call_chunk(chunk, block))
            .buffered(self.concurrency)
            .try_collect()
            .await?;
        Ok(chunks.into_iter().flatten().collect())
    }

    async fn call_chunk(
        &self,
        calls: &[ViewCall],
        block: BlockId,
    ) -> Result<Vec<CallOutcome>, ReadError> {
        if self.multicall
            && let Some(outcomes) = self.multicall_chunk(calls, block).await?
        {
            return Ok(outcomes);
        }
        if !self.batches_refused.load(Ordering::Relaxed) {
            match self.batch_chunk(calls, block).await {
                Ok(outcomes) => return Ok(outcomes),
                // A whole batch failing for a reason that is not transient (those were retried)
                // is a node that does not take batches.
                Err(_) => self.batches_refused.store(true, Ordering::Relaxed),
            }
        }
        let mut outcomes = Vec::with_capacity(calls.len());
        for call in calls {
            outcomes.push(self.single(call, block).await?);
        }
        Ok(outcomes)
    }

    /// `None` when `aggregate3` itself failed (out of gas for a large chunk, say) or returned
    /// something else than its results: the caller falls back to plain calls.
    async fn multicall_chunk(
        &self,
        calls: &[ViewCall],
        block: BlockId,
    ) -> Result<Option<Vec<CallOutcome>>, ReadError> {
        let data = aggregate3Call {
            calls: calls
                .iter()
                .map(|c| Call3 { target: c.to, allowFailure: true, callData: c.data.clone() })
                .collect(),
        }
        .abi_encode();
        let out = match self.provider.call(request_to(MULTICALL3, data.into())).block(block).await {
            Ok(out) => out,
            // The node answered, with an error (a revert, out of gas for a large chunk, ...).
            Err(RpcError::ErrorResp(_)) => return Ok(None),
            Err(source) => return Err(ReadError { to: MULTICALL3, source }),
        };
        let Ok(results) = aggregate3Call::abi_decode_returns(&out) else { return Ok(None) };
        if results.len() != calls.len() {
            return Ok(None);
        }
        Ok(Some(
            results
                .into_iter()
                .map(|r| if r.success { Ok(r.returnData) } else { Err(r.returnData) })
                .collect(),
        ))
    }

    async fn batch_chunk(
        &self,
        calls: &[ViewCall],
        block: BlockId,
    ) -> Result<Vec<CallOutcome>, ReadError> {
        let mut batch = BatchRequest::new(self.provider.client());
        let mut waiters = Vec::with_capacity(calls.len());
        for call in calls {
            let params = (request(call), block);
            let waiter = batch
                .add_call::<_, Bytes>("eth_call", &params)
                .map_err(|source| ReadError { to: call.to, source })?;
            waiters.push(waiter);
        }
        let first = calls.first().map_or(Address::ZERO, |c| c.to);
        batch.send().await.map_err(|source| ReadError { to: first, source })?;
        let mut outcomes = Vec::with_capacity(calls.len());
        for (call, waiter) in calls.iter().zip(waiters) {
            outcomes.push(outcome(call.to, waiter.await)?);
        }
        Ok(outcomes)
    }

    async fn single(&self, call: &ViewCall, block: BlockId) -> Result<CallOutcome, ReadError> {
        outcome(call.to, self.provider.call(request(call)).block(block).await)
    }
}

fn request(call: &ViewCall) -> TransactionRequest {
    request_to(call.to, call.data.clone())
}

fn request_to(to: Address, data: Bytes) -> TransactionRequest {
    TransactionRequest::default().with_to(to).with_input(data)
}

/// A revert is an outcome; any other failure is an error.
fn outcome(to: Address, result: Result<Bytes, TransportError>) -> Result<CallOutcome, ReadError> {
    match result {
        Ok(out) => Ok(Ok(out)),
        Err(RpcError::ErrorResp(payload)) if is_revert(&payload) => {
            Ok(Err(payload.as_revert_data().unwrap_or_default()))
        }
        Err(source) => Err(ReadError { to, source }),
    }
}

/// Nodes answer a reverted `eth_call` with code 3 and the revert data, or (without data, as for
/// a bare `revert()`) with code -32000/3 and "execution reverted".
fn is_revert(payload: &alloy::rpc::json_rpc::ErrorPayload) -> bool {
    payload.as_revert_data().is_some() || payload.message.contains("revert")
}
