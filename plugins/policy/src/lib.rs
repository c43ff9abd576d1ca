//! The `policy` plugin: manage privacyIDEA policies offline — list, show, enable, disable,
//! delete, create, and export/import in privacyIDEA 3.14's `config export` format (byte-identical
//! JSON and YAML), with a reviewable `--plan` for imports.

use clap::{Parser, Subcommand};
use mfactl_plugin_api::{
    args::{parse_args, Parsed},
    Alias, Command, Host, Plugin, PluginInfo, Result,
};

mod create;
mod delete;
mod export;
mod files;
mod import;
pub mod input;
pub mod jsonfmt;
mod list;
pub mod model;
pub mod node;
pub mod plan;
pub mod pyliteral;
mod show;
pub mod spec;
pub mod store;
mod toggle;
pub mod validate;
pub mod yamlfmt;

/// The plugin.
pub struct PolicyPlugin;

const NOT_FOUND_NOTE: &str =
    "A policy that does not exist is an error (exit 1); pi-manage printed \
a message and exited 0. Every change updates the __timestamp__ config row, so running \
privacyIDEA servers reload their policies.";

const CREATE_NOTE: &str = "Unlike pi-manage, an existing policy is not overwritten unless \
--update is given, every field of a -f file is used (pi-manage ignored priority, conditions, \
pinode, description, user_agents and user_case_insensitive), and invalid input is an error \
message, never a traceback. Realms, resolvers and nodes must exist, as in privacyIDEA.";

const EXPORT_NOTE: &str = "The output is byte-identical to `pi-manage config export -t policy` \
of the same database (JSON: indent 2, ASCII-escaped; YAML: PyYAML safe_dump). Only the type \
'policy' is exported; `-t all` and other types are refused rather than silently left out.";

const IMPORT_NOTE: &str = "Policies are merged by name as pi-manage does (fields missing in the \
file keep their stored values; active, check_all_resolvers, user_case_insensitive and the \
description are always set). Unlike pi-manage: the format is detected without guessing (old \
Python-literal exports are not mangled by the YAML parser), the whole import is one \
transaction (one invalid policy changes nothing unless --skip-invalid), --replace-all deletes \
what is not in the file, and --plan shows the changes first. Exit codes: 0 done / nothing to \
do, 1 invalid input, 3 --plan found changes.";

#[derive(Parser)]
#[command(
    name = "mfactl policy",
    about = "Manage privacyIDEA policies: list, change, export and import them offline",
    after_help = "pi-manage spellings accepted: `config policy list|enable|disable|delete|create`, \
                  `policy …`, `config export -t policy`, `config import -t policy`."
)]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand)]
enum Verb {
    /// List the policies (active, name, scope), ordered by priority
    List(list::Args),
    /// Show every field of one policy
    Show(show::Args),
    /// Enable a policy
    #[command(after_help = NOT_FOUND_NOTE)]
    Enable(toggle::Args),
    /// Disable a policy (e.g. one that locks the admins out)
    #[command(after_help = NOT_FOUND_NOTE)]
    Disable(toggle::Args),
    /// Delete a policy with its conditions and description
    #[command(after_help = NOT_FOUND_NOTE)]
    Delete(delete::Args),
    /// Create a policy (or replace one with --update)
    #[command(after_help = CREATE_NOTE)]
    Create(Box<create::Args>),
    /// Export policies in privacyIDEA 3.14's `config export` format
    #[command(after_help = EXPORT_NOTE)]
    Export(export::Args),
    /// Import policies from an export (JSON, YAML or an old Python-literal export)
    #[command(after_help = IMPORT_NOTE)]
    Import(import::Args),
}

impl Plugin for PolicyPlugin {
    const INFO: PluginInfo = PluginInfo {
        noun: "policy",
        version: env!("CARGO_PKG_VERSION"),
        about:
            "Manage privacyIDEA policies offline (list, enable/disable, export, import with a plan)",
        commands: &[
            Command {
                name: "list",
                about: "List the policies (active, name, scope), ordered by priority",
            },
            Command {
                name: "show",
                about: "Show every field of one policy",
            },
            Command {
                name: "enable",
                about: "Enable a policy",
            },
            Command {
                name: "disable",
                about: "Disable a policy (e.g. one that locks the admins out)",
            },
            Command {
                name: "delete",
                about: "Delete a policy with its conditions and description",
            },
            Command {
                name: "create",
                about: "Create a policy (or replace one with --update)",
            },
            Command {
                name: "export",
                about: "Export policies in privacyIDEA 3.14's config export format",
            },
            Command {
                name: "import",
                about: "Import policies from JSON, YAML or old Python-literal exports, with --plan",
            },
        ],
        aliases: &[
            Alias {
                path: "config policy",
                verb: "",
            },
            Alias {
                path: "config export",
                verb: "export",
            },
            Alias {
                path: "config import",
                verb: "import",
            },
            Alias {
                path: "config exporter",
                verb: "export",
            },
            Alias {
                path: "config importer",
                verb: "import",
            },
        ],
    };

    fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
        let cli = match parse_args::<Cli>(host, &argv)? {
            Parsed::Run(cli) => cli,
            Parsed::Exit(code) => return Ok(code),
        };
        match cli.verb {
            Verb::List(a) => list::run(host, a),
            Verb::Show(a) => show::run(host, a),
            Verb::Enable(a) => toggle::run(host, a, true),
            Verb::Disable(a) => toggle::run(host, a, false),
            Verb::Delete(a) => delete::run(host, a),
            Verb::Create(a) => create::run(host, *a),
            Verb::Export(a) => export::run(host, a),
            Verb::Import(a) => import::run(host, a),
        }
    }
}

mfactl_plugin_api::declare_plugin!(PolicyPlugin);

/// `-t/--types` of pi-manage's `config export|import`: mfactl handles policies only. `all` is
/// accepted by import (the other types in the file are reported as not imported) but refused by
/// export, where it would silently give a smaller export than pi-manage's.
pub(crate) fn check_types(types: &[String], verb: &str, allow_all: bool) -> Result<()> {
    for t in types {
        let ok = t.eq_ignore_ascii_case("policy") || (allow_all && t.eq_ignore_ascii_case("all"));
        if !ok {
            return Err(mfactl_plugin_api::Error::usage(format!(
                "mfactl can {verb} only the configuration type 'policy', not '{t}'"
            ))
            .with_hint(format!(
                "give `-t policy`; use pi-manage config {verb} for the other types"
            )));
        }
    }
    Ok(())
}
