//! The `setup` plugin (work in progress).
