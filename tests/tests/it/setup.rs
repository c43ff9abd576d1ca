//! Integration tests: setup (create-tables, drop-tables, create-audit-keys, init, status) and
//! the schema against privacyIDEA 3.14's own.
use mfactl_tests::{
    engines, mfactl_bin, pi_python, Cmd, Engine, EnvOptions, TestEnv, ALEMBIC_HEAD,
};
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The tables privacyIDEA 3.14's `create_tables` makes, `alembic_version` included.
const TABLES_WITH_ALEMBIC: usize = 68;
/// Its sequences on PostgreSQL and MariaDB.
const SEQUENCES: usize = 45;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// Catalog queries per engine: (section, SQL). Every cell is text; rows are sorted before
/// comparing, because dumps do not keep index order stable.
fn catalog_queries(engine: Engine) -> Vec<(&'static str, &'static str)> {
    match engine {
        Engine::Sqlite => vec![
            (
                "tables",
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            ),
            (
                "columns",
                "SELECT m.name, p.cid, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk \
                 FROM sqlite_master AS m, pragma_table_info(m.name) AS p WHERE m.type = 'table'",
            ),
            (
                "indexes",
                "SELECT m.name, il.name, il.\"unique\", il.origin, il.partial, ii.seqno, ii.name \
                 FROM sqlite_master AS m, pragma_index_list(m.name) AS il, \
                 pragma_index_info(il.name) AS ii WHERE m.type = 'table'",
            ),
            (
                "foreign keys",
                "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, \
                 f.on_delete FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f \
                 WHERE m.type = 'table'",
            ),
        ],
        Engine::Postgres => vec![
            (
                "tables",
                "SELECT table_name::text, table_type::text FROM information_schema.tables \
                 WHERE table_schema = current_schema()",
            ),
            (
                "columns",
                "SELECT table_name::text, ordinal_position::text, column_name::text, \
                 data_type::text, coalesce(character_maximum_length::text, '-'), \
                 coalesce(numeric_precision::text, '-'), is_nullable::text, \
                 coalesce(column_default::text, '-'), is_identity::text, \
                 coalesce(identity_generation::text, '-') \
                 FROM information_schema.columns WHERE table_schema = current_schema()",
            ),
            (
                "indexes",
                "SELECT tablename::text, indexname::text, indexdef::text FROM pg_indexes \
                 WHERE schemaname = current_schema()",
            ),
            (
                "constraints",
                "SELECT c.conrelid::regclass::text, c.conname::text, c.contype::text, \
                 pg_get_constraintdef(c.oid)::text FROM pg_constraint c \
                 JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()",
            ),
            (
                "sequences",
                "SELECT sequencename::text, data_type::text, start_value::text, min_value::text, \
                 max_value::text, increment_by::text, cycle::text, cache_size::text \
                 FROM pg_sequences WHERE schemaname = current_schema()",
            ),
        ],
        Engine::Mariadb => vec![
            (
                "tables",
                "SELECT CAST(table_name AS CHAR), CAST(table_type AS CHAR), \
                 CAST(coalesce(engine, '-') AS CHAR), CAST(coalesce(table_collation, '-') AS CHAR) \
                 FROM information_schema.tables WHERE table_schema = DATABASE()",
            ),
            (
                "columns",
                "SELECT CAST(table_name AS CHAR), CAST(ordinal_position AS CHAR), \
                 CAST(column_name AS CHAR), CAST(column_type AS CHAR), CAST(is_nullable AS CHAR), \
                 CAST(coalesce(column_default, '-') AS CHAR), CAST(extra AS CHAR), \
                 CAST(coalesce(character_set_name, '-') AS CHAR), \
                 CAST(coalesce(collation_name, '-') AS CHAR), CAST(column_key AS CHAR) \
                 FROM information_schema.columns WHERE table_schema = DATABASE()",
            ),
            (
                "indexes",
                "SELECT CAST(table_name AS CHAR), CAST(index_name AS CHAR), \
                 CAST(non_unique AS CHAR), CAST(seq_in_index AS CHAR), CAST(column_name AS CHAR) \
                 FROM information_schema.statistics WHERE table_schema = DATABASE()",
            ),
            (
                "foreign keys",
                "SELECT CAST(k.table_name AS CHAR), CAST(k.constraint_name AS CHAR), \
                 CAST(k.column_name AS CHAR), CAST(k.referenced_table_name AS CHAR), \
                 CAST(k.referenced_column_name AS CHAR), CAST(r.update_rule AS CHAR), \
                 CAST(r.delete_rule AS CHAR) FROM information_schema.key_column_usage k \
                 JOIN information_schema.referential_constraints r \
                 ON r.constraint_schema = k.constraint_schema \
                 AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name \
                 WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL",
            ),
            (
                "checks",
                "SELECT CAST(table_name AS CHAR), CAST(constraint_name AS CHAR), \
                 CAST(check_clause AS CHAR) FROM information_schema.check_constraints \
                 WHERE constraint_schema = DATABASE()",
            ),
        ],
    }
}

