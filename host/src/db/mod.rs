//! The host's database services: concrete sqlx pools per backend behind one type, opened lazily.
//!
//! Plugins reach this only through the host callbacks. Everything async stays here: callbacks
//! block on the host's runtime from the plugin's (non-runtime) thread.

mod convert;
mod lock;
pub mod url;

use abi_stable::std_types::RVec;
use futures_util::StreamExt;
use mfactl_plugin_api::{DbInfo, Dialect, Error, ErrorKind, Rows, Value};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{MySql, Postgres, Sqlite, Transaction};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::runtime::Runtime;
use url::DbUrl;

/// The host's tokio runtime, created on first database use.
pub fn runtime() -> Result<&'static Runtime, Error> {
    static RT: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::internal("cannot start the async runtime").with_cause(e))
}

fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, Error> {
    Ok(runtime()?.block_on(f))
}

enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
    My(MySqlPool),
}

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
    My(Transaction<'static, MySql>),
}

/// One configured database (main or audit).
pub struct Database {
    url: DbUrl,
    pool: OnceLock<Result<Pool, Error>>,
    /// SQLite only: the connections of streams (see [`Database::open`]).
    stream_pool: OnceLock<Result<SqlitePool, Error>>,
    /// SQLite only: a plain blocking connection for SELECTs outside transactions (see
    /// [`Database::query`]).
    sqlite_reader: Mutex<Option<rusqlite::Connection>>,
    info: OnceLock<DbInfo>,
    tx: Mutex<Option<Tx>>,
    locks: Mutex<HashMap<String, lock::Held>>,
}

/// How long a statement waits for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an SQLite statement waits for another process's lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How every SQLite connection is opened.
fn sqlite_options(path: &std::path::Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true)
}

fn db_error(url: &DbUrl, what: &str, e: sqlx::Error) -> Error {
    Error::new(
        ErrorKind::Database,
        format!("{what} failed on {}", url.redacted()),
    )
    .with_cause(e)
}

/// True for a plain SELECT (no `WITH`, no PRAGMA): safe to run on any connection.
fn is_select(sql: &str) -> bool {
    sql.trim_start()
        .get(..7)
        .is_some_and(|w| w.eq_ignore_ascii_case("select ") || w.eq_ignore_ascii_case("select\n"))
}

/// The error for an SQL statement that failed; names the statement's first words.
fn sql_error(sql: &str, e: impl std::fmt::Display) -> Error {
    let head: String = sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    let text = e.to_string();
    let err =
        Error::new(ErrorKind::Database, format!("SQL failed: {head}…")).with_cause(text.clone());
    let missing_table = text.contains("no such table")
        || (text.contains("relation") && text.contains("does not exist"))
        || (text.contains("Table") && text.contains("doesn't exist"));
    if missing_table {
        err.with_hint("the privacyIDEA tables are missing: run `mfactl setup create-tables` (or check the database URL)")
    } else {
        err
    }
}

