//! The archive's self-description: a small header as the first member and the manifest (with a
//! SHA-256 of every member) as the last one.

use crate::uri::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Value of [`Header::format`].
pub const FORMAT: &str = "mfactl-backup";
/// Version of the archive layout described here.
pub const FORMAT_VERSION: u32 = 1;
/// The first member.
pub const HEADER_NAME: &str = "mfactl-backup.json";
/// The last member.
pub const MANIFEST_NAME: &str = "manifest.json";
/// Prefix of the database members.
pub const DB_PREFIX: &str = "db/";
/// Prefix of the file members (followed by the absolute path without its leading `/`).
pub const FILES_PREFIX: &str = "files/";
/// Largest header or manifest we read into memory.
pub const MAX_META_SIZE: u64 = 64 * 1024 * 1024;

/// What is known when the archive is started (first member; also repeated in the manifest).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`FORMAT_VERSION`] for archives written by this version.
    pub format_version: u32,
    /// The mfactl version that wrote it.
    pub mfactl_version: String,
    /// Host name of the machine that wrote it.
    pub host: String,
    /// Creation time, RFC 3339 with offset (local time).
    pub created: String,
    /// Database engine.
    pub dialect: Engine,
    /// The database URI with the password redacted.
    pub db_uri: String,
    /// For SQLite: the absolute path of the database file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite_path: Option<String>,
    /// Alembic revision (`alembic_version.version_num`), when the table exists.
    pub schema_revision: Option<String>,
    /// The encryption key file is in the archive.
    pub key_included: bool,
    /// Path of the key file (`PI_ENCFILE`).
    pub key_path: Option<String>,
    /// Fingerprint of the key (see `mfactl enckey`), never the key. `None` when unreadable or
    /// wrapped with a passphrase.
    pub key_fingerprint: Option<String>,
    /// zstd level used.
    pub compression_level: i32,
    /// The archive is age-encrypted.
    pub encrypted: bool,
}

/// One member as recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Member {
    /// Path inside the archive.
    pub name: String,
    /// `file`, `dir`, `symlink` or `hardlink`.
    pub kind: String,
    /// Content size in bytes (0 for non-files).
    pub size: u64,
    /// Lower-case hex SHA-256 of the content (files only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Permission bits.
    pub mode: u32,
    /// Owner uid.
    pub uid: u64,
    /// Owner gid.
    pub gid: u64,
    /// Link target (links only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// The database part of the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct DbPart {
    /// `sqlite` (a database file) or `sql` (a plain SQL dump, possibly split in parts).
    pub kind: String,
    /// The members holding it, in order (concatenate them).
    pub members: Vec<String>,
    /// Total size of the dump.
    pub size: u64,
    /// SHA-256 of the whole dump.
    pub sha256: String,
    /// Rows per table as seen in the snapshot/dump.
    pub tables: BTreeMap<String, u64>,
    /// The tool that made it (`sqlite VACUUM INTO`, `pg_dump 15.18`, …).
    pub tool: String,
}

/// The last member.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Same as the first member.
    pub header: Header,
    /// Every member but the manifest itself, in archive order.
    pub members: Vec<Member>,
    /// The database dump.
    pub db: DbPart,
}

impl Manifest {
    /// The member named `name`.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }
}
