//! # mfactl-setup
//!
//! The `setup` plugin: `mfactl setup create-tables | drop-tables | create-audit-keys | init |
//! status`. It creates privacyIDEA 3.14's schema exactly as `pi-manage setup create_tables` does
//! (the DDL privacyIDEA itself produced, per dialect, in `schema/`), stamps the Alembic revision,
//! writes the audit signing keys, and sets up a complete test installation in one directory.

mod audit_keys;
pub mod catalog;
mod create_tables;
mod drop_tables;
mod init;
pub mod keyfile;
pub mod schema;
mod status;

pub use schema::ALEMBIC_HEAD;

use clap::{Parser, Subcommand};
use mfactl_plugin_api::args::{parse_args, Parsed};
use mfactl_plugin_api::{Alias, Command, Host, Plugin, PluginInfo, Result};

/// The `setup` plugin.
pub struct SetupPlugin;

#[derive(Parser, Debug)]
#[command(
    name = "mfactl setup",
    about = "Create privacyIDEA's tables and audit keys; set up and check an installation"
)]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Create privacyIDEA 3.14's tables, sequences and indexes where missing; stamp the revision
    #[command(
        alias = "create_tables",
        long_about = "Create every table, sequence, index and constraint of privacyIDEA 3.14 that \
        does not exist yet, exactly as privacyIDEA's own `setup create_tables` makes them on \
        SQLite, PostgreSQL and MariaDB/MySQL, then stamp alembic_version with the schema revision \
        (unless --no-stamp). Running it again changes nothing. The database must exist; an SQLite \
        file is created. Unlike pi-manage, a database that records another schema revision is \
        not re-stamped (that would hide migrations it still needs): the command says so and \
        exits 1. SQLite and PostgreSQL get everything in one transaction. When \
        PI_AUDIT_SQL_URI names another database, the audit table is created there as well."
    )]
    CreateTables(create_tables::Args),
    /// Drop all privacyIDEA tables (needs --yes-really; otherwise does nothing)
    #[command(
        alias = "drop_tables",
        long_about = "Drop every privacyIDEA table and sequence and alembic_version. All data is \
        lost. Without --yes-really (or pi-manage's `--dropit yes`) nothing is dropped, the command \
        says so and exits 0, as pi-manage does."
    )]
    DropTables(drop_tables::Args),
    /// Create the RSA key pair that signs the audit log (never overwrites the private key)
    #[command(
        alias = "create_audit_keys",
        long_about = "Create the RSA key pair privacyIDEA signs audit entries with: the private \
        key (PKCS#1 PEM) at PI_AUDIT_KEY_PRIVATE, written with mode 0400 from its first byte \
        (temporary file, fsync, rename), and the public key (SubjectPublicKeyInfo PEM) at \
        PI_AUDIT_KEY_PUBLIC. An existing private key is never overwritten (exit 1)."
    )]
    CreateAuditKeys(audit_keys::Args),
    /// Set up a ready-to-use installation in an empty directory (config, keys, tables)
    #[command(
        long_about = "Set up a complete installation in DIR (created when missing; an existing \
        DIR must be empty): mfactl.toml and an equivalent pi.cfg (mode 0600) using an SQLite \
        database DIR/pi.sqlite, a random 96-byte encryption key DIR/enckey (mode 0400), the \
        audit key pair, random SECRET_KEY and PI_PEPPER, and all tables (made by running \
        `mfactl --config DIR/mfactl.toml setup create-tables`). Needs no existing configuration. \
        Prints the commands to try next."
    )]
    Init(init::Args),
    /// Show whether the database, schema revision, tables and key files are in order
    #[command(
        long_about = "Show whether the database is reachable (dialect, server version), the \
        schema revision in alembic_version against the one mfactl knows, missing tables and \
        sequences, and the key files (PI_ENCFILE, PI_AUDIT_KEY_PRIVATE, PI_AUDIT_KEY_PUBLIC) with \
        their modes; a private key readable by group or others is a problem. Exit 0 when \
        everything is in order, 1 when something is not."
    )]
    Status(status::Args),
}

