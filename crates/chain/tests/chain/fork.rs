//! Forks through the loopback forwarder: a URL with credentials works and never reaches anvil's
//! command line; the forwarder carries JSON-RPC batches unchanged.

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    transports::http::reqwest,
};
use molt_chain::{Devnet, proxy::Forwarder};

/// What the credentials hold; nothing else in the tests says it.
const SECRET: &str = "hunter2";

/// `origin`'s URL with credentials in user info and query (anvil ignores both).
fn with_credentials(origin: &Devnet) -> String {
    let port = origin.endpoint().rsplit(':').next().unwrap().to_owned();
    format!("http://molt:{SECRET}@127.0.0.1:{port}/?apikey={SECRET}")
}

#[tokio::test]
async fn a_fork_of_a_url_with_credentials_reads_the_origin_and_hides_the_url_from_ps() {
    let origin = Devnet::spawn().await.unwrap();
    let who = Address::repeat_byte(0x42);
    origin.anvil_call("anvil_setBalance", (who, U256::from(123_456_789u64))).await.unwrap();
    origin.anvil_call("evm_mine", ()).await.unwrap();
    let block = origin.provider().get_block_number().await.unwrap();

    let fork = Devnet::fork(with_credentials(&origin), Some(block)).spawn().await.unwrap();
    assert_eq!(fork.provider().get_balance(who).await.unwrap(), U256::from(123_456_789u64));
    assert_eq!(fork.provider().get_block_number().await.unwrap(), block);

    let cmdline = std::fs::read(format!("/proc/{}/cmdline", fork.pid())).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(cmdline.contains("-f http://127.0.0.1:"), "{cmdline}");
    assert!(!cmdline.contains(&origin.endpoint()), "{cmdline}");
    assert!(!cmdline.contains(SECRET) && !cmdline.contains("molt:"), "{cmdline}");
    assert!(!format!("{fork:?}").contains(SECRET), "{fork:?}");
}

#[tokio::test]
async fn a_fork_of_a_plain_loopback_url_needs_no_forwarder() {
    let origin = Devnet::spawn().await.unwrap();
    let fork = Devnet::fork(origin.endpoint(), None).spawn().await.unwrap();
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", fork.pid())).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(cmdline.contains(&format!("-f {}", origin.endpoint())), "{cmdline}");
    assert_eq!(fork.chain_id(), 31337);
}

#[tokio::test]
async fn the_forwarder_carries_batches_and_keeps_connections_alive() {
    let origin = Devnet::spawn().await.unwrap();
    let forwarder = Forwarder::start(&with_credentials(&origin)).unwrap();
    assert!(!format!("{forwarder:?}").contains(SECRET));
    let client = reqwest::Client::new();
    let batch = serde_json::json!([
        { "jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": [] },
        { "jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": [] },
    ]);
    // Several requests, one pooled keep-alive connection.
    for _ in 0..3 {
        let answer: serde_json::Value =
            client.post(forwarder.url()).json(&batch).send().await.unwrap().json().await.unwrap();
        let answers = answer.as_array().unwrap();
        assert_eq!(answers.len(), 2, "{answer}");
        assert_eq!(answers[0]["result"], "0x7a69");
        assert_eq!(answers[1]["result"], "0x0");
    }

    // Small answers are not held back (Nagle and delayed ACKs would cost ~40 ms each, which
    // made a rehearsal 25 times slower): 50 sequential requests in well under 2 s.
    let started = std::time::Instant::now();
    for id in 0..50 {
        let one = serde_json::json!({ "jsonrpc": "2.0", "id": id, "method": "eth_chainId" });
        client.post(forwarder.url()).json(&one).send().await.unwrap().bytes().await.unwrap();
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());

    // An upstream that is gone: a 502 that does not show its URL.
    drop(origin);
    let response = client.post(forwarder.url()).json(&batch).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 502);
    let text = response.text().await.unwrap();
    assert!(!text.contains(SECRET) && text.contains("upstream"), "{text}");
}
