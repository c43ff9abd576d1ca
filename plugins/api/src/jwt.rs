//! HS256 JSON Web Tokens exactly as privacyIDEA 3.14 (PyJWT) writes and checks them.
//!
//! PyJWT serialises the header with sorted keys and the payload in insertion order, both as
//! compact JSON (`separators=(",", ":")`) with Python's default `ensure_ascii`, and encodes the
//! parts as unpadded base64url. privacyIDEA verifies with `algorithms=["HS256"]`, leeway 0, `exp`
//! checked when present but not required.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// base64url without padding on output; padding tolerated on input (as PyJWT does).
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The header PyJWT writes for HS256 (keys sorted).
pub const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// The claims of a privacyIDEA API token, in the order pi-manage writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClaims {
    /// Administrator name.
    pub username: String,
    /// Realm (pi-manage default `API`).
    pub realm: String,
    /// 40 lowercase hex characters.
    pub nonce: String,
    /// `admin` or `validate`.
    pub role: String,
    /// Expiry, seconds since the epoch (UTC).
    pub exp: i64,
}

impl ApiClaims {
    /// The payload JSON, byte for byte as PyJWT writes it.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"username\":{},\"realm\":{},\"nonce\":{},\"role\":{},\"authtype\":\"API\",\"exp\":{},\"rights\":\"TODO\"}}",
            py_json_str(&self.username),
            py_json_str(&self.realm),
            py_json_str(&self.nonce),
            py_json_str(&self.role),
            self.exp
        )
    }
}

/// A JSON string literal as Python's `json.dumps` writes it (`ensure_ascii=True`).
pub fn py_json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// base64url without padding.
pub fn b64url(data: &[u8]) -> String {
    B64URL.encode(data)
}

fn hs256(key: &[u8], input: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    mac.update(input);
    mac
}

#[cold]
fn unreachable_hmac() -> ! {
    // HMAC-SHA256 takes any key length (RFC 2104); this cannot happen.
    std::process::abort()
}

/// Signs `header_json.payload_json` with HS256 and returns the compact token.
pub fn encode_hs256(header_json: &str, payload_json: &str, key: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        b64url(header_json.as_bytes()),
        b64url(payload_json.as_bytes())
    );
    let sig = hs256(key, input.as_bytes()).finalize().into_bytes();
    format!("{input}.{}", b64url(&sig))
}

/// An API token as pi-manage's `api createtoken` makes it.
pub fn api_token(claims: &ApiClaims, key: &[u8]) -> String {
    encode_hs256(HS256_HEADER, &claims.to_json(), key)
}

/// What is wrong with a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts holding JSON objects.
    Malformed(String),
    /// The header's `alg` is not HS256.
    Algorithm(String),
    /// The HMAC does not match.
    BadSignature,
    /// `exp` is in the past (or now).
    Expired {
        /// The token's `exp`.
        exp: i64,
    },
    /// `nbf` or `iat` lies in the future.
    NotYetValid(&'static str),
    /// A time claim is not an integer.
    BadClaim(&'static str),
}

impl std::fmt::Display for JwtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwtError::Malformed(m) => write!(f, "not a valid JWT: {m}"),
            JwtError::Algorithm(a) => write!(
                f,
                "the token uses algorithm {a:?}; privacyIDEA checks SECRET_KEY tokens with HS256 only"
            ),
            JwtError::BadSignature => f.write_str(
                "signature verification failed: the token was not signed with this SECRET_KEY, or it was changed",
            ),
            JwtError::Expired { exp } => write!(f, "the token has expired (exp {exp})"),
            JwtError::NotYetValid(c) => write!(f, "the token is not yet valid ({c} lies in the future)"),
            JwtError::BadClaim(c) => write!(f, "the {c} claim must be an integer"),
        }
    }
}

impl std::error::Error for JwtError {}

/// A token split and decoded, not yet verified.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The header JSON text.
    pub header_json: String,
    /// The header.
    pub header: serde_json::Map<String, serde_json::Value>,
    /// The payload JSON text.
    pub payload_json: String,
    /// The claims, in token order.
    pub claims: serde_json::Map<String, serde_json::Value>,
    signing_input: String,
    signature: Vec<u8>,
}

