//! Integration tests: the host — CLI transcripts, config, plugin discovery and trust, the
//! database callbacks (through the `dbprobe` fixture) on every engine.
use mfactl_tests::{engines, fixture_plugin, workspace_root, Engine, Output, TestEnv};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn snap(name: &str) -> PathBuf {
    workspace_root().join("tests/tests/it/snapshots").join(name)
}

/// In-process transcript: exit code, stdout, stderr, compared with a snapshot file
/// (`SNAPSHOTS=overwrite cargo test` rewrites them).
fn transcript(args: &[&str]) -> String {
    let c = mfactl::run_captured(args);
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        c.code, c.stdout, c.stderr
    )
}

fn assert_snapshot(name: &str, actual: String) {
    snapbox::assert_data_eq!(actual, snapbox::Data::read_from(&snap(name), None).raw());
}

/// A directory under the system temp dir with mode 0755 (as plugin directories must be),
/// removed when dropped; derefs to its path so tests use it like one.
struct ScratchDir(tempfile::TempDir);

impl std::ops::Deref for ScratchDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for ScratchDir {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

fn temp_dir(tag: &str) -> ScratchDir {
    let d = tempfile::Builder::new()
        .prefix(&format!("mfactl-host-{tag}-"))
        .tempdir()
        .expect("mkdir");
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    ScratchDir(d)
}

fn write_config(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("mfactl.toml");
    fs::write(&p, body).expect("write config");
    p
}

#[test]
fn builtin_nouns_are_exactly_the_documented_set() {
    let c = mfactl::run_captured(&["mfactl", "plugins", "list", "--format", "json"]);
    assert_eq!(c.code, 0, "{c:?}");
    let list: serde_json::Value = serde_json::from_str(&c.stdout).expect("json");
    let mut nouns: Vec<String> = list
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["source"] == "builtin")
        .map(|e| e["noun"].as_str().unwrap_or("").to_string())
        .collect();
    nouns.sort();
    assert_eq!(nouns, mfactl::BUILTIN_NOUNS);
    for e in list.as_array().expect("array") {
        let keys: Vec<&String> = e.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            ["noun", "version", "source", "abi", "status", "reason"]
        );
    }
}

#[test]
fn top_level_help_and_bare_invocation() {
    assert_snapshot("help.txt", transcript(&["mfactl", "--help"]));
    let bare = mfactl::run_captured(&["mfactl"]);
    assert_eq!(bare.code, 2);
    assert!(bare.stdout.is_empty());
    assert!(
        bare.stderr.contains("Usage: mfactl [OPTIONS] [COMMAND]"),
        "{}",
        bare.stderr
    );
    for noun in mfactl::BUILTIN_NOUNS {
        assert!(
            bare.stderr.contains(&format!("  {noun} ")),
            "{noun} missing from help"
        );
    }
}

#[test]
fn every_noun_help_is_snapshotted() {
    for noun in mfactl::BUILTIN_NOUNS
        .iter()
        .chain(["config", "plugins", "completions"].iter())
    {
        assert_snapshot(
            &format!("help-{noun}.txt"),
            transcript(&["mfactl", noun, "--help"]),
        );
    }
}

#[test]
fn unknown_noun_and_verb_are_usage_errors() {
    assert_snapshot("unknown-noun.txt", transcript(&["mfactl", "frobnicate"]));
    let c = mfactl::run_captured(&["mfactl", "admin", "frobnicate"]);
    assert_eq!(c.code, 2, "{c:?}");
    assert!(c.stderr.starts_with("error: "), "{}", c.stderr);
    assert!(c.stderr.contains("frobnicate"), "{}", c.stderr);
}

