//! The calls of an owner phase for people: shared by `molt safe export`, `molt plan` and
//! `molt demo --safe`.

use alloy::primitives::Address;
use molt_migrate::{
    governance::{OwnerCall, Purpose},
    plan::PlanSafeTx,
};

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

/// Each owner phase's Safe transaction: what the owners sign, as rehearsed through the Safe.
pub(crate) fn print_safe_transactions(txs: &[PlanSafeTx]) {
    for t in txs {
        println!(
            "Safe transaction `{}`: Safe {} nonce {} ({} to sign), {} gas on the fork (threshold 1 there, owner {} impersonated)",
            t.phase,
            t.safe,
            t.nonce,
            t.threshold,
            crate::progress::group(t.gas_used),
            t.executor
        );
        print_calls(&t.calls);
        println!("  to            {} ({})", t.to, t.operation);
        println!("  data          {}", t.data);
        println!("  domain hash   {}", t.domain_hash);
        println!("  message hash  {}", t.message_hash);
        println!("  safeTxHash    {}", t.safe_tx_hash);
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
        Purpose::Unpause => "unpause".into(),
        Purpose::Return { name, token, amount } => {
            format!("return `{name}`: {}", molt_migrate::funds::amount_of(*token, *amount))
        }
    }
}
