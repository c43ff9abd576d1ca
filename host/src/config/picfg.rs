//! Reader for privacyIDEA's `pi.cfg`: a safe subset of Python, parsed and never executed.
//!
//! Supported (everything else is a [`PiCfgError`] naming the construct and the line):
//! - comments, blank lines, `;`, implicit line joining inside brackets, `\` continuation;
//! - `import a, b.c as d` and `from m import x, y as z` (nothing is executed; the names are bound
//!   so that `os.path.join` works after `import os`);
//! - `NAME = expr` and `A = B = expr`; every name is tracked, only names for which Python's
//!   `str.isupper()` is true are returned;
//! - literals: str (all quote forms, escapes, raw, adjacent concatenation), bytes (`b`/`rb`),
//!   ints (`_`, `0x`/`0o`/`0b`), floats, `True`/`False`/`None`, lists, tuples, dicts, unary `-`/`+`;
//! - `+` (str, bytes, list, tuple, numbers), `==`/`!=`, parentheses;
//! - `logging.<LEVEL>`, `logging.getLevelName(x)`, `os.path.join/dirname/basename/abspath/
//!   realpath/normpath`, `__file__`, `os.environ.get`, `os.getenv`, `os.environ['X']`,
//!   `str.lower/upper/strip/lstrip/rstrip()`.

use std::collections::HashMap;
use std::path::Path;

/// A value of the Python subset.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None`
    None,
    /// `True` / `False`
    Bool(bool),
    /// an integer
    Int(i64),
    /// a float
    Float(f64),
    /// a str literal (or the result of str operations)
    Str(String),
    /// a bytes literal `b'...'`
    Bytes(Vec<u8>),
    /// `[...]` or `(...)`
    List(Vec<PyValue>),
    /// `{...}` with string keys (other key types are rendered with their Python repr)
    Dict(Vec<(String, PyValue)>),
}

/// A line outside the supported subset, or a syntax error.
#[derive(Debug, Clone, PartialEq)]
pub struct PiCfgError {
    /// 1-based line number where the offending statement starts.
    pub line: usize,
    /// What is wrong, e.g. "function call `open(...)` is not supported".
    pub message: String,
}

/// Parses a pi.cfg. `path` is the file's path (for `__file__`); `env` looks up environment
/// variables (for `os.environ.get` / `os.getenv`). Returns the assignments whose name is
/// upper-case in Python's `str.isupper()` sense, in file order (later assignments win when the
/// caller builds a map). Names assigned earlier may be referenced later (`INSTANCE_DIRECTORY`).
pub fn parse_picfg(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, PyValue)>, PiCfgError> {
    let mut interp = Interp::new(&path.to_string_lossy(), env);
    let mut lexer = Lexer::new(text);
    while let Some(toks) = lexer.next_line()? {
        interp.exec_line(&toks)?;
    }
    Ok(interp.out)
}

/// Deepest bracket nesting accepted (keeps the recursive descent far away from stack limits).
const MAX_DEPTH: usize = 64;

fn mk_err(start: usize, at: usize, message: impl Into<String>) -> PiCfgError {
    let mut message = message.into();
    if at != start {
        message.push_str(&format!(" (at line {at})"));
    }
    PiCfgError {
        line: start,
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Int(i128),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Op(&'static str),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

/// Operators and delimiters, longest first.
const OPS: &[&str] = &[
    "**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=",
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", ",", ":", ".", ";", "+", "-", "*", "/",
    "%", "&", "|", "^", "~", "<", ">", "=", "@",
];

const AUG_OPS: &[&str] = &[
    "+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "|=", "^=", "@=",
];

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

const STMT_KEYWORDS: &[&str] = &[
    "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
    "except", "finally", "for", "global", "if", "nonlocal", "raise", "return", "try", "while",
    "with", "yield", "lambda",
];

fn is_id_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_id_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Lexer {
    src: Vec<char>,
    pos: usize,
    line: usize,
    line_start: usize,
    /// open brackets with the line they were opened on
    depth: Vec<(char, usize)>,
}

/// Output buffer of a string literal.
struct Buf {
    bytes: bool,
    s: String,
    b: Vec<u8>,
}

impl Buf {
    /// A character written literally in the source.
    fn lit(&mut self, c: char) -> Result<(), String> {
        if self.bytes {
            if !c.is_ascii() {
                return Err("bytes literals can only contain ASCII characters".into());
            }
            self.b.push(c as u8);
        } else {
            self.s.push(c);
        }
        Ok(())
    }

    /// A character given by an escape code.
    fn code(&mut self, v: u32) -> Result<(), String> {
        if self.bytes {
            let b = u8::try_from(v).map_err(|_| format!("escape value {v} is out of range"))?;
            self.b.push(b);
        } else {
            let c = char::from_u32(v)
                .ok_or_else(|| format!("escape value U+{v:04X} is not a valid character"))?;
            self.s.push(c);
        }
        Ok(())
    }
}

impl Lexer {
    fn new(text: &str) -> Self {
        let norm = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut src: Vec<char> = norm.chars().collect();
        if src.first() == Some(&'\u{feff}') {
            src.remove(0);
        }
        Lexer {
            src,
            pos: 0,
            line: 1,
            line_start: 0,
            depth: Vec::new(),
        }
    }

    fn peek(&self, n: usize) -> Option<char> {
        self.src.get(self.pos + n).copied()
    }

    /// Consumes a `\n`.
    fn newline(&mut self) {
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
    }

    /// The tokens of the next logical line, `None` at the end of the file.
    fn next_line(&mut self) -> Result<Option<Vec<Token>>, PiCfgError> {
        let mut toks: Vec<Token> = Vec::new();
        loop {
            let start = toks.first().map_or(self.line, |t| t.line);
            let Some(c) = self.peek(0) else {
                if let Some(&(open, l)) = self.depth.last() {
                    return Err(mk_err(
                        start,
                        self.line,
                        format!("`{open}` opened at line {l} is never closed"),
                    ));
                }
                return Ok(if toks.is_empty() { None } else { Some(toks) });
            };
            match c {
                ' ' | '\t' | '\x0c' => self.pos += 1,
                '#' => {
                    while let Some(c) = self.peek(0) {
                        if c == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                '\n' => {
                    self.newline();
                    if self.depth.is_empty() && !toks.is_empty() {
                        return Ok(Some(toks));
                    }
                }
                '\\' => match self.peek(1) {
                    Some('\n') => {
                        self.pos += 1;
                        self.newline();
                    }
                    None => {
                        return Err(mk_err(
                            start,
                            self.line,
                            "unexpected end of file after line continuation `\\`",
                        ))
                    }
                    Some(_) => {
                        return Err(mk_err(
                            start,
                            self.line,
                            "unexpected character after line continuation `\\`",
                        ))
                    }
                },
                '\0' => {
                    return Err(mk_err(start, self.line, "the file contains a NUL byte"));
                }
                _ => {
                    let line = self.line;
                    if toks.is_empty() && self.pos > self.line_start {
                        return Err(mk_err(line, line, "unexpected indent"));
                    }
                    let tok = self.token(start)?;
                    toks.push(Token { tok, line });
                }
            }
        }
    }

    fn err(&self, start: usize, msg: impl Into<String>) -> PiCfgError {
        mk_err(start, self.line, msg)
    }

    fn token(&mut self, start: usize) -> Result<Tok, PiCfgError> {
        let Some(c) = self.peek(0) else {
            return Err(self.err(start, "unexpected end of file"));
        };
        if c == '\'' || c == '"' {
            return self.string("", start);
        }
        if is_id_start(c) {
            let b = self.pos;
            while self.peek(0).is_some_and(is_id_continue) {
                self.pos += 1;
            }
            let word: String = self.src[b..self.pos].iter().collect();
            if matches!(self.peek(0), Some('\'' | '"')) {
                let lower = word.to_ascii_lowercase();
                if matches!(
                    lower.as_str(),
                    "r" | "u" | "b" | "br" | "rb" | "f" | "fr" | "rf" | "t" | "tr" | "rt"
                ) {
                    return self.string(&lower, start);
                }
            }
            return Ok(Tok::Name(word));
        }
        if c.is_ascii_digit() || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit())) {
            return self.number(start);
        }
        match c {
            '(' | '[' | '{' => {
                if self.depth.len() >= MAX_DEPTH {
                    return Err(self.err(start, "too many nested brackets"));
                }
                self.depth.push((c, self.line));
                self.pos += 1;
                return Ok(Tok::Op(match c {
                    '(' => "(",
                    '[' => "[",
                    _ => "{",
                }));
            }
            ')' | ']' | '}' => {
                let (open, op) = match c {
                    ')' => ('(', ")"),
                    ']' => ('[', "]"),
                    _ => ('{', "}"),
                };
                return match self.depth.pop() {
                    Some((o, _)) if o == open => {
                        self.pos += 1;
                        Ok(Tok::Op(op))
                    }
                    Some((o, l)) => Err(self.err(
                        start,
                        format!("closing `{c}` does not match `{o}` opened at line {l}"),
                    )),
                    None => Err(self.err(start, format!("unmatched `{c}`"))),
                };
            }
            _ => {}
        }
        for op in OPS {
            let n = op.len();
            if op
                .chars()
                .enumerate()
                .all(|(i, oc)| self.peek(i) == Some(oc))
            {
                self.pos += n;
                return Ok(Tok::Op(op));
            }
        }
        Err(self.err(start, format!("invalid character `{}`", c.escape_debug())))
    }

    fn string(&mut self, prefix: &str, start: usize) -> Result<Tok, PiCfgError> {
        if prefix.contains('f') {
            return Err(self.err(start, "f-strings are not supported"));
        }
        if prefix.contains('t') {
            return Err(self.err(start, "t-strings are not supported"));
        }
        let raw = prefix.contains('r');
        let mut buf = Buf {
            bytes: prefix.contains('b'),
            s: String::new(),
            b: Vec::new(),
        };
        let Some(q) = self.peek(0) else {
            return Err(self.err(start, "unexpected end of file"));
        };
        let triple = self.peek(1) == Some(q) && self.peek(2) == Some(q);
        self.pos += if triple { 3 } else { 1 };
        let open_line = self.line;
        let unterminated = format!("unterminated string literal (opened at line {open_line})");
        loop {
            let Some(c) = self.peek(0) else {
                return Err(self.err(start, unterminated));
            };
            if c == q {
                if !triple {
                    self.pos += 1;
                    break;
                }
                if self.peek(1) == Some(q) && self.peek(2) == Some(q) {
                    self.pos += 3;
                    break;
                }
                buf.lit(c).map_err(|m| self.err(start, m))?;
                self.pos += 1;
                continue;
            }
            if c == '\n' {
                if !triple {
                    return Err(self.err(start, unterminated));
                }
                buf.lit('\n').map_err(|m| self.err(start, m))?;
                self.newline();
                continue;
            }
            if c == '\\' {
                let Some(n) = self.peek(1) else {
                    return Err(self.err(start, unterminated));
                };
                if raw {
                    buf.lit('\\').map_err(|m| self.err(start, m))?;
                    self.pos += 1;
                    buf.lit(n).map_err(|m| self.err(start, m))?;
                    if n == '\n' {
                        self.newline();
                    } else {
                        self.pos += 1;
                    }
                    continue;
                }
                self.pos += 2;
                let r = match n {
                    '\n' => {
                        self.line += 1;
                        self.line_start = self.pos;
                        Ok(())
                    }
                    '\\' | '\'' | '"' => buf.lit(n),
                    'a' => buf.code(7),
                    'b' => buf.code(8),
                    'f' => buf.code(12),
                    'n' => buf.code(10),
                    'r' => buf.code(13),
                    't' => buf.code(9),
                    'v' => buf.code(11),
                    '0'..='7' => {
                        let mut v = n.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match self.peek(0).and_then(|d| d.to_digit(8)) {
                                Some(d) => {
                                    v = v * 8 + d;
                                    self.pos += 1;
                                }
                                None => break,
                            }
                        }
                        buf.code(v)
                    }
                    'x' => self.hex_escape(2).and_then(|v| buf.code(v)),
                    'u' if !buf.bytes => self.hex_escape(4).and_then(|v| buf.code(v)),
                    'U' if !buf.bytes => self.hex_escape(8).and_then(|v| buf.code(v)),
                    'N' if !buf.bytes => Err("`\\N{...}` escapes are not supported".into()),
                    other => buf.lit('\\').and_then(|()| buf.lit(other)),
                };
                r.map_err(|m| self.err(start, m))?;
                continue;
            }
            buf.lit(c).map_err(|m| self.err(start, m))?;
            self.pos += 1;
        }
        Ok(if buf.bytes {
            Tok::Bytes(buf.b)
        } else {
            Tok::Str(buf.s)
        })
    }

    fn hex_escape(&mut self, n: usize) -> Result<u32, String> {
        let mut v: u32 = 0;
        for _ in 0..n {
            match self.peek(0).and_then(|d| d.to_digit(16)) {
                Some(d) => {
                    v = v.wrapping_mul(16).wrapping_add(d);
                    self.pos += 1;
                }
                None => return Err(format!("truncated escape: expected {n} hex digits")),
            }
        }
        Ok(v)
    }

    fn number(&mut self, start: usize) -> Result<Tok, PiCfgError> {
        let b = self.pos;
        let radix = if self.peek(0) == Some('0') {
            match self.peek(1) {
                Some('x' | 'X') => 16,
                Some('o' | 'O') => 8,
                Some('b' | 'B') => 2,
                _ => 10,
            }
        } else {
            10
        };
        if radix != 10 {
            self.pos += 2;
            let d = self.pos;
            while self.peek(0).is_some_and(is_id_continue) {
                self.pos += 1;
            }
            let digits: Vec<char> = self.src[d..self.pos].to_vec();
            let text: String = self.src[b..self.pos].iter().collect();
            let ok_us = digits.iter().enumerate().all(|(i, &c)| {
                c != '_'
                    || (digits.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric())
                        && (i == 0 || digits[i - 1].is_ascii_alphanumeric()))
            });
            let clean: String = digits.iter().filter(|&&c| c != '_').collect();
            if !ok_us || clean.is_empty() || !clean.chars().all(|c| c.is_digit(radix)) {
                return Err(self.err(start, format!("invalid number literal `{text}`")));
            }
            return i128::from_str_radix(&clean, radix)
                .map(Tok::Int)
                .map_err(|_| self.err(start, format!("integer literal `{text}` is too large")));
        }
        let digits = |lx: &mut Lexer| {
            while lx.peek(0).is_some_and(|c| c.is_ascii_digit() || c == '_') {
                lx.pos += 1;
            }
        };
        let mut is_float = false;
        digits(self);
        if self.peek(0) == Some('.') {
            is_float = true;
            self.pos += 1;
            digits(self);
        }
        if matches!(self.peek(0), Some('e' | 'E')) {
            let sign = usize::from(matches!(self.peek(1), Some('+' | '-')));
            if self.peek(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                is_float = true;
                self.pos += 1 + sign;
                digits(self);
            }
        }
        let text: String = self.src[b..self.pos].iter().collect();
        if matches!(self.peek(0), Some('j' | 'J')) {
            return Err(self.err(start, "complex numbers are not supported"));
        }
        if self.peek(0).is_some_and(is_id_continue) {
            return Err(self.err(start, format!("invalid number literal `{text}...`")));
        }
        let chars: Vec<char> = text.chars().collect();
        let ok_us = chars.iter().enumerate().all(|(i, &c)| {
            c != '_'
                || (i > 0
                    && chars[i - 1].is_ascii_digit()
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()))
        });
        if !ok_us {
            return Err(self.err(start, format!("invalid number literal `{text}`")));
        }
        let clean: String = chars.iter().filter(|&&c| c != '_').collect();
        if is_float {
            return clean
                .parse::<f64>()
                .map(Tok::Float)
                .map_err(|_| self.err(start, format!("invalid number literal `{text}`")));
        }
        if clean.len() > 1 && clean.starts_with('0') && clean.chars().any(|c| c != '0') {
            return Err(self.err(
                start,
                format!("leading zeros in decimal integer literals are not permitted: `{text}`"),
            ));
        }
        clean
            .parse::<i128>()
            .map(Tok::Int)
            .map_err(|_| self.err(start, format!("integer literal `{text}` is too large")))
    }
}

