//! mfactl: the command host. It reads the configuration, discovers plugins (built-in and
//! external), builds the command line from their manifests, and runs the chosen command while
//! serving the plugin's host calls (config, database, output, prompts).

pub mod callbacks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod output;
pub mod registry;
pub mod state;
pub mod trust;

use std::process::ExitCode;

/// Keeps every built-in plugin crate linked so `inventory` sees its registration.
pub fn link_builtins() {
    let anchors = [
        // mfactl_setup::link_anchor,
        mfactl_enckey::link_anchor,
        mfactl_backup::link_anchor,
        // mfactl_audit::link_anchor,
        // mfactl_challenge::link_anchor,
        mfactl_api::link_anchor,
        mfactl_policy::link_anchor,
        mfactl_admin::link_anchor,
    ];
    std::hint::black_box(&anchors);
}

/// The built-in nouns this binary must provide.
pub const BUILTIN_NOUNS: &[&str] = &[
    "admin",
    "api",
    "audit",
    "backup",
    "challenge",
    "enckey",
    "policy",
    "setup",
];

/// Runs the CLI with the given arguments (program name first) and returns the exit status.
pub fn run(args: Vec<String>) -> i32 {
    link_builtins();
    cli::run(args)
}

/// The binary's entry point.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = run(args);
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
