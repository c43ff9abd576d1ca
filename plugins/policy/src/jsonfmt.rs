//! JSON text exactly as Python's `json.dumps(obj, indent=2)` writes it (ASCII-escaped, `", "`
//! and `": "` separators, insertion order), so exports are byte-identical to pi-manage's.

use crate::node::{python_float_repr, Node};
use std::fmt::Write as _;

/// `json.dumps(node, indent=2)` (no trailing newline). With `ascii` false, non-ASCII
/// characters are written as they are (`ensure_ascii=False`).
pub fn dumps(node: &Node, ascii: bool) -> String {
    let mut out = String::with_capacity(1024);
    write_node(&mut out, node, 0, ascii);
    out
}

/// Compact one-line JSON (`json.dumps(obj, ensure_ascii=False)` style separators), for messages.
pub fn compact(node: &Node) -> String {
    let mut out = String::new();
    write_compact(&mut out, node);
    out
}

fn write_compact(out: &mut String, node: &Node) {
    match node {
        Node::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_compact(out, item);
            }
            out.push(']');
        }
        Node::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, k, false);
                out.push_str(": ");
                write_compact(out, v);
            }
            out.push('}');
        }
        scalar => write_scalar(out, scalar, false),
    }
}

fn newline_indent(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_node(out: &mut String, node: &Node, level: usize, ascii: bool) {
    match node {
        Node::List(items) if items.is_empty() => out.push_str("[]"),
        Node::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, level + 1);
                write_node(out, item, level + 1, ascii);
            }
            newline_indent(out, level);
            out.push(']');
        }
        Node::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Node::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, level + 1);
                write_string(out, k, ascii);
                out.push_str(": ");
                write_node(out, v, level + 1, ascii);
            }
            newline_indent(out, level);
            out.push('}');
        }
        scalar => write_scalar(out, scalar, ascii),
    }
}

fn write_scalar(out: &mut String, node: &Node, ascii: bool) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(true) => out.push_str("true"),
        Node::Bool(false) => out.push_str("false"),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Node::Float(f) => {
            let s = python_float_repr(*f);
            out.push_str(match s.as_str() {
                "nan" => "NaN",
                "inf" => "Infinity",
                "-inf" => "-Infinity",
                other => other,
            });
        }
        Node::Str(s) => write_string(out, s, ascii),
        Node::List(_) | Node::Map(_) => write_compact(out, node),
    }
}

/// A JSON string literal as Python writes it.
pub fn write_string(out: &mut String, s: &str, ascii: bool) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ascii && (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_layout() {
        let doc = Node::Map(vec![
            (
                "policy".into(),
                Node::List(vec![Node::Map(vec![
                    ("name".into(), Node::str("a")),
                    ("realm".into(), Node::List(vec![])),
                    ("action".into(), Node::Map(vec![])),
                    ("d".into(), Node::Null),
                    ("p".into(), Node::Int(1)),
                    ("t".into(), Node::Bool(true)),
                ])]),
            ),
            ("privacyIDEA_version".into(), Node::str("3.14")),
        ]);
        let want = "{\n  \"policy\": [\n    {\n      \"name\": \"a\",\n      \"realm\": [],\n      \"action\": {},\n      \"d\": null,\n      \"p\": 1,\n      \"t\": true\n    }\n  ],\n  \"privacyIDEA_version\": \"3.14\"\n}";
        assert_eq!(dumps(&doc, true), want);
    }

    #[test]
    fn escapes_like_python() {
        let mut s = String::new();
        write_string(&mut s, "f\u{fc}r \"x\" \\ \u{1}\u{7f} \u{1f600}/", true);
        assert_eq!(
            s,
            "\"f\\u00fcr \\\"x\\\" \\\\ \\u0001\\u007f \\ud83d\\ude00/\""
        );
    }
}
