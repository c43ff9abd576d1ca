//! `enckey create`: a new random key (or an imported one) in `PI_ENCFILE`, mode 0400.

use crate::fsutil::write_secret_file;
use crate::key::{EncKey, KEY_LEN};
use crate::load::{encfile_path, write_error};
use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use mfactl_plugin_api::{Error, ErrorKind, Host, Result, ResultExt};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Arguments of `enckey create`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Import the key from FILE (base64 of exactly 96 bytes) instead of generating one
    #[arg(
        long = "from-b64-file",
        value_name = "FILE",
        conflicts_with = "enckey_b64"
    )]
    pub from_b64_file: Option<PathBuf>,
    /// Import this base64 key (unsafe: other users can see it in the process list)
    #[arg(
        short = 'e',
        long = "enckey-b64",
        alias = "enckey_b64",
        value_name = "B64"
    )]
    pub enckey_b64: Option<String>,
}

const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes imported key material: standard base64 (padding optional, whitespace ignored),
/// exactly 96 bytes.
pub fn decode_b64_key(text: &str) -> Result<EncKey> {
    let compact = Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>(),
    );
    let raw = Zeroizing::new(B64.decode(compact.as_bytes()).map_err(|e| {
        Error::failed("the imported key is not valid base64")
            .with_cause(e)
            .with_hint(
                "give the standard base64 encoding of the 96 key bytes (e.g. `base64 -w0 enckey`)",
            )
    })?);
    EncKey::from_slice(&raw).ok_or_else(|| {
        Error::failed(format!(
            "the imported key has {} bytes; a key must be exactly {KEY_LEN} bytes",
            raw.len()
        ))
    })
}

/// Runs `enckey create`.
pub fn run(host: &Host, args: Args) -> Result<i32> {
    let path = encfile_path(host)?;
    // Validate imported material before touching any file.
    let key = if let Some(f) = &args.from_b64_file {
        let text = Zeroizing::new(
            std::fs::read_to_string(f)
                .with_context(ErrorKind::Failed, || format!("cannot read {}", f.display()))?,
        );
        decode_b64_key(&text)?
    } else if let Some(b64) = args.enckey_b64 {
        let b64 = Zeroizing::new(b64);
        host.warn(
            "passing the key on the command line is unsafe: other users can read it in the \
             process list; use --from-b64-file",
        );
        decode_b64_key(&b64)?
    } else {
        EncKey::generate()
    };
    if path.symlink_metadata().is_ok() {
        return Err(already_exists(&path));
    }
    write_secret_file(&path, key.as_bytes(), 0o400, false).map_err(|e| match e {
        crate::fsutil::WriteError::Exists(_) => already_exists(&path),
        other => write_error(other),
    })?;
    host.info(&format!(
        "Encryption key written to {} (mode 0400, fingerprint {})",
        path.display(),
        key.fingerprint()
    ));
    host.info("Make sure it is owned by the user privacyIDEA runs as.");
    Ok(0)
}

fn already_exists(path: &std::path::Path) -> Error {
    Error::failed(format!(
        "the key file {} already exists; it is not overwritten",
        path.display()
    ))
    .with_hint("every encrypted value in the database needs the existing key; move it away first only if you are sure")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64_import_is_validated() {
        let vec = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f";
        let k = decode_b64_key(vec).expect("96");
        assert_eq!(k.as_bytes()[95], 95);
        // Line-wrapped input (as `base64` writes it) and a trailing newline are fine.
        let wrapped = format!("{}\n{}\n", &vec[..76], &vec[76..]);
        assert!(decode_b64_key(&wrapped).is_ok());
        let e = decode_b64_key("AAEC").expect_err("short");
        assert_eq!(e.kind, ErrorKind::Failed);
        assert!(e.message.contains("has 3 bytes"), "{}", e.message);
        let e = decode_b64_key("not base64!").expect_err("bad");
        assert!(e.message.contains("not valid base64"));
    }
}
