//! PLACEHOLDER for `molt_chain::logs` (helper C3, branch hc3), behind the same signature, until
//! it lands on main: one `eth_getLogs` over the whole range, no adaptive ranges, no retries.
//! Replace the `use` in `keys/mod.rs` with `molt_chain::logs` and delete this file then.

use alloy::{
    dyn_abi::{DynSolValue, EventExt},
    json_abi::Event,
    primitives::Address,
    providers::{DynProvider, Provider},
    rpc::types::Filter,
};

/// What to collect: the logs of `event` emitted by `address`, and which inputs make a key.
#[derive(Debug, Clone)]
pub(crate) struct KeySpec {
    pub(crate) address: Address,
    pub(crate) event: Event,
    pub(crate) args: Vec<usize>,
}

/// The keys found, deduplicated in first-appearance order, and how.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub(crate) keys: Vec<Vec<DynSolValue>>,
    pub(crate) logs: u64,
    pub(crate) from_block: u64,
    pub(crate) to_block: u64,
    #[allow(dead_code)]
    pub(crate) requests: u64,
}

/// Why keys could not be collected.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LogsError {
    #[error("the node does not serve eth_getLogs: {0}")]
    Unsupported(String),
    #[error("from_block {from_block} is after the node's head {head}")]
    FromBlockAfterHead { from_block: u64, head: u64 },
    #[error("eth_getLogs failed: {0}")]
    Rpc(String),
    #[error("a log does not decode as the event: {0}")]
    Decode(String),
}

pub(crate) async fn collect_keys(
    provider: &DynProvider,
    spec: &KeySpec,
    from_block: u64,
    to_block: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Keys, LogsError> {
    let head = provider.get_block_number().await.map_err(|e| LogsError::Rpc(e.to_string()))?;
    if from_block > head {
        return Err(LogsError::FromBlockAfterHead { from_block, head });
    }
    let filter = Filter::new()
        .address(spec.address)
        .event_signature(spec.event.selector())
        .from_block(from_block)
        .to_block(to_block);
    let logs = provider.get_logs(&filter).await.map_err(|e| {
        let text = e.to_string();
        if text.contains("-32601")
            || text.to_lowercase().contains("not found")
            || text.to_lowercase().contains("not supported")
        {
            LogsError::Unsupported(text)
        } else {
            LogsError::Rpc(text)
        }
    })?;
    let (mut seen, mut keys) = (std::collections::BTreeSet::new(), Vec::new());
    for log in &logs {
        let decoded =
            spec.event.decode_log(&log.inner.data).map_err(|e| LogsError::Decode(e.to_string()))?;
        let (mut indexed, mut body) = (decoded.indexed.into_iter(), decoded.body.into_iter());
        let values: Vec<DynSolValue> = spec
            .event
            .inputs
            .iter()
            .filter_map(|p| if p.indexed { indexed.next() } else { body.next() })
            .collect();
        let key: Vec<DynSolValue> = spec.args.iter().map(|&i| values[i].clone()).collect();
        if seen.insert(DynSolValue::Tuple(key.clone()).abi_encode()) {
            keys.push(key);
        }
    }
    progress(to_block, to_block);
    Ok(Keys { keys, logs: logs.len() as u64, from_block, to_block, requests: 1 })
}
