//! molt-chain against a real anvil: the devnet helper, the retrying transport and the
//! transaction primitives, with a flaky proxy in between where a test needs faults. One test
//! binary (rather than one per file) keeps the build small: each binary links all of alloy.

mod support;

mod devnet;
mod fork;
mod logs;
mod read;
mod rpc;
mod safe;
mod tx;
