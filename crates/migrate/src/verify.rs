//! Verification: every migrated record read back from the target and compared with the
//! snapshot, the target's on-chain digest and count, and the funds, to the wei.

use std::collections::BTreeMap;

use alloy::{
    dyn_abi::DynSolValue,
    json_abi::Function,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
};
use molt_chain::BatchReader;
use serde::Serialize;

use crate::{
    Result,
    events::{Event, Observer},
    manifest::{Component, Manifest},
    record,
    run::{credited, owed},
    snapshot::{READ_SLICE, Snapshot, reader, view, view_u64, views},
};

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Whether everything matched.
    pub ok: bool,
    /// Per component.
    pub components: Vec<ComponentCheck>,
    /// Per funds move and token.
    pub funds: Vec<FundsCheck>,
    /// The first mismatch, described for a person.
    pub mismatch: Option<String>,
}

/// One component's verification.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentCheck {
    /// The component.
    pub name: String,
    /// Hash of the snapshot's mapped records.
    pub source_hash: B256,
    /// Hash of the records read back from the target, in the same order.
    pub target_hash: B256,
    /// The target contract's running digest.
    pub onchain_digest: Option<B256>,
    /// Whether this component matched.
    pub ok: bool,
}

/// One token of a funds move.
#[derive(Debug, Clone, Serialize)]
pub struct FundsCheck {
    /// The funds move.
    pub name: String,
    /// The token (`0x000…` for ETH).
    pub token: Address,
    /// What the target contract holds of it.
    pub moved: String,
    /// What the target credits (sum over the read-back records).
    pub credited: String,
    /// What the snapshot says is owed.
    pub owed: String,
    /// Whether the three agree to the wei.
    pub ok: bool,
}

/// Verifies `snap` against the chain. `order` gives, per component, the snapshot positions in
/// the order they were imported (empty: snapshot order).
pub async fn verify(
    provider: &DynProvider,
    manifest: &Manifest,
    snap: &Snapshot,
    order: &BTreeMap<String, Vec<u64>>,
    obs: &dyn Observer,
) -> Result<Verification> {
    let reader = reader(provider, None).await?;
    let mut mismatch = None;
    let mut components = Vec::new();
    let mut readbacks: BTreeMap<String, Vec<DynSolValue>> = BTreeMap::new();
    for c in &manifest.components {
        let cs = &snap.components[&c.name];
        let back =
            read_back(&reader, manifest, c, cs.records.iter().map(|r| &r.target), obs).await?;
        let target_hash = record::digest(&back);
        if target_hash != cs.source_hash && mismatch.is_none() {
            mismatch = first_difference(c, cs.records.iter().map(|r| (r.index, &r.target)), &back);
        }
        components.push(ComponentCheck {
            name: c.name.clone(),
            source_hash: cs.source_hash,
            target_hash,
            onchain_digest: None,
            ok: target_hash == cs.source_hash,
        });
        readbacks.insert(c.name.clone(), back);
    }

    // On-chain digest and count, per target contract: its components' records in import order.
    let mut contracts: Vec<&str> =
        manifest.components.iter().map(|c| c.target.contract.as_str()).collect();
    contracts.dedup();
    for contract in contracts {
        let of_contract: Vec<&Component> =
            manifest.components.iter().filter(|c| c.target.contract == contract).collect();
        let Some(digest_fn) = of_contract.iter().find_map(|c| c.verify.digest.as_ref()) else {
            continue;
        };
        let address = manifest.contract(contract).address;
        let onchain = B256::from_slice(
            &view(provider, address, digest_fn, &[], None)
                .await?
                .first()
                .and_then(DynSolValue::as_fixed_bytes)
                .map(|(b, _)| b.to_vec())
                .unwrap_or_else(|| vec![0; 32])[..32],
        );
        let mut expected = B256::ZERO;
        let mut count = 0u64;
        for c in &of_contract {
            let records = &snap.components[&c.name].records;
            let positions: Vec<u64> = match order.get(&c.name) {
                Some(o) if !o.is_empty() => o.clone(),
                _ => (0..records.len() as u64).collect(),
            };
            for p in positions {
                expected = record::fold(expected, record::record_hash(&records[p as usize].target));
                count += 1;
            }
        }
        let count_ok = match of_contract.iter().find_map(|c| c.verify.count.as_ref()) {
            Some(f) => view_u64(provider, address, f, None).await? == count,
            None => true,
        };
        let ok = onchain == expected && count_ok;
        if !ok && mismatch.is_none() {
            mismatch = Some(format!(
                "{contract}: the on-chain digest is {onchain} but the imported records fold to {expected}{}",
                if count_ok { String::new() } else { " (and the on-chain count differs)".into() }
            ));
        }
        for check in components.iter_mut().filter(|x| of_contract.iter().any(|c| c.name == x.name))
        {
            check.onchain_digest = Some(onchain);
            check.ok &= ok;
        }
    }

    let mut funds = Vec::new();
    for f in &manifest.funds {
        let c = manifest.component(&f.credited_by.component).expect("checked at load");
        let back = &readbacks[&c.name];
        let to = manifest.contract(&f.to).address;
        for (token, owed) in owed(manifest, f, snap) {
            let credited = credited(f, back.iter(), token);
            let moved = holding(provider, token, to).await?;
            let ok = moved == credited && credited == owed;
            if !ok && mismatch.is_none() {
                mismatch = Some(format!(
                    "funds `{}` token {token}: {} holds {moved}, credits {credited}, the snapshot owes {owed}",
                    f.name, f.to
                ));
            }
            funds.push(FundsCheck {
                name: f.name.clone(),
                token,
                moved: moved.to_string(),
                credited: credited.to_string(),
                owed: owed.to_string(),
                ok,
            });
        }
    }

    let ok = components.iter().all(|c| c.ok) && funds.iter().all(|f| f.ok);
    Ok(Verification { ok, components, funds, mismatch })
}

