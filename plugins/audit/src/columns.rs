//! The columns of `pidea_audit` and Python's `str()` of their values.

use crate::pystr::timedelta_str;
use mfactl_plugin_api::{Dialect, Value};

/// How privacyIDEA's model types a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Integer (`id`, `success`).
    Int,
    /// DateTime (`date`, `startdate`).
    DateTime,
    /// Interval (`duration`): 1970-01-01 plus the interval outside PostgreSQL.
    Duration,
    /// Unicode.
    Text,
}

/// Every model attribute of `LogEntry` that maps to a column, with its kind.
pub const COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("date", Kind::DateTime),
    ("startdate", Kind::DateTime),
    ("duration", Kind::Duration),
    ("signature", Kind::Text),
    ("action", Kind::Text),
    ("success", Kind::Int),
    ("authentication", Kind::Text),
    ("serial", Kind::Text),
    ("token_type", Kind::Text),
    ("container_serial", Kind::Text),
    ("container_type", Kind::Text),
    ("user", Kind::Text),
    ("realm", Kind::Text),
    ("resolver", Kind::Text),
    ("administrator", Kind::Text),
    ("action_detail", Kind::Text),
    ("info", Kind::Text),
    ("privacyidea_server", Kind::Text),
    ("client", Kind::Text),
    ("user_agent", Kind::Text),
    ("user_agent_version", Kind::Text),
    ("loglevel", Kind::Text),
    ("clearance_level", Kind::Text),
    ("thread_id", Kind::Text),
    ("policies", Kind::Text),
];

/// The kind of a model attribute, `None` when the model has no such column.
pub fn kind_of(name: &str) -> Option<Kind> {
    COLUMNS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// The select expression for a column (quoted; `AS` its own name).
pub fn select_expr(dialect: Dialect, name: &str) -> String {
    let q = dialect.quote(name);
    format!("{q} AS {q}")
}

/// Microseconds of an interval column value (`Timestamp` of 1970 + interval, or its text).
pub fn duration_micros(v: &Value) -> Option<i64> {
    match v {
        Value::Null => None,
        Value::Int(i) => Some(*i),
        Value::Real(f) => Some((*f * 1e6).round() as i64),
        other => crate::fasttime::micros(other),
    }
}

/// Python `str(getattr(entry, column))` of a value read from the database.
pub fn py_str(kind: Kind, v: &Value) -> String {
    if v.is_null() {
        return "None".into();
    }
    match kind {
        Kind::Int => match v {
            Value::Real(f) => format!("{}", *f as i64),
            other => other.to_text(),
        },
        Kind::DateTime => match crate::fasttime::micros(v) {
            Some(m) => {
                let mut s = String::with_capacity(26);
                crate::fasttime::push_datetime(&mut s, m, ' ');
                s
            }
            None => v.to_text(),
        },
        Kind::Duration => match duration_micros(v) {
            Some(m) => timedelta_str(m),
            None => v.to_text(),
        },
        Kind::Text => v.to_text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_strs() {
        assert_eq!(py_str(Kind::Text, &Value::Null), "None");
        assert_eq!(py_str(Kind::Int, &Value::Int(1)), "1");
        assert_eq!(
            py_str(Kind::DateTime, &Value::text("2026-01-02 03:04:07.000000")),
            "2026-01-02 03:04:07"
        );
        assert_eq!(
            py_str(Kind::Duration, &Value::text("1970-01-01 00:00:00.111111")),
            "0:00:00.111111"
        );
        assert_eq!(kind_of("log_level"), None);
        assert_eq!(kind_of("loglevel"), Some(Kind::Text));
    }
}
