//! `mfactl backup prune`.

use crate::list::find_backups;
use crate::retention::{select, Policy};
use crate::{Dry, Fmt};
use clap::Args;
use mfactl_plugin_api::{args::OutputFormat, Error, Host, Result};
use std::path::PathBuf;

/// Options of `backup prune`.
#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Backup directory.
    #[arg(short = 'd', long = "directory", value_name = "DIR")]
    pub directory: PathBuf,
    /// Keep the N most recent backups.
    #[arg(long = "keep-last", value_name = "N", default_value_t = 0)]
    pub keep_last: u32,
    /// Keep the newest backup of each of the last N days that have backups.
    #[arg(long = "keep-daily", value_name = "N", default_value_t = 0)]
    pub keep_daily: u32,
    /// Keep the newest backup of each of the last N ISO weeks that have backups.
    #[arg(long = "keep-weekly", value_name = "N", default_value_t = 0)]
    pub keep_weekly: u32,
    /// Keep the newest backup of each of the last N months that have backups.
    #[arg(long = "keep-monthly", value_name = "N", default_value_t = 0)]
    pub keep_monthly: u32,
    #[command(flatten)]
    pub dry: Dry,
    #[command(flatten)]
    pub format: Fmt,
}

/// Runs `backup prune`.
pub fn run(host: &Host, a: PruneArgs) -> Result<i32> {
    let policy = Policy {
        last: a.keep_last,
        daily: a.keep_daily,
        weekly: a.keep_weekly,
        monthly: a.keep_monthly,
    };
    if policy.is_empty() {
        return Err(
            Error::usage("no --keep-* option given; refusing to delete every backup").with_hint(
                "give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly",
            ),
        );
    }
    let found = find_backups(&a.directory)?;
    let times: Vec<_> = found.iter().map(|f| f.time).collect();
    let reasons = select(&times, &policy);
    let dry = a.dry.get(host);
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    for (f, why) in found.iter().zip(&reasons) {
        if why.is_empty() {
            if !dry {
                std::fs::remove_file(&f.path).map_err(|e| {
                    Error::failed(format!("cannot delete {}", f.path.display())).with_source(&e)
                })?;
            }
            removed.push(f);
        } else {
            kept.push((f, why));
        }
    }
    match a.format.get(host) {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "dry_run": dry,
                "keep": kept.iter().map(|(f, why)| serde_json::json!({"name": f.name, "reasons": why})).collect::<Vec<_>>(),
                "remove": removed.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
            });
            host.outln(&v.to_string());
        }
        OutputFormat::Text => {
            for (f, why) in &kept {
                host.outln(&format!("keep   {} ({})", f.name, why.join(", ")));
            }
            for f in &removed {
                host.outln(&format!(
                    "{} {}",
                    if dry { "would remove" } else { "remove" },
                    f.name
                ));
            }
            host.info(&format!(
                "{} kept, {} {}",
                kept.len(),
                removed.len(),
                if dry {
                    "would be removed (dry run)"
                } else {
                    "removed"
                }
            ));
        }
    }
    Ok(0)
}
