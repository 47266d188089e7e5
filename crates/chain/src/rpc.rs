//! HTTP providers whose transport retries idempotent JSON-RPC calls.
//!
//! Real endpoints time out, answer 429/5xx, reset connections and lag behind their load
//! balancer ("header not found"). [`connect`] builds a provider whose transport, a tower
//! [`RetryLayer`] around alloy's HTTP transport, retries such transient failures with
//! exponential backoff and jitter, a bounded number of attempts, a per-attempt timeout and a
//! deadline for the whole call ([`RpcOptions`]).
//!
//! Only idempotent calls are retried (see [`is_idempotent`]): a send whose response was lost may
//! have reached the node, so sending it again blindly is the caller's decision, made by hash and
//! nonce (see [`crate::Sender::broadcast`]). Errors that are not transient (a revert, invalid
//! params) are never retried.
//!
//! JSON-RPC error responses that end a call (a revert, invalid params) reach the caller
//! unchanged, so alloy and [`crate::revert`] can read them. Every other failure is an
//! [`RpcFailure`] inside the [`TransportError`], naming the method, the endpoint (without
//! credentials) and the number of attempts; get it back with [`RpcFailure::of`].
//!
//! ```no_run
//! # async fn f() -> molt_chain::Result<()> {
//! use alloy::providers::Provider;
//! let provider = molt_chain::rpc::connect("http://localhost:8545", Default::default())?;
//! let block = provider.get_block_number().await?;
//! # Ok(()) }
//! ```

use std::{
    fmt,
    hash::{BuildHasher, Hasher},
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use alloy::{
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::{
        client::RpcClient,
        json_rpc::{ErrorPayload, RequestPacket, ResponsePacket},
    },
    transports::{RpcError, TransportError, TransportErrorKind, TransportFut, http::reqwest::Url},
};
use tower::{Layer, Service};

use crate::{Error, Result};

/// How hard the transport tries before giving up on a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcOptions {
    /// Attempts per idempotent call, the first included (at least 1). Sends get one attempt.
    pub max_attempts: u32,
    /// The delay before the first retry; it doubles with each further retry.
    pub initial_backoff: Duration,
    /// The longest delay between two attempts, also the cap on a server's `Retry-After`.
    pub max_backoff: Duration,
    /// How long one attempt may take before it counts as failed (a timeout is transient).
    pub request_timeout: Duration,
    /// How long one call may take in all, its retries and the waits between them included: the
    /// last attempt is cut short at this deadline, and no retry starts that could not begin
    /// before it.
    pub deadline: Duration,
}

impl Default for RpcOptions {
    /// 6 attempts, backoff from 250 ms doubling up to 8 s (4 to 8 s of waiting in all, with
    /// jitter), 30 s per attempt, 30 s per call in all.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            request_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(30),
        }
    }
}

/// Connects an HTTP(S) JSON-RPC endpoint through a [`RetryLayer`].
///
/// The URL may carry credentials (user info, an API key in the path or query); errors show only
/// its scheme, host and port (see [`redact_url`]).
pub fn connect(url: &str, opts: RpcOptions) -> Result<DynProvider> {
    Ok(ProviderBuilder::new().connect_client(client(url, opts)?).erased())
}

/// Like [`connect`], with a provider that signs for `wallet`'s accounts.
pub fn connect_with_wallet(
    url: &str,
    opts: RpcOptions,
    wallet: alloy::network::EthereumWallet,
) -> Result<DynProvider> {
    Ok(ProviderBuilder::new().wallet(wallet).connect_client(client(url, opts)?).erased())
}

/// The JSON-RPC client under [`connect`]: HTTP(S) through a [`RetryLayer`].
pub fn client(url: &str, opts: RpcOptions) -> Result<RpcClient> {
    let endpoint = redact_url(url);
    let parsed: Url = url.parse().map_err(|e: <Url as std::str::FromStr>::Err| {
        Error::InvalidUrl { url: endpoint.clone(), reason: e.to_string() }
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::InvalidUrl {
            url: endpoint,
            reason: format!("scheme `{}` is not supported; use http or https", parsed.scheme()),
        });
    }
    Ok(RpcClient::builder().layer(RetryLayer::new(endpoint, opts)).http(parsed))
}

