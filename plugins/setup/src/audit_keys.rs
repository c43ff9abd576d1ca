//! `mfactl setup create-audit-keys`: the RSA key pair privacyIDEA signs audit entries with.

use crate::keyfile::{self, WriteError};
use mfactl_plugin_api::args::DryRunArg;
use mfactl_plugin_api::{Error, ErrorKind, Host, Result};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use std::path::{Path, PathBuf};

/// Options of `create-audit-keys`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Key size in bits
    #[arg(short = 'k', long = "keysize", default_value_t = 2048,
          value_parser = clap::value_parser!(u32).range(1024..=16384))]
    pub keysize: u32,
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

/// A PEM key pair: private key PKCS#1 (`BEGIN RSA PRIVATE KEY`), public key SubjectPublicKeyInfo
/// (`BEGIN PUBLIC KEY`), as privacyIDEA writes them.
pub struct KeyPair {
    /// PKCS#1 PEM of the private key (zeroized on drop).
    pub private_pem: zeroize::Zeroizing<String>,
    /// SPKI PEM of the public key.
    pub public_pem: String,
}

/// Generates an RSA key pair (e = 65537).
pub fn generate(bits: u32) -> Result<KeyPair> {
    let mut rng = rand::rngs::OsRng;
    let key = RsaPrivateKey::new(&mut rng, bits as usize)
        .map_err(|e| Error::internal("cannot generate an RSA key").with_cause(e))?;
    let private_pem = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| Error::internal("cannot encode the private key").with_cause(e))?;
    let public_pem = RsaPublicKey::from(&key)
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| Error::internal("cannot encode the public key").with_cause(e))?;
    Ok(KeyPair {
        private_pem: zeroize::Zeroizing::new(private_pem.to_string()),
        public_pem,
    })
}

/// Writes a key pair: the private key with mode 0400 from its first byte, never over an existing
/// file; the public key with mode 0644 (replacing an existing one, as pi-manage does).
pub fn write_pair(pair: &KeyPair, private: &Path, public: &Path) -> Result<()> {
    keyfile::write_file(private, pair.private_pem.as_bytes(), 0o400, false).map_err(
        |e| match e {
            WriteError::Exists(p) => Error::failed(format!(
                "the audit private key {} already exists; it is not overwritten",
                p.display()
            ))
            .with_hint("move it away first if you really want a new key pair"),
            other => Error::new(ErrorKind::Failed, "cannot write the audit private key")
                .with_source(&other),
        },
    )?;
    keyfile::write_file(public, pair.public_pem.as_bytes(), 0o644, true).map_err(|e| {
        Error::new(ErrorKind::Failed, "cannot write the audit public key").with_source(&e)
    })?;
    Ok(())
}

fn configured(host: &Host, key: &str) -> Result<PathBuf> {
    host.config_str(key)
        .filter(|s| !s.trim().is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            Error::config(format!("{key} is not set"))
                .with_hint(format!("set {key} in the configuration file"))
        })
}

pub fn run(host: &Host, a: Args) -> Result<i32> {
    let private = configured(host, "PI_AUDIT_KEY_PRIVATE")?;
    let public = configured(host, "PI_AUDIT_KEY_PUBLIC")?;
    if private.symlink_metadata().is_ok() {
        return Err(Error::failed(format!(
            "the audit private key {} already exists; it is not overwritten",
            private.display()
        ))
        .with_hint("move it away first if you really want a new key pair"));
    }
    if a.dry_run.get(host) {
        host.outln(&format!(
            "Would write a {}-bit RSA key pair to {} (mode 0400) and {}",
            a.keysize,
            private.display(),
            public.display()
        ));
        return Ok(0);
    }
    let pair = generate(a.keysize)?;
    write_pair(&pair, &private, &public)?;
    host.outln(&format!(
        "Signing keys written to {} and {}",
        private.display(),
        public.display()
    ));
    host.outln(&format!(
        "The file permission of {} was set to 400 (from creation)",
        private.display()
    ));
    host.info("Please ensure that it is owned by the user privacyIDEA runs as.");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;

    #[test]
    fn pair_formats_and_modes() {
        let d = tempfile::tempdir().expect("tempdir");
        let pair = generate(1024).expect("gen");
        assert!(pair
            .private_pem
            .starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let k = RsaPrivateKey::from_pkcs1_pem(&pair.private_pem).expect("pkcs1");
        let p = RsaPublicKey::from_public_key_pem(&pair.public_pem).expect("spki");
        assert_eq!(k.to_public_key(), p);
        assert_eq!(p.e(), &rsa::BigUint::from(65537u32));
        assert_eq!(p.n().bits(), 1024);
        let (a, b) = (d.path().join("private.pem"), d.path().join("public.pem"));
        write_pair(&pair, &a, &b).expect("write");
        assert_eq!(keyfile::mode_of(&a), Some(0o400));
        assert_eq!(keyfile::mode_of(&b), Some(0o644));
        let again = write_pair(&pair, &a, &b).expect_err("refuses");
        assert_eq!(again.kind, ErrorKind::Failed);
    }
}
