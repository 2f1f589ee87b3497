//! `verify`: decode every record and value of a dump and check its CRC-64.

use std::collections::BTreeMap;

use crate::escape::escape;
use crate::input::Feed;
use crate::memory::TargetChoice;
use crate::rdb::{self, Checksum, Family, Scratch};
use crate::scan::Scanner;

/// What `verify` found in one file.
#[derive(Clone, Debug, Default)]
pub struct Verified {
    pub rdb_version: Option<u32>,
    pub family: Option<Family>,
    /// AUX fields in file order (escaped).
    pub aux: Vec<(String, String)>,
    /// Number of key records.
    pub keys: u64,
    /// Keys with an expiry.
    pub expires: u64,
    /// Key records per type name (module values by module type name).
    pub by_type: BTreeMap<String, u64>,
    /// Databases seen, with their key counts.
    pub dbs: BTreeMap<u64, u64>,
    pub functions: u64,
    pub module_aux: u64,
    pub checksum: Option<Checksum>,
    /// Bytes after the RDB's checksum (e.g. an AOF tail), and their kind.
    pub trailing_bytes: u64,
    pub trailing_kind: &'static str,
    /// The stream went on after `trailing_bytes`; the rest was not read.
    pub trailing_unread: bool,
    pub warnings: Vec<String>,
    pub error: Option<rdb::Error>,
    /// Where the stored checksum that did not match starts (a mismatch is
    /// the checksum status, not `error`).
    pub checksum_offset: Option<u64>,
    /// How far decoding got (the end of the last complete record).
    pub decoded_bytes: u64,
}

impl Verified {
    /// True when the file decoded completely and its checksum is not a mismatch.
    pub fn is_valid(&self) -> bool {
        self.error.is_none() && !matches!(self.checksum, Some(Checksum::Mismatch { .. }) | None)
    }

    pub fn aux_value(&self, key: &str) -> Option<&str> {
        self.aux
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The producing server and its version, from AUX `valkey-ver` / `redis-ver`.
    pub fn producer(&self) -> Option<(&'static str, &str)> {
        if let Some(v) = self.aux_value("valkey-ver") {
            return Some(("valkey", v));
        }
        self.aux_value("redis-ver").map(|v| ("redis", v))
    }
}

/// Decodes all of `data` (an RDB stream starting at its magic).
pub fn verify<'a>(data: impl Into<Feed<'a>>) -> Verified {
    verify_with_progress(data, &|_| {})
}

/// [`verify`], telling `progress` the offset reached now and then.
pub fn verify_with_progress<'a>(data: impl Into<Feed<'a>>, progress: &dyn Fn(u64)) -> Verified {
    let mut out = Verified::default();
    let data = data.into();
    // What was decoded is never read again: a source kept in memory frees it.
    let progress = &|pos| {
        progress(pos);
        data.release(pos);
    };
    let facts = match Scanner::from_feed(data, &TargetChoice::default()) {
        Ok(mut s) => {
            if let Err(e) = run(&mut s, &mut out, progress) {
                out.error = Some(e);
            }
            Some(s.finish())
        }
        Err(e) => {
            out.error = Some(e);
            None
        }
    };
    if let Some(f) = facts {
        // A mismatch is reported as the checksum status, not as a decoding error.
        if let Some(e) = out
            .error
            .take_if(|e| matches!(e.kind, rdb::ErrorKind::ChecksumMismatch { .. }))
        {
            out.checksum_offset = Some(e.offset);
        }
        out.rdb_version = Some(f.rdb_version);
        out.family = f.family;
        out.aux = f
            .aux
            .iter()
            .map(|(k, v)| (escape(k).into_owned(), escape(v).into_owned()))
            .collect();
        out.keys = f.key_records;
        out.functions = f.functions;
        out.module_aux = f.module_aux;
        out.checksum = f.checksum;
        out.trailing_bytes = f.trailing_bytes;
        out.trailing_kind = f.trailing_kind;
        out.trailing_unread = f.trailing_unread;
        out.warnings = f.warnings;
        if f.more_warnings > 0 {
            out.warnings
                .push(format!("{} more warnings", f.more_warnings));
        }
        out.decoded_bytes = f.decoded_bytes;
    }
    out
}

fn run(s: &mut Scanner<'_>, out: &mut Verified, progress: &dyn Fn(u64)) -> rdb::Result<()> {
    let mut scratch = Scratch::default();
    let mut key = Vec::new();
    while let Some(k) = s.next_key()? {
        if s.facts().key_records & 4095 == 0 {
            // Up to this key: it is decoded below.
            progress(k.offset);
        }
        k.key
            .bytes(&mut key)
            .map_err(|e| e.with_context(k.db, None))?;
        out.expires += k.expire_at_ms.is_some() as u64;
        *out.dbs.entry(k.db).or_default() += 1;
        let mut module = ModuleType::default();
        k.decode(s.templates(), &mut scratch, &mut module)?;
        let type_name: std::borrow::Cow<'_, str> = match module.0 {
            Some(id) => id.name_str().into(),
            None => k.value_type.as_str().into(),
        };
        match out.by_type.get_mut(type_name.as_ref()) {
            Some(n) => *n += 1,
            None => {
                out.by_type.insert(type_name.into_owned(), 1);
            }
        }
    }
    Ok(())
}

/// Catches the module type name, which only decoding reveals.
#[derive(Default)]
struct ModuleType(Option<rdb::module::ModuleId>);

impl rdb::ValueVisitor for ModuleType {
    fn module(&mut self, value: &rdb::ModuleValue) {
        self.0 = Some(value.id);
    }
}
