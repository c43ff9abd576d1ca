//! The `backup` plugin: consistent, optionally encrypted, verifiable backups of a privacyIDEA
//! installation (database + configuration files) and all-or-nothing restores.
//!
//! Archive layout (format 1): a zstd-compressed tar, optionally wrapped in age, holding
//! `mfactl-backup.json` (header), `files/<absolute path>` members, the database dump under
//! `db/`, and `manifest.json` (header + SHA-256 of every member + rows per table) last.

use clap::{Args, Parser, Subcommand, ValueEnum};
use mfactl_plugin_api::{
    args::{parse_args, DryRunArg, FormatArg, Parsed, YesArg},
    Command, Host, Plugin, PluginInfo, Result,
};
use std::path::PathBuf;

pub mod archive;
pub mod cfgfile;
mod create;
pub mod dbdump;
pub mod dbload;
pub mod dumpcount;
mod list;
pub mod manifest;
pub mod owners;
mod prune;
pub mod restore;
pub mod retention;
pub mod safety;
pub mod scan;
pub mod state;
pub mod tools;
pub mod uri;
mod verify;

/// The `backup` plugin.
pub struct Backup;

/// Environment variable holding the archive passphrase.
pub const PASSPHRASE_ENV: &str = "MFACTL_BACKUP_PASSPHRASE";

#[derive(Parser, Debug)]
#[command(
    name = "mfactl backup",
    about = "Create, verify, list, prune and restore backups of the database and configuration"
)]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Create a consistent backup of the database and the configuration.
    ///
    /// The database is snapshotted while the server runs (SQLite: the file read under a shared
    /// lock, or VACUUM INTO in WAL mode; PostgreSQL: pg_dump; MariaDB/MySQL: mariadb-dump
    /// --single-transaction) and streamed with the config directory into
    /// `<directory>/privacyidea-backup-<date>-<time>.tar.zst[.age]` (mode 0600, written as
    /// .partial and renamed when complete) with a manifest of SHA-256 checksums. The encryption
    /// key is left out unless --enckey is given.
    ///
    /// Unlike pi-manage: SQLite is never copied while it may be written, PostgreSQL is
    /// supported, database passwords never land in the config directory or the archive, two
    /// backups in the same minute do not collide, and the archive can be encrypted.
    Create(create::CreateArgs),
    /// Restore a backup (mfactl or pi-manage 3.14 archive); all or nothing.
    ///
    /// Everything is decrypted and verified before anything is written; unsafe members
    /// (absolute paths, `..`, escaping links, devices) refuse the whole archive. The files are
    /// staged under temporary names, then the database is restored (SQLite: new file renamed
    /// over the old one; PostgreSQL: one transaction; MariaDB: staging database swapped in with
    /// one atomic RENAME TABLE, or in place with a safety copy when the user may not create the
    /// staging database), then the staged files are renamed into place with their modes.
    ///
    /// Unlike pi-manage, a failed restore leaves the config files and the database as they were
    /// (privacyIDEA #5891), a 0400 key stays 0400, and --target-root restores into another root.
    Restore(restore::RestoreArgs),
    /// Check an archive's manifest and checksums without extracting it.
    Verify(verify::VerifyArgs),
    /// List the backups in a directory.
    List(list::ListArgs),
    /// Delete old backups, keeping the ones a retention policy selects (restic's rules).
    Prune(prune::PruneArgs),
}

/// `--compression`.
#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compression {
    /// zstd level 1.
    Fast,
    /// zstd level 3.
    #[default]
    Default,
    /// zstd level 15 (slow).
    Best,
}

impl Compression {
    /// The zstd level.
    pub fn level(self) -> i32 {
        match self {
            Compression::Fast => 1,
            Compression::Default => 3,
            Compression::Best => 15,
        }
    }
}

/// Options that open encrypted archives.
#[derive(Args, Debug, Clone, Default)]
pub struct UnlockArgs {
    /// age identity file for archives encrypted with --recipient (repeatable).
    #[arg(long = "identity", short = 'i', value_name = "FILE")]
    pub identity: Vec<PathBuf>,
    /// File whose first line is the passphrase (else MFACTL_BACKUP_PASSPHRASE, else a prompt).
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

impl UnlockArgs {
    /// Builds the secrets for `path` (nothing when it is not encrypted).
    pub fn resolve(&self, host: &Host, path: &std::path::Path) -> Result<archive::Unlock> {
        let layers = archive::sniff(path)?;
        let mut unlock = archive::Unlock::default();
        if !layers.encrypted {
            return Ok(unlock);
        }
        for f in &self.identity {
            unlock.identities.extend(archive::load_identities(f)?);
        }
        if let Some(f) = &self.passphrase_file {
            unlock.passphrase = Some(archive::read_passphrase_file(f)?);
        } else if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
            if !p.is_empty() {
                unlock.passphrase = Some(age::secrecy::SecretString::from(p));
            }
        } else if self.identity.is_empty() {
            let p = host.prompt_secret(&format!("Passphrase for {}: ", path.display()), false)?;
            unlock.passphrase = Some(age::secrecy::SecretString::from(p.expose().to_string()));
        }
        Ok(unlock)
    }
}

impl Plugin for Backup {
    const INFO: PluginInfo = PluginInfo {
        noun: "backup",
        version: env!("CARGO_PKG_VERSION"),
        about: "Create, verify, list, prune and restore backups",
        commands: &[
            Command {
                name: "create",
                about: "Create a consistent backup of the database and the configuration",
            },
            Command {
                name: "restore",
                about: "Restore a backup (mfactl or pi-manage archive); all or nothing",
            },
            Command {
                name: "verify",
                about: "Check an archive's manifest and checksums without extracting it",
            },
            Command {
                name: "list",
                about: "List the backups in a directory",
            },
            Command {
                name: "prune",
                about: "Delete old backups by a keep-last/daily/weekly/monthly policy",
            },
        ],
        aliases: &[],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(cli) => cli,
            Parsed::Exit(code) => return Ok(code),
        };
        match cli.verb {
            Verb::Create(a) => create::run(host, a),
            Verb::Restore(a) => restore::run(host, a),
            Verb::Verify(a) => verify::run(host, a),
            Verb::List(a) => list::run(host, a),
            Verb::Prune(a) => prune::run(host, a),
        }
    }
}

// Shared flag groups re-exported for the verb modules.
pub(crate) type Dry = DryRunArg;

/// Refuses a `.partial` file: a backup whose writer was stopped (or is still writing) before it
/// was fsynced and renamed is never verified or restored, however complete its content looks.
pub(crate) fn refuse_unfinished(path: &std::path::Path) -> mfactl_plugin_api::Result<()> {
    if path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(".partial"))
    {
        return Err(mfactl_plugin_api::Error::failed(format!(
            "{} is an unfinished backup (its `backup create` was stopped or is still running)",
            path.display()
        ))
        .with_hint("use a finished backup; `mfactl backup list` shows them"));
    }
    Ok(())
}
pub(crate) type Yes = YesArg;
pub(crate) type Fmt = FormatArg;

mfactl_plugin_api::declare_plugin!(Backup);
