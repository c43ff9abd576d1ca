//! `mfactl backup restore`: verify everything, stage everything, then switch over.
//!
//! 1. Decrypt and verify the whole archive (manifest, every checksum, every member name and
//!    link) — nothing is written before this pass succeeds.
//! 2. Stage the files: each is written to a temporary name in its target directory (mode,
//!    and owner when root, already final), checked against its checksum and fsynced.
//! 3. Restore the database: SQLite into a new file next to the old one (checked with
//!    `quick_check`); PostgreSQL with `psql --single-transaction -v ON_ERROR_STOP=1` (a failure
//!    rolls back); MariaDB into a staging database, then one atomic `RENAME TABLE` swap.
//! 4. Rename the staged files (and the SQLite file) over the old ones.
//!
//! A failure in 1–3 removes the staged files: the live files and database stay as they were.

use crate::archive::{self, HashRead, Unlock};
use crate::cfgfile;
use crate::create::sync_dir;
use crate::dbload::{self, lit, my_sql, myq};
use crate::manifest::Header;
use crate::scan::{self, Format, Kind, Scan};
use crate::tools::{self, MyCnf};
use crate::uri::{self, DbUri, Engine};
use crate::{Dry, UnlockArgs, Yes};
use clap::Args;
use mfactl_plugin_api::{Error, Host, Result};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Options of `backup restore`.
#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup archive (mfactl .tar.zst[.age] or pi-manage .tgz).
    #[arg(value_name = "BACKUP_FILE")]
    pub file: PathBuf,
    /// Restore every file (and a SQLite database file) at its original absolute path under DIR.
    #[arg(long = "target-root", value_name = "DIR", default_value = "/")]
    pub target_root: PathBuf,
    /// Keep the current SQLALCHEMY_DATABASE_URI (from the running configuration) instead of the
    /// one stored in the backup; the restored pi.cfg/mfactl.toml is rewritten to it.
    #[arg(long = "keep-db-uri")]
    pub keep_db_uri: bool,
    #[command(flatten)]
    pub dry: Dry,
    #[command(flatten)]
    pub yes: Yes,
    #[command(flatten)]
    pub unlock: UnlockArgs,
}

/// Where the database goes.
#[derive(Debug, Clone)]
pub enum DbDest {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A server database: parsed URI, redacted URI, URI.
    Server(DbUri, String, String),
}

impl DbDest {
    fn describe(&self) -> String {
        match self {
            DbDest::Sqlite(p) => format!("SQLite file {}", p.display()),
            DbDest::Server(_, redacted, _) => format!("database {redacted}"),
        }
    }
}

/// One file system entry to restore.
#[derive(Debug, Clone)]
struct FilePlan {
    member: String,
    kind: Kind,
    dest: PathBuf,
    mode: u32,
    uid: u64,
    gid: u64,
    link: Option<String>,
    sha: Option<String>,
    rewrite: Option<Vec<u8>>,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn temp_name(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.mfactl-restore-{}", std::process::id()))
}

/// Staged temporaries, removed on drop unless committed.
#[derive(Default)]
struct Staged {
    temps: Vec<(PathBuf, PathBuf)>,
    /// Directories this run created (removed again, when empty, on failure).
    dirs: Vec<PathBuf>,
    committed: bool,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            for (t, _) in &self.temps {
                let _ = fs::remove_file(t);
            }
            for d in self.dirs.iter().rev() {
                let _ = fs::remove_dir(d);
            }
        }
    }
}

fn err_at(what: &str, p: &Path) -> impl FnOnce(io::Error) -> Error {
    let msg = format!("cannot {what} {}", p.display());
    move |e| Error::failed(msg).with_source(&e)
}

/// The URI found in the archive's config files (pi.cfg preferred).
fn archive_uri(scan: &Scan) -> Option<(String, String)> {
    let mut list: Vec<&(String, Vec<u8>)> = scan.configs.iter().collect();
    if let Format::PiManage(l) = &scan.format {
        list.retain(|(n, _)| n == &l.config);
    }
    list.sort_by_key(|(n, _)| !n.ends_with("pi.cfg"));
    list.into_iter().find_map(|(n, data)| {
        let text = String::from_utf8_lossy(data);
        cfgfile::uri_of(n, &text).map(|u| (n.clone(), u))
    })
}

fn header(scan: &Scan) -> Option<&Header> {
    match &scan.format {
        Format::Mfactl(m) => Some(&m.header),
        Format::PiManage(_) => None,
    }
}