fn json_object(
    part: &str,
    what: &str,
) -> Result<(String, serde_json::Map<String, serde_json::Value>), JwtError> {
    let bytes = B64URL
        .decode(part)
        .map_err(|e| JwtError::Malformed(format!("the {what} is not base64url: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| JwtError::Malformed(format!("the {what} is not UTF-8")))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(m)) => Ok((text, m)),
        Ok(_) => Err(JwtError::Malformed(format!(
            "the {what} is not a JSON object"
        ))),
        Err(e) => Err(JwtError::Malformed(format!("the {what} is not JSON: {e}"))),
    }
}

impl Decoded {
    /// Splits and decodes `header.payload.signature`.
    pub fn parse(token: &str) -> Result<Decoded, JwtError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [h, p, s] = parts.as_slice() else {
            return Err(JwtError::Malformed(format!(
                "a JWT has 3 dot-separated parts, this has {}",
                parts.len()
            )));
        };
        let (header_json, header) = json_object(h, "header")?;
        let (payload_json, claims) = json_object(p, "payload")?;
        let signature = B64URL
            .decode(s)
            .map_err(|e| JwtError::Malformed(format!("the signature is not base64url: {e}")))?;
        Ok(Decoded {
            header_json,
            header,
            payload_json,
            claims,
            signing_input: format!("{h}.{p}"),
            signature,
        })
    }

    /// The header's `alg`.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(|v| v.as_str())
    }

    /// Checks alg and HMAC (constant-time).
    pub fn verify_signature(&self, key: &[u8]) -> Result<(), JwtError> {
        match self.alg() {
            Some("HS256") => {}
            other => return Err(JwtError::Algorithm(other.unwrap_or("(none)").to_string())),
        }
        hs256(key, self.signing_input.as_bytes())
            .verify_slice(&self.signature)
            .map_err(|_| JwtError::BadSignature)
    }

    /// An integer time claim the way PyJWT reads it (`int(value)`), `None` when absent.
    pub fn time_claim(&self, name: &'static str) -> Result<Option<i64>, JwtError> {
        match self.claims.get(name) {
            None => Ok(None),
            Some(v) => py_int(v).map(Some).ok_or(JwtError::BadClaim(name)),
        }
    }

    /// PyJWT's time checks with leeway 0 at `now` (epoch seconds).
    pub fn check_times(&self, now: i64) -> Result<(), JwtError> {
        if let Some(exp) = self.time_claim("exp")? {
            if exp <= now {
                return Err(JwtError::Expired { exp });
            }
        }
        if let Some(iat) = self.time_claim("iat")? {
            if iat > now {
                return Err(JwtError::NotYetValid("iat"));
            }
        }
        if let Some(nbf) = self.time_claim("nbf")? {
            if nbf > now {
                return Err(JwtError::NotYetValid("nbf"));
            }
        }
        Ok(())
    }

    /// Signature, then times: what privacyIDEA's `verify_auth_token` checks before the role.
    pub fn verify(&self, key: &[u8], now: i64) -> Result<(), JwtError> {
        self.verify_signature(key)?;
        self.check_times(now)
    }

    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(|v| v.as_str())
    }
}

