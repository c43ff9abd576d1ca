//! Integration tests: policy (list, show, enable, disable, delete, create, export, import) on
//! every engine, byte-identical exports against pi-manage's vectors, and the interop tier with
//! privacyIDEA 3.14 itself.
use mfactl_tests::{engines, pi_python, reference_dir, Cmd, Engine, Output, TestEnv};
use std::fs;

fn vectors(name: &str) -> String {
    let p = reference_dir().join("vectors").join(name);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn q(engine: Engine, ident: &str) -> String {
    match engine {
        Engine::Mariadb => format!("`{ident}`"),
        _ => format!("\"{ident}\""),
    }
}

fn b(engine: Engine, v: bool) -> &'static str {
    match (engine, v) {
        (Engine::Postgres, true) => "true",
        (Engine::Postgres, false) => "false",
        (_, true) => "1",
        (_, false) => "0",
    }
}

/// A database with privacyIDEA 3.14's schema, resolvers reso1/reso2 and realms corp/partners.
fn setup(engine: Engine) -> TestEnv {
    let env = TestEnv::new(engine);
    env.load_reference_schema();
    env.sql(
        "INSERT INTO resolver (id, name, rtype) VALUES (1, 'reso1', 'passwdresolver'); \
         INSERT INTO resolver (id, name, rtype) VALUES (2, 'reso2', 'passwdresolver')",
    );
    let d = q(engine, "default");
    let f = b(engine, false);
    env.sql(&format!(
        "INSERT INTO realm (id, name, {d}) VALUES (1, 'corp', {f}); \
         INSERT INTO realm (id, name, {d}) VALUES (2, 'partners', {f})"
    ));
    env
}

fn timestamp(env: &TestEnv) -> String {
    let e = env.engine();
    env.query_scalar(&format!(
        "SELECT {} FROM config WHERE {} = '__timestamp__'",
        q(e, "Value"),
        q(e, "Key")
    ))
}

fn count_timestamp_rows(env: &TestEnv) -> i64 {
    let e = env.engine();
    env.query_scalar(&format!(
        "SELECT COUNT(*) FROM config WHERE {} = '__timestamp__'",
        q(e, "Key")
    ))
    .parse()
    .expect("count")
}

fn write(env: &TestEnv, name: &str, text: &str) -> String {
    let p = env.path(name);
    fs::write(&p, text).expect("write file");
    p.display().to_string()
}

/// Creates the policies every round-trip test uses (conditions with 5 and 6 fields, escaped
/// commas, non-ASCII names and values, every list field).
fn create_sample(env: &TestEnv) {
    env.mfactl(&[
        "policy",
        "create",
        "admin-helpdesk",
        "admin",
        "enrollHOTP, enrollTOTP, disable, enable",
        "--realm",
        "corp",
        "--adminrealm",
        "helpdesk",
        "--adminuser",
        "alice,bob",
        "--priority",
        "2",
        "--description",
        "Helpdesk may enroll",
        "--condition",
        "userinfo:groups:contains:helpdesk",
    ])
    .ok();
    env.mfactl(&[
        "policy",
        "create",
        "webui-größe",
        "webui",
        "login_mode=privacyIDEA, logout_time=120, login_text=Hallo\\, Welt",
        "--realm",
        "partners",
        "--user",
        "alice, !bob",
        "--client",
        "10.0.0.0/8,!10.0.0.1",
        "--time",
        "Mon-Fri: 08:00-18:00",
        "--user-agents",
        "privacyIDEA-Keycloak, PAM",
        "--priority",
        "5",
        "--inactive",
        "--description",
        "Anmeldung für Partner: Zeitfenster, Netz",
    ])
    .ok();
    env.mfactl(&[
        "policy",
        "create",
        "enroll-limits",
        "enrollment",
        "max_token_per_user=3, tokenlabel=<u>@<r>",
        "--realm",
        "corp",
        "--resolver",
        "reso1,reso2",
        "--check-all-resolvers",
        "--user-case-insensitive",
        "--priority",
        "3",
        "--description",
        "line one\nline two",
        "--condition",
        "tokeninfo:tokenkind:equals:software:true:condition_is_false",
        "--condition",
        "HTTP Request header:User-Agent:matches:^Mozilla/5\\.0:false",
        "--condition",
        "userinfo:email:!contains:@example.test:true:condition_is_true",
    ])
    .ok();
    env.mfactl(&[
        "policy",
        "create",
        "auth-otppin",
        "authentication",
        "otppin=userstore, passthru",
    ])
    .ok();
}

