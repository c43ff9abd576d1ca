//! Loading a verified archive's database dump: into a SQLite file, through psql, or through the
//! mariadb client; plus the small server-side helpers (scratch databases, row counts).

use crate::archive::{self, HashRead, Unlock};
use crate::scan::{Format, Scan};
use crate::tools::{self, MyCnf, StderrTail};
use crate::uri::DbUri;
use mfactl_plugin_api::{Error, Result};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// Drops the `CREATE DATABASE` and `USE` lines of a pi-manage MySQL dump (made with `-B`), so it
/// loads into the database we choose, not the one it was taken from.
struct LegacyFilter<W: Write> {
    inner: W,
    enabled: bool,
    line: Vec<u8>,
    at_line_start: bool,
    skipping: bool,
}

impl<W: Write> LegacyFilter<W> {
    fn new(inner: W, enabled: bool) -> Self {
        LegacyFilter {
            inner,
            enabled,
            line: Vec::new(),
            at_line_start: true,
            skipping: false,
        }
    }
    fn finish(&mut self) -> io::Result<()> {
        let l = std::mem::take(&mut self.line);
        self.inner.write_all(&l)
    }
}

const SKIP_PREFIXES: [&[u8]; 2] = [b"CREATE DATABASE ", b"USE `"];

impl<W: Write> Write for LegacyFilter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.enabled {
            return self.inner.write(buf);
        }
        let mut rest = buf;
        while !rest.is_empty() {
            if self.at_line_start || !self.line.is_empty() {
                // Collect up to 16 bytes of the line start to decide.
                let need = 16usize.saturating_sub(self.line.len());
                let nl = rest.iter().position(|&b| b == b'\n');
                let take = nl.map(|i| i + 1).unwrap_or(rest.len()).min(need.max(1));
                self.line.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                self.at_line_start = false;
                let ended = self.line.last() == Some(&b'\n');
                if self.line.len() >= 16 || ended {
                    self.skipping = SKIP_PREFIXES.iter().any(|p| self.line.starts_with(p));
                    let l = std::mem::take(&mut self.line);
                    if !self.skipping {
                        self.inner.write_all(&l)?;
                    }
                    if ended {
                        self.at_line_start = true;
                        self.skipping = false;
                    }
                }
                continue;
            }
            let nl = rest.iter().position(|&b| b == b'\n');
            let end = nl.map(|i| i + 1).unwrap_or(rest.len());
            if !self.skipping {
                self.inner.write_all(&rest[..end])?;
            }
            if nl.is_some() {
                self.at_line_start = true;
                self.skipping = false;
            }
            rest = &rest[end..];
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Re-reads the archive and writes the database dump (its members in order) to `out`, checking
/// each member's SHA-256 against the verification pass.
pub fn feed_db(path: &Path, unlock: &Unlock, scan: &Scan, out: &mut dyn Write) -> Result<()> {
    let wanted = scan.db_members();
    let legacy_mysql =
        matches!(&scan.format, Format::PiManage(l) if l.engine == crate::uri::Engine::Mysql);
    let reader = archive::open(path, unlock)?;
    let mut ar = tar::Archive::new(reader);
    let entries = ar
        .entries()
        .map_err(|e| Error::failed("cannot read the archive").with_source(&e))?;
    let mut next = 0usize;
    let mut filter = LegacyFilter::new(out, legacy_mysql);
    for entry in entries {
        if next >= wanted.len() {
            break;
        }
        let mut e = entry.map_err(|e| Error::failed("cannot read the archive").with_source(&e))?;
        let name = crate::safety::normalize_name(&e.path_bytes()).unwrap_or_default();
        if name != wanted[next] {
            continue;
        }
        let expected = scan
            .members
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| m.sha256.clone());
        let mut hr = HashRead::new(&mut e);
        io::copy(&mut hr, &mut filter)
            .map_err(|e| Error::failed("cannot load the database dump").with_source(&e))?;
        if Some(hr.hex()) != expected {
            return Err(Error::failed(format!(
                "member {name} changed since it was verified"
            )));
        }
        next += 1;
    }
    filter
        .finish()
        .map_err(|e| Error::failed("cannot load the database dump").with_source(&e))?;
    if next != wanted.len() {
        return Err(Error::failed("the database dump is incomplete"));
    }
    Ok(())
}

/// Writes the SQLite database of the archive to a new file `dest` (mode 0600, fsynced) and
/// checks it.
pub fn load_sqlite_file(path: &Path, unlock: &Unlock, scan: &Scan, dest: &Path) -> Result<()> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dest)
        .map_err(|e| Error::failed(format!("cannot create {}", dest.display())).with_source(&e))?;
    let mut w = io::BufWriter::with_capacity(1 << 20, f);
    feed_db(path, unlock, scan, &mut w)?;
    let f = w
        .into_inner()
        .map_err(|e| Error::failed("cannot write the database").with_source(e.error()))?;
    f.sync_all()
        .map_err(|e| Error::failed("cannot write the database").with_source(&e))?;
    drop(f);
    crate::dbdump::sqlite_quick_check(dest)
}

