//! privacyIDEA's audit signatures: the signed text of a row and its verification
//! (`rsa_sha256_pss:<hex>`: RSA-PSS, SHA-256, MGF1-SHA-256; old rows: text-book RSA over the
//! SHA-256 value, as a decimal number, checked only with `PI_CHECK_OLD_SIGNATURES`).

use crate::columns::{duration_micros, py_str, Kind};
use crate::mont::MontModulus;
use crate::pystr::timedelta_str;
use mfactl_plugin_api::Value;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

/// The columns the signed text needs, in the order [`signed_text`] expects them.
pub const SIGNED_COLUMNS: &[&str] = &[
    "id",
    "date",
    "action",
    "success",
    "serial",
    "token_type",
    "user",
    "realm",
    "administrator",
    "action_detail",
    "info",
    "privacyidea_server",
    "client",
    "loglevel",
    "clearance_level",
    "startdate",
    "duration",
    "container_serial",
    "container_type",
];

fn truthy_text(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Text(t) => !t.is_empty(),
        Value::Bytes(b) => !b.is_empty(),
        _ => true,
    }
}

/// The text privacyIDEA signs for a row; `v` holds the values of [`SIGNED_COLUMNS`] in order.
pub fn signed_text(v: &[Value]) -> String {
    let s = |i: usize, k: Kind| py_str(k, &v[i]);
    let mut out = format!(
        "id={},date={},action={},succ={},serial={},t={},u={},r={},adm={},ad={},i={},ps={},c={},l={},cl={}",
        s(0, Kind::Int),
        s(1, Kind::DateTime),
        s(2, Kind::Text),
        s(3, Kind::Int),
        s(4, Kind::Text),
        s(5, Kind::Text),
        s(6, Kind::Text),
        s(7, Kind::Text),
        s(8, Kind::Text),
        s(9, Kind::Text),
        s(10, Kind::Text),
        s(11, Kind::Text),
        s(12, Kind::Text),
        s(13, Kind::Text),
        s(14, Kind::Text),
    );
    if !v[15].is_null() {
        out.push(',');
        out.push_str(&s(15, Kind::DateTime));
    }
    if let Some(m) = duration_micros(&v[16]) {
        if m != 0 {
            out.push(',');
            out.push_str(&timedelta_str(m));
        }
    }
    if truthy_text(&v[17]) {
        out.push_str(",c_serial=");
        out.push_str(&s(17, Kind::Text));
    }
    if truthy_text(&v[18]) {
        out.push_str(",ct=");
        out.push_str(&s(18, Kind::Text));
    }
    out
}

/// A public audit key prepared for fast verification.
pub struct Verifier {
    modulus: MontModulus,
    e: u64,
    k: usize,
    mod_bits: usize,
    /// Check old decimal signatures (`PI_CHECK_OLD_SIGNATURES`).
    pub check_old: bool,
}

impl Verifier {
    /// From PEM text (SubjectPublicKeyInfo or PKCS#1).
    pub fn from_pem(pem: &str, check_old: bool) -> Result<Self, String> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::pkcs8::DecodePublicKey;
        let key = rsa::RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|e| format!("not an RSA public key in PEM form: {e}"))?;
        let n = key.n().to_bytes_be();
        let e_bytes = key.e().to_bytes_be();
        if e_bytes.len() > 8 {
            return Err("the public exponent is too large".into());
        }
        let e = e_bytes.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
        let mod_bits = key.n().bits();
        let modulus = MontModulus::new(&n).ok_or("the modulus is even")?;
        Ok(Verifier {
            modulus,
            e,
            k: n.len(),
            mod_bits,
            check_old,
        })
    }

    /// Checks `signature` (as stored) over `text`.
    pub fn verify(&self, text: &str, signature: &str) -> bool {
        if let Some(hex_sig) = signature.strip_prefix("rsa_sha256_pss:") {
            let Ok(sig) = hex::decode(hex_sig.trim()) else {
                return false;
            };
            self.verify_pss(text.as_bytes(), &sig)
        } else if self.check_old {
            let Some(sig) = decimal_to_bytes(signature.trim()) else {
                return false;
            };
            if sig.len() > self.k {
                return false;
            }
            let m = self.modulus.pow(&sig, self.e, self.k);
            let digest = Sha256::digest(text.as_bytes());
            let mut want = vec![0u8; self.k];
            want[self.k - 32..].copy_from_slice(&digest);
            m == want
        } else {
            false
        }
    }

    fn verify_pss(&self, msg: &[u8], sig: &[u8]) -> bool {
        const H: usize = 32;
        if sig.len() != self.k || !self.modulus.less_than_modulus(sig) {
            return false;
        }
        let em_full = self.modulus.pow(sig, self.e, self.k);
        let em_bits = self.mod_bits - 1;
        let em_len = em_bits.div_ceil(8);
        if em_len < self.k && em_full[0] != 0 {
            return false;
        }
        let em = &em_full[self.k - em_len..];
        if em_len < H + 2 || em[em_len - 1] != 0xbc {
            return false;
        }
        let db_len = em_len - H - 1;
        let (masked_db, rest) = em.split_at(db_len);
        let h = &rest[..H];
        let top_bits = 8 * em_len - em_bits;
        if top_bits > 0 && masked_db[0] >> (8 - top_bits) != 0 {
            return false;
        }
        let mut db = mgf1(h, db_len);
        for (d, m) in db.iter_mut().zip(masked_db) {
            *d ^= m;
        }
        if top_bits > 0 {
            db[0] &= 0xff >> top_bits;
        }
        let Some(sep) = db.iter().position(|b| *b != 0) else {
            return false;
        };
        if db[sep] != 0x01 {
            return false;
        }
        let salt = &db[sep + 1..];
        let m_hash = Sha256::digest(msg);
        let mut hasher = Sha256::new();
        hasher.update([0u8; 8]);
        hasher.update(m_hash);
        hasher.update(salt);
        hasher.finalize().as_slice() == h
    }
}

