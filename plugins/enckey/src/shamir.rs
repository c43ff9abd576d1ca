//! Shamir secret sharing of the key over GF(256) (vsss-rs), in checksummed text envelopes.
//!
//! A share is one line:
//! `mfactl-share:1:<set>:<threshold>:<index>:<fingerprint>:<data>:<checksum>`
//! - `set`: 8 hex characters, random per `split`; shares of different splits never mix;
//! - `threshold`, `index`: decimal (index 1..=255, the x coordinate);
//! - `fingerprint`: the key's fingerprint (32 hex), checked after reconstruction;
//! - `data`: 192 hex characters (the share's 96 y bytes);
//! - `checksum`: the first 4 bytes of SHA-256 over everything before it (including the last `:`),
//!   8 hex characters, so a mistyped or changed character is caught when the share is entered.
//!
//! Whitespace inside a share is ignored and hex is case-insensitive, so a share typed in groups
//! or across lines reads the same.

use crate::key::{fingerprint, EncKey, KEY_LEN};
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::fmt;
use vsss_rs::{Gf256, IdentifierGf256};
use zeroize::Zeroizing;

/// The envelope's first word.
pub const SHARE_MAGIC: &str = "mfactl-share";
/// The envelope version.
pub const SHARE_VERSION: &str = "1";

/// One share of a split key.
#[derive(Clone, PartialEq, Eq)]
pub struct Share {
    /// The split's random id (8 hex characters).
    pub set_id: String,
    /// How many shares reconstruct the key.
    pub threshold: u8,
    /// This share's x coordinate (1..=255).
    pub index: u8,
    /// Fingerprint of the key that was split.
    pub fingerprint: String,
    /// The share's y bytes (one per key byte).
    pub data: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Share(set {}, {} of threshold {}, fingerprint {})",
            self.set_id, self.index, self.threshold, self.fingerprint
        )
    }
}

fn checksum(prefix: &str) -> String {
    hex::encode(&Sha256::digest(prefix.as_bytes())[..4])
}

impl Share {
    /// The envelope line.
    pub fn to_line(&self) -> Zeroizing<String> {
        let prefix = Zeroizing::new(format!(
            "{SHARE_MAGIC}:{SHARE_VERSION}:{}:{}:{}:{}:{}:",
            self.set_id,
            self.threshold,
            self.index,
            self.fingerprint,
            hex::encode(&self.data[..])
        ));
        Zeroizing::new(format!("{}{}", prefix.as_str(), checksum(&prefix)))
    }

    /// Parses one envelope (whitespace ignored, hex case-insensitive).
    pub fn parse(text: &str) -> Result<Share, ShareError> {
        let s: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase(),
        );
        if !s.starts_with(SHARE_MAGIC) {
            return Err(ShareError::NotAShare);
        }
        let fields: Vec<&str> = s.split(':').collect();
        if fields.len() != 8 || fields[0] != SHARE_MAGIC {
            return Err(ShareError::Malformed(format!(
                "expected 8 ':'-separated fields, found {} (incomplete?)",
                fields.len()
            )));
        }
        if fields[1] != SHARE_VERSION {
            return Err(ShareError::Malformed(format!(
                "envelope version {} is not supported",
                fields[1]
            )));
        }
        let sum_at = s.len() - fields[7].len();
        if checksum(&s[..sum_at]) != fields[7] {
            return Err(ShareError::Checksum);
        }
        let hex_field = |v: &str, len: usize, what: &str| {
            if v.len() == len && v.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(v.to_string())
            } else {
                Err(ShareError::Malformed(format!("bad {what}")))
            }
        };
        let set_id = hex_field(fields[2], 8, "set id")?;
        let threshold: u8 = fields[3]
            .parse()
            .map_err(|_| ShareError::Malformed("bad threshold".into()))?;
        let index: u8 = fields[4]
            .parse()
            .map_err(|_| ShareError::Malformed("bad index".into()))?;
        if threshold < 2 || index == 0 {
            return Err(ShareError::Malformed("threshold below 2 or index 0".into()));
        }
        let fingerprint = hex_field(fields[5], 32, "fingerprint")?;
        let data = Zeroizing::new(
            hex::decode(fields[6]).map_err(|_| ShareError::Malformed("data is not hex".into()))?,
        );
        if data.len() != KEY_LEN {
            return Err(ShareError::Malformed(format!(
                "data has {} bytes, expected {KEY_LEN}",
                data.len()
            )));
        }
        Ok(Share {
            set_id,
            threshold,
            index,
            fingerprint,
            data,
        })
    }
}

