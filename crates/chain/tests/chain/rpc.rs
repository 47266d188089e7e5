//! The retrying transport against a flaky proxy in front of a real anvil: reads are retried,
//! sends and reverts are not, and errors say what failed where, without credentials.

use std::time::Duration;

use crate::support::{Fault, Proxy};
use alloy::{
    network::TransactionBuilder,
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    transports::TransportError,
};
use molt_chain::{
    Devnet, RevertDecoder, RpcOptions, TxRequest, connect,
    rpc::{FailureCause, RpcFailure},
};

fn fast() -> RpcOptions {
    RpcOptions {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        request_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(20),
    }
}

/// A local port that accepts connections and never answers; dropping the handle closes it.
async fn silent_node() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    (url, task)
}

fn failure(err: &TransportError) -> &RpcFailure {
    RpcFailure::of(err).unwrap_or_else(|| panic!("not an RpcFailure: {err:?}"))
}

#[tokio::test]
async fn reads_succeed_after_503_dropped_connections_429_and_header_not_found() {
    let devnet = Devnet::spawn().await.unwrap();
    let proxy = Proxy::start(devnet.endpoint()).await;
    let provider = connect(&proxy.url(), fast()).unwrap();

    proxy.fail("eth_blockNumber", [Fault::Status(503), Fault::Drop, Fault::Status(429)]);
    assert_eq!(provider.get_block_number().await.unwrap(), 0);
    assert_eq!(proxy.received("eth_blockNumber"), 4);

    let header_not_found =
        Fault::RpcError { code: -32000, message: "header not found", data: None };
    proxy.fail("eth_getBalance", [header_not_found.clone(), header_not_found]);
    let balance = provider.get_balance(devnet.accounts()[0]).await.unwrap();
    assert!(balance > U256::ZERO);
    assert_eq!(proxy.received("eth_getBalance"), 3);
}

#[tokio::test]
async fn a_read_that_times_out_is_tried_again() {
    let devnet = Devnet::spawn().await.unwrap();
    let proxy = Proxy::start(devnet.endpoint()).await;
    let opts = RpcOptions { request_timeout: Duration::from_millis(300), ..fast() };
    let provider = connect(&proxy.url(), opts).unwrap();

    proxy.fail("eth_chainId", [Fault::Stall(Duration::from_secs(3))]);
    assert_eq!(provider.get_chain_id().await.unwrap(), 31337);
    assert_eq!(proxy.received("eth_chainId"), 2);
}

#[tokio::test]
async fn exhausted_retries_name_method_endpoint_and_attempts_but_no_credentials() {
    let devnet = Devnet::spawn().await.unwrap();
    let proxy = Proxy::start(devnet.endpoint()).await;
    let provider = connect(&proxy.url_with_credentials(), fast()).unwrap();

    proxy.fail("eth_chainId", vec![Fault::Status(503); 10]);
    let err = provider.get_chain_id().await.unwrap_err();
    assert_eq!(proxy.received("eth_chainId"), 4);
    let f = failure(&err);
    assert_eq!((f.method.as_str(), f.attempts, f.idempotent), ("eth_chainId", 4, true));
    let shown = err.to_string();
    assert!(
        shown.contains("eth_chainId")
            && shown.contains(&format!("127.0.0.1:{}", proxy_port(&proxy)))
            && shown.contains("4 attempts")
            && shown.contains("503"),
        "{shown}"
    );
    for secret in ["hunter2", "SECRETKEY", "SECRETQUERY", "molt:"] {
        assert!(!shown.contains(secret) && !format!("{err:?}").contains(secret), "{shown}");
    }
}

#[tokio::test]
async fn connection_refused_is_retried_and_the_error_hides_the_url_path() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let provider = connect(&format!("http://127.0.0.1:{port}/v3/SECRETKEY"), fast()).unwrap();
    let err = provider.get_block_number().await.unwrap_err();
    let f = failure(&err);
    assert_eq!(f.attempts, 4);
    assert!(matches!(f.cause, FailureCause::Transport(_)));
    let shown = err.to_string();
    assert!(shown.contains("Connection refused") && shown.contains("4 attempts"), "{shown}");
    assert!(!shown.contains("SECRETKEY") && !format!("{err:?}").contains("SECRETKEY"), "{shown}");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let devnet = Devnet::spawn().await.unwrap();
    let proxy = Proxy::start(devnet.endpoint()).await;
    let provider = connect(&proxy.url(), fast()).unwrap();

    proxy.fail("eth_blockNumber", [Fault::Status(401)]);
    let err = provider.get_block_number().await.unwrap_err();
    assert_eq!(failure(&err).attempts, 1);
    assert_eq!(proxy.received("eth_blockNumber"), 1);

    // Invalid params come from the node itself and are passed on untouched.
    let err = provider
        .raw_request::<_, serde_json::Value>("eth_getBalance".into(), ("0x1234",))
        .await
        .unwrap_err();
    assert!(err.as_error_resp().is_some(), "{err:?}");
    assert_eq!(proxy.received("eth_getBalance"), 1);
}

