//! Writing secret files: final mode from the first byte, temp name, fsync, rename.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why a secret file could not be written.
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

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> WriteError {
    let what = what.into();
    move |e| WriteError::Io(what, e)
}

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `data` to `path` with permission bits `mode` (e.g. `0o400`).
///
/// The data goes to a new temporary file in the same directory, created with `O_EXCL` and `mode`
/// (so it is never readable by others, not even empty), fsynced, then moved into place; the
/// directory is fsynced. Without `overwrite` an existing `path` is never replaced, even by a
/// concurrent writer (the move is a hard link, which fails if the name exists). On any error the
/// temporary file is removed and `path` is untouched.
pub fn write_secret_file(
    path: &Path,
    data: &[u8],
    mode: u32,
    overwrite: bool,
) -> Result<(), WriteError> {
    write_secret_file_hooked(path, data, mode, overwrite, &mut |_, _| {})
}

/// [`write_secret_file`] with a hook called once the temporary file exists and before each
/// write (tests use it to check the mode while the file is being written).
pub(crate) fn write_secret_file_hooked(
    path: &Path,
    data: &[u8],
    mode: u32,
    overwrite: bool,
    hook: &mut dyn FnMut(&Path, &File),
) -> Result<(), WriteError> {
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "enckey".into());
    let tmp = dir.join(format!(".{name}.mfactl-tmp-{}", hex::encode(rand_tag())));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io_err(format!("cannot create a file in {}", dir.display())))?;
    let result = (|| {
        // The umask can only clear bits; set the exact mode before the first byte anyway.
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(io_err(format!("cannot set the mode of {}", tmp.display())))?;
        let mut f = &file;
        // Written in two halves so the hook sees the file in the middle of writing, too.
        let (a, b) = data.split_at(data.len() / 2);
        for part in [a, b] {
            hook(&tmp, &file);
            f.write_all(part)
                .map_err(io_err(format!("cannot write {}", tmp.display())))?;
        }
        file.sync_all()
            .map_err(io_err(format!("cannot sync {}", tmp.display())))?;
        if overwrite {
            std::fs::rename(&tmp, path)
                .map_err(io_err(format!("cannot rename into {}", path.display())))?;
        } else {
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(WriteError::Exists(path.to_path_buf()));
                }
                Err(_) if path.symlink_metadata().is_err() => {
                    // File systems without hard links: fall back to a checked rename.
                    std::fs::rename(&tmp, path)
                        .map_err(io_err(format!("cannot rename into {}", path.display())))?;
                }
                Err(e) => {
                    return Err(io_err(format!("cannot link into {}", path.display()))(e));
                }
            }
        }
        Ok(())
    })();
    // After a link (or on error) the temporary name must go; after a rename it is gone already.
    let _ = std::fs::remove_file(&tmp);
    result?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn rand_tag() -> [u8; 6] {
    use rand::RngCore;
    let mut b = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn mode_is_0400_while_writing_and_after() {
        let dir = tempfile::tempdir().expect("tmp");
        let target = dir.path().join("enckey");
        let mut seen = Vec::new();
        write_secret_file_hooked(&target, &[7u8; 96], 0o400, false, &mut |p, f| {
            let m = f.metadata().expect("meta");
            let by_path = std::fs::metadata(p).expect("meta");
            seen.push((m.mode() & 0o7777, by_path.mode() & 0o7777, m.len()));
        })
        .expect("write");
        assert_eq!(seen, vec![(0o400, 0o400, 0), (0o400, 0o400, 48)]);
        let meta = std::fs::metadata(&target).expect("meta");
        assert_eq!(meta.mode() & 0o7777, 0o400);
        assert_eq!(std::fs::read(&target).expect("read"), vec![7u8; 96]);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[test]
    fn never_overwrites_without_permission() {
        let dir = tempfile::tempdir().expect("tmp");
        let target = dir.path().join("k");
        std::fs::write(&target, b"old").expect("w");
        let r = write_secret_file(&target, b"new", 0o400, false);
        assert!(matches!(r, Err(WriteError::Exists(_))));
        assert_eq!(std::fs::read(&target).expect("r"), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
        write_secret_file(&target, b"new", 0o600, true).expect("overwrite");
        assert_eq!(std::fs::read(&target).expect("r"), b"new");
        assert_eq!(
            std::fs::metadata(&target).expect("m").mode() & 0o7777,
            0o600
        );
    }

    #[test]
    fn read_only_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500))
            .expect("chmod");
        // root ignores directory permissions; /proc refuses new files even to root.
        let target = if is_root() {
            PathBuf::from("/proc/mfactl-enckey-test")
        } else {
            dir.path().join("k")
        };
        let r = write_secret_file(&target, b"x", 0o400, false);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        let e = r.expect_err("must fail");
        assert!(matches!(e, WriteError::Io(_, _)), "{e}");
        assert!(e.to_string().starts_with("cannot create a file in"), "{e}");
        assert!(!target.exists());
    }

    fn is_root() -> bool {
        std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false)
    }
}