/// Why a share was rejected or the key could not be rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareError {
    /// The text does not start with `mfactl-share`.
    NotAShare,
    /// A field is wrong.
    Malformed(String),
    /// The checksum does not match.
    Checksum,
    /// The share belongs to another split.
    OtherSet {
        /// Set id of the shares entered so far.
        expected: String,
        /// Set id of this share.
        got: String,
    },
    /// Same set, different threshold or fingerprint: the share was tampered with.
    Inconsistent(String),
    /// This index was entered already.
    Duplicate(u8),
    /// Invalid split parameters.
    Parameters(String),
    /// The rebuilt key does not have the recorded fingerprint.
    FingerprintMismatch,
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareError::NotAShare => write!(f, "not a share (it must start with {SHARE_MAGIC}:)"),
            ShareError::Malformed(m) => write!(f, "malformed share: {m}"),
            ShareError::Checksum => {
                f.write_str("checksum mismatch: a character was changed or mistyped")
            }
            ShareError::OtherSet { expected, got } => write!(
                f,
                "share of another split (set {got}; the shares so far are of set {expected})"
            ),
            ShareError::Inconsistent(m) => write!(f, "inconsistent share: {m}"),
            ShareError::Duplicate(i) => write!(f, "share {i} was already entered"),
            ShareError::Parameters(m) => f.write_str(m),
            ShareError::FingerprintMismatch => f.write_str(
                "the shares do not rebuild the key they were made from (fingerprint mismatch)",
            ),
        }
    }
}

impl std::error::Error for ShareError {}

/// rand_core 0.10 adapter over the OS CSPRNG (vsss-rs 6 wants a rand_core 0.10 `CryptoRng`).
struct OsRng010;

impl rand_core_010::TryRng for OsRng010 {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        use rand::RngCore;
        Ok(rand::rngs::OsRng.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        use rand::RngCore;
        Ok(rand::rngs::OsRng.next_u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        use rand::RngCore;
        rand::rngs::OsRng.fill_bytes(dst);
        Ok(())
    }
}

impl rand_core_010::TryCryptoRng for OsRng010 {}

/// Splits `key` into `shares` shares of which any `threshold` rebuild it
/// (2 ≤ threshold ≤ shares ≤ 255). Share indexes are 1..=shares.
pub fn split(key: &EncKey, shares: u8, threshold: u8) -> Result<Vec<Share>, ShareError> {
    if threshold < 2 || threshold > shares {
        return Err(ShareError::Parameters(format!(
            "need 2 <= threshold <= shares <= 255, got threshold {threshold} and {shares} shares"
        )));
    }
    // Explicit x coordinates 1..=shares (the share index users see).
    let ids = (1..=shares).map(|i| IdentifierGf256(Gf256(i)));
    let raw = Gf256::split_bytes_with_participant_ids_iter(
        threshold as usize,
        shares as usize,
        key.as_bytes(),
        &mut OsRng010,
        ids,
    )
    .map_err(|e| ShareError::Parameters(format!("splitting failed: {e:?}")))?;
    let raw: Vec<Zeroizing<Vec<u8>>> = raw.into_iter().map(Zeroizing::new).collect();
    let mut set = [0u8; 4];
    {
        use rand::RngCore;
        rand::rngs::OsRng.fill_bytes(&mut set);
    }
    let set_id = hex::encode(set);
    let fp = fingerprint(key);
    let mut out = Vec::with_capacity(raw.len());
    for r in raw.iter() {
        let (&index, data) = r
            .split_first()
            .ok_or_else(|| ShareError::Parameters("empty share from vsss-rs".into()))?;
        out.push(Share {
            set_id: set_id.clone(),
            threshold,
            index,
            fingerprint: fp.clone(),
            data: Zeroizing::new(data.to_vec()),
        });
    }
    Ok(out)
}

/// Collects shares one at a time, rejecting bad ones at once, until the threshold is reached.
#[derive(Default)]
pub struct Collector {
    shares: Vec<Share>,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a share after checking it against the ones already in.
    pub fn add(&mut self, share: Share) -> Result<(), ShareError> {
        if let Some(first) = self.shares.first() {
            if share.set_id != first.set_id {
                return Err(ShareError::OtherSet {
                    expected: first.set_id.clone(),
                    got: share.set_id,
                });
            }
            if share.threshold != first.threshold {
                return Err(ShareError::Inconsistent(format!(
                    "threshold {} differs from {}",
                    share.threshold, first.threshold
                )));
            }
            if share.fingerprint != first.fingerprint {
                return Err(ShareError::Inconsistent("key fingerprint differs".into()));
            }
            if self.shares.iter().any(|s| s.index == share.index) {
                return Err(ShareError::Duplicate(share.index));
            }
        }
        if !self.is_complete() {
            self.shares.push(share);
        }
        Ok(())
    }

