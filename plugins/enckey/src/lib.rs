//! The `enckey` plugin (work in progress).
