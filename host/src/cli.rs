//! The command line: global options, alias resolution, the clap tree built from the manifests,
//! and dispatch to the host's own commands or to a plugin.

use crate::commands;
use crate::config;
use crate::output;
use crate::registry::{self, Registry, Status};
use crate::state::{self, GlobalOpts, HostState};
use abi_stable::std_types::{RResult, RString, RVec};
use clap::{Arg, ArgAction, Command};
use mfactl_plugin_api::{Error, ErrorKind};
use std::path::PathBuf;

/// Global options that take a value (needed to find the first word before clap runs).
const VALUE_OPTS: &[&str] = &["--config", "--plugin-dir", "--color", "--format"];

/// What the pre-scan of argv found.
#[derive(Debug, Default)]
pub struct PreScan {
    /// `--config`
    pub config: Option<PathBuf>,
    /// `--plugin-dir` (repeatable)
    pub plugin_dirs: Vec<PathBuf>,
    /// Index of the first word that is not a global option.
    pub first_word: Option<usize>,
    /// `-v` was given (show load details).
    pub verbose: bool,
}

/// Finds `--config`, `--plugin-dir` and the first command word without clap: the clap tree
/// depends on the plugins found, which depend on these options.
pub fn prescan(args: &[String]) -> PreScan {
    let mut p = PreScan::default();
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            p.first_word = (i + 1 < args.len()).then_some(i + 1);
            break;
        }
        if !a.starts_with('-') || a == "-" {
            p.first_word = Some(i);
            break;
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        if a.starts_with('-') && !a.starts_with("--") && a[1..].chars().all(|c| c == 'v') {
            p.verbose = true;
        }
        if VALUE_OPTS.contains(&name) {
            let value = match inline {
                Some(v) => Some(v),
                None => {
                    i += 1;
                    args.get(i).cloned()
                }
            };
            if let Some(v) = value {
                match name {
                    "--config" => p.config = Some(PathBuf::from(v)),
                    "--plugin-dir" => p.plugin_dirs.push(PathBuf::from(v)),
                    _ => {}
                }
            }
        }
        i += 1;
    }
    p
}

/// Rewrites a hidden alias path at `first` to `<noun> [verb]`, longest declared path first.
pub fn resolve_alias(args: &mut Vec<String>, first: usize, reg: &Registry) {
    let mut best: Option<(usize, String, String)> = None;
    for e in reg.usable() {
        let Some(m) = &e.manifest else { continue };
        for a in m.aliases.iter() {
            let words: Vec<&str> = a.path.split_whitespace().collect();
            if words.is_empty() || first + words.len() > args.len() {
                continue;
            }
            if words.iter().zip(&args[first..]).all(|(w, x)| w == x)
                && best.as_ref().is_none_or(|(n, _, _)| words.len() > *n)
            {
                best = Some((words.len(), e.noun.clone(), a.verb.to_string()));
            }
        }
    }
    if let Some((n, noun, verb)) = best {
        let mut replacement = vec![noun];
        if !verb.is_empty() {
            replacement.push(verb);
        }
        args.splice(first..first + n, replacement);
    }
}

