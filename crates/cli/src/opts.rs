//! Options shared by every subcommand.

use clap::Args;

/// Display options, accepted before or after the subcommand.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Display options")]
pub(crate) struct GlobalOpts {
    /// Write machine-readable JSON to stdout (progress becomes NDJSON events on stderr).
    #[arg(long, global = true, env = "MOLT_JSON", value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) json: bool,
    /// Print only data and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// More detail on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Do not draw progress bars.
    #[arg(long, global = true, env = "MOLT_NO_PROGRESS", value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) no_progress: bool,
    /// When to colour the output: `auto` colours a terminal unless `NO_COLOR` is set.
    #[arg(long, global = true, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto, ignore_case = true)]
    pub(crate) color: ColorChoice,
}

/// When to colour the output (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless the `NO_COLOR` environment variable is set (and not empty).
    Auto,
    /// Always, even into a file or a pipe, and whatever `NO_COLOR` says.
    Always,
    /// Never.
    Never,
}

impl GlobalOpts {
    /// Whether stdout may use colour.
    pub(crate) fn color_stdout(&self) -> bool {
        self.color.allows(&std::io::stdout())
    }

    /// Whether stderr may use colour.
    pub(crate) fn color_stderr(&self) -> bool {
        self.color.allows(&std::io::stderr())
    }
}

impl ColorChoice {
    /// Whether output to `stream` may use colour.
    fn allows(self, stream: &impl std::io::IsTerminal) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && stream.is_terminal()
            }
        }
    }
}

/// Where the node is.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Network")]
pub(crate) struct RpcOpts {
    /// The node's JSON-RPC URL (`plan`, `migrate` and `verify` default to the manifest's
    /// `[network] rpc_url`).
    #[arg(long, env = "ETH_RPC_URL", value_name = "URL", hide_env_values = true)]
    pub(crate) rpc_url: Option<String>,
    /// The most one read from the node may take, its retries included.
    #[arg(long, env = "MOLT_RPC_TIMEOUT", value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) rpc_timeout: u64,
}

impl RpcOpts {
    /// `url` with these options.
    pub(crate) fn with_url(&self, url: &str) -> Self {
        Self { rpc_url: Some(url.to_owned()), ..self.clone() }
    }

    /// The transport's options: the defaults, with `--rpc-timeout` as the deadline per call.
    pub(crate) fn options(&self) -> molt_chain::RpcOptions {
        molt_chain::RpcOptions {
            deadline: std::time::Duration::from_secs(self.rpc_timeout),
            ..Default::default()
        }
    }
}

/// Who signs.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Signer")]
pub(crate) struct WalletOpts {
    /// The signing key (hex). Defaults to anvil's first dev account, only on a local anvil
    /// (chain 31337 at a loopback address).
    #[arg(long, env = "MOLT_PRIVATE_KEY", value_name = "HEX", hide_env_values = true)]
    pub(crate) private_key: Option<String>,
    /// A web3 secret-storage keystore file (as `cast wallet` writes).
    #[arg(long, value_name = "PATH", conflicts_with = "private_key")]
    pub(crate) keystore: Option<std::path::PathBuf>,
    /// The keystore's password.
    #[arg(long, env = "MOLT_KEYSTORE_PASSWORD", hide_env_values = true, requires = "keystore")]
    pub(crate) password: Option<String>,
}

/// The migration manifest and its journal.
#[derive(Debug, Clone, Args)]
pub(crate) struct ManifestOpts {
    /// The migration manifest.
    #[arg(long, default_value = "molt.toml", value_name = "PATH")]
    pub(crate) manifest: std::path::PathBuf,
    /// The write-ahead journal (default: next to the manifest, `<manifest>.molt-journal`).
    // `--checkpoint` is its old name, still accepted (hidden).
    #[arg(long, value_name = "PATH", alias = "checkpoint")]
    pub(crate) journal: Option<std::path::PathBuf>,
}

impl ManifestOpts {
    /// The journal: `--journal`, or `<manifest>.molt-journal` next to the manifest.
    pub(crate) fn journal_path(&self) -> std::path::PathBuf {
        self.journal.clone().unwrap_or_else(|| {
            let mut p = self.manifest.clone().into_os_string();
            p.push(".molt-journal");
            p.into()
        })
    }
}
