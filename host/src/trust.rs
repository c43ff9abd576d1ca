//! Trust checks run before any external plugin file is loaded.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

fn owner_ok(uid: u32) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    uid == 0 || uid == me
}

fn owner_reason(uid: u32) -> String {
    format!("owned by uid {uid}, which is neither root nor the invoking user")
}

/// A plugin file name: `[a-z0-9_-]+.so`.
pub fn valid_file_name(name: &str) -> bool {
    name.strip_suffix(".so").is_some_and(|stem| {
        !stem.is_empty()
            && stem
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    })
}

/// The directory must be a real directory, not group/world-writable, owned by root or us.
pub fn check_dir(dir: &Path) -> Result<(), String> {
    let md =
        std::fs::metadata(dir).map_err(|e| format!("plugin directory {}: {e}", dir.display()))?;
    if !md.is_dir() {
        return Err(format!(
            "plugin directory {} is not a directory",
            dir.display()
        ));
    }
    let mode = md.permissions().mode();
    if mode & 0o022 != 0 {
        return Err(format!(
            "plugin directory {} is writable by group or others (mode {:o})",
            dir.display(),
            mode & 0o7777
        ));
    }
    if !owner_ok(md.uid()) {
        return Err(format!(
            "plugin directory {} is {}",
            dir.display(),
            owner_reason(md.uid())
        ));
    }
    Ok(())
}

/// The file must be a regular file (not a symlink), not group/world-writable, owned by root or us.
pub fn check_file(path: &Path) -> Result<(), String> {
    let md = std::fs::symlink_metadata(path).map_err(|e| format!("cannot stat: {e}"))?;
    if !md.file_type().is_file() {
        return Err("not a regular file (symlinks and special files are refused)".to_string());
    }
    let mode = md.permissions().mode();
    if mode & 0o022 != 0 {
        return Err(format!(
            "file is writable by group or others (mode {:o})",
            mode & 0o7777
        ));
    }
    if !owner_ok(md.uid()) {
        return Err(format!("file is {}", owner_reason(md.uid())));
    }
    Ok(())
}

/// Hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert!(valid_file_name("hello.so"));
        assert!(valid_file_name("my_plugin-2.so"));
        assert!(!valid_file_name("Hello.so"));
        assert!(!valid_file_name(".so"));
        assert!(!valid_file_name("a b.so"));
        assert!(!valid_file_name("hello.so.1"));
    }

    #[test]
    fn world_writable_dir_is_refused() {
        let d = std::env::temp_dir().join(format!("mfactl-trust-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let r = check_dir(&d);
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(r
            .expect_err("refused")
            .contains("writable by group or others"));
        assert!(check_dir(&d).is_ok());
        std::fs::remove_dir_all(&d).expect("rm");
    }
}
