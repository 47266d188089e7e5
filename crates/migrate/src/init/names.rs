//! Names as `molt init` reads them: camelCase words, the noun a function is about
//! (`getTotalNodes` → `node`), how close two field names are, and the manifest's names for
//! contracts.

/// The lowercase words of an identifier: camelCase, PascalCase, snake_case and SCREAMING_CASE
/// (`getNodeAt` → `get node at`, `NodeRegistryV1` → `node registry v1`, `MIN_STAKE` →
/// `min stake`). Digits stay with the word before them.
pub(super) fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '$' || c == '.' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A word in the singular, as far as English plurals of identifiers go (`nodes` → `node`,
/// `entries` → `entry`, `status` stays).
pub(super) fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies").filter(|s| s.len() > 1) {
        return format!("{stem}y");
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") || word.len() <= 3 {
        return word.to_owned();
    }
    word.strip_suffix('s').unwrap_or(word).to_owned()
}

/// Words that say how a function reads or writes records, not which records.
const VERBS: &[&str] = &[
    "get",
    "total",
    "count",
    "num",
    "number",
    "of",
    "at",
    "by",
    "index",
    "length",
    "len",
    "all",
    "list",
    "batch",
    "migrate",
    "import",
    "imported",
    "historical",
    "bulk",
    "set",
    "add",
    "load",
    "restore",
    "many",
    "for",
    "read",
    "fetch",
];

/// What a function is about, in the singular: `getTotalNodes`, `getNodeAt`, `nodeCount`,
/// `batchMigrateNodes` → `node`; `importHistoricalJobs` → `job`; `reserves` → `reserve`.
pub(super) fn noun(name: &str) -> String {
    let ws: Vec<String> = words(name)
        .into_iter()
        .filter(|w| !VERBS.contains(&w.as_str()))
        .map(|w| singular(&w))
        .collect();
    ws.join(" ")
}

/// Whether two nouns name the same records: equal, or one's words end the other's
/// (`deposit` and `user deposit`).
pub(super) fn same_noun(a: &str, b: &str) -> bool {
    !a.is_empty()
        && !b.is_empty()
        && (a == b || a.ends_with(&format!(" {b}")) || b.ends_with(&format!(" {a}")))
}

/// How close a target field's name is to a source field's: 2 when the words of one are among
/// the other's (`host` and `assignedHost`, `at` and `claimedAt`), 1 when the names are a
/// small edit apart (a typo or a different spelling; names of five letters or more), 0
/// otherwise.
pub(super) fn closeness(target: &str, source: &str) -> u8 {
    let t: Vec<String> = words(target).iter().map(|w| singular(w)).collect();
    let s: Vec<String> = words(source).iter().map(|w| singular(w)).collect();
    if t.is_empty() || s.is_empty() {
        return 0;
    }
    if t.iter().all(|w| s.contains(w)) || s.iter().all(|w| t.contains(w)) {
        return 2;
    }
    // Short names are a small edit apart by chance (`id`, `at`).
    let (a, b) = (target.to_lowercase(), source.to_lowercase());
    let shortest = a.len().min(b.len());
    u8::from(shortest >= 5 && crate::spelling::edit_distance(&a, &b) <= 2.max(shortest / 4))
}

/// A contract name without its version suffix, and the version: `NodeRegistryV1` →
/// (`NodeRegistry`, `Some("1")`), `Vault_v2` → (`Vault`, `Some("2")`), `Pool` → (`Pool`, None).
pub(super) fn split_version(name: &str) -> (&str, Option<&str>) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return (name, None);
    }
    let head = &name[..name.len() - digits];
    match head.strip_suffix(['V', 'v']) {
        Some(base) if !base.is_empty() => {
            (base.strip_suffix('_').unwrap_or(base), Some(&name[name.len() - digits..]))
        }
        _ => (name, None),
    }
}

/// The manifest's name for a contract: the last word of its name and its version
/// (`NodeRegistryV1` → `registry_v1`, `LendingPoolV2` → `pool_v2`); `long` gives every word
/// (`node_registry_v1`), for when two contracts would share a short name. Without a version
/// suffix, `old` or `new` says which side it is on.
pub(super) fn contract_name(name: &str, old: bool, long: bool) -> String {
    let (base, version) = split_version(name);
    let ws = words(base);
    let stem =
        if long { ws.join("_") } else { ws.last().cloned().unwrap_or_else(|| "contract".into()) };
    match version {
        Some(v) => format!("{stem}_v{v}"),
        None => format!("{stem}_{}", if old { "old" } else { "new" }),
    }
}

/// `kebab-case` of a manifest name or identifier (`registry_v2` → `registry-v2`).
pub(super) fn kebab(name: &str) -> String {
    words(name).join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_identifiers_into_words() {
        assert_eq!(words("getNodeAt"), ["get", "node", "at"]);
        assert_eq!(words("NodeRegistryV1"), ["node", "registry", "v1"]);
        assert_eq!(words("MIN_STAKE"), ["min", "stake"]);
        assert_eq!(words("reputationBps"), ["reputation", "bps"]);
        assert_eq!(words("ERC20Token"), ["erc20", "token"]);
        assert_eq!(words("$key.0"), ["key", "0"]);
    }

    #[test]
    fn finds_what_a_function_is_about() {
        for (f, n) in [
            ("getTotalNodes", "node"),
            ("getNodeAt", "node"),
            ("nodeCount", "node"),
            ("batchMigrateNodes", "node"),
            ("importHistoricalJobs", "job"),
            ("getBalanceCount", "balance"),
            ("reserves", "reserve"),
            ("importEntries", "entry"),
            ("status", "status"),
        ] {
            assert_eq!(noun(f), n, "{f}");
        }
        assert!(same_noun("deposit", "user deposit"));
        assert!(!same_noun("node", "job"));
    }

    #[test]
    fn rates_how_close_two_field_names_are() {
        assert_eq!(closeness("host", "assignedHost"), 2);
        assert_eq!(closeness("claimedAt", "at"), 2);
        assert_eq!(closeness("reciever", "receiver"), 1);
        assert_eq!(closeness("host", "renter"), 0);
    }

    #[test]
    fn names_contracts_by_their_last_word_and_version() {
        assert_eq!(split_version("NodeRegistryV1"), ("NodeRegistry", Some("1")));
        assert_eq!(split_version("Vault_v2"), ("Vault", Some("2")));
        assert_eq!(split_version("ERC20"), ("ERC20", None));
        assert_eq!(contract_name("NodeRegistryV1", true, false), "registry_v1");
        assert_eq!(contract_name("NodeRegistryV2", false, true), "node_registry_v2");
        assert_eq!(contract_name("Pool", true, false), "pool_old");
        assert_eq!(kebab("registry_v2"), "registry-v2");
    }
}
