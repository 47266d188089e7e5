use std::{
    collections::BTreeMap,
    fmt::Debug,
    path::{Path, PathBuf},
};

use super::*;
use crate::{Manifest, manifest::Rule};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Foundry artifacts of `forge build`, by contract name.
fn artifacts(names: &[&str]) -> Vec<Artifact> {
    let paths: Vec<PathBuf> =
        names.iter().map(|n| repo().join(format!("out/{n}.sol/{n}.json"))).collect();
    load_artifacts(&paths).expect("the contracts are built (forge build)")
}

const FABSTIR_V1: [&str; 3] = ["NodeRegistryV1", "JobMarketplaceV1", "PaymentEscrowV1"];
const FABSTIR_V2: [&str; 3] = ["NodeRegistryV2", "JobMarketplaceV2", "PaymentEscrowV2"];

/// The Fabstir draft, as if written to `fixtures/manifests/`.
fn fabstir_draft() -> (PathBuf, String) {
    let out = repo().join("fixtures/manifests");
    let d = draft(&artifacts(&FABSTIR_V1), &artifacts(&FABSTIR_V2), &out).unwrap();
    (out.join("draft.toml"), d.render())
}

/// What a reviewer who accepts every proposal does: each placeholder address replaced by the
/// fixture's address of the same contract, then every `TODO(molt)` comment deleted.
fn accept_all(text: &str, fixture: &Manifest) -> String {
    let real_address = |line: &str| {
        let artifact = line.split("abi = \"").nth(1)?.split('"').next()?;
        let stem = Path::new(artifact).file_stem()?.to_str()?.to_owned();
        let real = fixture.contracts.values().find(|c| file_stem(&c.abi_path) == stem)?;
        let placeholder = line.split("address = \"").nth(1)?.split('"').next()?;
        Some(line.replace(placeholder, &real.address.to_checksum(None)))
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with(&format!("# {TODO_MARKER}")))
        .map(|l| {
            let l = l.split(&format!("# {TODO_MARKER}")).next().unwrap().trim_end();
            if l.contains("address = \"0x") { real_address(l).unwrap() } else { l.to_owned() }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn file_stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Two manifests compared component by component, by what they do: contracts are identified
/// by their artifact, components by their source and target functions, funds by their call.
/// Names (of contracts, components, checks, funds) and check messages are words, not
/// behaviour: they are listed apart.
#[derive(Debug, Default)]
struct Comparison {
    /// What differs in behaviour, one item per differing setting.
    items: Vec<String>,
    /// Names that differ.
    names: Vec<String>,
}

impl Comparison {
    fn of(a: &Manifest, b: &Manifest) -> Self {
        let mut c = Self::default();
        c.same(
            "network",
            &(a.network.chain_id, a.network.confirmations, &a.network.rpc_url),
            &(b.network.chain_id, b.network.confirmations, &b.network.rpc_url),
        );
        c.same("batch", &a.batch, &b.batch);
        let art = |m: &Manifest, name: &str| file_stem(&m.contracts[name].abi_path);
        let contracts = |m: &Manifest| -> BTreeMap<String, (String, alloy::primitives::Address)> {
            m.contracts
                .values()
                .map(|x| (file_stem(&x.abi_path), (x.name.clone(), x.address)))
                .collect()
        };
        let (ca, cb) = (contracts(a), contracts(b));
        c.same("contracts", &ca.keys().collect::<Vec<_>>(), &cb.keys().collect::<Vec<_>>());
        for (k, (name, address)) in &ca {
            if let Some((other, other_address)) = cb.get(k) {
                c.same(&format!("address of {k}"), address, other_address);
                c.name(&format!("contract {k}"), name, other);
            }
        }
        // Pauses all happen before the snapshot and finalize calls after verification: their
        // order does not change what the run does.
        let pauses = |m: &Manifest| -> Vec<(String, String, String)> {
            let mut v: Vec<_> = m
                .pause
                .iter()
                .map(|p| (art(m, &p.contract), p.call.signature(), p.paused.signature()))
                .collect();
            v.sort();
            v
        };
        c.same("pauses", &pauses(a), &pauses(b));
        c.checks(a, b);
        c.components(a, b);
        c.funds(a, b);
        let finalize = |m: &Manifest| -> Vec<(String, String, String)> {
            let mut v: Vec<_> = m
                .finalize
                .iter()
                .map(|f| (art(m, &f.contract), f.function.signature(), format!("{:?}", f.args)))
                .collect();
            v.sort();
            v
        };
        c.same("finalize", &finalize(a), &finalize(b));
        c
    }

    fn same<T: PartialEq + Debug + ?Sized>(&mut self, what: &str, a: &T, b: &T) {
        if a != b {
            self.items.push(format!("{what}: {a:?} vs {b:?}"));
        }
    }

    fn name(&mut self, what: &str, a: &str, b: &str) {
        if a != b {
            self.names.push(format!("{what}: `{a}` vs `{b}`"));
        }
    }

    fn checks(&mut self, a: &Manifest, b: &Manifest) {
        let key = |m: &Manifest, x: &crate::manifest::Check| {
            (
                file_stem(&m.contracts[&x.contract].abi_path),
                x.function.signature(),
                format!("{:?}", x.expect),
            )
        };
        let (ka, kb): (Vec<_>, Vec<_>) = (
            a.checks.iter().map(|x| key(a, x)).collect(),
            b.checks.iter().map(|x| key(b, x)).collect(),
        );
        for k in ka.iter().filter(|k| !kb.contains(k)) {
            self.items.push(format!("check {k:?} only in the first"));
        }
        for k in kb.iter().filter(|k| !ka.contains(k)) {
            self.items.push(format!("check {k:?} only in the second"));
        }
        for x in &a.checks {
            if let Some(y) = b.checks.iter().find(|y| key(b, y) == key(a, x)) {
                self.name(&format!("check {}", x.function.name), &x.name, &y.name);
            }
        }
    }

    /// A component's identity: its source getter and its import, by artifact.
    fn identity(m: &Manifest, name: &str) -> String {
        let c = m.component(name).unwrap();
        let art = |contract: &str| file_stem(&m.contracts[contract].abi_path);
        format!(
            "{}.{} -> {}.{}",
            art(&c.source.contract),
            c.source.get.signature(),
            art(&c.target.contract),
            c.target.import.signature()
        )
    }

    fn components(&mut self, a: &Manifest, b: &Manifest) {
        let ids = |m: &Manifest| {
            m.components.iter().map(|c| Self::identity(m, &c.name)).collect::<Vec<_>>()
        };
        let (ia, ib) = (ids(a), ids(b));
        for (x, id) in a.components.iter().zip(&ia) {
            let Some(j) = ib.iter().position(|i| i == id) else {
                self.items.push(format!("component {id} only in the first"));
                continue;
            };
            let y = &b.components[j];
            let at = |what: &str| format!("component {}: {what}", x.name);
            self.name(&format!("component {id}"), &x.name, &y.name);
            let records = |c: &crate::manifest::Component| match &c.source.records {
                crate::manifest::Records::Enumerated { count, first } => {
                    format!("count {} from {first}", count.signature())
                }
                crate::manifest::Records::Keyed(k) => format!("keys {:?}", k.origin),
            };
            self.same(&at("records"), &records(x), &records(y));
            self.same(&at("key"), &x.key, &y.key);
            self.same(&at("filter"), &x.filter, &y.filter);
            for (i, (rx, ry)) in x.mapping.iter().zip(&y.mapping).enumerate() {
                self.same(&at(&format!("map.{}", x.target.record.names[i])), rx, ry);
            }
            let deps = |m: &Manifest, c: &crate::manifest::Component| {
                c.depends_on.iter().map(|d| Self::identity(m, d)).collect::<Vec<_>>()
            };
            self.same(&at("depends_on"), &deps(a, x), &deps(b, y));
            let (vx, vy) = (&x.verify, &y.verify);
            self.same(&at("verify.get"), &vx.get.signature(), &vy.get.signature());
            self.same(&at("verify.args"), &vx.args, &vy.args);
            self.same(&at("verify.map"), &vx.readback, &vy.readback);
            let sig = |f: &Option<alloy::json_abi::Function>| f.as_ref().map(|f| f.signature());
            self.same(&at("verify.digest"), &sig(&vx.digest), &sig(&vy.digest));
            self.same(&at("verify.count"), &sig(&vx.count), &sig(&vy.count));
        }
        for id in ib.iter().filter(|i| !ia.contains(i)) {
            self.items.push(format!("component {id} only in the second"));
        }
        let common = |xs: &[String], ys: &[String]| {
            xs.iter().filter(|x| ys.contains(x)).cloned().collect::<Vec<_>>()
        };
        self.same("component order", &common(&ia, &ib), &common(&ib, &ia));
    }

    fn funds(&mut self, a: &Manifest, b: &Manifest) {
        let art = |m: &Manifest, contract: &str| file_stem(&m.contracts[contract].abi_path);
        let id = |m: &Manifest, f: &crate::manifest::Funds| {
            format!("{}.{}", art(m, &f.from), f.call.function.signature())
        };
        let tokens = |m: &Manifest, f: &crate::manifest::Funds| match &f.tokens {
            crate::manifest::Tokens::FromComponent { component, field } => {
                format!("{} field {field}", Self::identity(m, component))
            }
            other => format!("{other:?}"),
        };
        for x in &a.funds {
            let Some(y) = b.funds.iter().find(|y| id(b, y) == id(a, x)) else {
                self.items.push(format!("funds {} only in the first", id(a, x)));
                continue;
            };
            let at = |what: &str| format!("funds {}: {what}", x.name);
            self.name(&format!("funds {}", id(a, x)), &x.name, &y.name);
            self.same(&at("to"), &art(a, &x.to), &art(b, &y.to));
            self.same(&at("tokens"), &tokens(a, x), &tokens(b, y));
            self.same(&at("call.args"), &x.call.args, &y.call.args);
            let credit = |m: &Manifest, f: &crate::manifest::Funds| {
                let c = &f.credited_by;
                (Self::identity(m, &c.component), c.amount, format!("{:?}", c.token))
            };
            self.same(&at("credited_by"), &credit(a, x), &credit(b, y));
        }
        for y in b.funds.iter().filter(|y| !a.funds.iter().any(|x| id(a, x) == id(b, y))) {
            self.items.push(format!("funds {} only in the second", id(b, y)));
        }
    }
}

#[test]
fn the_fabstir_draft_needs_one_edit_to_equal_the_fixture() {
    let fixture = Manifest::load(repo().join("fixtures/manifests/fabstir.toml")).unwrap();
    let (path, text) = fabstir_draft();
    // As drafted, it does not load: every TODO must be decided first.
    let err = Manifest::parse(&path, &text).unwrap_err().to_string();
    assert!(err.contains("draft.toml:16:") && err.contains("unresolved `TODO(molt)`"), "{err}");
    let todos = todos(&text);
    assert_eq!(todos.len(), 7, "{todos:#?}");

    let accepted = accept_all(&text, &fixture);
    let draft = Manifest::parse(&path, &accepted).unwrap_or_else(|e| panic!("{e}\n{accepted}"));
    let diff = Comparison::of(&draft, &fixture);
    // The one decision the ABIs cannot tell: only completed jobs are history worth keeping.
    assert_eq!(
        diff.items,
        ["component jobs: filter: [] vs [Predicate { field: 6, test: OneOf([Uint(2, 8)]) }]"]
    );
    assert_eq!(
        diff.names,
        [
            "contract JobMarketplaceV1: `marketplace_v1` vs `jobs_v1`",
            "contract JobMarketplaceV2: `marketplace_v2` vs `jobs_v2`",
            "check migrating: `marketplace-v2-migrating` vs `jobs-v2-migrating`",
        ]
    );
}

/// The lending draft (contracts/src/lending), as if written to `fixtures/manifests/`.
fn lending_draft() -> (PathBuf, String) {
    let out = repo().join("fixtures/manifests");
    let d = draft(&artifacts(&["LendingPoolV1"]), &artifacts(&["LendingPoolV2"]), &out).unwrap();
    (out.join("draft.toml"), d.render())
}

#[test]
fn the_lending_draft_needs_one_edit_to_equal_the_fixture() {
    let fixture = Manifest::load(repo().join("fixtures/manifests/lending.toml")).unwrap();
    let (path, text) = lending_draft();
    let todos = todos(&text);
    assert_eq!(todos.len(), 7, "{todos:#?}");

    let token = "0x0000000000000000000000000000000000000003";
    let accepted = accept_all(&text, &fixture).replace("TODO: token address", token);
    let draft = Manifest::parse(&path, &accepted).unwrap_or_else(|e| panic!("{e}\n{accepted}"));
    let diff = Comparison::of(&draft, &fixture);
    // The one decision the ABIs cannot tell: V1's `since` is V2's `depositedAt`.
    assert_eq!(diff.items.len(), 2, "{:#?}", diff.items);
    assert!(diff.items[0].starts_with("component accounts: map.depositedAt:"), "{diff:?}");
    // The draft lists `accounts` first; `loans` waits for `reserves` in both.
    assert!(diff.items[1].starts_with("component order"), "{diff:?}");

    let edited = accepted
        .replace("map.depositedAt = { default = true }", "map.depositedAt = \"since\"")
        .replace("drop = [\"since\"]\n", "");
    let draft = Manifest::parse(&path, &edited).unwrap_or_else(|e| panic!("{e}\n{edited}"));
    let diff = Comparison::of(&draft, &fixture);
    assert_eq!(diff.items.len(), 1, "{:#?}", diff.items);
    assert!(diff.names.is_empty(), "{:#?}", diff.names);
}

#[test]
fn units_counts_and_references_to_other_records_are_drafted_from_names() {
    let text = lending_draft().1;
    let reserves = block(&text, "name = \"reserves\"");
    let loans = block(&text, "name = \"loans\"");
    // Basis points into WAD, in both record sets; `rateBps` is used, not dropped.
    for c in [reserves, loans] {
        let line = c.lines().find(|l| l.starts_with("map.rateWad = ")).unwrap_or_default();
        assert!(
            line.starts_with("map.rateWad = { from = \"rateBps\", mul = 100000000000000 } "),
            "{c}"
        );
        assert!(
            line.ends_with("# `rateBps` read as basis points (0..10000) -> WAD (1e18 = 100 %)"),
            "{c}"
        );
        assert!(!c.contains("drop = "), "{c}");
    }
    // No V1 field is left for `borrowCap`: its zero value is no question.
    assert!(reserves.contains("map.borrowCap = { default = true }"), "{reserves}");
    assert!(!reserves.contains("TODO"), "{reserves}");
    has_lines(
        &text,
        &[
            r#"verify = { get = "getReserve", args = ["id"], digest = "reservesDigest", count = "reservesImported" }"#,
            r#"verify = { get = "accountOf", args = ["user"], digest = "accountsDigest", count = "accountsImported" }"#,
            r#"verify = { get = "loanOf", args = ["borrower", "reserveId"], digest = "loansDigest", count = "loansImported" }"#,
        ],
    );
    // A loan's `reserveId` names a reserve: reserves migrate first, and that is no question.
    has_lines(
        loans,
        &[
            "depends_on = [\"reserves\"]   # `reserveId` names a record of `reserves`: those are migrated first",
        ],
    );
    assert!(!text.contains("depends_on = [\"loans\"]"), "{text}");
}

#[test]
fn the_comparison_finds_every_kind_of_difference() {
    // The fixture against itself with a few behaviours changed, one item each.
    let (path, text) = (
        repo().join("fixtures/manifests/fabstir.toml"),
        std::fs::read_to_string(repo().join("fixtures/manifests/fabstir.toml")).unwrap(),
    );
    let fixture = Manifest::parse(&path, &text).unwrap();
    assert!(Comparison::of(&fixture, &fixture).items.is_empty());
    let edited = text
        .replace("mul = 100 }", "mul = 10 }")
        .replace(
            "map.host = \"assignedHost\"\n",
            "map.host = \"renter\"\ndrop = [\"assignedHost\"]\n",
        )
        .replace("drop = [\"status\"]", "")
        .replace("[\"$to\"]", "[\"@registry_v2\"]");
    let edited =
        edited.replace("drop = [\"assignedHost\"]\n", "drop = [\"assignedHost\", \"status\"]\n");
    let other = Manifest::parse(&path, &edited).unwrap_or_else(|e| panic!("{e}"));
    let diff = Comparison::of(&other, &fixture);
    assert_eq!(diff.items.len(), 3, "{:#?}", diff.items);
    assert!(diff.items[0].starts_with("component nodes: map.reputationBps"), "{:#?}", diff.items);
    assert!(diff.items[1].starts_with("component jobs: map.host"), "{:#?}", diff.items);
    assert!(diff.items[2].starts_with("funds stakes: call.args"), "{:#?}", diff.items);
}

/// The draft of the staking-vault fixture (contracts/test/fixtures/init): positions in a
/// mapping keyed by `Staked` logs, epochs in an array, claims keyed by (user, epoch) from
/// `Claimed` logs, one ERC-20, a digest per record set.
fn vault_draft() -> String {
    let out = repo().join("fixtures/manifests");
    draft(&artifacts(&["StakingVaultV1"]), &artifacts(&["StakingVaultV2"]), &out).unwrap().render()
}

/// Asserts that every line of `want` is a line of `text`.
fn has_lines(text: &str, want: &[&str]) {
    for w in want {
        assert!(text.lines().any(|l| l == *w), "no line `{w}` in:\n{text}");
    }
}

/// The block of `text` that starts at the line `start` and ends before the next blank line.
fn block<'a>(text: &'a str, start: &str) -> &'a str {
    let at = text.find(start).unwrap_or_else(|| panic!("no `{start}` in:\n{text}"));
    let rest = &text[at..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

#[test]
fn mappings_keyed_by_events_become_keyed_sources_with_key_and_filter() {
    let text = vault_draft();
    let positions = block(&text, "name = \"positions\"");
    has_lines(
        positions,
        &[
            r#"source = { contract = "vault_v1", get = "positions(address)", keys = { event = "Staked(address indexed user, uint256 amount)", arg = "user", from_block = 0 } }"#,
            r#"target = { contract = "vault_v2", import = "importPositions" }"#,
            r#"key = "user""#,
            r#"filter = { field = "amount", nonzero = true }"#,
            r#"# copied by name: amount, since"#,
            r#"verify = { get = "positionOf", args = ["user"], digest = "positionsDigest", count = "positionsCount" }"#,
        ],
    );
    // The V2 `user` is the mapping's key; a uint8 percentage becomes a uint16 in basis points.
    assert!(positions.contains("map.user = \"$key\" "), "{positions}");
    assert!(positions.contains("map.boostBps = { from = \"boost\", mul = 100 }"), "{positions}");
    assert!(positions.contains("map.lockedUntil = { default = true }"), "{positions}");
    // Unstaked logs would name the same keys: the event that creates a position is chosen.
    assert!(!positions.contains("Unstaked"), "{positions}");
    // Deleted entries read as zeros: the filter is a question, not a silent choice.
    assert!(positions.contains("# TODO(molt): keys come from every `Staked` log"), "{positions}");
}

#[test]
fn nested_mappings_take_composite_keys_from_two_event_arguments() {
    let text = vault_draft();
    let claims = block(&text, "name = \"claims\"");
    has_lines(
        claims,
        &[
            r#"source = { contract = "vault_v1", get = "claims(address,uint256)", keys = { event = "Claimed(address indexed user, uint256 indexed epoch, uint256 amount)", args = ["user", "epoch"], from_block = 0 } }"#,
            r#"key = ["user", "epoch"]"#,
            r#"verify = { get = "claimOf", args = ["user", "epoch"], digest = "claimsDigest", count = "claimsCount" }"#,
        ],
    );
    assert!(claims.contains("map.user = \"$key.0\""), "{claims}");
    assert!(claims.contains("map.epoch = \"$key.1\""), "{claims}");
    assert!(claims.contains("map.claimedAt = \"at\""), "{claims}");
}

#[test]
fn an_array_with_a_count_is_enumerated_and_its_index_becomes_the_id() {
    let text = vault_draft();
    let epochs = block(&text, "name = \"epochs\"");
    has_lines(
        epochs,
        &[
            r#"source = { contract = "vault_v1", count = "epochCount", get = "epochs" }"#,
            r#"key = "id""#,
            r#"verify = { get = "getEpoch", args = ["id"], digest = "epochsDigest", count = "epochsCount" }"#,
        ],
    );
    assert!(epochs.contains("map.id = \"$index\""), "{epochs}");
    assert!(!epochs.contains("TODO"), "{epochs}");
}

#[test]
fn one_erc20_held_by_v1_is_a_question_with_the_getter_that_names_it() {
    let text = vault_draft();
    let funds = block(&text, "[[funds]]");
    has_lines(
        funds,
        &[
            r#"from = "vault_v1""#,
            r#"to = "vault_v2""#,
            r#"call = { function = "migrateTokens", args = ["$to"] }"#,
            "# TODO(molt): `StakingVaultV1` takes no ETH: the address of the ERC-20 it holds (V1's `stakingToken()` returns it)",
        ],
    );
    // Until it is answered, the token is not a valid address: the loader refuses it.
    assert!(funds.contains("tokens = \"TODO: token address\""), "{funds}");
    // Two components credit an `amount`: which one the funds back is asked.
    assert!(funds.contains("`positions.amount` would fit too: which one?"), "{funds}");
    has_lines(&text, &["[[pause]]", "contract = \"vault_v1\"", "function = \"finalizeMigration\""]);
}

#[test]
fn the_vault_draft_is_valid_toml_and_every_todo_is_listed() {
    let text = vault_draft();
    let parsed: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(parsed["component"].as_array().unwrap().len(), 3);
    let todos = todos(&text);
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(TODO_MARKER))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(todos.iter().map(|t| t.line).collect::<Vec<_>>(), lines);
    assert_eq!(todos.len(), 6, "{todos:#?}");
    assert!(text.contains("The 6 lines marked TODO below"), "{text}");
}

#[test]
fn folders_of_artifacts_draft_the_same_manifest_as_the_files() {
    // Foundry's layout: <File>.sol/<Contract>.json, with interfaces, abstract contracts, test
    // contracts and build info around them, which are skipped.
    let tmp = tempfile::tempdir().unwrap();
    let copy = |names: &[&str], dir: &Path| {
        for n in names {
            let to = dir.join(format!("{n}.sol"));
            std::fs::create_dir_all(&to).unwrap();
            std::fs::copy(
                repo().join(format!("out/{n}.sol/{n}.json")),
                to.join(format!("{n}.json")),
            )
            .unwrap();
        }
    };
    let (v1, v2) = (tmp.path().join("v1"), tmp.path().join("v2"));
    copy(&FABSTIR_V1, &v1);
    copy(&["IERC20", "Ownable"], &v1);
    copy(&FABSTIR_V2, &v2);
    copy(&["MigrationPhase"], &v2);
    let t = v1.join("NodeRegistryV1.t.sol");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::copy(
        repo().join("out/NodeRegistryV1.sol/NodeRegistryV1.json"),
        t.join("NodeRegistryV1Test.json"),
    )
    .unwrap();
    std::fs::create_dir_all(v1.join("build-info")).unwrap();
    std::fs::write(v1.join("build-info/x.json"), "{\"id\": 1}").unwrap();

    let old = load_artifacts(std::slice::from_ref(&v1)).unwrap();
    let new = load_artifacts(std::slice::from_ref(&v2)).unwrap();
    let names = |a: &[Artifact]| a.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&old), ["JobMarketplaceV1", "NodeRegistryV1", "PaymentEscrowV1"]);
    assert_eq!(names(&new), ["JobMarketplaceV2", "NodeRegistryV2", "PaymentEscrowV2"]);

    let from_folders = draft(&old, &new, tmp.path()).unwrap().render();
    assert!(
        from_folders.contains("abi = \"v1/NodeRegistryV1.sol/NodeRegistryV1.json\""),
        "{from_folders}"
    );
    let fixture = Manifest::load(repo().join("fixtures/manifests/fabstir.toml")).unwrap();
    let loaded =
        Manifest::parse(&tmp.path().join("molt.toml"), &accept_all(&from_folders, &fixture))
            .unwrap();
    let diff = Comparison::of(&loaded, &fixture);
    // The same single edit; the folder lists the contracts alphabetically, so jobs come first.
    assert_eq!(diff.items.len(), 2, "{:#?}", diff.items);
    assert!(diff.items[0].starts_with("component jobs: filter"), "{:#?}", diff.items);
    assert!(diff.items[1].starts_with("component order"), "{:#?}", diff.items);
}

