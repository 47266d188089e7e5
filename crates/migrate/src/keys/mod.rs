//! The keys of keyed sources: found in the source contract's event logs (up to the snapshot
//! block), read from the manifest's keys file, or taken from another component's snapshot.

use std::collections::BTreeMap;

use alloy::{dyn_abi::DynSolValue, providers::DynProvider};

use crate::{
    Error, Result,
    component_snapshot::{ComponentSnapshot, KeysFrom},
    manifest::{Component, KeyOrigin, Keys, Manifest},
};
use molt_chain::logs::{KeySpec, LogsError, collect_keys};

/// The keys of component `c` at `block`, in first-appearance order, and where they came from.
/// `earlier` holds the snapshots of the components taken before it (its key component among
/// them: the manifest orders it first).
pub async fn collect(
    provider: &DynProvider,
    manifest: &Manifest,
    c: &Component,
    keys: &Keys,
    block: u64,
    earlier: &BTreeMap<String, ComponentSnapshot>,
) -> Result<(Vec<Vec<DynSolValue>>, KeysFrom)> {
    match &keys.origin {
        KeyOrigin::Event { event, args, from_block } => {
            let spec = KeySpec {
                address: manifest.contract(&c.source.contract).address,
                event: event.clone(),
                args: args.clone(),
            };
            let found = collect_keys(provider, &spec, *from_block, block, &mut |_, _| {})
                .await
                .map_err(|e| logs_error(c, keys, e))?;
            let from = KeysFrom::Event {
                event: event.name.clone(),
                logs: found.logs,
                from_block: found.from_block,
                to_block: found.to_block,
            };
            Ok((found.keys, from))
        }
        KeyOrigin::File { path, keys } => Ok((keys.clone(), KeysFrom::File { path: path.clone() })),
        KeyOrigin::Component { component, field } => {
            let snap = earlier.get(component).ok_or_else(|| {
                Error::Inconsistent(format!(
                    "component `{}` takes its keys from `{component}`, which was not read first",
                    c.name
                ))
            })?;
            let other = manifest.component(component).expect("the manifest checked it");
            let mut seen = std::collections::BTreeSet::new();
            let keys = snap
                .records
                .iter()
                .map(|r| {
                    let key = snap.key(r.index);
                    vec![
                        crate::record::with_pseudo(other, r.index, key, r.source.clone())[*field]
                            .clone(),
                    ]
                })
                .filter(|k| seen.insert(DynSolValue::Tuple(k.clone()).abi_encode()))
                .collect();
            Ok((keys, KeysFrom::Component { component: component.clone() }))
        }
    }
}

/// Checks, before anything is sent, that the keys of `c` can be found on this node: for keys
/// from events, that `from_block` is not after the head and that the node serves `eth_getLogs`
/// (one request over the single block `from_block`).
pub async fn probe(provider: &DynProvider, manifest: &Manifest, c: &Component) -> Result<()> {
    let Some(keys) = c.source.keyed() else { return Ok(()) };
    let KeyOrigin::Event { event, args, from_block } = &keys.origin else { return Ok(()) };
    let spec = KeySpec {
        address: manifest.contract(&c.source.contract).address,
        event: event.clone(),
        args: args.clone(),
    };
    collect_keys(provider, &spec, *from_block, *from_block, &mut |_, _| {})
        .await
        .map(drop)
        .map_err(|e| logs_error(c, keys, e))
}

fn logs_error(c: &Component, keys: &Keys, e: LogsError) -> Error {
    let (component, at) = (c.name.clone(), keys.at.clone());
    match e {
        LogsError::FromBlockAfterHead { from_block, head } => {
            Error::KeysFromBlock { at, component, from_block, head }
        }
        LogsError::Unsupported { reason } => Error::KeysUnsupported { at, component, reason },
        other => Error::KeyScan { component, reason: other.to_string() },
    }
}
