//! End-to-end scenarios across the workspace: the built `molt` binary (`target/debug/molt`) driven
//! through whole stories against real anvils and real forge-built contracts. Each crate's own
//! integration tests stay next to the crate; only the stories that cross every crate live here.

// The harness of the CLI's end-to-end tests, shared rather than copied; these scenarios use part
// of it.
#[allow(dead_code)]
#[path = "../../crates/cli/tests/cli/common.rs"]
mod common;

mod fabstir_story;
mod lending_story;
