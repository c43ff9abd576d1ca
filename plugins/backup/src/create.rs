//! `mfactl backup create`.

use crate::archive::{self, ArchiveWriter, Encryption, Meta};
use crate::manifest::{
    Header, Manifest, FILES_PREFIX, FORMAT, FORMAT_VERSION, HEADER_NAME, MANIFEST_NAME,
};
use crate::uri::{self, DbUri, Engine};
use crate::{dbdump, Compression, Dry, Fmt, PASSPHRASE_ENV};
use clap::Args;
use mfactl_plugin_api::{args::OutputFormat, DbTarget, Error, Host, Result};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Default backup directory (as pi-manage).
pub const DEFAULT_DIR: &str = "/var/lib/privacyidea/backup";
/// Default config directory (as pi-manage).
pub const DEFAULT_CONFIG_DIR: &str = "/etc/privacyidea";

/// Options of `backup create`.
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Directory to write the backup to (created 0700 if missing).
    #[arg(short = 'd', long = "directory", value_name = "DIR", default_value = DEFAULT_DIR)]
    pub directory: PathBuf,
    /// privacyIDEA config directory to include.
    #[arg(short = 'c', long = "config-dir", alias = "config_dir", value_name = "DIR",
          default_value = DEFAULT_CONFIG_DIR)]
    pub config_dir: PathBuf,
    /// FreeRADIUS config directory to include.
    #[arg(
        short = 'r',
        long = "radius-dir",
        alias = "radius_dir",
        value_name = "DIR"
    )]
    pub radius_dir: Option<PathBuf>,
    /// Include the encryption key (PI_ENCFILE). Anyone who can read the archive can then
    /// decrypt every secret in the database: combine with --encrypt.
    #[arg(short = 'e', long = "enckey")]
    pub enckey: bool,
    /// Encrypt the archive with age (to --recipient keys, else with a passphrase from
    /// --passphrase-file, MFACTL_BACKUP_PASSPHRASE or a prompt).
    #[arg(long = "encrypt")]
    pub encrypt: bool,
    /// age public key (`age1…`) to encrypt to; repeatable; implies --encrypt.
    #[arg(long = "recipient", value_name = "AGE_PUBKEY")]
    pub recipient: Vec<String>,
    /// File whose first line is the passphrase; implies --encrypt.
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Compression level.
    #[arg(long = "compression", value_enum, default_value_t = Compression::Default)]
    pub compression: Compression,
    #[command(flatten)]
    pub format: Fmt,
    #[command(flatten)]
    pub dry: Dry,
}

fn abs(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// The fingerprint `mfactl enckey` shows: first 16 bytes of
/// `SHA-256("mfactl enckey fingerprint v1\0" || key)`, hex. Only for a raw 96-byte key.
pub fn key_fingerprint(key: &[u8]) -> Option<String> {
    if key.len() != 96 {
        return None;
    }
    let mut h = Sha256::new();
    h.update(b"mfactl enckey fingerprint v1\0");
    h.update(key);
    Some(hex::encode(&h.finalize()[..16]))
}

fn meta_of(md: &fs::Metadata) -> Meta {
    Meta {
        mode: md.mode() & 0o7777,
        uid: u64::from(md.uid()),
        gid: u64::from(md.gid()),
        mtime: md.mtime().max(0) as u64,
    }
}

fn member_name(path: &Path) -> String {
    let s = path.display().to_string();
    format!("{FILES_PREFIX}{}", s.trim_start_matches('/'))
}

struct Walk<'a> {
    exclude: Vec<PathBuf>,
    key: Option<PathBuf>,
    include_key: bool,
    host: &'a Host,
    added: Vec<PathBuf>,
}

