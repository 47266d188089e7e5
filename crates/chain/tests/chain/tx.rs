//! The transaction primitives against a real anvil: pipelined sends with explicit nonces,
//! dropped and replaced transactions, decoded reverts, and sends whose response was lost.

use std::time::Duration;

use crate::support::{Fault, Proxy};
use alloy::{
    primitives::{Address, Bytes, TxKind, U256, hex},
    providers::Provider,
};
use molt_chain::{
    BroadcastError, Devnet, Error, EstimateError, Fees, RevertDecoder, RpcOptions, Sender,
    SignedTx, TxRequest, TxStatus, connect,
};

const WAIT: Duration = Duration::from_secs(10);

fn transfer(to: Address, value: u64, nonce: u64, fees: Fees) -> TxRequest {
    TxRequest {
        to: to.into(),
        data: Bytes::new(),
        value: U256::from(value),
        nonce,
        gas_limit: 21_000,
        fees,
    }
}

/// A sender for dev account `i` through the retrying provider, via `url`.
fn sender_via(devnet: &Devnet, url: &str, i: usize) -> Sender {
    let opts = RpcOptions {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..Default::default()
    };
    Sender::new(connect(url, opts).unwrap(), devnet.signer(i).clone(), devnet.chain_id())
}

#[tokio::test]
async fn twenty_pipelined_transfers_with_explicit_nonces_are_each_mined_once() {
    let devnet = Devnet::spawn().await.unwrap();
    let sender = sender_via(&devnet, &devnet.endpoint(), 1);
    sender.check_chain_id().await.unwrap();
    let to = devnet.accounts()[2];
    let before = devnet.provider().get_balance(to).await.unwrap();
    let first = sender.next_nonce().await.unwrap();
    let fees = sender.fees().await.unwrap();

    let signed: Vec<SignedTx> =
        (0..20).map(|i| sender.sign(transfer(to, 1000 + i, first + i, fees)).unwrap()).collect();
    // All in flight at once, in no particular order.
    let mut sends = tokio::task::JoinSet::new();
    for tx in signed.iter().rev() {
        let (sender, tx) = (sender.clone(), tx.clone());
        sends.spawn(async move { sender.broadcast(&tx).await });
    }
    while let Some(sent) = sends.join_next().await {
        sent.unwrap().unwrap();
    }
    for tx in &signed {
        let receipt = sender.wait(tx.hash, WAIT).await.unwrap();
        assert!(receipt.success && receipt.gas_used == 21_000, "{receipt:?}");
        assert_eq!(sender.status(tx.hash, tx.nonce).await.unwrap(), TxStatus::Mined(receipt));
    }
    assert_eq!(sender.mined_nonce().await.unwrap(), first + 20);
    let sent: u64 = (0..20).map(|i| 1000 + i).sum();
    assert_eq!(devnet.provider().get_balance(to).await.unwrap(), before + U256::from(sent));
}

#[tokio::test]
async fn a_dropped_transaction_is_reported_dropped_and_can_be_sent_again() {
    let devnet = Devnet::builder().arg("--no-mining").spawn().await.unwrap();
    let sender = devnet.sender(1);
    let fees = sender.fees().await.unwrap();
    let tx = sender.sign(transfer(devnet.accounts()[2], 1, 0, fees)).unwrap();

    sender.broadcast(&tx).await.unwrap();
    assert_eq!(sender.status(tx.hash, tx.nonce).await.unwrap(), TxStatus::Pending);
    devnet.anvil_call("anvil_dropTransaction", (tx.hash,)).await.unwrap();
    assert_eq!(sender.status(tx.hash, tx.nonce).await.unwrap(), TxStatus::Dropped);

    // Dropped means the nonce is free: the same bytes go out again and get mined.
    sender.broadcast(&tx).await.unwrap();
    devnet.anvil_call("evm_mine", ()).await.unwrap();
    let TxStatus::Mined(receipt) = sender.status(tx.hash, tx.nonce).await.unwrap() else {
        panic!("mined")
    };
    assert!(receipt.success);
}

#[tokio::test]
async fn a_transaction_the_node_lost_is_sent_again_while_waiting_and_mined_long_before_the_timeout()
{
    let devnet = Devnet::builder().arg("--no-mining").spawn().await.unwrap();
    let sender = devnet.sender(1);
    let fees = sender.fees().await.unwrap();
    let tx = sender.sign(transfer(devnet.accounts()[2], 1, 0, fees)).unwrap();
    sender.broadcast(&tx).await.unwrap();
    // As after a node restart: the node no longer knows it, and blocks come again.
    devnet.anvil_call("anvil_dropTransaction", (tx.hash,)).await.unwrap();
    devnet.anvil_call("evm_setAutomine", (true,)).await.unwrap();
    assert_eq!(sender.status(tx.hash, tx.nonce).await.unwrap(), TxStatus::Dropped);

    let started = std::time::Instant::now();
    let receipt = sender.wait_or_rebroadcast(&tx, Duration::from_secs(120)).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(receipt.success && receipt.hash == tx.hash, "{receipt:?}");
    assert_eq!(sender.mined_nonce().await.unwrap(), 1);
}

