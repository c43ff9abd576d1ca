//! Argument parsing for plugins: the shared flag groups and [`parse_args`].

use crate::error::{Error, Result};
use crate::host::Host;
use clap::{Args, Parser, ValueEnum};

/// `--dry-run` (pi-manage's `--dryrun` accepted): show what would change, change nothing.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct DryRunArg {
    /// Show what would be done; change nothing.
    #[arg(long = "dry-run", visible_alias = "dryrun")]
    pub dry_run: bool,
}

impl DryRunArg {
    /// True when given here or globally (`mfactl --dry-run <noun> …`).
    pub fn get(&self, host: &Host) -> bool {
        self.dry_run || host.globals().dry_run
    }
}

/// `--yes`: answer confirmation prompts with yes.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct YesArg {
    /// Do not ask for confirmation.
    #[arg(long = "yes", short = 'y')]
    pub yes: bool,
}

impl YesArg {
    /// Asks `question` unless `--yes` was given here or globally.
    pub fn confirm(&self, host: &Host, question: &str) -> Result<bool> {
        if self.yes || host.globals().yes {
            return Ok(true);
        }
        host.confirm(question)
    }
}

/// Output format of listing commands.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// JSON on stdout.
    Json,
}

/// `--format text|json`.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct FormatArg {
    /// Output format.
    #[arg(long = "format", value_enum)]
    pub format: Option<OutputFormat>,
}

impl FormatArg {
    /// The format given here, else the global `--format` if it is `text` or `json`, else text.
    pub fn get(&self, host: &Host) -> OutputFormat {
        if let Some(f) = self.format {
            return f;
        }
        match host.globals().format.as_str() {
            "json" => OutputFormat::Json,
            _ => OutputFormat::Text,
        }
    }
}

/// `--chunksize N`: delete or process in chunks of N rows, each committed.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct ChunkArg {
    /// Work in chunks of this many rows, committing each.
    #[arg(long = "chunksize", value_parser = clap::value_parser!(u64).range(1..))]
    pub chunksize: Option<u64>,
}

/// What [`parse_args`] found.
pub enum Parsed<T> {
    /// Arguments parsed; run the command.
    Run(T),
    /// Help or version was printed; exit with this status.
    Exit(i32),
}

/// Parses `argv` (program name first) with clap. `--help` and `--version` are printed through
/// the host and give [`Parsed::Exit`]`(0)`; a usage error becomes an [`Error`] of kind `Usage`
/// with clap's message.
pub fn parse_args<T: Parser>(host: &Host, argv: &[String]) -> Result<Parsed<T>> {
    let color = host.globals().color;
    let cmd = T::command().color(if color {
        clap::ColorChoice::Always
    } else {
        clap::ColorChoice::Never
    });
    match cmd.try_get_matches_from(argv) {
        Ok(m) => T::from_arg_matches(&m)
            .map(Parsed::Run)
            .map_err(|e| Error::usage(clean_clap(&e.to_string()))),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                let mut text = e.render().to_string();
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                host.out(&text);
                Ok(Parsed::Exit(0))
            }
            clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                host.message(crate::ffi::Level::Error, "a command is required");
                host.out("");
                let rendered = e.render().to_string();
                // clap renders the help for this case; send it to stderr as for bare `mfactl`.
                host.message(crate::ffi::Level::Info, rendered.trim_end());
                Ok(Parsed::Exit(2))
            }
            _ => Err(Error::usage(clean_clap(&e.render().to_string()))),
        },
    }
}

/// clap's rendered usage error without its leading `error: ` (the host adds its own).
fn clean_clap(text: &str) -> String {
    let t = text.trim_end();
    t.strip_prefix("error: ").unwrap_or(t).to_string()
}
