//! Throwaway PostgreSQL and MariaDB servers, one of each per test process.
//!
//! Each server lives in its own temp dir (`/tmp/mfactl-test-{pg,maria}-XXXXXX` when root) and
//! listens on 127.0.0.1 on a random free port, plus a unix socket in that dir used for admin
//! work. Next to each server runs a small watchdog shell whose stdin is a pipe held by this
//! process: when the pipe closes (normal exit through our `atexit` hook, a panic, a failed test,
//! or the process being killed), the watchdog stops the server and removes the dir. The `atexit`
//! hook closes the pipes itself and waits for the watchdogs, so after `cargo test` returns no
//! server is left.
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use crate::env::{DB_PASSWORD, DB_USER};
use crate::sql::{self, ConnSpec};

/// A database engine the tests run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Engine {
    Sqlite,
    Postgres,
    Mariadb,
}

impl Engine {
    pub const ALL: [Engine; 3] = [Engine::Sqlite, Engine::Postgres, Engine::Mariadb];

    /// `sqlite`, `postgres` or `mariadb`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
            Engine::Mariadb => "mariadb",
        }
    }

    /// Whether the server binaries for this engine are on this machine.
    pub fn available(self) -> bool {
        self.missing().is_none()
    }

    /// `Some(reason)` when the engine cannot run here.
    fn missing(self) -> Option<String> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => match pg_bin_dir() {
                Some(_) => None,
                None => Some(
                    "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in \
                     /usr/lib/postgresql/15/bin (install postgresql-15, or set MFACTL_PG_BIN_DIR)"
                        .into(),
                ),
            },
            Engine::Mariadb => match (find_prog("mariadbd"), find_prog("mariadb-install-db")) {
                (Some(_), Some(_)) => None,
                _ => Some("MariaDB server (mariadbd, mariadb-install-db) not found (install mariadb-server)".into()),
            },
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The engines to run database tests on: all three. An engine whose server binaries are
/// missing is left out with a loud message on stderr, or makes this panic when `CI=true`.
/// `MFACTL_TEST_ENGINES=sqlite,postgres` restricts the list locally (ignored when `CI=true`).
/// Calling this also starts the servers in the background, so they are warm when needed.
pub fn engines() -> Vec<Engine> {
    let ci = crate::in_ci();
    let wanted: Option<Vec<String>> = if ci {
        None
    } else {
        std::env::var("MFACTL_TEST_ENGINES").ok().map(|v| {
            v.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
    };
    let mut list = Vec::new();
    for engine in Engine::ALL {
        if let Some(w) = &wanted {
            if !w.iter().any(|n| n == engine.name()) {
                continue;
            }
        }
        match engine.missing() {
            None => list.push(engine),
            Some(reason) => {
                if ci {
                    panic!("CI=true and {engine} cannot run: {reason}");
                }
                static WARNED: [Once; 3] = [Once::new(), Once::new(), Once::new()];
                WARNED[engine as usize].call_once(|| {
                    eprintln!(
                        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                         !! SKIPPING ALL {} TESTS: {reason}\n\
                         !! (with CI=true this is a failure)\n\
                         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n",
                        engine.name().to_uppercase()
                    );
                });
            }
        }
    }
    prewarm(&list);
    list
}

fn prewarm(list: &[Engine]) {
    static PREWARM: Once = Once::new();
    let servers: Vec<Engine> = list
        .iter()
        .copied()
        .filter(|e| *e != Engine::Sqlite)
        .collect();
    PREWARM.call_once(|| {
        for engine in servers {
            std::thread::spawn(move || {
                // A failure here shows again (with its message) in the test that needs it.
                let _ = std::panic::catch_unwind(|| server(engine));
            });
        }
    });
}

/// A running server.
pub(crate) struct Server {
    pub port: u16,
    pub dir: PathBuf,
    /// Admin connection (superuser over the unix socket).
    pub admin: ConnSpec,
}

/// The server of `engine`, started on first use (Postgres and Mariadb only).
pub(crate) fn server(engine: Engine) -> &'static Server {
    static PG: OnceLock<Server> = OnceLock::new();
    static MARIA: OnceLock<Server> = OnceLock::new();
    match engine {
        Engine::Postgres => PG.get_or_init(start_postgres),
        Engine::Mariadb => MARIA.get_or_init(start_mariadb),
        Engine::Sqlite => panic!("SQLite has no server"),
    }
}

/// Where the throwaway server of `engine` lives: (port, directory). Starts it if needed.
/// For the harness's own tests (server clean-up); `None` for SQLite.
#[doc(hidden)]
pub fn server_location(engine: Engine) -> Option<(u16, PathBuf)> {
    if engine == Engine::Sqlite {
        return None;
    }
    let srv = server(engine);
    Some((srv.port, srv.dir.clone()))
}

static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates a fresh database owned by / granted to the test user and returns its name.
pub(crate) fn create_database(engine: Engine) -> String {
    let srv = server(engine);
    let name = format!("mfactl_t{}", DB_COUNTER.fetch_add(1, Ordering::Relaxed) + 1);
    let stmt = match engine {
        Engine::Postgres => format!("CREATE DATABASE \"{name}\" OWNER \"{DB_USER}\""),
        Engine::Mariadb => format!(
            "CREATE DATABASE `{name}`; GRANT ALL PRIVILEGES ON `{name}`.* TO '{DB_USER}'@'127.0.0.1'"
        ),
        Engine::Sqlite => unreachable!("no databases on SQLite"),
    };
    sql::execute(&srv.admin, &stmt)
        .unwrap_or_else(|e| panic!("{engine}: creating database {name}: {e}"));
    name
}

/// Drops a database made by [`create_database`] (errors ignored: best effort at test end).
pub(crate) fn drop_database(engine: Engine, name: &str) {
    let srv = server(engine);
    let stmt = match engine {
        Engine::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        Engine::Mariadb => format!("DROP DATABASE IF EXISTS `{name}`"),
        Engine::Sqlite => return,
    };
    let _ = sql::execute(&srv.admin, &stmt);
}

// ----------------------------------------------------------------------------------------------
// locating binaries, users, dirs

fn pg_bin_dir() -> Option<PathBuf> {
    let mut candidates = vec![];
    if let Some(d) = std::env::var_os("MFACTL_PG_BIN_DIR") {
        candidates.push(PathBuf::from(d));
    }
    candidates.push(PathBuf::from("/usr/lib/postgresql/15/bin"));
    if let Ok(rd) = fs::read_dir("/usr/lib/postgresql") {
        let mut others: Vec<PathBuf> = rd.flatten().map(|e| e.path().join("bin")).collect();
        others.sort();
        others.reverse();
        candidates.extend(others);
    }
    candidates.into_iter().find(|d| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|p| d.join(p).is_file())
    })
}

