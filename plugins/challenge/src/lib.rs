//! The `challenge` plugin: clean up privacyIDEA's `challenge` table (pi-manage's
//! `config challenge cleanup`).

pub mod cleanup;

use clap::{Parser, Subcommand};
use mfactl_plugin_api::args::{parse_args, Parsed};
use mfactl_plugin_api::{Alias, Command, Host, Plugin, PluginInfo, Result};

/// The `challenge` plugin.
pub struct ChallengePlugin;

#[derive(Parser, Debug)]
#[command(
    name = "mfactl challenge",
    about = "Manage the challenges of challenge-response authentication"
)]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Delete expired (or old) challenges from the database
    #[command(long_about = cleanup::LONG_ABOUT)]
    Cleanup(cleanup::CleanupArgs),
}

impl Plugin for ChallengePlugin {
    const INFO: PluginInfo = PluginInfo {
        noun: "challenge",
        version: env!("CARGO_PKG_VERSION"),
        about: "Manage the challenges of challenge-response authentication",
        commands: &[Command {
            name: "cleanup",
            about: "Delete expired (or old) challenges from the database",
        }],
        aliases: &[
            Alias {
                path: "config challenge",
                verb: "",
            },
            Alias {
                path: "config challenge cleanup",
                verb: "cleanup",
            },
        ],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(cli) => cli,
            Parsed::Exit(code) => return Ok(code),
        };
        match cli.verb {
            Verb::Cleanup(args) => cleanup::run(host, &args),
        }
    }
}

mfactl_plugin_api::declare_plugin!(ChallengePlugin);
