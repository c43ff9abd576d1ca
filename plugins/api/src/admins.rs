//! Whether an administrator exists (the `admin` table, main database).

use mfactl_plugin_api::{DbTarget, Host, Result, Value};

/// True when the `admin` table has a row for `username`.
pub fn admin_exists(host: &Host, username: &str) -> Result<bool> {
    let d = host.dialect(DbTarget::Main)?;
    let sql = format!(
        "SELECT COUNT(*) FROM {} WHERE username = {}",
        d.quote("admin"),
        d.placeholder(1)
    );
    let rows = host.query(DbTarget::Main, &sql, vec![Value::text(username)])?;
    Ok(rows.scalar().and_then(|v| v.as_i64()).unwrap_or(0) > 0)
}
