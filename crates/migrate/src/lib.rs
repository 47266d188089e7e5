//! The manifest-driven migration engine (manifests, snapshots, gas-sized batches,
//! the write-ahead journal, verification). Built in the migration issue; empty for now.
