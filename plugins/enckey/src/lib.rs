//! The `enckey` plugin, and the key and value-cipher library other plugins use.
pub mod cipher;
pub mod fsutil;
pub mod key;
pub mod shamir;
pub mod wrap;
pub use key::{fingerprint, EncKey, Slot, KEY_LEN};
