//! The plugin-side error type and its conversion to [`PluginError`].

use crate::ffi::{ErrorKind, PluginError};
use abi_stable::std_types::{ROption, RString};
use std::fmt;

/// An error returned by plugin code; the host prints it as `error:` / `caused by:` / `hint:`.
#[derive(Debug, Clone)]
pub struct Error {
    /// Classification (decides the exit code).
    pub kind: ErrorKind,
    /// One line, without the `error:` prefix.
    pub message: String,
    /// Underlying causes, outermost first.
    pub causes: Vec<String>,
    /// What to do about it.
    pub hint: Option<String>,
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of the given kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            causes: Vec::new(),
            hint: None,
        }
    }
    /// The command could not do what was asked (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failed, message)
    }
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }
    /// A configuration error (exit 2).
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    /// An unexpected error (exit 2).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Adds a cause line.
    pub fn with_cause(mut self, cause: impl fmt::Display) -> Self {
        self.causes.push(cause.to_string());
        self
    }
    /// Adds every cause of a std error chain.
    pub fn with_source(mut self, err: &(dyn std::error::Error + 'static)) -> Self {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(e) = cur {
            self.causes.push(e.to_string());
            cur = e.source();
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for c in &self.causes {
            write!(f, ": {c}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<Error> for PluginError {
    fn from(e: Error) -> Self {
        PluginError {
            kind: e.kind,
            message: e.message.into(),
            causes: e.causes.into_iter().map(RString::from).collect(),
            hint: e.hint.map(RString::from).into(),
        }
    }
}

impl From<PluginError> for Error {
    fn from(e: PluginError) -> Self {
        Error {
            kind: e.kind,
            message: e.message.into_string(),
            causes: e.causes.into_iter().map(|c| c.into_string()).collect(),
            hint: match e.hint {
                ROption::RSome(h) => Some(h.into_string()),
                ROption::RNone => None,
            },
        }
    }
}

/// Attach context to any error: `fs::read(p).context(ErrorKind::Failed, "cannot read key file")`.
pub trait ResultExt<T> {
    /// Wraps the error as a cause of a new [`Error`] with `message`.
    fn context(self, kind: ErrorKind, message: impl Into<String>) -> Result<T>;
    /// Like [`ResultExt::context`] with a lazily built message.
    fn with_context<F: FnOnce() -> String>(self, kind: ErrorKind, f: F) -> Result<T>;
}

impl<T, E: std::error::Error + 'static> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, kind: ErrorKind, message: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::new(kind, message).with_source(&e))
    }
    fn with_context<F: FnOnce() -> String>(self, kind: ErrorKind, f: F) -> Result<T> {
        self.map_err(|e| Error::new(kind, f()).with_source(&e))
    }
}
