//! Database URLs as they appear in real pi.cfg files (SQLAlchemy style).

use mfactl_plugin_api::{Dialect, Error};
use percent_encoding::percent_decode_str;
use std::path::PathBuf;

/// A parsed database URL.
#[derive(Clone, PartialEq)]
pub struct DbUrl {
    /// The dialect.
    pub dialect: Dialect,
    /// The scheme was `mariadb…`.
    pub mariadb_uri: bool,
    /// Host name or address (empty for SQLite).
    pub host: String,
    /// Port, if given.
    pub port: Option<u16>,
    /// User name (percent-decoded).
    pub user: String,
    /// Password (percent-decoded).
    pub password: Option<String>,
    /// Database name (percent-decoded).
    pub database: String,
    /// SQLite file (relative paths are relative to the current directory).
    pub sqlite_path: PathBuf,
    /// Query options (`charset=utf8`, `host=/run/postgresql`, `unix_socket=…`).
    pub query: Vec<(String, String)>,
    /// The text as configured.
    pub original: String,
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Parses an SQLAlchemy-style URL.
pub fn parse(url: &str) -> Result<DbUrl, Error> {
    let bad = |why: &str| {
        Error::config(format!("unsupported database URL {}", redact_text(url)))
            .with_cause(why.to_string())
            .with_hint("use sqlite:////abs/path, postgresql://user:pw@host/db or mysql+pymysql://user:pw@host/db")
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("missing `://`"))?;
    let scheme_lc = scheme.to_ascii_lowercase();
    let base = scheme_lc.split('+').next().unwrap_or("");
    let mut u = DbUrl {
        dialect: Dialect::Sqlite,
        mariadb_uri: false,
        host: String::new(),
        port: None,
        user: String::new(),
        password: None,
        database: String::new(),
        sqlite_path: PathBuf::new(),
        query: Vec::new(),
        original: url.to_string(),
    };
    match base {
        "sqlite" => {
            // sqlite:////abs → "/abs"; sqlite:///rel → "rel"
            let path = rest.strip_prefix('/').ok_or_else(|| {
                bad("SQLite URLs look like sqlite:////abs/path or sqlite:///relative/path")
            })?;
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() || path == ":memory:" {
                return Err(bad(
                    "an SQLite URL needs a file path (in-memory databases are not supported)",
                ));
            }
            u.sqlite_path = PathBuf::from(decode(path));
            return Ok(u);
        }
        "postgresql" | "postgres" => u.dialect = Dialect::Postgres,
        "mysql" => u.dialect = Dialect::Mysql,
        "mariadb" => {
            u.dialect = Dialect::Mysql;
            u.mariadb_uri = true;
        }
        _ => return Err(bad(&format!("unknown scheme {scheme:?}"))),
    }
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    if let Some(q) = query {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            u.query.push((decode(k), decode(v)));
        }
    }
    let (netloc, db) = match main.split_once('/') {
        Some((n, d)) => (n, d),
        None => (main, ""),
    };
    u.database = decode(db);
    let (auth, hostport) = match netloc.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, netloc),
    };
    if let Some(a) = auth {
        match a.split_once(':') {
            Some((user, pw)) => {
                u.user = decode(user);
                u.password = Some(decode(pw));
            }
            None => u.user = decode(a),
        }
    }
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        let (h, after) = h.split_once(']').ok_or_else(|| bad("unclosed [ in host"))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    u.host = decode(&host);
    if let Some(p) = port.filter(|p| !p.is_empty()) {
        u.port = Some(p.parse().map_err(|_| bad(&format!("bad port {p:?}")))?);
    }
    Ok(u)
}

impl DbUrl {
    /// The URL with the password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact_text(&self.original)
    }

    /// A query option.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The SQLite path made absolute against the current directory.
    pub fn sqlite_abs(&self) -> PathBuf {
        std::path::absolute(&self.sqlite_path).unwrap_or_else(|_| self.sqlite_path.clone())
    }

    /// `host:port/database` for messages.
    pub fn place(&self) -> String {
        match self.dialect {
            Dialect::Sqlite => self.sqlite_abs().display().to_string(),
            _ => format!(
                "host {} port {} database {}",
                if self.host.is_empty() {
                    "localhost"
                } else {
                    &self.host
                },
                self.port
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "default".into()),
                self.database
            ),
        }
    }
}

/// Replaces the password part of `scheme://user:password@…` with `***`.
pub fn redact_text(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let netloc_end = rest.find('/').unwrap_or(rest.len());
    let netloc = &rest[..netloc_end];
    if let Some((auth, host)) = netloc.rsplit_once('@') {
        if let Some((user, _)) = auth.split_once(':') {
            return format!("{scheme}://{user}:***@{host}{}", &rest[netloc_end..]);
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_forms() {
        let u = parse("sqlite:////var/lib/pi/pi.sqlite").expect("abs");
        assert_eq!(u.sqlite_path, PathBuf::from("/var/lib/pi/pi.sqlite"));
        let u = parse("sqlite:///data/pi.sqlite").expect("rel");
        assert_eq!(u.sqlite_path, PathBuf::from("data/pi.sqlite"));
        assert!(parse("sqlite://").is_err());
    }

    #[test]
    fn server_forms_and_percent_encoding() {
        let u =
            parse("postgresql+psycopg2://pi:p%40ss%3Aw%2Frd@db.example:5433/pi%5Fdb").expect("pg");
        assert_eq!(u.dialect, Dialect::Postgres);
        assert_eq!(u.user, "pi");
        assert_eq!(u.password.as_deref(), Some("p@ss:w/rd"));
        assert_eq!(u.host, "db.example");
        assert_eq!(u.port, Some(5433));
        assert_eq!(u.database, "pi_db");
        assert_eq!(
            u.redacted(),
            "postgresql+psycopg2://pi:***@db.example:5433/pi%5Fdb"
        );
        let u = parse("mysql+pymysql://pi:pw@127.0.0.1/pi?charset=utf8").expect("my");
        assert_eq!(u.dialect, Dialect::Mysql);
        assert!(!u.mariadb_uri);
        assert_eq!(u.option("charset"), Some("utf8"));
        let u = parse("mariadb+pymysql://pi:pw@[::1]:3306/pi").expect("maria");
        assert!(u.mariadb_uri);
        assert_eq!(u.host, "::1");
        assert!(parse("postgres://u@h/d").is_ok());
        assert!(parse("mysql://u:p@h/d").is_ok());
    }

    #[test]
    fn unsupported_scheme_is_clear() {
        let e = parse("oracle://scott:tiger@h/db").expect_err("oracle");
        assert!(e.message.contains("scott:***@h"), "{}", e.message);
        assert!(e.causes[0].contains("oracle"));
    }
}
