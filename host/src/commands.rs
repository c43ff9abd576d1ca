//! The host's own nouns: `config show`, `plugins list|verify`, `completions`.

use crate::config::SECRET_KEYS;
use crate::db::url::redact_text;
use crate::output;
use crate::registry::{self, Registry, Status};
use crate::state;
use crate::trust;
use clap::{Arg, ArgMatches, Command};
use mfactl_plugin_api::{Error, ErrorKind};
use serde_json::{json, Value as Json};
use std::path::PathBuf;

/// Hidden first argument: load one plugin file in this (child) process and print its manifest.
pub const PROBE_ARG: &str = "__probe-plugin";

fn format_arg() -> Arg {
    Arg::new("format")
        .long("format")
        .value_parser(["text", "json"])
        .help("Output format")
}

fn wants_json(m: &ArgMatches) -> bool {
    let local = m.get_one::<String>("format").cloned();
    let global = state::get()
        .map(|s| s.globals.format.clone())
        .unwrap_or_default();
    local.unwrap_or(global) == "json"
}

fn out(text: &str) {
    output::with(|o| o.out(text));
}

/// `mfactl config …`
pub fn config_command() -> Command {
    Command::new("config")
        .about("Show the effective configuration")
        .subcommand_required(true)
        .subcommand(
            Command::new("show")
                .about("Print the effective settings and where each came from (secrets redacted)")
                .arg(format_arg()),
        )
}

/// `mfactl plugins …`
pub fn plugins_command() -> Command {
    Command::new("plugins")
        .about("List and check plugins")
        .subcommand_required(true)
        .subcommand(
            Command::new("list")
                .about("List every plugin with its source, version and state")
                .arg(format_arg()),
        )
        .subcommand(
            Command::new("verify")
                .about("Run the trust checks and a test load of a plugin file (in a child process)")
                .arg(Arg::new("file").required(true).value_name("FILE"))
                .arg(format_arg()),
        )
}

/// `mfactl completions SHELL`
pub fn completions_command() -> Command {
    Command::new("completions")
        .about("Print a shell completion script")
        .arg(
            Arg::new("shell")
                .required(true)
                .value_parser(["bash", "zsh", "fish"]),
        )
}

fn redact(key: &str, v: &Json) -> Json {
    if SECRET_KEYS.contains(&key) {
        return Json::String("***".into());
    }
    match v {
        Json::String(s) if s.contains("://") => Json::String(redact_text(s)),
        other => other.clone(),
    }
}

/// `config show`
pub fn run_config(m: &ArgMatches) -> i32 {
    let Some(("show", sub)) = m.subcommand() else {
        return 2;
    };
    let st = match state::get() {
        Ok(s) => s,
        Err(e) => return output::report(&e),
    };
    let settings = match st.settings() {
        Ok(s) => s,
        Err(e) => return output::report(&e),
    };
    let file = settings
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_default();
    if wants_json(sub) {
        let values: serde_json::Map<String, Json> = settings
            .values
            .iter()
            .map(|(k, (v, origin))| {
                (
                    k.clone(),
                    json!({"value": redact(k, v), "source": origin.to_string()}),
                )
            })
            .collect();
        let plugins: serde_json::Map<String, Json> = settings
            .plugins
            .iter()
            .map(|(k, p)| (k.clone(), p.table.clone()))
            .collect();
        let doc = json!({
            "file": file,
            "settings": values,
            "plugin_dirs": settings.plugin_dirs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "plugins": plugins,
        });
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
        return 0;
    }
    let mut s = format!("# config file: {file}\n");
    let width = settings.values.keys().map(String::len).max().unwrap_or(0);
    for (k, (v, origin)) in &settings.values {
        let shown = match redact(k, v) {
            Json::String(t) => t,
            other => other.to_string(),
        };
        s.push_str(&format!("{k:<width$} = {shown}    # {origin}\n"));
    }
    if !settings.plugin_dirs.is_empty() {
        s.push_str(&format!(
            "plugin_dirs = {}\n",
            settings
                .plugin_dirs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out(&s);
    0
}

fn entry_json(e: &registry::Entry) -> Json {
    json!({
        "noun": e.noun,
        "version": e.version,
        "source": e.source.to_string(),
        "abi": e.abi,
        "status": e.status.as_str(),
        "reason": e.reason,
    })
}

/// `plugins list` / `plugins verify`
pub fn run_plugins(m: &ArgMatches, reg: &Registry, verbosity: i8) -> i32 {
    match m.subcommand() {
        Some(("list", sub)) => {
            if wants_json(sub) {
                let arr: Vec<Json> = reg.entries.iter().map(entry_json).collect();
                out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&arr).unwrap_or_default()
                ));
                return 0;
            }
            let rows: Vec<[String; 6]> = reg
                .entries
                .iter()
                .map(|e| {
                    let noun = if e.noun.is_empty() {
                        "-".to_string()
                    } else {
                        e.noun.clone()
                    };
                    let reason = if verbosity > 0 && !e.details.is_empty() {
                        format!("{}\n{}", e.reason, e.details)
                    } else {
                        e.reason.clone()
                    };
                    [
                        noun,
                        e.version.clone(),
                        e.source.to_string(),
                        e.abi.clone(),
                        e.status.as_str().to_string(),
                        reason,
                    ]
                })
                .collect();
            out(&table(
                &["NOUN", "VERSION", "SOURCE", "ABI", "STATUS", "REASON"],
                &rows,
            ));
            0
        }
        Some(("verify", sub)) => verify(sub),
        _ => 2,
    }
}

