//! The manifest as written in TOML, before it is checked against the ABIs.
//!
//! Field-by-field documentation of the format is in `docs/manifest.md`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// `molt.toml` as parsed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawManifest {
    pub(crate) network: RawNetwork,
    #[serde(default)]
    pub(crate) batch: RawBatch,
    pub(crate) contracts: BTreeMap<String, Spanned<RawContract>>,
    #[serde(default)]
    pub(crate) pause: Vec<RawPause>,
    #[serde(default)]
    pub(crate) check: Vec<RawCheck>,
    #[serde(default)]
    pub(crate) funds: Vec<RawFunds>,
    #[serde(default)]
    pub(crate) component: Vec<RawComponent>,
    #[serde(default)]
    pub(crate) finalize: Vec<RawCall>,
    /// Who owns the contracts, and the calls of the owner phases.
    #[serde(default)]
    pub(crate) governance: Option<RawGovernance>,
    /// `molt diff` reads this section; the migrator ignores it.
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) diff: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNetwork {
    pub(crate) rpc_url: Option<String>,
    pub(crate) chain_id: u64,
    /// Default 1; spanned, like every setting, so that a value out of range is shown at its line.
    pub(crate) confirmations: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBatch {
    pub(crate) gas_budget: Option<Spanned<u64>>,
    pub(crate) block_gas_fraction: Option<Spanned<f64>>,
    pub(crate) gas_margin: Option<Spanned<f64>>,
    pub(crate) max_in_flight: Option<Spanned<usize>>,
    pub(crate) max_records: Option<Spanned<usize>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawContract {
    pub(crate) address: Spanned<String>,
    pub(crate) abi: Spanned<String>,
}

/// A contract function call with arguments (`$name` refers to a value of the context:
/// `$to`, `$token`, `$amount`, or `@contract` for a manifest contract's address).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCall {
    pub(crate) contract: Spanned<String>,
    pub(crate) function: Spanned<String>,
    #[serde(default)]
    pub(crate) args: Vec<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPause {
    pub(crate) contract: Spanned<String>,
    /// The function that pauses (no arguments).
    pub(crate) call: Spanned<String>,
    /// A view returning `bool`, true when paused.
    pub(crate) paused: Spanned<String>,
    /// The function that lifts the pause (no arguments), for `molt rollback`.
    #[serde(default)]
    pub(crate) unpause: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCheck {
    pub(crate) name: Spanned<String>,
    pub(crate) contract: Spanned<String>,
    pub(crate) function: Spanned<String>,
    pub(crate) expect: Spanned<toml::Value>,
    pub(crate) message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFunds {
    pub(crate) name: Spanned<String>,
    pub(crate) from: Spanned<String>,
    pub(crate) to: Spanned<String>,
    /// `"ETH"`, a token address, a list of them, or `{ component, field }`: the distinct values
    /// of a field of a component's source records.
    pub(crate) tokens: Spanned<toml::Value>,
    pub(crate) call: RawFundsCall,
    /// The call on `to` that sends one token's amount back to `from` (`molt rollback`); `$to`
    /// is then the old contract.
    #[serde(default, rename = "return")]
    pub(crate) return_call: Option<RawFundsCall>,
    /// The component whose migrated records are credited against these funds, with the fields
    /// holding the token and the amount (of the target record).
    pub(crate) credited_by: RawCredit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFundsCall {
    pub(crate) function: Spanned<String>,
    #[serde(default)]
    pub(crate) args: Vec<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCredit {
    pub(crate) component: Spanned<String>,
    pub(crate) amount: Spanned<String>,
    pub(crate) token: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawComponent {
    pub(crate) name: Spanned<String>,
    pub(crate) source: RawSource,
    pub(crate) target: RawTarget,
    /// Target fields that identify a record.
    pub(crate) key: Spanned<KeyList>,
    #[serde(default)]
    pub(crate) depends_on: Vec<Spanned<String>>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(crate) filter: Vec<RawPredicate>,
    #[serde(default)]
    pub(crate) map: BTreeMap<String, Spanned<toml::Value>>,
    /// Source fields deliberately not carried to the target.
    #[serde(default)]
    pub(crate) drop: Vec<Spanned<String>>,
    pub(crate) verify: RawVerify,
}

/// One field name or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub(crate) fn names(&self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    pub(crate) contract: Spanned<String>,
    /// Enumerable sources: the view returning the number of records.
    pub(crate) count: Option<Spanned<String>>,
    pub(crate) get: Spanned<String>,
    /// Enumerable sources: the first index (default 0).
    pub(crate) first: Option<Spanned<u64>>,
    /// Keyed sources: where the keys come from.
    pub(crate) keys: Option<Spanned<RawKeys>>,
}

/// `keys = { event, arg | args, from_block }`, `{ file }` or `{ component, field }`; which
/// combination is given is checked in `source.rs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKeys {
    pub(crate) event: Option<Spanned<String>>,
    pub(crate) arg: Option<Spanned<String>>,
    pub(crate) args: Option<Spanned<Vec<String>>>,
    pub(crate) from_block: Option<Spanned<u64>>,
    pub(crate) file: Option<Spanned<String>>,
    pub(crate) component: Option<Spanned<String>>,
    pub(crate) field: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    pub(crate) contract: Spanned<String>,
    pub(crate) import: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPredicate {
    pub(crate) field: Spanned<String>,
    #[serde(rename = "in")]
    pub(crate) one_of: Option<Spanned<Vec<toml::Value>>>,
    pub(crate) not_in: Option<Spanned<Vec<toml::Value>>>,
    pub(crate) zero: Option<Spanned<bool>>,
    pub(crate) nonzero: Option<Spanned<bool>>,
}

/// One table or an array of tables (deserialized in place, so that spans survive, which an
/// untagged enum would lose).
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Visit<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a table or an array of tables")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(|t| vec![t])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Vec<T>, A::Error> {
            Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
        }
    }
    d.deserialize_any(Visit(std::marker::PhantomData))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVerify {
    pub(crate) get: Spanned<String>,
    pub(crate) args: Vec<Spanned<String>>,
    /// Target field = getter output field, where the names differ.
    #[serde(default)]
    pub(crate) map: BTreeMap<String, Spanned<String>>,
    /// A view on the target contract returning the running digest of imports.
    pub(crate) digest: Option<Spanned<String>>,
    /// A view on the target contract returning the number of imported records.
    pub(crate) count: Option<Spanned<String>>,
    /// Another component (same target contract) whose digest and count these records fold into.
    pub(crate) digest_shared_with: Option<Spanned<String>>,
}

/// `[governance]`: the owner of the contracts (a Safe or an account), the migrator account
/// that imports, and the calls that give it its role and take it back.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGovernance {
    pub(crate) owner: Spanned<RawOwner>,
    pub(crate) migrator: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) grant: Vec<RawCall>,
    #[serde(default)]
    pub(crate) revoke: Vec<RawCall>,
}

/// `owner = { safe = "0x…" }` or `owner = { account = "0x…" }` (which one is given is checked
/// in `governance.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOwner {
    pub(crate) safe: Option<Spanned<String>>,
    pub(crate) account: Option<Spanned<String>>,
}
