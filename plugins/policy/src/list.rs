//! `policy list`.

use crate::jsonfmt;
use crate::model::sort_by_priority;
use crate::node::Node;
use crate::store::Store;
use mfactl_plugin_api::args::{FormatArg, OutputFormat};
use mfactl_plugin_api::{Host, Result};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    format: FormatArg,
}

pub fn run(host: &Host, args: Args) -> Result<i32> {
    let store = Store::open(host)?;
    let mut policies = store.load_all()?;
    sort_by_priority(&mut policies);
    match args.format.get(host) {
        OutputFormat::Json => {
            let doc = Node::List(policies.iter().map(|p| p.to_node()).collect());
            host.outln(&jsonfmt::dumps(&doc, false));
        }
        OutputFormat::Text => {
            let mut out = String::new();
            out.push_str("Active   Name                 Scope\n");
            out.push_str(&"=".repeat(40));
            out.push('\n');
            for p in &policies {
                out.push_str(&format!(
                    "{:8} {:20} {}\n",
                    p.active_repr(),
                    p.name,
                    p.scope
                ));
            }
            host.out(&out);
        }
    }
    Ok(0)
}