/// Decides the target database.
fn db_dest(host: &Host, a: &RestoreArgs, scan: &Scan, root: &Path) -> Result<DbDest> {
    let live = host.config_str("SQLALCHEMY_DATABASE_URI");
    let from_archive = archive_uri(scan).map(|(_, u)| u).or_else(|| {
        header(scan).and_then(|h| {
            h.sqlite_path
                .as_ref()
                .map(|p| format!("sqlite:///{}", p.trim_start_matches('/')))
                .map(|u| u.replacen("sqlite:///", "sqlite:////", 1))
        })
    });
    let chosen = if a.keep_db_uri {
        match live {
            Some(l) => {
                host.info("--keep-db-uri: using database URI from live config.");
                l
            }
            None => {
                host.warn("--keep-db-uri: no SQLALCHEMY_DATABASE_URI found in live config. Using database URI from backup.");
                from_archive.ok_or_else(|| {
                    Error::failed("no SQLALCHEMY_DATABASE_URI found in the backup's config")
                })?
            }
        }
    } else {
        match from_archive {
            Some(u) => u,
            None => {
                let l = live.ok_or_else(|| {
                    Error::failed(
                        "no SQLALCHEMY_DATABASE_URI found in the backup nor in the live config",
                    )
                })?;
                host.warn("no SQLALCHEMY_DATABASE_URI in the backup's config files; using the live config's");
                l
            }
        }
    };
    let u = DbUri::parse(&chosen)?;
    if u.engine != scan.engine() {
        return Err(Error::failed(format!(
            "the backup holds a {} dump but the target database is {}",
            scan.engine().name(),
            u.engine.name()
        ))
        .with_hint("restore into a database of the same engine (see --keep-db-uri)"));
    }
    Ok(match u.engine {
        Engine::Sqlite => {
            let p = u
                .sqlite_path()
                .ok_or_else(|| Error::failed("the SQLite URI has no file path"))?;
            DbDest::Sqlite(under_root(root, &p))
        }
        _ => DbDest::Server(u, uri::redact(&chosen), chosen.clone()),
    })
}

fn under_root(root: &Path, abs: &Path) -> PathBuf {
    let rel = abs.strip_prefix("/").unwrap_or(abs);
    root.join(rel)
}

fn plan_files(
    host: &Host,
    a: &RestoreArgs,
    scan: &Scan,
    root: &Path,
    live_uri: Option<&str>,
    skip: &[PathBuf],
) -> Result<Vec<FilePlan>> {
    let mut plans = Vec::new();
    let mut symlinks: Vec<String> = Vec::new();
    let mut dests: HashMap<String, String> = HashMap::new();
    for m in &scan.members {
        let Some(rel) = scan.dest_rel(&m.name) else {
            continue;
        };
        for s in &symlinks {
            if rel.starts_with(&format!("{s}/")) {
                return Err(scan::refuse(&m.name, "lies below a symlink of the archive"));
            }
        }
        if m.kind == Kind::Symlink {
            symlinks.push(rel.clone());
        }
        let dest = root.join(&rel);
        if skip.contains(&dest) {
            // a copy of the SQLite database file itself: the dump is what gets restored
            continue;
        }
        // a directory may be a symlink to one (e.g. /etc/privacyidea -> /srv/pi)
        let existing = if m.kind == Kind::Dir {
            fs::metadata(&dest)
        } else {
            fs::symlink_metadata(&dest)
        };
        if let Ok(md) = existing {
            let is_dir = md.is_dir();
            if (m.kind == Kind::Dir) != is_dir {
                return Err(Error::failed(format!(
                    "{} exists and is {}a directory; the backup has a {} there",
                    dest.display(),
                    if is_dir { "" } else { "not " },
                    m.kind.word()
                ))
                .with_hint("move it away, or restore with --target-root into an empty directory"));
            }
        }
        let link = match m.kind {
            Kind::Hardlink => {
                let t = m.link.clone().unwrap_or_default();
                let trel = scan.dest_rel(&t).unwrap_or_default();
                Some(root.join(trel).display().to_string())
            }
            _ => m.link.clone(),
        };
        let owner = crate::owners::resolve(m.uname.as_deref(), m.uid, m.gname.as_deref(), m.gid);
        let mut rewrite = None;
        if a.keep_db_uri && m.kind == Kind::File {
            if let Some(live) = live_uri {
                if let Some((_, data)) = scan.configs.iter().find(|(n, _)| n == &m.name) {
                    let text = String::from_utf8_lossy(data);
                    rewrite = Some(cfgfile::rewrite_uri(&m.name, &text, live).into_bytes());
                }
            }
        }
        dests.insert(rel, m.name.clone());
        plans.push(FilePlan {
            member: m.name.clone(),
            kind: m.kind,
            dest,
            mode: m.mode & 0o777,
            uid: u64::from(owner.0),
            gid: u64::from(owner.1),
            link,
            sha: m.sha256.clone(),
            rewrite,
        });
    }
    let _ = host;
    Ok(plans)
}