/// Whether a JSON-RPC method may be sent again when its outcome is unknown.
///
/// Not idempotent: every `eth_send*` (a lost response may hide an accepted transaction),
/// filter creation and `eth_getFilterChanges` (a retry would lose the changes the lost response
/// carried), subscriptions, and the state-changing namespaces of dev nodes and node admin
/// (`anvil_`, `evm_`, `hardhat_`, `miner_`, `admin_`, `personal_`), where e.g. a retried
/// `evm_mine` would mine twice. Everything else (`eth_call`, `eth_get*`, `eth_estimateGas`,
/// `eth_feeHistory`, `net_`, `web3_`, `debug_trace*`, ...) is.
pub fn is_idempotent(method: &str) -> bool {
    const PREFIXES: [&str; 8] =
        ["eth_send", "anvil_", "evm_", "hardhat_", "miner_", "admin_", "personal_", "eth_sign"];
    const METHODS: [&str; 6] = [
        "eth_getFilterChanges",
        "eth_newFilter",
        "eth_newBlockFilter",
        "eth_newPendingTransactionFilter",
        "eth_subscribe",
        "eth_unsubscribe",
    ];
    !PREFIXES.iter().any(|p| method.starts_with(p)) && !METHODS.contains(&method)
}

/// Whether a failed call may succeed if tried again: HTTP 408/429/5xx (but 501 and 505),
/// connection refused or reset, timeouts, a body that is not JSON-RPC (a proxy's error page),
/// and the JSON-RPC errors of [`is_transient_payload`].
pub fn is_transient(err: &TransportError) -> bool {
    match err {
        RpcError::ErrorResp(payload) => is_transient_payload(payload),
        RpcError::Transport(kind) => match kind {
            TransportErrorKind::MissingBatchResponse(_) | TransportErrorKind::BackendGone => true,
            TransportErrorKind::HttpError(http) => is_transient_status(http.status),
            TransportErrorKind::HttpErrorWithRetryAfter { error, .. } => {
                is_transient_status(error.status)
            }
            TransportErrorKind::Custom(custom) => match custom
                .downcast_ref::<alloy::transports::http::reqwest::Error>(
            ) {
                Some(e) => !e.is_builder() && !e.is_redirect(),
                None => custom.downcast_ref::<RpcFailure>().is_some_and(|f| f.cause.is_transient()),
            },
            _ => false,
        },
        RpcError::DeserError { .. } | RpcError::NullResp => true,
        _ => false,
    }
}

/// Whether a JSON-RPC error response means "try again later": rate limits (429, -32005 and the
/// messages providers use), "header not found" (a load-balanced node behind the others),
/// timeouts and overload. A revert (code 3 or a message mentioning "revert") never is, even if
/// its reason says "rate limit", and neither is a message saying a log query is too wide (see
/// [`crate::logs::is_range_refusal`]; Infura sends one as -32005 too): the same query would be
/// refused again, a smaller one is the way on.
pub fn is_transient_payload(payload: &ErrorPayload) -> bool {
    let message = payload.message.to_ascii_lowercase();
    if payload.code == 3 || message.contains("revert") || says_range_too_wide(&message) {
        return false;
    }
    payload.is_retry_err()
        || ["timed out", "timeout", "temporarily unavailable", "try again", "overloaded"]
            .iter()
            .any(|m| message.contains(m))
}

/// Whether a (lower-cased) error message says a log query was too wide or too heavy (see
/// [`RANGE_REFUSALS`]), whatever the method and the code.
pub(crate) fn says_range_too_wide(message: &str) -> bool {
    RANGE_REFUSALS.iter().any(|m| message.contains(m))
}

/// Messages (lower-cased) of nodes refusing an `eth_getLogs` range as too wide or as having too
/// many results; each entry's comment is a message it matches.
const RANGE_REFUSALS: &[&str] = &[
    "query returned more than", // "query returned more than 10000 results" (Infura, geth)
    "block range is too wide",  // "block range is too wide"
    "maximum block range",      // "exceed maximum block range: 5000"
    "response size exceeded",   // "Log response size exceeded. ..." (Alchemy)
    "range too large",          // "eth_getLogs block range too large, range: 20000, max: 10000"
    "range is too large",       // "requested block range is too large"
    "too many blocks",          // "too many blocks requested"
    "block range limit",        // "block range limit (2000) exceeded"
    "exceeds max results",      // "query exceeds max results 20000"
    "logs matched by query exceeds", // "logs matched by query exceeds limit of 10000"
    "too many results",         // "too many results, narrow your query"
    "limit the query to",       // "please limit the query to at most 1000 blocks"
];

fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500 | 502..=504 | 520..=530)
}

/// The scheme, host and port of `url`, with `/…` standing for any path or query: endpoints
/// often carry an API key there (`https://eth-mainnet.example/v2/KEY`), and user info is dropped.
pub fn redact_url(url: &str) -> String {
    let Ok(u) = url.parse::<Url>() else { return "<invalid URL>".into() };
    let mut out = format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default());
    if let Some(port) = u.port() {
        out.push_str(&format!(":{port}"));
    }
    if (u.path() != "/" && !u.path().is_empty()) || u.query().is_some() {
        out.push_str("/…");
    }
    out
}

