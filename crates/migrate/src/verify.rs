//! Verification: every migrated record read back from the target and compared with the
//! snapshot, the target's on-chain digest and count, and the funds, to the wei.

use std::collections::BTreeMap;

use alloy::{
    dyn_abi::DynSolValue,
    primitives::{Address, B256},
    providers::DynProvider,
};
use molt_chain::{BatchReader, RevertDecoder};
use serde::Serialize;

use crate::{
    Error, Result,
    events::{Event, Observer},
    funds::{credited, holding, owed},
    manifest::{Component, Manifest},
    record,
    snapshot::{READ_SLICE, Snapshot},
};
use molt_chain::read::{decode_output, reader, view, view_outcomes, view_u64};

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
        let ReadBack { records: back, missing } =
            read_back(&reader, manifest, c, cs.records.iter().map(|r| &r.target), obs).await?;
        let target_hash = record::digest(&back);
        if target_hash != cs.source_hash && mismatch.is_none() {
            let source = cs.records.iter().map(|r| (r.index, &r.target));
            mismatch = first_difference(c, source, &back, &missing);
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

    check_digests(provider, manifest, snap, order, &mut components, &mut mismatch).await?;

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

/// Compares each digest group's on-chain digest and count ([`Manifest::digest_groups`]: a
/// component's own, or shared by components that say so) with its records, folded in import
/// order ([`expected_digest`]).
async fn check_digests(
    provider: &DynProvider,
    manifest: &Manifest,
    snap: &Snapshot,
    order: &BTreeMap<String, Vec<u64>>,
    components: &mut [ComponentCheck],
    mismatch: &mut Option<String>,
) -> Result<()> {
    for group in manifest.digest_groups() {
        let Some(digest_fn) = &group.leader.verify.digest else { continue };
        let address = manifest.contract(group.contract()).address;
        let onchain = B256::from_slice(
            &view(provider, address, digest_fn, &[], None)
                .await?
                .first()
                .and_then(DynSolValue::as_fixed_bytes)
                .map(|(b, _)| b.to_vec())
                .unwrap_or_else(|| vec![0; 32])[..32],
        );
        let (expected, count) = expected_digest(snap, &group.members, order)?;
        let onchain_count = match &group.leader.verify.count {
            Some(f) => Some(view_u64(provider, address, f, None).await?),
            None => None,
        };
        let count_ok = onchain_count.is_none_or(|n| n == count);
        let ok = onchain == expected && count_ok;
        let of = |x: &&mut ComponentCheck| group.members.iter().any(|c| c.name == x.name);
        let records_equal = components.iter_mut().filter(of).all(|c| c.ok);
        if !ok && mismatch.is_none() {
            let digest = DigestCheck { onchain, expected, onchain_count, count };
            let what = format!("{} ({}.{})", group.label(), group.contract(), digest_fn.name);
            *mismatch = Some(digest.mismatch(&what, records_equal));
        }
        for check in components.iter_mut().filter(of) {
            check.onchain_digest = Some(onchain);
            check.ok &= ok;
        }
    }
    Ok(())
}

/// The digest a digest group's records fold to, and their count: per component (in migration
/// order) every record of the snapshot, first those `order` names (the import order the
/// journal knows: its batches and adopted records), then the others in snapshot order.
/// Fails when `order` names a position the snapshot does not have, or one twice.
pub fn expected_digest(
    snap: &Snapshot,
    components: &[&Component],
    order: &BTreeMap<String, Vec<u64>>,
) -> Result<(B256, u64)> {
    let mut digest = B256::ZERO;
    let mut count = 0u64;
    for c in components {
        let records = &snap.components[&c.name].records;
        for p in full_order(&c.name, order.get(&c.name).map_or(&[], Vec::as_slice), records.len())?
        {
            digest = record::fold(digest, record::record_hash(&records[p].target));
            count += 1;
        }
    }
    Ok((digest, count))
}

/// `known` (checked against `len` records), then every other position below `len` in order.
pub fn full_order(component: &str, known: &[u64], len: usize) -> Result<Vec<usize>> {
    let mut seen = vec![false; len];
    let mut out = Vec::with_capacity(len);
    for &p in known {
        let i = usize::try_from(p).ok().filter(|&i| i < len).ok_or_else(|| {
            Error::Inconsistent(format!(
                "the journal imports record {p} of `{component}`, but the snapshot has {len} records (positions 0..{len}); the journal and the backup do not belong together"
            ))
        })?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(Error::Inconsistent(format!(
                "the journal imports record {p} of `{component}` twice"
            )));
        }
        out.push(i);
    }
    out.extend((0..len).filter(|&i| !seen[i]));
    Ok(out)
}

/// A target contract's digest and count, on chain and as the source folds them.
struct DigestCheck {
    onchain: B256,
    expected: B256,
    onchain_count: Option<u64>,
    count: u64,
}

impl DigestCheck {
    /// The mismatch, for a person, about `what` (the components and their digest view).
    /// `records_equal`: every record read back equal.
    fn mismatch(&self, what: &str, records_equal: bool) -> String {
        let Self { onchain, expected, onchain_count, count } = self;
        let count_ok = onchain_count.is_none_or(|n| n == *count);
        if records_equal && count_ok && onchain != expected {
            return format!(
                "{what}: every record reads back equal and the on-chain count matches ({count}), but the on-chain digest {onchain} is not the fold {expected} of the records in the import order known here (the journal's, then snapshot order): the order they were imported in is unknown (records imported by hand, or under another journal)"
            );
        }
        let counts = match onchain_count {
            Some(n) if *n != *count => format!("; it counts {n} records, the source has {count}"),
            _ => String::new(),
        };
        format!(
            "{what}: the on-chain digest is {onchain} but the source records fold to {expected} in import order{counts}"
        )
    }
}

