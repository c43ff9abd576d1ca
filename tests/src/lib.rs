//! Test support library.