    /// Parses and adds one share.
    pub fn add_text(&mut self, text: &str) -> Result<(), ShareError> {
        self.add(Share::parse(text)?)
    }

    /// Shares accepted so far.
    pub fn count(&self) -> usize {
        self.shares.len()
    }

    /// The threshold of the set (after the first share).
    pub fn threshold(&self) -> Option<u8> {
        self.shares.first().map(|s| s.threshold)
    }

    /// True once `threshold` shares are in.
    pub fn is_complete(&self) -> bool {
        self.threshold()
            .is_some_and(|t| self.shares.len() >= t as usize)
    }

    /// Rebuilds the key and checks its fingerprint.
    pub fn combine(&self) -> Result<EncKey, ShareError> {
        let t = self
            .threshold()
            .ok_or_else(|| ShareError::Parameters("no shares".into()))?;
        if self.shares.len() < t as usize {
            return Err(ShareError::Parameters(format!(
                "{} of {t} shares entered",
                self.shares.len()
            )));
        }
        let raw: Vec<Vec<u8>> = self
            .shares
            .iter()
            .map(|s| {
                let mut v = Vec::with_capacity(s.data.len() + 1);
                v.push(s.index);
                v.extend_from_slice(&s.data);
                v
            })
            .collect();
        let raw = Zeroizing::new(raw);
        let secret = Zeroizing::new(
            Gf256::combine_bytes(&raw[..])
                .map_err(|e| ShareError::Parameters(format!("combining failed: {e:?}")))?,
        );
        let key = EncKey::from_slice(&secret).ok_or(ShareError::FingerprintMismatch)?;
        if fingerprint(&key) != self.shares[0].fingerprint {
            return Err(ShareError::FingerprintMismatch);
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> EncKey {
        EncKey::generate()
    }

    fn combine(shares: &[&Share]) -> Result<EncKey, ShareError> {
        let mut c = Collector::new();
        for s in shares {
            c.add(Share::parse(&s.to_line())?)?;
        }
        c.combine()
    }

    /// All subsets of `n` indices of size `k`.
    fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        for mask in 0u32..(1 << n) {
            if mask.count_ones() as usize == k {
                out.push((0..n).filter(|i| mask & (1 << i) != 0).collect());
            }
        }
        out
    }

    #[test]
    fn any_t_of_n_rebuild_and_t_minus_1_do_not() {
        for (t, n) in [(2u8, 2u8), (2, 3), (3, 5), (4, 4), (2, 6), (5, 7)] {
            let k = key();
            let shares = split(&k, n, t).expect("split");
            assert_eq!(shares.len(), n as usize);
            let idx: Vec<u8> = shares.iter().map(|s| s.index).collect();
            assert_eq!(idx, (1..=n).collect::<Vec<u8>>());
            for sub in subsets(n as usize, t as usize) {
                let pick: Vec<&Share> = sub.iter().map(|&i| &shares[i]).collect();
                let back = combine(&pick).expect("combine");
                assert_eq!(back.as_bytes(), k.as_bytes(), "t={t} n={n} {sub:?}");
            }
            // T-1 shares: the collector is not complete and combine refuses.
            let mut c = Collector::new();
            for s in shares.iter().take(t as usize - 1) {
                c.add(s.clone()).expect("add");
            }
            assert!(!c.is_complete());
            assert!(c.combine().is_err());
            // And forcing T-1 shares through the raw combine gives a different key.
            if t > 2 {
                let raw: Vec<Vec<u8>> = shares
                    .iter()
                    .take(t as usize - 1)
                    .map(|s| [vec![s.index], s.data.to_vec()].concat())
                    .collect();
                let wrong = Gf256::combine_bytes(&raw).expect("raw combine");
                assert_ne!(&wrong[..], &k.as_bytes()[..]);
            }
        }
    }

    #[test]
    fn larger_splits_work() {
        let k = key();
        let shares = split(&k, 255, 3).expect("split");
        let pick = [&shares[254], &shares[0], &shares[100]];
        assert_eq!(combine(&pick).expect("c").as_bytes(), k.as_bytes());
    }

    #[test]
    fn bad_parameters_are_refused() {
        let k = key();
        assert!(split(&k, 3, 1).is_err());
        assert!(split(&k, 3, 4).is_err());
        assert!(split(&k, 1, 1).is_err());
    }

    #[test]
    fn every_changed_character_is_caught() {
        let k = key();
        let shares = split(&k, 3, 2).expect("split");
        let line = shares[0].to_line();
        let bytes = line.as_bytes();
        for i in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[i] = match changed[i] {
                b'0' => b'1',
                b':' => b'-',
                b'a'..=b'z' => b'0',
                _ => b'a',
            };
            let text = String::from_utf8(changed).expect("utf8");
            assert!(Share::parse(&text).is_err(), "position {i} not caught");
        }
        // Whitespace and case do not matter.
        let spaced: String = line
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                if i % 8 == 0 {
                    vec![' ', c.to_ascii_uppercase()]
                } else {
                    vec![c]
                }
            })
            .collect();
        assert_eq!(
            Share::parse(&format!("{spaced}\n")).expect("parse"),
            shares[0]
        );
        assert_eq!(Share::parse("hello").err(), Some(ShareError::NotAShare));
        let cut = &line[..line.len() - 20];
        assert!(Share::parse(cut).is_err());
    }

    #[test]
    fn shares_of_another_set_and_duplicates_are_rejected() {
        let k = key();
        let a = split(&k, 3, 2).expect("a");
        let b = split(&k, 3, 2).expect("b");
        let mut c = Collector::new();
        c.add(a[0].clone()).expect("first");
        assert!(matches!(
            c.add(b[1].clone()),
            Err(ShareError::OtherSet { .. })
        ));
        assert_eq!(c.add(a[0].clone()), Err(ShareError::Duplicate(1)));
        c.add(a[2].clone()).expect("second");
        assert!(c.is_complete());
        assert_eq!(c.combine().expect("combine").as_bytes(), k.as_bytes());
    }

    #[test]
    fn a_resealed_tampered_share_fails_the_fingerprint() {
        let k = key();
        let s = split(&k, 2, 2).expect("split");
        let mut bad = s[1].clone();
        bad.data[5] ^= 0x40;
        // Re-serialised, so the checksum is valid: only the fingerprint check can catch it.
        let mut c = Collector::new();
        c.add(s[0].clone()).expect("a");
        c.add_text(&bad.to_line()).expect("b");
        assert_eq!(c.combine().err(), Some(ShareError::FingerprintMismatch));
    }
}
