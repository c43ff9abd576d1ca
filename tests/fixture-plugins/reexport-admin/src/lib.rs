//! The built-in `admin` plugin re-exported as an external cdylib: proof that a built-in uses
//! nothing an external plugin cannot. Tests load it with `override_builtin = true` and compare
//! its transcripts with the built-in's.
mfactl_plugin_api::export_plugin!(mfactl_admin::AdminPlugin);
