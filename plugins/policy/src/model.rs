//! Policies as stored in privacyIDEA's tables, and their export form (the dict privacyIDEA 3.14's
//! `Policy.get()` builds, spec §3.3 and §8.2).

use crate::node::Node;

/// The scopes privacyIDEA 3.14 accepts (`SCOPE.get_all_scopes()` of the release).
pub const SCOPES: &[&str] = &[
    "authorization",
    "admin",
    "authentication",
    "audit",
    "user",
    "enrollment",
    "webui",
    "register",
    "container",
    "token",
    "hardening",
    "conditional_access",
];

/// Condition sections privacyIDEA 3.14 knows.
pub const SECTIONS: &[&str] = &[
    "userinfo",
    "tokeninfo",
    "token",
    "HTTP Request header",
    "HTTP Environment",
    "container",
    "container_info",
    "Request Data",
];

/// Condition comparators privacyIDEA 3.14 knows.
pub const COMPARATORS: &[&str] = &[
    "equals",
    "!equals",
    "contains",
    "!contains",
    "matches",
    "!matches",
    "in",
    "!in",
    "<",
    ">",
    "date_before",
    "date_after",
    "date_within_last",
    "!date_within_last",
    "string_contains",
    "!string_contains",
];

/// Values of a condition's `handle_missing_data`.
pub const HANDLE_MISSING: &[&str] = &["raise_error", "condition_is_true", "condition_is_false"];

/// The fields of an exported policy, in privacyIDEA's order.
pub const EXPORT_FIELDS: &[&str] = &[
    "name",
    "user_case_insensitive",
    "active",
    "scope",
    "realm",
    "adminrealm",
    "adminuser",
    "resolver",
    "pinode",
    "check_all_resolvers",
    "user",
    "client",
    "time",
    "conditions",
    "priority",
    "description",
    "user_agents",
    "action",
];

/// One `policycondition` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// `section`.
    pub section: String,
    /// `Key`.
    pub key: String,
    /// `comparator`.
    pub comparator: String,
    /// `Value`.
    pub value: String,
    /// `active`.
    pub active: bool,
    /// `handle_missing_data` (NULL for rows written by older versions).
    pub handle_missing_data: Option<String>,
}

impl Condition {
    /// The 6-element export form.
    pub fn to_node(&self) -> Node {
        Node::List(vec![
            Node::str(&self.section),
            Node::str(&self.key),
            Node::str(&self.comparator),
            Node::str(&self.value),
            Node::Bool(self.active),
            self.handle_missing_data
                .as_ref()
                .map(Node::str)
                .unwrap_or(Node::Null),
        ])
    }
}

/// One policy with its conditions and description, as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    /// `policy.id` (0 for a policy not yet written).
    pub id: i64,
    /// `name`.
    pub name: String,
    /// `active` (nullable column).
    pub active: Option<bool>,
    /// `check_all_resolvers`.
    pub check_all_resolvers: Option<bool>,
    /// `user_case_insensitive`.
    pub user_case_insensitive: Option<bool>,
    /// `scope`.
    pub scope: String,
    /// `action`: comma-separated `key` / `key=value` entries.
    pub action: Option<String>,
    /// `realm` (comma-separated).
    pub realm: Option<String>,
    /// `adminrealm`.
    pub adminrealm: Option<String>,
    /// `adminuser`.
    pub adminuser: Option<String>,
    /// `resolver`.
    pub resolver: Option<String>,
    /// `pinode`.
    pub pinode: Option<String>,
    /// `user`.
    pub user: Option<String>,
    /// `client`.
    pub client: Option<String>,
    /// `time`.
    pub time: Option<String>,
    /// `user_agents`.
    pub user_agents: Option<String>,
    /// `priority`.
    pub priority: i64,
    /// Conditions in id order.
    pub conditions: Vec<Condition>,
    /// The text of the first `description` row (`None` for NULL or no row).
    pub description: Option<String>,
    /// Whether a `description` row exists.
    pub has_description_row: bool,
}

/// Splits a comma-separated column like privacyIDEA: parts stripped, an empty value gives `[]`.
pub fn split_list(value: Option<&str>) -> Vec<String> {
    let v = value.unwrap_or("");
    let parts: Vec<String> = v.split(',').map(|p| py_strip(p).to_string()).collect();
    if parts.len() == 1 && parts[0].is_empty() {
        Vec::new()
    } else {
        parts
    }
}

/// Python's `str.strip()` (whitespace as `str.isspace` sees it).
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}'))
}

/// Splits an action string on commas not preceded by a backslash.
pub fn split_actions(action: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in action.char_indices() {
        if c == ',' && prev != Some('\\') {
            out.push(&action[start..i]);
            start = i + 1;
        }
        prev = Some(c);
    }
    out.push(&action[start..]);
    out
}

