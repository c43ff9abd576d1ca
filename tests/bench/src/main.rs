//! `mfactl-bench`: generates privacyIDEA tables at scale on SQLite, PostgreSQL or MariaDB (the
//! servers are the test suite's throwaway instances) and times mfactl scenarios against a release
//! build: median wall time over several runs and peak RSS (the child's `VmHWM`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod gen;
mod policy;

use anyhow::{bail, Context, Result};
use clap::Parser;
use mfactl_tests::{reference_dir, workspace_root, Engine, TestEnv};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "mfactl-bench",
    about = "Time mfactl scenarios on generated privacyIDEA data",
    long_about = "Generates privacyIDEA 3.14 tables (schema from shared/reference) at the given scale \
        and runs each scenario --runs times against the mfactl binary, regenerating the data \
        before every run. Prints scenario, engine, rows, median/min/max wall time and the peak RSS \
        of the mfactl process.\n\nScenarios: rotate-watermark, rotate-age, rotate-config-200k, \
        rotate-config, challenge-cleanup, challenge-cleanup-chunked, dump, dump-no-sig-check, \
        verify, enckey-check-db (on --tokens generated tokens), and `policy` \
        (policy-import-new, policy-export-json, policy-export-yaml, policy-import-plan, \
        policy-import-update on --policies generated policies)."
)]
struct Cli {
    /// Engines: sqlite, postgres, mariadb (comma separated)
    #[arg(long, default_value = "sqlite", value_delimiter = ',')]
    engines: Vec<String>,
    /// Scenarios to run (comma separated; default all)
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Rows per table (audit entries, challenges)
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Runs per scenario (the median is reported)
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Audit rows that get a real privacyIDEA signature (the newest ones); the others carry a
    /// same-length invalid signature, which costs the same to check
    #[arg(long, default_value_t = 2000)]
    signed: u64,
    /// The mfactl binary
    #[arg(long)]
    mfactl: Option<PathBuf>,
    /// Policies generated for the `policy` scenarios
    #[arg(long, default_value_t = 10_000)]
    policies: u64,
    /// Tokens generated for the token scenarios (default: a large company)
    #[arg(long, default_value_t = 100_000)]
    tokens: u64,
    /// Only generate the data and print how long it took
    #[arg(long)]
    generate_only: bool,
    /// With --generate-only on SQLite: keep a copy of the generated installation (database,
    /// keys, mfactl.toml) in DIR for profiling by hand
    #[arg(long, value_name = "DIR", requires = "generate_only")]
    keep: Option<PathBuf>,
}

const RULES: &str = "\
- rotate: 30
  action: ^GET /token
- rotate: 90
  user: ^user1\\d*$
  action: .*/validate/check.*
- rotate: 180
  action: .*
";

struct Scenario {
    name: &'static str,
    data: Data,
    args: &'static [&'static str],
    /// Rows generated (`None`: --rows, --tokens for [`Data::Tokens`]).
    rows: Option<u64>,
}

/// The generated data a scenario runs on.
#[derive(Clone, Copy, PartialEq)]
enum Data {
    Audit,
    Challenge,
    Tokens,
}

impl Data {
    fn name(self) -> &'static str {
        match self {
            Data::Audit => "audit",
            Data::Challenge => "challenge",
            Data::Tokens => "tokens",
        }
    }
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "rotate-watermark",
        data: Data::Audit,
        args: &["audit", "rotate", "-hw", "100000", "-lw", "50000"],
        rows: None,
    },
    Scenario {
        name: "rotate-age",
        data: Data::Audit,
        args: &["audit", "rotate", "--age", "30"],
        rows: None,
    },
    Scenario {
        name: "rotate-config-200k",
        data: Data::Audit,
        args: &["audit", "rotate", "--config", "@rules"],
        rows: Some(200_000),
    },
    Scenario {
        name: "rotate-config",
        data: Data::Audit,
        args: &["audit", "rotate", "--config", "@rules"],
        rows: None,
    },
    Scenario {
        name: "challenge-cleanup",
        data: Data::Challenge,
        args: &["challenge", "cleanup"],
        rows: None,
    },
    Scenario {
        name: "challenge-cleanup-chunked",
        data: Data::Challenge,
        args: &["challenge", "cleanup", "--chunksize", "10000"],
        rows: None,
    },
    Scenario {
        name: "dump",
        data: Data::Audit,
        args: &["audit", "dump", "-f", "@out"],
        rows: None,
    },
    Scenario {
        name: "dump-no-sig-check",
        data: Data::Audit,
        args: &["audit", "dump", "--no-sig-check", "-f", "@out"],
        rows: None,
    },
    Scenario {
        name: "verify",
        data: Data::Audit,
        args: &["audit", "verify"],
        rows: None,
    },
    Scenario {
        name: "enckey-check-db",
        data: Data::Tokens,
        args: &["enckey", "status", "--check-db", "--sample", "0"],
        rows: None,
    },
];

