//! One module per subcommand.

pub(crate) mod diff;
pub(crate) mod migrate;
pub(crate) mod pending;
pub(crate) mod status;
pub(crate) mod verify;
