//! Whether the old contracts report themselves paused, read from the node: for the run's report,
//! for an executed owner phase `open`, and for a failure's hint.

use std::collections::BTreeMap;

use molt_chain::read::view;

use crate::manifest::Manifest;

/// Whether each contract of `[[pause]]` reports itself paused now; `None` for one whose view
/// could not be read.
pub async fn pause_state(
    provider: &alloy::providers::DynProvider,
    manifest: &Manifest,
) -> BTreeMap<String, Option<bool>> {
    let mut state = BTreeMap::new();
    for p in &manifest.pause {
        let address = manifest.contract(&p.contract).address;
        let paused = view(provider, address, &p.paused, &[], None).await.ok().map(|o| is_true(&o));
        state.insert(p.contract.clone(), paused);
    }
    state
}

/// Whether a view's output is `(true)`.
pub(crate) fn is_true(out: &[alloy::dyn_abi::DynSolValue]) -> bool {
    out.first().and_then(alloy::dyn_abi::DynSolValue::as_bool) == Some(true)
}
