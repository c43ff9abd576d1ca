//! `mfactl backup list`.

use crate::archive::{self, Unlock};
use crate::create::DEFAULT_DIR;
use crate::manifest::{Header, HEADER_NAME, MAX_META_SIZE};
use crate::{scan, Fmt};
use chrono::NaiveDateTime;
use clap::Args;
use mfactl_plugin_api::{args::OutputFormat, Error, Host, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Options of `backup list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Backup directory.
    #[arg(short = 'd', long = "directory", value_name = "DIR", default_value = DEFAULT_DIR)]
    pub directory: PathBuf,
    /// Fully verify each unencrypted archive (reads every byte).
    #[arg(long = "verify")]
    pub verify: bool,
    #[command(flatten)]
    pub format: Fmt,
}

/// A backup file found in a directory.
#[derive(Debug, Clone)]
pub struct Found {
    /// Full path.
    pub path: PathBuf,
    /// File name.
    pub name: String,
    /// Time from the name (local time).
    pub time: NaiveDateTime,
    /// Size in bytes.
    pub size: u64,
    /// `.age` suffix.
    pub encrypted: bool,
    /// Written by pi-manage (`.tgz`).
    pub pimanage: bool,
}

/// Parses `privacyidea-backup-YYYYMMDD-HHMM[SS][-N].(tgz|tar.zst[.age])`.
pub fn parse_name(name: &str) -> Option<(NaiveDateTime, bool, bool)> {
    let rest = name.strip_prefix("privacyidea-backup-")?;
    let (stem, encrypted, pimanage) = if let Some(s) = rest.strip_suffix(".tar.zst.age") {
        (s, true, false)
    } else if let Some(s) = rest.strip_suffix(".tar.zst") {
        (s, false, false)
    } else if let Some(s) = rest.strip_suffix(".tgz") {
        (s, false, true)
    } else {
        return None;
    };
    let mut parts = stem.split('-');
    let date = parts.next()?;
    let time = parts.next()?;
    if let Some(counter) = parts.next() {
        if counter.is_empty() || !counter.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    if parts.next().is_some() {
        return None;
    }
    let t = match time.len() {
        4 => format!("{date}{time}00"),
        6 => format!("{date}{time}"),
        _ => return None,
    };
    let dt = NaiveDateTime::parse_from_str(&t, "%Y%m%d%H%M%S").ok()?;
    Some((dt, encrypted, pimanage))
}

/// The backups in `dir`, oldest first.
pub fn find_backups(dir: &Path) -> Result<Vec<Found>> {
    let rd = std::fs::read_dir(dir).map_err(|e| {
        Error::failed(format!("cannot list backup directory {}", dir.display())).with_source(&e)
    })?;
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some((time, encrypted, pimanage)) = parse_name(&name) else {
            continue;
        };
        let Ok(md) = e.metadata() else { continue };
        if !md.is_file() {
            continue;
        }
        out.push(Found {
            path: e.path(),
            name,
            time,
            size: md.len(),
            encrypted,
            pimanage,
        });
    }
    out.sort_by(|a, b| a.time.cmp(&b.time).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Reads only the first member of an unencrypted mfactl archive.
pub fn read_header(path: &Path) -> Option<Header> {
    let r = archive::open(path, &Unlock::default()).ok()?;
    let mut ar = tar::Archive::new(r);
    let mut entries = ar.entries().ok()?;
    let mut e = entries.next()?.ok()?;
    if e.path_bytes().as_ref() != HEADER_NAME.as_bytes() || e.size() > MAX_META_SIZE {
        return None;
    }
    let mut buf = Vec::new();
    e.read_to_end(&mut buf).ok()?;
    serde_json::from_slice(&buf).ok()
}

fn human(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// Runs `backup list`.
pub fn run(host: &Host, a: ListArgs) -> Result<i32> {
    let found = find_backups(&a.directory)?;
    let mut rows = Vec::new();
    for f in &found {
        let header = if f.encrypted || f.pimanage {
            None
        } else {
            read_header(&f.path)
        };
        let key = header.as_ref().map(|h| h.key_included);
        let state = if a.verify && !f.encrypted {
            let r = scan::scan(&f.path, &Unlock::default());
            let _ = crate::state::record(
                &f.path,
                r.is_ok(),
                false,
                r.as_ref().err().map(|e| e.to_string()),
            );
            match r {
                Ok(s) => {
                    let key_in = match &s.format {
                        scan::Format::Mfactl(m) => m.header.key_included,
                        scan::Format::PiManage(l) => l.key.is_some(),
                    };
                    (
                        format!(
                            "verified now ({})",
                            if f.pimanage { "no manifest" } else { "ok" }
                        ),
                        Some(key_in),
                    )
                }
                Err(e) => (format!("FAILED: {}", e.message), key),
            }
        } else if let Some(e) = crate::state::lookup(&f.path) {
            if e.ok {
                (
                    format!(
                        "verified {}{}",
                        e.time,
                        if e.restore_test {
                            " (restore-tested)"
                        } else {
                            ""
                        }
                    ),
                    key,
                )
            } else {
                (format!("FAILED {}", e.time), key)
            }
        } else if f.encrypted {
            ("encrypted (not checked)".to_string(), key)
        } else {
            ("not checked".to_string(), key)
        };
        rows.push((f, header, state.0, state.1));
    }
    match a.format.get(host) {
        OutputFormat::Json => {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|(f, h, state, key)| {
                    serde_json::json!({
                        "name": f.name,
                        "path": f.path.display().to_string(),
                        "time": f.time.format("%Y-%m-%d %H:%M:%S").to_string(),
                        "size": f.size,
                        "encrypted": f.encrypted,
                        "key_included": key,
                        "format": if f.pimanage { "pi-manage" } else { "mfactl" },
                        "dialect": h.as_ref().map(|h| h.dialect.name()),
                        "state": state,
                    })
                })
                .collect();
            host.outln(&serde_json::Value::Array(v).to_string());
        }
        OutputFormat::Text => {
            host.outln(&format!(
                "{:<48} {:<19} {:>10} {:<9} {:<5} STATE",
                "NAME", "TIME", "SIZE", "ENCRYPTED", "KEY"
            ));
            for (f, _, state, key) in &rows {
                host.outln(&format!(
                    "{:<48} {:<19} {:>10} {:<9} {:<5} {state}",
                    f.name,
                    f.time.format("%Y-%m-%d %H:%M:%S"),
                    human(f.size),
                    if f.encrypted { "yes" } else { "no" },
                    match key {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "?",
                    },
                ));
            }
        }
    }
    let failed = a.verify && rows.iter().any(|(_, _, s, _)| s.starts_with("FAILED"));
    Ok(if failed { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let (t, enc, pim) = parse_name("privacyidea-backup-20261122-0645.tgz").expect("pi");
        assert_eq!(t.to_string(), "2026-11-22 06:45:00");
        assert!(!enc && pim);
        let (t, enc, _) =
            parse_name("privacyidea-backup-20261122-064501-2.tar.zst.age").expect("m");
        assert_eq!(t.to_string(), "2026-11-22 06:45:01");
        assert!(enc);
        assert!(parse_name("privacyidea-backup-20261122-064501.tar.zst.partial").is_none());
        assert!(parse_name("other.tar.zst").is_none());
    }
}
