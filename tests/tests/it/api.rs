//! Integration tests: api (create-token, inspect).
//!
//! Tokens made by mfactl are checked by privacyIDEA 3.14's own `verify_auth_token` (interop,
//! every engine: the admin check reads the database); tokens made by privacyIDEA (`pi-manage api
//! createtoken`, PyJWT) pass `api inspect`; expired, tampered, wrong-secret and other-algorithm
//! tokens are rejected with exit 1. Vectors: `vectors/jwt.json`.

use mfactl_tests::{engines, pi_python, Cmd, Engine, Output, TestEnv, SECRET_KEY};
use std::fs;

/// `jwt.json` → `fixed.token`: PyJWT with `SECRET_KEY = 'k' * 32`, exp 2030-01-01.
const FIXED: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFsaWNlIiwicmVhbG0iOiJBUEkiLCJub25jZSI6IjAwMTEyMjMzNDQ1NTY2Nzc4ODk5YWFiYmNjZGRlZWZmMDAxMTIyMzMiLCJyb2xlIjoiYWRtaW4iLCJhdXRodHlwZSI6IkFQSSIsImV4cCI6MTg5MzQ1NjAwMCwicmlnaHRzIjoiVE9ETyJ9.dNVU7hTYGbYOPY4BUrm7GdlVy6Air8GovdMmWxirhm4";
const FIXED_PAYLOAD: &str = r#"{"username":"alice","realm":"API","nonce":"00112233445566778899aabbccddeeff00112233","role":"admin","authtype":"API","exp":1893456000,"rights":"TODO"}"#;

fn token_of(out: &Output) -> String {
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("Auth-Token: "))
        .unwrap_or_else(|| panic!("no Auth-Token line: {out:?}"))
        .to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// privacyIDEA's `verify_auth_token(token, roles)` in an app context: the claims or the error.
fn pi_verify(env: &TestEnv, token: &str, roles: &str) -> serde_json::Value {
    env.pi_run(&format!(
        r#"
        import base64
        from privacyidea.api.lib.utils import verify_auth_token
        t = {token:?}
        p = t.split(".")[1]
        raw = base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode()
        try:
            result = {{"accepted": True, "claims": verify_auth_token(t, {roles}), "payload": raw}}
        except Exception as e:
            result = {{"accepted": False, "error": str(e), "payload": raw}}
        "#
    ))
    .ok()
    .json()
}

/// A token made with PyJWT (privacyIDEA's JWT library) from the venv.
fn pyjwt(env: &TestEnv, claims: &str, key: &str, alg: &str) -> String {
    let out = env.pi_run(&format!(
        "import jwt\nresult = jwt.encode({claims}, {key}, algorithm={alg:?})"
    ));
    out.ok().json().as_str().expect("token").to_string()
}