#[test]
fn config_errors_name_the_file_and_key() {
    let d = temp_dir("cfgerr");
    let missing = d.join("nope.toml");
    let c = mfactl::run_captured(&[
        "mfactl",
        "--config",
        missing.to_str().expect("utf8"),
        "config",
        "show",
    ]);
    assert_eq!(c.code, 2);
    assert!(c.stderr.contains("nope.toml"), "{}", c.stderr);

    let bad = write_config(
        &d,
        "[privacyidea]\nSQLALCHEMY_DATABASE_URI = 'sqlite:////x'\n[mfactl]\nfoo = 1\n",
    );
    let c = mfactl::run_captured(&[
        "mfactl",
        "--config",
        bad.to_str().expect("utf8"),
        "config",
        "show",
    ]);
    assert_eq!(c.code, 2);
    assert!(
        c.stderr
            .contains(&format!("error: {}: mfactl: unknown key", bad.display())),
        "{}",
        c.stderr
    );

    let picfg = workspace_root().join("tests/fixtures/picfg/bad-call.cfg");
    let c = mfactl::run_captured(&[
        "mfactl",
        "--config",
        picfg.to_str().expect("utf8"),
        "config",
        "show",
    ]);
    assert_eq!(c.code, 2);
    assert!(c.stderr.contains("bad-call.cfg:5:"), "{}", c.stderr);
    assert!(c.stderr.contains("exec"), "{}", c.stderr);
}

#[test]
fn missing_config_names_every_path_tried() {
    let out = std::process::Command::new(mfactl_tests::mfactl_bin())
        .args(["config", "show"])
        .env_remove("MFACTL_CONFIG")
        .env_remove("PRIVACYIDEA_CONFIGFILE")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if Path::new("/etc/privacyidea/mfactl.toml").exists()
        || Path::new("/etc/privacyidea/pi.cfg").exists()
    {
        return; // a real installation: nothing to check here
    }
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("/etc/privacyidea/mfactl.toml"), "{stderr}");
    assert!(stderr.contains("/etc/privacyidea/pi.cfg"), "{stderr}");
    // A command that needs no config still works.
    let out = std::process::Command::new(mfactl_tests::mfactl_bin())
        .args(["completions", "bash"])
        .env_remove("MFACTL_CONFIG")
        .env_remove("PRIVACYIDEA_CONFIGFILE")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn picfg_real_world_forms_are_read() {
    let standalone = workspace_root().join("tests/fixtures/picfg/standalone.cfg");
    let c = mfactl::run_captured(&[
        "mfactl",
        "--config",
        standalone.to_str().expect("utf8"),
        "config",
        "show",
        "--format",
        "json",
    ]);
    assert_eq!(c.code, 0, "{c:?}");
    let j: serde_json::Value = serde_json::from_str(&c.stdout).expect("json");
    let dir = standalone.parent().expect("dir").display().to_string();
    assert_eq!(
        j["settings"]["PI_ENCFILE"]["value"],
        format!("{dir}/encKey")
    );
    assert_eq!(
        j["settings"]["SQLALCHEMY_DATABASE_URI"]["value"],
        format!("sqlite:///{dir}/privacyidea.sqlite")
    );
    assert_eq!(
        j["settings"]["SECRET_KEY"]["value"], "***",
        "secrets are redacted"
    );
    assert_eq!(j["settings"]["PI_LOGLEVEL"]["value"], 20);

    let debian = workspace_root().join("tests/fixtures/picfg/debian.cfg");
    let c = mfactl::run_captured(&[
        "mfactl",
        "--config",
        debian.to_str().expect("utf8"),
        "config",
        "show",
    ]);
    assert_eq!(c.code, 0, "{c:?}");
    assert!(
        c.stdout
            .contains("mysql+pymysql://pi:***@localhost/pi?charset=utf8mb4"),
        "{}",
        c.stdout
    );
    assert!(
        !c.stdout.contains("S3cr3t"),
        "password leaked: {}",
        c.stdout
    );
    assert!(
        c.stdout.contains("PI_PEPPER") && !c.stdout.contains("PI_PEPPER               = \""),
        "{}",
        c.stdout
    );
}