#[tokio::test]
async fn sends_are_attempted_exactly_once() {
    let devnet = Devnet::spawn().await.unwrap();
    let proxy = Proxy::start(devnet.endpoint()).await;
    let provider = connect(&proxy.url(), fast()).unwrap();
    let sender = devnet.sender(1);
    let fees = sender.fees().await.unwrap();
    let tx = sender
        .sign(TxRequest {
            to: devnet.accounts()[2].into(),
            data: Default::default(),
            value: U256::from(1),
            nonce: 0,
            gas_limit: 21_000,
            fees,
        })
        .unwrap();

    proxy.fail("eth_sendRawTransaction", [Fault::Status(503)]);
    let err = provider.send_raw_transaction(&tx.raw).await.unwrap_err();
    assert_eq!(proxy.received("eth_sendRawTransaction"), 1);
    let f = failure(&err);
    assert_eq!((f.attempts, f.idempotent), (1, false));
    assert!(err.to_string().contains("not retried"), "{err}");

    // A dev-node mutation is not retried either: a retried evm_mine would mine twice.
    proxy.fail("evm_mine", [Fault::Status(503)]);
    let err = provider.raw_request::<_, String>("evm_mine".into(), ()).await.unwrap_err();
    assert_eq!(failure(&err).attempts, 1);
    assert_eq!(proxy.received("evm_mine"), 1);
    assert_eq!(provider.get_block_number().await.unwrap(), 0);
}

#[tokio::test]
async fn reverts_are_not_retried_and_stay_decodable() {
    let devnet = Devnet::spawn().await.unwrap();
    let proxy = Proxy::start(devnet.endpoint()).await;
    let provider = connect(&proxy.url(), fast()).unwrap();

    // A real revert from anvil, through the proxy.
    let deploy = TransactionRequest::default()
        .with_from(devnet.accounts()[0])
        .with_deploy_code(crate::support::always_reverts_code());
    let receipt =
        devnet.provider().send_transaction(deploy).await.unwrap().get_receipt().await.unwrap();
    let contract = receipt.contract_address.unwrap();
    let caller = devnet.accounts()[4];
    let call = TransactionRequest::default().with_from(caller).with_to(contract);
    let err = provider.call(call).await.unwrap_err();
    assert_eq!(proxy.received("eth_call"), 1);
    let decoder = RevertDecoder::new().with_abi(&crate::support::always_reverts_abi());
    let revert = decoder.decode_error(&err).expect("a revert");
    assert_eq!(revert.to_string(), format!("NodeAlreadyMigrated(operator: {caller})"));

    // A revert whose reason mentions rate limits is still a revert.
    proxy.fail(
        "eth_call",
        [Fault::RpcError {
            code: 3,
            message: "execution reverted: rate limit exceeded",
            data: Some(
                "0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001372617465206c696d697420657863656564656400000000000000000000000000",
            ),
        }],
    );
    let call = TransactionRequest::default().with_from(caller).with_to(Address::ZERO);
    let err = provider.call(call).await.unwrap_err();
    assert_eq!(proxy.received("eth_call"), 2);
    assert_eq!(decoder.decode_error(&err).unwrap().to_string(), "Error(\"rate limit exceeded\")");
}

fn proxy_port(proxy: &Proxy) -> u16 {
    proxy.url().rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_node_that_never_answers_fails_a_read_at_the_deadline_naming_the_wait() {
    let (url, _node) = silent_node().await;
    // One attempt could take 30 s; the deadline cuts it at 2 s.
    let opts = RpcOptions { deadline: Duration::from_secs(2), ..Default::default() };
    let provider = connect(&url, opts).unwrap();
    let started = std::time::Instant::now();
    let err = provider.get_block_number().await.unwrap_err();
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(4), "{took:?}");
    let f = failure(&err);
    assert_eq!((f.attempts, f.deadline), (1, Some(Duration::from_secs(2))));
    assert!(matches!(f.cause, FailureCause::Timeout(t) if t <= Duration::from_secs(2)));
    let shown = err.to_string();
    assert!(
        shown.contains("in 2 s: no response within 2 s")
            && shown.contains("deadline of 2 s per call"),
        "{shown}"
    );
}

#[tokio::test]
async fn retries_of_a_read_that_times_out_stop_at_the_deadline() {
    let (url, _node) = silent_node().await;
    let opts = RpcOptions {
        max_attempts: 100,
        request_timeout: Duration::from_millis(400),
        deadline: Duration::from_secs(2),
        ..fast()
    };
    let provider = connect(&url, opts).unwrap();
    let started = std::time::Instant::now();
    let err = provider.get_chain_id().await.unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "{took:?}");
    let f = failure(&err);
    assert!(f.attempts >= 3 && f.attempts < 100, "{} attempts", f.attempts);
    assert_eq!(f.deadline, Some(Duration::from_secs(2)));
    assert!(f.elapsed <= took, "{:?}", f.elapsed);
}