fn find_prog(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[derive(Clone, Copy)]
struct Ids {
    uid: u32,
    gid: u32,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// When root: the uid/gid of the service account `name` (servers refuse to run as root).
/// Otherwise `None`: everything runs as the current user.
fn service_user(name: &str) -> Option<Ids> {
    if !is_root() {
        return None;
    }
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let ids = passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() > 3 && f[0] == name).then(|| Ids {
            uid: f[2].parse().unwrap_or(0),
            gid: f[3].parse().unwrap_or(0),
        })
    });
    match ids {
        Some(ids) => Some(ids),
        None => panic!("running as root, but the system user `{name}` does not exist (it comes with the server package)"),
    }
}

fn as_user(cmd: &mut Command, user: Option<Ids>) {
    if let Some(ids) = user {
        cmd.uid(ids.uid).gid(ids.gid);
        cmd.env("HOME", "/tmp");
    }
}

/// Where server dirs go: `MFACTL_TEST_SERVER_DIR`, else `/dev/shm` when it is a writable
/// tmpfs with at least 2 GiB free (fsync is free there: DDL-heavy tests run several times
/// faster), else `/tmp` (root: the service users must reach it) or the temp dir.
fn server_base_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MFACTL_TEST_SERVER_DIR") {
        return PathBuf::from(d);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        let c = std::ffi::CString::new("/dev/shm").expect("no NUL");
        // SAFETY: statvfs writes into the zeroed struct we pass; the path is NUL-terminated.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
        let free = (st.f_bavail as u64).saturating_mul(st.f_frsize as u64);
        let writable = fs::metadata(shm).is_ok_and(|m| m.permissions().mode() & 0o1777 == 0o1777);
        if rc == 0 && writable && free >= 2 << 30 {
            return shm.to_path_buf();
        }
    }
    if is_root() {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    }
}