#[test]
fn completions_cover_nouns_and_verbs() {
    for shell in ["bash", "zsh", "fish"] {
        let c = mfactl::run_captured(&["mfactl", "completions", shell]);
        assert_eq!(c.code, 0);
        for word in ["enckey", "policy", "plugins", "create-token"] {
            assert!(c.stdout.contains(word), "{shell} completion lacks {word}");
        }
    }
}

fn plugin_dir_with(tag: &str, files: &[(&str, &Path)]) -> ScratchDir {
    let d = temp_dir(tag);
    for (name, src) in files {
        let dest = d.join(name);
        fs::copy(src, &dest).expect("copy");
        fs::set_permissions(&dest, fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    d
}

fn run_bin(args: &[&str]) -> Output {
    let out = std::process::Command::new(mfactl_tests::mfactl_bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn plugins_json(dir: &Path, config: Option<&Path>) -> Vec<serde_json::Value> {
    let d = dir.to_str().expect("utf8");
    let mut args = vec![];
    if let Some(c) = config {
        args.extend(["--config", c.to_str().expect("utf8")]);
    }
    args.extend(["--plugin-dir", d, "plugins", "list", "--format", "json"]);
    let o = run_bin(&args);
    o.ok();
    o.json().as_array().expect("array").clone()
}

fn entry<'a>(list: &'a [serde_json::Value], file: &str) -> &'a serde_json::Value {
    list.iter()
        .find(|e| e["source"].as_str().is_some_and(|s| s.ends_with(file)))
        .unwrap_or_else(|| panic!("{file} not listed: {list:?}"))
}

#[test]
fn external_plugin_loads_runs_and_keeps_aliases() {
    let hello = fixture_plugin("fixture-hello");
    let d = plugin_dir_with("hello", &[("hello.so", &hello)]);
    let ds = d.to_str().expect("utf8");
    let o = run_bin(&["--plugin-dir", ds, "hello", "greet", "bob"]);
    o.ok();
    assert_eq!(o.stdout, "hello bob\n");
    let o = run_bin(&["--plugin-dir", ds, "hi", "ann", "--format", "json"]);
    o.ok();
    assert_eq!(o.stdout, "{\"greeting\":\"hello ann\"}\n");
    let o = run_bin(&["--plugin-dir", ds, "--help"]);
    assert!(
        o.stdout.contains("hello") && o.stdout.contains("Say hello (test fixture)"),
        "{o:?}"
    );
    // The environment variable works too, and the current directory is never searched.
    let out = std::process::Command::new(mfactl_tests::mfactl_bin())
        .args(["hello", "greet", "x"])
        .env("MFACTL_PLUGIN_DIR", ds)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let out = std::process::Command::new(mfactl_tests::mfactl_bin())
        .args(["hello", "greet", "x"])
        .current_dir(&d)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "cwd must not be a plugin dir");
}

#[test]
fn broken_plugins_are_rejected_with_reasons_and_others_keep_working() {
    let garbage_dir = temp_dir("garbage-src");
    let garbage = garbage_dir.join("garbage.so");
    fs::write(&garbage, b"this is not an ELF file").expect("write");
    let d = plugin_dir_with(
        "broken",
        &[
            ("hello.so", &fixture_plugin("fixture-hello")),
            ("notaplugin.so", &fixture_plugin("fixture-notaplugin")),
            ("panicky.so", &fixture_plugin("fixture-panicky")),
            ("garbage.so", &garbage),
        ],
    );
    let list = plugins_json(&d, None);
    let reason = |f: &str| entry(&list, f)["reason"].as_str().unwrap_or("").to_string();
    assert_eq!(entry(&list, "/hello.so")["status"], "loaded");
    assert_eq!(entry(&list, "/notaplugin.so")["status"], "rejected");
    assert!(reason("/notaplugin.so").contains("not an mfactl plugin"));
    assert!(
        reason("/garbage.so").contains("not a loadable library"),
        "{}",
        reason("/garbage.so")
    );
    assert!(
        reason("/panicky.so").contains("panicked: index out of bounds"),
        "{}",
        reason("/panicky.so")
    );

    let ds = d.to_str().expect("utf8");
    let o = run_bin(&["--plugin-dir", ds, "hello", "greet", "still"]);
    o.ok();
    assert!(o.stderr.is_empty(), "no noise from broken plugins: {o:?}");
    let o = run_bin(&["--plugin-dir", ds, "panicky", "anything"]);
    o.code(2);
    assert!(
        o.stderr.contains("error: plugin panicky") && o.stderr.contains("rejected"),
        "{o:?}"
    );
}

#[test]
fn panicking_command_is_an_error_not_an_abort() {
    let d = plugin_dir_with("panic", &[("hello.so", &fixture_plugin("fixture-hello"))]);
    let o = run_bin(&["--plugin-dir", d.to_str().expect("utf8"), "hello", "panic"]);
    o.code(2);
    assert!(
        o.stderr
            .starts_with("error: plugin hello panicked: index out of bounds"),
        "{o:?}"
    );
    assert!(
        !o.stderr.contains("thread '"),
        "the panic hook must be silenced: {o:?}"
    );
}

#[test]
fn untrusted_locations_are_refused() {
    let hello = fixture_plugin("fixture-hello");
    let d = plugin_dir_with("ww", &[("hello.so", &hello)]);
    fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).expect("chmod");
    let list = plugins_json(&d, None);
    let dir_entry = list.iter().find(|e| {
        e["status"] == "rejected"
            && e["reason"]
                .as_str()
                .is_some_and(|r| r.contains("writable by group or others"))
    });
    assert!(dir_entry.is_some(), "{list:?}");
    assert!(!list
        .iter()
        .any(|e| e["noun"] == "hello" && e["status"] == "loaded"));
    let o = run_bin(&[
        "--plugin-dir",
        d.to_str().expect("utf8"),
        "hello",
        "greet",
        "x",
    ]);
    o.code(2);
    fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).expect("chmod");

    // A group-writable file, a symlink and a bad name.
    fs::set_permissions(d.join("hello.so"), fs::Permissions::from_mode(0o664)).expect("chmod");
    std::os::unix::fs::symlink(&hello, d.join("link.so")).expect("symlink");
    fs::copy(&hello, d.join("Bad Name.so")).expect("copy");
    let list = plugins_json(&d, None);
    assert!(entry(&list, "/hello.so")["reason"]
        .as_str()
        .unwrap_or("")
        .contains("writable by group or others"));
    assert!(entry(&list, "/link.so")["reason"]
        .as_str()
        .unwrap_or("")
        .contains("not a regular file"));
    assert!(entry(&list, "/Bad Name.so")["reason"]
        .as_str()
        .unwrap_or("")
        .contains("file name"));
}