fn engine_of(name: &str) -> Result<Engine> {
    Ok(match name {
        "sqlite" => Engine::Sqlite,
        "postgres" | "postgresql" => Engine::Postgres,
        "mariadb" | "mysql" => Engine::Mariadb,
        other => bail!("unknown engine {other:?}"),
    })
}

/// The high-water mark of the resident set (`VmHWM`, KiB) of a running process.
fn vm_hwm_kib(pid: u32) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Wall time and peak RSS (KiB) of one process run.
///
/// The peak is `VmHWM` of the child, read every few milliseconds until it exits. `wait4`'s
/// `ru_maxrss` is not used: the kernel carries the parent's resident set into the child's
/// maximum when the child is spawned, so after generating a large table the bench's own memory
/// showed up as the child's peak (151 MB for a command that peaks at 20 MB).
pub(crate) fn run_measured(
    bin: &Path,
    config: &Path,
    args: &[String],
    dir: &Path,
) -> Result<(f64, i64, i32, String)> {
    let start = Instant::now();
    let mut child = std::process::Command::new(bin)
        .arg("--config")
        .arg(config)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("start {}", bin.display()))?;
    let pid = child.id();
    let mut stderr = child.stderr.take().context("stderr")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let mut peak = 0i64;
    let status = loop {
        // read before try_wait: once reaped, the pid's /proc entry is gone
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().context("wait for mfactl")? {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let wall = start.elapsed().as_secs_f64();
    let code = status.code().unwrap_or(-1);
    let err = reader.join().unwrap_or_default();
    Ok((wall, peak, code, err))
}

/// Generates `rows` rows of `data`.
fn generate(env: &TestEnv, data: Data, rows: u64, signed: u64) -> Result<()> {
    match data {
        Data::Audit => gen::audit(env, rows, signed),
        Data::Challenge => gen::challenges(env, rows),
        Data::Tokens => gen::tokens(env, rows),
    }
}

/// Fresh data for one run. On SQLite the generated file is kept as a template per data kind
/// and row count and copied back before each later run (the file holds the other tables as the
/// earlier scenarios left them); server engines regenerate the tables.
fn prepare(
    env: &TestEnv,
    data: Data,
    rows: u64,
    signed: u64,
    templates: &mut Vec<(Data, u64, PathBuf)>,
) -> Result<()> {
    if env.engine() != Engine::Sqlite {
        return generate(env, data, rows, signed);
    }
    let db = PathBuf::from(env.db_name());
    for ext in ["-wal", "-shm", "-journal"] {
        let mut p = db.clone().into_os_string();
        p.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    if let Some((_, _, t)) = templates.iter().find(|(d, r, _)| *d == data && *r == rows) {
        std::fs::copy(t, &db).context("restore the template")?;
        return Ok(());
    }
    generate(env, data, rows, signed)?;
    let t = env.path(&format!("template-{}-{rows}.sqlite", data.name()));
    std::fs::copy(&db, &t).context("save the template")?;
    templates.push((data, rows, t));
    Ok(())
}

/// Copies the files of `env` to `dir`, pointing the config files at the copies.
fn keep_copy(env: &TestEnv, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let dir = std::fs::canonicalize(dir)?;
    let old = env.dir().display().to_string();
    let new = dir.display().to_string();
    for entry in std::fs::read_dir(env.dir())? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name();
        let target = dir.join(&name);
        if name == "mfactl.toml" || name == "pi.cfg" {
            let text = std::fs::read_to_string(entry.path())?;
            std::fs::write(&target, text.replace(&old, &new))?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Prints one table row: median, min and max of `walls` and the peak RSS (KiB).
pub(crate) fn report(name: &str, engine: &str, rows: u64, walls: &mut [f64], peak_kib: i64) {
    walls.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let (min, max) = (walls[0], walls[walls.len() - 1]);
    println!(
        "{:<27} {:<9} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>7.1} MB",
        name,
        engine,
        rows,
        walls[walls.len() / 2],
        min,
        max,
        peak_kib as f64 / 1024.0
    );
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let bin = cli
        .mfactl
        .clone()
        .unwrap_or_else(|| workspace_root().join("target/release/mfactl"));
    let bin = std::fs::canonicalize(&bin).unwrap_or(bin);
    if !bin.exists() {
        bail!(
            "{} does not exist: build it with `cargo build --release -p mfactl`",
            bin.display()
        );
    }
    let wanted: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| cli.scenarios.is_empty() || cli.scenarios.iter().any(|n| n == s.name))
        .collect();
    let policies = cli.scenarios.is_empty() || cli.scenarios.iter().any(|n| n == "policy");
    if wanted.is_empty() && !policies {
        bail!(
            "no such scenario; known: {}",
            SCENARIOS
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
                + ", policy"
        );
    }
    println!(
        "{:<27} {:<9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "scenario", "engine", "rows", "median s", "min s", "max s", "peak RSS"
    );
    for ename in &cli.engines {
        let engine = engine_of(ename)?;
        if !engine.available() {
            eprintln!("skipping {ename}: server binaries not found");
            continue;
        }
        let env = TestEnv::new(engine);
        env.load_reference_schema();
        std::fs::copy(
            reference_dir().join("vectors/audit/public.pem"),
            env.audit_public_key_path(),
        )
        .context("copy the audit public key")?;
        let rules = env.path("rules.yaml");
        std::fs::write(&rules, RULES)?;
        if cli.generate_only {
            let mut took = Vec::new();
            for (data, rows) in [
                (Data::Audit, cli.rows),
                (Data::Challenge, cli.rows),
                (Data::Tokens, cli.tokens),
            ] {
                let t = Instant::now();
                generate(&env, data, rows, cli.signed)?;
                took.push(format!(
                    "{rows} {} in {:.1} s",
                    data.name(),
                    t.elapsed().as_secs_f64()
                ));
            }
            println!(
                "{ename}: {} ({} audit rows signed)",
                took.join(", "),
                cli.signed
            );
            if let Some(keep) = &cli.keep {
                keep_copy(&env, keep)?;
                println!(
                    "kept in {} (use --config {}/mfactl.toml)",
                    keep.display(),
                    keep.display()
                );
            }
            continue;
        }
        if policies {
            policy::run(&env, &bin, ename, cli.policies, cli.runs)?;
        }
        let mut templates: Vec<(Data, u64, PathBuf)> = Vec::new();
        for sc in &wanted {
            let rows = sc.rows.unwrap_or(match sc.data {
                Data::Tokens => cli.tokens,
                Data::Audit | Data::Challenge => cli.rows,
            });
            let mut walls = Vec::new();
            let mut peak = 0i64;
            for _ in 0..cli.runs {
                prepare(&env, sc.data, rows, cli.signed.min(rows), &mut templates)?;
                let out = env.path("dump.out");
                let _ = std::fs::remove_file(&out);
                let args: Vec<String> = sc
                    .args
                    .iter()
                    .map(|a| match *a {
                        "@rules" => rules.display().to_string(),
                        "@out" => out.display().to_string(),
                        other => other.to_string(),
                    })
                    .collect();
                let (wall, rss, code, err) =
                    run_measured(&bin, &env.config_path(), &args, env.dir())?;
                let ok = code == 0 || (sc.name == "verify" && code == 1);
                if !ok {
                    bail!("{} on {ename} failed with exit {code}:\n{err}", sc.name);
                }
                walls.push(wall);
                peak = peak.max(rss);
            }
            report(sc.name, ename, rows, &mut walls, peak);
        }
    }
    Ok(())
}