#[test]
fn vector_database_exports_byte_identically_to_pi_manage() {
    let env = TestEnv::new(Engine::Sqlite);
    fs::copy(
        reference_dir().join("vectors").join("pi.sqlite"),
        env.db_name(),
    )
    .expect("copy pi.sqlite");
    let json = vectors("policy-export.json");
    let yaml = vectors("policy-export.yaml");
    assert_eq!(env.mfactl(&["policy", "export"]).ok().stdout, json);
    assert_eq!(
        env.mfactl(&["policy", "export", "-f", "yaml"]).ok().stdout,
        yaml
    );
    // pi-manage spellings, to a file
    let out = env.path("export.json");
    env.mfactl(&[
        "config",
        "export",
        "-t",
        "policy",
        "-o",
        out.to_str().expect("utf-8"),
    ])
    .ok();
    assert_eq!(fs::read_to_string(&out).expect("export file"), json);
    env.mfactl(&[
        "config",
        "export",
        "-t",
        "policy",
        "-f",
        "YAML",
        "-o",
        out.to_str().expect("utf-8"),
    ])
    .ok();
    assert_eq!(fs::read_to_string(&out).expect("export file"), yaml);
    // other configuration types are refused, not silently left out
    let o = env.mfactl(&["config", "export", "-t", "resolver"]);
    o.code(2);
    assert!(
        o.stderr.contains("only the configuration type 'policy'"),
        "{o:?}"
    );
    env.mfactl(&["config", "export", "-t", "all"]).code(2);
    // import: `-t all` reads the policies and says what it leaves out
    let o = env.mfactl_stdin(
        &["config", "importer", "-t", "all", "--plan"],
        &json.replace(
            "\"privacyIDEA_version\"",
            "\"resolver\": {}, \"privacyIDEA_version\"",
        ),
    );
    o.code(0);
    assert!(
        o.stderr
            .contains("not imported (mfactl imports policies only): resolver"),
        "{o:?}"
    );
    env.mfactl_stdin(&["config", "import", "-t", "realm"], &json)
        .code(2);
    // list: pi-manage's layout and order
    let cmds: serde_json::Value =
        serde_json::from_str(&vectors("commands.json")).expect("commands.json");
    let want = cmds["commands"]
        .as_array()
        .expect("commands")
        .iter()
        .find(|c| c["cmd"] == "pi-manage config policy list")
        .expect("list command")["stdout"]
        .as_str()
        .expect("stdout")
        .to_string();
    assert_eq!(env.mfactl(&["policy", "list"]).ok().stdout, want);
    assert_eq!(env.mfactl(&["config", "policy", "list"]).ok().stdout, want);
    // a single policy
    let one = env
        .mfactl(&["policy", "export", "-n", "webui-login"])
        .ok()
        .json();
    assert_eq!(one["policy"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        one["policy"][0]["description"],
        "Anmeldung für Partner: Zeitfenster, Netz"
    );
    env.mfactl(&["policy", "export", "-n", "nope"]).code(1);
    // the vector export imports into its own database without any change
    let file = write(&env, "vec.json", &json);
    let plan = env.mfactl(&["policy", "import", "-i", &file, "--plan"]);
    plan.code(0);
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to delete, 5 unchanged."),
        "{plan:?}"
    );
    let file = write(&env, "vec.yaml", &yaml);
    env.mfactl(&["config", "import", "-t", "policy", "-i", &file, "--plan"])
        .code(0);
}