impl Database {
    /// A database that connects on first use.
    pub fn new(url: DbUrl) -> Self {
        Database {
            url,
            pool: OnceLock::new(),
            stream_pool: OnceLock::new(),
            sqlite_reader: Mutex::new(None),
            info: OnceLock::new(),
            tx: Mutex::new(None),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The URL.
    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    fn connect(&self) -> Result<&Pool, Error> {
        self.pool
            .get_or_init(|| block_on(self.open())?)
            .as_ref()
            .map_err(Clone::clone)
    }

    async fn open(&self) -> Result<Pool, Error> {
        let u = &self.url;
        let fail = |e: sqlx::Error| {
            Error::new(ErrorKind::Database, format!("cannot connect to the database ({})", u.place()))
                .with_cause(format!("URL {}", u.redacted()))
                .with_cause(e)
                .with_hint("check SQLALCHEMY_DATABASE_URI / PI_AUDIT_SQL_URI and that the database server is running")
        };
        match u.dialect {
            Dialect::Sqlite => {
                let path = u.sqlite_abs();
                if let Some(parent) = path.parent() {
                    if !parent.as_os_str().is_empty() && !parent.is_dir() {
                        return Err(Error::new(
                            ErrorKind::Database,
                            format!(
                                "cannot open SQLite database {}: directory {} does not exist",
                                path.display(),
                                parent.display()
                            ),
                        )
                        .with_hint("create the directory or fix SQLALCHEMY_DATABASE_URI"));
                    }
                }
                // Statements and transactions share one connection; streams get their own
                // (stream_pool). With several pooled connections taking turns, every commit on
                // one connection empties the page cache of the others (SQLite checks the file's
                // change counter), and a chunked delete of 1M rows rereads the table 50 times.
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(sqlite_options(&path))
                    .await
                    .map(Pool::Sqlite)
                    .map_err(fail)
            }
            Dialect::Postgres => {
                let mut o = PgConnectOptions::new_without_pgpass();
                let sock = u
                    .option("host")
                    .filter(|h| h.starts_with('/'))
                    .map(str::to_string);
                match (&sock, u.host.is_empty()) {
                    (Some(s), _) => o = o.socket(s),
                    (None, false) => o = o.host(&u.host),
                    (None, true) => o = o.host("localhost"),
                }
                if let Some(p) = u.port {
                    o = o.port(p);
                }
                if !u.user.is_empty() {
                    o = o.username(&u.user);
                }
                if let Some(pw) = &u.password {
                    o = o.password(pw);
                }
                if !u.database.is_empty() {
                    o = o.database(&u.database);
                }
                o = o.application_name("mfactl");
                PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(o)
                    .await
                    .map(Pool::Pg)
                    .map_err(fail)
            }
            Dialect::Mysql => {
                let mut o = MySqlConnectOptions::new();
                if let Some(s) = u.option("unix_socket") {
                    o = o.socket(s);
                } else {
                    o = o.host(if u.host.is_empty() {
                        "localhost"
                    } else {
                        &u.host
                    });
                }
                if let Some(p) = u.port {
                    o = o.port(p);
                }
                if !u.user.is_empty() {
                    o = o.username(&u.user);
                }
                if let Some(pw) = &u.password {
                    o = o.password(pw);
                }
                if !u.database.is_empty() {
                    o = o.database(&u.database);
                }
                o = o.charset("utf8mb4");
                MySqlPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // privacyIDEA stores naive UTC-less datetimes; keep the session neutral.
                            sqlx::query("SET time_zone = '+00:00'")
                                .execute(conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(o)
                    .await
                    .map(Pool::My)
                    .map_err(fail)
            }
        }
    }

    /// Facts about the database (connects).
    pub fn info(&self) -> Result<DbInfo, Error> {
        if let Some(i) = self.info.get() {
            return Ok(i.clone());
        }
        let version_sql = match self.url.dialect {
            Dialect::Sqlite => "SELECT sqlite_version()",
            Dialect::Postgres => "SHOW server_version",
            Dialect::Mysql => "SELECT VERSION()",
        };
        let rows = self.query(version_sql, &[])?;
        let version = rows.scalar().map(|v| v.to_text()).unwrap_or_default();
        let info = DbInfo {
            dialect: self.url.dialect,
            mariadb_uri: self.url.mariadb_uri,
            server_is_mariadb: version.to_ascii_lowercase().contains("mariadb"),
            server_version: version.into(),
            url_redacted: self.url.redacted().into(),
            sqlite_path: match self.url.dialect {
                Dialect::Sqlite => self.url.sqlite_abs().display().to_string().into(),
                _ => "".into(),
            },
        };
        let _ = self.info.set(info.clone());
        Ok(info)
    }

    fn tx_guard(&self) -> std::sync::MutexGuard<'_, Option<Tx>> {
        match self.tx.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Runs a query and returns all rows.
    ///
    /// On SQLite a SELECT outside a transaction runs on a plain rusqlite connection instead of
    /// sqlx: sqlx copies every value of every row through its worker thread (`audit verify` of
    /// 1M rows used 41 s of CPU that way and 23 s this way, 28 s and 15 s of wall time).
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, Error> {
        let pool = self.connect()?;
        let mut tx = self.tx_guard();
        if matches!(pool, Pool::Sqlite(_)) && tx.is_none() && is_select(sql) {
            drop(tx);
            return self.sqlite_select(sql, params);
        }
        block_on(async {
            let (columns, rows) = match (pool, tx.as_mut()) {
                (_, Some(Tx::Sqlite(t))) => fetch_sqlite(&mut **t, sql, params).await?,
                (_, Some(Tx::Pg(t))) => fetch_pg(&mut **t, sql, params).await?,
                (_, Some(Tx::My(t))) => fetch_my(&mut **t, sql, params).await?,
                (Pool::Sqlite(p), None) => fetch_sqlite(p, sql, params).await?,
                (Pool::Pg(p), None) => fetch_pg(p, sql, params).await?,
                (Pool::My(p), None) => fetch_my(p, sql, params).await?,
            };
            Ok(Rows {
                columns: columns.into_iter().map(Into::into).collect(),
                rows: rows.into_iter().map(|r| r.into_iter().collect()).collect(),
            })
        })?
    }

    fn sqlite_select(&self, sql: &str, params: &[Value]) -> Result<Rows, Error> {
        let mut guard = match self.sqlite_reader.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if guard.is_none() {
            let path = self.url.sqlite_abs();
            let conn = rusqlite::Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | rusqlite::OpenFlags::SQLITE_OPEN_URI,
            )
            .and_then(|c| c.busy_timeout(SQLITE_BUSY_TIMEOUT).map(|()| c))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Database,
                    format!("cannot open SQLite database {}", path.display()),
                )
                .with_cause(e)
            })?;
            *guard = Some(conn);
        }
        let Some(conn) = guard.as_ref() else {
            return Err(Error::internal("SQLite reader missing"));
        };
        let (columns, rows) =
            convert::sqlite_select(conn, sql, params).map_err(|e| sql_error(sql, e))?;
        Ok(Rows {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: rows.into_iter().map(|r| r.into_iter().collect()).collect(),
        })
    }

    /// Runs a statement and returns the affected row count.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let pool = self.connect()?;
        let mut tx = self.tx_guard();
        block_on(async {
            let r = match (pool, tx.as_mut()) {
                (_, Some(Tx::Sqlite(t))) => exec_sqlite(&mut **t, sql, params).await,
                (_, Some(Tx::Pg(t))) => exec_pg(&mut **t, sql, params).await,
                (_, Some(Tx::My(t))) => exec_my(&mut **t, sql, params).await,
                (Pool::Sqlite(p), None) => exec_sqlite(p, sql, params).await,
                (Pool::Pg(p), None) => exec_pg(p, sql, params).await,
                (Pool::My(p), None) => exec_my(p, sql, params).await,
            };
            r
        })?
    }

    /// Begins a transaction on a pinned connection.
    pub fn begin(&self) -> Result<(), Error> {
        let pool = self.connect()?;
        let mut tx = self.tx_guard();
        if tx.is_some() {
            return Err(Error::internal(
                "a transaction is already open on this database",
            ));
        }
        let t = block_on(async {
            match pool {
                Pool::Sqlite(p) => p.begin().await.map(Tx::Sqlite),
                Pool::Pg(p) => p.begin().await.map(Tx::Pg),
                Pool::My(p) => p.begin().await.map(Tx::My),
            }
        })?
        .map_err(|e| db_error(&self.url, "BEGIN", e))?;
        *tx = Some(t);
        Ok(())
    }

    /// Commits the open transaction.
    pub fn commit(&self) -> Result<(), Error> {
        let t = self
            .tx_guard()
            .take()
            .ok_or_else(|| Error::internal("commit without an open transaction"))?;
        block_on(async {
            match t {
                Tx::Sqlite(t) => t.commit().await,
                Tx::Pg(t) => t.commit().await,
                Tx::My(t) => t.commit().await,
            }
        })?
        .map_err(|e| db_error(&self.url, "COMMIT", e))
    }

    /// Rolls back the open transaction.
    pub fn rollback(&self) -> Result<(), Error> {
        let t = self
            .tx_guard()
            .take()
            .ok_or_else(|| Error::internal("rollback without an open transaction"))?;
        block_on(async {
            match t {
                Tx::Sqlite(t) => t.rollback().await,
                Tx::Pg(t) => t.rollback().await,
                Tx::My(t) => t.rollback().await,
            }
        })?
        .map_err(|e| db_error(&self.url, "ROLLBACK", e))
    }

    /// The pool of SQLite stream connections (opened on first use).
    fn sqlite_stream_pool(&self) -> Result<&SqlitePool, Error> {
        self.stream_pool
            .get_or_init(|| {
                block_on(
                    SqlitePoolOptions::new()
                        .max_connections(4)
                        .acquire_timeout(ACQUIRE_TIMEOUT)
                        .connect_with(sqlite_options(&self.url.sqlite_abs())),
                )?
                .map_err(|e| db_error(&self.url, "connecting", e))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Opens a stream: a task on the runtime fetches rows on its own connection into a bounded
    /// channel, so memory stays bounded by the channel size whatever the result size.
    pub fn stream_open(&self, sql: &str, params: Vec<Value>) -> Result<Stream, Error> {
        let pool = self.connect()?;
        let rt = runtime()?;
        let (tx, rx) = tokio::sync::mpsc::channel::<StreamItem>(1024);
        let sql = sql.to_string();
        let task = match pool {
            Pool::Sqlite(_) => {
                let p = self.sqlite_stream_pool()?.clone();
                rt.spawn(async move {
                    let args = match convert::sqlite_args(&params) {
                        Ok(a) => a,
                        Err(e) => return send_err(&tx, e).await,
                    };
                    let mut s = sqlx::query_with(&sql, args).fetch(&p);
                    while let Some(r) = s.next().await {
                        let item = r.map_err(|e| sql_error(&sql, e)).and_then(|row| {
                            Ok((convert::columns(&row), convert::sqlite_row(&row)?))
                        });
                        if tx.send(item).await.is_err() {
                            break;
                        }
                    }
                })
            }
            Pool::Pg(p) => {
                let p = p.clone();
                rt.spawn(async move {
                    let args = match convert::pg_args(&params) {
                        Ok(a) => a,
                        Err(e) => return send_err(&tx, e).await,
                    };
                    let mut s = sqlx::query_with(&sql, args).fetch(&p);
                    while let Some(r) = s.next().await {
                        let item = r
                            .map_err(|e| sql_error(&sql, e))
                            .and_then(|row| Ok((convert::columns(&row), convert::pg_row(&row)?)));
                        if tx.send(item).await.is_err() {
                            break;
                        }
                    }
                })
            }
            Pool::My(p) => {
                let p = p.clone();
                rt.spawn(async move {
                    let args = match convert::mysql_args(&params) {
                        Ok(a) => a,
                        Err(e) => return send_err(&tx, e).await,
                    };
                    let mut s = sqlx::query_with(&sql, args).fetch(&p);
                    while let Some(r) = s.next().await {
                        let item = r.map_err(|e| sql_error(&sql, e)).and_then(|row| {
                            Ok((convert::columns(&row), convert::mysql_row(&row)?))
                        });
                        if tx.send(item).await.is_err() {
                            break;
                        }
                    }
                })
            }
        };
        Ok(Stream {
            rx,
            task,
            columns: Vec::new(),
            done: false,
        })
    }

    /// Takes a named advisory lock (see [`lock`]).
    pub fn lock(&self, name: &str, timeout: Duration) -> Result<(), Error> {
        let pool = self.connect()?;
        let held = lock::acquire(self, pool, name, timeout)?;
        match self.locks.lock() {
            Ok(mut m) => m.insert(name.to_string(), held),
            Err(p) => p.into_inner().insert(name.to_string(), held),
        };
        Ok(())
    }

    /// Releases a named advisory lock.
    pub fn unlock(&self, name: &str) -> Result<(), Error> {
        let held = match self.locks.lock() {
            Ok(mut m) => m.remove(name),
            Err(p) => p.into_inner().remove(name),
        };
        match held {
            Some(h) => lock::release(h, name),
            None => Err(Error::internal(format!("lock {name:?} is not held"))),
        }
    }

    /// A new id for `table` from `<table>_seq` when that sequence exists; `None` otherwise.
    pub fn next_id(&self, table: &str) -> Result<Option<i64>, Error> {
        let seq = format!("{table}_seq");
        if !seq.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::internal(format!("invalid table name {table:?}")));
        }
        let info = self.info()?;
        let next = match info.dialect {
            Dialect::Sqlite => return Ok(None),
            Dialect::Postgres => {
                let exists =
                    self.query("SELECT to_regclass($1)::text", &[Value::text(seq.clone())])?;
                if exists.scalar().is_none_or(Value::is_null) {
                    return Ok(None);
                }
                self.query(&format!("SELECT nextval('{seq}')"), &[])?
            }
            Dialect::Mysql => {
                if !info.server_is_mariadb {
                    return Ok(None);
                }
                let exists = self.query(
                    "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND TABLE_TYPE = 'SEQUENCE'",
                    &[Value::text(seq.clone())],
                )?;
                if exists.scalar().and_then(Value::as_i64).unwrap_or(0) == 0 {
                    return Ok(None);
                }
                self.query(&format!("SELECT NEXTVAL(`{seq}`)"), &[])?
            }
        };
        next.scalar()
            .and_then(Value::as_i64)
            .map(Some)
            .ok_or_else(|| Error::internal(format!("sequence {seq} returned no value")))
    }
}