fn ensure_dir(p: &Path, mode: u32, staged: &mut Staged) -> Result<()> {
    if p.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut cur = Some(p);
    while let Some(c) = cur {
        if c.is_dir() {
            break;
        }
        missing.push(c.to_path_buf());
        cur = c.parent();
    }
    for d in missing.into_iter().rev() {
        fs::DirBuilder::new()
            .mode(mode)
            .create(&d)
            .map_err(err_at("create directory", &d))?;
        staged.dirs.push(d);
    }
    Ok(())
}

fn stage_files(
    path: &Path,
    unlock: &Unlock,
    plans: &[FilePlan],
    staged: &mut Staged,
) -> Result<()> {
    let root = is_root();
    // Directories first (only missing ones are created; nothing existing changes).
    for p in plans.iter().filter(|p| p.kind == Kind::Dir) {
        if !p.dest.is_dir() {
            ensure_dir(&p.dest, p.mode.max(0o700), staged)?;
            if root {
                let _ = std::os::unix::fs::chown(&p.dest, Some(p.uid as u32), Some(p.gid as u32));
            }
        }
    }
    let by_member: HashMap<&str, &FilePlan> = plans
        .iter()
        .filter(|p| p.kind == Kind::File)
        .map(|p| (p.member.as_str(), p))
        .collect();
    let mut left = by_member.len();
    if left > 0 {
        let reader = archive::open(path, unlock)?;
        let mut ar = tar::Archive::new(reader);
        let entries = ar
            .entries()
            .map_err(|e| Error::failed("cannot read the archive").with_source(&e))?;
        for entry in entries {
            if left == 0 {
                break;
            }
            let mut e =
                entry.map_err(|e| Error::failed("cannot read the archive").with_source(&e))?;
            let name = crate::safety::normalize_name(&e.path_bytes()).unwrap_or_default();
            let Some(p) = by_member.get(name.as_str()) else {
                continue;
            };
            left -= 1;
            if let Some(parent) = p.dest.parent() {
                ensure_dir(parent, 0o755, staged)?;
            }
            let tmp = temp_name(&p.dest);
            let _ = fs::remove_file(&tmp);
            let f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(err_at("create", &tmp))?;
            staged.temps.push((tmp.clone(), p.dest.clone()));
            let mut w = io::BufWriter::new(f);
            let mut hr = HashRead::new(&mut e);
            match &p.rewrite {
                Some(data) => {
                    io::copy(&mut hr, &mut io::sink()).map_err(err_at("read", &tmp))?;
                    io::Write::write_all(&mut w, data).map_err(err_at("write", &tmp))?;
                }
                None => {
                    io::copy(&mut hr, &mut w).map_err(err_at("write", &tmp))?;
                }
            }
            if Some(hr.hex()) != p.sha {
                return Err(Error::failed(format!(
                    "member {} changed since it was verified",
                    p.member
                )));
            }
            let f = w
                .into_inner()
                .map_err(|e| Error::failed("cannot write").with_source(e.error()))?;
            f.set_permissions(fs::Permissions::from_mode(p.mode))
                .map_err(err_at("set the mode of", &tmp))?;
            if root {
                std::os::unix::fs::fchown(&f, Some(p.uid as u32), Some(p.gid as u32))
                    .map_err(err_at("set the owner of", &tmp))?;
            }
            f.sync_all().map_err(err_at("write", &tmp))?;
        }
    }
    if left > 0 {
        return Err(Error::failed(
            "the archive ended before every file was staged",
        ));
    }
    Ok(())
}

