//! `policy delete NAME`.

use crate::show::not_found;
use crate::store::Store;
use mfactl_plugin_api::args::DryRunArg;
use mfactl_plugin_api::{DbTarget, Host, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The policy name
    name: String,
    #[command(flatten)]
    dry_run: DryRunArg,
}

pub fn run(host: &Host, args: Args) -> Result<i32> {
    let store = Store::open(host)?;
    store.lock()?;
    let id = store
        .id_of(&args.name)?
        .ok_or_else(|| not_found(&args.name))?;
    if args.dry_run.get(host) {
        host.info(&format!(
            "dry run: would delete policy '{}' with its conditions and description",
            args.name
        ));
        return Ok(0);
    }
    host.transaction(DbTarget::Main, || {
        store.delete(id)?;
        store.bump_timestamp()?;
        Ok(())
    })?;
    host.info(&format!("Successfully deleted policy '{}'", args.name));
    Ok(0)
}
