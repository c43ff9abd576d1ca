//! Integration tests: the test harness itself (servers, per-test databases, URLs, interop).
use mfactl_tests::{
    engines, fixture_plugin, mfactl_bin, Engine, EnvOptions, TestEnv, ALEMBIC_HEAD, DB_PASSWORD,
    DB_PASSWORD_ENCODED, DB_USER,
};
use sqlx::Connection;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn all_three_engines_run_in_ci() {
    let list = engines();
    assert!(list.contains(&Engine::Sqlite));
    if mfactl_tests::in_ci() {
        assert_eq!(list, Engine::ALL.to_vec(), "CI must run every engine");
    }
}

#[test]
fn direct_sql_round_trip_renders_values_alike_on_every_engine() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        let (ts, flag) = match engine {
            Engine::Sqlite => ("DATETIME", "BOOLEAN"),
            Engine::Postgres => ("TIMESTAMP WITHOUT TIME ZONE", "BOOLEAN"),
            Engine::Mariadb => ("DATETIME(6)", "BOOL"),
        };
        env.sql(&format!(
            "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40), flag {flag}, \
             ts {ts} NULL, n BIGINT); \
             CREATE TABLE u (id INTEGER NOT NULL PRIMARY KEY)"
        ));
        let ts_value = match engine {
            // SQLite has no timestamp type: store the text form the host writes.
            Engine::Sqlite => "'2026-01-02 03:04:05.250000'",
            _ => "'2026-01-02 03:04:05.25'",
        };
        let t = if engine == Engine::Postgres {
            "true"
        } else {
            "1"
        };
        assert_eq!(
            env.sql(&format!(
                "INSERT INTO t VALUES (1, 'jürgen', {t}, {ts_value}, 9007199254740993); \
                 INSERT INTO t VALUES (2, NULL, NULL, NULL, -1)"
            )),
            2,
            "{engine}"
        );
        assert_eq!(
            env.query_rows("SELECT id, name, flag, ts, n FROM t ORDER BY id"),
            vec![
                vec![
                    "1",
                    "jürgen",
                    "1",
                    "2026-01-02 03:04:05.250000",
                    "9007199254740993"
                ],
                vec!["2", "NULL", "NULL", "NULL", "-1"],
            ],
            "{engine}"
        );
        assert_eq!(env.count("t"), 2, "{engine}");
        assert_eq!(
            env.query_scalar("SELECT name FROM t WHERE id = 1"),
            "jürgen"
        );
        assert_eq!(env.table_names(), vec!["t", "u"], "{engine}");
        assert!(
            env.try_sql("SELECT * FROM no_such_table").is_err(),
            "{engine}"
        );
    }
}

#[test]
fn every_env_gets_its_own_database() {
    for engine in engines() {
        let a = TestEnv::new(engine);
        let b = TestEnv::new(engine);
        assert_ne!(a.db_url(), b.db_url(), "{engine}");
        assert_ne!(a.db_name(), b.db_name(), "{engine}");
        a.sql("CREATE TABLE only_in_a (x INTEGER)");
        assert_eq!(a.table_names(), vec!["only_in_a"], "{engine}");
        assert!(b.table_names().is_empty(), "{engine}: b sees a's table");
    }
}

/// The URL carries the percent-encoded password; a plain client that decodes it logs in, and
/// the server really checks passwords (a wrong one is refused).
#[test]
fn urls_percent_encode_the_password_and_work_with_a_client() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        let url = env.db_url().to_string();
        match engine {
            Engine::Sqlite => {
                let file = url.strip_prefix("sqlite:///").expect("sqlite URL");
                assert!(file.starts_with('/'), "absolute: {url}");
                assert_eq!(file, env.dir().join("pi.sqlite").to_str().expect("utf-8"));
                env.sql("CREATE TABLE x (a INTEGER)");
                assert!(env.dir().join("pi.sqlite").is_file());
                continue;
            }
            Engine::Postgres => assert!(url.starts_with("postgresql+psycopg2://"), "{url}"),
            Engine::Mariadb => assert!(url.starts_with("mysql+pymysql://"), "{url}"),
        }
        assert!(
            url.contains(&format!("://{DB_USER}:{DB_PASSWORD_ENCODED}@127.0.0.1:")),
            "{url}"
        );
        assert!(url.ends_with(&format!("/{}", env.db_name())), "{url}");
        let client_url = url
            .replace("mysql+pymysql://", "mysql://")
            .replace("postgresql+psycopg2://", "postgresql://");
        let wrong = client_url.replace(DB_PASSWORD_ENCODED, "wrong");
        rt().block_on(async {
            match engine {
                Engine::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&client_url)
                        .await
                        .expect("connect with the URL");
                    let (user, db): (String, String) =
                        sqlx::query_as("SELECT current_user::text, current_database()::text")
                            .fetch_one(&mut c)
                            .await
                            .expect("query");
                    assert_eq!((user.as_str(), db.as_str()), (DB_USER, env.db_name()));
                    assert!(sqlx::PgConnection::connect(&wrong).await.is_err());
                }
                Engine::Mariadb => {
                    let mut c = sqlx::MySqlConnection::connect(&client_url)
                        .await
                        .expect("connect with the URL");
                    let (user, db): (String, String) =
                        sqlx::query_as("SELECT CURRENT_USER(), DATABASE()")
                            .fetch_one(&mut c)
                            .await
                            .expect("query");
                    assert_eq!(user, format!("{DB_USER}@127.0.0.1"));
                    assert_eq!(db, env.db_name());
                    assert!(sqlx::MySqlConnection::connect(&wrong).await.is_err());
                }
                Engine::Sqlite => unreachable!(),
            }
        });
        assert_eq!(
            percent_decode(DB_PASSWORD_ENCODED),
            DB_PASSWORD,
            "encoding round trip"
        );
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .expect("utf-8")
        .into_owned()
}

