//! `enckey status`: where the key is, what form it has, who can read it, and whether it fits
//! the database.

use crate::checkdb;
use crate::key::{fingerprint, EncKey, KEY_LEN};
use crate::load::{encfile_path, key_from_file, PASSWORD_FILE_ENV};
use crate::wrap::{self, KeyForm};
use mfactl_plugin_api::args::{FormatArg, OutputFormat};
use mfactl_plugin_api::{Host, Result};
use serde_json::json;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use zeroize::Zeroizing;

/// Arguments of `enckey status`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Also decrypt a sample of every encrypted database column with the key
    #[arg(long = "check-db")]
    pub check_db: bool,
    /// Rows per column to decrypt with --check-db (0 = all)
    #[arg(long = "sample", value_name = "N", default_value_t = 100)]
    pub sample: u64,
    #[command(flatten)]
    pub format: FormatArg,
}

/// The user name of `uid` from /etc/passwd, if listed.
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _ = f.next();
        let id: u32 = f.next()?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

fn user_exists(name: &str) -> bool {
    std::fs::read_to_string("/etc/passwd")
        .map(|p| p.lines().any(|l| l.split(':').next() == Some(name)))
        .unwrap_or(false)
}

/// Warnings about the file's mode and owner.
pub fn mode_warnings(mode: u32, owner: Option<&str>, service_user: Option<&str>) -> Vec<String> {
    let mut w = Vec::new();
    let perm = mode & 0o7777;
    if perm & 0o077 != 0 {
        w.push(format!(
            "mode {perm:04o}: the key is readable or writable by group or others; chmod 0400 it"
        ));
    } else if perm != 0o400 && perm != 0o600 {
        w.push(format!("mode {perm:04o}: expected 0400 (or 0600)"));
    }
    if let (Some(want), Some(have)) = (service_user, owner) {
        if want != have {
            w.push(format!(
                "owned by {have}, not by the service user {want}: privacyIDEA may not be able to read it"
            ));
        }
    }
    w
}

/// Runs `enckey status`.
pub fn run(host: &Host, args: Args) -> Result<i32> {
    let path = encfile_path(host)?;
    let fmt = args.format.get(host);
    // The user privacyIDEA runs as: [plugins.enckey] service_user, else `privacyidea` when such
    // a user exists (the name the distribution packages create).
    let service_user = host
        .plugin_config()
        .get("service_user")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .or_else(|| user_exists("privacyidea").then(|| "privacyidea".to_string()));
    let mut warnings: Vec<String> = Vec::new();
    let mut report = json!({ "path": path.display().to_string(), "service_user": service_user });
    let meta = std::fs::metadata(&path);
    let mut code = 0;
    let mut key: Option<EncKey> = None;
    match meta {
        Err(e) => {
            report["present"] = json!(false);
            report["error"] = json!(e.to_string());
            code = 1;
        }
        Ok(meta) => {
            report["present"] = json!(true);
            report["size"] = json!(meta.len());
            let mode = meta.mode() & 0o7777;
            let owner = user_name(meta.uid());
            report["mode"] = json!(format!("{mode:04o}"));
            report["owner"] = json!(owner.clone().unwrap_or_else(|| meta.uid().to_string()));
            report["uid"] = json!(meta.uid());
            warnings.extend(mode_warnings(
                mode,
                owner.as_deref(),
                service_user.as_deref(),
            ));
            match std::fs::read(&path) {
                Err(e) => {
                    report["form"] = json!("unreadable");
                    report["error"] = json!(e.to_string());
                    code = 1;
                }
                Ok(bytes) => {
                    let bytes = Zeroizing::new(bytes);
                    let form = wrap::detect_form(&bytes);
                    report["form"] = json!(form.name());
                    match &form {
                        KeyForm::Raw => {
                            if bytes.len() != KEY_LEN {
                                warnings.push(format!(
                                    "{} bytes: privacyIDEA uses the first 96, the rest is ignored",
                                    bytes.len()
                                ));
                            }
                            key = EncKey::from_slice(&bytes[..KEY_LEN]);
                        }
                        KeyForm::MfactlWrapped => {
                            warnings.push(
                                "the mfactl format is for escrow copies: privacyIDEA cannot unwrap it"
                                    .into(),
                            );
                            if let Ok(h) = wrap::parse_mfactl(&bytes) {
                                report["fingerprint"] = json!(h.fingerprint);
                            }
                        }
                        KeyForm::PiWrapped => {}
                        KeyForm::Invalid(why) => {
                            report["error"] = json!(why);
                            code = 1;
                        }
                    }
                    if form.is_wrapped()
                        && (args.check_db || std::env::var_os(PASSWORD_FILE_ENV).is_some())
                    {
                        key = Some(key_from_file(host, &path, None)?);
                    }
                }
            }
        }
    }
    if let Some(k) = &key {
        report["fingerprint"] = json!(fingerprint(k));
    }
    let mut failed_values = 0;
    if args.check_db {
        let k = match &key {
            Some(k) => k,
            None => {
                return Err(mfactl_plugin_api::Error::failed(
                    "no usable key: cannot check the database",
                )
                .with_hint(format!("see `mfactl enckey status` for {}", path.display())))
            }
        };
        let results = checkdb::check_db(host, k, args.sample)?;
        failed_values = results.iter().map(|r| r.failed).sum::<u64>();
        for r in &results {
            if let Some(why) = &r.skipped {
                warnings.push(format!("{} not checked: {why}", r.label));
            }
        }
        report["check_db"] = json!({
            "sample": args.sample,
            "columns": results.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
            "failed": failed_values,
            "checked": results.iter().map(|r| r.checked).sum::<u64>(),
        });
        if failed_values > 0 {
            code = 1;
        }
        if fmt == OutputFormat::Text {
            print_text(host, &report, &path);
            print_check_db(host, &results);
        }
    } else if fmt == OutputFormat::Text {
        print_text(host, &report, &path);
    }
    report["warnings"] = json!(warnings);
    if fmt == OutputFormat::Json {
        host.outln(&serde_json::to_string_pretty(&report).unwrap_or_default());
    }
    for w in &warnings {
        host.warn(w);
    }
    if failed_values > 0 {
        return Err(mfactl_plugin_api::Error::failed(format!(
            "{failed_values} encrypted values do not decrypt with this key"
        ))
        .with_hint("the key and the database do not belong together (or values are damaged)"));
    }
    Ok(code)
}

