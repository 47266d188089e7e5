//! Owner signatures over a SafeTx hash, encoded the way Safe's `checkSignatures` reads them:
//! 65 bytes each (`r ‖ s ‖ v`), sorted by owner address ascending.

use alloy::{
    primitives::{Address, B256, Bytes, Signature},
    signers::{SignerSync, local::PrivateKeySigner},
};

use super::SafeError;

/// One owner's confirmation of a SafeTx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SafeSignature {
    /// An ECDSA signature of the SafeTx hash itself (v = 27 or 28).
    Ecdsa {
        /// The owner who signed.
        owner: Address,
        /// The signature.
        signature: Signature,
    },
    /// An approved hash (v = 1, r = the owner): the owner called `approveHash(safeTxHash)`
    /// beforehand, or is the account that sends `execTransaction`. Needs no key, so it suits
    /// impersonated owners on a devnet and owners that are contracts or hardware wallets
    /// sending their own transaction.
    ApprovedHash {
        /// The owner who approved.
        owner: Address,
    },
}

impl SafeSignature {
    /// Signs `safe_tx_hash` (see [`super::SafeTx::safe_tx_hash`]) with `signer`'s key.
    pub fn sign(signer: &PrivateKeySigner, safe_tx_hash: B256) -> Result<Self, SafeError> {
        let signature =
            signer.sign_hash_sync(&safe_tx_hash).map_err(|e| SafeError::Signing(e.to_string()))?;
        Ok(Self::Ecdsa { owner: signer.address(), signature })
    }

    /// The approved-hash confirmation of `owner`.
    pub fn approved_hash(owner: Address) -> Self {
        Self::ApprovedHash { owner }
    }

    /// The owner this signature is from.
    pub fn owner(&self) -> Address {
        match self {
            Self::Ecdsa { owner, .. } | Self::ApprovedHash { owner } => *owner,
        }
    }

    /// The 65 bytes the Safe reads: `r ‖ s ‖ v`.
    pub fn to_bytes(&self) -> [u8; 65] {
        match self {
            // `as_bytes` ends with v = 27 + y parity.
            Self::Ecdsa { signature, .. } => signature.as_bytes(),
            Self::ApprovedHash { owner } => {
                let mut bytes = [0u8; 65];
                bytes[12..32].copy_from_slice(owner.as_slice());
                bytes[64] = 1;
                bytes
            }
        }
    }
}

/// The `signatures` argument of `execTransaction`: the signatures sorted by owner address
/// ascending (Safe rejects any other order with GS026), each owner once.
pub fn encode_signatures(signatures: &[SafeSignature]) -> Result<Bytes, SafeError> {
    let mut sorted: Vec<&SafeSignature> = signatures.iter().collect();
    sorted.sort_by_key(|s| s.owner());
    if let Some(pair) = sorted.windows(2).find(|w| w[0].owner() == w[1].owner()) {
        return Err(SafeError::DuplicateSigner(pair[0].owner()));
    }
    Ok(sorted.iter().flat_map(|s| s.to_bytes()).collect::<Vec<u8>>().into())
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, b256};

    use super::*;

    #[test]
    fn signatures_are_sorted_by_owner_and_each_is_65_bytes() {
        let low = address!("0000000000000000000000000000000000000001");
        let signer = PrivateKeySigner::random();
        let hash = b256!("1111111111111111111111111111111111111111111111111111111111111111");
        let ecdsa = SafeSignature::sign(&signer, hash).unwrap();
        let encoded = encode_signatures(&[ecdsa, SafeSignature::approved_hash(low)]).unwrap();
        assert_eq!(encoded.len(), 130);
        // The approved hash of 0x…01 sorts first: r = the owner, s = 0, v = 1.
        assert_eq!(&encoded[12..32], low.as_slice());
        assert_eq!(encoded[64], 1);
        assert!(matches!(encoded[129], 27 | 28));
        let recovered = Signature::from_raw(&encoded[65..]).unwrap();
        assert_eq!(recovered.recover_address_from_prehash(&hash).unwrap(), signer.address());
    }

    #[test]
    fn an_owner_signing_twice_is_refused() {
        let owner = address!("0000000000000000000000000000000000000002");
        let twice = [SafeSignature::approved_hash(owner), SafeSignature::approved_hash(owner)];
        assert!(
            matches!(encode_signatures(&twice), Err(SafeError::DuplicateSigner(o)) if o == owner)
        );
    }
}
