//! The owner phases: which calls the owner makes before the imports (`open`) and after the
//! verification (`close`), and the Safe transaction of each.

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    json_abi::Function,
    primitives::{Address, Bytes, U256, address},
    providers::{DynProvider, Provider},
};
use molt_chain::{
    read::view,
    safe::{ISafe, MultiSendCall, Safe, SafeError, SafeTx, SafeTxHashes, multisend_tx},
};
use serde::Serialize;

use super::GovernanceError;
pub use crate::phase_name::PhaseName;
use crate::{
    Error, Result,
    funds::{holding, owed},
    manifest::{Arg, Call, Governance, Manifest, Owner},
    snapshot::Snapshot,
};

/// The canonical address of MultiSendCallOnly 1.4.1 (the same on every chain).
pub const MULTI_SEND_CALL_ONLY: Address = address!("9641d764fc13c8B624c04430C7356C1C7C8102e2");

/// The Safe version molt builds transactions for.
pub const SAFE_VERSION: &str = "1.4.1";

/// Why a call is in an owner phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Purpose {
    /// A `[[pause]]` call of a contract not paused yet.
    Pause,
    /// A `[[funds]]` move of one token, of the amount the snapshot's records credit.
    Funds {
        /// The `[[funds]]` entry.
        name: String,
        /// The token (the zero address for ETH).
        token: Address,
        /// The amount, in the token's smallest unit (a decimal string in JSON).
        #[serde(serialize_with = "decimal")]
        amount: U256,
    },
    /// A `[[governance.grant]]` call.
    Grant,
    /// A `[[finalize]]` call.
    Finalize,
    /// A `[[governance.revoke]]` call.
    Revoke,
    /// Rollback: a `[[funds]]` `return` call of one token, of the amount the run moved.
    Return {
        /// The `[[funds]]` entry.
        name: String,
        /// The token (the zero address for ETH).
        token: Address,
        /// The amount, in the token's smallest unit (a decimal string in JSON).
        #[serde(serialize_with = "decimal")]
        amount: U256,
    },
    /// Rollback: a `[[pause]]` `unpause` call of a contract the run paused.
    Unpause,
}

impl Purpose {
    /// The journal step this call stands for in a run (`pause:<contract>`,
    /// `funds:<name>:<token>`, `return:…`, `unpause:…`), for calls that have one.
    pub fn step(&self, contract: &str) -> Option<String> {
        use crate::journal::Step;
        let step = match self {
            Self::Pause => Step::Pause(contract.to_owned()),
            Self::Unpause => Step::Unpause(contract.to_owned()),
            Self::Funds { name, token, .. } => {
                Step::Funds { name: name.clone(), token: token.to_string() }
            }
            Self::Return { name, token, .. } => {
                Step::Return { name: name.clone(), token: token.to_string() }
            }
            Self::Grant | Self::Finalize | Self::Revoke => return None,
        };
        Some(step.to_string())
    }
}

fn decimal<S: serde::Serializer>(n: &U256, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&n.to_string())
}

/// One argument of a call, for display and for the Transaction Builder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedValue {
    /// The parameter's name (`_0`, `_1`, … when the ABI names none).
    pub name: String,
    /// Its Solidity type.
    #[serde(rename = "type")]
    pub ty: String,
    /// The value as the Transaction Builder writes it (decimal integers, checksummed
    /// addresses, 0x-hex bytes).
    pub value: String,
}

/// One call of an owner phase.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerCall {
    /// Why it is there.
    pub purpose: Purpose,
    /// The contract's manifest name.
    pub contract: String,
    /// Its address.
    pub address: Address,
    /// The function's signature.
    pub signature: String,
    /// The decoded arguments.
    pub args: Vec<NamedValue>,
    /// The calldata.
    pub calldata: Bytes,
    /// The function (its ABI entry, for the Transaction Builder's `contractMethod`).
    #[serde(skip)]
    pub function: Function,
}

