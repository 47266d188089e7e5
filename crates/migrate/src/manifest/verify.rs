//! A component's `verify` table: how its records are read back from the target, and which
//! on-chain digest and count they fold into.

use alloy::json_abi::Function;
use toml::Spanned;

use super::{
    Component, Readback, RecordShape, Verify,
    calls::Resolver,
    raw::{RawComponent, RawVerify},
    text::ManifestText,
    types::{copyable, output_record, param_type},
};
use crate::Result;

impl Resolver<'_> {
    /// Resolves `verify = { get, args, map, digest, count, digest_shared_with }`.
    pub(super) fn verify(&self, c: &RawComponent, target: &RecordShape) -> Result<Verify> {
        let v = &c.verify;
        let get = self.function(&c.target.contract, &v.get)?;
        let args = self.readback_args(v, &get, target)?;
        let readback = self.readback(v, &get, target, &args)?;
        let digest = self.digest_view(&c.target.contract, v.digest.as_ref())?;
        let count = self.digest_view(&c.target.contract, v.count.as_ref())?;
        if let (Some(shared), Some(own)) =
            (&v.digest_shared_with, v.digest.as_ref().or(v.count.as_ref()))
        {
            return Err(self.cx.err(
                own.span(),
                format!(
                    "component `{}` folds into the digest of `{}` (`digest_shared_with`): it has no `digest` or `count` of its own",
                    c.name.get_ref(),
                    shared.get_ref()
                ),
            ));
        }
        let digest_shared_with = v.digest_shared_with.as_ref().map(|s| s.get_ref().clone());
        Ok(Verify { get, args, readback, digest, count, digest_shared_with })
    }

    /// The import-struct fields passed to the read-back getter, by index.
    fn readback_args(
        &self,
        v: &RawVerify,
        get: &Function,
        target: &RecordShape,
    ) -> Result<Vec<usize>> {
        let cx = self.cx;
        if get.inputs.len() != v.args.len() {
            return Err(cx.err(
                v.get.span(),
                format!(
                    "`{}` takes {} argument(s) but `args` lists {}",
                    get.signature(),
                    get.inputs.len(),
                    v.args.len()
                ),
            ));
        }
        let mut args = Vec::new();
        for (a, input) in v.args.iter().zip(&get.inputs) {
            let i = target.index(a.get_ref()).ok_or_else(|| {
                cx.err(
                    a.span(),
                    format!(
                        "`{}` is not a field of the import struct (fields: {})",
                        a.get_ref(),
                        target.names.join(", ")
                    ),
                )
            })?;
            let ty = param_type(input).map_err(|m| cx.err(a.span(), m))?;
            if ty != target.types[i] {
                return Err(cx.err(
                    a.span(),
                    format!(
                        "`{}` is {} but `{}` expects {}",
                        a.get_ref(),
                        target.types[i],
                        get.signature(),
                        ty
                    ),
                ));
            }
            args.push(i);
        }
        Ok(args)
    }

    /// Where each import-struct field comes from in the getter's outputs (or its arguments).
    fn readback(
        &self,
        v: &RawVerify,
        get: &Function,
        target: &RecordShape,
        args: &[usize],
    ) -> Result<Vec<Readback>> {
        let cx = self.cx;
        let out = output_record(get).map_err(|m| cx.err(v.get.span(), m))?;
        for (k, m) in &v.map {
            if target.index(k).is_none() {
                return Err(cx.err(
                    m.span(),
                    format!("`verify.map` names `{k}`, which is not a field of the import struct"),
                ));
            }
        }
        let mut readback = Vec::new();
        for (i, n) in target.names.iter().enumerate() {
            let from = match v.map.get(n) {
                Some(m) => Some((output_named(cx, get, &out, m)?, m.span())),
                None => out.index(n).map(|o| (o, v.get.span())),
            };
            readback.push(match from {
                Some((o, span)) => {
                    if !copyable(&out.types[o], &target.types[i]) {
                        return Err(cx.err(
                            span,
                            format!(
                                "read-back field `{}` is {} but the import field `{n}` is {}",
                                out.names[o], out.types[o], target.types[i]
                            ),
                        ));
                    }
                    Readback::Output(o)
                }
                None => match args.iter().position(|&a| a == i) {
                    Some(j) => Readback::Arg(j),
                    None => {
                        return Err(cx.err(v.get.span(), format!(
                            "import field `{n}` cannot be read back: `{}` returns no field of that name and it is not an argument; add `{n} = \"<output field>\"` to `verify.map`",
                            get.signature()
                        )));
                    }
                },
            });
        }
        Ok(readback)
    }

    /// A `digest` or `count` view: no arguments, one value.
    fn digest_view(
        &self,
        contract: &Spanned<String>,
        f: Option<&Spanned<String>>,
    ) -> Result<Option<Function>> {
        let Some(f) = f else { return Ok(None) };
        let func = self.function(contract, f)?;
        if !func.inputs.is_empty() || func.outputs.len() != 1 {
            return Err(self.cx.err(
                f.span(),
                format!("`{}` must take no arguments and return one value", func.signature()),
            ));
        }
        Ok(Some(func))
    }
}

