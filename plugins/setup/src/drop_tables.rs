//! `mfactl setup drop-tables --yes-really`: drops privacyIDEA's tables, sequences and
//! `alembic_version`. Without the flag it does nothing and says so.

use crate::catalog;
use crate::create_tables::{LOCK, LOCK_WAIT_MS};
use crate::schema::{Kind, Schema, ALEMBIC_TABLE};
use mfactl_plugin_api::args::DryRunArg;
use mfactl_plugin_api::{DbTarget, Dialect, Error, Host, Result};

/// Options of `drop-tables`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Really drop every privacyIDEA table, sequence and alembic_version (all data is lost)
    #[arg(long = "yes-really")]
    pub yes_really: bool,
    /// pi-manage's spelling: only the exact value "yes" drops
    #[arg(short = 'd', long = "dropit", hide = true, value_name = "yes")]
    pub dropit: Option<String>,
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

pub fn run(host: &Host, a: Args) -> Result<i32> {
    let really = a.yes_really || a.dropit.as_deref() == Some("yes");
    if !really {
        host.outln("Not dropping anything!");
        host.info(
            "hint: `mfactl setup drop-tables --yes-really` (or pi-manage's `--dropit yes`) drops \
             every privacyIDEA table; all data is lost",
        );
        return Ok(0);
    }
    let info = host.db_info(DbTarget::Main)?;
    host.outln(&format!("Using connect string {}", info.url_redacted));
    let dry = a.dry_run.get(host);
    if !dry {
        host.outln("Dropping all database tables!");
    }
    let schema = Schema::load(catalog::flavor(&info)).map_err(Error::internal)?;
    if !dry {
        host.lock(DbTarget::Main, LOCK, LOCK_WAIT_MS)?;
    }
    let dialect = info.dialect;
    let work = || -> Result<(usize, usize)> {
        let present = catalog::present(host, DbTarget::Main)?;
        let mut tables = 0;
        let mut seqs = 0;
        // Referencing tables first: the reverse of the creation order.
        let mut names: Vec<&str> = schema.tables().collect();
        names.reverse();
        names.push(ALEMBIC_TABLE);
        for t in names {
            if present.tables.contains(t) && dry {
                host.debug(&format!("would drop table {t}"));
                tables += 1;
            } else if present.tables.contains(t) {
                host.execute(
                    DbTarget::Main,
                    &format!("DROP TABLE {}", dialect.quote(t)),
                    vec![],
                )?;
                tables += 1;
            }
        }
        for u in schema.units.iter().filter(|u| u.kind == Kind::Sequence) {
            if present.sequences.contains(&u.name) && dry {
                host.debug(&format!("would drop sequence {}", u.name));
                seqs += 1;
            } else if present.sequences.contains(&u.name) {
                host.execute(
                    DbTarget::Main,
                    &format!("DROP SEQUENCE {}", dialect.quote(&u.name)),
                    vec![],
                )?;
                seqs += 1;
            }
        }
        Ok((tables, seqs))
    };
    let (tables, seqs) = if dry || dialect == Dialect::Mysql {
        work()?
    } else {
        host.transaction(DbTarget::Main, work)?
    };
    let verb = if dry { "Would drop" } else { "Dropped" };
    if seqs > 0 {
        host.outln(&format!("{verb} {tables} tables and {seqs} sequences"));
    } else {
        host.outln(&format!("{verb} {tables} tables"));
    }
    Ok(0)
}
