//! `mfactl setup status`: is this installation ready? Database, schema revision, tables, key
//! files.

use crate::catalog;
use crate::create_tables::separate_audit_db;
use crate::keyfile::mode_of;
use crate::schema::{Schema, ALEMBIC_HEAD};
use mfactl_plugin_api::args::{FormatArg, OutputFormat};
use mfactl_plugin_api::{DbTarget, Error, ErrorKind, Host, Result};
use serde_json::{json, Value as Json};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Options of `status`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub format: FormatArg,
}

/// One key file's state.
#[derive(Debug, Clone, PartialEq)]
pub struct FileState {
    /// The setting naming it.
    pub setting: &'static str,
    /// Its path, `None` when the setting is absent.
    pub path: Option<String>,
    /// The file exists.
    pub present: bool,
    /// Permission bits.
    pub mode: Option<u32>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Something to fix.
    pub warning: Option<String>,
}

/// Checks a key file: present, and for `secret` files not readable or writable by group/others.
pub fn check_file(setting: &'static str, path: Option<String>, secret: bool) -> FileState {
    let Some(p) = path else {
        return FileState {
            setting,
            path: None,
            present: false,
            mode: None,
            size: None,
            warning: Some(format!("{setting} is not set")),
        };
    };
    let meta = fs::metadata(Path::new(&p)).ok();
    let mode = mode_of(Path::new(&p));
    let warning = match (&meta, mode) {
        (None, _) => Some(format!("{p} does not exist")),
        (Some(_), Some(m)) if secret && m & 0o077 != 0 => Some(format!(
            "{p} has mode {m:04o}: readable or writable by group/others (expected 0400)"
        )),
        (Some(_), Some(m)) if !secret && m & 0o022 != 0 => {
            Some(format!("{p} has mode {m:04o}: writable by group/others"))
        }
        _ => None,
    };
    FileState {
        setting,
        present: meta.is_some(),
        size: meta.as_ref().map(|m| m.size()),
        mode,
        path: Some(p),
        warning,
    }
}

fn file_json(f: &FileState) -> Json {
    json!({
        "setting": f.setting,
        "path": f.path,
        "present": f.present,
        "mode": f.mode.map(|m| format!("{m:04o}")),
        "size": f.size,
        "warning": f.warning,
    })
}

/// The state of one database.
fn db_state(host: &Host, db: DbTarget, full: bool, problems: &mut Vec<String>) -> Result<Json> {
    let info = match host.db_info(db) {
        Ok(i) => i,
        // Without a usable configuration there is nothing to report on.
        Err(e) if e.kind == ErrorKind::Config => return Err(e),
        Err(e) => {
            let msg = e.to_string();
            problems.push(format!("database not reachable: {msg}"));
            return Ok(json!({ "reachable": false, "error": msg }));
        }
    };
    let mut out = json!({
        "url": info.url_redacted.as_str(),
        "reachable": true,
        "dialect": info.dialect.name(),
        "server_version": info.server_version.as_str(),
        "server_is_mariadb": info.server_is_mariadb,
    });
    let schema = match Schema::load(catalog::flavor(&info)) {
        Ok(s) => s,
        Err(e) => {
            problems.push(e);
            return Ok(out);
        }
    };
    let schema = if full { schema } else { schema.audit_only() };
    let present = match catalog::present(host, db) {
        Ok(p) => p,
        Err(e) => {
            problems.push(format!("cannot list the tables: {e}"));
            return Ok(out);
        }
    };
    let missing_tables: Vec<&str> = schema
        .tables()
        .filter(|t| !present.tables.contains(*t))
        .collect();
    let expected = schema.tables().count();
    out["tables"] = json!({
        "expected": expected,
        "present": expected - missing_tables.len(),
        "missing": missing_tables,
    });
    if !missing_tables.is_empty() {
        let what = if full { "" } else { " in the audit database" };
        problems.push(format!(
            "{} of {expected} tables missing{what} (run `mfactl setup create-tables`)",
            missing_tables.len()
        ));
    }
    if catalog::has_sequences(&info) {
        let missing: Vec<&str> = schema
            .sequences()
            .filter(|s| !present.sequences.contains(*s))
            .collect();
        let expected = schema.sequences().count();
        if !missing.is_empty() && missing_tables.len() < schema.tables().count() {
            problems.push(format!("{} of {expected} sequences missing", missing.len()));
        }
        out["sequences"] = json!({
            "expected": expected,
            "present": expected - missing.len(),
            "missing": missing,
        });
    } else {
        out["sequences"] = Json::Null;
    }
    if full {
        let revs = match catalog::revisions(host, db, &present) {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("cannot read alembic_version: {e}"));
                None
            }
        };
        let up_to_date = matches!(revs.as_deref(), Some([one]) if one == ALEMBIC_HEAD);
        if !up_to_date {
            problems.push(match revs.as_deref() {
                None | Some([]) => "the database is not stamped (no alembic_version)".to_string(),
                Some(r) => format!(
                    "schema revision {} differs from {ALEMBIC_HEAD} (privacyIDEA 3.14)",
                    r.join(", ")
                ),
            });
        }
        out["revision"] = json!({
            "current": revs,
            "known": ALEMBIC_HEAD,
            "up_to_date": up_to_date,
        });
    }
    Ok(out)
}