#[test]
fn two_externals_with_one_noun_are_both_named() {
    let hello = fixture_plugin("fixture-hello");
    let d = plugin_dir_with("dup", &[("hello.so", &hello), ("hello2.so", &hello)]);
    let o = run_bin(&[
        "--plugin-dir",
        d.to_str().expect("utf8"),
        "hello",
        "greet",
        "x",
    ]);
    o.code(2);
    assert!(
        o.stderr.contains("hello.so") && o.stderr.contains("hello2.so"),
        "{o:?}"
    );
    // Built-ins win over an external with the same noun.
    let d2 = plugin_dir_with(
        "shadow",
        &[("admin.so", &fixture_plugin("fixture-reexport-admin"))],
    );
    let list = plugins_json(&d2, None);
    assert!(entry(&list, "/admin.so")["reason"]
        .as_str()
        .unwrap_or("")
        .contains("built-in"));
}

#[test]
fn sha256_pin_and_enable_mount_settings() {
    let hello = fixture_plugin("fixture-hello");
    let d = plugin_dir_with("pin", &[("hello.so", &hello)]);
    let cfgdir = temp_dir("pincfg");
    let wrong = "0".repeat(64);
    let cfg = write_config(&cfgdir, &format!("[plugins.hello]\nsha256 = \"{wrong}\"\n"));
    let list = plugins_json(&d, Some(&cfg));
    assert!(
        entry(&list, "/hello.so")["reason"]
            .as_str()
            .unwrap_or("")
            .contains("sha256 pin mismatch"),
        "{list:?}"
    );
    let o = run_bin(&[
        "--config",
        cfg.to_str().expect("utf8"),
        "--plugin-dir",
        d.to_str().expect("utf8"),
        "hello",
        "greet",
        "x",
    ]);
    o.code(2);

    let right = {
        use std::io::Read;
        let mut b = Vec::new();
        fs::File::open(d.join("hello.so"))
            .expect("open")
            .read_to_end(&mut b)
            .expect("read");
        let o = std::process::Command::new("sha256sum")
            .arg(d.join("hello.so"))
            .output()
            .expect("sha256sum");
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string()
    };
    let cfg = write_config(
        &cfgdir,
        &format!("[plugins.hello]\nsha256 = \"{right}\"\nmount = \"greeter\"\n"),
    );
    let o = run_bin(&[
        "--config",
        cfg.to_str().expect("utf8"),
        "--plugin-dir",
        d.to_str().expect("utf8"),
        "greeter",
        "greet",
        "x",
    ]);
    o.ok();
    assert_eq!(o.stdout, "hello x\n");

    let cfg = write_config(&cfgdir, "[plugins.hello]\nenabled = false\n");
    let list = plugins_json(&d, Some(&cfg));
    assert_eq!(entry(&list, "/hello.so")["status"], "disabled");
}

