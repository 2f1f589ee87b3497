//! The decoder's one error type.
//!
//! Every error carries the absolute byte offset in the decoded RDB stream where
//! decoding stopped, what was expected there, and — filled in by the parser when
//! known — the db and key of the record being read.

use std::fmt;

/// What went wrong, without the position.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended early: `need` bytes were required, `left` remained.
    Truncated { need: u64, left: u64 },
    /// The file does not start with `REDISnnnn` / `VALKEYnnn`.
    BadMagic,
    /// Fewer than the 9 header bytes.
    ShortHeader,
    /// A length whose first byte is `0x82..=0xBF` (reserved in `rdbLoadLenByRef`).
    BadLength(u8),
    /// A string whose first byte uses an unknown special encoding (`0xC4..`).
    BadStringEncoding(u8),
    /// An encoded (INT/LZF) string where a length was expected.
    UnexpectedEncodedLength,
    /// A value type byte this decoder does not know (for the file's family).
    UnknownType(u8),
    /// LZF data that does not decompress to its declared length.
    BadLzf(&'static str),
    /// A structural problem inside a value (blob header, count, marker...).
    Corrupt { what: &'static str, why: String },
    /// A count of items that each take at least some bytes, more than the
    /// bytes left can hold: `need` bytes are needed, `left` remain.
    Count {
        what: &'static str,
        count: u64,
        need: u64,
        left: u64,
    },
    /// A known construct that cannot be decoded (e.g. pre-GA module values).
    Unsupported(&'static str),
    /// The stored CRC-64 differs from the computed one.
    ChecksumMismatch { stored: u64, computed: u64 },
    /// The input stream itself failed there (a read or decompression
    /// error): the dump's bytes stop at this offset.
    Input(String),
}

impl ErrorKind {
    /// The bytes the input ended short of: what a stream still arriving
    /// may yet bring (`None`: more bytes would not help).
    pub fn needs(&self) -> Option<u64> {
        match self {
            ErrorKind::Truncated { need, .. } | ErrorKind::Count { need, .. } => Some(*need),
            _ => None,
        }
    }
}

/// A decoding error at an absolute byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Absolute offset in the (decompressed) RDB stream.
    pub offset: u64,
    pub kind: ErrorKind,
    /// Database of the record being decoded, when known.
    pub db: Option<u64>,
    /// Key of the record being decoded (escaped text), when known.
    pub key: Option<String>,
    /// For errors inside an LZF-compressed blob: the position within the
    /// decompressed blob (`offset` is then where the compressed data starts).
    pub blob_offset: Option<u64>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(offset: u64, kind: ErrorKind) -> Error {
        Error {
            offset,
            kind,
            db: None,
            key: None,
            blob_offset: None,
        }
    }

    pub(crate) fn corrupt(offset: u64, what: &'static str, why: impl Into<String>) -> Error {
        Error::new(
            offset,
            ErrorKind::Corrupt {
                what,
                why: why.into(),
            },
        )
    }

    /// The message without offset/db/key, e.g. `need 10 bytes, 3 left`.
    pub fn message(&self) -> String {
        match &self.kind {
            ErrorKind::Truncated { need, left } => {
                let s = if *need == 1 { "" } else { "s" };
                format!("unexpected end of data: need {need} byte{s}, {left} left")
            }
            ErrorKind::BadMagic => "not an RDB file: expected REDISnnnn or VALKEYnnn".into(),
            ErrorKind::ShortHeader => "shorter than the 9-byte header".into(),
            ErrorKind::BadLength(b) => format!("invalid length encoding byte 0x{b:02x}"),
            ErrorKind::BadStringEncoding(b) => format!("invalid string encoding byte 0x{b:02x}"),
            ErrorKind::UnexpectedEncodedLength => {
                "expected a length, found an encoded string".into()
            }
            ErrorKind::UnknownType(t) => format!("unknown value type {t}"),
            ErrorKind::BadLzf(why) => format!("bad LZF string: {why}"),
            ErrorKind::Corrupt { what, why } => format!("bad {what}: {why}"),
            ErrorKind::Count {
                what,
                count,
                need,
                left,
            } => format!(
                "bad {what}: count {count} needs at least {need} bytes, {left} left (a wrong \
                 count, or the input is cut short)"
            ),
            ErrorKind::Unsupported(what) => format!("unsupported: {what}"),
            ErrorKind::ChecksumMismatch { stored, computed } => {
                format!(
                    "checksum mismatch: stored {stored:016x}, computed {computed:016x} (every \
                     record decoded, so bytes inside some value changed after the dump was \
                     written; its numbers cannot be trusted)"
                )
            }
            ErrorKind::Input(why) => format!("the input stopped: {why}"),
        }
    }

    /// Re-anchors an error found while walking a decompressed blob (whose
    /// cursor started at 0) to the file offset of the compressed data.
    pub(crate) fn inside_lzf(mut self, lzf_at: u64) -> Error {
        if self.blob_offset.is_none() {
            self.blob_offset = Some(self.offset);
            self.offset = lzf_at;
        }
        self
    }

    pub fn with_context(mut self, db: u64, key: Option<String>) -> Error {
        self.db.get_or_insert(db);
        if self.key.is_none() {
            self.key = key;
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}", self.offset)?;
        if let Some(b) = self.blob_offset {
            write!(f, " (byte {b} of its LZF-decompressed blob)")?;
        }
        write!(f, ": {}", self.message())?;
        match (&self.db, &self.key) {
            // Keys come from the file: terminal-safe, line breaks included.
            (Some(db), Some(key)) => {
                write!(f, " (db {db}, key \"{}\")", crate::escape::terminal(key))
            }
            (Some(db), None) => write!(f, " (db {db})"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Error {}
