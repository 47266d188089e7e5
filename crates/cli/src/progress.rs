//! Progress on stderr: bars on a terminal, plain lines otherwise, NDJSON events with `--json`.

use std::{collections::HashMap, io::IsTerminal, sync::Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use molt_migrate::events::{Event, Observer};

use crate::{opts::GlobalOpts, style::ACCENT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Bars,
    Lines,
    Json,
    Quiet,
}

/// The CLI's [`Observer`].
#[derive(Debug)]
pub(crate) struct Progress {
    mode: Mode,
    verbose: bool,
    /// Whether stderr takes colour (`--color`).
    color: bool,
    finished: std::sync::atomic::AtomicBool,
    multi: MultiProgress,
    bars: Mutex<HashMap<String, (ProgressBar, u64, u64)>>,
}

impl Progress {
    pub(crate) fn new(global: &GlobalOpts) -> Self {
        let mode = if global.json {
            Mode::Json
        } else if global.quiet {
            Mode::Quiet
        } else if global.no_progress || !std::io::stderr().is_terminal() {
            Mode::Lines
        } else {
            Mode::Bars
        };
        let multi = MultiProgress::with_draw_target(if mode == Mode::Bars {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Self {
            mode,
            verbose: global.verbose > 0,
            color: global.color_stderr(),
            finished: Default::default(),
            multi,
            bars: Mutex::new(HashMap::new()),
        }
    }

    /// Stops drawing: the bars stay on screen as they are and later lines print plainly.
    pub(crate) fn finish(&self) {
        self.finished.store(true, std::sync::atomic::Ordering::SeqCst);
        self.multi.set_draw_target(ProgressDrawTarget::hidden());
    }

    /// A line for humans (nothing in JSON or quiet mode).
    pub(crate) fn say(&self, line: impl AsRef<str>) {
        let finished = self.finished.load(std::sync::atomic::Ordering::SeqCst);
        match self.mode {
            Mode::Bars if finished => eprintln!("{}", line.as_ref()),
            Mode::Bars => {
                let _ = self.multi.println(line.as_ref());
            }
            Mode::Lines => eprintln!("{}", line.as_ref()),
            Mode::Json | Mode::Quiet => {}
        }
    }

    /// A step of the story for humans: `• line`, the mark in colour when stderr takes it.
    pub(crate) fn step(&self, line: impl AsRef<str>) {
        self.say(format!("{} {}", ACCENT.paint(self.color, "•"), line.as_ref()));
    }

    fn style(&self) -> ProgressStyle {
        let template = if self.color {
            "{prefix:>10.bold} [{bar:30.cyan}] {pos}/{len} records {msg} (eta {eta})"
        } else {
            "{prefix:>10} [{bar:30}] {pos}/{len} records {msg} (eta {eta})"
        };
        ProgressStyle::with_template(template).expect("valid template").progress_chars("=> ")
    }
}

impl Observer for Progress {
    fn on(&self, event: &Event) {
        if self.mode == Mode::Json {
            if let Ok(line) = serde_json::to_string(event) {
                eprintln!("{line}");
            }
            return;
        }
        let mut bars = self.bars.lock().expect("not poisoned");
        match event {
            Event::Phase { message, .. } => self.step(message),
            Event::ComponentStarted { component, records, done } => {
                let bar = self.multi.add(ProgressBar::new(*records));
                bar.set_style(self.style());
                bar.set_prefix(component.clone());
                bar.set_position(*done);
                bars.insert(component.clone(), (bar, 0, 0));
                if self.mode == Mode::Lines {
                    eprintln!("  {component}: {records} records to migrate ({done} already done)");
                }
            }
            Event::BatchSent { component, records, hash, nonce, gas_limit } => {
                if self.verbose {
                    self.say(format!(
                        "  {component}: sent {records} records in {hash} (nonce {nonce}, gas limit {})",
                        group(*gas_limit)
                    ));
                }
            }
            Event::BatchMined { component, records, gas_used } => {
                if let Some((bar, batches, gas)) = bars.get_mut(component) {
                    *batches += 1;
                    *gas += gas_used;
                    bar.inc(*records);
                    bar.set_message(format!("{batches} batches, {} gas", group(*gas)));
                    if self.mode == Mode::Lines {
                        eprintln!(
                            "  {component}: batch {batches} mined, {records} records, {} gas ({}/{})",
                            group(*gas_used),
                            bar.position(),
                            bar.length().unwrap_or(0)
                        );
                    }
                }
            }
            Event::ComponentFinished { component } => {
                if let Some((bar, _, _)) = bars.get(component) {
                    bar.finish();
                }
            }
            Event::Verified { component, records, total } => {
                if self.mode == Mode::Lines && records == total {
                    eprintln!("  {component}: {total} records read back");
                }
            }
        }
    }
}

/// 1234567 -> "1,234,567".
pub(crate) fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
