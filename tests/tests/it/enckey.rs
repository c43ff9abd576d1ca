//! Integration tests: enckey (create, encrypt, decrypt, status --check-db, split, combine).
//!
//! File-only tests run on one SQLite env (they touch no database); `--check-db` runs on every
//! engine. Vectors: privacyIDEA 3.14's `enckey.bin`, `enckey.enc` (passphrase `test1234!`) and
//! `db-values.json`.

use mfactl_tests::{check_db_column, engines, Engine, Output, TestEnv};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

const BIN: &[u8] = include_bytes!("../../../plugins/enckey/tests/data/enckey.bin");
const ENC: &[u8] = include_bytes!("../../../plugins/enckey/tests/data/enckey.enc");
const DB_VALUES: &str = include_str!("../../../plugins/enckey/tests/data/db-values.json");
/// `enckey.bin` in base64 (what the vectors gave to `create_enckey -e`).
const BIN_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f";
/// Legacy-padded values under `enckey.bin` (hex(text) 01 02 00…), made with Python's
/// `cryptography`: slot 1 "legacy-secret" and slot 0 "4711".
const LEGACY_SLOT1: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0:afcee4786f555a24bedfd2d0299232cc21bb7591192aa1f55eab29473b163dc0";
const LEGACY_SLOT0: &str = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0:061e4e13c10a169cde1920ef302edd13";

fn mode(p: &Path) -> u32 {
    fs::metadata(p).expect("metadata").mode() & 0o7777
}

fn file_env() -> TestEnv {
    TestEnv::new(Engine::Sqlite)
}

/// A passphrase file (mode 0400) in the env's dir.
fn pw_file(env: &TestEnv, name: &str, pw: &str) -> PathBuf {
    let p = env.path(name);
    fs::write(&p, format!("{pw}\n")).expect("write pw");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o400)).expect("chmod");
    p
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn status_json(
    env: &TestEnv,
    extra: &[&str],
    envs: &[(&str, &str)],
) -> (Output, serde_json::Value) {
    let mut args = vec!["enckey", "status", "--format", "json"];
    args.extend_from_slice(extra);
    let out = env.mfactl_with_env(&args, envs);
    let json = out.json();
    (out, json)
}

