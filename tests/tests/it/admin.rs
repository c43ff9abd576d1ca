//! Integration tests: admin (add, list, change, delete, verify) on every engine, hashes made by
//! privacyIDEA 3.14 (`vectors/admin.json`), and the interop tier: admins made by mfactl log in
//! through privacyIDEA's own password check, and admins privacyIDEA made are checked by mfactl.
//!
//! Most tests set cheap argon2 parameters through `PI_HASH_ALGO_PARAMS` (only in mfactl.toml),
//! because argon2 with privacyIDEA's m=64 MiB, t=9 takes seconds in a debug build; the default
//! parameters are exercised by `default_hash_is_privacyideas_and_privacyidea_accepts_it`.

use mfactl_tests::{engines, Cmd, Engine, EnvOptions, Output, TestEnv, PI_PEPPER};
use std::fs;
use std::path::PathBuf;

/// `vectors/admin.json`: hashes privacyIDEA 3.14 made of `pepper` + `secret`.
const ALICE_ARGON2: &str = "$argon2id$v=19$m=65536,t=9,p=4$TolRqjUmxPjf+1/L+V+LcQ$D+SeIG4UHSFe2iEzHDBDTgictBThVarDAabSGSwJf6Y";
const BOB_PBKDF2: &str = "$pbkdf2-sha512$25000$JgTAOAcA4HyPUUqplVLKmQ$HMuqiWfPoUXBlzfAgeoMM7qOLzG1mx14oNvtHHpbRWDUnB63GImigf8b6oSgbNYs3f3vR6YsqzlzTJ0Vtew2ug";

const CHEAP: &str =
    "PI_HASH_ALGO_PARAMS = { argon2__memory_cost = 64, argon2__rounds = 1, argon2__parallelism = 1 }";

/// An env with the reference schema and cheap argon2 parameters for mfactl.
fn cheap_env(engine: Engine) -> TestEnv {
    let env = TestEnv::new_with(engine, EnvOptions::default().toml_tail(CHEAP));
    env.load_reference_schema();
    env
}

fn pw_file(env: &TestEnv, name: &str, content: &str) -> String {
    let p = env.path(name);
    fs::write(&p, content).expect("write password file");
    p.display().to_string()
}

/// (password, email) of an admin, `None` when absent.
fn row(env: &TestEnv, user: &str) -> Option<(Option<String>, Option<String>)> {
    let rows = env.query_opt(&format!(
        "SELECT password, email FROM admin WHERE username = '{user}'"
    ));
    rows.into_iter().next().map(|mut r| {
        let email = r.pop().flatten();
        let pw = r.pop().flatten();
        (pw, email)
    })
}

fn no_crash(out: &Output) {
    assert!(
        !out.stderr.contains("panicked") && !out.stderr.contains("Traceback"),
        "{out:?}"
    );
}

