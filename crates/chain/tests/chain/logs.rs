//! Keys discovered from events on a real anvil: the KeyEmitter fixture's logs over tens of
//! thousands of blocks, read directly and through a proxy that refuses wide `eth_getLogs`
//! ranges the way providers do, or refuses `eth_getLogs` altogether.

use std::time::Duration;

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    json_abi::JsonAbi,
    network::TransactionBuilder,
    primitives::{Address, U160, U256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
};
use molt_chain::{Devnet, KeySpec, Keys, LogsError, RpcOptions, collect_keys, rpc};

use crate::support::{Fault, LogRangeLimit, Proxy};

/// An anvil with a KeyEmitter whose logs are spread over about 800 blocks (anvil mines about
/// 1,000 empty blocks a second, so the proxy's limits are scaled down to match).
struct Emitted {
    devnet: Devnet,
    emitter: Address,
    abi: JsonAbi,
    /// The users of `Staked`, in the order of their first log.
    stakers: Vec<Address>,
    /// The block of the first log of `stakers[2]`.
    third_staker_block: u64,
    /// How many `Staked` logs were emitted.
    staked_logs: u64,
}

fn user(i: u64) -> Address {
    Address::with_last_byte(i as u8)
}

async fn emit() -> Emitted {
    let devnet = Devnet::spawn().await.unwrap();
    let artifact = devnet.artifact("KeyEmitter").unwrap();
    let emitter = devnet.deploy_artifact(&artifact, &[]).await.unwrap();
    let abi = artifact.abi.clone();
    let call = |name: &str, args: &[DynSolValue]| {
        let data = abi.function(name).unwrap()[0].abi_encode_input(args).unwrap();
        TransactionRequest::default().with_to(emitter).with_input(data)
    };
    let (a, u) = (DynSolValue::Address, |n: u64| DynSolValue::Uint(U256::from(n), 256));
    send(&devnet, call("stake", &[a(user(1)), u(10)])).await;
    send(&devnet, call("stake", &[a(user(2)), u(20)])).await;
    mine(&devnet, 200).await;
    send(&devnet, call("stake", &[a(user(1)), u(30)])).await;
    let third_staker_block = send(&devnet, call("stake", &[a(user(3)), u(40)])).await;
    mine(&devnet, 400).await;
    let many = [DynSolValue::Uint(U256::from(0x1000), 160), DynSolValue::Uint(U256::from(5), 160)];
    send(&devnet, call("stakeMany", &many)).await;
    send(&devnet, call("stake", &[a(user(2)), u(50)])).await;
    for (borrower, reserve) in [(1, 7), (1, 8), (1, 7), (2, 7)] {
        send(&devnet, call("borrow", &[a(user(borrower)), u(reserve), u(100)])).await;
        mine(&devnet, 50).await;
    }
    let note = |id: u64, who: u64, text: &str| {
        let id = DynSolValue::Uint(U256::from(id), 64);
        call("note", &[id, a(user(who)), DynSolValue::String(text.into())])
    };
    send(&devnet, note(5, 3, "five")).await;
    send(&devnet, note(6, 3, "five")).await;
    send(&devnet, note(5, 3, "again")).await;
    let mut stakers = vec![user(1), user(2), user(3)];
    stakers.extend((0..5u64).map(|i| Address::from(U160::from(0x1000 + i))));
    Emitted { devnet, emitter, abi, stakers, third_staker_block, staked_logs: 10 }
}

/// Sends `tx` from account 0 and returns its block.
async fn send(devnet: &Devnet, tx: TransactionRequest) -> u64 {
    let tx = tx.with_from(devnet.accounts()[0]);
    let receipt =
        devnet.provider().send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    receipt.block_number.unwrap()
}

async fn mine(devnet: &Devnet, blocks: u64) {
    devnet.anvil_call("anvil_mine", (U256::from(blocks),)).await.unwrap();
}

impl Emitted {
    fn spec(&self, event: &str, args: &[&str]) -> KeySpec {
        let event = self.abi.event(event).unwrap()[0].clone();
        let args =
            args.iter().map(|a| event.inputs.iter().position(|p| p.name == *a).unwrap()).collect();
        KeySpec { address: self.emitter, event, args }
    }

    async fn head(&self) -> u64 {
        self.devnet.provider().get_block_number().await.unwrap()
    }
}