#[test]
fn create_writes_a_0400_key_and_never_overwrites() {
    let env = file_env();
    let key = env.enckey_path();
    let out = env.mfactl(&["enckey", "create"]);
    out.ok();
    assert!(out.stderr.contains("Encryption key written to"), "{out:?}");
    let first = fs::read(&key).expect("key");
    assert_eq!(first.len(), 96);
    assert_eq!(mode(&key), 0o400);
    // A second run refuses with exit 1 and leaves the key alone.
    let out = env.mfactl(&["enckey", "create"]);
    out.code(1);
    assert!(out.stderr.contains("already exists"), "{out:?}");
    assert_eq!(fs::read(&key).expect("key"), first);
    // No temporary files are left in the directory.
    let leftovers: Vec<_> = fs::read_dir(env.dir())
        .expect("ls")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("mfactl-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Two fresh keys differ.
    let env2 = file_env();
    env2.mfactl(&["enckey", "create"]).ok();
    assert_ne!(fs::read(env2.enckey_path()).expect("key"), first);
}

#[test]
fn create_imports_base64_and_validates_before_touching_files() {
    let env = file_env();
    let key = env.enckey_path();
    // Wrong length (pi-manage leaves an empty file here): exit 1, no file.
    let short = "AAECAwQF";
    let out = env.mfactl(&["enckey", "create", "--enckey_b64", short]);
    out.code(1);
    assert!(out.stderr.contains("exactly 96 bytes"), "{out:?}");
    assert!(!key.exists());
    // Not base64: exit 1, no file.
    let out = env.mfactl(&["enckey", "create", "-e", "not*base64"]);
    out.code(1);
    assert!(out.stderr.contains("not valid base64"), "{out:?}");
    assert!(!key.exists());
    // From a file (line-wrapped like `base64` writes it).
    let b64 = env.path("key.b64");
    fs::write(&b64, format!("{}\n{}\n", &BIN_B64[..76], &BIN_B64[76..])).expect("w");
    env.mfactl(&["enckey", "create", "--from-b64-file", s(&b64)])
        .ok();
    assert_eq!(fs::read(&key).expect("key"), BIN);
    assert_eq!(mode(&key), 0o400);
    // On argv: works, with a warning.
    let env = file_env();
    let out = env.mfactl(&["enckey", "create", "--enckey-b64", BIN_B64]);
    out.ok();
    assert!(out.stderr.contains("unsafe"), "{out:?}");
    assert_eq!(fs::read(env.enckey_path()).expect("key"), BIN);
}

#[test]
fn pi_manage_spellings_work() {
    let env = file_env();
    env.mfactl(&["setup", "create_enckey", "-e", BIN_B64]).ok();
    assert_eq!(fs::read(env.enckey_path()).expect("key"), BIN);
    let env2 = file_env();
    env2.mfactl(&["create_enckey", "--enckey_b64", BIN_B64])
        .ok();
    assert_eq!(fs::read(env2.enckey_path()).expect("key"), BIN);

    let enckey = env.enckey_path();
    let out_path = env.path("enckey.enc");
    let out = env.mfactl(&[
        "setup",
        "encrypt_enckey",
        s(&enckey),
        "--password",
        "test1234!",
        "-o",
        s(&out_path),
    ]);
    out.ok();
    assert!(out.stderr.contains("unsafe"), "{out:?}");
    assert_eq!(fs::read(&out_path).expect("enc").len(), 450);
    // Without -o the wrapped key goes to stdout, as with pi-manage.
    let out = env.mfactl(&["encrypt_enckey", s(&enckey), "--password", "pw"]);
    out.ok();
    let line = out.stdout.trim_end();
    assert_eq!(line.len(), 449, "{out:?}");
    assert_eq!(line.split_once(':').expect(":").0.len(), 32);
    // `-o -` is stdout too (click's File type).
    let dash = env.mfactl(&["encrypt_enckey", s(&enckey), "--password", "pw", "-o", "-"]);
    dash.ok();
    assert_eq!(dash.stdout.trim_end().len(), 449, "{dash:?}");
    assert!(!env.path("-").exists());
    let p = env.path("from-stdout.enc");
    fs::write(&p, &out.stdout).expect("w");
    let back = env.path("back");
    let pw = pw_file(&env, "pw", "pw");
    env.mfactl(&[
        "enckey",
        "decrypt",
        s(&p),
        "-o",
        s(&back),
        "--password-file",
        s(&pw),
    ])
    .ok();
    assert_eq!(fs::read(&back).expect("back"), BIN);
}

#[test]
fn privacyidea_wrapped_vector_decrypts() {
    let env = file_env();
    let enc = env.path("enckey.enc");
    fs::write(&enc, ENC).expect("w");
    let pw = pw_file(&env, "pw", "test1234!");
    let out_path = env.path("plain");
    env.mfactl(&[
        "enckey",
        "decrypt",
        s(&enc),
        "-o",
        s(&out_path),
        "--password-file",
        s(&pw),
    ])
    .ok();
    assert_eq!(fs::read(&out_path).expect("plain"), BIN);
    assert_eq!(mode(&out_path), 0o400);
    // The passphrase file may also come from MFACTL_ENCKEY_PASSWORD_FILE.
    let out2 = env.path("plain2");
    env.mfactl_with_env(
        &["enckey", "decrypt", s(&enc), "-o", s(&out2)],
        &[("MFACTL_ENCKEY_PASSWORD_FILE", s(&pw))],
    )
    .ok();
    assert_eq!(fs::read(&out2).expect("plain"), BIN);
}

#[test]
fn wrong_passphrase_and_damaged_files_are_clear_errors() {
    let env = file_env();
    let enc = env.path("enckey.enc");
    fs::write(&enc, ENC).expect("w");
    let wrong = pw_file(&env, "wrong", "test1234");
    let target = env.path("plain");
    let out = env.mfactl(&[
        "enckey",
        "decrypt",
        s(&enc),
        "-o",
        s(&target),
        "--password-file",
        s(&wrong),
    ]);
    out.code(1);
    assert!(out.stderr.contains("error: wrong passphrase"), "{out:?}");
    assert!(!target.exists());

    let pw = pw_file(&env, "pw", "test1234!");
    // Truncated: a clear error naming the problem, no output file.
    let cut = env.path("cut.enc");
    fs::write(&cut, &ENC[..300]).expect("w");
    let out = env.mfactl(&[
        "enckey",
        "decrypt",
        s(&cut),
        "-o",
        s(&target),
        "--password-file",
        s(&pw),
    ]);
    out.code(1);
    assert!(out.stderr.contains("truncated"), "{out:?}");
    assert!(!target.exists());
    // Garbled (a non-hex character).
    let mut g = ENC.to_vec();
    g[60] = b'g';
    let garbled = env.path("garbled.enc");
    fs::write(&garbled, &g).expect("w");
    let out = env.mfactl(&[
        "enckey",
        "decrypt",
        s(&garbled),
        "-o",
        s(&target),
        "--password-file",
        s(&pw),
    ]);
    out.code(1);
    assert!(out.stderr.contains("not hex"), "{out:?}");
    assert!(!target.exists());
    // A raw key is not a wrapped key.
    let raw = env.path("raw");
    fs::write(&raw, BIN).expect("w");
    let out = env.mfactl(&[
        "enckey",
        "decrypt",
        s(&raw),
        "-o",
        s(&target),
        "--password-file",
        s(&pw),
    ]);
    out.code(1);
    assert!(out.stderr.contains("not wrapped"), "{out:?}");
    // An existing target is not overwritten (checked before asking for the passphrase).
    fs::write(&target, b"keep").expect("w");
    let out = env.mfactl(&[
        "enckey",
        "decrypt",
        s(&enc),
        "-o",
        s(&target),
        "--password-file",
        s(&pw),
    ]);
    out.code(1);
    assert!(out.stderr.contains("already exists"), "{out:?}");
    assert_eq!(fs::read(&target).expect("r"), b"keep");
    env.mfactl(&[
        "enckey",
        "decrypt",
        s(&enc),
        "-o",
        s(&target),
        "--password-file",
        s(&pw),
        "--force",
    ])
    .ok();
    assert_eq!(fs::read(&target).expect("r"), BIN);
    assert_eq!(mode(&target), 0o400);
}

#[test]
fn encrypt_refuses_wrapped_and_wrong_length_keys() {
    let env = file_env();
    let pw = pw_file(&env, "pw", "secret");
    let enc = env.path("enckey.enc");
    fs::write(&enc, ENC).expect("w");
    let out = env.mfactl(&["enckey", "encrypt", s(&enc), "--password-file", s(&pw)]);
    out.code(1);
    assert!(out.stderr.contains("already wrapped"), "{out:?}");
    assert!(out.stdout.is_empty());
    for len in [95usize, 0, 100] {
        let p = env.path(&format!("k{len}"));
        fs::write(&p, vec![1u8; len]).expect("w");
        let out = env.mfactl(&["enckey", "encrypt", s(&p), "--password-file", s(&pw)]);
        out.code(1);
        assert!(out.stdout.is_empty(), "{len}: {out:?}");
    }
    // An existing output is kept.
    let raw = env.path("raw");
    fs::write(&raw, BIN).expect("w");
    let o = env.path("exists");
    fs::write(&o, b"keep").expect("w");
    let out = env.mfactl(&[
        "enckey",
        "encrypt",
        s(&raw),
        "-o",
        s(&o),
        "--password-file",
        s(&pw),
    ]);
    out.code(1);
    assert_eq!(fs::read(&o).expect("r"), b"keep");
}

#[test]
fn encrypt_decrypt_round_trips_in_both_formats() {
    let env = file_env();
    env.write_enckey(BIN);
    let pw = pw_file(&env, "pw", "correct horse ✓");
    for format in ["privacyidea", "mfactl"] {
        let wrapped = env.path(&format!("wrapped-{format}"));
        env.mfactl(&[
            "enckey",
            "encrypt",
            "--format",
            format,
            "-o",
            s(&wrapped),
            "--password-file",
            s(&pw),
        ])
        .ok();
        assert_eq!(mode(&wrapped), 0o400);
        let text = fs::read_to_string(&wrapped).expect("r");
        assert!(text.len() > 100, "privacyIDEA must see it as wrapped");
        if format == "mfactl" {
            assert!(text.starts_with("mfactl-enckey:v1:"), "{text}");
            assert!(text.contains(":argon2id:m=65536,t=3,p=4:"), "{text}");
        } else {
            assert_eq!(text.len(), 450);
        }
        let back = env.path(&format!("back-{format}"));
        env.mfactl(&[
            "enckey",
            "decrypt",
            s(&wrapped),
            "-o",
            s(&back),
            "--password-file",
            s(&pw),
        ])
        .ok();
        assert_eq!(fs::read(&back).expect("r"), BIN, "{format}");
        let wrong = pw_file(&env, &format!("wrong-{format}"), "correct horse");
        let nope = env.path(&format!("nope-{format}"));
        let out = env.mfactl(&[
            "enckey",
            "decrypt",
            s(&wrapped),
            "-o",
            s(&nope),
            "--password-file",
            s(&wrong),
        ]);
        out.code(1);
        assert!(out.stderr.contains("error: wrong passphrase"), "{out:?}");
        assert!(!nope.exists());
    }
    // A changed byte in the mfactl format is caught by its authentication.
    let wrapped = env.path("wrapped-mfactl");
    let mut t = fs::read(&wrapped).expect("r");
    let i = t.len() - 10;
    t[i] = if t[i] == b'A' { b'B' } else { b'A' };
    let tampered = env.path("tampered");
    fs::write(&tampered, &t).expect("w");
    let out = env.mfactl(&[
        "enckey",
        "decrypt",
        s(&tampered),
        "-o",
        s(&env.path("t-out")),
        "--password-file",
        s(&pw),
    ]);
    out.code(1);
}

#[test]
fn read_only_directory_is_a_clear_error_and_changes_nothing() {
    let mut env = file_env();
    let dir = env.path("ro");
    fs::create_dir(&dir).expect("mkdir");
    fs::write(dir.join("other"), b"untouched").expect("w");
    let target = dir.join("enckey");
    env.set_config("PI_ENCFILE", s(&target));
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o500)).expect("chmod");
    let out = if is_root() {
        // root ignores directory permissions: run mfactl as `nobody` on a directory `nobody`
        // owns with mode 0500.
        fs::set_permissions(env.dir(), fs::Permissions::from_mode(0o755)).expect("chmod");
        fs::set_permissions(env.config_path(), fs::Permissions::from_mode(0o644)).expect("chmod");
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).expect("chown");
        let o = std::process::Command::new("setpriv")
            .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(mfactl_tests::mfactl_bin())
            .arg("--config")
            .arg(env.config_path())
            .args(["enckey", "create"])
            .current_dir("/")
            .output()
            .expect("setpriv");
        Output {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    } else {
        env.mfactl(&["enckey", "create"])
    };
    out.code(1);
    assert!(out.stderr.contains("cannot create a file in"), "{out:?}");
    assert!(out.stderr.contains("Permission denied"), "{out:?}");
    assert!(!target.exists());
    let names: Vec<String> = fs::read_dir(&dir)
        .expect("ls")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["other".to_string()]);
    assert_eq!(fs::read(dir.join("other")).expect("r"), b"untouched");
    let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o700));

    // Also for decrypt -o into a directory mfactl cannot write (as root: /proc).
    let pw = pw_file(&env, "pw", "test1234!");
    let enc = env.path("enckey.enc");
    fs::write(&enc, ENC).expect("w");
    let out_path = if is_root() {
        PathBuf::from("/proc/mfactl-enckey-test")
    } else {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o500)).expect("chmod");
        dir.join("plain")
    };
    let out = env.mfactl(&[
        "enckey",
        "decrypt",
        s(&enc),
        "-o",
        s(&out_path),
        "--password-file",
        s(&pw),
    ]);
    out.code(1);
    assert!(out.stderr.contains("cannot create a file in"), "{out:?}");
    assert!(!out_path.exists());
    let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o700));
}

