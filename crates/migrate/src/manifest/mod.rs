//! The migration manifest (`molt.toml`): what moves from which old contract to which new one,
//! and how records are mapped. Loading it checks every name and type against the two ABIs, so
//! a manifest that loads cannot fail later for a typo or a type mismatch.

mod calls;
pub mod fingerprint;
mod governance;
mod raw;
mod resolve;
mod source;
mod text;
mod types;
mod validate;
mod verify;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy::{
    dyn_abi::{DynSolType, DynSolValue},
    json_abi::{Event, Function, JsonAbi},
    primitives::{Address, B256, U256},
};

pub(crate) use types::zero as zero_value;

use crate::{Error, Result};

/// The marker of what a draft (`molt init`) could not decide; the loader refuses a line with it.
pub const TODO_MARKER: &str = "TODO(molt)";

/// A loaded and checked manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The file it was read from.
    pub path: PathBuf,
    /// keccak256 of the file's bytes: a journal belongs to exactly one manifest.
    pub hash: B256,
    /// The fingerprint of each section ([`fingerprint::sections`]): what changed when the
    /// file did.
    pub sections: BTreeMap<String, B256>,
    /// Where to send transactions.
    pub network: Network,
    /// How batches are sized and sent.
    pub batch: BatchOptions,
    /// The contracts, by the manifest's name for them.
    pub contracts: BTreeMap<String, Contract>,
    /// How to pause the old contracts and check they are paused.
    pub pause: Vec<Pause>,
    /// Conditions on the old contracts' state that must hold before anything is sent.
    pub checks: Vec<Check>,
    /// Value moved from old to new contracts before records are credited.
    pub funds: Vec<Funds>,
    /// The record sets to migrate, in dependency order.
    pub components: Vec<Component>,
    /// Calls that end the migration phase on the new contracts, once verification passed.
    pub finalize: Vec<Call>,
    /// `[governance]`: who owns the contracts and what the owner phases call; `None`: the
    /// signer of the run owns everything.
    pub governance: Option<Governance>,
}

/// `[governance]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Governance {
    /// Who owns the old and new contracts (and so sends the pauses, funds moves and finalize).
    pub owner: Owner,
    /// The account that imports the batches, given the importer role by the `grant` calls.
    pub migrator: Option<Address>,
    /// Calls of the owner phase `open` after the pauses and funds moves (`$migrator` resolved).
    pub grant: Vec<Call>,
    /// Calls of the owner phase `close` after the finalize calls (`$migrator` resolved).
    pub revoke: Vec<Call>,
}

/// The owner of the contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A Safe 1.4.1 multisig: each owner phase is one Safe transaction.
    Safe(Address),
    /// An externally owned account.
    Account(Address),
}

impl Owner {
    /// The owner's address.
    pub fn address(&self) -> Address {
        match self {
            Self::Safe(a) | Self::Account(a) => *a,
        }
    }
}

/// `[network]`.
#[derive(Debug, Clone)]
pub struct Network {
    /// The node's URL, when the manifest names one (`--rpc-url` and `ETH_RPC_URL` override it).
    pub rpc_url: Option<String>,
    /// The chain id the manifest was written for; any other chain is refused.
    pub chain_id: u64,
    /// Blocks to wait after a transaction's block before it counts as final.
    pub confirmations: u64,
}

/// `[batch]`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOptions {
    /// A fixed gas budget per batch transaction; by default a fraction of the block gas limit.
    pub gas_budget: Option<u64>,
    /// The fraction of the latest block's gas limit a batch may use (default 0.5).
    pub block_gas_fraction: f64,
    /// The gas limit sent is the estimate times this (default 1.2).
    pub gas_margin: f64,
    /// Batches in flight at once (default 4).
    pub max_in_flight: usize,
    /// At most this many records in one batch (default 500).
    pub max_records: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            gas_budget: None,
            block_gas_fraction: 0.5,
            gas_margin: 1.2,
            max_in_flight: 4,
            max_records: 500,
        }
    }
}

/// The EIP-7825 per-transaction gas cap (2^24), in force on mainnet since Fusaka.
pub const TX_GAS_CAP: u64 = 16_777_216;

