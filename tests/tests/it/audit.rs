//! Integration tests: `audit rotate` (watermark, age, rule file), `audit dump` and `audit verify`
//! on every engine, with the rows and signatures privacyIDEA 3.14 wrote
//! (`vectors/audit/`), the pi-manage edge cases, dry runs, a separate audit database, the lock
//! and a killed run.

use chrono::{Duration, Local, NaiveDateTime};
use mfactl_tests::{
    engines, mfactl_bin, reference_ddl, reference_dir, Engine, EnvOptions, TestEnv,
};
use std::fs;
use std::process::{Command, Stdio};

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

fn lit(v: Option<&str>) -> String {
    match v {
        None => "NULL".into(),
        Some(s) => format!("'{}'", s.replace('\'', "''")),
    }
}

fn q(engine: Engine, ident: &str) -> String {
    match engine {
        Engine::Mariadb => format!("`{ident}`"),
        _ => format!("\"{ident}\""),
    }
}

/// The CREATE TABLE of `pidea_audit` (and its indexes) from the reference DDL of `engine`.
fn audit_ddl(engine: Engine) -> String {
    let file = match engine {
        Engine::Sqlite => "schema-sqlite.sql",
        Engine::Postgres => "schema-postgres.sql",
        Engine::Mariadb => "schema-mariadb.sql",
    };
    let ddl = reference_ddl(file);
    let mut out = Vec::new();
    for stmt in ddl.split(";\n") {
        let s = stmt.trim();
        let first = s
            .lines()
            .find(|l| !l.trim_start().starts_with("--") && !l.trim().is_empty())
            .unwrap_or("");
        let wanted = (first.contains("TABLE") && first.contains("pidea_audit"))
            || (first.starts_with("CREATE INDEX") && first.contains("pidea_audit"))
            || first.starts_with("ALTER TABLE ONLY public.pidea_audit")
            || first.contains("SEQUENCE public.audit_seq")
            || first.contains("SEQUENCE `audit_seq`");
        if wanted && !first.contains("OWNER") {
            out.push(format!("{s};"));
        }
    }
    assert!(!out.is_empty(), "no pidea_audit DDL in {file}");
    out.join("\n")
}

/// One generated audit row.
struct Row {
    id: i64,
    date: NaiveDateTime,
    action: &'static str,
    user: Option<&'static str>,
    success: i64,
}

