//! `enckey encrypt`: wrap a raw key with a passphrase.

use crate::fsutil::write_secret_file;
use crate::key::{EncKey, KEY_LEN};
use crate::load::{encfile_path, read_key_file, read_passphrase_file, write_error};
use crate::wrap::{self, KdfParams, KeyForm};
use mfactl_plugin_api::{Error, Host, Result};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// The wrapped formats.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrapFormat {
    /// privacyIDEA's format (`hex(iv):hex(ct)`), accepted by privacyIDEA at /system/hsm
    #[value(alias = "pi")]
    Privacyidea,
    /// mfactl's authenticated format (Argon2id + AES-256-GCM), for escrow copies
    Mfactl,
}

/// Arguments of `enckey encrypt`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The raw key file to wrap [default: PI_ENCFILE]
    pub file: Option<PathBuf>,
    /// Write the wrapped key to OUT (mode 0400) instead of stdout (`-`)
    #[arg(short = 'o', long = "out", alias = "outfile", value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Read the passphrase from FILE (without a trailing newline) instead of prompting
    #[arg(long = "password-file", value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// The passphrase itself (pi-manage compatibility; unsafe, warns)
    #[arg(long = "password", hide = true, conflicts_with = "password_file")]
    pub password: Option<String>,
    /// Output format
    #[arg(long = "format", value_enum, default_value = "privacyidea")]
    pub format: WrapFormat,
    /// Argon2id parameters for --format mfactl
    #[arg(
        long = "kdf",
        value_name = "m=KIB,t=N,p=N",
        default_value = "m=65536,t=3,p=4"
    )]
    pub kdf: String,
    /// Replace OUT if it exists
    #[arg(long)]
    pub force: bool,
}

fn parse_kdf(s: &str) -> Result<KdfParams> {
    let mut p = KdfParams::default();
    for kv in s.split(',') {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("bad --kdf item {kv:?} (want m=KIB,t=N,p=N)")))?;
        let v: u32 = v
            .parse()
            .map_err(|_| Error::usage(format!("bad --kdf value {kv:?}")))?;
        match k {
            "m" => p.m_kib = v,
            "t" => p.t = v,
            "p" => p.p = v,
            _ => return Err(Error::usage(format!("unknown --kdf parameter {k:?}"))),
        }
    }
    if p.m_kib < 8 * 1024
        || p.t == 0
        || p.p == 0
        || p.t > 64
        || p.p > 64
        || p.m_kib > 4 * 1024 * 1024
    {
        return Err(Error::usage(
            "--kdf out of range: m from 8192 to 4194304 KiB, t and p from 1 to 64",
        ));
    }
    Ok(p)
}

/// Reads the new passphrase: file, then `--password`, then a prompt with confirmation.
fn new_passphrase(host: &Host, args: &Args) -> Result<Zeroizing<Vec<u8>>> {
    let pw = if let Some(f) = &args.password_file {
        read_passphrase_file(f)?
    } else if let Some(p) = &args.password {
        host.warn(
            "passing the passphrase on the command line is unsafe: other users can read it in \
             the process list; use --password-file or the prompt",
        );
        Zeroizing::new(p.as_bytes().to_vec())
    } else {
        let s = host.prompt_secret("New passphrase: ", true).map_err(|e| {
            Error::failed("no new passphrase")
                .with_cause(e.message)
                .with_hint(
                    "type the same passphrase twice on a terminal, or use --password-file FILE",
                )
        })?;
        Zeroizing::new(s.expose().as_bytes().to_vec())
    };
    if pw.is_empty() {
        return Err(Error::failed("the passphrase is empty"));
    }
    Ok(pw)
}

/// Runs `enckey encrypt`.
pub fn run(host: &Host, args: Args) -> Result<i32> {
    // pi-manage's click option takes `-o -` as stdout.
    let mut args = args;
    if args.out.as_deref() == Some(std::path::Path::new("-")) {
        args.out = None;
    }
    let path = match &args.file {
        Some(p) => p.clone(),
        None => encfile_path(host)?,
    };
    let kdf = parse_kdf(&args.kdf)?;
    let bytes = Zeroizing::new(read_key_file(&path)?);
    match wrap::detect_form(&bytes) {
        KeyForm::Raw if bytes.len() == KEY_LEN => {}
        KeyForm::Raw => {
            return Err(Error::failed(format!(
                "{} has {} bytes, not {KEY_LEN}; refusing to wrap it",
                path.display(),
                bytes.len()
            )))
        }
        form @ (KeyForm::PiWrapped | KeyForm::MfactlWrapped) => {
            return Err(Error::failed(format!(
                "{} is already wrapped ({}); refusing to wrap it twice",
                path.display(),
                form.name()
            ))
            .with_hint("`mfactl enckey decrypt` gives the raw key back"))
        }
        KeyForm::Invalid(why) => {
            return Err(
                Error::failed(format!("{} is not a key file", path.display())).with_cause(why),
            )
        }
    }
    let key = EncKey::from_slice(&bytes).ok_or_else(|| Error::internal("key length"))?;
    if let Some(out) = &args.out {
        if !args.force && out.symlink_metadata().is_ok() {
            return Err(Error::failed(format!(
                "{} already exists; it is not overwritten",
                out.display()
            ))
            .with_hint("use --force to replace it"));
        }
    }
    let pw = new_passphrase(host, &args)?;
    let line = Zeroizing::new(match args.format {
        WrapFormat::Privacyidea => wrap::wrap_pi(&key, &pw),
        WrapFormat::Mfactl => wrap::wrap_mfactl(&key, &pw, kdf)
            .map_err(|e| Error::failed("cannot wrap the key").with_cause(e))?,
    });
    let text = Zeroizing::new(format!("{}\n", line.as_str()));
    match &args.out {
        Some(out) => {
            write_secret_file(out, text.as_bytes(), 0o400, args.force).map_err(write_error)?;
            let how = match args.format {
                WrapFormat::Privacyidea => {
                    "privacyIDEA format: the server asks for the passphrase at /system/hsm"
                }
                WrapFormat::Mfactl => "mfactl format, for escrow: privacyIDEA cannot read it",
            };
            host.info(&format!(
                "Wrapped key {} written to {} (mode 0400; {how})",
                key.fingerprint(),
                out.display()
            ));
        }
        None => host.out(&text),
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdf_parameters_parse() {
        assert_eq!(
            parse_kdf("m=65536,t=3,p=4").expect("ok"),
            KdfParams {
                m_kib: 65536,
                t: 3,
                p: 4
            }
        );
        assert_eq!(parse_kdf("t=5").expect("ok").t, 5);
        assert!(parse_kdf("m=1").is_err());
        assert!(parse_kdf("x=1").is_err());
        assert!(parse_kdf("t=0").is_err());
    }
}