fn commit_files(plans: &[FilePlan], staged: &mut Staged) -> Result<usize> {
    let mut dirs: HashSet<PathBuf> = HashSet::new();
    let mut n = 0;
    for (tmp, dest) in &staged.temps {
        fs::rename(tmp, dest).map_err(err_at("rename into place", dest))?;
        if let Some(d) = dest.parent() {
            dirs.insert(d.to_path_buf());
        }
        n += 1;
    }
    staged.committed = true;
    for p in plans {
        match p.kind {
            Kind::Symlink => {
                let tmp = temp_name(&p.dest);
                let _ = fs::remove_file(&tmp);
                std::os::unix::fs::symlink(p.link.as_deref().unwrap_or(""), &tmp)
                    .map_err(err_at("create symlink", &tmp))?;
                fs::rename(&tmp, &p.dest).map_err(err_at("rename into place", &p.dest))?;
                n += 1;
            }
            Kind::Hardlink => {
                let tmp = temp_name(&p.dest);
                let _ = fs::remove_file(&tmp);
                fs::hard_link(p.link.as_deref().unwrap_or(""), &tmp)
                    .map_err(err_at("create hard link", &tmp))?;
                fs::rename(&tmp, &p.dest).map_err(err_at("rename into place", &p.dest))?;
                n += 1;
            }
            _ => {}
        }
        if let Some(d) = p.dest.parent() {
            dirs.insert(d.to_path_buf());
        }
    }
    for d in dirs {
        sync_dir(&d);
    }
    Ok(n)
}

/// Stages a SQLite database next to `dest`; returns the temporary path (removed by `staged`).
fn stage_sqlite(
    path: &Path,
    unlock: &Unlock,
    scan: &Scan,
    dest: &Path,
    staged: &mut Staged,
) -> Result<PathBuf> {
    if let Some(parent) = dest.parent() {
        ensure_dir(parent, 0o755, staged)?;
    }
    let tmp = temp_name(dest);
    let _ = fs::remove_file(&tmp);
    // registered first so a failure removes it
    staged.temps.push((tmp.clone(), dest.to_path_buf()));
    dbload::load_sqlite_file(path, unlock, scan, &tmp)?;
    if let Ok(md) = fs::metadata(dest) {
        let _ = fs::set_permissions(&tmp, fs::Permissions::from_mode(md.mode() & 0o777));
        if is_root() {
            let _ = std::os::unix::fs::chown(&tmp, Some(md.uid()), Some(md.gid()));
        }
    }
    Ok(tmp)
}

