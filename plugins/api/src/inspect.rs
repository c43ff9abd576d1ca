//! `mfactl api inspect [TOKEN | -]`: verify a token with SECRET_KEY and show what it grants.

use crate::admins::admin_exists;
use crate::jwt::{Decoded, JwtError};
use crate::secret::secret_key;
use clap::Args;
use mfactl_plugin_api::args::{FormatArg, OutputFormat};
use mfactl_plugin_api::{Error, ErrorKind, Host, Result, ResultExt};
use std::io::{IsTerminal, Read};

/// Arguments of `api inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The token; "-" or nothing reads it from standard input (keeps it out of the process list)
    pub token: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// The token from the argument, standard input or a prompt; `Bearer ` removed with a warning.
fn read_token(host: &Host, arg: Option<&str>) -> Result<String> {
    let raw = match arg {
        Some("-") => read_stdin()?,
        Some(t) => {
            host.warn(
                "a token on the command line is visible to other users and kept in shell history; \
                 pass `-` and give it on standard input",
            );
            t.to_string()
        }
        None if std::io::stdin().is_terminal() => host
            .prompt_secret("API token: ", false)?
            .expose()
            .to_string(),
        None => read_stdin()?,
    };
    let t = raw.trim();
    let t = match t.strip_prefix("Bearer ") {
        Some(rest) => {
            host.warn(
                "removed `Bearer `: privacyIDEA expects the raw token in the Authorization or \
                 PI-Authorization header",
            );
            rest.trim()
        }
        None => t,
    };
    if t.is_empty() {
        return Err(Error::usage("no token given"));
    }
    Ok(t.to_string())
}

fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .take(1 << 16)
        .read_to_string(&mut s)
        .context(
            ErrorKind::Failed,
            "cannot read the token from standard input",
        )?;
    Ok(s)
}

/// `364 days 23:59:59`.
pub fn duration_text(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let days = match d {
        0 => String::new(),
        1 => "1 day ".to_string(),
        n => format!("{n} days "),
    };
    format!("{days}{h:02}:{m:02}:{sec:02}")
}

fn utc_text(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{epoch} (out of range)"))
}

/// What privacyIDEA lets the token do, from its role (privacyIDEA never checks `authtype` or
/// `rights`).
pub fn grants(role: Option<&str>, username: Option<&str>, realm: Option<&str>) -> String {
    let u = username.unwrap_or("(none)");
    let r = realm.unwrap_or("(none)");
    match role {
        Some("admin") => {
            format!("the admin API as {u} (admin policies with adminuser={u}, adminrealm={r})")
        }
        Some("user") => format!("the user API as user {u} in realm {r}"),
        Some("validate") => "/validate/check where the api_key_required policy is set".to_string(),
        _ => "nothing: privacyIDEA wants role admin or user (validate for api_key_required)"
            .to_string(),
    }
}

/// Verifies and reports; exit 1 (an error) for a bad signature, a bad algorithm, an expired or
/// not-yet-valid token.
pub fn run(host: &Host, a: InspectArgs) -> Result<i32> {
    let token = read_token(host, a.token.as_deref())?;
    let key = secret_key(host)?;
    let d = Decoded::parse(&token).map_err(|e| Error::failed(e.to_string()))?;
    let now = chrono::Utc::now().timestamp();
    let sig = d.verify_signature(&key);
    let verdict = sig.clone().and_then(|()| d.check_times(now));
    let exp = d.time_claim("exp").ok().flatten();
    let username = d.claim_str("username").map(str::to_string);
    let admin = match &username {
        Some(u) => match admin_exists(host, u) {
            Ok(b) => Some(b),
            Err(e) => {
                host.warn(&format!("cannot check the admin table: {e}"));
                None
            }
        },
        None => None,
    };
    let grants = grants(
        d.claim_str("role"),
        d.claim_str("username"),
        d.claim_str("realm"),
    );
    match a.format.get(host) {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "valid": verdict.is_ok(),
                "signature_valid": sig.is_ok(),
                "error": verdict.as_ref().err().map(|e| e.to_string()),
                "header": d.header,
                "claims": d.claims,
                "exp": exp,
                "expires": exp.map(|e| chrono::DateTime::from_timestamp(e, 0)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())),
                "remaining_seconds": exp.map(|e| e - now),
                "admin_exists": admin,
                "grants": grants,
            });
            host.outln(&serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        OutputFormat::Text => {
            let sig_text = match &sig {
                Ok(()) => "valid (HS256 with SECRET_KEY)".to_string(),
                Err(JwtError::Algorithm(alg)) => format!("NOT CHECKED (algorithm {alg})"),
                Err(_) => "INVALID".to_string(),
            };
            host.outln(&format!("Signature:  {sig_text}"));
            host.outln(&format!("Header:     {}", d.header_json));
            host.outln(&format!("Claims:     {}", d.payload_json));
            for (label, claim) in [
                ("Username:", "username"),
                ("Realm:", "realm"),
                ("Role:", "role"),
            ] {
                let v = d
                    .claims
                    .get(claim)
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .unwrap_or_else(|| "(missing)".to_string());
                host.outln(&format!("{label:<12}{v}"));
            }
            host.outln(&format!("Grants:     {grants}"));
            match exp {
                Some(e) => {
                    host.outln(&format!("Expires:    {}", utc_text(e)));
                    if e > now {
                        host.outln(&format!("Remaining:  {}", duration_text(e - now)));
                    } else {
                        host.outln(&format!(
                            "Remaining:  none, expired {} ago",
                            duration_text(now - e)
                        ));
                    }
                }
                None => {
                    host.outln("Expires:    never (no exp claim; privacyIDEA accepts it forever)")
                }
            }
            let admin_text = match (&username, admin) {
                (None, _) => "no username claim".to_string(),
                (Some(u), Some(true)) => format!("{u} exists in the admin table"),
                (Some(u), Some(false)) => format!("{u} does NOT exist in the admin table"),
                (Some(_), None) => "unknown (database not readable)".to_string(),
            };
            host.outln(&format!("Admin:      {admin_text}"));
        }
    }
    if let (Some(u), Some(false), Some("admin")) = (&username, admin, d.claim_str("role")) {
        host.warn(&format!(
            "privacyIDEA accepts the token without an administrator {u}, but its documentation \
             requires one: `mfactl admin add {u}`"
        ));
    }
    match verdict {
        Ok(()) => Ok(0),
        Err(e) => {
            let hint = match e {
                JwtError::BadSignature => {
                    "check that SECRET_KEY is the server's (str and b'…' values differ)"
                }
                JwtError::Expired { .. } => "make a new one with `mfactl api create-token`",
                _ => "privacyIDEA rejects this token",
            };
            Err(Error::failed(e.to_string()).with_hint(hint))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn grants_by_role() {
        assert_eq!(
            super::grants(Some("admin"), Some("alice"), Some("API")),
            "the admin API as alice (admin policies with adminuser=alice, adminrealm=API)"
        );
        assert!(super::grants(Some("validate"), None, None).contains("api_key_required"));
        assert!(super::grants(Some("root"), None, None).starts_with("nothing"));
    }

    #[test]
    fn durations() {
        assert_eq!(super::duration_text(0), "00:00:00");
        assert_eq!(super::duration_text(86_400 + 61), "1 day 00:01:01");
        assert_eq!(super::duration_text(365 * 86_400 - 1), "364 days 23:59:59");
    }
}
