//! Batched reads against a real anvil: the outcomes equal one `eth_call` per call, reverts are
//! outcomes and not errors, and the calls travel in few requests: JSON-RPC batches, Multicall3
//! where it is deployed, single calls on a node that refuses batches.

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{Bytes, U256, keccak256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
};
use molt_chain::{
    BatchReader, Devnet, ReadPath, ViewCall,
    read::{MULTICALL3, view},
    rpc,
};

use crate::support::{Fault, Proxy, always_reverts_code};

/// A token with a balance minted to each dev account, the calls reading them (some twice over),
/// and a call that reverts (at index 137).
async fn setup(devnet: &Devnet) -> Vec<ViewCall> {
    let token = devnet.artifact("TestToken").unwrap();
    let args = [
        DynSolValue::String("Test".into()),
        DynSolValue::String("TST".into()),
        DynSolValue::Uint(U256::from(18), 8),
    ];
    let address = devnet.deploy_artifact(&token, &args).await.unwrap();
    let mint = token.abi.function("mint").unwrap()[0].clone();
    let balance_of = token.abi.function("balanceOf").unwrap()[0].clone();
    let accounts = devnet.accounts();
    for (i, a) in accounts.iter().enumerate() {
        let data = mint
            .abi_encode_input(&[DynSolValue::Address(*a), DynSolValue::Uint(U256::from(i), 256)])
            .unwrap();
        send(devnet, TransactionRequest::default().with_to(address).with_input(data)).await;
    }
    let deploy = TransactionRequest::default().with_deploy_code(always_reverts_code());
    let reverter = send(devnet, deploy).await.contract_address.unwrap();
    let mut calls: Vec<ViewCall> = (0..250)
        .map(|i| ViewCall {
            to: address,
            data: balance_of
                .abi_encode_input(&[DynSolValue::Address(accounts[i % accounts.len()])])
                .unwrap()
                .into(),
        })
        .collect();
    calls.insert(137, ViewCall { to: reverter, data: Bytes::from_static(&[1, 2, 3, 4]) });
    calls
}

/// An anvil with [`setup`]'s calls, their reference outcomes, and a counting proxy in front.
struct Case {
    devnet: Devnet,
    calls: Vec<ViewCall>,
    expected: Vec<Result<Bytes, Bytes>>,
    proxy: Proxy,
    provider: DynProvider,
}

async fn case() -> Case {
    let devnet = Devnet::spawn().await.unwrap();
    let calls = setup(&devnet).await;
    let expected = one_by_one(devnet.provider(), &calls).await;
    let proxy = Proxy::start(devnet.endpoint()).await;
    let provider = rpc::connect(&proxy.url(), Default::default()).unwrap();
    Case { devnet, calls, expected, proxy, provider }
}

async fn send(devnet: &Devnet, tx: TransactionRequest) -> TransactionReceipt {
    let tx = tx.with_from(devnet.accounts()[0]);
    let receipt =
        devnet.provider().send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    receipt
}

/// One `eth_call` per call: the reference outcomes.
async fn one_by_one(provider: &DynProvider, calls: &[ViewCall]) -> Vec<Result<Bytes, Bytes>> {
    let single = BatchReader::with_multicall(provider, false).chunk(1);
    let mut out = Vec::new();
    for c in calls {
        let tx = TransactionRequest::default().with_to(c.to).with_input(c.data.clone());
        out.push(match provider.call(tx).await {
            Ok(b) => Ok(b),
            Err(_) => single.call_all(std::slice::from_ref(c), BlockId::latest()).await.unwrap()[0]
                .clone(),
        });
    }
    out
}

/// The outcomes equal the reference; the revert's data names the caller, which differs through
/// Multicall3, so only its error is compared.
fn check(outcomes: &[Result<Bytes, Bytes>], expected: &[Result<Bytes, Bytes>], reverter: usize) {
    assert_eq!(outcomes.len(), expected.len());
    for (i, (got, want)) in outcomes.iter().zip(expected).enumerate() {
        if i != reverter {
            assert_eq!(got, want, "call {i}");
        }
    }
    let revert = outcomes[reverter].as_ref().expect_err("the reverting call is an Err outcome");
    assert_eq!(&revert[..4], &keccak256("NodeAlreadyMigrated(address)")[..4]);
    assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 1);
}

#[tokio::test]
async fn json_rpc_batches_carry_the_calls_in_few_requests() {
    let Case { devnet: _anvil, calls, expected, proxy, provider } = case().await;
    let reader = BatchReader::new(&provider, BlockId::latest()).await.unwrap();
    assert_eq!(reader.path(), ReadPath::JsonRpcBatch, "anvil has no Multicall3");
    let outcomes = reader.call_all(&calls, BlockId::latest()).await.unwrap();
    check(&outcomes, &expected, 137);
    assert_eq!(proxy.received("<batch>"), 3, "251 calls in batches of 100");
    assert_eq!(proxy.received("eth_call"), 0);
}