#[test]
fn commands_on_every_engine() {
    for engine in engines() {
        let env = setup(engine);
        assert_eq!(count_timestamp_rows(&env), 0, "{engine}");
        create_sample(&env);
        assert_eq!(
            count_timestamp_rows(&env),
            1,
            "{engine}: the timestamp row is written"
        );
        assert_eq!(env.count("policy"), 4, "{engine}");
        assert_eq!(env.count("policycondition"), 4, "{engine}");
        assert_eq!(env.count("description"), 4, "{engine}");
        // the 5-field condition is stored with raise_error, as privacyIDEA does
        let e = engine;
        let rows = env.query_rows(&format!(
            "SELECT c.section, c.{k}, c.comparator, c.{v}, c.active, c.handle_missing_data \
             FROM policycondition c JOIN policy p ON p.id = c.policy_id WHERE p.name = 'admin-helpdesk'",
            k = q(e, "Key"),
            v = q(e, "Value")
        ));
        assert_eq!(
            rows,
            vec![vec![
                "userinfo",
                "groups",
                "contains",
                "helpdesk",
                "1",
                "raise_error"
            ]],
            "{engine}"
        );
        let rows = env.query_rows(&format!(
            "SELECT action, realm, {u}, client, user_agents, time, priority, active FROM policy WHERE name = 'webui-größe'",
            u = q(e, "user")
        ));
        assert_eq!(
            rows,
            vec![vec![
                "login_mode=privacyIDEA, logout_time=120, login_text=Hallo\\, Welt",
                "partners",
                "alice, !bob",
                "10.0.0.0/8, !10.0.0.1",
                "privacyIDEA-Keycloak, PAM",
                "Mon-Fri: 08:00-18:00",
                "5",
                "0"
            ]],
            "{engine}"
        );
        // list: by priority
        let list = env.mfactl(&["policy", "list"]).ok().stdout.clone();
        assert_eq!(
            list,
            "Active   Name                 Scope\n========================================\n\
             True     auth-otppin          authentication\n\
             True     admin-helpdesk       admin\n\
             True     enroll-limits        enrollment\n\
             False    webui-größe          webui\n",
            "{engine}"
        );
        // show
        let show = env
            .mfactl(&["policy", "show", "webui-größe", "--format", "json"])
            .ok()
            .json();
        assert_eq!(show["action"]["login_text"], "Hallo\\, Welt", "{engine}");
        assert_eq!(
            show["client"],
            serde_json::json!(["10.0.0.0/8", "!10.0.0.1"]),
            "{engine}"
        );
        assert_eq!(show["active"], false, "{engine}");
        let text = env
            .mfactl(&["policy", "show", "enroll-limits"])
            .ok()
            .stdout
            .clone();
        assert!(
            text.contains(
                "tokeninfo | tokenkind | equals | software | active | condition_is_false"
            ),
            "{engine}: {text}"
        );
        // a second create of the same name is refused
        let o = env.mfactl(&[
            "policy",
            "create",
            "auth-otppin",
            "authentication",
            "passthru",
        ]);
        o.code(1);
        assert!(o.stderr.contains("already exists"), "{engine}: {o:?}");
        // ... unless --update, which replaces the definition
        let before = timestamp(&env);
        env.mfactl(&[
            "policy",
            "create",
            "auth-otppin",
            "authentication",
            "passthru",
            "--update",
            "--priority",
            "7",
        ])
        .ok();
        assert_ne!(timestamp(&env), before, "{engine}: the timestamp moves");
        let show = env
            .mfactl(&["policy", "show", "auth-otppin", "--format", "json"])
            .ok()
            .json();
        assert_eq!(
            show["action"],
            serde_json::json!({"passthru": true}),
            "{engine}"
        );
        assert_eq!(show["priority"], 7, "{engine}");
        // invalid definitions are clear errors, never tracebacks
        for (args, needle) in [
            (
                vec!["policy", "create", "p1", "nosuchscope", "x"],
                "invalid scope 'nosuchscope'",
            ),
            (
                vec!["policy", "create", "p1", "admin", "a,,b"],
                "empty entry",
            ),
            (
                vec!["policy", "create", "p 1", "admin", "enable"],
                "contains a space",
            ),
            (
                vec![
                    "policy", "create", "p1", "admin", "enable", "--realm", "nowhere",
                ],
                "realm 'nowhere' does not exist",
            ),
            (
                vec![
                    "policy",
                    "create",
                    "p1",
                    "admin",
                    "enable",
                    "--time",
                    "Mon: 18-8",
                ],
                "invalid time format",
            ),
            (
                vec![
                    "policy", "create", "p1", "admin", "enable", "--client", "10.1",
                ],
                "invalid client",
            ),
            (
                vec![
                    "policy",
                    "create",
                    "p1",
                    "admin",
                    "enable",
                    "--condition",
                    "userinfo:k:nope:v",
                ],
                "unknown condition comparator",
            ),
        ] {
            let o = env.mfactl(&args);
            o.code(2);
            assert!(o.stderr.contains(needle), "{engine}: {args:?}: {o:?}");
            assert!(!o.stderr.contains("panicked"), "{engine}: {o:?}");
        }
        assert_eq!(env.count("policy"), 4, "{engine}");
        // disable / enable
        let before = timestamp(&env);
        env.mfactl(&["policy", "disable", "admin-helpdesk"]).ok();
        assert_eq!(
            env.query_scalar("SELECT active FROM policy WHERE name = 'admin-helpdesk'"),
            "0",
            "{engine}"
        );
        assert_ne!(timestamp(&env), before, "{engine}");
        env.mfactl(&["config", "policy", "enable", "admin-helpdesk"])
            .ok();
        assert_eq!(
            env.query_scalar("SELECT active FROM policy WHERE name = 'admin-helpdesk'"),
            "1",
            "{engine}"
        );
        // a missing policy is an error (pi-manage exits 0)
        for verb in ["enable", "disable", "delete", "show"] {
            let o = env.mfactl(&["policy", verb, "no-such-policy"]);
            o.code(1);
            assert!(
                o.stderr
                    .contains("error: policy 'no-such-policy' does not exist"),
                "{engine}: {o:?}"
            );
        }
        // dry run changes nothing
        env.mfactl(&["policy", "delete", "enroll-limits", "--dry-run"])
            .ok();
        assert_eq!(env.count("policy"), 4, "{engine}");
        // delete removes conditions and description in the same transaction
        let before = timestamp(&env);
        env.mfactl(&["policy", "delete", "enroll-limits"]).ok();
        assert_eq!(env.count("policy"), 3, "{engine}");
        assert_eq!(env.count("policycondition"), 1, "{engine}");
        assert_eq!(env.count("description"), 3, "{engine}");
        assert_ne!(timestamp(&env), before, "{engine}");
        assert_eq!(count_timestamp_rows(&env), 1, "{engine}");
        // create -f with a Python dict (pi-manage's form): the file wins over the arguments
        let f = write(
            &env,
            "pol.py",
            "{'name': 'clifilepol', 'scope': 'admin', 'action': 'enable, disable', 'realm': 'corp',\n \
             'priority': 4, 'conditions': [('userinfo', 'groups', 'equals', 'x', True)], 'description': None,\n \
             'id': 17}\n",
        );
        let o = env.mfactl(&["policy", "create", "ignored", "admin", "enable", "-f", &f]);
        o.ok();
        assert!(
            o.stderr.contains("ignoring the unknown field 'id'"),
            "{engine}: {o:?}"
        );
        let show = env
            .mfactl(&["policy", "show", "clifilepol", "--format", "json"])
            .ok()
            .json();
        assert_eq!(show["priority"], 4, "{engine}");
        assert_eq!(show["conditions"][0][5], "raise_error", "{engine}");
        env.mfactl(&["policy", "show", "ignored"]).code(1);
    }
}

