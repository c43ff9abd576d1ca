//! [`Host`]: the safe, synchronous face of the host's services.

use crate::error::Result;
use crate::ffi::{DbInfo, DbTarget, Dialect, Globals, HostCtx, Level, Rows, Value};
use abi_stable::std_types::{ROption, RResult, RStr, RVec};
use zeroize_lite::SecretString;

fn res<T>(r: RResult<T, crate::ffi::PluginError>) -> Result<T> {
    match r {
        RResult::ROk(v) => Ok(v),
        RResult::RErr(e) => Err(e.into()),
    }
}

/// The host's services as seen by plugin code. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Host {
    ctx: HostCtx,
    noun: &'static str,
}

/// A setting read from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A string.
    Str(String),
    /// A Python bytes literal (`b'…'`).
    Bytes(Vec<u8>),
    /// Anything else (numbers, booleans, lists, dicts), as JSON.
    Other(serde_json::Value),
}

impl ConfigValue {
    /// The value as bytes: strings as UTF-8, bytes as they are; `None` for other values.
    pub fn as_bytes(&self) -> Option<Vec<u8>> {
        match self {
            ConfigValue::Str(s) => Some(s.as_bytes().to_vec()),
            ConfigValue::Bytes(b) => Some(b.clone()),
            ConfigValue::Other(_) => None,
        }
    }
    /// The value as a string (bytes decoded lossily); numbers and booleans as text.
    pub fn as_string(&self) -> Option<String> {
        match self {
            ConfigValue::Str(s) => Some(s.clone()),
            ConfigValue::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            ConfigValue::Other(serde_json::Value::Bool(b)) => Some(b.to_string()),
            ConfigValue::Other(serde_json::Value::Number(n)) => Some(n.to_string()),
            ConfigValue::Other(_) => None,
        }
    }
    /// Python truthiness of the value, as privacyIDEA would see it.
    pub fn is_truthy(&self) -> bool {
        match self {
            ConfigValue::Str(s) => !s.is_empty(),
            ConfigValue::Bytes(b) => !b.is_empty(),
            ConfigValue::Other(v) => match v {
                serde_json::Value::Null => false,
                serde_json::Value::Bool(b) => *b,
                serde_json::Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                serde_json::Value::String(s) => !s.is_empty(),
                serde_json::Value::Array(a) => !a.is_empty(),
                serde_json::Value::Object(o) => !o.is_empty(),
            },
        }
    }
}

impl Host {
    /// Wraps the context the host passed to `run`. `noun` is the calling plugin's noun.
    pub fn new(ctx: HostCtx, noun: &'static str) -> Self {
        Host { ctx, noun }
    }

    /// The number of host functions available (see [`crate::HOST_ABI`]).
    pub fn host_abi(&self) -> u32 {
        self.ctx.host_abi
    }

