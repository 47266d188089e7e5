//! Does the code at each address dispatch what the manifest calls there?
//!
//! The manifest's ABIs say what a contract *should* have; the chain says what the address
//! *has*. A V2 address given for a V1 role (or two V2 contracts swapped) passes every check on
//! the ABIs but not this one: the runtime code's selectors (found with evmole) are compared with
//! every function the run will call on it. Proxies are followed (EIP-1967 implementation and
//! beacon slots, EIP-1167 minimal proxies).

use std::collections::{BTreeMap, BTreeSet};

use alloy::{
    dyn_abi::DynSolValue,
    json_abi::Function,
    primitives::{Address, B256, Bytes, Selector, U256, b256},
    providers::{DynProvider, Provider},
};
use molt_abi::diff::deployed::bytecode_selectors;

use crate::{Error, Result, manifest::Manifest};
use molt_chain::read::view;

/// `bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`.
const EIP1967_IMPLEMENTATION: B256 =
    b256!("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");
/// `bytes32(uint256(keccak256("eip1967.proxy.beacon")) - 1)`.
const EIP1967_BEACON: B256 =
    b256!("a3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50");

/// One function the run calls on a contract, and what for.
#[derive(Debug, Clone)]
struct Use<'a> {
    function: &'a Function,
    role: String,
}

/// Every function the run calls on each manifest contract, by contract name.
fn uses(manifest: &Manifest) -> BTreeMap<&str, Vec<Use<'_>>> {
    let mut out: BTreeMap<&str, Vec<Use<'_>>> = BTreeMap::new();
    let mut add = |contract: &str, function, role: String| {
        let name = manifest.contract(contract).name.as_str();
        out.entry(name).or_default().push(Use { function, role });
    };
    for p in &manifest.pause {
        add(&p.contract, &p.call, "its [[pause]] call".into());
        add(&p.contract, &p.paused, "its [[pause]] view".into());
    }
    for c in &manifest.checks {
        add(&c.contract, &c.function, format!("[[check]] `{}`", c.name));
    }
    for f in &manifest.funds {
        add(&f.from, &f.call.function, format!("[[funds]] `{}`", f.name));
    }
    for c in &manifest.components {
        let source = format!("the source of component `{}`", c.name);
        if let crate::manifest::Records::Enumerated { count, .. } = &c.source.records {
            add(&c.source.contract, count, source.clone());
        }
        add(&c.source.contract, &c.source.get, source);
        let target = format!("the target of component `{}`", c.name);
        add(&c.target.contract, &c.target.import, target.clone());
        add(&c.target.contract, &c.verify.get, target.clone());
        for f in c.verify.digest.iter().chain(&c.verify.count) {
            add(&c.target.contract, f, target.clone());
        }
    }
    for f in &manifest.finalize {
        add(&f.contract, &f.function, "[[finalize]]".into());
    }
    out
}

/// Checks that every manifest address holds code, and dispatches every function the run calls
/// on it.
pub(super) async fn check(provider: &DynProvider, manifest: &Manifest) -> Result<()> {
    let uses = uses(manifest);
    let mut dispatched: BTreeMap<&str, BTreeSet<Selector>> = BTreeMap::new();
    for c in manifest.contracts.values() {
        let selectors = selectors_behind_proxies(provider, c.address)
            .await?
            .ok_or_else(|| Error::NoCode { contract: c.name.clone(), address: c.address })?;
        dispatched.insert(c.name.as_str(), selectors);
    }
    for (&name, used) in &uses {
        let found = &dispatched[name];
        let Some(missing) = used.iter().find(|u| !found.contains(&u.function.selector())) else {
            continue;
        };
        return Err(Error::NotDispatched {
            contract: name.into(),
            address: manifest.contract(name).address,
            function: missing.function.signature(),
            selector: missing.function.selector(),
            role: missing.role.clone(),
            looks_like: looks_like(manifest, name, found),
        });
    }
    Ok(())
}

