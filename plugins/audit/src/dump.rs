//! `mfactl audit dump`: stream the audit log ordered by date as CSV (RFC 4180), JSON lines or
//! pi-manage's CSV layout, with `sig_check` and `missing_line`.

use crate::columns::{duration_micros, COLUMNS};
use crate::pystr::float_repr;
use crate::sign::{signed_text, Verifier, SIGNED_COLUMNS};
use crate::source::{
    id_stride, par_map, pipeline, scalar_i64, timelimit_cutoff, verifier, DB, TABLE,
};
use clap::{Args, ValueEnum};
use mfactl_plugin_api::{Dialect, Error, ErrorKind, Host, Result, ResultExt, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Output layouts of `audit dump`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DumpFormat {
    /// RFC 4180 CSV with a header line (CRLF line ends)
    #[default]
    Csv,
    /// One JSON object per line
    Jsonl,
    /// pi-manage 3.14's layout: no header, minimal quoting, LF line ends
    PiCsv,
}

/// The long help of the verb.
pub const LONG_ABOUT: &str = "Write the audit log, ordered by date, to stdout or a file.\n\n\
    Every entry carries sig_check (OK/FAIL: its signature checked with PI_AUDIT_KEY_PUBLIC) and \
    missing_line (OK when the entries id-1 and id+1 exist; MySQL/MariaDB use \
    auto_increment_increment as the step). The table is streamed: memory does not grow with it.\n\n\
    Differences from pi-manage: the default CSV has a header and RFC 4180 quoting; \
    --format pi-csv writes pi-manage 3.14's layout; a file is written under a temporary name and \
    renamed when complete (mode 0600).";

/// Arguments of `audit dump`.
#[derive(Args, Debug)]
pub struct DumpArgs {
    /// Only entries of the last period, e.g. 5d or 3h (units s, m, h, d, y)
    #[arg(short = 't', long, value_name = "PERIOD")]
    pub timelimit: Option<String>,
    /// Write to this file instead of stdout
    #[arg(short = 'f', long, value_name = "FILE")]
    pub filename: Option<PathBuf>,
    /// Output layout
    #[arg(long, value_enum, default_value_t = DumpFormat::Csv)]
    pub format: DumpFormat,
    /// Leave sig_check empty instead of checking every signature (several times faster; use
    /// `audit verify` for the check)
    #[arg(long)]
    pub no_sig_check: bool,
}

/// Field names of a dump line, in order (as privacyIDEA's audit search names them).
pub const FIELDS: &[&str] = &[
    "number",
    "date",
    "sig_check",
    "missing_line",
    "action",
    "authentication",
    "success",
    "serial",
    "token_type",
    "container_serial",
    "container_type",
    "user",
    "realm",
    "resolver",
    "administrator",
    "action_detail",
    "info",
    "privacyidea_server",
    "policies",
    "client",
    "user_agent",
    "user_agent_version",
    "log_level",
    "clearance_level",
    "startdate",
    "duration",
    "thread_id",
];

/// One value of a dump line.
#[derive(Debug, Clone)]
pub enum Field {
    /// A string (None written as `None` in CSV, `null` in JSON).
    Str(Option<String>),
    /// An integer (`number`, `success`).
    Int(Option<i64>),
    /// Seconds (`duration`).
    Float(Option<f64>),
}

impl Field {
    fn csv_text(&self) -> String {
        match self {
            Field::Str(Some(s)) => s.clone(),
            Field::Int(Some(i)) => i.to_string(),
            Field::Float(Some(f)) => float_repr(*f),
            _ => "None".into(),
        }
    }
    fn json(&self) -> serde_json::Value {
        match self {
            Field::Str(Some(s)) => s.clone().into(),
            Field::Int(Some(i)) => (*i).into(),
            Field::Float(Some(f)) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            _ => serde_json::Value::Null,
        }
    }
}

/// Quotes a field for CSV when it holds a comma, a quote or a line break.
pub fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Renders one line (with its line end) in `format`.
pub fn render(format: DumpFormat, fields: &[Field]) -> String {
    match format {
        DumpFormat::Jsonl => {
            let mut m = serde_json::Map::new();
            for (name, f) in FIELDS.iter().zip(fields) {
                m.insert((*name).to_string(), f.json());
            }
            let mut s = serde_json::Value::Object(m).to_string();
            s.push('\n');
            s
        }
        DumpFormat::Csv | DumpFormat::PiCsv => {
            let mut s = fields
                .iter()
                .map(|f| csv_quote(&f.csv_text()))
                .collect::<Vec<_>>()
                .join(",");
            s.push_str(if format == DumpFormat::Csv {
                "\r\n"
            } else {
                "\n"
            });
            s
        }
    }
}

/// The SELECT of every column plus `neighbours` (1 when id-stride and id+stride exist), with
/// `filter` and `order` (which may end in a LIMIT).
pub fn dump_sql(dialect: Dialect, stride: i64, filter: &str, order: &str) -> String {
    let cols: Vec<String> = COLUMNS
        .iter()
        .map(|(n, _)| {
            let q = dialect.quote(n);
            format!("a.{q} AS {q}")
        })
        .collect();
    format!(
        "SELECT {}, CASE WHEN p.id IS NULL OR n.id IS NULL THEN 0 ELSE 1 END AS neighbours \
         FROM {TABLE} a LEFT JOIN {TABLE} p ON p.id = a.id - {stride} \
         LEFT JOIN {TABLE} n ON n.id = a.id + {stride} WHERE {filter} ORDER BY {order}",
        cols.join(", ")
    )
}

/// Positions of [`SIGNED_COLUMNS`] within [`COLUMNS`].
pub fn signed_positions() -> Vec<usize> {
    SIGNED_COLUMNS
        .iter()
        .map(|c| COLUMNS.iter().position(|(n, _)| n == c).unwrap_or(0))
        .collect()
}

/// Checks one row (values in [`COLUMNS`] order): `Some(ok)`, or `None` without a key.
pub fn check_row(verifier: Option<&Verifier>, row: &[Value], signed: &[usize]) -> Option<bool> {
    let v = verifier?;
    let vals: Vec<Value> = signed.iter().map(|i| row[*i].clone()).collect();
    let text = signed_text(&vals);
    let sig = row[4].as_str().unwrap_or("");
    Some(v.verify(&text, sig))
}

fn text_field(v: &Value) -> Field {
    match v {
        Value::Null => Field::Str(None),
        other => Field::Str(Some(other.to_text())),
    }
}

/// The fields of one dump line.
pub fn fields_of(row: &[Value], sig_ok: Option<bool>, neighbours: bool) -> Vec<Field> {
    let col = |name: &str| {
        COLUMNS
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| &row[i])
            .unwrap_or(&Value::Null)
    };
    let date = |v: &Value| match v {
        Value::Null => Field::Str(None),
        other => Field::Str(Some(match crate::fasttime::micros(other) {
            Some(m) => {
                let mut s = String::with_capacity(26);
                crate::fasttime::push_datetime(&mut s, m, 'T');
                s
            }
            None => other.to_text(),
        })),
    };
    let mut f = Vec::with_capacity(FIELDS.len());
    for name in FIELDS {
        f.push(match *name {
            "number" => Field::Int(col("id").as_i64()),
            "date" | "startdate" => date(col(name)),
            "sig_check" => Field::Str(Some(
                match sig_ok {
                    Some(true) => "OK",
                    Some(false) => "FAIL",
                    None => "",
                }
                .to_string(),
            )),
            "missing_line" => Field::Str(Some(if neighbours { "OK" } else { "FAIL" }.into())),
            "success" => Field::Int(col("success").as_i64()),
            "duration" => Field::Float(duration_micros(col("duration")).map(|m| m as f64 / 1e6)),
            "log_level" => text_field(col("loglevel")),
            other => text_field(col(other)),
        });
    }
    f
}