#[test]
fn status_reports_form_mode_and_fingerprint() {
    let env = file_env();
    let (out, j) = status_json(&env, &[], &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(j["present"], false);

    env.write_enckey(BIN);
    let (out, j) = status_json(&env, &[], &[]);
    out.ok();
    assert_eq!(j["present"], true);
    assert_eq!(j["size"], 96);
    assert_eq!(j["form"], "raw");
    assert_eq!(j["mode"], "0400");
    let fp = j["fingerprint"].as_str().expect("fp").to_string();
    assert_eq!(fp.len(), 32);
    assert!(j["warnings"].as_array().expect("w").is_empty(), "{j}");

    fs::set_permissions(env.enckey_path(), fs::Permissions::from_mode(0o644)).expect("chmod");
    let (out, j) = status_json(&env, &[], &[]);
    out.ok();
    assert_eq!(j["mode"], "0644");
    assert!(
        out.stderr
            .contains("readable or writable by group or others"),
        "{out:?}"
    );

    // The owner is checked against [plugins.enckey] service_user.
    let mut env = env;
    env.append_toml("\n[plugins.enckey]\nservice_user = \"nobody\"\n");
    let (out, j) = status_json(&env, &[], &[]);
    out.ok();
    assert_eq!(j["service_user"], "nobody");
    assert!(
        out.stderr.contains("not by the service user nobody"),
        "{out:?}"
    );

    // Text output names the same things.
    let out = env.mfactl(&["enckey", "status"]);
    out.ok();
    assert!(out.stdout.contains("form:        raw"), "{out:?}");
    assert!(
        out.stdout.contains(&format!("fingerprint: {fp}")),
        "{out:?}"
    );

    // A privacyIDEA-wrapped PI_ENCFILE: no prompt without a passphrase source; with
    // MFACTL_ENCKEY_PASSWORD_FILE the same fingerprint as the raw key.
    env.write_enckey(ENC);
    let (out, j) = status_json(&env, &[], &[]);
    out.ok();
    assert_eq!(j["form"], "privacyidea-wrapped");
    assert!(j["fingerprint"].is_null());
    let pw = pw_file(&env, "pw", "test1234!");
    let (out, j) = status_json(&env, &[], &[("MFACTL_ENCKEY_PASSWORD_FILE", s(&pw))]);
    out.ok();
    assert_eq!(j["fingerprint"], fp.as_str());
}

#[test]
fn wrapped_encfile_needs_a_passphrase_source() {
    let env = file_env();
    env.write_enckey(ENC);
    let dir = env.path("shares");
    let out = env.mfactl(&["enckey", "split", "-n", "2", "-t", "2", "-o", s(&dir)]);
    out.code(1);
    assert!(
        out.stderr.contains("MFACTL_ENCKEY_PASSWORD_FILE"),
        "{out:?}"
    );
    let wrong = pw_file(&env, "wrong", "nope");
    let out = env.mfactl_with_env(
        &["enckey", "split", "-n", "2", "-t", "2", "-o", s(&dir)],
        &[("MFACTL_ENCKEY_PASSWORD_FILE", s(&wrong))],
    );
    out.code(1);
    assert!(out.stderr.contains("error: wrong passphrase"), "{out:?}");
    let pw = pw_file(&env, "pw", "test1234!");
    let out = env.mfactl_with_env(
        &["enckey", "split", "-n", "2", "-t", "2", "-o", s(&dir)],
        &[("MFACTL_ENCKEY_PASSWORD_FILE", s(&pw))],
    );
    out.ok();
    let files: Vec<&str> = out.stdout.lines().collect();
    let back = env.path("back");
    let mut args = vec!["enckey", "combine", "-o", s(&back)];
    args.extend(files.iter().copied());
    env.mfactl(&args).ok();
    assert_eq!(fs::read(&back).expect("r"), BIN);
}

/// All subsets of size k of 0..n (n small).
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    (0u32..(1 << n))
        .filter(|m| m.count_ones() as usize == k)
        .map(|m| (0..n).filter(|i| m & (1 << i) != 0).collect())
        .collect()
}

