//! The verification record of a backup directory: `<dir>/.mfactl-backup-verified.json`, written
//! by `verify`, read by `list`. An entry counts only while the archive's size and mtime still
//! match.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// File name of the record.
pub const RECORD: &str = ".mfactl-backup-verified.json";

/// One archive's last verification.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// When (RFC 3339).
    pub time: String,
    /// Passed.
    pub ok: bool,
    /// With `--restore-test`.
    pub restore_test: bool,
    /// Failure reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Archive size at that time.
    pub size: u64,
    /// Archive mtime (seconds) at that time.
    pub mtime: i64,
}

fn record_path(archive: &Path) -> Option<PathBuf> {
    archive.parent().map(|d| d.join(RECORD))
}

fn load_dir(dir: &Path) -> BTreeMap<String, Entry> {
    fs::read(dir.join(RECORD))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// The still-valid entry of `archive`.
pub fn lookup(archive: &Path) -> Option<Entry> {
    let dir = archive.parent()?;
    let name = archive.file_name()?.to_string_lossy().into_owned();
    let md = fs::metadata(archive).ok()?;
    load_dir(dir)
        .remove(&name)
        .filter(|e| e.size == md.len() && e.mtime == md.mtime())
}

/// Records a verification result; returns a message when the record cannot be written.
pub fn record(
    archive: &Path,
    ok: bool,
    restore_test: bool,
    error: Option<String>,
) -> Option<String> {
    let (Some(path), Some(name)) = (record_path(archive), archive.file_name()) else {
        return None;
    };
    let dir = path.parent()?.to_path_buf();
    let md = fs::metadata(archive).ok()?;
    let mut all = load_dir(&dir);
    all.retain(|n, _| dir.join(n).exists());
    all.insert(
        name.to_string_lossy().into_owned(),
        Entry {
            time: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            ok,
            restore_test,
            error,
            size: md.len(),
            mtime: md.mtime(),
        },
    );
    let tmp = dir.join(format!("{RECORD}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(&all).unwrap_or_default())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    };
    match write() {
        Ok(()) => None,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Some(format!(
                "cannot record the result in {}: {e}",
                path.display()
            ))
        }
    }
}
