//! `policy enable NAME` and `policy disable NAME`.

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

pub fn run(host: &Host, args: Args, enable: bool) -> Result<i32> {
    let word = if enable { "enable" } else { "disable" };
    let store = Store::open(host)?;
    store.lock()?;
    let current = store
        .load_all()?
        .into_iter()
        .find(|p| p.name == args.name)
        .ok_or_else(|| not_found(&args.name))?;
    if current.active == Some(enable) {
        host.info(&format!("policy '{}' is already {word}d", args.name));
        return Ok(0);
    }
    if args.dry_run.get(host) {
        host.info(&format!("dry run: would {word} policy '{}'", args.name));
        return Ok(0);
    }
    host.transaction(DbTarget::Main, || {
        store.set_active(current.id, enable)?;
        store.bump_timestamp()?;
        Ok(())
    })?;
    host.info(&format!("Successfully {word}d policy '{}'", args.name));
    Ok(0)
}