#[test]
fn split_and_combine_round_trip_for_several_thresholds() {
    let env = file_env();
    env.write_enckey(BIN);
    let mut run = 0;
    for (t, n) in [(2usize, 2usize), (2, 3), (3, 5), (4, 4)] {
        let dir = env.path(&format!("shares-{t}-{n}"));
        let out = env.mfactl(&[
            "enckey",
            "split",
            "-n",
            &n.to_string(),
            "-t",
            &t.to_string(),
            "-o",
            s(&dir),
        ]);
        out.ok();
        let files: Vec<String> = out.stdout.lines().map(str::to_string).collect();
        assert_eq!(files.len(), n, "{out:?}");
        for f in &files {
            assert_eq!(mode(Path::new(f)), 0o400, "{f}");
        }
        // Any T of N rebuild the key.
        for sub in subsets(n, t) {
            run += 1;
            let back = env.path(&format!("back-{run}"));
            let mut args = vec!["enckey", "combine", "-o", s(&back)];
            args.extend(sub.iter().map(|&i| files[i].as_str()));
            let out = env.mfactl(&args);
            out.ok();
            assert_eq!(fs::read(&back).expect("r"), BIN, "t={t} n={n} {sub:?}");
            assert_eq!(mode(&back), 0o400);
        }
        // T-1 do not.
        let back = env.path(&format!("short-{t}-{n}"));
        let mut args = vec!["enckey", "combine", "-o", s(&back)];
        args.extend(files.iter().take(t - 1).map(String::as_str));
        let out = env.mfactl(&args);
        out.code(1);
        assert!(out.stderr.contains("not enough valid shares"), "{out:?}");
        assert!(!back.exists());
    }
}

