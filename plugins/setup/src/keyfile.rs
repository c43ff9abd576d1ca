//! Writing key and config files: final mode from the first byte, temporary name in the same
//! directory, fsync, then moved into place.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why a file could not be written.
#[derive(Debug)]
pub enum WriteError {
    /// The target exists and overwriting was not allowed.
    Exists(PathBuf),
    /// An I/O error, with what was being done.
    Io(String, io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Exists(p) => write!(f, "{} already exists", p.display()),
            WriteError::Io(what, e) => write!(f, "{what}: {e}"),
        }
    }
}

impl std::error::Error for WriteError {}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `data` to `path` with permission bits `mode`.
///
/// The data goes to a new temporary file beside `path`, created exclusively with `mode` (so a
/// secret is never readable by others, not even while empty), fsynced, then moved into place
/// and the directory fsynced. Without `overwrite` an existing `path` is never replaced, even by a
/// concurrent writer: the move is a hard link, which fails when the name exists. On error the
/// temporary file is removed and `path` is untouched.
pub fn write_file(path: &Path, data: &[u8], mode: u32, overwrite: bool) -> Result<(), WriteError> {
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    let dir = dir_of(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "key".into());
    let tmp = dir.join(format!(
        ".{name}.mfactl-tmp-{}",
        hex::encode(rand::random::<[u8; 6]>())
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .map_err(|e| WriteError::Io(format!("cannot create a file in {}", dir.display()), e))?;
        // The umask may have taken bits away; set exactly `mode` before any byte is written.
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| WriteError::Io(format!("cannot set the mode of {}", tmp.display()), e))?;
        file.write_all(data)
            .and_then(|_| file.sync_all())
            .map_err(|e| WriteError::Io(format!("cannot write {}", tmp.display()), e))?;
        drop(file);
        if overwrite {
            fs::rename(&tmp, path)
                .map_err(|e| WriteError::Io(format!("cannot move into {}", path.display()), e))?;
        } else {
            match fs::hard_link(&tmp, path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(WriteError::Exists(path.to_path_buf()))
                }
                Err(e) => {
                    return Err(WriteError::Io(
                        format!("cannot move into {}", path.display()),
                        e,
                    ))
                }
            }
            let _ = fs::remove_file(&tmp);
        }
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Permission bits of a file, `None` when it cannot be read.
pub fn mode_of(path: &Path) -> Option<u32> {
    fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_with_mode_and_refuses_existing() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("k");
        write_file(&p, b"secret", 0o400, false).expect("write");
        assert_eq!(fs::read(&p).expect("read"), b"secret");
        assert_eq!(mode_of(&p), Some(0o400));
        match write_file(&p, b"other", 0o400, false) {
            Err(WriteError::Exists(_)) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(fs::read(&p).expect("read"), b"secret");
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(d.path()).expect("ls").count(), 1);
    }

    #[test]
    fn overwrite_replaces() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("pub.pem");
        write_file(&p, b"a", 0o644, false).expect("write");
        write_file(&p, b"b", 0o644, true).expect("write");
        assert_eq!(fs::read(&p).expect("read"), b"b");
        assert_eq!(mode_of(&p), Some(0o644));
    }

    #[test]
    fn missing_directory_is_an_error() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path().join("nope").join("k");
        assert!(matches!(
            write_file(&p, b"x", 0o400, false),
            Err(WriteError::Io(_, _))
        ));
    }
}
