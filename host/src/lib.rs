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

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// Keeps every built-in plugin crate linked so `inventory` sees its registration.
pub fn link_builtins() {
    let anchors = [
        mfactl_setup::link_anchor,
        mfactl_enckey::link_anchor,
        mfactl_backup::link_anchor,
        mfactl_audit::link_anchor,
        mfactl_challenge::link_anchor,
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

/// The result of an in-process run.
#[derive(Debug, Clone)]
pub struct Captured {
    /// Exit status.
    pub code: i32,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut v) => v.extend_from_slice(buf),
            Err(p) => p.into_inner().extend_from_slice(buf),
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    fn take(&self) -> String {
        let v = match self.0.lock() {
            Ok(v) => v.clone(),
            Err(p) => p.into_inner().clone(),
        };
        String::from_utf8_lossy(&v).into_owned()
    }
}

/// Runs the CLI in this process with stdout and stderr captured (for transcript tests).
/// Runs are serialised: the host keeps per-invocation state in globals.
pub fn run_captured(args: &[&str]) -> Captured {
    static LOCK: Mutex<()> = Mutex::new(());
    let _serial = match LOCK.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let (out, err) = (SharedBuf::default(), SharedBuf::default());
    let old = output::with(|o| {
        o.verbosity = 0;
        o.color = false;
        o.set_writers(Box::new(out.clone()), Box::new(err.clone()), false)
    });
    let code = run(args.iter().map(|s| s.to_string()).collect());
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    output::with(|o| {
        o.set_writers(old.0, old.1, tty);
    });
    Captured {
        code,
        stdout: out.take(),
        stderr: err.take(),
    }
}
