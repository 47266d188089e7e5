//! Mapping keys discovered from events: every log of one event of one contract, scanned with
//! `eth_getLogs` over block ranges that adapt to what the node accepts.
//!
//! A mapping cannot be enumerated on chain, but the contract's events usually name every key it
//! ever wrote (`Staked(address indexed user, uint256 amount)`). [`collect_keys`] reads the logs
//! of a [`KeySpec`]'s event from its contract, decodes the key arguments (indexed ones from the
//! topics, the others from the data) and returns the distinct keys in first-appearance order
//! (block, then log index).
//!
//! Nodes limit `eth_getLogs`: by block range ("exceed maximum block range: 5000"), by result
//! count ("query returned more than 10000 results") or by response size. The scan starts with
//! [`INITIAL_RANGE`] blocks, halves a range the node refuses as too large (see
//! [`is_range_refusal`]) and tries it again, and grows the range again after successes. A node
//! that does not serve `eth_getLogs` at all ([`is_unsupported`]) gives
//! [`LogsError::Unsupported`]. Transient failures (connections, 429, timeouts) are retried by
//! the provider's transport ([`crate::rpc::RetryLayer`]).
//!
//! ```no_run
//! # async fn f(provider: alloy::providers::DynProvider, vault: alloy::primitives::Address)
//! # -> Result<(), molt_chain::logs::LogsError> {
//! use molt_chain::logs::{KeySpec, collect_keys};
//! let event = alloy::json_abi::Event::parse("event Staked(address indexed user, uint256 amount)")
//!     .unwrap();
//! let spec = KeySpec { address: vault, event, args: vec![0] };
//! let keys = collect_keys(&provider, &spec, 0, 1_000, &mut |_block, _keys| {}).await?;
//! # Ok(()) }
//! ```

use std::collections::HashSet;

use alloy::{
    dyn_abi::{DynSolType, DynSolValue, EventExt, Specifier},
    json_abi::Event,
    primitives::Address,
    providers::{DynProvider, Provider},
    rpc::{
        json_rpc::ErrorPayload,
        types::{Filter, Log},
    },
    transports::{RpcError, TransportError},
};

use crate::rpc::{FailureCause, RpcFailure, says_range_too_wide};

/// The first block range asked for, in blocks.
pub const INITIAL_RANGE: u64 = 10_000;
/// The largest block range asked for, however well the node answers.
pub const MAX_RANGE: u64 = 100_000;
/// Successes in a row after which a range limit learnt from a refusal is lifted (doubled):
/// limits by result count depend on how busy the blocks are, and the next blocks may be quiet.
const RELAX_AFTER: u32 = 16;

/// One key-bearing event: the contract, the event, and which of its inputs make the key, in key
/// order (indexes into `event.inputs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// The contract whose logs are read.
    pub address: Address,
    /// The event (not anonymous: its selector is the filter's topic0).
    pub event: Event,
    /// The inputs of `event` that make a key, in key order (composite keys have several).
    pub args: Vec<usize>,
}

/// What a scan found: the distinct keys in first-appearance order (block, log index), with
/// figures for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Keys {
    /// The keys, each the values of [`KeySpec::args`] in that order, deduplicated.
    pub keys: Vec<Vec<DynSolValue>>,
    /// How many logs were read (duplicates included, removed logs not).
    pub logs: u64,
    /// The first block scanned.
    pub from_block: u64,
    /// The last block scanned (inclusive).
    pub to_block: u64,
    /// How many `eth_getLogs` requests were made, refused ones included.
    pub requests: u64,
}