/// Before the SQLite file is replaced: fold a WAL into the old file so no stale `-wal` is ever
/// applied to the new one; afterwards the `-wal`/`-shm` files are removed.
fn sqlite_prepare_swap(dest: &Path) {
    let wal = PathBuf::from(format!("{}-wal", dest.display()));
    if wal.exists() {
        if let Ok(c) = rusqlite::Connection::open(dest) {
            let _ = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

fn sqlite_after_swap(dest: &Path) {
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = fs::remove_file(format!("{}{suffix}", dest.display()));
    }
}

/// Loads a MariaDB dump into a staging database and swaps it in with one atomic RENAME TABLE.
pub fn restore_mysql(
    host: &Host,
    path: &Path,
    unlock: &Unlock,
    scan: &Scan,
    u: &DbUri,
    uri_text: &str,
) -> Result<()> {
    let cnf = MyCnf::new(u)?;
    let live = u.database.clone();
    let pid = std::process::id();
    let stage = format!("mfactl_restore_{pid}");
    let old = format!("mfactl_old_{pid}");
    let cs = my_sql(
        &cnf,
        &format!(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {};",
            lit(&live, true)
        ),
    )?;
    let line = cs.lines().next().unwrap_or("").to_string();
    let (charset, collation) = line.split_once('\t').ok_or_else(|| {
        Error::failed(format!("database {live} does not exist on the server"))
            .with_hint("create the database (and grant the privacyIDEA user access) first")
    })?;
    if my_sql(
        &cnf,
        &format!(
            "DROP DATABASE IF EXISTS {s}; CREATE DATABASE {s} CHARACTER SET {charset} COLLATE {collation};",
            s = myq(&stage)
        ),
    )
    .is_err()
    {
        host.warn(&format!(
            "the database user may not create the staging database {stage}; restoring in place with a safety copy of the live database (GRANT ALL ON `mfactl\\_%`.* to get the atomic swap)"
        ));
        return restore_mysql_in_place(host, path, unlock, scan, u, uri_text, &cnf);
    }
    let result = (|| {
        dbload::load_mysql(path, unlock, scan, &cnf, &stage).map_err(|e| {
            Error::failed(
                "loading the dump into the staging database failed; the live database is unchanged",
            )
            .with_cause(e.to_string())
        })?;
        let list = |db: &str| -> Result<Vec<String>> {
            Ok(my_sql(
                &cnf,
                &format!(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND TABLE_TYPE IN ('BASE TABLE', 'SEQUENCE');",
                    lit(db, true)
                ),
            )?
            .lines()
            .map(str::to_string)
            .filter(|s| !s.is_empty())
            .collect())
        };
        let staged = list(&stage)?;
        if staged.is_empty() {
            return Err(Error::failed(
                "the dump created no tables; the live database is unchanged",
            ));
        }
        let live_tables: HashSet<String> = list(&live)?.into_iter().collect();
        let mut renames = Vec::new();
        for t in &staged {
            if live_tables.contains(t) {
                renames.push(format!(
                    "{}.{} TO {}.{}",
                    myq(&live),
                    myq(t),
                    myq(&old),
                    myq(t)
                ));
            }
        }
        for t in &staged {
            renames.push(format!(
                "{}.{} TO {}.{}",
                myq(&stage),
                myq(t),
                myq(&live),
                myq(t)
            ));
        }
        my_sql(
            &cnf,
            &format!(
                "DROP DATABASE IF EXISTS {o}; CREATE DATABASE {o}; SET FOREIGN_KEY_CHECKS=0; RENAME TABLE {};",
                renames.join(", "),
                o = myq(&old)
            ),
        )
        .map_err(|e| {
            Error::failed("swapping in the restored tables failed; the live database is unchanged")
                .with_cause(e.to_string())
        })?;
        Ok(())
    })();
    let _ = my_sql(
        &cnf,
        &format!(
            "SET FOREIGN_KEY_CHECKS=0; DROP DATABASE IF EXISTS {}; DROP DATABASE IF EXISTS {};",
            myq(&stage),
            myq(&old)
        ),
    );
    result
}

/// The fallback when no staging database can be created: the live database is first saved as
/// an ordinary database-only backup (`privacyidea-backup-<date>-<time>.tar.zst`, 0600) next to
/// the archive being restored (or in the temporary directory when that is not writable), the
/// archive's dump is loaded in place, and on any failure the saved copy is loaded back. The
/// saved copy stays, so even a killed restore can be undone with `backup restore`.
fn restore_mysql_in_place(
    host: &Host,
    path: &Path,
    unlock: &Unlock,
    scan: &Scan,
    u: &DbUri,
    uri_text: &str,
    cnf: &MyCnf,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let saved = match crate::create::write_db_only(host, uri_text, &dir) {
        Ok(p) => p,
        Err(_) => {
            crate::create::write_db_only(host, uri_text, &std::env::temp_dir()).map_err(|e| {
                Error::failed(
                    "cannot save the live database before restoring in place; nothing was changed",
                )
                .with_cause(e.to_string())
            })?
        }
    };
    host.info(&format!(
        "the current database was saved to {} before restoring in place",
        saved.display()
    ));
    let Err(load_err) = dbload::load_mysql(path, unlock, scan, cnf, &u.database) else {
        return Ok(());
    };
    host.warn("loading the dump failed; putting the previous database content back");
    let back = scan::scan(&saved, &Unlock::default()).and_then(|saved_scan| {
        dbload::load_mysql(&saved, &Unlock::default(), &saved_scan, cnf, &u.database)
    });
    match back {
        Ok(()) => Err(Error::failed(
            "database restore failed; the previous database content was put back and no files were changed",
        )
        .with_cause(load_err.to_string())),
        Err(e) => Err(Error::failed(format!(
            "database restore failed AND putting the previous content back failed; restore {} (the database as it was) or another backup",
            saved.display()
        ))
        .with_cause(load_err.to_string())
        .with_cause(e.to_string())),
    }
}

/// One restore at a time on this machine: an exclusive `flock` on
/// `$TMPDIR/mfactl-backup-restore.lock` (a second restore waits), released when the returned
/// file is closed (also when the process dies).
fn restore_lock(host: &Host) -> Result<fs::File> {
    use std::os::fd::AsRawFd;
    let p = std::env::temp_dir().join("mfactl-backup-restore.lock");
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&p)
        .map_err(err_at("open", &p))?;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        host.info("waiting for another mfactl backup restore to finish…");
        // SAFETY: as above.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(Error::failed("cannot lock the restore lock file")
                .with_source(&io::Error::last_os_error()));
        }
    }
    Ok(f)
}

