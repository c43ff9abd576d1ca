//! Plugin discovery: built-ins through `inventory`, external `.so` files from trusted directories.
//! After discovery every plugin is an [`Entry`] with the same root module type.

use crate::config::Settings;
use crate::trust;
use abi_stable::library::{lib_header_from_path, LibraryError};
use abi_stable::std_types::RResult;
use mfactl_plugin_api::{Manifest, PluginModRef, ABI_VERSION};
use std::path::{Path, PathBuf};

/// Nouns the host implements itself; no plugin may take them.
pub const HOST_NOUNS: &[&str] = &["config", "plugins", "completions"];

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Linked into the host binary.
    Builtin,
    /// Loaded from this file.
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Builtin => f.write_str("builtin"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A plugin's state after discovery.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    /// Usable.
    Loaded,
    /// Refused; `reason` says why.
    Rejected,
    /// Hidden by configuration.
    Disabled,
}

impl Status {
    /// `loaded`, `rejected`, `disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Loaded => "loaded",
            Status::Rejected => "rejected",
            Status::Disabled => "disabled",
        }
    }
}

/// One discovered plugin.
#[derive(Clone)]
pub struct Entry {
    /// The noun it is invoked by (after `mount`).
    pub noun: String,
    /// The noun it declares itself.
    pub own_noun: String,
    /// Plugin version.
    pub version: String,
    /// Source.
    pub source: Source,
    /// plugin-api version it was built against.
    pub abi: String,
    /// State.
    pub status: Status,
    /// Why it is rejected or disabled.
    pub reason: String,
    /// Multi-line details (the full abi_stable layout report), shown with `-v`.
    pub details: String,
    /// Its manifest, when it could be read.
    pub manifest: Option<Manifest>,
    /// Its root module, when loaded.
    pub module: Option<PluginModRef>,
}

impl Entry {
    /// The about line.
    pub fn about(&self) -> String {
        self.manifest
            .as_ref()
            .map(|m| m.about.to_string())
            .unwrap_or_default()
    }

    fn rejected(noun: String, source: Source, reason: String) -> Entry {
        Entry {
            own_noun: noun.clone(),
            noun,
            version: String::new(),
            source,
            abi: String::new(),
            status: Status::Rejected,
            reason,
            details: String::new(),
            manifest: None,
            module: None,
        }
    }
}

/// Every plugin found.
#[derive(Clone, Default)]
pub struct Registry {
    /// In discovery order: built-ins first, then files sorted by path.
    pub entries: Vec<Entry>,
}

