//! Decoding revert data into something a person can act on.
//!
//! ```
//! use alloy::json_abi::JsonAbi;
//! use molt_chain::revert::RevertDecoder;
//!
//! let abi = JsonAbi::parse(["error NodeAlreadyMigrated(address operator)"]).unwrap();
//! let decoder = RevertDecoder::new().with_abi(&abi);
//! let selector = abi.errors().next().unwrap().selector();
//! let data = [&selector[..], &[0; 12], &[0x12; 20]].concat();
//! assert_eq!(
//!     decoder.decode(&data).to_string(),
//!     "NodeAlreadyMigrated(operator: 0x1212121212121212121212121212121212121212)"
//! );
//! ```

use std::{collections::BTreeMap, fmt};

use alloy::{
    dyn_abi::{DynSolValue, ErrorExt},
    json_abi::{self, JsonAbi, Param},
    primitives::{Bytes, Selector, U256, hex},
    sol_types::{Panic, Revert as ErrorString, SolError},
    transports::TransportError,
};

use crate::rpc::{FailureCause, RpcFailure};

/// Decodes revert data against the custom errors of one or more ABIs.
#[derive(Debug, Clone, Default)]
pub struct RevertDecoder {
    errors: BTreeMap<Selector, Vec<json_abi::Error>>,
}

impl RevertDecoder {
    /// A decoder that knows only `Error(string)` and `Panic(uint256)`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the custom errors of `abi`.
    pub fn with_abi(mut self, abi: &JsonAbi) -> Self {
        self.add_abi(abi);
        self
    }

    /// Adds the custom errors of `abi`; an error already known (same signature) is kept once.
    pub fn add_abi(&mut self, abi: &JsonAbi) {
        for error in abi.errors() {
            let known = self.errors.entry(error.selector()).or_default();
            if !known.iter().any(|e| e.signature() == error.signature()) {
                known.push(error.clone());
            }
        }
    }

    /// Decodes revert data (the bytes a reverting call returns).
    pub fn decode(&self, data: &[u8]) -> Revert {
        if data.is_empty() {
            return Revert::Empty;
        }
        if let Ok(e) = ErrorString::abi_decode(data) {
            return Revert::Message(e.reason);
        }
        if let Ok(p) = Panic::abi_decode(data) {
            return Revert::Panic { code: p.code };
        }
        if data.len() >= 4 {
            let selector = Selector::from_slice(&data[..4]);
            for error in self.errors.get(&selector).into_iter().flatten() {
                if let Ok(decoded) = error.decode_error(data) {
                    let args = error
                        .inputs
                        .iter()
                        .zip(decoded.body)
                        .map(|(param, value)| RevertArg { param: param.clone(), value })
                        .collect();
                    return Revert::Custom { name: error.name.clone(), args };
                }
            }
        }
        Revert::Unknown(Bytes::copy_from_slice(data))
    }

    /// The decoded revert inside a failed call's error, if it is a revert.
    ///
    /// A revert reported without data ("execution reverted") decodes as [`Revert::Empty`].
    pub fn decode_error(&self, err: &TransportError) -> Option<Revert> {
        let payload = match err.as_error_resp() {
            Some(p) => p,
            None => match &RpcFailure::of(err)?.cause {
                FailureCause::Response(p) => p,
                _ => return None,
            },
        };
        match payload.as_revert_data() {
            Some(data) => Some(self.decode(&data)),
            None if payload.code == 3 || payload.message.contains("revert") => Some(Revert::Empty),
            None => None,
        }
    }
}

/// The revert data inside a failed call's error (alloy's [`ErrorPayload::as_revert_data`]),
/// also when it travels inside an [`RpcFailure`].
///
/// [`ErrorPayload::as_revert_data`]: alloy::rpc::json_rpc::ErrorPayload::as_revert_data
pub fn revert_data(err: &TransportError) -> Option<Bytes> {
    if let Some(p) = err.as_error_resp() {
        return p.as_revert_data();
    }
    match &RpcFailure::of(err)?.cause {
        FailureCause::Response(p) => p.as_revert_data(),
        _ => None,
    }
}

