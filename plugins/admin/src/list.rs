//! `mfactl admin list [--format json]`.

use crate::hash::StoredHash;
use crate::store;
use clap::Args;
use mfactl_plugin_api::args::{FormatArg, OutputFormat};
use mfactl_plugin_api::{Host, Result};

/// Arguments of `admin list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub format: FormatArg,
}

/// Lists the admins, sorted by name.
pub fn run(host: &Host, a: ListArgs) -> Result<i32> {
    let rows = store::list(host)?;
    match a.format.get(host) {
        OutputFormat::Text => {
            // pi-manage's layout, byte for byte
            host.outln("Name \t email");
            host.outln(&"=".repeat(30));
            for r in &rows {
                host.outln(&format!(
                    "{} \t {}",
                    r.username,
                    r.email.as_deref().unwrap_or("None")
                ));
            }
        }
        OutputFormat::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let hash = match r.password.as_deref() {
                        None | Some("") => serde_json::Value::Null,
                        Some(h) => match StoredHash::parse(h) {
                            Ok(s) => s.describe().into(),
                            Err(_) => "unknown".into(),
                        },
                    };
                    serde_json::json!({
                        "username": r.username,
                        "email": r.email,
                        "hash": hash,
                    })
                })
                .collect();
            host.outln(&serde_json::to_string_pretty(&list).unwrap_or_default());
        }
    }
    Ok(0)
}