impl BatchOptions {
    /// The gas one batch transaction may use, gas margin included, given the latest block's
    /// gas limit: `min(budget or fraction of the block, EIP-7825 cap)`.
    pub fn gas_limit_cap(&self, block_gas_limit: u64) -> u64 {
        let budget =
            self.gas_budget.unwrap_or((block_gas_limit as f64 * self.block_gas_fraction) as u64);
        budget.min(TX_GAS_CAP).min(block_gas_limit)
    }
}

/// `[contracts.<name>]`.
#[derive(Debug, Clone)]
pub struct Contract {
    /// The manifest's name for it.
    pub name: String,
    /// Where it is deployed.
    pub address: Address,
    /// Its ABI.
    pub abi: JsonAbi,
    /// The ABI or artifact file.
    pub abi_path: PathBuf,
}

/// A call on a manifest contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The contract's manifest name.
    pub contract: String,
    /// The function.
    pub function: Function,
    /// Its arguments, resolved when the call is made.
    pub args: Vec<Arg>,
}

/// An argument of a manifest call.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A literal value, typed against the parameter.
    Value(DynSolValue),
    /// The address of a manifest contract (`"@name"`).
    ContractAddress(String),
    /// The receiving contract of a funds move (`"$to"`).
    To,
    /// The token of a funds move (`"$token"`).
    Token,
    /// The amount of a funds move (`"$amount"`).
    Amount,
}

/// `[[pause]]`.
#[derive(Debug, Clone)]
pub struct Pause {
    /// The contract's manifest name.
    pub contract: String,
    /// The function that pauses it (no arguments).
    pub call: Function,
    /// The view returning `true` once paused.
    pub paused: Function,
    /// The function that lifts the pause (no arguments): what `molt rollback` calls on a
    /// contract this run paused. `None`: the manifest cannot roll the pause back.
    pub unpause: Option<Function>,
}

/// `[[check]]`: a view whose result must equal `expect` before the migration starts.
#[derive(Debug, Clone)]
pub struct Check {
    /// A short name, used by `--allow-check <name>` to override it.
    pub name: String,
    /// The contract's manifest name.
    pub contract: String,
    /// The view (no arguments, one output).
    pub function: Function,
    /// The required result.
    pub expect: DynSolValue,
    /// What it means when the check fails, and what to do.
    pub message: String,
}

/// `[[funds]]`: value held by an old contract that moves to a new one.
#[derive(Debug, Clone)]
pub struct Funds {
    /// A short name.
    pub name: String,
    /// The old contract holding the funds.
    pub from: String,
    /// The new contract receiving them.
    pub to: String,
    /// Which tokens move (`Address::ZERO` is ETH).
    pub tokens: Tokens,
    /// The call on `from` that moves one token's whole holding.
    pub call: Call,
    /// The call on `to` that sends one token's amount back to `from` during the migration
    /// phase (`molt rollback`; `$to` is the old contract there). `None`: the manifest cannot
    /// return these funds.
    pub return_call: Option<Call>,
    /// The component whose target records are credited against these funds.
    pub credited_by: Credit,
}

/// The tokens of a funds move.
#[derive(Debug, Clone, PartialEq)]
pub enum Tokens {
    /// A fixed list (`Address::ZERO` for ETH).
    List(Vec<Address>),
    /// Every distinct value of a source field of a component.
    FromComponent {
        /// The component's name.
        component: String,
        /// The index of the field in the component's source record.
        field: usize,
    },
}

/// Which target fields hold the credited amount and token.
#[derive(Debug, Clone, PartialEq)]
pub struct Credit {
    /// The component's name.
    pub component: String,
    /// The index of the amount field in the target record.
    pub amount: usize,
    /// Which token a record credits.
    pub token: CreditedToken,
}

/// Which token a funds move's records credit.
#[derive(Debug, Clone, PartialEq)]
pub enum CreditedToken {
    /// The token named by this field of the target record (its index).
    Field(usize),
    /// The one token the funds move moves (`Address::ZERO` for ETH): `tokens` names one and
    /// `credited_by` has no `token` field.
    Only(Address),
}

/// The shape of a record: named, typed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordShape {
    /// Field names, in ABI order.
    pub names: Vec<String>,
    /// Field types, in ABI order.
    pub types: Vec<DynSolType>,
    /// Nested shapes of struct fields (same index as `names`).
    pub nested: Vec<Option<Self>>,
}