#[test]
fn plugins_verify_runs_checks_in_a_child() {
    let d = plugin_dir_with(
        "verify",
        &[
            ("hello.so", &fixture_plugin("fixture-hello")),
            ("panicky.so", &fixture_plugin("fixture-panicky")),
        ],
    );
    let o = run_bin(&[
        "plugins",
        "verify",
        d.join("hello.so").to_str().expect("utf8"),
        "--format",
        "json",
    ]);
    o.ok();
    assert_eq!(o.json()["ok"], true);
    assert_eq!(o.json()["manifest"]["noun"], "hello");
    let o = run_bin(&[
        "plugins",
        "verify",
        d.join("panicky.so").to_str().expect("utf8"),
    ]);
    o.code(1);
    assert!(o.stdout.contains("FAIL test load"), "{o:?}");
}

/// The built-in `admin` plugin and the same code re-exported as a cdylib give identical
/// transcripts (with `override_builtin`, the external one is used).
#[test]
fn builtin_reexported_as_cdylib_behaves_identically() {
    let mut env = TestEnv::new(Engine::Sqlite);
    env.create_schema();
    let builtin: Vec<Output> = admin_session(&env);
    env.install_plugin(&fixture_plugin("fixture-reexport-admin"));
    env.append_toml("[plugins.admin]\noverride_builtin = true\n");
    let list = env.mfactl(&["plugins", "list", "--format", "json"]).json();
    let ext = list
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["noun"] == "admin" && e["status"] == "loaded")
        .expect("admin");
    assert!(
        ext["source"].as_str().unwrap_or("").ends_with(".so"),
        "{ext}"
    );
    env.sql("DELETE FROM admin");
    let external: Vec<Output> = admin_session(&env);
    assert_eq!(builtin, external);
}

fn admin_session(env: &TestEnv) -> Vec<Output> {
    let pw = env.path("pw.txt");
    fs::write(&pw, "s3cret-pass\n").expect("pw");
    let pw = pw.to_str().expect("utf8");
    vec![
        env.mfactl(&["admin", "--help"]),
        env.mfactl(&[
            "admin",
            "add",
            "alice",
            "-e",
            "a@example.test",
            "--password-file",
            pw,
        ]),
        env.mfactl(&["admin", "list", "--format", "json"]),
        env.mfactl(&["admin", "delete", "nobody"]),
        env.mfactl(&["admin", "frobnicate"]),
    ]
}