/// Why keys could not be discovered from events.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// The event is anonymous: its logs carry no selector to filter by.
    #[error(
        "event `{event}` is anonymous: its logs have no selector, so they cannot be told from other logs; give the keys another way (keys = {{ file = \"keys.json\" }})"
    )]
    Anonymous {
        /// The event's signature.
        event: String,
    },
    /// The spec names no key argument.
    #[error("no key argument given for event `{event}`")]
    NoArgs {
        /// The event's signature.
        event: String,
    },
    /// A key argument index is past the event's inputs.
    #[error("event `{event}` has {count} inputs, so it has no input number {index}")]
    NoSuchArg {
        /// The event's signature.
        event: String,
        /// The index asked for.
        index: usize,
        /// How many inputs the event has.
        count: usize,
    },
    /// A key argument is indexed and not a value type: its topic is a hash of the value.
    #[error(
        "argument `{arg}` of event `{event}` is an indexed {ty}: the log holds only its hash (keccak256), so the key cannot be recovered from it; use a non-indexed argument or give the keys in a file (keys = {{ file = \"keys.json\" }})"
    )]
    IndexedDynamic {
        /// The event's signature.
        event: String,
        /// The argument's name (or `#i` when unnamed).
        arg: String,
        /// Its type.
        ty: String,
    },
    /// An event input has a type that cannot be resolved.
    #[error("event `{event}` has an input type that cannot be used: {reason}")]
    BadType {
        /// The event's signature.
        event: String,
        /// What is wrong.
        reason: String,
    },
    /// The first block to scan is after the last one (the snapshot block or the node's head).
    #[error(
        "`from_block` {from_block} is after block {head}, the last block that can be scanned (the snapshot block, at most the node's head)"
    )]
    FromBlockAfterHead {
        /// The first block asked for.
        from_block: u64,
        /// The last block that can be scanned.
        head: u64,
    },
    /// The node does not serve `eth_getLogs`.
    #[error(
        "the node does not serve eth_getLogs ({reason}), so the keys cannot be discovered on this node; list them in a file instead (keys = {{ file = \"keys.json\" }}) or use a node that serves logs"
    )]
    Unsupported {
        /// The node's answer.
        reason: String,
    },
    /// The node refuses even a one-block range as too large.
    #[error(
        "the node refuses eth_getLogs even for the single block {block} ({reason}); use a node with higher log limits, or list the keys in a file (keys = {{ file = \"keys.json\" }})"
    )]
    RangeRefused {
        /// The block.
        block: u64,
        /// The node's answer.
        reason: String,
    },
    /// A log of the event does not decode as the event.
    #[error(
        "a `{event}` log of {address} (block {block}, log index {log_index}) does not decode as that event: {reason}"
    )]
    Decode {
        /// The event's signature.
        event: String,
        /// The contract.
        address: Address,
        /// The log's block.
        block: u64,
        /// The log's index in its block.
        log_index: u64,
        /// What did not fit.
        reason: String,
    },
    /// A call failed for another reason (after the transport's retries).
    #[error("{method} failed: {source}")]
    Rpc {
        /// The call, e.g. `eth_getLogs for blocks 100..=199`.
        method: String,
        /// The transport's error.
        source: TransportError,
    },
}

/// Checks that `spec` can yield keys: the event is not anonymous, the key arguments exist, and
/// none is an indexed argument of a type the log holds only a hash of (string, bytes, arrays,
/// tuples).
pub fn check_spec(spec: &KeySpec) -> Result<(), LogsError> {
    let event = &spec.event;
    let signature = || event.full_signature();
    if event.anonymous {
        return Err(LogsError::Anonymous { event: signature() });
    }
    if spec.args.is_empty() {
        return Err(LogsError::NoArgs { event: signature() });
    }
    for (i, &index) in spec.args.iter().enumerate() {
        let Some(param) = event.inputs.get(index) else {
            let count = event.inputs.len();
            return Err(LogsError::NoSuchArg { event: signature(), index, count });
        };
        let ty = param
            .resolve()
            .map_err(|e| LogsError::BadType { event: signature(), reason: e.to_string() })?;
        let value_type = matches!(
            ty,
            DynSolType::Address
                | DynSolType::Bool
                | DynSolType::Int(_)
                | DynSolType::Uint(_)
                | DynSolType::FixedBytes(_)
                | DynSolType::Function
        );
        if param.indexed && !value_type {
            let arg = if param.name.is_empty() { format!("#{i}") } else { param.name.clone() };
            return Err(LogsError::IndexedDynamic {
                event: signature(),
                arg,
                ty: param.ty.clone(),
            });
        }
    }
    event
        .resolve()
        .map_err(|e| LogsError::BadType { event: signature(), reason: e.to_string() })?;
    Ok(())
}