fn global_args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("config")
            .long("config")
            .value_name("FILE")
            .global(true)
            .help("Config file (mfactl.toml or pi.cfg)"),
    )
    .arg(
        Arg::new("plugin-dir")
            .long("plugin-dir")
            .value_name("DIR")
            .action(ArgAction::Append)
            .global(true)
            .help("Also load external plugins from DIR (repeatable)"),
    )
    .arg(
        Arg::new("quiet")
            .short('q')
            .long("quiet")
            .action(ArgAction::SetTrue)
            .global(true)
            .help("Only errors on stderr"),
    )
    .arg(
        Arg::new("verbose")
            .short('v')
            .long("verbose")
            .action(ArgAction::Count)
            .global(true)
            .help("More detail on stderr"),
    )
    .arg(
        Arg::new("color")
            .long("color")
            .value_name("WHEN")
            .value_parser(["auto", "always", "never"])
            .default_value("auto")
            .global(true)
            .help("Colour: auto, always, never (NO_COLOR is honoured)"),
    )
    .arg(
        Arg::new("yes")
            .long("yes")
            .short('y')
            .action(ArgAction::SetTrue)
            .global(true)
            .help("Answer confirmation prompts with yes"),
    )
    .arg(
        Arg::new("dry-run")
            .long("dry-run")
            .action(ArgAction::SetTrue)
            .global(true)
            .help("Change nothing; show what would be done"),
    )
    .arg(
        Arg::new("format")
            .long("format")
            .value_name("FORMAT")
            .global(true)
            .help("Output format for every command (text, json)"),
    )
}

/// The top-level clap command: global options, the host's nouns and one subcommand per plugin.
pub fn build_command(reg: &Registry) -> Command {
    let mut cmd = Command::new("mfactl")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Maintenance commands for privacyIDEA-compatible MFA servers")
        .after_help("Run `mfactl <noun> --help` for the verbs of a noun. Exit codes: 0 ok, 1 failed, 2 usage/config/error, 3 plan has changes.")
        .disable_help_subcommand(true);
    cmd = global_args(cmd);
    let mut nouns: Vec<(String, String)> =
        reg.usable().map(|e| (e.noun.clone(), e.about())).collect();
    nouns.sort();
    for (noun, about) in nouns {
        cmd = cmd.subcommand(
            Command::new(noun)
                .about(about)
                .disable_help_flag(true)
                .disable_version_flag(true)
                .arg(
                    Arg::new("args")
                        .num_args(0..)
                        .trailing_var_arg(true)
                        .allow_hyphen_values(true),
                ),
        );
    }
    // Rejected plugins stay invocable (hidden) so that using them prints the reason.
    for e in reg
        .entries
        .iter()
        .filter(|e| e.status != Status::Loaded && registry::valid_noun(&e.noun))
    {
        if reg.loaded(&e.noun).is_some() || cmd.find_subcommand(&e.noun).is_some() {
            continue;
        }
        cmd = cmd.subcommand(
            Command::new(e.noun.clone())
                .hide(true)
                .disable_help_flag(true)
                .arg(
                    Arg::new("args")
                        .num_args(0..)
                        .trailing_var_arg(true)
                        .allow_hyphen_values(true),
                ),
        );
    }
    cmd.subcommand(commands::config_command())
        .subcommand(commands::plugins_command())
        .subcommand(commands::completions_command())
}

