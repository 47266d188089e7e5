//! Typed view calls on top of raw reads: encode a function's arguments, call it (one call, or
//! many batched by a [`BatchReader`]) at a block, and decode what it returned.

use alloy::{
    dyn_abi::{DynSolValue, FunctionExt, JsonAbiExt},
    eips::BlockId,
    json_abi::Function,
    network::TransactionBuilder,
    primitives::Address,
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    transports::TransportError,
};

use super::{BatchReader, CallOutcome, ViewCall};

/// A view call that failed: which function on which contract, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("calling {function} on {address} failed: {reason}")]
pub struct CallError {
    /// The function's signature.
    pub function: String,
    /// The contract.
    pub address: Address,
    /// What went wrong (the node's error and its causes, a revert, or a decoding problem).
    pub reason: String,
    /// Whether the node failed (a transient transport failure that outlasted the retries),
    /// rather than the call itself (a revert, bad arguments, an undecodable result).
    pub node_failed: bool,
}

impl CallError {
    fn new(function: &Function, address: Address, reason: impl Into<String>) -> Self {
        Self { function: function.signature(), address, reason: reason.into(), node_failed: false }
    }

    /// The call could not be made: `e` is the transport's error.
    fn transport(function: &str, address: Address, e: &TransportError) -> Self {
        Self {
            function: function.into(),
            address,
            reason: error_chain(e),
            node_failed: crate::rpc::is_transient(e),
        }
    }
}

/// Calls a view at a block (the latest if `None`) and decodes its outputs.
pub async fn view(
    provider: &DynProvider,
    address: Address,
    function: &Function,
    args: &[DynSolValue],
    block: Option<u64>,
) -> Result<Vec<DynSolValue>, CallError> {
    let data = function
        .abi_encode_input(args)
        .map_err(|e| CallError::new(function, address, e.to_string()))?;
    let tx = TransactionRequest::default().with_to(address).with_input(data);
    let call = provider.call(tx);
    let call = match block {
        Some(b) => call.block(BlockId::number(b)),
        None => call,
    };
    let out = call.await.map_err(|e| CallError::transport(&function.signature(), address, &e))?;
    decode_output(function, address, &out)
}

/// A view returning one unsigned integer, as u64.
pub async fn view_u64(
    provider: &DynProvider,
    address: Address,
    function: &Function,
    block: Option<u64>,
) -> Result<u64, CallError> {
    let out = view(provider, address, function, &[], block).await?;
    let n = out.first().and_then(DynSolValue::as_uint).map(|(n, _)| n).unwrap_or_default();
    u64::try_from(n).map_err(|_| CallError::new(function, address, format!("{n} is not a count")))
}

/// Decodes what a call of `function` on `address` returned.
pub fn decode_output(
    function: &Function,
    address: Address,
    out: &[u8],
) -> Result<Vec<DynSolValue>, CallError> {
    if out.is_empty() && !function.outputs.is_empty() {
        let why = format!("returned no data; is there a contract at {address}?");
        return Err(CallError::new(function, address, why));
    }
    function
        .abi_decode_output(out)
        .map_err(|e| CallError::new(function, address, format!("cannot decode the result: {e}")))
}

/// Calls `function` once per argument list at `block` (the latest if `None`), batched by
/// `reader`, without decoding: per call, what it returned or its revert data. The error is a
/// call that could not be made.
pub async fn view_outcomes(
    reader: &BatchReader,
    address: Address,
    function: &Function,
    args: &[Vec<DynSolValue>],
    block: Option<u64>,
) -> Result<Vec<CallOutcome>, CallError> {
    let calls = args
        .iter()
        .map(|a| {
            let data = function
                .abi_encode_input(a)
                .map_err(|e| CallError::new(function, address, e.to_string()))?;
            Ok(ViewCall { to: address, data: data.into() })
        })
        .collect::<Result<Vec<_>, CallError>>()?;
    let block = block.map_or(BlockId::latest(), BlockId::number);
    reader
        .call_all(&calls, block)
        .await
        .map_err(|e| CallError::transport(&function.signature(), address, &e.source))
}

/// Calls `function` once per argument list at `block` (the latest if `None`), batched by
/// `reader`, and decodes each result. The outer error is a call that could not be made; the
/// inner ones are calls that reverted or returned something undecodable.
pub async fn views(
    reader: &BatchReader,
    address: Address,
    function: &Function,
    args: &[Vec<DynSolValue>],
    block: Option<u64>,
) -> Result<Vec<Result<Vec<DynSolValue>, CallError>>, CallError> {
    let outcomes = view_outcomes(reader, address, function, args, block).await?;
    Ok(outcomes
        .into_iter()
        .map(|o| match o {
            Err(revert) => {
                Err(CallError::new(function, address, format!("reverted with {revert}")))
            }
            Ok(out) => decode_output(function, address, &out),
        })
        .collect())
}

/// A reader for batched calls at `block` (the latest if `None`): through Multicall3 where it is
/// deployed, JSON-RPC batches otherwise.
pub async fn reader(provider: &DynProvider, block: Option<u64>) -> Result<BatchReader, CallError> {
    let block = block.map_or(BlockId::latest(), BlockId::number);
    BatchReader::new(provider, block)
        .await
        .map_err(|e| CallError::transport("eth_getCode", e.to, &e.source))
}

/// An error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}