#[test]
fn database_callbacks_behave_alike_on_every_engine() {
    let probe = fixture_plugin("fixture-dbprobe");
    for engine in engines() {
        let mut env = TestEnv::new(engine);
        env.install_plugin(&probe);
        let o = env.mfactl(&["dbprobe", "info"]);
        o.ok();
        assert!(
            o.stdout.contains(&format!(
                "dialect={}",
                match engine {
                    Engine::Sqlite => "sqlite",
                    Engine::Postgres => "postgresql",
                    Engine::Mariadb => "mysql",
                }
            )),
            "{engine}: {o:?}"
        );
        assert!(
            !o.stdout.contains(mfactl_tests::DB_PASSWORD),
            "password must be redacted: {o:?}"
        );

        let o = env.mfactl(&["dbprobe", "roundtrip"]);
        o.ok();
        let lines: Vec<&str> = o.stdout.lines().collect();
        let flag = if engine == Engine::Sqlite {
            "1"
        } else {
            "bool:true"
        };
        assert_eq!(
            lines[0],
            format!("1|-9007199254740993|1.5|pässwörd €✓|bytes:[0, 1, 255]|{flag}|ts:2026-01-02 03:04:05.234567"),
            "{engine}"
        );
        assert_eq!(lines[1], "2|NULL|NULL|NULL|NULL|NULL|NULL", "{engine}");
        assert_eq!(lines[2], "ts-match=1", "{engine}");

        let o = env.mfactl(&["dbprobe", "stream", "2500", "300"]);
        o.ok();
        assert_eq!(
            o.stdout, "rows=2500 sum=3126250 batches=9 max_batch=300\n",
            "{engine}"
        );

        let o = env.mfactl(&["dbprobe", "tx-rollback"]);
        o.ok();
        assert_eq!(
            o.stdout, "rolled_back=true after_rollback=0 after_commit=1\n",
            "{engine}"
        );
    }
}

#[test]
fn sequence_ids_come_from_the_sequence_when_it_exists() {
    let probe = fixture_plugin("fixture-dbprobe");
    for engine in engines() {
        let mut env = TestEnv::new(engine);
        env.install_plugin(&probe);
        env.load_reference_schema();
        let first = env.mfactl(&["dbprobe", "next-id", "policy"]);
        first.ok();
        let second = env.mfactl(&["dbprobe", "next-id", "policy"]);
        match engine {
            Engine::Sqlite => assert_eq!(first.stdout, "none\n"),
            _ => {
                let a: i64 = first.stdout.trim().parse().expect("id");
                let b: i64 = second.stdout.trim().parse().expect("id");
                assert!(b > a, "{engine}: {a} then {b}");
            }
        }
        // A table without a sequence: the database assigns ids.
        let o = env.mfactl(&["dbprobe", "next-id", "tokencontainer"]);
        assert_eq!(o.stdout, "none\n", "{engine}");
    }
}

#[test]
fn advisory_lock_excludes_a_second_run() {
    let probe = fixture_plugin("fixture-dbprobe");
    for engine in engines() {
        let mut env = TestEnv::new(engine);
        env.install_plugin(&probe);
        let cmd = env.cmd(&["dbprobe", "lock", "job", "3000", "1000"]);
        let holder = std::thread::spawn(move || cmd.run());
        std::thread::sleep(std::time::Duration::from_millis(1200));
        let second = env.mfactl(&["dbprobe", "lock", "job", "0", "300"]);
        second.code(1);
        assert!(
            second
                .stderr
                .contains("lock \"job\" is held by another run"),
            "{engine}: {second:?}"
        );
        let first = holder.join().expect("holder thread");
        first.ok();
        // Once released, it can be taken again.
        env.mfactl(&["dbprobe", "lock", "job", "0", "1000"]).ok();
    }
}

