//! One module per subcommand.

pub(crate) mod diff;
pub(crate) mod pending;
