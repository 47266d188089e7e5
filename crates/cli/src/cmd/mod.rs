//! One module per subcommand.

pub(crate) mod adapter;
pub(crate) mod demo;
pub(crate) mod diff;
pub(crate) mod init;
pub(crate) mod migrate;
pub(crate) mod plan;
pub(crate) mod rollback;
pub(crate) mod safe;
pub(crate) mod status;
pub(crate) mod upgrade;
pub(crate) mod verify;
