//! `mfactl audit rotate` (pi-manage `audit rotate` / `rotate_audit`).

use crate::columns::{py_str, select_expr};
use crate::rules::{self, Decision};
use crate::source::{scalar_i64, DB, TABLE};
use clap::Args;
use mfactl_chunked_delete::delete_matching;
use mfactl_plugin_api::args::{ChunkArg, DryRunArg, FormatArg, OutputFormat};
use mfactl_plugin_api::{Error, ErrorKind, Host, Result, ResultExt, Timestamp, Value};
use std::path::PathBuf;
use std::time::Instant;

/// The advisory lock a rotation holds.
pub const LOCK_NAME: &str = "audit-rotate";

/// Rows read per page in config mode.
const PAGE: u64 = 5_000;
/// Ids deleted per statement in config mode when no --chunksize is given.
const DEFAULT_DELETE_CHUNK: u64 = 20_000;
/// SQLite page cache (KiB) for the deletes of the rule mode (bounded memory matters there).
const CONFIG_DELETE_CACHE_KIB: u32 = 4_096;

/// The long help of the verb.
pub const LONG_ABOUT: &str =
    "Clean up the SQL audit log (PI_AUDIT_SQL_URI, else the main database).\n\n\
    Modes, in this order of precedence:\n  \
    --config FILE  a YAML list of rules, e.g. `- rotate: 30` + `action: ^GET /token`: an entry \
    is deleted when the first rule whose regular expressions (Python syntax, re.search on \
    str(column)) all match it is older than `rotate` days. A rule with only `rotate` never \
    matches; the first matching rule decides even when the entry is too young.\n  \
    --age DAYS     delete entries whose date is older than DAYS days (local time).\n  \
    watermarks     with more than --highwatermark entries, delete all but the --lowwatermark \
    newest.\n\n\
    pi-manage spellings -hw, -lw and --dryrun are accepted. Differences from pi-manage: dry runs \
    count the audit database (not the main one); the rule file is streamed in id order and \
    deleted in committed chunks (memory does not grow with the table); bad YAML, unknown columns \
    and regular expressions mfactl cannot evaluate are errors before anything is deleted; a \
    second concurrent rotate waits (--wait) or is refused by the lock 'audit-rotate'.";

/// Arguments of `audit rotate`.
#[derive(Args, Debug)]
pub struct RotateArgs {
    /// If there are more entries than this, old entries are deleted (pi-manage: -hw)
    #[arg(
        long = "highwatermark",
        default_value_t = 10000,
        allow_negative_numbers = true
    )]
    pub highwatermark: i64,
    /// Keep this many newest entries (pi-manage: -lw)
    #[arg(long = "lowwatermark", default_value_t = 5000,
          value_parser = clap::value_parser!(i64).range(0..))]
    pub lowwatermark: i64,
    /// Delete entries older than this many days (0: not used)
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
    pub age: i64,
    /// Clean up with the rules of this YAML file
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub dry_run: DryRunArg,
    #[command(flatten)]
    pub chunk: ChunkArg,
    /// Print how every entry is matched against the rules (with --config)
    #[arg(long)]
    pub debug: bool,
    #[command(flatten)]
    pub format: FormatArg,
    /// Wait up to SECONDS for a concurrent rotation instead of failing at once
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub wait: u64,
}

struct Out<'a> {
    host: &'a Host,
    text: bool,
}

impl Out<'_> {
    fn line(&self, s: &str) {
        if self.text {
            self.host.outln(s);
        }
    }
}

/// Runs `audit rotate`.
pub fn run(host: &Host, args: &RotateArgs) -> Result<i32> {
    let started = Instant::now();
    let format = args.format.get(host);
    let out = Out {
        host,
        text: format == OutputFormat::Text,
    };
    let dry_run = args.dry_run.get(host);
    if let Some(module) = host.config_str("PI_AUDIT_MODULE") {
        if module != "privacyidea.lib.auditmodules.sqlaudit" {
            host.warn(&format!(
                "We only rotate SQL audit module. You are using {module}"
            ));
        }
    }
    // Parse the rule file before touching the database.
    let rules = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(ErrorKind::Usage, || {
                format!("cannot read the rule file {}", path.display())
            })?;
            Some(rules::parse(&text).map_err(|e| {
                Error::usage(format!("{}: {e}", path.display()))
                    .with_hint("nothing was deleted; fix the rule file and run again")
            })?)
        }
        None => None,
    };
    if !dry_run {
        host.lock(DB, LOCK_NAME, args.wait.saturating_mul(1000))?;
    }
    let result = match rules {
        Some(rs) if dry_run => config_mode(host, &out, args, &rs, dry_run),
        Some(rs) => mfactl_chunked_delete::with_reused_journal(host, DB, || {
            config_mode(host, &out, args, &rs, dry_run)
        }),
        None if args.age != 0 => age_mode(host, &out, args, dry_run),
        None => watermark_mode(host, &out, args, dry_run),
    };
    if !dry_run {
        let _ = host.unlock(DB, LOCK_NAME);
    }
    let mut doc = result?;
    let elapsed = started.elapsed().as_secs_f64();
    let deleted = doc["deleted"].as_u64().unwrap_or(0);
    let matched = doc["matched"].as_u64().unwrap_or(0);
    match format {
        OutputFormat::Json => {
            doc["dry_run"] = dry_run.into();
            doc["duration_seconds"] = ((elapsed * 1000.0).round() / 1000.0).into();
            host.outln(&doc.to_string());
        }
        OutputFormat::Text => {
            if dry_run {
                host.info(&format!(
                    "audit rotate ({}): would delete {matched} entries; checked in {elapsed:.2} s",
                    doc["mode"].as_str().unwrap_or("")
                ));
            } else {
                host.info(&format!(
                    "audit rotate ({}): {deleted} entries deleted in {elapsed:.2} s",
                    doc["mode"].as_str().unwrap_or("")
                ));
            }
        }
    }
    Ok(0)
}

