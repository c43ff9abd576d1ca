//! Reading the audit table: counts, time limits, the id stride and the public key.

use crate::sign::Verifier;
use mfactl_plugin_api::{DbTarget, Dialect, Error, Host, Result, Timestamp, Value};

/// The audit database.
pub const DB: DbTarget = DbTarget::Audit;
/// The audit table.
pub const TABLE: &str = "pidea_audit";

/// One integer from a query (`COUNT`, `MAX`); `None` for NULL or no row.
pub fn scalar_i64(host: &Host, sql: &str, params: Vec<Value>) -> Result<Option<i64>> {
    let rows = host.query(DB, sql, params)?;
    Ok(rows.scalar().and_then(Value::as_i64))
}

/// pi-manage's `parse_timedelta`: `[+-]N` followed by s, m, h, d or y (365 days), as micros.
pub fn parse_timelimit(text: &str) -> Result<i64> {
    let bad = || {
        Error::usage(format!(
            "Could not parse timelimit ({text}): Unsupported timedelta '{text}'"
        ))
        .with_hint("use a number followed by s, m, h, d or y, e.g. 5d or 3h")
    };
    let t = text.trim();
    let (neg, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r.trim_start()),
        None => (false, t.strip_prefix('+').unwrap_or(t).trim_start()),
    };
    let unit = rest.chars().last().ok_or_else(bad)?;
    let num = rest[..rest.len() - unit.len_utf8()].trim_end();
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: i64 = num.parse().map_err(|_| bad())?;
    let secs: i64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'y' => 365 * 86_400,
        _ => return Err(bad()),
    };
    let micros = n
        .checked_mul(secs)
        .and_then(|v| v.checked_mul(1_000_000))
        .ok_or_else(bad)?;
    Ok(if neg { -micros } else { micros })
}

/// The cutoff for `-t`: local now minus the limit.
pub fn timelimit_cutoff(text: Option<&str>) -> Result<Option<Timestamp>> {
    match text {
        None => Ok(None),
        Some(t) => {
            let d = parse_timelimit(t)?;
            Ok(Some(Timestamp {
                micros: Timestamp::now_local().micros.saturating_sub(d),
            }))
        }
    }
}

/// The id stride: MySQL/MariaDB `auto_increment_increment`, else 1.
pub fn id_stride(host: &Host, dialect: Dialect) -> Result<i64> {
    if dialect == Dialect::Mysql {
        let v = scalar_i64(host, "SELECT @@auto_increment_increment", vec![])?;
        return Ok(v.unwrap_or(1).max(1));
    }
    Ok(1)
}

/// The verifier for `PI_AUDIT_KEY_PUBLIC`; `None` with `PI_AUDIT_NO_SIGN` and no key set.
pub fn verifier(host: &Host) -> Result<Option<Verifier>> {
    let check_old = host
        .config("PI_CHECK_OLD_SIGNATURES")
        .is_some_and(|v| v.is_truthy());
    let no_sign = host
        .config("PI_AUDIT_NO_SIGN")
        .is_some_and(|v| v.is_truthy());
    let Some(path) = host.config_str("PI_AUDIT_KEY_PUBLIC") else {
        if no_sign {
            return Ok(None);
        }
        return Err(Error::config("PI_AUDIT_KEY_PUBLIC is not set")
            .with_hint("set it to the audit public key file (pi-manage setup create_audit_keys)"));
    };
    let pem = match std::fs::read_to_string(&path) {
        Ok(p) => p,
        Err(e) if no_sign => {
            host.warn(&format!(
                "cannot read {path} ({e}); signatures are not checked"
            ));
            return Ok(None);
        }
        Err(e) => {
            return Err(
                Error::config(format!("cannot read the audit public key {path}"))
                    .with_cause(e)
                    .with_hint("check PI_AUDIT_KEY_PUBLIC"),
            )
        }
    };
    Verifier::from_pem(&pem, check_old)
        .map(Some)
        .map_err(|e| Error::config(format!("cannot use the audit public key {path}")).with_cause(e))
}

/// Checks every item of `items` with `f` on two threads (both cores); results in order.
pub fn par_map<T: Sync, R: Send + Default + Clone>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    if items.len() < 64 || threads == 1 {
        return items.iter().map(&f).collect();
    }
    let mut out = vec![R::default(); items.len()];
    let per = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        for (chunk_in, chunk_out) in items.chunks(per).zip(out.chunks_mut(per)) {
            let f = &f;
            s.spawn(move || {
                for (i, o) in chunk_in.iter().zip(chunk_out.iter_mut()) {
                    *o = f(i);
                }
            });
        }
    });
    out
}

/// Reads pages with `fetch` on the calling thread while the previous page is processed by
/// `process` on another thread (which may use more threads itself); `consume` gets each result
/// in page order on the calling thread. Memory: two pages.
pub fn pipeline<R: Send>(
    mut fetch: impl FnMut() -> Result<Option<mfactl_plugin_api::Rows>>,
    process: impl Fn(&mfactl_plugin_api::Rows) -> R + Sync,
    mut consume: impl FnMut(R, &mfactl_plugin_api::Rows) -> Result<()>,
) -> Result<()> {
    std::thread::scope(|s| {
        let process = &process;
        let mut pending: Option<std::thread::ScopedJoinHandle<'_, (R, mfactl_plugin_api::Rows)>> =
            None;
        loop {
            let next = fetch();
            if let Some(h) = pending.take() {
                let (r, rows) = h
                    .join()
                    .map_err(|_| Error::internal("a worker thread panicked"))?;
                consume(r, &rows)?;
            }
            match next? {
                None => return Ok(()),
                Some(rows) => {
                    pending = Some(s.spawn(move || (process(&rows), rows)));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timelimits_like_pi_manage() {
        assert_eq!(parse_timelimit("5d").ok(), Some(5 * 86_400_000_000));
        assert_eq!(parse_timelimit(" 3h ").ok(), Some(3 * 3_600_000_000));
        assert_eq!(parse_timelimit("1y").ok(), Some(365 * 86_400_000_000));
        assert_eq!(parse_timelimit("-2m").ok(), Some(-120_000_000));
        let e = parse_timelimit("5D").expect_err("upper case");
        assert_eq!(
            e.message,
            "Could not parse timelimit (5D): Unsupported timedelta '5D'"
        );
        assert!(parse_timelimit("d").is_err());
        assert!(parse_timelimit("").is_err());
        assert!(parse_timelimit("1.5h").is_err());
    }

    #[test]
    fn par_map_keeps_order() {
        let v: Vec<u32> = (0..1000).collect();
        let r = par_map(&v, |x| x * 2);
        assert_eq!(r[999], 1998);
        assert_eq!(r.len(), 1000);
    }
}
