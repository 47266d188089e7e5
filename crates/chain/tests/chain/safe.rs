//! Safe 1.4.1 against a real anvil: the canonical contracts installed, a 2-of-3 Safe of dev
//! accounts 1..3 created through the real factory, SafeTx hashes checked against the Safe's
//! own, and MultiSendCallOnly batches confirmed by real signatures (or refused).

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, U256, address, keccak256, utils::parse_ether},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use molt_chain::{
    Devnet, RpcOptions, connect,
    safe::{
        self, MultiSendCall, Safe, SafeAddresses, SafeContract, SafeContracts, SafeError,
        SafeSetup, SafeSignature, SafeTx,
    },
};

/// A devnet with Safe 1.4.1 installed and a funded 2-of-3 Safe of dev accounts 1, 2 and 3.
struct Fixture {
    devnet: Devnet,
    addresses: SafeAddresses,
    safe: Safe,
}

impl Fixture {
    async fn new() -> Self {
        let devnet = Devnet::spawn().await.expect("anvil starts (run scripts/setup first)");
        // Without the npm packages this says how to install them (scripts/setup).
        let addresses = safe::install(&devnet).await.unwrap_or_else(|e| panic!("{e}"));
        let owners = devnet.accounts()[1..4].to_vec();
        let setup = SafeSetup::new(owners, 2);
        let at = safe::create_safe(devnet.provider(), devnet.accounts()[0], &addresses, &setup)
            .await
            .unwrap();
        let safe = Safe::new(at, devnet.chain_id(), devnet.provider().clone());
        let fund = TransactionRequest::default().with_to(at).with_value(parse_ether("10").unwrap());
        let receipt =
            devnet.provider().send_transaction(fund).await.unwrap().get_receipt().await.unwrap();
        assert!(receipt.status());
        Self { devnet, addresses, safe }
    }

    fn owner(&self, i: usize) -> Address {
        self.devnet.accounts()[i]
    }

    /// Two transfers out of the Safe, at its current nonce.
    async fn batch(&self, to: [Address; 2]) -> SafeTx {
        let calls = [
            MultiSendCall::transfer(to[0], U256::from(1_000)),
            MultiSendCall::transfer(to[1], U256::from(2_000)),
        ];
        let nonce = self.safe.nonce().await.unwrap();
        safe::multisend_tx(self.addresses.multi_send_call_only, &calls, nonce).unwrap()
    }

    fn sign(&self, i: usize, hash: B256) -> SafeSignature {
        SafeSignature::sign(self.devnet.signer(i), hash).unwrap()
    }

    async fn balance(&self, a: Address) -> U256 {
        self.devnet.provider().get_balance(a).await.unwrap()
    }
}

const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
const BOB: Address = address!("0000000000000000000000000000000000000b0b");

#[tokio::test]
async fn the_canonical_contracts_are_installed_and_the_safe_is_set_up() {
    let f = Fixture::new().await;
    let contracts = SafeContracts::load(f.devnet.toolchain()).unwrap();
    for c in &contracts.contracts {
        let code = f.devnet.provider().get_code_at(c.address).await.unwrap();
        assert_eq!(keccak256(&code), c.code_hash, "{}", c.contract.name());
    }
    assert_eq!(
        contracts.address(SafeContract::Safe),
        address!("41675C099F32341bf84BFc5382aF534df5C7461a")
    );
    // The singleton is locked the way its constructor locks it.
    let singleton = Safe::new(f.addresses.safe, 31337, f.devnet.provider().clone());
    assert_eq!(singleton.threshold().await.unwrap(), U256::from(1));

    assert_eq!(f.safe.owners().await.unwrap(), f.devnet.accounts()[1..4].to_vec());
    assert_eq!(f.safe.threshold().await.unwrap(), U256::from(2));
    assert_eq!(f.safe.nonce().await.unwrap(), U256::ZERO);
    assert_eq!(f.safe.contract().VERSION().call().await.unwrap(), "1.4.1");
    // Installing again (the code is there already) changes nothing.
    assert_eq!(safe::install(&f.devnet).await.unwrap(), f.addresses);
}