fn make_dir(kind: &str, user: Option<Ids>) -> PathBuf {
    let base = server_base_dir();
    let dir = tempfile::Builder::new()
        .prefix(&format!("mfactl-test-{kind}-"))
        .tempdir_in(&base)
        .unwrap_or_else(|e| panic!("temp dir in {}: {e}", base.display()))
        .keep();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod server dir");
    if let Some(ids) = user {
        std::os::unix::fs::chown(&dir, Some(ids.uid), Some(ids.gid)).expect("chown server dir");
    }
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

/// Runs a command as `user` in `dir`, output to a file (never a pipe: daemons inherit it).
fn run_logged(mut cmd: Command, user: Option<Ids>, dir: &Path, what: &str) -> (bool, String) {
    let log = dir.join(format!("{what}.out"));
    let file = fs::File::create(&log).expect("create command log");
    if let Some(ids) = user {
        let _ = std::os::unix::fs::chown(&log, Some(ids.uid), Some(ids.gid));
    }
    as_user(&mut cmd, user);
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("dup log fd"))
        .stderr(file)
        .process_group(0);
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    (
        status.success(),
        fs::read_to_string(&log).unwrap_or_default(),
    )
}

fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

// ----------------------------------------------------------------------------------------------
// watchdogs and the exit hook

struct Watchdog {
    child: Child,
    pipe: Option<ChildStdin>,
}

/// Server processes that are our direct children (mariadbd), reaped at exit.
static SERVER_CHILDREN: Mutex<Vec<Child>> = Mutex::new(Vec::new());

static WATCHDOGS: Mutex<Vec<Watchdog>> = Mutex::new(Vec::new());

/// Server starts in progress, and whether the process is exiting: the exit hook lets a
/// start (e.g. a background pre-warm) finish before it stops the servers, so a server that
/// comes up while the process exits is stopped too instead of outliving it.
static STARTING: AtomicUsize = AtomicUsize::new(0);
static EXITING: AtomicBool = AtomicBool::new(false);

struct StartGuard;

impl StartGuard {
    fn new() -> StartGuard {
        STARTING.fetch_add(1, Ordering::SeqCst);
        let guard = StartGuard;
        assert!(
            !EXITING.load(Ordering::SeqCst),
            "the test process is exiting: not starting a server"
        );
        guard
    }
}

impl Drop for StartGuard {
    fn drop(&mut self) {
        STARTING.fetch_sub(1, Ordering::SeqCst);
    }
}

extern "C" fn stop_servers_at_exit() {
    EXITING.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(120);
    while STARTING.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut list = match WATCHDOGS.lock() {
        Ok(l) => l,
        Err(poisoned) => poisoned.into_inner(),
    };
    for w in list.iter_mut() {
        drop(w.pipe.take());
    }
    for w in list.iter_mut() {
        let _ = w.child.wait();
    }
    list.clear();
    // The watchdogs have stopped the servers; reap the ones that were our children.
    let mut children = match SERVER_CHILDREN.lock() {
        Ok(l) => l,
        Err(poisoned) => poisoned.into_inner(),
    };
    for c in children.iter_mut() {
        let _ = c.kill();
        let _ = c.wait();
    }
    children.clear();
}

/// Starts `script` under `sh` as `user`; it must begin with `read _x;` and then stop the server
/// and remove its dir. It runs when this process closes the pipe (exit hook) or dies.
fn spawn_watchdog(user: Option<Ids>, dir: &Path, script: &str) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: registers a plain extern "C" function without arguments.
        let rc = unsafe { libc::atexit(stop_servers_at_exit) };
        assert_eq!(rc, 0, "atexit failed");
    });
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(script);
    as_user(&mut cmd, user);
    cmd.current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0); // no terminal signals: it must outlive a Ctrl-C of the tests
    let mut child = cmd.spawn().expect("start watchdog");
    let pipe = child.stdin.take();
    WATCHDOGS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Watchdog { child, pipe });
}

// ----------------------------------------------------------------------------------------------
// PostgreSQL

