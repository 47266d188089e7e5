//! Which on-chain digest a component's records fold into: its own `verify.digest`, or, stated
//! with `verify.digest_shared_with`, another component's of the same contract.

use alloy::{
    primitives::Address,
    providers::Provider,
    rpc::types::TransactionRequest,
    sol,
    sol_types::{SolCall, SolValue},
};

use crate::common::{Project, address_of, refused, report};

sol! {
    function getBalanceCount() external view returns (uint256);
    function getBalanceAt(uint256 index) external view returns (address user, address token, uint256 amount);
}

/// The seeded manifest's one deposits component and its funds move.
const DEPOSITS: &str = r#"[[component]]
name = "deposits"
source = { contract = "escrow_v1", count = "getBalanceCount", get = "getBalanceAt" }
target = { contract = "escrow_v2", import = "migrateDeposits" }
key = ["user", "token"]
verify = { get = "balanceOf", args = ["user", "token"], map = { amount = "_0" }, digest = "importDigest", count = "importCount" }"#;
const ESCROW_FUNDS: &str = r#"[[funds]]
name = "escrow"
from = "escrow_v1"
to = "escrow_v2"
tokens = { component = "deposits", field = "token" }
call = { function = "emergencyWithdraw", args = ["$token", "$amount", "$to"] }
return = { function = "returnFunds", args = ["$token", "$amount", "$to"] }
credited_by = { component = "deposits", amount = "amount", token = "token" }"#;

/// The ERC-20s the seeded V1 escrow holds deposits of.
async fn deposit_tokens(project: &Project) -> Vec<Address> {
    let escrow: Address = address_of(project.seeded_text(), "escrow_v1").parse().unwrap();
    let provider = project.devnet.provider();
    let call = |data: Vec<u8>| {
        let tx = TransactionRequest::default().to(escrow).input(data.into());
        async move { provider.call(tx).await.unwrap() }
    };
    let count =
        getBalanceCountCall::abi_decode_returns(&call(getBalanceCountCall {}.abi_encode()).await)
            .unwrap();
    let mut tokens = Vec::new();
    for i in 0..count.to::<u64>() {
        let out =
            call(getBalanceAtCall { index: alloy::primitives::U256::from(i) }.abi_encode()).await;
        let (_, token, _) =
            <(Address, Address, alloy::primitives::U256)>::abi_decode(&out).unwrap();
        if !token.is_zero() && !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    tokens
}

/// The deposits as two components, ETH and ERC-20, each with its own funds move; `shared` is
/// what the second says about its digest.
fn split_deposits(tokens: &[Address], shared: &str) -> (String, String) {
    let list = tokens.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
    let component = |name: &str, filter: &str, digest: &str| {
        format!(
            r#"[[component]]
name = "{name}"
source = {{ contract = "escrow_v1", count = "getBalanceCount", get = "getBalanceAt" }}
target = {{ contract = "escrow_v2", import = "migrateDeposits" }}
key = ["user", "token"]
filter = {{ field = "token", in = [{filter}] }}
verify = {{ get = "balanceOf", args = ["user", "token"], map = {{ amount = "_0" }}, {digest} }}"#
        )
    };
    let components = [
        component(
            "eth_deposits",
            "\"0x0000000000000000000000000000000000000000\"",
            r#"digest = "importDigest", count = "importCount""#,
        ),
        component("token_deposits", &list, shared),
    ]
    .join("\n\n");
    let funds = format!(
        r#"[[funds]]
name = "escrow_eth"
from = "escrow_v1"
to = "escrow_v2"
tokens = "ETH"
call = {{ function = "emergencyWithdraw", args = ["$token", "$amount", "$to"] }}
credited_by = {{ component = "eth_deposits", amount = "amount" }}

[[funds]]
name = "escrow_tokens"
from = "escrow_v1"
to = "escrow_v2"
tokens = [{list}]
call = {{ function = "emergencyWithdraw", args = ["$token", "$amount", "$to"] }}
credited_by = {{ component = "token_deposits", amount = "amount", token = "token" }}"#
    );
    (components, funds)
}

#[tokio::test(flavor = "multi_thread")]
async fn components_that_share_one_digest_say_so_and_verify_against_it() {
    let project = Project::seeded(3, 6, 12).await;
    let tokens = deposit_tokens(&project).await;
    assert!(!tokens.is_empty(), "the seeder deposits ERC-20s too");

    // Two components reading one digest without saying how they share it: refused at load.
    let (components, funds) =
        split_deposits(&tokens, r#"digest = "importDigest", count = "importCount""#);
    project.edit(DEPOSITS, &components);
    project.edit(ESCROW_FUNDS, &funds);
    let why = refused(
        project.molt().args(["migrate", "--yes"]),
        &[
            "components `eth_deposits` and `token_deposits` both read `importDigest()` on `escrow_v2`",
            "digest_shared_with = \"eth_deposits\"",
        ],
    );
    assert!(why.contains("molt.toml:"), "the error names the manifest line: {why}");

    // Said so: both fold, ETH deposits first, into escrow_v2's one digest, and verify.
    project.restore();
    let (components, funds) = split_deposits(&tokens, r#"digest_shared_with = "eth_deposits""#);
    project.edit(DEPOSITS, &components);
    project.edit(ESCROW_FUNDS, &funds);
    let done = report(&project.migrate(None));
    assert_eq!(done["verified"], true, "{done:#}");
    let of = |name: &str| {
        done["components"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone()
    };
    let (eth, erc20) = (of("eth_deposits"), of("token_deposits"));
    assert!(eth["migrated"].as_u64().unwrap() > 0 && erc20["migrated"].as_u64().unwrap() > 0);
    assert_eq!(eth["onchain_digest"], erc20["onchain_digest"], "one digest, shared");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_digest_shared_with_a_component_that_cannot_share_is_refused_at_its_line() {
    let project = Project::seeded(2, 2, 4).await;
    let tokens = deposit_tokens(&project).await;
    let cases = [
        (r#"digest_shared_with = "nobody""#, "there is no component of that name"),
        (r#"digest_shared_with = "jobs""#, "`jobs` imports into `jobs_v2`"),
        (r#"digest_shared_with = "token_deposits""#, "cannot share its own digest"),
        (
            r#"digest_shared_with = "eth_deposits", digest = "importDigest""#,
            "has no `digest` or `count` of its own",
        ),
    ];
    for (shared, want) in cases {
        project.restore();
        let (components, funds) = split_deposits(&tokens, shared);
        project.edit(DEPOSITS, &components);
        project.edit(ESCROW_FUNDS, &funds);
        refused(project.molt().args(["plan"]), &[want]);
    }
}
