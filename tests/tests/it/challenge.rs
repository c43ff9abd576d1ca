//! Integration tests: `challenge cleanup` (and pi-manage's `config challenge cleanup`) on every
//! engine: expired vs `--age`, dry runs, chunked = unchunked, refused `--age 0` / `--chunksize 0`,
//! JSON output.

use chrono::{Duration, NaiveDateTime, Utc};
use mfactl_tests::{engines, Engine, TestEnv};

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// Inserts challenges: `expired` with expiration in the past, `valid` in the future; every
/// timestamp is `created_ago` before now (UTC).
fn insert(env: &TestEnv, first_id: i64, expired: usize, valid: usize, created_ago: Duration) {
    let now = Utc::now().naive_utc();
    let mut values = Vec::new();
    let otp = match env.engine() {
        Engine::Postgres => "false",
        _ => "0",
    };
    for i in 0..expired + valid {
        let id = first_id + i as i64;
        let created = now - created_ago;
        let exp = if i < expired {
            now - Duration::minutes(1)
        } else {
            now + Duration::minutes(10)
        };
        values.push(format!(
            "({id}, 'tx{id}', '', 'ch', 'sess', 'HOTP{id}', '{}', '{}', 0, {otp})",
            ts(created),
            ts(exp)
        ));
    }
    for chunk in values.chunks(200) {
        env.sql(&format!(
            "INSERT INTO challenge (id, transaction_id, data, challenge, {}, serial, {}, expiration, \
             received_count, otp_valid) VALUES {}",
            quote(env, "session"),
            quote(env, "timestamp"),
            chunk.join(", ")
        ));
    }
}

fn quote(env: &TestEnv, ident: &str) -> String {
    match env.engine() {
        Engine::Mariadb => format!("`{ident}`"),
        _ => format!("\"{ident}\""),
    }
}

#[test]
fn cleanup_expired_dry_run_and_age_on_every_engine() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        insert(&env, 1, 2, 1, Duration::minutes(3));

        // pi-manage's spelling and dry run: counted, nothing deleted
        let out = env.mfactl(&["config", "challenge", "cleanup", "--dryrun"]);
        out.ok();
        assert_eq!(
            out.stdout, "Deleting expired challenges.\nWould delete 2 challenge entries.\n",
            "{engine}"
        );
        assert_eq!(env.count("challenge"), 3, "{engine}");

        // the real cleanup leaves the valid one
        let out = env.mfactl(&["challenge", "cleanup"]);
        out.ok();
        assert_eq!(
            out.stdout, "Deleting expired challenges.\n2 entries deleted.\n",
            "{engine}"
        );
        assert_eq!(
            env.query_scalar("SELECT transaction_id FROM challenge"),
            "tx3",
            "{engine}"
        );

        // --age 5 keeps a 3-minute-old challenge, --age 1 deletes it
        let out = env.mfactl(&["challenge", "cleanup", "--age", "5"]);
        out.ok();
        assert!(
            out.stdout.starts_with("Deleting challenges older than 20"),
            "{engine}: {out:?}"
        );
        assert!(
            out.stdout.ends_with("\n0 entries deleted.\n"),
            "{engine}: {out:?}"
        );
        let out = env.mfactl(&["challenge", "cleanup", "--age", "1"]);
        out.ok();
        assert!(
            out.stdout.ends_with("\n1 entries deleted.\n"),
            "{engine}: {out:?}"
        );
        assert_eq!(env.count("challenge"), 0, "{engine}");
    }
}

#[test]
fn refused_arguments_change_nothing() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        insert(&env, 1, 1, 2, Duration::minutes(30));
        let out = env.mfactl(&["challenge", "cleanup", "--age", "0"]);
        out.code(2);
        assert!(out.stderr.contains("--age 0"), "{engine}: {out:?}");
        let out = env.mfactl(&["config", "challenge", "cleanup", "--chunksize", "0"]);
        out.code(2);
        assert!(!out.stderr.contains("panicked"), "{engine}: {out:?}");
        assert_eq!(env.count("challenge"), 3, "{engine}");
    }
}

