//! Named advisory locks: `pg_try_advisory_lock` / `GET_LOCK` on a dedicated connection, or an
//! exclusive `flock` on a lock file beside the SQLite database.

use super::{block_on, Database, Pool};
use mfactl_plugin_api::{Error, ErrorKind};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Row};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::time::{Duration, Instant};

/// A held lock; dropping it releases the lock (connection closed / file closed).
pub enum Held {
    /// SQLite: the open, flocked file.
    File(std::fs::File),
    /// PostgreSQL: the connection holding the session lock, and its key.
    Pg(sqlx::PgConnection, i64),
    /// MySQL/MariaDB: the connection holding `GET_LOCK`, and the lock name.
    My(sqlx::MySqlConnection, String),
}

fn held_elsewhere(name: &str, waited: Duration) -> Error {
    Error::new(
        ErrorKind::Failed,
        format!(
            "lock {name:?} is held by another run (waited {:.1} s)",
            waited.as_secs_f64()
        ),
    )
    .with_hint("another mfactl run is doing the same job; wait for it to finish and try again")
}

fn pg_key(name: &str) -> i64 {
    let d = Sha256::digest(format!("mfactl:{name}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

fn my_name(name: &str) -> String {
    // GET_LOCK names are limited to 64 characters.
    let n = format!("mfactl.{name}");
    n.chars().take(64).collect()
}

/// Takes the lock named `name`, waiting up to `timeout`.
pub fn acquire(db: &Database, pool: &Pool, name: &str, timeout: Duration) -> Result<Held, Error> {
    let start = Instant::now();
    let lock_err = |e: sqlx::Error| {
        Error::new(ErrorKind::Database, format!("cannot take lock {name:?}")).with_cause(e)
    };
    match pool {
        Pool::Sqlite(_) => {
            let mut path = db.url().sqlite_abs().into_os_string();
            path.push(format!(".mfactl-{}.lock", name.replace(['/', '\\'], "_")));
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Failed,
                        format!(
                            "cannot open lock file {}",
                            std::path::Path::new(&path).display()
                        ),
                    )
                    .with_cause(e)
                })?;
            loop {
                // SAFETY: flock on a file descriptor we own; no memory is involved.
                let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
                if r == 0 {
                    return Ok(Held::File(f));
                }
                if start.elapsed() >= timeout {
                    return Err(held_elsewhere(name, start.elapsed()));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Pool::Pg(p) => {
            let key = pg_key(name);
            block_on(async {
                let mut conn = p.acquire().await.map_err(lock_err)?.detach();
                loop {
                    let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
                        .bind(key)
                        .fetch_one(&mut conn)
                        .await
                        .and_then(|r| r.try_get(0))
                        .map_err(lock_err)?;
                    if got {
                        return Ok(Held::Pg(conn, key));
                    }
                    if start.elapsed() >= timeout {
                        return Err(held_elsewhere(name, start.elapsed()));
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })?
        }
        Pool::My(p) => {
            let lname = my_name(name);
            block_on(async {
                let mut conn = p.acquire().await.map_err(lock_err)?.detach();
                let secs = timeout.as_secs_f64();
                let got: Option<i64> = sqlx::query("SELECT GET_LOCK(?, ?)")
                    .bind(&lname)
                    .bind(secs)
                    .fetch_one(&mut conn)
                    .await
                    .and_then(|r| r.try_get(0))
                    .map_err(lock_err)?;
                if got == Some(1) {
                    Ok(Held::My(conn, lname))
                } else {
                    Err(held_elsewhere(name, start.elapsed()))
                }
            })?
        }
    }
}

/// Releases a held lock.
pub fn release(held: Held, name: &str) -> Result<(), Error> {
    let err = |e: sqlx::Error| {
        Error::new(ErrorKind::Database, format!("cannot release lock {name:?}")).with_cause(e)
    };
    match held {
        Held::File(f) => {
            drop(f);
            Ok(())
        }
        Held::Pg(mut conn, key) => block_on(async {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut conn)
                .await
                .map_err(err)?;
            conn.close().await.map_err(err)
        })?,
        Held::My(mut conn, lname) => block_on(async {
            sqlx::query("SELECT RELEASE_LOCK(?)")
                .bind(lname)
                .execute(&mut conn)
                .await
                .map_err(err)?;
            conn.close().await.map_err(err)
        })?,
    }
}