/// Runs `backup restore`.
pub fn run(host: &Host, a: RestoreArgs) -> Result<i32> {
    let path = a.file.clone();
    crate::refuse_unfinished(&path)?;
    if !path.is_file() {
        return Err(Error::failed(format!(
            "unable to open backup file {}: no such file",
            path.display()
        )));
    }
    let root = if a.target_root.is_absolute() {
        a.target_root.clone()
    } else {
        std::env::current_dir()
            .map(|d| d.join(&a.target_root))
            .unwrap_or_else(|_| a.target_root.clone())
    };
    let unlock = a.unlock.resolve(host, &path)?;
    let scan = scan::scan(&path, &unlock)?;
    host.info(&format!(
        "Verified {} members of {} ({}).",
        scan.members.len(),
        path.display(),
        match &scan.format {
            Format::Mfactl(_) => "mfactl archive",
            Format::PiManage(_) => "pi-manage archive",
        }
    ));
    let key_included = match &scan.format {
        Format::Mfactl(m) => m.header.key_included,
        Format::PiManage(l) => l.key.is_some(),
    };
    if key_included {
        host.info("Also restoring the encryption key");
    } else {
        host.warn("NO FILE 'enckey' CONTAINED! BE SURE TO RESTORE THE ENCRYPTION KEY MANUALLY!");
    }
    let live_uri = host.config_str("SQLALCHEMY_DATABASE_URI");
    let dest = db_dest(host, &a, &scan, &root)?;
    let skip: Vec<PathBuf> = match &dest {
        DbDest::Sqlite(p) => ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|s| PathBuf::from(format!("{}{s}", p.display())))
            .collect(),
        DbDest::Server(..) => Vec::new(),
    };
    let plans = plan_files(host, &a, &scan, &root, live_uri.as_deref(), &skip)?;

    if a.dry.get(host) {
        host.outln(&format!(
            "would restore the database into {}",
            dest.describe()
        ));
        for p in &plans {
            let what = match p.kind {
                Kind::Dir => format!("directory {}", p.dest.display()),
                Kind::File => format!(
                    "file {} (mode {:04o}{})",
                    p.dest.display(),
                    p.mode,
                    if p.rewrite.is_some() {
                        ", database URI rewritten"
                    } else {
                        ""
                    }
                ),
                Kind::Symlink => format!(
                    "symlink {} -> {}",
                    p.dest.display(),
                    p.link.as_deref().unwrap_or("")
                ),
                Kind::Hardlink => format!(
                    "hard link {} -> {}",
                    p.dest.display(),
                    p.link.as_deref().unwrap_or("")
                ),
            };
            host.outln(&format!("would write {what}"));
        }
        host.info("dry run: nothing was changed");
        return Ok(0);
    }

    let n_files = plans.iter().filter(|p| p.kind != Kind::Dir).count();
    if !a.yes.confirm(
        host,
        &format!(
            "Overwrite the {} and {n_files} files under {}?",
            dest.describe(),
            root.display()
        ),
    )? {
        return Err(Error::failed("restore cancelled; nothing was changed"));
    }
    // Everything that can refuse the restore is checked before the first write.
    match &dest {
        DbDest::Server(u, _, _) if u.engine == Engine::Postgresql => {
            tools::psql()?;
        }
        DbDest::Server(..) => {
            tools::mysql()?;
        }
        DbDest::Sqlite(_) => {}
    }

    let _lock = restore_lock(host)?;
    let mut staged = Staged::default();
    stage_files(&path, &unlock, &plans, &mut staged)?;
    host.info(&format!("Restoring the {}", dest.describe()));
    match &dest {
        DbDest::Sqlite(p) => {
            let tmp = stage_sqlite(&path, &unlock, &scan, p, &mut staged)?;
            sqlite_prepare_swap(p);
            fs::rename(&tmp, p).map_err(err_at("rename into place", p))?;
            staged.temps.retain(|(t, _)| t != &tmp);
            sqlite_after_swap(p);
            if let Some(d) = p.parent() {
                sync_dir(d);
            }
        }
        DbDest::Server(u, _, _) if u.engine == Engine::Postgresql => {
            dbload::load_pg(&path, &unlock, &scan, u, None).map_err(|e| {
                Error::failed("database restore failed; the transaction was rolled back and the live database and files are unchanged")
                    .with_cause(e.to_string())
            })?;
        }
        DbDest::Server(u, _, raw) => restore_mysql(host, &path, &unlock, &scan, u, raw)?,
    }
    let n = commit_files(&plans, &mut staged)?;
    host.outln(&format!(
        "Restored the {} and {n} files under {} from {}",
        dest.describe(),
        root.display(),
        path.display()
    ));
    Ok(0)
}
