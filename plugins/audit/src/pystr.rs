//! Python's text forms of values (`str()` of datetimes and timedeltas, `repr()` of strings and
//! floats, `isoformat()`), which privacyIDEA's signed texts, rule matching and dumps use.

use mfactl_plugin_api::Timestamp;

/// Python `str(timedelta(microseconds=micros))`: `0:00:00.111111`, `0:00:01`, `1 day, 2:03:04`,
/// `-1 day, 23:59:59`.
pub fn timedelta_str(micros: i64) -> String {
    const DAY: i64 = 86_400_000_000;
    let days = micros.div_euclid(DAY);
    let rest = micros.rem_euclid(DAY);
    let secs = rest / 1_000_000;
    let us = rest % 1_000_000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut out = String::new();
    if days != 0 {
        let plural = if days.abs() != 1 { "s" } else { "" };
        out.push_str(&format!("{days} day{plural}, "));
    }
    out.push_str(&format!("{h}:{m:02}:{s:02}"));
    if us != 0 {
        out.push_str(&format!(".{us:06}"));
    }
    out
}

/// Python `datetime.isoformat()`: `2026-01-02T03:04:07`, with `.ffffff` when non-zero.
pub fn isoformat(t: Timestamp) -> String {
    t.to_python_str().replacen(' ', "T", 1)
}

/// Python `repr(float)` for the values a dump shows (durations in seconds).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        // Python: 5e-06, 1.5e+16
        let s = format!("{f:e}");
        if let Some((mant, exp)) = s.split_once('e') {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            return format!("{mant}e{sign}{digits:0>2}");
        }
        return s;
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// Python `repr(str)`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python `repr()` of a YAML value as PyYAML would have loaded it (dicts keep their order).
pub fn yaml_repr(v: &serde_yaml::Value) -> String {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => "None".into(),
        Y::Bool(true) => "True".into(),
        Y::Bool(false) => "False".into(),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                float_repr(n.as_f64().unwrap_or(0.0))
            }
        }
        Y::String(s) => str_repr(s),
        Y::Sequence(seq) => {
            let items: Vec<String> = seq.iter().map(yaml_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Y::Mapping(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", yaml_repr(k), yaml_repr(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Y::Tagged(t) => yaml_repr(&t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timedeltas() {
        assert_eq!(timedelta_str(111_111), "0:00:00.111111");
        assert_eq!(timedelta_str(1_000_000), "0:00:01");
        assert_eq!(timedelta_str(500_000), "0:00:00.500000");
        assert_eq!(
            timedelta_str(86_400_000_000 + 3_723_000_000),
            "1 day, 1:02:03"
        );
        assert_eq!(timedelta_str(2 * 86_400_000_000), "2 days, 0:00:00");
        assert_eq!(timedelta_str(-1_000_000), "-1 day, 23:59:59");
    }

    #[test]
    fn floats_like_python() {
        assert_eq!(float_repr(0.111111), "0.111111");
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(0.000005), "5e-06");
        assert_eq!(float_repr(0.0), "0.0");
    }

    #[test]
    fn reprs_like_python() {
        assert_eq!(str_repr("nils"), "'nils'");
        assert_eq!(str_repr(r".*\d"), r"'.*\\d'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        let y: serde_yaml::Value =
            serde_yaml::from_str("rotate: 10\nuser: nils\naction: .*/validate/check.*\n")
                .expect("yaml");
        assert_eq!(
            yaml_repr(&y),
            "{'rotate': 10, 'user': 'nils', 'action': '.*/validate/check.*'}"
        );
    }

    #[test]
    fn isoformat_drops_zero_micros() {
        let t = Timestamp::parse("2026-01-02 03:04:07.000000").expect("ts");
        assert_eq!(isoformat(t), "2026-01-02T03:04:07");
        let t = Timestamp::parse("2026-01-02 03:04:08.900000").expect("ts");
        assert_eq!(isoformat(t), "2026-01-02T03:04:08.900000");
    }
}
