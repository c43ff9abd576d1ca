//! Test fixture: exercises the host's database callbacks (types, streams, transactions, locks,
//! sequence ids) so the integration tests can check them on every engine.
use clap::{Parser, Subcommand};
use mfactl_plugin_api::{
    args::{parse_args, Parsed},
    Command, DbTarget, Dialect, Error, Host, Plugin, PluginInfo, Result, Timestamp, Value,
};

pub struct DbProbe;

#[derive(Parser)]
#[command(name = "mfactl dbprobe")]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
    /// Use the audit database
    #[arg(long, global = true)]
    audit: bool,
}

#[derive(Subcommand)]
enum Verb {
    Info,
    Roundtrip,
    Stream {
        rows: i64,
        batch: u32,
    },
    TxRollback,
    Lock {
        name: String,
        hold_ms: u64,
        timeout_ms: u64,
    },
    NextId {
        table: String,
    },
}

impl Plugin for DbProbe {
    const INFO: PluginInfo = PluginInfo {
        noun: "dbprobe",
        version: "0.1.0",
        about: "Exercise the host database callbacks (test fixture)",
        commands: &[
            Command {
                name: "info",
                about: "Describe the database",
            },
            Command {
                name: "roundtrip",
                about: "Write and read every value type",
            },
            Command {
                name: "stream",
                about: "Stream rows in batches",
            },
            Command {
                name: "tx-rollback",
                about: "Roll back and commit",
            },
            Command {
                name: "lock",
                about: "Hold a named lock",
            },
            Command {
                name: "next-id",
                about: "A new id from the sequence",
            },
        ],
        aliases: &[],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(c) => c,
            Parsed::Exit(c) => return Ok(c),
        };
        let db = if cli.audit {
            DbTarget::Audit
        } else {
            DbTarget::Main
        };
        match cli.verb {
            Verb::Info => {
                let i = host.db_info(db)?;
                host.outln(&format!(
                    "dialect={} mariadb_uri={} server_is_mariadb={} url={}",
                    i.dialect.name(),
                    i.mariadb_uri,
                    i.server_is_mariadb,
                    i.url_redacted
                ));
            }
            Verb::Roundtrip => roundtrip(host, db)?,
            Verb::Stream { rows, batch } => stream(host, db, rows, batch)?,
            Verb::TxRollback => tx(host, db)?,
            Verb::Lock {
                name,
                hold_ms,
                timeout_ms,
            } => {
                host.lock(db, &name, timeout_ms)?;
                host.outln("locked");
                std::thread::sleep(std::time::Duration::from_millis(hold_ms));
                host.unlock(db, &name)?;
                host.outln("unlocked");
            }
            Verb::NextId { table } => match host.next_id(db, &table)? {
                Some(id) => host.outln(&id.to_string()),
                None => host.outln("none"),
            },
        }
        Ok(0)
    }
}

fn create(host: &Host, db: DbTarget, name: &str) -> Result<Dialect> {
    let d = host.dialect(db)?;
    let _ = host.execute(db, &format!("DROP TABLE IF EXISTS {name}"), vec![]);
    let ddl = match d {
        Dialect::Sqlite => format!("CREATE TABLE {name} (id INTEGER PRIMARY KEY, i BIGINT, r REAL, t VARCHAR(100), b BLOB, flag BOOLEAN, ts DATETIME)"),
        Dialect::Postgres => format!("CREATE TABLE {name} (id INTEGER PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, t VARCHAR(100), b BYTEA, flag BOOLEAN, ts TIMESTAMP WITHOUT TIME ZONE)"),
        Dialect::Mysql => format!("CREATE TABLE {name} (id INTEGER PRIMARY KEY, i BIGINT, r DOUBLE, t VARCHAR(100), b LONGBLOB, flag BOOL, ts DATETIME(6)) CHARACTER SET utf8mb4"),
    };
    host.execute(db, &ddl, vec![])?;
    Ok(d)
}

