//! Wrapping the key with a passphrase: privacyIDEA's format and mfactl's authenticated format.
//!
//! **privacyIDEA format** (spec §2.5, what `pi-manage setup encrypt_enckey` writes and
//! privacyIDEA 3.14 accepts at `POST /system/hsm`): `hex(iv) ":" hex(ct)` plus a newline, where
//! `ct` = AES-256-CBC under `SHA-256(passphrase)` of `hex(key) || 01 02 || 00…` (208 bytes for a
//! 96-byte key). No salt, no iterations, no integrity check: fine for the server's own copy,
//! weak for escrow.
//!
//! **mfactl format** (for escrow copies): one text line
//! `mfactl-enckey:v1:<fingerprint>:argon2id:m=<KiB>,t=<passes>,p=<lanes>:<salt>:<nonce>:<ct>`
//! (salt 16 bytes, nonce 12 bytes, ct = AES-256-GCM of the 96 key bytes with its 16-byte tag; all
//! three in unpadded standard base64). The AES key is Argon2id(passphrase, salt) with the given
//! parameters; everything before the last `:` is authenticated as associated data, so a changed
//! parameter, salt or fingerprint is detected like a changed ciphertext.

use crate::cipher::{cbc_decrypt_nopad, cbc_encrypt_nopad, random_iv, IV_LEN};
use crate::key::{fingerprint, EncKey, KEY_LEN, WRAPPED_THRESHOLD};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

/// The first word of the mfactl format.
pub const MFACTL_MAGIC: &str = "mfactl-enckey";
/// The current mfactl format version.
pub const MFACTL_VERSION: &str = "v1";

/// What a key file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyForm {
    /// The raw key (96 bytes; privacyIDEA also reads 97–100 byte files, using the first 96).
    Raw,
    /// privacyIDEA's passphrase-wrapped format.
    PiWrapped,
    /// mfactl's authenticated format (privacyIDEA cannot read it).
    MfactlWrapped,
    /// Anything else, with the reason.
    Invalid(String),
}

impl KeyForm {
    /// `raw`, `privacyidea-wrapped`, `mfactl-wrapped` or `invalid`.
    pub fn name(&self) -> &'static str {
        match self {
            KeyForm::Raw => "raw",
            KeyForm::PiWrapped => "privacyidea-wrapped",
            KeyForm::MfactlWrapped => "mfactl-wrapped",
            KeyForm::Invalid(_) => "invalid",
        }
    }
    /// True for either wrapped form.
    pub fn is_wrapped(&self) -> bool {
        matches!(self, KeyForm::PiWrapped | KeyForm::MfactlWrapped)
    }
}

/// Classifies the bytes of a key file without a passphrase.
pub fn detect_form(bytes: &[u8]) -> KeyForm {
    if bytes.starts_with(MFACTL_MAGIC.as_bytes()) {
        return match parse_mfactl(bytes) {
            Ok(_) => KeyForm::MfactlWrapped,
            Err(e) => KeyForm::Invalid(e.to_string()),
        };
    }
    if bytes.len() > WRAPPED_THRESHOLD {
        return match parse_pi(bytes) {
            Ok(_) => KeyForm::PiWrapped,
            Err(e) => KeyForm::Invalid(format!(
                "over {WRAPPED_THRESHOLD} bytes, so privacyIDEA treats it as wrapped, but {e}"
            )),
        };
    }
    match bytes.len() {
        0 => KeyForm::Invalid("the file is empty".into()),
        n if n < KEY_LEN => KeyForm::Invalid(format!("{n} bytes; a key has {KEY_LEN}")),
        _ => KeyForm::Raw,
    }
}

/// Why unwrapping failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WrapError {
    /// The passphrase does not open the file (or the ciphertext was changed).
    WrongPassphrase,
    /// The file is not a wrapped key of the expected format (truncated, garbled, …).
    Malformed(String),
    /// Argon2 refused the parameters.
    Kdf(String),
}

