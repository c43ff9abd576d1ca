//! One test environment: a temp dir, a fresh database on one engine, configuration files.
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::run::{Cmd, Output};
use crate::servers::{self, Engine};
use crate::sql::{self, ConnSpec};

/// Database user of every test database (PostgreSQL and MariaDB).
pub const DB_USER: &str = "pi";
/// Its password: contains `@`, `:` and `/`, so URLs must percent-encode it.
pub const DB_PASSWORD: &str = "p@ss:w/rd";
/// [`DB_PASSWORD`] as it appears in the database URLs.
pub const DB_PASSWORD_ENCODED: &str = "p%40ss%3Aw%2Frd";
/// `SECRET_KEY` of every test config (the value of the reference vectors: `'k' * 32`).
pub const SECRET_KEY: &str = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";
/// `PI_PEPPER` of every test config (the value of the reference vectors).
pub const PI_PEPPER: &str = "pepper";
/// Alembic head of privacyIDEA 3.14 (`alembic_version.version_num` after `create_tables`).
pub const ALEMBIC_HEAD: &str = "b7c1e4d2a9f3";

/// Options for [`TestEnv::new_with`].
#[derive(Clone, Debug, Default)]
pub struct EnvOptions {
    /// MariaDB only: use the `mariadb+pymysql://` URL form instead of `mysql+pymysql://`.
    pub mariadb_dialect: bool,
    /// Server engines: another URL scheme (e.g. `postgresql` or `postgres` instead of the default
    /// `postgresql+psycopg2`, `mysql` instead of `mysql+pymysql`). privacyIDEA 3.14's pinned
    /// SQLAlchemy 2.1 maps plain `postgresql://` to psycopg 3, which the pinned venv lacks.
    pub url_scheme: Option<String>,
    /// Create a second database for the audit log and set `PI_AUDIT_SQL_URI` to it.
    pub audit_db: bool,
    /// `plugin_dirs` of mfactl.toml.
    pub plugin_dirs: Vec<PathBuf>,
    /// Extra string keys for `[privacyidea]` in mfactl.toml and for pi.cfg.
    pub extra_config: Vec<(String, String)>,
    /// Raw TOML appended to mfactl.toml (e.g. `[plugins.audit]` tables).
    pub toml_tail: String,
}

impl EnvOptions {
    pub fn mariadb_dialect(mut self) -> Self {
        self.mariadb_dialect = true;
        self
    }
    pub fn url_scheme(mut self, scheme: &str) -> Self {
        self.url_scheme = Some(scheme.to_string());
        self
    }
    pub fn audit_db(mut self) -> Self {
        self.audit_db = true;
        self
    }
    pub fn plugin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.plugin_dirs.push(dir.into());
        self
    }
    pub fn config(mut self, key: &str, value: &str) -> Self {
        self.extra_config.push((key.to_string(), value.to_string()));
        self
    }
    pub fn toml_tail(mut self, toml: &str) -> Self {
        self.toml_tail.push_str(toml);
        self.toml_tail.push('\n');
        self
    }
}

struct Db {
    /// Database name (server engines) or file path (SQLite).
    name: String,
    /// SQLAlchemy-style URL as privacyIDEA and mfactl take it.
    url: String,
    conn: ConnSpec,
}

/// A per-test environment on one engine. Dropping it drops its databases and removes the dir
/// (set `MFACTL_TEST_KEEP=1` to keep the dir and print where it is).
pub struct TestEnv {
    engine: Engine,
    dir: Option<tempfile::TempDir>,
    dir_path: PathBuf,
    main: Db,
    audit: Option<Db>,
    opts: EnvOptions,
}