pub fn run(host: &Host, a: Args) -> Result<i32> {
    let mut problems = Vec::new();
    let database = db_state(host, DbTarget::Main, true, &mut problems)?;
    let audit = if separate_audit_db(host)? {
        Some(db_state(host, DbTarget::Audit, false, &mut problems)?)
    } else {
        None
    };
    let files = vec![
        check_file("PI_ENCFILE", host.config_str("PI_ENCFILE"), true),
        check_file(
            "PI_AUDIT_KEY_PRIVATE",
            host.config_str("PI_AUDIT_KEY_PRIVATE"),
            true,
        ),
        check_file(
            "PI_AUDIT_KEY_PUBLIC",
            host.config_str("PI_AUDIT_KEY_PUBLIC"),
            false,
        ),
    ];
    for f in &files {
        if let Some(w) = &f.warning {
            problems.push(w.clone());
        }
    }
    match a.format.get(host) {
        OutputFormat::Json => {
            let doc = json!({
                "database": database,
                "audit_database": audit,
                "files": files.iter().map(file_json).collect::<Vec<_>>(),
                "problems": problems,
                "ok": problems.is_empty(),
            });
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| Error::internal("cannot render JSON").with_cause(e))?;
            host.outln(&text);
        }
        OutputFormat::Text => {
            print_db(host, "database", &database);
            if let Some(a) = &audit {
                print_db(host, "audit database", a);
            }
            for f in &files {
                let state = match (&f.path, f.present) {
                    (None, _) => "not set".to_string(),
                    (Some(p), false) => format!("{p} (missing)"),
                    (Some(p), true) => format!(
                        "{p} (mode {}, {} bytes)",
                        f.mode.map(|m| format!("{m:04o}")).unwrap_or_default(),
                        f.size.unwrap_or(0)
                    ),
                };
                host.outln(&format!("{:<22}{state}", format!("{}:", f.setting)));
            }
            if problems.is_empty() {
                host.outln("status: ok");
            } else {
                for p in &problems {
                    host.warn(p);
                }
                host.outln(&format!("status: {} problem(s)", problems.len()));
            }
        }
    }
    Ok(if problems.is_empty() { 0 } else { 1 })
}

fn print_db(host: &Host, label: &str, d: &Json) {
    if d["reachable"] != Json::Bool(true) {
        host.outln(&format!(
            "{:<22}not reachable: {}",
            format!("{label}:"),
            d["error"].as_str().unwrap_or("")
        ));
        return;
    }
    host.outln(&format!(
        "{:<22}{} ({} {})",
        format!("{label}:"),
        d["url"].as_str().unwrap_or(""),
        d["dialect"].as_str().unwrap_or(""),
        d["server_version"].as_str().unwrap_or("")
    ));
    if let Some(rev) = d.get("revision") {
        let cur = match rev["current"].as_array() {
            None => "not stamped".to_string(),
            Some(v) if v.is_empty() => "not stamped".to_string(),
            Some(v) => v
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        let note = if rev["up_to_date"] == Json::Bool(true) {
            "up to date".to_string()
        } else {
            format!("mfactl knows {ALEMBIC_HEAD}")
        };
        host.outln(&format!("{:<22}{cur} ({note})", "schema revision:"));
    }
    let t = &d["tables"];
    if !t.is_null() {
        let names: Vec<&str> = t["missing"]
            .as_array()
            .map(|v| v.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let missing = match names.len() {
            0..=8 => names.join(", "),
            n => format!("{}, … and {} more", names[..6].join(", "), n - 6),
        };
        let tail = if missing.is_empty() {
            String::new()
        } else {
            format!("; missing: {missing}")
        };
        host.outln(&format!(
            "{:<22}{} of {} present{tail}",
            "tables:", t["present"], t["expected"]
        ));
    }
    let s = &d["sequences"];
    if !s.is_null() {
        host.outln(&format!(
            "{:<22}{} of {} present",
            "sequences:", s["present"], s["expected"]
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn file_modes_are_judged() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("k");
        std::fs::write(&p, [0u8; 96]).expect("write");
        let path = Some(p.display().to_string());
        for (mode, secret, warn) in [
            (0o400, true, false),
            (0o600, true, false),
            (0o640, true, true),
            (0o604, true, true),
            (0o644, false, false),
            (0o664, false, true),
        ] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let f = check_file("PI_ENCFILE", path.clone(), secret);
            assert!(f.present);
            assert_eq!(f.mode, Some(mode));
            assert_eq!(f.size, Some(96));
            assert_eq!(
                f.warning.is_some(),
                warn,
                "{mode:o} {secret}: {:?}",
                f.warning
            );
        }
        let f = check_file("PI_ENCFILE", None, true);
        assert_eq!(f.warning.as_deref(), Some("PI_ENCFILE is not set"));
        let f = check_file("X", Some(d.path().join("nope").display().to_string()), true);
        assert!(!f.present && f.warning.is_some());
    }
}