fn color_wanted(choice: &str, tty: bool) -> bool {
    match choice {
        "always" => true,
        "never" => false,
        _ => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Runs mfactl with `args` (program name first) and returns the exit status.
pub fn run(mut args: Vec<String>) -> i32 {
    if args.get(1).map(String::as_str) == Some(commands::PROBE_ARG) {
        return commands::probe_plugin(&args);
    }
    let pre = prescan(&args);
    let env = |k: &str| std::env::var(k).ok();
    let settings = config::load(pre.config.as_deref(), &env);
    let mut dirs: Vec<PathBuf> = settings
        .as_ref()
        .map(|s| s.plugin_dirs.clone())
        .unwrap_or_default();
    if let Some(v) = std::env::var_os("MFACTL_PLUGIN_DIR") {
        dirs.extend(std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()));
    }
    dirs.extend(pre.plugin_dirs.iter().cloned());
    let empty = config::Settings::default();
    let reg = registry::discover(settings.as_ref().unwrap_or(&empty), &dirs);
    if let Some(first) = pre.first_word {
        resolve_alias(&mut args, first, &reg);
    }

    let stderr_tty = output::with(|o| o.stderr_tty);
    let mut cmd = build_command(&reg);
    if args.len() <= 1 {
        let help = cmd.render_help().to_string();
        output::with(|o| o.err_raw(&help));
        return 2;
    }
    let matches = match cmd.try_get_matches_from_mut(&args) {
        Ok(m) => m,
        Err(e) => {
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    let mut text = e.render().to_string();
                    if !text.ends_with('\n') {
                        text.push('\n');
                    }
                    output::with(|o| o.out(&text));
                    0
                }
                _ => {
                    let text = e.render().to_string();
                    let text = text.trim_end();
                    let msg = text.strip_prefix("error: ").unwrap_or(text);
                    output::report(&Error::usage(msg.to_string()))
                }
            }
        }
    };
    let verbosity = if matches.get_flag("quiet") {
        -1
    } else {
        matches.get_count("verbose").min(10) as i8
    };
    let color_choice = matches
        .get_one::<String>("color")
        .map(String::as_str)
        .unwrap_or("auto");
    let globals = GlobalOpts {
        dry_run: matches.get_flag("dry-run"),
        yes: matches.get_flag("yes"),
        verbosity,
        format: matches
            .get_one::<String>("format")
            .cloned()
            .unwrap_or_default(),
        color: color_wanted(color_choice, stderr_tty),
    };
    output::with(|o| {
        o.verbosity = verbosity;
        o.color = globals.color;
    });
    state::install(HostState::new(settings, globals));

    let Some((noun, sub)) = matches.subcommand() else {
        let help = cmd.render_help().to_string();
        output::with(|o| o.err_raw(&help));
        return 2;
    };
    match noun {
        "config" => return commands::run_config(sub),
        "plugins" => return commands::run_plugins(sub, &reg, verbosity),
        "completions" => return commands::run_completions(sub, &reg),
        _ => {}
    }
    let rest: Vec<String> = sub
        .get_many::<String>("args")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    dispatch(&reg, noun, rest, verbosity)
}

/// Runs a plugin's command: the one code path for built-in and external plugins.
pub fn dispatch(reg: &Registry, noun: &str, rest: Vec<String>, verbosity: i8) -> i32 {
    let Some(entry) = reg.loaded(noun) else {
        let e = match reg.any(noun) {
            Some(e) => {
                let mut err = Error::new(
                    ErrorKind::Internal,
                    format!(
                        "plugin {noun} ({}) is {}: {}",
                        e.source,
                        e.status.as_str(),
                        e.reason
                    ),
                );
                if verbosity > 0 && !e.details.is_empty() {
                    err = err.with_cause(e.details.clone());
                }
                err.with_hint("see `mfactl plugins list` for every plugin and its state")
            }
            None => Error::usage(format!("unknown command {noun:?}"))
                .with_hint("run `mfactl --help` for the list of commands"),
        };
        return output::report(&e);
    };
    let Some(module) = entry.module else {
        return output::report(&Error::internal(format!("plugin {noun} has no module")));
    };
    let mut argv: RVec<RString> = RVec::with_capacity(rest.len() + 1);
    argv.push(format!("mfactl {noun}").into());
    argv.extend(rest.into_iter().map(RString::from));
    match (module.run())(argv, crate::callbacks::host_ctx()) {
        RResult::ROk(code) => code,
        RResult::RErr(e) => output::report(&Error::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn prescan_finds_options_and_first_word() {
        let p = prescan(&s(&[
            "mfactl",
            "--config",
            "/a.toml",
            "--plugin-dir=/p1",
            "-v",
            "--plugin-dir",
            "/p2",
            "audit",
            "rotate",
        ]));
        assert_eq!(p.config, Some(PathBuf::from("/a.toml")));
        assert_eq!(
            p.plugin_dirs,
            vec![PathBuf::from("/p1"), PathBuf::from("/p2")]
        );
        assert_eq!(p.first_word, Some(7));
        assert!(p.verbose);
        assert_eq!(prescan(&s(&["mfactl", "--help"])).first_word, None);
    }
}
