//! The `api` plugin: privacyIDEA API tokens (HS256 JWTs signed with `SECRET_KEY`).

pub mod admins;
pub mod create;
pub mod inspect;
pub mod jwt;
pub mod secret;

use clap::{Parser, Subcommand};
use mfactl_plugin_api::args::{parse_args, Parsed};
use mfactl_plugin_api::{Alias, Command, Host, Plugin, PluginInfo, Result};

/// The `api` plugin.
pub struct ApiPlugin;

#[derive(Parser, Debug)]
#[command(
    name = "mfactl api",
    about = "Create and inspect privacyIDEA API tokens",
    long_about = "Create and inspect privacyIDEA API tokens: HS256 JWTs signed with SECRET_KEY \
        that privacyIDEA 3.14 accepts in the Authorization or PI-Authorization header (raw, \
        without `Bearer`).\n\n\
        privacyIDEA 3.14 deprecates these tokens (and the api_key_required policy) in favour of \
        its X-API-Key API clients."
)]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Create an API token for administrative or validate use
    #[command(
        alias = "createtoken",
        long_about = "Create an API token for administrative or validate use.\n\n\
            The nonce comes from the operating system's random generator, so this works with an \
            encrypted enckey too (pi-manage fails there). privacyIDEA accepts the token whether \
            or not the administrator exists, but its documentation requires one: create it with \
            `mfactl admin add`. A SECRET_KEY shorter than 32 bytes gets a warning."
    )]
    CreateToken(create::CreateArgs),
    /// Verify a token with SECRET_KEY and show its claims, expiry and admin
    #[command(
        long_about = "Verify a token with SECRET_KEY and show its header, claims, expiry, \
            remaining validity and whether the administrator exists.\n\n\
            Exit 1 for a bad signature, another algorithm, an expired or not yet valid token. \
            Give the token as `-` (or not at all) to read it from standard input."
    )]
    Inspect(inspect::InspectArgs),
}

impl Plugin for ApiPlugin {
    const INFO: PluginInfo = PluginInfo {
        noun: "api",
        version: env!("CARGO_PKG_VERSION"),
        about: "Create and inspect privacyIDEA API tokens",
        commands: &[
            Command {
                name: "create-token",
                about: "Create an API token for administrative or validate use",
            },
            Command {
                name: "inspect",
                about: "Verify a token with SECRET_KEY and show its claims, expiry and admin",
            },
        ],
        aliases: &[Alias {
            path: "api createtoken",
            verb: "create-token",
        }],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(c) => c,
            Parsed::Exit(code) => return Ok(code),
        };
        match cli.verb {
            Verb::CreateToken(a) => create::run(host, a),
            Verb::Inspect(a) => inspect::run(host, a),
        }
    }
}

mfactl_plugin_api::declare_plugin!(ApiPlugin);

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
        let c = Cli::try_parse_from([
            "mfactl api",
            "createtoken",
            "-r",
            "validate",
            "-d",
            "30",
            "-R",
            "r1",
            "-u",
            "bob",
        ])
        .expect("parse");
        let Verb::CreateToken(a) = c.verb else {
            panic!()
        };
        assert_eq!(a.role, create::Role::Validate);
        assert_eq!(a.days, 30);
        assert_eq!(a.realm, "r1");
        assert_eq!(a.username, "bob");
        let c = Cli::try_parse_from(["mfactl api", "create-token", "-u", "x"]).expect("defaults");
        let Verb::CreateToken(a) = c.verb else {
            panic!()
        };
        assert_eq!(
            (a.role, a.days, a.realm.as_str()),
            (create::Role::Admin, 365, "API")
        );
        assert!(Cli::try_parse_from(["mfactl api", "create-token"]).is_err());
        assert!(
            Cli::try_parse_from(["mfactl api", "create-token", "-u", "x", "-r", "user"]).is_err()
        );
        assert!(Cli::try_parse_from(["mfactl api", "create-token", "-u", "x", "-d", "0"]).is_err());
    }
}
