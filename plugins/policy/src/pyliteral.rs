//! A parser for Python literals, the format of old pi-manage policy exports (a `pprint` of a
//! dict) and of `policy create -f` files: what `ast.literal_eval` accepts for dicts, lists,
//! tuples, strings (with prefixes, escapes and implicit concatenation), numbers, `True`,
//! `False` and `None`. It never evaluates anything.

use crate::node::Node;

/// Parses one Python literal expression; the error names line and column.
pub fn parse(text: &str) -> Result<Node, String> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        depth: 0,
    };
    p.skip_ws(false);
    let v = p.value()?;
    p.skip_ws(false);
    if p.pos < p.chars.len() {
        return Err(p.err("unexpected text after the value"));
    }
    Ok(v)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 200;

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, off: usize) -> Option<char> {
        self.chars.get(self.pos + off).copied()
    }

    fn err(&self, msg: &str) -> String {
        let mut line = 1;
        let mut col = 1;
        for &c in &self.chars[..self.pos.min(self.chars.len())] {
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        format!("line {line}, column {col}: {msg}")
    }

    /// Skips blanks and comments; newlines only inside brackets (`nested`) or as line
    /// continuations. At the top level a pprint export is one bracketed expression, so
    /// newlines there are accepted before and after it.
    fn skip_ws(&mut self, _nested: bool) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' | '\r' | '\u{c}' => self.pos += 1,
                '\\' if matches!(self.peek_at(1), Some('\n')) => self.pos += 2,
                '\\' if self.peek_at(1) == Some('\r') && self.peek_at(2) == Some('\n') => {
                    self.pos += 3
                }
                '#' => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn value(&mut self) -> Result<Node, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        let r = self.value_inner();
        self.depth -= 1;
        r
    }

    fn value_inner(&mut self) -> Result<Node, String> {
        self.skip_ws(true);
        let c = self
            .peek()
            .ok_or_else(|| self.err("unexpected end of input"))?;
        match c {
            '{' => self.dict(),
            '[' => {
                self.pos += 1;
                Ok(Node::List(self.items(']')?))
            }
            '(' => self.paren(),
            '\'' | '"' => self.strings(),
            '0'..='9' | '.' => self.number(false),
            '-' | '+' => {
                self.pos += 1;
                self.skip_ws(true);
                self.number(c == '-')
            }
            c if c.is_alphabetic() || c == '_' => {
                if self.string_prefix_len().is_some() {
                    return self.strings();
                }
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "True" => Ok(Node::Bool(true)),
                    "False" => Ok(Node::Bool(false)),
                    "None" => Ok(Node::Null),
                    _ => {
                        self.pos = start;
                        Err(self.err(&format!("'{word}' is not a literal")))
                    }
                }
            }
            _ => Err(self.err(&format!("unexpected character {c:?}"))),
        }
    }

    /// Comma-separated values up to `close`; a trailing comma is allowed.
    fn items(&mut self, close: char) -> Result<Vec<Node>, String> {
        let mut out = Vec::new();
        loop {
            self.skip_ws(true);
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(out);
            }
            out.push(self.value()?);
            self.skip_ws(true);
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return Err(self.err(&format!("expected ',' or '{close}'"))),
            }
        }
    }

    fn paren(&mut self) -> Result<Node, String> {
        self.pos += 1;
        self.skip_ws(true);
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(Node::List(Vec::new()));
        }
        let first = self.value()?;
        self.skip_ws(true);
        match self.peek() {
            Some(')') => {
                self.pos += 1;
                Ok(first)
            }
            Some(',') => {
                self.pos += 1;
                let mut rest = self.items(')')?;
                rest.insert(0, first);
                Ok(Node::List(rest))
            }
            _ => Err(self.err("expected ',' or ')'")),
        }
    }

    fn dict(&mut self) -> Result<Node, String> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_ws(true);
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(Node::Map(entries));
            }
            let key_pos = self.pos;
            let key = self.value()?;
            self.skip_ws(true);
            if self.peek() != Some(':') {
                return Err(self.err("expected ':' (sets are not supported)"));
            }
            self.pos += 1;
            let value = self.value()?;
            let key = match key {
                Node::Str(s) => s,
                Node::List(_) | Node::Map(_) => {
                    self.pos = key_pos;
                    return Err(self.err("a dict key must be a string"));
                }
                other => other.python_str(),
            };
            Node::map_insert(&mut entries, key, value);
            self.skip_ws(true);
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    return Ok(Node::Map(entries));
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    /// Length of a string prefix (`r`, `u`, `b`, `rb`, …) directly followed by a quote.
    fn string_prefix_len(&self) -> Option<usize> {
        let mut n = 0;
        while n < 2 && self.peek_at(n).is_some_and(|c| "rRuUbBfF".contains(c)) {
            n += 1;
        }
        match self.peek_at(n) {
            Some('\'') | Some('"') => Some(n),
            _ => None,
        }
    }

    /// One or more adjacent string literals, concatenated.
    fn strings(&mut self) -> Result<Node, String> {
        let mut out = String::new();
        let mut any = false;
        loop {
            self.skip_ws(true);
            let Some(plen) = self.string_prefix_len() else {
                break;
            };
            let prefix: String = self.chars[self.pos..self.pos + plen]
                .iter()
                .collect::<String>()
                .to_ascii_lowercase();
            if prefix.contains('b') {
                return Err(self.err("bytes literals are not supported"));
            }
            if prefix.contains('f') {
                return Err(self.err("f-strings are not literals"));
            }
            if prefix == "ur" || prefix == "ru" || prefix == "uu" || prefix == "rr" {
                return Err(self.err("invalid string prefix"));
            }
            self.pos += plen;
            let raw = prefix.contains('r');
            out.push_str(&self.string_body(raw)?);
            any = true;
        }
        if !any {
            return Err(self.err("expected a string"));
        }
        Ok(Node::Str(out))
    }

    fn string_body(&mut self, raw: bool) -> Result<String, String> {
        let quote = self
            .peek()
            .ok_or_else(|| self.err("unexpected end of input"))?;
        let triple = self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote);
        let start = self.pos;
        self.pos += if triple { 3 } else { 1 };
        let mut out = String::new();
        let mut pending_high: Option<u32> = None;
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.err("unterminated string"));
            };
            if c == quote {
                if !triple {
                    self.pos += 1;
                    break;
                }
                if self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote) {
                    self.pos += 3;
                    break;
                }
            }
            if c == '\n' && !triple {
                return Err(self.err("line break inside a string"));
            }
            if c != '\\' {
                if pending_high.take().is_some() {
                    return Err(self.err("lone surrogate escape"));
                }
                out.push(c);
                self.pos += 1;
                continue;
            }
            // a backslash
            let next = self
                .peek_at(1)
                .ok_or_else(|| self.err("unterminated string"))?;
            if raw {
                out.push('\\');
                out.push(next);
                self.pos += 2;
                continue;
            }
            self.pos += 2;
            let code: Option<u32> = match next {
                '\n' => None,
                '\\' => Some('\\' as u32),
                '\'' => Some('\'' as u32),
                '"' => Some('"' as u32),
                'a' => Some(7),
                'b' => Some(8),
                'f' => Some(12),
                'n' => Some(10),
                'r' => Some(13),
                't' => Some(9),
                'v' => Some(11),
                '0'..='7' => {
                    let mut v = next.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match self.peek().and_then(|c| c.to_digit(8)) {
                            Some(d) => {
                                v = v * 8 + d;
                                self.pos += 1;
                            }
                            None => break,
                        }
                    }
                    Some(v)
                }
                'x' => Some(self.hex_digits(2)?),
                'u' => Some(self.hex_digits(4)?),
                'U' => Some(self.hex_digits(8)?),
                'N' => return Err(self.err("\\N{...} escapes are not supported")),
                other => {
                    out.push('\\');
                    out.push(other);
                    None
                }
            };
            if let Some(code) = code {
                if (0xd800..0xdc00).contains(&code) {
                    if pending_high.replace(code).is_some() {
                        return Err(self.err("lone surrogate escape"));
                    }
                    continue;
                }
                let code = if (0xdc00..0xe000).contains(&code) {
                    match pending_high.take() {
                        Some(h) => 0x10000 + ((h - 0xd800) << 10) + (code - 0xdc00),
                        None => return Err(self.err("lone surrogate escape")),
                    }
                } else {
                    if pending_high.take().is_some() {
                        return Err(self.err("lone surrogate escape"));
                    }
                    code
                };
                let ch =
                    char::from_u32(code).ok_or_else(|| self.err("invalid character escape"))?;
                out.push(ch);
            }
        }
        if pending_high.is_some() {
            return Err(self.err("lone surrogate escape"));
        }
        Ok(out)
    }

    fn hex_digits(&mut self, n: usize) -> Result<u32, String> {
        let mut v: u32 = 0;
        for _ in 0..n {
            let d = self
                .peek()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| self.err("truncated \\x, \\u or \\U escape"))?;
            v = v
                .checked_mul(16)
                .and_then(|v| v.checked_add(d))
                .ok_or_else(|| self.err("escape out of range"))?;
            self.pos += 1;
        }
        Ok(v)
    }

    fn number(&mut self, negative: bool) -> Result<Node, String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            || (matches!(self.peek(), Some('+') | Some('-'))
                && matches!(
                    self.chars.get(self.pos.wrapping_sub(1)),
                    Some('e') | Some('E')
                )
                && !self.chars[start..self.pos]
                    .iter()
                    .any(|c| matches!(c, 'x' | 'X')))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos]
            .iter()
            .filter(|c| **c != '_')
            .collect();
        if text.is_empty() {
            return Err(self.err("expected a number"));
        }
        let lower = text.to_ascii_lowercase();
        let sign = if negative { -1 } else { 1 };
        let radix = |digits: &str, r: u32| i64::from_str_radix(digits, r).ok();
        let int = if let Some(d) = lower.strip_prefix("0x") {
            radix(d, 16)
        } else if let Some(d) = lower.strip_prefix("0o") {
            radix(d, 8)
        } else if let Some(d) = lower.strip_prefix("0b") {
            radix(d, 2)
        } else if lower.chars().all(|c| c.is_ascii_digit()) {
            if lower.len() > 1 && lower.starts_with('0') && lower.chars().any(|c| c != '0') {
                self.pos = start;
                return Err(self.err("leading zeros in a decimal integer"));
            }
            lower.parse::<i64>().ok()
        } else {
            None
        };
        if let Some(i) = int {
            return Ok(Node::Int(sign * i));
        }
        if lower.ends_with('j') {
            self.pos = start;
            return Err(self.err("complex numbers are not supported"));
        }
        match lower.parse::<f64>() {
            Ok(f)
                if lower
                    .chars()
                    .all(|c| c.is_ascii_digit() || ".e+-".contains(c)) =>
            {
                Ok(Node::Float(sign as f64 * f))
            }
            _ => {
                self.pos = start;
                Err(self.err(&format!("invalid number '{text}'")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pprint_export() {
        let text = r#"{'policy': [{'action': {'enrollHOTP': True, 'logout_time': '120'},
             'active': True,
             'conditions': [('userinfo', 'groups', 'contains', 'helpdesk', True)],
             'description': None,
             'name': 'admin-helpdesk',
             'priority': 2,
             'realm': ['corp'],
             'user': ('long string '
                      'continued'),
             'time': u'Mon-Fri: 08:00-18:00', # comment
             'x': -5, 'y': 1.5, 'z': "it's \"q\" \x41\u00fc\\. \,",
             'r': r'^a\.b$'}]}"#;
        let n = parse(text).expect("parses");
        let pol = match n.get("policy") {
            Some(Node::List(l)) => l[0].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(pol.get("active"), Some(&Node::Bool(true)));
        assert_eq!(pol.get("description"), Some(&Node::Null));
        assert_eq!(pol.get("priority"), Some(&Node::Int(2)));
        assert_eq!(pol.get("user"), Some(&Node::str("long string continued")));
        assert_eq!(pol.get("x"), Some(&Node::Int(-5)));
        assert_eq!(pol.get("y"), Some(&Node::Float(1.5)));
        assert_eq!(pol.get("z"), Some(&Node::str("it's \"q\" A\u{fc}\\. \\,")));
        assert_eq!(pol.get("r"), Some(&Node::str("^a\\.b$")));
        assert_eq!(
            pol.get("conditions"),
            Some(&Node::List(vec![Node::List(vec![
                Node::str("userinfo"),
                Node::str("groups"),
                Node::str("contains"),
                Node::str("helpdesk"),
                Node::Bool(true)
            ])]))
        );
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse("{'a': 1,\n 'b': open('x')}").expect_err("must fail");
        assert!(e.starts_with("line 2, column 7"), "{e}");
        assert!(parse("{'a' 1}").is_err());
        assert!(parse("{'a': 1} x").is_err());
        assert!(parse("'unterminated").is_err());
        assert!(parse("{1, 2}").is_err());
        assert!(parse("[1,]").is_ok());
        assert_eq!(parse("('a',)").ok(), Some(Node::List(vec![Node::str("a")])));
        assert_eq!(parse("'\\ud83d\\ude00'").ok(), Some(Node::str("\u{1f600}")));
        assert_eq!(parse("'''a\nb'''").ok(), Some(Node::str("a\nb")));
        assert_eq!(parse("0x1F").ok(), Some(Node::Int(31)));
        assert_eq!(parse("1e3").ok(), Some(Node::Float(1000.0)));
    }
}
