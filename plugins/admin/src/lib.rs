//! The `admin` plugin (work in progress).