/// Whether `url` carries more than a scheme, host and port: user info, a path, a query or a
/// fragment, any of which may hold a credential. An unparsable URL counts as carrying one.
pub fn carries_secrets(url: &str) -> bool {
    let Ok(u) = url.parse::<Url>() else { return true };
    !u.username().is_empty()
        || u.password().is_some()
        || (u.path() != "/" && !u.path().is_empty())
        || u.query().is_some()
        || u.fragment().is_some()
}

/// `url` without what looks like a credential, for files people share (a manifest): the user
/// info, the fragment, query parameters named like a secret (`apikey`, `key`, `token`,
/// `secret`, `password`, `auth`, `signature`, …) and path segments that look like an API key (20
/// or more letters, digits, `-` and `_`, as Infura's, Alchemy's and QuickNode's are). Whatever
/// else the URL has is kept. An unparsable URL gives `<invalid URL>`.
pub fn strip_credentials(url: &str) -> String {
    let Ok(mut u) = url.parse::<Url>() else { return "<invalid URL>".into() };
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_fragment(None);
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !is_secret_param(k))
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    let path: Vec<String> = u
        .path_segments()
        .map(|s| s.filter(|seg| !looks_like_api_key(seg)).map(str::to_owned).collect())
        .unwrap_or_default();
    u.set_path(&path.join("/"));
    u.to_string()
}

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "key"
        || [
            "apikey",
            "api_key",
            "api-key",
            "token",
            "secret",
            "password",
            "passwd",
            "auth",
            "signature",
            "credential",
        ]
        .iter()
        .any(|s| name.contains(s))
}

fn looks_like_api_key(segment: &str) -> bool {
    segment.len() >= 20
        && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Why a call failed, the last attempt's failure.
#[derive(Debug)]
pub enum FailureCause {
    /// The attempt took longer than [`RpcOptions::request_timeout`] (or than what was left
    /// of [`RpcOptions::deadline`]): the time it was given.
    Timeout(Duration),
    /// The transport failed (HTTP status, connection, unreadable body).
    Transport(TransportError),
    /// The node answered with a transient JSON-RPC error until attempts ran out.
    Response(ErrorPayload),
}

impl FailureCause {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout(_) => true,
            Self::Transport(e) => is_transient(e),
            Self::Response(p) => is_transient_payload(p),
        }
    }
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(t) => write!(f, "no response within {}", seconds(*t)),
            Self::Transport(e) => {
                // reqwest's own message ("error sending request") hides the reason
                // ("Connection refused") in its sources.
                let mut shown = e.to_string();
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    let s_text = s.to_string();
                    if !shown.contains(&s_text) {
                        shown = format!("{shown}: {s_text}");
                    }
                    source = s.source();
                }
                f.write_str(&shown)
            }
            Self::Response(p) => p.fmt(f),
        }
    }
}

/// A call that failed in the transport, with where and how often it was tried.
///
/// It travels as [`TransportErrorKind::Custom`] inside a [`TransportError`]; [`RpcFailure::of`]
/// finds it.
#[derive(Debug)]
pub struct RpcFailure {
    /// The JSON-RPC method, or `batch(m1, m2, …)`.
    pub method: String,
    /// The endpoint, redacted by [`redact_url`].
    pub endpoint: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// Whether the method was eligible for retries ([`is_idempotent`]).
    pub idempotent: bool,
    /// How long the call took, its attempts and the waits between them.
    pub elapsed: Duration,
    /// [`RpcOptions::deadline`], when the call gave up because it was reached (rather than
    /// because the attempts ran out or the failure was not transient).
    pub deadline: Option<Duration>,
    /// The last attempt's failure.
    pub cause: FailureCause,
}

impl RpcFailure {
    /// The [`RpcFailure`] inside `err`, if the error came from a [`RetryLayer`].
    pub fn of(err: &TransportError) -> Option<&Self> {
        err.as_transport_err()?.as_custom()?.downcast_ref()
    }
}

impl fmt::Display for RpcFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.attempts == 1 { "" } else { "s" };
        write!(
            f,
            "`{}` to {} failed after {} attempt{s} in {}: {}",
            self.method,
            self.endpoint,
            self.attempts,
            seconds(self.elapsed),
            self.cause
        )?;
        if let Some(deadline) = self.deadline {
            let deadline = seconds(deadline);
            write!(f, " (gave up at the deadline of {deadline} per call, retries included)")?;
        }
        if !self.idempotent && self.cause.is_transient() {
            f.write_str(
                " (not retried: the method is not idempotent, and the node may have acted on it)",
            )?;
        }
        Ok(())
    }
}

