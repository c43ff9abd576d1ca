//! `policy create NAME SCOPE ACTION [-f FILE] [options]`.

use crate::files;
use crate::input::{self, InputFormat};
use crate::node::Node;
use crate::spec::{PolicySpec, SPEC_KEYS};
use crate::store::Store;
use mfactl_plugin_api::args::DryRunArg;
use mfactl_plugin_api::{DbTarget, Error, Host, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The policy name (a name in the file given with -f wins, as in pi-manage)
    name: String,
    /// The scope: authorization, admin, authentication, audit, user, enrollment, webui,
    /// register, container, token, hardening, conditional_access
    scope: String,
    /// Comma-separated actions: `key` or `key=value`; escape a comma inside a value as `\,`
    action: String,
    /// Read the policy from FILE: a Python dict (pi-manage's form), JSON or YAML; its fields
    /// win over NAME, SCOPE and ACTION, the options below win over the file
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<String>,
    /// Format of FILE; detected when not given
    #[arg(long = "from", value_enum, requires = "file")]
    from: Option<InputFormat>,
    /// Realms (comma-separated or repeated; `!realm` excludes)
    #[arg(long = "realm", value_name = "REALMS")]
    realm: Vec<String>,
    /// Resolvers
    #[arg(long = "resolver", value_name = "RESOLVERS")]
    resolver: Vec<String>,
    /// Users (`!user` excludes)
    #[arg(long = "user", value_name = "USERS")]
    user: Vec<String>,
    /// Client IP addresses or networks (`!10.0.0.1` excludes)
    #[arg(long = "client", value_name = "CLIENTS")]
    client: Vec<String>,
    /// Time restriction, e.g. 'Mon-Fri: 08:00-18:00'
    #[arg(long = "time", value_name = "TIME")]
    time: Option<String>,
    /// Priority (1 = highest; default 1)
    #[arg(long = "priority", value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    priority: Option<i64>,
    /// Admin realms (scope admin)
    #[arg(long = "adminrealm", value_name = "REALMS")]
    adminrealm: Vec<String>,
    /// Admin users (scope admin)
    #[arg(long = "adminuser", value_name = "USERS")]
    adminuser: Vec<String>,
    /// privacyIDEA nodes
    #[arg(long = "pinode", value_name = "NODES")]
    pinode: Vec<String>,
    /// Check all resolvers of a user
    #[arg(long = "check-all-resolvers")]
    check_all_resolvers: bool,
    /// Match user names case-insensitively
    #[arg(long = "user-case-insensitive")]
    user_case_insensitive: bool,
    /// User agents (comma-separated or repeated)
    #[arg(long = "user-agents", value_name = "AGENTS")]
    user_agents: Vec<String>,
    /// Description
    #[arg(long = "description", value_name = "TEXT")]
    description: Option<String>,
    /// A condition SECTION:KEY:COMPARATOR:VALUE[:ACTIVE[:HANDLE_MISSING]] (repeatable;
    /// `\:` is a literal colon; ACTIVE true|false, default true; HANDLE_MISSING raise_error,
    /// condition_is_true or condition_is_false)
    #[arg(long = "condition", value_name = "CONDITION")]
    condition: Vec<String>,
    /// Create the policy inactive
    #[arg(long = "inactive")]
    inactive: bool,
    /// Replace an existing policy of that name with this definition (fields not given get
    /// their defaults)
    #[arg(long = "update")]
    update: bool,
    #[command(flatten)]
    dry_run: DryRunArg,
}

/// Splits on `:` not preceded by a backslash and unescapes `\:`.
fn split_colons(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&':') => {
                cur.push(':');
                chars.next();
            }
            ':' => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

