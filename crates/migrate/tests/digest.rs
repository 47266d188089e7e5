//! The off-chain record mapping and digest agree with what the V2 contracts compute on chain.

use std::path::Path;

use alloy::{
    contract::{ContractInstance, Interface},
    dyn_abi::DynSolValue,
    network::TransactionBuilder,
    primitives::{Address, U256, utils::parse_ether},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use molt_chain::Devnet;
use molt_migrate::{Manifest, record};

fn v1_node(
    operator: Address,
    peer: &str,
    stake: &str,
    models: &[&str],
    region: &str,
    reputation: u64,
) -> Vec<DynSolValue> {
    vec![
        DynSolValue::Address(operator),
        DynSolValue::String(peer.into()),
        DynSolValue::Uint(parse_ether(stake).unwrap(), 256),
        DynSolValue::Array(models.iter().map(|m| DynSolValue::String((*m).into())).collect()),
        DynSolValue::String(region.into()),
        DynSolValue::Uint(U256::from(reputation), 256),
    ]
}

#[tokio::test]
async fn mapped_nodes_import_into_v2_with_the_digest_molt_computes() {
    let manifest = Manifest::load(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/manifests/fabstir.toml"),
    )
    .unwrap();
    let nodes = manifest.component("nodes").unwrap();

    let devnet = Devnet::spawn().await.unwrap();
    let artifact = devnet.artifact("NodeRegistryV2").unwrap();
    let registry_address = devnet.deploy_artifact(&artifact, &[]).await.unwrap();
    let registry = ContractInstance::new(
        registry_address,
        devnet.provider().clone(),
        Interface::new(artifact.abi),
    );

    // Fund the registry with the V1 stakes, as V1's transferStakes does.
    let fund = TransactionRequest::default()
        .with_to(registry_address)
        .with_value(parse_ether("10").unwrap());
    assert!(
        devnet
            .provider()
            .send_transaction(fund)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap()
            .status()
    );

    let a = devnet.accounts();
    let sources = [
        v1_node(a[1], "12D3KooWa", "1", &["llama-3-70b", "mistral-7b"], "eu-west", 50),
        v1_node(a[2], "12D3KooWb", "2.5", &["phi-3"], "us-east", 97),
        v1_node(a[3], "", "0.01", &[], "", 0),
    ];
    let records: Vec<DynSolValue> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| record::map_record(nodes, i as u64, s).unwrap())
        .collect();
    // reputation 97 -> 9700 basis points
    assert_eq!(records[1].as_tuple().unwrap()[5], DynSolValue::Uint(U256::from(9700), 256));

    let receipt = registry
        .function("batchMigrateNodes", &[DynSolValue::Array(records.clone())])
        .unwrap()
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());

    let onchain = registry.function("importDigest", &[]).unwrap().call().await.unwrap();
    assert_eq!(onchain[0].as_fixed_bytes().unwrap().0, record::digest(&records).as_slice());
    let count = registry.function("importCount", &[]).unwrap().call().await.unwrap();
    assert_eq!(count[0].as_uint().unwrap().0, U256::from(3));

    for r in &records {
        let args = record::verify_args(nodes, r);
        let out = registry.function("getNode", &args).unwrap().call().await.unwrap();
        assert_eq!(&record::readback_record(nodes, &args, out).unwrap(), r);
    }
}