#[tokio::test]
async fn waiting_for_a_transaction_whose_nonce_another_one_took_fails_at_once() {
    let devnet = Devnet::builder().arg("--no-mining").spawn().await.unwrap();
    let sender = devnet.sender(1);
    let fees = sender.fees().await.unwrap();
    let to = devnet.accounts()[2];
    let original = sender.sign(transfer(to, 1, 0, fees)).unwrap();
    let replacement = sender.sign(transfer(to, 2, 0, fees.bumped(20))).unwrap();
    sender.broadcast(&original).await.unwrap();
    sender.broadcast(&replacement).await.unwrap();
    devnet.anvil_call("evm_mine", ()).await.unwrap();

    let started = std::time::Instant::now();
    let err = sender.wait_or_rebroadcast(&original, Duration::from_secs(120)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(
        matches!(
            err,
            Error::Broadcast(BroadcastError::NonceConsumed { nonce: 0, mined_nonce: 1, .. })
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_transaction_replaced_by_a_higher_fee_one_is_reported_replaced() {
    let devnet = Devnet::builder().arg("--no-mining").spawn().await.unwrap();
    let sender = devnet.sender(1);
    let fees = sender.fees().await.unwrap();
    let to = devnet.accounts()[2];
    let original = sender.sign(transfer(to, 1, 0, fees)).unwrap();
    let replacement = sender.sign(transfer(to, 2, 0, fees.bumped(20))).unwrap();

    sender.broadcast(&original).await.unwrap();
    sender.broadcast(&replacement).await.unwrap();
    devnet.anvil_call("evm_mine", ()).await.unwrap();

    assert_eq!(sender.status(original.hash, 0).await.unwrap(), TxStatus::Replaced);
    assert!(
        matches!(sender.status(replacement.hash, 0).await.unwrap(), TxStatus::Mined(r) if r.success)
    );
    // Sending the original again is refused, and reconciled as a consumed nonce.
    let err = sender.broadcast(&original).await.unwrap_err();
    assert!(matches!(err, BroadcastError::NonceConsumed { nonce: 0, mined_nonce: 1, .. }), "{err}");
}

#[tokio::test]
async fn a_reverting_call_is_decoded_by_name_and_a_mined_revert_is_a_failed_receipt() {
    let devnet = Devnet::spawn().await.unwrap();
    let decoder = RevertDecoder::new().with_abi(&crate::support::always_reverts_abi());
    let sender = devnet.sender(3).with_revert_decoder(decoder);
    let fees = sender.fees().await.unwrap();

    let code = crate::support::always_reverts_code();
    let gas = sender.estimate(TxKind::Create, code.clone(), U256::ZERO).await.unwrap();
    let deploy = TxRequest {
        to: TxKind::Create,
        data: code,
        value: U256::ZERO,
        nonce: sender.next_nonce().await.unwrap(),
        gas_limit: gas,
        fees,
    };
    let deploy = sender.sign(deploy).unwrap();
    sender.broadcast(&deploy).await.unwrap();
    sender.wait(deploy.hash, WAIT).await.unwrap();
    let contract = sender.address().create(deploy.nonce);

    let err = sender.estimate(contract, Bytes::new(), U256::ZERO).await.unwrap_err();
    let EstimateError::Reverted { revert } = &err else { panic!("a revert: {err:?}") };
    assert_eq!(revert.name(), Some("NodeAlreadyMigrated"));
    assert_eq!(
        err.to_string(),
        format!("the call reverts: NodeAlreadyMigrated(operator: {})", sender.address())
    );

    // Sent anyway with an explicit gas limit, it is mined and reverts: a receipt, not an error.
    let tx = TxRequest {
        to: contract.into(),
        nonce: deploy.nonce + 1,
        gas_limit: 50_000,
        ..transfer(contract, 0, 0, fees)
    };
    let tx = sender.sign(tx).unwrap();
    sender.broadcast(&tx).await.unwrap();
    let receipt = sender.wait(tx.hash, WAIT).await.unwrap();
    assert!(!receipt.success);
    // The node's trace says why, exactly as it happened.
    let revert = sender.mined_revert(tx.hash).await.expect("anvil traces transactions");
    assert_eq!(revert.to_string(), format!("NodeAlreadyMigrated(operator: {})", sender.address()));
    assert!(sender.mined_revert(deploy.hash).await.is_none(), "the deployment did not revert");
    assert_eq!(sender.status(tx.hash, tx.nonce).await.unwrap(), TxStatus::Mined(receipt));
}

#[tokio::test]
async fn a_send_whose_response_was_lost_is_reconciled_by_hash_and_mined_once() {
    let devnet = Devnet::spawn().await.unwrap();
    let proxy = Proxy::start(devnet.endpoint()).await;
    let sender = sender_via(&devnet, &proxy.url(), 1);
    let to = devnet.accounts()[2];
    let before = devnet.provider().get_balance(to).await.unwrap();
    let fees = sender.fees().await.unwrap();
    let tx = sender.sign(transfer(to, 777, 0, fees)).unwrap();

    proxy.fail("eth_sendRawTransaction", [Fault::ForwardThenStatus(502)]);
    sender.broadcast(&tx).await.unwrap();
    assert_eq!(proxy.received("eth_sendRawTransaction"), 1);
    assert_eq!(proxy.forwarded("eth_sendRawTransaction"), 1);

    let receipt = sender.wait(tx.hash, WAIT).await.unwrap();
    assert!(receipt.success);
    assert_eq!(sender.mined_nonce().await.unwrap(), 1);
    assert_eq!(devnet.provider().get_balance(to).await.unwrap(), before + U256::from(777));
}

#[tokio::test]
async fn a_send_lost_before_the_node_is_sent_again_once_after_the_lookup() {
    let devnet = Devnet::spawn().await.unwrap();
    let proxy = Proxy::start(devnet.endpoint()).await;
    let sender = sender_via(&devnet, &proxy.url(), 1);
    let fees = sender.fees().await.unwrap();
    let tx = sender.sign(transfer(devnet.accounts()[2], 1, 0, fees)).unwrap();

    proxy.fail("eth_sendRawTransaction", [Fault::Drop]);
    sender.broadcast(&tx).await.unwrap();
    assert_eq!(proxy.received("eth_sendRawTransaction"), 2);
    assert_eq!(proxy.forwarded("eth_sendRawTransaction"), 1);
    assert!(sender.wait(tx.hash, WAIT).await.unwrap().success);

    // Lost twice: the outcome is unknown, and it says so instead of sending a third time.
    let tx = sender.sign(transfer(devnet.accounts()[2], 1, 1, fees)).unwrap();
    proxy.fail("eth_sendRawTransaction", [Fault::Status(503), Fault::Drop]);
    let err = sender.broadcast(&tx).await.unwrap_err();
    assert!(matches!(err, BroadcastError::Unknown { nonce: 1, .. }), "{err}");
    assert_eq!(proxy.received("eth_sendRawTransaction"), 4);
    assert!(err.to_string().contains("outcome"), "{err}");
    assert_eq!(sender.status(tx.hash, 1).await.unwrap(), TxStatus::Dropped);
}

#[tokio::test]
async fn a_rejected_send_is_typed_and_leaves_the_nonce_free() {
    let devnet = Devnet::spawn().await.unwrap();
    let sender = devnet.sender(1);
    let fees = sender.fees().await.unwrap();
    let mut too_much = transfer(devnet.accounts()[2], 0, 0, fees);
    too_much.value = U256::MAX;
    let tx = sender.sign(too_much).unwrap();
    let err = sender.broadcast(&tx).await.unwrap_err();
    assert!(matches!(err, BroadcastError::Rejected { nonce: 0, .. }), "{err}");
    assert_eq!(sender.status(tx.hash, 0).await.unwrap(), TxStatus::Dropped);
    // And it converts into the crate's error for `?`.
    assert!(matches!(Error::from(err), Error::Broadcast(_)));
}

#[tokio::test]
async fn waiting_for_a_transaction_that_is_not_mined_times_out() {
    let devnet = Devnet::builder().arg("--no-mining").spawn().await.unwrap();
    let sender = devnet.sender(1);
    let tx =
        sender.sign(transfer(devnet.accounts()[2], 1, 0, sender.fees().await.unwrap())).unwrap();
    sender.broadcast(&tx).await.unwrap();
    let err = sender.wait(tx.hash, Duration::from_millis(300)).await.unwrap_err();
    assert!(matches!(err, Error::WaitTimeout { hash, .. } if hash == tx.hash), "{err}");
}

#[tokio::test]
async fn signed_bytes_rebuild_the_same_transaction_and_the_key_never_shows() {
    let devnet = Devnet::spawn().await.unwrap();
    let sender = devnet.sender(1);
    let fees = Fees { max_fee_per_gas: 3_000_000_000, max_priority_fee_per_gas: 1_000_000_000 };
    let tx = sender.sign(transfer(devnet.accounts()[2], 5, 9, fees)).unwrap();
    assert_eq!(SignedTx::from_raw(tx.raw.clone()).unwrap(), tx);
    assert!(SignedTx::from_raw(Bytes::from_static(b"\x02junk")).is_err());

    let key = hex::encode(devnet.signer(1).to_bytes());
    let shown = format!("{sender:?} {sender:#?}");
    assert!(shown.contains(&sender.address().to_string()), "{shown}");
    assert!(!shown.to_lowercase().contains(&key), "{shown}");
}