async fn send_err(tx: &tokio::sync::mpsc::Sender<StreamItem>, e: Error) {
    let _ = tx.send(Err(e)).await;
}

/// An open streaming query.
pub struct Stream {
    rx: tokio::sync::mpsc::Receiver<StreamItem>,
    task: tokio::task::JoinHandle<()>,
    columns: Vec<String>,
    done: bool,
}

impl Stream {
    /// Up to `max` rows; empty at the end.
    pub fn next_batch(&mut self, max: usize) -> Result<Rows, Error> {
        let mut rows: Vec<RVec<Value>> = Vec::new();
        while !self.done && rows.len() < max {
            let item = match self.rx.try_recv() {
                Ok(item) => Some(item),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => block_on(self.rx.recv())?,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => None,
            };
            match item {
                None => self.done = true,
                Some(item) => {
                    let (cols, row) = item?;
                    if self.columns.is_empty() {
                        self.columns = cols;
                    }
                    rows.push(row.into_iter().collect());
                }
            }
        }
        Ok(Rows {
            columns: self.columns.iter().cloned().map(Into::into).collect(),
            rows: rows.into_iter().collect(),
        })
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One streamed row with its column names.
type StreamItem = Result<(Vec<String>, Vec<Value>), Error>;

type Fetched = (Vec<String>, Vec<Vec<Value>>);

async fn fetch_sqlite<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    ex: E,
    sql: &str,
    params: &[Value],
) -> Result<Fetched, Error> {
    let rows = sqlx::query_with(sql, convert::sqlite_args(params)?)
        .fetch_all(ex)
        .await
        .map_err(|e| sql_error(sql, e))?;
    let cols = rows.first().map(convert::columns).unwrap_or_default();
    Ok((
        cols,
        rows.iter()
            .map(convert::sqlite_row)
            .collect::<Result<_, _>>()?,
    ))
}

async fn fetch_pg<'e, E: sqlx::Executor<'e, Database = Postgres>>(
    ex: E,
    sql: &str,
    params: &[Value],
) -> Result<Fetched, Error> {
    let rows = sqlx::query_with(sql, convert::pg_args(params)?)
        .fetch_all(ex)
        .await
        .map_err(|e| sql_error(sql, e))?;
    let cols = rows.first().map(convert::columns).unwrap_or_default();
    Ok((
        cols,
        rows.iter().map(convert::pg_row).collect::<Result<_, _>>()?,
    ))
}

async fn fetch_my<'e, E: sqlx::Executor<'e, Database = MySql>>(
    ex: E,
    sql: &str,
    params: &[Value],
) -> Result<Fetched, Error> {
    let rows = sqlx::query_with(sql, convert::mysql_args(params)?)
        .fetch_all(ex)
        .await
        .map_err(|e| sql_error(sql, e))?;
    let cols = rows.first().map(convert::columns).unwrap_or_default();
    Ok((
        cols,
        rows.iter()
            .map(convert::mysql_row)
            .collect::<Result<_, _>>()?,
    ))
}

async fn exec_sqlite<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    ex: E,
    sql: &'e str,
    params: &[Value],
) -> Result<u64, Error> {
    if params.is_empty() {
        // Without parameters allow several statements (DDL scripts).
        return sqlx::raw_sql(sql)
            .execute(ex)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| sql_error(sql, e));
    }
    sqlx::query_with(sql, convert::sqlite_args(params)?)
        .execute(ex)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| sql_error(sql, e))
}