#[test]
fn export_import_round_trip_is_lossless_on_every_engine() {
    for engine in engines() {
        let env = setup(engine);
        create_sample(&env);
        let json = env.mfactl(&["policy", "export"]).ok().stdout.clone();
        let yaml = env
            .mfactl(&["policy", "export", "-f", "yaml"])
            .ok()
            .stdout
            .clone();
        assert!(
            json.contains("\"Anmeldung f\\u00fcr Partner: Zeitfenster, Netz\""),
            "{engine}: {json}"
        );
        assert!(
            yaml.contains("\"Anmeldung f\\xFCr Partner: Zeitfenster, Netz\""),
            "{engine}: {yaml}"
        );
        let empty = write(
            &env,
            "empty.json",
            "{\"policy\": [], \"privacyIDEA_version\": \"3.14\"}",
        );
        env.mfactl(&["policy", "import", "-i", &empty, "--replace-all", "--yes"])
            .ok();
        assert_eq!(env.count("policy"), 0, "{engine}");
        assert_eq!(env.count("policycondition"), 0, "{engine}");
        assert_eq!(env.count("description"), 0, "{engine}");
        let jf = write(&env, "export.json", &json);
        let o = env.mfactl(&["policy", "import", "-i", &jf]);
        o.ok();
        assert!(o.stderr.contains("4 to add"), "{engine}: {o:?}");
        assert_eq!(
            env.mfactl(&["policy", "export"]).ok().stdout,
            json,
            "{engine}: JSON round trip"
        );
        assert_eq!(
            env.mfactl(&["policy", "export", "-f", "yaml"]).ok().stdout,
            yaml,
            "{engine}"
        );
        // YAML in, from stdin, replacing everything: nothing to do
        let o = env.mfactl_stdin(
            &[
                "config",
                "import",
                "-t",
                "policy",
                "--replace-all",
                "--plan",
            ],
            &yaml,
        );
        o.code(0);
        assert!(
            o.stdout
                .contains("Plan: 0 to add, 0 to change, 0 to delete, 4 unchanged."),
            "{engine}: {o:?}"
        );
        env.mfactl(&["policy", "import", "-i", &empty, "--replace-all", "--yes"])
            .ok();
        let yf = write(&env, "export.yaml", &yaml);
        env.mfactl(&["policy", "import", "-i", &yf]).ok();
        // YAML sorts the action keys, so the JSON export equals as data, the YAML one as bytes
        assert_eq!(
            env.mfactl(&["policy", "export", "-f", "yaml"]).ok().stdout,
            yaml,
            "{engine}: YAML round trip"
        );
        let again: serde_json::Value =
            serde_json::from_str(&env.mfactl(&["policy", "export"]).ok().stdout).expect("json");
        let first: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(again, first, "{engine}: YAML round trip as data");
    }
}

