//! Administrator password hashes as privacyIDEA 3.14 writes and checks them.
//!
//! privacyIDEA hashes `PI_PEPPER + password` (plain string concatenation, pepper first) with the
//! first scheme of `PI_HASH_ALGO_LIST` (default `argon2`, then `pbkdf2_sha512`) and accepts a
//! password whose hash matches any scheme in that list. The formats, as passlib 1.7.4 writes them:
//!
//! * argon2: the PHC string `$argon2id$v=19$m=65536,t=9,p=4$<salt>$<hash>`; salt and hash in
//!   standard base64 without padding; 16 bytes of salt, 32 bytes of hash (argon2-cffi's defaults,
//!   `rounds` 9 from privacyIDEA).
//! * pbkdf2_sha512: `$pbkdf2-sha512$<rounds>$<salt>$<checksum>` in passlib's "adapted base64"
//!   (standard alphabet with `.` for `+`, no padding); 16 bytes of salt, 64 bytes of checksum,
//!   25000 rounds by default.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use rand::RngCore;
use sha2::Sha512;
use zeroize::Zeroizing;

/// Standard base64 without padding on output; padding optional on input.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A hashing scheme privacyIDEA's `PI_HASH_ALGO_LIST` may name and mfactl can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// passlib `argon2`.
    Argon2,
    /// passlib `pbkdf2_sha512`.
    Pbkdf2Sha512,
}

impl Scheme {
    /// The passlib name.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Argon2 => "argon2",
            Scheme::Pbkdf2Sha512 => "pbkdf2_sha512",
        }
    }
    /// The scheme for a passlib name, `None` for schemes mfactl does not implement.
    pub fn from_name(name: &str) -> Option<Scheme> {
        match name {
            "argon2" => Some(Scheme::Argon2),
            "pbkdf2_sha512" => Some(Scheme::Pbkdf2Sha512),
            _ => None,
        }
    }
}

/// The argon2 variant of a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argon2Type {
    /// argon2id (passlib's default).
    Id,
    /// argon2i.
    I,
    /// argon2d.
    D,
}

impl Argon2Type {
    fn ident(self) -> &'static str {
        match self {
            Argon2Type::Id => "argon2id",
            Argon2Type::I => "argon2i",
            Argon2Type::D => "argon2d",
        }
    }
    fn algorithm(self) -> Algorithm {
        match self {
            Argon2Type::Id => Algorithm::Argon2id,
            Argon2Type::I => Algorithm::Argon2i,
            Argon2Type::D => Algorithm::Argon2d,
        }
    }
}

/// Parameters for new hashes (privacyIDEA 3.14 defaults unless the configuration says otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashParams {
    /// The scheme of new hashes.
    pub scheme: Scheme,
    /// argon2 variant.
    pub argon2_type: Argon2Type,
    /// argon2 time cost (passlib `rounds`).
    pub argon2_rounds: u32,
    /// argon2 memory in KiB (passlib `memory_cost`).
    pub argon2_memory_kib: u32,
    /// argon2 lanes (passlib `parallelism`).
    pub argon2_parallelism: u32,
    /// argon2 salt bytes (passlib `salt_size`).
    pub argon2_salt_size: usize,
    /// argon2 hash bytes (passlib `digest_size`).
    pub argon2_digest_size: usize,
    /// pbkdf2_sha512 iterations.
    pub pbkdf2_rounds: u32,
    /// pbkdf2_sha512 salt bytes.
    pub pbkdf2_salt_size: usize,
}

impl HashParams {
    /// What new hashes look like: `argon2id m=65536,t=9,p=4` or `pbkdf2-sha512 25000 rounds`.
    pub fn describe(&self) -> String {
        match self.scheme {
            Scheme::Argon2 => format!(
                "{} m={},t={},p={}",
                self.argon2_type.ident(),
                self.argon2_memory_kib,
                self.argon2_rounds,
                self.argon2_parallelism
            ),
            Scheme::Pbkdf2Sha512 => format!("pbkdf2-sha512 {} rounds", self.pbkdf2_rounds),
        }
    }
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            scheme: Scheme::Argon2,
            argon2_type: Argon2Type::Id,
            argon2_rounds: 9,
            argon2_memory_kib: 65536,
            argon2_parallelism: 4,
            argon2_salt_size: 16,
            argon2_digest_size: 32,
            pbkdf2_rounds: 25000,
            pbkdf2_salt_size: 16,
        }
    }
}

