//! `status --check-db`: decrypt a sample of every encrypted column (spec §2.3).

use crate::cipher::{self, CipherError, Decrypted, Padding};
use crate::key::{EncKey, Slot};
use mfactl_plugin_api::{DbTarget, Dialect, Host, Result, Value};
use serde_json::json;

/// How a column stores its values.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// `iv:ct` in one column.
    IvCt,
    /// Ciphertext in one column, IV in another.
    Split(&'static str),
    /// `@@` + `iv:ct` (only rows starting with `@@` are selected).
    PinHash,
    /// A JSON object whose `iv:ct`-looking members are encrypted.
    DictWithPassword,
}

/// One encrypted column and which rows hold encrypted values.
#[derive(Debug, Clone, Copy)]
struct Check {
    label: &'static str,
    table: &'static str,
    id: &'static str,
    column: &'static str,
    layout: Layout,
    slot: Slot,
    /// `(column, value)`: only rows where column = value; `None`: rows with a non-empty value.
    filter: Option<(&'static str, &'static str)>,
    /// The plaintext is text (UTF-8), which makes a wrong key visible.
    text: bool,
}

const CHECKS: &[Check] = &[
    Check {
        label: "token.key_enc",
        table: "token",
        id: "id",
        column: "key_enc",
        layout: Layout::Split("key_iv"),
        slot: Slot::Token,
        filter: None,
        text: false,
    },
    Check {
        label: "token.user_pin",
        table: "token",
        id: "id",
        column: "user_pin",
        layout: Layout::Split("user_pin_iv"),
        slot: Slot::Token,
        filter: None,
        text: true,
    },
    Check {
        label: "token.so_pin",
        table: "token",
        id: "id",
        column: "so_pin",
        layout: Layout::Split("so_pin_iv"),
        slot: Slot::Token,
        filter: None,
        text: true,
    },
    Check {
        label: "token.pin_hash (@@)",
        table: "token",
        id: "id",
        column: "pin_hash",
        layout: Layout::PinHash,
        slot: Slot::Token,
        filter: None,
        text: true,
    },
    Check {
        label: "tokeninfo.Value",
        table: "tokeninfo",
        id: "id",
        column: "Value",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: Some(("Type", "password")),
        text: true,
    },
    Check {
        label: "tokencontainerinfo.value",
        table: "tokencontainerinfo",
        id: "id",
        column: "value",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: Some(("type", "password")),
        text: true,
    },
    Check {
        label: "config.Value",
        table: "config",
        id: "Key",
        column: "Value",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: Some(("Type", "password")),
        text: true,
    },
    Check {
        label: "resolverconfig.Value",
        table: "resolverconfig",
        id: "id",
        column: "Value",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: Some(("Type", "password")),
        text: true,
    },
    Check {
        label: "resolverconfig.Value (dict)",
        table: "resolverconfig",
        id: "id",
        column: "Value",
        layout: Layout::DictWithPassword,
        slot: Slot::Config,
        filter: Some(("Type", "dict_with_password")),
        text: true,
    },
    Check {
        label: "caconnectorconfig.Value",
        table: "caconnectorconfig",
        id: "id",
        column: "Value",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: Some(("Type", "password")),
        text: true,
    },
    Check {
        label: "machineresolverconfig.Value",
        table: "machineresolverconfig",
        id: "id",
        column: "Value",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: Some(("Type", "password")),
        text: true,
    },
    Check {
        label: "radiusserver.secret",
        table: "radiusserver",
        id: "id",
        column: "secret",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: None,
        text: true,
    },
    Check {
        label: "smtpserver.password",
        table: "smtpserver",
        id: "id",
        column: "password",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: None,
        text: true,
    },
    Check {
        label: "smtpserver.private_key_password",
        table: "smtpserver",
        id: "id",
        column: "private_key_password",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: None,
        text: true,
    },
    Check {
        label: "smsgatewayoption.Value",
        table: "smsgatewayoption",
        id: "id",
        column: "Value",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: Some(("Encrypted", "TRUE")),
        text: true,
    },
    Check {
        label: "challenge.data",
        table: "challenge",
        id: "id",
        column: "data",
        layout: Layout::IvCt,
        slot: Slot::Config,
        filter: None,
        text: true,
    },
];

/// The outcome for one column.
#[derive(Debug, Clone, Default)]
pub struct ColumnResult {
    /// `table.column`.
    pub label: String,
    /// Slot number.
    pub slot: usize,
    /// Values tried.
    pub checked: u64,
    /// Values that decrypted.
    pub ok: u64,
    /// Of those, with PKCS#7 padding.
    pub pkcs7: u64,
    /// Of those, with the legacy padding.
    pub legacy: u64,
    /// Values that did not decrypt.
    pub failed: u64,
    /// The first few failures: row id and reason (never the value).
    pub failures: Vec<String>,
    /// Why the column was not checked (table or column missing), if so.
    pub skipped: Option<String>,
}

impl ColumnResult {
    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "column": self.label, "slot": self.slot, "checked": self.checked, "ok": self.ok,
            "failed": self.failed, "pkcs7": self.pkcs7, "legacy": self.legacy,
            "failures": self.failures, "skipped": self.skipped,
        })
    }
}