#[test]
fn import_plan_shows_add_change_delete_and_changes_nothing() {
    for engine in engines() {
        let env = setup(engine);
        create_sample(&env);
        let mut doc = env.mfactl(&["policy", "export"]).ok().json();
        let pols = doc["policy"].as_array_mut().expect("list");
        // change one, drop one, add one
        for p in pols.iter_mut() {
            if p["name"] == "admin-helpdesk" {
                p["priority"] = serde_json::json!(9);
                p["action"] = serde_json::json!({"enrollHOTP": true});
            }
        }
        pols.retain(|p| p["name"] != "auth-otppin");
        pols.push(serde_json::json!({"name": "neu-ü", "scope": "user", "action": {"disable": true}, "realm": ["corp"]}));
        let f = write(
            &env,
            "plan.json",
            &serde_json::to_string_pretty(&doc).expect("json"),
        );
        let before = (
            timestamp(&env),
            env.count("policy"),
            env.count("policycondition"),
            env.count("description"),
        );
        let o = env.mfactl(&["policy", "import", "-i", &f, "--replace-all", "--plan"]);
        o.code(3);
        assert_eq!(
            o.stdout,
            "add     neu-ü (scope user, priority 1)\n\
             change  admin-helpdesk\n          \
             priority: 2 -> 9\n          \
             action: {\"enrollHOTP\": true, \"enrollTOTP\": true, \"disable\": true, \"enable\": true} -> {\"enrollHOTP\": true}\n\
             delete  auth-otppin\n\
             Plan: 1 to add, 1 to change, 1 to delete, 2 unchanged.\n",
            "{engine}"
        );
        let after = (
            timestamp(&env),
            env.count("policy"),
            env.count("policycondition"),
            env.count("description"),
        );
        assert_eq!(before, after, "{engine}: --plan changes nothing");
        // the JSON form of the plan
        let j = env.mfactl(&["policy", "import", "-i", &f, "--plan", "--format", "json"]);
        j.code(3);
        assert_eq!(j.json()["add"], serde_json::json!(["neu-ü"]), "{engine}");
        // merge (no --replace-all): auth-otppin stays
        env.mfactl(&["policy", "import", "-i", &f]).ok();
        assert_eq!(env.count("policy"), 5, "{engine}");
        assert_ne!(timestamp(&env), before.0, "{engine}: the timestamp moves");
        // now nothing to do: exit 0
        let o = env.mfactl(&["policy", "import", "-i", &f, "--plan"]);
        o.code(0);
        assert!(
            o.stdout
                .ends_with("Plan: 0 to add, 0 to change, 0 to delete, 4 unchanged.\n"),
            "{engine}: {o:?}"
        );
        // --replace-all without --yes and without a terminal is refused
        let o = env.mfactl(&["policy", "import", "-i", &f, "--replace-all"]);
        assert_ne!(o.code, 0, "{engine}: {o:?}");
        assert_eq!(env.count("policy"), 5, "{engine}");
        env.mfactl(&["policy", "import", "-i", &f, "--replace-all", "--yes"])
            .ok();
        assert_eq!(env.count("policy"), 4, "{engine}");
        assert_eq!(
            env.mfactl(&["policy", "show", "auth-otppin"]).code,
            1,
            "{engine}"
        );
    }
}

#[test]
fn a_failed_import_changes_nothing() {
    for engine in engines() {
        let env = setup(engine);
        create_sample(&env);
        let before = (
            timestamp(&env),
            env.count("policy"),
            env.count("policycondition"),
        );
        let f = write(
            &env,
            "bad.json",
            r#"{"policy": [
                {"name": "good", "scope": "admin", "action": {"enable": true}},
                {"name": "admin-helpdesk", "scope": "admin", "action": {"disable": true}},
                {"name": "bad", "scope": "admin", "action": {"enable": true},
                 "conditions": [["no-such-section", "k", "equals", "v", true]]}
            ], "privacyIDEA_version": "3.14"}"#,
        );
        let o = env.mfactl(&["policy", "import", "-i", &f]);
        o.code(1);
        assert!(o.stderr.contains("1 of 3 policies"), "{engine}: {o:?}");
        assert!(o.stderr.contains("policy 'bad'"), "{engine}: {o:?}");
        assert!(o.stderr.contains("--skip-invalid"), "{engine}: {o:?}");
        assert_eq!(
            before,
            (
                timestamp(&env),
                env.count("policy"),
                env.count("policycondition")
            ),
            "{engine}"
        );
        let o = env.mfactl(&["policy", "import", "-i", &f, "--skip-invalid"]);
        o.ok();
        assert!(o.stderr.contains("skipped policy 'bad'"), "{engine}: {o:?}");
        assert_eq!(env.count("policy"), 5, "{engine}");
        // set_policy semantics: fields not in the file are kept, conditions too
        assert_eq!(env.count("policycondition"), before.2, "{engine}");
        let show = env
            .mfactl(&["policy", "show", "admin-helpdesk", "--format", "json"])
            .ok()
            .json();
        assert_eq!(
            show["action"],
            serde_json::json!({"disable": true}),
            "{engine}"
        );
        assert_eq!(show["realm"], serde_json::json!(["corp"]), "{engine}");
        assert_eq!(show["description"], serde_json::Value::Null, "{engine}");
        // unreadable input
        let f = write(&env, "broken.json", "{[}");
        let o = env.mfactl(&["policy", "import", "-i", &f]);
        o.code(1);
        assert!(o.stderr.contains("as Python literal"), "{engine}: {o:?}");
    }
}

