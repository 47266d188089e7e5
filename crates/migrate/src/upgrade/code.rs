//! Is the code at the current implementation the `--old` artifact's?
//!
//! The on-chain runtime code is compared byte for byte with the artifact's `deployedBytecode`,
//! except for two parts that differ between equal contracts: the CBOR metadata solc appends
//! (its length is the code's last two bytes; it hashes the source paths and settings, not the
//! behaviour), and the immutable references the artifact lists
//! (`deployedBytecode.immutableReferences`: values the constructor writes into the code, such
//! as UUPSUpgradeable's own address).

use std::path::Path;

use serde::Serialize;

use molt_abi::Artifact;

/// What the comparison covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeMatch {
    /// Bytes compared (the runtime code without its metadata).
    pub compared_bytes: usize,
    /// Whether a CBOR metadata section was left out.
    pub metadata_ignored: bool,
    /// Immutable references (32-byte words) left out.
    pub immutables_ignored: usize,
}

impl CodeMatch {
    /// One line for people.
    pub fn describe(&self) -> String {
        format!(
            "the runtime code matches the --old artifact ({} bytes compared{}, {} immutable value(s) ignored)",
            self.compared_bytes,
            if self.metadata_ignored { ", solc metadata ignored" } else { "" },
            self.immutables_ignored
        )
    }
}

/// Compares `onchain` with `artifact`'s runtime code; the error says how they differ.
pub fn compare(onchain: &[u8], artifact: &Artifact) -> Result<CodeMatch, String> {
    let expected = artifact
        .deployed_bytecode
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or("the artifact has no deployedBytecode")?;
    if onchain.is_empty() {
        return Err("there is no code at the implementation address".into());
    }
    let (got, got_meta) = strip_metadata(onchain);
    let (want, want_meta) = strip_metadata(expected);
    if got.len() != want.len() {
        return Err(format!(
            "its runtime code is {} bytes, the artifact's is {} (without metadata)",
            got.len(),
            want.len()
        ));
    }
    let immutables = immutable_ranges(&artifact.path);
    let masked = |i: usize| immutables.iter().any(|(s, l)| i >= *s && i < s + l);
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i] && !masked(i)) {
        return Err(format!("the runtime code differs from the artifact's at byte {i}"));
    }
    Ok(CodeMatch {
        compared_bytes: got.len(),
        metadata_ignored: got_meta && want_meta,
        immutables_ignored: immutables.len(),
    })
}

/// The code without solc's CBOR metadata, and whether it had some.
fn strip_metadata(code: &[u8]) -> (&[u8], bool) {
    let n = code.len();
    if n < 2 {
        return (code, false);
    }
    let len = usize::from(u16::from_be_bytes([code[n - 2], code[n - 1]]));
    match n.checked_sub(len + 2) {
        // A CBOR map (major type 5) starts the metadata.
        Some(start) if len > 0 && (0xa0..=0xbf).contains(&code[start]) => (&code[..start], true),
        _ => (code, false),
    }
}

/// The `(start, length)` of every immutable reference in the artifact's runtime code (none
/// when the artifact does not list them).
fn immutable_ranges(path: &Path) -> Vec<(usize, usize)> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return Vec::new() };
    let refs = v.pointer("/deployedBytecode/immutableReferences").and_then(|r| r.as_object());
    refs.into_iter()
        .flat_map(|m| m.values())
        .filter_map(|list| list.as_array())
        .flatten()
        .filter_map(|r| {
            let get = |k: &str| r.get(k).and_then(serde_json::Value::as_u64).map(|x| x as usize);
            Some((get("start")?, get("length")?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Foundry artifact of `code` with one immutable word at `start`.
    fn artifact(dir: &Path, code: &str, start: usize) -> Artifact {
        let path = dir.join("A.json");
        let refs = format!(r#"{{"7":[{{"start":{start},"length":32}}]}}"#);
        let json = format!(
            r#"{{"abi":[],"bytecode":{{"object":"0x00"}},"deployedBytecode":{{"object":"{code}","immutableReferences":{refs}}}}}"#
        );
        std::fs::write(&path, json).unwrap();
        Artifact::load(&path).unwrap()
    }

    #[test]
    fn immutables_and_metadata_are_ignored_other_bytes_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let word = |b: u8| vec![b; 32];
        let meta = |b: u8| vec![0xa1, b, 0x00, 0x02];
        let code = |imm: u8, op: u8, m: u8| [vec![0x60, op], word(imm), meta(m)].concat();
        let a = artifact(dir.path(), &alloy::primitives::hex::encode_prefixed(code(0, 1, 9)), 2);
        let same = compare(&code(0xee, 1, 7), &a).unwrap();
        assert_eq!(
            same,
            CodeMatch { compared_bytes: 34, metadata_ignored: true, immutables_ignored: 1 }
        );
        let err = compare(&code(0xee, 2, 9), &a).unwrap_err();
        assert_eq!(err, "the runtime code differs from the artifact's at byte 1");
        let err = compare(&[0x60, 0x01, 0x00], &a).unwrap_err();
        assert!(err.contains("its runtime code is 3 bytes, the artifact's is 34"), "{err}");
    }

    #[test]
    fn metadata_is_the_cbor_map_its_last_two_bytes_measure() {
        let code = [0x60, 0x00, 0xa2, 0x01, 0x02, 0x00, 0x03];
        assert_eq!(strip_metadata(&code), (&code[..2], true));
        let plain = [0x60, 0x00, 0x00, 0x01];
        assert_eq!(strip_metadata(&plain), (&plain[..], false));
    }
}
