//! The `admin` table: `username` (primary key, 120), `password` (255, nullable), `email` (255,
//! nullable). No id, no sequence.

use mfactl_plugin_api::{DbTarget, Dialect, Error, Host, Result, Value};

/// One row of the `admin` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRow {
    /// Login name.
    pub username: String,
    /// The password hash, if any.
    pub password: Option<String>,
    /// The email address, if any.
    pub email: Option<String>,
}

const DB: DbTarget = DbTarget::Main;

fn table(d: Dialect) -> String {
    d.quote("admin")
}

fn text_opt(v: Option<&Value>) -> Option<String> {
    v.filter(|v| !v.is_null()).map(|v| v.to_text())
}

/// Checks the lengths the schema allows, before the database truncates or refuses them.
pub fn check_lengths(username: &str, email: Option<&str>) -> Result<()> {
    if username.is_empty() {
        return Err(Error::usage("the username is empty"));
    }
    if username.chars().count() > 120 {
        return Err(Error::usage("the username is longer than 120 characters"));
    }
    if email.is_some_and(|e| e.chars().count() > 255) {
        return Err(Error::usage(
            "the email address is longer than 255 characters",
        ));
    }
    Ok(())
}

/// The admin named `username`, if any.
pub fn get(host: &Host, username: &str) -> Result<Option<AdminRow>> {
    let d = host.dialect(DB)?;
    let sql = format!(
        "SELECT username, password, email FROM {} WHERE username = {}",
        table(d),
        d.placeholder(1)
    );
    let rows = host.query(DB, &sql, vec![Value::text(username)])?;
    Ok(rows.rows.first().map(|r| AdminRow {
        username: r.first().map(|v| v.to_text()).unwrap_or_default(),
        password: text_opt(r.get(1)),
        email: text_opt(r.get(2)),
    }))
}

/// Every admin, ordered by username.
pub fn list(host: &Host) -> Result<Vec<AdminRow>> {
    let d = host.dialect(DB)?;
    let sql = format!(
        "SELECT username, password, email FROM {} ORDER BY username",
        table(d)
    );
    let rows = host.query(DB, &sql, vec![])?;
    Ok(rows
        .rows
        .iter()
        .map(|r| AdminRow {
            username: r.first().map(|v| v.to_text()).unwrap_or_default(),
            password: text_opt(r.get(1)),
            email: text_opt(r.get(2)),
        })
        .collect())
}

/// Inserts a new admin.
pub fn insert(host: &Host, row: &AdminRow) -> Result<()> {
    let d = host.dialect(DB)?;
    let sql = format!(
        "INSERT INTO {} (username, password, email) VALUES ({})",
        table(d),
        d.placeholders(1, 3)
    );
    host.execute(
        DB,
        &sql,
        vec![
            Value::text(row.username.as_str()),
            Value::opt_text(row.password.as_deref()),
            Value::opt_text(row.email.as_deref()),
        ],
    )?;
    Ok(())
}

/// Sets the password hash and/or the email of an existing admin; returns the rows changed.
pub fn update(
    host: &Host,
    username: &str,
    password: Option<&str>,
    email: Option<&str>,
) -> Result<u64> {
    let d = host.dialect(DB)?;
    let mut sets = Vec::new();
    let mut params = Vec::new();
    if let Some(p) = password {
        params.push(Value::text(p));
        sets.push(format!("password = {}", d.placeholder(params.len())));
    }
    if let Some(e) = email {
        params.push(Value::text(e));
        sets.push(format!("email = {}", d.placeholder(params.len())));
    }
    if sets.is_empty() {
        return Ok(0);
    }
    params.push(Value::text(username));
    let sql = format!(
        "UPDATE {} SET {} WHERE username = {}",
        table(d),
        sets.join(", "),
        d.placeholder(params.len())
    );
    host.execute(DB, &sql, params)
}

/// Deletes an admin; returns the rows deleted.
pub fn delete(host: &Host, username: &str) -> Result<u64> {
    let d = host.dialect(DB)?;
    let sql = format!(
        "DELETE FROM {} WHERE username = {}",
        table(d),
        d.placeholder(1)
    );
    host.execute(DB, &sql, vec![Value::text(username)])
}