fn insert_rows(env: &TestEnv, rows: &[Row], audit_db: bool) {
    let e = env.engine();
    for chunk in rows.chunks(200) {
        let values: Vec<String> = chunk
            .iter()
            .map(|r| {
                format!(
                    "({}, '{}', {}, {}, {}, 'rsa_sha256_pss:00', 'default', 'default')",
                    r.id,
                    ts(r.date),
                    lit(Some(r.action)),
                    lit(r.user),
                    r.success
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO pidea_audit (id, date, action, {}, success, signature, loglevel, \
             clearance_level) VALUES {}",
            q(e, "user"),
            values.join(", ")
        );
        if audit_db {
            env.audit_sql(&sql);
        } else {
            env.sql(&sql);
        }
    }
}

fn ids(env: &TestEnv) -> Vec<i64> {
    env.query_rows("SELECT id FROM pidea_audit ORDER BY id")
        .into_iter()
        .map(|r| r[0].parse().expect("id"))
        .collect()
}

fn env_with_audit(engine: Engine) -> TestEnv {
    let env = TestEnv::new(engine);
    env.load_reference_schema();
    env
}

/// `n` rows with ids `1..=n` step `step`, one per day back from now (newest = highest id).
fn daily_rows(n: i64, step: i64) -> Vec<Row> {
    let now = Local::now().naive_local();
    (0..n)
        .map(|i| Row {
            id: 1 + i * step,
            date: now - Duration::days(n - 1 - i) - Duration::hours(1),
            action: if i % 2 == 0 {
                "POST /validate/check"
            } else {
                "GET /token/"
            },
            user: if i % 3 == 0 { None } else { Some("alice") },
            success: i % 2,
        })
        .collect()
}

#[test]
fn watermark_keeps_exactly_lw_rows_with_gaps() {
    for engine in engines() {
        let env = env_with_audit(engine);
        insert_rows(&env, &daily_rows(30, 3), false); // ids 1, 4, …, 88
        let out = env.mfactl(&["rotate_audit", "-hw", "10", "-lw", "5", "--dryrun"]);
        out.ok();
        assert_eq!(
            out.stdout,
            "Cleaning up with high: 10, low: 5.\n\
             The log audit log has 30 entries, the last one is 88\n\
             More than 10 entries, deleting...\n\
             Deleting entries smaller than 76\n\
             Would delete 25 entries.\n",
            "{engine}"
        );
        assert_eq!(ids(&env).len(), 30, "{engine}: dry run changed the table");
        let out = env.mfactl(&[
            "audit",
            "rotate",
            "-hw",
            "10",
            "-lw",
            "5",
            "--chunksize",
            "7",
        ]);
        out.ok();
        assert!(
            out.stdout.ends_with("25 entries deleted.\n"),
            "{engine}: {out:?}"
        );
        assert_eq!(ids(&env), vec![76, 79, 82, 85, 88], "{engine}");

        // below the high watermark: nothing happens
        let out = env.mfactl(&["audit", "rotate", "-hw", "5", "-lw", "1"]);
        out.ok();
        assert_eq!(
            out.stdout,
            "Cleaning up with high: 5, low: 1.\nThe log audit log has 5 entries, the last one is 88\n",
            "{engine}"
        );
        // lw larger than the count: cut id 0, nothing deleted
        let out = env.mfactl(&[
            "audit", "rotate", "-hw", "1", "-lw", "50", "--format", "json",
        ]);
        out.ok();
        let j = out.json();
        assert_eq!(j["cut_id"], 0, "{engine}");
        assert_eq!(j["deleted"], 0, "{engine}");
        // -lw 0 deletes everything
        let out = env.mfactl(&["audit", "rotate", "-hw", "1", "-lw", "0"]);
        out.ok();
        assert!(
            out.stdout.contains("Deleting entries smaller than 89\n"),
            "{engine}: {out:?}"
        );
        assert!(ids(&env).is_empty(), "{engine}");
        // a negative low watermark is a usage error
        env.mfactl(&["audit", "rotate", "-lw", "-1"]).code(2);
    }
}

#[test]
fn age_mode_deletes_older_entries() {
    for engine in engines() {
        let env = env_with_audit(engine);
        insert_rows(&env, &daily_rows(20, 1), false); // ages 0..19 days (+1 h)
        let out = env.mfactl(&["audit", "rotate", "--age", "10", "--dry-run"]);
        out.ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines[0], "Cleaning up with age: 10.", "{engine}");
        assert!(
            lines[1].starts_with("Deleting entries older than 20"),
            "{engine}"
        );
        assert_eq!(lines[2], "Would delete 10 entries.", "{engine}");
        assert_eq!(ids(&env).len(), 20);
        // age wins over the watermarks
        let out = env.mfactl(&["audit", "rotate", "--age", "10", "-hw", "1", "-lw", "1"]);
        out.ok();
        assert_eq!(
            out.stdout.lines().last(),
            Some("10 entries deleted."),
            "{engine}"
        );
        assert_eq!(ids(&env), (11..=20).collect::<Vec<i64>>(), "{engine}");
    }
}

const RULES: &str = "\
- rotate: 5
  action: ^GET /token
- rotate: 0
- rotate: 15
  user: ^None$
- rotate: 12
  action: .*
";

#[test]
fn config_rules_first_match_wins_on_every_engine() {
    for engine in engines() {
        let env = env_with_audit(engine);
        insert_rows(&env, &daily_rows(20, 1), false);
        // ids 1..20; age(id) = 20 - id days + 1 h. Odd index (even id) = GET /token/,
        // index % 3 == 0 (id 1, 4, 7, …) = user NULL.
        let rules = env.path("rules.yaml");
        fs::write(&rules, RULES).expect("rules");
        let rules = rules.display().to_string();
        let expected = |id: i64| {
            let age = 20 - id; // whole days (+1 h)
            let index = id - 1;
            if index % 2 == 1 {
                age >= 5 // GET /token: rule 1 decides, even when young
            } else if index % 3 == 0 {
                age >= 15 // user None: rule 3
            } else {
                age >= 12 // catch-all
            }
        };
        let want_deleted: Vec<i64> = (1..=20).filter(|i| expected(*i)).collect();
        let rule1 = (1..=20)
            .filter(|i| (i - 1) % 2 == 1 && expected(*i))
            .count();
        let rule3 = (1..=20)
            .filter(|i| (i - 1) % 2 == 0 && (i - 1) % 3 == 0 && expected(*i))
            .count();
        let rule4 = want_deleted.len() - rule1 - rule3;

        let out = env.mfactl(&["audit", "rotate", "--config", &rules, "--dryrun"]);
        out.ok();
        assert_eq!(
            out.stdout,
            format!(
                "Cleaning up with config file.\n\
                 Rule {{'rotate': 5, 'action': '^GET /token'}} matched {rule1} times.\n\
                 Rule {{'rotate': 0}} matched 0 times.\n\
                 Rule {{'rotate': 15, 'user': '^None$'}} matched {rule3} times.\n\
                 Rule {{'rotate': 12, 'action': '.*'}} matched {rule4} times.\n\
                 If you only would let me I would clean up {} entries!\n",
                want_deleted.len()
            ),
            "{engine}"
        );
        assert_eq!(ids(&env).len(), 20, "{engine}: dry run deleted");

        let out = env.mfactl(&["audit", "rotate", "--config", &rules, "--chunksize", "3"]);
        out.ok();
        assert!(
            out.stdout
                .ends_with(&format!("Cleaning up {} entries.\n", want_deleted.len())),
            "{engine}: {out:?}"
        );
        let left: Vec<i64> = (1..=20).filter(|i| !expected(*i)).collect();
        assert_eq!(ids(&env), left, "{engine}");

        // unchunked on the same data gives the same table
        env.sql("DELETE FROM pidea_audit");
        insert_rows(&env, &daily_rows(20, 1), false);
        let out = env.mfactl(&["audit", "rotate", "--config", &rules, "--format", "json"]);
        out.ok();
        let j = out.json();
        assert_eq!(j["deleted"], want_deleted.len(), "{engine}");
        assert_eq!(j["rules"][0]["matched"], rule1, "{engine}");
        assert_eq!(ids(&env), left, "{engine}");
    }
}

#[test]
fn bad_rule_files_fail_before_any_delete() {
    for engine in engines() {
        let env = env_with_audit(engine);
        insert_rows(&env, &daily_rows(5, 1), false);
        let cases = [
            ("- rotate: 0\n  action: .*\n- rotate: [\n", "not valid YAML"),
            (
                "- rotate: 0\n  action: .*\n- rotate: 0\n  action: '(?a)x'\n",
                "rule 2",
            ),
            (
                "- rotate: 0\n  action: .*\n- rotate: 0\n  log_level: x\n",
                "unknown column 'log_level'",
            ),
            ("- rotate: 0\n  action: .*\n- action: x\n", "no 'rotate'"),
            ("- rotate: 0\n  action: '(unclosed'\n", "rule 1"),
        ];
        for (i, (text, msg)) in cases.iter().enumerate() {
            let p = env.path(&format!("bad{i}.yaml"));
            fs::write(&p, text).expect("write");
            let out = env.mfactl(&["audit", "rotate", "--config", &p.display().to_string()]);
            out.code(2);
            assert!(out.stderr.contains(msg), "{engine} case {i}: {out:?}");
            assert!(out.stdout.is_empty(), "{engine} case {i}: {out:?}");
            assert_eq!(ids(&env).len(), 5, "{engine} case {i}");
        }
    }
}

#[test]
fn separate_audit_database_is_used_for_counting_and_deleting() {
    for engine in engines() {
        let env = TestEnv::new_with(engine, EnvOptions::default().audit_db());
        env.load_reference_schema();
        env.audit_sql(&audit_ddl(engine));
        insert_rows(&env, &daily_rows(12, 1), true);
        insert_rows(&env, &daily_rows(3, 1), false);
        let out = env.mfactl(&["audit", "rotate", "-hw", "5", "-lw", "2", "--dryrun"]);
        out.ok();
        assert!(
            out.stdout
                .contains("The log audit log has 12 entries, the last one is 12\n"),
            "{engine}: {out:?}"
        );
        assert!(
            out.stdout.ends_with("Would delete 10 entries.\n"),
            "{engine}: {out:?}"
        );
        env.mfactl(&["audit", "rotate", "-hw", "5", "-lw", "2"])
            .ok();
        let left = env.audit_query_rows("SELECT id FROM pidea_audit ORDER BY id");
        assert_eq!(
            left,
            vec![vec!["11".to_string()], vec!["12".to_string()]],
            "{engine}"
        );
        assert_eq!(ids(&env), vec![1, 2, 3], "{engine}: main database touched");
    }
}

/// A rotate whose stdout is never read blocks on a full pipe while it holds the lock: a second
/// rotate is refused; killing the first leaves a consistent table that a re-run finishes.
#[test]
fn concurrent_rotate_is_locked_out_and_a_killed_run_is_consistent() {
    for engine in engines() {
        let env = env_with_audit(engine);
        let rows = daily_rows(3000, 1);
        insert_rows(&env, &rows, false);
        let rules = env.path("rules.yaml");
        fs::write(&rules, "- rotate: 0\n  action: .*\n  user: .*\n").expect("rules");
        // --debug writes ~260 bytes per entry: with pages and chunks of 100 the 64 KiB pipe
        // fills in the third page, after two committed chunks
        let mut first = Command::new(mfactl_bin())
            .arg("--config")
            .arg(env.config_path())
            .args([
                "audit",
                "rotate",
                "--debug",
                "--chunksize",
                "100",
                "--config",
            ])
            .arg(&rules)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let mut refused = None;
        for _ in 0..50 {
            // a high watermark above the count: deletes nothing, but needs the lock
            let out = env.mfactl(&["audit", "rotate", "-hw", "100000"]);
            if out.code == 1 {
                refused = Some(out);
                break;
            }
            out.ok();
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let refused = refused.expect("the second rotate was never refused");
        assert!(
            refused.stderr.contains("audit-rotate"),
            "{engine}: {refused:?}"
        );
        first.kill().expect("kill");
        let _ = first.wait();
        // what was deleted are whole chunks of the oldest ids; the rest is untouched
        let left = ids(&env);
        let n = left.len() as i64;
        assert!(n < 3000 && n > 0 && n % 100 == 0, "{engine}: {n} rows left");
        assert_eq!(left, (3001 - n..=3000).collect::<Vec<i64>>(), "{engine}");
        let out = env.mfactl(&["audit", "rotate", "--config", &rules.display().to_string()]);
        out.ok();
        assert!(ids(&env).is_empty(), "{engine}: {out:?}");
    }
}

/// The rows privacyIDEA 3.14 wrote and signed (`vectors/audit/rows.json`), inserted as stored.
fn insert_vector_rows(env: &TestEnv) -> serde_json::Value {
    let dir = reference_dir().join("vectors/audit");
    let v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("rows.json")).expect("rows.json"))
            .expect("json");
    fs::copy(dir.join("public.pem"), env.audit_public_key_path()).expect("copy key");
    let cols: Vec<String> = v["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c.as_str().expect("col").to_string())
        .collect();
    for e in v["entries"].as_array().expect("entries") {
        let row = &e["row"];
        let values: Vec<String> = cols
            .iter()
            .map(|c| match &row[c] {
                serde_json::Value::Null => "NULL".to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::String(s)
                    if c == "duration" && env.engine() == Engine::Postgres =>
                {
                    lit(Some(s.trim_start_matches("1970-01-01 ")))
                }
                serde_json::Value::String(s) => lit(Some(s)),
                other => panic!("{other}"),
            })
            .collect();
        let names: Vec<String> = cols.iter().map(|c| q(env.engine(), c)).collect();
        env.sql(&format!(
            "INSERT INTO pidea_audit ({}) VALUES ({})",
            names.join(", "),
            values.join(", ")
        ));
    }
    v
}

#[test]
fn privacyidea_rows_dump_and_verify_on_every_engine() {
    let expected_pi_csv =
        fs::read_to_string(reference_dir().join("vectors/audit/dump.csv")).expect("dump.csv");
    for engine in engines() {
        let env = env_with_audit(engine);
        insert_vector_rows(&env);

        // pi-manage's layout, byte for byte
        let out = env.mfactl(&["audit", "dump", "--format", "pi-csv"]);
        out.ok();
        assert_eq!(out.stdout, expected_pi_csv, "{engine}");

        // RFC 4180 CSV with header, to a file
        let file = env.path("dump.csv");
        env.mfactl(&["audit", "dump", "-f", &file.display().to_string()])
            .ok();
        let csv = fs::read_to_string(&file).expect("dump file");
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(
            lines[0].starts_with("number,date,sig_check,missing_line,action,"),
            "{engine}"
        );
        assert!(
            lines[2].contains(",\"type=totp, genkey=1\","),
            "{engine}: {csv}"
        );
        assert_eq!(lines.len(), 5, "{engine}: {csv}"); // header, 3 rows, trailing empty
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&file).expect("meta").permissions().mode() & 0o777,
            0o600
        );

        // JSON lines
        let out = env.mfactl(&["audit", "dump", "--format", "jsonl", "-t", "3650d"]);
        out.ok();
        let first: serde_json::Value =
            serde_json::from_str(out.stdout.lines().next().expect("line")).expect("json");
        assert_eq!(first["sig_check"], "OK", "{engine}");
        assert_eq!(first["missing_line"], "FAIL", "{engine}");
        assert_eq!(first["duration"], 0.111111, "{engine}");
        assert_eq!(out.stdout.lines().count(), 3, "{engine}");
        // --no-sig-check: sig_check empty, every other field the same
        let fast = env.mfactl(&[
            "audit",
            "dump",
            "--format",
            "jsonl",
            "-t",
            "3650d",
            "--no-sig-check",
        ]);
        fast.ok();
        for (a, b) in out.stdout.lines().zip(fast.stdout.lines()) {
            let mut a: serde_json::Value = serde_json::from_str(a).expect("json");
            let b: serde_json::Value = serde_json::from_str(b).expect("json");
            assert_eq!(b["sig_check"], "", "{engine}");
            a["sig_check"] = "".into();
            assert_eq!(a, b, "{engine}");
        }
        assert_eq!(fast.stdout.lines().count(), 3, "{engine}");
        // a time limit in the future of these 2026-01-02 rows excludes them
        let out = env.mfactl(&["audit", "dump", "--format", "jsonl", "-t", "1s"]);
        out.ok();
        if Local::now().naive_local() > ts_parse("2026-01-02 03:04:10") {
            assert_eq!(out.stdout, "", "{engine}");
        }
        env.mfactl(&["audit", "dump", "-t", "5D"]).code(2);

        // verify: all good
        let out = env.mfactl(&["audit", "verify"]);
        out.ok();
        assert_eq!(
            out.stdout,
            "3 entries checked (ids 1 to 3)\n3 signatures OK, 0 FAIL\n0 entries missing in 0 gaps\n",
            "{engine}"
        );
        // a changed value and a missing row
        env.sql("UPDATE pidea_audit SET info = 'changed' WHERE id = 2");
        let out = env.mfactl(&["audit", "verify", "--format", "json"]);
        out.code(1);
        let j = out.json();
        assert_eq!(j["failed_ids"], serde_json::json!([2]), "{engine}");
        env.sql("DELETE FROM pidea_audit WHERE id = 2");
        let out = env.mfactl(&["audit", "verify"]);
        out.ok();
        assert!(
            out.stdout
                .contains("1 entries missing in 1 gaps\nmissing 2\n"),
            "{engine}: {out:?}"
        );
        env.mfactl(&["audit", "verify", "--strict"]).code(1);
        let out = env.mfactl(&["audit", "dump", "--format", "pi-csv"]);
        assert!(
            out.stdout.lines().all(|l| l.contains(",OK,FAIL,")),
            "{engine}: {out:?}"
        );
    }
}

