//! Consistent database snapshots, streamed into the archive.
//!
//! - SQLite in rollback-journal mode (privacyIDEA's default): the database file itself, read
//!   inside one read transaction of the host's connection (its SHARED lock keeps writers from
//!   changing the file meanwhile); the rows are counted in the same transaction.
//! - SQLite in WAL mode: `VACUUM INTO` through the host's connection (a transactionally
//!   consistent copy), written into a 0700 private directory next to the backups, counted,
//!   unlinked while still open, and streamed from the open descriptor.
//! - PostgreSQL: `pg_dump` (plain SQL with `--clean --if-exists`, one snapshot), stdout streamed.
//! - MariaDB/MySQL: `mariadb-dump --single-transaction`, stdout streamed.
//!
//! A child's stdout has no size known in advance, so the dump is stored as consecutive members
//! `db/dump.sql.0000`, `db/dump.sql.0001`, … of at most [`PART_SIZE`] bytes each; memory stays
//! bounded and nothing of the dump touches the disk.

use crate::archive::{ArchiveWriter, Meta};
use crate::dumpcount::{Flavour, RowCounter};
use crate::manifest::DbPart;
use crate::tools::{self, MyCnf, PrivateDir, StderrTail};
use crate::uri::{DbUri, Engine};
use mfactl_plugin_api::{DbTarget, Error, Host, Result, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

/// Size of one dump part.
pub const PART_SIZE: usize = 16 * 1024 * 1024;
/// The member of a SQLite snapshot.
pub const SQLITE_MEMBER: &str = "db/database.sqlite";

fn io_err(what: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::failed(what.to_string()).with_source(&e)
}

/// Rows per table of a SQLite file.
pub fn sqlite_counts(path: &Path) -> Result<BTreeMap<String, u64>> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::failed(format!("cannot open {}", path.display())).with_cause(e))?;
    let names: Vec<String> = {
        let mut st = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .map_err(|e| Error::failed("cannot list the snapshot's tables").with_cause(e))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| Error::failed("cannot list the snapshot's tables").with_cause(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::failed("cannot list the snapshot's tables").with_cause(e))?
    };
    let mut out = BTreeMap::new();
    for n in names {
        let q = format!("SELECT COUNT(*) FROM \"{}\"", n.replace('"', "\"\""));
        let c: i64 = conn
            .query_row(&q, [], |r| r.get(0))
            .map_err(|e| Error::failed(format!("cannot count rows of {n}")).with_cause(e))?;
        out.insert(n, c.max(0) as u64);
    }
    Ok(out)
}

/// Checks a SQLite file with `PRAGMA quick_check`.
pub fn sqlite_quick_check(path: &Path) -> Result<()> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::failed(format!("cannot open {}", path.display())).with_cause(e))?;
    let r: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| {
            Error::failed(format!("{} is not a valid SQLite database", path.display()))
                .with_cause(e)
        })?;
    if r != "ok" {
        return Err(Error::failed(format!(
            "{} failed the SQLite integrity check: {r}",
            path.display()
        )));
    }
    Ok(())
}

/// Dumps the main database into `w`.
pub fn dump(
    host: &Host,
    uri: &DbUri,
    sqlite_path: Option<&Path>,
    w: &mut ArchiveWriter,
    work_dir: &Path,
    meta: Meta,
) -> Result<DbPart> {
    match uri.engine {
        Engine::Sqlite => dump_sqlite(host, sqlite_path, w, work_dir, meta),
        Engine::Postgresql => {
            let tool = tools::pg_dump()?;
            let version = tools::tool_version(&tool);
            let mut cmd = Command::new(&tool);
            cmd.args([
                "--format=plain",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--encoding=UTF8",
            ]);
            cmd.envs(tools::pg_env(uri, None));
            stream_child(cmd, "pg_dump", Flavour::Postgres, version, w, meta)
        }
        Engine::Mysql => {
            let tool = tools::mysqldump()?;
            let version = tools::tool_version(&tool);
            let cnf = MyCnf::new(uri)?;
            let mut cmd = Command::new(&tool);
            cmd.arg(cnf.arg()).args([
                "--single-transaction",
                "--skip-lock-tables",
                "--skip-add-locks",
                "--no-tablespaces",
                "--hex-blob",
                "--default-character-set=utf8mb4",
                "--skip-comments",
                "--",
                &uri.database,
            ]);
            let r = stream_child(cmd, "mariadb-dump", Flavour::Mysql, version, w, meta);
            drop(cnf);
            r
        }
    }
}

fn scalar_i64(host: &Host, sql: &str) -> Result<i64> {
    host.query(DbTarget::Main, sql, vec![])?
        .scalar()
        .and_then(|v| v.as_i64())
        .ok_or_else(|| Error::failed(format!("no result for {sql}")))
}

