//! `policy export` (alias `config export -t policy`): privacyIDEA 3.14's export document,
//! byte-identical to pi-manage's for the same database.

use crate::files;
use crate::model::{sort_by_priority, Policy};
use crate::node::Node;
use crate::store::Store;
use crate::{jsonfmt, yamlfmt};
use mfactl_plugin_api::{Error, Host, Result};

/// The version written as `privacyIDEA_version`.
pub const PI_VERSION: &str = "3.14";

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Json,
    Yaml,
}

#[derive(clap::Args)]
pub struct Args {
    /// Write to FILE (atomically) instead of stdout ('-' = stdout)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
    /// Output format
    #[arg(
        short = 'f',
        long = "format",
        value_enum,
        ignore_case = true,
        default_value = "json"
    )]
    format: ExportFormat,
    /// Export only the policy NAME
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    name: Option<String>,
    /// Configuration types (pi-manage's `config export -t`); only `policy` is supported
    #[arg(short = 't', long = "types", value_name = "TYPE")]
    types: Vec<String>,
    /// Accepted for pi-manage compatibility; policies hold no secrets, so nothing changes
    #[arg(long = "censor")]
    censor: bool,
}

/// The export document of `policies` (already in export order).
pub fn document(policies: &[Policy]) -> Node {
    Node::Map(vec![
        (
            "policy".into(),
            Node::List(policies.iter().map(Policy::to_node).collect()),
        ),
        ("privacyIDEA_version".into(), Node::str(PI_VERSION)),
    ])
}

pub fn run(host: &Host, args: Args) -> Result<i32> {
    crate::check_types(&args.types, "export", false)?;
    let _ = args.censor;
    let store = Store::open(host)?;
    let mut policies = store.load_all()?;
    sort_by_priority(&mut policies);
    if let Some(name) = &args.name {
        policies.retain(|p| &p.name == name);
        if policies.is_empty() {
            return Err(Error::failed(format!("policy '{name}' does not exist"))
                .with_hint("`mfactl policy list` shows the policies"));
        }
    }
    let doc = document(&policies);
    let mut text = match args.format {
        ExportFormat::Json => jsonfmt::dumps(&doc, true),
        ExportFormat::Yaml => yamlfmt::safe_dump(&doc),
    };
    text.push('\n');
    files::write_output(host, args.output.as_deref(), &text)?;
    if args.output.as_deref().is_some_and(|o| o != "-") {
        host.info(&format!(
            "exported {} {} to {}",
            policies.len(),
            if policies.len() == 1 {
                "policy"
            } else {
                "policies"
            },
            args.output.as_deref().unwrap_or_default()
        ));
    }
    Ok(0)
}