#[test]
fn add_list_change_verify_delete_on_every_engine() {
    for engine in engines() {
        let env = cheap_env(engine);
        let pw1 = pw_file(&env, "pw1", "Först pass\n");
        let pw2 = pw_file(&env, "pw2", "second\r\n");

        // add: registered, hash of the configured scheme, email stored
        let out = env.mfactl(&[
            "admin",
            "add",
            "alice",
            "-e",
            "alice@example.test",
            "--password-file",
            &pw1,
        ]);
        out.ok();
        assert_eq!(
            out.stdout, "Admin alice was registered successfully.\n",
            "{engine}"
        );
        let (hash1, email) = row(&env, "alice").expect("alice row");
        let hash1 = hash1.expect("hash");
        assert!(
            hash1.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{engine}: {hash1}"
        );
        assert_eq!(email.as_deref(), Some("alice@example.test"));

        // verify: the right password (without the file's newline) matches, others do not
        let out = env.mfactl(&["admin", "verify", "alice", "--password-file", &pw1]);
        out.ok();
        assert_eq!(
            out.stdout,
            "The password of admin alice matches (argon2id m=64,t=1,p=1).\n"
        );
        let wrong = pw_file(&env, "wrong", "Först pass \n");
        let out = env.mfactl(&["admin", "verify", "alice", "--password-file", &wrong]);
        out.code(1);
        assert!(
            out.stderr
                .contains("error: the password does not match the hash of admin alice"),
            "{out:?}"
        );

        // add again: truthfully "updated", new hash, email kept when -e is not given
        let out = env.mfactl(&["admin", "add", "alice", "--password-file", &pw2]);
        out.ok();
        assert_eq!(out.stdout, "Admin alice already existed and was updated.\n");
        let (hash2, email) = row(&env, "alice").expect("alice row");
        assert_ne!(hash2.as_deref(), Some(hash1.as_str()));
        assert_eq!(email.as_deref(), Some("alice@example.test"));
        env.mfactl(&["admin", "verify", "alice", "--password-file", &pw2])
            .ok();
        env.mfactl(&["admin", "verify", "alice", "--password-file", &pw1])
            .code(1);

        // change -e only: the hash stays
        let out = env.mfactl(&["admin", "change", "alice", "-e", "new@example.test"]);
        out.ok();
        assert_eq!(out.stdout, "Admin alice: email changed.\n");
        assert_eq!(
            row(&env, "alice"),
            Some((hash2.clone(), Some("new@example.test".into())))
        );

        // change the password through stdin (`--password-file -`)
        let out = env.mfactl_stdin(
            &["admin", "change", "alice", "--password-file", "-"],
            "third\n",
        );
        out.ok();
        assert_eq!(out.stdout, "Admin alice: password changed.\n");
        env.mfactl_stdin(
            &["admin", "verify", "alice", "--password-file", "-"],
            "third",
        )
        .ok();

        // a second admin with the pi-manage flag: works, warns
        let out = env.mfactl(&["admin", "add", "bob", "-p", "pw-bob"]);
        out.ok();
        assert!(
            out.stderr
                .contains("warning: a password on the command line"),
            "{out:?}"
        );

        // list: pi-manage's layout, sorted; JSON with the hash description
        let out = env.mfactl(&["admin", "list"]);
        out.ok();
        assert_eq!(
            out.stdout,
            format!(
                "Name \t email\n{}\nalice \t new@example.test\nbob \t None\n",
                "=".repeat(30)
            )
        );
        let j = env
            .mfactl(&["admin", "list", "--format", "json"])
            .ok()
            .json();
        assert_eq!(
            j,
            serde_json::json!([
                {"username": "alice", "email": "new@example.test", "hash": "argon2id m=64,t=1,p=1"},
                {"username": "bob", "email": null, "hash": "argon2id m=64,t=1,p=1"},
            ]),
            "{engine}"
        );

        // change of a missing admin: error unless --create
        let out = env.mfactl(&["admin", "change", "carol", "--password-file", &pw1]);
        out.code(1);
        no_crash(&out);
        assert!(
            out.stderr.contains("error: admin carol does not exist"),
            "{out:?}"
        );
        assert_eq!(row(&env, "carol"), None);
        let out = env.mfactl(&[
            "admin",
            "change",
            "carol",
            "--create",
            "--password-file",
            &pw1,
        ]);
        out.ok();
        assert_eq!(out.stdout, "Admin carol was registered successfully.\n");
        env.mfactl(&["admin", "verify", "carol", "--password-file", &pw1])
            .ok();

        // delete: dry run changes nothing; then gone; a second delete is a clean error
        let out = env.mfactl(&["admin", "delete", "bob", "--dry-run"]);
        out.ok();
        assert!(row(&env, "bob").is_some());
        let out = env.mfactl(&["admin", "delete", "bob"]);
        out.ok();
        assert_eq!(out.stdout, "Admin bob was deleted.\n");
        assert_eq!(row(&env, "bob"), None);
        let out = env.mfactl(&["admin", "delete", "bob"]);
        out.code(1);
        no_crash(&out);
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.contains("error: admin bob does not exist"),
            "{out:?}"
        );
        let out = env.mfactl(&["admin", "verify", "bob", "-p", "x"]);
        out.code(1);
        assert!(
            out.stderr.contains("error: admin bob does not exist"),
            "{out:?}"
        );

        // deleting the last admins warns
        env.mfactl(&["admin", "delete", "alice"]).ok();
        let out = env.mfactl(&["admin", "delete", "carol"]);
        out.ok();
        assert!(out.stderr.contains("no administrator is left"), "{out:?}");
        assert_eq!(env.count("admin"), 0, "{engine}");
    }
}

#[test]
fn usernames_match_like_privacyidea_per_engine() {
    // privacyIDEA looks admins up with `username = …` in the database's collation: on MariaDB
    // (utf8mb4_general_ci) `ALICE` is `alice`, elsewhere it is another admin.
    for engine in engines() {
        let env = cheap_env(engine);
        env.mfactl(&["admin", "add", "alice", "-p", "a"]).ok();
        let out = env.mfactl(&["admin", "add", "ALICE", "-p", "b"]);
        out.ok();
        if engine == Engine::Mariadb {
            assert_eq!(out.stdout, "Admin alice already existed and was updated.\n");
            assert_eq!(env.count("admin"), 1);
        } else {
            assert_eq!(out.stdout, "Admin ALICE was registered successfully.\n");
            assert_eq!(env.count("admin"), 2);
        }
    }
}

