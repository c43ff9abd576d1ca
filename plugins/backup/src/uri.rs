//! SQLAlchemy database URIs, parsed without any help from the host (the dump tools need the
//! decoded parts: user, password, host, port, database, socket).

use mfactl_plugin_api::{Error, Result};
use percent_encoding::percent_decode_str;

/// The engine family of a URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// SQLite (a file).
    Sqlite,
    /// PostgreSQL.
    Postgresql,
    /// MySQL or MariaDB.
    Mysql,
}

impl Engine {
    /// `sqlite`, `postgresql`, `mysql` (the names used in the manifest).
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgresql => "postgresql",
            Engine::Mysql => "mysql",
        }
    }
}

/// A decoded database URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUri {
    /// The engine.
    pub engine: Engine,
    /// The scheme as written (`mysql+pymysql`, …).
    pub scheme: String,
    /// User name, decoded.
    pub user: Option<String>,
    /// Password, decoded.
    pub password: Option<String>,
    /// Host name (may be empty for a socket connection).
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database name (PostgreSQL/MySQL) or file path (SQLite), decoded.
    pub database: String,
    /// Query parameters, decoded.
    pub query: Vec<(String, String)>,
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

impl DbUri {
    /// Parses a SQLAlchemy URI.
    pub fn parse(uri: &str) -> Result<DbUri> {
        let uri = uri.trim();
        let (scheme, rest) = uri
            .split_once("://")
            .ok_or_else(|| Error::config(format!("not a database URI: {}", redact(uri))))?;
        let base = scheme.split('+').next().unwrap_or("").to_ascii_lowercase();
        let engine = match base.as_str() {
            "sqlite" => Engine::Sqlite,
            "postgresql" | "postgres" | "pgsql" => Engine::Postgresql,
            "mysql" | "mariadb" => Engine::Mysql,
            other => {
                return Err(Error::config(format!(
                    "unsupported database type {other:?} in the database URI"
                ))
                .with_hint("mfactl backup supports sqlite, postgresql, mysql and mariadb URIs"))
            }
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, q),
            None => (rest, ""),
        };
        let query: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            })
            .collect();
        if engine == Engine::Sqlite {
            // sqlite:////abs/path → "/abs/path"; sqlite:///rel → "rel"; sqlite:// → memory.
            let path = rest.strip_prefix('/').unwrap_or(rest);
            return Ok(DbUri {
                engine,
                scheme: scheme.to_string(),
                user: None,
                password: None,
                host: None,
                port: None,
                database: decode(path),
                query,
            });
        }
        let (netloc, db) = match rest.split_once('/') {
            Some((n, d)) => (n, d),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match netloc.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, netloc),
        };
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((n, p)) => (Some(decode(n)), Some(decode(p))),
                None => (Some(decode(u)), None),
            },
            None => (None, None),
        };
        let (host, port) = if let Some(stripped) = hostport.strip_prefix('[') {
            // [ipv6]:port
            match stripped.split_once(']') {
                Some((h, p)) => (h.to_string(), p.strip_prefix(':').unwrap_or("")),
                None => (stripped.to_string(), ""),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p),
                None => (hostport.to_string(), ""),
            }
        };
        let port =
            if port.is_empty() {
                None
            } else {
                Some(port.parse::<u16>().map_err(|_| {
                    Error::config(format!("invalid port {port:?} in the database URI"))
                })?)
            };
        Ok(DbUri {
            engine,
            scheme: scheme.to_string(),
            user: user.filter(|u| !u.is_empty()),
            password,
            host: if host.is_empty() {
                None
            } else {
                Some(decode(&host))
            },
            port,
            database: decode(db),
            query,
        })
    }

    /// A query parameter.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The absolute SQLite path (relative paths are resolved against the working directory).
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        if self.engine != Engine::Sqlite || self.database.is_empty() || self.database == ":memory:"
        {
            return None;
        }
        let p = std::path::PathBuf::from(&self.database);
        if p.is_absolute() {
            Some(p)
        } else {
            std::env::current_dir().ok().map(|d| d.join(p))
        }
    }
}

/// The URI with the password replaced by `***`.
pub fn redact(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return uri.to_string();
    };
    let (netloc, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    match netloc.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((u, _)) => format!("{scheme}://{u}:***@{host}{tail}"),
            None => uri.to_string(),
        },
        None => uri.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mysql_with_encoded_password() {
        let u = DbUri::parse("mysql+pymysql://pi:ab%25cd%40x@db.example:3307/pi?charset=utf8mb4")
            .expect("parse");
        assert_eq!(u.engine, Engine::Mysql);
        assert_eq!(u.user.as_deref(), Some("pi"));
        assert_eq!(u.password.as_deref(), Some("ab%cd@x"));
        assert_eq!(u.host.as_deref(), Some("db.example"));
        assert_eq!(u.port, Some(3307));
        assert_eq!(u.database, "pi");
        assert_eq!(u.param("charset"), Some("utf8mb4"));
    }

    #[test]
    fn parses_sqlite_paths() {
        let u = DbUri::parse("sqlite:////var/lib/pi/pi.sqlite").expect("parse");
        assert_eq!(u.sqlite_path(), Some("/var/lib/pi/pi.sqlite".into()));
        let u = DbUri::parse("sqlite:///rel.db").expect("parse");
        assert_eq!(u.database, "rel.db");
        assert!(u.sqlite_path().expect("path").is_absolute());
    }

    #[test]
    fn parses_postgres_socket_and_ipv6() {
        let u = DbUri::parse("postgresql+psycopg2://pi@/pidb?host=/run/postgresql").expect("p");
        assert_eq!(u.engine, Engine::Postgresql);
        assert_eq!(u.host, None);
        assert_eq!(u.param("host"), Some("/run/postgresql"));
        let u = DbUri::parse("postgresql://u:p@[::1]:5433/d").expect("p");
        assert_eq!(u.host.as_deref(), Some("::1"));
        assert_eq!(u.port, Some(5433));
    }

    #[test]
    fn redacts_password() {
        assert_eq!(
            redact("postgresql://u:secret@h/db"),
            "postgresql://u:***@h/db".to_string()
        );
        assert_eq!(redact("sqlite:////x"), "sqlite:////x");
    }

    #[test]
    fn rejects_unknown_scheme() {
        assert!(DbUri::parse("oracle://x/y").is_err());
    }
}
