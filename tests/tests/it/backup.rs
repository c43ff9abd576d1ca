//! Integration tests: backup.
