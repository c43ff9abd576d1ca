//! `mfactl admin verify USERNAME [--password-file F]`: checks a password as privacyIDEA would.

use crate::hash::StoredHash;
use crate::input::{pepper, PasswordArgs};
use crate::store;
use crate::upsert::{configured_params, missing};
use clap::Args;
use mfactl_plugin_api::{Error, Host, Result};

/// Arguments of `admin verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The administrator's login name
    pub username: String,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Exit 0 when the password matches the stored hash, 1 when not.
pub fn run(host: &Host, a: VerifyArgs) -> Result<i32> {
    let row = store::get(host, &a.username)?.ok_or_else(|| missing(&a.username))?;
    let stored = match row.password.as_deref() {
        None | Some("") => {
            return Err(Error::failed(format!(
                "admin {} has no password and cannot log in",
                a.username
            ))
            .with_hint(format!("set one with `mfactl admin change {}`", a.username)))
        }
        Some(h) => h,
    };
    let parsed = StoredHash::parse(stored).map_err(|e| {
        Error::failed(format!("cannot check the hash of admin {}", a.username)).with_cause(e)
    })?;
    let (params, accepted) = configured_params(host)?;
    if !accepted.contains(&parsed.scheme()) {
        host.warn(&format!(
            "the hash scheme {} is not in PI_HASH_ALGO_LIST; privacyIDEA will refuse this password",
            parsed.scheme().name()
        ));
    }
    let pepper = pepper(host)?;
    let pw = a
        .password
        .read(host, &format!("Password of admin {}: ", a.username), false)?;
    let ok = parsed
        .verify(&crate::hash::peppered(pepper.expose(), pw.expose()))
        .map_err(|e| Error::failed("cannot check the password").with_cause(e))?;
    if ok {
        host.outln(&format!(
            "The password of admin {} matches ({}).",
            a.username,
            parsed.describe()
        ));
        if parsed.outdated(&params) {
            host.info(&format!(
                "new hashes use {}; `mfactl admin change {}` rehashes this password",
                params.describe(),
                a.username
            ));
        }
        Ok(0)
    } else {
        Err(Error::failed(format!(
            "the password does not match the hash of admin {}",
            a.username
        ))
        .with_hint("check PI_PEPPER: it must be the value the server used when the hash was made"))
    }
}