/// Parses an action string into `(key, value)` pairs with dict semantics: a missing value is
/// `true`, a repeated key keeps its first place and takes the last value.
pub fn parse_actions(action: &str) -> Vec<(String, Node)> {
    let mut out: Vec<(String, Node)> = Vec::new();
    for part in split_actions(action) {
        let part = py_strip(part);
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.to_string(), Node::str(v)),
            None => (part.to_string(), Node::Bool(true)),
        };
        Node::map_insert(&mut out, key, value);
    }
    out
}

fn opt_bool(b: Option<bool>) -> Node {
    b.map(Node::Bool).unwrap_or(Node::Null)
}

impl Policy {
    /// The export dict (privacyIDEA's `Policy.get()`), keys in [`EXPORT_FIELDS`] order.
    pub fn to_node(&self) -> Node {
        let list = |v: &Option<String>| Node::str_list(&split_list(v.as_deref()));
        let action = match self.action.as_deref() {
            Some(a) if !a.is_empty() => Node::Map(parse_actions(a)),
            _ => Node::Map(Vec::new()),
        };
        Node::Map(vec![
            ("name".into(), Node::str(&self.name)),
            (
                "user_case_insensitive".into(),
                opt_bool(self.user_case_insensitive),
            ),
            ("active".into(), opt_bool(self.active)),
            ("scope".into(), Node::str(&self.scope)),
            ("realm".into(), list(&self.realm)),
            ("adminrealm".into(), list(&self.adminrealm)),
            ("adminuser".into(), list(&self.adminuser)),
            ("resolver".into(), list(&self.resolver)),
            ("pinode".into(), list(&self.pinode)),
            (
                "check_all_resolvers".into(),
                opt_bool(self.check_all_resolvers),
            ),
            ("user".into(), list(&self.user)),
            ("client".into(), list(&self.client)),
            (
                "time".into(),
                Node::str(self.time.clone().unwrap_or_default()),
            ),
            (
                "conditions".into(),
                Node::List(self.conditions.iter().map(Condition::to_node).collect()),
            ),
            ("priority".into(), Node::Int(self.priority)),
            (
                "description".into(),
                self.description
                    .as_ref()
                    .map(Node::str)
                    .unwrap_or(Node::Null),
            ),
            ("user_agents".into(), list(&self.user_agents)),
            ("action".into(), action),
        ])
    }

    /// The same stored values (the `has_description_row` flag aside): a fast check before the
    /// field-by-field comparison of the export forms.
    pub fn same_values(&self, other: &Policy) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.active == other.active
            && self.check_all_resolvers == other.check_all_resolvers
            && self.user_case_insensitive == other.user_case_insensitive
            && self.scope == other.scope
            && self.action == other.action
            && self.realm == other.realm
            && self.adminrealm == other.adminrealm
            && self.adminuser == other.adminuser
            && self.resolver == other.resolver
            && self.pinode == other.pinode
            && self.user == other.user
            && self.client == other.client
            && self.time == other.time
            && self.user_agents == other.user_agents
            && self.priority == other.priority
            && self.conditions == other.conditions
            && self.description == other.description
    }

    /// `repr(active)` as pi-manage's list prints it.
    pub fn active_repr(&self) -> &'static str {
        match self.active {
            Some(true) => "True",
            Some(false) => "False",
            None => "None",
        }
    }
}

/// Sorts by priority, keeping the given order for equal priorities (Python's stable sort).
pub fn sort_by_priority(policies: &mut [Policy]) {
    policies.sort_by_key(|p| p.priority);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_like_privacyidea() {
        assert_eq!(split_list(Some("corp, partners")), vec!["corp", "partners"]);
        assert_eq!(split_list(Some("")), Vec::<String>::new());
        assert_eq!(split_list(None), Vec::<String>::new());
        assert_eq!(split_list(Some("a,,b ")), vec!["a", "", "b"]);
        assert_eq!(split_list(Some(" ")), Vec::<String>::new());
    }

    #[test]
    fn actions_parse_like_privacyidea() {
        let a = parse_actions("otppin=userstore, passthru, challenge_response=hotp totp");
        assert_eq!(
            a,
            vec![
                ("otppin".into(), Node::str("userstore")),
                ("passthru".into(), Node::Bool(true)),
                ("challenge_response".into(), Node::str("hotp totp")),
            ]
        );
        let a = parse_actions("msg=a\\, b, x = y ,z=1=2");
        assert_eq!(
            a,
            vec![
                ("msg".into(), Node::str("a\\, b")),
                ("x ".into(), Node::str(" y")),
                ("z".into(), Node::str("1=2")),
            ]
        );
    }

    #[test]
    fn export_dict_has_privacyidea_keys() {
        let p = Policy {
            name: "p".into(),
            active: Some(true),
            scope: "admin".into(),
            priority: 1,
            ..Default::default()
        };
        let Node::Map(entries) = p.to_node() else {
            panic!("not a map")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, EXPORT_FIELDS);
    }
}