/// What went wrong with a hash or its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashError(pub String);

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HashError {}

fn err(msg: impl Into<String>) -> HashError {
    HashError(msg.into())
}

/// The secret privacyIDEA hashes: the pepper followed by the password.
pub fn peppered(pepper: &str, password: &str) -> Zeroizing<Vec<u8>> {
    let mut v = Zeroizing::new(Vec::with_capacity(pepper.len() + password.len()));
    v.extend_from_slice(pepper.as_bytes());
    v.extend_from_slice(password.as_bytes());
    v
}

/// Hashes `pepper + password` for the `admin.password` column with fresh random salt.
pub fn hash_password(
    params: &HashParams,
    pepper: &str,
    password: &str,
) -> Result<String, HashError> {
    let size = match params.scheme {
        Scheme::Argon2 => params.argon2_salt_size,
        Scheme::Pbkdf2Sha512 => params.pbkdf2_salt_size,
    };
    let mut salt = vec![0u8; size];
    rand::rngs::OsRng.try_fill_bytes(&mut salt).map_err(|e| {
        err(format!(
            "the operating system's random generator failed: {e}"
        ))
    })?;
    hash_with_salt(params, &peppered(pepper, password), &salt)
}

/// Hashes `secret` with the given salt (deterministic; for tests and [`hash_password`]).
pub fn hash_with_salt(
    params: &HashParams,
    secret: &[u8],
    salt: &[u8],
) -> Result<String, HashError> {
    match params.scheme {
        Scheme::Argon2 => {
            let a = Argon2Hash {
                kind: params.argon2_type,
                version: 0x13,
                m: params.argon2_memory_kib,
                t: params.argon2_rounds,
                p: params.argon2_parallelism,
                salt: salt.to_vec(),
                hash: Vec::new(),
            };
            let out = a.compute(secret, params.argon2_digest_size)?;
            Ok(Argon2Hash {
                hash: out.to_vec(),
                ..a
            }
            .to_phc())
        }
        Scheme::Pbkdf2Sha512 => {
            if params.pbkdf2_rounds == 0 {
                return Err(err("pbkdf2_sha512 rounds must be at least 1"));
            }
            let mut out = [0u8; 64];
            pbkdf2::pbkdf2_hmac::<Sha512>(secret, salt, params.pbkdf2_rounds, &mut out);
            Ok(format!(
                "$pbkdf2-sha512${}${}${}",
                params.pbkdf2_rounds,
                ab64_encode(salt),
                ab64_encode(&out)
            ))
        }
    }
}

/// passlib's adapted base64: standard alphabet, `.` instead of `+`, no padding.
pub fn ab64_encode(data: &[u8]) -> String {
    B64.encode(data).replace('+', ".")
}

/// Decodes passlib's adapted base64 (also accepts `+` and padding).
pub fn ab64_decode(text: &str) -> Result<Vec<u8>, HashError> {
    B64.decode(text.replace('.', "+"))
        .map_err(|e| err(format!("bad base64 {text:?}: {e}")))
}

/// A parsed argon2 PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argon2Hash {
    /// Variant.
    pub kind: Argon2Type,
    /// 0x13 (19) or 0x10 (16; passlib writes no `v=` for it).
    pub version: u32,
    /// Memory in KiB.
    pub m: u32,
    /// Time cost.
    pub t: u32,
    /// Lanes.
    pub p: u32,
    /// Salt bytes.
    pub salt: Vec<u8>,
    /// Hash bytes.
    pub hash: Vec<u8>,
}