/// Rollback-journal databases: inside one read transaction on the host's connection (its
/// SHARED lock keeps every writer from changing the file), count the rows and stream the
/// database file itself. No copy is written anywhere.
fn dump_sqlite_locked(
    host: &Host,
    path: &Path,
    w: &mut ArchiveWriter,
    meta: Meta,
) -> Result<DbPart> {
    host.begin(DbTarget::Main)?;
    let r = (|| {
        // the first read takes the SHARED lock, held until the end of the transaction
        let page_size = scalar_i64(host, "PRAGMA page_size")?;
        let page_count = scalar_i64(host, "PRAGMA page_count")?;
        let names = host.query(
            DbTarget::Main,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            vec![],
        )?;
        let mut tables = BTreeMap::new();
        for row in &names.rows {
            let Some(n) = row.first().and_then(|v| v.as_str()).map(str::to_string) else {
                continue;
            };
            let q = format!("SELECT COUNT(*) FROM \"{}\"", n.replace('"', "\"\""));
            let c = scalar_i64(host, &q)?;
            tables.insert(n, c.max(0) as u64);
        }
        let size = (page_size.max(0) as u64) * (page_count.max(0) as u64);
        let f = File::open(path).map_err(io_err("cannot open the SQLite database"))?;
        let len = f
            .metadata()
            .map_err(io_err("cannot read the SQLite database"))?
            .len();
        if len < size {
            return Err(Error::failed(format!(
                "{} is shorter ({len} bytes) than its page count says ({size})",
                path.display()
            )));
        }
        let sha = w
            .add_reader(SQLITE_MEMBER, size, f, meta)
            .map_err(io_err("cannot write the SQLite database into the archive"))?;
        Ok(DbPart {
            kind: "sqlite".into(),
            members: vec![SQLITE_MEMBER.into()],
            size,
            sha256: sha,
            tables,
            tool: format!(
                "sqlite file read under a shared lock (SQLite {})",
                rusqlite::version()
            ),
        })
    })();
    let _ = host.rollback(DbTarget::Main);
    r
}

fn dump_sqlite(
    host: &Host,
    sqlite_path: Option<&Path>,
    w: &mut ArchiveWriter,
    work_dir: &Path,
    meta: Meta,
) -> Result<DbPart> {
    let Some(path) = sqlite_path else {
        return Err(Error::config(
            "the SQLite database has no file path (in-memory?)",
        ));
    };
    let mode = host
        .query(DbTarget::Main, "PRAGMA journal_mode", vec![])?
        .scalar()
        .and_then(|v| v.as_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    host.debug(&format!("SQLite journal mode: {mode}"));
    if mode != "wal" {
        return dump_sqlite_locked(host, path, w, meta);
    }
    // WAL: the file alone is not the database; let SQLite write a consistent copy.
    let dir = PrivateDir::new(work_dir, ".mfactl-snapshot-")?;
    let snap = dir.path().join("snapshot.sqlite");
    let snap_text = snap.display().to_string();
    host.execute(
        DbTarget::Main,
        "VACUUM INTO ?",
        vec![Value::text(snap_text)],
    )
    .map_err(|e| {
        Error::failed("cannot snapshot the SQLite database (VACUUM INTO)").with_cause(e.to_string())
    })?;
    let tables = sqlite_counts(&snap)?;
    let f = File::open(&snap).map_err(io_err("cannot open the SQLite snapshot"))?;
    let size = f
        .metadata()
        .map_err(io_err("cannot read the SQLite snapshot"))?
        .len();
    // Unlink now: the open descriptor keeps the data until it is streamed.
    let _ = std::fs::remove_file(&snap);
    let sha = w
        .add_reader(SQLITE_MEMBER, size, f, meta)
        .map_err(io_err("cannot write the SQLite snapshot into the archive"))?;
    drop(dir);
    Ok(DbPart {
        kind: "sqlite".into(),
        members: vec![SQLITE_MEMBER.into()],
        size,
        sha256: sha,
        tables,
        tool: format!("sqlite VACUUM INTO (SQLite {})", rusqlite::version()),
    })
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn stream_child(
    mut cmd: Command,
    what: &str,
    flavour: Flavour,
    version: String,
    w: &mut ArchiveWriter,
    meta: Meta,
) -> Result<DbPart> {
    let mut child = tools::spawn(&mut cmd, Stdio::null(), what)?;
    let tail = StderrTail::start(&mut child);
    let mut out = child
        .stdout
        .take()
        .ok_or_else(|| Error::internal(format!("{what}: no stdout")))?;
    let mut counter = RowCounter::new(flavour);
    let mut hasher = Sha256::new();
    let mut members = Vec::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; PART_SIZE];
    let result: Result<()> = (|| {
        loop {
            let n = read_full(&mut out, &mut buf)
                .map_err(|e| Error::failed(format!("cannot read {what} output")).with_source(&e))?;
            if n == 0 && !members.is_empty() {
                break;
            }
            let part = &buf[..n];
            counter.feed(part);
            hasher.update(part);
            total += n as u64;
            let name = format!("db/dump.sql.{:04}", members.len());
            w.add_bytes(&name, part, meta)
                .map_err(|e| Error::failed("cannot write the archive").with_source(&e))?;
            members.push(name);
            if n < buf.len() {
                break;
            }
        }
        Ok(())
    })();
    drop(out);
    let status = child
        .wait()
        .map_err(|e| Error::failed(format!("{what} failed")).with_source(&e))?;
    let stderr = tail.finish();
    if !status.success() {
        let mut e = Error::failed(format!(
            "database dump failed ({what} {}); no backup file was written",
            tools::exit_text(status)
        ));
        if !stderr.is_empty() {
            e = e.with_cause(stderr);
        }
        return Err(e);
    }
    result?;
    Ok(DbPart {
        kind: "sql".into(),
        members,
        size: total,
        sha256: hex::encode(hasher.finalize()),
        tables: counter.finish(),
        tool: version,
    })
}
