//! `mfactl admin add USERNAME [-e EMAIL] [--password-file F]`.

use crate::input::{pepper, PasswordArgs};
use crate::store;
use crate::upsert::{email_arg, make_hash, upsert, Outcome};
use clap::Args;
use mfactl_plugin_api::args::DryRunArg;
use mfactl_plugin_api::{Host, Result};

/// Arguments of `admin add`.
#[derive(Args, Debug)]
pub struct AddArgs {
    /// The administrator's login name
    pub username: String,
    /// Email address
    #[arg(short = 'e', long = "email", value_name = "EMAIL")]
    pub email: Option<String>,
    #[command(flatten)]
    pub password: PasswordArgs,
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

/// Registers the admin, or sets the password (and email) of an existing one.
pub fn run(host: &Host, a: AddArgs) -> Result<i32> {
    let email = email_arg(host, &a.email);
    store::check_lengths(&a.username, email.as_deref())?;
    if a.dry_run.get(host) {
        // no password is asked for: nothing would be stored
        let verb = match store::get(host, &a.username)? {
            Some(_) => "update",
            None => "register",
        };
        host.outln(&format!("Would {verb} admin {} (dry run).", a.username));
        return Ok(0);
    }
    let pepper = pepper(host)?;
    let pw = a
        .password
        .read(host, &format!("Password for admin {}: ", a.username), true)?;
    let hash = make_hash(host, &pepper, &pw)?;
    match upsert(host, &a.username, Some(&hash), email.as_deref(), true)? {
        Outcome::Registered => host.outln(&format!(
            "Admin {} was registered successfully.",
            a.username
        )),
        Outcome::Updated(stored) => {
            host.outln(&format!("Admin {stored} already existed and was updated."))
        }
    }
    Ok(0)
}