impl Argon2Hash {
    /// Parses `$argon2id$v=19$m=…,t=…,p=…$salt$hash` (also argon2i/argon2d, and without `v=`).
    pub fn parse(text: &str) -> Result<Argon2Hash, HashError> {
        let parts: Vec<&str> = text.split('$').collect();
        if parts.first() != Some(&"") {
            return Err(err("an argon2 hash starts with '$'"));
        }
        let kind = match parts.get(1).copied() {
            Some("argon2id") => Argon2Type::Id,
            Some("argon2i") => Argon2Type::I,
            Some("argon2d") => Argon2Type::D,
            _ => return Err(err("not an argon2 hash")),
        };
        let mut rest = &parts[2..];
        let mut version = 0x10;
        if let Some(v) = rest.first().and_then(|s| s.strip_prefix("v=")) {
            version = v
                .parse()
                .map_err(|_| err(format!("bad argon2 version {v:?}")))?;
            rest = &rest[1..];
        }
        if version != 0x10 && version != 0x13 {
            return Err(err(format!("unknown argon2 version {version}")));
        }
        let [params, salt, hash] = rest else {
            return Err(err("an argon2 hash has the fields params$salt$hash"));
        };
        let (mut m, mut t, mut p) = (None, None, None);
        for kv in params.split(',') {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| err(format!("bad argon2 parameter {kv:?}")))?;
            let n = || {
                v.parse::<u32>()
                    .map_err(|_| err(format!("bad argon2 parameter {kv:?}")))
            };
            match k {
                "m" => m = Some(n()?),
                "t" => t = Some(n()?),
                "p" => p = Some(n()?),
                // passlib can write keyid/data; privacyIDEA never sets them.
                _ => return Err(err(format!("unsupported argon2 parameter {k:?}"))),
            }
        }
        let (Some(m), Some(t), Some(p)) = (m, t, p) else {
            return Err(err("an argon2 hash needs m, t and p"));
        };
        Ok(Argon2Hash {
            kind,
            version,
            m,
            t,
            p,
            salt: B64
                .decode(salt)
                .map_err(|e| err(format!("bad argon2 salt: {e}")))?,
            hash: B64
                .decode(hash)
                .map_err(|e| err(format!("bad argon2 hash value: {e}")))?,
        })
    }

    /// The PHC string, as passlib writes it.
    pub fn to_phc(&self) -> String {
        let v = if self.version == 0x10 {
            String::new()
        } else {
            format!("v={}$", self.version)
        };
        format!(
            "${}${v}m={},t={},p={}${}${}",
            self.kind.ident(),
            self.m,
            self.t,
            self.p,
            B64.encode(&self.salt),
            B64.encode(&self.hash)
        )
    }

    /// Computes the raw argon2 output for `secret` with this hash's parameters and salt.
    pub fn compute(&self, secret: &[u8], len: usize) -> Result<Zeroizing<Vec<u8>>, HashError> {
        let params = Params::new(self.m, self.t, self.p, Some(len)).map_err(|e| {
            err(format!(
                "argon2 parameters m={},t={},p={}: {e}",
                self.m, self.t, self.p
            ))
        })?;
        let version = if self.version == 0x10 {
            Version::V0x10
        } else {
            Version::V0x13
        };
        let a = Argon2::new(self.kind.algorithm(), version, params);
        let mut out = Zeroizing::new(vec![0u8; len]);
        a.hash_password_into(secret, &self.salt, &mut out)
            .map_err(|e| err(format!("argon2: {e}")))?;
        Ok(out)
    }
}

/// A parsed `$pbkdf2-sha512$` hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pbkdf2Hash {
    /// Iterations.
    pub rounds: u32,
    /// Salt bytes.
    pub salt: Vec<u8>,
    /// 64-byte checksum.
    pub checksum: Vec<u8>,
}

impl Pbkdf2Hash {
    /// Parses passlib's `$pbkdf2-sha512$rounds$salt$checksum`.
    pub fn parse(text: &str) -> Result<Pbkdf2Hash, HashError> {
        let rest = text
            .strip_prefix("$pbkdf2-sha512$")
            .ok_or_else(|| err("not a pbkdf2-sha512 hash"))?;
        let parts: Vec<&str> = rest.split('$').collect();
        let [rounds, salt, checksum] = parts.as_slice() else {
            return Err(err(
                "a pbkdf2-sha512 hash has the fields rounds$salt$checksum",
            ));
        };
        let rounds: u32 = rounds
            .parse()
            .map_err(|_| err(format!("bad pbkdf2-sha512 rounds {rounds:?}")))?;
        if rounds == 0 {
            return Err(err("pbkdf2-sha512 rounds must be at least 1"));
        }
        let checksum = ab64_decode(checksum)?;
        if checksum.len() != 64 {
            return Err(err(format!(
                "a pbkdf2-sha512 checksum has 64 bytes, this one {}",
                checksum.len()
            )));
        }
        Ok(Pbkdf2Hash {
            rounds,
            salt: ab64_decode(salt)?,
            checksum,
        })
    }
}

/// A stored admin hash, recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredHash {
    /// argon2 (any variant).
    Argon2(Argon2Hash),
    /// pbkdf2_sha512.
    Pbkdf2(Pbkdf2Hash),
}

