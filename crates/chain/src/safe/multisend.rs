//! Batches for MultiSendCallOnly: a Safe delegatecalls `multiSend(bytes)`, which calls each
//! target in turn from the Safe; one failing call reverts the whole batch.
//!
//! Each call is packed as `operation (uint8, always 0) ‖ to (20 bytes) ‖ value (uint256) ‖
//! data length (uint256) ‖ data`.

use alloy::{
    primitives::{Address, Bytes, U256},
    sol_types::SolCall,
};

use super::{SafeError, SafeTx, bindings::IMultiSendCallOnly};

/// One call of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiSendCall {
    /// The called contract (or the receiver of `value`).
    pub to: Address,
    /// The wei sent along, from the Safe's balance.
    pub value: U256,
    /// The calldata.
    pub data: Bytes,
}

impl MultiSendCall {
    /// A call of `to` with `data`, without value.
    pub fn new(to: Address, data: impl Into<Bytes>) -> Self {
        Self { to, value: U256::ZERO, data: data.into() }
    }

    /// A plain ether transfer.
    pub fn transfer(to: Address, value: U256) -> Self {
        Self { to, value, data: Bytes::new() }
    }

    fn pack_into(&self, out: &mut Vec<u8>) {
        out.push(0);
        out.extend_from_slice(self.to.as_slice());
        out.extend_from_slice(&self.value.to_be_bytes::<32>());
        out.extend_from_slice(&U256::from(self.data.len()).to_be_bytes::<32>());
        out.extend_from_slice(&self.data);
    }
}

/// The packed `transactions` argument of `multiSend`.
pub fn pack(calls: &[MultiSendCall]) -> Bytes {
    let mut out = Vec::new();
    for call in calls {
        call.pack_into(&mut out);
    }
    out.into()
}

/// The calldata `multiSend(pack(calls))`.
pub fn encode_multisend(calls: &[MultiSendCall]) -> Result<Bytes, SafeError> {
    if calls.is_empty() {
        return Err(SafeError::EmptyBatch);
    }
    Ok(IMultiSendCallOnly::multiSendCall { transactions: pack(calls) }.abi_encode().into())
}

/// The SafeTx that delegatecalls the MultiSendCallOnly at `multisend` with `calls`, at the
/// Safe's nonce `nonce`.
pub fn multisend_tx(
    multisend: Address,
    calls: &[MultiSendCall],
    nonce: U256,
) -> Result<SafeTx, SafeError> {
    Ok(SafeTx::delegate_call(multisend, encode_multisend(calls)?, nonce))
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;

    use super::*;

    #[test]
    fn calls_are_packed_without_padding() {
        let to = address!("00000000000000000000000000000000000000bb");
        let packed = pack(&[
            MultiSendCall::transfer(to, U256::from(5)),
            MultiSendCall::new(to, vec![0xab, 0xcd, 0xef]),
        ]);
        assert_eq!(packed.len(), 85 + 85 + 3);
        assert_eq!(packed[0], 0);
        assert_eq!(&packed[1..21], to.as_slice());
        assert_eq!(packed[52], 5);
        assert_eq!(packed[84], 0);
        assert_eq!(packed[85 + 84], 3);
        assert_eq!(&packed[170..], &[0xab, 0xcd, 0xef]);
    }

    #[test]
    fn an_empty_batch_is_refused() {
        assert!(matches!(encode_multisend(&[]), Err(SafeError::EmptyBatch)));
    }
}
