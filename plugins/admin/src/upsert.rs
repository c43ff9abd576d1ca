//! Registering or updating an admin: the shared core of `add` and `change`.

use crate::hash::{self, HashParams};
use crate::store::{self, AdminRow};
use mfactl_plugin_api::{DbTarget, Error, Host, Result, SecretString};

/// What [`upsert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new admin row was inserted.
    Registered,
    /// An existing admin row was changed; its stored spelling (MariaDB/MySQL compare names
    /// case-insensitively, like privacyIDEA's lookup there).
    Updated(String),
}

/// The hash parameters from `PI_HASH_ALGO_LIST` / `PI_HASH_ALGO_PARAMS`, warnings shown.
pub fn configured_params(host: &Host) -> Result<(HashParams, Vec<hash::Scheme>)> {
    let json = |key: &str| {
        host.config(key).map(|v| match v {
            mfactl_plugin_api::ConfigValue::Other(j) => j,
            mfactl_plugin_api::ConfigValue::Str(s) => serde_json::Value::String(s),
            mfactl_plugin_api::ConfigValue::Bytes(_) => serde_json::Value::Null,
        })
    };
    let list = json("PI_HASH_ALGO_LIST");
    let params = json("PI_HASH_ALGO_PARAMS");
    let (p, accepted, warnings) = hash::params_from_config(list.as_ref(), params.as_ref())
        .map_err(|e| Error::config(e.to_string()))?;
    for w in warnings {
        host.warn(&w);
    }
    Ok((p, accepted))
}

/// Hashes `pepper + password` with the configured scheme.
pub fn make_hash(host: &Host, pepper: &SecretString, password: &SecretString) -> Result<String> {
    let (params, _) = configured_params(host)?;
    host.debug(&format!("hashing with {}", params.describe()));
    let h = hash::hash_password(&params, pepper.expose(), password.expose())
        .map_err(|e| Error::failed("cannot hash the password").with_cause(e))?;
    if h.chars().count() > 255 {
        return Err(Error::config(
            "the hash is longer than the 255 characters the admin table holds",
        )
        .with_hint("lower argon2__digest_size / argon2__salt_size in PI_HASH_ALGO_PARAMS"));
    }
    Ok(h)
}

/// Inserts the admin, or updates the given fields of an existing one (when `create_missing`
/// is false, a missing admin is an error). Runs in one transaction.
pub fn upsert(
    host: &Host,
    username: &str,
    password_hash: Option<&str>,
    email: Option<&str>,
    create_missing: bool,
) -> Result<Outcome> {
    host.transaction(DbTarget::Main, || {
        if let Some(row) = store::get(host, username)? {
            store::update(host, username, password_hash, email)?;
            Ok(Outcome::Updated(row.username))
        } else if create_missing {
            store::insert(
                host,
                &AdminRow {
                    username: username.to_string(),
                    password: password_hash.map(str::to_string),
                    email: email.map(str::to_string),
                },
            )?;
            Ok(Outcome::Registered)
        } else {
            Err(missing(username))
        }
    })
}

/// The error for an admin that does not exist.
pub fn missing(username: &str) -> Error {
    Error::failed(format!("admin {username} does not exist"))
        .with_hint("`mfactl admin list` shows the administrators")
}

/// `-e ""` is ignored like pi-manage does, with a warning.
pub fn email_arg(host: &Host, email: &Option<String>) -> Option<String> {
    match email.as_deref() {
        Some("") => {
            host.warn("an empty --email is ignored; the stored address is kept");
            None
        }
        other => other.map(str::to_string),
    }
}
