//! The library's one error type: decoding, I/O, or invalid input from the
//! user (arguments, rules, baselines), optionally about a named file.

use std::{fmt, io};

use crate::rdb;

#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A dump could not be decoded, or its stored checksum did not match.
    Decode(rdb::Error),
    /// Reading an input or writing an output failed.
    Io(io::Error),
    /// Invalid arguments, rules, a baseline, a configuration value.
    Invalid(String),
    /// One of the above, about the named input.
    File { name: String, source: Box<Error> },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }

    /// The same error, about input `name`.
    pub fn in_file(self, name: &str) -> Error {
        match self {
            Error::File { .. } => self,
            e => Error::File {
                name: name.to_string(),
                source: Box::new(e),
            },
        }
    }

    /// The decoding error inside, if that is what this is.
    pub fn decode_error(&self) -> Option<&rdb::Error> {
        match self {
            Error::Decode(e) => Some(e),
            Error::File { source, .. } => source.decode_error(),
            _ => None,
        }
    }

    /// The I/O error inside, if that is what this is.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Io(e) => Some(e),
            Error::File { source, .. } => source.io_error(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "error {e}"),
            Error::Io(e) => write!(f, "{e}"),
            Error::Invalid(m) => f.write_str(m),
            Error::File { name, source } => {
                write!(f, "{}: {source}", crate::escape::terminal(name))
            }
        }
    }
}

/// The message already says everything (no `source()`), so a chain printer
/// does not repeat the I/O error; [`Error::io_error`] reaches it.
impl std::error::Error for Error {}

impl From<rdb::Error> for Error {
    fn from(e: rdb::Error) -> Self {
        Error::Decode(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(e: parquet::errors::ParquetError) -> Error {
        match e {
            parquet::errors::ParquetError::External(x) => match x.downcast::<io::Error>() {
                Ok(io) => Error::Io(*io),
                Err(x) => Error::Io(io::Error::other(x)),
            },
            e => Error::Io(io::Error::other(e)),
        }
    }
}