impl Walk<'_> {
    fn excluded(&self, p: &Path) -> bool {
        if self.exclude.iter().any(|e| p == e) {
            return true;
        }
        if !self.include_key {
            if let Some(k) = &self.key {
                let canon = fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
                if &canon == k || p == k {
                    return true;
                }
            }
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        name.ends_with(".partial") || name.starts_with(".mfactl-snapshot-")
    }

    /// Adds a root given on the command line (a symlink to a directory is followed there).
    fn add_root(&mut self, w: &mut ArchiveWriter, path: &Path) -> Result<()> {
        self.add_inner(w, path, true)
    }

    fn add(&mut self, w: &mut ArchiveWriter, path: &Path) -> Result<()> {
        self.add_inner(w, path, false)
    }

    fn add_inner(&mut self, w: &mut ArchiveWriter, path: &Path, root: bool) -> Result<()> {
        if self.excluded(path) || self.added.iter().any(|a| a == path) {
            return Ok(());
        }
        let md = if root {
            fs::metadata(path)
        } else {
            fs::symlink_metadata(path)
        }
        .map_err(|e| Error::failed(format!("cannot read {}", path.display())).with_source(&e))?;
        let ft = md.file_type();
        let name = member_name(path);
        let werr = |e: std::io::Error| {
            Error::failed(format!("cannot add {} to the archive", path.display())).with_source(&e)
        };
        if ft.is_dir() {
            w.add_dir(&name, meta_of(&md)).map_err(werr)?;
            self.added.push(path.to_path_buf());
            let mut entries: Vec<PathBuf> = fs::read_dir(path)
                .map_err(|e| {
                    Error::failed(format!("cannot list {}", path.display())).with_source(&e)
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for e in entries {
                self.add(w, &e)?;
            }
        } else if ft.is_file() {
            let f = File::open(path).map_err(|e| {
                Error::failed(format!("cannot read {}", path.display())).with_source(&e)
            })?;
            w.add_reader(&name, md.len(), f, meta_of(&md))
                .map_err(werr)?;
            self.added.push(path.to_path_buf());
        } else if ft.is_symlink() {
            let t = fs::read_link(path).map_err(|e| {
                Error::failed(format!("cannot read link {}", path.display())).with_source(&e)
            })?;
            let target = t.display().to_string();
            if t.is_absolute() || crate::safety::check_symlink(&name, target.as_bytes()).is_err() {
                self.host.warn(&format!(
                    "skipping symlink {} -> {target}: it points outside the backed-up tree",
                    path.display()
                ));
                return Ok(());
            }
            w.add_symlink(&name, &target, meta_of(&md)).map_err(werr)?;
            self.added.push(path.to_path_buf());
        } else {
            self.host.warn(&format!(
                "skipping {}: not a regular file, directory or symlink",
                path.display()
            ));
        }
        Ok(())
    }
}

/// Picks a free name and creates its `.partial` exclusively with mode 0600.
fn open_partial(dir: &Path, stamp: &str, ext: &str) -> Result<(PathBuf, PathBuf, File)> {
    for n in 0..10_000u32 {
        let base = if n == 0 {
            format!("privacyidea-backup-{stamp}")
        } else {
            format!("privacyidea-backup-{stamp}-{n}")
        };
        let final_path = dir.join(format!("{base}.{ext}"));
        let partial = dir.join(format!("{base}.{ext}.partial"));
        if final_path.exists() {
            continue;
        }
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&partial)
        {
            Ok(f) => return Ok((final_path, partial, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(
                    Error::failed(format!("cannot create {}", partial.display())).with_source(&e),
                )
            }
        }
    }
    Err(Error::failed("no free backup file name"))
}

/// Renames `from` to `to` unless `to` exists.
pub fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(from.as_os_str().as_bytes())?;
    let b = CString::new(to.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) => {
            fs::hard_link(from, to)?;
            fs::remove_file(from)
        }
        _ => Err(err),
    }
}

/// fsyncs a directory (after a rename in it).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

struct PartialGuard(Option<PathBuf>);
impl Drop for PartialGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

