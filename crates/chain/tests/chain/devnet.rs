//! The shared devnet helper against a real anvil: deploy V1, register a node, read it back.

use alloy::{
    contract::{ContractInstance, Interface},
    dyn_abi::DynSolValue,
    network::TransactionBuilder,
    primitives::{U256, utils::parse_ether},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use molt_chain::Devnet;

#[tokio::test]
async fn deploys_v1_registry_registers_a_node_and_reads_it_back() {
    let devnet = Devnet::spawn().await.expect("anvil starts (run scripts/setup first)");
    assert_eq!(devnet.chain_id(), 31337);

    let artifact = devnet.artifact("NodeRegistryV1").expect("contracts are built (forge build)");
    let address = devnet.deploy_artifact(&artifact, &[]).await.unwrap();
    assert!(!devnet.provider().get_code_at(address).await.unwrap().is_empty());

    let operator = devnet.accounts()[3];
    let registry =
        ContractInstance::new(address, devnet.provider().clone(), Interface::new(artifact.abi));
    let stake = parse_ether("1.5").unwrap();
    let models = DynSolValue::Array(vec![
        DynSolValue::String("llama-3-70b".into()),
        DynSolValue::String("mistral-7b".into()),
    ]);
    let receipt = registry
        .function(
            "registerNode",
            &[
                DynSolValue::String("12D3KooWmolt".into()),
                models,
                DynSolValue::String("eu-west".into()),
            ],
        )
        .unwrap()
        .from(operator)
        .value(stake)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());

    let total = registry.function("getTotalNodes", &[]).unwrap().call().await.unwrap();
    assert_eq!(total, vec![DynSolValue::Uint(U256::from(1), 256)]);

    let node = registry
        .function("getNodeAt", &[DynSolValue::Uint(U256::ZERO, 256)])
        .unwrap()
        .call()
        .await
        .unwrap();
    let DynSolValue::Tuple(fields) = &node[0] else {
        panic!("getNodeAt returns a struct: {node:?}")
    };
    assert_eq!(fields[0].as_address(), Some(operator));
    assert_eq!(fields[1].as_str(), Some("12D3KooWmolt"));
    assert_eq!(fields[2].as_uint(), Some((stake, 256)));
    let models: Vec<_> =
        fields[3].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(models, ["llama-3-70b", "mistral-7b"]);
    assert_eq!(fields[4].as_str(), Some("eu-west"));
    assert_eq!(devnet.provider().get_balance(address).await.unwrap(), stake);
}

#[tokio::test]
async fn wrong_constructor_arguments_are_refused_before_sending() {
    let devnet = Devnet::spawn().await.unwrap();
    // JobMarketplaceV1 needs the registry address; the wrong argument count is caught before sending.
    let err = devnet.deploy("JobMarketplaceV1", &[]).await.unwrap_err().to_string();
    assert!(err.contains("JobMarketplaceV1"), "{err}");

    // Plain value transfer still works: the provider signs for every dev account.
    let [from, to] = [devnet.accounts()[1], devnet.accounts()[2]];
    let tx = TransactionRequest::default().with_from(from).with_to(to).with_value(U256::from(7));
    let receipt =
        devnet.provider().send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
}

#[tokio::test]
async fn a_missing_artifact_says_how_to_build() {
    let devnet = Devnet::spawn().await.unwrap();
    let err = devnet.artifact("NoSuchContract").unwrap_err().to_string();
    assert!(err.contains("NoSuchContract") && err.contains("forge build"), "{err}");
}

/// Set in the child process of [`an_anvil_does_not_outlive_a_process_killed_with_sigkill`].
const CHILD: &str = "MOLT_TEST_DEVNET_CHILD";

#[tokio::test]
async fn an_anvil_does_not_outlive_a_process_killed_with_sigkill() {
    use std::io::{BufRead, BufReader};
    if std::env::var_os(CHILD).is_some() {
        // The child: start anvil, say its pid, and wait to be killed.
        let devnet = Devnet::spawn().await.unwrap();
        println!("anvil pid {}", devnet.pid());
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        return;
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["an_anvil_does_not_outlive_a_process_killed_with_sigkill", "--nocapture"])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let pid = lines
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("anvil pid ").map(|p| p.trim().parse::<u32>().unwrap()))
        .expect("the child started anvil");
    // Long enough for anvil to be idle (no more output that could die of a broken pipe).
    std::thread::sleep(std::time::Duration::from_millis(500));
    child.kill().unwrap(); // SIGKILL: no destructor runs in the child
    child.wait().unwrap();
    let killed = std::time::Instant::now();
    while std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
    {
        assert!(killed.elapsed().as_secs() < 10, "anvil {pid} outlived the killed process");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