fn run_with_stdin(
    mut cmd: Command,
    what: &str,
    feed: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::failed(format!("cannot start {what}")).with_source(&e))?;
    let tail = StderrTail::start(&mut child);
    let fed = match child.stdin.take() {
        Some(stdin) => {
            let mut w = io::BufWriter::with_capacity(1 << 20, stdin);
            let r = feed(&mut w);
            let r2 = w.flush();
            drop(w);
            r.and(r2.map_err(|e| Error::failed(format!("cannot write to {what}")).with_source(&e)))
        }
        None => Err(Error::internal(format!("{what}: no stdin"))),
    };
    let status = child
        .wait()
        .map_err(|e| Error::failed(format!("{what} failed")).with_source(&e))?;
    let stderr = tail.finish();
    if !status.success() {
        let mut e = Error::failed(format!("{what} failed ({})", tools::exit_text(status)));
        if !stderr.is_empty() {
            e = e.with_cause(stderr);
        }
        return Err(e);
    }
    fed
}

/// Loads the dump through `psql --single-transaction -v ON_ERROR_STOP=1` into `database` (or
/// the URI's database): all or nothing.
pub fn load_pg(
    path: &Path,
    unlock: &Unlock,
    scan: &Scan,
    uri: &DbUri,
    database: Option<&str>,
) -> Result<()> {
    let mut cmd = Command::new(tools::psql()?);
    cmd.args([
        "-X",
        "-q",
        "--single-transaction",
        "-v",
        "ON_ERROR_STOP=1",
        "-f",
        "-",
    ])
    .envs(tools::pg_env(uri, database));
    run_with_stdin(cmd, "psql", |w| feed_db(path, unlock, scan, w))
}

/// Moves a pg_dump plain dump into another schema: outside `COPY` data, every `public.` becomes
/// `"<schema>".` (table names, sequence names inside `setval('public.x')`, defaults).
struct PgSchemaRewrite<W: Write> {
    inner: W,
    target: Vec<u8>,
    line: Vec<u8>,
    in_copy: bool,
}

impl<W: Write> PgSchemaRewrite<W> {
    fn new(inner: W, schema: &str) -> Self {
        PgSchemaRewrite {
            inner,
            target: format!("{}.", pgq(schema)).into_bytes(),
            line: Vec::new(),
            in_copy: false,
        }
    }
    fn line_out(&mut self) -> io::Result<()> {
        let line = std::mem::take(&mut self.line);
        if self.in_copy {
            if line == b"\\.\n" || line == b"\\." {
                self.in_copy = false;
            }
            return self.inner.write_all(&line);
        }
        if line.starts_with(b"COPY ") && line.trim_ascii_end().ends_with(b"FROM stdin;") {
            self.in_copy = true;
        }
        let mut out = Vec::with_capacity(line.len() + 16);
        let mut i = 0;
        while i < line.len() {
            if line[i..].starts_with(b"public.") {
                out.extend_from_slice(&self.target);
                i += 7;
            } else {
                out.push(line[i]);
                i += 1;
            }
        }
        self.inner.write_all(&out)
    }
    fn finish(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.line_out()?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Write for PgSchemaRewrite<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..=i]);
            self.line_out()?;
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Loads a PostgreSQL dump into a new schema `schema` of the URI's database (for
/// `verify --restore-test` when the user may not create databases).
pub fn load_pg_into_schema(
    path: &Path,
    unlock: &Unlock,
    scan: &Scan,
    uri: &DbUri,
    schema: &str,
) -> Result<()> {
    let mut cmd = Command::new(tools::psql()?);
    cmd.args([
        "-X",
        "-q",
        "--single-transaction",
        "-v",
        "ON_ERROR_STOP=1",
        "-f",
        "-",
    ])
    .envs(tools::pg_env(uri, None));
    run_with_stdin(cmd, "psql", |w| {
        let mut rw = PgSchemaRewrite::new(w, schema);
        rw.write_all(format!("CREATE SCHEMA {};\n", pgq(schema)).as_bytes())
            .map_err(|e| Error::failed("cannot write to psql").with_source(&e))?;
        feed_db(path, unlock, scan, &mut rw)?;
        rw.finish()
            .map_err(|e| Error::failed("cannot write to psql").with_source(&e))
    })
}

/// Runs one SQL text with psql on `database`; returns the unaligned, tuples-only output.
pub fn pg_sql(uri: &DbUri, database: Option<&str>, sql: &str) -> Result<String> {
    let mut cmd = Command::new(tools::psql()?);
    cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .envs(tools::pg_env(uri, database));
    tools::run_capture(&mut cmd, None, "psql")
}

/// Loads the dump with the mariadb client into `database`.
pub fn load_mysql(
    path: &Path,
    unlock: &Unlock,
    scan: &Scan,
    cnf: &MyCnf,
    database: &str,
) -> Result<()> {
    let mut cmd = Command::new(tools::mysql()?);
    cmd.arg(cnf.arg()).args([
        "--batch",
        "--default-character-set=utf8mb4",
        "--database",
        database,
    ]);
    run_with_stdin(cmd, "mariadb", |w| feed_db(path, unlock, scan, w))
}