fn new_db(engine: Engine, dir: &Path, file: &str, opts: &EnvOptions) -> Db {
    let pw = utf8_percent_encode(DB_PASSWORD, NON_ALPHANUMERIC).to_string();
    debug_assert_eq!(pw, DB_PASSWORD_ENCODED);
    match engine {
        Engine::Sqlite => {
            let path = dir.join(file);
            Db {
                name: path.display().to_string(),
                url: format!("sqlite:///{}", path.display()),
                conn: ConnSpec::sqlite(&path),
            }
        }
        Engine::Postgres => {
            let name = servers::create_database(engine);
            let port = servers::server(engine).port;
            let scheme = opts.url_scheme.as_deref().unwrap_or("postgresql+psycopg2");
            Db {
                url: format!("{scheme}://{DB_USER}:{pw}@127.0.0.1:{port}/{name}"),
                conn: ConnSpec::pg_tcp(port, DB_USER, DB_PASSWORD, &name),
                name,
            }
        }
        Engine::Mariadb => {
            let name = servers::create_database(engine);
            let port = servers::server(engine).port;
            let scheme = match (&opts.url_scheme, opts.mariadb_dialect) {
                (Some(s), _) => s.as_str(),
                (None, true) => "mariadb+pymysql",
                (None, false) => "mysql+pymysql",
            };
            Db {
                url: format!("{scheme}://{DB_USER}:{pw}@127.0.0.1:{port}/{name}"),
                conn: ConnSpec::mysql_tcp(port, DB_USER, DB_PASSWORD, &name),
                name,
            }
        }
    }
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn py_str(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

impl TestEnv {
    /// A fresh environment on `engine` with default options.
    pub fn new(engine: Engine) -> TestEnv {
        Self::new_with(engine, EnvOptions::default())
    }

    /// A fresh environment on `engine`.
    pub fn new_with(engine: Engine, opts: EnvOptions) -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix(&format!("mfactl-env-{}-", engine.name()))
            .tempdir()
            .expect("create test dir");
        let dir_path = dir.path().to_path_buf();
        let main = new_db(engine, &dir_path, "pi.sqlite", &opts);
        let audit = opts
            .audit_db
            .then(|| new_db(engine, &dir_path, "audit.sqlite", &opts));
        let env = TestEnv {
            engine,
            dir: Some(dir),
            dir_path,
            main,
            audit,
            opts,
        };
        env.write_configs();
        env
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The temp dir of this test (config files, keys, SQLite files).
    pub fn dir(&self) -> &Path {
        &self.dir_path
    }

    /// `dir()/name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir_path.join(name)
    }

    /// `SQLALCHEMY_DATABASE_URI`: `sqlite:////abs/pi.sqlite`,
    /// `postgresql+psycopg2://pi:p%40ss%3Aw%2Frd@127.0.0.1:PORT/DB` or `mysql+pymysql://…`
    /// (`mariadb+pymysql://…` with [`EnvOptions::mariadb_dialect`]).
    pub fn db_url(&self) -> &str {
        &self.main.url
    }

    /// The database name (server engines) or the SQLite file path.
    pub fn db_name(&self) -> &str {
        &self.main.name
    }

    /// `PI_AUDIT_SQL_URI` when made with [`EnvOptions::audit_db`].
    pub fn audit_db_url(&self) -> Option<&str> {
        self.audit.as_ref().map(|d| d.url.as_str())
    }

    /// mfactl.toml of this env.
    pub fn config_path(&self) -> PathBuf {
        self.path("mfactl.toml")
    }

    /// pi.cfg of this env (same settings, for privacyIDEA).
    pub fn pi_cfg_path(&self) -> PathBuf {
        self.path("pi.cfg")
    }

    /// `PI_ENCFILE` (not created unless [`TestEnv::write_enckey`] is called).
    pub fn enckey_path(&self) -> PathBuf {
        self.path("enckey")
    }

    /// `PI_AUDIT_KEY_PRIVATE` (not created by the harness).
    pub fn audit_private_key_path(&self) -> PathBuf {
        self.path("private.pem")
    }

    /// `PI_AUDIT_KEY_PUBLIC` (not created by the harness).
    pub fn audit_public_key_path(&self) -> PathBuf {
        self.path("public.pem")
    }

    /// Writes `PI_ENCFILE` with mode 0400 (replacing an existing file).
    pub fn write_enckey(&self, key: &[u8]) {
        let path = self.enckey_path();
        let _ = fs::remove_file(&path);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .open(&path)
            .expect("create enckey");
        f.write_all(key).expect("write enckey");
    }

    /// The config keys shared by mfactl.toml and pi.cfg, in order.
    fn config_pairs(&self) -> Vec<(String, String)> {
        let mut kv = vec![("SQLALCHEMY_DATABASE_URI".to_string(), self.main.url.clone())];
        if let Some(a) = &self.audit {
            kv.push(("PI_AUDIT_SQL_URI".into(), a.url.clone()));
        }
        let p = |n: &str| self.path(n).display().to_string();
        kv.extend([
            ("PI_ENCFILE".into(), p("enckey")),
            ("PI_AUDIT_KEY_PRIVATE".into(), p("private.pem")),
            ("PI_AUDIT_KEY_PUBLIC".into(), p("public.pem")),
            ("SECRET_KEY".into(), SECRET_KEY.into()),
            ("PI_PEPPER".into(), PI_PEPPER.into()),
            ("PI_LOGFILE".into(), p("privacyidea.log")),
        ]);
        for (k, v) in &self.opts.extra_config {
            kv.retain(|(key, _)| key != k);
            kv.push((k.clone(), v.clone()));
        }
        kv
    }

    /// The text of mfactl.toml as the harness writes it.
    pub fn config_toml(&self) -> String {
        let mut t = String::new();
        let dirs: Vec<String> = self
            .opts
            .plugin_dirs
            .iter()
            .map(|d| toml_str(&d.display().to_string()))
            .collect();
        t.push_str(&format!(
            "plugin_dirs = [{}]\n\n[privacyidea]\n",
            dirs.join(", ")
        ));
        for (k, v) in self.config_pairs() {
            t.push_str(&format!("{k} = {}\n", toml_str(&v)));
        }
        if !self.opts.toml_tail.is_empty() {
            t.push('\n');
            t.push_str(&self.opts.toml_tail);
        }
        t
    }

    /// The text of pi.cfg as the harness writes it.
    pub fn pi_cfg(&self) -> String {
        let mut t = String::from("# written by the mfactl test harness\n");
        for (k, v) in self.config_pairs() {
            t.push_str(&format!("{k} = {}\n", py_str(&v)));
        }
        t.push_str("PI_LOGLEVEL = 30\n");
        t.push_str("PI_NODE = 'mfactl-test'\n");
        t.push_str("PI_NODE_UUID = '6f1b6f7e-3c1a-4d35-9a53-0d6c2b7e5a10'\n");
        t
    }

    fn write_configs(&self) {
        fs::write(self.config_path(), self.config_toml()).expect("write mfactl.toml");
        fs::write(self.pi_cfg_path(), self.pi_cfg()).expect("write pi.cfg");
    }

    /// Appends raw TOML to mfactl.toml (e.g. a `[plugins.x]` table) and rewrites it.
    pub fn append_toml(&mut self, toml: &str) {
        self.opts.toml_tail.push_str(toml);
        self.opts.toml_tail.push('\n');
        self.write_configs();
    }

    /// Copies a plugin library (e.g. [`crate::fixture_plugin`]) into `<dir>/plugins/` (dir 0755,
    /// file 0644, so mfactl's trust check accepts it), adds that dir to `plugin_dirs` and
    /// rewrites the configs. Returns the installed path.
    pub fn install_plugin(&mut self, lib: &Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let dir = self.path("plugins");
        fs::create_dir_all(&dir).expect("create plugin dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod plugin dir");
        let dest = dir.join(lib.file_name().expect("plugin file name"));
        fs::copy(lib, &dest).expect("copy plugin");
        fs::set_permissions(&dest, fs::Permissions::from_mode(0o644)).expect("chmod plugin");
        if !self.opts.plugin_dirs.contains(&dir) {
            self.opts.plugin_dirs.push(dir);
        }
        self.write_configs();
        dest
    }

    /// Replaces `plugin_dirs` of mfactl.toml and rewrites the configs.
    pub fn set_plugin_dirs(&mut self, dirs: Vec<PathBuf>) {
        self.opts.plugin_dirs = dirs;
        self.write_configs();
    }

    /// Sets a config key in both mfactl.toml (`[privacyidea]`) and pi.cfg and rewrites them.
    pub fn set_config(&mut self, key: &str, value: &str) {
        self.opts.extra_config.retain(|(k, _)| k != key);
        self.opts
            .extra_config
            .push((key.to_string(), value.to_string()));
        self.write_configs();
    }

    // ------------------------------------------------------------------ running mfactl

    /// A command builder for `mfactl --config <mfactl.toml> ARGS…`, run in the env's dir.
    pub fn cmd(&self, args: &[&str]) -> Cmd {
        Cmd::new(crate::mfactl_bin())
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .current_dir(self.dir())
    }

    /// A command builder for `mfactl ARGS…` without `--config` (run in the env's dir).
    pub fn cmd_no_config(&self, args: &[&str]) -> Cmd {
        Cmd::new(crate::mfactl_bin())
            .args(args)
            .current_dir(self.dir())
    }

    /// Runs `mfactl --config <mfactl.toml> ARGS…` with stdin from /dev/null.
    pub fn mfactl(&self, args: &[&str]) -> Output {
        self.cmd(args).run()
    }

    /// Same, feeding `input` on stdin.
    pub fn mfactl_stdin(&self, args: &[&str], input: &str) -> Output {
        self.cmd(args).stdin(input).run()
    }

    /// Same, with extra environment variables.
    pub fn mfactl_with_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut cmd = self.cmd(args);
        for (k, v) in envs {
            cmd = cmd.env(k, v);
        }
        cmd.run()
    }

    /// Runs `mfactl --config <mfactl.toml> ARGS…` on a pseudo-terminal (util-linux `script`),
    /// typing `lines` one per second; returns the exit code and everything the terminal showed
    /// (stdout and stderr together).
    pub fn mfactl_on_tty(&self, args: &[&str], lines: &[&str]) -> (i32, String) {
        let mut cmd = format!(
            "{} --config {}",
            crate::mfactl_bin().display(),
            self.config_path().display()
        );
        for a in args {
            cmd.push(' ');
            cmd.push_str(a);
        }
        let typed: String = lines
            .iter()
            .map(|l| format!("sleep 1; printf '%s\\n' '{l}'; "))
            .chain(std::iter::once("true".to_string()))
            .collect();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("({typed}) | script -q -e -c '{cmd}' /dev/null"))
            .current_dir(self.dir())
            // a terminal run must prompt, not read the passphrase file of the environment
            .env_remove("MFACTL_ENCKEY_PASSWORD_FILE")
            .output()
            .expect("run script(1)");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    // ------------------------------------------------------------------ direct SQL

    /// Runs SQL (one or more `;`-separated statements) on the main database; panics on error.
    #[track_caller]
    pub fn sql(&self, sql: &str) -> u64 {
        match sql::execute(&self.main.conn, sql) {
            Ok(n) => n,
            Err(e) => panic!("{}: SQL failed: {e}\n{sql}", self.engine),
        }
    }

    /// Runs SQL and returns the error instead of panicking.
    pub fn try_sql(&self, sql: &str) -> Result<u64, String> {
        sql::execute(&self.main.conn, sql)
    }

    /// Rows of one query on the main database, cells rendered as text (NULL as `"NULL"`; see
    /// the module docs of `sql.rs` for the rendering).
    #[track_caller]
    pub fn query_rows(&self, sql: &str) -> Vec<Vec<String>> {
        self.query_opt(sql)
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| c.unwrap_or_else(|| "NULL".into()))
                    .collect()
            })
            .collect()
    }

    /// Rows of one query with NULL as `None`.
    #[track_caller]
    pub fn query_opt(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match sql::query(&self.main.conn, sql) {
            Ok(rows) => rows,
            Err(e) => panic!("{}: query failed: {e}\n{sql}", self.engine),
        }
    }

    /// Runs a query and returns the error instead of panicking.
    pub fn try_query(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        sql::query(&self.main.conn, sql)
    }

    /// The single cell of a one-row, one-column query (NULL as `"NULL"`).
    #[track_caller]
    pub fn query_scalar(&self, sql: &str) -> String {
        let rows = self.query_rows(sql);
        assert!(
            rows.len() == 1 && rows[0].len() == 1,
            "{}: expected one cell from {sql}, got {rows:?}",
            self.engine
        );
        rows[0][0].clone()
    }

    /// `SELECT COUNT(*) FROM <table>` as a number.
    #[track_caller]
    pub fn count(&self, table: &str) -> i64 {
        let v = self.query_scalar(&format!("SELECT COUNT(*) FROM {table}"));
        v.parse().unwrap_or_else(|_| panic!("count {table}: {v}"))
    }

    /// [`TestEnv::sql`] on the audit database (needs [`EnvOptions::audit_db`]).
    #[track_caller]
    pub fn audit_sql(&self, sql: &str) -> u64 {
        let db = self.audit.as_ref().expect("env made without audit_db");
        sql::execute(&db.conn, sql)
            .unwrap_or_else(|e| panic!("{}: audit SQL failed: {e}\n{sql}", self.engine))
    }

    /// [`TestEnv::query_rows`] on the audit database (needs [`EnvOptions::audit_db`]).
    #[track_caller]
    pub fn audit_query_rows(&self, sql: &str) -> Vec<Vec<String>> {
        let db = self.audit.as_ref().expect("env made without audit_db");
        sql::query(&db.conn, sql)
            .unwrap_or_else(|e| panic!("{}: audit query failed: {e}\n{sql}", self.engine))
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| c.unwrap_or_else(|| "NULL".into()))
                    .collect()
            })
            .collect()
    }

    /// Names of the tables in the main database, sorted (SQLite internals excluded).
    pub fn table_names(&self) -> Vec<String> {
        let q = match self.engine {
            Engine::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            }
            Engine::Postgres => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema='public' AND table_type='BASE TABLE'"
            }
            Engine::Mariadb => {
                "SELECT table_name FROM information_schema.tables WHERE table_schema=DATABASE() AND table_type='BASE TABLE'"
            }
        };
        let mut names: Vec<String> = self
            .query_rows(q)
            .into_iter()
            .map(|mut r| r.remove(0))
            .collect();
        names.sort();
        names
    }

    // ------------------------------------------------------------------ schema

    /// Creates privacyIDEA's schema with `mfactl setup create-tables` (panics when it fails).
    pub fn create_schema(&self) {
        self.mfactl(&["setup", "create-tables"]).ok();
    }

    /// Loads the reference DDL that `pi-manage setup create_tables` of privacyIDEA 3.14 made
    /// (`shared/reference/schema-*.sql`) and stamps `alembic_version` with [`ALEMBIC_HEAD`],
    /// like `create_tables` does. On MariaDB the `mariadb+pymysql` dump is used when the env
    /// was made with [`EnvOptions::mariadb_dialect`].
    pub fn load_reference_schema(&self) {
        let file = match (self.engine, self.opts.mariadb_dialect) {
            (Engine::Sqlite, _) => "schema-sqlite.sql",
            (Engine::Postgres, _) => "schema-postgres.sql",
            (Engine::Mariadb, false) => "schema-mariadb.sql",
            (Engine::Mariadb, true) => "schema-mariadb-dialect.sql",
        };
        let ddl = reference_ddl(file);
        self.sql(&ddl);
        self.sql(&format!(
            "INSERT INTO alembic_version (version_num) VALUES ('{ALEMBIC_HEAD}')"
        ));
    }
}

/// The reference DDL of `file`, cleaned so it loads over a plain connection as the test user:
/// psql meta-commands (`\restrict`), ownership changes, the `search_path` reset, the MariaDB
/// sandbox line and SQLite's internal `sqlite_sequence` are removed.
pub fn reference_ddl(file: &str) -> String {
    let path = crate::reference_dir().join(file);
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with('\\')
                || t.starts_with("/*M!999999")
                || (t.starts_with("ALTER ") && t.contains(" OWNER TO "))
                || t.starts_with("SELECT pg_catalog.set_config('search_path'")
                || t.starts_with("CREATE TABLE sqlite_sequence"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if std::env::var_os("MFACTL_TEST_KEEP").is_some() {
            if let Some(d) = self.dir.take() {
                let kept = d.keep();
                eprintln!("[mfactl-tests] kept {} ({})", kept.display(), self.engine);
            }
            return;
        }
        if self.engine != Engine::Sqlite {
            servers::drop_database(self.engine, &self.main.name);
            if let Some(a) = &self.audit {
                servers::drop_database(self.engine, &a.name);
            }
        }
    }
}
