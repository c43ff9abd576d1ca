//! `mfactl audit verify`: check every entry's signature and look for missing ids.

use crate::columns::COLUMNS;
use crate::dump::{check_row, signed_positions};
use crate::source::{
    id_stride, par_map, pipeline, scalar_i64, timelimit_cutoff, verifier, DB, TABLE,
};
use clap::Args;
use mfactl_plugin_api::args::{FormatArg, OutputFormat};
use mfactl_plugin_api::{Error, Host, Result, Value};
use std::time::Instant;

/// The long help of the verb.
pub const LONG_ABOUT: &str = "Check the signature of every audit entry with PI_AUDIT_KEY_PUBLIC \
    (rsa_sha256_pss; old decimal signatures only with PI_CHECK_OLD_SIGNATURES) and report gaps \
    in the ids (missing entries; MySQL/MariaDB step by auto_increment_increment).\n\n\
    Prints a summary and the ids that fail. Exit status 1 when any signature fails (with \
    --strict also when entries are missing). Uses every core.";

/// Arguments of `audit verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Only entries of the last period, e.g. 5d or 3h (units s, m, h, d, y)
    #[arg(short = 't', long, value_name = "PERIOD")]
    pub timelimit: Option<String>,
    /// Missing entries (id gaps) fail the check too
    #[arg(long)]
    pub strict: bool,
    /// List at most this many failing ids and gaps
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_list: usize,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Runs `audit verify`.
pub fn run(host: &Host, args: &VerifyArgs) -> Result<i32> {
    let started = Instant::now();
    let format = args.format.get(host);
    let cutoff = timelimit_cutoff(args.timelimit.as_deref())?;
    let Some(verifier) = verifier(host)? else {
        return Err(
            Error::config("no audit public key: PI_AUDIT_KEY_PUBLIC cannot be read")
                .with_hint("set PI_AUDIT_KEY_PUBLIC to the audit public key file"),
        );
    };
    let dialect = host.dialect(DB)?;
    let stride = id_stride(host, dialect)?;
    let cols: Vec<String> = COLUMNS
        .iter()
        .map(|(n, _)| {
            let q = dialect.quote(n);
            format!("{q} AS {q}")
        })
        .collect();
    const PAGE: usize = 2000;
    let mut sql = format!(
        "SELECT {} FROM {TABLE} WHERE id > {}",
        cols.join(", "),
        dialect.placeholder(1)
    );
    if cutoff.is_some() {
        sql.push_str(&format!(" AND date >= {}", dialect.placeholder(2)));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT {PAGE}"));
    let total = match cutoff {
        Some(c) => scalar_i64(
            host,
            &format!(
                "SELECT COUNT(*) FROM {TABLE} WHERE date >= {}",
                dialect.placeholder(1)
            ),
            vec![Value::Timestamp(c)],
        )?,
        None => scalar_i64(host, &format!("SELECT COUNT(*) FROM {TABLE}"), vec![])?,
    }
    .unwrap_or(0);
    let progress = host.progress("verifying audit signatures", total.max(0) as u64);
    let signed = signed_positions();
    let mut checked = 0u64;
    let mut failed: Vec<i64> = Vec::new();
    let mut failed_count = 0u64;
    let mut gaps: Vec<(i64, i64)> = Vec::new();
    let mut gap_count = 0u64;
    let mut missing = 0u64;
    let mut prev: Option<i64> = None;
    let (mut first, mut last_seen) = (None, None);
    let mut last = i64::MIN;
    let mut done = false;
    let fetch = || {
        if done {
            return Ok(None);
        }
        let mut params = vec![Value::Int(last)];
        if let Some(c) = cutoff {
            params.push(Value::Timestamp(c));
        }
        let rows = host.query(DB, &sql, params)?;
        if rows.rows.len() < PAGE {
            done = true;
        }
        if let Some(id) = rows
            .rows
            .last()
            .and_then(|r| r.first())
            .and_then(Value::as_i64)
        {
            last = id;
        }
        Ok(if rows.rows.is_empty() {
            None
        } else {
            Some(rows)
        })
    };
    let process = |rows: &mfactl_plugin_api::Rows| {
        par_map(&rows.rows, |row| {
            check_row(Some(&verifier), row, &signed).unwrap_or(false)
        })
    };
    pipeline(fetch, process, |oks, rows| {
        for (row, ok) in rows.rows.iter().zip(oks) {
            let id = row.first().and_then(Value::as_i64).unwrap_or(0);
            if !ok {
                failed_count += 1;
                if failed.len() < args.max_list {
                    failed.push(id);
                }
            }
            if let Some(p) = prev {
                if id - p > stride {
                    gap_count += 1;
                    missing += ((id - p) / stride - 1).max(0) as u64;
                    if gaps.len() < args.max_list {
                        gaps.push((p + stride, id - stride));
                    }
                }
            }
            first.get_or_insert(id);
            last_seen = Some(id);
            prev = Some(id);
        }
        checked += rows.rows.len() as u64;
        progress.advance(rows.rows.len() as u64);
        Ok(())
    })?;
    drop(progress);
    let elapsed = started.elapsed().as_secs_f64();
    let ok = checked - failed_count;
    match format {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "checked": checked,
                "first_id": first,
                "last_id": last_seen,
                "signatures_ok": ok,
                "signatures_failed": failed_count,
                "failed_ids": failed,
                "missing_entries": missing,
                "gaps": gaps.iter().map(|(a, b)| serde_json::json!([a, b])).collect::<Vec<_>>(),
                "duration_seconds": (elapsed * 1000.0).round() / 1000.0,
            });
            host.outln(&doc.to_string());
        }
        OutputFormat::Text => {
            let range = match (first, last_seen) {
                (Some(a), Some(b)) => format!(" (ids {a} to {b})"),
                _ => String::new(),
            };
            host.outln(&format!("{checked} entries checked{range}"));
            host.outln(&format!("{ok} signatures OK, {failed_count} FAIL"));
            host.outln(&format!("{missing} entries missing in {gap_count} gaps"));
            for id in &failed {
                host.outln(&format!("FAIL {id}"));
            }
            if failed_count as usize > failed.len() {
                host.outln(&format!(
                    "... and {} more",
                    failed_count as usize - failed.len()
                ));
            }
            for (a, b) in &gaps {
                if a == b {
                    host.outln(&format!("missing {a}"));
                } else {
                    host.outln(&format!("missing {a}-{b}"));
                }
            }
            host.info(&format!("checked in {elapsed:.2} s"));
        }
    }
    if failed_count > 0 {
        return Err(Error::failed(format!(
            "{failed_count} of {checked} audit entries failed the signature check"
        )));
    }
    if args.strict && missing > 0 {
        return Err(Error::failed(format!(
            "{missing} audit entries are missing"
        )));
    }
    Ok(0)
}