#[test]
fn an_import_without_a_v1_source_and_a_v1_without_pause_are_questions() {
    // The escrow's V2 without its V1: no getter returns deposits.
    let old = artifacts(&["NodeRegistryV1"]);
    let new = artifacts(&["NodeRegistryV2", "PaymentEscrowV2"]);
    let text = draft(&old, &new, &repo()).unwrap().render();
    let deposits = block(&text, "name = \"deposits\"");
    assert!(
        deposits.contains(
            "# TODO(molt): no V1 getter returns records like the struct `migrateDeposits` takes"
        ),
        "{deposits}"
    );
    assert!(deposits.contains("source = { contract = \"TODO\""), "{deposits}");
    // The token contract has no pause: asked, not skipped silently.
    let old = artifacts(&["TestToken", "NodeRegistryV1"]);
    let text = draft(&old, &artifacts(&["NodeRegistryV2"]), &repo()).unwrap().render();
    assert!(
        text.contains(
            "# Not used by this draft (no V1 records or funds paired with them): TestToken."
        ),
        "{text}"
    );
}

#[test]
fn inputs_that_cannot_be_drafted_are_refused_with_the_reason() {
    let v1 = artifacts(&["NodeRegistryV1"]);
    let err = draft(&v1, &artifacts(&["NodeRegistryV1"]), &repo()).unwrap_err().to_string();
    assert!(err.contains("is given both as an old (V1) and as a new (V2) contract"), "{err}");
    let err = draft(&v1, &artifacts(&["TestToken"]), &repo()).unwrap_err().to_string();
    assert!(
        err.contains("none of the new contracts (TestToken) has a batch import function"),
        "{err}"
    );
    let empty = tempfile::tempdir().unwrap();
    let err = load_artifacts(&[empty.path().to_path_buf()]).unwrap_err().to_string();
    assert!(err.contains("holds no contract artifact"), "{err}");
    let err =
        load_artifacts(&[repo().join("out/Missing.sol/Missing.json")]).unwrap_err().to_string();
    assert!(err.contains("Missing.json"), "{err}");
}

