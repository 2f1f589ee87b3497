//! What a scan learns about a file besides its keys: header, AUX fields,
//! the target it chose, record counts and the checksum.

use crate::memory::ResolvedTarget;
use crate::rdb::{Checksum, Family};

/// Distinct warnings kept per file.
pub const MAX_WARNINGS: usize = 100;

/// Facts about one scanned file.
#[derive(Clone, Debug, Default)]
pub struct FileFacts {
    /// RDB format version from the magic (`REDIS0011` → 11, `VALKEY080` → 80).
    pub rdb_version: u32,
    /// From the magic, or Valkey once an AUX `valkey-ver` is seen.
    pub family: Option<Family>,
    /// AUX fields in file order, as stored (raw bytes).
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// AUX `ctime`, ms since the epoch.
    pub ctime_ms: Option<i64>,
    /// AUX `used-mem`, bytes.
    pub used_mem: Option<u64>,
    /// AUX `aof-base` = 1: the RDB preamble of an AOF.
    pub aof_base: bool,
    /// The target the estimates are for (resolved at the first key, from the
    /// AUX fields seen before it).
    pub target: Option<ResolvedTarget>,
    /// Key records in the file (before any filter).
    pub key_records: u64,
    /// Databases that hold keys, in file order.
    pub dbs: Vec<u64>,
    pub functions: u64,
    pub module_aux: u64,
    pub hash_templates: u64,
    /// `None` until the EOF opcode was read.
    /// The CRC-64 stored at the end (`None`: absent or zero).
    pub stored_checksum: Option<u64>,
    pub checksum: Option<Checksum>,
    /// Bytes after the RDB's checksum, and what they look like: `aof` (an
    /// AOF tail: RESP commands), `eof-mark` (the 40-byte end mark of a
    /// diskless replication transfer, as `redis-cli --rdb -` saves it) or
    /// `unknown` (a warning says so).
    pub trailing_bytes: u64,
    pub trailing_kind: &'static str,
    /// A stream went on after `trailing_bytes`; the rest was not read.
    pub trailing_unread: bool,
    pub warnings: Vec<String>,
    /// Warnings past the first [`MAX_WARNINGS`], counted only.
    pub more_warnings: u64,
    /// How far decoding got: every record before this offset was accepted.
    pub decoded_bytes: u64,
}

/// The inputs of one run, by (stored checksum, bytes decoded), to name a
/// dump given twice (its keys would be counted or written twice).
#[derive(Debug, Default)]
pub struct Copies(std::collections::HashMap<(u64, u64), String>);

impl Copies {
    /// Records input `name`; the name of an earlier input that is the same
    /// dump, if any.
    pub fn of(&mut self, facts: &FileFacts, name: &str) -> Option<String> {
        self.seen(facts.identity()?, name)
    }

    /// Records input `name` by its [`FileFacts::identity`]; the name of an
    /// earlier input with the same one, if any.
    pub fn seen(&mut self, id: (u64, u64), name: &str) -> Option<String> {
        match self.0.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => Some(e.get().clone()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(name.to_string());
                None
            }
        }
    }
}

/// What `report` says of a dump given twice.
pub fn copy_warning(other: &str) -> String {
    format!("the same dump as {other} (same size and checksum): its keys are counted twice")
}

/// Whether a file's warning is a [`copy_warning`].
pub fn is_copy_warning(w: &str) -> bool {
    w.starts_with("the same dump as ")
        && w.ends_with(" (same size and checksum): its keys are counted twice")
}

impl FileFacts {
    /// What tells two dumps apart: the stored checksum and the bytes
    /// decoded (`None` without a checksum).
    pub fn identity(&self) -> Option<(u64, u64)> {
        Some((self.stored_checksum?, self.decoded_bytes))
    }

    /// The last value of AUX field `key`, escaped (the one rule: an
    /// invalid byte shows as `\xHH`, not as U+FFFD).
    pub fn aux_value(&self, key: &str) -> Option<String> {
        self.aux
            .iter()
            .rev()
            .find(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| crate::escape::escape(v).into_owned())
    }

    /// The server that wrote the file and its version (AUX `valkey-ver`,
    /// else `redis-ver`).
    pub fn producer(&self) -> Option<(&'static str, String)> {
        if let Some(v) = self.aux_value("valkey-ver") {
            return Some(("valkey", v));
        }
        self.aux_value("redis-ver").map(|v| ("redis", v))
    }

    /// AUX `ctime` in seconds.
    pub fn ctime_s(&self) -> Option<i64> {
        self.ctime_ms.map(|c| c.div_euclid(1000))
    }

    pub fn family_str(&self) -> &'static str {
        self.family.map(Family::as_str).unwrap_or("redis")
    }

    /// Records a warning once; past [`MAX_WARNINGS`] only counts them.
    /// Adds the facts of the walk that went on where this one stopped, as
    /// one walk would have them (a file scanned in byte ranges).
    pub(crate) fn then(&mut self, later: FileFacts) {
        self.key_records += later.key_records;
        // A set: a file may hold keys in millions of databases.
        let seen: foldhash::HashSet<u64> = self.dbs.iter().copied().collect();
        self.dbs
            .extend(later.dbs.into_iter().filter(|db| !seen.contains(db)));
        self.functions += later.functions;
        self.module_aux += later.module_aux;
        self.hash_templates += later.hash_templates;
        self.aux.extend(later.aux);
        for w in later.warnings {
            self.warn_once(w);
        }
        self.more_warnings += later.more_warnings;
        // What the walk learns at the end: the later walk's.
        self.stored_checksum = later.stored_checksum;
        self.checksum = later.checksum;
        self.trailing_bytes = later.trailing_bytes;
        self.trailing_kind = later.trailing_kind;
        self.trailing_unread = later.trailing_unread;
        self.decoded_bytes = later.decoded_bytes;
        if later.used_mem.is_some() {
            self.used_mem = later.used_mem;
        }
    }

    pub(crate) fn warn_once(&mut self, msg: String) {
        if self.warnings.len() >= MAX_WARNINGS {
            self.more_warnings += 1;
        } else if !self.warnings.contains(&msg) {
            self.warnings.push(msg);
        }
    }
}
