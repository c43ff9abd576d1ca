//! `mfactl setup create-tables`: privacyIDEA 3.14's schema, created where missing, and the
//! Alembic stamp.

use crate::catalog::{self, Present};
use crate::schema::{auto_increment_fallback, sequence_table, Kind, Schema, What, ALEMBIC_HEAD};
use mfactl_plugin_api::args::DryRunArg;
use mfactl_plugin_api::{DbTarget, Dialect, Error, Host, Result, Value};

/// Options of `create-tables`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Do not stamp alembic_version with the schema revision
    #[arg(short = 'n', long = "no-stamp")]
    pub no_stamp: bool,
    /// pi-manage's deprecated --stamp (stamping is the default)
    #[arg(short = 's', long = "stamp", hide = true)]
    pub stamp: bool,
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

/// What happened to `alembic_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stamp {
    /// `--no-stamp`.
    Skipped,
    /// The head was written.
    Stamped,
    /// The head was there already.
    AlreadyHead,
    /// Another revision is recorded; left alone.
    Other(Vec<String>),
}

/// What `ensure` created (or would create, in a dry run).
#[derive(Debug, Default)]
pub struct Created {
    /// New tables.
    pub tables: Vec<String>,
    /// New sequences.
    pub sequences: Vec<String>,
    /// New indexes (separate statements only).
    pub indexes: usize,
    /// Tables that were there already.
    pub existing_tables: usize,
}

/// The named lock `create-tables` and `drop-tables` hold, so two runs never interleave.
pub const LOCK: &str = "setup-schema";
/// How long to wait for [`LOCK`].
pub const LOCK_WAIT_MS: u64 = 60_000;

pub fn run(host: &Host, a: Args) -> Result<i32> {
    if a.stamp {
        host.warn(
            "the parameter --stamp is deprecated: the database is stamped by default \
             (use --no-stamp to prevent this)",
        );
    }
    let dry = a.dry_run.get(host);
    let info = host.db_info(DbTarget::Main)?;
    host.outln(&format!("Using connect string {}", info.url_redacted));
    let schema = Schema::load(catalog::flavor(&info)).map_err(Error::internal)?;
    let sequences = catalog::has_sequences(&info);
    if info.dialect == Dialect::Mysql && !sequences {
        host.warn(&format!(
            "the server ({}) has no sequences: ids use AUTO_INCREMENT, as privacyIDEA does on MySQL \
             (mfactl is tested on MariaDB only)",
            info.server_version
        ));
    }
    let stamp = !a.no_stamp;
    if !dry {
        host.lock(DbTarget::Main, LOCK, LOCK_WAIT_MS)?;
    }
    let (created, stamped) = ensure(host, DbTarget::Main, &schema, sequences, stamp, dry)?;
    report(host, "", &created, dry);
    let mut code = 0;
    match &stamped {
        Stamp::Skipped => host.outln("Not stamping alembic_version (--no-stamp)"),
        Stamp::Stamped if dry => {
            host.outln(&format!("Would stamp alembic_version with {ALEMBIC_HEAD}"))
        }
        Stamp::Stamped => host.outln(&format!("Stamped alembic_version with {ALEMBIC_HEAD}")),
        Stamp::AlreadyHead => host.outln(&format!("alembic_version is already at {ALEMBIC_HEAD}")),
        Stamp::Other(revs) => {
            let shown = if revs.is_empty() {
                "several rows".to_string()
            } else {
                revs.join(", ")
            };
            host.warn(&format!(
                "alembic_version records {shown}, not {ALEMBIC_HEAD}; left unchanged"
            ));
            host.info(
                "hint: stamping a database of another revision would hide migrations it still \
                 needs; migrate it with privacyIDEA's `pi-manage db upgrade`, or pass --no-stamp",
            );
            code = 1;
        }
    }
    // privacyIDEA's sqlaudit module keeps its table in PI_AUDIT_SQL_URI when that is set; make
    // sure it exists there too, so `mfactl audit` works on a fresh installation.
    if separate_audit_db(host)? {
        let ainfo = host.db_info(DbTarget::Audit)?;
        let aschema = Schema::load(catalog::flavor(&ainfo))
            .map_err(Error::internal)?
            .audit_only();
        let (acreated, _) = ensure(
            host,
            DbTarget::Audit,
            &aschema,
            catalog::has_sequences(&ainfo),
            false,
            dry,
        )?;
        report(
            host,
            &format!(" in the audit database {}", ainfo.url_redacted),
            &acreated,
            dry,
        );
    }
    Ok(code)
}

/// True when `PI_AUDIT_SQL_URI` names another database than the main one.
pub fn separate_audit_db(host: &Host) -> Result<bool> {
    let Some(audit) = host.config_str("PI_AUDIT_SQL_URI") else {
        return Ok(false);
    };
    let main = host
        .config_str("SQLALCHEMY_DATABASE_URI")
        .unwrap_or_default();
    Ok(!audit.trim().is_empty() && audit.trim() != main.trim())
}

