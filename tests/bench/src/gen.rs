//! Generating privacyIDEA-like tables at scale, in the database itself (recursive CTE on SQLite,
//! seq_1_to_N on MariaDB, generate_series on PostgreSQL), plus real signatures for a sample of
//! audit rows and real encrypted token seeds and PINs.

use anyhow::{Context, Result};
use chrono::{Duration, Local, NaiveDateTime, Utc};
use mfactl_enckey::cipher::encrypt_split;
use mfactl_enckey::{EncKey, Slot, KEY_LEN};
use mfactl_plugin_api::Value;
use mfactl_tests::{reference_dir, Engine, TestEnv};
use rand::{Rng, RngCore};
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
    let sql = insert_series(
        e,
        n,
        &format!(
            "pidea_audit (id, date, startdate, duration, signature, action, success, \
             authentication, serial, token_type, container_serial, container_type, {u}, realm, \
             resolver, administrator, action_detail, info, privacyidea_server, client, user_agent, \
             user_agent_version, loglevel, clearance_level, thread_id, policies)",
            u = q(e, "user")
        ),
        &format!(
            "x, {date}, {date}, {duration}, '{sig}', {action}, x % 2, 'ACCEPT', {serial}, 'hotp', \
             '', '', {user}, {realm}, 'reso1', '', '', 'matching 1 tokens', 'pi.example.test', \
             {client}, 'privacyIDEA-LDAP', '3.14', 'default', 'default', '140000000000001', \
             'auth-otppin'",
            sig = fake_signature(),
        ),
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
    env.sql(&insert_series(
        e,
        n,
        &format!(
            "challenge (id, transaction_id, data, challenge, {session}, serial, {tsc}, expiration, \
             received_count, otp_valid)",
            session = q(e, "session"),
            tsc = q(e, "timestamp"),
        ),
        &format!("x, {tx}, '', 'challenge', '', {serial}, {created}, {expiration}, 0, {otp}"),
    ));
    Ok(())
}

/// Distinct encrypted values the token generator picks from (`x % KEY_VARIANTS` chooses one per
/// row): encrypting a value per row in Rust and shipping it in SQL would dominate the time.
const KEY_VARIANTS: usize = 64;
/// Distinct encrypted user PINs.
const PIN_VARIANTS: usize = 16;

/// The key of `PI_ENCFILE`: the existing file (a raw 96-byte key) or a fresh random key written
/// there (mode 0400).
fn env_enckey(env: &TestEnv) -> Result<EncKey> {
    let path = env.enckey_path();
    if path.exists() {
        let bytes = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
        return EncKey::from_slice(&bytes).with_context(|| {
            format!(
                "{}: {} bytes, expected a raw {KEY_LEN}-byte key",
                path.display(),
                bytes.len()
            )
        });
    }
    let key = EncKey::generate();
    env.write_enckey(key.as_bytes());
    Ok(key)
}

/// `CASE expr WHEN 0 THEN 'v0' WHEN 1 THEN 'v1' … END` (the values are hex: no quoting needed).
fn pick(expr: &str, values: &[String]) -> String {
    let mut s = format!("CASE {expr}");
    for (i, v) in values.iter().enumerate() {
        s.push_str(&format!(" WHEN {i} THEN '{v}'"));
    }
    s.push_str(" END");
    s
}

/// `INSERT INTO head SELECT select FROM <1..=n>` with the row source `s(x)` of `engine`.
fn insert_series(engine: Engine, n: u64, head: &str, select: &str) -> String {
    let (with, from) = series(engine, n);
    let (pre, with) = if engine == Engine::Sqlite {
        (with, String::new())
    } else {
        (String::new(), with)
    };
    format!("{pre}INSERT INTO {head} {with}SELECT {select} FROM {from}")
}