/// The MariaDB sequences with their parameters (one query per sequence).
fn mariadb_sequences(env: &TestEnv) -> Vec<Vec<String>> {
    let names = env.query_rows(
        "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
         WHERE table_schema = DATABASE() AND table_type = 'SEQUENCE'",
    );
    let mut out = Vec::new();
    for n in names {
        let name = &n[0];
        let mut row = vec![name.clone()];
        row.extend(
            env.query_rows(&format!(
                "SELECT minimum_value, maximum_value, start_value, increment, cache_size, \
                 cycle_option FROM `{name}`"
            ))
            .remove(0),
        );
        out.push(row);
    }
    out.sort();
    out
}

fn describe(env: &TestEnv) -> Vec<(&'static str, Vec<Vec<String>>)> {
    let mut out: Vec<(&'static str, Vec<Vec<String>>)> = catalog_queries(env.engine())
        .into_iter()
        .map(|(name, q)| {
            let mut rows = env.query_rows(q);
            rows.sort();
            (name, rows)
        })
        .collect();
    if env.engine() == Engine::Mariadb {
        out.push(("sequences", mariadb_sequences(env)));
    }
    out
}

#[track_caller]
fn assert_same_catalog(reference: &TestEnv, ours: &TestEnv, label: &str) {
    let a = describe(reference);
    let b = describe(ours);
    for ((section, ra), (_, rb)) in a.iter().zip(&b) {
        let sa: BTreeSet<&Vec<String>> = ra.iter().collect();
        let sb: BTreeSet<&Vec<String>> = rb.iter().collect();
        let only_ref: Vec<_> = sa.difference(&sb).collect();
        let only_ours: Vec<_> = sb.difference(&sa).collect();
        assert!(
            only_ref.is_empty() && only_ours.is_empty() && ra.len() == rb.len(),
            "{label}: {section} differ\nonly in the reference: {only_ref:#?}\nonly in mfactl's: {only_ours:#?}"
        );
        assert!(
            !ra.is_empty() || *section == "foreign keys",
            "{label}: {section} is empty"
        );
    }
}

fn sequence_count(env: &TestEnv) -> usize {
    match env.engine() {
        Engine::Sqlite => 0,
        Engine::Postgres => env
            .query_scalar(
                "SELECT COUNT(*)::text FROM pg_sequences WHERE schemaname = current_schema() \
                 AND sequencename LIKE '%\\_seq' AND sequencename NOT LIKE '%\\_id\\_seq'",
            )
            .parse()
            .unwrap_or(0),
        Engine::Mariadb => env
            .query_scalar(
                "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'SEQUENCE'",
            )
            .parse()
            .unwrap_or(0),
    }
}

fn variants() -> Vec<(Engine, EnvOptions, &'static str)> {
    let mut v = Vec::new();
    for e in engines() {
        v.push((e, EnvOptions::default(), e.name()));
        if e == Engine::Mariadb {
            v.push((
                e,
                EnvOptions::default().mariadb_dialect(),
                "mariadb+pymysql",
            ));
        }
    }
    v
}

#[test]
fn create_tables_matches_the_reference_schema() {
    for (engine, opts, label) in variants() {
        let reference = TestEnv::new_with(engine, opts.clone());
        reference.load_reference_schema();
        let ours = TestEnv::new_with(engine, opts);
        let out = ours.mfactl(&["setup", "create-tables"]);
        out.ok();
        assert!(
            out.stdout.starts_with("Using connect string "),
            "{label}: {out:?}"
        );
        assert!(
            !out.stdout.contains(mfactl_tests::DB_PASSWORD),
            "{label}: password shown: {out:?}"
        );
        assert!(out.stdout.contains("Created 67 tables"), "{label}: {out:?}");
        assert_eq!(ours.table_names().len(), TABLES_WITH_ALEMBIC, "{label}");
        let seqs = if engine == Engine::Sqlite {
            0
        } else {
            SEQUENCES
        };
        assert_eq!(sequence_count(&ours), seqs, "{label}");
        assert_eq!(sequence_count(&reference), seqs, "{label}");
        assert_same_catalog(&reference, &ours, label);
        // The harness's normalized snapshot (independent code) agrees.
        let snap = ours.schema_snapshot();
        snap.assert_same(&reference.schema_snapshot());
        assert_eq!(snap.lines_starting("sequence ").len(), seqs, "{label}");
        assert_eq!(
            ours.query_rows("SELECT version_num FROM alembic_version"),
            vec![vec![ALEMBIC_HEAD.to_string()]],
            "{label}"
        );
    }
}

#[test]
fn mysql_and_mariadb_uris_differ_in_datetime_precision() {
    if !engines().contains(&Engine::Mariadb) {
        return;
    }
    let my = TestEnv::new(Engine::Mariadb);
    my.create_schema();
    let ma = TestEnv::new_with(Engine::Mariadb, EnvOptions::default().mariadb_dialect());
    ma.create_schema();
    let q = "SELECT CAST(column_type AS CHAR) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = 'pidea_audit' AND column_name = 'date'";
    assert_eq!(my.query_scalar(q), "datetime(6)");
    assert_eq!(ma.query_scalar(q), "datetime");
    let q = "SELECT CAST(column_type AS CHAR) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = 'authentication_log' \
             AND column_name = 'timestamp'";
    assert_eq!(ma.query_scalar(q), "datetime(6)");
}

#[test]
fn create_tables_is_idempotent_and_fills_gaps() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.mfactl(&["setup", "create-tables"]).ok();
        let before = describe(&env);
        env.sql("INSERT INTO admin (username, email) VALUES ('keep', 'k@example.test')");
        // Every pi-manage spelling runs the same command; a second run creates nothing.
        for args in [
            &["setup", "create-tables"][..],
            &["setup", "create_tables"],
            &["create_tables"],
            &["createdb"],
        ] {
            let out = env.mfactl(args);
            out.ok();
            assert!(
                out.stdout
                    .contains("All 67 tables exist; nothing to create"),
                "{engine} {args:?}: {out:?}"
            );
            assert!(
                out.stdout.contains(&format!("already at {ALEMBIC_HEAD}")),
                "{engine}: {out:?}"
            );
        }
        assert_eq!(describe(&env), before, "{engine}");
        assert_eq!(env.count("alembic_version"), 1, "{engine}");
        assert_eq!(env.count("admin"), 1, "{engine}");

        // A missing table (with its indexes and keys) comes back; the rest is left alone.
        env.sql("DROP TABLE tokeninfo");
        let out = env.mfactl(&["setup", "create-tables"]);
        out.ok();
        assert!(out.stdout.contains("Created 1 table"), "{engine}: {out:?}");
        assert!(
            out.stdout.contains("(66 tables existed already)"),
            "{engine}: {out:?}"
        );
        assert_eq!(describe(&env), before, "{engine}");
        assert_eq!(env.count("admin"), 1, "{engine}");

        // --dry-run shows and changes nothing.
        env.sql("DROP TABLE tokeninfo");
        let out = env.mfactl(&["setup", "create-tables", "--dry-run"]);
        out.ok();
        assert!(
            out.stdout.contains("Would create 1 table"),
            "{engine}: {out:?}"
        );
        assert!(!env.table_names().contains(&"tokeninfo".to_string()));
        env.mfactl(&["setup", "create-tables"]).ok();
        assert_eq!(describe(&env), before, "{engine}");
    }
}

