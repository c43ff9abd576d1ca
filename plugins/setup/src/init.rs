//! `mfactl setup init DIR`: a ready-to-use installation in an empty directory.

use crate::audit_keys;
use crate::keyfile::{self, WriteError};
use mfactl_plugin_api::args::DryRunArg;
use mfactl_plugin_api::{Error, ErrorKind, Host, Result, ResultExt};
use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use zeroize::Zeroizing;

/// Options of `init`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The directory to set up (created when missing; must be empty)
    pub dir: PathBuf,
    /// Size of the audit signing key in bits
    #[arg(short = 'k', long = "keysize", default_value_t = 2048,
          value_parser = clap::value_parser!(u32).range(1024..=16384))]
    pub keysize: u32,
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

/// Length of the encryption key file.
const ENCKEY_LEN: usize = 96;

/// The settings `init` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The directory (absolute).
    pub dir: PathBuf,
    /// `SQLALCHEMY_DATABASE_URI`.
    pub db_uri: String,
    /// `PI_ENCFILE`.
    pub enckey: PathBuf,
    /// `PI_AUDIT_KEY_PRIVATE`.
    pub private: PathBuf,
    /// `PI_AUDIT_KEY_PUBLIC`.
    pub public: PathBuf,
    /// `mfactl.toml`.
    pub toml: PathBuf,
    /// `pi.cfg` (the same settings for privacyIDEA).
    pub picfg: PathBuf,
}

impl Layout {
    /// The files of an installation in `dir` (absolute).
    pub fn new(dir: &Path) -> Layout {
        Layout {
            dir: dir.to_path_buf(),
            db_uri: format!("sqlite:///{}", dir.join("pi.sqlite").display()),
            enckey: dir.join("enckey"),
            private: dir.join("private.pem"),
            public: dir.join("public.pem"),
            toml: dir.join("mfactl.toml"),
            picfg: dir.join("pi.cfg"),
        }
    }

    fn pairs<'a>(&'a self, secret: &'a str, pepper: &'a str) -> Vec<(&'static str, String)> {
        vec![
            ("SQLALCHEMY_DATABASE_URI", self.db_uri.clone()),
            ("PI_ENCFILE", self.enckey.display().to_string()),
            ("PI_AUDIT_KEY_PRIVATE", self.private.display().to_string()),
            ("PI_AUDIT_KEY_PUBLIC", self.public.display().to_string()),
            ("SECRET_KEY", secret.to_string()),
            ("PI_PEPPER", pepper.to_string()),
        ]
    }

    /// The text of `mfactl.toml`.
    pub fn toml_text(&self, secret: &str, pepper: &str) -> String {
        let mut s = String::from(
            "# mfactl configuration written by `mfactl setup init`.\n\
             # The [privacyidea] table holds pi.cfg settings, same names and meaning.\n\
             plugin_dirs = []\n\n[privacyidea]\n",
        );
        for (k, v) in self.pairs(secret, pepper) {
            s.push_str(&format!("{k} = {}\n", toml_str(&v)));
        }
        s
    }

    /// The text of `pi.cfg` (for privacyIDEA itself).
    pub fn picfg_text(&self, secret: &str, pepper: &str) -> String {
        let mut s = String::from(
            "# privacyIDEA configuration written by `mfactl setup init` (same settings as mfactl.toml).\n",
        );
        for (k, v) in self.pairs(secret, pepper) {
            s.push_str(&format!("{k} = {}\n", py_str(&v)));
        }
        s
    }
}

/// A TOML basic string.
pub fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Python string literal.
pub fn py_str(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn random_hex(n: usize) -> Zeroizing<String> {
    let mut b = Zeroizing::new(vec![0u8; n]);
    rand::Rng::fill(&mut rand::rngs::OsRng, b.as_mut_slice());
    Zeroizing::new(hex::encode(b.as_slice()))
}

fn prepare_dir(dir: &Path) -> Result<PathBuf> {
    check_dir(dir)?;
    if fs::symlink_metadata(dir).is_err() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(ErrorKind::Failed, || {
                format!("cannot create {}", dir.display())
            })?;
    }
    fs::canonicalize(dir).with_context(ErrorKind::Failed, || {
        format!("cannot resolve {}", dir.display())
    })
}

fn write(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    keyfile::write_file(path, data, mode, false).map_err(|e| match e {
        WriteError::Exists(p) => Error::failed(format!(
            "{} appeared meanwhile; not overwritten",
            p.display()
        )),
        other => Error::new(
            ErrorKind::Failed,
            format!("cannot write {}", path.display()),
        )
        .with_source(&other),
    })
}

fn check_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            let mut entries = fs::read_dir(dir).with_context(ErrorKind::Failed, || {
                format!("cannot read {}", dir.display())
            })?;
            if entries.next().is_some() {
                return Err(
                    Error::failed(format!("{} is not empty", dir.display())).with_hint(
                        "give a new or empty directory; setup init never overwrites files",
                    ),
                );
            }
            Ok(())
        }
        Ok(_) => Err(Error::failed(format!(
            "{} exists and is not a directory",
            dir.display()
        ))),
        Err(_) => Ok(()),
    }
}