#[test]
fn mariadb_dialect_url_and_audit_db_options() {
    for engine in engines() {
        let env = TestEnv::new_with(engine, EnvOptions::default().mariadb_dialect().audit_db());
        if engine == Engine::Mariadb {
            assert!(
                env.db_url().starts_with("mariadb+pymysql://"),
                "{}",
                env.db_url()
            );
        }
        let audit = env.audit_db_url().expect("audit db").to_string();
        assert_ne!(audit, env.db_url());
        let toml = std::fs::read_to_string(env.config_path()).expect("toml");
        assert!(
            toml.contains(&format!("PI_AUDIT_SQL_URI = \"{audit}\"")),
            "{toml}"
        );
        let cfg = std::fs::read_to_string(env.pi_cfg_path()).expect("pi.cfg");
        assert!(
            cfg.contains(&format!("PI_AUDIT_SQL_URI = '{audit}'")),
            "{cfg}"
        );
        env.audit_sql("CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (7)");
        assert_eq!(env.audit_query_rows("SELECT x FROM a"), vec![vec!["7"]]);
        assert!(
            env.table_names().is_empty(),
            "{engine}: audit table in the main db"
        );
    }
}

#[test]
fn config_files_hold_the_same_settings() {
    let env = TestEnv::new(Engine::Sqlite);
    let toml: toml_like::Doc =
        toml_like::parse(&std::fs::read_to_string(env.config_path()).expect("toml"));
    let cfg = std::fs::read_to_string(env.pi_cfg_path()).expect("pi.cfg");
    for key in [
        "SQLALCHEMY_DATABASE_URI",
        "PI_ENCFILE",
        "PI_AUDIT_KEY_PRIVATE",
        "PI_AUDIT_KEY_PUBLIC",
        "SECRET_KEY",
        "PI_PEPPER",
    ] {
        let v = toml
            .get(key)
            .unwrap_or_else(|| panic!("{key} missing in mfactl.toml"));
        assert!(cfg.contains(&format!("{key} = '{v}'")), "{key}: {cfg}");
    }
    assert_eq!(
        toml.get("PI_ENCFILE"),
        Some(env.enckey_path().to_str().expect("utf-8"))
    );
    assert!(!env.enckey_path().exists(), "key file made before asked");
    env.write_enckey(&[7u8; 96]);
    assert_eq!(
        std::fs::read(env.enckey_path()).expect("key"),
        vec![7u8; 96]
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.enckey_path())
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o400);
}

/// Minimal reader for the `KEY = "value"` lines the harness writes (no TOML crate needed).
mod toml_like {
    pub struct Doc(Vec<(String, String)>);
    impl Doc {
        pub fn get(&self, key: &str) -> Option<&str> {
            self.0
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }
    }
    pub fn parse(text: &str) -> Doc {
        Doc(text
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(" = ")?;
                let v = v.strip_prefix('"')?.strip_suffix('"')?;
                Some((k.trim().to_string(), v.to_string()))
            })
            .collect())
    }
}

#[test]
fn reference_schema_loads_on_every_engine() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        let tables = env.table_names();
        assert_eq!(tables.len(), 68, "{engine}: {tables:?}");
        for t in ["admin", "policy", "pidea_audit", "token", "alembic_version"] {
            assert!(tables.iter().any(|x| x == t), "{engine}: {t} missing");
        }
        assert_eq!(
            env.query_scalar("SELECT version_num FROM alembic_version"),
            ALEMBIC_HEAD
        );
    }
}

