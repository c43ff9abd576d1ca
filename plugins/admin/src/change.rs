//! `mfactl admin change USERNAME [-e EMAIL] [--password-file F] [--create]`.

use crate::input::{pepper, PasswordArgs};
use crate::store;
use crate::upsert::{email_arg, make_hash, missing, upsert, Outcome};
use clap::Args;
use mfactl_plugin_api::args::DryRunArg;
use mfactl_plugin_api::{Host, Result};

/// Arguments of `admin change`.
#[derive(Args, Debug)]
pub struct ChangeArgs {
    /// The administrator's login name
    pub username: String,
    /// New email address
    #[arg(short = 'e', long = "email", value_name = "EMAIL")]
    pub email: Option<String>,
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Create the administrator if it does not exist (pi-manage always did)
    #[arg(long = "create")]
    pub create: bool,
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

/// Changes the email and/or password. Without `--email` or a password option it asks for a
/// new password.
pub fn run(host: &Host, a: ChangeArgs) -> Result<i32> {
    let email = email_arg(host, &a.email);
    store::check_lengths(&a.username, email.as_deref())?;
    let exists = store::get(host, &a.username)?.is_some();
    if !exists && !a.create {
        return Err(missing(&a.username).with_hint(format!(
            "add it with `mfactl admin add {0}` or `mfactl admin change {0} --create`",
            a.username
        )));
    }
    // A new admin always gets a password; an existing one when asked or when nothing else is.
    let want_password = a.password.given() || email.is_none() || !exists;
    let what = match (want_password, email.is_some()) {
        (true, true) => "password and email",
        (true, false) => "password",
        _ => "email",
    };
    if a.dry_run.get(host) {
        if exists {
            host.outln(&format!(
                "Would change the {what} of admin {} (dry run).",
                a.username
            ));
        } else {
            host.outln(&format!("Would register admin {} (dry run).", a.username));
        }
        return Ok(0);
    }
    let hash = if want_password {
        let pepper = pepper(host)?;
        let pw = a.password.read(
            host,
            &format!("New password for admin {}: ", a.username),
            true,
        )?;
        Some(make_hash(host, &pepper, &pw)?)
    } else {
        None
    };
    let outcome = upsert(
        host,
        &a.username,
        hash.as_deref(),
        email.as_deref(),
        a.create,
    )?;
    match outcome {
        Outcome::Registered => host.outln(&format!(
            "Admin {} was registered successfully.",
            a.username
        )),
        Outcome::Updated(stored) => host.outln(&format!("Admin {stored}: {what} changed.")),
    }
    Ok(0)
}
