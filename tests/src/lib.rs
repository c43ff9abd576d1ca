//! Support library of mfactl's integration tests (package `mfactl-tests`).
//!
//! What it gives a test:
//! * [`mfactl_bin`] / [`fixture_plugin`]: the `mfactl` binary and the fixture plugins, built once
//!   per test process with the same profile as the test itself.
//! * [`Engine`] and [`engines`]: SQLite, PostgreSQL and MariaDB. The two servers are throwaway
//!   instances started lazily, once per test process, on 127.0.0.1 with random free ports in temp
//!   directories, and stopped when the process ends (also when tests fail or the process is
//!   killed). A missing server binary is a loud skip locally and a panic when `CI=true`.
//! * [`TestEnv`]: one per test and engine: a temp dir, a fresh database, `mfactl.toml` and an
//!   equivalent `pi.cfg`, [`TestEnv::mfactl`] to run the binary, direct SQL
//!   ([`TestEnv::sql`], [`TestEnv::query_rows`]) and privacyIDEA 3.14 itself
//!   ([`TestEnv::pi_run`], venv made by [`pi_python`]).
//!
//! ```no_run
//! use mfactl_tests::{engines, TestEnv};
//! for engine in engines() {
//!     let env = TestEnv::new(engine);
//!     env.create_schema();
//!     let out = env.mfactl(&["admin", "list"]);
//!     out.ok(); // panics with exit code, stdout and stderr unless the exit code is 0
//!     assert_eq!(env.query_scalar("SELECT COUNT(*) FROM admin"), "0", "{engine}: {out:?}");
//! }
//! ```
#![allow(clippy::print_stderr)]

mod bins;
mod env;
mod python;
mod run;
mod schema;
mod servers;
mod sql;

pub use bins::{fixture_plugin, mfactl_bin, profile_dir, target_dir, workspace_root};
pub use env::reference_ddl;
pub use env::{
    EnvOptions, TestEnv, ALEMBIC_HEAD, DB_PASSWORD, DB_PASSWORD_ENCODED, DB_USER, PI_PEPPER,
    SECRET_KEY,
};
pub use python::{pi_driver, pi_manage_bin, pi_python, reference_dir, PiOutput};
pub use run::{Cmd, Output};
pub use schema::SchemaSnapshot;
pub use servers::{engines, server_location, Engine};

/// True when running in CI (`CI=true`): missing servers fail instead of being skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The entry of `enckey status --check-db --format json` output `j` for `column` (e.g.
/// `token.key_enc`); panics with the whole document when there is none.
pub fn check_db_column<'a>(j: &'a serde_json::Value, column: &str) -> &'a serde_json::Value {
    j["check_db"]["columns"]
        .as_array()
        .expect("check_db.columns")
        .iter()
        .find(|c| c["column"] == column)
        .unwrap_or_else(|| panic!("no column {column} in {j}"))
}
