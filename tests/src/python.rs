//! Interop tier: privacyIDEA 3.14 itself, pinned, in a cached virtualenv.
use std::fs;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::run::{Cmd, Output};
use crate::TestEnv;

/// Kept for API stability: the interop driver returns a plain [`Output`] whose stdout is the
/// JSON of the snippet's `result` (see [`TestEnv::pi_run`]).
pub type PiOutput = Output;

/// `$MFACTL_PI_REFERENCE`, else `shared/reference/` beside the workspace, else the copy in
/// `tests/reference/`: the reference
/// schemas, vectors and the pinned requirements of privacyIDEA 3.14.
pub fn reference_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MFACTL_PI_REFERENCE") {
        return PathBuf::from(d);
    }
    let shared = crate::workspace_root()
        .join("..")
        .join("shared")
        .join("reference");
    if shared.is_dir() {
        return shared;
    }
    // the copy in the repository (tests/reference/README.md)
    crate::workspace_root().join("tests").join("reference")
}

/// Path of the python interpreter of the privacyIDEA 3.14 venv `<target>/pi-venv`.
///
/// Made once (`python3 -m venv` + `pip install -r privacyidea-3.14-requirements.txt`, about
/// 20 s with a warm pip cache) and reused while the requirements file is unchanged; concurrent
/// test processes wait on `<target>/pi-venv.lock`. `MFACTL_PYTHON` picks the base interpreter.
pub fn pi_python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(make_venv).clone()
}

fn make_venv() -> PathBuf {
    let target = crate::target_dir();
    fs::create_dir_all(&target).expect("create target dir");
    let venv = target.join("pi-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join(".mfactl-requirements");
    let req = reference_dir().join("privacyidea-3.14-requirements.txt");
    let wanted = fs::read_to_string(&req).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); the interop tests need shared/reference beside the workspace \
             or MFACTL_PI_REFERENCE",
            req.display()
        )
    });

    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(target.join("pi-venv.lock"))
        .expect("open venv lock file");
    // SAFETY: flock on a file descriptor we own; released when `lock` is closed.
    let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(rc, 0, "flock pi-venv.lock failed");

    if python.exists() && fs::read_to_string(&marker).is_ok_and(|m| m == wanted) {
        return python;
    }
    let _ = fs::remove_dir_all(&venv);
    let base = std::env::var("MFACTL_PYTHON").unwrap_or_else(|_| "python3".into());
    let log_path = target.join("pi-venv.log");
    let log = |cmd: &mut Command, what: &str| {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
        let text = format!(
            "$ {what}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = fs::write(&log_path, &text);
        assert!(out.status.success(), "{what} failed:\n{text}");
    };
    log(
        Command::new(&base).arg("-m").arg("venv").arg(&venv),
        &format!("{base} -m venv {}", venv.display()),
    );
    log(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "-q",
                "-r",
            ])
            .arg(&req),
        &format!("pip install -r {}", req.display()),
    );
    fs::write(&marker, &wanted).expect("write venv marker");
    python
}

/// Path of `tests/python/pidriver.py`.
pub fn pi_driver() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join("pidriver.py")
}

/// Path of privacyIDEA 3.14's `pi-manage` in the interop venv (made by [`pi_python`]).
pub fn pi_manage_bin() -> PathBuf {
    pi_python().with_file_name("pi-manage")
}

impl TestEnv {
    /// A command builder for privacyIDEA 3.14's own `pi-manage ARGS…` with
    /// `PRIVACYIDEA_CONFIGFILE` = this env's pi.cfg, run in the env's dir.
    pub fn pi_manage_cmd(&self, args: &[&str]) -> Cmd {
        Cmd::new(pi_manage_bin())
            .args(args)
            .env("PRIVACYIDEA_CONFIGFILE", self.pi_cfg_path())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .current_dir(self.dir())
    }

    /// Runs privacyIDEA 3.14's `pi-manage ARGS…` on this env (see [`TestEnv::pi_manage_cmd`]).
    pub fn pi_manage(&self, args: &[&str]) -> Output {
        self.pi_manage_cmd(args).run()
    }

    /// Runs a Python snippet in a privacyIDEA 3.14 app context made from this env's pi.cfg
    /// (see `tests/python/pidriver.py`). Bound names: `app`, `db`, `result`. stdout is the
    /// JSON of `result` (use [`Output::json`]); privacyIDEA's own output goes to stderr.
    /// The snippet is dedented, so an indented raw string works:
    ///
    /// ```no_run
    /// # let env = mfactl_tests::TestEnv::new(mfactl_tests::Engine::Sqlite);
    /// let out = env.pi_run(r#"
    ///     from privacyidea.models import Admin
    ///     result = [a.username for a in Admin.query.all()]
    /// "#);
    /// assert_eq!(out.ok().json(), serde_json::json!([]));
    /// ```
    pub fn pi_run(&self, script: &str) -> Output {
        Cmd::new(pi_python())
            .arg(pi_driver())
            .env("PRIVACYIDEA_CONFIGFILE", self.pi_cfg_path())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONHASHSEED", "0")
            .current_dir(self.dir())
            .stdin(script)
            .run()
    }
}