impl StoredHash {
    /// Recognises a hash from the `admin.password` column.
    pub fn parse(text: &str) -> Result<StoredHash, HashError> {
        if text.starts_with("$argon2") {
            Argon2Hash::parse(text).map(StoredHash::Argon2)
        } else if text.starts_with("$pbkdf2-sha512$") {
            Pbkdf2Hash::parse(text).map(StoredHash::Pbkdf2)
        } else {
            let shown: String = text.chars().take(16).collect();
            Err(err(format!(
                "unrecognised hash format {shown:?}… (mfactl knows argon2 and pbkdf2-sha512)"
            )))
        }
    }

    /// The passlib scheme of this hash.
    pub fn scheme(&self) -> Scheme {
        match self {
            StoredHash::Argon2(_) => Scheme::Argon2,
            StoredHash::Pbkdf2(_) => Scheme::Pbkdf2Sha512,
        }
    }

    /// A short description: `argon2id m=65536,t=9,p=4` or `pbkdf2-sha512 25000 rounds`.
    pub fn describe(&self) -> String {
        match self {
            StoredHash::Argon2(a) => {
                format!("{} m={},t={},p={}", a.kind.ident(), a.m, a.t, a.p)
            }
            StoredHash::Pbkdf2(p) => format!("pbkdf2-sha512 {} rounds", p.rounds),
        }
    }

    /// True when new hashes made with `params` would differ in scheme or cost from this one
    /// (passlib's "needs update"); salt and digest sizes are not compared.
    pub fn outdated(&self, params: &HashParams) -> bool {
        match self {
            StoredHash::Argon2(a) => {
                params.scheme != Scheme::Argon2
                    || a.kind != params.argon2_type
                    || a.version != 0x13
                    || a.m != params.argon2_memory_kib
                    || a.t != params.argon2_rounds
                    || a.p != params.argon2_parallelism
            }
            StoredHash::Pbkdf2(p) => {
                params.scheme != Scheme::Pbkdf2Sha512 || p.rounds != params.pbkdf2_rounds
            }
        }
    }

    /// True when `secret` (pepper + password) produces this hash. Constant-time comparison.
    pub fn verify(&self, secret: &[u8]) -> Result<bool, HashError> {
        match self {
            StoredHash::Argon2(a) => {
                if a.hash.is_empty() {
                    return Err(err("the argon2 hash value is empty"));
                }
                let out = a.compute(secret, a.hash.len())?;
                Ok(ct_eq(&out, &a.hash))
            }
            StoredHash::Pbkdf2(p) => {
                let mut out = Zeroizing::new([0u8; 64]);
                pbkdf2::pbkdf2_hmac::<Sha512>(secret, &p.salt, p.rounds, &mut out[..]);
                Ok(ct_eq(&out[..], &p.checksum))
            }
        }
    }
}

/// Checks `pepper + password` against a stored hash.
pub fn verify_password(stored: &str, pepper: &str, password: &str) -> Result<bool, HashError> {
    StoredHash::parse(stored)?.verify(&peppered(pepper, password))
}

/// Constant-time equality of two byte strings (the lengths are not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // keep the optimiser from short-cutting the loop
    std::hint::black_box(diff) == 0
}

