//! The hint printed after an error: what to do about it.

/// A hint printed last, after an error and its causes (see [`crate::exit::error`]). Attach it as
/// context, `eyre!("no RPC URL").wrap_err(Hint("pass --rpc-url URL".into()))`, or return it as
/// the error itself.
#[derive(Debug)]
pub(crate) struct Hint(pub(crate) String);

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Hint {}
