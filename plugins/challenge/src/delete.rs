//! Deleting the rows that match a filter, in one statement or in committed chunks.

use mfactl_plugin_api::{DbTarget, Dialect, Host, Result, Value};

/// The statement that deletes at most `limit` rows of `table` matching `filter` (which may use
/// the parameters bound with it). MySQL/MariaDB reject `LIMIT` inside an `IN` subquery, so they
/// get `DELETE … LIMIT n` whatever the URI scheme; the others delete through an id subquery.
pub fn chunk_sql(dialect: Dialect, table: &str, filter: &str, limit: u64) -> String {
    match dialect {
        Dialect::Mysql => format!("DELETE FROM {table} WHERE {filter} LIMIT {limit}"),
        _ => format!(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {filter} LIMIT {limit})"
        ),
    }
}

/// SQLite page cache (KiB) for large deletes: with the default 2 MiB, index maintenance of a
/// delete of most of a large table thrashes the cache and takes about twice as long.
pub const SQLITE_DELETE_CACHE_KIB: u32 = 65_536;

/// Runs one DELETE. On SQLite it runs in its own transaction on one pinned connection with a
/// larger page cache (a per-connection setting, nothing persistent).
pub fn execute_delete(host: &Host, db: DbTarget, sql: &str, params: Vec<Value>) -> Result<u64> {
    if host.dialect(db)? == Dialect::Sqlite {
        host.transaction(db, || {
            host.execute(
                db,
                &format!("PRAGMA cache_size = -{SQLITE_DELETE_CACHE_KIB}"),
                vec![],
            )?;
            host.execute(db, sql, params)
        })
    } else {
        host.execute(db, sql, params)
    }
}

/// Deletes the rows of `table` matching `filter`: one statement without a chunk size, else
/// chunks of `chunk` rows, each committed on its own (autocommit), until a chunk comes back
/// short. `on_chunk` is called with every chunk's row count. Returns the total.
pub fn delete_matching(
    host: &Host,
    db: DbTarget,
    table: &str,
    filter: &str,
    params: &[Value],
    chunk: Option<u64>,
    mut on_chunk: impl FnMut(u64),
) -> Result<u64> {
    let dialect = host.dialect(db)?;
    match chunk {
        None => {
            let n = execute_delete(
                host,
                db,
                &format!("DELETE FROM {table} WHERE {filter}"),
                params.to_vec(),
            )?;
            on_chunk(n);
            Ok(n)
        }
        Some(limit) => {
            let sql = chunk_sql(dialect, table, filter, limit.max(1));
            let mut total = 0u64;
            loop {
                let n = execute_delete(host, db, &sql, params.to_vec())?;
                total += n;
                on_chunk(n);
                if n < limit {
                    return Ok(total);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sql_per_dialect() {
        assert_eq!(
            chunk_sql(Dialect::Mysql, "challenge", "expiration < ?", 10),
            "DELETE FROM challenge WHERE expiration < ? LIMIT 10"
        );
        assert_eq!(
            chunk_sql(Dialect::Postgres, "challenge", "expiration < $1", 5),
            "DELETE FROM challenge WHERE id IN (SELECT id FROM challenge WHERE expiration < $1 LIMIT 5)"
        );
    }
}
