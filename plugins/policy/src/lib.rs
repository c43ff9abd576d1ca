//! The `policy` plugin (work in progress).