impl fmt::Display for WrapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WrapError::WrongPassphrase => f.write_str("wrong passphrase"),
            WrapError::Malformed(m) => write!(f, "not a valid wrapped key: {m}"),
            WrapError::Kdf(m) => write!(f, "key derivation failed: {m}"),
        }
    }
}

impl std::error::Error for WrapError {}

fn malformed(m: impl Into<String>) -> WrapError {
    WrapError::Malformed(m.into())
}

// ---------------------------------------------------------------- privacyIDEA format

fn pi_aes_key(passphrase: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut k = Zeroizing::new([0u8; 32]);
    k.copy_from_slice(&Sha256::digest(passphrase));
    k
}

/// Wraps `key` in privacyIDEA's format; returns the line without the trailing newline.
pub fn wrap_pi(key: &EncKey, passphrase: &[u8]) -> String {
    wrap_pi_with_iv(key, passphrase, &random_iv())
}

/// [`wrap_pi`] with a given IV (tests only).
pub fn wrap_pi_with_iv(key: &EncKey, passphrase: &[u8], iv: &[u8; IV_LEN]) -> String {
    let mut pt = Zeroizing::new(hex::encode(key.as_bytes()).into_bytes());
    pt.extend_from_slice(&[0x01, 0x02]);
    while pt.len() % IV_LEN != 0 {
        pt.push(0);
    }
    let ct = cbc_encrypt_nopad(&pi_aes_key(passphrase), iv, &pt);
    format!("{}:{}", hex::encode(iv), hex::encode(ct))
}

fn parse_pi(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>), WrapError> {
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("it is not text"))?;
    let text = text.trim();
    let (iv, ct) = text
        .split_once(':')
        .ok_or_else(|| malformed("there is no ':' between IV and ciphertext"))?;
    let unhex = |h: &str, what: &str| {
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            Err(malformed(format!("the {what} is not hex")))
        } else if h.len() % 2 != 0 {
            Err(malformed(format!(
                "the {what} has an odd number of hex digits (truncated?)"
            )))
        } else {
            hex::decode(h).map_err(|_| malformed(format!("the {what} is not hex")))
        }
    };
    let iv = unhex(iv, "IV")?;
    let ct = unhex(ct, "ciphertext")?;
    if iv.len() != IV_LEN {
        return Err(malformed(format!("the IV has {} bytes, not 16", iv.len())));
    }
    if ct.is_empty() || ct.len() % IV_LEN != 0 {
        return Err(malformed(format!(
            "the ciphertext has {} bytes, not a multiple of 16 (truncated?)",
            ct.len()
        )));
    }
    Ok((iv, ct))
}

/// Unwraps privacyIDEA's format. Only a plaintext of exactly `hex(96 bytes) 01 02 00…` is
/// accepted, so a wrong passphrase is reported as such and never yields garbage.
pub fn unwrap_pi(bytes: &[u8], passphrase: &[u8]) -> Result<EncKey, WrapError> {
    let (iv, ct) = parse_pi(bytes)?;
    let pt = cbc_decrypt_nopad(&pi_aes_key(passphrase), &iv, &ct)
        .map_err(|e| malformed(e.to_string()))?;
    let pos = pt
        .windows(2)
        .rposition(|w| w == [0x01, 0x02])
        .ok_or(WrapError::WrongPassphrase)?;
    if pos != 2 * KEY_LEN || pt[pos + 2..].iter().any(|&b| b != 0) {
        return Err(WrapError::WrongPassphrase);
    }
    let mut raw = Zeroizing::new([0u8; KEY_LEN]);
    hex::decode_to_slice(&pt[..pos], &mut raw[..]).map_err(|_| WrapError::WrongPassphrase)?;
    EncKey::from_slice(&raw[..]).ok_or(WrapError::WrongPassphrase)
}

// ---------------------------------------------------------------- mfactl format

/// Argon2id parameters of the mfactl format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 4 lanes (RFC 9106's second recommended option).
    fn default() -> Self {
        KdfParams {
            m_kib: 65536,
            t: 3,
            p: 4,
        }
    }
}

