//! A policy definition as given by the operator (a dict from a file, or command-line options),
//! checked and normalised the way privacyIDEA 3.14's `set_policy` does, and applied to the
//! stored policy with `set_policy`'s update rules.

use crate::model::{Condition, Policy, COMPARATORS, HANDLE_MISSING, SCOPES, SECTIONS};
use crate::node::Node;
use crate::validate;
use std::collections::HashSet;

/// Names that exist in the database and may be referenced by a policy.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// `realm.name`.
    pub realms: HashSet<String>,
    /// `resolver.name`.
    pub resolvers: HashSet<String>,
    /// `nodename.name`.
    pub nodes: HashSet<String>,
}

/// What `set_policy` receives, after its normalisation (lists joined with `", "`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicySpec {
    /// Policy name.
    pub name: String,
    /// Scope (`None` keeps the stored one).
    pub scope: Option<String>,
    /// Action string.
    pub action: Option<String>,
    /// Realms.
    pub realm: Option<String>,
    /// Resolvers.
    pub resolver: Option<String>,
    /// Users.
    pub user: Option<String>,
    /// Time restriction.
    pub time: Option<String>,
    /// Clients.
    pub client: Option<String>,
    /// Admin realms.
    pub adminrealm: Option<String>,
    /// Admin users.
    pub adminuser: Option<String>,
    /// privacyIDEA nodes.
    pub pinode: Option<String>,
    /// User agents.
    pub user_agents: Option<String>,
    /// Active (always written; default true).
    pub active: bool,
    /// Check all resolvers (always written; default false).
    pub check_all_resolvers: bool,
    /// Case-insensitive user names (always written; default false).
    pub user_case_insensitive: bool,
    /// Priority (`None` keeps the stored one; 1 for a new policy).
    pub priority: Option<i64>,
    /// Conditions (`None` keeps the stored ones; none for a new policy).
    pub conditions: Option<Vec<Condition>>,
    /// Description (always written, `None` = NULL).
    pub description: Option<String>,
}

/// The keys `set_policy` accepts.
pub const SPEC_KEYS: &[&str] = &[
    "name",
    "scope",
    "action",
    "realm",
    "resolver",
    "user",
    "time",
    "client",
    "active",
    "adminrealm",
    "adminuser",
    "priority",
    "check_all_resolvers",
    "conditions",
    "pinode",
    "description",
    "user_case_insensitive",
    "user_agents",
];

const MAX_LEN: &[(&str, usize)] = &[
    ("name", 64),
    ("scope", 32),
    ("realm", 256),
    ("adminrealm", 256),
    ("adminuser", 256),
    ("resolver", 256),
    ("pinode", 256),
    ("user", 256),
    ("client", 256),
    ("time", 64),
    ("user_agents", 256),
];

fn check_len(field: &str, value: &str) -> Result<(), String> {
    if let Some((_, max)) = MAX_LEN.iter().find(|(f, _)| *f == field) {
        let n = value.chars().count();
        if n > *max {
            return Err(format!(
                "'{field}' is {n} characters long; the column holds at most {max}"
            ));
        }
    }
    Ok(())
}

/// privacyIDEA's `is_true`, but refusing values it would silently read as false.
/// `yaml` also accepts YAML 1.1's yes/no/on/off words, which PyYAML reads as booleans.
fn to_bool(field: &str, v: &Node, yaml: bool) -> Result<bool, String> {
    match v {
        Node::Bool(b) => Ok(*b),
        Node::Null => Ok(false),
        Node::Int(1) => Ok(true),
        Node::Int(0) => Ok(false),
        Node::Float(f) if *f == 1.0 => Ok(true),
        Node::Float(f) if *f == 0.0 => Ok(false),
        Node::Str(s) => match s.as_str() {
            "1" | "True" | "true" | "TRUE" => Ok(true),
            "0" | "False" | "false" | "FALSE" => Ok(false),
            "yes" | "Yes" | "YES" | "on" | "On" | "ON" if yaml => Ok(true),
            "no" | "No" | "NO" | "off" | "Off" | "OFF" if yaml => Ok(false),
            _ => Err(format!("'{field}' must be true or false, not '{s}'")),
        },
        other => Err(format!(
            "'{field}' must be true or false, not {}",
            other.python_repr()
        )),
    }
}

fn str_list(field: &str, v: &Node) -> Result<Vec<String>, String> {
    match v {
        Node::List(items) => items
            .iter()
            .map(|i| match i {
                Node::Str(s) => Ok(s.clone()),
                other => Err(format!(
                    "'{field}' must be a list of strings; {} is a {}",
                    other.python_repr(),
                    other.type_name()
                )),
            })
            .collect(),
        other => Err(format!(
            "'{field}' must be a string or a list of strings, not a {}",
            other.type_name()
        )),
    }
}