/// Python's `int(v)` for JSON values: integers, floats truncated, integer strings.
fn py_int(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        serde_json::Value::Bool(b) => Some(i64::from(*b)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";
    /// `jwt.json` → `fixed.token` (PyJWT 2.15.1, privacyIDEA 3.14).
    const FIXED: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFsaWNlIiwicmVhbG0iOiJBUEkiLCJub25jZSI6IjAwMTEyMjMzNDQ1NTY2Nzc4ODk5YWFiYmNjZGRlZWZmMDAxMTIyMzMiLCJyb2xlIjoiYWRtaW4iLCJhdXRodHlwZSI6IkFQSSIsImV4cCI6MTg5MzQ1NjAwMCwicmlnaHRzIjoiVE9ETyJ9.dNVU7hTYGbYOPY4BUrm7GdlVy6Air8GovdMmWxirhm4";
    /// `jwt.json` → `token` (made by `pi-manage api createtoken -r admin -u alice -d 365`).
    const PI_MANAGE: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFsaWNlIiwicmVhbG0iOiJBUEkiLCJub25jZSI6ImY1MTllYTM0MDEzMTRiMzQ5NzEzMzlmZmNmN2JlZWVkODJmNDBlYjciLCJyb2xlIjoiYWRtaW4iLCJhdXRodHlwZSI6IkFQSSIsImV4cCI6MTgyNjg2MTQ5NywicmlnaHRzIjoiVE9ETyJ9.BO4WcjDApCToVWvyheWe93sZ4WvZTkPsrkd0M0OZCgs";

    fn fixed_claims() -> ApiClaims {
        ApiClaims {
            username: "alice".into(),
            realm: "API".into(),
            nonce: "00112233445566778899aabbccddeeff00112233".into(),
            role: "admin".into(),
            exp: 1_893_456_000,
        }
    }

    #[test]
    fn fixed_vector_byte_for_byte() {
        let c = fixed_claims();
        assert_eq!(
            c.to_json(),
            r#"{"username":"alice","realm":"API","nonce":"00112233445566778899aabbccddeeff00112233","role":"admin","authtype":"API","exp":1893456000,"rights":"TODO"}"#
        );
        assert_eq!(api_token(&c, KEY), FIXED);
        assert_eq!(
            b64url(HS256_HEADER.as_bytes()),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        );
    }

    #[test]
    fn pi_manage_token_verifies_and_decodes() {
        let d = Decoded::parse(PI_MANAGE).expect("parse");
        assert_eq!(d.header_json, HS256_HEADER);
        assert_eq!(
            d.payload_json,
            r#"{"username":"alice","realm":"API","nonce":"f519ea3401314b34971339ffcf7beeed82f40eb7","role":"admin","authtype":"API","exp":1826861497,"rights":"TODO"}"#
        );
        assert!(d.verify(KEY, 1_800_000_000).is_ok());
        assert_eq!(d.claim_str("username"), Some("alice"));
        let keys: Vec<&str> = d.claims.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["username", "realm", "nonce", "role", "authtype", "exp", "rights"]
        );
        // re-encoding the same claims gives the same token
        let c = ApiClaims {
            username: "alice".into(),
            realm: "API".into(),
            nonce: "f519ea3401314b34971339ffcf7beeed82f40eb7".into(),
            role: "admin".into(),
            exp: 1_826_861_497,
        };
        assert_eq!(api_token(&c, KEY), PI_MANAGE);
    }

    #[test]
    fn rejections_match_privacyidea() {
        // first signature char changed
        let mut t = PI_MANAGE.to_string();
        let i = t.rfind('.').expect("dot") + 1;
        let repl = if &t[i..=i] == "A" { "B" } else { "A" };
        t.replace_range(i..=i, repl);
        let d = Decoded::parse(&t).expect("parse");
        assert_eq!(d.verify(KEY, 0), Err(JwtError::BadSignature));
        // another key
        let other = api_token(&fixed_claims(), &[b'x'; 32]);
        assert_eq!(
            Decoded::parse(&other).expect("parse").verify(KEY, 0),
            Err(JwtError::BadSignature)
        );
        // expired (exp=1000000000) and exactly at exp
        let c = ApiClaims {
            exp: 1_000_000_000,
            ..fixed_claims()
        };
        let d = Decoded::parse(&api_token(&c, KEY)).expect("parse");
        assert_eq!(
            d.verify(KEY, 1_700_000_000),
            Err(JwtError::Expired { exp: 1_000_000_000 })
        );
        assert_eq!(
            d.verify(KEY, 1_000_000_000),
            Err(JwtError::Expired { exp: 1_000_000_000 })
        );
        assert_eq!(d.verify(KEY, 999_999_999), Ok(()));
        // a payload changed without re-signing
        let parts: Vec<&str> = FIXED.split('.').collect();
        let evil = c.to_json().replace("alice", "admin");
        let forged = format!("{}.{}.{}", parts[0], b64url(evil.as_bytes()), parts[2]);
        assert_eq!(
            Decoded::parse(&forged).expect("parse").verify(KEY, 0),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn other_algorithms_and_garbage_are_refused() {
        let none = encode_hs256(r#"{"alg":"none","typ":"JWT"}"#, "{}", KEY);
        assert!(matches!(
            Decoded::parse(&none).expect("parse").verify(KEY, 0),
            Err(JwtError::Algorithm(_))
        ));
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.e30.AA",
            "e30.W10.AA",
            "bm90anNvbg.e30.AA",
        ] {
            assert!(Decoded::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_claims_like_pyjwt() {
        let mk = |payload: &str| {
            Decoded::parse(&encode_hs256(HS256_HEADER, payload, KEY)).expect("parse")
        };
        assert_eq!(
            mk(r#"{"exp":"x"}"#).check_times(0),
            Err(JwtError::BadClaim("exp"))
        );
        assert_eq!(mk(r#"{"exp":"100"}"#).check_times(50), Ok(()));
        assert_eq!(
            mk(r#"{"exp":100.9}"#).check_times(100),
            Err(JwtError::Expired { exp: 100 })
        );
        assert_eq!(
            mk(r#"{"nbf":101}"#).check_times(100),
            Err(JwtError::NotYetValid("nbf"))
        );
        assert_eq!(
            mk(r#"{"iat":101}"#).check_times(100),
            Err(JwtError::NotYetValid("iat"))
        );
        assert_eq!(mk(r#"{}"#).check_times(i64::MAX), Ok(()));
    }

    #[test]
    fn python_json_escaping() {
        assert_eq!(py_json_str("jürgen"), r#""j\u00fcrgen""#);
        assert_eq!(py_json_str("a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(py_json_str("😀"), r#""\ud83d\ude00""#);
        assert_eq!(
            py_json_str("\u{1}\n\t\u{7f}\u{8}\u{c}"),
            "\"\\u0001\\n\\t\\u007f\\b\\f\""
        );
    }
}
