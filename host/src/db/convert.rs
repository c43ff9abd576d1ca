//! Binding [`Value`]s to sqlx queries and decoding sqlx rows into [`Value`]s, per backend.

use chrono::{NaiveDate, NaiveDateTime};
use mfactl_plugin_api::{Error, Timestamp, Value};
use sqlx::mysql::{MySqlArguments, MySqlRow};
use sqlx::postgres::{types::Oid, PgArguments, PgRow, PgTypeInfo};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Column, Row, TypeInfo, ValueRef};

fn bind_err(e: sqlx::error::BoxDynError) -> Error {
    Error::internal("cannot bind a query parameter").with_cause(e)
}

/// A NULL whose type the PostgreSQL server infers from context (OID 0 = unspecified).
struct PgNull;

impl sqlx::Type<sqlx::Postgres> for PgNull {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(0))
    }
    fn compatible(_: &PgTypeInfo) -> bool {
        true
    }
}

impl sqlx::Encode<'_, sqlx::Postgres> for PgNull {
    fn encode_by_ref(
        &self,
        _: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        Ok(sqlx::encode::IsNull::Yes)
    }
}

/// SQLite arguments; timestamps as privacyIDEA's text form.
pub fn sqlite_args(params: &[Value]) -> Result<SqliteArguments<'static>, Error> {
    let mut a = SqliteArguments::default();
    for p in params {
        match p {
            Value::Null => a.add(Option::<String>::None),
            Value::Int(i) => a.add(*i),
            Value::Real(f) => a.add(*f),
            Value::Text(t) => a.add(t.to_string()),
            Value::Bytes(b) => a.add(b.to_vec()),
            Value::Bool(b) => a.add(*b),
            Value::Timestamp(t) => a.add(t.to_sqlite_text()),
        }
        .map_err(bind_err)?;
    }
    Ok(a)
}

/// PostgreSQL arguments.
pub fn pg_args(params: &[Value]) -> Result<PgArguments, Error> {
    let mut a = PgArguments::default();
    for p in params {
        match p {
            Value::Null => a.add(PgNull),
            Value::Int(i) => a.add(*i),
            Value::Real(f) => a.add(*f),
            Value::Text(t) => a.add(t.to_string()),
            Value::Bytes(b) => a.add(b.to_vec()),
            Value::Bool(b) => a.add(*b),
            Value::Timestamp(t) => a.add(t.to_naive()),
        }
        .map_err(bind_err)?;
    }
    Ok(a)
}

/// MySQL/MariaDB arguments.
pub fn mysql_args(params: &[Value]) -> Result<MySqlArguments, Error> {
    let mut a = MySqlArguments::default();
    for p in params {
        match p {
            Value::Null => a.add(Option::<String>::None),
            Value::Int(i) => a.add(*i),
            Value::Real(f) => a.add(*f),
            Value::Text(t) => a.add(t.to_string()),
            Value::Bytes(b) => a.add(b.to_vec()),
            Value::Bool(b) => a.add(*b),
            Value::Timestamp(t) => a.add(t.to_naive()),
        }
        .map_err(bind_err)?;
    }
    Ok(a)
}

fn dec_err(col: &str, ty: &str, e: sqlx::Error) -> Error {
    Error::internal(format!("cannot read column {col:?} of type {ty}")).with_cause(e)
}

fn ts(dt: NaiveDateTime) -> Value {
    Value::Timestamp(Timestamp::from_naive(dt))
}

fn date(d: NaiveDate) -> Value {
    ts(d.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Column names of a row.
pub fn columns<R: Row>(row: &R) -> Vec<String> {
    row.columns().iter().map(|c| c.name().to_string()).collect()
}

/// Runs a SELECT on a plain rusqlite connection: the same values as [`sqlite_row`] (types
/// follow the stored value) and the same parameter binding as [`sqlite_args`].
pub fn sqlite_select(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
) -> Result<(Vec<String>, Vec<Vec<Value>>), String> {
    use rusqlite::types::{ToSqlOutput, Value as Sv, ValueRef};
    let mut stmt = conn.prepare_cached(sql).map_err(|e| e.to_string())?;
    let bound: Vec<ToSqlOutput<'_>> = params
        .iter()
        .map(|p| match p {
            Value::Null => ToSqlOutput::Owned(Sv::Null),
            Value::Int(i) => ToSqlOutput::Owned(Sv::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Owned(Sv::Real(*f)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b.as_slice())),
            Value::Bool(b) => ToSqlOutput::Owned(Sv::Integer(i64::from(*b))),
            Value::Timestamp(t) => ToSqlOutput::Owned(Sv::Text(t.to_sqlite_text())),
        })
        .collect();
    let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    let n = columns.len();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(bound.iter()))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut vals = Vec::with_capacity(n);
        for (i, name) in columns.iter().enumerate() {
            let v = row.get_ref(i).map_err(|e| e.to_string())?;
            vals.push(match v {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Text(t) => Value::text(
                    std::str::from_utf8(t)
                        .map_err(|e| format!("column {name}: text is not UTF-8 ({e})"))?,
                ),
                ValueRef::Blob(b) => Value::Bytes(b.to_vec().into()),
            });
        }
        out.push(vals);
    }
    Ok((columns, out))
}