fn bool_word(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Some(true),
        "false" | "no" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// Parses `--condition SECTION:KEY:COMPARATOR:VALUE[:ACTIVE[:HANDLE_MISSING]]`. A VALUE may
/// contain colons; trailing ACTIVE / HANDLE_MISSING parts are recognised by their words.
pub fn parse_condition(s: &str) -> Result<Node> {
    let mut parts = split_colons(s);
    if parts.len() < 4 {
        return Err(Error::usage(format!(
            "invalid --condition '{s}': expected SECTION:KEY:COMPARATOR:VALUE[:ACTIVE[:HANDLE_MISSING]]"
        )));
    }
    let mut handle = None;
    let mut active = true;
    if parts.len() >= 6 && crate::model::HANDLE_MISSING.contains(&parts[parts.len() - 1].as_str()) {
        if let Some(b) = bool_word(&parts[parts.len() - 2]) {
            handle = parts.pop();
            parts.pop();
            active = b;
        }
    }
    if handle.is_none() && parts.len() >= 5 {
        if let Some(b) = bool_word(&parts[parts.len() - 1]) {
            parts.pop();
            active = b;
        }
    }
    let value = parts[3..].join(":");
    let mut items = vec![
        Node::str(&parts[0]),
        Node::str(&parts[1]),
        Node::str(&parts[2]),
        Node::str(value),
        Node::Bool(active),
    ];
    if let Some(h) = handle {
        items.push(Node::str(h));
    }
    Ok(Node::List(items))
}

fn joined(values: &[String]) -> Option<Node> {
    if values.is_empty() {
        return None;
    }
    let parts: Vec<String> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    Some(Node::str(parts.join(", ")))
}

/// The policy dict the command describes.
fn build(host: &Host, args: &Args) -> Result<(Node, bool)> {
    let mut entries: Vec<(String, Node)> = Vec::new();
    let mut yaml = false;
    if let Some(path) = &args.file {
        let (text, source) = files::read_input(Some(path))?;
        let (node, format) = input::parse(&text, args.from, &source)?;
        yaml = format == InputFormat::Yaml;
        match input::single_policy(node, &source)? {
            Node::Map(e) => {
                // pi-manage's create picks the keys it knows and ignores the rest
                for (k, _) in e.iter().filter(|(k, _)| !SPEC_KEYS.contains(&k.as_str())) {
                    host.warn(&format!("ignoring the unknown field '{k}' of {source}"));
                }
                entries = e
                    .into_iter()
                    .filter(|(k, _)| SPEC_KEYS.contains(&k.as_str()))
                    .collect();
            }
            other => {
                return Err(Error::failed(format!(
                    "{source} holds a {}, not a policy dict",
                    other.type_name()
                )))
            }
        }
        for (key, cli) in [
            ("name", &args.name),
            ("scope", &args.scope),
            ("action", &args.action),
        ] {
            match entries.iter().find(|(k, _)| k == key).map(|(_, v)| v) {
                Some(v)
                    if !matches!(v, Node::Null) && !matches!(v, Node::Str(s) if s.is_empty()) =>
                {
                    if v != &Node::str(cli.as_str()) {
                        host.info(&format!("using the {key} from {source} instead of '{cli}'"));
                    }
                }
                _ => Node::map_insert(&mut entries, key.to_string(), Node::str(cli.as_str())),
            }
        }
    } else {
        entries.push(("name".into(), Node::str(&args.name)));
        entries.push(("scope".into(), Node::str(&args.scope)));
        entries.push(("action".into(), Node::str(&args.action)));
    }
    let mut set = |k: &str, v: Option<Node>| {
        if let Some(v) = v {
            Node::map_insert(&mut entries, k.to_string(), v);
        }
    };
    set("realm", joined(&args.realm));
    set("resolver", joined(&args.resolver));
    set("user", joined(&args.user));
    set("client", joined(&args.client));
    set("adminrealm", joined(&args.adminrealm));
    set("adminuser", joined(&args.adminuser));
    set("pinode", joined(&args.pinode));
    set("user_agents", joined(&args.user_agents));
    set("time", args.time.clone().map(Node::Str));
    set("priority", args.priority.map(Node::Int));
    set("description", args.description.clone().map(Node::Str));
    set(
        "check_all_resolvers",
        args.check_all_resolvers.then_some(Node::Bool(true)),
    );
    set(
        "user_case_insensitive",
        args.user_case_insensitive.then_some(Node::Bool(true)),
    );
    set("active", args.inactive.then_some(Node::Bool(false)));
    if !args.condition.is_empty() {
        let conds = args
            .condition
            .iter()
            .map(|c| parse_condition(c))
            .collect::<Result<Vec<_>>>()?;
        set("conditions", Some(Node::List(conds)));
    }
    Ok((Node::Map(entries), yaml))
}

pub fn run(host: &Host, args: Args) -> Result<i32> {
    let (node, yaml) = build(host, &args)?;
    let store = Store::open(host)?;
    store.lock()?;
    let known = store.load_known()?;
    let spec = PolicySpec::from_node(&node, &known, yaml)
        .map_err(|e| Error::usage(format!("invalid policy: {e}")))?;
    let existing = store.load_all()?.into_iter().find(|p| p.name == spec.name);
    if existing.is_some() && !args.update {
        return Err(
            Error::failed(format!("policy '{}' already exists", spec.name))
                .with_hint("give --update to replace it, or use `mfactl policy import` to merge"),
        );
    }
    let mut policy = spec.apply(None).map_err(Error::usage)?;
    if args.dry_run.get(host) {
        host.info(&format!(
            "dry run: would {} policy '{}'",
            if existing.is_some() {
                "replace"
            } else {
                "create"
            },
            spec.name
        ));
        return Ok(0);
    }
    host.transaction(DbTarget::Main, || {
        match &existing {
            Some(old) => {
                policy.id = old.id;
                store.update_policy(&policy)?;
                store.replace_conditions(&[&policy])?;
                store.set_descriptions(&[&policy])?;
            }
            None => store.insert_policies(std::slice::from_mut(&mut policy))?,
        }
        store.bump_timestamp()?;
        Ok(())
    })?;
    host.info(&format!(
        "{} policy '{}'",
        if existing.is_some() {
            "Replaced"
        } else {
            "Created"
        },
        spec.name
    ));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_from_the_command_line() {
        let n = parse_condition("HTTP Request header:User-Agent:matches:^Mozilla/5\\.0:false")
            .expect("ok");
        assert_eq!(
            n,
            Node::List(vec![
                Node::str("HTTP Request header"),
                Node::str("User-Agent"),
                Node::str("matches"),
                Node::str("^Mozilla/5\\.0"),
                Node::Bool(false)
            ])
        );
        let n = parse_condition("userinfo:time:equals:08:00:true:condition_is_true").expect("ok");
        assert_eq!(
            n,
            Node::List(vec![
                Node::str("userinfo"),
                Node::str("time"),
                Node::str("equals"),
                Node::str("08:00"),
                Node::Bool(true),
                Node::str("condition_is_true")
            ])
        );
        let n = parse_condition("userinfo:a\\:b:equals:v").expect("ok");
        assert!(matches!(&n, Node::List(l) if l[1] == Node::str("a:b") && l.len() == 5));
        assert!(parse_condition("userinfo:k:equals").is_err());
    }
}