#[tokio::test]
async fn the_safe_tx_hash_computed_here_is_the_safes_own() {
    let f = Fixture::new().await;
    let tx = SafeTx {
        to: ALICE,
        value: U256::from(12_345),
        data: Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]),
        operation: 1,
        safeTxGas: U256::from(100_000),
        baseGas: U256::from(21_000),
        gasPrice: U256::from(7),
        gasToken: BOB,
        refundReceiver: ALICE,
        nonce: U256::from(42),
    };
    let hashes = tx.hashes(f.devnet.chain_id(), f.safe.address());
    assert_eq!(hashes.safe_tx_hash, f.safe.onchain_tx_hash(&tx).await.unwrap());
    let contract = f.safe.contract();
    assert_eq!(hashes.domain_separator, contract.domainSeparator().call().await.unwrap());
    // encodeTransactionData = 0x19 0x01 ‖ domain separator ‖ struct hash.
    let encoded = contract
        .encodeTransactionData(
            tx.to,
            tx.value,
            tx.data.clone(),
            tx.operation,
            tx.safeTxGas,
            tx.baseGas,
            tx.gasPrice,
            tx.gasToken,
            tx.refundReceiver,
            tx.nonce,
        )
        .call()
        .await
        .unwrap();
    assert_eq!(&encoded[34..66], hashes.struct_hash.as_slice());

    let batch = f.batch([ALICE, BOB]).await;
    assert_eq!(f.safe.tx_hash(&batch), f.safe.onchain_tx_hash(&batch).await.unwrap());
}

#[tokio::test]
async fn two_owner_signatures_execute_a_multisend_batch() {
    let f = Fixture::new().await;
    let tx = f.batch([ALICE, BOB]).await;
    let hash = f.safe.tx_hash(&tx);
    // Given in descending owner order: exec sorts them.
    let mut sigs = vec![f.sign(1, hash), f.sign(3, hash)];
    sigs.sort_by_key(|s| std::cmp::Reverse(s.owner()));
    let safe_balance = f.balance(f.safe.address()).await;

    // Account 0, not an owner, relays the confirmed transaction.
    f.safe.exec(f.owner(0), &tx, &sigs).await.unwrap();

    assert_eq!(f.balance(ALICE).await, U256::from(1_000));
    assert_eq!(f.balance(BOB).await, U256::from(2_000));
    assert_eq!(f.balance(f.safe.address()).await, safe_balance - U256::from(3_000));
    assert_eq!(f.safe.nonce().await.unwrap(), U256::from(1));
    // The same signatures cannot run it again: the nonce moved on.
    let replay = f.safe.exec(f.owner(0), &tx, &sigs).await.unwrap_err();
    assert_eq!(replay.safe_code(), Some("GS026"), "{replay}");
}

#[tokio::test]
async fn one_signature_of_a_two_of_three_safe_is_refused_with_gs020() {
    let f = Fixture::new().await;
    let tx = f.batch([ALICE, BOB]).await;
    let err = f.safe.exec(f.owner(0), &tx, &[f.sign(2, f.safe.tx_hash(&tx))]).await.unwrap_err();
    assert!(matches!(&err, SafeError::Rejected { code, .. } if code == "GS020"), "{err}");
    assert!(err.to_string().contains("signatures data too short"), "{err}");
    assert_eq!(f.safe.nonce().await.unwrap(), U256::ZERO);
    assert_eq!(f.balance(ALICE).await, U256::ZERO);
}

#[tokio::test]
async fn a_non_owners_signature_is_refused_with_gs026() {
    let f = Fixture::new().await;
    let tx = f.batch([ALICE, BOB]).await;
    let hash = f.safe.tx_hash(&tx);
    // Account 4 is no owner.
    let err = f.safe.exec(f.owner(0), &tx, &[f.sign(1, hash), f.sign(4, hash)]).await.unwrap_err();
    assert_eq!(err.safe_code(), Some("GS026"), "{err}");
    assert_eq!(f.safe.nonce().await.unwrap(), U256::ZERO);
}