#[test]
fn privacyidea_made_hashes_are_recognised_on_every_engine() {
    for engine in engines() {
        let env = cheap_env(engine);
        env.sql(&format!(
            "INSERT INTO admin (username, password, email) VALUES \
             ('alice', '{ALICE_ARGON2}', NULL), ('bob', '{BOB_PBKDF2}', 'bob@example.test'), \
             ('eve', NULL, NULL), ('mallory', '{{SSHA}}abc', NULL)"
        ));
        let secret = pw_file(&env, "pw", "secret\n");
        let wrong = pw_file(&env, "wrong", "Secret\n");
        let out = env.mfactl(&["admin", "verify", "alice", "--password-file", &secret]);
        out.ok();
        assert_eq!(
            out.stdout,
            "The password of admin alice matches (argon2id m=65536,t=9,p=4).\n"
        );
        env.mfactl(&["admin", "verify", "alice", "--password-file", &wrong])
            .code(1);
        let out = env.mfactl(&["admin", "verify", "bob", "--password-file", &secret]);
        out.ok();
        assert_eq!(
            out.stdout,
            "The password of admin bob matches (pbkdf2-sha512 25000 rounds).\n"
        );
        assert!(
            out.stderr
                .contains("`mfactl admin change bob` rehashes this password"),
            "{out:?}"
        );
        env.mfactl(&["admin", "verify", "bob", "--password-file", &wrong])
            .code(1);
        // no password, unknown format: clear errors
        let out = env.mfactl(&["admin", "verify", "eve", "--password-file", &secret]);
        out.code(1);
        assert!(out.stderr.contains("has no password"), "{out:?}");
        let out = env.mfactl(&["admin", "verify", "mallory", "--password-file", &secret]);
        out.code(1);
        no_crash(&out);
        assert!(out.stderr.contains("unrecognised hash format"), "{out:?}");
        let j = env
            .mfactl(&["admin", "list", "--format", "json"])
            .ok()
            .json();
        let hashes: Vec<&str> = j
            .as_array()
            .expect("list")
            .iter()
            .map(|a| a["hash"].as_str().unwrap_or("null"))
            .collect();
        assert_eq!(
            hashes,
            [
                "argon2id m=65536,t=9,p=4",
                "pbkdf2-sha512 25000 rounds",
                "null",
                "unknown"
            ],
            "{engine}"
        );
        // the pi-manage list shows the email of the pbkdf2 admin
        let out = env.mfactl(&["admin", "list"]);
        assert!(
            out.ok().stdout.contains("bob \t bob@example.test\n"),
            "{out:?}"
        );
    }
}

#[test]
fn pbkdf2_first_in_the_algo_list_writes_pbkdf2() {
    let env = TestEnv::new_with(
        Engine::Sqlite,
        EnvOptions::default().toml_tail("PI_HASH_ALGO_LIST = [\"pbkdf2_sha512\", \"argon2\"]"),
    );
    env.load_reference_schema();
    env.mfactl(&["admin", "add", "bob", "-p", "secret"]).ok();
    let (hash, _) = row(&env, "bob").expect("bob");
    let hash = hash.expect("hash");
    let fields: Vec<&str> = hash.split('$').collect();
    assert_eq!(&fields[..3], ["", "pbkdf2-sha512", "25000"], "{hash}");
    assert_eq!(fields[3].len(), 22, "16 bytes of salt: {hash}");
    assert_eq!(fields[4].len(), 86, "64 bytes of checksum: {hash}");
    assert!(
        !hash.contains('+'),
        "passlib's ab64 uses '.' for '+': {hash}"
    );
    env.mfactl(&["admin", "verify", "bob", "-p", "secret"]).ok();
    // privacyIDEA (default list: argon2, then pbkdf2_sha512) accepts the pbkdf2 hash
    let out = env.pi_run(
        r#"
        from privacyidea.lib.auth import verify_db_admin
        result = [verify_db_admin("bob", "secret"), verify_db_admin("bob", "secreT")]
        "#,
    );
    assert_eq!(out.ok().json(), serde_json::json!([true, false]));
    // an unknown first scheme is a configuration error
    let env = TestEnv::new_with(
        Engine::Sqlite,
        EnvOptions::default().toml_tail("PI_HASH_ALGO_LIST = [\"bcrypt\"]"),
    );
    env.load_reference_schema();
    let out = env.mfactl(&["admin", "add", "bob", "-p", "secret"]);
    out.code(2);
    assert!(out.stderr.contains("bcrypt"), "{out:?}");
    assert_eq!(env.count("admin"), 0);
}

