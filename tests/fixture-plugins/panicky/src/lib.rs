//! A plugin whose constructor (manifest) panics: the host must list it as rejected and keep
//! every other command working.
use mfactl_plugin_api::abi_stable::std_types::{RResult, RString, RVec};
use mfactl_plugin_api::{plugin::guard, HostCtx, Manifest, PluginError};

fn build_manifest() -> mfactl_plugin_api::Result<Manifest> {
    let parts: Vec<&str> = Vec::new();
    // Index out of bounds on purpose: a constructor bug.
    let noun = parts[std::hint::black_box(3)];
    Err(mfactl_plugin_api::Error::internal(noun.to_string()))
}

extern "C" fn manifest() -> RResult<Manifest, PluginError> {
    guard("panicky", build_manifest)
}

extern "C" fn run(_argv: RVec<RString>, _host: HostCtx) -> RResult<i32, PluginError> {
    guard("panicky", || Ok(0))
}

mfactl_plugin_api::export_entry_points!(manifest, run);
