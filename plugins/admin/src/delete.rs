//! `mfactl admin delete USERNAME`.

use crate::store;
use crate::upsert::missing;
use clap::Args;
use mfactl_plugin_api::args::DryRunArg;
use mfactl_plugin_api::{DbTarget, Host, Result};

/// Arguments of `admin delete`.
#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// The administrator's login name
    pub username: String,
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

/// Deletes the admin; a missing one is an error (exit 1).
pub fn run(host: &Host, a: DeleteArgs) -> Result<i32> {
    if a.dry_run.get(host) {
        if store::get(host, &a.username)?.is_none() {
            return Err(missing(&a.username));
        }
        host.outln(&format!("Would delete admin {} (dry run).", a.username));
        return Ok(0);
    }
    let left = host.transaction(DbTarget::Main, || {
        if store::delete(host, &a.username)? == 0 {
            return Err(missing(&a.username));
        }
        Ok(store::list(host)?.len())
    })?;
    host.outln(&format!("Admin {} was deleted.", a.username));
    if left == 0 {
        host.warn(
            "no administrator is left in the database; nobody can log in to the web UI as admin \
             until you run `mfactl admin add`",
        );
    }
    Ok(0)
}
