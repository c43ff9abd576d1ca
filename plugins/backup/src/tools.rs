//! The database client programs (pg_dump, psql, mariadb-dump, mariadb), their credentials, and
//! private temporary directories.

use crate::uri::DbUri;
use mfactl_plugin_api::{Error, Result};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Finds the first of `names` on `PATH`.
pub fn find_tool(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in names {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Finds a tool or fails with the package to install.
pub fn require_tool(names: &[&str], package: &str) -> Result<PathBuf> {
    find_tool(names).ok_or_else(|| {
        Error::failed(format!("{} not found on PATH", names.join(" or "))).with_hint(format!(
            "install the Debian/Ubuntu package {package} (or your distribution's equivalent)"
        ))
    })
}

/// `pg_dump`.
pub fn pg_dump() -> Result<PathBuf> {
    require_tool(&["pg_dump"], "postgresql-client")
}
/// `psql`.
pub fn psql() -> Result<PathBuf> {
    require_tool(&["psql"], "postgresql-client")
}
/// `mariadb-dump` or `mysqldump`.
pub fn mysqldump() -> Result<PathBuf> {
    require_tool(&["mariadb-dump", "mysqldump"], "mariadb-client")
}
/// `mariadb` or `mysql`.
pub fn mysql() -> Result<PathBuf> {
    require_tool(&["mariadb", "mysql"], "mariadb-client")
}

/// A directory only the current user can enter, removed with its content when dropped.
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// Creates `<base>/<prefix><pid>-<n>` with mode 0700.
    pub fn new(base: &Path, prefix: &str) -> Result<Self> {
        let pid = std::process::id();
        for n in 0..1000u32 {
            let p = base.join(format!("{prefix}{pid}-{n}"));
            match fs::DirBuilder::new().mode(0o700).create(&p) {
                Ok(()) => return Ok(PrivateDir { path: p }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(Error::failed(format!(
                        "cannot create a private directory in {}",
                        base.display()
                    ))
                    .with_source(&e))
                }
            }
        }
        Err(Error::failed(format!(
            "cannot create a private directory in {}",
            base.display()
        )))
    }
    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Creates `path` exclusively with mode 0600 and writes `data`.
pub fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::failed(format!("cannot create {}", path.display())).with_source(&e))?;
    f.write_all(data)
        .map_err(|e| Error::failed(format!("cannot write {}", path.display())).with_source(&e))
}

/// libpq environment for `uri` (password in `PGPASSWORD`, never on argv).
pub fn pg_env(uri: &DbUri, database: Option<&str>) -> Vec<(String, String)> {
    let mut env = vec![("PGAPPNAME".to_string(), "mfactl-backup".to_string())];
    if let Some(h) = uri
        .host
        .clone()
        .or_else(|| uri.param("host").map(str::to_string))
    {
        env.push(("PGHOST".into(), h));
    }
    if let Some(p) = uri
        .port
        .map(|p| p.to_string())
        .or_else(|| uri.param("port").map(str::to_string))
    {
        env.push(("PGPORT".into(), p));
    }
    if let Some(u) = &uri.user {
        env.push(("PGUSER".into(), u.clone()));
    }
    if let Some(p) = &uri.password {
        env.push(("PGPASSWORD".into(), p.clone()));
    }
    env.push((
        "PGDATABASE".into(),
        database.unwrap_or(&uri.database).to_string(),
    ));
    if let Some(s) = uri.param("sslmode") {
        env.push(("PGSSLMODE".into(), s.to_string()));
    }
    env
}

fn cnf_value(v: &str) -> Result<String> {
    if v.contains('\n') || v.contains('\r') {
        return Err(Error::config("a database credential contains a line break"));
    }
    let escaped = v.replace('\\', "\\\\").replace('"', "\\\"");
    Ok(format!("\"{escaped}\""))
}