/// Upper bounds accepted when reading a file, so a crafted file cannot ask for absurd work.
const MAX_M_KIB: u32 = 4 * 1024 * 1024;
const MAX_T: u32 = 64;
const MAX_P: u32 = 64;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;

fn derive(passphrase: &[u8], salt: &[u8], p: KdfParams) -> Result<Zeroizing<[u8; 32]>, WrapError> {
    let params = argon2::Params::new(p.m_kib, p.t, p.p, Some(32))
        .map_err(|e| WrapError::Kdf(e.to_string()))?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    a.hash_password_into(passphrase, salt, &mut out[..])
        .map_err(|e| WrapError::Kdf(e.to_string()))?;
    Ok(out)
}

/// Wraps `key` in the mfactl format; returns the line without the trailing newline.
pub fn wrap_mfactl(
    key: &EncKey,
    passphrase: &[u8],
    params: KdfParams,
) -> Result<String, WrapError> {
    use rand::RngCore;
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let header = format!(
        "{MFACTL_MAGIC}:{MFACTL_VERSION}:{}:argon2id:m={},t={},p={}:{}:{}",
        fingerprint(key),
        params.m_kib,
        params.t,
        params.p,
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(nonce)
    );
    let k = derive(passphrase, &salt, params)?;
    let cipher = Aes256Gcm::new_from_slice(&k[..]).map_err(|e| WrapError::Kdf(e.to_string()))?;
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: key.as_bytes(),
                aad: header.as_bytes(),
            },
        )
        .map_err(|_| WrapError::Kdf("AES-GCM encryption failed".into()))?;
    Ok(format!("{header}:{}", STANDARD_NO_PAD.encode(ct)))
}

/// The parsed header of an mfactl-wrapped file.
#[derive(Debug, Clone)]
pub struct MfactlHeader {
    /// The key's fingerprint as recorded when wrapping (authenticated on unwrap).
    pub fingerprint: String,
    /// Argon2id parameters.
    pub params: KdfParams,
    salt: Vec<u8>,
    nonce: Vec<u8>,
    ct: Vec<u8>,
    aad: String,
}

fn parse_params(s: &str) -> Result<KdfParams, WrapError> {
    let mut m = None;
    let mut t = None;
    let mut p = None;
    for kv in s.split(',') {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| malformed(format!("bad parameter {kv:?}")))?;
        let v: u32 = v
            .parse()
            .map_err(|_| malformed(format!("bad parameter value {kv:?}")))?;
        match k {
            "m" => m = Some(v),
            "t" => t = Some(v),
            "p" => p = Some(v),
            _ => return Err(malformed(format!("unknown parameter {k:?}"))),
        }
    }
    let params = KdfParams {
        m_kib: m.ok_or_else(|| malformed("parameter m missing"))?,
        t: t.ok_or_else(|| malformed("parameter t missing"))?,
        p: p.ok_or_else(|| malformed("parameter p missing"))?,
    };
    if params.m_kib > MAX_M_KIB
        || params.t == 0
        || params.t > MAX_T
        || params.p == 0
        || params.p > MAX_P
    {
        return Err(malformed("Argon2 parameters out of the accepted range"));
    }
    Ok(params)
}

