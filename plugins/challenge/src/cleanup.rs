//! `mfactl challenge cleanup`: delete expired challenges, or those older than `--age` minutes.

use clap::Args;
use mfactl_chunked_delete::delete_matching;
use mfactl_plugin_api::args::{ChunkArg, DryRunArg, FormatArg, OutputFormat};
use mfactl_plugin_api::{DbTarget, Error, Host, Result, Timestamp, Value};
use std::time::Instant;

/// The name of the advisory lock a cleanup holds while it deletes.
pub const LOCK_NAME: &str = "challenge-cleanup";

/// The long help of the verb.
pub const LONG_ABOUT: &str =
    "Delete expired challenges (expiration before now, UTC) from the database, or \
        with --age the challenges created more than that many minutes ago.\n\n\
        Redis-cached challenges expire through their TTL and are not affected.\n\n\
        Differences from pi-manage: --age 0 is refused (pi-manage deletes every live challenge \
        with it); --chunksize 0 is a usage error; chunked deletes also work with mariadb:// URIs; \
        a second concurrent cleanup waits for (--wait) or is refused by the lock \
        'challenge-cleanup'.";

/// Arguments of `challenge cleanup`.
#[derive(Args, Debug)]
pub struct CleanupArgs {
    /// Delete challenges created more than MINUTES minutes ago instead of the expired ones
    #[arg(long, value_name = "MINUTES", allow_negative_numbers = true)]
    pub age: Option<i64>,
    #[command(flatten)]
    pub chunk: ChunkArg,
    #[command(flatten)]
    pub dry_run: DryRunArg,
    #[command(flatten)]
    pub format: FormatArg,
    /// Wait up to SECONDS for a concurrent cleanup to finish instead of failing at once
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub wait: u64,
}

/// Which challenges are deleted.
#[derive(Debug, Clone, PartialEq)]
pub enum Criterion {
    /// `expiration < now` (naive UTC).
    Expired { now: Timestamp },
    /// `timestamp < now - age minutes` (naive UTC).
    OlderThan { minutes: i64, cutoff: Timestamp },
}

impl Criterion {
    /// Builds the criterion; `--age` must be at least 1.
    pub fn new(age: Option<i64>, now: Timestamp) -> Result<Self> {
        match age {
            None => Ok(Criterion::Expired { now }),
            Some(m) if m >= 1 => Ok(Criterion::OlderThan {
                minutes: m,
                cutoff: Timestamp {
                    micros: now.micros - m * 60_000_000,
                },
            }),
            Some(m) => Err(Error::usage(format!(
                "--age {m} would delete challenges that are still valid"
            ))
            .with_hint(
                "give --age in minutes (1 or more), or leave it out to delete only expired challenges \
                 (pi-manage deletes every challenge with --age 0)",
            )),
        }
    }

    /// The column compared and the cutoff.
    pub fn column_and_cutoff(&self) -> (&'static str, Timestamp) {
        match self {
            Criterion::Expired { now } => ("expiration", *now),
            Criterion::OlderThan { cutoff, .. } => ("timestamp", *cutoff),
        }
    }

    /// pi-manage's header line.
    pub fn header(&self) -> String {
        match self {
            Criterion::Expired { .. } => "Deleting expired challenges.".to_string(),
            Criterion::OlderThan { cutoff, .. } => {
                format!("Deleting challenges older than {}", cutoff.to_python_str())
            }
        }
    }
}

/// Runs the cleanup.
pub fn run(host: &Host, args: &CleanupArgs) -> Result<i32> {
    let started = Instant::now();
    let criterion = Criterion::new(args.age, Timestamp::now_utc())?;
    let dry_run = args.dry_run.get(host);
    let format = args.format.get(host);
    let db = DbTarget::Main;
    let dialect = host.dialect(db)?;
    let (column, cutoff) = criterion.column_and_cutoff();
    let filter = format!("{} < {}", dialect.quote(column), dialect.placeholder(1));
    let params = vec![Value::Timestamp(cutoff)];

    if format == OutputFormat::Text {
        host.outln(&criterion.header());
    }

    let count;
    let mut chunks = 0u64;
    if dry_run {
        let rows = host.query(
            db,
            &format!("SELECT COUNT(*) FROM challenge WHERE {filter}"),
            params.clone(),
        )?;
        count = rows.scalar().and_then(Value::as_i64).unwrap_or(0).max(0) as u64;
        if format == OutputFormat::Text {
            host.outln(&format!("Would delete {count} challenge entries."));
        }
    } else {
        host.lock(db, LOCK_NAME, args.wait.saturating_mul(1000))?;
        let result = (|| {
            let progress = if args.chunk.chunksize.is_some() {
                let rows = host.query(
                    db,
                    &format!("SELECT COUNT(*) FROM challenge WHERE {filter}"),
                    params.clone(),
                )?;
                let total = rows.scalar().and_then(Value::as_i64).unwrap_or(0).max(0) as u64;
                Some(host.progress("deleting challenges", total))
            } else {
                None
            };
            delete_matching(
                host,
                db,
                "challenge",
                &filter,
                &params,
                args.chunk.chunksize,
                |n| {
                    chunks += 1;
                    if let Some(p) = &progress {
                        p.advance(n);
                    }
                },
            )
        })();
        let _ = host.unlock(db, LOCK_NAME);
        count = result?;
        if format == OutputFormat::Text {
            host.outln(&format!("{count} entries deleted."));
        }
    }

    let elapsed = started.elapsed().as_secs_f64();
    match format {
        OutputFormat::Json => {
            let (crit, age) = match &criterion {
                Criterion::Expired { .. } => ("expired", serde_json::Value::Null),
                Criterion::OlderThan { minutes, .. } => ("age", (*minutes).into()),
            };
            let doc = serde_json::json!({
                "criterion": crit,
                "age_minutes": age,
                "cutoff": cutoff.to_sqlite_text(),
                "dry_run": dry_run,
                "matched": count,
                "deleted": if dry_run { 0 } else { count },
                "chunksize": args.chunk.chunksize,
                "chunks": chunks,
                "duration_seconds": (elapsed * 1000.0).round() / 1000.0,
            });
            host.outln(&doc.to_string());
        }
        OutputFormat::Text => {
            host.debug(&format!("challenge cleanup took {elapsed:.3} s"));
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_zero_and_negative_are_refused() {
        let now = Timestamp::parse("2026-01-02 03:04:05").expect("ts");
        assert!(Criterion::new(Some(0), now).is_err());
        assert!(Criterion::new(Some(-5), now).is_err());
    }

    #[test]
    fn headers_match_pi_manage() {
        let now = Timestamp::parse("2026-01-02 03:04:05.5").expect("ts");
        let c = Criterion::new(None, now).expect("c");
        assert_eq!(c.header(), "Deleting expired challenges.");
        assert_eq!(c.column_and_cutoff().0, "expiration");
        let c = Criterion::new(Some(10), now).expect("c");
        assert_eq!(
            c.header(),
            "Deleting challenges older than 2026-01-02 02:54:05.500000"
        );
        assert_eq!(c.column_and_cutoff().0, "timestamp");
    }
}