impl RecordShape {
    /// The index of the field called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The record's tuple type.
    pub fn tuple_type(&self) -> DynSolType {
        DynSolType::Tuple(self.types.clone())
    }
}

/// `[[component]]`: one set of records.
#[derive(Debug, Clone)]
pub struct Component {
    /// Its name.
    pub name: String,
    /// Where records come from.
    pub source: Source,
    /// Where they go.
    pub target: Target,
    /// Target-record field indices identifying a record.
    pub key: Vec<usize>,
    /// Only source records that pass every predicate migrate (none: all do).
    pub filter: Vec<Predicate>,
    /// How a target record is built from a source record (one rule per target field).
    pub mapping: Vec<Rule>,
    /// How migrated records are read back from the target.
    pub verify: Verify,
    /// Components that must be migrated first.
    pub depends_on: Vec<String>,
}

/// Where a component's records come from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The contract's manifest name.
    pub contract: String,
    /// The view returning one record: `get(first + i)` or `get(key...)`.
    pub get: Function,
    /// How the records are found: enumerated by index, or one per key.
    pub records: Records,
    /// The record returned by `get`.
    pub record: RecordShape,
    /// The pseudo-fields `$index`, `$key`, ... usable like source fields, after the record's
    /// own fields: field `record.names.len() + i` is `pseudo[i]`.
    pub pseudo: Vec<Pseudo>,
}

impl Source {
    /// The fields `map` and `filter` may name: the record's, then the pseudo-fields.
    pub fn fields(&self) -> RecordShape {
        let mut shape = self.record.clone();
        for p in &self.pseudo {
            shape.names.push(p.name.clone());
            shape.types.push(p.ty.clone());
            shape.nested.push(None);
        }
        shape
    }

    /// The keys, when the source is keyed.
    pub fn keyed(&self) -> Option<&Keys> {
        match &self.records {
            Records::Keyed(k) => Some(k),
            Records::Enumerated { .. } => None,
        }
    }
}

/// How a source's records are found.
#[derive(Debug, Clone)]
pub enum Records {
    /// `get(first + i)` for `i < count()`.
    Enumerated {
        /// The view returning the number of records.
        count: Function,
        /// The first index.
        first: u64,
    },
    /// `get(key...)` for every key.
    Keyed(Keys),
}

/// The keys of a keyed source.
#[derive(Debug, Clone)]
pub struct Keys {
    /// The type of each key part (the getter's inputs).
    pub types: Vec<DynSolType>,
    /// Where they come from.
    pub origin: KeyOrigin,
    /// Where the manifest says so (`file:line:col`), for errors found on the node.
    pub at: String,
}

/// Where a keyed source's keys come from.
#[derive(Debug, Clone)]
pub enum KeyOrigin {
    /// The logs of an event emitted by the source contract, from `from_block` up to the
    /// snapshot block.
    Event {
        /// The event (from the source contract's ABI).
        event: Event,
        /// The event inputs that make up a key, in the getter's argument order.
        args: Vec<usize>,
        /// The first block scanned.
        from_block: u64,
    },
    /// A file next to the manifest, read and checked when the manifest is loaded.
    File {
        /// The file.
        path: PathBuf,
        /// Its keys, deduplicated, in file order.
        keys: Vec<Vec<DynSolValue>>,
    },
    /// A source field (or pseudo-field) of another component's records (in their order).
    Component {
        /// The component (snapshotted first).
        component: String,
        /// The index of the field in its [`Source::fields`].
        field: usize,
    },
}

/// A pseudo-field of a source record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pseudo {
    /// `$index`, `$key`, `$key.0`, `$key.<event arg>`.
    pub name: String,
    /// Its type.
    pub ty: DynSolType,
    /// What it holds.
    pub value: PseudoValue,
}

/// What a pseudo-field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PseudoValue {
    /// The record's position in the source (`first + i`, or the key's position).
    Index,
    /// Part `n` of the record's key.
    KeyPart(usize),
}

/// The batch import function.
#[derive(Debug, Clone)]
pub struct Target {
    /// The contract's manifest name.
    pub contract: String,
    /// The import function, taking one array of records.
    pub import: Function,
    /// The import struct.
    pub record: RecordShape,
}