/// Decodes a SQLite row (types follow the stored value, not the declared column type).
pub fn sqlite_row(row: &SqliteRow) -> Result<Vec<Value>, Error> {
    let mut out = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let raw = row
            .try_get_raw(i)
            .map_err(|e| dec_err(col.name(), "?", e))?;
        if raw.is_null() {
            out.push(Value::Null);
            continue;
        }
        let ty = raw.type_info().name().to_string();
        let v = match ty.as_str() {
            "INTEGER" | "BOOLEAN" | "INT" | "BIGINT" => {
                row.try_get_unchecked::<i64, _>(i).map(Value::Int)
            }
            "REAL" | "NUMERIC" | "FLOAT" | "DOUBLE" => {
                row.try_get_unchecked::<f64, _>(i).map(Value::Real)
            }
            "BLOB" => row
                .try_get_unchecked::<Vec<u8>, _>(i)
                .map(|b| Value::Bytes(b.into())),
            _ => row.try_get_unchecked::<String, _>(i).map(Value::text),
        }
        .map_err(|e| dec_err(col.name(), &ty, e))?;
        out.push(v);
    }
    Ok(out)
}

/// Decodes a PostgreSQL row. `interval` becomes a timestamp of 1970-01-01 plus the interval, the
/// form privacyIDEA stores durations in on the other engines.
pub fn pg_row(row: &PgRow) -> Result<Vec<Value>, Error> {
    let mut out = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let raw = row
            .try_get_raw(i)
            .map_err(|e| dec_err(col.name(), "?", e))?;
        if raw.is_null() {
            out.push(Value::Null);
            continue;
        }
        let ty = col.type_info().name().to_string();
        let v = match ty.as_str() {
            "INT2" => row.try_get::<i16, _>(i).map(|v| Value::Int(v.into())),
            "INT4" => row.try_get::<i32, _>(i).map(|v| Value::Int(v.into())),
            "INT8" => row.try_get::<i64, _>(i).map(Value::Int),
            "OID" => row.try_get::<Oid, _>(i).map(|v| Value::Int(v.0.into())),
            "FLOAT4" => row.try_get::<f32, _>(i).map(|v| Value::Real(v.into())),
            "FLOAT8" => row.try_get::<f64, _>(i).map(Value::Real),
            "BOOL" => row.try_get::<bool, _>(i).map(Value::Bool),
            "BYTEA" => row.try_get::<Vec<u8>, _>(i).map(|b| Value::Bytes(b.into())),
            "TIMESTAMP" => row.try_get::<NaiveDateTime, _>(i).map(ts),
            "TIMESTAMPTZ" => row.try_get::<chrono::DateTime<chrono::Utc>, _>(i).map(|d| ts(d.naive_utc())),
            "DATE" => row.try_get::<NaiveDate, _>(i).map(date),
            "INTERVAL" => row.try_get::<sqlx::postgres::types::PgInterval, _>(i).map(|iv| {
                let days = i64::from(iv.months) * 30 + i64::from(iv.days);
                Value::Timestamp(Timestamp { micros: days * 86_400_000_000 + iv.microseconds })
            }),
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" | "UNKNOWN" | "JSON" | "CITEXT" => {
                row.try_get_unchecked::<String, _>(i).map(Value::text)
            }
            other => {
                return Err(Error::internal(format!(
                    "column {:?} has PostgreSQL type {other}, which mfactl cannot read; cast it to text in the query",
                    col.name()
                )))
            }
        }
        .map_err(|e| dec_err(col.name(), &ty, e))?;
        out.push(v);
    }
    Ok(out)
}

/// Decodes a MySQL/MariaDB row.
pub fn mysql_row(row: &MySqlRow) -> Result<Vec<Value>, Error> {
    let mut out = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let raw = row
            .try_get_raw(i)
            .map_err(|e| dec_err(col.name(), "?", e))?;
        if raw.is_null() {
            out.push(Value::Null);
            continue;
        }
        let ty = col.type_info().name().to_string();
        let v = match ty.as_str() {
            "BOOLEAN" => row.try_get_unchecked::<bool, _>(i).map(Value::Bool),
            "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => {
                row.try_get_unchecked::<i64, _>(i).map(Value::Int)
            }
            "TINYINT UNSIGNED" | "SMALLINT UNSIGNED" | "MEDIUMINT UNSIGNED" | "INT UNSIGNED"
            | "BIGINT UNSIGNED" => row
                .try_get_unchecked::<u64, _>(i)
                .map(|v| Value::Int(v as i64)),
            "FLOAT" => row
                .try_get_unchecked::<f32, _>(i)
                .map(|v| Value::Real(v.into())),
            "DOUBLE" => row.try_get_unchecked::<f64, _>(i).map(Value::Real),
            "DATETIME" | "TIMESTAMP" => row.try_get_unchecked::<NaiveDateTime, _>(i).map(ts),
            "DATE" => row.try_get_unchecked::<NaiveDate, _>(i).map(date),
            "BINARY" | "VARBINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
                row.try_get_unchecked::<Vec<u8>, _>(i)
                    .map(|b| match String::from_utf8(b) {
                        // Text columns with a binary collation are reported as binary; keep them text.
                        Ok(s) if col.type_info().name() != "BLOB" || !s.is_empty() => {
                            Value::text(s)
                        }
                        Ok(s) => Value::text(s),
                        Err(e) => Value::Bytes(e.into_bytes().into()),
                    })
            }
            _ => row.try_get_unchecked::<String, _>(i).map(Value::text),
        }
        .map_err(|e| dec_err(col.name(), &ty, e))?;
        out.push(v);
    }
    Ok(out)
}