#[tokio::test]
async fn an_approved_hash_of_an_impersonated_owner_counts_as_its_signature() {
    let f = Fixture::new().await;
    let tx = f.batch([ALICE, BOB]).await;
    let hash = f.safe.tx_hash(&tx);
    let owner = f.owner(3);
    let approved = [f.sign(1, hash), SafeSignature::approved_hash(owner)];

    // Before approveHash, the approved-hash signature is refused.
    let err = f.safe.exec(f.owner(0), &tx, &approved).await.unwrap_err();
    assert_eq!(err.safe_code(), Some("GS025"), "{err}");

    // The owner's key is not used: anvil impersonates it, through a provider without wallet.
    f.devnet.anvil_call("anvil_impersonateAccount", (owner,)).await.unwrap();
    let plain = connect(&f.devnet.endpoint(), RpcOptions::default()).unwrap();
    let as_owner = Safe::new(f.safe.address(), f.devnet.chain_id(), plain);
    as_owner.approve_hash(owner, hash).await.unwrap();
    let stored = f.safe.contract().approvedHashes(owner, hash).call().await.unwrap();
    assert_eq!(stored, U256::from(1));

    f.safe.exec(f.owner(0), &tx, &approved).await.unwrap();
    assert_eq!(f.balance(ALICE).await, U256::from(1_000));
    assert_eq!(f.safe.nonce().await.unwrap(), U256::from(1));
}

#[tokio::test]
async fn a_safe_l2_executes_a_batch_too() {
    let f = Fixture::new().await;
    let mut setup = SafeSetup::new(f.devnet.accounts()[1..4].to_vec(), 2);
    setup.l2 = true;
    let from = f.owner(0);
    let at = safe::create_safe(f.devnet.provider(), from, &f.addresses, &setup).await.unwrap();
    assert_ne!(at, f.safe.address());
    // The proxy's singleton (storage slot 0) is SafeL2.
    let slot0 = f.devnet.provider().get_storage_at(at, U256::ZERO).await.unwrap();
    assert_eq!(Address::from_word(slot0.into()), f.addresses.safe_l2);

    let l2 = Safe::new(at, f.devnet.chain_id(), f.devnet.provider().clone());
    let calls = [MultiSendCall::new(ALICE, Bytes::new()), MultiSendCall::new(BOB, Bytes::new())];
    let tx = safe::multisend_tx(f.addresses.multi_send_call_only, &calls, U256::ZERO).unwrap();
    let hash = l2.tx_hash(&tx);
    assert_eq!(hash, l2.onchain_tx_hash(&tx).await.unwrap());
    l2.exec(from, &tx, &[f.sign(2, hash), f.sign(3, hash)]).await.unwrap();
    assert_eq!(l2.nonce().await.unwrap(), U256::from(1));
}

#[tokio::test]
async fn an_invalid_setup_is_refused_before_anything_is_sent() {
    let f = Fixture::new().await;
    let owners = f.devnet.accounts()[1..3].to_vec();
    for setup in [SafeSetup::new(owners.clone(), 3), SafeSetup::new(owners.clone(), 0)] {
        let err = safe::create_safe(f.devnet.provider(), f.owner(0), &f.addresses, &setup)
            .await
            .unwrap_err();
        assert!(matches!(err, SafeError::InvalidSetup(_)), "{err}");
    }
    let twice = SafeSetup::new(vec![owners[0], owners[0]], 1);
    let err =
        safe::create_safe(f.devnet.provider(), f.owner(0), &f.addresses, &twice).await.unwrap_err();
    assert!(err.to_string().contains("listed twice"), "{err}");
}

#[tokio::test]
async fn only_owners_can_approve_a_hash() {
    let f = Fixture::new().await;
    let err = f.safe.approve_hash(f.owner(5), B256::repeat_byte(7)).await.unwrap_err();
    assert_eq!(err.safe_code(), Some("GS030"), "{err}");
}