/// Parses an mfactl-wrapped file without decrypting it.
pub fn parse_mfactl(bytes: &[u8]) -> Result<MfactlHeader, WrapError> {
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("it is not text"))?;
    let text = text.trim_end_matches(['\n', '\r']);
    let fields: Vec<&str> = text.split(':').collect();
    if fields.len() != 8 || fields[0] != MFACTL_MAGIC {
        return Err(malformed(format!(
            "expected 8 ':'-separated fields starting with {MFACTL_MAGIC}, found {} (truncated?)",
            fields.len()
        )));
    }
    if fields[1] != MFACTL_VERSION {
        return Err(malformed(format!(
            "format version {} is not supported (this mfactl reads {MFACTL_VERSION})",
            fields[1]
        )));
    }
    if fields[2].len() != 32 || !fields[2].bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed("bad fingerprint field"));
    }
    if fields[3] != "argon2id" {
        return Err(malformed(format!("unknown key derivation {:?}", fields[3])));
    }
    let params = parse_params(fields[4])?;
    let b64 = |s: &str, what: &str| {
        STANDARD_NO_PAD
            .decode(s)
            .map_err(|_| malformed(format!("the {what} is not base64")))
    };
    let salt = b64(fields[5], "salt")?;
    let nonce = b64(fields[6], "nonce")?;
    let ct = b64(fields[7], "ciphertext")?;
    if salt.len() < 8 {
        return Err(malformed("the salt is too short"));
    }
    if nonce.len() != NONCE_LEN {
        return Err(malformed("the nonce is not 12 bytes"));
    }
    if ct.len() != KEY_LEN + 16 {
        return Err(malformed(format!(
            "the ciphertext has {} bytes, expected {} (truncated?)",
            ct.len(),
            KEY_LEN + 16
        )));
    }
    let aad_len = text.len() - fields[7].len() - 1;
    Ok(MfactlHeader {
        fingerprint: fields[2].to_string(),
        params,
        salt,
        nonce,
        ct,
        aad: text[..aad_len].to_string(),
    })
}

/// Unwraps the mfactl format: a wrong passphrase or any changed byte fails authentication.
pub fn unwrap_mfactl(bytes: &[u8], passphrase: &[u8]) -> Result<EncKey, WrapError> {
    let h = parse_mfactl(bytes)?;
    let k = derive(passphrase, &h.salt, h.params)?;
    let cipher = Aes256Gcm::new_from_slice(&k[..]).map_err(|e| WrapError::Kdf(e.to_string()))?;
    let pt = Zeroizing::new(
        cipher
            .decrypt(
                Nonce::from_slice(&h.nonce),
                Payload {
                    msg: &h.ct,
                    aad: h.aad.as_bytes(),
                },
            )
            .map_err(|_| WrapError::WrongPassphrase)?,
    );
    let key = EncKey::from_slice(&pt).ok_or_else(|| malformed("the plaintext is not 96 bytes"))?;
    if fingerprint(&key) != h.fingerprint {
        return Err(malformed("the fingerprint does not match the key"));
    }
    Ok(key)
}

