//! Generating privacyIDEA-like tables at scale, in the database itself (recursive CTE on SQLite
//! and MariaDB, generate_series on PostgreSQL), plus real signatures for a sample of audit rows.

use anyhow::{Context, Result};
use chrono::{Duration, Local, NaiveDateTime, Utc};
use mfactl_plugin_api::Value;
use mfactl_tests::{reference_dir, Engine, TestEnv};
use rsa::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};

/// Days the generated audit log spans (up to now).
pub const AUDIT_DAYS: i64 = 400;

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A sequence 1..=n as a row source named `s(x)` for an `INSERT … SELECT`.
fn series(engine: Engine, n: u64) -> (String, String) {
    match engine {
        Engine::Postgres => (
            String::new(),
            format!("generate_series(1::bigint, {n}) AS s(x)"),
        ),
        Engine::Mariadb => (
            String::new(),
            format!("(SELECT seq AS x FROM seq_1_to_{n}) AS s"),
        ),
        _ => (
            format!(
                "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n}) "
            ),
            "s".to_string(),
        ),
    }
}

fn pad(engine: Engine, expr: &str, width: usize) -> String {
    match engine {
        Engine::Sqlite => format!("printf('%0{width}d', {expr})"),
        Engine::Postgres => format!("lpad(({expr})::text, {width}, '0')"),
        Engine::Mariadb => format!("lpad({expr}, {width}, '0')"),
    }
}

fn concat(engine: Engine, parts: &[String]) -> String {
    match engine {
        Engine::Mariadb => format!("CONCAT({})", parts.join(", ")),
        Engine::Postgres => parts
            .iter()
            .map(|p| format!("({p})::text"))
            .collect::<Vec<_>>()
            .join(" || "),
        Engine::Sqlite => parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(" || "),
    }
}

fn q(engine: Engine, ident: &str) -> String {
    match engine {
        Engine::Mariadb => format!("`{ident}`"),
        _ => format!("\"{ident}\""),
    }
}

/// `base + secs seconds + micros microseconds` as a timestamp expression of `engine`.
fn at(engine: Engine, base: &str, secs: &str, micros: &str) -> String {
    match engine {
        Engine::Sqlite => format!(
            "strftime('%Y-%m-%d %H:%M:%S', '{base}', '+' || ({secs}) || ' seconds') || '.' || printf('%06d', {micros})"
        ),
        Engine::Postgres => format!(
            "TIMESTAMP '{base}' + ({secs}) * INTERVAL '1 second' + ({micros}) * INTERVAL '1 microsecond'"
        ),
        Engine::Mariadb => format!(
            "TIMESTAMP '{base}' + INTERVAL ({secs}) SECOND + INTERVAL ({micros}) MICROSECOND"
        ),
    }
}

/// A same-length stand-in signature for the rows that are not really signed (checking it costs
/// as much as checking a real one; it fails).
pub fn fake_signature() -> String {
    format!("rsa_sha256_pss:{}", "5a".repeat(256))
}

/// Replaces `pidea_audit` content with `n` rows spread over the last [`AUDIT_DAYS`] days (local
/// time, newest = highest id), then signs the `signed` newest ones with the vectors' key.
pub fn audit(env: &TestEnv, n: u64, signed: u64) -> Result<()> {
    let e = env.engine();
    env.sql("DELETE FROM pidea_audit");
    let base = ts(Local::now().naive_local() - Duration::days(AUDIT_DAYS));
    let step = (AUDIT_DAYS * 86_400) as f64 / n.max(1) as f64;
    let secs = match e {
        Engine::Postgres => format!("floor(x * {step})"),
        Engine::Mariadb => format!("FLOOR(x * {step})"),
        Engine::Sqlite => format!("CAST(x * {step} AS INTEGER)"),
    };
    let date = at(e, &base, &secs, "(x * 7919) % 1000000");
    let duration = match e {
        Engine::Postgres => "(x % 900000) * INTERVAL '1 microsecond'".to_string(),
        _ => at(e, "1970-01-01 00:00:00", "0", "x % 900000"),
    };
    let action =
        "CASE WHEN x % 10 < 6 THEN 'POST /validate/check' WHEN x % 10 < 8 THEN 'GET /token/' \
                  WHEN x % 10 = 8 THEN 'POST /token/init' ELSE 'POST /auth' END";
    let user = concat(e, &["'user'".into(), "x % 1000".into()]);
    let realm = concat(e, &["'realm'".into(), "x % 5".into()]);
    let serial = concat(e, &["'HOTP'".into(), pad(e, "x % 50000", 8)]);
    let client = concat(
        e,
        &[
            "'10.0.'".into(),
            "x % 250".into(),
            "'.'".into(),
            "x % 200".into(),
        ],
    );
    let (with, from) = series(e, n);
    let (pre, with) = if e == Engine::Sqlite {
        (with, String::new())
    } else {
        (String::new(), with)
    };
    let sql = format!(
        "{pre}INSERT INTO pidea_audit (id, date, startdate, duration, signature, action, success, \
         authentication, serial, token_type, container_serial, container_type, {u}, realm, resolver, \
         administrator, action_detail, info, privacyidea_server, client, user_agent, \
         user_agent_version, loglevel, clearance_level, thread_id, policies) \
         {with}SELECT x, {date}, {date}, {duration}, '{sig}', {action}, x % 2, 'ACCEPT', {serial}, \
         'hotp', '', '', {user}, {realm}, 'reso1', '', '', 'matching 1 tokens', 'pi.example.test', \
         {client}, 'privacyIDEA-LDAP', '3.14', 'default', 'default', '140000000000001', \
         'auth-otppin' FROM {from}",
        u = q(e, "user"),
        sig = fake_signature(),
    );
    env.sql(&sql);
    if signed > 0 {
        sign_newest(env, n, signed)?;
    }
    Ok(())
}