/// The records read back from a target, in the order asked.
#[derive(Debug, Clone)]
pub struct ReadBack {
    /// Each record in import-struct form; an empty tuple for one that is missing or cannot be
    /// rebuilt (it differs from any source record).
    pub records: Vec<DynSolValue>,
    /// The records the getter reverted for (not in the target), by position, with the decoded
    /// revert, e.g. `getNode(address) reverted with NotRegistered(operator: 0x…)`.
    pub missing: BTreeMap<usize, String>,
}

/// Reads every record back through the component's verify getter. A getter that reverts for a
/// record means the record is missing: that is a finding, not an error.
pub async fn read_back<'a>(
    reader: &BatchReader,
    manifest: &Manifest,
    c: &Component,
    targets: impl Iterator<Item = &'a DynSolValue>,
    obs: &dyn Observer,
) -> Result<ReadBack> {
    let address = manifest.contract(&c.target.contract).address;
    let decoder = decoder(manifest);
    let targets: Vec<&DynSolValue> = targets.collect();
    let total = targets.len() as u64;
    let mut back =
        ReadBack { records: Vec::with_capacity(targets.len()), missing: BTreeMap::new() };
    for slice in targets.chunks(READ_SLICE) {
        let args: Vec<Vec<DynSolValue>> = slice.iter().map(|t| record::verify_args(c, t)).collect();
        let outs = view_outcomes(reader, address, &c.verify.get, &args, None).await?;
        for (args, out) in args.iter().zip(outs) {
            let record = match out {
                Ok(out) => {
                    let fields = decode_output(&c.verify.get, address, &out)?;
                    // A record that cannot be rebuilt (wrong shape) differs.
                    record::readback_record(c, args, fields).ok()
                }
                Err(revert) => {
                    let why = format!(
                        "{} reverted with {}",
                        c.verify.get.signature(),
                        decoder.decode(&revert)
                    );
                    back.missing.insert(back.records.len(), why);
                    None
                }
            };
            back.records.push(record.unwrap_or(DynSolValue::Tuple(vec![])));
        }
        let records = back.records.len() as u64;
        obs.on(&Event::Verified { component: c.name.clone(), records, total });
    }
    Ok(back)
}

/// A revert decoder knowing every error of the manifest's contracts.
fn decoder(manifest: &Manifest) -> RevertDecoder {
    let mut d = RevertDecoder::new();
    for c in manifest.contracts.values() {
        d.add_abi(&c.abi);
    }
    d
}

/// Names the first record and field that differ (or the first record missing, and why).
fn first_difference<'a>(
    c: &Component,
    source: impl Iterator<Item = (u64, &'a DynSolValue)>,
    back: &[DynSolValue],
    missing: &BTreeMap<usize, String>,
) -> Option<String> {
    for (n, ((index, want), got)) in source.zip(back).enumerate() {
        if want == got {
            continue;
        }
        let (w, g) = (want.as_tuple().unwrap_or_default(), got.as_tuple().unwrap_or_default());
        let key: Vec<String> = c
            .key
            .iter()
            .filter_map(|&k| w.get(k))
            .map(|v| record::to_json(v).to_string())
            .collect();
        let at = format!("component `{}`, record {index} (key {})", c.name, key.join(", "));
        if let Some(why) = missing.get(&n) {
            return Some(format!("{at} is missing from the target: {why}"));
        }
        let field = (0..w.len()).find(|&i| g.get(i) != Some(&w[i]));
        return Some(match field {
            Some(i) => format!(
                "{at}: field `{}` is {} in the source but {} in the target",
                c.target.record.names.get(i).map_or("?", String::as_str),
                record::to_json(&w[i]),
                g.get(i).map_or("missing".into(), |v| record::to_json(v).to_string()),
            ),
            None => format!("{at} differs"),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_order_is_the_known_one_then_the_rest_and_bad_positions_are_errors() {
        assert_eq!(full_order("jobs", &[3, 4, 0], 6).unwrap(), vec![3, 4, 0, 1, 2, 5]);
        assert_eq!(full_order("jobs", &[], 3).unwrap(), vec![0, 1, 2]);
        let err = full_order("jobs", &[0, 6], 6).unwrap_err().to_string();
        assert!(err.contains("record 6 of `jobs`") && err.contains("has 6 records"), "{err}");
        let err = full_order("jobs", &[1, 1], 6).unwrap_err().to_string();
        assert!(err.contains("record 1 of `jobs` twice"), "{err}");
    }

    #[test]
    fn a_digest_that_differs_while_every_record_is_equal_says_the_order_is_unknown() {
        let check = |onchain_count| DigestCheck {
            onchain: B256::repeat_byte(1),
            expected: B256::repeat_byte(2),
            onchain_count,
            count: 12,
        };
        let m = check(Some(12)).mismatch("jobs_v2", true);
        assert!(m.contains("every record reads back equal") && m.contains("unknown"), "{m}");
        let m = check(Some(11)).mismatch("jobs_v2", true);
        assert!(m.contains("it counts 11 records, the source has 12"), "{m}");
        let m = check(None).mismatch("jobs_v2", false);
        assert!(m.starts_with("jobs_v2: the on-chain digest is 0x0101"), "{m}");
    }
}