#[tokio::test]
async fn reads_at_a_pinned_block_ignore_later_blocks() {
    let devnet = Devnet::spawn().await.unwrap();
    let calls = setup(&devnet).await;
    let block = devnet.provider().get_block_number().await.unwrap();
    let reader = BatchReader::new(devnet.provider(), BlockId::number(block)).await.unwrap();
    let before = reader.call_all(&calls, BlockId::number(block)).await.unwrap();
    // Change a balance after the pinned block.
    let token = calls[0].to;
    let artifact = devnet.artifact("TestToken").unwrap();
    let mint = artifact.abi.function("mint").unwrap()[0].clone();
    let data = mint
        .abi_encode_input(&[
            DynSolValue::Address(devnet.accounts()[0]),
            DynSolValue::Uint(U256::from(99), 256),
        ])
        .unwrap();
    send(&devnet, TransactionRequest::default().with_to(token).with_input(data)).await;
    let pinned = reader.call_all(&calls, BlockId::number(block)).await.unwrap();
    let latest = reader.call_all(&calls, BlockId::latest()).await.unwrap();
    assert_eq!(pinned, before);
    assert_ne!(latest, before);
}

#[tokio::test]
async fn multicall3_carries_a_chunk_in_one_eth_call_where_deployed() {
    let Case { devnet, calls, expected, proxy, provider } = case().await;
    let multicall = devnet.artifact("Multicall3").unwrap();
    let deployed = devnet.deploy_artifact(&multicall, &[]).await.unwrap();
    let code = devnet.provider().get_code_at(deployed).await.unwrap();
    devnet.anvil_call("anvil_setCode", (MULTICALL3, code)).await.unwrap();
    let reader = BatchReader::new(&provider, BlockId::latest()).await.unwrap();
    assert_eq!(reader.path(), ReadPath::Multicall3);
    let outcomes = reader.call_all(&calls, BlockId::latest()).await.unwrap();
    check(&outcomes, &expected, 137);
    assert_eq!(proxy.received("eth_call"), 3, "251 calls in chunks of 100");
    assert_eq!(proxy.received("<batch>"), 0);
}

#[tokio::test]
async fn a_node_that_refuses_batches_gets_single_calls() {
    let Case { devnet: _anvil, calls, expected, proxy, provider } = case().await;
    let refusal =
        Fault::RpcError { code: -32600, message: "batch requests are not supported", data: None };
    proxy.fail("<batch>", vec![refusal; 10]);
    let reader = BatchReader::new(&provider, BlockId::latest()).await.unwrap();
    let outcomes = reader.call_all(&calls, BlockId::latest()).await.unwrap();
    check(&outcomes, &expected, 137);
    assert_eq!(reader.path(), ReadPath::Single);
    // Chunks already in flight when the first refusal came back may have been refused too.
    assert!((1..=BatchReader::CONCURRENCY as u32).contains(&proxy.received("<batch>")));
    assert_eq!(proxy.forwarded("<batch>"), 0);
    assert_eq!(proxy.received("eth_call"), 251);
}

#[tokio::test]
async fn a_view_the_node_failed_is_told_from_one_that_reverted() {
    let devnet = Devnet::spawn().await.unwrap();
    let token = devnet.artifact("TestToken").unwrap();
    let args = [
        DynSolValue::String("Test".into()),
        DynSolValue::String("TST".into()),
        DynSolValue::Uint(U256::from(18), 8),
    ];
    let address = devnet.deploy_artifact(&token, &args).await.unwrap();
    let total_supply = token.abi.function("totalSupply").unwrap()[0].clone();
    let proxy = Proxy::start(devnet.endpoint()).await;
    let fast = rpc::RpcOptions {
        max_attempts: 3,
        initial_backoff: std::time::Duration::from_millis(10),
        max_backoff: std::time::Duration::from_millis(20),
        ..Default::default()
    };
    let provider = rpc::connect(&proxy.url(), fast).unwrap();

    // The node answers 503 to every attempt: the call could not be made.
    proxy.fail("eth_call", vec![Fault::Status(503); 3]);
    let failed = view(&provider, address, &total_supply, &[], None).await.unwrap_err();
    assert!(failed.node_failed, "{failed}");
    assert_eq!(proxy.received("eth_call"), 3, "retried, then given up");

    // A contract without the function reverts: the call was made, and failed.
    let reverter = TransactionRequest::default().with_deploy_code(always_reverts_code());
    let reverter = send(&devnet, reverter).await.contract_address.unwrap();
    let reverted = view(&provider, reverter, &total_supply, &[], None).await.unwrap_err();
    assert!(!reverted.node_failed, "{reverted}");
    assert_eq!(view(&provider, address, &total_supply, &[], None).await.unwrap().len(), 1);
}