/// Reads every log of `spec`'s event from its contract in blocks `from_block..=to_block` (the
/// caller passes the snapshot block as `to_block`) and returns the distinct keys in
/// first-appearance order. `progress` is told the last block scanned and the number of keys so
/// far after each range. Removed logs (a reorg's) are ignored.
pub async fn collect_keys(
    provider: &DynProvider,
    spec: &KeySpec,
    from_block: u64,
    to_block: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Keys, LogsError> {
    check_spec(spec)?;
    let head = provider
        .get_block_number()
        .await
        .map_err(|source| LogsError::Rpc { method: "eth_blockNumber".into(), source })?;
    let last = to_block.min(head);
    if from_block > last {
        return Err(LogsError::FromBlockAfterHead { from_block, head: last });
    }
    let filter = Filter::new().address(spec.address).event_signature(spec.event.selector());
    let mut found = Found::default();
    let requests = scan(provider, &filter, from_block, to_block, &mut |logs, end| {
        found.add(spec, logs)?;
        progress(end, found.keys.len() as u64);
        Ok(())
    })
    .await?;
    Ok(Keys { keys: found.keys, logs: found.logs, from_block, to_block, requests })
}

/// Reads every log of `filter` (its address and topics; its block range is set here) in blocks
/// `from_block..=to_block`, in ranges the node accepts: a range the node refuses as too wide is
/// halved, and the range grows back after successes. `on_logs` gets each range's logs with the
/// range's last block. Returns the number of `eth_getLogs` requests.
pub async fn scan(
    provider: &DynProvider,
    filter: &Filter,
    from_block: u64,
    to_block: u64,
    on_logs: &mut dyn FnMut(Vec<Log>, u64) -> Result<(), LogsError>,
) -> Result<u64, LogsError> {
    let mut window = Window::new();
    let mut requests = 0;
    let mut start = from_block;
    while start <= to_block {
        let end = start.saturating_add(window.span - 1).min(to_block);
        requests += 1;
        match provider.get_logs(&filter.clone().from_block(start).to_block(end)).await {
            Ok(logs) => {
                on_logs(logs, end)?;
                window.succeeded();
                if end == u64::MAX {
                    break;
                }
                start = end + 1;
            }
            Err(err) => refused(err, start, end, &mut window)?,
        }
    }
    Ok(requests)
}

/// What a failed `eth_getLogs` for `start..=end` means: a range to halve (Ok), or the error.
fn refused(
    err: TransportError,
    start: u64,
    end: u64,
    window: &mut Window,
) -> Result<(), LogsError> {
    let Some(payload) = error_payload(&err) else {
        return Err(LogsError::Rpc {
            method: format!("eth_getLogs for blocks {start}..={end}"),
            source: err,
        });
    };
    if is_unsupported(payload) {
        return Err(LogsError::Unsupported { reason: payload.to_string() });
    }
    if !is_range_refusal(payload) {
        return Err(LogsError::Rpc {
            method: format!("eth_getLogs for blocks {start}..={end}"),
            source: err,
        });
    }
    if start == end {
        return Err(LogsError::RangeRefused { block: start, reason: payload.to_string() });
    }
    window.refused(end - start + 1);
    Ok(())
}

/// The node's JSON-RPC error in `err`: its answer, or the last answer of a call the transport
/// retried.
fn error_payload(err: &TransportError) -> Option<&ErrorPayload> {
    match err {
        RpcError::ErrorResp(payload) => Some(payload),
        _ => match &RpcFailure::of(err)?.cause {
            FailureCause::Response(payload) => Some(payload),
            _ => None,
        },
    }
}

/// The keys found so far.
#[derive(Default)]
struct Found {
    keys: Vec<Vec<DynSolValue>>,
    /// The ABI encoding of each key in `keys`, to tell duplicates.
    seen: HashSet<Vec<u8>>,
    logs: u64,
}

impl Found {
    /// Adds the keys of one range's logs, in (block, log index) order.
    fn add(&mut self, spec: &KeySpec, mut logs: Vec<Log>) -> Result<(), LogsError> {
        logs.retain(|l| !l.removed);
        logs.sort_by_key(|l| (l.block_number, l.log_index));
        for log in logs {
            self.logs += 1;
            let key = key_of(spec, &log)?;
            if self.seen.insert(DynSolValue::Tuple(key.clone()).abi_encode()) {
                self.keys.push(key);
            }
        }
        Ok(())
    }
}

/// The key a log carries: the values of the spec's args, in key order.
fn key_of(spec: &KeySpec, log: &Log) -> Result<Vec<DynSolValue>, LogsError> {
    let decoded = spec.event.decode_log(log.data()).map_err(|e| LogsError::Decode {
        event: spec.event.full_signature(),
        address: log.address(),
        block: log.block_number.unwrap_or_default(),
        log_index: log.log_index.unwrap_or_default(),
        reason: e.to_string(),
    })?;
    // `decoded` holds the indexed inputs and the others apart, each in input order.
    let mut indexed = decoded.indexed.into_iter();
    let mut body = decoded.body.into_iter();
    let values: Vec<DynSolValue> = spec
        .event
        .inputs
        .iter()
        .filter_map(|p| if p.indexed { indexed.next() } else { body.next() })
        .collect();
    Ok(spec.args.iter().map(|&i| values[i].clone()).collect())
}

/// The block range of the next request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    /// Blocks in the next request.
    span: u64,
    /// The largest span to grow to.
    ceiling: u64,
    /// Successes since the last refusal or the last lift of the ceiling.
    streak: u32,
}

