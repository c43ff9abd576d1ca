//! # mfactl-plugin-api: the one contract between `mfactl` and its plugins
//!
//! Every `mfactl <noun> <verb>` command, built-in or external, is a plugin written against this
//! crate. A plugin implements [`Plugin`] (a static [`PluginInfo`] manifest and a `run` function
//! that receives its argv and a [`Host`]), and exports it with [`export_plugin!`] from a `cdylib`
//! (external plugins) or registers it with [`declare_plugin!`] (built-ins linked into the host).
//! Both produce the same `abi_stable` root module ([`PluginModRef`]); the host loads external
//! files with `lib_header_from_path` and checks their layout and ABI version before use.
//!
//! ## A complete external plugin
//!
//! `Cargo.toml`:
//! ```toml
//! [package]
//! name = "mfactl-hello"
//! version = "0.1.0"
//! edition = "2021"
//!
//! [lib]
//! crate-type = ["cdylib", "rlib"]
//!
//! [dependencies]
//! mfactl-plugin-api = "=1.0.0"
//! clap = { version = "4", features = ["derive"] }
//! ```
//!
//! `src/lib.rs`:
//! ```
//! use clap::{Parser, Subcommand};
//! use mfactl_plugin_api::{
//!     args::{parse_args, FormatArg, OutputFormat, Parsed},
//!     Alias, Command, DbTarget, Error, Host, Plugin, PluginInfo, Result,
//! };
//!
//! pub struct Hello;
//!
//! #[derive(Parser)]
//! #[command(name = "mfactl hello", about = "Say hello")]
//! struct Cli {
//!     #[command(subcommand)]
//!     verb: Verb,
//! }
//!
//! #[derive(Subcommand)]
//! enum Verb {
//!     /// Greet someone
//!     Greet {
//!         /// Who to greet
//!         name: String,
//!         #[command(flatten)]
//!         format: FormatArg,
//!     },
//!     /// Count the admins in the database
//!     CountAdmins,
//! }
//!
//! impl Plugin for Hello {
//!     const INFO: PluginInfo = PluginInfo {
//!         noun: "hello",
//!         version: "0.1.0",
//!         about: "Say hello",
//!         commands: &[
//!             Command { name: "greet", about: "Greet someone" },
//!             Command { name: "count-admins", about: "Count the admins in the database" },
//!         ],
//!         aliases: &[Alias { path: "hi", verb: "greet" }],
//!     };
//!
//!     fn run(argv: Vec<String>, host: &Host) -> Result<i32> {
//!         let cli = match parse_args::<Cli>(host, &argv)? {
//!             Parsed::Run(cli) => cli,
//!             Parsed::Exit(code) => return Ok(code),
//!         };
//!         match cli.verb {
//!             Verb::Greet { name, format } => {
//!                 if name.is_empty() {
//!                     return Err(Error::usage("the name is empty").with_hint("give a name"));
//!                 }
//!                 match format.get(host) {
//!                     OutputFormat::Json => host.outln(&format!("{{\"greeting\":\"hello {name}\"}}")),
//!                     OutputFormat::Text => host.outln(&format!("hello {name}")),
//!                 }
//!             }
//!             Verb::CountAdmins => {
//!                 let rows = host.query(DbTarget::Main, "SELECT COUNT(*) FROM admin", vec![])?;
//!                 let n = rows.scalar().and_then(|v| v.as_i64()).unwrap_or(0);
//!                 host.outln(&format!("{n} admins"));
//!             }
//!         }
//!         Ok(0)
//!     }
//! }
//!
//! mfactl_plugin_api::export_plugin!(Hello);
//! # fn main() {}
//! ```
//!
//! Build it with `cargo build --release` and copy `target/release/libmfactl_hello.so` into a
//! plugin directory as `hello.so` (owned by root or you, not group/world-writable).
//!
//! ## Rules for plugin authors
//! - Write output only through [`Host::out`] / [`Host::outln`] and messages through
//!   [`Host::warn`] / [`Host::info`]; the host handles `-q`, `-v` and colour.
//! - SQL text is dialect-specific: use [`Dialect::placeholder`] (`$1` on PostgreSQL, `?`
//!   elsewhere). Timestamps are naive; SQLite stores them as `YYYY-MM-DD HH:MM:SS.ffffff` text.
//! - New row ids come from [`Host::next_id`]; large reads go through [`Host::stream`].
//! - Panics are caught by the export glue and reported as `plugin <noun> panicked`; still, return
//!   [`Error`]s instead.
//! - Plugins are never unloaded; the API is synchronous.
//!
//! ## Versioning
//! This crate's version is the ABI version. The host refuses a plugin built against another
//! major version. [`HostVtable`] only grows by appending functions; [`HostCtx::host_abi`] says how
//! many the running host provides.

pub mod args;
pub mod error;
pub mod ffi;
pub mod host;
pub mod plugin;
pub mod values;

#[doc(hidden)]
pub use abi_stable;
#[doc(hidden)]
pub use inventory;

pub use error::{Error, Result, ResultExt};
pub use ffi::{
    AliasInfo, CommandInfo, DbInfo, DbTarget, Dialect, ErrorKind, Globals, HostCtx, HostVtable,
    HostVtableRef, Level, Manifest, PluginError, PluginMod, PluginModRef, Rows, Timestamp, Value,
    HOST_ABI,
};
pub use host::{zeroize_lite::SecretString, ConfigValue, Host, Progress};
pub use plugin::{Alias, Command, Plugin, PluginInfo};

/// The ABI version: this crate's version, recorded in every plugin's manifest.
pub const ABI_VERSION: &str = env!("CARGO_PKG_VERSION");
