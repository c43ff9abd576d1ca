//! The `audit` plugin: rotate (clean up), dump and verify privacyIDEA's SQL audit log
//! (`pidea_audit` in `PI_AUDIT_SQL_URI`, else the main database).

pub mod columns;
pub mod dump;
pub mod fasttime;
pub mod mont;
pub mod pyre;
pub mod pystr;
pub mod rotate;
pub mod rules;
pub mod sign;
pub mod source;
pub mod verify;

use clap::{Parser, Subcommand};
use mfactl_plugin_api::args::{parse_args, Parsed};
use mfactl_plugin_api::{Alias, Command, Host, Plugin, PluginInfo, Result};

/// The `audit` plugin.
pub struct AuditPlugin;

#[derive(Parser, Debug)]
#[command(name = "mfactl audit", about = "Manage the SQL audit log")]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Clean up the SQL audit log (by watermarks, age or a rule file)
    #[command(long_about = rotate::LONG_ABOUT)]
    Rotate(rotate::RotateArgs),
    /// Write the audit log as CSV or JSON lines, with signature checks
    #[command(long_about = dump::LONG_ABOUT)]
    Dump(dump::DumpArgs),
    /// Check the signature of every audit entry and look for missing entries
    #[command(long_about = verify::LONG_ABOUT)]
    Verify(verify::VerifyArgs),
}

impl Plugin for AuditPlugin {
    const INFO: PluginInfo = PluginInfo {
        noun: "audit",
        version: env!("CARGO_PKG_VERSION"),
        about: "Manage the SQL audit log",
        commands: &[
            Command {
                name: "rotate",
                about: "Clean up the SQL audit log (by watermarks, age or a rule file)",
            },
            Command {
                name: "dump",
                about: "Write the audit log as CSV or JSON lines, with signature checks",
            },
            Command {
                name: "verify",
                about: "Check the signature of every audit entry and look for missing entries",
            },
        ],
        aliases: &[Alias {
            path: "rotate_audit",
            verb: "rotate",
        }],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let argv = rewrite_argv(argv);
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(cli) => cli,
            Parsed::Exit(code) => return Ok(code),
        };
        match cli.verb {
            Verb::Rotate(args) => rotate::run(host, &args),
            Verb::Dump(args) => dump::run(host, &args),
            Verb::Verify(args) => verify::run(host, &args),
        }
    }
}

/// pi-manage (click) accepts the multi-letter short options `-hw` and `-lw`; clap cannot, so
/// they are rewritten to their long forms before parsing (also `-hw=N`, `-hwN`).
pub fn rewrite_argv(argv: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut after_dashdash = false;
    for a in argv {
        if after_dashdash {
            out.push(a);
            continue;
        }
        if a == "--" {
            after_dashdash = true;
            out.push(a);
            continue;
        }
        let mut done = false;
        for (short, long) in [("-hw", "--highwatermark"), ("-lw", "--lowwatermark")] {
            if let Some(rest) = a.strip_prefix(short) {
                if rest.is_empty() {
                    out.push(long.to_string());
                } else {
                    let v = rest.strip_prefix('=').unwrap_or(rest);
                    out.push(format!("{long}={v}"));
                }
                done = true;
                break;
            }
        }
        if !done {
            out.push(a);
        }
    }
    out
}

mfactl_plugin_api::declare_plugin!(AuditPlugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_letter_shorts() {
        let v = |a: &[&str]| rewrite_argv(a.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            v(&["mfactl audit", "rotate", "-hw", "10", "-lw=5", "-hw7"]),
            [
                "mfactl audit",
                "rotate",
                "--highwatermark",
                "10",
                "--lowwatermark=5",
                "--highwatermark=7"
            ]
        );
        assert_eq!(v(&["x", "--", "-hw"]), ["x", "--", "-hw"]);
    }
}
