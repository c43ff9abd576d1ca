//! Deleting the rows that match a filter, in one statement or in committed chunks. Shared by the
//! `audit` and `challenge` plugins.

use mfactl_plugin_api::{DbTarget, Dialect, Host, Result, Value};

/// SQLite page cache (KiB) for large deletes: with the default 2 MiB, index maintenance of a
/// delete of most of a large table thrashes the cache and takes about twice as long.
pub const SQLITE_DELETE_CACHE_KIB: u32 = 65_536;

/// Runs one DELETE. On SQLite it runs in its own transaction on one pinned connection with a
/// larger page cache (a per-connection setting, nothing persistent).
pub fn execute_delete(host: &Host, db: DbTarget, sql: &str, params: Vec<Value>) -> Result<u64> {
    execute_delete_cached(host, db, sql, params, SQLITE_DELETE_CACHE_KIB)
}

/// [`execute_delete`] with a given SQLite page cache size in KiB.
pub fn execute_delete_cached(
    host: &Host,
    db: DbTarget,
    sql: &str,
    params: Vec<Value>,
    cache_kib: u32,
) -> Result<u64> {
    if host.dialect(db)? == Dialect::Sqlite {
        host.transaction(db, || {
            host.execute(db, &format!("PRAGMA cache_size = -{cache_kib}"), vec![])?;
            host.execute(db, sql, params)
        })
    } else {
        host.execute(db, sql, params)
    }
}

/// The two statements of one chunk: the last id of the next `limit` matching rows after the
/// previous chunk (with their count), and the delete of the matching rows up to that id.
///
/// Chunks walk the table in id order from where the previous one ended. Deleting "the first
/// `limit` matching rows" each time instead makes every chunk rescan the rows the earlier chunks
/// kept: quadratic, 3× slower on a million challenges. The same statements work on every
/// engine (MySQL/MariaDB reject `LIMIT` in an `IN` subquery, but not in a derived table).
pub fn chunk_statements(
    dialect: Dialect,
    table: &str,
    filter: &str,
    params: usize,
    limit: u64,
) -> (String, String) {
    let after = dialect.placeholder(params + 1);
    let upto = dialect.placeholder(params + 2);
    (
        format!(
            "SELECT MAX(id), COUNT(*) FROM (SELECT id FROM {table} WHERE ({filter}) AND id > {after} \
             ORDER BY id LIMIT {limit}) chunk"
        ),
        format!("DELETE FROM {table} WHERE ({filter}) AND id > {after} AND id <= {upto}"),
    )
}

/// Deletes the rows of `table` matching `filter` (which may use `params`): one statement without
/// a chunk size, else chunks of `chunk` rows in id order, each committed on its own.
/// Chunks run inside [`with_reused_journal`].
/// `on_chunk` is called with every chunk's row count. Returns the total.
pub fn delete_matching(
    host: &Host,
    db: DbTarget,
    table: &str,
    filter: &str,
    params: &[Value],
    chunk: Option<u64>,
    mut on_chunk: impl FnMut(u64),
) -> Result<u64> {
    let Some(limit) = chunk else {
        let n = execute_delete(
            host,
            db,
            &format!("DELETE FROM {table} WHERE {filter}"),
            params.to_vec(),
        )?;
        on_chunk(n);
        return Ok(n);
    };
    let limit = limit.max(1);
    with_reused_journal(host, db, || {
        delete_chunks(host, db, table, filter, params, limit, &mut on_chunk)
    })
}

/// Runs `work` (a series of committed deletes) with SQLite's `journal_mode = PERSIST` when the
/// database is in the default rollback mode `DELETE`: the journal file is reused instead of
/// created, grown and deleted for every commit (as crash-safe; the file system's block
/// allocation was the largest single cost of chunked deletes). The mode is set back to `DELETE`
/// afterwards, which also removes the journal file. Other engines and modes (WAL) run `work`
/// as it is.
pub fn with_reused_journal<T>(
    host: &Host,
    db: DbTarget,
    work: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let persist = host.dialect(db)? == Dialect::Sqlite
        && journal_mode(host, db)?.as_deref() == Some("delete");
    if persist {
        host.execute(db, "PRAGMA journal_mode = PERSIST", vec![])?;
    }
    let result = work();
    if persist {
        host.execute(db, "PRAGMA journal_mode = DELETE", vec![])?;
    }
    result
}

/// The current SQLite journal mode, lower case.
fn journal_mode(host: &Host, db: DbTarget) -> Result<Option<String>> {
    let rows = host.query(db, "PRAGMA journal_mode", vec![])?;
    Ok(rows
        .scalar()
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase))
}

fn delete_chunks(
    host: &Host,
    db: DbTarget,
    table: &str,
    filter: &str,
    params: &[Value],
    limit: u64,
    on_chunk: &mut impl FnMut(u64),
) -> Result<u64> {
    let dialect = host.dialect(db)?;
    let (select, delete) = chunk_statements(dialect, table, filter, params.len(), limit);
    let mut total = 0u64;
    let mut after = i64::MIN;
    loop {
        let mut p = params.to_vec();
        p.push(Value::Int(after));
        let rows = host.query(db, &select, p)?;
        let row = rows.rows.first();
        let last = row.and_then(|r| r.first()).and_then(Value::as_i64);
        let found = row
            .and_then(|r| r.get(1))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let Some(last) = last else {
            return Ok(total);
        };
        let mut p = params.to_vec();
        p.push(Value::Int(after));
        p.push(Value::Int(last));
        let n = execute_delete(host, db, &delete, p)?;
        total += n;
        on_chunk(n);
        if (found as u64) < limit {
            return Ok(total);
        }
        after = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_statements_number_their_placeholders_after_the_filters() {
        let (select, delete) =
            chunk_statements(Dialect::Postgres, "challenge", "expiration < $1", 1, 5);
        assert_eq!(
            select,
            "SELECT MAX(id), COUNT(*) FROM (SELECT id FROM challenge WHERE (expiration < $1) AND \
             id > $2 ORDER BY id LIMIT 5) chunk"
        );
        assert_eq!(
            delete,
            "DELETE FROM challenge WHERE (expiration < $1) AND id > $2 AND id <= $3"
        );
        let (select, delete) = chunk_statements(Dialect::Mysql, "pidea_audit", "date < ?", 1, 10);
        assert!(select.contains("id > ? ORDER BY id LIMIT 10) chunk"));
        assert!(delete.ends_with("AND id > ? AND id <= ?"));
    }
}