#[test]
fn mfactl_and_fixture_plugins_are_built() {
    let bin = mfactl_bin();
    assert!(bin.is_file(), "{}", bin.display());
    let plugin = fixture_plugin("fixture-hello");
    assert!(plugin.is_file(), "{}", plugin.display());
    assert_eq!(plugin.parent(), bin.parent());
}

/// Interop smoke: privacyIDEA 3.14 (pinned venv) reads what we wrote directly, and what it
/// writes through its own library is visible to a direct query, on every engine.
#[test]
fn privacyidea_reads_and_writes_the_test_database() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        env.sql(
            "INSERT INTO admin (username, password, email) VALUES ('carol', 'x', 'c@example.test')",
        );
        let out = env.pi_run(
            r#"
            from privacyidea.models import Admin
            from privacyidea.lib.auth import create_db_admin
            before = [(a.username, a.email) for a in Admin.query.order_by(Admin.username).all()]
            create_db_admin("alice", email="a@example.test", password="secret")
            result = {"before": before, "count": Admin.query.count(),
                      "uri": app.config["SQLALCHEMY_DATABASE_URI"]}
            "#,
        );
        let v = out.ok().json();
        assert_eq!(
            v["before"],
            serde_json::json!([["carol", "c@example.test"]]),
            "{engine}"
        );
        assert_eq!(v["count"], 2, "{engine}");
        assert_eq!(v["uri"], env.db_url(), "{engine}");
        let rows = env.query_rows("SELECT username, email FROM admin ORDER BY username");
        assert_eq!(
            rows,
            vec![
                vec!["alice", "a@example.test"],
                vec!["carol", "c@example.test"]
            ],
            "{engine}"
        );
        let hash = env.query_scalar("SELECT password FROM admin WHERE username = 'alice'");
        assert!(hash.starts_with("$argon2"), "{engine}: {hash}");
    }
}

/// privacyIDEA's own pi-manage runs on the env's pi.cfg and sees the env's database.
#[test]
fn pi_manage_runs_on_the_env() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        env.sql(
            "INSERT INTO admin (username, password, email) VALUES ('dave', 'x', 'd@example.test')",
        );
        let out = env.pi_manage(&["admin", "list"]);
        assert!(out.ok().stdout.contains("dave"), "{engine}: {out:?}");
        assert!(out.stdout.contains("d@example.test"), "{engine}: {out:?}");
    }
}

#[test]
fn pi_driver_reports_snippet_errors() {
    let env = TestEnv::new(Engine::Sqlite);
    let out = env.pi_run("raise ValueError('boom')");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("ValueError: boom"), "{out:?}");
    assert_eq!(out.stdout, "");
}

/// mfactl, run the harness's way, reaches the test database of every engine through the URL in
/// mfactl.toml (special-character password included) and reads the other config keys.
#[test]
fn mfactl_reaches_every_engine_with_the_env_config() {
    for engine in engines() {
        let mut env = TestEnv::new(engine);
        env.install_plugin(&fixture_plugin("fixture-hello"));
        env.load_reference_schema();
        env.sql("INSERT INTO admin (username, password) VALUES ('a1', 'x'); INSERT INTO admin (username, password) VALUES ('a2', 'y')");
        let out = env.mfactl(&["hello", "count-admins"]);
        assert_eq!(out.ok().stdout, "2 admins\n", "{engine}");
        let out = env.mfactl(&["hello", "config", "PI_PEPPER"]);
        assert_eq!(out.ok().stdout, "pepper\n", "{engine}");
        let out = env.mfactl_stdin(&["hello", "config", "SECRET_KEY"], "ignored");
        assert_eq!(out.ok().stdout, format!("{}\n", mfactl_tests::SECRET_KEY));
    }
}

const CHILD_ENV: &str = "MFACTL_HARNESS_CHILD";

/// Helper for `servers_stop_when_the_test_process_ends`: in a child process (env
/// `MFACTL_HARNESS_CHILD` set) it starts the servers, reports where they are, and then exits
/// or waits to be killed. In a normal run it does nothing.
#[test]
fn child_process_starts_servers() {
    use std::io::Write;
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut out = std::io::stdout().lock();
    for engine in engines() {
        if let Some((port, dir)) = mfactl_tests::server_location(engine) {
            writeln!(out, "SERVER {port} {}", dir.display()).expect("stdout");
        }
    }
    writeln!(out, "READY").expect("stdout");
    out.flush().expect("stdout");
    drop(out);
    if mode == "hang" {
        std::thread::sleep(std::time::Duration::from_secs(600));
    }
}

