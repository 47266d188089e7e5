//! How each field of a V2 import struct is drafted from a V1 record: copied by name, renamed
//! (the closest name of a compatible type), scaled (a percentage or basis points into basis
//! points or WAD), taken from the record's index or key, or left at its zero value; and which
//! V1 fields are left over.

use std::collections::BTreeSet;

use alloy::dyn_abi::DynSolType;

use super::{
    names::{closeness, singular, words},
    shape::{Field, fits},
    sources::Source,
};

/// How one import field is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum How {
    /// Copied from the source field of the same name (the loader's default: nothing to write).
    ByName,
    /// From another source field, `$index` or `$key...` (`host = "assignedHost"`).
    From(String),
    /// From a wider unsigned source field (`{ from = "x" }`: a value that does not fit fails).
    Narrow(String),
    /// An unsigned source field times a factor (`{ from = "reputation", mul = 100 }`).
    Scale {
        /// The source field.
        from: String,
        /// The factor.
        mul: u64,
    },
    /// The type's zero value (`{ default = true }`).
    Default,
    /// A struct built member by member.
    Struct(Vec<FieldPlan>),
}

/// The draft of one import field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FieldPlan {
    /// The import field.
    pub(super) name: String,
    /// How it is built.
    pub(super) how: How,
    /// A remark shown next to the rule (why this rule).
    pub(super) note: Option<String>,
    /// What the draft could not decide about it.
    pub(super) todo: Option<String>,
}

/// The draft of a whole import struct from one source.
#[derive(Debug, Clone)]
pub(super) struct Mapping {
    /// One plan per import field, in struct order.
    pub(super) fields: Vec<FieldPlan>,
    /// Source fields no import field uses.
    pub(super) unused: Vec<Field>,
    /// How well the source fits the import struct (higher is better).
    pub(super) score: u32,
}

impl Mapping {
    /// The source field an import field was drafted from by a rename, if it was.
    pub(super) fn renamed_from(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|p| p.name == field).and_then(|p| match &p.how {
            How::From(s) if !s.starts_with('$') => Some(s.as_str()),
            _ => None,
        })
    }
}

/// Drafts the mapping of `target` (an import struct) from `source`.
pub(super) fn plan(target: &[Field], source: &Source) -> Mapping {
    let mut cx = Planner { source, used: BTreeSet::new(), keys_used: BTreeSet::new(), score: 0 };
    let fields = cx.level(target, None);
    let unused = source.record.iter().filter(|f| !cx.used.contains(&f.name)).cloned().collect();
    Mapping { fields, unused, score: cx.score }
}

/// One way of drafting a field; `None` leaves it to the next.
type Pass<'a> = fn(&mut Planner<'a>, &Field, Option<&str>) -> Option<FieldPlan>;

struct Planner<'a> {
    source: &'a Source,
    /// Source fields already taken.
    used: BTreeSet<String>,
    /// Key parts already taken.
    keys_used: BTreeSet<usize>,
    score: u32,
}

