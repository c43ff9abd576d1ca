//! Reading and rewriting `SQLALCHEMY_DATABASE_URI` in a restored pi.cfg or mfactl.toml.

/// Is this a TOML config (by name)?
fn is_toml(name: &str) -> bool {
    name.ends_with(".toml")
}

fn unquote_python(v: &str) -> Option<String> {
    let v = v.trim();
    let v = v.trim_start_matches(['r', 'R', 'u', 'U']);
    let q = v.chars().next()?;
    if q != '\'' && q != '"' {
        return None;
    }
    let body = &v[1..];
    let end = body.find(q)?;
    Some(body[..end].replace("\\\\", "\\"))
}

/// The database URI in the config text, if any.
pub fn uri_of(name: &str, text: &str) -> Option<String> {
    if is_toml(name) {
        let t: toml::Table = text.parse().ok()?;
        return t
            .get("privacyidea")?
            .get("SQLALCHEMY_DATABASE_URI")?
            .as_str()
            .map(str::to_string);
    }
    let mut found = None;
    for line in text.lines() {
        let l = line.trim_start();
        if let Some(rest) = l.strip_prefix("SQLALCHEMY_DATABASE_URI") {
            let rest = rest.trim_start();
            if let Some(v) = rest.strip_prefix('=') {
                if let Some(u) = unquote_python(v.split('#').next().unwrap_or(v)) {
                    found = Some(u);
                }
            }
        }
    }
    found
}

fn python_repr(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Replaces the URI line with `live` (pi-manage's `--keep-db-uri`): every matching line is
/// rewritten; a pi.cfg without one gets it appended.
pub fn rewrite_uri(name: &str, text: &str, live: &str) -> String {
    let value = if is_toml(name) {
        toml_str(live)
    } else {
        python_repr(live)
    };
    let mut out = String::with_capacity(text.len() + 64);
    let mut replaced = false;
    for line in text.split_inclusive('\n') {
        let l = line.trim_start();
        let is_uri = l
            .strip_prefix("SQLALCHEMY_DATABASE_URI")
            .is_some_and(|r| r.trim_start().starts_with('='));
        if is_uri && line.len() == l.len() {
            out.push_str(&format!("SQLALCHEMY_DATABASE_URI = {value}"));
            if line.ends_with('\n') {
                out.push('\n');
            }
            replaced = true;
        } else {
            out.push_str(line);
        }
    }
    if !replaced && !is_toml(name) {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("SQLALCHEMY_DATABASE_URI = {value}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pi_cfg_and_toml() {
        let cfg =
            "SECRET_KEY = b'x'\nSQLALCHEMY_DATABASE_URI = 'mysql+pymysql://pi:pw@h/pi'  # c\n";
        assert_eq!(
            uri_of("etc/privacyidea/pi.cfg", cfg).as_deref(),
            Some("mysql+pymysql://pi:pw@h/pi")
        );
        let t = "[privacyidea]\nSQLALCHEMY_DATABASE_URI = \"sqlite:////x/pi.sqlite\"\n";
        assert_eq!(
            uri_of("x/mfactl.toml", t).as_deref(),
            Some("sqlite:////x/pi.sqlite")
        );
    }

    #[test]
    fn rewrites_like_pi_manage() {
        let cfg = "A = 1\nSQLALCHEMY_DATABASE_URI = 'old'\nB = 2\n";
        assert_eq!(
            rewrite_uri("pi.cfg", cfg, "new'x"),
            "A = 1\nSQLALCHEMY_DATABASE_URI = 'new\\'x'\nB = 2\n"
        );
        assert_eq!(
            rewrite_uri("pi.cfg", "A = 1", "u"),
            "A = 1\nSQLALCHEMY_DATABASE_URI = 'u'\n"
        );
        let t = "[privacyidea]\nSQLALCHEMY_DATABASE_URI = \"old\"\n";
        assert_eq!(
            rewrite_uri("m.toml", t, "new"),
            "[privacyidea]\nSQLALCHEMY_DATABASE_URI = \"new\"\n"
        );
    }
}
