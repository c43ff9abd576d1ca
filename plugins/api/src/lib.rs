//! The `api` plugin (work in progress).