/// Builds [`HashParams`] from `PI_HASH_ALGO_LIST` (a list of passlib names) and
/// `PI_HASH_ALGO_PARAMS` (a dict of `<scheme>__<setting>`), as JSON values. Returns the
/// parameters, the list of accepted schemes and warnings about settings mfactl ignores.
pub fn params_from_config(
    algo_list: Option<&serde_json::Value>,
    algo_params: Option<&serde_json::Value>,
) -> Result<(HashParams, Vec<Scheme>, Vec<String>), HashError> {
    let mut p = HashParams::default();
    let mut warnings = Vec::new();
    let mut accepted = vec![Scheme::Argon2, Scheme::Pbkdf2Sha512];
    if let Some(list) = algo_list {
        let names = list
            .as_array()
            .ok_or_else(|| err("PI_HASH_ALGO_LIST must be a list of scheme names"))?;
        let names: Vec<&str> = names
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| err("PI_HASH_ALGO_LIST must hold strings"))
            })
            .collect::<Result<_, _>>()?;
        let first = names
            .first()
            .ok_or_else(|| err("PI_HASH_ALGO_LIST is empty"))?;
        p.scheme = Scheme::from_name(first).ok_or_else(|| {
            err(format!(
                "PI_HASH_ALGO_LIST starts with {first:?}; mfactl can write argon2 and pbkdf2_sha512 hashes"
            ))
        })?;
        accepted = names.iter().filter_map(|n| Scheme::from_name(n)).collect();
        for n in &names {
            if Scheme::from_name(n).is_none() {
                warnings.push(format!(
                    "PI_HASH_ALGO_LIST names {n:?}; mfactl cannot check hashes of that scheme"
                ));
            }
        }
    }
    if let Some(params) = algo_params {
        let map = params
            .as_object()
            .ok_or_else(|| err("PI_HASH_ALGO_PARAMS must be a dict"))?;
        for (key, value) in map {
            let num = || {
                value
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| {
                        err(format!(
                            "PI_HASH_ALGO_PARAMS[{key:?}] must be a positive integer"
                        ))
                    })
            };
            match key.as_str() {
                "argon2__rounds" | "argon2__default_rounds" => p.argon2_rounds = num()?,
                "argon2__memory_cost" => p.argon2_memory_kib = num()?,
                "argon2__parallelism" => p.argon2_parallelism = num()?,
                "argon2__salt_size" => p.argon2_salt_size = num()? as usize,
                "argon2__digest_size" => p.argon2_digest_size = num()? as usize,
                "argon2__type" => {
                    p.argon2_type = match value.as_str().map(|s| s.to_ascii_lowercase()).as_deref()
                    {
                        Some("id") => Argon2Type::Id,
                        Some("i") => Argon2Type::I,
                        Some("d") => Argon2Type::D,
                        _ => {
                            return Err(err(format!(
                                "PI_HASH_ALGO_PARAMS[{key:?}] must be ID, I or D"
                            )))
                        }
                    }
                }
                "pbkdf2_sha512__rounds" | "pbkdf2_sha512__default_rounds" => {
                    p.pbkdf2_rounds = num()?
                }
                "pbkdf2_sha512__salt_size" => p.pbkdf2_salt_size = num()? as usize,
                _ => warnings.push(format!(
                    "PI_HASH_ALGO_PARAMS setting {key:?} is not used by mfactl"
                )),
            }
        }
    }
    Ok((p, accepted, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "$argon2id$v=19$m=65536,t=9,p=4$TolRqjUmxPjf+1/L+V+LcQ$D+SeIG4UHSFe2iEzHDBDTgictBThVarDAabSGSwJf6Y";
    const BOB: &str = "$pbkdf2-sha512$25000$JgTAOAcA4HyPUUqplVLKmQ$HMuqiWfPoUXBlzfAgeoMM7qOLzG1mx14oNvtHHpbRWDUnB63GImigf8b6oSgbNYs3f3vR6YsqzlzTJ0Vtew2ug";

    #[test]
    fn privacyidea_argon2_hash_is_recognised_and_verifies() {
        let h = StoredHash::parse(ALICE).expect("parse");
        assert_eq!(h.describe(), "argon2id m=65536,t=9,p=4");
        assert!(verify_password(ALICE, "pepper", "secret").expect("verify"));
        assert!(!verify_password(ALICE, "pepper", "wrong").expect("verify"));
        assert!(!verify_password(ALICE, "", "secret").expect("verify"));
    }

    #[test]
    fn argon2_with_privacyidea_salt_reproduces_the_hash_byte_for_byte() {
        let StoredHash::Argon2(a) = StoredHash::parse(ALICE).expect("parse") else {
            panic!("not argon2")
        };
        assert_eq!(a.salt.len(), 16);
        assert_eq!(a.hash.len(), 32);
        let made = hash_with_salt(&HashParams::default(), b"peppersecret", &a.salt).expect("hash");
        assert_eq!(made, ALICE);
        assert_eq!(a.to_phc(), ALICE);
    }

    #[test]
    fn privacyidea_pbkdf2_hash_is_recognised_and_verifies() {
        let h = StoredHash::parse(BOB).expect("parse");
        assert_eq!(h.scheme(), Scheme::Pbkdf2Sha512);
        assert_eq!(h.describe(), "pbkdf2-sha512 25000 rounds");
        assert!(verify_password(BOB, "pepper", "secret").expect("verify"));
        assert!(!verify_password(BOB, "pepper", "secreT").expect("verify"));
        assert!(!verify_password(BOB, "", "peppersecret!").expect("verify"));
        // and the writer reproduces it from its salt
        let StoredHash::Pbkdf2(p) = h else { panic!() };
        let params = HashParams {
            scheme: Scheme::Pbkdf2Sha512,
            ..HashParams::default()
        };
        assert_eq!(
            hash_with_salt(&params, b"peppersecret", &p.salt).expect("hash"),
            BOB
        );
    }

    #[test]
    fn outdated_compares_scheme_and_cost() {
        let d = HashParams::default();
        assert!(!StoredHash::parse(ALICE).expect("alice").outdated(&d));
        assert!(StoredHash::parse(BOB).expect("bob").outdated(&d));
        let pb = HashParams {
            scheme: Scheme::Pbkdf2Sha512,
            ..HashParams::default()
        };
        assert!(!StoredHash::parse(BOB).expect("bob").outdated(&pb));
        assert!(StoredHash::parse(ALICE).expect("alice").outdated(&pb));
        let cheap = HashParams {
            argon2_rounds: 1,
            ..HashParams::default()
        };
        assert!(StoredHash::parse(ALICE).expect("alice").outdated(&cheap));
    }

    #[test]
    fn ab64_uses_dot_for_plus() {
        assert_eq!(ab64_encode(&[0xfb, 0xef, 0xbe]), "....");
        assert_eq!(ab64_decode("..++").expect("decode"), vec![0xfb, 0xef, 0xbe]);
        assert_eq!(ab64_encode(b"a"), "YQ");
    }

    #[test]
    fn fresh_hashes_have_privacyidea_shape_and_verify() {
        let params = HashParams {
            // cheap parameters for the test; the shape is the same
            argon2_memory_kib: 64,
            argon2_rounds: 1,
            argon2_parallelism: 1,
            ..HashParams::default()
        };
        let h = hash_password(&params, "pep", "pässwörd").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{h}");
        let fields: Vec<&str> = h.split('$').collect();
        assert_eq!(fields[4].len(), 22); // 16 bytes of salt
        assert_eq!(fields[5].len(), 43); // 32 bytes of hash
        assert!(verify_password(&h, "pep", "pässwörd").expect("verify"));
        // plain concatenation: only the joined string matters
        assert!(verify_password(&h, "pe", "ppässwörd").expect("verify"));
        assert!(!verify_password(&h, "pep", "pässwörd ").expect("verify"));
        let h2 = hash_password(&params, "pep", "pässwörd").expect("hash");
        assert_ne!(h, h2, "salt must be random");
    }

    #[test]
    fn malformed_hashes_are_errors_not_panics() {
        for bad in [
            "",
            "secret",
            "$argon2id$",
            "$argon2id$v=19$m=1,t=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2x$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA",
            "$pbkdf2-sha512$0$c2FsdA$aGFzaA",
            "$pbkdf2-sha512$x$c2FsdA$aGFzaA",
            "$pbkdf2-sha512$1000$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$1000$c2FsdA$aGFzaA",
            "{SSHA512}abc",
        ] {
            assert!(verify_password(bad, "p", "q").is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn argon2_without_version_is_v16() {
        let a = Argon2Hash::parse("$argon2i$m=64,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g").expect("parse");
        assert_eq!(a.version, 0x10);
        assert_eq!(a.kind, Argon2Type::I);
        assert_eq!(a.to_phc(), "$argon2i$m=64,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g");
    }

    #[test]
    fn config_lists_and_params() {
        let (p, acc, w) = params_from_config(None, None).expect("defaults");
        assert_eq!(p, HashParams::default());
        assert_eq!(acc, vec![Scheme::Argon2, Scheme::Pbkdf2Sha512]);
        assert!(w.is_empty());
        let list = serde_json::json!(["pbkdf2_sha512", "argon2", "bcrypt"]);
        let params = serde_json::json!({"argon2__rounds": 4, "pbkdf2_sha512__rounds": 30000, "argon2__foo": 1});
        let (p, acc, w) = params_from_config(Some(&list), Some(&params)).expect("parse");
        assert_eq!(p.scheme, Scheme::Pbkdf2Sha512);
        assert_eq!(p.argon2_rounds, 4);
        assert_eq!(p.pbkdf2_rounds, 30000);
        assert_eq!(acc, vec![Scheme::Pbkdf2Sha512, Scheme::Argon2]);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(params_from_config(Some(&serde_json::json!(["bcrypt"])), None).is_err());
        assert!(params_from_config(Some(&serde_json::json!([])), None).is_err());
        assert!(
            params_from_config(None, Some(&serde_json::json!({"argon2__rounds": "x"}))).is_err()
        );
    }

    #[test]
    fn ct_eq_works() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
