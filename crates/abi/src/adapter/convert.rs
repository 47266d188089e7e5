//! Mechanical value conversions between the old and the new interface's types, written as
//! Solidity expressions and `internal pure` helper functions.
//!
//! What is mechanical (anything else is refused with a reason, and the function is stubbed):
//! - the same ABI shape: the value itself, or `abi.decode(abi.encode(v), (T))` when structs
//!   are involved (`IOld.S` and `INew.S` are distinct Solidity types even when identical);
//! - an unsigned or signed integer widened (never narrowed);
//! - a struct that gained fields (old → new: the new fields stay zero) or lost fields
//!   (new → old: the old interface does not see them); fields are matched by name;
//! - a scalar wrapped into a struct with exactly one field of its type (old → new, the other
//!   fields zero: `payment` → `Payment{amount: payment, token: address(0)}`), and back
//!   (new → old: `payment.amount`);
//! - arrays of any of the above, element by element.

use std::collections::{BTreeMap, BTreeSet};

use super::types::{Registry, StructDef, Ty, has_struct, is_identifier};

/// The direction of a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Dir {
    /// An old argument becomes a new argument.
    In,
    /// A new return value becomes an old return value.
    Out,
}

/// The result of a conversion.
#[derive(Debug, Clone)]
pub(crate) struct Conversion {
    /// The Solidity expression.
    pub(crate) expr: String,
    /// Whether the value changed shape (a converting forwarder), not just its Solidity type.
    pub(crate) changed: bool,
}

/// Conversion state: both registries and the helpers written so far.
#[derive(Debug)]
pub(crate) struct Converter {
    pub(crate) old: Registry,
    pub(crate) new: Registry,
    /// Helper functions, in creation order.
    pub(crate) helpers: Vec<String>,
    helper_names: BTreeMap<String, String>,
    taken: BTreeSet<String>,
}

impl Converter {
    pub(crate) fn new(old: Registry, new: Registry) -> Self {
        Self {
            old,
            new,
            helpers: Vec::new(),
            helper_names: BTreeMap::new(),
            taken: BTreeSet::new(),
        }
    }

    fn regs(&self, dir: Dir) -> (&Registry, &Registry) {
        match dir {
            Dir::In => (&self.old, &self.new),
            Dir::Out => (&self.new, &self.old),
        }
    }

