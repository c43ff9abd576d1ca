//! `mfactl api create-token` (pi-manage: `api createtoken`).

use crate::admins::admin_exists;
use crate::jwt::{api_token, ApiClaims};
use crate::secret::secret_key;
use clap::{Args, ValueEnum};
use mfactl_plugin_api::args::{FormatArg, OutputFormat};
use mfactl_plugin_api::{Error, Host, Result};
use rand::RngCore;

/// The role written into the token.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// For privacyIDEA's admin API.
    Admin,
    /// For `/validate/check` under the deprecated `api_key_required` policy.
    Validate,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Validate => "validate",
        }
    }
}

/// Arguments of `api create-token`.
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The role of the token: admin (admin API) or validate (validate API)
    #[arg(short = 'r', long = "role", value_enum, default_value = "admin")]
    pub role: Role,
    /// Days the token stays valid
    #[arg(short = 'd', long = "days", default_value_t = 365,
          value_parser = clap::value_parser!(i64).range(1..=36500))]
    pub days: i64,
    /// The realm of the admin
    #[arg(short = 'R', long = "realm", default_value = "API")]
    pub realm: String,
    /// The username of the admin
    #[arg(short = 'u', long = "username", required = true)]
    pub username: String,
    #[command(flatten)]
    pub format: FormatArg,
}

/// 20 random bytes from the operating system, as 40 lowercase hex characters.
pub fn nonce() -> Result<String> {
    let mut b = [0u8; 20];
    rand::rngs::OsRng.try_fill_bytes(&mut b).map_err(|e| {
        Error::failed("the operating system's random generator failed").with_cause(e)
    })?;
    Ok(hex::encode(b))
}

/// Mints the token and prints it.
pub fn run(host: &Host, a: CreateArgs) -> Result<i32> {
    if a.username.is_empty() {
        return Err(Error::usage("the username is empty"));
    }
    let key = secret_key(host)?;
    let now = chrono::Utc::now().timestamp();
    let exp = now + a.days * 86_400;
    let claims = ApiClaims {
        username: a.username.clone(),
        realm: a.realm.clone(),
        nonce: nonce()?,
        role: a.role.as_str().to_string(),
        exp,
    };
    let token = api_token(&claims, &key);
    match a.format.get(host) {
        OutputFormat::Text => {
            host.outln(&format!("Username:   {}", a.username));
            host.outln(&format!("Realm:      {}", a.realm));
            host.outln(&format!("Role:       {}", claims.role));
            host.outln(&format!("Validity:   {} days", a.days));
            host.outln(&format!("Auth-Token: {token}"));
        }
        OutputFormat::Json => {
            let expires = chrono::DateTime::from_timestamp(exp, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            let v = serde_json::json!({
                "username": a.username,
                "realm": a.realm,
                "role": claims.role,
                "validity_days": a.days,
                "exp": exp,
                "expires": expires,
                "token": token,
            });
            host.outln(&serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    if a.role == Role::Admin {
        match admin_exists(host, &a.username) {
            Ok(true) => {}
            Ok(false) => host.warn(&format!(
                "there is no administrator {0} in the admin table; privacyIDEA's documentation \
                 requires one: `mfactl admin add {0}`",
                a.username
            )),
            Err(e) => host.debug(&format!("cannot check the admin table: {e}")),
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonce_is_40_lowercase_hex_and_random() {
        let a = super::nonce().expect("nonce");
        let b = super::nonce().expect("nonce");
        assert_eq!(a.len(), 40);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }
}