fn roundtrip(host: &Host, db: DbTarget) -> Result<()> {
    let d = create(host, db, "probe_rt")?;
    let ts = Timestamp::parse("2026-01-02 03:04:05.234567").ok_or_else(|| Error::internal("ts"))?;
    let sql = format!(
        "INSERT INTO probe_rt (id, i, r, t, b, flag, ts) VALUES ({})",
        d.placeholders(1, 7)
    );
    host.execute(
        db,
        &sql,
        vec![
            Value::Int(1),
            Value::Int(-9_007_199_254_740_993),
            Value::Real(1.5),
            Value::text("pässwörd €✓"),
            Value::from(vec![0u8, 1, 255]),
            Value::Bool(true),
            Value::Timestamp(ts),
        ],
    )?;
    host.execute(
        db,
        &sql,
        vec![
            Value::Int(2),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
    )?;
    let rows = host.query(
        db,
        "SELECT id, i, r, t, b, flag, ts FROM probe_rt ORDER BY id",
        vec![],
    )?;
    for r in rows.rows.iter() {
        let cells: Vec<String> = r
            .iter()
            .map(|v| match v {
                Value::Null => "NULL".to_string(),
                Value::Bytes(b) => format!("bytes:{b:?}"),
                Value::Bool(b) => format!("bool:{b}"),
                other => match other.as_timestamp() {
                    Some(t)
                        if matches!(other, Value::Timestamp(_))
                            || other
                                .as_str()
                                .is_some_and(|s| s.len() == 26 && s.contains(':')) =>
                    {
                        format!("ts:{}", t.to_sqlite_text())
                    }
                    _ => other.to_text(),
                },
            })
            .collect();
        host.outln(&cells.join("|"));
    }
    // Filtering by a bound timestamp must match the stored one exactly.
    let n = host.query(
        db,
        &format!(
            "SELECT COUNT(*) FROM probe_rt WHERE ts = {}",
            d.placeholder(1)
        ),
        vec![Value::Timestamp(ts)],
    )?;
    host.outln(&format!(
        "ts-match={}",
        n.scalar().and_then(Value::as_i64).unwrap_or(-1)
    ));
    host.execute(db, "DROP TABLE probe_rt", vec![])?;
    Ok(())
}

fn stream(host: &Host, db: DbTarget, rows: i64, batch: u32) -> Result<()> {
    let d = create(host, db, "probe_stream")?;
    host.transaction(db, || {
        let mut i = 1;
        while i <= rows {
            let n = (rows - i + 1).min(500);
            let values: Vec<String> = (0..n).map(|k| format!("({}, {})", i + k, i + k)).collect();
            host.execute(
                db,
                &format!(
                    "INSERT INTO probe_stream (id, i) VALUES {}",
                    values.join(",")
                ),
                vec![],
            )?;
            i += n;
        }
        Ok(())
    })?;
    let _ = d;
    let (mut batches, mut max, mut sum, mut count) = (0u64, 0usize, 0i64, 0i64);
    host.stream(
        db,
        "SELECT id FROM probe_stream ORDER BY id",
        vec![],
        batch,
        |r| {
            batches += 1;
            max = max.max(r.len());
            for row in r.rows.iter() {
                sum += row[0].as_i64().unwrap_or(0);
                count += 1;
            }
            Ok(true)
        },
    )?;
    host.outln(&format!(
        "rows={count} sum={sum} batches={batches} max_batch={max}"
    ));
    host.execute(db, "DROP TABLE probe_stream", vec![])?;
    Ok(())
}

fn tx(host: &Host, db: DbTarget) -> Result<()> {
    create(host, db, "probe_tx")?;
    let failed: Result<()> = host.transaction(db, || {
        host.execute(db, "INSERT INTO probe_tx (id) VALUES (1)", vec![])?;
        Err(Error::failed("abort on purpose"))
    });
    let after_rollback = host.query(db, "SELECT COUNT(*) FROM probe_tx", vec![])?;
    host.transaction(db, || {
        host.execute(db, "INSERT INTO probe_tx (id) VALUES (2)", vec![])
            .map(|_| ())
    })?;
    let after_commit = host.query(db, "SELECT COUNT(*) FROM probe_tx", vec![])?;
    host.outln(&format!(
        "rolled_back={} after_rollback={} after_commit={}",
        failed.is_err(),
        after_rollback
            .scalar()
            .and_then(Value::as_i64)
            .unwrap_or(-1),
        after_commit.scalar().and_then(Value::as_i64).unwrap_or(-1)
    ));
    host.execute(db, "DROP TABLE probe_tx", vec![])?;
    Ok(())
}

mfactl_plugin_api::export_plugin!(DbProbe);
