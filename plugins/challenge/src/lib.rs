//! The `challenge` plugin (work in progress).
