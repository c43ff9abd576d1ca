//! Blocking SQL access for verification: a fresh connection per call (so a SQLite file that
//! mfactl replaced is seen anew), results rendered as strings.
//!
//! Rendering, the same on every engine where the data is the same:
//! integers and floats as Rust prints them; booleans `1`/`0`; timestamps
//! `YYYY-MM-DD HH:MM:SS.ffffff` (always six digits; SQLite text is returned as stored);
//! dates `YYYY-MM-DD`; bytes as lowercase hex (on MariaDB, binary-collated values that are valid
//! UTF-8 come back as text, since privacyIDEA has no binary columns); NULL as `None`
//! (`"NULL"` in [`crate::TestEnv::query_rows`]). Other types (numeric, interval, …) are an error:
//! cast them to text in the SQL.
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{Connection, Row, ValueRef};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    runtime().block_on(f)
}

/// How to reach one database.
#[derive(Clone, Debug)]
pub(crate) enum ConnSpec {
    Sqlite(SqliteConnectOptions),
    Pg(PgConnectOptions),
    My(MySqlConnectOptions),
}

impl ConnSpec {
    pub fn sqlite(path: &Path) -> Self {
        ConnSpec::Sqlite(
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                // privacyIDEA (pysqlite) does not enforce foreign keys; neither do we.
                .foreign_keys(false)
                .busy_timeout(Duration::from_secs(30)),
        )
    }

    pub fn pg_tcp(port: u16, user: &str, password: &str, db: &str) -> Self {
        ConnSpec::Pg(
            PgConnectOptions::new()
                .host("127.0.0.1")
                .port(port)
                .username(user)
                .password(password)
                .database(db),
        )
    }

    pub fn pg_socket(dir: &Path, port: u16, user: &str, db: &str) -> Self {
        ConnSpec::Pg(
            PgConnectOptions::new()
                .socket(dir)
                .port(port)
                .username(user)
                .database(db),
        )
    }

    fn mysql_neutral(o: MySqlConnectOptions) -> MySqlConnectOptions {
        // Keep the server's session defaults (as PyMySQL does): no sql_mode or time zone changes.
        o.pipes_as_concat(false)
            .no_engine_substitution(false)
            .timezone(None)
            .charset("utf8mb4")
    }

    pub fn mysql_tcp(port: u16, user: &str, password: &str, db: &str) -> Self {
        ConnSpec::My(Self::mysql_neutral(
            MySqlConnectOptions::new()
                .host("127.0.0.1")
                .port(port)
                .username(user)
                .password(password)
                .database(db),
        ))
    }

    pub fn mysql_socket(sock: &Path, user: &str, db: &str) -> Self {
        ConnSpec::My(Self::mysql_neutral(
            MySqlConnectOptions::new()
                .socket(sock)
                .username(user)
                .database(db),
        ))
    }
}

/// Runs one or more statements (simple/text protocol; `;`-separated scripts work).
pub(crate) fn execute(spec: &ConnSpec, sql: &str) -> Result<u64, String> {
    block_on(async {
        match spec {
            ConnSpec::Sqlite(o) => {
                let mut c = SqliteConnection::connect_with(o).await.map_err(s)?;
                let r = sqlx::raw_sql(sql).execute(&mut c).await.map_err(s);
                let _ = c.close().await;
                Ok(r?.rows_affected())
            }
            ConnSpec::Pg(o) => {
                let mut c = PgConnection::connect_with(o).await.map_err(s)?;
                let r = sqlx::raw_sql(sql).execute(&mut c).await.map_err(s);
                let _ = c.close().await;
                Ok(r?.rows_affected())
            }
            ConnSpec::My(o) => {
                let mut c = MySqlConnection::connect_with(o).await.map_err(s)?;
                let r = sqlx::raw_sql(sql).execute(&mut c).await.map_err(s);
                let _ = c.close().await;
                Ok(r?.rows_affected())
            }
        }
    })
}

/// Runs one query and renders every cell.
pub(crate) fn query(spec: &ConnSpec, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
    block_on(async {
        match spec {
            ConnSpec::Sqlite(o) => {
                let mut c = SqliteConnection::connect_with(o).await.map_err(s)?;
                let r = sqlx::query(sql).fetch_all(&mut c).await.map_err(s);
                let _ = c.close().await;
                r?.iter().map(render_sqlite).collect()
            }
            ConnSpec::Pg(o) => {
                let mut c = PgConnection::connect_with(o).await.map_err(s)?;
                let r = sqlx::query(sql).fetch_all(&mut c).await.map_err(s);
                let _ = c.close().await;
                r?.iter().map(render_pg).collect()
            }
            ConnSpec::My(o) => {
                let mut c = MySqlConnection::connect_with(o).await.map_err(s)?;
                let r = sqlx::query(sql).fetch_all(&mut c).await.map_err(s);
                let _ = c.close().await;
                r?.iter().map(render_mysql).collect()
            }
        }
    })
}

fn s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

trait Render {
    fn render(&self) -> String;
}

macro_rules! render_display {
    ($($t:ty),*) => { $(impl Render for $t { fn render(&self) -> String { self.to_string() } })* };
}
render_display!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, String);

impl Render for bool {
    fn render(&self) -> String {
        if *self { "1" } else { "0" }.to_string()
    }
}
impl Render for Vec<u8> {
    fn render(&self) -> String {
        hex::encode(self)
    }
}
impl Render for NaiveDateTime {
    fn render(&self) -> String {
        self.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }
}
impl Render for DateTime<Utc> {
    fn render(&self) -> String {
        self.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
    }
}
impl Render for NaiveDate {
    fn render(&self) -> String {
        self.format("%Y-%m-%d").to_string()
    }
}
impl Render for NaiveTime {
    fn render(&self) -> String {
        self.format("%H:%M:%S%.6f").to_string()
    }
}

macro_rules! render_row {
    ($fn:ident, $row:ty, [$($t:ty),*], $bytes_as_text:expr) => {
        fn $fn(row: &$row) -> Result<Vec<Option<String>>, String> {
            use sqlx::Column as _;
            use sqlx::TypeInfo as _;
            (0..row.len())
                .map(|i| {
                    let raw = row.try_get_raw(i).map_err(s)?;
                    if raw.is_null() {
                        return Ok(None);
                    }
                    $(
                        if let Ok(v) = row.try_get::<$t, _>(i) {
                            return Ok(Some(v.render()));
                        }
                    )*
                    if let Ok(v) = row.try_get::<Vec<u8>, _>(i) {
                        if $bytes_as_text {
                            if let Ok(text) = String::from_utf8(v.clone()) {
                                return Ok(Some(text));
                            }
                        }
                        return Ok(Some(v.render()));
                    }
                    let col = &row.columns()[i];
                    Err(format!(
                        "column {} has type {} which the test harness cannot render; cast it to text in the SQL",
                        col.name(),
                        col.type_info().name()
                    ))
                })
                .collect()
        }
    };
}

render_row!(render_sqlite, SqliteRow, [i64, f64, String], false);
render_row!(
    render_pg,
    PgRow,
    [i16, i32, i64, f32, f64, bool, String, NaiveDateTime, DateTime<Utc>, NaiveDate, NaiveTime],
    false
);
render_row!(
    render_mysql,
    MySqlRow,
    [
        i64,
        u64,
        f32,
        f64,
        String,
        NaiveDateTime,
        NaiveDate,
        NaiveTime
    ],
    true
);