#[test]
fn privacyidea_accepts_mfactl_tokens_on_every_engine() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        let out = env.mfactl(&["api", "create-token", "-u", "alice", "-d", "10"]);
        out.ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(
            &lines[..4],
            [
                "Username:   alice",
                "Realm:      API",
                "Role:       admin",
                "Validity:   10 days"
            ],
            "{engine}: {out:?}"
        );
        assert_eq!(lines.len(), 5);
        assert!(
            out.stderr
                .contains("no administrator alice in the admin table"),
            "{out:?}"
        );
        let token = token_of(&out);
        let v = pi_verify(&env, &token, "['admin']");
        assert_eq!(v["accepted"], true, "{engine}: {v}");
        let c = &v["claims"];
        assert_eq!(
            (
                &c["username"],
                &c["realm"],
                &c["role"],
                &c["authtype"],
                &c["rights"]
            ),
            (
                &"alice".into(),
                &"API".into(),
                &"admin".into(),
                &"API".into(),
                &"TODO".into()
            )
        );
        let nonce = c["nonce"].as_str().expect("nonce");
        assert!(
            nonce.len() == 40 && nonce.chars().all(|ch| matches!(ch, '0'..='9' | 'a'..='f')),
            "{nonce}"
        );
        let exp = c["exp"].as_i64().expect("integer exp");
        assert!((exp - (now() + 10 * 86_400)).abs() < 120, "{exp}");
        // the payload bytes are pi-manage's: compact, this key order
        assert_eq!(
            v["payload"],
            format!(
                r#"{{"username":"alice","realm":"API","nonce":"{nonce}","role":"admin","authtype":"API","exp":{exp},"rights":"TODO"}}"#
            )
        );
        assert!(token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
        // the role is enforced by privacyIDEA
        let v = pi_verify(&env, &token, "['user']");
        assert_eq!(v["accepted"], false, "{v}");

        // with the admin present: no warning; the pi-manage spelling, a validate token, JSON
        env.sql("INSERT INTO admin (username) VALUES ('alice')");
        let out = env.mfactl(&[
            "api",
            "createtoken",
            "-r",
            "validate",
            "-R",
            "realm1",
            "-u",
            "alice",
            "--format",
            "json",
        ]);
        out.ok();
        assert!(!out.stderr.contains("warning"), "{out:?}");
        let j = out.json();
        assert_eq!(
            (&j["role"], &j["realm"], &j["validity_days"]),
            (&"validate".into(), &"realm1".into(), &365.into())
        );
        let v = pi_verify(&env, j["token"].as_str().expect("token"), "['validate']");
        assert_eq!(v["accepted"], true, "{v}");
        assert_eq!(v["claims"]["realm"], "realm1");
        assert_eq!(v["claims"]["exp"], j["exp"]);

        // and mfactl's own inspect agrees, including the admin check on this engine
        let out = env.mfactl_stdin(&["api", "inspect", "-"], &token);
        out.ok();
        assert!(out.stdout.contains("Signature:  valid"), "{out:?}");
        assert!(
            out.stdout
                .contains("Admin:      alice exists in the admin table"),
            "{engine}: {out:?}"
        );
        assert!(out.stdout.contains("Remaining:  9 days 23:"), "{out:?}");
    }
}

#[test]
fn privacyidea_made_tokens_pass_inspect_on_every_engine() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        // pi-manage takes the nonce from its security module: it needs the enckey
        env.write_enckey(&(0u8..96).collect::<Vec<u8>>());
        let pi_manage = pi_python().with_file_name("pi-manage");
        let out = Cmd::new(&pi_manage)
            .args(["api", "createtoken", "-r", "admin", "-u", "bob", "-d", "30"])
            .env("PRIVACYIDEA_CONFIGFILE", env.pi_cfg_path())
            .current_dir(env.dir())
            .run();
        out.ok();
        let token = token_of(&out);
        let out = env.mfactl_stdin(&["api", "inspect", "--format", "json", "-"], &token);
        out.ok();
        let j = out.json();
        assert_eq!(j["valid"], true, "{j}");
        assert_eq!(j["claims"]["username"], "bob");
        assert_eq!(j["claims"]["role"], "admin");
        assert_eq!(j["admin_exists"], false, "{engine}");
        let rem = j["remaining_seconds"].as_i64().expect("remaining");
        assert!((rem - 30 * 86_400).abs() < 300, "{rem}");
        assert!(
            out.stderr.contains("requires one: `mfactl admin add bob`"),
            "{out:?}"
        );
        env.sql("INSERT INTO admin (username, email) VALUES ('bob', NULL)");
        let j = env
            .mfactl_stdin(&["api", "inspect", "--format", "json"], &token)
            .ok()
            .json();
        assert_eq!(j["admin_exists"], true, "{engine}: {j}");
    }
}