#[test]
fn empty_password_and_missing_pepper_are_clear_errors() {
    let env = cheap_env(Engine::Sqlite);
    // empty password, from a file, from -p, from an empty line
    for args in [
        vec!["--password-file".to_string(), pw_file(&env, "empty", "")],
        vec!["--password-file".to_string(), pw_file(&env, "nl", "\n")],
        vec!["-p".to_string(), String::new()],
    ] {
        let mut a = vec!["admin", "add", "alice"];
        a.extend(args.iter().map(String::as_str));
        let out = env.mfactl(&a);
        out.code(1);
        assert!(
            out.stderr.contains("error: the password is empty"),
            "{out:?}"
        );
        assert_eq!(env.count("admin"), 0);
    }
    // a two-line password file
    let out = env.mfactl(&[
        "admin",
        "add",
        "alice",
        "--password-file",
        &pw_file(&env, "two", "a\nb\n"),
    ]);
    out.code(1);
    assert!(out.stderr.contains("more than one line"), "{out:?}");
    // a missing password file
    let out = env.mfactl(&[
        "admin",
        "add",
        "alice",
        "--password-file",
        "/nonexistent/pw",
    ]);
    out.code(1);
    assert!(
        out.stderr.contains("cannot read the password file"),
        "{out:?}"
    );

    // the config without PI_PEPPER
    let toml = env
        .config_toml()
        .lines()
        .filter(|l| !l.starts_with("PI_PEPPER"))
        .collect::<Vec<_>>()
        .join("\n");
    let cfg: PathBuf = env.path("nopepper.toml");
    fs::write(&cfg, toml).expect("write config");
    let run = |args: &[&str]| {
        Cmd::new(mfactl_tests::mfactl_bin())
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .run()
    };
    for args in [
        &["admin", "add", "alice", "-p", "x"][..],
        &["admin", "verify", "alice", "-p", "x"][..],
    ] {
        if args[1] == "verify" {
            env.sql(&format!(
                "INSERT INTO admin (username, password) VALUES ('alice', '{ALICE_ARGON2}')"
            ));
        }
        let out = run(args);
        out.code(2);
        no_crash(&out);
        assert!(
            out.stderr
                .contains("error: PI_PEPPER is not set in the configuration"),
            "{out:?}"
        );
        assert!(out.stderr.contains("Never know..."), "{out:?}");
    }
    // commands that need no pepper still work
    run(&["admin", "list"]).ok();
    run(&["admin", "delete", "alice"]).ok();
    assert_eq!(env.count("admin"), 0);
}

#[test]
fn help_texts() {
    let env = TestEnv::new(Engine::Sqlite);
    let out = env.mfactl(&["admin", "--help"]);
    out.ok();
    for verb in ["add", "list", "delete", "change", "verify"] {
        assert!(out.stdout.contains(&format!("  {verb} ")), "{out:?}");
    }
    let out = env.mfactl(&["admin", "add", "--help"]);
    out.ok();
    for opt in ["-e, --email", "-p, --password", "--password-file"] {
        assert!(out.stdout.contains(opt), "{opt}: {out:?}");
    }
    let out = env.mfactl(&["admin", "change", "--help"]);
    assert!(out.ok().stdout.contains("--create"), "{out:?}");
}