fn from_module(module: PluginModRef, source: Source) -> Entry {
    let fallback_noun = match &source {
        Source::File(p) => noun_from_file(p),
        Source::Builtin => "unknown".to_string(),
    };
    match (module.manifest())() {
        RResult::ROk(m) => {
            let mut e = Entry {
                noun: m.noun.to_string(),
                own_noun: m.noun.to_string(),
                version: m.version.to_string(),
                source,
                abi: m.abi_version.to_string(),
                status: Status::Loaded,
                reason: String::new(),
                details: String::new(),
                manifest: Some(m),
                module: Some(module),
            };
            if !valid_noun(&e.noun) {
                e.status = Status::Rejected;
                e.reason = format!(
                    "invalid noun {:?} (lower-case letters, digits and '-' only)",
                    e.noun
                );
                e.noun = fallback_noun;
            } else if major(&e.abi) != major(ABI_VERSION) {
                e.status = Status::Rejected;
                e.reason = format!(
                    "built against plugin API {} but this mfactl provides {ABI_VERSION}",
                    e.abi
                );
            }
            e
        }
        RResult::RErr(err) => Entry::rejected(
            fallback_noun,
            source,
            format!("manifest failed: {}", err.message),
        ),
    }
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

/// A valid noun: `[a-z][a-z0-9-]*`.
pub fn valid_noun(n: &str) -> bool {
    let mut chars = n.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The noun a plugin file is presumed to provide: the file stem without a `lib` prefix, `_` as `-`.
pub fn noun_from_file(p: &Path) -> String {
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem.strip_prefix("lib").unwrap_or(&stem).replace('_', "-")
}

/// Loads one external file after the trust checks. Never panics, whatever the file holds.
pub fn load_file(path: &Path, settings: &Settings) -> Entry {
    let source = Source::File(path.to_path_buf());
    let presumed = noun_from_file(path);
    if let Err(reason) = trust::check_file(path) {
        return Entry::rejected(presumed, source, reason);
    }
    // Hashing costs a read of the whole file: only when some pin is configured.
    let digest = if settings.plugins.values().any(|p| p.sha256.is_some()) {
        match trust::sha256_file(path) {
            Ok(d) => Some(d),
            Err(e) => return Entry::rejected(presumed, source, format!("cannot read: {e}")),
        }
    } else {
        None
    };
    if let (Some(pin), Some(digest)) = (settings.plugin(&presumed).sha256, &digest) {
        if &pin != digest {
            return Entry::rejected(presumed, source, pin_mismatch(&pin, digest));
        }
    }
    let header = match lib_header_from_path(path) {
        Ok(h) => h,
        Err(e) => return library_error(presumed, source, e),
    };
    let module = match header.init_root_module::<PluginModRef>() {
        Ok(m) => m,
        Err(e) => return library_error(presumed, source, e),
    };
    let mut entry = from_module(module, source);
    if entry.status == Status::Loaded {
        if let (Some(pin), Some(digest)) = (settings.plugin(&entry.noun).sha256, &digest) {
            if &pin != digest {
                entry.status = Status::Rejected;
                entry.reason = pin_mismatch(&pin, digest);
                entry.module = None;
            }
        }
    }
    entry
}

fn pin_mismatch(pin: &str, digest: &str) -> String {
    format!("sha256 pin mismatch: configured {pin}, file has {digest}")
}

fn library_error(noun: String, source: Source, e: LibraryError) -> Entry {
    let full = e.to_string();
    let reason = match &e {
        LibraryError::OpenError { .. } => {
            let why = full.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("cannot open").to_string();
            format!("not a loadable library: {why}")
        }
        LibraryError::GetSymbolError { .. } => "not an mfactl plugin (no abi_stable root module)".to_string(),
        LibraryError::IncompatibleVersionNumber { expected_version, actual_version, .. } => {
            format!("plugin API version mismatch: plugin built against {actual_version}, host provides {expected_version}")
        }
        LibraryError::AbiInstability(_) => {
            "plugin API layout mismatch: built against an incompatible copy of mfactl-plugin-api (run with -v for the full report)".to_string()
        }
        LibraryError::InvalidAbiHeader(_) => "built with an incompatible abi_stable version".to_string(),
        _ => full.lines().next().unwrap_or("load failed").to_string(),
    };
    let mut entry = Entry::rejected(noun, source, reason);
    entry.details = full;
    entry
}

/// Discovers every plugin: built-ins, then files in `dirs` (each checked), then applies the
/// `[plugins.<noun>]` settings and resolves noun conflicts.
pub fn discover(settings: &Settings, dirs: &[PathBuf]) -> Registry {
    let mut entries: Vec<Entry> = mfactl_plugin_api::plugin::builtins()
        .map(|b| from_module((b.module)(), Source::Builtin))
        .collect();
    for dir in dirs {
        if let Err(reason) = trust::check_dir(dir) {
            entries.push(Entry::rejected(
                String::new(),
                Source::File(dir.clone()),
                reason,
            ));
            continue;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.ends_with(".so") {
                continue;
            }
            if !trust::valid_file_name(&name) {
                entries.push(Entry::rejected(
                    noun_from_file(&f),
                    Source::File(f.clone()),
                    "file name must be [a-z0-9_-] followed by .so".to_string(),
                ));
                continue;
            }
            entries.push(load_file(&f, settings));
        }
    }
    apply_settings(&mut entries, settings);
    resolve_conflicts(&mut entries);
    Registry { entries }
}

fn apply_settings(entries: &mut [Entry], settings: &Settings) {
    for e in entries.iter_mut() {
        let ps = settings.plugin(&e.own_noun);
        if e.status != Status::Loaded {
            continue;
        }
        if !ps.enabled {
            e.status = Status::Disabled;
            e.reason = format!("disabled by [plugins.{}] enabled = false", e.own_noun);
        } else if let Some(m) = ps.mount {
            if valid_noun(&m) {
                e.noun = m;
            } else {
                e.status = Status::Rejected;
                e.reason = format!("invalid mount noun {m:?}");
            }
        }
    }
    // override_builtin: a loaded external with the flag set replaces the built-in of its noun.
    let overriding: Vec<(String, String)> = entries
        .iter()
        .filter(|e| {
            e.status == Status::Loaded
                && e.source != Source::Builtin
                && settings.plugin(&e.own_noun).override_builtin
        })
        .map(|e| (e.noun.clone(), e.source.to_string()))
        .collect();
    for (noun, path) in overriding {
        for e in entries.iter_mut() {
            if e.source == Source::Builtin && e.noun == noun && e.status == Status::Loaded {
                e.status = Status::Disabled;
                e.reason =
                    format!("overridden by {path} ([plugins.{noun}] override_builtin = true)");
            }
        }
    }
}

fn resolve_conflicts(entries: &mut [Entry]) {
    for i in 0..entries.len() {
        if entries[i].status != Status::Loaded {
            continue;
        }
        let noun = entries[i].noun.clone();
        if HOST_NOUNS.contains(&noun.as_str()) {
            entries[i].status = Status::Rejected;
            entries[i].reason = format!("the noun {noun:?} belongs to the host");
            continue;
        }
        let same: Vec<usize> = (0..entries.len())
            .filter(|&j| entries[j].status == Status::Loaded && entries[j].noun == noun)
            .collect();
        if same.len() < 2 {
            continue;
        }
        if let Some(&b) = same.iter().find(|&&j| entries[j].source == Source::Builtin) {
            for &j in &same {
                if j != b {
                    entries[j].status = Status::Rejected;
                    entries[j].reason =
                        format!("noun {noun:?} is provided by the built-in plugin (built-ins win)");
                    entries[j].module = None;
                }
            }
        } else {
            let paths: Vec<String> = same
                .iter()
                .map(|&j| entries[j].source.to_string())
                .collect();
            for &j in &same {
                entries[j].status = Status::Rejected;
                entries[j].reason = format!(
                    "noun {noun:?} is provided by more than one plugin: {}",
                    paths.join(" and ")
                );
                entries[j].module = None;
            }
        }
    }
}

impl Registry {
    /// The loaded plugin for `noun`.
    pub fn loaded(&self, noun: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.status == Status::Loaded && e.noun == noun)
    }
    /// Any entry for `noun` (for the reason a noun cannot be used).
    pub fn any(&self, noun: &str) -> Option<&Entry> {
        self.loaded(noun).or_else(|| {
            self.entries
                .iter()
                .find(|e| e.noun == noun && !e.noun.is_empty())
        })
    }
    /// Loaded entries.
    pub fn usable(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.status == Status::Loaded)
    }
}