/// The other manifest contract whose whole ABI the code dispatches (the largest such ABI):
/// what the address most likely is.
fn looks_like(manifest: &Manifest, name: &str, found: &BTreeSet<Selector>) -> Option<String> {
    manifest
        .contracts
        .values()
        .filter(|c| c.name != name)
        .filter(|c| c.abi.functions().all(|f| found.contains(&f.selector())))
        .max_by_key(|c| c.abi.functions().count())
        .map(|c| c.name.clone())
}

/// The selectors the code at `address` dispatches, with those of the implementation behind it
/// when it is a proxy; `None` when there is no code.
async fn selectors_behind_proxies(
    provider: &DynProvider,
    address: Address,
) -> Result<Option<BTreeSet<Selector>>> {
    let code = code_at(provider, address).await?;
    if code.is_empty() {
        return Ok(None);
    }
    let mut selectors = bytecode_selectors(&code);
    if let Some(implementation) = implementation(provider, address, &code).await? {
        selectors.extend(bytecode_selectors(&code_at(provider, implementation).await?));
    }
    Ok(Some(selectors))
}

async fn code_at(provider: &DynProvider, address: Address) -> Result<Bytes> {
    Ok(provider.get_code_at(address).await.map_err(molt_chain::Error::from)?)
}

/// The implementation a proxy at `address` delegates to, if it is one molt recognises.
async fn implementation(
    provider: &DynProvider,
    address: Address,
    code: &[u8],
) -> Result<Option<Address>> {
    if let Some(target) = minimal_proxy_target(code) {
        return Ok(Some(target));
    }
    let slot = |s: B256| async move {
        let word = provider
            .get_storage_at(address, U256::from_be_bytes(s.0))
            .await
            .map_err(molt_chain::Error::from)?;
        Ok::<_, Error>(Address::from_word(word.into()))
    };
    let direct = slot(EIP1967_IMPLEMENTATION).await?;
    if !direct.is_zero() {
        return Ok(Some(direct));
    }
    let beacon = slot(EIP1967_BEACON).await?;
    if beacon.is_zero() {
        return Ok(None);
    }
    let f = Function::parse("function implementation() view returns (address)").expect("valid");
    let out = view(provider, beacon, &f, &[], None).await?;
    Ok(out.first().and_then(DynSolValue::as_address))
}

/// The target of an EIP-1167 minimal proxy (`363d3d373d3d3d363d73<address>5af43d82803e903d91602b57fd5bf3`).
fn minimal_proxy_target(code: &[u8]) -> Option<Address> {
    const HEAD: [u8; 10] = [0x36, 0x3d, 0x3d, 0x37, 0x3d, 0x3d, 0x3d, 0x36, 0x3d, 0x73];
    const TAIL: [u8; 15] =
        [0x5a, 0xf4, 0x3d, 0x82, 0x80, 0x3e, 0x90, 0x3d, 0x91, 0x60, 0x2b, 0x57, 0xfd, 0x5b, 0xf3];
    (code.len() == 45 && code[..10] == HEAD && code[30..] == TAIL)
        .then(|| Address::from_slice(&code[10..30]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_target_of_a_minimal_proxy() {
        let target = Address::repeat_byte(0xab);
        let mut code = vec![0x36, 0x3d, 0x3d, 0x37, 0x3d, 0x3d, 0x3d, 0x36, 0x3d, 0x73];
        code.extend_from_slice(target.as_slice());
        code.extend_from_slice(&[
            0x5a, 0xf4, 0x3d, 0x82, 0x80, 0x3e, 0x90, 0x3d, 0x91, 0x60, 0x2b, 0x57, 0xfd, 0x5b,
            0xf3,
        ]);
        assert_eq!(minimal_proxy_target(&code), Some(target));
        code[0] = 0;
        assert_eq!(minimal_proxy_target(&code), None);
    }
}
