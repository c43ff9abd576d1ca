//! The [`Plugin`] trait, the panic guard and the glue the export macros expand to.

use crate::error::{Error, Result};
use crate::ffi::{
    AliasInfo, CommandInfo, ErrorKind, HostCtx, Manifest, PluginError, PluginMod, PluginModRef,
};
use crate::host::Host;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::{RResult, RString, RVec};

/// A verb as declared in [`PluginInfo::commands`].
#[derive(Debug, Clone)]
pub struct Command {
    /// The verb (kebab-case).
    pub name: &'static str,
    /// One line of help.
    pub about: &'static str,
}

/// A hidden compatibility path: `path` (words as typed) stands for `verb` of this noun, or for the
/// noun itself when `verb` is empty.
#[derive(Debug, Clone)]
pub struct Alias {
    /// Words as typed, space separated.
    pub path: &'static str,
    /// The verb it stands for ("" = the noun).
    pub verb: &'static str,
}

/// The static description of a plugin.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    /// The noun the plugin owns.
    pub noun: &'static str,
    /// The plugin's version (usually `env!("CARGO_PKG_VERSION")`).
    pub version: &'static str,
    /// One line about the noun.
    pub about: &'static str,
    /// Its verbs.
    pub commands: &'static [Command],
    /// Its hidden aliases.
    pub aliases: &'static [Alias],
}

/// What a plugin implements. The export macros turn an implementation into the FFI root module.
pub trait Plugin {
    /// The plugin's manifest.
    const INFO: PluginInfo;
    /// Runs a command. `argv[0]` is `mfactl <noun>`, followed by the words after the noun.
    /// Returns the exit status (0 success, 1 failure, 3 "changes planned").
    fn run(argv: Vec<String>, host: &Host) -> Result<i32>;
}

/// Runs `f`, turning a panic into an `Internal` error `plugin <noun> panicked: <message>`.
pub fn guard<T>(noun: &str, f: impl FnOnce() -> Result<T>) -> RResult<T, PluginError> {
    // Silence the default hook while the plugin runs: the host reports the panic as an error,
    // and a `thread panicked at` line on every invocation would be noise.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    match outcome {
        Ok(Ok(v)) => RResult::ROk(v),
        Ok(Err(e)) => RResult::RErr(e.into()),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_string());
            RResult::RErr(
                Error::new(
                    ErrorKind::Internal,
                    format!("plugin {noun} panicked: {msg}"),
                )
                .with_hint("this is a bug in the plugin; report it to its author")
                .into(),
            )
        }
    }
}

/// Builds the FFI manifest of `P`. Used by the export macros.
pub fn manifest_of<P: Plugin>() -> RResult<Manifest, PluginError> {
    guard(P::INFO.noun, || {
        let info = P::INFO;
        Ok(Manifest {
            noun: info.noun.into(),
            version: info.version.into(),
            about: info.about.into(),
            commands: info
                .commands
                .iter()
                .map(|c| CommandInfo {
                    name: c.name.into(),
                    about: c.about.into(),
                })
                .collect(),
            aliases: info
                .aliases
                .iter()
                .map(|a| AliasInfo {
                    path: a.path.into(),
                    verb: a.verb.into(),
                })
                .collect(),
            abi_version: crate::ABI_VERSION.into(),
        })
    })
}

/// Runs `P` behind the panic guard. Used by the export macros.
pub fn run_of<P: Plugin>(argv: RVec<RString>, ctx: HostCtx) -> RResult<i32, PluginError> {
    guard(P::INFO.noun, || {
        let host = Host::new(ctx, P::INFO.noun);
        let argv: Vec<String> = argv.into_iter().map(|s| s.into_string()).collect();
        P::run(argv, &host)
    })
}

/// Builds the root module from the two entry points. Used by the export macros.
pub fn root_module(
    manifest: extern "C" fn() -> RResult<Manifest, PluginError>,
    run: extern "C" fn(RVec<RString>, HostCtx) -> RResult<i32, PluginError>,
) -> PluginModRef {
    PluginMod { manifest, run }.leak_into_prefix()
}

/// A built-in plugin registered through `inventory` by [`crate::declare_plugin!`].
pub struct BuiltinPlugin {
    /// Returns the plugin's root module.
    pub module: fn() -> PluginModRef,
}

inventory::collect!(BuiltinPlugin);

/// Every built-in registered in this binary.
pub fn builtins() -> impl Iterator<Item = &'static BuiltinPlugin> {
    inventory::iter::<BuiltinPlugin>.into_iter()
}

/// Registers a [`Plugin`] as a built-in of the host binary (through `inventory`).
///
/// Also defines `pub fn link_anchor()`, which the host calls so the linker keeps the crate.
#[macro_export]
macro_rules! declare_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub mod __mfactl_builtin {
            use super::*;
            extern "C" fn manifest(
            ) -> $crate::abi_stable::std_types::RResult<$crate::Manifest, $crate::PluginError> {
                $crate::plugin::manifest_of::<$plugin>()
            }
            extern "C" fn run(
                argv: $crate::abi_stable::std_types::RVec<$crate::abi_stable::std_types::RString>,
                host: $crate::HostCtx,
            ) -> $crate::abi_stable::std_types::RResult<i32, $crate::PluginError> {
                $crate::plugin::run_of::<$plugin>(argv, host)
            }
            pub fn module() -> $crate::PluginModRef {
                $crate::plugin::root_module(manifest, run)
            }
            $crate::inventory::submit! { $crate::plugin::BuiltinPlugin { module } }
        }
        /// Keeps this built-in linked into the host binary; returns its root module.
        pub fn link_anchor() -> $crate::PluginModRef {
            __mfactl_builtin::module()
        }
    };
}

/// Exports a [`Plugin`] from a `cdylib` as an external mfactl plugin.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub mod __mfactl_export {
            use super::*;
            extern "C" fn manifest(
            ) -> $crate::abi_stable::std_types::RResult<$crate::Manifest, $crate::PluginError> {
                $crate::plugin::manifest_of::<$plugin>()
            }
            extern "C" fn run(
                argv: $crate::abi_stable::std_types::RVec<$crate::abi_stable::std_types::RString>,
                host: $crate::HostCtx,
            ) -> $crate::abi_stable::std_types::RResult<i32, $crate::PluginError> {
                $crate::plugin::run_of::<$plugin>(argv, host)
            }
            $crate::export_entry_points!(manifest, run);
        }
    };
}

/// Exports a root module made of two hand-written entry points (`manifest`, `run`). Most plugins
/// want [`export_plugin!`]; this is for plugins that build their manifest at run time. The
/// functions must not unwind: wrap their bodies in [`guard`].
#[macro_export]
macro_rules! export_entry_points {
    ($manifest:path, $run:path) => {
        /// The plugin's root module.
        pub fn get_library() -> $crate::PluginModRef {
            $crate::plugin::root_module($manifest, $run)
        }
        // What `#[abi_stable::export_root_module]` expands to, spelled with `$crate` paths so
        // plugin crates need no direct dependency on abi_stable.
        #[no_mangle]
        #[allow(non_upper_case_globals)]
        pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::abi_stable::library::LibHeader = {
            pub extern "C" fn erased_module() -> $crate::abi_stable::library::RootModuleResult {
                $crate::abi_stable::library::__call_root_module_loader(get_library)
            }
            unsafe {
                $crate::abi_stable::library::LibHeader::from_constructor::<$crate::PluginModRef>(
                    erased_module,
                    $crate::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}