/// Removes snapshot directories left behind by killed runs (their pid no longer exists).
fn clean_stale_snapshots(dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".mfactl-snapshot-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn encryption(host: &Host, a: &CreateArgs) -> Result<Option<Encryption>> {
    if !a.recipient.is_empty() {
        let mut rs = Vec::new();
        for r in &a.recipient {
            rs.push(age::x25519::Recipient::from_str(r.trim()).map_err(|e| {
                Error::usage(format!("invalid age recipient {r:?}: {e}"))
                    .with_hint("give an X25519 public key starting with age1")
            })?);
        }
        if a.passphrase_file.is_some() {
            return Err(Error::usage(
                "--recipient and --passphrase-file cannot be combined",
            ));
        }
        return Ok(Some(Encryption::Recipients(rs)));
    }
    if let Some(f) = &a.passphrase_file {
        return Ok(Some(Encryption::Passphrase(archive::read_passphrase_file(
            f,
        )?)));
    }
    if !a.encrypt {
        return Ok(None);
    }
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        if !p.is_empty() {
            return Ok(Some(Encryption::Passphrase(p.into())));
        }
    }
    let p = host.prompt_secret("Passphrase for the backup: ", true)?;
    if p.expose().is_empty() {
        return Err(Error::usage("empty passphrase"));
    }
    Ok(Some(Encryption::Passphrase(p.expose().to_string().into())))
}

/// `--dry-run`: says what a backup would contain and where it would go.
fn report_dry_run(
    host: &Host,
    a: &CreateArgs,
    target: &Path,
    dirs: &[&Path],
    uri_text: &str,
    engine: Engine,
    encrypted: bool,
) {
    let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    match a.format.get(host) {
        OutputFormat::Json => host.outln(
            &serde_json::json!({
                "dry_run": true,
                "database": uri::redact(uri_text),
                "dialect": engine,
                "directories": dirs,
                "key_included": a.enckey,
                "encrypted": encrypted,
                "file": target.display().to_string(),
            })
            .to_string(),
        ),
        OutputFormat::Text => {
            host.outln(&format!(
                "Would back up the database {} and {}",
                uri::redact(uri_text),
                dirs.join(", ")
            ));
            host.outln(&format!(
                "Encryption key {}; archive {}",
                if a.enckey { "included" } else { "excluded" },
                if encrypted {
                    "encrypted"
                } else {
                    "not encrypted"
                }
            ));
            host.outln(&format!(
                "Would write {} (dry run: nothing written)",
                target.display()
            ));
        }
    }
}

