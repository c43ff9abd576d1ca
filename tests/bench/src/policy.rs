//! Policy scenarios of `mfactl-bench` (issue 7's target: export and import of 10,000 policies in
//! at most 1 s each, release build, SQLite).
//!
//! `run` generates an export of `n` policies (a third with a condition, all with a description,
//! realms and actions), then times, `runs` times each:
//! * `policy-import-new`: `policy import` into empty policy tables;
//! * `policy-export-json` / `policy-export-yaml`: `policy export [-f yaml] -o FILE`;
//! * `policy-import-plan`: `policy import --plan` of the export (nothing to change);
//! * `policy-import-update`: an import that changes the priority of every policy.
//!
//! main.rs runs these when no scenario is named or `--scenarios policy` is given.
//! It prints rows in the table format of main.rs.

use anyhow::{bail, Context, Result};
use mfactl_tests::{Engine, TestEnv};
use std::fmt::Write as _;
use std::path::Path;

/// Wall seconds, peak RSS (KiB), exit code and stderr of one mfactl run on `env`.
fn measure(bin: &Path, env: &TestEnv, args: &[&str]) -> Result<(f64, i64, i32, String)> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    crate::run_measured(bin, &env.config_path(), &args, env.dir())
}

/// An export document of `n` generated policies; `bump` adds to every priority.
fn generate(n: u64, bump: u64) -> String {
    const SCOPES: [&str; 5] = ["admin", "authentication", "webui", "enrollment", "user"];
    let mut s = String::from("{\"policy\": [\n");
    for i in 0..n {
        if i > 0 {
            s.push_str(",\n");
        }
        let realm = if i % 2 == 1 {
            "[\"corp\"]"
        } else {
            "[\"corp\", \"partners\"]"
        };
        let resolver = if i % 3 == 0 { "[\"reso1\"]" } else { "[]" };
        let user = if i % 4 == 0 {
            "[\"alice\", \"!bob\"]"
        } else {
            "[]"
        };
        let client = if i % 6 == 0 { "[\"10.0.0.0/8\"]" } else { "[]" };
        let time = if i % 9 == 0 {
            "Mon-Fri: 08:00-18:00"
        } else {
            ""
        };
        let conditions = if i % 3 == 0 {
            format!(
                "[[\"userinfo\", \"groups\", \"contains\", \"group{i}\", true, \"raise_error\"]]"
            )
        } else {
            "[]".to_string()
        };
        let _ = write!(
            s,
            "{{\"name\": \"pol-{i:05}\", \"user_case_insensitive\": {uci}, \"active\": {active}, \
             \"scope\": \"{scope}\", \"realm\": {realm}, \"adminrealm\": [], \"adminuser\": [], \
             \"resolver\": {resolver}, \"pinode\": [], \"check_all_resolvers\": false, \
             \"user\": {user}, \"client\": {client}, \"time\": \"{time}\", \
             \"conditions\": {conditions}, \"priority\": {prio}, \
             \"description\": \"generated policy {i} f\\u00fcr Tests\", \"user_agents\": [], \
             \"action\": {{\"enable\": true, \"otppin\": \"userstore\", \"logout_time\": \"{i}\"}}}}",
            uci = i % 7 == 0,
            active = i % 5 != 0,
            scope = SCOPES[(i % 5) as usize],
            prio = 1 + i % 10 + bump,
        );
    }
    s.push_str("\n], \"privacyIDEA_version\": \"3.14\"}\n");
    s
}

fn seed(env: &TestEnv) -> Result<()> {
    let (q, f) = match env.engine() {
        Engine::Mariadb => ("`default`", "0"),
        Engine::Postgres => ("\"default\"", "false"),
        Engine::Sqlite => ("\"default\"", "0"),
    };
    env.try_sql("DELETE FROM policycondition; DELETE FROM description; DELETE FROM policy")
        .map_err(anyhow::Error::msg)?;
    if env.count("realm") == 0 {
        env.try_sql(&format!(
            "INSERT INTO resolver (id, name, rtype) VALUES (9001, 'reso1', 'passwdresolver'); \
             INSERT INTO realm (id, name, {q}) VALUES (9001, 'corp', {f}); \
             INSERT INTO realm (id, name, {q}) VALUES (9002, 'partners', {f})"
        ))
        .map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// Runs the policy scenarios on `env` (privacyIDEA's schema loaded) and prints one table row
/// per scenario.
pub fn run(env: &TestEnv, bin: &Path, engine: &str, n: u64, runs: usize) -> Result<()> {
    let gen = env.path("policies.json");
    std::fs::write(&gen, generate(n, 0)).context("write the generated policies")?;
    let changed = env.path("policies-changed.json");
    std::fs::write(&changed, generate(n, 10)).context("write the changed policies")?;
    let out_json = env.path("policy-export.json");
    let out_yaml = env.path("policy-export.yaml");
    let (g, c, oj, oy) = (
        gen.display().to_string(),
        changed.display().to_string(),
        out_json.display().to_string(),
        out_yaml.display().to_string(),
    );
    type Prep<'a> = &'a dyn Fn() -> Result<()>;
    let empty = || seed(env);
    let loaded = || -> Result<()> {
        seed(env)?;
        let (_, _, code, err) = measure(bin, env, &["policy", "import", "-i", &g])?;
        if code != 0 {
            bail!("preparing the policies failed with exit {code}:\n{err}");
        }
        Ok(())
    };
    let scenarios: [(&str, Prep, Vec<&str>, i32); 5] = [
        (
            "policy-import-new",
            &empty,
            vec!["policy", "import", "-i", &g],
            0,
        ),
        (
            "policy-export-json",
            &loaded,
            vec!["policy", "export", "-o", &oj],
            0,
        ),
        (
            "policy-export-yaml",
            &loaded,
            vec!["policy", "export", "-f", "yaml", "-o", &oy],
            0,
        ),
        (
            "policy-import-plan",
            &loaded,
            vec!["policy", "import", "-i", &g, "--plan"],
            0,
        ),
        (
            "policy-import-update",
            &loaded,
            vec!["policy", "import", "-i", &c],
            0,
        ),
    ];
    for (name, prep, args, want) in scenarios.iter() {
        let mut walls = Vec::new();
        let mut peak = 0i64;
        for _ in 0..runs.max(1) {
            prep()?;
            let (wall, rss, code, err) = measure(bin, env, args)?;
            if code != *want {
                bail!("{name} on {engine} failed with exit {code}:\n{err}");
            }
            walls.push(wall);
            peak = peak.max(rss);
        }
        crate::report(name, engine, n, &mut walls, peak);
    }
    Ok(())
}