fn build_sql(d: Dialect, c: &Check, sample: u64) -> String {
    let q = |s: &str| d.quote(s);
    let mut cols = vec![q(c.id), q(c.column)];
    if let Layout::Split(iv) = c.layout {
        cols.push(q(iv));
    }
    let mut wh = vec![
        format!("{} IS NOT NULL", q(c.column)),
        format!("{} <> ''", q(c.column)),
    ];
    match c.filter {
        Some((col, "TRUE")) => wh.push(format!("{} = TRUE", q(col))),
        Some((col, val)) => wh.push(format!("{} = '{val}'", q(col))),
        None => {}
    }
    if let Layout::PinHash = c.layout {
        wh.push(format!("{} LIKE '@@%'", q(c.column)));
    }
    let mut sql = format!(
        "SELECT {} FROM {} WHERE {} ORDER BY {}",
        cols.join(", "),
        q(c.table),
        wh.join(" AND "),
        q(c.id)
    );
    if sample > 0 {
        sql.push_str(&format!(" LIMIT {sample}"));
    }
    sql
}

fn text_of(v: &Value) -> String {
    v.to_text()
}

fn judge(
    r: std::result::Result<Decrypted, CipherError>,
    text: bool,
) -> std::result::Result<Padding, CipherError> {
    let d = r?;
    if text {
        d.as_str()?;
    }
    Ok(d.padding)
}

fn check_row(
    key: &EncKey,
    c: &Check,
    row: &[Value],
) -> Vec<std::result::Result<Padding, CipherError>> {
    let value = row.get(1).map(text_of).unwrap_or_default();
    match c.layout {
        Layout::IvCt => vec![judge(cipher::decrypt_value(key, c.slot, &value), c.text)],
        Layout::Split(_) => {
            let iv = row.get(2).map(text_of).unwrap_or_default();
            vec![judge(
                cipher::decrypt_split(key, c.slot, &value, &iv),
                c.text,
            )]
        }
        Layout::PinHash => match cipher::decrypt_pin_hash(key, &value) {
            Some(r) => vec![judge(r, c.text)],
            None => vec![],
        },
        Layout::DictWithPassword => match serde_json::from_str::<serde_json::Value>(&value) {
            Ok(serde_json::Value::Object(m)) => m
                .values()
                .filter_map(|v| v.as_str())
                .filter(|s| cipher::looks_encrypted(s))
                .map(|s| judge(cipher::decrypt_value(key, c.slot, s), c.text))
                .collect(),
            _ => vec![Err(CipherError::NotIvCt)],
        },
    }
}

/// Runs every check with at most `sample` rows per column (0 = all rows).
pub fn check_db(host: &Host, key: &EncKey, sample: u64) -> Result<Vec<ColumnResult>> {
    let d = host.dialect(DbTarget::Main)?;
    // Fails loudly when there is no privacyIDEA database at all.
    host.query(
        DbTarget::Main,
        &format!("SELECT COUNT(*) FROM {}", d.quote("token")),
        vec![],
    )?;
    let mut out = Vec::new();
    for c in CHECKS {
        let mut r = ColumnResult {
            label: c.label.to_string(),
            slot: c.slot.index(),
            ..Default::default()
        };
        let sql = build_sql(d, c, sample);
        let res = host.stream(DbTarget::Main, &sql, vec![], 1000, |rows| {
            for row in rows.rows.iter() {
                let id = row.first().map(text_of).unwrap_or_default();
                for outcome in check_row(key, c, row) {
                    r.checked += 1;
                    match outcome {
                        Ok(p) => {
                            r.ok += 1;
                            match p {
                                Padding::Pkcs7 => r.pkcs7 += 1,
                                Padding::Legacy => r.legacy += 1,
                            }
                        }
                        Err(e) => {
                            r.failed += 1;
                            if r.failures.len() < 5 {
                                r.failures.push(format!("{}={id}: {e}", c.id));
                            }
                        }
                    }
                }
            }
            Ok(true)
        });
        if let Err(e) = res {
            r.skipped = Some(e.to_string());
        }
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_per_dialect() {
        let c = &CHECKS[0];
        assert_eq!(
            build_sql(Dialect::Postgres, c, 10),
            "SELECT \"id\", \"key_enc\", \"key_iv\" FROM \"token\" WHERE \"key_enc\" IS NOT NULL AND \"key_enc\" <> '' ORDER BY \"id\" LIMIT 10"
        );
        let c = CHECKS
            .iter()
            .find(|c| c.table == "smsgatewayoption")
            .expect("sms");
        assert!(build_sql(Dialect::Mysql, c, 0).contains("`Encrypted` = TRUE"));
        assert!(!build_sql(Dialect::Mysql, c, 0).contains("LIMIT"));
        let c = CHECKS
            .iter()
            .find(|c| c.label.starts_with("token.pin_hash"))
            .expect("pin");
        assert!(build_sql(Dialect::Sqlite, c, 5).contains("LIKE '@@%'"));
    }

    #[test]
    fn rows_are_judged() {
        let key = EncKey::from_slice(&(0u8..96).collect::<Vec<_>>()).expect("96");
        let c = CHECKS
            .iter()
            .find(|c| c.label == "config.Value")
            .expect("config");
        let good = cipher::encrypt_password(&key, "pw");
        let row = vec![Value::text("k"), Value::text(good)];
        assert_eq!(check_row(&key, c, &row), vec![Ok(Padding::Pkcs7)]);
        let row = vec![Value::text("k"), Value::text("plain")];
        assert_eq!(check_row(&key, c, &row), vec![Err(CipherError::NotIvCt)]);
        let dict = CHECKS
            .iter()
            .find(|c| c.label.ends_with("(dict)"))
            .expect("dict");
        let v =
            json!({"private_key_password": cipher::encrypt_password(&key, "x"), "other": "plain"});
        let row = vec![Value::Int(1), Value::text(v.to_string())];
        assert_eq!(check_row(&key, dict, &row), vec![Ok(Padding::Pkcs7)]);
    }
}