/// Runs `backup create`.
pub fn run(host: &Host, a: CreateArgs) -> Result<i32> {
    let dir = abs(&a.directory);
    let config_dir = abs(&a.config_dir);
    if !config_dir.is_dir() {
        return Err(Error::usage(format!(
            "config directory {} does not exist",
            config_dir.display()
        ))
        .with_hint("give the privacyIDEA config directory with -c/--config-dir"));
    }
    let radius_dir = a.radius_dir.as_deref().map(abs);
    if let Some(r) = &radius_dir {
        if !r.is_dir() {
            return Err(Error::usage(format!(
                "radius directory {} does not exist",
                r.display()
            )));
        }
    }
    // what `encryption` will return Some for; it is asked only after the dry-run exit, so a dry
    // run never prompts for a passphrase
    let encrypted = a.encrypt || !a.recipient.is_empty() || a.passphrase_file.is_some();

    let uri_text = host
        .config_str("SQLALCHEMY_DATABASE_URI")
        .ok_or_else(|| Error::config("SQLALCHEMY_DATABASE_URI is not set in the configuration"))?;
    let db_uri = DbUri::parse(&uri_text)?;
    let info = host.db_info(DbTarget::Main)?;
    let sqlite_path = if db_uri.engine == Engine::Sqlite {
        let p = if info.sqlite_path.is_empty() {
            db_uri.sqlite_path()
        } else {
            // normalised: the host may report `//abs/path` for `sqlite:////abs/path`
            Some(Path::new(info.sqlite_path.as_str()).components().collect())
        };
        Some(p.ok_or_else(|| Error::config("the SQLite database has no file path"))?)
    } else {
        None
    };
    let schema_revision = host
        .query(
            DbTarget::Main,
            "SELECT version_num FROM alembic_version",
            vec![],
        )
        .ok()
        .and_then(|r| r.scalar().and_then(|v| v.as_str().map(str::to_string)));

    let key_path = host.config_str("PI_ENCFILE").map(PathBuf::from);
    let key_bytes = key_path
        .as_ref()
        .and_then(|p| fs::read(p).ok())
        .map(zeroize::Zeroizing::new);
    let key_fp = key_bytes.as_ref().and_then(|k| key_fingerprint(k));
    drop(key_bytes);
    let key_canon = key_path
        .as_ref()
        .map(|p| fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
    if a.enckey {
        match &key_path {
            Some(p) if p.is_file() => {}
            _ => {
                return Err(Error::config(
                    "--enckey given but PI_ENCFILE is not set or not a file",
                ))
            }
        }
        host.warn(if encrypted {
            "including the encryption key: whoever can decrypt this archive can decrypt every secret in the database"
        } else {
            "including the encryption key in an UNENCRYPTED archive: whoever can read it can decrypt every secret in the database (use --encrypt)"
        });
    }

    if a.dry.get(host) {
        if !a.recipient.is_empty() || a.passphrase_file.is_some() {
            encryption(host, &a)?; // checked as for a real run; no prompt on these paths
        }
        let ext = if encrypted { "tar.zst.age" } else { "tar.zst" };
        let target = dir.join(format!("privacyidea-backup-YYYYMMDD-HHMMSS.{ext}"));
        let dirs: Vec<&Path> = std::iter::once(config_dir.as_path())
            .chain(radius_dir.as_deref())
            .collect();
        report_dry_run(
            host,
            &a,
            &target,
            &dirs,
            &uri_text,
            db_uri.engine,
            encrypted,
        );
        return Ok(0);
    }
    let enc = encryption(host, &a)?;

    if !dir.is_dir() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| {
                Error::failed(format!("cannot create backup directory {}", dir.display()))
                    .with_source(&e)
            })?;
        // As pi-manage: when root, hand the directory to the owner of the key file.
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            if let Some(md) = key_path.as_ref().and_then(|p| fs::metadata(p).ok()) {
                let _ = std::os::unix::fs::chown(&dir, Some(md.uid()), Some(md.gid()));
            }
        }
    }
    clean_stale_snapshots(&dir);

    let now = chrono::Local::now();
    let stamp = now.format("%Y%m%d-%H%M%S").to_string();
    let ext = if encrypted { "tar.zst.age" } else { "tar.zst" };
    let (final_path, partial, file) = open_partial(&dir, &stamp, ext)?;
    let mut guard = PartialGuard(Some(partial.clone()));

    let header = Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        mfactl_version: env!("CARGO_PKG_VERSION").into(),
        host: hostname(),
        created: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        dialect: db_uri.engine,
        db_uri: uri::redact(&uri_text),
        sqlite_path: sqlite_path.as_ref().map(|p| p.display().to_string()),
        schema_revision,
        key_included: a.enckey,
        key_path: key_path.as_ref().map(|p| p.display().to_string()),
        key_fingerprint: key_fp,
        compression_level: a.compression.level(),
        encrypted,
    };
    let now_meta = Meta {
        mode: 0o600,
        uid: 0,
        gid: 0,
        mtime: now.timestamp().max(0) as u64,
    };
    let mut w = ArchiveWriter::new(file, a.compression.level(), enc)?;
    let werr = |e: std::io::Error| Error::failed("cannot write the archive").with_source(&e);
    let header_json = serde_json::to_vec_pretty(&header)
        .map_err(|e| Error::internal("cannot encode the header").with_source(&e))?;
    w.add_bytes(HEADER_NAME, &header_json, now_meta)
        .map_err(werr)?;

    let mut exclude = vec![dir.clone()];
    if let Some(p) = &sqlite_path {
        // The live database is backed up through its snapshot, never as a (torn) file copy.
        exclude.push(p.clone());
        for suffix in ["-wal", "-shm", "-journal"] {
            exclude.push(PathBuf::from(format!("{}{suffix}", p.display())));
        }
    }
    let mut walk = Walk {
        exclude,
        key: key_canon,
        include_key: a.enckey,
        host,
        added: Vec::new(),
    };
    walk.add_root(&mut w, &config_dir)?;
    if let Some(r) = &radius_dir {
        walk.add_root(&mut w, r)?;
    }
    if a.enckey {
        if let Some(k) = &key_path {
            walk.add_root(&mut w, k)?;
        }
    }
    let n_files = w.members().iter().filter(|m| m.kind == "file").count() - 1;

    if let Some(p) = &sqlite_path {
        host.info(&format!("Backup SQLite file {}", p.display()));
    }
    let db = dbdump::dump(
        host,
        &db_uri,
        sqlite_path.as_deref(),
        &mut w,
        &dir,
        now_meta,
    )?;

    let manifest = Manifest {
        header: header.clone(),
        members: w.members().to_vec(),
        db,
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::internal("cannot encode the manifest").with_source(&e))?;
    let f = w
        .finish(MANIFEST_NAME, &manifest_json, now_meta)
        .map_err(werr)?;
    f.sync_all().map_err(werr)?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    drop(f);
    rename_noreplace(&partial, &final_path).map_err(|e| {
        Error::failed(format!("cannot rename to {}", final_path.display())).with_source(&e)
    })?;
    guard.0 = None;
    sync_dir(&dir);

    match a.format.get(host) {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "file": final_path.display().to_string(),
                "size": size,
                "encrypted": encrypted,
                "key_included": a.enckey,
                "key_fingerprint": header.key_fingerprint,
                "dialect": header.dialect.name(),
                "schema_revision": header.schema_revision,
                "files": n_files,
                "db_size": manifest.db.size,
                "db_tool": manifest.db.tool,
                "tables": manifest.db.tables,
            });
            host.outln(&v.to_string());
        }
        OutputFormat::Text => {
            host.outln(&format!("Backup written to file {}", final_path.display()));
        }
    }
    Ok(0)
}