fn ts_parse(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("ts")
}

/// Rows written through privacyIDEA 3.14 itself (its sqlaudit module, signing with a fresh key)
/// verify with mfactl, on every engine.
#[test]
fn rows_signed_by_privacyidea_verify() {
    for engine in engines() {
        let env = env_with_audit(engine);
        let dir = reference_dir().join("vectors/audit");
        fs::copy(dir.join("public.pem"), env.audit_public_key_path()).expect("pub");
        fs::copy(dir.join("private.pem"), env.audit_private_key_path()).expect("priv");
        let out = env.pi_run(
            r#"
            from privacyidea.lib.audit import getAudit
            from flask import current_app
            for i, user in enumerate(["alice", "jürgen", None, "bob, the ' quote"]):
                a = getAudit(current_app.config)
                a.log({"action": "POST /validate/check", "success": i % 2, "user": user or "",
                       "serial": "HOTP%d" % i, "info": "x,y", "client": "10.0.0.%d" % i,
                       "container_serial": "C%d" % i if i == 2 else ""})
                a.finalize_log()
            result = "ok"
            "#,
        );
        if !out.success() {
            panic!("{engine}: privacyIDEA could not write audit rows: {out:?}");
        }
        let out = env.mfactl(&["audit", "verify"]);
        out.ok();
        assert!(
            out.stdout.contains("4 signatures OK, 0 FAIL"),
            "{engine}: {out:?}"
        );
    }
}

