//! The FFI-safe types that cross the boundary between the host and a plugin.
//!
//! Everything here is `#[repr(C)]` and derives [`StableAbi`], so the host checks the layout of a
//! plugin's copy of these types when it loads the plugin. Only append to these types; never
//! reorder or change a field (see the crate docs on versioning).

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{ROption, RResult, RStr, RString, RVec},
    StableAbi,
};

/// How a failed command is classified; the host maps it to the exit code.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command ran but could not do what was asked (exit 1): not found, refused, failed check.
    Failed,
    /// Bad arguments (exit 2).
    Usage,
    /// Bad or missing configuration (exit 2).
    Config,
    /// The database could not be reached or returned an error (exit 2).
    Database,
    /// Anything unexpected, including a panic inside a plugin (exit 2).
    Internal,
}

impl ErrorKind {
    /// The process exit status for this kind of error.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Failed => 1,
            _ => 2,
        }
    }
}

/// An error as it crosses the boundary: `error: <message>`, `caused by:` lines, `hint:`.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct PluginError {
    /// Classification, which decides the exit code.
    pub kind: ErrorKind,
    /// What went wrong, one line, without the `error:` prefix.
    pub message: RString,
    /// Underlying causes, outermost first.
    pub causes: RVec<RString>,
    /// What the operator can do about it.
    pub hint: ROption<RString>,
}

/// One verb of a plugin's noun, as listed in `mfactl <noun> --help`, completions and the README.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct CommandInfo {
    /// The verb, kebab-case (`create`, `list`, `create-token`).
    pub name: RString,
    /// One line of help.
    pub about: RString,
}

/// A hidden multi-word path that the host rewrites to `<noun> <verb>` before dispatch.
///
/// `path` is the words as typed, separated by single spaces (`"setup create_enckey"`,
/// `"rotate_audit"`, `"config challenge cleanup"`). `verb` is the verb it stands for; an empty
/// `verb` means the path stands for the noun itself and the words after it are passed on as typed.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct AliasInfo {
    /// The words as typed.
    pub path: RString,
    /// The verb the path stands for, or empty for the noun.
    pub verb: RString,
}

/// What a plugin tells the host about itself.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct Manifest {
    /// The noun the plugin owns (`enckey`, `backup`, …): `[a-z][a-z0-9-]*`.
    pub noun: RString,
    /// The plugin's own version.
    pub version: RString,
    /// One line describing the noun.
    pub about: RString,
    /// The verbs.
    pub commands: RVec<CommandInfo>,
    /// Hidden compatibility spellings (pi-manage's commands).
    pub aliases: RVec<AliasInfo>,
    /// The plugin-api version the plugin was built against (filled in by the export macros).
    pub abi_version: RString,
}

/// Which database a call addresses.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbTarget {
    /// `SQLALCHEMY_DATABASE_URI`.
    Main,
    /// `PI_AUDIT_SQL_URI`, or the main database when that is not set.
    Audit,
}

/// The SQL dialect of a database; SQL text passed to the host must be written for it.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3 (`?` placeholders, timestamps stored as text).
    Sqlite,
    /// PostgreSQL (`$1` placeholders).
    Postgres,
    /// MySQL or MariaDB (`?` placeholders).
    Mysql,
}

/// Facts about a connected database.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct DbInfo {
    /// The dialect.
    pub dialect: Dialect,
    /// The URI used the `mariadb` scheme: privacyIDEA then creates plain `DATETIME` columns.
    pub mariadb_uri: bool,
    /// The server is MariaDB (sequences available from 10.3).
    pub server_is_mariadb: bool,
    /// The server's version string.
    pub server_version: RString,
    /// The URI with the password replaced by `***`.
    pub url_redacted: RString,
    /// For SQLite, the absolute path of the database file; empty otherwise.
    pub sqlite_path: RString,
}

/// A naive timestamp (no time zone): microseconds since 1970-01-01 00:00:00.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Microseconds since the epoch, naive.
    pub micros: i64,
}

/// One SQL value, as a parameter or in a result row.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Any integer column.
    Int(i64),
    /// Floating point.
    Real(f64),
    /// Text.
    Text(RString),
    /// Binary data.
    Bytes(RVec<u8>),
    /// Boolean (SQLite and MySQL store it as an integer).
    Bool(bool),
    /// A naive date and time; bound as `YYYY-MM-DD HH:MM:SS.ffffff` text on SQLite.
    Timestamp(Timestamp),
}

/// A result set: column names and rows of values.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Default)]
pub struct Rows {
    /// Column names in select order.
    pub columns: RVec<RString>,
    /// The rows.
    pub rows: RVec<RVec<Value>>,
}

/// Severity of a message written with [`HostVtable::message`].
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Shown always, prefixed `error:`.
    Error,
    /// Shown unless `-q`, prefixed `warning:`.
    Warn,
    /// Shown unless `-q`, no prefix.
    Info,
    /// Shown with `-v`.
    Debug,
}

/// The global options the operator gave before the noun.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct Globals {
    /// `--dry-run` given globally.
    pub dry_run: bool,
    /// `--yes` given globally: confirmations are answered yes.
    pub yes: bool,
    /// -1 with `-q`, 0 by default, 1 and up with `-v`.
    pub verbosity: i8,
    /// `--format` given globally, empty when not given.
    pub format: RString,
    /// Colour is wanted on stderr/stdout.
    pub color: bool,
}