impl Window {
    fn new() -> Self {
        Self { span: INITIAL_RANGE, ceiling: MAX_RANGE, streak: 0 }
    }

    /// After a success: twice the span, up to the ceiling, which lifts after a streak.
    fn succeeded(&mut self) {
        self.streak += 1;
        if self.streak >= RELAX_AFTER && self.ceiling < MAX_RANGE {
            self.ceiling = (self.ceiling * 2).min(MAX_RANGE);
            self.streak = 0;
        }
        self.span = (self.span * 2).min(self.ceiling);
    }

    /// After `span` blocks were refused: half of them, which is also the ceiling for now.
    fn refused(&mut self, span: u64) {
        self.span = (span / 2).max(1);
        self.ceiling = self.span;
        self.streak = 0;
    }
}

/// Messages (lower-cased) of a rate limit, which code -32005 also carries.
const RATE_LIMITS: &[&str] = &[
    "rate limit",
    "rate exceeded",
    "too many requests",
    "credits",
    "request limit",
    "daily request",
];

/// Whether `payload` is a node refusing an `eth_getLogs` range as too wide or too heavy (a
/// message the transport never retries either, see [`crate::rpc::is_transient_payload`]), or
/// Infura's code -32005 when it does not say "rate limit" or "limit exceeded" (then it is a rate
/// limit, which is transient). A -32005 without such text is retried by the transport first (it
/// may be a rate limit), then taken for a refusal.
pub fn is_range_refusal(payload: &ErrorPayload) -> bool {
    let message = payload.message.to_ascii_lowercase();
    if says_range_too_wide(&message) {
        return true;
    }
    payload.code == -32005
        && message != "limit exceeded"
        && !RATE_LIMITS.iter().any(|m| message.contains(m))
}