/// Unwraps either format (chosen by [`detect_form`]).
pub fn unwrap_any(bytes: &[u8], passphrase: &[u8]) -> Result<EncKey, WrapError> {
    match detect_form(bytes) {
        KeyForm::PiWrapped => unwrap_pi(bytes, passphrase),
        KeyForm::MfactlWrapped => unwrap_mfactl(bytes, passphrase),
        KeyForm::Raw => Err(malformed("the file holds a raw key, it is not wrapped")),
        KeyForm::Invalid(why) => Err(malformed(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIN: &[u8] = include_bytes!("../tests/data/enckey.bin");
    const ENC: &[u8] = include_bytes!("../tests/data/enckey.enc");

    fn fast() -> KdfParams {
        KdfParams {
            m_kib: 256,
            t: 1,
            p: 1,
        }
    }

    #[test]
    fn privacyidea_vector_unwraps() {
        assert_eq!(detect_form(ENC), KeyForm::PiWrapped);
        assert_eq!(detect_form(BIN), KeyForm::Raw);
        let k = unwrap_pi(ENC, b"test1234!").expect("unwrap");
        assert_eq!(&k.as_bytes()[..], BIN);
        assert_eq!(
            unwrap_any(ENC, b"test1234!").expect("any").as_bytes(),
            k.as_bytes()
        );
    }

    #[test]
    fn privacyidea_wrong_passphrase_is_detected() {
        for pw in [&b"test1234"[..], b"", b"Test1234!", b"test1234!\n"] {
            assert_eq!(unwrap_pi(ENC, pw).err(), Some(WrapError::WrongPassphrase));
        }
    }

    #[test]
    fn privacyidea_format_matches_reference_layout() {
        let k = EncKey::from_slice(BIN).expect("96");
        let iv = [0x11u8; 16];
        let line = wrap_pi_with_iv(&k, b"test1234!", &iv);
        // 32 + 1 + 416 characters; with the newline a 450-byte file like pi-manage's.
        assert_eq!(line.len(), 449);
        assert_eq!(ENC.len(), 450);
        assert_eq!(
            detect_form(format!("{line}\n").as_bytes()),
            KeyForm::PiWrapped
        );
        let back = unwrap_pi(line.as_bytes(), b"test1234!").expect("unwrap");
        assert_eq!(back.as_bytes(), k.as_bytes());
        // Decrypting by hand gives hex(key) 01 02 00... exactly.
        let (_, ct) = line.split_once(':').expect(":");
        let pt = cbc_decrypt_nopad(
            &pi_aes_key(b"test1234!"),
            &iv,
            &hex::decode(ct).expect("hex"),
        )
        .expect("dec");
        assert_eq!(&pt[..192], hex::encode(BIN).as_bytes());
        assert_eq!(&pt[192..194], &[1, 2]);
        assert!(pt[194..].iter().all(|&b| b == 0));
        assert_eq!(pt.len(), 208);
    }

    #[test]
    fn truncated_and_garbled_files_are_malformed() {
        let cut = &ENC[..200];
        assert!(matches!(
            unwrap_pi(cut, b"test1234!"),
            Err(WrapError::Malformed(_))
        ));
        let mut g = ENC.to_vec();
        g[40] = b'x';
        assert!(matches!(
            unwrap_pi(&g, b"test1234!"),
            Err(WrapError::Malformed(_))
        ));
        // A changed hex digit in the ciphertext decrypts to junk: reported, never returned.
        let mut g = ENC.to_vec();
        g[100] = if g[100] == b'0' { b'1' } else { b'0' };
        assert!(unwrap_pi(&g, b"test1234!").is_err());
        assert!(matches!(detect_form(&[0u8; 50]), KeyForm::Invalid(_)));
        assert!(matches!(detect_form(b""), KeyForm::Invalid(_)));
        assert!(matches!(detect_form(&[b'a'; 150]), KeyForm::Invalid(_)));
    }

    #[test]
    fn mfactl_roundtrip_and_failures() {
        let k = EncKey::from_slice(BIN).expect("96");
        let line = wrap_mfactl(&k, "pässphrase".as_bytes(), fast()).expect("wrap");
        assert!(line.len() > WRAPPED_THRESHOLD);
        assert_eq!(detect_form(line.as_bytes()), KeyForm::MfactlWrapped);
        let h = parse_mfactl(line.as_bytes()).expect("parse");
        assert_eq!(h.fingerprint, fingerprint(&k));
        assert_eq!(h.params, fast());
        let back =
            unwrap_mfactl(format!("{line}\n").as_bytes(), "pässphrase".as_bytes()).expect("unwrap");
        assert_eq!(back.as_bytes(), k.as_bytes());
        assert_eq!(
            unwrap_mfactl(line.as_bytes(), b"wrong").err(),
            Some(WrapError::WrongPassphrase)
        );
        // A changed parameter is caught (authenticated header); so is a changed ciphertext.
        let changed = line.replace("t=1", "t=2");
        assert_eq!(
            unwrap_mfactl(changed.as_bytes(), "pässphrase".as_bytes()).err(),
            Some(WrapError::WrongPassphrase)
        );
        let mut bytes = line.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(unwrap_mfactl(&bytes, "pässphrase".as_bytes()).is_err());
        let truncated = &line[..line.len() - 10];
        assert!(matches!(
            unwrap_mfactl(truncated.as_bytes(), b"x"),
            Err(WrapError::Malformed(_))
        ));
        let huge = line.replace("m=256", "m=99999999");
        assert!(matches!(
            parse_mfactl(huge.as_bytes()),
            Err(WrapError::Malformed(_))
        ));
    }
}