enum Sink {
    Stdout,
    File {
        tmp: PathBuf,
        dest: PathBuf,
        w: std::io::BufWriter<std::fs::File>,
    },
}

fn open_sink(path: Option<&Path>) -> Result<Sink> {
    let Some(dest) = path else {
        return Ok(Sink::Stdout);
    };
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dump".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(ErrorKind::Failed, || {
            format!("cannot create {}", tmp.display())
        })?;
    Ok(Sink::File {
        tmp,
        dest: dest.to_path_buf(),
        w: std::io::BufWriter::with_capacity(1 << 20, file),
    })
}

impl Sink {
    fn write(&mut self, host: &Host, s: &str) -> Result<()> {
        match self {
            Sink::Stdout => {
                host.out(s);
                Ok(())
            }
            Sink::File { w, tmp, .. } => w
                .write_all(s.as_bytes())
                .with_context(ErrorKind::Failed, || {
                    format!("cannot write {}", tmp.display())
                }),
        }
    }
    fn finish(self) -> Result<()> {
        if let Sink::File { tmp, dest, w } = self {
            let file = w.into_inner().map_err(|e| {
                Error::failed(format!("cannot write {}", tmp.display())).with_cause(e)
            })?;
            file.sync_all().with_context(ErrorKind::Failed, || {
                format!("cannot sync {}", tmp.display())
            })?;
            std::fs::rename(&tmp, &dest).with_context(ErrorKind::Failed, || {
                format!("cannot rename {} to {}", tmp.display(), dest.display())
            })?;
        }
        Ok(())
    }
    fn abandon(self) {
        if let Sink::File { tmp, .. } = self {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Runs `audit dump`.
pub fn run(host: &Host, args: &DumpArgs) -> Result<i32> {
    let cutoff = timelimit_cutoff(args.timelimit.as_deref())?;
    let verifier = if args.no_sig_check {
        None
    } else {
        verifier(host)?
    };
    let dialect = host.dialect(DB)?;
    let stride = id_stride(host, dialect)?;
    const PAGE: usize = 2000;
    // pages: first the entries without a date (by id), then keyset over (date, id)
    let p = |n: usize| dialect.placeholder(n);
    let null_sql = dump_sql(
        dialect,
        stride,
        &format!("a.date IS NULL AND a.id > {}", p(1)),
        &format!("a.id LIMIT {PAGE}"),
    );
    let cut = |n: usize| match cutoff {
        Some(_) => format!(" AND a.date >= {}", p(n)),
        None => String::new(),
    };
    let first_sql = dump_sql(
        dialect,
        stride,
        &format!("a.date IS NOT NULL{}", cut(1)),
        &format!("a.date, a.id LIMIT {PAGE}"),
    );
    let next_sql = dump_sql(
        dialect,
        stride,
        &format!(
            "a.date >= {} AND (a.date > {} OR a.id > {}){}",
            p(1),
            p(2),
            p(3),
            cut(4)
        ),
        &format!("a.date, a.id LIMIT {PAGE}"),
    );
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
    let mut sink = open_sink(args.filename.as_deref())?;
    let result = (|| {
        if args.format == DumpFormat::Csv {
            sink.write(host, &format!("{}\r\n", FIELDS.join(",")))?;
        }
        let progress = host.progress("dumping audit entries", total.max(0) as u64);
        let signed = signed_positions();
        let neighbours_at = COLUMNS.len();
        let mut written = 0u64;
        // 0: NULL dates, 1: first dated page, 2: later pages, 3: done
        let mut phase = if cutoff.is_some() { 1 } else { 0 };
        let mut last_id = i64::MIN;
        let mut last_date = Value::Null;
        let fetch = || loop {
            let (sql, mut params) = match phase {
                0 => (&null_sql, vec![Value::Int(last_id)]),
                1 => (&first_sql, vec![]),
                2 => (
                    &next_sql,
                    vec![last_date.clone(), last_date.clone(), Value::Int(last_id)],
                ),
                _ => return Ok(None),
            };
            if let Some(c) = cutoff {
                params.push(Value::Timestamp(c));
            }
            let rows = host.query(DB, sql, params)?;
            if let Some(last) = rows.rows.last() {
                last_id = last.first().and_then(Value::as_i64).unwrap_or(i64::MIN);
                last_date = last.get(1).cloned().unwrap_or(Value::Null);
            }
            let full = rows.rows.len() >= PAGE;
            phase = match (phase, full) {
                (0, true) => 0,
                (0, false) => 1,
                (_, true) => 2,
                (_, false) => 3,
            };
            if !rows.rows.is_empty() {
                return Ok(Some(rows));
            }
        };
        let format = args.format;
        let verifier = verifier.as_ref();
        let signed = &signed;
        let process = |rows: &mfactl_plugin_api::Rows| {
            let lines: Vec<String> = par_map(&rows.rows, |row| {
                let ok = check_row(verifier, row, signed);
                let nb = row.get(neighbours_at).and_then(Value::as_i64) == Some(1);
                render(format, &fields_of(row, ok, nb))
            });
            let mut buf = String::with_capacity(lines.iter().map(String::len).sum());
            for l in &lines {
                buf.push_str(l);
            }
            buf
        };
        pipeline(fetch, process, |buf, rows| {
            sink.write(host, &buf)?;
            written += rows.rows.len() as u64;
            progress.advance(rows.rows.len() as u64);
            Ok(())
        })?;
        Ok(written)
    })();
    match result {
        Ok(n) => {
            sink.finish()?;
            if let Some(p) = &args.filename {
                host.info(&format!("{n} audit entries written to {}", p.display()));
            }
            Ok(0)
        }
        Err(e) => {
            sink.abandon();
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(csv_quote("type=totp, genkey=1"), "\"type=totp, genkey=1\"");
        assert_eq!(csv_quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_quote("plain"), "plain");
    }

    #[test]
    fn kinds_cover_fields() {
        assert_eq!(FIELDS.len(), 27);
        assert_eq!(signed_positions().len(), SIGNED_COLUMNS.len());
        assert_eq!(COLUMNS[4].0, "signature");
        assert_eq!(COLUMNS[0].1, crate::columns::Kind::Int);
    }
}
