//! `enckey decrypt`: a wrapped key (either format) back to the raw 96 bytes.

use crate::fsutil::write_secret_file;
use crate::load::{existing_passphrase, read_key_file, unwrap_error, write_error};
use crate::wrap::{self, KeyForm};
use mfactl_plugin_api::{Error, Host, Result};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Arguments of `enckey decrypt`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The wrapped key file (privacyIDEA or mfactl format)
    pub file: PathBuf,
    /// Where to write the raw key (mode 0400)
    #[arg(short = 'o', long = "out", alias = "outfile", value_name = "OUT")]
    pub out: PathBuf,
    /// Read the passphrase from FILE [default: the file named by MFACTL_ENCKEY_PASSWORD_FILE,
    /// else a prompt]
    #[arg(long = "password-file", value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Replace OUT if it exists
    #[arg(long)]
    pub force: bool,
}

/// Runs `enckey decrypt`.
pub fn run(host: &Host, args: Args) -> Result<i32> {
    let bytes = Zeroizing::new(read_key_file(&args.file)?);
    match wrap::detect_form(&bytes) {
        KeyForm::PiWrapped | KeyForm::MfactlWrapped => {}
        KeyForm::Raw => {
            return Err(Error::failed(format!(
                "{} is not wrapped (it holds a raw key)",
                args.file.display()
            )))
        }
        KeyForm::Invalid(why) => {
            return Err(
                Error::failed(format!("{} is not a wrapped key", args.file.display()))
                    .with_cause(why),
            )
        }
    }
    if !args.force && args.out.symlink_metadata().is_ok() {
        return Err(Error::failed(format!(
            "{} already exists; it is not overwritten",
            args.out.display()
        ))
        .with_hint("use --force to replace it"));
    }
    let pw = existing_passphrase(host, args.password_file.as_deref(), &args.file)?;
    let key = wrap::unwrap_any(&bytes, &pw).map_err(|e| unwrap_error(e, &args.file))?;
    write_secret_file(&args.out, key.as_bytes(), 0o400, args.force).map_err(write_error)?;
    host.info(&format!(
        "Key {} written to {} (mode 0400)",
        key.fingerprint(),
        args.out.display()
    ));
    Ok(0)
}