impl Planner<'_> {
    /// Plans the fields of one struct level; `parent` names the struct field they belong to.
    fn level(&mut self, target: &[Field], parent: Option<&str>) -> Vec<FieldPlan> {
        let mut plans: Vec<Option<FieldPlan>> = vec![None; target.len()];
        let passes: [Pass<'_>; 5] =
            [Self::by_name, Self::narrowed, Self::unit_scaled, Self::index_or_key, Self::renamed];
        for pass in passes {
            for (slot, f) in plans.iter_mut().zip(target) {
                if slot.is_none() {
                    *slot = pass(self, f, parent);
                }
            }
        }
        for (slot, f) in plans.iter_mut().zip(target) {
            if slot.is_none()
                && let Some(members) = &f.members
            {
                let members = self.level(members, Some(&f.name));
                *slot = Some(plain(&f.name, How::Struct(members)));
            }
        }
        for (slot, f) in plans.iter_mut().zip(target) {
            if slot.is_none() {
                *slot = Some(self.key_by_type(f).unwrap_or_else(|| self.default(f)));
            }
        }
        plans.into_iter().flatten().collect()
    }

    /// The unused source fields (not `$` fields) of a type that fits `ty`.
    fn free_fitting(&self, ty: &DynSolType) -> Vec<&Field> {
        self.source
            .record
            .iter()
            .filter(|s| !self.used.contains(&s.name) && fits(&s.ty, ty))
            .collect()
    }

    fn take(&mut self, name: &str, points: u32) {
        self.used.insert(name.to_owned());
        self.score += points;
    }

    /// A source field of the same name and a type that fits.
    fn by_name(&mut self, f: &Field, parent: Option<&str>) -> Option<FieldPlan> {
        let s =
            self.source.record.iter().find(|s| s.name == f.name && !self.used.contains(&s.name))?;
        if !fits(&s.ty, &f.ty) {
            return None;
        }
        let name = s.name.clone();
        self.take(&name, 2);
        // Inside a struct table every member is written out.
        Some(plain(&f.name, if parent.is_some() { How::From(name) } else { How::ByName }))
    }

    /// A source field of the same name, a wider unsigned integer.
    fn narrowed(&mut self, f: &Field, _: Option<&str>) -> Option<FieldPlan> {
        let s =
            self.source.record.iter().find(|s| s.name == f.name && !self.used.contains(&s.name))?;
        let (DynSolType::Uint(from), DynSolType::Uint(to)) = (&s.ty, &f.ty) else { return None };
        let note = format!(
            "uint{from} narrowed to uint{to}: a value that does not fit fails for its record"
        );
        let name = s.name.clone();
        self.take(&name, 2);
        Some(noted(&f.name, How::Narrow(name), note))
    }

    /// A number in one unit from the same quantity in another ([`UNIT_SCALES`]): `xBps` from
    /// `x` or `xPercent`, `xWad` from `xBps` or `xPercent`.
    fn unit_scaled(&mut self, f: &Field, _: Option<&str>) -> Option<FieldPlan> {
        if !matches!(f.ty, DynSolType::Uint(_)) {
            return None;
        }
        let (stem, to) = unit_of(&f.name);
        if stem.is_empty() {
            return None;
        }
        let (s, scale) = self.source.record.iter().find_map(|s| {
            let (source_stem, from) = unit_of(&s.name);
            let scale = UNIT_SCALES.iter().find(|u| u.from == from && u.to == to)?;
            let free = !self.used.contains(&s.name) && matches!(s.ty, DynSolType::Uint(_));
            (free && source_stem == stem).then_some((s, scale))
        })?;
        let note = format!("`{}` read as {} -> {}", s.name, scale.from_text, scale.to_text);
        let name = s.name.clone();
        self.take(&name, 1);
        Some(noted(&f.name, How::Scale { from: name, mul: scale.mul }, note))
    }

    /// `$key...` for a field named after a key part; `$index` for an `id` or `index` field of
    /// an enumerated source.
    fn index_or_key(&mut self, f: &Field, _: Option<&str>) -> Option<FieldPlan> {
        let parts = self.source.key_parts();
        let named = (0..parts.len()).find(|&i| {
            !self.keys_used.contains(&i)
                && !parts[i].name.is_empty()
                && singular(&parts[i].name.to_lowercase()) == singular(&f.name.to_lowercase())
                && fits(&parts[i].ty, &f.ty)
        });
        if let Some(i) = named {
            self.keys_used.insert(i);
            self.score += 2;
            let note = format!("the mapping key (`{}`)", parts[i].name);
            return Some(noted(&f.name, How::From(self.source.key_ref(i)), note));
        }
        let ws = words(&f.name);
        let id_like = matches!(ws.last().map(String::as_str), Some("id" | "index"))
            && (ws.len() == 1 || ws[..ws.len() - 1].join(" ") == self.source.noun);
        if self.source.is_enumerable() && id_like && matches!(f.ty, DynSolType::Uint(_)) {
            self.score += 1;
            let note = format!("the record's index in V1 (`{}(i)`)", self.source.get.name);
            return Some(noted(&f.name, How::From("$index".into()), note));
        }
        None
    }

    /// The closest name of a compatible type among the unused source fields (a struct field's
    /// own name counts for its members: `payment.amount` from a `payment` number).
    fn renamed(&mut self, f: &Field, parent: Option<&str>) -> Option<FieldPlan> {
        let mut scored: Vec<(u8, String)> = self
            .free_fitting(&f.ty)
            .into_iter()
            .map(|s| {
                let score =
                    if Some(s.name.as_str()) == parent { 3 } else { closeness(&f.name, &s.name) };
                (score, s.name.clone())
            })
            .filter(|(score, _)| *score > 0)
            .collect();
        scored.sort_by_key(|s| std::cmp::Reverse(s.0));
        let (best, name) = scored.first()?.clone();
        if scored.get(1).is_some_and(|(s, _)| *s == best) {
            return None; // two candidates as close: the default pass asks which
        }
        self.take(&name, 1);
        let note = if Some(name.as_str()) == parent {
            format!("V1 kept `{name}` as one value")
        } else {
            format!("renamed from `{name}`")
        };
        Some(noted(&f.name, How::From(name), note))
    }

    /// A field with no source of its name, from the only key part of its type.
    fn key_by_type(&mut self, f: &Field) -> Option<FieldPlan> {
        let parts = self.source.key_parts();
        let fitting: Vec<usize> = (0..parts.len())
            .filter(|&i| !self.keys_used.contains(&i) && parts[i].ty == f.ty)
            .collect();
        let [i] = fitting.as_slice() else { return None };
        self.keys_used.insert(*i);
        let key = self.source.key_ref(*i);
        let part = if parts[*i].name.is_empty() {
            String::new()
        } else {
            format!(" (`{}`)", parts[*i].name)
        };
        let mut plan = plain(&f.name, How::From(key));
        plan.todo = Some(format!(
            "`{}` has no V1 field of its name; taken from the mapping key{part}, the only key part of type {}: is that it?",
            f.name, f.ty
        ));
        Some(plan)
    }

    /// The zero value: a new field; a question when V1 fields that would fit are left over or
    /// a field of the same name has another type.
    fn default(&self, f: &Field) -> FieldPlan {
        let mut plan =
            noted(&f.name, How::Default, "new in V2, no V1 field: its zero value".into());
        if let Some(s) = self.source.record.iter().find(|s| s.name == f.name) {
            plan.todo = Some(format!(
                "V1 `{}` is {} but V2 `{}` is {}: map it (a rule of docs/manifest.md) or keep the zero value",
                s.name, s.ty, f.name, f.ty
            ));
            return plan;
        }
        let free: Vec<String> =
            self.free_fitting(&f.ty).iter().map(|s| format!("`{}`", s.name)).collect();
        if !free.is_empty() {
            plan.todo = Some(format!(
                "`{}` ({}) has no V1 field of its name; unused V1 fields that fit: {}. Map one (`{} = \"{}\"`) or keep the zero value",
                f.name,
                f.ty,
                free.join(", "),
                f.name,
                free[0].trim_matches('`')
            ));
        }
        plan
    }
}

