//! Checks of single policy fields, with the same acceptance as privacyIDEA 3.14's `set_policy`
//! where that is knowable offline (time ranges, client networks, condition parts), and a syntax
//! check of action strings.

use crate::model::split_actions;
use std::net::{IpAddr, Ipv4Addr};

/// Python's `int(text)` for ASCII input: optional sign, digits, single underscores between digits.
fn py_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'+') => (false, &t[1..]),
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let v: i64 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Parses an integer the way `int(str)` does (used for priorities given as strings).
pub fn parse_int(text: &str) -> Option<i64> {
    py_int(text)
}

fn hm(part: &str) -> Option<(i64, i64)> {
    let nums: Vec<i64> = part.split(':').map(py_int).collect::<Option<Vec<_>>>()?;
    let (h, m) = if nums.len() == 2 {
        (nums[0], nums[1])
    } else {
        (*nums.first()?, 0)
    };
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some((h, m))
}

/// Checks a time restriction like `Mon-Fri: 08:00-18:00, Sat: 9-12` as privacyIDEA does.
pub fn check_time(time: &str) -> Result<(), String> {
    const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let bad = || format!("invalid time format '{time}' (expected e.g. 'Mon-Fri: 08:00-18:00')");
    let compact: String = time.split_whitespace().collect();
    for range in compact.split(',') {
        let (dow, t) = range.split_once(':').ok_or_else(bad)?;
        let dow = dow.to_lowercase();
        let days: Vec<&str> = dow.split('-').collect();
        let (start, end) = match days.as_slice() {
            [d] => (*d, *d),
            [a, b] => (*a, *b),
            _ => return Err(bad()),
        };
        if !DAYS.contains(&start) || !DAYS.contains(&end) {
            return Err(bad());
        }
        let times: Vec<&str> = t.split('-').collect();
        let [ts, te] = times.as_slice() else {
            return Err(bad());
        };
        let (s, e) = (hm(ts).ok_or_else(bad)?, hm(te).ok_or_else(bad)?);
        if s > e {
            return Err(bad());
        }
    }
    Ok(())
}

fn ipv4_mask_len(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    if bits.leading_ones() + bits.trailing_zeros() == 32 {
        return Some(bits.leading_ones() as u8);
    }
    // a host mask (0.0.0.255) is accepted too
    let inv = !bits;
    (inv.leading_ones() + inv.trailing_zeros() == 32).then_some(inv.leading_ones() as u8)
}

/// Checks one client entry (`10.0.0.0/8`, `!10.0.0.1`, `::1`, `10.0.0.0/255.0.0.0`).
pub fn check_client_entry(entry: &str) -> Result<(), String> {
    let bad = || format!("invalid client definition '{entry}' (expected an IP address or network)");
    let e = entry.strip_prefix(['!', '-']).unwrap_or(entry);
    let (addr, prefix) = match e.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (e, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match prefix {
        None => Ok(()),
        Some(p) => {
            if let Some(n) = py_int(p) {
                return if (0..=max).contains(&n) {
                    Ok(())
                } else {
                    Err(bad())
                };
            }
            match (ip, p.parse::<Ipv4Addr>()) {
                (IpAddr::V4(_), Ok(mask)) if ipv4_mask_len(mask).is_some() => Ok(()),
                _ => Err(bad()),
            }
        }
    }
}

/// Checks a comma-separated client list (empty entries are ignored, as privacyIDEA does).
pub fn check_client(client: &str) -> Result<(), String> {
    for part in client.split(',') {
        let p = part.trim();
        if !p.is_empty() {
            check_client_entry(p)?;
        }
    }
    Ok(())
}

/// True for an action key privacyIDEA could know: an optional `!`/`-` negation, then letters,
/// digits, `_`, `.`, `-` (every 3.14 action name has this form) or the wildcard `*`.
pub fn valid_action_key(key: &str) -> bool {
    let k = key.strip_prefix(['!', '-']).unwrap_or(key);
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '*'))
}

/// Checks the syntax of an action string: comma-separated `key` or `key=value` entries, commas
/// inside values escaped as `\,`.
pub fn check_action_string(action: &str) -> Result<(), String> {
    if action.trim().is_empty() {
        return Ok(());
    }
    for part in split_actions(action) {
        let entry = part.trim();
        let key = entry.split_once('=').map(|(k, _)| k).unwrap_or(entry);
        if entry.is_empty() {
            return Err(format!(
                "invalid action '{action}': an empty entry between commas (escape a comma inside a value as '\\,')"
            ));
        }
        if !valid_action_key(key) {
            return Err(format!(
                "invalid action '{entry}': '{key}' is not an action name (letters, digits, '_', '.', '-', optionally negated with '!')"
            ));
        }
    }
    Ok(())
}

/// Checks one entry of an action dict and returns its `key` / `key=value` form.
pub fn action_entry(key: &str, value: Option<&str>) -> Result<String, String> {
    if !valid_action_key(key) {
        return Err(format!(
            "invalid action '{key}': not an action name (letters, digits, '_', '.', '-', optionally negated with '!')"
        ));
    }
    match value {
        None => Ok(key.to_string()),
        Some(v) => {
            let mut prev = None;
            for c in v.chars() {
                if c == ',' && prev != Some('\\') {
                    return Err(format!(
                        "the value of action '{key}' contains an unescaped comma: '{v}' (write it as '\\,')"
                    ));
                }
                prev = Some(c);
            }
            Ok(format!("{key}={v}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert!(check_time("Mon-Fri: 08:00-18:00").is_ok());
        assert!(check_time("mon: 8-9, Sat-Sun: 10:30-11").is_ok());
        assert!(check_time("Mon-Fri: 18:00-08:00").is_err());
        assert!(check_time("Mon-Fri 08:00-18:00").is_err());
        assert!(check_time("Xyz: 8-9").is_err());
        assert!(check_time("Mon: 8-24").is_err());
        assert!(check_time("Mon: 8-9,").is_err());
    }

    #[test]
    fn clients() {
        for ok in [
            "10.0.0.0/8",
            "!10.0.0.1",
            "-::1",
            "fe80::/10",
            "10.0.0.0/255.0.0.0",
            "1.2.3.4/0.0.0.255",
            "10.0.0.0/08",
        ] {
            assert!(check_client_entry(ok).is_ok(), "{ok}");
        }
        for bad in [
            "10.1",
            "10",
            "10.0.0.0/33",
            "abc",
            "*",
            "010.0.0.1",
            "1.2.3.4/255.0.255.0",
        ] {
            assert!(check_client_entry(bad).is_err(), "{bad}");
        }
        assert!(check_client("10.0.0.0/8, !10.0.0.1,").is_ok());
    }

    #[test]
    fn actions() {
        assert!(check_action_string("enrollHOTP, otppin=userstore, msg=a\\, b").is_ok());
        assert!(check_action_string("").is_ok());
        assert!(check_action_string("a,,b").is_err());
        assert!(check_action_string("otppin =userstore").is_err());
        assert!(check_action_string("!enrollHOTP, *").is_ok());
        assert_eq!(
            action_entry("k", Some("a\\,b")).ok().as_deref(),
            Some("k=a\\,b")
        );
        assert!(action_entry("k", Some("a,b")).is_err());
        assert!(action_entry("k=x", None).is_err());
    }
}
