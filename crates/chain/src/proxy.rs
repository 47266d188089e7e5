//! A loopback JSON-RPC forwarder, so that a URL with credentials never reaches a command line.
//!
//! A process's arguments are visible to every local user (`ps`, `/proc/<pid>/cmdline`). A forked
//! anvil takes its upstream as `--fork-url <url>`; when that URL carries an API key or a
//! password, [`crate::DevnetBuilder::fork`] starts a [`Forwarder`] instead and gives anvil
//! only `http://127.0.0.1:<port>`. The forwarder posts each HTTP request body (a JSON-RPC
//! request or batch, unchanged) to the real URL and answers with the upstream's status and
//! body. It serves HTTP/1.1 with keep-alive and `Content-Length` bodies, which is what JSON-RPC
//! clients send; it does not read or log what it forwards.
//!
//! ```no_run
//! # async fn f() -> molt_chain::Result<()> {
//! let forwarder = molt_chain::proxy::Forwarder::start("https://user:pw@node.example/v2/KEY")?;
//! let local = forwarder.url(); // http://127.0.0.1:<port>, safe to show
//! # Ok(()) }
//! ```

use std::{fmt, net::SocketAddr, sync::Arc, time::Duration};

use alloy::transports::http::reqwest;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

use crate::{Error, Result, rpc::redact_url};

/// The largest request head (request line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;
/// How long one upstream request may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(120);

/// A running forwarder on `127.0.0.1`; dropping it stops it.
pub struct Forwarder {
    addr: SocketAddr,
    upstream: Arc<str>,
    task: JoinHandle<()>,
}

impl fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forwarder")
            .field("addr", &self.addr)
            .field("upstream", &redact_url(&self.upstream))
            .finish()
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Forwarder {
    /// Listens on a free loopback port and forwards every request to `upstream` (an HTTP(S)
    /// URL, credentials included). Must be called inside a tokio runtime.
    pub fn start(upstream: &str) -> Result<Self> {
        let target: reqwest::Url =
            upstream.parse().map_err(|e: <reqwest::Url as std::str::FromStr>::Err| {
                Error::InvalidUrl { url: redact_url(upstream), reason: e.to_string() }
            })?;
        let forwarder_err = |e: std::io::Error| Error::Forwarder(e.to_string());
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(forwarder_err)?;
        std_listener.set_nonblocking(true).map_err(forwarder_err)?;
        let addr = std_listener.local_addr().map_err(forwarder_err)?;
        let listener = TcpListener::from_std(std_listener).map_err(forwarder_err)?;
        let client = reqwest::Client::builder()
            .timeout(UPSTREAM_TIMEOUT)
            .build()
            .map_err(|e| Error::Forwarder(e.without_url().to_string()))?;
        let task = tokio::spawn(accept_loop(listener, client, target));
        Ok(Self { addr, upstream: upstream.into(), task })
    }

    /// The local URL to give a client instead of the upstream's: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn accept_loop(listener: TcpListener, client: reqwest::Client, target: reqwest::Url) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, most likely: give the open connections time to end.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // Without it, Nagle's algorithm and delayed ACKs hold small answers back ~40 ms each.
        let _ = stream.set_nodelay(true);
        let (client, target) = (client.clone(), target.clone());
        tokio::spawn(async move {
            // A broken connection concerns only its client, which sees it closed.
            let _ = serve(stream, &client, &target).await;
        });
    }
}

/// One HTTP request, as far as forwarding needs it.
struct Request {
    method: String,
    body: Vec<u8>,
    keep_alive: bool,
}

/// Serves the requests of one connection until the client closes it or asks to.
async fn serve(
    mut stream: TcpStream,
    client: &reqwest::Client,
    target: &reqwest::Url,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let request = match read_request(&mut stream, &mut buf).await? {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            Err((status, reason)) => {
                return respond(&mut stream, status, "text/plain", reason.as_bytes(), false).await;
            }
        };
        if request.method != "POST" {
            let body = b"only POST (JSON-RPC) is forwarded";
            respond(&mut stream, 405, "text/plain", body, request.keep_alive).await?;
        } else {
            let (status, content_type, body) = forward(client, target, request.body).await;
            respond(&mut stream, status, &content_type, &body, request.keep_alive).await?;
        }
        if !request.keep_alive {
            return Ok(());
        }
    }
}

/// Posts `body` upstream: its status, content type and body, or a 502 saying why not (without
/// the URL, which may hold a key).
async fn forward(
    client: &reqwest::Client,
    target: &reqwest::Url,
    body: Vec<u8>,
) -> (u16, String, Vec<u8>) {
    let sent =
        client.post(target.clone()).header("content-type", "application/json").body(body).send();
    let response = match sent.await {
        Ok(r) => r,
        Err(e) => return bad_gateway(e),
    };
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    match response.bytes().await {
        Ok(bytes) => (status, content_type, bytes.to_vec()),
        Err(e) => bad_gateway(e),
    }
}

fn bad_gateway(e: reqwest::Error) -> (u16, String, Vec<u8>) {
    let e = e.without_url();
    let mut reason = format!("molt forwarder: the upstream node failed: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    (502, "text/plain".into(), reason.into_bytes())
}

/// Reads the next request from `stream` (`buf` keeps bytes read past the previous one).
/// `Ok(None)` when the client closed the connection between requests; `Err((status, reason))`
/// for a request that cannot be served.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Result<Option<Request>, (u16, String)>> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Ok(Err((431, "request head too large".into())));
        }
        if read_more(stream, buf).await? == 0 {
            if buf.is_empty() {
                return Ok(Ok(None));
            }
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let (method, version, headers) = parse_head(&head);
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v != "identity") {
        return Ok(Err((411, "send the body with a Content-Length".into())));
    }
    let length = match headers.iter().find(|(k, _)| k == "content-length") {
        None => 0,
        Some((_, v)) => match v.parse::<usize>() {
            Ok(n) if n <= MAX_BODY => n,
            _ => return Ok(Err((413, "bad or too large Content-Length".into()))),
        },
    };
    while buf.len() < head_end + length {
        if read_more(stream, buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    let connection = headers.iter().find(|(k, _)| k == "connection").map(|(_, v)| v.as_str());
    let keep_alive = match connection {
        Some(c) => !c.contains("close"),
        None => version != "HTTP/1.0",
    };
    Ok(Ok(Some(Request { method, body, keep_alive })))
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// The method, the HTTP version and the headers (names and values lower-cased) of a request
/// head.
fn parse_head(head: &str) -> (String, String, Vec<(String, String)>) {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default().to_owned();
    let version = request_line.nth(1).unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase()))
        .collect();
    (method, version, headers)
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    keep_alive: bool,
) -> std::io::Result<()> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: {connection}\r\n\r\n",
        reason_phrase(status),
        body.len()
    );
    // One write: a response split over two small segments waits for the client's ACK.
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    stream.write_all(&response).await?;
    if !keep_alive {
        stream.shutdown().await?;
    }
    Ok(())
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        502 => "Bad Gateway",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_heads_parse_case_insensitively() {
        let (method, version, headers) = parse_head(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nConnection: Close\r\n\r\n",
        );
        assert_eq!((method.as_str(), version.as_str()), ("POST", "HTTP/1.1"));
        assert!(headers.contains(&("content-length".into(), "12".into())));
        assert!(headers.contains(&("connection".into(), "close".into())));
    }
}