fn count_where(host: &Host, filter: &str, params: Vec<Value>) -> Result<u64> {
    Ok(scalar_i64(
        host,
        &format!("SELECT COUNT(*) FROM {TABLE} WHERE {filter}"),
        params,
    )?
    .unwrap_or(0)
    .max(0) as u64)
}

/// Deletes (or counts, in a dry run) the rows matching `filter`; prints pi-manage's line.
fn delete_or_count(
    host: &Host,
    out: &Out,
    filter: &str,
    params: Vec<Value>,
    chunk: Option<u64>,
    dry_run: bool,
) -> Result<u64> {
    if dry_run {
        let n = count_where(host, filter, params)?;
        out.line(&format!("Would delete {n} entries."));
        return Ok(n);
    }
    let progress = match chunk {
        Some(_) => {
            let total = count_where(host, filter, params.clone())?;
            Some(host.progress("deleting audit entries", total))
        }
        None => None,
    };
    let n = delete_matching(host, DB, TABLE, filter, &params, chunk, |n| {
        if let Some(p) = &progress {
            p.advance(n);
        }
    })?;
    drop(progress);
    out.line(&format!("{n} entries deleted."));
    Ok(n)
}

fn watermark_mode(
    host: &Host,
    out: &Out,
    args: &RotateArgs,
    dry_run: bool,
) -> Result<serde_json::Value> {
    let (hw, lw) = (args.highwatermark, args.lowwatermark);
    out.line(&format!("Cleaning up with high: {hw}, low: {lw}."));
    let dialect = host.dialect(DB)?;
    let count = scalar_i64(host, &format!("SELECT COUNT(id) FROM {TABLE}"), vec![])?.unwrap_or(0);
    let last_id = scalar_i64(host, &format!("SELECT MAX(id) FROM {TABLE}"), vec![])?.unwrap_or(0);
    out.line(&format!(
        "The log audit log has {count} entries, the last one is {last_id}"
    ));
    let mut doc = serde_json::json!({
        "mode": "watermark", "highwatermark": hw, "lowwatermark": lw,
        "count": count, "last_id": last_id, "cut_id": null, "matched": 0, "deleted": 0,
    });
    if count > hw {
        out.line(&format!("More than {hw} entries, deleting..."));
        let cut_id = if lw == 0 {
            last_id + 1
        } else {
            scalar_i64(
                host,
                &format!(
                    "SELECT id FROM {TABLE} ORDER BY id DESC LIMIT 1 OFFSET {}",
                    lw - 1
                ),
                vec![],
            )?
            .unwrap_or(0)
        };
        out.line(&format!("Deleting entries smaller than {cut_id}"));
        let filter = format!("id < {}", dialect.placeholder(1));
        let n = delete_or_count(
            host,
            out,
            &filter,
            vec![Value::Int(cut_id)],
            args.chunk.chunksize,
            dry_run,
        )?;
        doc["cut_id"] = cut_id.into();
        doc["matched"] = n.into();
        doc["deleted"] = if dry_run { 0 } else { n }.into();
    }
    Ok(doc)
}

fn age_mode(host: &Host, out: &Out, args: &RotateArgs, dry_run: bool) -> Result<serde_json::Value> {
    out.line(&format!("Cleaning up with age: {}.", args.age));
    let dialect = host.dialect(DB)?;
    let now = Timestamp::now_local();
    let cutoff = Timestamp {
        micros: now
            .micros
            .saturating_sub(args.age.saturating_mul(86_400_000_000)),
    };
    out.line(&format!(
        "Deleting entries older than {}",
        cutoff.to_python_str()
    ));
    let filter = format!("date < {}", dialect.placeholder(1));
    let n = delete_or_count(
        host,
        out,
        &filter,
        vec![Value::Timestamp(cutoff)],
        args.chunk.chunksize,
        dry_run,
    )?;
    Ok(serde_json::json!({
        "mode": "age", "age_days": args.age, "cutoff": cutoff.to_sqlite_text(),
        "matched": n, "deleted": if dry_run { 0 } else { n },
    }))
}

/// Most ids bound to one DELETE (below every engine's parameter limit).
const MAX_IDS_PER_STATEMENT: usize = 20_000;

