//! A flaky JSON-RPC proxy: answers chosen methods with faults a given number of times, forwards
//! everything else to a real node, and counts what it received.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy::{
    primitives::{Bytes, keccak256},
    transports::http::reqwest,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// What the proxy does with one request instead of forwarding it.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// Answer with this HTTP status and an HTML body, without forwarding.
    Status(u16),
    /// Close the connection without answering, without forwarding.
    Drop,
    /// Forward to the node, then answer with this HTTP status: a lost response.
    ForwardThenStatus(u16),
    /// Answer with a JSON-RPC error, without forwarding.
    RpcError { code: i64, message: &'static str, data: Option<&'static str> },
    /// Wait this long, then close without answering.
    Stall(Duration),
}

/// A node's limit on `eth_getLogs`: ranges of more than `max_blocks` blocks are answered with
/// this JSON-RPC error.
#[derive(Debug, Clone)]
pub(crate) struct LogRangeLimit {
    pub(crate) max_blocks: u64,
    pub(crate) code: i64,
    pub(crate) message: &'static str,
}

#[derive(Default)]
struct State {
    faults: HashMap<String, VecDeque<Fault>>,
    log_range_limit: Option<LogRangeLimit>,
    received: HashMap<String, u32>,
    forwarded: HashMap<String, u32>,
}

/// The proxy; dropping it stops it.
pub(crate) struct Proxy {
    port: u16,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` on a free local port.
    pub(crate) async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let client = reqwest::Client::new();
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (state, client, upstream) = (shared.clone(), client.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &state, &client, &upstream).await;
                });
            }
        });
        Self { port, state, task }
    }

    /// The proxy's URL.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The proxy's URL carrying fake credentials in user info, path and query.
    pub(crate) fn url_with_credentials(&self) -> String {
        format!("http://molt:hunter2@127.0.0.1:{}/v2/SECRETKEY?apikey=SECRETQUERY", self.port)
    }

    /// Queues faults for the next requests of `method`.
    pub(crate) fn fail(&self, method: &str, faults: impl IntoIterator<Item = Fault>) {
        self.state.lock().unwrap().faults.entry(method.into()).or_default().extend(faults);
    }

    /// Refuses every later `eth_getLogs` whose range is wider than the limit.
    pub(crate) fn limit_log_range(&self, limit: LogRangeLimit) {
        self.state.lock().unwrap().log_range_limit = Some(limit);
    }

    /// How many requests of `method` arrived.
    pub(crate) fn received(&self, method: &str) -> u32 {
        self.state.lock().unwrap().received.get(method).copied().unwrap_or(0)
    }

    /// How many requests of `method` reached the node.
    pub(crate) fn forwarded(&self, method: &str) -> u32 {
        self.state.lock().unwrap().forwarded.get(method).copied().unwrap_or(0)
    }
}

async fn serve(
    mut stream: TcpStream,
    state: &Mutex<State>,
    client: &reqwest::Client,
    upstream: &str,
) -> std::io::Result<()> {
    let body = read_request(&mut stream).await?;
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let method = request["method"].as_str().unwrap_or("<batch>").to_owned();
    let fault = {
        let mut state = state.lock().unwrap();
        *state.received.entry(method.clone()).or_default() += 1;
        let fault = state
            .faults
            .get_mut(&method)
            .and_then(VecDeque::pop_front)
            .or_else(|| log_range_fault(state.log_range_limit.as_ref(), &request));
        if !matches!(
            fault,
            Some(Fault::Status(_) | Fault::Drop | Fault::RpcError { .. } | Fault::Stall(_))
        ) {
            *state.forwarded.entry(method.clone()).or_default() += 1;
        }
        fault
    };
    let forward = async || -> Vec<u8> {
        let response = client
            .post(upstream)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("the node answers");
        response.bytes().await.expect("the node's body").to_vec()
    };
    match fault {
        None => {
            let answer = forward().await;
            respond(&mut stream, 200, "application/json", &answer).await
        }
        Some(Fault::Status(status)) => {
            respond(&mut stream, status, "text/html", b"<html>upstream trouble</html>").await
        }
        Some(Fault::Drop) => Ok(()),
        Some(Fault::Stall(d)) => {
            tokio::time::sleep(d).await;
            Ok(())
        }
        Some(Fault::ForwardThenStatus(status)) => {
            forward().await;
            respond(&mut stream, status, "text/html", b"<html>bad gateway</html>").await
        }
        Some(Fault::RpcError { code, message, data }) => {
            let mut error = serde_json::json!({ "code": code, "message": message });
            if let Some(data) = data {
                error["data"] = data.into();
            }
            let answer =
                serde_json::json!({ "jsonrpc": "2.0", "id": request["id"], "error": error });
            respond(&mut stream, 200, "application/json", answer.to_string().as_bytes()).await
        }
    }
}

/// The refusal of `request` under `limit`, if it is an `eth_getLogs` over a wider range.
fn log_range_fault(limit: Option<&LogRangeLimit>, request: &serde_json::Value) -> Option<Fault> {
    let limit = limit?;
    if request["method"] != "eth_getLogs" {
        return None;
    }
    let block = |key: &str| {
        let hex = request["params"][0][key].as_str().expect("a block number");
        u64::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap()
    };
    let blocks = block("toBlock") - block("fromBlock") + 1;
    (blocks > limit.max_blocks).then_some(Fault::RpcError {
        code: limit.code,
        message: limit.message,
        data: None,
    })
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let headers = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let length: usize = headers
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf[header_end..header_end + length].to_vec())
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}

/// Creation code of a contract whose every call reverts with
/// `NodeAlreadyMigrated(address operator)`, the operator being the caller.
pub(crate) fn always_reverts_code() -> Bytes {
    let selector = &keccak256("NodeAlreadyMigrated(address)")[..4];
    // PUSH4 selector, PUSH1 0xe0, SHL, PUSH1 0, MSTORE; CALLER, PUSH1 4, MSTORE;
    // PUSH1 0x24, PUSH1 0, REVERT
    let mut runtime = vec![0x63];
    runtime.extend_from_slice(selector);
    runtime.extend_from_slice(&[
        0x60, 0xe0, 0x1b, 0x60, 0x00, 0x52, 0x33, 0x60, 0x04, 0x52, 0x60, 0x24, 0x60, 0x00, 0xfd,
    ]);
    // PUSH1 len, DUP1, PUSH1 11, PUSH1 0, CODECOPY, PUSH1 0, RETURN
    let mut code =
        vec![0x60, runtime.len() as u8, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    code.extend_from_slice(&runtime);
    code.into()
}

/// The ABI of [`always_reverts_code`].
pub(crate) fn always_reverts_abi() -> alloy::json_abi::JsonAbi {
    alloy::json_abi::JsonAbi::parse(["error NodeAlreadyMigrated(address operator)"]).unwrap()
}
