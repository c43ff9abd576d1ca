//! `SECRET_KEY`, the HMAC key of privacyIDEA's JWTs.

use mfactl_plugin_api::{ConfigValue, Error, Host, Result};
use zeroize::Zeroizing;

/// PyJWT (≥ 2.10) warns about HMAC keys shorter than this many bytes.
pub const MIN_KEY_LEN: usize = 32;

/// The key bytes: a str as UTF-8, a `b'…'` literal as it is. Missing or empty is an error;
/// a short key gets a warning.
pub fn secret_key(host: &Host) -> Result<Zeroizing<Vec<u8>>> {
    let key =
        match host.config("SECRET_KEY") {
            None => return Err(Error::config("SECRET_KEY is not set in the configuration")
                .with_hint(
                    "privacyIDEA signs and checks API tokens with SECRET_KEY; set it to the value \
                 in the server's pi.cfg (a server without it makes a random key per process, \
                 and no token survives a restart)",
                )),
            Some(ConfigValue::Other(_)) => {
                return Err(Error::config("SECRET_KEY is neither a string nor bytes"))
            }
            Some(v) => Zeroizing::new(v.as_bytes().unwrap_or_default()),
        };
    if key.is_empty() {
        return Err(Error::config("SECRET_KEY is empty")
            .with_hint("set SECRET_KEY to the long random value the server uses"));
    }
    if key.len() < MIN_KEY_LEN {
        host.warn(&format!(
            "SECRET_KEY has only {} bytes; HS256 keys should have at least {MIN_KEY_LEN} \
             (PyJWT warns about it too). Consider a longer key on the server.",
            key.len()
        ));
    }
    Ok(key)
}
