//! The `audit` plugin (work in progress).
