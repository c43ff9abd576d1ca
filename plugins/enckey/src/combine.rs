//! `enckey combine`: rebuild the key from Shamir shares.

use crate::fsutil::write_secret_file;
use crate::load::{encfile_path, write_error};
use crate::shamir::Collector;
use mfactl_plugin_api::{Error, ErrorKind, Host, Result, ResultExt};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Arguments of `enckey combine`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Share files (lines starting with `#` are ignored; `-` reads stdin); without files the
    /// shares are asked for on the terminal one by one
    pub files: Vec<PathBuf>,
    /// Where to write the key (mode 0400) [default: PI_ENCFILE]
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Replace OUT if it exists
    #[arg(long)]
    pub force: bool,
}

/// Runs `enckey combine`.
pub fn run(host: &Host, args: Args) -> Result<i32> {
    let out = match &args.out {
        Some(p) => p.clone(),
        None => encfile_path(host)?,
    };
    if !args.force && out.symlink_metadata().is_ok() {
        return Err(Error::failed(format!(
            "{} already exists; it is not overwritten",
            out.display()
        ))
        .with_hint("use -o OUT for another file, or --force to replace it"));
    }
    let mut c = Collector::new();
    if args.files.is_empty() {
        read_from_terminal(host, &mut c)?;
    } else {
        'files: for f in &args.files {
            let text = Zeroizing::new(if f.as_os_str() == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .context(ErrorKind::Failed, "cannot read shares from stdin")?;
                s
            } else {
                std::fs::read_to_string(f)
                    .with_context(ErrorKind::Failed, || format!("cannot read {}", f.display()))?
            });
            for line in text.lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                match c.add_text(line) {
                    Ok(()) => host.info(&format!(
                        "{}: share accepted ({} of {})",
                        f.display(),
                        c.count(),
                        c.threshold().unwrap_or(0)
                    )),
                    Err(e) => host.warn(&format!("{}: share rejected: {e}", f.display())),
                }
                if c.is_complete() {
                    break 'files;
                }
            }
        }
        if !c.is_complete() {
            return Err(Error::failed(format!(
                "not enough valid shares: {} of {}",
                c.count(),
                c.threshold()
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "the threshold".into())
            ))
            .with_hint("give more share files, or run without files to type the shares"));
        }
    }
    let key = c
        .combine()
        .map_err(|e| Error::failed("cannot rebuild the key").with_cause(e))?;
    write_secret_file(&out, key.as_bytes(), 0o400, args.force).map_err(write_error)?;
    host.info(&format!(
        "Key {} rebuilt from {} shares and written to {} (mode 0400)",
        key.fingerprint(),
        c.count(),
        out.display()
    ));
    Ok(0)
}

fn read_from_terminal(host: &Host, c: &mut Collector) -> Result<()> {
    while !c.is_complete() {
        let prompt = match c.threshold() {
            Some(t) => format!("Share {} of {t} (empty to give up): ", c.count() + 1),
            None => "Share 1 (empty to give up): ".to_string(),
        };
        let s = host.prompt_secret(&prompt, false).map_err(|e| {
            Error::failed("cannot read shares from the terminal")
                .with_cause(e.message)
                .with_hint("give the share files as arguments")
        })?;
        if s.expose().trim().is_empty() {
            return Err(Error::failed(format!(
                "gave up after {} valid shares",
                c.count()
            )));
        }
        match c.add_text(s.expose()) {
            Ok(()) => host.info(&format!(
                "share accepted ({} of {})",
                c.count(),
                c.threshold().unwrap_or(0)
            )),
            Err(e) => host.warn(&format!("share rejected: {e}")),
        }
    }
    Ok(())
}