/// How a number in one unit becomes the same quantity in another, exactly.
struct UnitScale {
    /// The source's unit suffix (`""`: none, read as a percentage).
    from: &'static str,
    /// The target's unit suffix.
    to: &'static str,
    /// The factor.
    mul: u64,
    /// The units, as the note next to the rule names them.
    from_text: &'static str,
    to_text: &'static str,
}

const PERCENT: &str = "a percentage (0..100)";
const BPS: &str = "basis points (0..10000)";
const WAD: &str = "WAD (1e18 = 100 %)";

/// The unit changes drafted as `{ from, mul }`: a percentage or basis points into basis
/// points or WAD fractions.
const UNIT_SCALES: &[UnitScale] = &[
    UnitScale { from: "", to: "bps", mul: 100, from_text: PERCENT, to_text: "basis points" },
    UnitScale { from: "percent", to: "bps", mul: 100, from_text: PERCENT, to_text: "basis points" },
    UnitScale { from: "bps", to: "wad", mul: 100_000_000_000_000, from_text: BPS, to_text: WAD },
    UnitScale {
        from: "percent",
        to: "wad",
        mul: 10_000_000_000_000_000,
        from_text: PERCENT,
        to_text: WAD,
    },
];

/// A field name's words before its unit suffix, and the unit (`bps`, `wad`, `percent`; `pct`
/// reads as `percent`; `""` without one): `rateBps` → (`rate`, `bps`).
fn unit_of(name: &str) -> (Vec<String>, &'static str) {
    let mut ws = words(name);
    let unit = match ws.last().map(String::as_str) {
        Some("bps") => "bps",
        Some("wad") => "wad",
        Some("percent" | "pct") => "percent",
        _ => return (ws, ""),
    };
    ws.pop();
    (ws, unit)
}

fn plain(name: &str, how: How) -> FieldPlan {
    FieldPlan { name: name.into(), how, note: None, todo: None }
}

fn noted(name: &str, how: How, note: String) -> FieldPlan {
    FieldPlan { name: name.into(), how, note: Some(note), todo: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_unit_suffixes() {
        assert_eq!(unit_of("rateBps"), (vec!["rate".to_owned()], "bps"));
        assert_eq!(unit_of("rateWad"), (vec!["rate".to_owned()], "wad"));
        assert_eq!(unit_of("ltvPct"), (vec!["ltv".to_owned()], "percent"));
        assert_eq!(unit_of("borrowCap"), (vec!["borrow".to_owned(), "cap".to_owned()], ""));
    }

    #[test]
    fn unit_scales_are_exact_powers_of_ten() {
        let mul = |from: &str, to: &str| {
            UNIT_SCALES.iter().find(|u| u.from == from && u.to == to).map(|u| u.mul)
        };
        assert_eq!(mul("percent", "bps"), Some(100));
        assert_eq!(mul("bps", "wad"), Some(10u64.pow(14)));
        assert_eq!(mul("percent", "wad"), Some(10u64.pow(16)));
        // A plain number is read as a percentage into basis points only, never as WAD.
        assert_eq!(mul("", "bps"), Some(100));
        assert_eq!(mul("", "wad"), None);
        assert_eq!(mul("wad", "bps"), None);
    }
}