fn start_postgres() -> Server {
    let _starting = StartGuard::new();
    let bin = pg_bin_dir()
        .unwrap_or_else(|| panic!("{}", Engine::Postgres.missing().unwrap_or_default()));
    let user = service_user("postgres");
    let dir = make_dir("pg", user);
    let data = dir.join("data");
    let pg_ctl = bin.join("pg_ctl");
    spawn_watchdog(
        user,
        &dir,
        &format!(
            "read _x; {} -D {} -m fast -w -t 30 stop >/dev/null 2>&1 || {} -D {} -m immediate -w stop >/dev/null 2>&1; rm -rf {}",
            sh_quote(&pg_ctl),
            sh_quote(&data),
            sh_quote(&pg_ctl),
            sh_quote(&data),
            sh_quote(&dir)
        ),
    );
    let t0 = Instant::now();
    let mut initdb = Command::new(bin.join("initdb"));
    initdb.arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C",
        "-N",
    ]);
    let (ok, log) = run_logged(initdb, user, &dir, "initdb");
    assert!(ok, "initdb failed:\n{log}");
    for _attempt in 0..5 {
        let port = free_port();
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300 \
             -c dynamic_shared_memory_type=mmap",
            dir.display()
        );
        let mut start = Command::new(&pg_ctl);
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("server.log"))
            .arg("-o")
            .arg(&opts)
            .args(["-w", "-t", "90", "start"]);
        let (ok, out) = run_logged(start, user, &dir, "pg_ctl");
        if ok {
            let admin = ConnSpec::pg_socket(&dir, port, "postgres", "postgres");
            sql::execute(
                &admin,
                &format!("CREATE ROLE \"{DB_USER}\" LOGIN PASSWORD '{DB_PASSWORD}'"),
            )
            .unwrap_or_else(|e| panic!("postgres bootstrap: {e}"));
            if std::env::var_os("MFACTL_TEST_VERBOSE").is_some() {
                eprintln!(
                    "[mfactl-tests] PostgreSQL on 127.0.0.1:{port} in {} ({:.1?})",
                    dir.display(),
                    t0.elapsed()
                );
            }
            return Server { port, dir, admin };
        }
        let log = fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        if !(log.contains("could not bind") || log.contains("Address already in use")) {
            panic!("PostgreSQL did not start:\n{out}\n--- server.log ---\n{log}");
        }
    }
    panic!("PostgreSQL: no free port after 5 attempts");
}

// ----------------------------------------------------------------------------------------------
// MariaDB

fn start_mariadb() -> Server {
    let _starting = StartGuard::new();
    let (Some(mariadbd), Some(install_db)) =
        (find_prog("mariadbd"), find_prog("mariadb-install-db"))
    else {
        panic!("{}", Engine::Mariadb.missing().unwrap_or_default());
    };
    let admin_tool = find_prog("mariadb-admin").unwrap_or_else(|| PathBuf::from("mariadb-admin"));
    let user = service_user("mysql");
    let dir = make_dir("maria", user);
    let data = dir.join("data");
    let sock = dir.join("mariadb.sock");
    let pidfile = dir.join("mariadbd.pid");
    spawn_watchdog(
        user,
        &dir,
        &format!(
            "read _x; {admin} --no-defaults -S {sock} -uroot shutdown >/dev/null 2>&1; \
             if [ -f {pid} ]; then kill -KILL \"$(cat {pid})\" 2>/dev/null; fi; rm -rf {dir}",
            admin = sh_quote(&admin_tool),
            sock = sh_quote(&sock),
            pid = sh_quote(&pidfile),
            dir = sh_quote(&dir)
        ),
    );
    let t0 = Instant::now();
    let mut install = Command::new(install_db);
    install
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args([
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ]);
    let (ok, log) = run_logged(install, user, &dir, "install-db");
    assert!(ok, "mariadb-install-db failed:\n{log}");
    let errlog = dir.join("err.log");
    for _attempt in 0..5 {
        let port = free_port();
        let mut cmd = Command::new(&mariadbd);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", sock.display()))
            .arg(format!("--pid-file={}", pidfile.display()))
            .arg(format!("--log-error={}", errlog.display()))
            // its own temp dir: nothing another test does in /tmp can touch its temp tables
            .arg(format!("--tmpdir={}", dir.display()))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--max-connections=500",
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
                "--innodb-flush-method=fsync",
            ]);
        as_user(&mut cmd, user);
        cmd.current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let mut child = cmd.spawn().expect("start mariadbd");
        let admin = ConnSpec::mysql_socket(&sock, "root", "mysql");
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut retry = false;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = fs::read_to_string(&errlog).unwrap_or_default();
                if log.contains("already in use") || log.contains("Can't start server: Bind") {
                    retry = true;
                    break;
                }
                panic!("mariadbd exited ({status}) during start:\n{log}");
            }
            if sock.exists() && sql::execute(&admin, "SELECT 1").is_ok() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let log = fs::read_to_string(&errlog).unwrap_or_default();
                panic!("mariadbd not ready after 90 s:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if retry {
            continue;
        }
        sql::execute(
            &admin,
            &format!("CREATE USER '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASSWORD}'"),
        )
        .unwrap_or_else(|e| panic!("mariadb bootstrap: {e}"));
        if std::env::var_os("MFACTL_TEST_VERBOSE").is_some() {
            eprintln!(
                "[mfactl-tests] MariaDB on 127.0.0.1:{port} in {} ({:.1?})",
                dir.display(),
                t0.elapsed()
            );
        }
        // The watchdog stops the server (socket/pid file); the exit hook reaps it.
        SERVER_CHILDREN
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(child);
        return Server { port, dir, admin };
    }
    panic!("MariaDB: no free port after 5 attempts");
}