async fn scan(provider: &DynProvider, spec: &KeySpec, from: u64, to: u64) -> (Keys, Vec<u64>) {
    let mut reached = Vec::new();
    let keys =
        collect_keys(provider, spec, from, to, &mut |block, _| reached.push(block)).await.unwrap();
    (keys, reached)
}

fn addresses(keys: &Keys) -> Vec<Address> {
    keys.keys
        .iter()
        .map(|k| match k.as_slice() {
            [DynSolValue::Address(a)] => *a,
            other => panic!("not a one-address key: {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn keys_come_deduplicated_in_first_appearance_order_from_topics_and_data() {
    let e = emit().await;
    let head = e.head().await;
    let provider = e.devnet.provider();

    let (staked, reached) = scan(provider, &e.spec("Staked", &["user"]), 0, head).await;
    assert_eq!(addresses(&staked), e.stakers);
    assert_eq!((staked.logs, staked.from_block, staked.to_block), (e.staked_logs, 0, head));
    assert_eq!(staked.requests, 1, "{} blocks in one range", head + 1);
    assert!(reached.windows(2).all(|w| w[0] < w[1]), "{reached:?}");
    assert_eq!(reached.last(), Some(&head));

    // From the block of user 3's first stake, user 1's second stake comes first.
    let (later, _) =
        scan(provider, &e.spec("Staked", &["user"]), e.third_staker_block - 1, head).await;
    let mut expected = vec![user(1), user(3)];
    expected.extend(&e.stakers[3..]);
    expected.push(user(2));
    assert_eq!(addresses(&later), expected);

    // Composite keys, in the spec's order (not the event's), from two indexed arguments.
    let (loans, _) = scan(provider, &e.spec("Borrowed", &["reserveId", "borrower"]), 0, head).await;
    let loan = |reserve: u64, borrower: u64| {
        vec![DynSolValue::Uint(U256::from(reserve), 256), DynSolValue::Address(user(borrower))]
    };
    assert_eq!(loans.keys, [loan(7, 1), loan(8, 1), loan(7, 2)]);
    assert_eq!(loans.logs, 4);

    // Keys from the data: nothing indexed; a string key too.
    let (notes, _) = scan(provider, &e.spec("Noted", &["who", "id"]), 0, head).await;
    let note = |who: u64, id: u64| {
        vec![DynSolValue::Address(user(who)), DynSolValue::Uint(U256::from(id), 64)]
    };
    assert_eq!(notes.keys, [note(3, 5), note(3, 6)]);
    let (labels, _) = scan(provider, &e.spec("Noted", &["label"]), 0, head).await;
    let text = |s: &str| vec![DynSolValue::String(s.into())];
    assert_eq!(labels.keys, [text("five"), text("again")]);

    // Up to `to_block` inclusive: user 3's first stake is in that block, the later ones after.
    let (until, _) = scan(provider, &e.spec("Staked", &["user"]), 0, e.third_staker_block).await;
    assert_eq!(addresses(&until), e.stakers[..3]);
}

#[tokio::test]
async fn keys_that_cannot_be_discovered_are_refused_before_any_scan() {
    let e = emit().await;
    let head = e.head().await;
    let provider = e.devnet.provider();
    let none = &mut |_, _| {};

    let err = collect_keys(provider, &e.spec("Labelled", &["label"]), 0, head, none).await;
    let err = err.unwrap_err();
    assert!(matches!(&err, LogsError::IndexedDynamic { arg, .. } if arg == "label"), "{err:?}");
    assert!(err.to_string().contains("cannot be recovered"), "{err}");

    let anonymous = KeySpec { args: vec![0], ..e.spec("Anonymous", &[]) };
    let err = collect_keys(provider, &anonymous, 0, head, none).await.unwrap_err();
    assert!(matches!(err, LogsError::Anonymous { .. }), "{err:?}");

    let err = collect_keys(provider, &e.spec("Staked", &["user"]), head + 1, head + 5, none)
        .await
        .unwrap_err();
    assert!(
        matches!(err, LogsError::FromBlockAfterHead { from_block, head: h } if from_block == head + 1 && h == head),
        "{err:?}"
    );
    let err = collect_keys(provider, &e.spec("Staked", &["user"]), 10, 9, none).await.unwrap_err();
    assert!(matches!(err, LogsError::FromBlockAfterHead { from_block: 10, head: 9 }), "{err:?}");
}

fn fast() -> RpcOptions {
    RpcOptions {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..Default::default()
    }
}

#[tokio::test]
async fn ranges_the_node_refuses_as_too_wide_are_halved_and_every_key_is_still_found() {
    let e = emit().await;
    let head = e.head().await;
    let spec = e.spec("Staked", &["user"]);
    let (direct, _) = scan(e.devnet.provider(), &spec, 0, head).await;

    // A refusal that says why reaches the node once; a bare -32005 may be a rate limit, so the
    // transport tries it `max_attempts` times before the range is halved.
    let attempts = u64::from(fast().max_attempts);
    for (code, message, tries) in [
        (-32000, "exceed maximum block range: 50", 1),
        (-32005, "query returned more than 10000 results", 1),
        (-32005, "backend response too large", attempts),
    ] {
        let proxy = Proxy::start(e.devnet.endpoint()).await;
        proxy.limit_log_range(LogRangeLimit { max_blocks: 50, code, message });
        let provider = rpc::connect(&proxy.url(), fast()).unwrap();
        let (limited, reached) = scan(&provider, &spec, 0, head).await;
        assert_eq!(limited.keys, direct.keys, "{message}");
        assert_eq!(limited.logs, direct.logs);
        let forwarded = u64::from(proxy.forwarded("eth_getLogs"));
        let refusals = limited.requests - forwarded;
        let received = u64::from(proxy.received("eth_getLogs"));
        assert_eq!(received, forwarded + tries * refusals, "{message}");
        assert!(forwarded >= (head + 1).div_ceil(50), "{forwarded} ranges for {head} blocks");
        assert!(limited.requests > forwarded, "some ranges were refused and halved");
        assert_eq!(reached.len() as u64, forwarded);
        assert!(
            limited.requests < 2 * forwarded,
            "{} requests: the range stops growing past the limit",
            limited.requests
        );
    }
}

#[tokio::test]
async fn transient_failures_of_eth_get_logs_are_retried_and_rate_limits_are_not_taken_for_refusals()
{
    let e = emit().await;
    let head = e.head().await;
    let spec = e.spec("Staked", &["user"]);
    let (direct, _) = scan(e.devnet.provider(), &spec, 0, head).await;

    let proxy = Proxy::start(e.devnet.endpoint()).await;
    let rate_limit = Fault::RpcError { code: -32005, message: "limit exceeded", data: None };
    proxy.fail("eth_getLogs", [Fault::Status(503), Fault::Drop, rate_limit]);
    let provider = rpc::connect(&proxy.url(), fast()).unwrap();
    let (retried, _) = scan(&provider, &spec, 0, head).await;
    assert_eq!(retried.keys, direct.keys);
    assert_eq!(retried.requests, 1, "the range was not halved");
    assert_eq!(proxy.received("eth_getLogs"), 4, "three failures, then the answer");
}

#[tokio::test]
async fn a_node_that_refuses_even_one_block_or_eth_get_logs_itself_gets_a_clear_error() {
    let e = emit().await;
    let head = e.head().await;
    let spec = e.spec("Staked", &["user"]);
    let none = &mut |_, _| {};

    let proxy = Proxy::start(e.devnet.endpoint()).await;
    let message = "Log response size exceeded.";
    proxy.limit_log_range(LogRangeLimit { max_blocks: 0, code: -32602, message });
    let provider = rpc::connect(&proxy.url(), fast()).unwrap();
    let err = collect_keys(&provider, &spec, 0, head, none).await.unwrap_err();
    assert!(matches!(err, LogsError::RangeRefused { block: 0, .. }), "{err:?}");
    assert!(err.to_string().contains(message), "{err}");

    let proxy = Proxy::start(e.devnet.endpoint()).await;
    let not_found = Fault::RpcError { code: -32601, message: "Method not found", data: None };
    proxy.fail("eth_getLogs", [not_found]);
    let provider = rpc::connect(&proxy.url(), fast()).unwrap();
    let err = collect_keys(&provider, &spec, 0, head, none).await.unwrap_err();
    assert!(matches!(err, LogsError::Unsupported { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("cannot be discovered on this node"), "{shown}");
    assert!(shown.contains("keys = { file ="), "{shown}");
    assert_eq!(proxy.received("eth_getLogs"), 1);
}

/// Not a timed test: prints how long collecting the keys of 50,000 `Staked` logs takes on a
/// local anvil (`anvil --prune-history 64`), in one range and through a proxy that refuses
/// ranges of more than 5 blocks (10,000 logs). Run with `scripts/bench-logs`.
#[tokio::test]
#[ignore = "a benchmark: run with scripts/bench-logs"]
async fn bench_collect_keys_from_50000_events() {
    const EVENTS: u64 = 50_000;
    const PER_TX: u64 = 2_000;
    let devnet = Devnet::builder().arg("--prune-history").arg("64").spawn().await.unwrap();
    let artifact = devnet.artifact("KeyEmitter").unwrap();
    let emitter = devnet.deploy_artifact(&artifact, &[]).await.unwrap();
    let stake_many = artifact.abi.function("stakeMany").unwrap()[0].clone();
    let started = std::time::Instant::now();
    for first in (0..EVENTS).step_by(PER_TX as usize) {
        let args = [
            DynSolValue::Uint(U256::from(0x10000 + first), 160),
            DynSolValue::Uint(U256::from(PER_TX), 160),
        ];
        let data = stake_many.abi_encode_input(&args).unwrap();
        let tx = TransactionRequest::default().with_to(emitter).with_input(data);
        send(&devnet, tx.with_gas_limit(15_000_000)).await;
    }
    eprintln!("emitted {EVENTS} events in {:.1} s", started.elapsed().as_secs_f64());
    let head = devnet.provider().get_block_number().await.unwrap();
    let event = artifact.abi.event("Staked").unwrap()[0].clone();
    let spec = KeySpec { address: emitter, event, args: vec![0] };

    let proxy = Proxy::start(devnet.endpoint()).await;
    let message = "query returned more than 10000 results";
    proxy.limit_log_range(LogRangeLimit { max_blocks: 5, code: -32005, message });
    let limited = rpc::connect(&proxy.url(), fast()).unwrap();
    for (name, provider) in [("direct", devnet.provider()), ("5-block limit", &limited)] {
        let started = std::time::Instant::now();
        let (keys, _) = scan(provider, &spec, 0, head).await;
        let elapsed = started.elapsed().as_secs_f64();
        assert_eq!((keys.keys.len() as u64, keys.logs), (EVENTS, EVENTS));
        eprintln!(
            "| {name} | {} blocks | {} logs | {} keys | {} requests | {elapsed:.2} s | {:.0} logs/s |",
            head + 1,
            keys.logs,
            keys.keys.len(),
            keys.requests,
            EVENTS as f64 / elapsed
        );
    }
}

/// Every log of a filter (`logs::scan`, which `molt migrate` uses to find the Safe's
/// `ExecutionSuccess` of a phase), read through a node that refuses ranges of more than 50
/// blocks: the same logs as one direct read, in more requests.
#[tokio::test]
async fn a_filter_scan_through_a_node_that_refuses_wide_ranges_reads_every_log() {
    let e = emit().await;
    let head = e.head().await;
    let spec = e.spec("Staked", &["user"]);
    let filter = alloy::rpc::types::Filter::new()
        .address(spec.address)
        .event_signature(spec.event.selector());
    async fn read(
        provider: &DynProvider,
        filter: &alloy::rpc::types::Filter,
        head: u64,
    ) -> (Vec<(u64, u64)>, u64) {
        let mut seen = Vec::new();
        let requests = molt_chain::logs::scan(provider, filter, 0, head, &mut |logs, _| {
            seen.extend(logs.iter().map(|l| (l.block_number.unwrap(), l.log_index.unwrap())));
            Ok(())
        })
        .await
        .unwrap();
        (seen, requests)
    }
    let (direct, one) = read(e.devnet.provider(), &filter, head).await;
    assert_eq!(one, 1);
    assert!(!direct.is_empty());
    let proxy = Proxy::start(e.devnet.endpoint()).await;
    proxy.limit_log_range(LogRangeLimit {
        max_blocks: 50,
        code: -32000,
        message: "exceed maximum block range: 50",
    });
    let provider = rpc::connect(&proxy.url(), fast()).unwrap();
    let (limited, requests) = read(&provider, &filter, head).await;
    assert_eq!(limited, direct);
    assert!(requests > 1, "{requests} requests");
}
