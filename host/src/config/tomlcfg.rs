//! mfactl's own TOML config format. Unknown keys are errors naming the file and key.

use super::{Origin, PluginSettings, Settings};
use mfactl_plugin_api::Error;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

const TOP_KEYS: &[&str] = &["plugin_dirs", "privacyidea", "plugins"];
const PLUGIN_KEYS_HOST: &[&str] = &["enabled", "mount", "sha256", "override_builtin"];

fn bad(path: &Path, key: &str, what: &str) -> Error {
    Error::config(format!("{}: {key}: {what}", path.display()))
}

/// Parses an mfactl.toml.
pub fn parse(path: &Path, text: &str) -> Result<Settings, Error> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        Error::config(format!("{}: invalid TOML", path.display()))
            .with_cause(e.to_string().trim_end())
    })?;
    let mut s = Settings::default();
    for (key, value) in &table {
        match key.as_str() {
            "plugin_dirs" => {
                let arr = value
                    .as_array()
                    .ok_or_else(|| bad(path, key, "must be an array of paths"))?;
                for d in arr {
                    let d = d
                        .as_str()
                        .ok_or_else(|| bad(path, key, "must be an array of paths"))?;
                    s.plugin_dirs.push(PathBuf::from(d));
                }
            }
            "privacyidea" => {
                let t = value
                    .as_table()
                    .ok_or_else(|| bad(path, key, "must be a table"))?;
                for (k, v) in t {
                    if !is_upper_key(k) {
                        return Err(bad(
                            path,
                            &format!("privacyidea.{k}"),
                            "unknown key (pi.cfg keys are upper case)",
                        ));
                    }
                    s.values.insert(
                        k.clone(),
                        (toml_to_json(v), Origin::File(path.to_path_buf())),
                    );
                }
            }
            "plugins" => {
                let t = value
                    .as_table()
                    .ok_or_else(|| bad(path, key, "must be a table of tables"))?;
                for (noun, pv) in t {
                    let pt = pv
                        .as_table()
                        .ok_or_else(|| bad(path, &format!("plugins.{noun}"), "must be a table"))?;
                    s.plugins
                        .insert(noun.clone(), plugin_settings(path, noun, pt)?);
                }
            }
            other => {
                return Err(bad(path, other, "unknown key")
                    .with_hint(format!("allowed top-level keys: {}", TOP_KEYS.join(", "))));
            }
        }
    }
    Ok(s)
}

fn plugin_settings(path: &Path, noun: &str, t: &toml::Table) -> Result<PluginSettings, Error> {
    let mut p = PluginSettings {
        enabled: true,
        table: toml_to_json(&toml::Value::Table(t.clone())),
        ..Default::default()
    };
    for k in PLUGIN_KEYS_HOST {
        let Some(v) = t.get(*k) else { continue };
        let key = format!("plugins.{noun}.{k}");
        match *k {
            "enabled" => {
                p.enabled = v
                    .as_bool()
                    .ok_or_else(|| bad(path, &key, "must be true or false"))?
            }
            "override_builtin" => {
                p.override_builtin = v
                    .as_bool()
                    .ok_or_else(|| bad(path, &key, "must be true or false"))?
            }
            "mount" => {
                p.mount = Some(
                    v.as_str()
                        .ok_or_else(|| bad(path, &key, "must be a string"))?
                        .to_string(),
                )
            }
            "sha256" => {
                let h = v
                    .as_str()
                    .ok_or_else(|| bad(path, &key, "must be a hex string"))?;
                if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(bad(path, &key, "must be 64 hex digits"));
                }
                p.sha256 = Some(h.to_ascii_lowercase());
            }
            _ => {}
        }
    }
    Ok(p)
}

fn is_upper_key(k: &str) -> bool {
    k.chars().any(|c| c.is_ascii_uppercase())
        && k.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn toml_to_json(v: &toml::Value) -> Json {
    match v {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => Json::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(a) => Json::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Json::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_top_level_key_names_file_and_key() {
        let e = parse(Path::new("/etc/m.toml"), "plugin_dir = []\n").expect_err("unknown key");
        assert!(e.message.contains("/etc/m.toml"));
        assert!(e.message.contains("plugin_dir"));
    }

    #[test]
    fn lower_case_privacyidea_key_is_rejected() {
        let e =
            parse(Path::new("/m.toml"), "[privacyidea]\nsecret_key = 'x'\n").expect_err("lower");
        assert!(
            e.message.contains("privacyidea.secret_key"),
            "{}",
            e.message
        );
    }

    #[test]
    fn plugin_table_is_kept_whole() {
        let s = parse(
            Path::new("/m.toml"),
            "plugin_dirs = ['/usr/lib/mfactl']\n[plugins.hello]\nenabled = false\nmount = 'hi'\ngreeting = 'yo'\n",
        )
        .expect("parse");
        let p = s.plugin("hello");
        assert!(!p.enabled);
        assert_eq!(p.mount.as_deref(), Some("hi"));
        assert_eq!(p.table["greeting"], "yo");
        assert_eq!(s.plugin_dirs, vec![PathBuf::from("/usr/lib/mfactl")]);
    }

    #[test]
    fn bad_sha256_pin_is_rejected() {
        assert!(parse(Path::new("/m.toml"), "[plugins.x]\nsha256 = 'abc'\n").is_err());
    }
}