#[test]
fn no_stamp_and_foreign_revisions() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        let out = env.mfactl(&["setup", "create-tables", "-n"]);
        out.ok();
        assert!(out.stdout.contains("Not stamping"), "{engine}: {out:?}");
        let names = env.table_names();
        assert_eq!(names.len(), TABLES_WITH_ALEMBIC - 1, "{engine}");
        assert!(!names.contains(&"alembic_version".to_string()), "{engine}");

        // Stamping later creates alembic_version only.
        let out = env.mfactl(&["setup", "create-tables"]);
        out.ok();
        assert!(
            out.stdout.contains("Stamped alembic_version"),
            "{engine}: {out:?}"
        );
        assert_eq!(env.table_names().len(), TABLES_WITH_ALEMBIC, "{engine}");

        // A database of another revision is not re-stamped.
        env.sql("UPDATE alembic_version SET version_num = '0123456789ab'");
        let out = env.mfactl(&["setup", "create-tables"]);
        out.code(1);
        assert!(out.stderr.contains("0123456789ab"), "{engine}: {out:?}");
        assert!(
            out.stderr.contains("pi-manage db upgrade"),
            "{engine}: {out:?}"
        );
        assert_eq!(
            env.query_scalar("SELECT version_num FROM alembic_version"),
            "0123456789ab"
        );
        // The deprecated --stamp only warns.
        env.sql("DELETE FROM alembic_version");
        let out = env.mfactl(&["setup", "create_tables", "--stamp"]);
        out.ok();
        assert!(out.stderr.contains("deprecated"), "{engine}: {out:?}");
        assert_eq!(
            env.query_scalar("SELECT version_num FROM alembic_version"),
            ALEMBIC_HEAD
        );
    }
}

