//! Chain access for molt.
//!
//! - [`toolchain`]: finding the project's Foundry binaries (anvil, forge) and build output.
//! - [`devnet`]: a local anvil with deployed contracts, for `molt demo` and end-to-end tests.

pub mod devnet;
mod error;
pub mod toolchain;

pub use devnet::{Devnet, DevnetBuilder};
pub use error::{Error, Result};
pub use toolchain::Toolchain;
