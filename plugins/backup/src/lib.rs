//! The `backup` plugin (work in progress).
