//! A small document tree shared by the readers (JSON, YAML, Python literal) and the writers.
//!
//! Maps keep insertion order and follow Python's dict semantics: a repeated key keeps its first
//! position and takes the last value.

use std::fmt::Write as _;

/// One value of a policy document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null` / `None`.
    Null,
    /// `true` / `True`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A list (Python tuples become lists).
    List(Vec<Node>),
    /// A mapping with string keys, in insertion order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A string node.
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    /// A list of strings.
    pub fn str_list(items: &[String]) -> Node {
        Node::List(items.iter().map(|s| Node::Str(s.clone())).collect())
    }

    /// Inserts with Python dict semantics (a repeated key keeps its place, the value is replaced).
    pub fn map_insert(entries: &mut Vec<(String, Node)>, key: String, value: Node) {
        if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            entries.push((key, value));
        }
    }

    /// The value under `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short name of the type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "boolean",
            Node::Int(_) => "integer",
            Node::Float(_) => "number",
            Node::Str(_) => "string",
            Node::List(_) => "list",
            Node::Map(_) => "mapping",
        }
    }

    /// Python's `str(value)` of the equivalent Python object.
    pub fn python_str(&self) -> String {
        match self {
            Node::Str(s) => s.clone(),
            other => other.python_repr(),
        }
    }

    /// Python's `repr(value)` of the equivalent Python object.
    pub fn python_repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out);
        out
    }

    fn write_repr(&self, out: &mut String) {
        match self {
            Node::Null => out.push_str("None"),
            Node::Bool(true) => out.push_str("True"),
            Node::Bool(false) => out.push_str("False"),
            Node::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Node::Float(f) => out.push_str(&python_float_repr(*f)),
            Node::Str(s) => out.push_str(&python_str_repr(s)),
            Node::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(out);
                }
                out.push(']');
            }
            Node::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&python_str_repr(k));
                    out.push_str(": ");
                    v.write_repr(out);
                }
                out.push('}');
            }
        }
    }

    /// Converts a parsed JSON value.
    pub fn from_json(v: serde_json::Value) -> Node {
        match v {
            serde_json::Value::Null => Node::Null,
            serde_json::Value::Bool(b) => Node::Bool(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Node::Int(i),
                None => Node::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Node::Str(s),
            serde_json::Value::Array(a) => Node::List(a.into_iter().map(Node::from_json).collect()),
            serde_json::Value::Object(o) => {
                let mut entries = Vec::with_capacity(o.len());
                for (k, v) in o {
                    Node::map_insert(&mut entries, k, Node::from_json(v));
                }
                Node::Map(entries)
            }
        }
    }

    /// Converts a parsed YAML value; keys must be scalars.
    pub fn from_yaml(v: serde_yaml::Value) -> Result<Node, String> {
        Ok(match v {
            serde_yaml::Value::Null => Node::Null,
            serde_yaml::Value::Bool(b) => Node::Bool(b),
            serde_yaml::Value::Number(n) => match n.as_i64() {
                Some(i) => Node::Int(i),
                None => Node::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_yaml::Value::String(s) => Node::Str(s),
            serde_yaml::Value::Sequence(a) => Node::List(
                a.into_iter()
                    .map(Node::from_yaml)
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            serde_yaml::Value::Mapping(m) => {
                let mut entries = Vec::with_capacity(m.len());
                for (k, v) in m {
                    let key = match Node::from_yaml(k)? {
                        Node::Str(s) => s,
                        Node::List(_) | Node::Map(_) => {
                            return Err("a mapping key is not a scalar".to_string())
                        }
                        other => other.python_str(),
                    };
                    Node::map_insert(&mut entries, key, Node::from_yaml(v)?);
                }
                Node::Map(entries)
            }
            serde_yaml::Value::Tagged(t) => {
                return Err(format!("unsupported YAML tag {}", t.tag));
            }
        })
    }
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// Builds [`Node`]s straight from a JSON parser (no intermediate `serde_json::Value`).
struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v)
            .map(Node::Int)
            .unwrap_or(Node::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            Node::map_insert(&mut entries, k, v);
        }
        Ok(Node::Map(entries))
    }
}

/// Python's `repr(str)`: single quotes unless the text holds `'` and no `"`.
pub fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa1).contains(&(c as u32)) || c == '\u{ad}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(float)` (shortest round-trip digits, `.0` for whole numbers, exponent form
/// outside 1e-4 ≤ |x| < 1e16).
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        // Rust gives e.g. "1e16" / "1.5e-5"; Python writes "1e+16" / "1.5e-05".
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        let digits = if digits.len() < 2 {
            format!("0{digits}")
        } else {
            digits.to_string()
        };
        return format!("{mant}e{sign}{digits}");
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reprs() {
        assert_eq!(Node::Int(120).python_str(), "120");
        assert_eq!(Node::Bool(false).python_str(), "False");
        assert_eq!(Node::Null.python_str(), "None");
        assert_eq!(Node::Float(1.5).python_str(), "1.5");
        assert_eq!(Node::Float(2.0).python_str(), "2.0");
        assert_eq!(Node::Float(1e16).python_str(), "1e+16");
        assert_eq!(Node::Float(1.5e-5).python_str(), "1.5e-05");
        assert_eq!(
            Node::List(vec![Node::str("a"), Node::str("it's")]).python_str(),
            "['a', \"it's\"]"
        );
        assert_eq!(
            Node::Map(vec![("k".into(), Node::Bool(true))]).python_str(),
            "{'k': True}"
        );
        assert_eq!(Node::str("a\\b\n").python_repr(), "'a\\\\b\\n'");
    }

    #[test]
    fn dict_semantics_keep_first_position() {
        let mut e = Vec::new();
        Node::map_insert(&mut e, "a".into(), Node::Int(1));
        Node::map_insert(&mut e, "b".into(), Node::Int(2));
        Node::map_insert(&mut e, "a".into(), Node::Int(3));
        assert_eq!(
            e,
            vec![("a".into(), Node::Int(3)), ("b".into(), Node::Int(2))]
        );
    }
}
