//! `mfactl backup verify`.

use crate::dbload::{self, lit, my_sql, myq, pgq};
use crate::scan::{self, Format, Scan};
use crate::tools::{MyCnf, PrivateDir};
use crate::uri::{DbUri, Engine};
use crate::{Fmt, UnlockArgs};
use clap::Args;
use mfactl_plugin_api::{args::OutputFormat, Error, Host, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Options of `backup verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The backup archive.
    #[arg(value_name = "BACKUP_FILE")]
    pub file: PathBuf,
    /// Also restore the database into a scratch database (a temporary SQLite file, or a
    /// temporary database on the configured server) and compare the rows per table with the
    /// manifest.
    #[arg(long = "restore-test")]
    pub restore_test: bool,
    #[command(flatten)]
    pub unlock: UnlockArgs,
    #[command(flatten)]
    pub format: Fmt,
}

fn scratch_server_uri(host: &Host, engine: Engine) -> Result<DbUri> {
    let text = host.config_str("SQLALCHEMY_DATABASE_URI").ok_or_else(|| {
        Error::config("--restore-test needs SQLALCHEMY_DATABASE_URI to find a server")
    })?;
    let u = DbUri::parse(&text)?;
    if u.engine != engine {
        return Err(Error::failed(format!(
            "--restore-test of a {} dump needs a {} server, but the configured database is {}",
            engine.name(),
            engine.name(),
            u.engine.name()
        )));
    }
    Ok(u)
}

/// Environment variable naming a scratch database for `--restore-test`.
pub const SCRATCH_ENV: &str = "MFACTL_BACKUP_SCRATCH_URI";

/// The scratch database configured for `--restore-test` (`MFACTL_BACKUP_SCRATCH_URI`, else
/// `scratch_uri` in `[plugins.backup]`), checked to be of `engine` and not the live database.
fn configured_scratch(host: &Host, engine: Engine) -> Result<Option<DbUri>> {
    let text = std::env::var(SCRATCH_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            host.plugin_config()
                .get("scratch_uri")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
    let Some(text) = text else {
        return Ok(None);
    };
    let u = DbUri::parse(&text)?;
    if u.engine != engine {
        return Err(Error::config(format!(
            "the scratch database for --restore-test is {}, the dump is {}",
            u.engine.name(),
            engine.name()
        )));
    }
    if let Some(live) = host.config_str("SQLALCHEMY_DATABASE_URI") {
        let l = DbUri::parse(&live)?;
        if l.host == u.host && l.port == u.port && l.database == u.database {
            return Err(Error::config(
                "the scratch database for --restore-test is the live database",
            )
            .with_hint("give an empty database of its own: it is overwritten and emptied"));
        }
    }
    Ok(Some(u))
}

fn lines(t: String) -> Vec<String> {
    t.lines()
        .map(str::to_string)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Drops every table and sequence of a scratch MariaDB database.
fn clear_mysql(cnf: &MyCnf, db: &str) -> Result<()> {
    let names = lines(my_sql(
        cnf,
        &format!(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND TABLE_TYPE IN ('BASE TABLE', 'SEQUENCE');",
            lit(db, true)
        ),
    )?);
    if names.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = names
        .iter()
        .map(|t| format!("{}.{}", myq(db), myq(t)))
        .collect();
    my_sql(
        cnf,
        &format!(
            "SET FOREIGN_KEY_CHECKS=0; DROP TABLE IF EXISTS {};",
            list.join(", ")
        ),
    )?;
    Ok(())
}

/// Drops every table and sequence in schema public of a scratch PostgreSQL database.
fn clear_pg(u: &DbUri) -> Result<()> {
    for (kind, sql) in [
        ("TABLE", "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"),
        ("SEQUENCE", "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"),
    ] {
        let names = lines(dbload::pg_sql(u, None, sql)?);
        if names.is_empty() {
            continue;
        }
        let list: Vec<String> = names
            .iter()
            .map(|t| format!("public.{}", pgq(t)))
            .collect();
        dbload::pg_sql(
            u,
            None,
            &format!("DROP {kind} IF EXISTS {} CASCADE", list.join(", ")),
        )?;
    }
    Ok(())
}

/// Restores the dump into the configured scratch database, counts, and empties it again.
fn scratch_db_test(
    path: &Path,
    unlock: &crate::archive::Unlock,
    scan: &Scan,
    su: &DbUri,
    expected: &[String],
) -> Result<BTreeMap<String, u64>> {
    match su.engine {
        Engine::Postgresql => {
            clear_pg(su)?;
            let r = (|| {
                dbload::load_pg(path, unlock, scan, su, None)?;
                let tables = if expected.is_empty() {
                    lines(dbload::pg_sql(su, None, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")?)
                } else {
                    expected.to_vec()
                };
                dbload::pg_counts(su, None, None, &tables)
            })();
            let _ = clear_pg(su);
            r
        }
        _ => {
            let cnf = MyCnf::new(su)?;
            clear_mysql(&cnf, &su.database)?;
            let r = (|| {
                dbload::load_mysql(path, unlock, scan, &cnf, &su.database)?;
                let tables = if expected.is_empty() {
                    lines(my_sql(&cnf, &format!("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND TABLE_TYPE = 'BASE TABLE';", lit(&su.database, true)))?)
                } else {
                    expected.to_vec()
                };
                dbload::my_counts(&cnf, &su.database, &tables)
            })();
            let _ = clear_mysql(&cnf, &su.database);
            r
        }
    }
}

/// Restores the dump into a scratch database and returns its rows per table.
fn restore_test(
    host: &Host,
    path: &Path,
    unlock: &crate::archive::Unlock,
    scan: &Scan,
) -> Result<BTreeMap<String, u64>> {
    let expected: Vec<String> = match &scan.format {
        Format::Mfactl(m) => m.db.tables.keys().cloned().collect(),
        Format::PiManage(_) => Vec::new(),
    };
    let pid = std::process::id();
    let scratch = format!("mfactl_restoretest_{pid}");
    if scan.engine() != Engine::Sqlite {
        if let Some(su) = configured_scratch(host, scan.engine())? {
            return scratch_db_test(path, unlock, scan, &su, &expected);
        }
    }
    match scan.engine() {
        Engine::Sqlite => {
            let dir = PrivateDir::new(&std::env::temp_dir(), "mfactl-restoretest-")?;
            let f = dir.path().join("scratch.sqlite");
            dbload::load_sqlite_file(path, unlock, scan, &f)?;
            dbload::sqlite_counts(&f)
        }
        Engine::Postgresql => {
            let u = scratch_server_uri(host, Engine::Postgresql)?;
            let list_sql = |schema: &str| {
                format!(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = {} AND table_type = 'BASE TABLE'",
                    lit(schema, false)
                )
            };
            let lines = |t: String| -> Vec<String> {
                t.lines()
                    .map(str::to_string)
                    .filter(|s| !s.is_empty())
                    .collect()
            };
            if dbload::pg_sql(&u, None, &format!("CREATE DATABASE {}", pgq(&scratch))).is_ok() {
                let r = (|| {
                    dbload::load_pg(path, unlock, scan, &u, Some(&scratch))?;
                    let tables = if expected.is_empty() {
                        lines(dbload::pg_sql(&u, Some(&scratch), &list_sql("public"))?)
                    } else {
                        expected.clone()
                    };
                    dbload::pg_counts(&u, Some(&scratch), None, &tables)
                })();
                let _ = dbload::pg_sql(
                    &u,
                    None,
                    &format!("DROP DATABASE IF EXISTS {}", pgq(&scratch)),
                );
                r
            } else {
                // No CREATEDB: a scratch schema in the configured database instead.
                host.info(&format!(
                    "cannot create a scratch database; restoring into the scratch schema {scratch} instead"
                ));
                let r = (|| {
                    dbload::load_pg_into_schema(path, unlock, scan, &u, &scratch)?;
                    let tables = if expected.is_empty() {
                        lines(dbload::pg_sql(&u, None, &list_sql(&scratch))?)
                    } else {
                        expected.clone()
                    };
                    dbload::pg_counts(&u, None, Some(&scratch), &tables)
                })();
                let _ = dbload::pg_sql(
                    &u,
                    None,
                    &format!("DROP SCHEMA IF EXISTS {} CASCADE", pgq(&scratch)),
                );
                r
            }
        }
        Engine::Mysql => {
            let u = scratch_server_uri(host, Engine::Mysql)?;
            let cnf = MyCnf::new(&u)?;
            my_sql(
                &cnf,
                &format!("CREATE DATABASE {} CHARACTER SET utf8mb4;", myq(&scratch)),
            )
            .map_err(|e| {
                Error::failed("cannot create a scratch database for the restore test")
                    .with_cause(e.to_string())
                    .with_hint(format!(
                        "the database user needs CREATE and DROP on `mfactl\\_%`.*, or name an empty scratch database in {SCRATCH_ENV} or scratch_uri in [plugins.backup]"
                    ))
            })?;
            let r = (|| {
                dbload::load_mysql(path, unlock, scan, &cnf, &scratch)?;
                let tables = if expected.is_empty() {
                    my_sql(&cnf, &format!("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND TABLE_TYPE = 'BASE TABLE';", lit(&scratch, true)))?
                        .lines().map(str::to_string).filter(|s| !s.is_empty()).collect()
                } else {
                    expected.clone()
                };
                dbload::my_counts(&cnf, &scratch, &tables)
            })();
            let _ = my_sql(&cnf, &format!("DROP DATABASE IF EXISTS {};", myq(&scratch)));
            r
        }
    }
}

/// Runs `backup verify`.
pub fn run(host: &Host, a: VerifyArgs) -> Result<i32> {
    let r = verify(host, &a);
    let (ok, err) = match &r {
        Ok(_) => (true, None),
        Err(e) => (false, Some(e.to_string())),
    };
    // usage errors (no passphrase given, …) say nothing about the archive
    let judged = r
        .as_ref()
        .map_or_else(|e| e.kind == mfactl_plugin_api::ErrorKind::Failed, |_| true);
    if judged && a.file.is_file() {
        if let Some(w) = crate::state::record(&a.file, ok, a.restore_test, err) {
            host.debug(&w);
        }
    }
    r
}

fn verify(host: &Host, a: &VerifyArgs) -> Result<i32> {
    crate::refuse_unfinished(&a.file)?;
    let unlock = a.unlock.resolve(host, &a.file)?;
    let scan = scan::scan(&a.file, &unlock)?;
    let mut mismatches = Vec::new();
    let mut counts = None;
    if a.restore_test {
        let got = restore_test(host, &a.file, &unlock, &scan)?;
        if let Format::Mfactl(m) = &scan.format {
            for (t, want) in &m.db.tables {
                let have = got.get(t).copied();
                if have != Some(*want) {
                    mismatches.push(format!(
                        "table {t}: {} rows restored, the manifest says {want}",
                        have.map(|h| h.to_string()).unwrap_or_else(|| "no".into())
                    ));
                }
            }
        }
        counts = Some(got);
    }
    let (created, dialect, key_included, revision) = match &scan.format {
        Format::Mfactl(m) => (
            m.header.created.clone(),
            m.header.dialect.name().to_string(),
            m.header.key_included,
            m.header.schema_revision.clone(),
        ),
        Format::PiManage(l) => (String::new(), l.engine.name().into(), l.key.is_some(), None),
    };
    let ok = mismatches.is_empty();
    match a.format.get(host) {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "file": a.file.display().to_string(),
                "ok": ok,
                "format": match &scan.format { Format::Mfactl(_) => "mfactl", Format::PiManage(_) => "pi-manage" },
                "encrypted": scan.layers.encrypted,
                "members": scan.members.len(),
                "created": created,
                "dialect": dialect,
                "schema_revision": revision,
                "key_included": key_included,
                "restore_test": counts,
                "mismatches": mismatches,
            });
            host.outln(&v.to_string());
        }
        OutputFormat::Text => {
            host.outln(&format!(
                "{}: {} members, checksums OK ({}{}, {dialect}, key {})",
                a.file.display(),
                scan.members.len(),
                match &scan.format {
                    Format::Mfactl(_) => "mfactl archive",
                    Format::PiManage(_) => "pi-manage archive, no manifest",
                },
                if scan.layers.encrypted {
                    ", encrypted"
                } else {
                    ""
                },
                if key_included {
                    "included"
                } else {
                    "not included"
                },
            ));
            if let Some(c) = &counts {
                let total: u64 = c.values().sum();
                host.outln(&format!(
                    "restore test: {} tables, {total} rows restored into a scratch database",
                    c.len()
                ));
            }
            for m in &mismatches {
                host.outln(&format!("MISMATCH {m}"));
            }
        }
    }
    if !ok {
        return Err(Error::failed(format!(
            "restore test of {} found {} mismatching tables",
            a.file.display(),
            mismatches.len()
        )));
    }
    Ok(0)
}