#[test]
fn inspect_shows_the_vector_token() {
    let env = TestEnv::new(Engine::Sqlite);
    env.load_reference_schema();
    let out = env.mfactl_stdin(&["api", "inspect", "-"], &format!("{FIXED}\n"));
    out.ok();
    assert_eq!(
        out.stdout,
        format!(
            "Signature:  valid (HS256 with SECRET_KEY)\n\
             Header:     {{\"alg\":\"HS256\",\"typ\":\"JWT\"}}\n\
             Claims:     {FIXED_PAYLOAD}\n\
             Username:   alice\n\
             Realm:      API\n\
             Role:       admin\n\
             Grants:     the admin API as alice (admin policies with adminuser=alice, adminrealm=API)\n\
             Expires:    2030-01-01 00:00:00 UTC\n\
             Remaining:  {}\n\
             Admin:      alice does NOT exist in the admin table\n",
            out.stdout
                .lines()
                .find_map(|l| l.strip_prefix("Remaining:  "))
                .expect("remaining line")
        )
    );
    // the token on argv works but warns; `Bearer ` is removed with a warning
    let out = env.mfactl(&["api", "inspect", FIXED]);
    out.ok();
    assert!(out.stderr.contains("visible to other users"), "{out:?}");
    let out = env.mfactl_stdin(&["api", "inspect"], &format!("Bearer {FIXED}"));
    out.ok();
    assert!(out.stderr.contains("removed `Bearer `"), "{out:?}");
}

#[test]
fn inspect_rejects_expired_tampered_wrong_secret_and_other_tokens() {
    let env = TestEnv::new(Engine::Sqlite);
    env.load_reference_schema();
    let key = format!("{SECRET_KEY:?}");
    let claims = |exp: i64| {
        format!(
            r#"{{"username":"alice","realm":"API","nonce":"00","role":"admin","authtype":"API","exp":{exp},"rights":"TODO"}}"#
        )
    };
    let inspect = |token: &str| env.mfactl_stdin(&["api", "inspect", "-"], token);

    // expired (made by PyJWT with the right key)
    let expired = pyjwt(&env, &claims(1_000_000_000), &key, "HS256");
    let out = inspect(&expired);
    out.code(1);
    assert!(out.stdout.contains("Signature:  valid"), "{out:?}");
    assert!(out.stdout.contains("Remaining:  none, expired"), "{out:?}");
    assert!(
        out.stderr
            .contains("error: the token has expired (exp 1000000000)"),
        "{out:?}"
    );
    // expires at exactly now or in the past second: expired (no leeway, like PyJWT)
    let out = inspect(&pyjwt(&env, &claims(now() - 1), &key, "HS256"));
    out.code(1);
    // another key
    let other = pyjwt(&env, &claims(now() + 3600), "'x' * 32", "HS256");
    let out = inspect(&other);
    out.code(1);
    assert!(out.stdout.contains("Signature:  INVALID"), "{out:?}");
    assert!(
        out.stderr.contains("error: signature verification failed"),
        "{out:?}"
    );
    // tampered: first signature character changed, and a payload swapped in
    let dot = FIXED.rfind('.').expect("dot") + 1;
    let mut t = FIXED.to_string();
    let c = if &t[dot..=dot] == "A" { "B" } else { "A" };
    t.replace_range(dot..=dot, c);
    inspect(&t).code(1);
    let parts: Vec<&str> = FIXED.split('.').collect();
    let other_parts: Vec<&str> = other.split('.').collect();
    let swapped = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
    let out = inspect(&swapped);
    out.code(1);
    assert!(
        out.stderr.contains("signature verification failed"),
        "{out:?}"
    );
    // not yet valid, other algorithm, alg none, garbage
    let nbf = format!(
        r#"{{"username":"alice","role":"admin","nbf":{}}}"#,
        now() + 3600
    );
    let out = inspect(&pyjwt(&env, &nbf, &key, "HS256"));
    out.code(1);
    assert!(out.stderr.contains("not yet valid (nbf"), "{out:?}");
    let out = inspect(&pyjwt(&env, &claims(now() + 3600), &key, "HS512"));
    out.code(1);
    assert!(out.stderr.contains("HS256 only"), "{out:?}");
    let out = inspect(&pyjwt(&env, &claims(now() + 3600), "None", "none"));
    out.code(1);
    for garbage in ["abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.bm9wZQ.AA"] {
        let out = inspect(garbage);
        out.code(1);
        assert!(out.stderr.contains("not a valid JWT"), "{garbage}: {out:?}");
        assert!(!out.stderr.contains("panicked"), "{out:?}");
    }
    // a token without exp is valid forever, and the output says so
    let out = inspect(&pyjwt(
        &env,
        r#"{"username":"alice","role":"admin"}"#,
        &key,
        "HS256",
    ));
    out.ok();
    assert!(out.stdout.contains("Expires:    never"), "{out:?}");
    // JSON output for a rejected token: still the report, exit 1
    let out = env.mfactl_stdin(&["api", "inspect", "--format", "json", "-"], &expired);
    out.code(1);
    let j = out.json();
    assert_eq!(
        (&j["valid"], &j["signature_valid"]),
        (&false.into(), &true.into())
    );
    assert_eq!(j["claims"]["exp"], 1_000_000_000);
}