    /// The noun of the calling plugin.
    pub fn noun(&self) -> &'static str {
        self.noun
    }

    /// A pi.cfg-style setting (`PI_ENCFILE`, `SECRET_KEY`, …), `None` when not set.
    pub fn config(&self, key: &str) -> Option<ConfigValue> {
        match (self.ctx.vtable.config_get())(RStr::from(key)) {
            ROption::RSome(json) => Some(decode_config(&json)),
            ROption::RNone => None,
        }
    }

    /// A setting as a string, `None` when unset or not a string-like value.
    pub fn config_str(&self, key: &str) -> Option<String> {
        self.config(key).and_then(|v| v.as_string())
    }

    /// This plugin's `[plugins.<noun>]` table as JSON (an empty object when absent).
    pub fn plugin_config(&self) -> serde_json::Value {
        let text = (self.ctx.vtable.plugin_config())(RStr::from(self.noun));
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Object(Default::default()))
    }

    /// The global options.
    pub fn globals(&self) -> Globals {
        (self.ctx.vtable.globals())()
    }

    /// Writes data to stdout as given (no newline added).
    pub fn out(&self, text: &str) {
        (self.ctx.vtable.out())(RStr::from(text))
    }

    /// Writes one line of data to stdout.
    pub fn outln(&self, text: &str) {
        let mut s = String::with_capacity(text.len() + 1);
        s.push_str(text);
        s.push('\n');
        self.out(&s)
    }

    /// Writes a message line to stderr at `level`.
    pub fn message(&self, level: Level, text: &str) {
        (self.ctx.vtable.message())(level, RStr::from(text))
    }
    /// `warning: …` on stderr (hidden by `-q`).
    pub fn warn(&self, text: &str) {
        self.message(Level::Warn, text)
    }
    /// A plain message on stderr (hidden by `-q`).
    pub fn info(&self, text: &str) {
        self.message(Level::Info, text)
    }
    /// A message shown only with `-v`.
    pub fn debug(&self, text: &str) {
        self.message(Level::Debug, text)
    }

    /// Starts a progress indicator for `total` units (0 = unknown).
    pub fn progress(&self, label: &str, total: u64) -> Progress {
        let handle = (self.ctx.vtable.progress_start())(RStr::from(label), total);
        Progress {
            host: *self,
            handle,
        }
    }

    /// Asks for a secret on the terminal (twice when `confirm`), never echoed.
    pub fn prompt_secret(&self, prompt: &str, confirm: bool) -> Result<SecretString> {
        let s = res((self.ctx.vtable.prompt_secret())(
            RStr::from(prompt),
            confirm,
        ))?;
        Ok(SecretString::new(s.into_string()))
    }

    /// Asks a yes/no question; `--yes` answers it, a non-terminal stdin without `--yes` is an error.
    pub fn confirm(&self, question: &str) -> Result<bool> {
        res((self.ctx.vtable.confirm())(RStr::from(question)))
    }

    /// Connects (if not yet connected) and describes the database.
    pub fn db_info(&self, db: DbTarget) -> Result<DbInfo> {
        res((self.ctx.vtable.db_info())(db))
    }

    /// The dialect of the database.
    pub fn dialect(&self, db: DbTarget) -> Result<Dialect> {
        Ok(self.db_info(db)?.dialect)
    }

    /// Runs a query and returns every row. SQL is dialect-specific (`$1` on PostgreSQL, `?`
    /// elsewhere; see [`Dialect::placeholder`]).
    pub fn query(&self, db: DbTarget, sql: &str, params: Vec<Value>) -> Result<Rows> {
        res((self.ctx.vtable.db_query())(
            db,
            RStr::from(sql),
            RVec::from(params),
        ))
    }

    /// Runs a statement and returns the affected row count.
    pub fn execute(&self, db: DbTarget, sql: &str, params: Vec<Value>) -> Result<u64> {
        res((self.ctx.vtable.db_execute())(
            db,
            RStr::from(sql),
            RVec::from(params),
        ))
    }

    /// Streams a query in batches of at most `batch` rows; `f` returns `false` to stop early.
    /// Memory stays bounded by the batch size whatever the table size.
    pub fn stream<F>(
        &self,
        db: DbTarget,
        sql: &str,
        params: Vec<Value>,
        batch: u32,
        mut f: F,
    ) -> Result<()>
    where
        F: FnMut(Rows) -> Result<bool>,
    {
        let handle = res((self.ctx.vtable.db_stream_open())(
            db,
            RStr::from(sql),
            RVec::from(params),
        ))?;
        let result = (|| loop {
            let rows = res((self.ctx.vtable.db_stream_next())(handle, batch.max(1)))?;
            if rows.rows.is_empty() {
                return Ok(());
            }
            if !f(rows)? {
                return Ok(());
            }
        })();
        (self.ctx.vtable.db_stream_close())(handle);
        result
    }

    /// Begins a transaction on `db`.
    pub fn begin(&self, db: DbTarget) -> Result<()> {
        res((self.ctx.vtable.db_begin())(db))
    }
    /// Commits the open transaction on `db`.
    pub fn commit(&self, db: DbTarget) -> Result<()> {
        res((self.ctx.vtable.db_commit())(db))
    }
    /// Rolls back the open transaction on `db`.
    pub fn rollback(&self, db: DbTarget) -> Result<()> {
        res((self.ctx.vtable.db_rollback())(db))
    }

    /// Runs `f` in a transaction: commit on `Ok`, roll back on `Err`.
    pub fn transaction<T>(&self, db: DbTarget, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.begin(db)?;
        match f() {
            Ok(v) => {
                self.commit(db)?;
                Ok(v)
            }
            Err(e) => {
                // The original error matters more than a failed rollback.
                let _ = self.rollback(db);
                Err(e)
            }
        }
    }

    /// Takes the named advisory lock, waiting up to `timeout_ms`; released by [`Host::unlock`] or
    /// at exit. A lock held by another run gives an error naming the lock.
    pub fn lock(&self, db: DbTarget, name: &str, timeout_ms: u64) -> Result<()> {
        res((self.ctx.vtable.db_lock())(
            db,
            RStr::from(name),
            timeout_ms,
        ))
    }
    /// Releases the named advisory lock.
    pub fn unlock(&self, db: DbTarget, name: &str) -> Result<()> {
        res((self.ctx.vtable.db_unlock())(db, RStr::from(name)))
    }

    /// A new id for `table` from its `<table>_seq` sequence, or `None` when the database assigns
    /// ids itself (omit the id column then).
    pub fn next_id(&self, db: DbTarget, table: &str) -> Result<Option<i64>> {
        Ok(res((self.ctx.vtable.db_next_id())(db, RStr::from(table)))?.into_option())
    }
}

/// A progress indicator; finished when dropped.
pub struct Progress {
    host: Host,
    handle: u64,
}

impl Progress {
    /// Advances by `delta` units.
    pub fn advance(&self, delta: u64) {
        (self.host.ctx.vtable.progress_advance())(self.handle, delta)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        (self.host.ctx.vtable.progress_finish())(self.handle)
    }
}

fn decode_config(json: &str) -> ConfigValue {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::String(s)) => ConfigValue::Str(s),
        Ok(serde_json::Value::Object(o)) if o.len() == 1 && o.contains_key("$bytes") => {
            let hex = o.get("$bytes").and_then(|v| v.as_str()).unwrap_or("");
            ConfigValue::Bytes(decode_hex(hex))
        }
        Ok(v) => ConfigValue::Other(v),
        Err(_) => ConfigValue::Str(json.to_string()),
    }
}

fn decode_hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// A minimal zeroizing string, so plugin-api needs no extra dependency for secrets.
pub mod zeroize_lite {
    /// A string whose bytes are overwritten with zeros when dropped.
    pub struct SecretString(String);

    impl SecretString {
        /// Takes ownership of `s`.
        pub fn new(s: String) -> Self {
            SecretString(s)
        }
        /// The secret text.
        pub fn expose(&self) -> &str {
            &self.0
        }
    }

    impl std::fmt::Debug for SecretString {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("SecretString(***)")
        }
    }

    impl Drop for SecretString {
        fn drop(&mut self) {
            // SAFETY: writing zero bytes keeps the string valid UTF-8.
            let bytes = unsafe { self.0.as_mut_vec() };
            for b in bytes.iter_mut() {
                // volatile so the compiler cannot drop the wipe of a dead buffer
                unsafe { std::ptr::write_volatile(b, 0) };
            }
        }
    }
}
