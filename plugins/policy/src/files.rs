//! Reading input files and writing output files (atomically: temporary file in the same
//! directory, fsync, rename).

use mfactl_plugin_api::{Error, ErrorKind, Host, Result, ResultExt};
use std::io::{Read, Write};
use std::path::Path;

/// Reads `path` (`-` or `None` = stdin) as UTF-8 text; returns it and a name for messages.
pub fn read_input(path: Option<&str>) -> Result<(String, String)> {
    match path {
        None | Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context(ErrorKind::Failed, "cannot read the input from stdin")?;
            Ok((s, "stdin".to_string()))
        }
        Some(p) => {
            let bytes =
                std::fs::read(p).with_context(ErrorKind::Failed, || format!("cannot read {p}"))?;
            let s = String::from_utf8(bytes).map_err(|e| {
                Error::failed(format!("{p} is not UTF-8 text")).with_cause(format!(
                    "invalid byte at offset {}",
                    e.utf8_error().valid_up_to()
                ))
            })?;
            Ok((s, p.to_string()))
        }
    }
}

/// Writes `text` to `path` (`-` or `None` = stdout through the host).
pub fn write_output(host: &Host, path: Option<&str>, text: &str) -> Result<()> {
    match path {
        None | Some("-") => {
            host.out(text);
            Ok(())
        }
        Some(p) => write_atomic(Path::new(p), text.as_bytes()),
    }
}

fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let shown = path.display().to_string();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".mfactl-policy-")
        .tempfile_in(&dir)
        .with_context(ErrorKind::Failed, || {
            format!("cannot create a temporary file next to {shown}")
        })?;
    tmp.write_all(data)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(ErrorKind::Failed, || format!("cannot write {shown}"))?;
    tmp.persist(path)
        .map_err(|e| Error::failed(format!("cannot write {shown}")).with_source(&e.error))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