#[test]
fn secret_key_missing_short_or_bytes() {
    let env = TestEnv::new(Engine::Sqlite);
    env.load_reference_schema();
    // pi.cfg without SECRET_KEY
    let no_key: String = env
        .pi_cfg()
        .lines()
        .filter(|l| !l.starts_with("SECRET_KEY"))
        .map(|l| format!("{l}\n"))
        .collect();
    let cfg = env.path("nokey.cfg");
    fs::write(&cfg, no_key).expect("write");
    let run = |cfg: &std::path::Path, args: &[&str], stdin: &str| {
        Cmd::new(mfactl_tests::mfactl_bin())
            .arg("--config")
            .arg(cfg)
            .args(args)
            .stdin(stdin)
            .run()
    };
    let out = run(&cfg, &["api", "create-token", "-u", "alice"], "");
    out.code(2);
    assert!(
        out.stderr
            .contains("error: SECRET_KEY is not set in the configuration"),
        "{out:?}"
    );
    assert_eq!(out.stdout, "");
    let out = run(&cfg, &["api", "inspect", "-"], FIXED);
    out.code(2);
    assert!(out.stderr.contains("SECRET_KEY is not set"), "{out:?}");

    // a bytes SECRET_KEY that is not UTF-8 and short: warning, and privacyIDEA (same pi.cfg)
    // accepts the token
    let bytes_cfg: String = env
        .pi_cfg()
        .lines()
        .map(|l| {
            if l.starts_with("SECRET_KEY") {
                "SECRET_KEY = b'\\xff\\xfe\\x00key'\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    fs::write(env.pi_cfg_path(), bytes_cfg).expect("write pi.cfg");
    let out = run(
        &env.pi_cfg_path(),
        &["api", "create-token", "-u", "alice"],
        "",
    );
    out.ok();
    assert!(
        out.stderr.contains("SECRET_KEY has only 6 bytes"),
        "{out:?}"
    );
    let token = token_of(&out);
    let v = pi_verify(&env, &token, "['admin']");
    assert_eq!(v["accepted"], true, "{v}");
    // the 'k' * 32 vector token does not verify under this key
    run(&env.pi_cfg_path(), &["api", "inspect", "-"], FIXED).code(1);
    run(&env.pi_cfg_path(), &["api", "inspect", "-"], &token).ok();
}

#[test]
fn help_and_usage() {
    let env = TestEnv::new(Engine::Sqlite);
    let out = env.mfactl(&["api", "createtoken", "--help"]);
    out.ok();
    for opt in [
        "-r, --role",
        "-d, --days",
        "-R, --realm",
        "-u, --username",
        "validate:",
    ] {
        assert!(out.stdout.contains(opt), "{opt}: {out:?}");
    }
    let out = env.mfactl(&["api", "--help"]);
    out.ok();
    assert!(out.stdout.contains("create-token"), "{out:?}");
    assert!(out.stdout.contains("inspect"), "{out:?}");
    assert!(
        !out.stdout.contains("createtoken"),
        "aliases are hidden: {out:?}"
    );
    // usage errors: exit 2
    env.mfactl(&["api", "create-token"]).code(2);
    env.mfactl(&["api", "create-token", "-u", "a", "-r", "user"])
        .code(2);
    env.mfactl(&["api", "create-token", "-u", "a", "-d", "0"])
        .code(2);
    env.mfactl(&["api", "create-token", "-u", ""]).code(2);
}
