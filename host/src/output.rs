//! The host's output layer: the only place that writes to stdout and stderr.
//!
//! Writers are swappable so the CLI can run in-process in tests with captured output.

use mfactl_plugin_api::{Error, ErrorKind, Level};
use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock};

/// Where output goes and how it is decorated.
pub struct Output {
    stdout: Box<dyn Write + Send>,
    stderr: Box<dyn Write + Send>,
    /// -1 quiet, 0 normal, 1+ verbose.
    pub verbosity: i8,
    /// Colour on stderr.
    pub color: bool,
    /// stderr is a terminal (progress bars only then).
    pub stderr_tty: bool,
    progress: Vec<(u64, ProgressState)>,
    next_progress: u64,
}

struct ProgressState {
    label: String,
    total: u64,
    done: u64,
    last_draw: Option<std::time::Instant>,
}

fn cell() -> &'static Mutex<Output> {
    static OUT: OnceLock<Mutex<Output>> = OnceLock::new();
    OUT.get_or_init(|| Mutex::new(Output::process()))
}

/// Runs `f` with exclusive access to the output layer.
pub fn with<R>(f: impl FnOnce(&mut Output) -> R) -> R {
    let mut guard = match cell().lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    f(&mut guard)
}

impl Output {
    fn process() -> Self {
        Output {
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
            verbosity: 0,
            color: false,
            stderr_tty: std::io::stderr().is_terminal(),
            progress: Vec::new(),
            next_progress: 1,
        }
    }

    /// Replaces the writers (in-process runs) and returns the old ones.
    pub fn set_writers(
        &mut self,
        stdout: Box<dyn Write + Send>,
        stderr: Box<dyn Write + Send>,
        tty: bool,
    ) -> (Box<dyn Write + Send>, Box<dyn Write + Send>) {
        self.stderr_tty = tty;
        (
            std::mem::replace(&mut self.stdout, stdout),
            std::mem::replace(&mut self.stderr, stderr),
        )
    }

    /// Data on stdout, as given.
    pub fn out(&mut self, text: &str) {
        self.clear_progress_line();
        // A closed pipe (`mfactl … | head`) is not an error worth reporting.
        let _ = self.stdout.write_all(text.as_bytes());
        let _ = self.stdout.flush();
    }

    /// Raw text on stderr (help for bare `mfactl`).
    pub fn err_raw(&mut self, text: &str) {
        self.clear_progress_line();
        let _ = self.stderr.write_all(text.as_bytes());
        let _ = self.stderr.flush();
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// A message line on stderr at `level`.
    pub fn message(&mut self, level: Level, text: &str) {
        let shown = match level {
            Level::Error => true,
            Level::Warn | Level::Info => self.verbosity >= 0,
            Level::Debug => self.verbosity >= 1,
        };
        if !shown {
            return;
        }
        let line = match level {
            Level::Error => format!("{} {text}\n", self.paint("1;31", "error:")),
            Level::Warn => format!("{} {text}\n", self.paint("1;33", "warning:")),
            Level::Info => format!("{text}\n"),
            Level::Debug => format!("{} {text}\n", self.paint("2", "debug:")),
        };
        self.err_raw(&line);
    }

    /// Renders an error: `error:`, indented `caused by:` lines, `hint:`.
    pub fn error(&mut self, e: &Error) {
        let mut s = format!("{} {}\n", self.paint("1;31", "error:"), e.message);
        for c in &e.causes {
            for (i, line) in c.lines().enumerate() {
                if i == 0 {
                    s.push_str(&format!("  caused by: {line}\n"));
                } else {
                    s.push_str(&format!("    {line}\n"));
                }
            }
        }
        if let Some(h) = &e.hint {
            s.push_str(&format!("{} {h}\n", self.paint("1;36", "hint:")));
        }
        self.err_raw(&s);
    }

    /// Starts a progress indicator; drawn only when stderr is a terminal.
    pub fn progress_start(&mut self, label: &str, total: u64) -> u64 {
        let id = self.next_progress;
        self.next_progress += 1;
        self.progress.push((
            id,
            ProgressState {
                label: label.to_string(),
                total,
                done: 0,
                last_draw: None,
            },
        ));
        id
    }

    /// Advances a progress indicator.
    pub fn progress_advance(&mut self, id: u64, delta: u64) {
        let tty = self.stderr_tty;
        let mut line = None;
        if let Some((_, p)) = self.progress.iter_mut().find(|(i, _)| *i == id) {
            p.done = p.done.saturating_add(delta);
            let due = p.last_draw.is_none_or(|t| t.elapsed().as_millis() >= 100);
            if tty && due {
                p.last_draw = Some(std::time::Instant::now());
                line = Some(render_bar(p));
            }
        }
        if let Some(l) = line {
            let _ = self.stderr.write_all(l.as_bytes());
            let _ = self.stderr.flush();
        }
    }

    /// Removes a progress indicator.
    pub fn progress_finish(&mut self, id: u64) {
        self.clear_progress_line();
        self.progress.retain(|(i, _)| *i != id);
    }

    fn clear_progress_line(&mut self) {
        if self.stderr_tty && self.progress.iter().any(|(_, p)| p.last_draw.is_some()) {
            let _ = self.stderr.write_all(b"\r\x1b[2K");
            for (_, p) in self.progress.iter_mut() {
                p.last_draw = None;
            }
        }
    }
}

fn render_bar(p: &ProgressState) -> String {
    if p.total == 0 {
        return format!("\r\x1b[2K{} {}", p.label, p.done);
    }
    let width = 30usize;
    let frac = (p.done as f64 / p.total as f64).clamp(0.0, 1.0);
    let filled = (frac * width as f64) as usize;
    format!(
        "\r\x1b[2K{} [{}{}] {}/{} ({:.0}%)",
        p.label,
        "#".repeat(filled),
        "-".repeat(width - filled),
        p.done,
        p.total,
        frac * 100.0
    )
}

/// Prints an error and returns its exit code.
pub fn report(e: &Error) -> i32 {
    with(|o| o.error(e));
    e.kind.exit_code()
}

/// Shorthand for an internal error value.
pub fn internal(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Internal, msg)
}