async fn exec_pg<'e, E: sqlx::Executor<'e, Database = Postgres>>(
    ex: E,
    sql: &'e str,
    params: &[Value],
) -> Result<u64, Error> {
    if params.is_empty() {
        return sqlx::raw_sql(sql)
            .execute(ex)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| sql_error(sql, e));
    }
    sqlx::query_with(sql, convert::pg_args(params)?)
        .execute(ex)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| sql_error(sql, e))
}

async fn exec_my<'e, E: sqlx::Executor<'e, Database = MySql>>(
    ex: E,
    sql: &'e str,
    params: &[Value],
) -> Result<u64, Error> {
    if params.is_empty() {
        return sqlx::raw_sql(sql)
            .execute(ex)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| sql_error(sql, e));
    }
    sqlx::query_with(sql, convert::mysql_args(params)?)
        .execute(ex)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| sql_error(sql, e))
}

#[cfg(test)]
mod tests {
    use super::is_select;

    #[test]
    fn only_plain_selects_take_the_sqlite_reader() {
        assert!(is_select("SELECT 1"));
        assert!(is_select("  select id FROM t"));
        assert!(is_select("SELECT\nid FROM t"));
        assert!(!is_select("SELECTED"));
        assert!(!is_select("PRAGMA journal_mode"));
        assert!(!is_select("WITH x AS (SELECT 1) DELETE FROM t"));
        assert!(!is_select("DELETE FROM t"));
        assert!(!is_select("SEL"));
    }
}
