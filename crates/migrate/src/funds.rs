//! The funds arithmetic: what the migrated records credit, what the snapshot owes per token, and
//! what a contract holds. Shared by the run (what to move) and verification (what was moved).

use alloy::{
    dyn_abi::DynSolValue,
    json_abi::Function,
    primitives::{Address, U256},
    providers::{DynProvider, Provider},
};

use crate::{
    Result,
    manifest::{CreditedToken, Funds, Manifest, Tokens},
    snapshot::Snapshot,
};
use molt_chain::read::view;

/// What `records` (import structs) credit of `token` under the funds' `credited_by` fields.
pub fn credited<'a>(
    f: &Funds,
    records: impl Iterator<Item = &'a DynSolValue>,
    token: Address,
) -> U256 {
    records
        .filter_map(|r| {
            let fields = r.as_tuple()?;
            // A record missing from the target (read back as an empty tuple) credits nothing.
            let t = match f.credited_by.token {
                CreditedToken::Field(i) => fields.get(i)?.as_address()?,
                CreditedToken::Only(t) => t,
            };
            let amount = fields.get(f.credited_by.amount)?.as_uint().map(|(n, _)| n);
            (t == token).then_some(amount).flatten()
        })
        .fold(U256::ZERO, |a, b| a + b)
}

/// Per token, what the component's records credit (the amount to move).
pub fn owed(manifest: &Manifest, f: &Funds, snap: &Snapshot) -> Vec<(Address, U256)> {
    let c = manifest.component(&f.credited_by.component).expect("checked at load");
    let records = &snap.components[&c.name].records;
    let tokens: Vec<Address> = match &f.tokens {
        Tokens::List(list) => list.clone(),
        Tokens::FromComponent { component, field } => {
            let mut t: Vec<Address> = snap.components[component]
                .records
                .iter()
                .filter_map(|r| r.source[*field].as_address())
                .collect();
            t.sort();
            t.dedup();
            t
        }
    };
    tokens
        .into_iter()
        .map(|token| {
            let sum = credited(f, records.iter().map(|r| &r.target), token);
            (token, sum)
        })
        .collect()
}

/// What `holder` holds of `token` (ETH for the zero address).
pub async fn holding(provider: &DynProvider, token: Address, holder: Address) -> Result<U256> {
    if token.is_zero() {
        return Ok(provider.get_balance(holder).await.map_err(molt_chain::Error::from)?);
    }
    let f = Function::parse("function balanceOf(address) view returns (uint256)").expect("valid");
    let out = view(provider, token, &f, &[DynSolValue::Address(holder)], None).await?;
    Ok(out.first().and_then(DynSolValue::as_uint).map(|(n, _)| n).unwrap_or_default())
}

/// `12.5 ETH`, or `1234 (base units) of token 0x…` for a token: an amount for people.
pub fn amount_of(token: Address, amount: U256) -> String {
    if token.is_zero() {
        let eth = alloy::primitives::utils::format_ether(amount);
        format!("{} ETH", eth.trim_end_matches('0').trim_end_matches('.'))
    } else {
        format!("{amount} (base units) of token {token}")
    }
}