fn private_key() -> Result<rsa::RsaPrivateKey> {
    let pem = std::fs::read_to_string(reference_dir().join("vectors/audit/private.pem"))
        .context("read vectors/audit/private.pem")?;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(&pem))
        .context("parse the private key")
}

/// Signs rows `n - signed + 1 ..= n` the way privacyIDEA does.
fn sign_newest(env: &TestEnv, n: u64, signed: u64) -> Result<()> {
    let e = env.engine();
    let key = private_key()?;
    let first = n.saturating_sub(signed) + 1;
    let cols: Vec<String> = mfactl_audit::sign::SIGNED_COLUMNS
        .iter()
        .map(|c| match (*c, e) {
            ("duration", Engine::Postgres) => {
                "CAST(EXTRACT(EPOCH FROM duration) * 1000000 AS BIGINT)".to_string()
            }
            (c, _) => q(e, c),
        })
        .collect();
    let rows = env.query_opt(&format!(
        "SELECT {} FROM pidea_audit WHERE id >= {first} ORDER BY id",
        cols.join(", ")
    ));
    let salt = 256 - 32 - 2;
    let mut rng = rand::thread_rng();
    let mut cases = Vec::new();
    for r in rows {
        let vals: Vec<Value> = r
            .iter()
            .enumerate()
            .map(|(i, c)| match c {
                None => Value::Null,
                Some(s) => match mfactl_audit::sign::SIGNED_COLUMNS[i] {
                    "id" | "success" => Value::Int(s.parse().unwrap_or(0)),
                    "duration" if e == Engine::Postgres => Value::Int(s.parse().unwrap_or(0)),
                    _ => Value::text(s.clone()),
                },
            })
            .collect();
        let text = mfactl_audit::sign::signed_text(&vals);
        let digest = Sha256::digest(text.as_bytes());
        let sig = key
            .sign_with_rng(&mut rng, rsa::Pss::new_with_salt::<Sha256>(salt), &digest)
            .context("sign")?;
        let id = vals[0].as_i64().unwrap_or(0);
        cases.push(format!(
            "WHEN {id} THEN 'rsa_sha256_pss:{}'",
            hex::encode(sig)
        ));
    }
    for chunk in cases.chunks(500) {
        env.sql(&format!(
            "UPDATE pidea_audit SET signature = CASE id {} ELSE signature END WHERE id >= {first}",
            chunk.join(" ")
        ));
    }
    Ok(())
}

/// Replaces `challenge` content with `n` challenges, every second one expired (UTC).
pub fn challenges(env: &TestEnv, n: u64) -> Result<()> {
    let e = env.engine();
    env.sql("DELETE FROM challenge");
    let now = Utc::now().naive_utc();
    // Created 7 ms apart, oldest first: privacyIDEA stamps a challenge when it creates the row,
    // so `timestamp` grows with the id (its index is written in id order, as in production).
    let base = ts(now - Duration::milliseconds(n as i64 * 7) - Duration::minutes(10));
    let div = if e == Engine::Mariadb { "DIV" } else { "/" };
    let created = at(
        e,
        &base,
        &format!("(x * 7) {div} 1000"),
        "(x * 7) % 1000 * 1000",
    );
    let expiration = format!(
        "CASE WHEN x % 2 = 0 THEN {} ELSE {} END",
        at(e, &ts(now - Duration::minutes(5)), "0", "x % 1000000"),
        at(e, &ts(now + Duration::hours(6)), "0", "x % 1000000")
    );
    let otp = if e == Engine::Postgres { "false" } else { "0" };
    let tx = concat(e, &["'tx'".into(), pad(e, "x", 20)]);
    let serial = concat(e, &["'HOTP'".into(), pad(e, "x % 50000", 8)]);
    let (with, from) = series(e, n);
    let (pre, with) = if e == Engine::Sqlite {
        (with, String::new())
    } else {
        (String::new(), with)
    };
    env.sql(&format!(
        "{pre}INSERT INTO challenge (id, transaction_id, data, challenge, {session}, serial, {tsc}, \
         expiration, received_count, otp_valid) {with}SELECT x, {tx}, '', 'challenge', '', {serial}, \
         {created}, {expiration}, 0, {otp} FROM {from}",
        session = q(e, "session"),
        tsc = q(e, "timestamp"),
    ));
    Ok(())
}