/// A duration in seconds, to a tenth: `2 s`, `0.3 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", (d.as_secs_f64() * 10.0).round() / 10.0)
}

/// The display already shows the cause and its sources; [`RpcFailure::cause`] holds them.
impl std::error::Error for RpcFailure {}

/// A tower layer that retries idempotent JSON-RPC calls on transient failures; see the module
/// docs.
#[derive(Debug, Clone)]
pub struct RetryLayer {
    endpoint: Arc<str>,
    opts: Arc<RpcOptions>,
}

impl RetryLayer {
    /// A layer for `endpoint` (shown in errors as is: pass it through [`redact_url`]).
    pub fn new(endpoint: impl Into<String>, opts: RpcOptions) -> Self {
        Self { endpoint: endpoint.into().into(), opts: Arc::new(opts) }
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService { inner, endpoint: self.endpoint.clone(), opts: self.opts.clone() }
    }
}

/// The service of a [`RetryLayer`].
#[derive(Debug, Clone)]
pub struct RetryService<S> {
    inner: S,
    endpoint: Arc<str>,
    opts: Arc<RpcOptions>,
}

impl<S> Service<RequestPacket> for RetryService<S>
where
    S: Service<
            RequestPacket,
            Response = ResponsePacket,
            Error = TransportError,
            Future = TransportFut<'static>,
        > + Clone
        + Send
        + 'static,
{
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        // The service that was polled ready handles this call; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let endpoint = self.endpoint.clone();
        let opts = self.opts.clone();
        Box::pin(async move {
            let idempotent = request.method_names().all(is_idempotent);
            let max_attempts = if idempotent { opts.max_attempts.max(1) } else { 1 };
            let started = tokio::time::Instant::now();
            let deadline = started + opts.deadline;
            let fail = |attempts, cause, deadline_hit: bool| {
                let call = Call { request: &request, endpoint: &endpoint, idempotent };
                let deadline = deadline_hit.then_some(opts.deadline);
                failure(call, attempts, started.elapsed(), deadline, cause)
            };
            let mut attempts = 0;
            loop {
                attempts += 1;
                let call = inner.call(request.clone());
                let limit = opts.request_timeout.min(deadline - tokio::time::Instant::now());
                let (cause, hint) = match tokio::time::timeout(limit, call).await {
                    Err(_) => (FailureCause::Timeout(limit), None),
                    Ok(Ok(response)) => {
                        let transient = response.iter_errors().find(|p| is_transient_payload(p));
                        match transient {
                            Some(payload) if idempotent => {
                                (FailureCause::Response(payload.clone()), None)
                            }
                            // A send's error response is the node's answer: pass it on.
                            _ => return Ok(response),
                        }
                    }
                    Ok(Err(err)) => {
                        let hint = err.as_transport_err().and_then(|k| k.retry_after());
                        let err = strip_url(err);
                        if !is_transient(&err) {
                            return Err(fail(attempts, FailureCause::Transport(err), false));
                        }
                        (FailureCause::Transport(err), hint)
                    }
                };
                if attempts >= max_attempts {
                    return Err(fail(attempts, cause, false));
                }
                let delay = backoff(&opts, attempts, hint);
                if tokio::time::Instant::now() + delay >= deadline {
                    return Err(fail(attempts, cause, true));
                }
                tokio::time::sleep(delay).await;
            }
        })
    }
}

/// What was called, for [`failure`].
struct Call<'a> {
    request: &'a RequestPacket,
    endpoint: &'a str,
    idempotent: bool,
}

fn failure(
    call: Call<'_>,
    attempts: u32,
    elapsed: Duration,
    deadline: Option<Duration>,
    cause: FailureCause,
) -> TransportError {
    let Call { request, endpoint, idempotent } = call;
    let method = match request {
        RequestPacket::Single(r) => r.method().to_owned(),
        RequestPacket::Batch(_) => {
            let names: Vec<&str> = request.method_names().collect();
            format!("batch({})", names.join(", "))
        }
    };
    TransportErrorKind::custom(RpcFailure {
        method,
        endpoint: endpoint.to_owned(),
        attempts,
        idempotent,
        elapsed,
        deadline,
        cause,
    })
}

/// reqwest errors print the URL, which may hold an API key.
fn strip_url(err: TransportError) -> TransportError {
    match err {
        RpcError::Transport(TransportErrorKind::Custom(custom)) => {
            match custom.downcast::<alloy::transports::http::reqwest::Error>() {
                Ok(e) => TransportErrorKind::custom(e.without_url()),
                Err(custom) => RpcError::Transport(TransportErrorKind::Custom(custom)),
            }
        }
        other => other,
    }
}