fn print_text(host: &Host, r: &serde_json::Value, path: &Path) {
    let s = |k: &str| match &r[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        v => v.to_string(),
    };
    host.outln(&format!("path:        {}", path.display()));
    if r["present"] == json!(false) {
        host.outln("present:     no");
        host.outln(&format!("error:       {}", s("error")));
        return;
    }
    host.outln("present:     yes");
    host.outln(&format!("size:        {} bytes", s("size")));
    host.outln(&format!("form:        {}", s("form")));
    host.outln(&format!("mode:        {}", s("mode")));
    host.outln(&format!("owner:       {} (uid {})", s("owner"), s("uid")));
    let fp = if r["fingerprint"].is_null() {
        format!("unknown (wrapped; set {PASSWORD_FILE_ENV} or use --check-db to unwrap)")
    } else {
        s("fingerprint")
    };
    host.outln(&format!("fingerprint: {fp}"));
    if !r["error"].is_null() {
        host.outln(&format!("error:       {}", s("error")));
    }
}

fn print_check_db(host: &Host, results: &[checkdb::ColumnResult]) {
    host.outln("");
    host.outln(&format!(
        "{:<32} {:>4} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "column", "slot", "checked", "ok", "failed", "pkcs7", "legacy"
    ));
    for r in results {
        if r.skipped.is_some() {
            host.outln(&format!("{:<32} {:>4} {:>8}", r.label, r.slot, "skipped"));
            continue;
        }
        host.outln(&format!(
            "{:<32} {:>4} {:>8} {:>8} {:>8} {:>8} {:>8}",
            r.label, r.slot, r.checked, r.ok, r.failed, r.pkcs7, r.legacy
        ));
        for f in &r.failures {
            host.outln(&format!("  failed: {f}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_and_owner_warnings() {
        assert!(mode_warnings(0o400, Some("pi"), Some("pi")).is_empty());
        assert!(mode_warnings(0o600, None, None).is_empty());
        assert_eq!(mode_warnings(0o644, None, None).len(), 1);
        assert!(mode_warnings(0o700, None, None)[0].contains("expected 0400"));
        assert!(mode_warnings(0o400, Some("root"), Some("privacyidea"))[0]
            .contains("not by the service user"));
    }

    #[test]
    fn passwd_lookup() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
    }
}
