//! Python `re` patterns evaluated with `fancy-regex`: a translation of the syntax where the two
//! differ, and a clear error for what cannot be evaluated.
//!
//! Translated: `$` (end or before a final newline), `\Z`, `{,n}`, a `{` that is no quantifier
//! (literal in Python), `[` `&` `~` inside sets (literal in Python, set operators in Rust),
//! `(?#...)` comments, `\uXXXX`/`\UXXXXXXXX`, octal escapes, `(?P=name)`.
//! Refused: `\N{...}`, the `(?a)`/`(?L)` flags, unknown escapes (Python refuses them too).

use fancy_regex::Regex;

/// A compiled Python-syntax pattern, used like `re.search`.
#[derive(Debug, Clone)]
pub struct PyRegex {
    /// The pattern as written.
    pub source: String,
    re: Regex,
}

impl PyRegex {
    /// Translates and compiles `pattern`; the error says what is not supported.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let translated = translate(pattern)?;
        let re = fancy_regex::RegexBuilder::new(&translated)
            .backtrack_limit(10_000_000)
            .build()
            .map_err(|e| format!("{e}"))?;
        Ok(PyRegex {
            source: pattern.to_string(),
            re,
        })
    }

    /// `re.search(pattern, text) is not None`. A pattern that exceeds the backtracking limit
    /// gives an error rather than a wrong answer.
    pub fn search(&self, text: &str) -> Result<bool, String> {
        self.re.is_match(text).map_err(|e| format!("{e}"))
    }
}

fn is_quantifier_brace(chars: &[char], i: usize) -> Option<(usize, String)> {
    // chars[i] == '{'; returns (end index exclusive, rust text)
    let mut j = i + 1;
    let mut lo = String::new();
    while j < chars.len() && chars[j].is_ascii_digit() {
        lo.push(chars[j]);
        j += 1;
    }
    if j < chars.len() && chars[j] == '}' {
        if lo.is_empty() {
            return None;
        }
        return Some((j + 1, format!("{{{lo}}}")));
    }
    if j < chars.len() && chars[j] == ',' {
        j += 1;
        let mut hi = String::new();
        while j < chars.len() && chars[j].is_ascii_digit() {
            hi.push(chars[j]);
            j += 1;
        }
        if j < chars.len() && chars[j] == '}' {
            if lo.is_empty() && hi.is_empty() {
                // Python: `{,}` is {0,}
                return Some((j + 1, "{0,}".into()));
            }
            let lo = if lo.is_empty() { "0".to_string() } else { lo };
            return Some((j + 1, format!("{{{lo},{hi}}}")));
        }
    }
    None
}

fn hex_escape(chars: &[char], start: usize, n: usize) -> Result<(usize, String), String> {
    let digits: String = chars.iter().skip(start).take(n).collect();
    if digits.len() != n || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("incomplete escape at position {}", start - 2));
    }
    Ok((start + n, format!("\\x{{{digits}}}")))
}

/// Translates one escape starting at `chars[i] == '\\'`; `in_class` changes `\b`.
fn escape(chars: &[char], i: usize, in_class: bool) -> Result<(usize, String), String> {
    let Some(&c) = chars.get(i + 1) else {
        return Err("bad escape (end of pattern)".into());
    };
    let simple = |s: &str| Ok((i + 2, s.to_string()));
    match c {
        'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 't' | 'r' | 'f' | 'v' | 'a' => {
            simple(&format!("\\{c}"))
        }
        'b' if in_class => simple("\\x08"),
        'b' | 'B' if !in_class => simple(&format!("\\{c}")),
        'A' if !in_class => simple("\\A"),
        'Z' if !in_class => simple("\\z"),
        'x' => hex_escape(chars, i + 2, 2),
        'u' => hex_escape(chars, i + 2, 4),
        'U' => hex_escape(chars, i + 2, 8),
        'N' => Err("\\N{...} named characters are not supported".into()),
        '0' => {
            // octal: \0 followed by up to two octal digits
            let mut j = i + 2;
            let mut v = 0u32;
            while j < chars.len() && j < i + 4 && ('0'..='7').contains(&chars[j]) {
                v = v * 8 + chars[j].to_digit(8).unwrap_or(0);
                j += 1;
            }
            Ok((j, format!("\\x{{{v:x}}}")))
        }
        '1'..='9' => {
            // three octal digits form an octal escape, else a back-reference (one or two digits)
            let d: Vec<char> = chars.iter().skip(i + 1).take(3).copied().collect();
            if d.len() == 3 && d.iter().all(|c| ('0'..='7').contains(c)) {
                let v = d
                    .iter()
                    .fold(0u32, |a, c| a * 8 + c.to_digit(8).unwrap_or(0));
                return Ok((i + 4, format!("\\x{{{v:x}}}")));
            }
            if in_class {
                return Err(format!("bad escape \\{c} in a set"));
            }
            let mut j = i + 1;
            let mut num = String::new();
            while j < chars.len() && j < i + 3 && chars[j].is_ascii_digit() {
                num.push(chars[j]);
                j += 1;
            }
            Ok((j, format!("\\{num}")))
        }
        c if c.is_ascii_alphanumeric() => Err(format!("bad escape \\{c}")),
        c => Ok((i + 2, escape_literal(c))),
    }
}