#[test]
fn bad_shares_are_rejected_with_the_reason() {
    let env = file_env();
    env.write_enckey(BIN);
    let a = env.path("a");
    let b = env.path("b");
    let fa: Vec<String> = env
        .mfactl(&["enckey", "split", "-n", "3", "-t", "2", "-o", s(&a)])
        .ok()
        .stdout
        .lines()
        .map(str::to_string)
        .collect();
    let fb: Vec<String> = env
        .mfactl(&["enckey", "split", "-n", "3", "-t", "2", "-o", s(&b)])
        .ok()
        .stdout
        .lines()
        .map(str::to_string)
        .collect();
    // One changed character in the share data.
    let text = fs::read_to_string(&fa[1]).expect("r");
    let line = text
        .lines()
        .find(|l| l.starts_with("mfactl-share:"))
        .expect("share line");
    let pos = line.len() - 30;
    let mut changed = line.as_bytes().to_vec();
    changed[pos] = if changed[pos] == b'0' { b'1' } else { b'0' };
    let bad = env.path("bad-share");
    fs::write(&bad, changed).expect("w");
    let out_path = env.path("out");
    let out = env.mfactl(&["enckey", "combine", "-o", s(&out_path), &fa[0], s(&bad)]);
    out.code(1);
    assert!(out.stderr.contains("checksum mismatch"), "{out:?}");
    assert!(!out_path.exists());
    // A share of another split.
    let out = env.mfactl(&["enckey", "combine", "-o", s(&out_path), &fa[0], &fb[1]]);
    out.code(1);
    assert!(out.stderr.contains("another split"), "{out:?}");
    // The bad ones are skipped once enough good ones follow.
    let out = env.mfactl(&[
        "enckey",
        "combine",
        "-o",
        s(&out_path),
        &fa[0],
        s(&bad),
        &fb[1],
        &fa[2],
    ]);
    out.ok();
    assert_eq!(fs::read(&out_path).expect("r"), BIN);
    // An existing output is not overwritten without --force.
    let out = env.mfactl(&["enckey", "combine", "-o", s(&out_path), &fa[0], &fa[1]]);
    out.code(1);
    assert!(out.stderr.contains("already exists"), "{out:?}");
    env.mfactl(&[
        "enckey",
        "combine",
        "-o",
        s(&out_path),
        "--force",
        &fa[0],
        &fa[1],
    ])
    .ok();
}

