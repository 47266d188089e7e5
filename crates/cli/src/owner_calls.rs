//! The calls of an owner phase for people: shared by `molt safe export` and `molt plan`.

use alloy::primitives::Address;
use molt_migrate::governance::{OwnerCall, Purpose};

/// One numbered line per call: `1. registry_v1.pause()  pause`.
pub(crate) fn print_calls(calls: &[OwnerCall]) {
    for (i, c) in calls.iter().enumerate() {
        let args: Vec<String> = c.args.iter().map(|a| format!("{}={}", a.name, a.value)).collect();
        println!(
            "  {}. {}.{}({})  {}",
            i + 1,
            c.contract,
            c.function.name,
            args.join(", "),
            purpose(&c.purpose)
        );
    }
}

/// Why a call is in its phase, in a few words.
fn purpose(p: &Purpose) -> String {
    match p {
        Purpose::Pause => "pause".into(),
        Purpose::Funds { name, token, amount } if *token == Address::ZERO => {
            format!("funds `{name}`: {amount} wei")
        }
        Purpose::Funds { name, token, amount } => format!("funds `{name}`: {amount} of {token}"),
        Purpose::Grant => "grant".into(),
        Purpose::Finalize => "finalize (irreversible)".into(),
        Purpose::Revoke => "revoke".into(),
    }
}