    /// Converts `expr` of type `src` into `dst`. `skip` lists field paths of `dst` (relative)
    /// that the caller assigns itself (from the mapping file): they are left zero here.
    /// `notes` receives one line per non-trivial step, `what` names the value in them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn convert(
        &mut self,
        expr: &str,
        src: &Ty,
        dst: &Ty,
        dir: Dir,
        skip: &[String],
        what: &str,
        notes: &mut Vec<String>,
    ) -> Result<Conversion, String> {
        let (sr, dr) = self.regs(dir);
        let (sc, dc) = (sr.canonical(src), dr.canonical(dst));
        if sc == dc && skip.is_empty() {
            if has_struct(dst) {
                let t = dr.sol(dst, true);
                return Ok(Conversion {
                    expr: format!("abi.decode(abi.encode({expr}), ({t}))"),
                    changed: false,
                });
            }
            return Ok(Conversion { expr: expr.to_owned(), changed: false });
        }
        match (src, dst) {
            (Ty::Elem(s), Ty::Elem(d)) => {
                if widens(s, d) {
                    notes.push(format!("`{what}`: `{s}` widened to `{d}`"));
                    Ok(Conversion { expr: expr.to_owned(), changed: true })
                } else {
                    Err(format!(
                        "`{what}` is `{s}` on one side and `{d}` on the other: no lossless conversion"
                    ))
                }
            }
            (Ty::Struct(si), Ty::Struct(di)) => {
                let name = self.struct_helper(*si, *di, dir, skip, what, notes)?;
                Ok(Conversion { expr: format!("{name}({expr})"), changed: true })
            }
            (Ty::Array(se, sd), Ty::Array(de, dd)) if sd == dd => {
                let name = self.array_helper(se, de, *dd, dir, what, notes)?;
                Ok(Conversion { expr: format!("{name}({expr})"), changed: true })
            }
            (Ty::Elem(s), Ty::Struct(di)) if dir == Dir::In => {
                self.wrap(expr, s, *di, dst, what, notes)
            }
            (Ty::Struct(si), Ty::Elem(d)) if dir == Dir::Out => {
                self.unwrap(expr, *si, d, what, notes)
            }
            _ => Err(format!(
                "`{what}` is `{}` on the old side and `{}` on the new side: no mechanical conversion",
                match dir {
                    Dir::In => sr.sol(src, false),
                    Dir::Out => dr.sol(dst, false),
                },
                match dir {
                    Dir::In => dr.sol(dst, false),
                    Dir::Out => sr.sol(src, false),
                }
            )),
        }
    }

    /// An old scalar `s` wrapped into the new struct `di` (`dst`) that has exactly one field of
    /// its type: `_wrapS(expr)`, the other fields zero.
    fn wrap(
        &mut self,
        expr: &str,
        s: &str,
        di: usize,
        dst: &Ty,
        what: &str,
        notes: &mut Vec<String>,
    ) -> Result<Conversion, String> {
        let dr = &self.new;
        let fields: Vec<&(String, Ty)> = dr.structs[di]
            .fields
            .iter()
            .filter(|(_, t)| matches!(t, Ty::Elem(e) if e == s))
            .collect();
        let [(field, _)] = fields.as_slice() else {
            return Err(format!(
                "`{what}` (`{s}`) would have to be wrapped into `{}`, which has {} fields of type `{s}`",
                dr.structs[di].name,
                fields.len()
            ));
        };
        let (field, sname) = (field.clone(), dr.structs[di].name.clone());
        let others: Vec<String> = dr.structs[di]
            .fields
            .iter()
            .filter(|(n, _)| *n != field)
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        notes.push(format!(
            "`{what}` wrapped into `{sname}.{field}`{}",
            if others.is_empty() {
                String::new()
            } else {
                format!(" ({} left zero)", others.join(", "))
            }
        ));
        let dst_t = dr.sol(dst, true);
        let key = format!("wrap:{s}:{dst_t}:{field}");
        let name = self.helper_name(&key, &format!("_wrap{sname}"));
        if self.is_new_helper(&key) {
            let body = format!(
                "function {name}({s} src) internal pure returns ({dst_t} memory dst) {{\n    dst.{field} = src;\n}}"
            );
            self.helpers.push(body);
        }
        Ok(Conversion { expr: format!("{name}({expr})"), changed: true })
    }

    /// The new struct `si`'s one field of the old scalar type `d`: `expr.field`.
    fn unwrap(
        &self,
        expr: &str,
        si: usize,
        d: &str,
        what: &str,
        notes: &mut Vec<String>,
    ) -> Result<Conversion, String> {
        let sr = &self.new;
        let fields: Vec<&(String, Ty)> = sr.structs[si]
            .fields
            .iter()
            .filter(|(_, t)| matches!(t, Ty::Elem(e) if e == d))
            .collect();
        let [(field, _)] = fields.as_slice() else {
            return Err(format!(
                "`{what}` (`{d}`) would have to be taken from `{}`, which has {} fields of type `{d}`",
                sr.structs[si].name,
                fields.len()
            ));
        };
        let sname = &sr.structs[si].name;
        let dropped: Vec<String> = sr.structs[si]
            .fields
            .iter()
            .filter(|(n, _)| n != field)
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        notes.push(format!(
            "`{what}` unwrapped from `{sname}.{field}`{}",
            if dropped.is_empty() {
                String::new()
            } else {
                format!(" ({} not visible to old callers)", dropped.join(", "))
            }
        ));
        Ok(Conversion { expr: format!("{expr}.{field}"), changed: true })
    }

    fn is_new_helper(&mut self, key: &str) -> bool {
        self.taken.insert(format!("key:{key}"))
    }

    fn helper_name(&mut self, key: &str, base: &str) -> String {
        if let Some(n) = self.helper_names.get(key) {
            return n.clone();
        }
        let mut name = base.to_owned();
        let mut i = 2;
        while self.taken.contains(&name) {
            name = format!("{base}{i}");
            i += 1;
        }
        self.taken.insert(name.clone());
        self.helper_names.insert(key.to_owned(), name.clone());
        name
    }

    fn struct_helper(
        &mut self,
        si: usize,
        di: usize,
        dir: Dir,
        skip: &[String],
        what: &str,
        notes: &mut Vec<String>,
    ) -> Result<String, String> {
        let (sr, dr) = self.regs(dir);
        let src_def = sr.structs[si].clone();
        let dst_def = dr.structs[di].clone();
        let (src_t, dst_t) =
            (format!("{}.{}", sr.iface, src_def.name), format!("{}.{}", dr.iface, dst_def.name));
        let mut lines = Vec::new();
        let mut used = BTreeSet::new();
        for (field, fty) in &dst_def.fields {
            let sub = format!("{what}.{field}");
            if skip.iter().any(|s| s == field) {
                lines.push(format!("// `{field}`: set by the caller (mapping file)"));
                continue;
            }
            let nested: Vec<String> = skip
                .iter()
                .filter_map(|s| s.strip_prefix(&format!("{field}.")))
                .map(str::to_owned)
                .collect();
            match src_def.fields.iter().find(|(n, _)| n == field) {
                Some((_, sty)) => {
                    used.insert(field.clone());
                    let c =
                        self.convert(&format!("src.{field}"), sty, fty, dir, &nested, &sub, notes)?;
                    lines.push(format!("dst.{field} = {};", c.expr));
                }
                None if dir == Dir::In => {
                    notes.push(format!(
                        "`{sub}` is new in `{}`: left zero (set it with `args = {{ \"{sub}\" = \"...\" }}`)",
                        dst_def.name
                    ));
                    lines.push(format!("// `{field}`: new field, left zero"));
                }
                None => {
                    return Err(format!(
                        "the old `{}` has a field `{field}` that the new `{}` does not have",
                        dst_def.name, src_def.name
                    ));
                }
            }
        }
        unused_fields(&src_def, &dst_def, &used, dir, what, notes)?;
        let prefix = match dir {
            Dir::In => "_toNew",
            Dir::Out => "_toOld",
        };
        let key = format!("{dir:?}:{src_t}:{dst_t}:{}", skip.join(","));
        let name = self.helper_name(&key, &format!("{prefix}{}", dst_def.name));
        if self.is_new_helper(&key) {
            let body = lines.iter().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n");
            self.helpers.push(format!(
                "function {name}({src_t} memory src) internal pure returns ({dst_t} memory dst) {{\n{body}\n}}"
            ));
        }
        Ok(name)
    }

    fn array_helper(
        &mut self,
        se: &Ty,
        de: &Ty,
        d: Option<usize>,
        dir: Dir,
        what: &str,
        notes: &mut Vec<String>,
    ) -> Result<String, String> {
        let elem = self.convert("src[i]", se, de, dir, &[], &format!("{what}[i]"), notes)?;
        let (sr, dr) = self.regs(dir);
        let src_t = sr.sol(&Ty::Array(Box::new(se.clone()), d), true);
        let dst_t = dr.sol(&Ty::Array(Box::new(de.clone()), d), true);
        let elem_t = dr.sol(de, true);
        let key = format!("array:{dir:?}:{src_t}:{dst_t}");
        let base = match de {
            Ty::Struct(i) => format!(
                "_to{}{}Array",
                if dir == Dir::In { "New" } else { "Old" },
                dr.structs[*i].name
            ),
            _ => format!("_to{}Array", if dir == Dir::In { "New" } else { "Old" }),
        };
        let name = self.helper_name(&key, &base);
        if self.is_new_helper(&key) {
            let (alloc, len) = match d {
                None => {
                    (format!("    dst = new {elem_t}[](src.length);\n"), "src.length".to_owned())
                }
                Some(k) => (String::new(), k.to_string()),
            };
            self.helpers.push(format!(
                "function {name}({src_t} memory src) internal pure returns ({dst_t} memory dst) {{\n{alloc}    for (uint256 i; i < {len}; ++i) {{\n        dst[i] = {};\n    }}\n}}",
                elem.expr
            ));
        }
        Ok(name)
    }
}