/// Reads every record back through the component's verify getter.
pub async fn read_back<'a>(
    reader: &BatchReader,
    manifest: &Manifest,
    c: &Component,
    targets: impl Iterator<Item = &'a DynSolValue>,
    obs: &dyn Observer,
) -> Result<Vec<DynSolValue>> {
    let address = manifest.contract(&c.target.contract).address;
    let targets: Vec<&DynSolValue> = targets.collect();
    let total = targets.len() as u64;
    let mut back = Vec::with_capacity(targets.len());
    for slice in targets.chunks(READ_SLICE) {
        let args: Vec<Vec<DynSolValue>> = slice.iter().map(|t| record::verify_args(c, t)).collect();
        let outs = views(reader, address, &c.verify.get, &args, None).await?;
        for (args, out) in args.iter().zip(outs) {
            // A record that cannot be rebuilt (wrong shape) is an empty tuple: it will differ.
            back.push(record::readback_record(c, args, out?).unwrap_or(DynSolValue::Tuple(vec![])));
        }
        obs.on(&Event::Verified { component: c.name.clone(), records: back.len() as u64, total });
    }
    Ok(back)
}

/// Names the first record and field that differ.
fn first_difference<'a>(
    c: &Component,
    source: impl Iterator<Item = (u64, &'a DynSolValue)>,
    back: &[DynSolValue],
) -> Option<String> {
    for ((index, want), got) in source.zip(back) {
        if want == got {
            continue;
        }
        let key: Vec<String> = c
            .key
            .iter()
            .map(|&k| record::to_json(&want.as_tuple().unwrap_or_default()[k]).to_string())
            .collect();
        let (w, g) = (want.as_tuple().unwrap_or_default(), got.as_tuple().unwrap_or_default());
        let field = (0..w.len()).find(|&i| g.get(i) != Some(&w[i]));
        return Some(match field {
            Some(i) => format!(
                "component `{}`, record {index} (key {}): field `{}` is {} in the source but {} in the target",
                c.name,
                key.join(", "),
                c.target.record.names[i],
                record::to_json(&w[i]),
                g.get(i).map_or("missing".into(), |v| record::to_json(v).to_string()),
            ),
            None => {
                format!("component `{}`, record {index} (key {}) differs", c.name, key.join(", "))
            }
        });
    }
    None
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