#[test]
fn printed_shares_combine_from_stdin() {
    let env = file_env();
    env.write_enckey(BIN);
    let out = env.mfactl(&["enckey", "split", "--shares", "5", "--threshold", "3"]);
    out.ok();
    let shares: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("mfactl-share:"))
        .collect();
    assert_eq!(shares.len(), 5, "{out:?}");
    // Shares 5, 2 and 4, with comment lines and blank lines around.
    let input = format!(
        "# picked\n\n{}\n{}\n\n{}\n",
        shares[4], shares[1], shares[3]
    );
    let back = env.path("back");
    env.mfactl_stdin(&["enckey", "combine", "-o", s(&back), "-"], &input)
        .ok();
    assert_eq!(fs::read(&back).expect("r"), BIN);
    // Threshold and shares are validated.
    let out = env.mfactl(&["enckey", "split", "-n", "2", "-t", "3"]);
    out.code(2);
    let out = env.mfactl(&["enckey", "split", "-n", "3", "-t", "1"]);
    out.code(2);
}

// ------------------------------------------------------------------ --check-db on every engine

fn q(engine: Engine, ident: &str) -> String {
    match engine {
        Engine::Mariadb => format!("`{ident}`"),
        _ => format!("\"{ident}\""),
    }
}

/// Loads the vectors' token rows, token info, config rows and extra encrypted values (both
/// paddings, both slots, split and `iv:ct` layouts) into a fresh privacyIDEA 3.14 schema.
fn load_vector_rows(env: &TestEnv) {
    let e = env.engine();
    let v: serde_json::Value = serde_json::from_str(DB_VALUES).expect("json");
    let lit = |x: &serde_json::Value| match x {
        serde_json::Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        serde_json::Value::Null => "NULL".into(),
        other => other.to_string(),
    };
    let bool_lit = |x: &serde_json::Value| {
        if x.as_i64() == Some(1) {
            "TRUE"
        } else {
            "FALSE"
        }
    };
    let cols = [
        "id",
        "description",
        "serial",
        "tokentype",
        "user_pin",
        "user_pin_iv",
        "so_pin",
        "so_pin_iv",
        "pin_seed",
        "otplen",
        "pin_hash",
        "key_enc",
        "key_iv",
        "maxfail",
        "active",
        "revoked",
        "locked",
        "failcount",
        "count",
        "count_window",
        "sync_window",
        "rollout_state",
    ];
    let mut rows: Vec<serde_json::Value> = v["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| t["row"].clone())
        .collect();
    // A fourth token whose `@@` PIN uses the legacy padding.
    let mut extra = rows[0].clone();
    extra["id"] = 4.into();
    extra["serial"] = "LEGACYPIN".into();
    extra["pin_hash"] = format!("@@{LEGACY_SLOT0}").into();
    rows.push(extra);
    for r in &rows {
        let values: Vec<String> = cols
            .iter()
            .map(|c| match *c {
                "active" | "revoked" | "locked" => bool_lit(&r[*c]).to_string(),
                _ => lit(&r[*c]),
            })
            .collect();
        env.sql(&format!(
            "INSERT INTO token ({}) VALUES ({})",
            cols.iter().map(|c| q(e, c)).collect::<Vec<_>>().join(", "),
            values.join(", ")
        ));
    }
    let ins_config = |key: &str, value: &str, typ: &str| {
        env.sql(&format!(
            "INSERT INTO config ({}, {}, {}, {}) VALUES ('{key}', '{value}', '{typ}', '')",
            q(e, "Key"),
            q(e, "Value"),
            q(e, "Type"),
            q(e, "Description")
        ));
    };
    for c in v["config_rows"].as_array().expect("config_rows") {
        ins_config(
            c["Key"].as_str().expect("k"),
            c["Value"].as_str().expect("v"),
            c["Type"].as_str().expect("t"),
        );
    }
    // Every slot-1 value of the vectors as a password-type config entry, plus a legacy one.
    let slot1: Vec<&str> = v["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter(|x| x["slot"] == 1)
        .map(|x| x["stored"].as_str().expect("stored"))
        .collect();
    assert_eq!(slot1.len(), 6);
    for (i, st) in slot1.iter().enumerate() {
        ins_config(&format!("vector.value{i}"), st, "password");
    }
    ins_config("vector.legacy", LEGACY_SLOT1, "password");
    // Two password-type token infos (and the vectors' plain ones).
    for r in v["tokeninfo"]["rows"].as_array().expect("tokeninfo") {
        env.sql(&format!(
            "INSERT INTO tokeninfo (id, {}, {}, {}, {}, token_id) VALUES ({}, {}, {}, {}, {}, {})",
            q(e, "Key"),
            q(e, "Value"),
            q(e, "Type"),
            q(e, "Description"),
            r["id"],
            lit(&r["Key"]),
            lit(&r["Value"]),
            lit(&r["Type"]),
            lit(&r["Description"]),
            r["token_id"]
        ));
    }
    for (i, st) in slot1.iter().take(2).enumerate() {
        env.sql(&format!(
            "INSERT INTO tokeninfo (id, {}, {}, {}, {}, token_id) VALUES ({}, 'secret{i}', '{st}', 'password', '', 3)",
            q(e, "Key"),
            q(e, "Value"),
            q(e, "Type"),
            q(e, "Description"),
            100 + i
        ));
    }
    // An SMTP server with an encrypted password.
    env.sql(&format!(
        "INSERT INTO smtpserver (id, identifier, server, port, username, password, sender, tls, \
         description, timeout, enqueue_job, smime, dont_send_on_error, private_key, \
         private_key_password, certificate) VALUES (1, 'mail', 'localhost', 25, 'u', '{}', \
         'pi@example.test', FALSE, '', 10, FALSE, FALSE, FALSE, '', '', '')",
        slot1[1]
    ));
}

#[test]
fn check_db_decrypts_every_encrypted_column_on_all_engines() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        load_vector_rows(&env);
        env.write_enckey(BIN);

        let (out, j) = status_json(&env, &["--check-db"], &[]);
        assert_eq!(out.code, 0, "{engine}: {out:?}");
        let expect = [
            ("token.key_enc", 4, 4, 0),
            ("token.pin_hash (@@)", 2, 1, 1),
            ("config.Value", 8, 7, 1),
            ("tokeninfo.Value", 2, 2, 0),
            ("smtpserver.password", 1, 1, 0),
            ("token.user_pin", 0, 0, 0),
            ("radiusserver.secret", 0, 0, 0),
        ];
        for (name, checked, pkcs7, legacy) in expect {
            let c = check_db_column(&j, name);
            assert_eq!(c["checked"], checked, "{engine} {name}: {c}");
            assert_eq!(c["ok"], checked, "{engine} {name}: {c}");
            assert_eq!(c["failed"], 0, "{engine} {name}: {c}");
            assert_eq!(c["pkcs7"], pkcs7, "{engine} {name}: {c}");
            assert_eq!(c["legacy"], legacy, "{engine} {name}: {c}");
            assert!(c["skipped"].is_null(), "{engine} {name}: {c}");
        }
        assert_eq!(j["check_db"]["checked"], 17, "{engine}: {j}");
        assert_eq!(j["check_db"]["failed"], 0, "{engine}: {j}");
        // Every column of spec §2.3 was looked at (none skipped on a 3.14 schema).
        for c in j["check_db"]["columns"].as_array().expect("cols") {
            assert!(c["skipped"].is_null(), "{engine}: {c}");
        }

        // --sample limits the rows per column.
        let (out, j) = status_json(&env, &["--check-db", "--sample", "1"], &[]);
        assert_eq!(out.code, 0, "{engine}: {out:?}");
        assert_eq!(check_db_column(&j, "config.Value")["checked"], 1);

        // Text output: one line per column.
        let out = env.mfactl(&["enckey", "status", "--check-db"]);
        out.ok();
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("config.Value") && l.contains(" 8 ")),
            "{out:?}"
        );

        // Another key: exit 1, failures listed by row id, never by value.
        let mut other = BIN.to_vec();
        other[40] ^= 0xff; // slot 1 only
        env.write_enckey(&other);
        let (out, j) = status_json(&env, &["--check-db"], &[]);
        assert_eq!(out.code, 1, "{engine}: {out:?}");
        assert!(out.stderr.contains("do not decrypt"), "{engine}: {out:?}");
        let c = check_db_column(&j, "config.Value");
        assert_eq!(c["failed"], 8, "{engine}: {c}");
        assert_eq!(
            check_db_column(&j, "token.key_enc")["failed"],
            0,
            "slot 0 is unchanged"
        );
        let failures = c["failures"].as_array().expect("failures");
        assert!(
            failures[0].as_str().expect("s").starts_with("Key=vector."),
            "{c}"
        );
        assert!(!out.stdout.contains("geheim"));

        // A wrapped PI_ENCFILE: --check-db unwraps it with MFACTL_ENCKEY_PASSWORD_FILE.
        env.write_enckey(ENC);
        let pw = pw_file(&env, "pw", "test1234!");
        let (out, j) = status_json(
            &env,
            &["--check-db"],
            &[("MFACTL_ENCKEY_PASSWORD_FILE", s(&pw))],
        );
        assert_eq!(out.code, 0, "{engine}: {out:?}");
        assert_eq!(j["form"], "privacyidea-wrapped");
        assert_eq!(j["check_db"]["failed"], 0);
        // Without a passphrase source it fails with a hint, not a hang.
        let out = env.mfactl(&["enckey", "status", "--check-db"]);
        out.code(1);
        assert!(
            out.stderr.contains("MFACTL_ENCKEY_PASSWORD_FILE"),
            "{engine}: {out:?}"
        );
    }
}