fn tok_text(t: &Tok) -> String {
    match t {
        Tok::Name(n) => n.clone(),
        Tok::Int(i) => i.to_string(),
        Tok::Float(f) => float_repr(*f),
        Tok::Str(s) => str_repr(s),
        Tok::Bytes(b) => bytes_repr(b),
        Tok::Op(o) => (*o).to_string(),
    }
}

/// Source-like text of a token run, for messages.
fn toks_text(toks: &[Token]) -> String {
    let mut out = String::new();
    let mut prev_word = false;
    for t in toks {
        let word = !matches!(t.tok, Tok::Op(_));
        if word && prev_word {
            out.push(' ');
        }
        out.push_str(&tok_text(&t.tok));
        if t.tok == Tok::Op(",") {
            out.push(' ');
        }
        prev_word = word;
    }
    out.trim_end().to_string()
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum PathFn {
    Join,
    Dirname,
    Basename,
    Abspath,
    Realpath,
    Normpath,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum StrM {
    Lower,
    Upper,
    Strip,
    Lstrip,
    Rstrip,
}

#[derive(Debug, Clone, PartialEq)]
enum Func {
    Path(PathFn),
    Getenv,
    EnvironGet,
    GetLevelName,
    Str(String, StrM),
}

impl Func {
    fn name(&self) -> String {
        match self {
            Func::Path(p) => format!(
                "os.path.{}",
                match p {
                    PathFn::Join => "join",
                    PathFn::Dirname => "dirname",
                    PathFn::Basename => "basename",
                    PathFn::Abspath => "abspath",
                    PathFn::Realpath => "realpath",
                    PathFn::Normpath => "normpath",
                }
            ),
            Func::Getenv => "os.getenv".into(),
            Func::EnvironGet => "os.environ.get".into(),
            Func::GetLevelName => "logging.getLevelName".into(),
            Func::Str(_, m) => format!(
                "str.{}",
                match m {
                    StrM::Lower => "lower",
                    StrM::Upper => "upper",
                    StrM::Strip => "strip",
                    StrM::Lstrip => "lstrip",
                    StrM::Rstrip => "rstrip",
                }
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum V {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<V>),
    Tuple(Vec<V>),
    Dict(Vec<(V, V)>),
    Module(String),
    Environ,
    Func(Func),
}

impl V {
    fn type_name(&self) -> &'static str {
        match self {
            V::None => "NoneType",
            V::Bool(_) => "bool",
            V::Int(_) => "int",
            V::Float(_) => "float",
            V::Str(_) => "str",
            V::Bytes(_) => "bytes",
            V::List(_) => "list",
            V::Tuple(_) => "tuple",
            V::Dict(_) => "dict",
            V::Module(_) => "module",
            V::Environ => "os._Environ",
            V::Func(_) => "function",
        }
    }

    fn hashable(&self) -> bool {
        match self {
            V::List(_) | V::Dict(_) | V::Environ => false,
            V::Tuple(items) => items.iter().all(V::hashable),
            _ => true,
        }
    }
}

fn num(v: &V) -> Option<f64> {
    match v {
        V::Bool(b) => Some(f64::from(u8::from(*b))),
        V::Int(i) => Some(*i as f64),
        V::Float(f) => Some(*f),
        _ => None,
    }
}

fn int_of(v: &V) -> Option<i128> {
    match v {
        V::Bool(b) => Some(i128::from(*b)),
        V::Int(i) => Some(*i),
        _ => None,
    }
}

/// Python `==`.
fn py_eq(a: &V, b: &V) -> bool {
    if let (Some(x), Some(y)) = (int_of(a), int_of(b)) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return x == y;
    }
    match (a, b) {
        (V::None, V::None) | (V::Environ, V::Environ) => true,
        (V::Str(x), V::Str(y)) => x == y,
        (V::Bytes(x), V::Bytes(y)) => x == y,
        (V::List(x), V::List(y)) | (V::Tuple(x), V::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (V::Dict(x), V::Dict(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .find(|(k2, _)| py_eq(k, k2))
                        .is_some_and(|(_, v2)| py_eq(v, v2))
                })
        }
        (V::Module(x), V::Module(y)) => x == y,
        (V::Func(x), V::Func(y)) => x == y,
        _ => false,
    }
}

fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // shortest round-trip digits, then Python's layout rules
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((e.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp >= 0 {
            let int_len = exp + 1;
            if n <= int_len {
                format!("{digits}{}.0", "0".repeat((int_len - n) as usize))
            } else {
                let (a, b) = digits.split_at(int_len as usize);
                format!("{a}.{b}")
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(digits.len().min(1));
        let m = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let es = if exp < 0 { "-" } else { "+" };
        format!("{sign}{m}e{es}{:02}", exp.abs())
    }
}

fn str_repr(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

fn bytes_repr(b: &[u8]) -> String {
    let q = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::from("b");
    out.push(q as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(q as char);
    out
}

fn repr(v: &V) -> String {
    let join = |items: &[V]| items.iter().map(repr).collect::<Vec<_>>().join(", ");
    match v {
        V::None => "None".into(),
        V::Bool(true) => "True".into(),
        V::Bool(false) => "False".into(),
        V::Int(i) => i.to_string(),
        V::Float(f) => float_repr(*f),
        V::Str(s) => str_repr(s),
        V::Bytes(b) => bytes_repr(b),
        V::List(items) => format!("[{}]", join(items)),
        V::Tuple(items) if items.len() == 1 => format!("({},)", join(items)),
        V::Tuple(items) => format!("({})", join(items)),
        V::Dict(items) => format!(
            "{{{}}}",
            items
                .iter()
                .map(|(k, v)| format!("{}: {}", repr(k), repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        V::Module(q) => format!("<module '{q}'>"),
        V::Environ => "environ({...})".into(),
        V::Func(f) => format!("<function {}>", f.name()),
    }
}

fn to_py(v: &V) -> Result<PyValue, String> {
    Ok(match v {
        V::None => PyValue::None,
        V::Bool(b) => PyValue::Bool(*b),
        V::Int(i) => PyValue::Int(
            i64::try_from(*i).map_err(|_| format!("integer {i} is out of the 64-bit range"))?,
        ),
        V::Float(f) => PyValue::Float(*f),
        V::Str(s) => PyValue::Str(s.clone()),
        V::Bytes(b) => PyValue::Bytes(b.clone()),
        V::List(items) | V::Tuple(items) => {
            PyValue::List(items.iter().map(to_py).collect::<Result<_, _>>()?)
        }
        V::Dict(items) => PyValue::Dict(
            items
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        V::Str(s) => s.clone(),
                        other => repr(other),
                    };
                    Ok((key, to_py(v)?))
                })
                .collect::<Result<_, String>>()?,
        ),
        V::Module(q) => return Err(format!("the module `{q}` cannot be a config value")),
        V::Environ => return Err("`os.environ` cannot be a config value".into()),
        V::Func(f) => {
            return Err(format!(
                "the function `{}` cannot be a config value",
                f.name()
            ))
        }
    })
}

/// Python's `str.isupper()`.
fn is_upper(name: &str) -> bool {
    let mut cased = false;
    for c in name.chars() {
        if c.is_lowercase() {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

// ---------------------------------------------------------------------------------------------
// POSIX path functions with Python's `posixpath` semantics
// ---------------------------------------------------------------------------------------------

fn path_join(parts: &[String]) -> String {
    let mut path = String::new();
    for (i, b) in parts.iter().enumerate() {
        if i == 0 || b.starts_with('/') {
            path = b.clone();
        } else if path.is_empty() || path.ends_with('/') {
            path.push_str(b);
        } else {
            path.push('/');
            path.push_str(b);
        }
    }
    path
}

fn path_dirname(p: &str) -> String {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    let head = &p[..i];
    if !head.is_empty() && head.chars().any(|c| c != '/') {
        head.trim_end_matches('/').to_string()
    } else {
        head.to_string()
    }
}

fn path_basename(p: &str) -> String {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    p[i..].to_string()
}

fn path_normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let initial = if p.starts_with("//") && !p.starts_with("///") {
        2
    } else if p.starts_with('/') {
        1
    } else {
        0
    };
    let mut comps: Vec<&str> = Vec::new();
    for comp in p.split('/') {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if comp != ".." || (initial == 0 && comps.is_empty()) || comps.last() == Some(&"..") {
            comps.push(comp);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let out = format!("{}{}", "/".repeat(initial), comps.join("/"));
    if out.is_empty() {
        ".".into()
    } else {
        out
    }
}

fn path_abspath(p: &str) -> Result<String, String> {
    if p.starts_with('/') {
        return Ok(path_normpath(p));
    }
    let cwd = std::env::current_dir()
        .map_err(|e| format!("cannot determine the current directory: {e}"))?;
    let cwd = cwd.to_string_lossy().into_owned();
    Ok(path_normpath(&path_join(&[cwd, p.to_string()])))
}

fn level_name(v: &V) -> V {
    const LEVELS: &[(&str, i128)] = &[
        ("CRITICAL", 50),
        ("FATAL", 50),
        ("ERROR", 40),
        ("WARNING", 30),
        ("WARN", 30),
        ("INFO", 20),
        ("DEBUG", 10),
        ("NOTSET", 0),
    ];
    match v {
        V::Str(s) => match LEVELS.iter().find(|(n, _)| n == s) {
            Some((_, l)) => V::Int(*l),
            None => V::Str(format!("Level {s}")),
        },
        V::Int(i) => match LEVELS
            .iter()
            .find(|(n, l)| l == i && *n != "FATAL" && *n != "WARN")
        {
            Some((n, _)) => V::Str((*n).to_string()),
            None => V::Str(format!("Level {i}")),
        },
        other => V::Str(format!("Level {}", repr(other))),
    }
}

/// `qual.attr` for a module (or `from qual import attr`).
fn resolve_member(qual: &str, attr: &str) -> Option<V> {
    let level = |l: i128| Some(V::Int(l));
    match (qual, attr) {
        ("os", "path") => Some(V::Module("os.path".into())),
        ("os", "environ") => Some(V::Environ),
        ("os", "getenv") => Some(V::Func(Func::Getenv)),
        ("os.path", "join") => Some(V::Func(Func::Path(PathFn::Join))),
        ("os.path", "dirname") => Some(V::Func(Func::Path(PathFn::Dirname))),
        ("os.path", "basename") => Some(V::Func(Func::Path(PathFn::Basename))),
        ("os.path", "abspath") => Some(V::Func(Func::Path(PathFn::Abspath))),
        ("os.path", "realpath") => Some(V::Func(Func::Path(PathFn::Realpath))),
        ("os.path", "normpath") => Some(V::Func(Func::Path(PathFn::Normpath))),
        ("logging", "NOTSET") => level(0),
        ("logging", "DEBUG") => level(10),
        ("logging", "INFO") => level(20),
        ("logging", "WARN" | "WARNING") => level(30),
        ("logging", "ERROR") => level(40),
        ("logging", "CRITICAL" | "FATAL") => level(50),
        ("logging", "getLevelName") => Some(V::Func(Func::GetLevelName)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Parser + evaluator (one statement at a time; nothing is executed)
// ---------------------------------------------------------------------------------------------

struct Interp<'e> {
    vars: HashMap<String, V>,
    out: Vec<(String, PyValue)>,
    out_idx: HashMap<String, usize>,
    env: &'e dyn Fn(&str) -> Option<String>,
}

/// A statement's tokens and the read position.
struct Cur<'a> {
    t: &'a [Token],
    pos: usize,
    start: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.t.get(self.pos + n).map(|t| &t.tok)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }

    fn eat(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.t.len()
    }

    fn line(&self) -> usize {
        self.t
            .get(self.pos)
            .or_else(|| self.t.last())
            .map_or(self.start, |t| t.line)
    }

    fn err(&self, msg: impl Into<String>) -> PiCfgError {
        mk_err(self.start, self.line(), msg)
    }

    /// Error for the token at the cursor, which does not fit where it is.
    fn unexpected(&self) -> PiCfgError {
        let msg = match self.peek() {
            None => "invalid syntax: unexpected end of statement".to_string(),
            Some(Tok::Name(n)) => match n.as_str() {
                "and" | "or" | "not" | "in" | "is" => format!("operator `{n}` is not supported"),
                "if" | "else" => {
                    "conditional expressions (`x if c else y`) are not supported".into()
                }
                "for" | "async" => "comprehensions are not supported".into(),
                "lambda" => "`lambda` is not supported".into(),
                _ => format!("invalid syntax: unexpected name `{n}`"),
            },
            Some(Tok::Op(o)) if AUG_OPS.contains(o) => {
                format!("augmented assignment `{o}` is not supported")
            }
            Some(Tok::Op(o))
                if [
                    "*", "/", "//", "%", "**", "@", "<<", ">>", "&", "|", "^", "~", "<", ">", "<=",
                    ">=", "-", ":=", "->",
                ]
                .contains(o) =>
            {
                format!("operator `{o}` is not supported")
            }
            Some(Tok::Op(o)) => format!("invalid syntax: unexpected `{o}`"),
            Some(Tok::Str(_) | Tok::Bytes(_)) => "invalid syntax: unexpected string literal".into(),
            Some(Tok::Int(_) | Tok::Float(_)) => "invalid syntax: unexpected number".into(),
        };
        self.err(msg)
    }

    /// Whether the bracket just opened (the cursor is right after it) holds a comprehension.
    fn comprehension_ahead(&self) -> bool {
        let mut depth = 0usize;
        for t in self.t.iter().skip(self.pos) {
            match &t.tok {
                Tok::Op("(" | "[" | "{") => depth += 1,
                Tok::Op(")" | "]" | "}") => match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => return false,
                },
                Tok::Name(n) if depth == 0 && n == "for" => return true,
                _ => {}
            }
        }
        false
    }

    fn expect(&mut self, op: &str) -> Result<(), PiCfgError> {
        if self.eat(op) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn name(&mut self) -> Result<String, PiCfgError> {
        match self.peek() {
            Some(Tok::Name(n)) if !KEYWORDS.contains(&n.as_str()) => {
                let n = n.clone();
                self.pos += 1;
                Ok(n)
            }
            _ => Err(self.unexpected()),
        }
    }
}

impl<'e> Interp<'e> {
    fn new(file: &str, env: &'e dyn Fn(&str) -> Option<String>) -> Self {
        let mut vars = HashMap::new();
        vars.insert("__file__".to_string(), V::Str(file.to_string()));
        vars.insert("__name__".to_string(), V::Str("config".to_string()));
        vars.insert("__doc__".to_string(), V::None);
        Interp {
            vars,
            out: Vec::new(),
            out_idx: HashMap::new(),
            env,
        }
    }

    fn exec_line(&mut self, toks: &[Token]) -> Result<(), PiCfgError> {
        let segs: Vec<&[Token]> = toks.split(|t| t.tok == Tok::Op(";")).collect();
        let n = segs.len();
        for (i, seg) in segs.into_iter().enumerate() {
            if seg.is_empty() {
                if i + 1 == n && n > 1 {
                    continue;
                }
                let line = toks.first().map_or(1, |t| t.line);
                return Err(mk_err(line, line, "invalid syntax: unexpected `;`"));
            }
            self.exec_stmt(seg)?;
        }
        Ok(())
    }

    fn exec_stmt(&mut self, seg: &[Token]) -> Result<(), PiCfgError> {
        let start = seg.first().map_or(1, |t| t.line);
        let mut cur = Cur {
            t: seg,
            pos: 0,
            start,
        };
        match cur.peek() {
            Some(Tok::Name(n)) if n == "import" => return self.import(&mut cur),
            Some(Tok::Name(n)) if n == "from" => return self.import_from(&mut cur),
            Some(Tok::Name(n)) if n == "pass" => {
                cur.pos += 1;
                return if cur.at_end() {
                    Ok(())
                } else {
                    Err(cur.unexpected())
                };
            }
            Some(Tok::Name(n)) if STMT_KEYWORDS.contains(&n.as_str()) => {
                return Err(cur.err(format!("`{n}` statements are not supported")));
            }
            Some(Tok::Op("@")) => return Err(cur.err("decorators are not supported")),
            _ => {}
        }
        let mut targets = Vec::new();
        while let (Some(Tok::Name(n)), Some(Tok::Op("="))) = (cur.peek(), cur.peek_at(1)) {
            if KEYWORDS.contains(&n.as_str()) {
                return Err(cur.err(format!("cannot assign to `{n}`")));
            }
            targets.push(n.clone());
            cur.pos += 2;
        }
        if targets.is_empty() {
            if let (Some(Tok::Name(_)), Some(Tok::Op(":"))) = (cur.peek(), cur.peek_at(1)) {
                return Err(cur.err("annotated assignments are not supported"));
            }
        }
        // any other assignment form (`a.b = 1`, `a, b = 1, 2`, `x += 1`, ...)
        let mut depth = 0usize;
        for (i, t) in seg.iter().enumerate().skip(cur.pos) {
            match t.tok {
                Tok::Op("(" | "[" | "{") => depth += 1,
                Tok::Op(")" | "]" | "}") => depth = depth.saturating_sub(1),
                Tok::Op("=") if depth == 0 => {
                    return Err(mk_err(
                        start,
                        t.line,
                        format!(
                            "assignment to `{}` is not supported (only `NAME = value`)",
                            toks_text(&seg[cur.pos..i])
                        ),
                    ));
                }
                Tok::Op(o) if depth == 0 && AUG_OPS.contains(&o) => {
                    return Err(mk_err(
                        start,
                        t.line,
                        format!("augmented assignment `{o}` is not supported"),
                    ));
                }
                _ => {}
            }
        }
        // constructs that never fit the subset, reported before any evaluation error
        for i in cur.pos..seg.len() {
            let never = match &seg[i].tok {
                Tok::Op(o) => [
                    "/", "//", "%", "@", "<<", ">>", "&", "|", "^", "~", "<", ">", "<=", ">=",
                    ":=", "->",
                ]
                .contains(o),
                Tok::Name(n) => [
                    "and", "or", "not", "in", "is", "if", "else", "for", "lambda", "async",
                ]
                .contains(&n.as_str()),
                _ => false,
            };
            if never {
                let at = Cur {
                    t: seg,
                    pos: i,
                    start,
                };
                return Err(at.unexpected());
            }
        }
        let v = self.expr_list(&mut cur)?;
        if !cur.at_end() {
            return Err(cur.unexpected());
        }
        for name in targets {
            self.assign(name, v.clone(), &cur)?;
        }
        Ok(())
    }

    fn assign(&mut self, name: String, v: V, cur: &Cur) -> Result<(), PiCfgError> {
        if is_upper(&name) {
            let pv =
                to_py(&v).map_err(|m| mk_err(cur.start, cur.start, format!("`{name}`: {m}")))?;
            match self.out_idx.get(&name) {
                Some(&i) => {
                    if let Some(slot) = self.out.get_mut(i) {
                        slot.1 = pv;
                    }
                }
                None => {
                    self.out_idx.insert(name.clone(), self.out.len());
                    self.out.push((name.clone(), pv));
                }
            }
        }
        self.vars.insert(name, v);
        Ok(())
    }

    fn dotted(cur: &mut Cur) -> Result<Vec<String>, PiCfgError> {
        let mut parts = vec![cur.name()?];
        while cur.eat(".") {
            parts.push(cur.name()?);
        }
        Ok(parts)
    }

    fn as_name(cur: &mut Cur) -> Result<Option<String>, PiCfgError> {
        if matches!(cur.peek(), Some(Tok::Name(n)) if n == "as") {
            cur.pos += 1;
            return Ok(Some(cur.name()?));
        }
        Ok(None)
    }

    /// `import a.b [as c], d` (nothing is imported; the names are bound to module references)
    fn import(&mut self, cur: &mut Cur) -> Result<(), PiCfgError> {
        cur.pos += 1;
        loop {
            let parts = Self::dotted(cur)?;
            match Self::as_name(cur)? {
                Some(alias) => {
                    self.vars.insert(alias, V::Module(parts.join(".")));
                }
                None => {
                    let first = parts[0].clone();
                    self.vars.insert(first.clone(), V::Module(first));
                }
            }
            if cur.at_end() {
                return Ok(());
            }
            cur.expect(",")?;
        }
    }

    /// `from m import x [as y], z` / `from m import (x, y)`
    fn import_from(&mut self, cur: &mut Cur) -> Result<(), PiCfgError> {
        cur.pos += 1;
        if cur.is_op(".") || cur.is_op("...") {
            return Err(cur.err("relative imports are not supported"));
        }
        let module = Self::dotted(cur)?.join(".");
        match cur.peek() {
            Some(Tok::Name(n)) if n == "import" => cur.pos += 1,
            _ => return Err(cur.unexpected()),
        }
        if cur.is_op("*") {
            return Err(cur.err(format!("`from {module} import *` is not supported")));
        }
        let paren = cur.eat("(");
        loop {
            let name = cur.name()?;
            let alias = Self::as_name(cur)?.unwrap_or_else(|| name.clone());
            let v = resolve_member(&module, &name)
                .unwrap_or_else(|| V::Module(format!("{module}.{name}")));
            self.vars.insert(alias, v);
            if paren && cur.eat(")") {
                break;
            }
            if !paren && cur.at_end() {
                break;
            }
            cur.expect(",")?;
            if paren && cur.eat(")") {
                break;
            }
        }
        if cur.at_end() {
            Ok(())
        } else {
            Err(cur.unexpected())
        }
    }

    /// `a` or a bare tuple `a, b,` (right-hand side of an assignment).
    fn expr_list(&mut self, cur: &mut Cur) -> Result<V, PiCfgError> {
        let first = self.test(cur)?;
        if !cur.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while cur.eat(",") {
            if cur.at_end() {
                break;
            }
            items.push(self.test(cur)?);
        }
        Ok(V::Tuple(items))
    }

    fn test(&mut self, cur: &mut Cur) -> Result<V, PiCfgError> {
        let a = self.arith(cur)?;
        let ne = cur.is_op("!=");
        if cur.eat("==") || cur.eat("!=") {
            let b = self.arith(cur)?;
            if cur.is_op("==") || cur.is_op("!=") {
                return Err(cur.err("chained comparisons are not supported"));
            }
            return Ok(V::Bool(py_eq(&a, &b) != ne));
        }
        Ok(a)
    }

    fn arith(&mut self, cur: &mut Cur) -> Result<V, PiCfgError> {
        let mut a = self.unary(cur)?;
        while cur.is_op("+") {
            let line = cur.line();
            cur.pos += 1;
            let b = self.unary(cur)?;
            a = add(a, b).map_err(|m| mk_err(cur.start, line, m))?;
        }
        Ok(a)
    }

    fn unary(&mut self, cur: &mut Cur) -> Result<V, PiCfgError> {
        let mut signs = Vec::new();
        loop {
            if cur.eat("-") {
                signs.push(true);
            } else if cur.eat("+") {
                signs.push(false);
            } else {
                break;
            }
        }
        if cur.is_op("~") || matches!(cur.peek(), Some(Tok::Name(n)) if n == "not") {
            return Err(cur.unexpected());
        }
        let line = cur.line();
        let mut v = self.postfix(cur)?;
        if cur.is_op("**") {
            return Err(cur.unexpected());
        }
        for neg in signs.into_iter().rev() {
            let op = if neg { '-' } else { '+' };
            v = match v {
                V::Bool(b) if neg => V::Int(-i128::from(b)),
                V::Bool(b) => V::Int(i128::from(b)),
                V::Int(i) if neg => V::Int(
                    i.checked_neg()
                        .ok_or_else(|| mk_err(cur.start, line, "integer overflow"))?,
                ),
                V::Float(f) if neg => V::Float(-f),
                V::Int(_) | V::Float(_) => v,
                other => {
                    return Err(mk_err(
                        cur.start,
                        line,
                        format!("bad operand type for unary {op}: '{}'", other.type_name()),
                    ))
                }
            };
        }
        Ok(v)
    }

    fn postfix(&mut self, cur: &mut Cur) -> Result<V, PiCfgError> {
        let (mut v, mut desc) = self.primary(cur)?;
        loop {
            if cur.eat(".") {
                let attr = match cur.peek() {
                    Some(Tok::Name(n)) => n.clone(),
                    _ => return Err(cur.unexpected()),
                };
                let full = format!("{desc}.{attr}");
                v = match &v {
                    V::Module(q) => resolve_member(q, &attr)
                        .ok_or_else(|| cur.err(format!("`{q}.{attr}` is not supported")))?,
                    V::Environ if attr == "get" => V::Func(Func::EnvironGet),
                    V::Str(s) => {
                        let m = match attr.as_str() {
                            "lower" => StrM::Lower,
                            "upper" => StrM::Upper,
                            "strip" => StrM::Strip,
                            "lstrip" => StrM::Lstrip,
                            "rstrip" => StrM::Rstrip,
                            _ => {
                                return Err(
                                    cur.err(format!("string method `.{attr}()` is not supported"))
                                )
                            }
                        };
                        V::Func(Func::Str(s.clone(), m))
                    }
                    _ => return Err(cur.err(format!("attribute access `{full}` is not supported"))),
                };
                cur.pos += 1;
                desc = full;
            } else if cur.is_op("(") {
                let V::Func(f) = v else {
                    return Err(cur.err(format!("function call `{desc}(...)` is not supported")));
                };
                let line = cur.line();
                cur.pos += 1;
                if cur.comprehension_ahead() {
                    return Err(cur.err("generator expressions are not supported"));
                }
                let args = self.call_args(cur)?;
                v = self
                    .call(&f, args)
                    .map_err(|m| mk_err(cur.start, line, m))?;
                desc = format!("{desc}(...)");
            } else if cur.is_op("[") {
                if v != V::Environ {
                    return Err(cur.err(format!("subscript `{desc}[...]` is not supported")));
                }
                let line = cur.line();
                cur.pos += 1;
                let key = self.test(cur)?;
                cur.expect("]")?;
                let V::Str(key) = key else {
                    return Err(mk_err(
                        cur.start,
                        line,
                        format!("os.environ key must be str, not {}", key.type_name()),
                    ));
                };
                v = match (self.env)(&key) {
                    Some(val) => V::Str(val),
                    None => {
                        return Err(mk_err(
                            cur.start,
                            line,
                            format!(
                                "environment variable `{key}` is not set (`os.environ['{key}']`)"
                            ),
                        ))
                    }
                };
                desc = format!("{desc}[...]");
            } else {
                return Ok(v);
            }
        }
    }

    fn call_args(&mut self, cur: &mut Cur) -> Result<Vec<V>, PiCfgError> {
        let mut args = Vec::new();
        loop {
            if cur.eat(")") {
                return Ok(args);
            }
            if let (Some(Tok::Name(n)), Some(Tok::Op("="))) = (cur.peek(), cur.peek_at(1)) {
                return Err(cur.err(format!("keyword argument `{n}=` is not supported")));
            }
            if cur.is_op("*") || cur.is_op("**") {
                return Err(cur.err("argument unpacking is not supported"));
            }
            args.push(self.test(cur)?);
            if !cur.eat(",") && !cur.is_op(")") {
                return Err(cur.unexpected());
            }
        }
    }

    fn call(&self, f: &Func, args: Vec<V>) -> Result<V, String> {
        let name = f.name();
        let nargs = |lo: usize, hi: usize| -> Result<(), String> {
            if args.len() < lo || args.len() > hi {
                Err(format!(
                    "{name}() takes {} argument{} ({} given)",
                    if lo == hi {
                        lo.to_string()
                    } else {
                        format!("{lo} to {hi}")
                    },
                    if hi == 1 { "" } else { "s" },
                    args.len()
                ))
            } else {
                Ok(())
            }
        };
        let strs = |args: &[V]| -> Result<Vec<String>, String> {
            args.iter()
                .map(|a| match a {
                    V::Str(s) => Ok(s.clone()),
                    other => Err(format!(
                        "{name}() expects str arguments, not {}",
                        other.type_name()
                    )),
                })
                .collect()
        };
        match f {
            Func::Path(p) => {
                if *p == PathFn::Join {
                    nargs(1, usize::MAX)?;
                    return Ok(V::Str(path_join(&strs(&args)?)));
                }
                nargs(1, 1)?;
                let s = strs(&args)?.concat();
                Ok(V::Str(match p {
                    PathFn::Dirname => path_dirname(&s),
                    PathFn::Basename => path_basename(&s),
                    PathFn::Normpath => path_normpath(&s),
                    PathFn::Abspath | PathFn::Realpath | PathFn::Join => path_abspath(&s)?,
                }))
            }
            Func::Getenv | Func::EnvironGet => {
                nargs(1, 2)?;
                let key = match &args[0] {
                    V::Str(s) => s.clone(),
                    other => {
                        return Err(format!(
                            "{name}() key must be str, not {}",
                            other.type_name()
                        ))
                    }
                };
                Ok(match (self.env)(&key) {
                    Some(v) => V::Str(v),
                    None => args.get(1).cloned().unwrap_or(V::None),
                })
            }
            Func::GetLevelName => {
                nargs(1, 1)?;
                Ok(level_name(&args[0]))
            }
            Func::Str(s, m) => match m {
                StrM::Lower | StrM::Upper => {
                    nargs(0, 0)?;
                    Ok(V::Str(if *m == StrM::Lower {
                        s.to_lowercase()
                    } else {
                        s.to_uppercase()
                    }))
                }
                StrM::Strip | StrM::Lstrip | StrM::Rstrip => {
                    nargs(0, 1)?;
                    let set: Option<Vec<char>> = match args.first() {
                        None | Some(V::None) => None,
                        Some(V::Str(c)) => Some(c.chars().collect()),
                        Some(other) => {
                            return Err(format!(
                                "{name}() argument must be str or None, not {}",
                                other.type_name()
                            ))
                        }
                    };
                    let pred = |c: char| match &set {
                        None => is_py_space(c),
                        Some(set) => set.contains(&c),
                    };
                    Ok(V::Str(
                        match m {
                            StrM::Lstrip => s.trim_start_matches(pred),
                            StrM::Rstrip => s.trim_end_matches(pred),
                            _ => s.trim_matches(pred),
                        }
                        .to_string(),
                    ))
                }
            },
        }
    }

    fn primary(&mut self, cur: &mut Cur) -> Result<(V, String), PiCfgError> {
        let Some(tok) = cur.peek().cloned() else {
            return Err(cur.unexpected());
        };
        if matches!(tok, Tok::Op("(" | "[" | "{")) {
            cur.pos += 1;
            let found = cur.comprehension_ahead();
            cur.pos -= 1;
            if found {
                return Err(cur.err("comprehensions are not supported"));
            }
        }
        match tok {
            Tok::Int(i) => {
                cur.pos += 1;
                Ok((V::Int(i), i.to_string()))
            }
            Tok::Float(f) => {
                cur.pos += 1;
                Ok((V::Float(f), float_repr(f)))
            }
            Tok::Str(_) | Tok::Bytes(_) => {
                let mut acc: Option<V> = None;
                while let Some(t) = cur.peek() {
                    acc = match (acc, t) {
                        (None, Tok::Str(s)) => Some(V::Str(s.clone())),
                        (None, Tok::Bytes(b)) => Some(V::Bytes(b.clone())),
                        (Some(V::Str(mut a)), Tok::Str(s)) => {
                            a.push_str(s);
                            Some(V::Str(a))
                        }
                        (Some(V::Bytes(mut a)), Tok::Bytes(b)) => {
                            a.extend_from_slice(b);
                            Some(V::Bytes(a))
                        }
                        (Some(_), Tok::Str(_) | Tok::Bytes(_)) => {
                            return Err(cur.err("cannot mix bytes and str literals"))
                        }
                        (a, _) => {
                            acc = a;
                            break;
                        }
                    };
                    cur.pos += 1;
                }
                let v = acc.unwrap_or(V::None);
                let desc = repr(&v);
                Ok((v, desc))
            }
            Tok::Name(n) => {
                match n.as_str() {
                    "True" => {
                        cur.pos += 1;
                        return Ok((V::Bool(true), n));
                    }
                    "False" => {
                        cur.pos += 1;
                        return Ok((V::Bool(false), n));
                    }
                    "None" => {
                        cur.pos += 1;
                        return Ok((V::None, n));
                    }
                    "lambda" | "await" | "yield" => {
                        return Err(cur.err(format!("`{n}` is not supported")));
                    }
                    _ if KEYWORDS.contains(&n.as_str()) => return Err(cur.unexpected()),
                    _ => {}
                }
                if let Some(v) = self.vars.get(&n) {
                    cur.pos += 1;
                    return Ok((v.clone(), n));
                }
                match cur.peek_at(1) {
                    Some(Tok::Op("(")) => {
                        Err(cur.err(format!("function call `{n}(...)` is not supported")))
                    }
                    Some(Tok::Op(".")) => {
                        let attr = match cur.peek_at(2) {
                            Some(Tok::Name(a)) => format!(".{a}"),
                            _ => String::new(),
                        };
                        let hint = if n == "os" || n == "logging" {
                            format!("; add `import {n}`")
                        } else {
                            String::new()
                        };
                        Err(cur.err(format!(
                            "attribute access `{n}{attr}` is not supported (`{n}` is not defined{hint})"
                        )))
                    }
                    _ => Err(cur.err(format!("name `{n}` is not defined"))),
                }
            }
            Tok::Op("(") => {
                cur.pos += 1;
                if cur.eat(")") {
                    return Ok((V::Tuple(Vec::new()), "()".into()));
                }
                let first = self.test(cur)?;
                if cur.eat(")") {
                    return Ok((first, "(...)".into()));
                }
                if !cur.is_op(",") {
                    return Err(cur.unexpected());
                }
                let mut items = vec![first];
                while cur.eat(",") {
                    if cur.eat(")") {
                        return Ok((V::Tuple(items), "(...)".into()));
                    }
                    items.push(self.test(cur)?);
                }
                cur.expect(")")?;
                Ok((V::Tuple(items), "(...)".into()))
            }
            Tok::Op("[") => {
                cur.pos += 1;
                let mut items = Vec::new();
                loop {
                    if cur.eat("]") {
                        return Ok((V::List(items), "[...]".into()));
                    }
                    if cur.is_op("*") {
                        return Err(cur.err("unpacking (`*x`) is not supported"));
                    }
                    items.push(self.test(cur)?);
                    if !cur.eat(",") && !cur.is_op("]") {
                        return Err(cur.unexpected());
                    }
                }
            }
            Tok::Op("{") => {
                cur.pos += 1;
                let mut items: Vec<(V, V)> = Vec::new();
                loop {
                    if cur.eat("}") {
                        return Ok((V::Dict(items), "{...}".into()));
                    }
                    if cur.is_op("**") || cur.is_op("*") {
                        return Err(cur.err("unpacking (`**x`) is not supported"));
                    }
                    let kline = cur.line();
                    let k = self.test(cur)?;
                    if !cur.eat(":") {
                        if cur.is_op(",") || cur.is_op("}") {
                            return Err(cur.err("set literals are not supported"));
                        }
                        return Err(cur.unexpected());
                    }
                    let v = self.test(cur)?;
                    if !k.hashable() {
                        return Err(mk_err(
                            cur.start,
                            kline,
                            format!("unhashable dict key type: '{}'", k.type_name()),
                        ));
                    }
                    match items.iter_mut().find(|(k2, _)| py_eq(&k, k2)) {
                        Some(slot) => slot.1 = v,
                        None => items.push((k, v)),
                    }
                    if !cur.eat(",") && !cur.is_op("}") {
                        return Err(cur.unexpected());
                    }
                }
            }
            Tok::Op("...") => Err(cur.err("`...` (Ellipsis) is not supported")),
            Tok::Op(_) => Err(cur.unexpected()),
        }
    }
}

fn add(a: V, b: V) -> Result<V, String> {
    Ok(match (a, b) {
        (V::Str(mut x), V::Str(y)) => {
            x.push_str(&y);
            V::Str(x)
        }
        (V::Bytes(mut x), V::Bytes(y)) => {
            x.extend(y);
            V::Bytes(x)
        }
        (V::List(mut x), V::List(y)) => {
            x.extend(y);
            V::List(x)
        }
        (V::Tuple(mut x), V::Tuple(y)) => {
            x.extend(y);
            V::Tuple(x)
        }
        (a, b) => {
            if let (Some(x), Some(y)) = (int_of(&a), int_of(&b)) {
                return x
                    .checked_add(y)
                    .map(V::Int)
                    .ok_or_else(|| "integer overflow".to_string());
            }
            if let (Some(x), Some(y)) = (num(&a), num(&b)) {
                return Ok(V::Float(x + y));
            }
            return Err(format!(
                "unsupported operand types for +: '{}' and '{}'",
                a.type_name(),
                b.type_name()
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STANDALONE: &str = include_str!("../../../tests/fixtures/picfg/standalone.cfg");
    const DEBIAN: &str = include_str!("../../../tests/fixtures/picfg/debian.cfg");
    const BAD_CALL: &str = include_str!("../../../tests/fixtures/picfg/bad-call.cfg");

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn parse_with(text: &str, vars: &[(&str, &str)]) -> Result<Vec<(String, PyValue)>, PiCfgError> {
        let env = env_of(vars);
        parse_picfg(Path::new("/etc/privacyidea/pi.cfg"), text, &env)
    }

    fn parse(text: &str) -> Vec<(String, PyValue)> {
        match parse_with(text, &[]) {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e:?}\n{text}"),
        }
    }

    fn get<'a>(out: &'a [(String, PyValue)], name: &str) -> &'a PyValue {
        match out.iter().find(|(n, _)| n == name) {
            Some((_, v)) => v,
            None => panic!("{name} missing in {out:?}"),
        }
    }

    fn one(expr: &str) -> PyValue {
        let out = parse(&format!("import os, logging\nX = {expr}\n"));
        get(&out, "X").clone()
    }

    fn s(v: &str) -> PyValue {
        PyValue::Str(v.to_string())
    }

    fn err(text: &str) -> PiCfgError {
        match parse_with(text, &[]) {
            Ok(v) => panic!("expected an error, got {v:?}\n{text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn standalone_template_form() {
        let text = "import os\n\
            INSTANCE_DIRECTORY = os.path.abspath(os.path.dirname(__file__))\n\
            PI_ENCFILE = os.path.join(INSTANCE_DIRECTORY, 'encKey')\n\
            SQLALCHEMY_DATABASE_URI = 'sqlite:///' + os.path.join(INSTANCE_DIRECTORY, 'privacyidea.sqlite')\n\
            SECRET_KEY = b'0123456789abcdef'\n";
        let env = env_of(&[]);
        let out = parse_picfg(Path::new("/srv/pi/./inst/../pi.cfg"), text, &env)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            out,
            vec![
                ("INSTANCE_DIRECTORY".to_string(), s("/srv/pi")),
                ("PI_ENCFILE".to_string(), s("/srv/pi/encKey")),
                (
                    "SQLALCHEMY_DATABASE_URI".to_string(),
                    s("sqlite:////srv/pi/privacyidea.sqlite")
                ),
                (
                    "SECRET_KEY".to_string(),
                    PyValue::Bytes(b"0123456789abcdef".to_vec())
                ),
            ]
        );
    }

    #[test]
    fn standalone_fixture() {
        let env = env_of(&[]);
        let out = parse_picfg(Path::new("/opt/pi/pi.cfg"), STANDALONE, &env)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "INSTANCE_DIRECTORY",
                "SQLALCHEMY_DATABASE_URI",
                "PI_ENCFILE",
                "PI_AUDIT_KEY_PRIVATE",
                "PI_AUDIT_KEY_PUBLIC",
                "PI_AUDIT_SQL_TRUNCATE",
                "SECRET_KEY",
                "PI_PEPPER",
                "PI_LOGFILE",
                "PI_LOGLEVEL"
            ]
        );
        assert_eq!(
            get(&out, "SQLALCHEMY_DATABASE_URI"),
            &s("sqlite:////opt/pi/privacyidea.sqlite")
        );
        assert_eq!(get(&out, "PI_ENCFILE"), &s("/opt/pi/encKey"));
        assert_eq!(get(&out, "PI_AUDIT_KEY_PUBLIC"), &s("/opt/pi/public.pem"));
        assert_eq!(get(&out, "PI_AUDIT_SQL_TRUNCATE"), &PyValue::Bool(true));
        assert_eq!(
            get(&out, "SECRET_KEY"),
            &PyValue::Bytes(
                b"9f3c1e0a7b5d4c2e8a6f1b3d5c7e9a0b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c".to_vec()
            )
        );
        assert_eq!(get(&out, "PI_LOGLEVEL"), &PyValue::Int(20));
    }

    #[test]
    fn debian_fixture() {
        let out = parse(DEBIAN);
        assert_eq!(
            get(&out, "SUPERUSER_REALM"),
            &PyValue::List(vec![s("super")])
        );
        assert_eq!(
            get(&out, "SQLALCHEMY_ENGINE_OPTIONS"),
            &PyValue::Dict(vec![("max_identifier_length".into(), PyValue::Int(128))])
        );
        assert_eq!(
            get(&out, "SQLALCHEMY_DATABASE_URI"),
            &s("mysql+pymysql://pi:S3cr3t%21@localhost/pi?charset=utf8mb4")
        );
        assert_eq!(get(&out, "PI_LOGLEVEL"), &PyValue::Int(20));
        assert_eq!(get(&out, "PI_ENCFILE"), &s("/etc/privacyidea/enckey"));
        let PyValue::List(jwts) = get(&out, "PI_TRUSTED_JWT") else {
            panic!("PI_TRUSTED_JWT is not a list");
        };
        assert_eq!(jwts.len(), 1);
        let PyValue::Dict(d) = &jwts[0] else {
            panic!("not a dict")
        };
        let key = &d[0];
        assert_eq!(key.0, "public_key");
        let PyValue::Bytes(pem) = &key.1 else {
            panic!("public_key is not bytes")
        };
        assert!(pem.starts_with(b"-----BEGIN PUBLIC KEY-----\nMFkw"));
        assert!(pem.ends_with(b"==\n-----END PUBLIC KEY-----\n"));
        assert_eq!(d[1], ("algorithm".to_string(), s("ES256")));
        assert_eq!(
            d[4],
            (
                "options".to_string(),
                PyValue::Dict(vec![("username".into(), s(".*"))])
            )
        );
        assert_eq!(out.len(), 12);
    }

    #[test]
    fn bad_call_fixture() {
        let e = err(BAD_CALL);
        assert_eq!(e.line, 5);
        assert_eq!(e.message, "function call `exec(...)` is not supported");
    }

    #[test]
    fn debian_postinst_style() {
        let out = parse(
            "import logging\nPI_LOGLEVEL = logging.INFO\nPI_LOGFILE = '/var/log/privacyidea/privacyidea.log'\n",
        );
        assert_eq!(get(&out, "PI_LOGLEVEL"), &PyValue::Int(20));
        for (lvl, n) in [
            ("NOTSET", 0),
            ("DEBUG", 10),
            ("INFO", 20),
            ("WARN", 30),
            ("WARNING", 30),
            ("ERROR", 40),
            ("CRITICAL", 50),
            ("FATAL", 50),
        ] {
            assert_eq!(one(&format!("logging.{lvl}")), PyValue::Int(n));
        }
        assert_eq!(one("logging.getLevelName('DEBUG')"), PyValue::Int(10));
        assert_eq!(one("logging.getLevelName(30)"), s("WARNING"));
        assert_eq!(one("logging.getLevelName('nope')"), s("Level nope"));
        let out = parse("from logging import INFO, DEBUG as D\nA = INFO\nB = D\n");
        assert_eq!(get(&out, "A"), &PyValue::Int(20));
        assert_eq!(get(&out, "B"), &PyValue::Int(10));
        let e = err("import logging\nX = logging.basicConfig\n");
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "`logging.basicConfig` is not supported")
        );
    }

    #[test]
    fn strings() {
        assert_eq!(one(r#"'a\n\t\\\'\"b'"#), s("a\n\t\\'\"b"));
        assert_eq!(one(r#""\x41\u00e9\U0001F600\101\0""#), s("Aé😀A\0"));
        assert_eq!(one(r"r'C:\new\'x'"), s(r"C:\new\'x"));
        assert_eq!(one(r"'\d'"), s(r"\d"));
        assert_eq!(one("'a' \"b\" '''c'''"), s("abc"));
        assert_eq!(one("('a'\n  'b')"), s("ab"));
        assert_eq!(one("'''line1\nline2'''"), s("line1\nline2"));
        assert_eq!(one("\"\"\"x\"y\"\"z\"\"\""), s("x\"y\"\"z"));
        assert_eq!(one("'ab\\\ncd'"), s("abcd"));
        assert_eq!(one("u'ü'"), s("ü"));
        assert_eq!(one("R'\\x'"), s("\\x"));
        assert_eq!(one("'a' + 'b' + \"c\""), s("abc"));
        assert_eq!(
            one("b'\\x00\\xff\\n' + B'z'"),
            PyValue::Bytes(vec![0, 255, 10, b'z'])
        );
        assert_eq!(one(r"rb'\x00'"), PyValue::Bytes(b"\\x00".to_vec()));
        assert_eq!(one(r"Br'\n'"), PyValue::Bytes(b"\\n".to_vec()));
        assert_eq!(one(r"b'\u0041'"), PyValue::Bytes(b"\\u0041".to_vec()));
        assert_eq!(
            one("b'''-----BEGIN-----\nAB\n-----END-----'''"),
            PyValue::Bytes(b"-----BEGIN-----\nAB\n-----END-----".to_vec())
        );
        assert_eq!(one("'  Hi X '.strip().lower()"), s("hi x"));
        assert_eq!(one("'abc'.upper()"), s("ABC"));
        assert_eq!(one("'xxaxx'.strip('x')"), s("a"));
        assert_eq!(one("' a '.lstrip()"), s("a "));
        assert_eq!(one("' a '.rstrip()"), s(" a"));
        assert_eq!(one("'a' == 'a'"), PyValue::Bool(true));
        assert_eq!(one("'a' != 'a'"), PyValue::Bool(false));
        assert_eq!(one("'a' == b'a'"), PyValue::Bool(false));
    }

    #[test]
    fn numbers_and_containers() {
        assert_eq!(one("1_000_000"), PyValue::Int(1_000_000));
        assert_eq!(one("0x1F"), PyValue::Int(31));
        assert_eq!(one("0o17 + 0b101"), PyValue::Int(20));
        assert_eq!(one("0x_ff"), PyValue::Int(255));
        assert_eq!(one("-5"), PyValue::Int(-5));
        assert_eq!(one("- -5"), PyValue::Int(5));
        assert_eq!(one("+7"), PyValue::Int(7));
        assert_eq!(one("00"), PyValue::Int(0));
        assert_eq!(one("-9223372036854775808"), PyValue::Int(i64::MIN));
        assert_eq!(one("1.5"), PyValue::Float(1.5));
        assert_eq!(one("-.5"), PyValue::Float(-0.5));
        assert_eq!(one("1e3"), PyValue::Float(1000.0));
        assert_eq!(one("1_0.2_5E-1_0"), PyValue::Float(10.25e-10));
        assert_eq!(one("5."), PyValue::Float(5.0));
        assert_eq!(one("1 + 2.5"), PyValue::Float(3.5));
        assert_eq!(one("True"), PyValue::Bool(true));
        assert_eq!(one("None"), PyValue::None);
        assert_eq!(one("-True"), PyValue::Int(-1));
        assert_eq!(one("[]"), PyValue::List(vec![]));
        assert_eq!(one("()"), PyValue::List(vec![]));
        assert_eq!(one("(1,)"), PyValue::List(vec![PyValue::Int(1)]));
        assert_eq!(one("(1)"), PyValue::Int(1));
        assert_eq!(one("1, 'a',"), PyValue::List(vec![PyValue::Int(1), s("a")]));
        assert_eq!(
            one("[1, [2, (3, None)],]"),
            PyValue::List(vec![
                PyValue::Int(1),
                PyValue::List(vec![
                    PyValue::Int(2),
                    PyValue::List(vec![PyValue::Int(3), PyValue::None])
                ])
            ])
        );
        assert_eq!(one("['a'] + ['b']"), PyValue::List(vec![s("a"), s("b")]));
        assert_eq!(
            one("{'a': 1, 'b': {'c': [True]}, 'a': 2}"),
            PyValue::Dict(vec![
                ("a".into(), PyValue::Int(2)),
                (
                    "b".into(),
                    PyValue::Dict(vec![("c".into(), PyValue::List(vec![PyValue::Bool(true)]))])
                ),
            ])
        );
        assert_eq!(
            one("{1: 'x', True: 'y', None: 0, 1.5: 1, (1, 'a'): 2}"),
            PyValue::Dict(vec![
                ("1".into(), s("y")),
                ("None".into(), PyValue::Int(0)),
                ("1.5".into(), PyValue::Int(1)),
                ("(1, 'a')".into(), PyValue::Int(2)),
            ])
        );
        assert_eq!(one("{}"), PyValue::Dict(vec![]));
    }

    #[test]
    fn names_and_reassignment() {
        let out = parse(
            "PI_X1 = 1\n_X = 2\nx = 3\nFoo = 4\n_1 = 5\nÄB = 6\nPI_X1 = x\nA = B = 'v'\nbase = '/d'\nC = base + '/f'\n",
        );
        assert_eq!(
            out,
            vec![
                ("PI_X1".to_string(), PyValue::Int(3)),
                ("_X".to_string(), PyValue::Int(2)),
                ("ÄB".to_string(), PyValue::Int(6)),
                ("A".to_string(), s("v")),
                ("B".to_string(), s("v")),
                ("C".to_string(), s("/d/f")),
            ]
        );
        assert!(is_upper("PI_X1") && is_upper("_X") && is_upper("A1_"));
        assert!(!is_upper("x") && !is_upper("Foo") && !is_upper("_1") && !is_upper("__"));
        // a function may be kept in a lower-case helper, but not as a config value
        let out = parse("import os\nj = os.path.join\nP = j('/a', 'b')\n");
        assert_eq!(get(&out, "P"), &s("/a/b"));
        let e = err("import os\nJ = os.path.join\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("os.path.join"), "{}", e.message);
        let e = err("X = 2 ** 70 \n");
        assert_eq!(e.message, "operator `**` is not supported");
        let e = err("X = 99999999999999999999\n");
        assert!(
            e.message.contains("out of the 64-bit range"),
            "{}",
            e.message
        );
    }

    #[test]
    fn env_lookups() {
        let vars = [("PI_DB", "postgresql://h/db"), ("PI_DEBUG", " TRUE ")];
        let text = "import os\n\
            A = os.environ.get('PI_DB')\n\
            B = os.environ.get('MISSING')\n\
            C = os.environ.get('MISSING', 'sqlite:///x')\n\
            D = os.getenv('PI_DB', 'no')\n\
            E = os.getenv('MISSING')\n\
            F = os.environ['PI_DB']\n\
            G = os.environ.get('PI_DEBUG', 'false').strip().lower() == \"true\"\n\
            H = os.environ.get('NOPE', 'false').lower() == 'true'\n\
            I = os.getenv('MISSING', 5)\n\
            from os import environ, getenv\n\
            J = environ.get('PI_DB') + getenv('PI_DB')\n";
        let out = parse_with(text, &vars).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(get(&out, "A"), &s("postgresql://h/db"));
        assert_eq!(get(&out, "B"), &PyValue::None);
        assert_eq!(get(&out, "C"), &s("sqlite:///x"));
        assert_eq!(get(&out, "D"), &s("postgresql://h/db"));
        assert_eq!(get(&out, "E"), &PyValue::None);
        assert_eq!(get(&out, "F"), &s("postgresql://h/db"));
        assert_eq!(get(&out, "G"), &PyValue::Bool(true));
        assert_eq!(get(&out, "H"), &PyValue::Bool(false));
        assert_eq!(get(&out, "I"), &PyValue::Int(5));
        assert_eq!(get(&out, "J"), &s("postgresql://h/dbpostgresql://h/db"));
        let e = parse_with("import os\n\nX = os.environ['PI_UNSET_VAR']\n", &vars)
            .err()
            .unwrap_or_else(|| panic!("no error"));
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("`PI_UNSET_VAR` is not set"),
            "{}",
            e.message
        );
    }

    #[test]
    fn path_functions() {
        assert_eq!(one("os.path.join('/a', 'b', 'c')"), s("/a/b/c"));
        assert_eq!(one("os.path.join('/a/', 'b')"), s("/a/b"));
        assert_eq!(one("os.path.join('/a', '/etc', 'x')"), s("/etc/x"));
        assert_eq!(one("os.path.join('a', '')"), s("a/"));
        assert_eq!(one("os.path.join('', 'b')"), s("b"));
        assert_eq!(one("os.path.dirname('/a/b/c.cfg')"), s("/a/b"));
        assert_eq!(one("os.path.dirname('/a//b//')"), s("/a//b"));
        assert_eq!(one("os.path.dirname('pi.cfg')"), s(""));
        assert_eq!(one("os.path.dirname('/pi.cfg')"), s("/"));
        assert_eq!(one("os.path.dirname('//x')"), s("//"));
        assert_eq!(one("os.path.basename('/a/b.cfg')"), s("b.cfg"));
        assert_eq!(one("os.path.abspath('/a/./b/../c/')"), s("/a/c"));
        assert_eq!(one("os.path.abspath('/../x')"), s("/x"));
        assert_eq!(one("os.path.abspath('//a/b')"), s("//a/b"));
        assert_eq!(one("os.path.abspath('///a//b')"), s("/a/b"));
        assert_eq!(one("os.path.realpath('/a/b/..')"), s("/a"));
        assert_eq!(one("os.path.normpath('a/../../b')"), s("../b"));
        assert_eq!(one("os.path.normpath('')"), s("."));
        let cwd = std::env::current_dir().unwrap_or_else(|e| panic!("{e}"));
        let cwd = cwd.to_string_lossy().into_owned();
        assert_eq!(one("os.path.abspath('x/../y')"), s(&format!("{cwd}/y")));
        assert_eq!(one("os.path.abspath('')"), s(&cwd));
        assert_eq!(one("__file__"), s("/etc/privacyidea/pi.cfg"));
        let out = parse("from os.path import join, dirname as d\nX = join(d(__file__), 'k')\n");
        assert_eq!(get(&out, "X"), &s("/etc/privacyidea/k"));
        let out = parse("import os.path as p\nX = p.dirname(__file__)\n");
        assert_eq!(get(&out, "X"), &s("/etc/privacyidea"));
        let e = err("import os\nX = os.path.join('a', 1)\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("expects str"), "{}", e.message);
        let e = err("import os\nX = os.path.dirname()\n");
        assert!(
            e.message.contains("takes 1 argument (0 given)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn layout_continuations_imports() {
        let text = "#!/usr/bin/env python\n\
            # -*- coding: utf-8 -*-\n\
            \"\"\"Module docstring.\"\"\"\n\
            \n\
            import os, logging\n\
            import os.path\n\
            from os import path as P0  # comment\n\
            from privacyidea.lib.foo import (a,\n    b,)\n\
            A = 1; B = 2;\n\
            C = 'x' \\\n    + 'y'\n\
            D = [\n    1,  # one\n\n    2,\n]\n\
            pass\n\
            \x0c\n\
            E = {\n  'k':\n  'v'}\n";
        let out = parse(text);
        assert_eq!(get(&out, "A"), &PyValue::Int(1));
        assert_eq!(get(&out, "B"), &PyValue::Int(2));
        assert_eq!(get(&out, "C"), &s("xy"));
        assert_eq!(
            get(&out, "D"),
            &PyValue::List(vec![PyValue::Int(1), PyValue::Int(2)])
        );
        assert_eq!(get(&out, "E"), &PyValue::Dict(vec![("k".into(), s("v"))]));
        // P0 is a module, which cannot be a config value
        assert_eq!(out.len(), 5);
        // CRLF, BOM, no trailing newline
        let out = parse("\u{feff}A = 'x'\r\nB = [1,\r\n 2]");
        assert_eq!(get(&out, "A"), &s("x"));
        assert_eq!(
            get(&out, "B"),
            &PyValue::List(vec![PyValue::Int(1), PyValue::Int(2)])
        );
        // a name imported from an unknown module errors only when used
        let e = err("from privacyidea.lib import foo\nX = foo(1)\n");
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "function call `foo(...)` is not supported")
        );
    }

    #[test]
    fn rejected_constructs() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "A = 1\nB = 2\n\n# c\nexec(open('x').read())\n",
                5,
                "function call `exec(...)`",
            ),
            ("X = open('/etc/passwd')\n", 1, "function call `open(...)`"),
            (
                "import os\nX = os.system('id')\n",
                2,
                "`os.system` is not supported",
            ),
            (
                "import os\nos.environ['A'] = 'b'\n",
                2,
                "assignment to `os.environ['A']`",
            ),
            ("X = 'a'.join(['b'])\n", 1, "string method `.join()`"),
            ("X = lambda: 1\n", 1, "`lambda` is not supported"),
            (
                "if True:\n    X = 1\n",
                1,
                "`if` statements are not supported",
            ),
            ("for i in []:\n  pass\n", 1, "`for` statements"),
            ("def f():\n  return 1\n", 1, "`def` statements"),
            ("class C:\n  pass\n", 1, "`class` statements"),
            ("while 1:\n  pass\n", 1, "`while` statements"),
            ("try:\n  pass\nexcept: pass\n", 1, "`try` statements"),
            ("with x:\n  pass\n", 1, "`with` statements"),
            ("del X\n", 1, "`del` statements"),
            ("@d\ndef f(): pass\n", 1, "decorators"),
            ("X = f'{1}'\n", 1, "f-strings are not supported"),
            ("X = 1\nX += 1\n", 2, "augmented assignment `+=`"),
            ("X: int = 1\n", 1, "annotated assignments"),
            ("A, B = 1, 2\n", 1, "assignment to `A, B`"),
            ("X = Y\n", 1, "name `Y` is not defined"),
            (
                "X = os.path.join('a')\n",
                1,
                "`os` is not defined; add `import os`",
            ),
            ("X = a.b\n", 1, "attribute access `a.b`"),
            ("X = [1][0]\n", 1, "subscript `[...][...]`"),
            ("X = 'a'[0]\n", 1, "subscript"),
            ("X = 1 if True else 2\n", 1, "conditional expressions"),
            ("X = [i for i in ()]\n", 1, "comprehensions"),
            ("X = 1 and 2\n", 1, "operator `and`"),
            ("X = not 1\n", 1, "operator `not`"),
            ("X = 2 * 3\n", 1, "operator `*`"),
            ("X = 2 - 3\n", 1, "operator `-`"),
            ("X = '%s' % 'a'\n", 1, "operator `%`"),
            ("X = 1 < 2\n", 1, "operator `<`"),
            ("X = 1 in []\n", 1, "operator `in`"),
            ("X = (y := 1)\n", 1, "operator `:=`"),
            ("X = {1, 2}\n", 1, "set literals"),
            ("X = {**a}\n", 1, "unpacking"),
            (
                "X = 'a' + 1\n",
                1,
                "unsupported operand types for +: 'str' and 'int'",
            ),
            ("X = b'a' + 'b'\n", 1, "'bytes' and 'str'"),
            ("X = 'a' b'b'\n", 1, "cannot mix bytes and str"),
            ("X = -'a'\n", 1, "bad operand type for unary -"),
            ("X = 1j\n", 1, "complex numbers"),
            ("X = 010\n", 1, "leading zeros"),
            ("X = 1__0\n", 1, "invalid number literal"),
            ("X = 0xg\n", 1, "invalid number literal"),
            ("X = ...\n", 1, "Ellipsis"),
            ("X = 'abc\n", 1, "unterminated string literal"),
            ("X = '''abc\n\n", 1, "unterminated string literal"),
            ("X = '\\N{DASH}'\n", 1, "\\N{...}"),
            ("X = '\\x4'\n", 1, "truncated escape"),
            ("X = b'é'\n", 1, "ASCII"),
            ("X = 1\n  Y = 2\n", 2, "unexpected indent"),
            ("X = [1,\n2\n", 1, "`[` opened at line 1 is never closed"),
            ("X = (1]\n", 1, "closing `]` does not match `(`"),
            ("X = 1)\n", 1, "unmatched `)`"),
            ("X = 1 $ 2\n", 1, "invalid character `$`"),
            ("X = 1 \\ 2\n", 1, "after line continuation"),
            ("X = \\", 1, "after line continuation"),
            ("X = 1 = 2\n", 1, "assignment to `1`"),
            ("True = 1\n", 1, "cannot assign to `True`"),
            ("X = 1;;\n", 1, "unexpected `;`"),
            ("X = \n", 1, "unexpected end of statement"),
            ("X = 1 2\n", 1, "unexpected number"),
            ("from . import x\n", 1, "relative imports"),
            ("from os import *\n", 1, "`from os import *`"),
            (
                "import os\nX = os.getenv(key='A')\n",
                2,
                "keyword argument `key=`",
            ),
            ("import os\nX = os.getenv(*a)\n", 2, "argument unpacking"),
            ("X = 'a' == 'a' == 'a'\n", 1, "chained comparisons"),
            ("X = {[1]: 2}\n", 1, "unhashable"),
            ("print('x')\n", 1, "function call `print(...)`"),
            (
                "X = __import__('os')\n",
                1,
                "function call `__import__(...)`",
            ),
            ("X = 1\x00\n", 1, "NUL byte"),
            ("X = yield\n", 1, "`yield` is not supported"),
            ("global X\n", 1, "`global` statements"),
            ("assert 1\n", 1, "`assert` statements"),
            ("raise SystemExit\n", 1, "`raise` statements"),
        ];
        for (text, line, needle) in cases {
            let e = err(text);
            assert_eq!(e.line, *line, "{text:?}: {e:?}");
            assert!(
                e.message.contains(needle),
                "{text:?}: {e:?} lacks {needle:?}"
            );
        }
    }

    #[test]
    fn multiline_statement_error_reports_start_and_position() {
        let e = err("A = 1\nPI_TRUSTED_JWT = [\n  {'k': 1},\n  {'k': open('x')},\n]\nB = 2\n");
        assert_eq!(e.line, 2);
        assert_eq!(
            e.message,
            "function call `open(...)` is not supported (at line 4)"
        );
        // the first error in file order wins, lexing errors included
        let e = err("X = open('a')\nY = '\n");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn float_and_repr_helpers() {
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(-2.5), "-2.5");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1e15), "1000000000000000.0");
        assert_eq!(float_repr(1.5e-5), "1.5e-05");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(123.456), "123.456");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(bytes_repr(b"a\x00'"), "b\"a\\x00'\"");
    }

    /// xorshift64*, enough for a deterministic fuzz run without dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    #[test]
    fn never_panics() {
        let env = env_of(&[("A", "1")]);
        let path = Path::new("pi.cfg");
        let samples = [STANDALONE, DEBIAN, BAD_CALL];
        // every truncation of the real files
        for text in samples {
            for (i, _) in text.char_indices() {
                let _ = parse_picfg(path, &text[..i], &env);
            }
        }
        let alphabet: Vec<char> =
            "abXY_0123456789xeEjbBrRfu'\"\\#=+-*/%.,:;()[]{}<>!@ \t\n\r\u{feff}é\0"
                .chars()
                .collect();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = rng.below(40);
            let text: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let _ = parse_picfg(path, &text, &env);
        }
        // random bytes (lossy UTF-8) and mutated real files
        for _ in 0..3_000 {
            let bytes: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            let _ = parse_picfg(path, &String::from_utf8_lossy(&bytes), &env);
            let base = samples[rng.below(samples.len())];
            let mut chars: Vec<char> = base.chars().collect();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(chars.len());
                match rng.below(3) {
                    0 => {
                        chars.remove(at);
                    }
                    1 => chars.insert(at, alphabet[rng.below(alphabet.len())]),
                    _ => chars[at] = alphabet[rng.below(alphabet.len())],
                }
            }
            let text: String = chars.into_iter().collect();
            let _ = parse_picfg(path, &text, &env);
        }
        // deep nesting is refused, not a stack overflow
        for open in ["(", "[", "{", "[{'a': ("] {
            let text = format!("X = {}1", open.repeat(5_000));
            let e = parse_picfg(path, &text, &env).err();
            assert!(e.is_some_and(|e| e.message.contains("too many nested brackets")));
        }
        let ok = format!("X = {}1{}", "[".repeat(60), "]".repeat(60));
        assert!(parse_picfg(path, &ok, &env).is_ok());
        let ok = format!("X = {}1", "-".repeat(100_000));
        assert!(parse_picfg(path, &ok, &env).is_ok());
        let ok = format!("X = {}", vec!["'a'"; 50_000].join(" + "));
        assert!(parse_picfg(path, &ok, &env).is_ok());
    }
}
