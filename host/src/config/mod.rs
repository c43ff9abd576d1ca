//! Configuration: which file, how it is read, and the resolved [`Settings`].
//!
//! Order: `--config`, `MFACTL_CONFIG`, `PRIVACYIDEA_CONFIGFILE`, `/etc/privacyidea/mfactl.toml`,
//! `/etc/privacyidea/pi.cfg`. `.toml` files are mfactl's own format; anything else is read as a
//! pi.cfg (a safe subset of Python, parsed, never executed).

pub mod picfg;
mod tomlcfg;

use mfactl_plugin_api::Error;
use picfg::PyValue;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A config file.
    File(PathBuf),
    /// An environment variable.
    Env(String),
    /// mfactl's built-in default.
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Env(v) => write!(f, "env {v}"),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// One plugin's `[plugins.<noun>]` table.
#[derive(Debug, Clone, Default)]
pub struct PluginSettings {
    /// `enabled = false` hides the plugin.
    pub enabled: bool,
    /// Expose the plugin under another noun.
    pub mount: Option<String>,
    /// Refuse the file unless its SHA-256 matches.
    pub sha256: Option<String>,
    /// Let an external plugin replace the built-in of the same noun.
    pub override_builtin: bool,
    /// The whole table, for the plugin itself.
    pub table: Json,
}

/// The effective settings, resolved once.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The config file read, if any.
    pub file: Option<PathBuf>,
    /// pi.cfg keys (`SQLALCHEMY_DATABASE_URI`, `PI_ENCFILE`, …) as JSON values; bytes literals as
    /// `{"$bytes": "<hex>"}`.
    pub values: BTreeMap<String, (Json, Origin)>,
    /// Plugin directories from the config file.
    pub plugin_dirs: Vec<PathBuf>,
    /// Per-plugin tables.
    pub plugins: BTreeMap<String, PluginSettings>,
}

/// Keys that hold secrets; `config show` redacts them.
pub const SECRET_KEYS: &[&str] = &[
    "SECRET_KEY",
    "PI_PEPPER",
    "PI_ENCFILE_PASSWORD",
    "PI_HSM_MODULE_PASSWORD",
];

/// Environment variables that override single settings.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("MFACTL_DATABASE_URI", "SQLALCHEMY_DATABASE_URI"),
    ("MFACTL_AUDIT_DATABASE_URI", "PI_AUDIT_SQL_URI"),
    ("MFACTL_ENCFILE", "PI_ENCFILE"),
];