/// More rows than one page (2000): dump keeps every entry once, entries without a date first,
/// then by date and id (ties included); verify walks every page and finds the gaps.
#[test]
fn dump_and_verify_page_through_large_tables() {
    for engine in engines() {
        let env = env_with_audit(engine);
        let now = Local::now().naive_local();
        let rows: Vec<Row> = (1..=4500)
            .map(|i| Row {
                id: i,
                // three entries share each date; dates run backwards in id blocks of 1000
                date: now - Duration::days(((i - 1) / 1000) * 10) + Duration::seconds((i - 1) / 3),
                action: "POST /validate/check",
                user: Some("alice"),
                success: 1,
            })
            .collect();
        insert_rows(&env, &rows, false);
        env.sql("UPDATE pidea_audit SET date = NULL WHERE id IN (7, 2500, 4499)");
        env.sql("DELETE FROM pidea_audit WHERE id IN (100, 101, 3000)");
        fs::copy(
            reference_dir().join("vectors/audit/public.pem"),
            env.audit_public_key_path(),
        )
        .expect("key");
        let out = env.mfactl(&["audit", "dump", "--format", "jsonl"]);
        out.ok();
        let got: Vec<(i64, Option<String>)> = out
            .stdout
            .lines()
            .map(|l| {
                let j: serde_json::Value = serde_json::from_str(l).expect("json line");
                (
                    j["number"].as_i64().expect("number"),
                    j["date"].as_str().map(str::to_string),
                )
            })
            .collect();
        assert_eq!(got.len(), 4497, "{engine}");
        let nulls: Vec<i64> = got.iter().take(3).map(|(i, _)| *i).collect();
        assert_eq!(nulls, vec![7, 2500, 4499], "{engine}");
        let mut expected: Vec<(String, i64)> = got[3..]
            .iter()
            .map(|(i, d)| (d.clone().expect("date"), *i))
            .collect();
        let in_order = expected.clone();
        expected.sort();
        assert_eq!(in_order, expected, "{engine}: not ordered by date, id");
        // verify: every entry checked (the placeholder signatures fail), gaps found
        let out = env.mfactl(&["audit", "verify", "--format", "json"]);
        out.code(1);
        let j = out.json();
        assert_eq!(j["checked"], 4497, "{engine}");
        assert_eq!(j["missing_entries"], 3, "{engine}");
        assert_eq!(
            j["gaps"],
            serde_json::json!([[100, 101], [3000, 3000]]),
            "{engine}"
        );
    }
}

/// On a terminal the long commands draw a progress bar on stderr (deletes: when chunked, the
/// only way to see progress of a delete); in a pipe (cron) they do not.
#[test]
fn progress_bar_only_on_a_terminal() {
    let env = env_with_audit(Engine::Sqlite);
    insert_rows(&env, &daily_rows(30, 1), false);
    fs::copy(
        reference_dir().join("vectors/audit/public.pem"),
        env.audit_public_key_path(),
    )
    .expect("copy the public key");
    let (code, text) = env.mfactl_on_tty(&["audit", "verify"], &[]);
    assert_eq!(code, 1, "unsigned rows fail the check: {text}");
    assert!(
        text.contains("verifying audit signatures [") && text.contains("30/30 (100%)"),
        "{text}"
    );
    let (code, text) = env.mfactl_on_tty(
        &[
            "audit",
            "rotate",
            "-hw",
            "20",
            "-lw",
            "10",
            "--chunksize",
            "5",
        ],
        &[],
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("deleting audit entries ["), "{text}");
    let out = env.mfactl(&["audit", "verify"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        !out.stderr.contains("verifying audit signatures"),
        "{out:?}"
    );
}