impl OwnerCall {
    /// The call of `function` on the manifest contract `contract` with `args`.
    pub fn new(
        manifest: &Manifest,
        purpose: Purpose,
        contract: &str,
        function: &Function,
        args: &[DynSolValue],
    ) -> Result<Self> {
        let calldata =
            function.abi_encode_input(args).map_err(|e| Error::Inconsistent(e.to_string()))?;
        let named = function
            .inputs
            .iter()
            .zip(args)
            .enumerate()
            .map(|(i, (p, v))| NamedValue {
                name: if p.name.is_empty() { format!("_{i}") } else { p.name.clone() },
                ty: p.ty.clone(),
                value: display_value(v),
            })
            .collect();
        Ok(Self {
            purpose,
            contract: contract.to_owned(),
            address: manifest.contract(contract).address,
            signature: function.signature(),
            args: named,
            calldata: calldata.into(),
            function: function.clone(),
        })
    }

    /// The call as one call of a MultiSend batch.
    pub fn multisend_call(&self) -> MultiSendCall {
        MultiSendCall::new(self.address, self.calldata.clone())
    }
}

/// A value as the Transaction Builder's `contractInputsValues` writes it.
pub fn display_value(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Uint(n, _) => n.to_string(),
        DynSolValue::Int(n, _) => n.to_string(),
        DynSolValue::FixedBytes(w, size) => alloy::hex::encode_prefixed(&w[..*size]),
        DynSolValue::Bytes(b) => alloy::hex::encode_prefixed(b),
        DynSolValue::String(s) => s.clone(),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            format!("[{}]", items.iter().map(display_value).collect::<Vec<_>>().join(","))
        }
        DynSolValue::Tuple(items) => {
            format!("({})", items.iter().map(display_value).collect::<Vec<_>>().join(","))
        }
        other => format!("{other:?}"),
    }
}

/// An owner phase: its calls and the one Safe transaction that makes them.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerPhase {
    /// Which phase.
    pub phase: PhaseName,
    /// The Safe nonce its SafeTx uses.
    pub nonce: u64,
    /// The calls, in order.
    pub calls: Vec<OwnerCall>,
    /// The SafeTx: the one call itself, or a delegatecall of MultiSendCallOnly.
    #[serde(skip)]
    pub safe_tx: SafeTx,
    /// Its EIP-712 hashes (what a hardware wallet shows when it signs).
    #[serde(skip)]
    pub hashes: SafeTxHashes,
}

/// The SafeTx making `calls`, at Safe nonce `nonce`: a single call directly, several through
/// MultiSendCallOnly (operation 1, delegatecall), as the Safe web app builds them.
pub fn safe_tx(calls: &[MultiSendCall], nonce: u64) -> Result<SafeTx> {
    let nonce = U256::from(nonce);
    match calls {
        [one] => Ok(SafeTx::call(one.to, one.value, one.data.clone(), nonce)),
        many => multisend_tx(MULTI_SEND_CALL_ONLY, many, nonce)
            .map_err(|e| Error::Governance(GovernanceError::Safe(e))),
    }
}

/// The Safe that owns the contracts, as the node sees it now.
#[derive(Debug, Clone, Serialize)]
pub struct SafeInfo {
    /// Its address.
    pub address: Address,
    /// The node's chain.
    pub chain_id: u64,
    /// `VERSION()`.
    pub version: String,
    /// The nonce of its next SafeTx.
    pub nonce: u64,
    /// How many owners must sign.
    pub threshold: u64,
    /// Its owners.
    pub owners: Vec<Address>,
}

/// The manifest's Safe owner (`[governance] owner = { safe = … }`), checked on the node.
pub async fn safe_info(provider: &DynProvider, manifest: &Manifest) -> Result<SafeInfo> {
    match &manifest.governance {
        Some(Governance { owner: Owner::Safe(safe), .. }) => safe_at(provider, *safe).await,
        _ => Err(GovernanceError::NoSafeOwner.into()),
    }
}