/// The getter output `m` names, by index.
fn output_named(
    cx: &ManifestText<'_>,
    get: &Function,
    out: &RecordShape,
    m: &Spanned<String>,
) -> Result<usize> {
    out.index(m.get_ref()).ok_or_else(|| {
        cx.err(
            m.span(),
            format!(
                "`{}` does not return a field `{}` (it returns: {})",
                get.signature(),
                m.get_ref(),
                out.names.join(", ")
            ),
        )
    })
}

/// Checks how components fold into on-chain digests: a `digest_shared_with` names a component
/// of the same target contract that has a digest of its own; and two components never read the
/// same digest view unless one says it shares the other's (which digest a record set folds into
/// is stated, never guessed).
pub(super) fn check_digest_groups(
    cx: &ManifestText<'_>,
    raw: &[RawComponent],
    components: &[Component],
) -> Result<()> {
    let by_name = |n: &str| components.iter().find(|c| c.name == n);
    for (c, r) in components.iter().map(|c| (c, raw_of(raw, &c.name))) {
        if let (Some(leader), Some(span)) =
            (&c.verify.digest_shared_with, r.verify.digest_shared_with.as_ref())
        {
            let why = match by_name(leader) {
                None => Some("there is no component of that name".to_owned()),
                Some(l) if l.name == c.name => {
                    Some("a component cannot share its own digest".into())
                }
                Some(l) if l.target.contract != c.target.contract => Some(format!(
                    "`{leader}` imports into `{}`, `{}` into `{}`: a digest is one contract's",
                    l.target.contract, c.name, c.target.contract
                )),
                Some(l) if l.verify.digest.is_none() => Some(format!(
                    "`{leader}` has no `verify.digest` of its own to share{}",
                    l.verify
                        .digest_shared_with
                        .as_ref()
                        .map(|x| format!(" (it shares `{x}`'s: name `{x}` here)"))
                        .unwrap_or_default()
                )),
                Some(_) => None,
            };
            if let Some(why) = why {
                return Err(cx.err(
                    span.span(),
                    format!("`digest_shared_with = \"{leader}\"` in component `{}`: {why}", c.name),
                ));
            }
        }
    }
    for (i, c) in components.iter().enumerate() {
        let Some(digest) = &c.verify.digest else { continue };
        if let Some(other) = components[..i].iter().find(|o| {
            o.target.contract == c.target.contract
                && o.verify.digest.as_ref().is_some_and(|d| d.selector() == digest.selector())
        }) {
            let span = raw_of(raw, &c.name).verify.digest.as_ref().map(Spanned::span);
            return Err(cx.err(
                span.unwrap_or(0..0),
                format!(
                    "components `{}` and `{}` both read `{}` on `{}`: if their records fold into one digest, replace this component's `digest` and `count` with `digest_shared_with = \"{}\"`; otherwise name each component's own digest view",
                    other.name,
                    c.name,
                    digest.signature(),
                    c.target.contract,
                    other.name
                ),
            ));
        }
    }
    Ok(())
}

fn raw_of<'a>(raw: &'a [RawComponent], name: &str) -> &'a RawComponent {
    raw.iter().find(|r| r.name.get_ref() == name).expect("every component comes from the file")
}
