//! One module per subcommand.

pub(crate) mod adapter;
pub(crate) mod diff;
pub(crate) mod migrate;
pub(crate) mod pending;
pub(crate) mod status;
pub(crate) mod verify;