/// Interop: privacyIDEA 3.14's `verify_db_admin` accepts an admin mfactl made with the default
/// parameters (whose hash has privacyIDEA's exact shape), and mfactl checks an admin
/// privacyIDEA's `create_db_admin` made (on every engine).
#[test]
fn default_hash_is_privacyideas_and_privacyidea_accepts_it() {
    for engine in engines() {
        let mut env = TestEnv::new(engine);
        env.load_reference_schema();
        let pw = pw_file(&env, "pw", "Pässwort mit Leerzeichen\n");
        env.mfactl(&[
            "admin",
            "add",
            "admin1",
            "-e",
            "a1@example.test",
            "--password-file",
            &pw,
        ])
        .ok();
        let (hash, _) = row(&env, "admin1").expect("admin1");
        let hash = hash.expect("hash");
        let f: Vec<&str> = hash.split('$').collect();
        assert_eq!(
            &f[..4],
            ["", "argon2id", "v=19", "m=65536,t=9,p=4"],
            "{hash}"
        );
        assert_eq!((f[4].len(), f[5].len()), (22, 43), "{hash}");

        let out = env.pi_run(
            r#"
            from privacyidea.lib.auth import verify_db_admin, db_admin_exists, create_db_admin
            ok = verify_db_admin("admin1", "Pässwort mit Leerzeichen")
            bad = verify_db_admin("admin1", "Pässwort mit Leerzeichen ")
            create_db_admin("piadmin", email="pi@example.test", password="von privacyIDEA")
            result = {"ok": ok, "bad": bad, "exists": db_admin_exists("admin1")}
            "#,
        );
        assert_eq!(
            out.ok().json(),
            serde_json::json!({"ok": true, "bad": false, "exists": true}),
            "{engine}"
        );
        let good = pw_file(&env, "pi", "von privacyIDEA");
        let out = env.mfactl(&["admin", "verify", "piadmin", "--password-file", &good]);
        out.ok();
        assert!(
            out.stdout.contains("(argon2id m=65536,t=9,p=4)"),
            "{engine}: {out:?}"
        );
        let out = env.mfactl(&["admin", "list"]);
        assert!(
            out.ok().stdout.contains("piadmin \t pi@example.test\n"),
            "{out:?}"
        );
        // the pepper is part of the hash: under another PI_PEPPER the password no longer matches
        assert_eq!(PI_PEPPER, "pepper");
        env.set_config("PI_PEPPER", "peppe");
        env.mfactl(&["admin", "verify", "piadmin", "--password-file", &good])
            .code(1);
    }
}

#[test]
fn add_and_change_prompt_twice_on_a_terminal() {
    let env = cheap_env(Engine::Sqlite);
    let (code, text) = env.mfactl_on_tty(&["admin", "add", "tina"], &["Geheim 1", "Geheim 1"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Password for admin tina: "), "{text}");
    assert!(
        text.contains("Admin tina was registered successfully."),
        "{text}"
    );
    let pw = pw_file(&env, "pw", "Geheim 1\n");
    env.mfactl(&["admin", "verify", "tina", "--password-file", &pw])
        .ok();
    // mismatching entries: exit 1, nothing changed
    let (code, text) = env.mfactl_on_tty(&["admin", "change", "tina"], &["neu 1", "neu 2"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("New password for admin tina: "), "{text}");
    assert!(text.contains("do not match"), "{text}");
    env.mfactl(&["admin", "verify", "tina", "--password-file", &pw])
        .ok();
    // change without options asks for the new password
    let (code, text) = env.mfactl_on_tty(&["admin", "change", "tina"], &["neu 3", "neu 3"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Admin tina: password changed."), "{text}");
    let (code, text) = env.mfactl_on_tty(&["admin", "verify", "tina"], &["neu 3"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("matches"), "{text}");
}

#[test]
fn dry_runs_ask_nothing_and_change_nothing() {
    for engine in engines() {
        let env = cheap_env(engine);
        // stdin is not a terminal and no password file is given: a real run would fail
        let out = env.mfactl(&["admin", "add", "carol", "--dry-run"]);
        out.ok();
        assert_eq!(
            out.stdout, "Would register admin carol (dry run).\n",
            "{engine}"
        );
        assert!(row(&env, "carol").is_none(), "{engine}");
        let pw = pw_file(&env, "pw", "secret\n");
        env.mfactl(&[
            "admin",
            "add",
            "carol",
            "-e",
            "c@example.test",
            "--password-file",
            &pw,
        ])
        .ok();
        let before = row(&env, "carol");
        let out = env.mfactl(&["--dry-run", "admin", "add", "carol"]);
        out.ok();
        assert_eq!(
            out.stdout, "Would update admin carol (dry run).\n",
            "{engine}"
        );
        let out = env.mfactl(&[
            "admin",
            "change",
            "carol",
            "-e",
            "new@example.test",
            "--dry-run",
        ]);
        out.ok();
        assert_eq!(
            out.stdout, "Would change the email of admin carol (dry run).\n",
            "{engine}"
        );
        assert_eq!(row(&env, "carol"), before, "{engine}");
        // a missing admin is still an error in a dry run
        env.mfactl(&["admin", "change", "nobody", "--dry-run"])
            .code(1);
    }
}
