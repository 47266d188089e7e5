//! `[governance]`: the owner of the contracts (a Safe or an account), the migrator account and
//! the calls that grant and revoke its importer role. Checked like every other section: names
//! and types against the ABIs, address checksums, each error at its line.

use alloy::primitives::Address;

use super::{
    Governance, Owner,
    calls::{Placeholders, Resolver},
    raw::{RawGovernance, RawOwner},
    validate,
};
use crate::Result;

impl Resolver<'_> {
    /// `[governance]` with its owner, migrator and calls resolved.
    pub(super) fn governance(&self, g: &RawGovernance) -> Result<Governance> {
        let owner = self.owner(&g.owner)?;
        let migrator = match &g.migrator {
            Some(m) => Some(validate::address(m.get_ref()).map_err(|e| self.cx.err(m.span(), e))?),
            None => None,
        };
        let calls = |raw: &[super::raw::RawCall]| {
            raw.iter()
                .map(|c| self.call(c, Placeholders::Governance(migrator)))
                .collect::<Result<Vec<_>>>()
        };
        Ok(Governance { owner, migrator, grant: calls(&g.grant)?, revoke: calls(&g.revoke)? })
    }

    /// `owner = { safe = "0x…" }` or `owner = { account = "0x…" }`.
    fn owner(&self, o: &toml::Spanned<RawOwner>) -> Result<Owner> {
        let cx = self.cx;
        let raw = o.get_ref();
        let (at, make): (_, fn(Address) -> Owner) = match (&raw.safe, &raw.account) {
            (Some(s), None) => (s, Owner::Safe),
            (None, Some(a)) => (a, Owner::Account),
            _ => {
                return Err(cx.err(
                    o.span(),
                    "`owner` is either `{ safe = \"0x…\" }` (a Safe 1.4.1) or `{ account = \"0x…\" }` (an EOA)",
                ));
            }
        };
        let address = validate::address(at.get_ref()).map_err(|e| cx.err(at.span(), e))?;
        if address.is_zero() {
            return Err(cx.err(at.span(), "the owner cannot be the zero address"));
        }
        Ok(make(address))
    }
}