#[test]
fn drop_tables_needs_yes_really() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.create_schema();
        env.sql("CREATE TABLE site_notes (id INTEGER NOT NULL PRIMARY KEY)");
        for args in [
            &["setup", "drop-tables"][..],
            &["setup", "drop_tables", "--dropit", "no"],
            &["dropdb", "-d", "YES"],
            &["drop_tables"],
            &["--yes", "setup", "drop-tables"],
        ] {
            let out = env.mfactl(args);
            out.ok();
            assert!(
                out.stdout.contains("Not dropping anything!"),
                "{engine} {args:?}: {out:?}"
            );
            assert!(out.stderr.contains("--yes-really"), "{engine}: {out:?}");
            assert_eq!(
                env.table_names().len(),
                TABLES_WITH_ALEMBIC + 1,
                "{engine} {args:?}"
            );
        }
        // The global and the local --dry-run drop nothing.
        for args in [
            &["--dry-run", "setup", "drop-tables", "--yes-really"][..],
            &["setup", "drop_tables", "-d", "yes", "--dryrun"],
        ] {
            let out = env.mfactl(args);
            out.ok();
            assert!(
                out.stdout.contains("Would drop 68 tables"),
                "{engine} {args:?}: {out:?}"
            );
            assert_eq!(env.table_names().len(), TABLES_WITH_ALEMBIC + 1, "{engine}");
        }
        let out = env.mfactl(&["setup", "drop-tables", "--yes-really"]);
        out.ok();
        assert!(
            out.stdout.contains("Dropping all database tables!"),
            "{engine}: {out:?}"
        );
        assert!(
            out.stdout.contains("Dropped 68 tables"),
            "{engine}: {out:?}"
        );
        assert_eq!(
            env.table_names(),
            vec!["site_notes".to_string()],
            "{engine}"
        );
        assert_eq!(sequence_count(&env), 0, "{engine}");

        // pi-manage's spelling drops too; nothing left to drop is fine.
        env.create_schema();
        let out = env.mfactl(&["dropdb", "--dropit", "yes"]);
        out.ok();
        assert_eq!(
            env.table_names(),
            vec!["site_notes".to_string()],
            "{engine}"
        );
        let out = env.mfactl(&["setup", "drop_tables", "-d", "yes"]);
        out.ok();
        assert!(out.stdout.contains("Dropped 0 tables"), "{engine}: {out:?}");
        // And the schema can be made again afterwards.
        env.create_schema();
        assert_eq!(env.table_names().len(), TABLES_WITH_ALEMBIC + 1, "{engine}");
    }
}