/// A comma-separated field given as a string or a list; lists are joined with `", "`.
fn joined(field: &str, v: Option<&Node>) -> Result<Option<String>, String> {
    match v {
        None | Some(Node::Null) => Ok(None),
        Some(Node::Str(s)) => Ok(Some(s.clone())),
        Some(other) => Ok(Some(str_list(field, other)?.join(", "))),
    }
}

/// privacyIDEA's `validate_values`: every named realm/resolver/node must exist; `*`, empty
/// entries and one leading `!`/`-` are ignored.
fn check_exists(
    field: &str,
    what: &str,
    v: Option<&Node>,
    known: &HashSet<String>,
) -> Result<(), String> {
    let values: Vec<String> = match v {
        None | Some(Node::Null) => return Ok(()),
        Some(Node::Str(s)) => s.replace(' ', "").split(',').map(str::to_string).collect(),
        Some(other) => str_list(field, other)?,
    };
    let mut missing: Vec<String> = Vec::new();
    for value in values {
        if value.is_empty() || value == "*" {
            continue;
        }
        let raw = value.strip_prefix(['!', '-']).unwrap_or(&value).to_string();
        if !known.contains(&raw) && !missing.contains(&raw) {
            missing.push(raw);
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        missing.sort();
        Err(format!(
            "{what} {} do{} not exist",
            missing
                .iter()
                .map(|m| format!("'{m}'"))
                .collect::<Vec<_>>()
                .join(", "),
            if missing.len() == 1 { "es" } else { "" }
        ))
    }
}

/// A condition from its 5- or 6-element list form, checked like privacyIDEA's
/// `PolicyConditionClass`. A missing `handle_missing_data` is stored as `raise_error`.
pub fn condition_from_node(v: &Node) -> Result<Condition, String> {
    let items = match v {
        Node::List(items) => items,
        other => {
            return Err(format!(
                "a condition must be a list of 5 or 6 values, not a {}",
                other.type_name()
            ))
        }
    };
    if items.len() != 5 && items.len() != 6 {
        return Err(format!(
            "a condition has {} values, but should have 5 or 6",
            items.len()
        ));
    }
    let text = |i: usize, what: &str| -> Result<String, String> {
        match &items[i] {
            Node::Str(s) if !s.is_empty() => Ok(s.clone()),
            other => Err(format!(
                "the condition {what} must be a non-empty string, not {}",
                other.python_repr()
            )),
        }
    };
    let section = text(0, "section")?;
    if !SECTIONS.contains(&section.as_str()) {
        return Err(format!(
            "unknown condition section '{section}' (known: {})",
            SECTIONS.join(", ")
        ));
    }
    let key = text(1, "key")?;
    let comparator = text(2, "comparator")?;
    if !COMPARATORS.contains(&comparator.as_str()) {
        return Err(format!(
            "unknown condition comparator '{comparator}' (known: {})",
            COMPARATORS.join(", ")
        ));
    }
    let value = text(3, "value")?;
    let active = match &items[4] {
        Node::Bool(b) => *b,
        other => {
            return Err(format!(
                "the condition's active flag must be true or false, not {}",
                other.python_repr()
            ))
        }
    };
    let handle = match items.get(5) {
        None | Some(Node::Null) => "raise_error".to_string(),
        Some(Node::Str(s)) if HANDLE_MISSING.contains(&s.as_str()) => s.clone(),
        Some(other) => {
            return Err(format!(
                "unknown handle_missing_data {} (known: {})",
                other.python_repr(),
                HANDLE_MISSING.join(", ")
            ))
        }
    };
    for (what, s) in [
        ("section", &section),
        ("key", &key),
        ("comparator", &comparator),
    ] {
        if s.chars().count() > 255 {
            return Err(format!(
                "the condition {what} is longer than 255 characters"
            ));
        }
    }
    if value.chars().count() > 2000 {
        return Err("the condition value is longer than 2000 characters".to_string());
    }
    Ok(Condition {
        section,
        key,
        comparator,
        value,
        active,
        handle_missing_data: Some(handle),
    })
}

/// The action field as a string: a dict becomes `key` / `key=value` entries (`str()` of the
/// value, as privacyIDEA writes it), a list is joined with `", "`.
fn action_string(v: Option<&Node>) -> Result<Option<String>, String> {
    match v {
        None | Some(Node::Null) => Ok(None),
        Some(Node::Str(s)) => {
            validate::check_action_string(s)?;
            Ok(Some(s.clone()))
        }
        Some(Node::Map(entries)) => {
            let mut parts = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let entry = match v {
                    Node::Bool(true) => validate::action_entry(k, None)?,
                    other => validate::action_entry(k, Some(&other.python_str()))?,
                };
                parts.push(entry);
            }
            Ok(Some(parts.join(", ")))
        }
        Some(other @ Node::List(_)) => {
            let s = str_list("action", other)?.join(", ");
            validate::check_action_string(&s)?;
            Ok(Some(s))
        }
        Some(other) => Err(format!(
            "'action' must be a string, a mapping or a list, not a {}",
            other.type_name()
        )),
    }
}