/// Writes a database-only backup of the server database `uri` into `dir` (the pre-restore
/// safety copy of an in-place MariaDB restore); returns its path.
pub fn write_db_only(host: &Host, uri_text: &str, dir: &Path) -> Result<PathBuf> {
    let db_uri = DbUri::parse(uri_text)?;
    let now = chrono::Local::now();
    let stamp = now.format("%Y%m%d-%H%M%S").to_string();
    let (final_path, partial, file) = open_partial(dir, &stamp, "tar.zst")?;
    let mut guard = PartialGuard(Some(partial.clone()));
    let header = Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        mfactl_version: env!("CARGO_PKG_VERSION").into(),
        host: hostname(),
        created: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        dialect: db_uri.engine,
        db_uri: uri::redact(uri_text),
        sqlite_path: None,
        schema_revision: None,
        key_included: false,
        key_path: None,
        key_fingerprint: None,
        compression_level: Compression::Fast.level(),
        encrypted: false,
    };
    let meta = Meta {
        mode: 0o600,
        uid: 0,
        gid: 0,
        mtime: now.timestamp().max(0) as u64,
    };
    let werr = |e: std::io::Error| Error::failed("cannot write the archive").with_source(&e);
    let mut w = ArchiveWriter::new(file, Compression::Fast.level(), None)?;
    let header_json = serde_json::to_vec_pretty(&header)
        .map_err(|e| Error::internal("cannot encode the header").with_source(&e))?;
    w.add_bytes(HEADER_NAME, &header_json, meta).map_err(werr)?;
    let db = dbdump::dump(host, &db_uri, None, &mut w, dir, meta)?;
    let manifest = Manifest {
        header,
        members: w.members().to_vec(),
        db,
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::internal("cannot encode the manifest").with_source(&e))?;
    let f = w
        .finish(MANIFEST_NAME, &manifest_json, meta)
        .map_err(werr)?;
    f.sync_all().map_err(werr)?;
    drop(f);
    rename_noreplace(&partial, &final_path).map_err(|e| {
        Error::failed(format!("cannot rename to {}", final_path.display())).with_source(&e)
    })?;
    guard.0 = None;
    sync_dir(dir);
    Ok(final_path)
}