/// The fields of the source struct that no destination field takes (`used` are taken): an
/// error for an old struct (the call would drop them), a note for a new one.
fn unused_fields(
    src_def: &StructDef,
    dst_def: &StructDef,
    used: &BTreeSet<String>,
    dir: Dir,
    what: &str,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let unused: Vec<String> = src_def
        .fields
        .iter()
        .filter(|(n, _)| !used.contains(n))
        .map(|(n, _)| format!("`{n}`"))
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    match dir {
        Dir::In => Err(format!(
            "`{what}`: the new `{}` has no place for {} of the old struct: the value would be dropped",
            dst_def.name,
            unused.join(", ")
        )),
        Dir::Out => {
            notes.push(format!(
                "{} of the new `{}` not returned to old callers",
                unused.join(", "),
                src_def.name
            ));
            Ok(())
        }
    }
}

/// `uint8` → `uint256`, `int64` → `int128`: implicit, lossless widenings.
fn widens(src: &str, dst: &str) -> bool {
    let bits = |s: &str, p: &str| s.strip_prefix(p).and_then(|n| n.parse::<u32>().ok());
    match (bits(src, "uint"), bits(dst, "uint")) {
        (Some(a), Some(b)) => return a < b,
        (None, None) => {}
        _ => return false,
    }
    matches!((bits(src, "int"), bits(dst, "int")), (Some(a), Some(b)) if a < b)
}

