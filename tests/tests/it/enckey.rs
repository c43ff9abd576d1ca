//! Integration tests: enckey.
