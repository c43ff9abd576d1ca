//! A small external plugin used by the tests: greets, reads config, queries the database, panics
//! on request.
use clap::{Parser, Subcommand};
use mfactl_plugin_api::{
    args::{parse_args, FormatArg, OutputFormat, Parsed},
    Alias, Command, DbTarget, Error, Host, Plugin, PluginInfo, Result,
};

pub struct Hello;

#[derive(Parser)]
#[command(name = "mfactl hello", about = "Say hello (test fixture)")]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand)]
enum Verb {
    /// Greet someone
    Greet {
        /// Who to greet
        name: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Print a config value
    Config {
        /// The key
        key: String,
    },
    /// Count the admins in the database
    CountAdmins,
    /// Panic on purpose
    Panic,
}

impl Plugin for Hello {
    const INFO: PluginInfo = PluginInfo {
        noun: "hello",
        version: "0.1.0",
        about: "Say hello (test fixture)",
        commands: &[
            Command {
                name: "greet",
                about: "Greet someone",
            },
            Command {
                name: "config",
                about: "Print a config value",
            },
            Command {
                name: "count-admins",
                about: "Count the admins in the database",
            },
            Command {
                name: "panic",
                about: "Panic on purpose",
            },
        ],
        aliases: &[Alias {
            path: "hi",
            verb: "greet",
        }],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(cli) => cli,
            Parsed::Exit(code) => return Ok(code),
        };
        match cli.verb {
            Verb::Greet { name, format } => {
                if name.is_empty() {
                    return Err(Error::usage("the name is empty").with_hint("give a name"));
                }
                match format.get(host) {
                    OutputFormat::Json => host.outln(&format!("{{\"greeting\":\"hello {name}\"}}")),
                    OutputFormat::Text => host.outln(&format!("hello {name}")),
                }
            }
            Verb::Config { key } => match host.config_str(&key) {
                Some(v) => host.outln(&v),
                None => return Err(Error::failed(format!("{key} is not set"))),
            },
            Verb::CountAdmins => {
                let rows = host.query(DbTarget::Main, "SELECT COUNT(*) FROM admin", vec![])?;
                let n = rows.scalar().and_then(|v| v.as_i64()).unwrap_or(0);
                host.outln(&format!("{n} admins"));
            }
            Verb::Panic => {
                let v: Vec<u8> = Vec::new();
                let i = argv.len() + 2;
                host.outln(&format!("{}", v[i]));
            }
        }
        Ok(0)
    }
}

mfactl_plugin_api::export_plugin!(Hello);