/// Whether the identifier `name` occurs in `expr` as a whole word.
pub(crate) fn mentions(expr: &str, name: &str) -> bool {
    if !is_identifier(name) && !name.starts_with("result") {
        return false;
    }
    let bytes = expr.as_bytes();
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    let mut start = 0;
    while let Some(pos) = expr[start..].find(name) {
        let i = start + pos;
        let j = i + name.len();
        let before = i == 0 || (!is_word(bytes[i - 1]) && bytes[i - 1] != b'.');
        let after = j == bytes.len() || !is_word(bytes[j]);
        if before && after {
            return true;
        }
        start = i + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::json_abi::JsonAbi;

    fn reg(iface: &str, items: &str) -> (Registry, JsonAbi) {
        let abi: JsonAbi = serde_json::from_str(&format!("[{items}]")).unwrap();
        (Registry::new(iface, &abi), abi)
    }

    const OLD_JOB: &str = r#"{"type":"function","name":"getJob","inputs":[],"outputs":[{"name":"","type":"tuple","internalType":"struct V1.Job","components":[{"name":"id","type":"uint256"},{"name":"payment","type":"uint256"}]}],"stateMutability":"view"}"#;
    const NEW_JOB: &str = r#"{"type":"function","name":"getJob","inputs":[],"outputs":[{"name":"","type":"tuple","internalType":"struct V2.Job","components":[{"name":"id","type":"uint256"},{"name":"payment","type":"tuple","internalType":"struct V2.Payment","components":[{"name":"amount","type":"uint256"},{"name":"token","type":"address"}]},{"name":"extra","type":"bool"}]}],"stateMutability":"view"}"#;

    #[test]
    fn struct_that_gained_fields_and_a_wrapped_scalar() {
        let (mut old, oa) = reg("IOld", OLD_JOB);
        let (mut new, na) = reg("INew", NEW_JOB);
        let ot = old.param(&oa.functions().next().unwrap().outputs[0]);
        let nt = new.param(&na.functions().next().unwrap().outputs[0]);
        let mut c = Converter::new(old, new);
        let mut notes = Vec::new();
        let out = c.convert("result", &nt, &ot, Dir::Out, &[], "job", &mut notes).unwrap();
        assert_eq!(out.expr, "_toOldJob(result)");
        assert!(c.helpers[0].contains("dst.payment = src.payment.amount;"), "{}", c.helpers[0]);
        let back = c.convert("job", &ot, &nt, Dir::In, &[], "job", &mut notes).unwrap();
        assert_eq!(back.expr, "_toNewJob(job)");
        assert!(
            c.helpers[2].contains("dst.payment = _wrapPayment(src.payment);"),
            "{:?}",
            c.helpers
        );
        assert!(notes.iter().any(|n| n.contains("`job.extra` is new")), "{notes:?}");
    }

    #[test]
    fn narrowing_is_refused_and_widening_accepted() {
        assert!(widens("uint128", "uint256") && widens("int8", "int16"));
        assert!(
            !widens("uint256", "uint128")
                && !widens("uint8", "int16")
                && !widens("address", "uint160")
        );
    }

    #[test]
    fn mentions_matches_whole_words() {
        assert!(mentions("result.reputationBps / 100", "result"));
        assert!(!mentions("results + 1", "result"));
        assert!(!mentions("x.amount", "amount"));
        assert!(mentions("amount * 2", "amount"));
    }
}