/// Replaces the contents of `tokenowner`, `tokeninfo`, `tokenrealm`, `token` and `realm` with 5
/// realms (`realm0`, the default, to `realm4`) and `n` privacyIDEA 3.14 tokens:
///
/// * serials `HOTP00000001`, `TOTP00000013`, `PISP00000019`, `REG00000039` (type by `x % 20`:
///   60 % hotp, 35 % totp, 2.5 % spass, 2.5 % registration), id = the number;
/// * every token has an OTP seed (`key_enc`/`key_iv`) encrypted with the key of `PI_ENCFILE`
///   (written with a fresh random key if missing), every fifth also a `user_pin`; the plaintexts
///   are 64 random 20-byte seeds as hex and 16 random PINs, the row picks one by its id;
/// * 4.3 % inactive, another 0.5 % revoked and locked (and inactive); two `tokeninfo` rows each
///   (`hashlib`, `tokenkind`);
/// * 90 % are owned (`tokenowner`: resolver `reso1`, `user<x % 1000>`, realm `realm<x % 5>`) and
///   in that realm (`tokenrealm`); every tenth has no owner.
pub fn tokens(env: &TestEnv, n: u64) -> Result<()> {
    let e = env.engine();
    let key = env_enckey(env)?;
    // SQLite: a 128 MiB page cache for the statement (each runs on a fresh connection); with the
    // default 2 MiB the indexes of a 1M-row tokenowner spill to the file (8 s instead of 3 s).
    let cache = if e == Engine::Sqlite {
        "PRAGMA cache_size = -131072; "
    } else {
        ""
    };
    let sql = |s: &str| {
        env.try_sql(&format!("{cache}{s}"))
            .map_err(anyhow::Error::msg)
    };
    sql(
        "DELETE FROM tokenowner; DELETE FROM tokeninfo; DELETE FROM tokenrealm; \
         DELETE FROM token; DELETE FROM realm",
    )?;
    let (t, f) = if e == Engine::Postgres {
        ("true", "false")
    } else {
        ("1", "0")
    };
    let realms: Vec<String> = (0..5)
        .map(|i| format!("({}, 'realm{i}', {})", i + 1, if i == 0 { t } else { f }))
        .collect();
    sql(&format!(
        "INSERT INTO realm (id, name, {}) VALUES {}",
        q(e, "default"),
        realms.join(", ")
    ))?;

    let mut rng = rand::thread_rng();
    let (mut seeds, mut seed_ivs) = (Vec::new(), Vec::new());
    for _ in 0..KEY_VARIANTS {
        let mut seed = [0u8; 20];
        rng.fill_bytes(&mut seed);
        let v = encrypt_split(&key, Slot::Token, hex::encode(seed).as_bytes());
        seeds.push(v.ct_hex);
        seed_ivs.push(v.iv_hex);
    }
    let (mut pins, mut pin_ivs) = (Vec::new(), Vec::new());
    for _ in 0..PIN_VARIANTS {
        let pin = format!("{:06}", rng.gen_range(0..1_000_000));
        let v = encrypt_split(&key, Slot::Token, pin.as_bytes());
        pins.push(v.ct_hex);
        pin_ivs.push(v.iv_hex);
    }
    let with_pin = |values: &[String]| {
        format!(
            "CASE WHEN x % 5 = 0 THEN {} ELSE '' END",
            pick(&format!("x % {PIN_VARIANTS}"), values)
        )
    };
    let key_expr = format!("x % {KEY_VARIANTS}");
    // lpad cuts longer values: the width must hold the largest id.
    let width = n.to_string().len().max(8);
    let prefix = "CASE WHEN x % 20 < 12 THEN 'HOTP' WHEN x % 20 < 19 THEN 'TOTP' \
                  WHEN x % 40 = 19 THEN 'PISP' ELSE 'REG' END";
    let tokentype = "CASE WHEN x % 20 < 12 THEN 'hotp' WHEN x % 20 < 19 THEN 'totp' \
                     WHEN x % 40 = 19 THEN 'spass' ELSE 'registration' END";
    let serial = concat(e, &[prefix.into(), pad(e, "x", width)]);
    // Comparisons are booleans on PostgreSQL and 0/1 on SQLite and MariaDB, like the columns.
    // Prime moduli, so these do not coincide with one token type.
    let revoked = "(x % 199 = 7)";
    let active = "(x % 23 <> 0 AND x % 199 <> 7)";
    sql(&insert_series(
        e,
        n,
        "token (id, description, serial, tokentype, user_pin, user_pin_iv, so_pin, so_pin_iv, \
         pin_seed, otplen, pin_hash, key_enc, key_iv, maxfail, active, revoked, locked, \
         failcount, count, count_window, sync_window, rollout_state)",
        &format!(
            "x, '', {serial}, {tokentype}, {pin}, {pin_iv}, '', '', '', 6, '', {seed}, {seed_iv}, \
             10, {active}, {revoked}, {revoked}, x % 3, (x * 7) % 1000, 10, 1000, ''",
            pin = with_pin(&pins),
            pin_iv = with_pin(&pin_ivs),
            seed = pick(&key_expr, &seeds),
            seed_iv = pick(&key_expr, &seed_ivs),
        ),
    ))?;
    // Both rows of a token in one statement, in id order: every index is appended to.
    sql(&(insert_series(
        e,
        n,
        &format!(
            "tokeninfo (id, {}, {}, {}, {}, token_id)",
            q(e, "Key"),
            q(e, "Value"),
            q(e, "Type"),
            q(e, "Description")
        ),
        "2 * x - 2 + k, CASE k WHEN 1 THEN 'hashlib' ELSE 'tokenkind' END, \
         CASE k WHEN 1 THEN 'sha1' ELSE 'software' END, '', '', x",
    ) + " CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2) AS kk"))?;
    let owned = " WHERE x % 10 <> 0";
    let user = concat(e, &["'user'".into(), "x % 1000".into()]);
    sql(&(insert_series(
        e,
        n,
        "tokenowner (id, token_id, resolver, user_id, realm_id)",
        &format!("x, x, 'reso1', {user}, 1 + x % 5"),
    ) + owned))?;
    sql(&(insert_series(
        e,
        n,
        "tokenrealm (id, token_id, realm_id)",
        "x, x, 1 + x % 5",
    ) + owned))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mfactl_tests::{check_db_column, engines};

    fn check_db(env: &TestEnv) -> (mfactl_tests::Output, serde_json::Value) {
        let out = env.mfactl(&[
            "enckey",
            "status",
            "--check-db",
            "--sample",
            "0",
            "--format",
            "json",
        ]);
        let j = out.json();
        (out, j)
    }

    /// 500 generated tokens hold what the docs promise, and `enckey status --check-db` (the
    /// `enckey-check-db` scenario) decrypts every seed and PIN with the env's key, and not
    /// with another key.
    #[test]
    fn generated_tokens_decrypt_with_the_env_key() {
        for engine in engines() {
            let env = TestEnv::new(engine);
            env.load_reference_schema();
            tokens(&env, 500).expect("generate");
            for (table, rows) in [
                ("token", 500),
                ("tokeninfo", 1000),
                ("tokenowner", 450),
                ("tokenrealm", 450),
                ("realm", 5),
            ] {
                assert_eq!(env.count(table), rows, "{engine}: {table}");
            }
            assert_eq!(
                env.query_rows(
                    "SELECT tokentype, COUNT(*), COUNT(DISTINCT serial) FROM token \
                     GROUP BY tokentype ORDER BY tokentype"
                ),
                [
                    ["hotp", "300", "300"],
                    ["registration", "12", "12"],
                    ["spass", "13", "13"],
                    ["totp", "175", "175"],
                ],
                "{engine}"
            );
            assert_eq!(
                env.query_scalar("SELECT serial FROM token WHERE id = 13"),
                "TOTP00000013"
            );
            let t = if engine == Engine::Postgres {
                "true"
            } else {
                "1"
            };
            assert_eq!(
                env.query_scalar(&format!(
                    "SELECT name FROM realm WHERE {} = {t}",
                    q(engine, "default")
                )),
                "realm0",
                "{engine}"
            );
            assert_eq!(
                env.query_scalar(
                    "SELECT COUNT(*) FROM tokenowner o JOIN tokenrealm r \
                     ON r.token_id = o.token_id AND r.realm_id = o.realm_id \
                     JOIN realm m ON m.id = o.realm_id"
                ),
                "450",
                "{engine}"
            );

            let (out, j) = check_db(&env);
            assert_eq!(out.code, 0, "{engine}: {out:?}");
            for (name, checked) in [("token.key_enc", 500), ("token.user_pin", 100)] {
                let c = check_db_column(&j, name);
                assert_eq!(c["checked"], checked, "{engine} {name}: {c}");
                assert_eq!(c["ok"], checked, "{engine} {name}: {c}");
                assert_eq!(c["failed"], 0, "{engine} {name}: {c}");
            }
            assert_eq!(j["check_db"]["checked"], 600, "{engine}: {j}");

            // Generating again replaces the rows and keeps the key.
            let fp = j["fingerprint"].clone();
            tokens(&env, 500).expect("generate again");
            assert_eq!(env.count("token"), 500, "{engine}");
            assert_eq!(env.count("tokeninfo"), 1000, "{engine}");
            let (out, j) = check_db(&env);
            assert_eq!(out.code, 0, "{engine}: {out:?}");
            assert_eq!(j["fingerprint"], fp, "{engine}");

            // Another key: the values do not decrypt.
            let mut other = std::fs::read(env.enckey_path()).expect("read enckey");
            other[5] ^= 0xff;
            env.write_enckey(&other);
            let (out, j) = check_db(&env);
            assert_eq!(out.code, 1, "{engine}: {out:?}");
            assert!(
                check_db_column(&j, "token.key_enc")["failed"].as_u64() > Some(0),
                "{j}"
            );
        }
    }
}
