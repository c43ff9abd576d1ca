//! `enckey split`: Shamir shares of the key.

use crate::fsutil::write_secret_file;
use crate::load::{encfile_path, key_from_file, write_error};
use crate::shamir;
use mfactl_plugin_api::{Error, ErrorKind, Host, Result, ResultExt};
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

/// Arguments of `enckey split`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// How many shares to make (2–255)
    #[arg(short = 'n', long = "shares", value_parser = clap::value_parser!(u8).range(2..=255))]
    pub shares: u8,
    /// How many shares rebuild the key (2–SHARES)
    #[arg(short = 't', long = "threshold", value_parser = clap::value_parser!(u8).range(2..=255))]
    pub threshold: u8,
    /// Write one file per share (mode 0400) into DIR instead of printing them
    #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Split this key file (raw or wrapped) [default: PI_ENCFILE]
    #[arg(short = 'k', long = "key-file", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

/// Runs `enckey split`.
pub fn run(host: &Host, args: Args) -> Result<i32> {
    if args.threshold > args.shares {
        return Err(Error::usage(format!(
            "the threshold ({}) cannot exceed the number of shares ({})",
            args.threshold, args.shares
        )));
    }
    let path = match &args.key_file {
        Some(p) => p.clone(),
        None => encfile_path(host)?,
    };
    let key = key_from_file(host, &path, None)?;
    let shares = shamir::split(&key, args.shares, args.threshold)
        .map_err(|e| Error::failed("cannot split the key").with_cause(e))?;
    let set = shares.first().map(|s| s.set_id.clone()).unwrap_or_default();
    let header = |s: &shamir::Share| {
        format!(
            "# mfactl enckey share {} of {} (any {} rebuild the key)\n# set {}, key fingerprint {}\n",
            s.index, args.shares, args.threshold, s.set_id, s.fingerprint
        )
    };
    match &args.out_dir {
        Some(dir) => {
            if !dir.exists() {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .with_context(ErrorKind::Failed, || {
                        format!("cannot create {}", dir.display())
                    })?;
            }
            for s in &shares {
                let file = dir.join(format!("enckey-share-{}-{}.txt", s.set_id, s.index));
                let text =
                    zeroize::Zeroizing::new(format!("{}{}\n", header(s), s.to_line().as_str()));
                write_secret_file(&file, text.as_bytes(), 0o400, false).map_err(write_error)?;
                host.outln(&file.display().to_string());
            }
        }
        None => {
            for s in &shares {
                let text =
                    zeroize::Zeroizing::new(format!("{}{}\n", header(s), s.to_line().as_str()));
                host.out(&text);
            }
        }
    }
    host.info(&format!(
        "Key {} split into {} shares (set {set}); any {} of them rebuild it with `mfactl enckey combine`",
        key.fingerprint(),
        args.shares,
        args.threshold
    ));
    Ok(0)
}
