//! Finding, reading and unwrapping the key for any command that needs it.

use crate::key::{EncKey, KEY_LEN};
use crate::wrap::{self, KeyForm, WrapError};
use mfactl_plugin_api::{Error, ErrorKind, Host, Result, ResultExt};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Environment variable naming a file that holds the passphrase of a wrapped key.
pub const PASSWORD_FILE_ENV: &str = "MFACTL_ENCKEY_PASSWORD_FILE";

/// The key file's path: `PI_ENCFILE` from the configuration.
pub fn encfile_path(host: &Host) -> Result<PathBuf> {
    match host.config_str("PI_ENCFILE") {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => Err(Error::config("PI_ENCFILE is not set in the configuration")
            .with_hint("set PI_ENCFILE in pi.cfg or in the [privacyidea] table of mfactl.toml")),
    }
}

/// Reads a passphrase file: its whole content less one trailing newline (`\n` or `\r\n`).
pub fn read_passphrase_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let mut data = Zeroizing::new(std::fs::read(path).with_context(ErrorKind::Failed, || {
        format!("cannot read the passphrase file {}", path.display())
    })?);
    if data.ends_with(b"\n") {
        data.pop();
        if data.ends_with(b"\r") {
            data.pop();
        }
    }
    if data.is_empty() {
        return Err(Error::failed(format!(
            "the passphrase file {} is empty",
            path.display()
        )));
    }
    Ok(data)
}

/// The passphrase of an existing wrapped file: `file` if given, else the file named by
/// `MFACTL_ENCKEY_PASSWORD_FILE`, else a prompt on the terminal.
pub fn existing_passphrase(
    host: &Host,
    file: Option<&Path>,
    what: &Path,
) -> Result<Zeroizing<Vec<u8>>> {
    if let Some(f) = file {
        return read_passphrase_file(f);
    }
    if let Some(f) = std::env::var_os(PASSWORD_FILE_ENV).filter(|v| !v.is_empty()) {
        return read_passphrase_file(Path::new(&f));
    }
    let s = host
        .prompt_secret(&format!("Passphrase for {}: ", what.display()), false)
        .map_err(|e| {
            Error::failed(format!("{} is wrapped and needs its passphrase", what.display()))
                .with_cause(e.message)
                .with_hint(format!(
                    "run on a terminal, or put the passphrase in a file (mode 0400) and set {PASSWORD_FILE_ENV}"
                ))
        })?;
    Ok(Zeroizing::new(s.expose().as_bytes().to_vec()))
}

/// Turns an unwrap error into the user-facing error.
pub fn unwrap_error(e: WrapError, path: &Path) -> Error {
    match e {
        WrapError::WrongPassphrase => Error::failed("wrong passphrase").with_hint(format!(
            "check the passphrase for {} (or whether the file was damaged)",
            path.display()
        )),
        other => Error::failed(format!("cannot unwrap {}", path.display())).with_cause(other),
    }
}

/// Reads a key file and returns the key: raw files directly (privacyIDEA reads the first 96
/// bytes of a 96–100 byte file, so does this), wrapped files after asking for the passphrase.
pub fn key_from_file(host: &Host, path: &Path, passphrase_file: Option<&Path>) -> Result<EncKey> {
    let bytes = Zeroizing::new(read_key_file(path)?);
    match wrap::detect_form(&bytes) {
        KeyForm::Raw => EncKey::from_slice(&bytes[..KEY_LEN])
            .ok_or_else(|| Error::internal("raw key shorter than 96 bytes")),
        KeyForm::PiWrapped | KeyForm::MfactlWrapped => {
            let pw = existing_passphrase(host, passphrase_file, path)?;
            wrap::unwrap_any(&bytes, &pw).map_err(|e| unwrap_error(e, path))
        }
        KeyForm::Invalid(why) => Err(Error::failed(format!(
            "{} is not a usable key file",
            path.display()
        ))
        .with_cause(why)),
    }
}

/// Reads a key file with a clear error.
pub fn read_key_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        let err =
            Error::failed(format!("cannot read the key file {}", path.display())).with_source(&e);
        if e.kind() == std::io::ErrorKind::NotFound {
            err.with_hint("create a key with `mfactl enckey create`, or fix PI_ENCFILE")
        } else {
            err
        }
    })
}

/// Loads the key of `PI_ENCFILE`, unwrapping it if needed (passphrase from the file named by
/// `MFACTL_ENCKEY_PASSWORD_FILE`, else a terminal prompt). The key stays in memory only and is
/// zeroized when dropped.
pub fn load_key(host: &Host) -> Result<EncKey> {
    let path = encfile_path(host)?;
    key_from_file(host, &path, None)
}

/// Maps a [`crate::fsutil::WriteError`] to the user-facing error.
pub fn write_error(e: crate::fsutil::WriteError) -> Error {
    match e {
        crate::fsutil::WriteError::Exists(p) => Error::failed(format!(
            "{} already exists; it is not overwritten",
            p.display()
        )),
        crate::fsutil::WriteError::Io(what, io) => Error::failed(what).with_source(&io),
    }
}