/// The candidate files in order, with the reason each is a candidate.
pub fn candidates(
    flag: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(PathBuf, String)> {
    let mut v = Vec::new();
    if let Some(p) = flag {
        v.push((p.to_path_buf(), "--config".to_string()));
        return v;
    }
    if let Some(p) = env("MFACTL_CONFIG").filter(|s| !s.is_empty()) {
        v.push((PathBuf::from(p), "MFACTL_CONFIG".to_string()));
        return v;
    }
    if let Some(p) = env("PRIVACYIDEA_CONFIGFILE").filter(|s| !s.is_empty()) {
        v.push((PathBuf::from(p), "PRIVACYIDEA_CONFIGFILE".to_string()));
        return v;
    }
    v.push((
        PathBuf::from("/etc/privacyidea/mfactl.toml"),
        "default".to_string(),
    ));
    v.push((
        PathBuf::from("/etc/privacyidea/pi.cfg"),
        "default".to_string(),
    ));
    v
}

/// Finds and reads the config file. A file named explicitly must exist; of the defaults the
/// first that exists is used; none at all is an error naming every path tried.
pub fn load(flag: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, Error> {
    let cands = candidates(flag, env);
    let mut tried = Vec::new();
    for (path, why) in &cands {
        match std::fs::read_to_string(path) {
            Ok(text) => return from_text(path, &text, env),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && why == "default" => {
                tried.push(format!("{} ({why}): not found", path.display()));
            }
            Err(e) => {
                return Err(
                    Error::config(format!("cannot read config file {}", path.display()))
                        .with_cause(format!("{e} (given by {why})"))
                        .with_hint("check the path and its permissions"),
                );
            }
        }
    }
    let mut err = Error::config("no configuration file found");
    for t in tried {
        err = err.with_cause(format!("tried {t}"));
    }
    Err(err.with_hint(
        "pass --config FILE, set MFACTL_CONFIG or PRIVACYIDEA_CONFIGFILE, or create one with `mfactl setup init DIR`",
    ))
}

/// Reads settings from the text of `path` (format by extension), then applies env overrides.
pub fn from_text(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, Error> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut s = if path.extension().is_some_and(|e| e == "toml") {
        tomlcfg::parse(&abs, text)?
    } else {
        let pairs = picfg::parse_picfg(&abs, text, env).map_err(|e| {
            Error::config(format!("{}:{}: {}", abs.display(), e.line, e.message))
                .with_hint("mfactl reads pi.cfg without running Python; only literals, `+`, os.path.*, os.environ.get and logging levels are supported")
        })?;
        let mut s = Settings::default();
        for (k, v) in pairs {
            s.values
                .insert(k, (py_to_json(&v), Origin::File(abs.clone())));
        }
        s
    };
    s.file = Some(abs);
    for (var, key) in ENV_OVERRIDES {
        if let Some(v) = env(var).filter(|v| !v.is_empty()) {
            s.values.insert(
                (*key).to_string(),
                (Json::String(v), Origin::Env((*var).to_string())),
            );
        }
    }
    Ok(s)
}

/// Converts a pi.cfg value to the JSON form used across the plugin boundary.
pub fn py_to_json(v: &PyValue) -> Json {
    match v {
        PyValue::None => Json::Null,
        PyValue::Bool(b) => Json::Bool(*b),
        PyValue::Int(i) => Json::from(*i),
        PyValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        PyValue::Str(s) => Json::String(s.clone()),
        PyValue::Bytes(b) => {
            let mut m = serde_json::Map::new();
            m.insert("$bytes".to_string(), Json::String(hex::encode(b)));
            Json::Object(m)
        }
        PyValue::List(l) => Json::Array(l.iter().map(py_to_json).collect()),
        PyValue::Dict(d) => {
            Json::Object(d.iter().map(|(k, v)| (k.clone(), py_to_json(v))).collect())
        }
    }
}

impl Settings {
    /// A setting as JSON text, for the `config_get` host call.
    pub fn get_json(&self, key: &str) -> Option<String> {
        self.values.get(key).map(|(v, _)| v.to_string())
    }

    /// A string setting.
    pub fn get_str(&self, key: &str) -> Option<String> {
        match self.values.get(key) {
            Some((Json::String(s), _)) => Some(s.clone()),
            Some((Json::Object(o), _)) => o
                .get("$bytes")
                .and_then(|h| h.as_str())
                .and_then(|h| hex::decode(h).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
            _ => None,
        }
    }

    /// The `[plugins.<noun>]` table, or defaults.
    pub fn plugin(&self, noun: &str) -> PluginSettings {
        self.plugins.get(noun).cloned().unwrap_or(PluginSettings {
            enabled: true,
            table: Json::Object(Default::default()),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn explicit_flag_wins_and_only_it_is_tried() {
        let c = candidates(Some(Path::new("/x/a.toml")), &|_| Some("/y".into()));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].0, PathBuf::from("/x/a.toml"));
    }

    #[test]
    fn env_order() {
        let env = |k: &str| match k {
            "PRIVACYIDEA_CONFIGFILE" => Some("/p/pi.cfg".to_string()),
            _ => None,
        };
        assert_eq!(candidates(None, &env)[0].0, PathBuf::from("/p/pi.cfg"));
        let env2 = |k: &str| match k {
            "MFACTL_CONFIG" => Some("/m.toml".to_string()),
            "PRIVACYIDEA_CONFIGFILE" => Some("/p/pi.cfg".to_string()),
            _ => None,
        };
        assert_eq!(candidates(None, &env2)[0].0, PathBuf::from("/m.toml"));
        assert_eq!(candidates(None, &no_env).len(), 2);
    }

    #[test]
    fn missing_explicit_file_is_an_error_naming_it() {
        let e = load(Some(Path::new("/nonexistent/mfactl.toml")), &no_env).expect_err("must fail");
        assert!(
            e.message.contains("/nonexistent/mfactl.toml"),
            "{}",
            e.message
        );
    }

    #[test]
    fn env_override_beats_file() {
        let s = from_text(
            Path::new("/t/mfactl.toml"),
            "[privacyidea]\nSQLALCHEMY_DATABASE_URI = \"sqlite:////a\"\n",
            &|k| (k == "MFACTL_DATABASE_URI").then(|| "sqlite:////b".to_string()),
        )
        .expect("parse");
        assert_eq!(
            s.get_str("SQLALCHEMY_DATABASE_URI").as_deref(),
            Some("sqlite:////b")
        );
    }
}