impl Plugin for SetupPlugin {
    const INFO: PluginInfo = PluginInfo {
        noun: "setup",
        version: env!("CARGO_PKG_VERSION"),
        about: "Create privacyIDEA's tables and audit keys; set up and check an installation",
        commands: &[
            Command {
                name: "create-tables",
                about: "Create privacyIDEA 3.14's tables where missing; stamp the revision",
            },
            Command {
                name: "drop-tables",
                about: "Drop all privacyIDEA tables (needs --yes-really)",
            },
            Command {
                name: "create-audit-keys",
                about: "Create the audit signing key pair",
            },
            Command {
                name: "init",
                about: "Set up a ready-to-use installation in an empty directory",
            },
            Command {
                name: "status",
                about: "Check database, schema revision, tables and key files",
            },
        ],
        aliases: &[
            Alias {
                path: "setup create_tables",
                verb: "create-tables",
            },
            Alias {
                path: "create_tables",
                verb: "create-tables",
            },
            Alias {
                path: "createdb",
                verb: "create-tables",
            },
            Alias {
                path: "setup drop_tables",
                verb: "drop-tables",
            },
            Alias {
                path: "drop_tables",
                verb: "drop-tables",
            },
            Alias {
                path: "dropdb",
                verb: "drop-tables",
            },
            Alias {
                path: "setup create_audit_keys",
                verb: "create-audit-keys",
            },
            Alias {
                path: "create_audit_keys",
                verb: "create-audit-keys",
            },
        ],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(cli) => cli,
            Parsed::Exit(code) => return Ok(code),
        };
        match cli.verb {
            Verb::CreateTables(a) => create_tables::run(host, a),
            Verb::DropTables(a) => drop_tables::run(host, a),
            Verb::CreateAuditKeys(a) => audit_keys::run(host, a),
            Verb::Init(a) => init::run(host, a),
            Verb::Status(a) => status::run(host, a),
        }
    }
}

mfactl_plugin_api::declare_plugin!(SetupPlugin);

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn pi_manage_spellings_parse() {
        let cli = Cli::try_parse_from(["x", "create_tables", "-n"]).expect("parse");
        assert!(matches!(
            cli.verb,
            Verb::CreateTables(create_tables::Args { no_stamp: true, .. })
        ));
        let cli = Cli::try_parse_from(["x", "create-tables", "--stamp"]).expect("parse");
        assert!(matches!(
            cli.verb,
            Verb::CreateTables(create_tables::Args {
                stamp: true,
                no_stamp: false,
                ..
            })
        ));
        let cli = Cli::try_parse_from(["x", "drop_tables", "--dropit", "yes"]).expect("parse");
        match cli.verb {
            Verb::DropTables(a) => assert_eq!(a.dropit.as_deref(), Some("yes")),
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from(["x", "drop-tables", "-d", "no"]).expect("parse");
        assert!(matches!(
            cli.verb,
            Verb::DropTables(drop_tables::Args {
                yes_really: false,
                ..
            })
        ));
        let cli = Cli::try_parse_from(["x", "create_audit_keys", "-k", "4096"]).expect("parse");
        assert!(matches!(
            cli.verb,
            Verb::CreateAuditKeys(audit_keys::Args { keysize: 4096, .. })
        ));
        assert!(Cli::try_parse_from(["x", "create-audit-keys", "-k", "512"]).is_err());
        let cli = Cli::try_parse_from(["x", "create-tables", "--dryrun"]).expect("parse");
        assert!(matches!(cli.verb, Verb::CreateTables(_)));
    }

    #[test]
    fn aliases_point_at_real_verbs() {
        for a in SetupPlugin::INFO.aliases {
            assert!(
                SetupPlugin::INFO.commands.iter().any(|c| c.name == a.verb),
                "{}",
                a.path
            );
        }
        for c in SetupPlugin::INFO.commands {
            assert!(
                Cli::command().find_subcommand(c.name).is_some(),
                "{}",
                c.name
            );
        }
    }
}
