//! YAML text exactly as PyYAML's `yaml.safe_dump(obj)` writes it with its defaults (block style,
//! keys sorted, indent 2, width 80, non-ASCII escaped in double quotes), so YAML exports are
//! byte-identical to pi-manage's.
//!
//! This follows the observable behaviour of PyYAML's emitter (MIT licensed): the scalar analysis
//! that decides between plain, single-quoted and double-quoted style, the implicit resolvers of
//! YAML 1.1 that force quoting of strings looking like other types, and the line folding at
//! column 80. Only what `safe_dump` of dicts, lists, strings, ints, floats, booleans and None can
//! produce is implemented.

use crate::node::{python_float_repr, Node};
use regex::Regex;
use std::sync::OnceLock;

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

/// `yaml.safe_dump(node)`.
pub fn safe_dump(node: &Node) -> String {
    let mut e = Emitter {
        whitespace: true,
        indention: true,
        ..Emitter::default()
    };
    e.node(node, Ctx::Root);
    // document end: a line break after the last node
    e.write_indent();
    e.out
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Root,
    Sequence,
    MappingKey,
    MappingValue,
}

#[derive(Default)]
struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    simple_key_context: bool,
}

struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_ws_or_break(c: char) -> bool {
    matches!(
        c,
        '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn analyze(scalar: &[char]) -> Analysis {
    if scalar.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let mut block_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;

    let starts = |p: &str| {
        let pc: Vec<char> = p.chars().collect();
        scalar.len() >= pc.len() && scalar[..pc.len()] == pc[..]
    };
    if starts("---") || starts("...") {
        block_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = scalar.len() == 1 || is_ws_or_break(scalar[1]);
    let mut previous_space = false;
    let mut previous_break = false;
    let n = scalar.len();
    for (index, &ch) in scalar.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                block_indicators = true;
            }
            if (ch == '?' || ch == ':') && followed_by_whitespace {
                block_indicators = true;
            }
            if ch == '-' && followed_by_whitespace {
                block_indicators = true;
            }
        } else {
            if ch == ':' && followed_by_whitespace {
                block_indicators = true;
            }
            if ch == '#' && preceded_by_whitespace {
                block_indicators = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || ('\x20'..='\x7e').contains(&ch)) {
            // with allow_unicode=False every other character needs double quotes
            special_characters = true;
        }
        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == n - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == n - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_ws_or_break(ch);
        followed_by_whitespace = index + 2 >= n || is_ws_or_break(scalar[index + 2]);
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special_characters {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks {
        allow_block_plain = false;
    }
    if block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_block_plain,
        allow_single_quoted,
    }
}

struct Resolvers {
    boolean: Regex,
    float: Regex,
    int: Regex,
    merge: Regex,
    null: Regex,
    timestamp: Regex,
    value: Regex,
    yaml: Regex,
}

fn resolvers() -> &'static Resolvers {
    static R: OnceLock<Resolvers> = OnceLock::new();
    R.get_or_init(|| {
        let re = |s: &str| Regex::new(s).unwrap_or_else(|_| Regex::new("$^").expect("trivial regex"));
        Resolvers {
            boolean: re(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
            float: re(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
            int: re(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"),
            merge: re(r"^(?:<<)$"),
            null: re(r"^(?:~|null|Null|NULL|)$"),
            timestamp: re(r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"),
            value: re(r"^(?:=)$"),
            yaml: re(r"^(?:!|&|\*)$"),
        }
    })
}

/// True when PyYAML would read `s` written plain back as a string (so plain style is allowed).
fn resolves_to_str(s: &str) -> bool {
    let r = resolvers();
    // Python's `$` also matches before a final newline.
    let m = |re: &Regex| re.is_match(s) || s.strip_suffix('\n').is_some_and(|t| re.is_match(t));
    let first = match s.chars().next() {
        None => return !m(&r.null),
        Some(c) => c,
    };
    let mut candidates: Vec<&Regex> = Vec::new();
    if "yYnNtTfFoO".contains(first) {
        candidates.push(&r.boolean);
    }
    if "-+0123456789.".contains(first) {
        candidates.push(&r.float);
    }
    if "-+0123456789".contains(first) {
        candidates.push(&r.int);
    }
    if first == '<' {
        candidates.push(&r.merge);
    }
    if "~nN".contains(first) {
        candidates.push(&r.null);
    }
    if first.is_ascii_digit() {
        candidates.push(&r.timestamp);
    }
    if first == '=' {
        candidates.push(&r.value);
    }
    if "!&*".contains(first) {
        candidates.push(&r.yaml);
    }
    !candidates.into_iter().any(m)
}

impl Emitter {
    fn write(&mut self, s: &str, chars: usize) {
        self.out.push_str(s);
        self.column += chars;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if self.whitespace || !need_whitespace {
            self.write(indicator, indicator.chars().count());
        } else {
            self.out.push(' ');
            self.write(indicator, indicator.chars().count() + 1);
        }
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
    }

    fn write_line_break(&mut self, br: Option<char>) {
        self.out.push(br.unwrap_or('\n'));
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = indent - self.column;
            self.out.extend(std::iter::repeat_n(' ', pad));
            self.column = indent;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        match self.indent {
            None => self.indent = Some(if flow { BEST_INDENT } else { 0 }),
            Some(i) if !indentless => self.indent = Some(i + BEST_INDENT),
            Some(_) => {}
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(None);
    }

    fn node(&mut self, node: &Node, ctx: Ctx) {
        self.simple_key_context = ctx == Ctx::MappingKey;
        match node {
            Node::List(items) if items.is_empty() => self.empty_flow("[", "]"),
            Node::Map(entries) if entries.is_empty() => self.empty_flow("{", "}"),
            Node::List(items) => self.block_sequence(items, ctx),
            Node::Map(entries) => self.block_mapping(entries),
            Node::Str(s) => self.scalar(s, resolves_to_str(s)),
            Node::Null => self.scalar("null", true),
            Node::Bool(b) => self.scalar(if *b { "true" } else { "false" }, true),
            Node::Int(i) => self.scalar(&i.to_string(), true),
            Node::Float(f) => {
                let text = match python_float_repr(*f).as_str() {
                    "nan" => ".nan".to_string(),
                    "inf" => ".inf".to_string(),
                    "-inf" => "-.inf".to_string(),
                    s if s.contains('e') && !s.contains('.') => {
                        // PyYAML's represent_float inserts ".0" before the exponent
                        s.replacen('e', ".0e", 1)
                    }
                    s => s.to_string(),
                };
                self.scalar(&text, true)
            }
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Node], ctx: Ctx) {
        let indentless = ctx == Ctx::MappingValue && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx::Sequence);
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, entries: &[(String, Node)]) {
        self.increase_indent(false, false);
        let mut sorted: Vec<&(String, Node)> = entries.iter().collect();
        // Python sorts str keys by code point, which is the order of `str::cmp` on UTF-8.
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, value) in sorted {
            self.write_indent();
            let chars: Vec<char> = key.chars().collect();
            let a = analyze(&chars);
            // "!!str" (the prepared tag) counts towards the 128-character limit of simple keys
            let simple = chars.len() + 5 < 128 && !a.empty && !a.multiline;
            if simple {
                self.node(&Node::Str(key.clone()), Ctx::MappingKey);
                self.write_indicator(":", false, false, false);
                self.node(value, Ctx::MappingValue);
            } else {
                self.write_indicator("?", true, false, true);
                self.node(&Node::Str(key.clone()), Ctx::MappingValue);
                self.write_indent();
                self.write_indicator(":", true, false, true);
                self.node(value, Ctx::MappingValue);
            }
        }
        self.pop_indent();
    }

    fn scalar(&mut self, text: &str, implicit_plain: bool) {
        self.increase_indent(true, false);
        let chars: Vec<char> = text.chars().collect();
        let a = analyze(&chars);
        let style = if implicit_plain
            && !(self.simple_key_context && (a.empty || a.multiline))
            && a.allow_block_plain
        {
            Style::Plain
        } else if a.allow_single_quoted && !(self.simple_key_context && a.multiline) {
            Style::Single
        } else {
            Style::Double
        };
        let split = !self.simple_key_context;
        match style {
            Style::Plain => self.write_plain(&chars, split),
            Style::Single => self.write_single_quoted(&chars, split),
            Style::Double => self.write_double_quoted(&chars, split),
        }
        self.pop_indent();
    }

    fn write_chunk(&mut self, chars: &[char]) {
        let s: String = chars.iter().collect();
        self.write(&s, chars.len());
    }

    fn write_breaks(&mut self, chunk: &[char]) {
        if chunk.first() == Some(&'\n') {
            self.write_line_break(None);
        }
        for &br in chunk {
            if br == '\n' {
                self.write_line_break(None);
            } else {
                self.write_line_break(Some(br));
            }
        }
    }

    fn write_plain(&mut self, text: &[char], split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ", 1);
        }
        self.whitespace = false;
        self.indention = false;
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chunk(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                self.write_chunk(&text[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write_chunk(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c) || c == '\'') && start < end {
                self.write_chunk(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''", 2);
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            let needs_escape = match ch {
                None => true,
                Some(c) => {
                    matches!(
                        c,
                        '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                    ) || !('\x20'..='\x7e').contains(&c)
                }
            };
            if needs_escape {
                if start < end {
                    self.write_chunk(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    let data = match c {
                        '\0' => "\\0".to_string(),
                        '\u{7}' => "\\a".to_string(),
                        '\u{8}' => "\\b".to_string(),
                        '\t' => "\\t".to_string(),
                        '\n' => "\\n".to_string(),
                        '\u{b}' => "\\v".to_string(),
                        '\u{c}' => "\\f".to_string(),
                        '\r' => "\\r".to_string(),
                        '\u{1b}' => "\\e".to_string(),
                        '"' => "\\\"".to_string(),
                        '\\' => "\\\\".to_string(),
                        '\u{85}' => "\\N".to_string(),
                        '\u{a0}' => "\\_".to_string(),
                        '\u{2028}' => "\\L".to_string(),
                        '\u{2029}' => "\\P".to_string(),
                        c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                        c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                        c => format!("\\U{:08X}", c as u32),
                    };
                    let n = data.len();
                    self.write(&data, n);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && self.column as isize + (end as isize - start as isize) > BEST_WIDTH as isize
                && split
            {
                let mut data: String = text[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                let n = data.chars().count();
                self.write(&data, n);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write("\\", 1);
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: Vec<(&str, Node)>) -> Node {
        Node::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    #[test]
    fn block_layout_like_pyyaml() {
        let doc = map(vec![
            (
                "policy",
                Node::List(vec![map(vec![
                    ("name", Node::str("x")),
                    (
                        "action",
                        map(vec![("b", Node::str("120")), ("a", Node::Bool(true))]),
                    ),
                    ("realm", Node::List(vec![Node::str("corp")])),
                    ("user", Node::List(vec![])),
                    (
                        "conditions",
                        Node::List(vec![Node::List(vec![
                            Node::str("userinfo"),
                            Node::Bool(false),
                        ])]),
                    ),
                    ("description", Node::str("line one\nline two")),
                    ("time", Node::str("")),
                    ("d", Node::Null),
                    ("u", Node::str("f\u{fc}r")),
                    ("c", Node::str("!bob")),
                ])]),
            ),
            ("privacyIDEA_version", Node::str("3.14")),
        ]);
        let want = "policy:\n- action:\n    a: true\n    b: '120'\n  c: '!bob'\n  conditions:\n  - - userinfo\n    - false\n  d: null\n  description: 'line one\n\n    line two'\n  name: x\n  realm:\n  - corp\n  time: ''\n  u: \"f\\xFCr\"\n  user: []\nprivacyIDEA_version: '3.14'\n";
        assert_eq!(safe_dump(&doc), want);
    }

    #[test]
    fn resolver_quoting() {
        for s in [
            "120",
            "yes",
            "Off",
            "null",
            "~",
            "",
            "1.5",
            "0x1F",
            "2026-01-02",
            "1:30",
            "=",
            "<<",
            "*",
        ] {
            assert!(!resolves_to_str(s), "{s:?} should not resolve to str");
        }
        for s in [
            "hotp totp",
            "userstore",
            "+cn",
            "sha256",
            "privacyIDEA",
            "1.2.3",
            "Mon-Fri: 08:00-18:00",
        ] {
            assert!(resolves_to_str(s), "{s:?} should resolve to str");
        }
    }

    #[test]
    fn long_plain_scalars_fold_at_80() {
        let words = vec!["word"; 30].join(" ");
        let out = safe_dump(&map(vec![("k", Node::str(words.clone()))]));
        assert!(out.lines().count() > 1, "{out}");
        assert!(out.lines().nth(1).is_some_and(|l| l.starts_with("  word")));
    }
}