/// The `[client]` option file for `uri` (user, password, host, port, socket).
pub fn mysql_cnf(uri: &DbUri) -> Result<String> {
    let mut s = String::from("[client]\n");
    if let Some(u) = &uri.user {
        s.push_str(&format!("user={}\n", cnf_value(u)?));
    }
    if let Some(p) = &uri.password {
        s.push_str(&format!("password={}\n", cnf_value(p)?));
    }
    if let Some(sock) = uri.param("unix_socket") {
        s.push_str(&format!("socket={}\n", cnf_value(sock)?));
    } else {
        let host = uri.host.as_deref().unwrap_or("localhost");
        s.push_str(&format!("host={}\n", cnf_value(host)?));
        if let Some(p) = uri.port {
            s.push_str(&format!("port={p}\n"));
        }
    }
    Ok(s)
}

/// A MySQL option file with the credentials, in a private directory, removed on drop.
pub struct MyCnf {
    dir: PrivateDir,
}

impl MyCnf {
    /// Writes the option file for `uri`.
    pub fn new(uri: &DbUri) -> Result<Self> {
        let dir = PrivateDir::new(&std::env::temp_dir(), "mfactl-backup-cnf-")?;
        write_private(&dir.path().join("my.cnf"), mysql_cnf(uri)?.as_bytes())?;
        Ok(MyCnf { dir })
    }
    /// `--defaults-extra-file=<path>` (must be the first argument).
    pub fn arg(&self) -> String {
        format!(
            "--defaults-extra-file={}",
            self.dir.path().join("my.cnf").display()
        )
    }
}

/// Collects a child's stderr in a thread (so a full pipe never blocks it).
pub struct StderrTail {
    handle: Option<std::thread::JoinHandle<String>>,
}

impl StderrTail {
    /// Starts reading the child's stderr.
    pub fn start(child: &mut Child) -> Self {
        let handle = child.stderr.take().map(|mut s| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = std::io::Read::read_to_end(&mut s, &mut buf);
                let text = String::from_utf8_lossy(&buf).into_owned();
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            })
        });
        StderrTail { handle }
    }
    /// The last lines of stderr.
    pub fn finish(mut self) -> String {
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

/// Spawns `cmd` with piped stdio (stdin as given).
pub fn spawn(cmd: &mut Command, stdin: Stdio, what: &str) -> Result<Child> {
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::failed(format!("cannot start {what}")).with_source(&e))
}

/// Runs `cmd` to completion with `input` on stdin; returns stdout or an error with stderr.
pub fn run_capture(cmd: &mut Command, input: Option<&[u8]>, what: &str) -> Result<String> {
    let mut child = spawn(
        cmd,
        if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        },
        what,
    )?;
    if let (Some(data), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(data)
            .map_err(|e| Error::failed(format!("cannot write to {what}")).with_source(&e))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::failed(format!("{what} failed")).with_source(&e))?;
    if !out.status.success() {
        return Err(
            Error::failed(format!("{what} failed ({})", exit_text(out.status)))
                .with_cause(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `exit code N` or `killed by signal N`.
pub fn exit_text(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "unknown status".into(),
    }
}

/// The version line of a tool (`pg_dump (PostgreSQL) 15.18`).
pub fn tool_version(tool: &Path) -> String {
    Command::new(tool)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| tool.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnf_quotes_and_decodes() {
        let u = DbUri::parse("mysql+pymysql://pi:ab%25c%22d@127.0.0.1:3307/pi").expect("p");
        let c = mysql_cnf(&u).expect("cnf");
        assert!(c.contains("password=\"ab%c\\\"d\"\n"), "{c}");
        assert!(c.contains("host=\"127.0.0.1\"\nport=3307\n"), "{c}");
    }

    #[test]
    fn pg_env_has_password_not_argv() {
        let u = DbUri::parse("postgresql://u:p%40ss@h:5433/db").expect("p");
        let env = pg_env(&u, None);
        assert!(env.contains(&("PGPASSWORD".into(), "p@ss".into())));
        assert!(env.contains(&("PGPORT".into(), "5433".into())));
        assert!(env.contains(&("PGDATABASE".into(), "db".into())));
    }
}