/// Deletes `ids` in statements of a fixed number of bound ids (the last one repeated to fill
/// the list), so every statement is the same prepared statement.
fn flush(host: &Host, ids: &mut Vec<i64>, chunk: usize) -> Result<u64> {
    let dialect = host.dialect(DB)?;
    let per = chunk.clamp(1, MAX_IDS_PER_STATEMENT);
    let sql = format!(
        "DELETE FROM {TABLE} WHERE id IN ({})",
        dialect.placeholders(1, per)
    );
    let mut n = 0;
    for group in ids.chunks(per) {
        let mut params: Vec<Value> = group.iter().map(|i| Value::Int(*i)).collect();
        let pad = group.last().copied().unwrap_or(0);
        params.resize(per, Value::Int(pad));
        n += mfactl_chunked_delete::execute_delete_cached(
            host,
            DB,
            &sql,
            params,
            CONFIG_DELETE_CACHE_KIB,
        )?;
    }
    ids.clear();
    Ok(n)
}

fn config_mode(
    host: &Host,
    out: &Out,
    args: &RotateArgs,
    rs: &rules::RuleSet,
    dry_run: bool,
) -> Result<serde_json::Value> {
    out.line("Cleaning up with config file.");
    let dialect = host.dialect(DB)?;
    let now = Timestamp::now_local();
    let cutoffs = rs.cutoffs(now);
    let mut select = vec!["id".to_string(), "date".to_string()];
    for (i, (name, _)) in rs.columns.iter().enumerate() {
        select.push(
            select_expr(dialect, name)
                .replace(&format!("AS {}", dialect.quote(name)), &format!("AS c{i}")),
        );
    }
    let sql = format!(
        "SELECT {} FROM {TABLE} WHERE id > {} ORDER BY id LIMIT {}",
        select.join(", "),
        dialect.placeholder(1),
        args.chunk.chunksize.unwrap_or(PAGE).clamp(100, 50_000)
    );
    let page = args.chunk.chunksize.unwrap_or(PAGE).clamp(100, 50_000) as usize;
    let chunk = args.chunk.chunksize.unwrap_or(DEFAULT_DELETE_CHUNK) as usize;
    let total = scalar_i64(host, &format!("SELECT COUNT(*) FROM {TABLE}"), vec![])?.unwrap_or(0);
    let progress = host.progress("checking audit entries", total.max(0) as u64);
    let mut counts = vec![0u64; rs.rules.len()];
    let mut pending: Vec<i64> = Vec::new();
    let mut examined = 0u64;
    let mut deleted = 0u64;
    let mut last = i64::MIN;
    let debug = args.debug && out.text;
    let mut values: Vec<String> = vec![String::new(); rs.columns.len()];
    loop {
        let rows = host.query(DB, &sql, vec![Value::Int(last)])?;
        let n = rows.rows.len();
        for row in rows.rows.iter() {
            let id = row
                .first()
                .and_then(Value::as_i64)
                .ok_or_else(|| Error::internal("an audit entry without an integer id"))?;
            let date = row
                .get(1)
                .and_then(crate::fasttime::micros)
                .map(|micros| Timestamp { micros });
            for (i, (_, kind)) in rs.columns.iter().enumerate() {
                values[i] = py_str(*kind, row.get(i + 2).unwrap_or(&Value::Null));
            }
            let decision = if debug {
                let mut sink = |l: String| host.outln(&l);
                rs.decide(id, date, &values, &cutoffs, Some(&mut sink))
            } else {
                rs.decide(id, date, &values, &cutoffs, None)
            }
            .map_err(|e| {
                Error::failed(e).with_hint(format!(
                    "entries before id {id} may already have been deleted"
                ))
            })?;
            if let Decision::Delete(ri) = decision {
                counts[ri] += 1;
                pending.push(id);
            }
            last = id;
        }
        examined += n as u64;
        progress.advance(n as u64);
        if !dry_run && pending.len() >= chunk {
            deleted += flush(host, &mut pending, chunk)?;
        }
        if dry_run {
            pending.clear();
        }
        if n < page {
            break;
        }
    }
    if !dry_run && !pending.is_empty() {
        deleted += flush(host, &mut pending, chunk)?;
    }
    drop(progress);
    let matched: u64 = counts.iter().sum();
    for (rule, k) in rs.rules.iter().zip(&counts) {
        out.line(&format!("Rule {} matched {k} times.", rule.repr));
    }
    if dry_run {
        out.line(&format!(
            "If you only would let me I would clean up {matched} entries!"
        ));
    } else {
        out.line(&format!("Cleaning up {matched} entries."));
    }
    let rules_doc: Vec<serde_json::Value> = rs
        .rules
        .iter()
        .zip(&counts)
        .map(|(r, k)| serde_json::json!({"rule": r.repr, "matched": k}))
        .collect();
    Ok(serde_json::json!({
        "mode": "config", "examined": examined, "rules": rules_doc,
        "matched": matched, "deleted": if dry_run { 0 } else { deleted },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_size_is_bounded() {
        assert_eq!(50_000usize.clamp(1, MAX_IDS_PER_STATEMENT), 20_000);
    }
}
