//! Building and locating `mfactl` and the fixture plugins.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root (the directory of the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The directory holding the binaries of the profile this test was built with
/// (`<target>/debug` for `cargo test`), derived from the running executable, so
/// `CARGO_TARGET_DIR` and `--release`/`--profile` are respected.
pub fn profile_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let mut dir = exe.parent().expect("exe has a parent").to_path_buf();
        if matches!(
            dir.file_name().and_then(|n| n.to_str()),
            Some("deps" | "examples")
        ) {
            dir = dir.parent().expect("deps has a parent").to_path_buf();
        }
        // A test binary copied elsewhere: fall back to the default target dir.
        if !(dir.join(".fingerprint").is_dir() || dir.join("build").is_dir()) {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"));
            dir = target.join("debug");
        }
        dir
    })
    .clone()
}

/// The cargo target directory (`CARGO_TARGET_DIR` or `<workspace>/target`), as seen from the
/// running test executable.
pub fn target_dir() -> PathBuf {
    let prof = profile_dir();
    prof.parent().map(Path::to_path_buf).unwrap_or(prof)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

fn profile_args() -> Vec<String> {
    match profile_dir().file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => vec![],
        Some("release") => vec!["--release".into()],
        Some(other) => vec!["--profile".into(), other.into()],
    }
}

/// Names of the fixture plugin packages (workspace members under `tests/fixture-plugins/`).
fn fixture_packages() -> Vec<String> {
    let root = workspace_root();
    let out = Command::new(cargo())
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let fixtures = root.join("tests").join("fixture-plugins");
    let mut names: Vec<String> = meta["packages"]
        .as_array()
        .map(|pkgs| {
            pkgs.iter()
                .filter(|p| {
                    p["manifest_path"]
                        .as_str()
                        .is_some_and(|m| Path::new(m).starts_with(&fixtures))
                })
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Path of the `mfactl` binary. The first call per process runs
/// `cargo build -p mfactl -p <every fixture plugin>` with the test's profile (a no-op when
/// everything is fresh). Set `MFACTL_TEST_NO_BUILD=1` to skip that build.
pub fn mfactl_bin() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        if std::env::var_os("MFACTL_TEST_NO_BUILD").is_some() {
            return;
        }
        let mut cmd = Command::new(cargo());
        cmd.arg("build")
            .arg("--manifest-path")
            .arg(workspace_root().join("Cargo.toml"))
            .args(["-p", "mfactl"]);
        for name in fixture_packages() {
            cmd.args(["-p", &name]);
        }
        cmd.args(profile_args());
        cmd.env("CARGO_TARGET_DIR", target_dir());
        let out = cmd.output().expect("run cargo build");
        assert!(
            out.status.success(),
            "building mfactl and the fixture plugins failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let bin = profile_dir().join("mfactl");
    assert!(bin.exists(), "{} missing after the build", bin.display());
    bin
}

/// Path of a fixture plugin's shared library: `fixture_plugin("fixture-hello")` gives
/// `<target>/debug/libfixture_hello.so`. Builds like [`mfactl_bin`] first.
pub fn fixture_plugin(package: &str) -> PathBuf {
    mfactl_bin();
    let file = format!("lib{}.so", package.replace('-', "_"));
    let path = profile_dir().join(file);
    assert!(path.exists(), "fixture plugin {} not built", path.display());
    path
}