#[test]
fn old_python_literal_exports_import_correctly() {
    for engine in engines() {
        let env = setup(engine);
        // what pi-manage <= 3.9 wrote (pprint of a dict; tuples, None, long strings split)
        let text = "{'policy': [{'action': {'enrollHOTP': True, 'tokenlabel': '<u>@<r>'},\n\
                    \x20            'active': True,\n\
                    \x20            'adminrealm': [],\n\
                    \x20            'check_all_resolvers': False,\n\
                    \x20            'client': [],\n\
                    \x20            'conditions': [('userinfo', 'groups', 'contains', 'helpdesk', True)],\n\
                    \x20            'name': 'old-admin',\n\
                    \x20            'pinode': [],\n\
                    \x20            'priority': 1,\n\
                    \x20            'realm': ['corp'],\n\
                    \x20            'resolver': [],\n\
                    \x20            'scope': 'admin',\n\
                    \x20            'time': '',\n\
                    \x20            'user': ['alice',\n\
                    \x20                     'bob'],\n\
                    \x20            'description': None}]}\n";
        let f = write(&env, "old.py", text);
        env.mfactl(&["policy", "import", "-i", &f]).ok();
        let show = env
            .mfactl(&["policy", "show", "old-admin", "--format", "json"])
            .ok()
            .json();
        assert_eq!(
            show["description"],
            serde_json::Value::Null,
            "{engine}: None stays None"
        );
        assert_eq!(
            show["conditions"],
            serde_json::json!([[
                "userinfo",
                "groups",
                "contains",
                "helpdesk",
                true,
                "raise_error"
            ]]),
            "{engine}"
        );
        assert_eq!(
            show["user"],
            serde_json::json!(["alice", "bob"]),
            "{engine}"
        );
        assert_eq!(show["action"]["tokenlabel"], "<u>@<r>", "{engine}");
    }
}

// ------------------------------------------------------------------ interop tier

fn pi_manage(env: &TestEnv, args: &[&str]) -> Output {
    let bin = pi_python().with_file_name("pi-manage");
    Cmd::new(bin)
        .args(args)
        .env("PRIVACYIDEA_CONFIGFILE", env.pi_cfg_path())
        .env("PYTHONHASHSEED", "0")
        .current_dir(env.dir())
        .run()
}

/// privacyIDEA makes the resolvers and realms of the vectors.
fn pi_seed_realms(env: &TestEnv) {
    let passwd = env.path("passwd");
    fs::write(&passwd, "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n").expect("passwd");
    env.pi_run(&format!(
        r#"
        from privacyidea.lib.resolver import save_resolver
        from privacyidea.lib.realm import set_realm
        save_resolver({{"resolver": "reso1", "type": "passwdresolver", "fileName": "{p}"}})
        save_resolver({{"resolver": "reso2", "type": "passwdresolver", "fileName": "{p}"}})
        set_realm("corp", [{{"name": "reso1"}}])
        set_realm("partners", [{{"name": "reso1"}}, {{"name": "reso2", "priority": 3}}])
        result = "ok"
        "#,
        p = passwd.display()
    ))
    .ok();
}

#[test]
fn privacyidea_written_policies_export_byte_identically() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        pi_seed_realms(&env);
        // the vector calls, plus policies of equal priority with and without conditions
        // created in an order that differs from name order (spec §0 point 2)
        let calls = vectors("policies.json");
        env.pi_run(&format!(
            r#"
            import json
            from privacyidea.lib.policy import set_policy
            calls = json.loads({calls:?})["calls"]
            for c in calls:
                set_policy(**c)
            set_policy(name="z-cond", scope="admin", action="enable", priority=2,
                       conditions=[("userinfo", "groups", "equals", "x", True)])
            set_policy(name="a-plain", scope="admin", action="disable", priority=2)
            set_policy(name="m-cond", scope="user", action="delete", priority=2,
                       conditions=[("userinfo", "email", "contains", "@", False, "condition_is_true")])
            set_policy(name="b-plain", scope="user", action="setpin", priority=2, description="ü")
            set_policy(name="admin-helpdesk", scope="admin", action="enable", priority=2,
                       conditions=[("userinfo", "groups", "contains", "helpdesk", True)])
            result = "ok"
            "#
        ))
        .ok();
        let pi_json = pi_manage(&env, &["config", "export", "-t", "policy"]);
        pi_json.ok();
        let pi_yaml = pi_manage(&env, &["config", "export", "-t", "policy", "-f", "yaml"]);
        pi_yaml.ok();
        let pi_list = pi_manage(&env, &["config", "policy", "list"]);
        pi_list.ok();
        assert_eq!(
            env.mfactl(&["policy", "export"]).ok().stdout,
            pi_json.stdout,
            "{engine}: JSON"
        );
        assert_eq!(
            env.mfactl(&["policy", "export", "-f", "yaml"]).ok().stdout,
            pi_yaml.stdout,
            "{engine}: YAML"
        );
        assert_eq!(
            env.mfactl(&["policy", "list"]).ok().stdout,
            pi_list.stdout,
            "{engine}: list"
        );
    }
}

