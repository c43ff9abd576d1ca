//! The state of one mfactl invocation, read by the host callbacks.

use crate::config::Settings;
use crate::db::{url, Database, Stream};
use mfactl_plugin_api::{DbTarget, Error, ErrorKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// Global options given before the noun.
#[derive(Debug, Clone, Default)]
pub struct GlobalOpts {
    /// `--dry-run`
    pub dry_run: bool,
    /// `--yes`
    pub yes: bool,
    /// -1 quiet … 1+ verbose
    pub verbosity: i8,
    /// `--format`
    pub format: String,
    /// colour wanted
    pub color: bool,
}

/// Everything the callbacks need.
pub struct HostState {
    /// The settings, or why there are none.
    pub settings: Result<Settings, Error>,
    /// Global options.
    pub globals: GlobalOpts,
    main: OnceLock<Result<Database, Error>>,
    audit: OnceLock<Option<Result<Database, Error>>>,
    /// Open streams by handle.
    pub streams: Mutex<HashMap<u64, Stream>>,
    /// The next stream handle.
    pub next_stream: Mutex<u64>,
}

fn current() -> &'static RwLock<Option<Arc<HostState>>> {
    static S: OnceLock<RwLock<Option<Arc<HostState>>>> = OnceLock::new();
    S.get_or_init(|| RwLock::new(None))
}

/// Installs the state for this invocation.
pub fn install(state: HostState) {
    let mut g = match current().write() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    *g = Some(Arc::new(state));
}

/// The state of the running invocation.
pub fn get() -> Result<Arc<HostState>, Error> {
    let g = match current().read() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    g.clone()
        .ok_or_else(|| Error::internal("host state used before start-up"))
}

impl HostState {
    /// New state.
    pub fn new(settings: Result<Settings, Error>, globals: GlobalOpts) -> Self {
        HostState {
            settings,
            globals,
            main: OnceLock::new(),
            audit: OnceLock::new(),
            streams: Mutex::new(HashMap::new()),
            next_stream: Mutex::new(1),
        }
    }

    /// The settings, or the error explaining their absence.
    pub fn settings(&self) -> Result<&Settings, Error> {
        self.settings.as_ref().map_err(Clone::clone)
    }

    fn open(&self, key: &str) -> Result<Database, Error> {
        let s = self.settings()?;
        let text = s.get_str(key).ok_or_else(|| {
            Error::new(ErrorKind::Config, format!("{key} is not set in {}", s.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default()))
                .with_hint("set SQLALCHEMY_DATABASE_URI in the config file (or MFACTL_DATABASE_URI in the environment)")
        })?;
        Ok(Database::new(url::parse(&text)?))
    }

    /// The database for `target`, connecting lazily. The audit target is the main database unless
    /// `PI_AUDIT_SQL_URI` names a different one.
    pub fn db(&self, target: DbTarget) -> Result<&Database, Error> {
        let main = || {
            self.main
                .get_or_init(|| self.open("SQLALCHEMY_DATABASE_URI"))
                .as_ref()
                .map_err(Clone::clone)
        };
        match target {
            DbTarget::Main => main(),
            DbTarget::Audit => {
                let audit = self.audit.get_or_init(|| {
                    let s = match self.settings() {
                        Ok(s) => s,
                        Err(e) => return Some(Err(e)),
                    };
                    match (
                        s.get_str("PI_AUDIT_SQL_URI"),
                        s.get_str("SQLALCHEMY_DATABASE_URI"),
                    ) {
                        (Some(a), Some(m)) if !a.is_empty() && a != m => {
                            Some(self.open("PI_AUDIT_SQL_URI"))
                        }
                        (Some(a), None) if !a.is_empty() => Some(self.open("PI_AUDIT_SQL_URI")),
                        _ => None,
                    }
                });
                match audit {
                    Some(r) => r.as_ref().map_err(Clone::clone),
                    None => main(),
                }
            }
        }
    }
}