fn mgf1(seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = 0u32;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(seed);
        h.update(counter.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// A decimal number as big-endian bytes (minimal length); `None` when not all digits.
pub fn decimal_to_bytes(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out: Vec<u8> = vec![0];
    for d in s.bytes() {
        let mut carry = u32::from(d - b'0');
        for byte in out.iter_mut().rev() {
            let v = u32::from(*byte) * 10 + carry;
            *byte = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let first = out.iter().position(|b| *b != 0).unwrap_or(out.len() - 1);
    Some(out[first..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> serde_json::Value {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/reference/vectors/audit/rows.json"
        ))
        .expect("rows.json");
        serde_json::from_str(&text).expect("json")
    }

    fn row_values(row: &serde_json::Value) -> Vec<Value> {
        SIGNED_COLUMNS
            .iter()
            .map(|c| match &row[*c] {
                serde_json::Value::Null => Value::Null,
                serde_json::Value::Number(n) => Value::Int(n.as_i64().expect("int")),
                serde_json::Value::String(s) => Value::text(s.clone()),
                other => panic!("unexpected {other}"),
            })
            .collect()
    }

    #[test]
    fn signed_texts_match_privacyidea() {
        let v = vectors();
        for e in v["entries"].as_array().expect("entries") {
            assert_eq!(
                signed_text(&row_values(&e["row"])),
                e["signed_text"].as_str().expect("text")
            );
        }
    }

    #[test]
    fn privacyidea_signatures_verify() {
        let v = vectors();
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/reference/vectors/audit/public.pem"
        ))
        .expect("pem");
        let ver = Verifier::from_pem(&pem, false).expect("key");
        for e in v["entries"].as_array().expect("entries") {
            let text = e["signed_text"].as_str().expect("text");
            let sig = e["row"]["signature"].as_str().expect("sig");
            assert!(ver.verify(text, sig), "{text}");
            assert!(!ver.verify(&format!("{text}x"), sig));
            let mut bad = sig.to_string();
            bad.pop();
            bad.push('0');
            if bad != sig {
                assert!(!ver.verify(text, &bad));
            }
        }
        assert!(!ver.verify("x", "12345"));
    }

    #[test]
    fn decimal_conversion() {
        assert_eq!(decimal_to_bytes("65537"), Some(vec![1, 0, 1]));
        assert_eq!(decimal_to_bytes("0"), Some(vec![0]));
        assert_eq!(decimal_to_bytes("12a"), None);
    }

    #[test]
    fn old_signatures_verify_with_the_flag() {
        // sign old-style with the private vector key: s = int(sha256)^d mod n
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::traits::PrivateKeyParts;
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/reference/vectors/audit/private.pem"
        ))
        .expect("pem");
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(&pem))
            .expect("private key");
        let text = "id=9,date=2020-01-01 00:00:00,action=x";
        let h = rsa::BigUint::from_bytes_be(&Sha256::digest(text.as_bytes()));
        let s = h.modpow(key.d(), key.n());
        let sig = s.to_str_radix(10);
        let pub_pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/reference/vectors/audit/public.pem"
        ))
        .expect("pem");
        assert!(Verifier::from_pem(&pub_pem, true)
            .expect("k")
            .verify(text, &sig));
        assert!(!Verifier::from_pem(&pub_pem, false)
            .expect("k")
            .verify(text, &sig));
        assert!(!Verifier::from_pem(&pub_pem, true)
            .expect("k")
            .verify("other", &sig));
    }
}