/// A decoded revert.
#[derive(Debug, Clone, PartialEq)]
pub enum Revert {
    /// A custom error from one of the ABIs, e.g. `NodeAlreadyMigrated(operator: 0x…)`.
    Custom {
        /// The error's name.
        name: String,
        /// Its arguments, in order.
        args: Vec<RevertArg>,
    },
    /// `Error(string)`, from `require(cond, "reason")` or `revert("reason")`.
    Message(String),
    /// `Panic(uint256)`, from a failed `assert`, an overflow, a division by zero, ...
    Panic {
        /// The panic code; [`Revert::panic_meaning`] explains it.
        code: U256,
    },
    /// No data: a bare `revert()`, a `require` without a message, or an out-of-gas.
    Empty,
    /// Data that matches no known error; the first 4 bytes are the selector.
    Unknown(Bytes),
}

/// One argument of a custom error.
#[derive(Debug, Clone, PartialEq)]
pub struct RevertArg {
    /// The ABI parameter (its `name` may be empty).
    pub param: Param,
    /// The decoded value.
    pub value: DynSolValue,
}

impl Revert {
    /// What a Solidity panic code means, e.g. `0x11` → "arithmetic overflow or underflow".
    pub fn panic_meaning(code: U256) -> &'static str {
        let Ok(code) = u8::try_from(code) else { return "unknown panic code" };
        match code {
            0x00 => "generic compiler panic",
            0x01 => "assertion failed",
            0x11 => "arithmetic overflow or underflow",
            0x12 => "division or modulo by zero",
            0x21 => "conversion to an invalid enum value",
            0x22 => "incorrectly encoded storage byte array",
            0x31 => "pop() on an empty array",
            0x32 => "array index out of bounds",
            0x41 => "out of memory (too large an allocation)",
            0x51 => "call to an uninitialised internal function",
            _ => "unknown panic code",
        }
    }

    /// The custom error's name, if it is one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Custom { name, .. } => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Custom { name, args } => {
                write!(f, "{name}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if !arg.param.name.is_empty() {
                        write!(f, "{}: ", arg.param.name)?;
                    }
                    write_value(f, &arg.value, &arg.param.components)?;
                }
                f.write_str(")")
            }
            Self::Message(reason) => write!(f, "Error({reason:?})"),
            Self::Panic { code } => {
                write!(f, "Panic(0x{code:02x}: {})", Self::panic_meaning(*code))
            }
            Self::Empty => f.write_str(
                "reverted without data (a bare revert(), a require without a message, or out of gas)",
            ),
            Self::Unknown(data) if data.len() >= 4 => write!(
                f,
                "unknown error with selector 0x{} (data {data})",
                hex::encode(&data[..4])
            ),
            Self::Unknown(data) => write!(f, "malformed revert data {data}"),
        }
    }
}

