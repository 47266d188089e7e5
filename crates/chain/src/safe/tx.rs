//! The SafeTx a Safe's owners sign, and its EIP-712 hashes.
//!
//! Safe 1.4.1 signs `SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256
//! safeTxGas,uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256
//! nonce)` in the domain `EIP712Domain(uint256 chainId,address verifyingContract)`, the
//! verifying contract being the Safe (proxy) itself.

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    sol,
    sol_types::{Eip712Domain, SolStruct},
};

sol! {
    /// A Safe transaction, field for field the struct Safe 1.4.1 hashes (EIP-712 type
    /// `SafeTx`). Build one with [`SafeTx::call`] or [`SafeTx::delegate_call`].
    #[derive(Debug, Default, PartialEq, Eq)]
    struct SafeTx {
        /// The called contract.
        address to;
        /// The wei sent along.
        uint256 value;
        /// The calldata.
        bytes data;
        /// 0: call, 1: delegatecall (see [`Operation`]).
        uint8 operation;
        /// Gas for the inner call; 0: all there is, and the Safe reverts when it fails.
        uint256 safeTxGas;
        /// Gas paid for outside the inner call (with `gasPrice`); 0 without refunds.
        uint256 baseGas;
        /// The refund gas price; 0: no refund.
        uint256 gasPrice;
        /// The refund token; 0: ether.
        address gasToken;
        /// Who is refunded; 0: `tx.origin`.
        address refundReceiver;
        /// The Safe's nonce this transaction uses.
        uint256 nonce;
    }
}

/// How a Safe runs a [`SafeTx`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Operation {
    /// A plain call from the Safe.
    Call = 0,
    /// A delegatecall: the target's code runs in the Safe's storage (e.g. MultiSendCallOnly).
    DelegateCall = 1,
}

impl From<Operation> for u8 {
    fn from(op: Operation) -> Self {
        op as Self
    }
}

/// The three hashes of a SafeTx: what a hardware wallet shows when it signs one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafeTxHashes {
    /// The EIP-712 domain separator of the Safe on its chain.
    pub domain_separator: B256,
    /// The EIP-712 `hashStruct` of the SafeTx (the "message hash").
    pub struct_hash: B256,
    /// `keccak256(0x1901 ‖ domain_separator ‖ struct_hash)`: what the owners sign.
    pub safe_tx_hash: B256,
}

/// The EIP-712 domain of the Safe at `safe` on chain `chain_id`.
pub fn domain(chain_id: u64, safe: Address) -> Eip712Domain {
    Eip712Domain::new(None, None, Some(U256::from(chain_id)), Some(safe), None)
}

/// The domain separator of the Safe at `safe` on chain `chain_id` (its `domainSeparator()`).
pub fn domain_separator(chain_id: u64, safe: Address) -> B256 {
    domain(chain_id, safe).separator()
}

impl SafeTx {
    /// A plain call of `to` with `data` and `value`, at the Safe's nonce `nonce`, without gas
    /// refunds.
    pub fn call(to: Address, value: U256, data: Bytes, nonce: U256) -> Self {
        Self { to, value, data, nonce, operation: Operation::Call.into(), ..Default::default() }
    }

    /// A delegatecall of `to` with `data`, at the Safe's nonce `nonce`, without gas refunds.
    pub fn delegate_call(to: Address, data: Bytes, nonce: U256) -> Self {
        Self { to, data, nonce, operation: Operation::DelegateCall.into(), ..Default::default() }
    }

    /// The EIP-712 `hashStruct` of this SafeTx.
    pub fn struct_hash(&self) -> B256 {
        self.eip712_hash_struct()
    }

    /// The SafeTx hash the owners of the Safe at `safe` on chain `chain_id` sign; the Safe's
    /// `getTransactionHash(...)` returns the same.
    pub fn safe_tx_hash(&self, chain_id: u64, safe: Address) -> B256 {
        self.eip712_signing_hash(&domain(chain_id, safe))
    }

    /// The domain separator, struct hash and SafeTx hash for the Safe at `safe`.
    pub fn hashes(&self, chain_id: u64, safe: Address) -> SafeTxHashes {
        SafeTxHashes {
            domain_separator: domain_separator(chain_id, safe),
            struct_hash: self.struct_hash(),
            safe_tx_hash: self.safe_tx_hash(chain_id, safe),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, b256, keccak256};

    use super::*;

    #[test]
    fn the_type_hashes_are_safe_1_4_1s() {
        // SAFE_TX_TYPEHASH and DOMAIN_SEPARATOR_TYPEHASH in Safe.sol 1.4.1.
        assert_eq!(
            SafeTx::default().eip712_type_hash(),
            b256!("bb8310d486368db6bd6f849402fdd73ad53d316b5a4b2644ad6efe0f941286d8")
        );
        assert_eq!(
            domain(1, Address::ZERO).type_hash(),
            b256!("47e79534a245952e8b16893a336b85a3d9ea9fa8c573f3d803afb92a79469218")
        );
    }

    #[test]
    fn the_signing_hash_is_0x1901_domain_struct() {
        let safe = address!("00000000000000000000000000000000000000aa");
        let tx = SafeTx::call(safe, U256::from(7), Bytes::from_static(b"\x01\x02"), U256::from(3));
        let h = tx.hashes(31337, safe);
        let mut preimage = vec![0x19, 0x01];
        preimage.extend_from_slice(h.domain_separator.as_slice());
        preimage.extend_from_slice(h.struct_hash.as_slice());
        assert_eq!(keccak256(preimage), h.safe_tx_hash);
    }
}
