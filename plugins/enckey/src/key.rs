//! The 96-byte encryption key (`PI_ENCFILE`), its slots and its fingerprint.

use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

/// Length of privacyIDEA's encryption key file: three 32-byte AES-256 keys.
pub const KEY_LEN: usize = 96;
/// Length of one slot key.
pub const SLOT_LEN: usize = 32;
/// privacyIDEA treats a key file longer than this as wrapped (encrypted with a passphrase).
pub const WRAPPED_THRESHOLD: usize = 100;

/// One of the three AES-256 keys inside the key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Slot 0 (`TOKEN_KEY`, bytes 0–31): token seeds, token PINs, `@@` PIN hashes.
    Token = 0,
    /// Slot 1 (`CONFIG_KEY`, bytes 32–63): every `encryptPassword` value (config, resolvers, …).
    Config = 1,
    /// Slot 2 (`VALUE_KEY`, bytes 64–95): reserved; privacyIDEA 3.14 does not use it.
    Value = 2,
}

impl Slot {
    /// The slot number (0, 1 or 2).
    pub fn index(self) -> usize {
        self as usize
    }
    /// The slot with this number.
    pub fn from_index(i: usize) -> Option<Slot> {
        match i {
            0 => Some(Slot::Token),
            1 => Some(Slot::Config),
            2 => Some(Slot::Value),
            _ => None,
        }
    }
}

/// The unwrapped 96-byte key. The bytes live only in memory and are zeroized on drop; `Debug`
/// never shows them.
#[derive(Clone)]
pub struct EncKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl EncKey {
    /// Takes exactly 96 bytes; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<EncKey> {
        if bytes.len() != KEY_LEN {
            return None;
        }
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        k.copy_from_slice(bytes);
        Some(EncKey { bytes: k })
    }

    /// A fresh random key from the operating system's CSPRNG.
    pub fn generate() -> EncKey {
        use rand::RngCore;
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut k[..]);
        EncKey { bytes: k }
    }

    /// All 96 bytes (what the key file holds).
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// The 32-byte AES-256 key of `slot`.
    pub fn slot(&self, slot: Slot) -> &[u8; SLOT_LEN] {
        let i = slot.index() * SLOT_LEN;
        // The range is always inside the 96-byte array; the conversion cannot fail.
        let s: &[u8; SLOT_LEN] = match self.bytes[i..i + SLOT_LEN].try_into() {
            Ok(s) => s,
            Err(_) => unreachable!("slot range is 32 bytes"),
        };
        s
    }

    /// See [`fingerprint`].
    pub fn fingerprint(&self) -> String {
        fingerprint(self)
    }
}

impl fmt::Debug for EncKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncKey(fingerprint {})", fingerprint(self))
    }
}

/// Domain separation for the fingerprint hash.
const FINGERPRINT_DOMAIN: &[u8] = b"mfactl enckey fingerprint v1\0";

/// A short identifier of a key that does not reveal it: the first 16 bytes of
/// `SHA-256("mfactl enckey fingerprint v1\0" || key)` as 32 lowercase hex characters.
///
/// Equal keys give equal fingerprints; `status`, `split`, `combine` and backups show and compare
/// it. The same 96 bytes give the same fingerprint whether the file is raw or wrapped.
pub fn fingerprint(key: &EncKey) -> String {
    let mut h = Sha256::new();
    h.update(FINGERPRINT_DOMAIN);
    h.update(key.as_bytes());
    let d = h.finalize();
    hex::encode(&d[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_key() -> EncKey {
        let b: Vec<u8> = (0u8..96).collect();
        EncKey::from_slice(&b).expect("96 bytes")
    }

    #[test]
    fn slots_are_32_byte_windows() {
        let k = vector_key();
        assert_eq!(k.slot(Slot::Token)[0], 0);
        assert_eq!(k.slot(Slot::Config)[0], 32);
        assert_eq!(k.slot(Slot::Value)[31], 95);
    }

    #[test]
    fn wrong_lengths_are_refused() {
        assert!(EncKey::from_slice(&[0u8; 95]).is_none());
        assert!(EncKey::from_slice(&[0u8; 97]).is_none());
        assert!(EncKey::from_slice(&[]).is_none());
    }

    #[test]
    fn fingerprint_is_stable_and_key_dependent() {
        let k = vector_key();
        let fp = fingerprint(&k);
        assert_eq!(fp.len(), 32);
        assert_eq!(fp, fingerprint(&vector_key()));
        let mut other: Vec<u8> = (0u8..96).collect();
        other[95] ^= 1;
        let o = EncKey::from_slice(&other).expect("96");
        assert_ne!(fp, fingerprint(&o));
        assert!(!format!("{k:?}").contains("000102"));
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(EncKey::generate().as_bytes(), EncKey::generate().as_bytes());
    }
}
