//! End-to-end tests of the `molt` binary: real contracts compiled by forge, a real anvil spawned
//! by the shared devnet helper. One test binary (rather than one per file) keeps the build small:
//! each binary links all of alloy.

mod common;

mod adapter;
mod color_and_streams;
mod dev_key;
mod diff_cli;
mod digests;
mod exit_codes;
mod fabstir_oracle;
mod human_output;
mod init;
mod keyed;
mod lending_demo;
mod manifest_validation;
mod migrate_errors;
mod migrate_lock;
mod migrate_nonce;
mod migrate_resume;
mod migrate_safety;
mod plan;
mod redaction;
mod rollback;
mod safe;
mod upgrade;
mod verify;
mod verify_inputs;