fn report(host: &Host, place: &str, c: &Created, dry: bool) {
    if c.tables.is_empty() && c.sequences.is_empty() {
        let all = match c.existing_tables {
            1 => "The table exists".to_string(),
            n => format!("All {n} tables exist"),
        };
        host.outln(&format!("{all}{place}; nothing to create"));
        return;
    }
    let verb = if dry { "Would create" } else { "Created" };
    let mut parts = Vec::new();
    if !c.tables.is_empty() {
        parts.push(plural(c.tables.len(), "table"));
    }
    if !c.sequences.is_empty() {
        parts.push(plural(c.sequences.len(), "sequence"));
    }
    if c.indexes > 0 {
        parts.push(plural(c.indexes, "index"));
    }
    let kept = if c.existing_tables > 0 {
        format!(" ({} tables existed already)", c.existing_tables)
    } else {
        String::new()
    };
    host.outln(&format!("{verb} {}{place}{kept}", parts.join(", ")));
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, w) => format!("1 {w}"),
        (n, "index") => format!("{n} indexes"),
        (n, w) => format!("{n} {w}s"),
    }
}

/// Creates the missing units of `schema` on `db` and stamps unless `stamp` is false.
/// SQLite and PostgreSQL do it in one transaction; MySQL/MariaDB commit each DDL statement
/// (their DDL is not transactional), table by table in foreign-key order.
pub fn ensure(
    host: &Host,
    db: DbTarget,
    schema: &Schema,
    sequences: bool,
    stamp: bool,
    dry: bool,
) -> Result<(Created, Stamp)> {
    let dialect = host.dialect(db)?;
    let work = || -> Result<(Created, Stamp)> {
        let present = catalog::present(host, db)?;
        let missing = schema.missing(&present.tables, &present.sequences, sequences);
        let mut c = Created {
            existing_tables: schema
                .tables()
                .filter(|t| present.tables.contains(*t))
                .count(),
            ..Default::default()
        };
        for unit in missing {
            for st in &unit.stmts {
                let sql = if dialect == Dialect::Mysql && !sequences && st.what == What::Create {
                    auto_increment_fallback(&st.sql)
                } else {
                    st.sql.clone()
                };
                if dry {
                    host.debug(&format!("would run: {sql}"));
                } else {
                    host.execute(db, &sql, vec![])
                        .map_err(|e| e.with_cause(format!("while creating {}", unit.name)))?;
                }
                if st.what == What::Index {
                    c.indexes += 1;
                }
            }
            match unit.kind {
                Kind::Table => c.tables.push(unit.name.clone()),
                Kind::Sequence => {
                    if !dry {
                        continue_sequence(host, db, dialect, &unit.name, &present)?;
                    }
                    c.sequences.push(unit.name.clone())
                }
            }
        }
        let s = if stamp {
            stamp_head(host, db, schema, &present, dry)?
        } else {
            Stamp::Skipped
        };
        Ok((c, s))
    };
    if dry || dialect == Dialect::Mysql {
        work()
    } else {
        host.transaction(db, work)
    }
}

/// A sequence created for a table that already has rows continues after its highest id, so
/// privacyIDEA's next insert does not collide (an install that lost or never had a sequence).
fn continue_sequence(
    host: &Host,
    db: DbTarget,
    dialect: Dialect,
    seq: &str,
    present: &Present,
) -> Result<()> {
    let table = sequence_table(seq);
    if !present.tables.contains(&table) {
        return Ok(());
    }
    let max = host
        .query(
            db,
            &format!("SELECT MAX(id) FROM {}", dialect.quote(&table)),
            vec![],
        )?
        .scalar()
        .and_then(|v| v.as_i64());
    let Some(max) = max.filter(|m| *m > 0) else {
        return Ok(());
    };
    let sql = match dialect {
        Dialect::Postgres => format!("SELECT setval('{seq}', {max})"),
        _ => format!("SELECT SETVAL({}, {max})", dialect.quote(seq)),
    };
    host.query(db, &sql, vec![])?;
    host.info(&format!(
        "sequence {seq} continues after the highest existing {table}.id ({max})"
    ));
    Ok(())
}

fn stamp_head(
    host: &Host,
    db: DbTarget,
    schema: &Schema,
    present: &Present,
    dry: bool,
) -> Result<Stamp> {
    let revs = catalog::revisions(host, db, present)?;
    match revs.as_deref() {
        Some([one]) if one == ALEMBIC_HEAD => return Ok(Stamp::AlreadyHead),
        Some([]) | None => {}
        Some(other) => return Ok(Stamp::Other(other.to_vec())),
    }
    if dry {
        return Ok(Stamp::Stamped);
    }
    if revs.is_none() {
        for st in &schema.alembic.stmts {
            host.execute(db, &st.sql, vec![])?;
        }
    }
    let dialect = host.dialect(db)?;
    host.execute(
        db,
        &format!(
            "INSERT INTO alembic_version (version_num) VALUES ({})",
            dialect.placeholder(1)
        ),
        vec![Value::text(ALEMBIC_HEAD)],
    )?;
    Ok(Stamp::Stamped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "index"), "1 index");
        assert_eq!(plural(2, "index"), "2 indexes");
        assert_eq!(plural(67, "table"), "67 tables");
    }
}
