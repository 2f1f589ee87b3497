//! One key as every consumer sees it: [`KeyFacts`], made from a key record
//! by [`KeyReader`] (filter, decode, estimate).

use crate::memory::{Approx, Detail, Target, estimate_with};
use crate::rdb::{self, KeyRecord, Scratch, Templates};

use super::KeyFilter;

/// What the reports and `keys` know about one key.
#[derive(Clone, Copy, Debug)]
pub struct KeyFacts<'a> {
    pub db: u64,
    pub key: &'a [u8],
    /// `TYPE` (module values: the module type name).
    pub type_name: &'a str,
    /// `OBJECT ENCODING` on the target.
    pub encoding: &'static str,
    /// The encoding as stored in the dump.
    pub stored_encoding: &'static str,
    /// Estimated `MEMORY USAGE`, bytes.
    pub bytes: u64,
    /// Why the estimate may differ from the server; `None` when exact.
    pub approx: Option<Approx>,
    /// ± bytes around `bytes` (0: exact; `None`: approximate, no bound).
    pub bound: Option<u64>,
    /// STRLEN / LLEN / SCARD / ZCARD / HLEN / XLEN.
    pub elements: u64,
    /// `None` when only blob headers were read (see `memory::Detail`).
    pub largest_element: Option<u64>,
    /// ms since the epoch.
    pub expire_at_ms: Option<i64>,
    /// The dump's AUX `ctime`, ms since the epoch.
    pub ctime_ms: Option<i64>,
    pub idle_s: Option<u64>,
    pub lfu_freq: Option<u8>,
    /// Bytes the record takes in the dump.
    pub rdb_bytes: u64,
    /// Hash fields with their own TTL.
    pub field_ttls: u64,
    /// Allocated bytes beyond `bytes` (see `memory::KeyEstimate::alloc_delta`).
    pub alloc_delta: i64,
    /// See `memory::KeyEstimate::small_entries`.
    pub small_entries: Option<u64>,
    /// The record and what decodes it, for consumers that look at a value
    /// again (`doctor`'s what-ifs); `None` for facts made up in tests.
    pub source: Option<KeySource<'a>>,
}

/// A key's record with the target and templates it is decoded with.
#[derive(Clone, Copy, Debug)]
pub struct KeySource<'a> {
    pub record: &'a KeyRecord<'a>,
    pub target: &'a Target,
    pub templates: &'a Templates,
}

impl KeyFacts<'_> {
    /// TTL at dump time in ms (expiry − AUX `ctime`), when both are known.
    pub fn ttl_ms(&self) -> Option<i64> {
        self.expire_at_ms?.checked_sub(self.ctime_ms?)
    }

    /// Already expired when the dump was written (still in the file).
    pub fn expired(&self) -> bool {
        matches!((self.expire_at_ms, self.ctime_ms), (Some(e), Some(c)) if e < c)
    }
}

/// Per-thread buffers for turning key records into [`KeyFacts`].
#[derive(Default)]
pub struct KeyReader {
    scratch: Scratch,
    key: Vec<u8>,
    module_name: String,
}

impl KeyReader {
    /// Filters, decodes and estimates one record and hands the facts to
    /// `f`, unless the filter rejects it (then `f` is not called). Decoding
    /// errors carry the record's db and key.
    #[inline]
    pub fn read<R>(
        &mut self,
        k: &KeyRecord<'_>,
        target: &Target,
        templates: &Templates,
        opts: (&KeyFilter, Detail),
        ctime_ms: Option<i64>,
        f: impl FnOnce(&KeyFacts<'_>) -> R,
    ) -> rdb::Result<Option<R>> {
        let (filter, detail) = opts;
        let key = k
            .key
            .bytes(&mut self.key)
            .map_err(|e| e.with_context(k.db, None))?;
        if !filter.accepts_record(k.db, key, k.expire_at_ms) {
            // Still decoded, as `verify` decodes it: a filter narrows what
            // is reported, never what is checked.
            if detail == Detail::Elements {
                k.decode(templates, &mut self.scratch, &mut rdb::NullVisitor)?;
            }
            return Ok(None);
        }
        let e = estimate_with(k, target, templates, &mut self.scratch, detail)?;
        let type_name = match e.module {
            Some(name) => {
                self.module_name.clear();
                self.module_name.push_str(&String::from_utf8_lossy(&name));
                self.module_name.as_str()
            }
            None => k.value_type.as_str(),
        };
        if !filter.accepts_value(type_name, e.bytes) {
            return Ok(None);
        }
        Ok(Some(f(&KeyFacts {
            db: k.db,
            key,
            type_name,
            encoding: e.encoding,
            stored_encoding: k.encoding.as_str(),
            bytes: e.bytes,
            approx: e.approx,
            bound: e.bound,
            elements: e.elements,
            largest_element: e.largest_element,
            expire_at_ms: k.expire_at_ms,
            ctime_ms,
            idle_s: k.idle_s,
            lfu_freq: k.lfu_freq,
            rdb_bytes: k.record_len(),
            field_ttls: e.field_ttls,
            alloc_delta: e.alloc_delta,
            small_entries: e.small_entries,
            source: Some(KeySource {
                record: k,
                target,
                templates,
            }),
        })))
    }
}