/// Formats rows as an aligned text table.
pub fn table(header: &[&str], rows: &[[String; 6]]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.lines().next().unwrap_or("").len());
        }
    }
    let mut s = String::new();
    let line = |cells: Vec<&str>, s: &mut String| {
        let n = cells.len();
        for (i, c) in cells.into_iter().enumerate() {
            if i + 1 == n {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        while s.ends_with(' ') {
            s.pop();
        }
        s.push('\n');
    };
    line(header.to_vec(), &mut s);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut s);
    }
    s
}

fn verify(m: &ArgMatches) -> i32 {
    let Some(file) = m.get_one::<String>("file").map(PathBuf::from) else {
        return 2;
    };
    let json_out = wants_json(m);
    let mut findings: Vec<(String, bool, String)> = Vec::new();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    findings.push((
        "file name".into(),
        trust::valid_file_name(&name),
        format!("{name:?} must be [a-z0-9_-] followed by .so"),
    ));
    let file_check = trust::check_file(&file);
    findings.push((
        "file trust".into(),
        file_check.is_ok(),
        file_check.err().unwrap_or_else(|| {
            "regular file, not writable by group/others, owned by root or you".into()
        }),
    ));
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        let d = trust::check_dir(dir);
        findings.push((
            "directory trust".into(),
            d.is_ok(),
            d.err()
                .unwrap_or_else(|| format!("{} is trusted", dir.display())),
        ));
    }
    let digest = trust::sha256_file(&file).map_err(|e| e.to_string());
    findings.push((
        "sha256".into(),
        digest.is_ok(),
        digest.clone().unwrap_or_else(|e| e),
    ));
    // The test load happens in a child process: a crashing candidate cannot take us down.
    // /proc/self/exe still runs this binary when its file was replaced meanwhile.
    let exe = match std::path::Path::new("/proc/self/exe") {
        p if p.exists() => Ok(p.to_path_buf()),
        _ => std::env::current_exe(),
    };
    let (load_ok, load_msg, manifest) = match exe {
        Ok(exe) => match std::process::Command::new(exe)
            .arg(PROBE_ARG)
            .arg(&file)
            .stdin(std::process::Stdio::null())
            .output()
        {
            Ok(o) if o.status.success() => {
                let text = String::from_utf8_lossy(&o.stdout).into_owned();
                let parsed: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
                let ok = parsed["status"] == "loaded";
                let msg = if ok {
                    format!(
                        "loaded: noun {} version {} abi {}",
                        parsed["noun"].as_str().unwrap_or(""),
                        parsed["version"].as_str().unwrap_or(""),
                        parsed["abi"].as_str().unwrap_or("")
                    )
                } else {
                    parsed["reason"].as_str().unwrap_or("unknown").to_string()
                };
                (ok, msg, parsed)
            }
            Ok(o) => {
                let how = match std::os::unix::process::ExitStatusExt::signal(&o.status) {
                    Some(sig) => format!("the test load crashed the child process (signal {sig})"),
                    None => format!(
                        "the test load failed (exit {})",
                        o.status.code().unwrap_or(-1)
                    ),
                };
                (false, how, Json::Null)
            }
            Err(e) => (
                false,
                format!("cannot start the child process: {e}"),
                Json::Null,
            ),
        },
        Err(e) => (
            false,
            format!("cannot find own executable: {e}"),
            Json::Null,
        ),
    };
    findings.push(("test load".into(), load_ok, load_msg));
    let all_ok = findings.iter().all(|(_, ok, _)| *ok);
    if json_out {
        let checks: Vec<Json> = findings
            .iter()
            .map(|(c, ok, d)| json!({"check": c, "ok": ok, "detail": d}))
            .collect();
        let doc = json!({"file": file.display().to_string(), "ok": all_ok, "checks": checks, "manifest": manifest});
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
    } else {
        let mut s = format!("{}\n", file.display());
        for (c, ok, d) in &findings {
            s.push_str(&format!(
                "  {:<4} {c}: {d}\n",
                if *ok { "ok" } else { "FAIL" }
            ));
        }
        out(&s);
    }
    if all_ok {
        0
    } else {
        output::report(&Error::new(
            ErrorKind::Failed,
            format!("{} did not pass the plugin checks", file.display()),
        ))
    }
}

/// Child-process side of `plugins verify`: load the file (trust checks included) and print JSON.
pub fn probe_plugin(args: &[String]) -> i32 {
    let Some(file) = args.get(2).map(PathBuf::from) else {
        return 2;
    };
    let e = registry::load_file(&file, &crate::config::Settings::default());
    let mut j = entry_json(&e);
    if e.status == Status::Loaded {
        if let Some(m) = &e.manifest {
            j["commands"] = Json::Array(
                m.commands
                    .iter()
                    .map(|c| json!({"name": c.name.as_str(), "about": c.about.as_str()}))
                    .collect(),
            );
        }
    }
    out(&j.to_string());
    0
}

/// `completions SHELL`: nouns and verbs from the manifests.
pub fn run_completions(m: &ArgMatches, reg: &Registry) -> i32 {
    let shell = match m.get_one::<String>("shell").map(String::as_str) {
        Some("bash") => clap_complete::Shell::Bash,
        Some("zsh") => clap_complete::Shell::Zsh,
        Some("fish") => clap_complete::Shell::Fish,
        _ => return 2,
    };
    let mut cmd = Command::new("mfactl");
    cmd = cmd
        .subcommand(config_command())
        .subcommand(plugins_command())
        .subcommand(completions_command());
    for e in reg.usable() {
        let mut sub = Command::new(e.noun.clone()).about(e.about());
        if let Some(man) = &e.manifest {
            for c in man.commands.iter() {
                sub = sub.subcommand(Command::new(c.name.to_string()).about(c.about.to_string()));
            }
        }
        cmd = cmd.subcommand(sub);
    }
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "mfactl", &mut buf);
    out(&String::from_utf8_lossy(&buf));
    0
}