/// The host's services, called by plugins. Synchronous; append-only.
///
/// The layout of this table is not checked at load time (it sits behind an opaque field of
/// [`HostCtx`]); [`HostCtx::host_abi`] says how many entries exist instead.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = HostVtableRef)))]
#[sabi(missing_field(option))]
pub struct HostVtable {
    /// A pi.cfg-style setting by key, as JSON text (bytes literals as `{"$bytes": "<hex>"}`).
    pub config_get: extern "C" fn(key: RStr<'_>) -> ROption<RString>,
    /// The calling plugin's own `[plugins.<noun>]` table, as JSON text (`{}` when absent).
    pub plugin_config: extern "C" fn(noun: RStr<'_>) -> RString,
    /// The global options.
    pub globals: extern "C" fn() -> Globals,
    /// Write data to stdout, as given.
    pub out: extern "C" fn(text: RStr<'_>),
    /// Write a message line to stderr, filtered by verbosity and prefixed by level.
    pub message: extern "C" fn(level: Level, text: RStr<'_>),
    /// Start a progress indicator (a bar only when stderr is a terminal); returns its handle.
    pub progress_start: extern "C" fn(label: RStr<'_>, total: u64) -> u64,
    /// Advance a progress indicator by `delta`.
    pub progress_advance: extern "C" fn(handle: u64, delta: u64),
    /// Remove a progress indicator.
    pub progress_finish: extern "C" fn(handle: u64),
    /// Ask for a secret on the terminal, twice when `confirm`; never echoed.
    pub prompt_secret:
        extern "C" fn(prompt: RStr<'_>, confirm: bool) -> RResult<RString, PluginError>,
    /// Ask a yes/no question; `--yes` answers yes, a non-terminal stdin is an error.
    pub confirm: extern "C" fn(question: RStr<'_>) -> RResult<bool, PluginError>,
    /// Connect (lazily) and describe a database.
    pub db_info: extern "C" fn(db: DbTarget) -> RResult<DbInfo, PluginError>,
    /// Run a query and return all rows (use the stream calls for large results).
    pub db_query: extern "C" fn(
        db: DbTarget,
        sql: RStr<'_>,
        params: RVec<Value>,
    ) -> RResult<Rows, PluginError>,
    /// Run a statement and return the number of affected rows.
    pub db_execute: extern "C" fn(
        db: DbTarget,
        sql: RStr<'_>,
        params: RVec<Value>,
    ) -> RResult<u64, PluginError>,
    /// Start a streaming query; returns a handle for `db_stream_next`.
    pub db_stream_open: extern "C" fn(
        db: DbTarget,
        sql: RStr<'_>,
        params: RVec<Value>,
    ) -> RResult<u64, PluginError>,
    /// The next batch of at most `max_rows` rows; an empty batch means the end.
    pub db_stream_next: extern "C" fn(handle: u64, max_rows: u32) -> RResult<Rows, PluginError>,
    /// Close a stream early (closing a finished stream is harmless).
    pub db_stream_close: extern "C" fn(handle: u64),
    /// Begin a transaction: until commit/rollback every call on `db` uses one pinned connection.
    pub db_begin: extern "C" fn(db: DbTarget) -> RResult<(), PluginError>,
    /// Commit the open transaction.
    pub db_commit: extern "C" fn(db: DbTarget) -> RResult<(), PluginError>,
    /// Roll back the open transaction.
    pub db_rollback: extern "C" fn(db: DbTarget) -> RResult<(), PluginError>,
    /// Take a named advisory lock, waiting up to `timeout_ms`; held until `db_unlock` or exit.
    pub db_lock:
        extern "C" fn(db: DbTarget, name: RStr<'_>, timeout_ms: u64) -> RResult<(), PluginError>,
    /// Release a named advisory lock.
    pub db_unlock: extern "C" fn(db: DbTarget, name: RStr<'_>) -> RResult<(), PluginError>,
    /// A new id for `table`: from `<table>_seq` when that sequence exists, else `None` (let the
    /// database assign it).
    #[sabi(last_prefix_field)]
    pub db_next_id:
        extern "C" fn(db: DbTarget, table: RStr<'_>) -> RResult<ROption<i64>, PluginError>,
}

/// What the host hands to a plugin's `run`.
#[repr(C)]
#[derive(StableAbi, Copy, Clone)]
pub struct HostCtx {
    /// How many host functions the vtable has (grows when functions are appended).
    pub host_abi: u32,
    /// The host functions. Opaque to the load-time layout check so the host can append functions
    /// without rejecting plugins built against fewer.
    #[sabi(unsafe_opaque_field)]
    pub vtable: HostVtableRef,
}

/// The number of host functions this version of the API defines.
pub const HOST_ABI: u32 = 22;

/// The root module every plugin exports: the one contract between host and plugin.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// Describe the plugin. May fail (the host then lists the plugin as rejected).
    pub manifest: extern "C" fn() -> RResult<Manifest, PluginError>,
    /// Run a command: `argv[0]` is the program name (`mfactl <noun>`), then the words after the
    /// noun. Returns the exit status.
    #[sabi(last_prefix_field)]
    pub run: extern "C" fn(argv: RVec<RString>, host: HostCtx) -> RResult<i32, PluginError>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "mfactl_plugin";
    const NAME: &'static str = "mfactl_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
