//! Integration tests: challenge.
