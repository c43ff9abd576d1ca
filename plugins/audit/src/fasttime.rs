//! Fast conversions of naive timestamps (no chrono format parsing per row): privacyIDEA's text
//! form `YYYY-MM-DD HH:MM:SS[.ffffff]` to microseconds and back, Python `str()` and
//! `isoformat()`.

use mfactl_plugin_api::{Timestamp, Value};

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn num(b: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Parses `YYYY-MM-DD HH:MM:SS[.f…]` (or with `T`) into microseconds; `None` otherwise.
pub fn parse_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || (b[10] != b' ' && b[10] != b'T') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (h, mi, se) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    let mut us = 0i64;
    if b.len() > 19 {
        if b[19] != b'.' || b.len() > 26 || b.len() == 20 {
            return None;
        }
        let frac = &b[20..];
        us = num(frac)? * 10i64.pow(6 - frac.len() as u32);
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se) * 1_000_000) + us)
}

/// Microseconds of a timestamp value (text parsed; other values through the API).
pub fn micros(v: &Value) -> Option<i64> {
    match v {
        Value::Timestamp(t) => Some(t.micros),
        Value::Text(t) => {
            parse_micros(t.as_str()).or_else(|| Timestamp::parse(t).map(|t| t.micros))
        }
        other => other.as_timestamp().map(|t| t.micros),
    }
}

/// Appends Python's `str(datetime)` (`sep` = ' ') or `isoformat()` (`sep` = 'T').
pub fn push_datetime(out: &mut String, micros: i64, sep: char) {
    use std::fmt::Write;
    let secs = micros.div_euclid(1_000_000);
    let us = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    if us != 0 {
        let _ = write!(out, ".{us:06}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_like_python() {
        for (text, py) in [
            ("2026-01-02 03:04:05.234567", "2026-01-02 03:04:05.234567"),
            ("2026-01-02 03:04:07.000000", "2026-01-02 03:04:07"),
            ("1970-01-01 00:00:01", "1970-01-01 00:00:01"),
            ("2024-02-29 23:59:59.5", "2024-02-29 23:59:59.500000"),
            ("1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999"),
        ] {
            let m = parse_micros(text).expect(text);
            assert_eq!(Some(m), Timestamp::parse(text).map(|t| t.micros), "{text}");
            let mut s = String::new();
            push_datetime(&mut s, m, ' ');
            assert_eq!(s, py);
        }
        assert_eq!(parse_micros("2026-13-01 00:00:00"), None);
        assert_eq!(parse_micros("nonsense"), None);
    }
}
