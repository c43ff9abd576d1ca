//! Where passwords and the pepper come from.

use clap::Args;
use mfactl_plugin_api::{ConfigValue, Error, ErrorKind, Host, Result, ResultExt, SecretString};
use std::io::Read;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// The largest password file read (a password, not a document).
const MAX_PASSWORD_FILE: u64 = 4096;

/// How a command gets a password: `--password-file`, `-p/--password` (warns), or a prompt.
#[derive(Args, Debug, Clone, Default)]
pub struct PasswordArgs {
    /// Read the password from FILE ("-" = standard input); one trailing newline is removed
    #[arg(
        long = "password-file",
        value_name = "FILE",
        conflicts_with = "password"
    )]
    pub password_file: Option<PathBuf>,
    /// The password itself (visible in the process list and shell history; prefer
    /// --password-file or the prompt)
    #[arg(short = 'p', long = "password", value_name = "PASSWORD")]
    pub password: Option<String>,
}

impl PasswordArgs {
    /// True when a password source other than the prompt was given.
    pub fn given(&self) -> bool {
        self.password_file.is_some() || self.password.is_some()
    }

    /// The password from the file, the flag, or a prompt with confirmation. Empty is an error.
    pub fn read(&self, host: &Host, prompt: &str, confirm: bool) -> Result<SecretString> {
        let pw = if let Some(path) = &self.password_file {
            read_password_file(path)?
        } else if let Some(p) = &self.password {
            host.warn(
                "a password on the command line is visible to other users and kept in shell history; \
                 use --password-file or the prompt",
            );
            SecretString::new(p.clone())
        } else {
            host.prompt_secret(prompt, confirm)?
        };
        if pw.expose().is_empty() {
            return Err(Error::failed("the password is empty").with_hint(
                "an administrator with an empty password cannot log in; give a non-empty password",
            ));
        }
        Ok(pw)
    }
}

/// Reads a password file: at most 4 KiB of UTF-8, one line, one trailing newline removed.
pub fn read_password_file(path: &std::path::Path) -> Result<SecretString> {
    let mut raw = Zeroizing::new(Vec::new());
    let shown = path.display().to_string();
    if shown == "-" {
        std::io::stdin()
            .take(MAX_PASSWORD_FILE + 1)
            .read_to_end(&mut raw)
            .context(
                ErrorKind::Failed,
                "cannot read the password from standard input",
            )?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_PASSWORD_FILE + 1).read_to_end(&mut raw))
            .with_context(ErrorKind::Failed, || {
                format!("cannot read the password file {shown}")
            })?;
    }
    parse_password_bytes(&raw, &shown)
}

/// The password in the bytes of a password file.
pub fn parse_password_bytes(raw: &[u8], shown: &str) -> Result<SecretString> {
    if raw.len() as u64 > MAX_PASSWORD_FILE {
        return Err(Error::failed(format!(
            "the password file {shown} is larger than {MAX_PASSWORD_FILE} bytes"
        )));
    }
    let text = std::str::from_utf8(raw)
        .map_err(|_| Error::failed(format!("the password file {shown} is not UTF-8 text")))?;
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if text.contains('\n') {
        return Err(
            Error::failed(format!("the password file {shown} has more than one line"))
                .with_hint("put only the password in the file"),
        );
    }
    Ok(SecretString::new(text.to_string()))
}

/// `PI_PEPPER`, which privacyIDEA puts in front of every admin password before hashing.
pub fn pepper(host: &Host) -> Result<SecretString> {
    match host.config("PI_PEPPER") {
        Some(ConfigValue::Str(s)) => Ok(SecretString::new(s)),
        Some(ConfigValue::Bytes(_)) => Err(Error::config(
            "PI_PEPPER is a bytes literal (b'…'); privacyIDEA needs a string there",
        )
        .with_hint("write PI_PEPPER = '…' without the b prefix, in pi.cfg and for the server")),
        Some(ConfigValue::Other(_)) => Err(Error::config("PI_PEPPER is not a string")),
        None => Err(
            Error::config("PI_PEPPER is not set in the configuration").with_hint(
                "admin passwords are hashed with PI_PEPPER in front; set it to the value your \
             privacyIDEA server uses (a server whose pi.cfg lacks it uses \"Never know...\", \
             so write PI_PEPPER = \"Never know...\" in that case)",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_file_contents() {
        let p = |b: &[u8]| parse_password_bytes(b, "f").map(|s| s.expose().to_string());
        assert_eq!(p(b"secret\n").expect("ok"), "secret");
        assert_eq!(p(b"secret\r\n").expect("ok"), "secret");
        assert_eq!(p(b"secret").expect("ok"), "secret");
        assert_eq!(p(b" sp ace \n").expect("ok"), " sp ace ");
        assert_eq!(p(b"\n").expect("ok"), "");
        assert!(p(b"a\nb\n").is_err());
        assert!(p(b"\xff\xfe").is_err());
        assert!(p(&[b'a'; 5000]).is_err());
    }
}