#[test]
fn the_vault_draft_loads_once_its_todos_are_decided() {
    let text = vault_draft()
        .lines()
        .filter(|l| !l.trim_start().starts_with(&format!("# {TODO_MARKER}")))
        .map(|l| l.split(&format!("# {TODO_MARKER}")).next().unwrap().trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .replace("TODO: token address", "0x0000000000000000000000000000000000000003");
    let path = repo().join("fixtures/manifests/draft.toml");
    let m = Manifest::parse(&path, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let claims = m.component("claims").unwrap();
    let Some(keys) = claims.source.keyed() else { panic!("claims are keyed") };
    let crate::manifest::KeyOrigin::Event { event, args, from_block: 0 } = &keys.origin else {
        panic!("claims' keys come from events: {:?}", keys.origin)
    };
    assert_eq!((event.name.as_str(), args.as_slice()), ("Claimed", &[0, 1][..]));
    // `$key.0`, `$key.1` and `$key.user` are the same key parts.
    let fields = claims.source.fields();
    let user = fields.index("$key.0").unwrap();
    assert_eq!(claims.mapping[claims.target.record.index("user").unwrap()], Rule::Copy(user));
    assert!(fields.index("$key.user").is_some() && fields.index("$key").is_none());
    let epochs = m.component("epochs").unwrap();
    let index = epochs.source.fields().index("$index").unwrap();
    assert_eq!(epochs.mapping[epochs.target.record.index("id").unwrap()], Rule::Copy(index));
}
