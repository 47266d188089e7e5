//! How long `molt diff` takes: prints timings, asserts nothing.
//!
//! ```sh
//! cargo bench -p molt-abi --bench diff              # or scripts/bench-diff
//! cargo bench -p molt-abi --bench diff -- 1000      # synthetic set size (default 500)
//! ```
//!
//! 1. the project's `out/` against itself (when it has been built),
//! 2. the Fabstir V1/V2 pairs (when built),
//! 3. `@openzeppelin/contracts` 4.9.6 against 5.0.2: the Hardhat artifacts of their npm packages
//!    (`build/contracts/`, ABI only), when `scripts/setup` has installed them in `.tools/`,
//! 4. a synthetic pair of `out/` folders with N contracts each (Foundry artifacts of a realistic
//!    size, one in ten changed).

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use molt_abi::{
    Artifact,
    diff::{self, Options, render},
};

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Best of `runs`.
fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, Duration) {
    let (mut out, mut best) = time(&mut f);
    for _ in 1..runs {
        let (o, d) = time(&mut f);
        if d < best {
            best = d;
            out = o;
        }
    }
    (out, best)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn project_out() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../out")
}

/// One synthetic contract: `funcs` functions, events, errors and a storage layout, plus a
/// bytecode blob so that the file is as large as a real artifact.
fn artifact(i: usize, changed: bool) -> String {
    let mut abi = Vec::new();
    for f in 0..30 {
        if changed && f == 3 {
            continue; // removed
        }
        let ty = if changed && f == 5 { "uint128" } else { "uint256" };
        abi.push(format!(
            r#"{{"type":"function","name":"f{f}_{i}","inputs":[{{"name":"a","type":"{ty}"}},{{"name":"who","type":"address"}},{{"name":"o","type":"tuple","components":[{{"name":"x","type":"uint64"}},{{"name":"y","type":"bytes32"}}]}}],"outputs":[{{"name":"","type":"uint256"}}],"stateMutability":"nonpayable"}}"#
        ));
    }
    for e in 0..10 {
        abi.push(format!(
            r#"{{"type":"event","name":"E{e}","inputs":[{{"name":"who","type":"address","indexed":true}},{{"name":"v","type":"uint256","indexed":{}}}],"anonymous":false}}"#,
            changed && e == 1
        ));
    }
    for r in 0..5 {
        abi.push(format!(
            r#"{{"type":"error","name":"Err{r}","inputs":[{{"name":"v","type":"uint256"}}]}}"#
        ));
    }
    let mut storage = Vec::new();
    let mut slot = 0;
    for v in 0..20 {
        if changed && v == 10 {
            storage.push(format!(
                r#"{{"astId":9,"contract":"c","label":"inserted","offset":0,"slot":"{slot}","type":"t_uint256"}}"#
            ));
            slot += 1;
        }
        let ty = if v % 3 == 0 { "t_mapping(t_address,t_uint256)" } else { "t_uint256" };
        storage.push(format!(r#"{{"astId":{v},"contract":"c","label":"v{v}","offset":0,"slot":"{slot}","type":"{ty}"}}"#));
        slot += 1;
    }
    let types = r#"{"t_address":{"encoding":"inplace","label":"address","numberOfBytes":"20"},"t_uint256":{"encoding":"inplace","label":"uint256","numberOfBytes":"32"},"t_mapping(t_address,t_uint256)":{"encoding":"mapping","key":"t_address","label":"mapping(address => uint256)","numberOfBytes":"32","value":"t_uint256"}}"#;
    let code = "60806040".repeat(3000);
    format!(
        r#"{{"abi":[{}],"bytecode":{{"object":"0x{code}"}},"deployedBytecode":{{"object":"0x{code}"}},"storageLayout":{{"storage":[{}],"types":{types}}}}}"#,
        abi.join(","),
        storage.join(",")
    )
}

fn synthetic(root: &Path, n: usize) -> (PathBuf, PathBuf) {
    let (old, new) = (root.join("old"), root.join("new"));
    for i in 0..n {
        for (dir, changed) in [(&old, false), (&new, i % 10 == 0)] {
            let d = dir.join(format!("C{i}.sol"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("C{i}.json")), artifact(i, changed)).unwrap();
        }
    }
    (old, new)
}

fn run_dirs(label: &str, old: &Path, new: &Path) {
    let options = Options::default();
    let ((report, json), took) = best(5, || {
        let report = diff::diff_paths(old, new, &options).unwrap();
        let json = render::json(&report);
        (report, json)
    });
    let s = report.summary();
    let bytes: u64 = diff::inputs::artifact_files(old, false)
        .unwrap()
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let mut line = String::new();
    let _ = write!(
        line,
        "{label:<44} {:>4} contracts  {:>6.1} MB/side  {:>10}  ({} breaking, {} warning, {} info; {} B of JSON)",
        report.contracts.len(),
        bytes as f64 / 1e6,
        ms(took),
        s.breaking,
        s.warning,
        s.info,
        json.len()
    );
    println!("{line}");
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(500);
    println!(
        "molt diff benchmark (best of 5, load + diff + JSON render, {} threads)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let out = project_out();
    if out.is_dir() {
        run_dirs("project out/ vs itself", &out, &out);
        let pairs: Vec<_> = ["NodeRegistry", "JobMarketplace", "PaymentEscrow"]
            .iter()
            .filter_map(|c| {
                let o = Artifact::find_in(&out, &format!("{c}V1")).ok()??;
                let n = Artifact::find_in(&out, &format!("{c}V2")).ok()??;
                Some((c, o, n))
            })
            .collect();
        if !pairs.is_empty() {
            let (found, took) = best(5, || {
                pairs.iter().map(|(_, o, n)| diff::diff_artifacts(o, n, None).len()).sum::<usize>()
            });
            println!(
                "{:<44} {:>4} pairs     {:>10}  ({found} findings; diff only, artifacts loaded)",
                "Fabstir V1 -> V2",
                pairs.len(),
                ms(took)
            );
        }
    } else {
        println!("(no {} : run `forge build` to include the project's artifacts)", out.display());
    }

    let oz = |v: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../.tools/node_modules/oz-{v}/build/contracts"))
    };
    let (oz_old, oz_new) = (oz("4.9.6"), oz("5.0.2"));
    if oz_old.is_dir() && oz_new.is_dir() {
        run_dirs("OpenZeppelin 4.9.6 -> 5.0.2 (Hardhat)", &oz_old, &oz_new);
    } else {
        println!(
            "(no {}: run scripts/setup to include OpenZeppelin 4.9.6 -> 5.0.2)",
            oz_old.display()
        );
    }

    let tmp = tempfile::tempdir().unwrap();
    let ((old, new), took) = time(|| synthetic(tmp.path(), n));
    println!("(generated {n} synthetic contracts per side in {})", ms(took));
    let files = diff::inputs::artifact_files(&old, false).unwrap();
    let (_, took) = best(3, || {
        files.iter().map(|f| Artifact::load_interface(f).unwrap().abi.len()).sum::<usize>()
    });
    println!(
        "{:<44} {:>4} files     {:>23}  (one thread, reading only)",
        "  load_interface",
        files.len(),
        ms(took)
    );
    let (_, took) =
        best(3, || files.iter().map(|f| Artifact::load(f).unwrap().abi.len()).sum::<usize>());
    println!(
        "{:<44} {:>4} files     {:>23}  (one thread, reading only)",
        "  load (with bytecode)",
        files.len(),
        ms(took)
    );
    let news: Vec<_> = diff::inputs::artifact_files(&new, false)
        .unwrap()
        .iter()
        .map(|f| Artifact::load_interface(f).unwrap())
        .collect();
    let olds: Vec<_> = files.iter().map(|f| Artifact::load_interface(f).unwrap()).collect();
    let (found, took) = best(3, || {
        olds.iter().zip(&news).map(|(o, n)| diff::diff_artifacts(o, n, None).len()).sum::<usize>()
    });
    println!(
        "{:<44} {:>4} pairs     {:>23}  ({found} findings, rules only)",
        "  diff_artifacts",
        olds.len(),
        ms(took)
    );
    run_dirs(&format!("synthetic {n} vs itself"), &old, &old);
    run_dirs(&format!("synthetic {n}, 1 in 10 changed"), &old, &new);
}