// ------------------------------------------------------------------ privacyIDEA 3.14 interop

#[test]
fn privacyidea_unwraps_mfactl_privacyidea_format() {
    let env = file_env();
    env.load_reference_schema();
    env.write_enckey(BIN);
    let pw = pw_file(&env, "pw", "Pässwort 1!");
    let wrapped = env.path("enckey.enc");
    env.mfactl(&[
        "enckey",
        "encrypt",
        "-o",
        s(&wrapped),
        "--password-file",
        s(&pw),
    ])
    .ok();
    let v: serde_json::Value = serde_json::from_str(DB_VALUES).expect("json");
    let stored_pw = v["config_rows"][0]["Value"].as_str().expect("v");
    let pin = v["tokens"][1]["row"]["pin_hash"]
        .as_str()
        .expect("pin")
        .trim_start_matches("@@");
    let tok = &v["tokens"][0]["row"];
    let out = env.pi_run(&format!(
        r#"
        from privacyidea.lib.security.default import DefaultSecurityModule
        m = DefaultSecurityModule({{"file": {wrapped:?}}})
        before = m.is_ready
        try:
            DefaultSecurityModule({{"file": {wrapped:?}}}).setup_module({{"password": "wrong"}})
            wrong = "accepted"
        except Exception as e:
            wrong = "refused"
        m.setup_module({{"password": "Pässwort 1!"}})
        result = {{
            "before": before,
            "after": m.is_ready,
            "wrong": wrong,
            "password": m.decrypt_password({stored_pw:?}),
            "pin": m.decrypt_pin({pin:?}),
            "otpkey": m.decrypt(bytes.fromhex({ke:?}), bytes.fromhex({ki:?}), 0).decode(),
        }}
        "#,
        wrapped = s(&wrapped),
        ke = tok["key_enc"].as_str().expect("ke"),
        ki = tok["key_iv"].as_str().expect("ki"),
    ));
    let j = out.ok().json();
    assert_eq!(
        j["before"], false,
        "a 450-byte file must count as wrapped: {j}"
    );
    assert_eq!(j["after"], true, "{j}");
    assert_eq!(j["wrong"], "refused", "{j}");
    assert_eq!(j["password"], "geheim", "{j}");
    assert_eq!(j["pin"], "1234", "{j}");
    assert_eq!(
        j["otpkey"], "3132333435363738393031323334353637383930",
        "{j}"
    );
}