#[test]
fn audit_keys_have_privacyidea_formats_and_modes() {
    let env = TestEnv::new(Engine::Sqlite);
    let private = env.audit_private_key_path();
    let public = env.audit_public_key_path();
    let _ = std::fs::remove_file(&private);
    let _ = std::fs::remove_file(&public);
    let out = env.mfactl(&["--dry-run", "setup", "create-audit-keys"]);
    out.ok();
    assert!(
        out.stdout.contains("Would write a 2048-bit RSA key pair"),
        "{out:?}"
    );
    assert!(!private.exists() && !public.exists());
    let out = env.mfactl(&["setup", "create-audit-keys"]);
    out.ok();
    assert!(out.stdout.contains("Signing keys written to"), "{out:?}");
    assert_eq!(mode(&private), 0o400);
    let priv_pem = std::fs::read_to_string(&private).expect("private");
    let pub_pem = std::fs::read_to_string(&public).expect("public");
    assert!(
        priv_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
        "{priv_pem}"
    );
    assert!(priv_pem.ends_with("-----END RSA PRIVATE KEY-----\n"));
    assert!(
        pub_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{pub_pem}"
    );

    // privacyIDEA's own signer accepts the pair: it signs with one and verifies with the other.
    let script = format!(
        r#"
from privacyidea.lib.crypto import Sign
from cryptography.hazmat.primitives import serialization
priv = open({p:?}, 'rb').read()
pub = open({q:?}, 'rb').read()
s = Sign(private_key=priv, public_key=pub)
sig = s.sign("id=1,date=x")
k = serialization.load_pem_private_key(priv, None)
result = {{"ok": s.verify("id=1,date=x", sig), "bad": s.verify("id=2,date=x", sig),
          "bits": k.key_size, "e": k.public_key().public_numbers().e}}
"#,
        p = private.display().to_string(),
        q = public.display().to_string()
    );
    let res = env.pi_run(&script);
    let j = res.ok().json();
    assert_eq!(j["ok"], true, "{res:?}");
    assert_eq!(j["bad"], false);
    assert_eq!(j["bits"], 2048);
    assert_eq!(j["e"], 65537);

    // Never overwrites the private key; the pi-manage spelling and -k work.
    let out = env.mfactl(&["create_audit_keys", "-k", "1024"]);
    out.code(1);
    assert!(out.stderr.contains("already exists"), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&private).expect("private"),
        priv_pem
    );
    std::fs::remove_file(&private).expect("rm");
    let out = env.mfactl(&["setup", "create_audit_keys", "-k", "1024"]);
    out.ok();
    assert_eq!(mode(&private), 0o400);
    assert_ne!(std::fs::read_to_string(&public).expect("public"), pub_pem);
    let out = env.mfactl(&["setup", "create-audit-keys", "--keysize", "100"]);
    out.code(2);
}

