//! Running processes with captured output, stdin and a timeout.
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Result of a process run: exit code (128+signal when killed by a signal), stdout, stderr.
#[derive(Clone, PartialEq, Eq)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n---",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Output {
    /// Panics (showing everything) unless the exit code is 0; returns `self` for chaining.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// Panics (showing everything) unless the exit code is `code`.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code:\n{self:?}");
        self
    }

    /// True when the exit code is 0.
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// stdout parsed as JSON (panics with the output when it is not).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:?}"))
    }
}

/// A command builder for `mfactl` (see `TestEnv::cmd`) or any other program.
pub struct Cmd {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) envs: Vec<(OsString, Option<OsString>)>,
    pub(crate) stdin: Option<Vec<u8>>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) timeout: Duration,
}

impl Cmd {
    /// A command for `program` with the CI-neutral environment of the harness.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Cmd {
            program: program.into(),
            args: vec![],
            envs: vec![],
            stdin: None,
            cwd: None,
            timeout: Duration::from_secs(300),
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), Some(value.into())));
        self
    }

    /// Removes an environment variable for the child.
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), None));
        self
    }

    /// Feeds `input` to stdin (otherwise stdin is `/dev/null`).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Kill the child and panic after this long (default 300 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs the command to completion and captures its output.
    #[track_caller]
    pub fn run(self) -> Output {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        // CI-neutral: no colour, no terminal, none of the caller's mfactl/privacyIDEA settings.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("MFACTL_") || k == "PRIVACYIDEA_CONFIGFILE" || k == "CLICOLOR_FORCE" {
                cmd.env_remove(&key);
            }
        }
        cmd.env("NO_COLOR", "1").env("TERM", "dumb");
        for (k, v) in &self.envs {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program.display()));
        let writer = match (self.stdin, child.stdin.take()) {
            (Some(input), Some(mut pipe)) => Some(std::thread::spawn(move || {
                // The child may exit without reading everything: ignore EPIPE.
                let _ = pipe.write_all(&input);
            })),
            _ => None,
        };
        let mut out_pipe = child.stdout.take().expect("stdout piped");
        let mut err_pipe = child.stderr.take().expect("stderr piped");
        let out_t = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out_pipe.read_to_end(&mut buf);
            buf
        });
        let err_t = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err_pipe.read_to_end(&mut buf);
            buf
        });
        let start = Instant::now();
        let status = loop {
            match child.try_wait().expect("wait for child") {
                Some(status) => break status,
                None if start.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let stderr = err_t.join().unwrap_or_default();
                    panic!(
                        "{} {:?} timed out after {:?}; stderr:\n{}",
                        self.program.display(),
                        self.args,
                        self.timeout,
                        String::from_utf8_lossy(&stderr)
                    );
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stdout = out_t.join().unwrap_or_default();
        let stderr = err_t.join().unwrap_or_default();
        use std::os::unix::process::ExitStatusExt;
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        Output {
            code,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }
}
