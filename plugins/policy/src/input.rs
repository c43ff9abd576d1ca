//! Reading policy files: JSON, YAML and Python literals (old pi-manage exports), each detected
//! by a rule that cannot pick the wrong parser (spec §8.3's pitfall: pi-manage tries YAML before
//! Python, and YAML's flow syntax "accepts" Python dicts and mangles them).
//!
//! The rule: a document whose first significant character is `{` or `[` is JSON when it parses
//! as JSON, otherwise a Python literal (YAML is never tried for it); any other document is YAML.
//! `--from` overrides the detection.

use crate::node::Node;
use clap::ValueEnum;
use mfactl_plugin_api::{Error, Result};

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// JSON (`config export` of privacyIDEA ≥ 3.2, mfactl's export).
    Json,
    /// YAML (`config export -f yaml`).
    Yaml,
    /// A Python literal (pi-manage ≤ 3.9 `p_export`, `policy create -f` files).
    Python,
}

impl InputFormat {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Json => "JSON",
            InputFormat::Yaml => "YAML",
            InputFormat::Python => "Python literal",
        }
    }
}

/// The first character that is not blank and not in a `#` comment line.
fn first_significant(text: &str) -> Option<char> {
    for line in text.lines() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        return t.chars().next();
    }
    None
}

/// Detects the format of `text` (see the module docs); a JSON document comes back parsed.
fn detect(text: &str) -> Option<(InputFormat, Option<Node>)> {
    match first_significant(text)? {
        '{' | '[' => match serde_json::from_str::<Node>(text) {
            Ok(node) => Some((InputFormat::Json, Some(node))),
            Err(_) => Some((InputFormat::Python, None)),
        },
        _ => Some((InputFormat::Yaml, None)),
    }
}

/// The detected format of `text`.
pub fn detect_format(text: &str) -> Option<InputFormat> {
    detect(text).map(|(f, _)| f)
}

/// Parses `text` in the given or detected format.
pub fn parse(text: &str, forced: Option<InputFormat>, source: &str) -> Result<(Node, InputFormat)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (format, parsed) = match forced {
        Some(f) => (f, None),
        None => detect(text).ok_or_else(|| Error::failed(format!("{source} is empty")))?,
    };
    if let Some(node) = parsed {
        return Ok((node, format));
    }
    let node = match format {
        InputFormat::Json => serde_json::from_str::<Node>(text).map_err(|e| e.to_string()),
        InputFormat::Python => crate::pyliteral::parse(text),
        InputFormat::Yaml => serde_yaml::from_str::<serde_yaml::Value>(text)
            .map_err(|e| e.to_string())
            .and_then(Node::from_yaml),
    };
    let node = node.map_err(|e| {
        let mut err = Error::failed(format!("cannot read {source} as {}", format.name())).with_cause(e);
        if forced.is_none() {
            err = err.with_hint(match format {
                InputFormat::Python => {
                    "a file starting with '{' or '[' that is not JSON is read as a Python literal; give --from yaml for a flow-style YAML file"
                }
                _ => "give --from json|yaml|python if the format was detected wrongly",
            });
        }
        err
    })?;
    Ok((node, format))
}

/// What an export-style document holds.
#[derive(Debug)]
pub struct Document {
    /// The policy dicts.
    pub policies: Vec<Node>,
    /// `privacyIDEA_version`, when present.
    pub version: Option<String>,
    /// Other configuration types present (not imported by mfactl).
    pub other_types: Vec<String>,
}

/// Splits an export (`{"policy": [...], "privacyIDEA_version": ...}`, or a bare list of
/// policies as very old versions wrote) into its parts.
pub fn document(node: Node, source: &str) -> Result<Document> {
    match node {
        Node::List(policies) => Ok(Document {
            policies,
            version: None,
            other_types: Vec::new(),
        }),
        Node::Map(entries) => {
            let mut policies = None;
            let mut version = None;
            let mut other_types = Vec::new();
            for (k, v) in entries {
                match (k.as_str(), v) {
                    ("policy", Node::List(l)) => policies = Some(l),
                    ("policy", other) => {
                        return Err(Error::failed(format!(
                            "'policy' in {source} is a {}, not a list of policies",
                            other.type_name()
                        )))
                    }
                    ("privacyIDEA_version", v) => version = Some(v.python_str()),
                    _ => other_types.push(k),
                }
            }
            let policies = policies.ok_or_else(|| {
                Error::failed(format!("{source} holds no 'policy' list"))
                    .with_hint("expected an export of `mfactl policy export` or `pi-manage config export -t policy`")
            })?;
            Ok(Document {
                policies,
                version,
                other_types,
            })
        }
        other => Err(Error::failed(format!(
            "{source} holds a {}, not a policy export",
            other.type_name()
        ))),
    }
}

/// The one policy dict of a `create -f` file: a dict, or an export holding exactly one policy.
pub fn single_policy(node: Node, source: &str) -> Result<Node> {
    let one = |mut l: Vec<Node>| -> Result<Node> {
        if l.len() == 1 {
            Ok(l.remove(0))
        } else {
            Err(Error::failed(format!(
                "{source} holds {} policies; `create -f` takes one",
                l.len()
            ))
            .with_hint("use `mfactl policy import` for several policies"))
        }
    };
    match node {
        Node::Map(ref entries) if entries.iter().any(|(k, _)| k == "policy") => {
            one(document(node, source)?.policies)
        }
        Node::Map(_) => Ok(node),
        Node::List(l) => one(l),
        other => Err(Error::failed(format!(
            "{source} holds a {}, not a policy dict",
            other.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_is_unambiguous() {
        assert_eq!(detect_format("{\"policy\": []}"), Some(InputFormat::Json));
        assert_eq!(
            detect_format("{'policy': [{'active': True}]}"),
            Some(InputFormat::Python)
        );
        assert_eq!(
            detect_format("# comment\n[{'name': 'x'}]"),
            Some(InputFormat::Python)
        );
        assert_eq!(
            detect_format("policy:\n- name: x\n"),
            Some(InputFormat::Yaml)
        );
        assert_eq!(detect_format("  \n"), None);
        // JSON without Python's True/None is the same document either way
        assert_eq!(
            detect_format("[{\"name\": \"x\", \"active\": true}]"),
            Some(InputFormat::Json)
        );
    }

    #[test]
    fn python_export_is_not_mangled() {
        let text = "{'policy': [{'name': 'p', 'description': None, 'conditions': [('userinfo', 'groups', 'contains', 'x', True)]}]}";
        let (node, f) = parse(text, None, "input").expect("parses");
        assert_eq!(f, InputFormat::Python);
        let doc = document(node, "input").expect("doc");
        assert_eq!(doc.policies[0].get("description"), Some(&Node::Null));
        assert!(
            matches!(doc.policies[0].get("conditions"), Some(Node::List(l)) if matches!(&l[0], Node::List(c) if c.len() == 5))
        );
    }

    #[test]
    fn yaml_and_json_read() {
        let (n, _) = parse(
            "policy:\n- name: p\n  active: true\n  priority: 2\nprivacyIDEA_version: '3.14'\n",
            None,
            "x",
        )
        .expect("yaml");
        let d = document(n, "x").expect("doc");
        assert_eq!(d.version.as_deref(), Some("3.14"));
        assert_eq!(d.policies[0].get("priority"), Some(&Node::Int(2)));
        assert!(parse("{\"policy\": [", None, "x").is_err());
        assert!(document(Node::Map(vec![]), "x").is_err());
    }
}