/// The Safe at `safe`: there must be code, and `VERSION()` must say 1.4.1.
pub async fn safe_at(provider: &DynProvider, safe: Address) -> Result<SafeInfo> {
    let chain_id = provider.get_chain_id().await.map_err(molt_chain::Error::from)?;
    let code = provider.get_code_at(safe).await.map_err(molt_chain::Error::from)?;
    if code.is_empty() {
        return Err(GovernanceError::NoSafeCode { safe, chain_id }.into());
    }
    let version = match ISafe::new(safe, provider.clone()).VERSION().call().await {
        Ok(v) if v == SAFE_VERSION => v,
        Ok(v) => return Err(not_safe(safe, format!("its VERSION() is {v}"))),
        Err(_) => return Err(not_safe(safe, "it has no VERSION() view".into())),
    };
    let s = Safe::new(safe, chain_id, provider.clone());
    let gov = |e: SafeError| Error::Governance(e.into());
    let nonce = s.nonce().await.map_err(gov)?;
    let threshold = s.threshold().await.map_err(gov)?;
    let owners = s.owners().await.map_err(gov)?;
    Ok(SafeInfo {
        address: safe,
        chain_id,
        version,
        nonce: nonce.saturating_to(),
        threshold: threshold.saturating_to(),
        owners,
    })
}

fn not_safe(safe: Address, found: String) -> Error {
    GovernanceError::NotSafe141 { safe, found }.into()
}

/// The calls of phase `open` at the snapshot: pauses of contracts not paused yet, funds moves
/// not made yet (amounts: what the snapshot's records credit), then the grant calls.
pub async fn open_calls(
    provider: &DynProvider,
    manifest: &Manifest,
    snap: &Snapshot,
) -> Result<Vec<OwnerCall>> {
    let mut calls = Vec::new();
    for p in &manifest.pause {
        let address = manifest.contract(&p.contract).address;
        let out = view(provider, address, &p.paused, &[], None).await?;
        if !matches!(out.first(), Some(DynSolValue::Bool(true))) {
            calls.push(OwnerCall::new(manifest, Purpose::Pause, &p.contract, &p.call, &[])?);
        }
    }
    calls.extend(funds_calls(provider, manifest, snap).await?);
    for c in manifest.governance.iter().flat_map(|g| &g.grant) {
        calls.push(manifest_call(manifest, Purpose::Grant, c)?);
    }
    Ok(calls)
}

/// The funds moves of the snapshot that are not on the chain yet.
async fn funds_calls(
    provider: &DynProvider,
    manifest: &Manifest,
    snap: &Snapshot,
) -> Result<Vec<OwnerCall>> {
    let mut calls = Vec::new();
    for f in &manifest.funds {
        let (from, to) = (manifest.contract(&f.from).address, manifest.contract(&f.to).address);
        for (token, amount) in owed(manifest, f, snap) {
            if amount.is_zero()
                || (holding(provider, token, to).await? >= amount
                    && holding(provider, token, from).await? < amount)
            {
                // Nothing owed, or moved already (as `molt migrate` tells it).
                continue;
            }
            let args = resolve_args(manifest, &f.call.args, Some((to, token, amount)))?;
            let purpose = Purpose::Funds { name: f.name.clone(), token, amount };
            calls.push(OwnerCall::new(manifest, purpose, &f.from, &f.call.function, &args)?);
        }
    }
    Ok(calls)
}

/// The `[[governance.revoke]]` calls.
pub fn revoke_calls(manifest: &Manifest) -> Result<Vec<OwnerCall>> {
    let revoke = manifest.governance.iter().flat_map(|g| &g.revoke);
    revoke.map(|c| manifest_call(manifest, Purpose::Revoke, c)).collect()
}

/// The calls of phase `close`: the finalize calls, then the revoke calls.
pub fn close_calls(manifest: &Manifest) -> Result<Vec<OwnerCall>> {
    let finalize = manifest.finalize.iter().map(|c| (Purpose::Finalize, c));
    let revoke = manifest.governance.iter().flat_map(|g| &g.revoke).map(|c| (Purpose::Revoke, c));
    finalize.chain(revoke).map(|(p, c)| manifest_call(manifest, p, c)).collect()
}

fn manifest_call(manifest: &Manifest, purpose: Purpose, c: &Call) -> Result<OwnerCall> {
    let args = resolve_args(manifest, &c.args, None)?;
    OwnerCall::new(manifest, purpose, &c.contract, &c.function, &args)
}