#[test]
fn chunked_equals_unchunked_and_json() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        insert(&env, 1, 25, 5, Duration::minutes(3));
        let out = env.mfactl(&[
            "challenge",
            "cleanup",
            "--chunksize",
            "10",
            "--format",
            "json",
        ]);
        out.ok();
        let j = out.json();
        assert_eq!(j["deleted"], 25, "{engine}: {out:?}");
        assert_eq!(j["chunks"], 3, "{engine}: {out:?}");
        assert_eq!(j["criterion"], "expired");
        assert_eq!(j["dry_run"], false);
        assert_eq!(env.count("challenge"), 5, "{engine}");

        // the same data unchunked gives the same result
        env.sql("DELETE FROM challenge");
        insert(&env, 100, 25, 5, Duration::minutes(3));
        let out = env.mfactl(&["challenge", "cleanup", "--format", "json"]);
        out.ok();
        assert_eq!(out.json()["deleted"], 25, "{engine}: {out:?}");
        assert_eq!(env.count("challenge"), 5, "{engine}");

        // exactly a multiple of the chunk size
        env.sql("DELETE FROM challenge");
        insert(&env, 200, 20, 0, Duration::minutes(3));
        let out = env.mfactl(&["challenge", "cleanup", "--chunksize", "10"]);
        out.ok();
        assert!(
            out.stdout.ends_with("20 entries deleted.\n"),
            "{engine}: {out:?}"
        );
        assert_eq!(env.count("challenge"), 0, "{engine}");
    }
}

#[test]
fn chunked_cleanup_works_with_mariadb_uris() {
    for engine in engines() {
        if engine != Engine::Mariadb {
            continue;
        }
        let env = TestEnv::new_with(
            engine,
            mfactl_tests::EnvOptions::default().mariadb_dialect(),
        );
        env.load_reference_schema();
        insert(&env, 1, 7, 1, Duration::minutes(3));
        let out = env.mfactl(&["challenge", "cleanup", "--chunksize", "3"]);
        out.ok();
        assert!(out.stdout.ends_with("\n7 entries deleted.\n"), "{out:?}");
        assert_eq!(env.count("challenge"), 1);
    }
}

#[test]
fn chunks_walk_interleaved_rows_and_leave_the_sqlite_journal_mode_alone() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        // expired and valid rows interleaved in id order: 1-6 expired, 7-9 valid, 10-15 expired…
        for (n, first) in [(6, 1), (6, 10), (6, 19)] {
            insert(&env, first, n, 3, Duration::minutes(3));
        }
        let out = env.mfactl(&[
            "challenge",
            "cleanup",
            "--chunksize",
            "4",
            "--format",
            "json",
        ]);
        out.ok();
        let j = out.json();
        assert_eq!(j["deleted"], 18, "{engine}: {out:?}");
        assert_eq!(j["chunks"], 5, "{engine}: {out:?}");
        assert_eq!(env.count("challenge"), 9, "{engine}");
        let left = env.query_rows("SELECT id FROM challenge ORDER BY id");
        let left: Vec<&str> = left.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            left,
            ["7", "8", "9", "16", "17", "18", "25", "26", "27"],
            "{engine}"
        );
        if engine != Engine::Sqlite {
            continue;
        }
        // the journal file mfactl reuses during the chunks is gone afterwards
        let journal = format!("{}-journal", env.db_name());
        assert!(
            !std::path::Path::new(&journal).exists(),
            "{journal} left behind"
        );
        // a database in WAL mode stays in WAL mode
        assert_eq!(env.query_scalar("PRAGMA journal_mode = WAL"), "wal");
        insert(&env, 100, 9, 0, Duration::minutes(3));
        env.mfactl(&["challenge", "cleanup", "--chunksize", "4"])
            .ok();
        assert_eq!(env.count("challenge"), 9);
        assert_eq!(env.query_scalar("PRAGMA journal_mode"), "wal");
    }
}
