//! The `admin` plugin: privacyIDEA's local administrators (the `admin` table).
//!
//! Passwords are stored as privacyIDEA 3.14 stores them: a passlib-compatible hash of
//! `PI_PEPPER + password` (argon2id by default; see [`hash`]).

pub mod add;
pub mod change;
pub mod delete;
pub mod hash;
pub mod input;
pub mod list;
pub mod store;
pub mod upsert;
pub mod verify;

use clap::{Parser, Subcommand};
use mfactl_plugin_api::args::{parse_args, Parsed};
use mfactl_plugin_api::{Command, Host, Plugin, PluginInfo, Result};

/// The `admin` plugin.
pub struct AdminPlugin;

#[derive(Parser, Debug)]
#[command(
    name = "mfactl admin",
    about = "Manage privacyIDEA's local administrators",
    long_about = "Manage privacyIDEA's local administrators (the admin table).\n\n\
        Passwords are hashed like privacyIDEA 3.14 does it: argon2id (m=65536, t=9, p=4) of \
        PI_PEPPER followed by the password, or the scheme PI_HASH_ALGO_LIST names first. \
        PI_PEPPER must be set in the configuration. Passwords come from a prompt or from \
        --password-file; -p/--password works but warns."
)]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Register an administrator (an existing one gets the new password and email)
    Add(add::AddArgs),
    /// List the administrators
    List(list::ListArgs),
    /// Delete an administrator
    Delete(delete::DeleteArgs),
    /// Change the email address or the password of an administrator
    Change(change::ChangeArgs),
    /// Check a password against an administrator's stored hash
    Verify(verify::VerifyArgs),
}

impl Plugin for AdminPlugin {
    const INFO: PluginInfo = PluginInfo {
        noun: "admin",
        version: env!("CARGO_PKG_VERSION"),
        about: "Manage privacyIDEA's local administrators",
        commands: &[
            Command {
                name: "add",
                about:
                    "Register an administrator (an existing one gets the new password and email)",
            },
            Command {
                name: "list",
                about: "List the administrators",
            },
            Command {
                name: "delete",
                about: "Delete an administrator",
            },
            Command {
                name: "change",
                about: "Change the email address or the password of an administrator",
            },
            Command {
                name: "verify",
                about: "Check a password against an administrator's stored hash",
            },
        ],
        // pi-manage's `admin add|list|delete|change` are the same words: no alias needed.
        aliases: &[],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(c) => c,
            Parsed::Exit(code) => return Ok(code),
        };
        match cli.verb {
            Verb::Add(a) => add::run(host, a),
            Verb::List(a) => list::run(host, a),
            Verb::Delete(a) => delete::run(host, a),
            Verb::Change(a) => change::run(host, a),
            Verb::Verify(a) => verify::run(host, a),
        }
    }
}

mfactl_plugin_api::declare_plugin!(AdminPlugin);

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
        let c = Cli::try_parse_from(["mfactl admin", "add", "alice", "-p", "x", "-e", "a@b"])
            .expect("add");
        let Verb::Add(a) = c.verb else { panic!() };
        assert_eq!(a.password.password.as_deref(), Some("x"));
        assert_eq!(a.email.as_deref(), Some("a@b"));
        let c = Cli::try_parse_from(["mfactl admin", "change", "alice", "--password", "y"])
            .expect("change");
        assert!(matches!(c.verb, Verb::Change(_)));
        assert!(Cli::try_parse_from(["mfactl admin", "delete", "alice"]).is_ok());
        assert!(Cli::try_parse_from(["mfactl admin", "list"]).is_ok());
        assert!(Cli::try_parse_from([
            "mfactl admin",
            "add",
            "a",
            "-p",
            "x",
            "--password-file",
            "f"
        ])
        .is_err());
    }

    #[test]
    fn manifest_lists_every_verb() {
        let names: Vec<&str> = AdminPlugin::INFO.commands.iter().map(|c| c.name).collect();
        for sub in Cli::command().get_subcommands() {
            assert!(names.contains(&sub.get_name()), "{}", sub.get_name());
        }
    }
}
