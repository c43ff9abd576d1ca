//! Conveniences for [`Value`], [`Rows`], [`Timestamp`] and [`Dialect`].

use crate::error::{Error, Result};
use crate::ffi::{Dialect, Rows, Timestamp, Value};
use abi_stable::std_types::{RString, RVec};
use chrono::{DateTime, NaiveDateTime};

impl Dialect {
    /// The placeholder for the `n`-th parameter (1-based): `$n` on PostgreSQL, `?` elsewhere.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            _ => "?".to_string(),
        }
    }
    /// `n` placeholders starting at `first`, comma separated.
    pub fn placeholders(self, first: usize, n: usize) -> String {
        (first..first + n)
            .map(|i| self.placeholder(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// Quotes an identifier for this dialect.
    pub fn quote(self, ident: &str) -> String {
        match self {
            Dialect::Mysql => format!("`{}`", ident.replace('`', "``")),
            _ => format!("\"{}\"", ident.replace('"', "\"\"")),
        }
    }
    /// A short lower-case name: `sqlite`, `postgresql`, `mysql`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgresql",
            Dialect::Mysql => "mysql",
        }
    }
}

impl Timestamp {
    /// From a naive chrono date-time.
    pub fn from_naive(dt: NaiveDateTime) -> Self {
        Timestamp {
            micros: dt.and_utc().timestamp_micros(),
        }
    }
    /// To a naive chrono date-time.
    pub fn to_naive(self) -> NaiveDateTime {
        DateTime::from_timestamp_micros(self.micros)
            .unwrap_or_default()
            .naive_utc()
    }
    /// The current time in UTC, naive.
    pub fn now_utc() -> Self {
        Self::from_naive(chrono::Utc::now().naive_utc())
    }
    /// The current local time, naive (what privacyIDEA's `datetime.now()` gives).
    pub fn now_local() -> Self {
        Self::from_naive(chrono::Local::now().naive_local())
    }
    /// `YYYY-MM-DD HH:MM:SS.ffffff`, the text SQLite rows hold.
    pub fn to_sqlite_text(self) -> String {
        self.to_naive().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }
    /// Python's `str(datetime)`: like [`Timestamp::to_sqlite_text`] but without `.000000`.
    pub fn to_python_str(self) -> String {
        let dt = self.to_naive();
        if self.micros.rem_euclid(1_000_000) == 0 {
            dt.format("%Y-%m-%d %H:%M:%S").to_string()
        } else {
            dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
        }
    }
    /// Parses `YYYY-MM-DD HH:MM:SS[.f]` (also with `T`).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        for fmt in [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d",
        ] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
                return Some(Self::from_naive(dt));
            }
        }
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(Self::from_naive)
    }
}

impl Value {
    /// A text value.
    pub fn text(s: impl Into<String>) -> Self {
        Value::Text(RString::from(s.into()))
    }
    /// `Null` for `None`, text otherwise.
    pub fn opt_text(s: Option<impl Into<String>>) -> Self {
        s.map(Value::text).unwrap_or(Value::Null)
    }
    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// The value as an integer (booleans as 0/1, numeric text parsed).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Real(f) => Some(*f as i64),
            Value::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }
    /// The value as a boolean (integers non-zero, text `1`/`true`).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            Value::Text(t) => match t.as_str() {
                "1" | "true" | "True" | "t" => Some(true),
                "0" | "false" | "False" | "f" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
    /// The value as text; `None` for `Null` and bytes that are not UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t.as_str()),
            Value::Bytes(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }
    /// The value rendered as text the way it would print (`Null` as empty).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Real(f) => f.to_string(),
            Value::Text(t) => t.to_string(),
            Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
            Value::Timestamp(t) => t.to_python_str(),
        }
    }
    /// The value as a timestamp (text in SQLite's format is parsed).
    pub fn as_timestamp(&self) -> Option<Timestamp> {
        match self {
            Value::Timestamp(t) => Some(*t),
            Value::Text(t) => Timestamp::parse(t),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::text(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::text(v)
    }
}
impl From<Timestamp> for Value {
    fn from(v: Timestamp) -> Self {
        Value::Timestamp(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(RVec::from(v))
    }
}

impl Rows {
    /// Index of a column by (case-insensitive) name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.as_str().eq_ignore_ascii_case(name))
    }
    /// Index of a column, or an internal error naming it.
    pub fn require_column(&self, name: &str) -> Result<usize> {
        self.column(name)
            .ok_or_else(|| Error::internal(format!("result has no column {name:?}")))
    }
    /// The single value of a one-row, one-column result (`COUNT(*)` and the like).
    pub fn scalar(&self) -> Option<&Value> {
        self.rows.first().and_then(|r| r.first())
    }
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_texts_match_python() {
        let t = Timestamp::parse("2026-01-02 03:04:05.234567").expect("parse");
        assert_eq!(t.to_sqlite_text(), "2026-01-02 03:04:05.234567");
        assert_eq!(t.to_python_str(), "2026-01-02 03:04:05.234567");
        let t = Timestamp::parse("2026-01-02 03:04:07.000000").expect("parse");
        assert_eq!(t.to_python_str(), "2026-01-02 03:04:07");
        assert_eq!(
            Timestamp::parse("1970-01-01 00:00:01").map(|t| t.micros),
            Some(1_000_000)
        );
    }

    #[test]
    fn placeholders_per_dialect() {
        assert_eq!(Dialect::Postgres.placeholders(2, 3), "$2, $3, $4");
        assert_eq!(Dialect::Mysql.placeholders(1, 2), "?, ?");
        assert_eq!(Dialect::Mysql.quote("Key"), "`Key`");
    }
}