/// One predicate of a component's filter on source records.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    /// The field's index in [`Source::fields`].
    pub field: usize,
    /// What the field must be.
    pub test: Test,
}

/// What a filtered field must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// One of these values (`in`).
    OneOf(Vec<DynSolValue>),
    /// None of these values (`not_in`).
    NoneOf(Vec<DynSolValue>),
    /// Its type's zero value (`zero = true`), or anything else (`nonzero = true`).
    Zero(bool),
}

/// How one target field is computed from the source record.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// The source field with this index, unchanged (or an unsigned integer widened).
    Copy(usize),
    /// A constant (also a field's zero value, for `default`).
    Const(DynSolValue),
    /// An unsigned source field multiplied by `mul` and divided by `div` (exactly).
    Scale {
        /// The source field's index.
        field: usize,
        /// The factor.
        mul: U256,
        /// The divisor.
        div: U256,
    },
    /// A struct built field by field.
    Struct(Vec<Self>),
}

/// How migrated records are read back.
#[derive(Debug, Clone)]
pub struct Verify {
    /// The target getter.
    pub get: Function,
    /// Target-record field indices passed as the getter's arguments.
    pub args: Vec<usize>,
    /// Where each target-record field comes from in the read-back.
    pub readback: Vec<Readback>,
    /// The view returning the on-chain running digest.
    pub digest: Option<Function>,
    /// The view returning the on-chain import count.
    pub count: Option<Function>,
    /// The component whose digest and count these records fold into (after its own records,
    /// in migration order), instead of views of their own.
    pub digest_shared_with: Option<String>,
}

/// The origin of a target-record field in the read-back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readback {
    /// The getter's output field with this index.
    Output(usize),
    /// The getter's argument with this index (a key: finding the record proves it).
    Arg(usize),
}

impl Manifest {
    /// Reads and checks a manifest. Relative ABI paths are relative to the manifest's folder.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::ManifestRead { path: path.into(), source })?;
        Self::parse(path, &text)
    }

    /// Checks manifest text as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let mut manifest = resolve::resolve(path, text)?;
        manifest.sections = fingerprint::sections(text);
        Ok(manifest)
    }

    /// The contract called `name` (the manifest was checked, so names it uses exist).
    pub fn contract(&self, name: &str) -> &Contract {
        &self.contracts[name]
    }

    /// The component called `name`.
    pub fn component(&self, name: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.name == name)
    }

    /// The record sets that fold into one on-chain digest and count: each component's own,
    /// joined by the components that name it in `verify.digest_shared_with`. Members are in
    /// migration order (dependencies first, then the file's order), which is the order their
    /// records reach the chain and so the order they fold in.
    pub fn digest_groups(&self) -> Vec<DigestGroup<'_>> {
        self.components
            .iter()
            .filter(|c| c.verify.digest_shared_with.is_none())
            .map(|leader| DigestGroup {
                leader,
                members: self
                    .components
                    .iter()
                    .filter(|c| {
                        c.name == leader.name
                            || c.verify.digest_shared_with.as_deref() == Some(&leader.name)
                    })
                    .collect(),
            })
            .collect()
    }

    /// The digest group `c` belongs to.
    pub fn digest_group(&self, c: &Component) -> DigestGroup<'_> {
        let leader = c.verify.digest_shared_with.as_deref().unwrap_or(&c.name);
        self.digest_groups()
            .into_iter()
            .find(|g| g.leader.name == leader)
            .expect("a manifest's digest groups cover every component")
    }
}

/// Components whose records fold, one after the other, into one on-chain digest and count.
#[derive(Debug, Clone)]
pub struct DigestGroup<'a> {
    /// The component whose `verify.digest` and `verify.count` the group reads.
    pub leader: &'a Component,
    /// Every member (the leader included), in migration order.
    pub members: Vec<&'a Component>,
}

impl DigestGroup<'_> {
    /// The target contract's manifest name.
    pub fn contract(&self) -> &str {
        &self.leader.target.contract
    }

    /// The group for messages: `` `jobs` `` or `` `reserves` and `loans` ``.
    pub fn label(&self) -> String {
        let names: Vec<String> = self.members.iter().map(|c| format!("`{}`", c.name)).collect();
        match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests;