fn no_config_cmd(args: &[&str], cwd: &Path) -> Cmd {
    Cmd::new(mfactl_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("MFACTL_CONFIG")
        .env_remove("PRIVACYIDEA_CONFIGFILE")
}

#[test]
fn init_then_status_on_a_fresh_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("inst");
    let out = no_config_cmd(
        &["--dry-run", "setup", "init", dir.to_str().expect("utf8")],
        tmp.path(),
    )
    .run();
    out.ok();
    assert!(out.stdout.contains("Would set up"), "{out:?}");
    assert!(!dir.exists());
    let out = no_config_cmd(&["setup", "init", dir.to_str().expect("utf8")], tmp.path()).run();
    out.ok();
    for f in [
        "mfactl.toml",
        "pi.cfg",
        "enckey",
        "private.pem",
        "public.pem",
        "pi.sqlite",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing: {out:?}");
    }
    assert_eq!(mode(&dir.join("enckey")), 0o400);
    assert_eq!(mode(&dir.join("private.pem")), 0o400);
    assert_eq!(mode(&dir.join("mfactl.toml")), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(std::fs::read(dir.join("enckey")).expect("key").len(), 96);
    assert!(out.stdout.contains("Created 67 tables"), "{out:?}");
    assert!(out.stdout.contains("setup status"), "{out:?}");
    let toml = std::fs::read_to_string(dir.join("mfactl.toml")).expect("toml");
    assert!(toml.contains(&format!(
        "SQLALCHEMY_DATABASE_URI = \"sqlite:///{}/pi.sqlite\"",
        dir.display()
    )));
    let secret_line = toml
        .lines()
        .find(|l| l.starts_with("SECRET_KEY = "))
        .expect("secret");
    assert_eq!(secret_line.len(), "SECRET_KEY = \"\"".len() + 64);

    let cfg = dir.join("mfactl.toml");
    let cfg = cfg.to_str().expect("utf8");
    let out = no_config_cmd(
        &["--config", cfg, "setup", "status", "--format", "json"],
        tmp.path(),
    )
    .run();
    out.ok();
    let j = out.json();
    assert_eq!(j["ok"], true, "{out:?}");
    assert_eq!(j["database"]["dialect"], "sqlite");
    assert_eq!(j["database"]["revision"]["current"][0], ALEMBIC_HEAD);
    assert_eq!(j["database"]["revision"]["up_to_date"], true);
    assert_eq!(j["database"]["tables"]["present"], 67);
    assert_eq!(j["files"][0]["mode"], "0400");
    assert_eq!(j["files"][0]["size"], 96);
    let out = no_config_cmd(&["--config", cfg, "setup", "status"], tmp.path()).run();
    out.ok();
    assert!(out.stdout.contains("status: ok"), "{out:?}");

    // A commands of other plugins works on it (the admin table is there, the key is readable).
    let out = no_config_cmd(&["--config", cfg, "enckey", "status"], tmp.path()).run();
    out.ok();

    // privacyIDEA itself runs on the installation with the pi.cfg written beside it.
    let res = Cmd::new(pi_python())
        .arg(mfactl_tests::pi_driver())
        .env("PRIVACYIDEA_CONFIGFILE", dir.join("pi.cfg"))
        .current_dir(&dir)
        .stdin(
            "from privacyidea.lib.auth import create_db_admin\n\
             create_db_admin('alice', password='secret')\n\
             from privacyidea.models import Admin\n\
             result = [a.username for a in Admin.query.all()]\n",
        )
        .run();
    assert_eq!(res.ok().json(), serde_json::json!(["alice"]), "{res:?}");

    // A bad key mode makes status fail and say why.
    std::fs::set_permissions(dir.join("enckey"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let out = no_config_cmd(&["--config", cfg, "setup", "status"], tmp.path()).run();
    out.code(1);
    assert!(out.stderr.contains("0644"), "{out:?}");

    // Never into a non-empty directory.
    let out = no_config_cmd(&["setup", "init", dir.to_str().expect("utf8")], tmp.path()).run();
    out.code(1);
    assert!(out.stderr.contains("not empty"), "{out:?}");
}

#[test]
fn status_reports_missing_tables_and_revision() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.write_enckey(&[7u8; 96]);
        let out = env.mfactl(&["setup", "status", "--format", "json"]);
        out.code(1);
        let j = out.json();
        assert_eq!(j["database"]["reachable"], true, "{engine}: {out:?}");
        assert_eq!(j["database"]["tables"]["present"], 0, "{engine}");
        assert_eq!(j["database"]["revision"]["up_to_date"], false, "{engine}");
        let dialect = match engine {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgresql",
            Engine::Mariadb => "mysql",
        };
        assert_eq!(j["database"]["dialect"], dialect, "{engine}");
        env.create_schema();
        let j = env.mfactl(&["setup", "status", "--format", "json"]).json();
        assert_eq!(j["database"]["tables"]["present"], 67, "{engine}: {j}");
        assert_eq!(j["database"]["revision"]["up_to_date"], true, "{engine}");
        if engine != Engine::Sqlite {
            assert_eq!(j["database"]["sequences"]["present"], SEQUENCES, "{engine}");
        }
        assert_eq!(
            j["database"]["server_is_mariadb"],
            engine == Engine::Mariadb,
            "{engine}"
        );
    }
}

#[test]
fn separate_audit_database_gets_the_audit_table() {
    for engine in engines() {
        let env = TestEnv::new_with(engine, EnvOptions::default().audit_db());
        let out = env.mfactl(&["setup", "create-tables"]);
        out.ok();
        assert!(
            out.stdout.contains("in the audit database"),
            "{engine}: {out:?}"
        );
        assert_eq!(env.table_names().len(), TABLES_WITH_ALEMBIC, "{engine}");
        let q = match engine {
            Engine::Sqlite => "SELECT COUNT(*) FROM pidea_audit",
            _ => "SELECT COUNT(*) FROM pidea_audit",
        };
        assert_eq!(
            env.audit_query_rows(q),
            vec![vec!["0".to_string()]],
            "{engine}"
        );
        let j = env.mfactl(&["setup", "status", "--format", "json"]).json();
        assert_eq!(j["audit_database"]["tables"]["present"], 1, "{engine}: {j}");
    }
}

/// What privacyIDEA 3.14 thinks of a database: tables its models lack, what its `create_all`
/// adds, the Alembic revision, and Alembic's model-vs-database comparison.
const PI_SCHEMA_PROBE: &str = r#"
from sqlalchemy import inspect
from alembic.migration import MigrationContext
from alembic.autogenerate import compare_metadata
before = set(inspect(db.engine).get_table_names())
missing = sorted(t for t in db.metadata.tables if t not in before)
db.create_all()
after = set(inspect(db.engine).get_table_names())
with db.engine.connect() as conn:
    ctx = MigrationContext.configure(conn)
    rev = ctx.get_current_revision()
    diffs = sorted(repr(d) for d in compare_metadata(ctx, db.metadata))
result = {"missing": missing, "added": sorted(after - before), "revision": rev, "diffs": diffs}
"#;

#[test]
fn privacyidea_accepts_the_schema() {
    for (engine, opts, label) in variants() {
        let ours = TestEnv::new_with(engine, opts.clone());
        ours.create_schema();
        let res = ours.pi_run(PI_SCHEMA_PROBE);
        let j = res.ok().json();
        assert_eq!(j["missing"], serde_json::json!([]), "{label}: {res:?}");
        assert_eq!(j["added"], serde_json::json!([]), "{label}: {res:?}");
        assert_eq!(j["revision"], ALEMBIC_HEAD, "{label}");
        // Alembic sees the same differences between the models and the database as on the
        // schema privacyIDEA made itself (dialect quirks), no more.
        // pi-manage's own create_tables on mfactl's schema changes nothing in the catalog and
        // keeps the stamp.
        let before = describe(&ours);
        let pi_manage = pi_python().with_file_name("pi-manage");
        let res = Cmd::new(pi_manage)
            .args(["setup", "create_tables"])
            .env("PRIVACYIDEA_CONFIGFILE", ours.pi_cfg_path())
            .current_dir(ours.dir())
            .run();
        res.ok();
        assert!(
            res.stdout.contains("Using connect string"),
            "{label}: {res:?}"
        );
        assert_eq!(describe(&ours), before, "{label}: {res:?}");
        assert_eq!(
            ours.query_rows("SELECT version_num FROM alembic_version"),
            vec![vec![ALEMBIC_HEAD.to_string()]],
            "{label}"
        );
        let reference = TestEnv::new_with(engine, opts);
        reference.load_reference_schema();
        let rj = reference.pi_run(PI_SCHEMA_PROBE).ok().json();
        assert_eq!(j["diffs"], rj["diffs"], "{label}");

        // What privacyIDEA's library writes lands in mfactl's schema, ids from the sequences.
        let res = ours.pi_run(
            r#"
from privacyidea.lib.policy import set_policy
from privacyidea.lib.auth import create_db_admin
set_policy(name="pol1", scope="admin", action="enable", client="10.0.0.0/8")
set_policy(name="pol2", scope="user", action="disable")
create_db_admin("admin1", email="a@example.test", password="Test123!")
from privacyidea.models import Policy, Admin
result = {"policies": sorted(p.name for p in Policy.query.all()),
          "admins": [a.username for a in Admin.query.all()]}
"#,
        );
        let j = res.ok().json();
        assert_eq!(
            j["policies"],
            serde_json::json!(["pol1", "pol2"]),
            "{label}: {res:?}"
        );
        assert_eq!(
            ours.query_rows("SELECT id, name, scope, client FROM policy ORDER BY id"),
            vec![
                vec!["1", "pol1", "admin", "10.0.0.0/8"],
                vec!["2", "pol2", "user", ""],
            ],
            "{label}"
        );
        assert_eq!(
            ours.query_rows("SELECT username, email FROM admin"),
            vec![vec!["admin1", "a@example.test"]],
            "{label}"
        );
        // mfactl's own plugins read it back.
        let out = ours.mfactl(&["admin", "list"]);
        out.ok();
        assert!(out.stdout.contains("admin1"), "{label}: {out:?}");
    }
}

#[test]
fn a_recreated_sequence_continues_after_existing_ids() {
    for engine in engines() {
        if engine == Engine::Sqlite {
            continue;
        }
        let env = TestEnv::new(engine);
        env.create_schema();
        env.sql(
            "INSERT INTO passwordreset (id, recoverycode, username, realm) \
             VALUES (41, 'x', 'u', 'r')",
        );
        env.sql("DROP SEQUENCE pwreset_seq");
        let out = env.mfactl(&["setup", "create-tables"]);
        out.ok();
        assert!(
            out.stdout
                .contains("Created 1 sequence (67 tables existed already)"),
            "{engine}: {out:?}"
        );
        assert!(
            out.stderr.contains("pwreset_seq continues after"),
            "{engine}: {out:?}"
        );
        let next = match engine {
            Engine::Postgres => env.query_scalar("SELECT nextval('pwreset_seq')"),
            _ => env.query_scalar("SELECT NEXTVAL(pwreset_seq)"),
        };
        assert_eq!(next, "42", "{engine}");
    }
}

#[test]
fn unreachable_database_and_missing_config() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("mfactl.toml");
    std::fs::write(
        &cfg,
        "[privacyidea]\nSQLALCHEMY_DATABASE_URI = \"postgresql+psycopg2://pi:s3cret@127.0.0.1:1/pi\"\n",
    )
    .expect("write");
    let cfg = cfg.to_str().expect("utf8");
    // status reports the unreachable database as a problem (exit 1), password hidden.
    let out = no_config_cmd(
        &["--config", cfg, "setup", "status", "--format", "json"],
        tmp.path(),
    )
    .run();
    out.code(1);
    let j = out.json();
    assert_eq!(j["database"]["reachable"], false, "{out:?}");
    assert!(
        !out.stdout.contains("s3cret") && !out.stderr.contains("s3cret"),
        "{out:?}"
    );
    assert_eq!(j["files"][0]["warning"], "PI_ENCFILE is not set");
    // create-tables cannot run: exit 2 with the reason.
    let out = no_config_cmd(&["--config", cfg, "setup", "create-tables"], tmp.path()).run();
    out.code(2);
    assert!(out.stderr.starts_with("error: "), "{out:?}");
    assert!(!out.stderr.contains("s3cret"), "{out:?}");
    // Without any database setting, status is a configuration error.
    let empty = tmp.path().join("empty.toml");
    std::fs::write(&empty, "[privacyidea]\n").expect("write");
    let out = no_config_cmd(
        &["--config", empty.to_str().expect("utf8"), "setup", "status"],
        tmp.path(),
    )
    .run();
    out.code(2);
    assert!(out.stderr.contains("SQLALCHEMY_DATABASE_URI"), "{out:?}");
}