/// The servers go away with the test process: on a normal exit (the exit hook waits for it)
/// and when the process is killed with SIGKILL (the watchdogs notice the closed pipe).
#[test]
fn servers_stop_when_the_test_process_ends() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let expected = engines().iter().filter(|e| **e != Engine::Sqlite).count();
    for mode in ["exit", "hang"] {
        // /proc/self/exe still works when a concurrent build replaced the test binary.
        let mut child = std::process::Command::new("/proc/self/exe")
            .args([
                "harness::child_process_starts_servers",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, mode)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn child test process");
        let reader = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        // Keep the pipe open until the child is gone (it still prints its test summary).
        let mut lines = reader.lines();
        let mut servers = vec![];
        for line in lines.by_ref() {
            let line = line.expect("read child stdout");
            // libtest may print "test name ... " on the same line before the output.
            if line.ends_with("READY") {
                break;
            }
            if let Some(rest) = line.find("SERVER ").map(|i| &line[i + 7..]) {
                let (port, dir) = rest.split_once(' ').expect("SERVER port dir");
                servers.push((
                    port.parse::<u16>().expect("port"),
                    std::path::PathBuf::from(dir),
                ));
            }
        }
        assert_eq!(servers.len(), expected, "{mode}: {servers:?}");
        for (port, dir) in &servers {
            assert!(
                dir.is_dir(),
                "{mode}: {} missing while running",
                dir.display()
            );
            assert!(
                std::net::TcpStream::connect(("127.0.0.1", *port)).is_ok(),
                "{mode}: port {port} closed while running"
            );
        }
        let status = if mode == "hang" {
            child.kill().expect("kill child");
            child.wait().expect("wait child")
        } else {
            let st = child.wait().expect("wait child");
            assert!(st.success(), "child test failed: {st}");
            // The exit hook waited for the watchdogs: everything is gone already.
            for (port, dir) in &servers {
                assert!(!dir.exists(), "{} left after exit", dir.display());
                assert!(
                    std::net::TcpStream::connect(("127.0.0.1", *port)).is_err(),
                    "port {port} still open after exit"
                );
            }
            st
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        for (port, dir) in &servers {
            while (dir.exists() || std::net::TcpStream::connect(("127.0.0.1", *port)).is_ok())
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(!dir.exists(), "{mode} ({status}): {} left", dir.display());
            assert!(
                std::net::TcpStream::connect(("127.0.0.1", *port)).is_err(),
                "{mode}: port {port} still open"
            );
        }
        drop(lines);
    }
}

/// The schema snapshot is deterministic, sees the facts the reference README counts, and
/// shows a change as a diff, on every engine.
#[test]
fn schema_snapshot_of_the_reference_schema() {
    for engine in engines() {
        let a = TestEnv::new(engine);
        a.load_reference_schema();
        let b = TestEnv::new(engine);
        b.load_reference_schema();
        let sa = a.schema_snapshot();
        sa.assert_same(&b.schema_snapshot());
        assert_eq!(sa.lines_starting("table ").len(), 68, "{engine}");
        let sequences = sa.lines_starting("sequence ").len();
        let fks = match engine {
            Engine::Postgres => sa
                .lines_starting("constraint ")
                .iter()
                .filter(|l| l.contains("FOREIGN KEY"))
                .count(),
            _ => sa.lines_starting("fk ").len(),
        };
        assert_eq!(fks, 42, "{engine}");
        match engine {
            Engine::Sqlite => {
                assert_eq!(sequences, 0);
                assert_eq!(sa.lines_starting("index ").len(), 65);
            }
            _ => {
                assert_eq!(sequences, 45, "{engine}");
                assert!(
                    sa.lines
                        .iter()
                        .any(|l| l.starts_with("sequence audit_seq start=1 ")),
                    "{engine}"
                );
            }
        }
        assert!(sa.lines.contains("pk admin (username)"), "{engine}");
        b.sql("ALTER TABLE admin ADD COLUMN extra_col INTEGER");
        let diff = sa.diff(&b.schema_snapshot());
        assert_eq!(diff.len(), 3, "{engine}: {diff:#?}");
        assert!(
            diff.iter()
                .any(|l| l.starts_with("+ column admin.extra_col ")),
            "{engine}: {diff:#?}"
        );
        assert!(
            diff.contains(&"- columns admin: username,password,email".to_string()),
            "{engine}: {diff:#?}"
        );
    }
}