/// Runs SQL with the mariadb client (no default database); returns tab-separated rows.
pub fn my_sql(cnf: &MyCnf, sql: &str) -> Result<String> {
    let mut cmd = Command::new(tools::mysql()?);
    cmd.arg(cnf.arg()).args([
        "--batch",
        "--skip-column-names",
        "--default-character-set=utf8mb4",
    ]);
    tools::run_capture(&mut cmd, Some(sql.as_bytes()), "mariadb")
}

/// Quotes a MySQL identifier.
pub fn myq(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}
/// Quotes a PostgreSQL identifier.
pub fn pgq(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}
/// Quotes a SQL string literal (standard escaping; MySQL also gets backslashes doubled).
pub fn lit(s: &str, mysql: bool) -> String {
    let mut t = s.replace('\'', "''");
    if mysql {
        t = t.replace('\\', "\\\\");
    }
    format!("'{t}'")
}

/// Rows per table in a PostgreSQL database (in `schema`, default public), for the tables given.
pub fn pg_counts(
    uri: &DbUri,
    database: Option<&str>,
    schema: Option<&str>,
    tables: &[String],
) -> Result<BTreeMap<String, u64>> {
    let schema = schema.unwrap_or("public").to_string();
    count_via(
        tables,
        |sql| pg_sql(uri, database, sql),
        |t| format!("{}.{}", pgq(&schema), pgq(t)),
        false,
    )
}

/// Rows per table in a MariaDB database, for the tables given.
pub fn my_counts(cnf: &MyCnf, database: &str, tables: &[String]) -> Result<BTreeMap<String, u64>> {
    count_via(
        tables,
        |sql| my_sql(cnf, sql),
        |t| format!("{}.{}", myq(database), myq(t)),
        true,
    )
}

fn count_via(
    tables: &[String],
    run: impl Fn(&str) -> Result<String>,
    quote: impl Fn(&str) -> String,
    mysql: bool,
) -> Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for chunk in tables.chunks(50) {
        let sql = chunk
            .iter()
            .map(|t| format!("SELECT {}, COUNT(*) FROM {}", lit(t, mysql), quote(t)))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let text = run(&format!("{sql};"))?;
        for line in text.lines() {
            let sep = if line.contains('\t') { '\t' } else { '|' };
            if let Some((t, c)) = line.rsplit_once(sep) {
                out.insert(t.to_string(), c.trim().parse().unwrap_or(0));
            }
        }
    }
    Ok(out)
}

/// Reads the SQLite file at `path` and returns its table counts (see [`crate::dbdump`]).
pub fn sqlite_counts(path: &Path) -> Result<BTreeMap<String, u64>> {
    crate::dbdump::sqlite_counts(path)
}

/// A small helper so callers can check a file starts like SQLite.
pub fn looks_like_sqlite(path: &Path) -> bool {
    let mut head = [0u8; 16];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|_| &head == b"SQLite format 3\0")
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_schema_rewrite_leaves_copy_data_alone() {
        let dump = "SELECT pg_catalog.setval('public.audit_seq', 5, true);\nCREATE TABLE public.a (x text);\nCOPY public.a (x) FROM stdin;\npublic.data\n\\.\nALTER TABLE ONLY public.a ADD CONSTRAINT a_pk PRIMARY KEY (x);\n";
        for step in [1usize, 4, 1000] {
            let mut out = Vec::new();
            {
                let mut r = PgSchemaRewrite::new(&mut out, "rt");
                for c in dump.as_bytes().chunks(step) {
                    r.write_all(c).expect("w");
                }
                r.finish().expect("f");
            }
            assert_eq!(
                String::from_utf8(out).expect("utf8"),
                "SELECT pg_catalog.setval('\"rt\".audit_seq', 5, true);\nCREATE TABLE \"rt\".a (x text);\nCOPY \"rt\".a (x) FROM stdin;\npublic.data\n\\.\nALTER TABLE ONLY \"rt\".a ADD CONSTRAINT a_pk PRIMARY KEY (x);\n"
            );
        }
    }

    #[test]
    fn legacy_filter_drops_use_and_create_database() {
        let dump = "-- x\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `pi`;\nUSE `pi`;\nCREATE TABLE `a` (x int);\nINSERT INTO `a` VALUES (1);\n";
        for step in [1usize, 3, 7, 100] {
            let mut out = Vec::new();
            {
                let mut f = LegacyFilter::new(&mut out, true);
                for c in dump.as_bytes().chunks(step) {
                    f.write_all(c).expect("write");
                }
                f.finish().expect("finish");
            }
            assert_eq!(
                String::from_utf8(out).expect("utf8"),
                "-- x\nCREATE TABLE `a` (x int);\nINSERT INTO `a` VALUES (1);\n",
                "step {step}"
            );
        }
    }
}