/// Whether `payload` is a node that does not serve `eth_getLogs` at all: method not found
/// (-32601) or a message saying the method is not supported, allowed or available.
pub fn is_unsupported(payload: &ErrorPayload) -> bool {
    let message = payload.message.to_ascii_lowercase();
    payload.code == -32601
        || [
            "method not found",
            "not supported",
            "unsupported method",
            "method not allowed",
            "does not exist/is not available",
            "method is not available",
        ]
        .iter()
        .any(|m| message.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(code: i64, message: &str) -> ErrorPayload {
        ErrorPayload { code, message: message.to_owned().into(), data: None }
    }

    #[test]
    fn provider_refusals_of_wide_ranges_are_told_apart_from_rate_limits_and_bad_params() {
        let refusals = [
            (-32005, "query returned more than 10000 results"),
            (
                -32602,
                "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response.",
            ),
            (-32000, "block range is too wide"),
            (-32000, "exceed maximum block range: 5000"),
            (-32602, "eth_getLogs block range too large, range: 20000, max: 10000"),
            (-32000, "requested block range is too large"),
            (-32005, "backend response too large"),
            (-32602, "query exceeds max results 20000, retry with the range 100-199"),
            (-32000, "Please limit the query to at most 1000 blocks"),
            (-32000, "logs matched by query exceeds limit of 10000"),
            (-32000, "block range limit (2000) exceeded"),
            (-32602, "too many blocks requested"),
        ];
        for (code, message) in refusals {
            assert!(is_range_refusal(&payload(code, message)), "{code} {message}");
            assert!(!is_unsupported(&payload(code, message)), "{code} {message}");
        }
        let others = [
            (-32005, "limit exceeded"),
            (-32005, "daily request count exceeded, request rate limited"),
            (429, "Too Many Requests"),
            (-32602, "invalid params"),
            (-32000, "header not found"),
            (-32601, "the method eth_getLogs does not exist/is not available"),
        ];
        for (code, message) in others {
            assert!(!is_range_refusal(&payload(code, message)), "{code} {message}");
        }
    }

    #[test]
    fn nodes_without_eth_get_logs_are_recognised() {
        for (code, message) in [
            (-32601, "Method not found"),
            (-32601, "the method eth_getLogs does not exist/is not available"),
            (-32000, "eth_getLogs is not supported"),
            (-32004, "Method not allowed"),
            (-32603, "unsupported method: eth_getLogs"),
        ] {
            assert!(is_unsupported(&payload(code, message)), "{code} {message}");
        }
        assert!(!is_unsupported(&payload(-32000, "block range is too wide")));
    }

    #[test]
    fn the_window_halves_on_refusal_grows_after_success_and_lifts_its_ceiling_after_a_streak() {
        let mut w = Window::new();
        assert_eq!(w.span, INITIAL_RANGE);
        w.succeeded();
        assert_eq!(w.span, 2 * INITIAL_RANGE);
        for _ in 0..10 {
            w.succeeded();
        }
        assert_eq!(w.span, MAX_RANGE);
        w.refused(MAX_RANGE);
        assert_eq!((w.span, w.ceiling), (MAX_RANGE / 2, MAX_RANGE / 2));
        w.refused(3);
        assert_eq!(w.span, 1);
        w.succeeded();
        assert_eq!(w.span, 1, "no growth past the ceiling a refusal set");
        for _ in 1..RELAX_AFTER {
            w.succeeded();
        }
        assert_eq!((w.span, w.ceiling), (2, 2), "the ceiling lifts after a streak");
    }

    fn spec(signature: &str, args: Vec<usize>) -> KeySpec {
        KeySpec { address: Address::ZERO, event: Event::parse(signature).unwrap(), args }
    }

    #[test]
    fn specs_that_cannot_yield_keys_are_refused_with_the_reason() {
        assert!(
            check_spec(&spec("event Staked(address indexed user, uint256 amount)", vec![0, 1]))
                .is_ok()
        );
        assert!(check_spec(&spec("event Noted(string label, bytes data)", vec![0, 1])).is_ok());
        let err = check_spec(&spec("event Labelled(string indexed label, uint256 id)", vec![0]))
            .unwrap_err();
        assert!(matches!(&err, LogsError::IndexedDynamic { arg, .. } if arg == "label"), "{err:?}");
        assert!(err.to_string().contains("cannot be recovered from it"), "{err}");
        let err = check_spec(&spec("event A(uint256[2] indexed pair)", vec![0])).unwrap_err();
        assert!(matches!(err, LogsError::IndexedDynamic { .. }), "{err:?}");
        let err = check_spec(&spec("event A(address indexed a) anonymous", vec![0])).unwrap_err();
        assert!(matches!(err, LogsError::Anonymous { .. }), "{err:?}");
        let err = check_spec(&spec("event A(address indexed a)", vec![1])).unwrap_err();
        assert!(matches!(err, LogsError::NoSuchArg { index: 1, count: 1, .. }), "{err:?}");
        let err = check_spec(&spec("event A(address indexed a)", vec![])).unwrap_err();
        assert!(matches!(err, LogsError::NoArgs { .. }), "{err:?}");
    }
}
