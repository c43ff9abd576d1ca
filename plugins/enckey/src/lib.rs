//! # mfactl-enckey
//!
//! The `enckey` plugin (`mfactl enckey create|encrypt|decrypt|status|split|combine`) and the
//! library other plugins use for privacyIDEA's encryption key:
//!
//! - [`load_key`]: the key of `PI_ENCFILE`, unwrapped if needed (passphrase from the file named
//!   by `MFACTL_ENCKEY_PASSWORD_FILE`, else a terminal prompt), zeroized on drop;
//! - [`fingerprint`]: a short hash identifying a key without revealing it;
//! - [`cipher`]: the value cipher of privacyIDEA's database (slot keys, PKCS#7 and legacy
//!   padding, `iv:ct` and split-column layouts);
//! - [`wrap`]: the privacyIDEA and mfactl passphrase-wrapped key formats;
//! - [`shamir`]: checksummed Shamir shares of the key;
//! - [`fsutil::write_secret_file`]: mode-0400-from-the-first-byte, temp-then-rename writes.

mod checkdb;
pub mod cipher;
mod combine;
mod create;
mod decrypt;
mod encrypt;
pub mod fsutil;
pub mod key;
pub mod load;
pub mod shamir;
mod split;
mod status;
pub mod wrap;

pub use key::{fingerprint, EncKey, Slot, KEY_LEN};
pub use load::{key_from_file, load_key, PASSWORD_FILE_ENV};

use clap::{Parser, Subcommand};
use mfactl_plugin_api::args::{parse_args, Parsed};
use mfactl_plugin_api::{Alias, Command, Host, Plugin, PluginInfo, Result};

/// The `enckey` plugin.
pub struct EnckeyPlugin;

#[derive(Parser, Debug)]
#[command(
    name = "mfactl enckey",
    about = "Create, wrap, check and split privacyIDEA's encryption key (PI_ENCFILE)"
)]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Create the key file (96 random bytes, mode 0400); never overwrites
    #[command(
        long_about = "Create the encryption key file PI_ENCFILE: 96 random bytes, or imported \
        base64 material, written with mode 0400 from the first byte (temporary file, fsync, \
        rename). An existing file is never overwritten. Unlike pi-manage, imported material is \
        checked before any file is touched, so a bad key leaves nothing behind."
    )]
    Create(create::Args),
    /// Wrap the key with a passphrase (privacyIDEA or mfactl format)
    #[command(
        long_about = "Wrap a raw key with a passphrase. The default output is privacyIDEA's format \
        (hex(iv):hex(ct)), which privacyIDEA 3.14 unwraps when the passphrase is sent to \
        /system/hsm; it has no salt and no integrity check. --format mfactl writes an \
        authenticated format (Argon2id, AES-256-GCM) for escrow copies. A wrapped file is never \
        wrapped a second time."
    )]
    Encrypt(encrypt::Args),
    /// Unwrap a wrapped key back to the raw 96 bytes (mode 0400)
    Decrypt(decrypt::Args),
    /// Show the key file's form, mode, owner and fingerprint; --check-db tests it on the database
    #[command(
        long_about = "Show PI_ENCFILE's path, size, form (raw, privacyidea-wrapped, \
        mfactl-wrapped), mode and owner (with warnings) and fingerprint. With --check-db, decrypt \
        a sample of every encrypted database column and report per column how many values \
        decrypt; exit 1 if any does not. A wrapped key is unwrapped only for --check-db or when \
        MFACTL_ENCKEY_PASSWORD_FILE is set. The owner is checked against service_user of \
        [plugins.enckey] in mfactl.toml (default: privacyidea, if that user exists)."
    )]
    Status(status::Args),
    /// Split the key into Shamir shares (any T of N rebuild it)
    Split(split::Args),
    /// Rebuild the key from Shamir shares
    Combine(combine::Args),
}

impl Plugin for EnckeyPlugin {
    const INFO: PluginInfo = PluginInfo {
        noun: "enckey",
        version: env!("CARGO_PKG_VERSION"),
        about: "Create, wrap, check and split privacyIDEA's encryption key",
        commands: &[
            Command {
                name: "create",
                about: "Create the key file (96 random bytes, mode 0400)",
            },
            Command {
                name: "encrypt",
                about: "Wrap the key with a passphrase",
            },
            Command {
                name: "decrypt",
                about: "Unwrap a wrapped key",
            },
            Command {
                name: "status",
                about: "Show the key file's state; --check-db tests it on the database",
            },
            Command {
                name: "split",
                about: "Split the key into Shamir shares",
            },
            Command {
                name: "combine",
                about: "Rebuild the key from Shamir shares",
            },
        ],
        aliases: &[
            Alias {
                path: "setup create_enckey",
                verb: "create",
            },
            Alias {
                path: "create_enckey",
                verb: "create",
            },
            Alias {
                path: "setup encrypt_enckey",
                verb: "encrypt",
            },
            Alias {
                path: "encrypt_enckey",
                verb: "encrypt",
            },
        ],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(cli) => cli,
            Parsed::Exit(code) => return Ok(code),
        };
        match cli.verb {
            Verb::Create(a) => create::run(host, a),
            Verb::Encrypt(a) => encrypt::run(host, a),
            Verb::Decrypt(a) => decrypt::run(host, a),
            Verb::Status(a) => status::run(host, a),
            Verb::Split(a) => split::run(host, a),
            Verb::Combine(a) => combine::run(host, a),
        }
    }
}

mfactl_plugin_api::declare_plugin!(EnckeyPlugin);

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn pi_manage_spellings_parse() {
        let cli = Cli::try_parse_from(["x", "create", "--enckey_b64", "AAAA"]).expect("parse");
        assert!(matches!(
            cli.verb,
            Verb::Create(create::Args {
                enckey_b64: Some(_),
                ..
            })
        ));
        let cli = Cli::try_parse_from(["x", "create", "-e", "AAAA"]).expect("parse");
        assert!(matches!(cli.verb, Verb::Create(_)));
        let cli =
            Cli::try_parse_from(["x", "encrypt", "/k", "--outfile", "/o", "--password", "pw"])
                .expect("parse");
        match cli.verb {
            Verb::Encrypt(a) => {
                assert_eq!(a.out.as_deref(), Some(std::path::Path::new("/o")));
                assert_eq!(a.password.as_deref(), Some("pw"));
                assert_eq!(a.format, encrypt::WrapFormat::Privacyidea);
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["x", "encrypt", "-o", "/o", "--format", "pi"]).is_ok());
        assert!(Cli::try_parse_from(["x", "split", "-n", "3", "-t", "1"]).is_err());
        assert!(Cli::try_parse_from(["x", "split", "--shares", "256", "-t", "2"]).is_err());
    }

    #[test]
    fn aliases_point_at_real_verbs() {
        for a in EnckeyPlugin::INFO.aliases {
            assert!(
                EnckeyPlugin::INFO.commands.iter().any(|c| c.name == a.verb),
                "{}",
                a.path
            );
        }
    }
}