fn escape_literal(c: char) -> String {
    if c.is_ascii_punctuation() || c == ' ' || c == '#' {
        if c == ' ' {
            return "\\x20".into();
        }
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

/// Translates a Python pattern into fancy-regex syntax.
pub fn translate(p: &str) -> Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let (j, s) = escape(&chars, i, false)?;
                out.push_str(&s);
                i = j;
            }
            '$' => {
                // Python: end of string, or before a newline that ends it.
                out.push_str("(?:\\z|(?=\\n\\z))");
                i += 1;
            }
            '{' => match is_quantifier_brace(&chars, i) {
                Some((j, q)) => {
                    out.push_str(&q);
                    i = j;
                }
                None => {
                    out.push_str("\\{");
                    i += 1;
                }
            },
            '}' => {
                out.push_str("\\}");
                i += 1;
            }
            '[' => {
                let j = translate_class(&chars, i, &mut out)?;
                i = j;
            }
            '(' => {
                if chars.get(i + 1) == Some(&'?') {
                    let rest: String = chars[i + 2..].iter().take(3).collect();
                    if rest.starts_with('#') {
                        // comment: skip to the closing parenthesis
                        let mut j = i + 3;
                        while j < chars.len() && chars[j] != ')' {
                            j += 1;
                        }
                        if j >= chars.len() {
                            return Err("missing ), unterminated comment".into());
                        }
                        i = j + 1;
                        continue;
                    }
                    if rest.starts_with("P=") {
                        let mut j = i + 4;
                        let mut name = String::new();
                        while j < chars.len() && chars[j] != ')' {
                            name.push(chars[j]);
                            j += 1;
                        }
                        if j >= chars.len() {
                            return Err("missing ), unterminated name".into());
                        }
                        out.push_str(&format!("\\k<{name}>"));
                        i = j + 1;
                        continue;
                    }
                    if rest.starts_with("P<") {
                        out.push_str("(?P<");
                        i += 4;
                        continue;
                    }
                    // inline flags: (?aiLmsux) or (?flags:...) or (?-flags:...)
                    let mut j = i + 2;
                    let mut flags = String::new();
                    while j < chars.len() && "aiLmsux-".contains(chars[j]) {
                        flags.push(chars[j]);
                        j += 1;
                    }
                    if !flags.is_empty() && j < chars.len() && (chars[j] == ')' || chars[j] == ':')
                    {
                        if flags.contains('a') || flags.contains('L') {
                            return Err(format!(
                                "the inline flag (?{flags}) (ASCII/locale matching) is not supported"
                            ));
                        }
                        let kept: String = flags.chars().filter(|c| *c != 'u').collect();
                        if kept.is_empty() || kept == "-" {
                            if chars[j] == ')' {
                                i = j + 1;
                            } else {
                                out.push_str("(?:");
                                i = j + 1;
                            }
                            continue;
                        }
                        out.push_str("(?");
                        out.push_str(&kept);
                        out.push(chars[j]);
                        i = j + 1;
                        continue;
                    }
                }
                out.push('(');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Translates a set starting at `chars[start] == '['`; returns the index after its `]`.
fn translate_class(chars: &[char], start: usize, out: &mut String) -> Result<usize, String> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(format!("unterminated character set at position {start}"));
        };
        match c {
            ']' if !first => {
                out.push(']');
                return Ok(i + 1);
            }
            ']' => {
                out.push_str("\\]");
                i += 1;
            }
            '\\' => {
                let (j, s) = escape(chars, i, true)?;
                out.push_str(&s);
                i = j;
            }
            '[' | '&' | '~' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                out.push_str("\\-");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        PyRegex::new(p)
            .expect("compiles")
            .search(t)
            .expect("search")
    }

    #[test]
    fn search_is_unanchored() {
        assert!(m(".*/validate/check.*", "POST /validate/check"));
        assert!(m("validate", "POST /validate/check"));
        assert!(m("^GET /token", "GET /token/"));
        assert!(!m("^GET /token", "POST /token/init"));
    }

    #[test]
    fn none_and_empty() {
        assert!(m(".*", "None"));
        assert!(!m("^$", "None"));
        assert!(m("^$", ""));
    }

    #[test]
    fn dollar_matches_before_final_newline() {
        assert!(m("abc$", "abc\n"));
        assert!(m("abc$", "abc"));
        assert!(!m("abc$", "abc\nx"));
        assert!(m(r"abc\Z", "abc"));
        assert!(!m(r"abc\Z", "abc\n"));
    }

    #[test]
    fn python_only_syntax() {
        assert!(m("a{,2}b", "aab"));
        assert!(m("x{", "x{"));
        assert!(m("{foo}", "{foo}"));
        assert!(m("[[]", "["));
        assert!(m("[a&&b]", "&"));
        assert!(m("(?#comment)abc", "abc"));
        assert!(m(r"(?P<x>a)(?P=x)", "aa"));
        assert!(!m(r"(?P<x>a)(?P=x)", "ab"));
        assert!(m(r"\u00fc", "jürgen"));
        assert!(m(r"(?i)ALICE", "alice"));
        assert!(m(r"(\w)\1", "xx"));
        assert!(m(r"foo(?=bar)", "foobar"));
        assert!(m(r"\d+\.\d+", "1.5"));
        assert!(m(r"[\]]", "]"));
        assert!(m("[]a]", "]"));
    }

    #[test]
    fn unsupported_constructs_are_errors() {
        assert!(PyRegex::new(r"\N{DASH}").is_err());
        assert!(PyRegex::new(r"(?a)\w").is_err());
        assert!(PyRegex::new(r"\q").is_err());
        assert!(PyRegex::new(r"(unclosed").is_err());
        assert!(PyRegex::new(r"[abc").is_err());
    }
}