#[test]
fn privacyidea_reads_what_mfactl_writes() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        pi_seed_realms(&env);
        // mfactl writes: the vector export (import) and the sample (create)
        create_sample(&env);
        let vec_file = write(&env, "vec.json", &vectors("policy-export.json"));
        env.mfactl(&["policy", "import", "-i", &vec_file]).ok();
        env.mfactl(&["policy", "disable", "auth-otppin"]).ok();
        env.mfactl(&["policy", "delete", "user-self"]).ok();
        // privacyIDEA's own policy code sees exactly what mfactl exports
        let ours = env.mfactl(&["policy", "export"]).ok().json();
        let theirs = env.pi_run(
            r#"
            from privacyidea.lib.policy import PolicyClass
            result = PolicyClass().list_policies()
            "#,
        );
        theirs.ok();
        assert_eq!(
            theirs.json(),
            ours["policy"],
            "{engine}: Policy.get() of every policy"
        );
        // and pi-manage's export is byte-identical to mfactl's
        let pi_json = pi_manage(&env, &["config", "export", "-t", "policy"]);
        pi_json.ok();
        assert_eq!(
            env.mfactl(&["policy", "export"]).ok().stdout,
            pi_json.stdout,
            "{engine}"
        );
        // the timestamp row is one privacyIDEA's config reload understands
        let ts = env.pi_run(
            r#"
            from privacyidea.models import Config
            result = float(Config.query.filter_by(Key="__timestamp__").first().Value)
            "#,
        );
        assert!(
            ts.ok().json().as_f64().is_some_and(|t| t > 1.7e9),
            "{engine}: {ts:?}"
        );
        // pi-manage config import reads mfactl's export (into a fresh database)
        let json = env.mfactl(&["policy", "export"]).ok().stdout.clone();
        let other = TestEnv::new(engine);
        other.load_reference_schema();
        pi_seed_realms(&other);
        let f = write(&other, "mfactl-export.json", &json);
        pi_manage(&other, &["config", "import", "-t", "policy", "-i", &f]).ok();
        let theirs = pi_manage(&other, &["config", "export", "-t", "policy"]);
        let ours = other.mfactl(&["policy", "export"]).ok().stdout.clone();
        assert_eq!(
            ours,
            theirs.ok().stdout,
            "{engine}: export after pi-manage's import"
        );
        // the same policies (equal priorities may come in another order: the rows are new)
        let by_name = |text: &str| {
            let v: serde_json::Value = serde_json::from_str(text).expect("json");
            let mut l = v["policy"].as_array().expect("list").clone();
            l.sort_by_key(|p| p["name"].as_str().unwrap_or_default().to_string());
            l
        };
        assert_eq!(by_name(&ours), by_name(&json), "{engine}: pi-manage import");
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    /// Text that exercises the emitters: YAML indicators, words YAML reads as other types,
    /// escapes, non-ASCII (also outside the BMP), long runs of words for line folding.
    fn text(&mut self, max: u64) -> String {
        const WORDS: &[&str] = &[
            "yes",
            "no",
            "on",
            "true",
            "null",
            "~",
            "120",
            "1.5",
            "0x1F",
            "2026-01-02",
            "1:30",
            "=",
            "<<",
            "---",
            "- a",
            "a: b",
            "# c",
            " lead",
            "trail ",
            "!bob",
            "@x",
            "+cn",
            "f\u{fc}r",
            "\u{20ac}",
            "\u{1f600}",
            "a\\,b",
            "x=y",
            "k,v",
            "'q'",
            "\"d\"",
            "\t",
            "line\nbreak",
            "\u{a0}",
            "\u{85}",
            "\u{2028}",
            "\u{7f}",
            "\u{1b}",
            "%",
            "`",
            "{}",
        ];
        let mut s = String::new();
        let n = self.below(max) + 1;
        for _ in 0..n {
            if self.below(4) == 0 {
                s.push_str(self.pick(WORDS));
            } else {
                let len = self.below(12) + 1;
                for _ in 0..len {
                    s.push((b'a' + self.below(26) as u8) as char);
                }
            }
            if self.below(3) > 0 {
                s.push(' ');
            }
        }
        s
    }
}

fn sql_str(engine: Engine, s: &str) -> String {
    let mut v = s.replace('\'', "''");
    if engine == Engine::Mariadb {
        v = v.replace('\\', "\\\\");
    }
    format!("'{v}'")
}