impl PolicySpec {
    /// Reads a policy dict (an entry of an export, or a `create -f` file), checking it as
    /// `set_policy` would. `yaml` accepts YAML 1.1 boolean words.
    pub fn from_node(node: &Node, known: &Known, yaml: bool) -> Result<PolicySpec, String> {
        let Node::Map(entries) = node else {
            return Err(format!(
                "a policy must be a mapping, not a {}",
                node.type_name()
            ));
        };
        for (k, _) in entries {
            if !SPEC_KEYS.contains(&k.as_str()) {
                return Err(format!("unknown field '{k}'"));
            }
        }
        let get = |k: &str| node.get(k);
        let name = match get("name") {
            Some(Node::Str(s)) if !s.is_empty() => s.clone(),
            Some(Node::Str(_)) | None | Some(Node::Null) => {
                return Err("the policy has no name".to_string())
            }
            Some(other) => {
                return Err(format!(
                    "'name' must be a string, not a {}",
                    other.type_name()
                ))
            }
        };
        if name.contains(' ') {
            return Err(format!("the policy name '{name}' contains a space"));
        }
        check_len("name", &name)?;
        let scope = match get("scope") {
            None | Some(Node::Null) => None,
            Some(Node::Str(s)) => {
                if !SCOPES.contains(&s.as_str()) {
                    return Err(format!(
                        "invalid scope '{s}' (valid: {})",
                        SCOPES.join(", ")
                    ));
                }
                Some(s.clone())
            }
            Some(other) => {
                return Err(format!(
                    "'scope' must be a string, not a {}",
                    other.type_name()
                ))
            }
        };
        let priority = match get("priority") {
            None | Some(Node::Null) => None,
            Some(Node::Int(i)) => Some(*i),
            Some(Node::Str(s)) => Some(
                validate::parse_int(s)
                    .ok_or_else(|| format!("'priority' must be an integer, not '{s}'"))?,
            ),
            Some(other) => {
                return Err(format!(
                    "'priority' must be an integer, not {}",
                    other.python_repr()
                ))
            }
        };
        if priority.is_some_and(|p| p <= 0) {
            return Err("'priority' must be at least 1".to_string());
        }
        check_exists("realm", "realm", get("realm"), &known.realms)?;
        check_exists("resolver", "resolver", get("resolver"), &known.resolvers)?;
        check_exists("pinode", "privacyIDEA node", get("pinode"), &known.nodes)?;
        let time = match get("time") {
            None | Some(Node::Null) => None,
            Some(Node::Str(s)) => {
                if !s.is_empty() {
                    validate::check_time(s)?;
                }
                Some(s.clone())
            }
            Some(other) => {
                return Err(format!(
                    "'time' must be a string, not a {}",
                    other.type_name()
                ))
            }
        };
        let active = match get("active") {
            None => true,
            Some(v) => to_bool("active", v, yaml)?,
        };
        let check_all_resolvers = match get("check_all_resolvers") {
            None => false,
            Some(v) => to_bool("check_all_resolvers", v, yaml)?,
        };
        let user_case_insensitive = match get("user_case_insensitive") {
            None => false,
            Some(v) => to_bool("user_case_insensitive", v, yaml)?,
        };
        let realm = joined("realm", get("realm"))?;
        let adminrealm = joined("adminrealm", get("adminrealm"))?;
        let user = joined("user", get("user"))?;
        let adminuser = joined("adminuser", get("adminuser"))?;
        let resolver = joined("resolver", get("resolver"))?;
        let client = joined("client", get("client"))?;
        if let Some(c) = &client {
            validate::check_client(c)?;
        }
        let pinode = joined("pinode", get("pinode"))?;
        let user_agents = match get("user_agents") {
            None | Some(Node::Null) => None,
            Some(Node::Str(s)) => Some(
                s.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Some(Node::List(items)) => {
                let mut kept = Vec::new();
                for i in items {
                    match i {
                        Node::Null => {}
                        Node::Str(s) if s.is_empty() => {}
                        Node::Str(s) => kept.push(s.clone()),
                        other => {
                            return Err(format!(
                                "'user_agents' must be a list of strings; {} is a {}",
                                other.python_repr(),
                                other.type_name()
                            ))
                        }
                    }
                }
                Some(kept.join(", "))
            }
            Some(other) => {
                return Err(format!(
                    "'user_agents' must be a string or a list of strings, not a {}",
                    other.type_name()
                ))
            }
        };
        for (field, v) in [
            ("realm", &realm),
            ("adminrealm", &adminrealm),
            ("adminuser", &adminuser),
            ("resolver", &resolver),
            ("pinode", &pinode),
            ("user", &user),
            ("client", &client),
            ("time", &time),
            ("user_agents", &user_agents),
        ] {
            if let Some(s) = v {
                check_len(field, s)?;
            }
        }
        let conditions = match get("conditions") {
            None | Some(Node::Null) => None,
            Some(Node::List(items)) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        condition_from_node(c).map_err(|e| format!("condition {}: {e}", i + 1))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(other) => {
                return Err(format!(
                    "'conditions' must be a list, not a {}",
                    other.type_name()
                ))
            }
        };
        let action = action_string(get("action"))?;
        let description = match get("description") {
            None | Some(Node::Null) => None,
            Some(Node::Str(s)) => Some(s.clone()),
            Some(other) => {
                return Err(format!(
                    "'description' must be a string, not a {}",
                    other.type_name()
                ))
            }
        };
        Ok(PolicySpec {
            name,
            scope,
            action,
            realm,
            resolver,
            user,
            time,
            client,
            adminrealm,
            adminuser,
            pinode,
            user_agents,
            active,
            check_all_resolvers,
            user_case_insensitive,
            priority,
            conditions,
            description,
        })
    }

    /// The stored policy after `set_policy` with this spec: for an existing policy the given
    /// fields replace the stored ones (active, check_all_resolvers, user_case_insensitive and the
    /// description always); a new policy gets the column defaults for what is not given.
    pub fn apply(&self, existing: Option<&Policy>) -> Result<Policy, String> {
        match existing {
            Some(old) => {
                let mut p = old.clone();
                let set = |slot: &mut Option<String>, v: &Option<String>| {
                    if let Some(v) = v {
                        *slot = Some(v.clone());
                    }
                };
                set(&mut p.action, &self.action);
                if let Some(s) = &self.scope {
                    p.scope = s.clone();
                }
                set(&mut p.realm, &self.realm);
                set(&mut p.adminrealm, &self.adminrealm);
                set(&mut p.resolver, &self.resolver);
                set(&mut p.user, &self.user);
                set(&mut p.adminuser, &self.adminuser);
                set(&mut p.client, &self.client);
                set(&mut p.time, &self.time);
                if let Some(pr) = self.priority {
                    p.priority = pr;
                }
                set(&mut p.pinode, &self.pinode);
                set(&mut p.user_agents, &self.user_agents);
                p.active = Some(self.active);
                p.check_all_resolvers = Some(self.check_all_resolvers);
                p.user_case_insensitive = Some(self.user_case_insensitive);
                if let Some(c) = &self.conditions {
                    p.conditions = c.clone();
                }
                p.description = self.description.clone();
                p.has_description_row = true;
                Ok(p)
            }
            None => {
                let scope = self.scope.clone().ok_or_else(|| {
                    format!(
                        "policy '{}' does not exist yet and no scope is given",
                        self.name
                    )
                })?;
                let or_empty = |v: &Option<String>| Some(v.clone().unwrap_or_default());
                Ok(Policy {
                    id: 0,
                    name: self.name.clone(),
                    active: Some(self.active),
                    check_all_resolvers: Some(self.check_all_resolvers),
                    user_case_insensitive: Some(self.user_case_insensitive),
                    scope,
                    action: or_empty(&self.action),
                    realm: or_empty(&self.realm),
                    adminrealm: or_empty(&self.adminrealm),
                    adminuser: or_empty(&self.adminuser),
                    resolver: or_empty(&self.resolver),
                    pinode: or_empty(&self.pinode),
                    user: or_empty(&self.user),
                    client: or_empty(&self.client),
                    time: or_empty(&self.time),
                    user_agents: or_empty(&self.user_agents),
                    priority: self.priority.unwrap_or(1),
                    conditions: self.conditions.clone().unwrap_or_default(),
                    description: self.description.clone(),
                    has_description_row: true,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyliteral;

    fn known() -> Known {
        Known {
            realms: ["corp", "partners"].iter().map(|s| s.to_string()).collect(),
            resolvers: ["reso1", "reso2"].iter().map(|s| s.to_string()).collect(),
            nodes: ["node1"].iter().map(|s| s.to_string()).collect(),
        }
    }

    fn spec(text: &str) -> Result<PolicySpec, String> {
        PolicySpec::from_node(&pyliteral::parse(text).expect("literal"), &known(), false)
    }

    #[test]
    fn normalises_like_set_policy() {
        let s = spec("{'name': 'p', 'scope': 'authentication', 'action': {'otppin': 'userstore', 'passthru': True, 'n': 3}, 'realm': ['corp', 'partners'], 'user_agents': ' PAM, ,x ', 'conditions': [('userinfo', 'groups', 'contains', 'h', True)]}").expect("valid");
        assert_eq!(s.action.as_deref(), Some("otppin=userstore, passthru, n=3"));
        assert_eq!(s.realm.as_deref(), Some("corp, partners"));
        assert_eq!(s.user_agents.as_deref(), Some("PAM, x"));
        assert_eq!(
            s.conditions
                .as_ref()
                .map(|c| c[0].handle_missing_data.clone()),
            Some(Some("raise_error".to_string()))
        );
        assert!(s.active && !s.check_all_resolvers);
        let p = s.apply(None).expect("new");
        assert_eq!(p.priority, 1);
        assert_eq!(p.time.as_deref(), Some(""));
    }

    #[test]
    fn rejects_what_set_policy_rejects() {
        for (text, needle) in [
            ("{'name': 'a b', 'scope': 'admin'}", "space"),
            ("{'name': 'p', 'scope': 'nope'}", "invalid scope"),
            ("{'name': 'p', 'scope': 'admin', 'priority': 0}", "at least 1"),
            ("{'name': 'p', 'scope': 'admin', 'realm': 'corp, !gone'}", "'gone'"),
            ("{'name': 'p', 'scope': 'admin', 'resolver': ['reso9']}", "resolver 'reso9'"),
            ("{'name': 'p', 'scope': 'admin', 'time': 'Mon: 9-8'}", "time"),
            ("{'name': 'p', 'scope': 'admin', 'client': '10.1'}", "client"),
            ("{'name': 'p', 'scope': 'admin', 'conditions': [('userinfo', 'k', 'equals', 'v')]}", "4 values"),
            ("{'name': 'p', 'scope': 'admin', 'conditions': [('nope', 'k', 'equals', 'v', True)]}", "section"),
            ("{'name': 'p', 'scope': 'admin', 'conditions': [('userinfo', 'k', 'equals', 'v', 'True')]}", "active flag"),
            ("{'name': 'p', 'scope': 'admin', 'conditions': [('userinfo', 'k', 'equals', '', True)]}", "value"),
            ("{'name': 'p', 'scope': 'admin', 'conditions': [('userinfo', 'k', 'eq', 'v', True)]}", "comparator"),
            ("{'name': 'p', 'scope': 'admin', 'conditions': [('userinfo', 'k', 'equals', 'v', True, 'x')]}", "handle_missing_data"),
            ("{'name': 'p', 'scope': 'admin', 'bogus': 1}", "unknown field 'bogus'"),
            ("{'name': 'p', 'scope': 'admin', 'active': 'yes'}", "true or false"),
            ("{'name': 'p', 'scope': 'admin', 'action': {'msg': 'a,b'}}", "unescaped comma"),
            ("{'name': 'p', 'scope': 'admin', 'action': 'a,,b'}", "empty entry"),
            ("{'scope': 'admin'}", "no name"),
        ] {
            let e = spec(text).expect_err(text);
            assert!(e.contains(needle), "{text}: {e}");
        }
        assert!(spec("{'name': 'p', 'action': 'x'}")
            .expect("valid")
            .apply(None)
            .is_err());
    }

    #[test]
    fn update_keeps_unset_fields() {
        let old = spec("{'name': 'p', 'scope': 'admin', 'realm': 'corp', 'priority': 4, 'description': 'd', 'user_agents': 'PAM', 'check_all_resolvers': True}")
            .expect("valid")
            .apply(None)
            .expect("new");
        let new = spec("{'name': 'p', 'action': 'enable'}")
            .expect("valid")
            .apply(Some(&old))
            .expect("update");
        assert_eq!(new.realm.as_deref(), Some("corp"));
        assert_eq!(new.priority, 4);
        assert_eq!(new.user_agents.as_deref(), Some("PAM"));
        assert_eq!(new.check_all_resolvers, Some(false));
        assert_eq!(new.description, None);
        assert_eq!(new.action.as_deref(), Some("enable"));
    }
}