/// A call's arguments; `funds` is `(to, token, amount)` of a funds move.
fn resolve_args(
    manifest: &Manifest,
    args: &[Arg],
    funds: Option<(Address, Address, U256)>,
) -> Result<Vec<DynSolValue>> {
    args.iter()
        .map(|a| match (a, funds) {
            (Arg::Value(v), _) => Ok(v.clone()),
            (Arg::ContractAddress(n), _) => Ok(DynSolValue::Address(manifest.contract(n).address)),
            (Arg::To, Some((to, _, _))) => Ok(DynSolValue::Address(to)),
            (Arg::Token, Some((_, token, _))) => Ok(DynSolValue::Address(token)),
            (Arg::Amount, Some((_, _, amount))) => Ok(DynSolValue::Uint(amount, 256)),
            (_, None) => Err(Error::Inconsistent("a funds placeholder outside [[funds]]".into())),
        })
        .collect()
}

/// What `molt safe export` produces: the Safe, the snapshot block the amounts are from, and
/// each phase.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    /// The Safe.
    pub safe: SafeInfo,
    /// The block whose V1 state fixed the funds amounts (phase `open`).
    pub snapshot_block: Option<u64>,
    /// The phases, in execution order.
    pub phases: Vec<OwnerPhase>,
}

/// Builds the owner phases: `only` one of them, or both (`open` at the Safe's nonce, `close`
/// at the next one). Without `only`, an `open` whose pauses are all in effect and whose funds
/// are all moved was executed already and is left out (its grants are not sent again; ask for
/// `open` alone to export them). An explicitly asked phase with nothing to do is an error.
pub async fn export(
    provider: &DynProvider,
    manifest: &Manifest,
    only: Option<PhaseName>,
) -> Result<Export> {
    let safe = safe_info(provider, manifest).await?;
    let wanted: Vec<PhaseName> = only.map_or(PhaseName::ALL.to_vec(), |p| vec![p]);
    let mut snapshot_block = None;
    let mut phases = Vec::new();
    let mut nonce = safe.nonce;
    for name in wanted {
        let calls = match name {
            PhaseName::Open => {
                let block = provider.get_block_number().await.map_err(molt_chain::Error::from)?;
                let snap = Snapshot::take(provider, manifest, safe.chain_id, block).await?;
                snapshot_block = Some(block);
                open_calls(provider, manifest, &snap).await?
            }
            PhaseName::Close => close_calls(manifest)?,
            PhaseName::Rollback => {
                return Err(GovernanceError::EmptyPhase {
                    phase: name.as_str(),
                    why: "a rollback's calls come from the run's journal: `molt rollback` exports them".into(),
                }
                .into());
            }
        };
        if only.is_none() && name == PhaseName::Open && executed(&calls) {
            continue;
        }
        if calls.is_empty() {
            let why = match name {
                PhaseName::Open => {
                    "every V1 contract is paused, the funds are moved and there is no grant call (was it executed already?)"
                }
                PhaseName::Close => {
                    "the manifest has no [[finalize]] and no [[governance.revoke]] call"
                }
                PhaseName::Rollback => "nothing to roll back",
            };
            return Err(
                GovernanceError::EmptyPhase { phase: name.as_str(), why: why.into() }.into()
            );
        }
        phases.push(phase(provider, &safe, name, calls, nonce).await?);
        nonce += 1;
    }
    Ok(Export { safe, snapshot_block, phases })
}

/// Whether phase `open` was executed: no pause and no funds move left (only grants, which
/// cannot be told apart from their effect in general).
fn executed(calls: &[OwnerCall]) -> bool {
    calls.iter().all(|c| c.purpose == Purpose::Grant)
}

/// The Safe transaction of owner phase `name` with `calls` at Safe nonce `nonce` (a MultiSend
/// batch when there are several calls).
pub(crate) async fn phase(
    provider: &DynProvider,
    safe: &SafeInfo,
    name: PhaseName,
    calls: Vec<OwnerCall>,
    nonce: u64,
) -> Result<OwnerPhase> {
    if calls.len() > 1 {
        let code =
            provider.get_code_at(MULTI_SEND_CALL_ONLY).await.map_err(molt_chain::Error::from)?;
        if code.is_empty() {
            return Err(GovernanceError::NoMultiSend { address: MULTI_SEND_CALL_ONLY }.into());
        }
    }
    let batch: Vec<MultiSendCall> = calls.iter().map(OwnerCall::multisend_call).collect();
    let safe_tx = safe_tx(&batch, nonce)?;
    let hashes = safe_tx.hashes(safe.chain_id, safe.address);
    Ok(OwnerPhase { phase: name, nonce, calls, safe_tx, hashes })
}