/// The delay after failed attempt `attempt` (1-based): `initial * 2^(attempt-1)` capped at
/// `max_backoff`, of which the upper half is random (so that many clients do not retry in
/// step), or the server's `Retry-After` capped at `max_backoff`.
fn backoff(opts: &RpcOptions, attempt: u32, hint: Option<Duration>) -> Duration {
    if let Some(hint) = hint {
        return hint.min(opts.max_backoff);
    }
    let exp = opts.initial_backoff.saturating_mul(1 << (attempt - 1).min(20));
    let delay = exp.min(opts.max_backoff);
    let half = delay / 2;
    half + half.mul_f64(jitter())
}

/// A number in [0, 1) that differs between calls, without a random-number dependency.
fn jitter() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_and_dev_node_mutations_are_not_idempotent() {
        for m in [
            "eth_sendRawTransaction",
            "eth_sendTransaction",
            "eth_sendRawTransactionSync",
            "evm_mine",
            "anvil_setBalance",
            "eth_getFilterChanges",
        ] {
            assert!(!is_idempotent(m), "{m}");
        }
        for m in [
            "eth_call",
            "eth_getTransactionByHash",
            "eth_estimateGas",
            "eth_chainId",
            "eth_feeHistory",
            "net_version",
        ] {
            assert!(is_idempotent(m), "{m}");
        }
    }

    #[test]
    fn redacted_urls_keep_only_scheme_host_and_port() {
        assert_eq!(
            redact_url("https://user:pw@eth.example.com/v2/SECRET?key=K"),
            "https://eth.example.com/…"
        );
        assert_eq!(redact_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(redact_url("http://127.0.0.1:8545/"), "http://127.0.0.1:8545");
        assert_eq!(redact_url("not a url"), "<invalid URL>");
    }

    #[test]
    fn stripped_urls_keep_what_is_not_a_credential() {
        let strip = strip_credentials;
        assert_eq!(
            strip("http://user:secret@127.0.0.1:8545/?apikey=secret"),
            "http://127.0.0.1:8545/"
        );
        assert_eq!(
            strip("https://eth.example.com/rpc?network=main&key=K1&access_token=T#frag"),
            "https://eth.example.com/rpc?network=main"
        );
        assert_eq!(
            strip("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef"),
            "https://mainnet.infura.io/v3"
        );
        assert_eq!(strip("http://127.0.0.1:8545"), "http://127.0.0.1:8545/");
        assert!(!carries_secrets("http://127.0.0.1:8545"));
        assert!(!carries_secrets("http://127.0.0.1:8545/"));
        for url in ["http://u:p@h:1", "http://h:1/v2/K", "http://h:1/?a=b", "http://u@h:1", "nope"]
        {
            assert!(carries_secrets(url), "{url}");
        }
    }

    #[test]
    fn reverts_are_not_transient_even_when_their_reason_says_rate_limit() {
        let p = |code, message: &str| ErrorPayload {
            code,
            message: message.to_owned().into(),
            data: None,
        };
        assert!(!is_transient_payload(&p(3, "execution reverted: rate limit reached")));
        assert!(!is_transient_payload(&p(-32000, "execution reverted")));
        assert!(!is_transient_payload(&p(-32602, "invalid params")));
        assert!(is_transient_payload(&p(-32000, "header not found")));
        assert!(is_transient_payload(&p(429, "Too Many Requests")));
        assert!(is_transient_payload(&p(-32005, "limit exceeded")));
        assert!(!is_transient_payload(&p(-32005, "query returned more than 10000 results")));
        assert!(is_transient_payload(&p(-32005, "request timed out")));
    }

    #[test]
    fn transient_http_statuses() {
        for s in [408, 429, 500, 502, 503, 504, 522] {
            assert!(is_transient(&TransportErrorKind::http_error(s, String::new())), "{s}");
        }
        for s in [400, 401, 403, 404, 501, 505] {
            assert!(!is_transient(&TransportErrorKind::http_error(s, String::new())), "{s}");
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let opts = RpcOptions {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..Default::default()
        };
        let d1 = backoff(&opts, 1, None);
        assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
        let d3 = backoff(&opts, 3, None);
        assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400), "{d3:?}");
        assert!(backoff(&opts, 30, None) <= Duration::from_secs(1));
        assert_eq!(backoff(&opts, 1, Some(Duration::from_secs(60))), Duration::from_secs(1));
    }
}
