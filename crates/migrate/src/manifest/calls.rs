//! The manifest's calls, shared by every section: a function of a manifest contract by name or
//! signature, and a call's arguments (literals, `@contract` addresses and `$` placeholders).

use std::{collections::BTreeMap, path::Path};

use alloy::{
    dyn_abi::{DynSolType, DynSolValue},
    json_abi::Function,
    primitives::Address,
};
use toml::Spanned;

use super::{
    Arg, Call, Contract,
    raw::RawCall,
    text::ManifestText,
    types::{param_type, value},
};
use crate::Result;

/// The `$` placeholders a call's arguments may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placeholders {
    /// None (`[[finalize]]`).
    None,
    /// `$to`, `$token`, `$amount` (`[[funds]]`).
    Funds,
    /// `$migrator`, the `[governance]` migrator if there is one (`[[governance.grant]]`,
    /// `[[governance.revoke]]`).
    Governance(Option<Address>),
}

/// Resolves the parts of a manifest against its contracts' ABIs.
pub(super) struct Resolver<'a> {
    pub(super) cx: &'a ManifestText<'a>,
    pub(super) contracts: &'a BTreeMap<String, Contract>,
    /// The manifest's folder: relative paths (keys files) are relative to it.
    pub(super) dir: &'a Path,
}

impl Resolver<'_> {
    pub(super) fn contract_name(&self, name: &Spanned<String>) -> Result<String> {
        if self.contracts.contains_key(name.get_ref()) {
            return Ok(name.get_ref().clone());
        }
        let known: Vec<_> = self.contracts.keys().map(String::as_str).collect();
        Err(self.cx.err(
            name.span(),
            format!(
                "unknown contract `{}` (the manifest defines: {})",
                name.get_ref(),
                known.join(", ")
            ),
        ))
    }

    /// A function by name (unique) or full signature (`f(uint256)`).
    pub(super) fn function(
        &self,
        contract: &Spanned<String>,
        name: &Spanned<String>,
    ) -> Result<Function> {
        let c = &self.contracts[&self.contract_name(contract)?];
        let wanted = name.get_ref().trim();
        let found: Vec<&Function> = if wanted.contains('(') {
            c.abi.functions().filter(|f| f.signature() == wanted.replace(' ', "")).collect()
        } else {
            c.abi.function(wanted).map(|v| v.iter().collect()).unwrap_or_default()
        };
        match found.as_slice() {
            [f] => Ok((*f).clone()),
            [] => {
                let mut names: Vec<_> = c.abi.functions().map(|f| f.name.as_str()).collect();
                names.dedup();
                let near = closest(wanted, &names);
                Err(self.cx.err(
                    name.span(),
                    format!(
                        "contract `{}` ({}) has no function `{wanted}`{}",
                        c.name,
                        c.abi_path.display(),
                        near.map(|n| format!("; did you mean `{n}`?")).unwrap_or_default()
                    ),
                ))
            }
            many => Err(self.cx.err(
                name.span(),
                format!(
                    "`{wanted}` is overloaded in `{}`; name one by its signature: {}",
                    c.name,
                    many.iter().map(|f| f.signature()).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    pub(super) fn call(&self, c: &RawCall, placeholders: Placeholders) -> Result<Call> {
        let contract = self.contract_name(&c.contract)?;
        let function = self.function(&c.contract, &c.function)?;
        let args = self.args(&function, &c.function, &c.args, placeholders)?;
        Ok(Call { contract, function, args })
    }

    pub(super) fn args(
        &self,
        function: &Function,
        at: &Spanned<String>,
        raw: &[Spanned<toml::Value>],
        placeholders: Placeholders,
    ) -> Result<Vec<Arg>> {
        let cx = self.cx;
        if raw.len() != function.inputs.len() {
            return Err(cx.err(
                at.span(),
                format!(
                    "`{}` takes {} argument(s), {} given",
                    function.signature(),
                    function.inputs.len(),
                    raw.len()
                ),
            ));
        }
        raw.iter()
            .zip(&function.inputs)
            .map(|(a, p)| {
                let ty = param_type(p).map_err(|m| cx.err(a.span(), m))?;
                let want = |ok: bool, what: &str| {
                    if ok {
                        Ok(())
                    } else {
                        Err(cx.err(
                            a.span(),
                            format!("{what} does not fit parameter `{}` ({})", p.name, p.ty),
                        ))
                    }
                };
                match a.get_ref() {
                    toml::Value::String(s) if s.starts_with('@') => {
                        want(ty == DynSolType::Address, "a contract address")?;
                        let name = &s[1..];
                        if !self.contracts.contains_key(name) {
                            return Err(cx.err(a.span(), format!("unknown contract `{name}`")));
                        }
                        Ok(Arg::ContractAddress(name.into()))
                    }
                    toml::Value::String(s) if s.starts_with('$') => match placeholders {
                        Placeholders::Governance(migrator) => {
                            let migrator =
                                migrator_arg(s, migrator).map_err(|m| cx.err(a.span(), m))?;
                            want(ty == DynSolType::Address, "`$migrator` (an address)")?;
                            Ok(Arg::Value(DynSolValue::Address(migrator)))
                        }
                        Placeholders::None => Err(cx
                            .err(a.span(), format!("`{s}` is only defined in a `[[funds]]` call"))),
                        Placeholders::Funds => match s.as_str() {
                            "$to" => want(ty == DynSolType::Address, "`$to` (an address)")
                                .map(|_| Arg::To),
                            "$token" => want(ty == DynSolType::Address, "`$token` (an address)")
                                .map(|_| Arg::Token),
                            "$amount" => want(
                                matches!(ty, DynSolType::Uint(_)),
                                "`$amount` (an unsigned integer)",
                            )
                            .map(|_| Arg::Amount),
                            _ => Err(cx.err(
                                a.span(),
                                format!("unknown placeholder `{s}` (known: $to, $token, $amount)"),
                            )),
                        },
                    },
                    v => value(&ty, v).map(Arg::Value).map_err(|m| cx.err(a.span(), m)),
                }
            })
            .collect()
    }
}

/// The known name closest to `wanted`, if any is close.
pub(super) fn closest<'a>(wanted: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (crate::spelling::edit_distance(&wanted.to_lowercase(), &n.to_lowercase()), *n))
        .filter(|(d, n)| *d <= 3.max(n.len() / 3))
        .min()
        .map(|(_, n)| n)
}

/// The value of placeholder `s` in a governance call: `$migrator` is the migrator (which must
/// be set); any other placeholder is unknown there.
pub(super) fn migrator_arg(s: &str, migrator: Option<Address>) -> Result<Address, String> {
    match (s, migrator) {
        ("$migrator", Some(m)) => Ok(m),
        ("$migrator", None) => Err(
            "`$migrator` needs `migrator = \"0x…\"` in `[governance]` (the account that imports the batches)"
                .into(),
        ),
        _ => Err(format!("unknown placeholder `{s}` (a governance call knows only $migrator)")),
    }
}