#[test]
fn random_policy_rows_export_byte_identically_to_pi_manage() {
    for engine in engines() {
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ engine.name().len() as u64);
        let (u, k, v) = (q(engine, "user"), q(engine, "Key"), q(engine, "Value"));
        let mut cond_id = 1;
        for id in 1..=40u64 {
            let s = |rng: &mut Rng, max| sql_str(engine, &rng.text(max));
            let opt = |rng: &mut Rng, max| {
                if rng.below(6) == 0 {
                    "NULL".to_string()
                } else {
                    sql_str(engine, &rng.text(max))
                }
            };
            let flag = |rng: &mut Rng| match rng.below(7) {
                0 => "NULL",
                1..=3 => b(engine, true),
                _ => b(engine, false),
            };
            let name = format!("p{id}-{}", rng.text(2).replace([' ', '\n'], "_"));
            let name: String = name.chars().take(60).collect();
            env.sql(&format!(
                "INSERT INTO policy (id, active, check_all_resolvers, name, user_case_insensitive, \
                 scope, action, realm, adminrealm, adminuser, resolver, pinode, {u}, client, time, \
                 user_agents, priority) VALUES ({id}, {}, {}, {}, {}, 'admin', {}, {}, {}, {}, {}, \
                 {}, {}, {}, {}, {}, {})",
                flag(&mut rng),
                flag(&mut rng),
                sql_str(engine, &name),
                flag(&mut rng),
                opt(&mut rng, 12),
                opt(&mut rng, 4),
                opt(&mut rng, 3),
                opt(&mut rng, 3),
                opt(&mut rng, 3),
                opt(&mut rng, 2),
                opt(&mut rng, 3),
                opt(&mut rng, 2),
                opt(&mut rng, 2),
                opt(&mut rng, 4),
                1 + rng.below(3),
            ));
            for _ in 0..rng.below(3) {
                let handle = match rng.below(4) {
                    0 => "NULL".to_string(),
                    _ => sql_str(
                        engine,
                        rng.pick(&["raise_error", "condition_is_true", "condition_is_false"]),
                    ),
                };
                env.sql(&format!(
                    "INSERT INTO policycondition (id, policy_id, section, {k}, comparator, {v}, active, \
                     handle_missing_data) VALUES ({cond_id}, {id}, {}, {}, {}, {}, {}, {handle})",
                    s(&mut rng, 2),
                    s(&mut rng, 2),
                    s(&mut rng, 1),
                    s(&mut rng, 6),
                    b(engine, rng.below(2) == 0),
                ));
                cond_id += 1;
            }
            if rng.below(5) > 0 {
                env.sql(&format!(
                    "INSERT INTO description (id, object_id, object_type, description) \
                     VALUES ({id}, {id}, 'policy', {})",
                    opt(&mut rng, 40)
                ));
            }
        }
        let pi_json = pi_manage(&env, &["config", "export", "-t", "policy"]);
        let pi_yaml = pi_manage(&env, &["config", "export", "-t", "policy", "-f", "yaml"]);
        let pi_list = pi_manage(&env, &["config", "policy", "list"]);
        assert_eq!(
            env.mfactl(&["policy", "export"]).ok().stdout,
            pi_json.ok().stdout,
            "{engine}: JSON"
        );
        assert_eq!(
            env.mfactl(&["policy", "export", "-f", "yaml"]).ok().stdout,
            pi_yaml.ok().stdout,
            "{engine}: YAML"
        );
        assert_eq!(
            env.mfactl(&["policy", "list"]).ok().stdout,
            pi_list.ok().stdout,
            "{engine}: list"
        );
    }
}

#[test]
fn importing_more_policies_than_one_id_batch() {
    for engine in engines() {
        let env = setup(engine);
        let n = 1234;
        let mut doc = String::from("{\"policy\": [");
        for i in 0..n {
            if i > 0 {
                doc.push(',');
            }
            doc.push_str(&format!(
                "{{\"name\": \"bulk-{i}\", \"scope\": \"admin\", \"action\": {{\"enable\": true}}, \
                 \"priority\": {}, \"description\": \"d{i}\", \
                 \"conditions\": [[\"userinfo\", \"groups\", \"equals\", \"g{i}\", true]]}}",
                1 + i % 3
            ));
        }
        doc.push_str("], \"privacyIDEA_version\": \"3.14\"}");
        let f = write(&env, "bulk.json", &doc);
        env.mfactl(&["policy", "import", "-i", &f]).ok();
        assert_eq!(env.count("policy"), n, "{engine}");
        assert_eq!(env.count("policycondition"), n, "{engine}");
        assert_eq!(env.count("description"), n, "{engine}");
        // every condition and description belongs to its own policy
        assert_eq!(
            env.query_scalar(
                "SELECT COUNT(*) FROM policy p JOIN policycondition c ON c.policy_id = p.id \
                 JOIN description d ON d.object_id = p.id \
                 WHERE c.{v} = CONCAT('g', SUBSTR(p.name, 6)) AND d.description = CONCAT('d', SUBSTR(p.name, 6))"
                    .replace("{v}", &q(engine, "Value"))
                    .replace(
                        "CONCAT('g', SUBSTR(p.name, 6))",
                        if engine == Engine::Mariadb { "CONCAT('g', SUBSTR(p.name, 6))" } else { "'g' || SUBSTR(p.name, 6)" }
                    )
                    .replace(
                        "CONCAT('d', SUBSTR(p.name, 6))",
                        if engine == Engine::Mariadb { "CONCAT('d', SUBSTR(p.name, 6))" } else { "'d' || SUBSTR(p.name, 6)" }
                    )
                    .as_str()
            ),
            n.to_string(),
            "{engine}"
        );
        // the sequences moved past the ids used: the next create gets a fresh id
        env.mfactl(&[
            "policy",
            "create",
            "after-bulk",
            "admin",
            "enable",
            "--condition",
            "userinfo:a:equals:b",
        ])
        .ok();
        assert_eq!(env.count("policy"), n + 1, "{engine}");
        let plan = env.mfactl(&["policy", "import", "-i", &f, "--plan"]);
        plan.code(0);
        assert!(
            plan.stdout.contains(&format!("{n} unchanged")),
            "{engine}: {plan:?}"
        );
    }
}