#[test]
fn unreachable_database_is_a_clear_error() {
    let d = temp_dir("unreach");
    let cfg = write_config(
        &d,
        "[privacyidea]\nSQLALCHEMY_DATABASE_URI = \"postgresql://pi:topsecret@127.0.0.1:1/pi\"\n",
    );
    let probe = fixture_plugin("fixture-dbprobe");
    let pd = plugin_dir_with("unreach-p", &[("dbprobe.so", &probe)]);
    let o = run_bin(&[
        "--config",
        cfg.to_str().expect("utf8"),
        "--plugin-dir",
        pd.to_str().expect("utf8"),
        "dbprobe",
        "info",
    ]);
    o.code(2);
    assert!(
        o.stderr
            .contains("cannot connect to the database (host 127.0.0.1 port 1 database pi)"),
        "{o:?}"
    );
    assert!(!o.stderr.contains("topsecret"), "{o:?}");
    assert!(o.stderr.contains("hint:"), "{o:?}");
    // Commands that need no database do not connect.
    run_bin(&["--config", cfg.to_str().expect("utf8"), "config", "show"]).ok();
}

/// Builds a plugin against a changed copy of plugin-api (one field of `CommandInfo` has another
/// type) in its own workspace and target dir, and checks the host refuses it with a layout error.
#[test]
fn abi_mismatched_plugin_is_rejected() {
    let root = workspace_root();
    let work = mfactl_tests::target_dir().join("abi-mismatch");
    let api = work.join("api");
    fs::create_dir_all(api.join("src")).expect("mkdir api");
    for f in fs::read_dir(root.join("plugin-api/src")).expect("read api src") {
        let f = f.expect("entry").path();
        let mut text = fs::read_to_string(&f).expect("read");
        if f.ends_with("ffi.rs") {
            let marker = "pub struct CommandInfo {";
            let at = text.find(marker).expect("CommandInfo");
            let tail = text[at..].replacen("pub about: RString,", "pub about: RStr<'static>,", 1);
            text = format!("{}{}", &text[..at], tail);
        }
        fs::write(api.join("src").join(f.file_name().expect("name")), text).expect("write");
    }
    fs::write(
        api.join("Cargo.toml"),
        "[package]\nname = \"mfactl-plugin-api\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         abi_stable = \"=0.11.3\"\ninventory = \"0.3.25\"\nclap = { version = \"4.6.7\", features = [\"derive\", \"env\", \"string\"] }\n\
         serde_json = { version = \"1\", features = [\"preserve_order\"] }\nchrono = { version = \"0.4\", default-features = false, features = [\"clock\", \"std\"] }\n",
    )
    .expect("api manifest");
    let plugin = work.join("plugin");
    fs::create_dir_all(plugin.join("src")).expect("mkdir plugin");
    fs::copy(
        root.join("tests/fixture-plugins/hello/src/lib.rs"),
        plugin.join("src/lib.rs"),
    )
    .expect("copy hello");
    fs::write(
        plugin.join("Cargo.toml"),
        "[package]\nname = \"abi-mismatch-hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n\
         [dependencies]\nmfactl-plugin-api = { path = \"../api\" }\nclap = { version = \"4.6.7\", features = [\"derive\", \"env\", \"string\"] }\n",
    )
    .expect("plugin manifest");
    fs::write(
        work.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"api\", \"plugin\"]\n",
    )
    .expect("ws");
    fs::copy(root.join("Cargo.lock"), work.join("Cargo.lock")).expect("lock");
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(work.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", work.join("target"))
        .output()
        .expect("cargo build");
    assert!(
        out.status.success(),
        "building the mismatched plugin failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let so = work.join("target/debug/libabi_mismatch_hello.so");
    let d = plugin_dir_with("abi", &[("hello.so", &so)]);
    let list = plugins_json(&d, None);
    let e = entry(&list, "/hello.so");
    assert_eq!(e["status"], "rejected");
    assert!(
        e["reason"]
            .as_str()
            .unwrap_or("")
            .contains("plugin API layout mismatch"),
        "{e}"
    );
    // With -v the full abi_stable report is shown when the plugin is invoked.
    let o = run_bin(&[
        "-v",
        "--plugin-dir",
        d.to_str().expect("utf8"),
        "hello",
        "greet",
        "x",
    ]);
    o.code(2);
    assert!(
        o.stderr.contains("layout mismatch") && o.stderr.len() > 500,
        "{o:?}"
    );
    // Other commands keep working.
    run_bin(&["--plugin-dir", d.to_str().expect("utf8"), "plugins", "list"]).ok();
}

#[test]
fn audit_target_uses_pi_audit_sql_uri_and_mariadb_urls_are_recognised() {
    let probe = fixture_plugin("fixture-dbprobe");
    for engine in engines() {
        let mut env = TestEnv::new_with(engine, mfactl_tests::EnvOptions::default().audit_db());
        env.install_plugin(&probe);
        let main = env.mfactl(&["dbprobe", "info"]);
        main.ok();
        let audit = env.mfactl(&["dbprobe", "--audit", "info"]);
        audit.ok();
        assert_ne!(
            main.stdout, audit.stdout,
            "{engine}: audit must be another database"
        );
        // Data written to the audit target is not in the main database.
        env.mfactl(&["dbprobe", "--audit", "tx-rollback"]).ok();
        let audit_url = env.audit_db_url().expect("audit url").to_string();
        let db_name = audit_url.rsplit('/').next().unwrap_or("").to_string();
        assert!(
            audit.stdout.contains(&db_name),
            "{engine}: {audit:?} vs {audit_url}"
        );
    }
    if engines().contains(&Engine::Mariadb) {
        let mut env = TestEnv::new_with(
            Engine::Mariadb,
            mfactl_tests::EnvOptions::default().mariadb_dialect(),
        );
        env.install_plugin(&probe);
        let o = env.mfactl(&["dbprobe", "info"]);
        o.ok();
        assert!(
            o.stdout.contains("mariadb_uri=true server_is_mariadb=true"),
            "{o:?}"
        );
    }
}

/// README.md is assembled from docs/readme/ by docs/readme/build.sh; this keeps the two in step.
#[test]
fn readme_is_assembled_from_its_sections() {
    let root = workspace_root();
    let script = fs::read_to_string(root.join("docs/readme/build.sh")).expect("build.sh");
    let order_start = script.find("order=(").expect("order") + "order=(".len();
    let order_end = script[order_start..].find(')').expect("end") + order_start;
    let mut expected = String::new();
    for name in script[order_start..order_end].split_whitespace() {
        let p = root.join("docs/readme").join(format!("{name}.md"));
        if let Ok(text) = fs::read_to_string(&p) {
            expected.push_str(&text);
            expected.push('\n');
        }
    }
    let readme = fs::read_to_string(root.join("README.md")).expect("README.md");
    assert!(
        readme == expected,
        "README.md is out of date: run docs/readme/build.sh"
    );
}

/// The quick start's first command line works: every `cargo run` in it names the binary (the
/// workspace has more than one, so cargo would refuse otherwise), and the mfactl arguments, run
/// with this build in a scratch directory, succeed.
#[test]
fn readme_quick_start_runs() {
    let readme = fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let start = readme.find("## Quick start").expect("a quick start");
    let block = &readme[start..];
    let open = block.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let line = block[open..].lines().next().expect("a command line");
    let scratch = temp_dir("quickstart");
    let demo = scratch.join("demo");
    let mut runs = 0;
    for part in line.split("&&") {
        let part = part.trim();
        let (cargo, args) = part.split_once(" -- ").expect("cargo run … -- ARGS");
        assert!(
            cargo.starts_with("cargo run") && cargo.contains("--bin mfactl"),
            "{cargo:?} must name the binary"
        );
        let args: Vec<String> = args
            .split_whitespace()
            .map(|a| a.replace("/tmp/mfactl-demo", &demo.display().to_string()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_bin(&args);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        runs += 1;
    }
    assert_eq!(runs, 2, "{line}");
}
