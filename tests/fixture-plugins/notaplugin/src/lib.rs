//! A valid shared library that is not an mfactl plugin (no root module).

/// An exported function, so the library is not empty.
#[no_mangle]
pub extern "C" fn not_a_plugin() -> i32 {
    42
}
