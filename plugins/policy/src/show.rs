//! `policy show NAME`.

use crate::model::{parse_actions, split_list, Policy};
use crate::node::Node;
use crate::store::Store;
use crate::{jsonfmt, yamlfmt};
use mfactl_plugin_api::{Error, Host, Result};

#[derive(Clone, Copy, clap::ValueEnum)]
enum ShowFormat {
    Text,
    Json,
    Yaml,
}

#[derive(clap::Args)]
pub struct Args {
    /// The policy name
    name: String,
    /// Output format (json and yaml give the export form of the policy)
    #[arg(long = "format", value_enum)]
    format: Option<ShowFormat>,
}

pub fn not_found(name: &str) -> Error {
    Error::failed(format!("policy '{name}' does not exist"))
        .with_hint("`mfactl policy list` shows the policies")
}

pub fn run(host: &Host, args: Args) -> Result<i32> {
    let store = Store::open(host)?;
    let policy = store
        .load_all()?
        .into_iter()
        .find(|p| p.name == args.name)
        .ok_or_else(|| not_found(&args.name))?;
    let format = args.format.unwrap_or(match host.globals().format.as_str() {
        "json" => ShowFormat::Json,
        "yaml" => ShowFormat::Yaml,
        _ => ShowFormat::Text,
    });
    match format {
        ShowFormat::Json => host.outln(&jsonfmt::dumps(&policy.to_node(), false)),
        ShowFormat::Yaml => host.out(&yamlfmt::safe_dump(&policy.to_node())),
        ShowFormat::Text => host.out(&text(&policy)),
    }
    Ok(0)
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "(not set)",
    }
}

fn text(p: &Policy) -> String {
    let list = |v: &Option<String>| {
        let l = split_list(v.as_deref());
        if l.is_empty() {
            "-".to_string()
        } else {
            l.join(", ")
        }
    };
    let mut lines: Vec<(String, String)> = vec![
        ("name".into(), p.name.clone()),
        ("scope".into(), p.scope.clone()),
        ("active".into(), yes_no(p.active).into()),
        ("priority".into(), p.priority.to_string()),
    ];
    let actions = match p.action.as_deref() {
        Some(a) if !a.is_empty() => parse_actions(a)
            .into_iter()
            .map(|(k, v)| match v {
                Node::Str(s) => format!("{k}={s}"),
                _ => k,
            })
            .collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    lines.push((
        "action".into(),
        if actions.is_empty() {
            "-".into()
        } else {
            actions.join("\n")
        },
    ));
    for (k, v) in [
        ("realm", &p.realm),
        ("resolver", &p.resolver),
        ("user", &p.user),
        ("adminrealm", &p.adminrealm),
        ("adminuser", &p.adminuser),
        ("client", &p.client),
        ("pinode", &p.pinode),
        ("user_agents", &p.user_agents),
    ] {
        lines.push((k.into(), list(v)));
    }
    lines.push((
        "time".into(),
        match p.time.as_deref() {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => "-".into(),
        },
    ));
    lines.push((
        "check_all_resolvers".into(),
        yes_no(p.check_all_resolvers).into(),
    ));
    lines.push((
        "user_case_insensitive".into(),
        yes_no(p.user_case_insensitive).into(),
    ));
    let conds: Vec<String> = p
        .conditions
        .iter()
        .map(|c| {
            format!(
                "{} | {} | {} | {} | {} | {}",
                c.section,
                c.key,
                c.comparator,
                c.value,
                if c.active { "active" } else { "inactive" },
                c.handle_missing_data.as_deref().unwrap_or("(default)")
            )
        })
        .collect();
    lines.push((
        "conditions".into(),
        if conds.is_empty() {
            "-".into()
        } else {
            conds.join("\n")
        },
    ));
    lines.push((
        "description".into(),
        p.description.clone().unwrap_or_else(|| "-".into()),
    ));
    let mut out = String::new();
    for (k, v) in lines {
        for (i, line) in v.split('\n').enumerate() {
            let label = if i == 0 {
                format!("{k}:")
            } else {
                String::new()
            };
            out.push_str(&format!("{label:<23}{line}\n"));
        }
    }
    out
}