#[test]
fn privacyidea_values_under_an_mfactl_key_pass_check_db_on_all_engines() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        env.mfactl(&["enckey", "create"]).ok();
        // privacyIDEA itself encrypts with the key mfactl created.
        env.pi_run(
            r#"
            from privacyidea.lib.config import set_privacyidea_config
            set_privacyidea_config("interop.secret", "sehr geheim ✓", typ="password")
            set_privacyidea_config("interop.plain", "not secret")
            result = True
            "#,
        )
        .ok();
        let (out, j) = status_json(&env, &["--check-db"], &[]);
        assert_eq!(out.code, 0, "{engine}: {out:?}");
        let c = check_db_column(&j, "config.Value");
        assert_eq!(c["checked"], 1, "{engine}: {c}");
        assert_eq!(c["ok"], 1, "{engine}: {c}");
        assert_eq!(c["pkcs7"], 1, "{engine}: {c}");
    }
}

#[test]
fn a_wrapped_encfile_prompts_on_a_terminal() {
    let env = file_env();
    env.write_enckey(ENC);
    let dir = env.path("shares");
    let (code, text) = env.mfactl_on_tty(
        &["enckey", "split", "-n", "2", "-t", "2", "-o", s(&dir)],
        &["test1234!"],
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Passphrase for"), "{text}");
    let files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("ls")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 2, "{text}");
    let back = env.path("back");
    let mut args = vec!["enckey", "combine", "-o", s(&back)];
    args.extend(files.iter().map(|p| s(p)));
    env.mfactl(&args).ok();
    assert_eq!(fs::read(&back).expect("r"), BIN);
    // A wrong passphrase on the terminal: exit 1, nothing written.
    let dir2 = env.path("shares2");
    let (code, text) = env.mfactl_on_tty(
        &["enckey", "split", "-n", "2", "-t", "2", "-o", s(&dir2)],
        &["nope"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("wrong passphrase"), "{text}");
    assert!(!dir2.exists());

    // combine asks for the shares one by one and rejects a bad one at once.
    let share = |p: &Path| {
        fs::read_to_string(p)
            .expect("r")
            .lines()
            .find(|l| l.starts_with("mfactl-share:"))
            .expect("share")
            .to_string()
    };
    let (s1, s2) = (share(&files[0]), share(&files[1]));
    let mut typo = s1.clone().into_bytes();
    let i = typo.len() - 20;
    typo[i] = if typo[i] == b'0' { b'1' } else { b'0' };
    let typo = String::from_utf8(typo).expect("utf8");
    let back2 = env.path("back2");
    let (code, text) =
        env.mfactl_on_tty(&["enckey", "combine", "-o", s(&back2)], &[&typo, &s1, &s2]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("share rejected: checksum mismatch"), "{text}");
    assert!(text.contains("Share 2 of 2"), "{text}");
    assert_eq!(fs::read(&back2).expect("r"), BIN);
}