pub fn run(host: &Host, a: Args) -> Result<i32> {
    if a.dry_run.get(host) {
        check_dir(&a.dir)?;
        let abs = std::path::absolute(&a.dir).unwrap_or_else(|_| a.dir.clone());
        let l = Layout::new(&abs);
        host.outln(&format!("Would set up {}:", abs.display()));
        for (p, what) in [
            (&l.toml, "mfactl configuration (mode 0600)"),
            (&l.picfg, "the same settings for privacyIDEA (mode 0600)"),
            (&l.enckey, "96-byte encryption key (mode 0400)"),
            (&l.private, "audit private key (mode 0400)"),
            (&l.public, "audit public key"),
        ] {
            host.outln(&format!("  {}  {what}", p.display()));
        }
        host.outln(&format!("  {}  all privacyIDEA tables", l.db_uri));
        return Ok(0);
    }
    let dir = prepare_dir(&a.dir)?;
    let l = Layout::new(&dir);

    let mut key = Zeroizing::new(vec![0u8; ENCKEY_LEN]);
    rand::Rng::fill(&mut rand::rngs::OsRng, key.as_mut_slice());
    write(&l.enckey, &key, 0o400)?;
    host.outln(&format!(
        "Encryption key written to {} (mode 0400)",
        l.enckey.display()
    ));

    let pair = audit_keys::generate(a.keysize)?;
    audit_keys::write_pair(&pair, &l.private, &l.public)?;
    host.outln(&format!(
        "Audit signing keys written to {} (mode 0400) and {}",
        l.private.display(),
        l.public.display()
    ));

    let secret = random_hex(32);
    let pepper = random_hex(32);
    write(&l.toml, l.toml_text(&secret, &pepper).as_bytes(), 0o600)?;
    write(&l.picfg, l.picfg_text(&secret, &pepper).as_bytes(), 0o600)?;
    host.outln(&format!(
        "Configuration written to {} and {} (mode 0600, random SECRET_KEY and PI_PEPPER)",
        l.toml.display(),
        l.picfg.display()
    ));

    // The host reads its configuration once at start, so the tables are made by a second mfactl
    // run that uses the new file.
    // MFACTL_EXE names the binary when mfactl runs inside another program (in-process tests).
    let exe = match std::env::var_os("MFACTL_EXE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        // /proc/self/exe still runs this binary when its file was replaced meanwhile (an
        // upgrade, a rebuild); current_exe() would then name a "… (deleted)" path.
        _ if Path::new("/proc/self/exe").exists() => PathBuf::from("/proc/self/exe"),
        _ => {
            std::env::current_exe().context(ErrorKind::Internal, "cannot find the mfactl binary")?
        }
    };
    let out = Command::new(&exe)
        .arg("--config")
        .arg(&l.toml)
        .args(["setup", "create-tables"])
        .env_remove("MFACTL_CONFIG")
        .env_remove("PRIVACYIDEA_CONFIGFILE")
        // Overrides meant for another installation must not redirect this one.
        .env_remove("MFACTL_DATABASE_URI")
        .env_remove("MFACTL_AUDIT_DATABASE_URI")
        .env_remove("MFACTL_ENCFILE")
        .output()
        .with_context(ErrorKind::Internal, || {
            format!("cannot run {}", exe.display())
        })?;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        host.outln(line);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let mut e = Error::failed(format!("creating the tables failed ({})", out.status))
            .with_hint(format!(
                "fix the cause, then run: mfactl --config {} setup create-tables",
                l.toml.display()
            ));
        for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
            e = e.with_cause(line.trim());
        }
        return Err(e);
    }
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        host.info(line);
    }

    let cfg = l.toml.display().to_string();
    host.outln("");
    host.outln(&format!("Ready: {}", dir.display()));
    host.outln("Next, try:");
    host.outln(&format!("  export MFACTL_CONFIG={cfg}"));
    host.outln("  mfactl setup status");
    host.outln("  mfactl admin add admin");
    host.outln("  mfactl enckey status");
    host.outln("  mfactl api create-token --role admin -u admin");
    host.outln(&format!(
        "privacyIDEA itself can use the same installation: PRIVACYIDEA_CONFIGFILE={}",
        l.picfg.display()
    ));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_texts_escape() {
        let l = Layout::new(Path::new("/tmp/a \"b\"/c'd"));
        let t = l.toml_text("s", "p");
        assert!(
            t.contains("SQLALCHEMY_DATABASE_URI = \"sqlite:////tmp/a \\\"b\\\"/c'd/pi.sqlite\"")
        );
        assert!(t.contains("PI_ENCFILE = \"/tmp/a \\\"b\\\"/c'd/enckey\""));
        assert!(t.contains("SECRET_KEY = \"s\"\nPI_PEPPER = \"p\"\n"));
        let p = l.picfg_text("s", "p");
        assert!(p.contains("PI_ENCFILE = '/tmp/a \"b\"/c\\'d/enckey'"));
        assert_eq!(toml_str("a\nb\\"), "\"a\\u000Ab\\\\\"");
    }

    #[test]
    fn prepare_refuses_non_empty_and_creates_missing() {
        let d = tempfile::tempdir().expect("tempdir");
        let new = d.path().join("x").join("y");
        let got = prepare_dir(&new).expect("create");
        assert!(got.is_absolute());
        assert_eq!(crate::keyfile::mode_of(&new), Some(0o700));
        fs::write(new.join("f"), b"1").expect("write");
        let e = prepare_dir(&new).expect_err("not empty");
        assert_eq!(e.kind, ErrorKind::Failed);
        let file = new.join("f");
        assert!(prepare_dir(&file).is_err());
    }

    #[test]
    fn random_hex_is_random() {
        let (a, b) = (random_hex(32), random_hex(32));
        assert_eq!(a.len(), 64);
        assert_ne!(*a, *b);
    }
}