/// Writes a value the way Solidity shows it: decimal numbers, checksummed addresses, quoted
/// strings, `[..]` arrays and `(name: value, ..)` structs.
fn write_value(
    f: &mut fmt::Formatter<'_>,
    value: &DynSolValue,
    components: &[Param],
) -> fmt::Result {
    #[allow(unreachable_patterns)] // `CustomStruct` exists only with alloy's `eip712` feature.
    match value {
        DynSolValue::Bool(b) => write!(f, "{b}"),
        DynSolValue::Int(i, _) => write!(f, "{i}"),
        DynSolValue::Uint(u, _) => write!(f, "{u}"),
        DynSolValue::FixedBytes(word, size) => write!(f, "0x{}", hex::encode(&word[..*size])),
        DynSolValue::Address(a) => write!(f, "{a}"),
        DynSolValue::Function(func) => write!(f, "{func}"),
        DynSolValue::Bytes(b) => write!(f, "0x{}", hex::encode(b)),
        DynSolValue::String(s) => write!(f, "{s:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_value(f, item, components)?;
            }
            f.write_str("]")
        }
        DynSolValue::Tuple(items) => {
            f.write_str("(")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                let param = components.get(i);
                if let Some(p) = param.filter(|p| !p.name.is_empty()) {
                    write!(f, "{}: ", p.name)?;
                }
                write_value(f, item, param.map_or(&[][..], |p| &p.components[..]))?;
            }
            f.write_str(")")
        }
        other => write!(f, "{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use alloy::{
        dyn_abi::DynSolValue,
        primitives::{Address, address},
    };

    use super::*;

    fn abi() -> JsonAbi {
        serde_json::from_str(
            r#"[
            {"type":"error","name":"NodeAlreadyMigrated","inputs":[{"name":"operator","type":"address"}]},
            {"type":"error","name":"InsufficientStake","inputs":[
                {"name":"stake","type":"uint256"},{"name":"needed","type":"uint256"}]},
            {"type":"error","name":"BadNode","inputs":[
                {"name":"node","type":"tuple","internalType":"struct Node","components":[
                    {"name":"id","type":"string"},{"name":"kind","type":"uint8"}]},
                {"name":"tags","type":"bytes32[]"}]}
            ]"#,
        )
        .unwrap()
    }

    fn encode(sig: &str, args: &[DynSolValue]) -> Vec<u8> {
        let error = json_abi::Error::parse(sig).unwrap();
        let mut data = error.selector().to_vec();
        data.extend(DynSolValue::Tuple(args.to_vec()).abi_encode_params());
        data
    }

    #[test]
    fn custom_errors_decode_with_named_arguments() {
        let decoder = RevertDecoder::new().with_abi(&abi());
        let operator = address!("0x1234567890AbcdEF1234567890aBcdef12345678");
        let data = encode("NodeAlreadyMigrated(address)", &[DynSolValue::Address(operator)]);
        let revert = decoder.decode(&data);
        assert_eq!(revert.name(), Some("NodeAlreadyMigrated"));
        assert_eq!(revert.to_string(), format!("NodeAlreadyMigrated(operator: {operator})"));

        let data = encode(
            "InsufficientStake(uint256,uint256)",
            &[DynSolValue::Uint(U256::from(5), 256), DynSolValue::Uint(U256::from(10), 256)],
        );
        assert_eq!(decoder.decode(&data).to_string(), "InsufficientStake(stake: 5, needed: 10)");

        let data = encode(
            "BadNode((string,uint8),bytes32[])",
            &[
                DynSolValue::Tuple(vec![
                    DynSolValue::String("n1".into()),
                    DynSolValue::Uint(U256::from(2), 8),
                ]),
                DynSolValue::Array(vec![DynSolValue::FixedBytes([0xab; 32].into(), 32)]),
            ],
        );
        assert_eq!(
            decoder.decode(&data).to_string(),
            format!("BadNode(node: (id: \"n1\", kind: 2), tags: [0x{}])", "ab".repeat(32))
        );
    }

    #[test]
    fn error_string_panic_empty_and_unknown() {
        let decoder = RevertDecoder::new().with_abi(&abi());
        let data = ErrorString::from("not the owner").abi_encode();
        assert_eq!(decoder.decode(&data), Revert::Message("not the owner".into()));
        assert_eq!(decoder.decode(&data).to_string(), "Error(\"not the owner\")");

        let data = Panic::from(0x11).abi_encode();
        assert_eq!(
            decoder.decode(&data).to_string(),
            "Panic(0x11: arithmetic overflow or underflow)"
        );
        assert_eq!(decoder.decode(&[]), Revert::Empty);

        let data = encode("Other(address)", &[DynSolValue::Address(Address::ZERO)]);
        let shown = decoder.decode(&data).to_string();
        assert!(shown.starts_with("unknown error with selector 0x"), "{shown}");
        assert!(decoder.decode(&[1, 2]).to_string().contains("malformed"));
    }

    #[test]
    fn the_same_error_in_two_abis_is_kept_once() {
        let decoder = RevertDecoder::new().with_abi(&abi()).with_abi(&abi());
        assert!(decoder.errors.values().all(|v| v.len() == 1));
    }

    #[test]
    fn truncated_custom_error_data_is_unknown() {
        let decoder = RevertDecoder::new().with_abi(&abi());
        let data = encode("NodeAlreadyMigrated(address)", &[DynSolValue::Address(Address::ZERO)]);
        assert!(matches!(decoder.decode(&data[..10]), Revert::Unknown(_)));
    }
}
