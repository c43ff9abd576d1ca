//! What a database holds: tables, sequences, the Alembic revision.

use crate::schema::{Flavor, ALEMBIC_TABLE};
use mfactl_plugin_api::{DbInfo, DbTarget, Dialect, Host, Result};
use std::collections::BTreeSet;

/// Tables and sequences present in the current schema/database, names in lower case.
#[derive(Debug, Default, Clone)]
pub struct Present {
    /// Tables (and views).
    pub tables: BTreeSet<String>,
    /// Sequences.
    pub sequences: BTreeSet<String>,
}

/// Reads the tables and sequences of `db`.
pub fn present(host: &Host, db: DbTarget) -> Result<Present> {
    let sql = match host.dialect(db)? {
        Dialect::Sqlite => {
            "SELECT name, 'table' FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        }
        Dialect::Postgres => {
            "SELECT c.relname::text, CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'S')"
        }
        Dialect::Mysql => {
            "SELECT CAST(table_name AS CHAR), \
             CASE WHEN table_type = 'SEQUENCE' THEN 'sequence' ELSE 'table' END \
             FROM information_schema.tables WHERE table_schema = DATABASE()"
        }
    };
    let rows = host.query(db, sql, vec![])?;
    let mut p = Present::default();
    for r in rows.rows.iter() {
        let name = r.first().map(|v| v.to_text()).unwrap_or_default();
        let kind = r.get(1).map(|v| v.to_text()).unwrap_or_default();
        let name = name.to_ascii_lowercase();
        if kind == "sequence" {
            p.sequences.insert(name);
        } else {
            p.tables.insert(name);
        }
    }
    Ok(p)
}

/// The revisions recorded in `alembic_version`; `None` when the table does not exist.
pub fn revisions(host: &Host, db: DbTarget, present: &Present) -> Result<Option<Vec<String>>> {
    if !present.tables.contains(ALEMBIC_TABLE) {
        return Ok(None);
    }
    let rows = host.query(
        db,
        "SELECT version_num FROM alembic_version ORDER BY version_num",
        vec![],
    )?;
    Ok(Some(
        rows.rows
            .iter()
            .filter_map(|r| r.first().map(|v| v.to_text()))
            .collect(),
    ))
}

/// The DDL flavor for a connected database.
pub fn flavor(info: &DbInfo) -> Flavor {
    match info.dialect {
        Dialect::Sqlite => Flavor::Sqlite,
        Dialect::Postgres => Flavor::Postgres,
        Dialect::Mysql if info.mariadb_uri => Flavor::MariadbUri,
        Dialect::Mysql => Flavor::Mysql,
    }
}

/// Whether the server has sequences: PostgreSQL, and MariaDB from 10.3 (MySQL has none).
pub fn has_sequences(info: &DbInfo) -> bool {
    match info.dialect {
        Dialect::Sqlite => false,
        Dialect::Postgres => true,
        Dialect::Mysql => info.server_is_mariadb && mariadb_at_least(&info.server_version, 10, 3),
    }
}

/// `version` (e.g. `10.11.19-MariaDB-0+deb12u1`, or `5.5.5-10.11.6-MariaDB`) is at least
/// `major.minor`.
pub fn mariadb_at_least(version: &str, major: u32, minor: u32) -> bool {
    let v = version.strip_prefix("5.5.5-").unwrap_or(version);
    let mut parts = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().unwrap_or(0));
    let ma = parts.next().unwrap_or(0);
    let mi = parts.next().unwrap_or(0);
    (ma, mi) >= (major, minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_versions() {
        assert!(mariadb_at_least("10.11.19-MariaDB-0+deb12u1", 10, 3));
        assert!(mariadb_at_least("5.5.5-10.3.1-MariaDB", 10, 3));
        assert!(mariadb_at_least("11.4.2-MariaDB", 10, 3));
        assert!(!mariadb_at_least("10.2.44-MariaDB", 10, 3));
        assert!(!mariadb_at_least("", 10, 3));
    }
}
