//! Per-key estimate of `MEMORY USAGE key SAMPLES 0` on the target, and the
//! encoding `OBJECT ENCODING` would report after the target loads the key.

use super::layout::*;
use super::rax::Rax;
use super::sizes::*;
use super::target::Target;
use crate::rdb::stream::{Group, StreamId, StreamMeta};
use crate::rdb::types::*;
use crate::rdb::{
    self, BlobKind, Elem, KeyRecord, ModuleValue, Scratch, Templates, ValueType, ValueVisitor,
};

/// Why an estimate may differ from the server's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approx {
    /// Skiplist node levels are random; the expected value is used.
    SkiplistLevels,
    /// Compressed quicklist nodes: the target's LZF output is not modelled.
    ListCompression,
    /// Module values: the module's `mem_usage` callback is unknown offline.
    Module,
    /// The profile itself is not confirmed for this server version.
    ProvisionalProfile,
    /// Hash fields with TTLs (Redis 7.4+): metadata layouts not confirmed.
    FieldTtl,
    /// Valkey 8.1+ hashtables: child buckets of full buckets depend on the
    /// hash seed and the insertion order; the expected count is used.
    HashtableBuckets,
    /// glibc malloc: on a given load some small allocations come out 16
    /// bytes larger (measured on 3–5 % of keys, different ones each load).
    AllocatorSlack,
    /// Quicklist nodes the target compresses, sized by their LZF length in
    /// the dump (the server's compressor may come out a byte or two off).
    CompressedNodes,
    /// A dict grown at load may or may not have finished its last rehash
    /// (which buckets are empty depends on the hash seed): the old table
    /// is counted or not.
    RehashState,
    /// A list of more than two nodes, with `list-compress-depth` not given:
    /// 0 (the default) is assumed; a server that compresses holds less.
    CompressDepthAssumed,
}

/// Field expiries replayed into a Valkey 9 volatile set per hash: its
/// simulation holds a few hundred bytes a field, so a crafted hash of
/// millions is extrapolated from its first million.
const VSET_SIMULATED: usize = 1 << 20;

/// How sure an estimate is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confidence {
    /// Deterministic on the target: the live tests show these to the byte.
    Exact,
    /// The server's layout is random (levels, hash seed, allocator state);
    /// the expected value is used.
    Expected,
    /// What the server does is not modelled or not confirmed.
    Approx,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Exact => "exact",
            Confidence::Expected => "expected",
            Confidence::Approx => "approx",
        }
    }
}

impl Approx {
    pub fn as_str(self) -> &'static str {
        match self {
            Approx::SkiplistLevels => "skiplist levels are random",
            Approx::ListCompression => "compressed list nodes",
            Approx::Module => "module value: serialized size",
            Approx::ProvisionalProfile => "provisional profile",
            Approx::FieldTtl => "hash field TTL metadata",
            Approx::HashtableBuckets => "hashtable buckets depend on the hash seed",
            Approx::AllocatorSlack => "glibc malloc may add 16 bytes",
            Approx::RehashState => "a dict may be mid-rehash (hash seed)",
            Approx::CompressedNodes => "list nodes compressed as in the dump",
            Approx::CompressDepthAssumed => {
                "list-compress-depth 0 assumed (--config list-compress-depth=N)"
            }
        }
    }

    pub fn confidence(self) -> Confidence {
        match self {
            Approx::SkiplistLevels
            | Approx::HashtableBuckets
            | Approx::AllocatorSlack
            | Approx::RehashState
            | Approx::CompressedNodes => Confidence::Expected,
            Approx::ListCompression
            | Approx::Module
            | Approx::ProvisionalProfile
            | Approx::FieldTtl
            | Approx::CompressDepthAssumed => Confidence::Approx,
        }
    }

    /// `exact`, or the confidence and the reason (`expected: skiplist
    /// levels are random`): the `estimate` column of `keys`.
    pub fn label(a: Option<Approx>) -> String {
        match a {
            None => Confidence::Exact.as_str().to_string(),
            Some(a) => format!("{}: {}", a.confidence().as_str(), a.as_str()),
        }
    }
}

/// The estimate for one key.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyEstimate {
    /// Estimated `MEMORY USAGE key SAMPLES 0`, in bytes.
    pub bytes: u64,
    /// The server's answer lies within `bytes` ± this: 0 when exact; for
    /// an expected value, 5 standard deviations of its random part (and
    /// allowances, see `Collector::bound`); `None` when approximate (no
    /// bound is known).
    pub bound: Option<u64>,
    /// `OBJECT ENCODING` after load.
    pub encoding: &'static str,
    /// STRLEN / LLEN / SCARD / ZCARD / HLEN / XLEN.
    pub elements: u64,
    /// Byte length of the largest element (a string's own length; for
    /// hashes the largest field or value); `None` when the estimate was made
    /// from the blob headers alone (`Detail::Headers`).
    pub largest_element: Option<u64>,
    /// Fields with a TTL (hashes).
    pub field_ttls: u64,
    /// Hashes, sets and sorted sets without field TTLs: Σ the entries of
    /// the listpack (ziplist, on 4.0–6.2 targets) the target would build
    /// from the value, whatever its encoding — what `doctor` sizes chunks
    /// and raised thresholds with. `None` for other values, or when only
    /// blob headers were read.
    pub small_entries: Option<u64>,
    /// `None` when exact by construction.
    pub approx: Option<Approx>,
    /// Module type name for module values.
    pub module: Option<[u8; 9]>,
    /// What the key's allocations add to `used_memory` beyond `bytes`:
    /// where `MEMORY USAGE` counts a struct's size rather than what the
    /// allocator hands out, or counts an entry the server never allocates
    /// (see [`super::used`]).
    pub alloc_delta: i64,
}

/// How much of a value to read for an estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Every element: also gives the largest element.
    Elements,
    /// Stored listpacks, intsets and quicklist nodes that the target keeps
    /// as they are need only their headers (the same bytes; no largest
    /// element). Anything else is read in full.
    Headers,
}

/// Estimates one key, reading every element.
pub fn estimate(
    rec: &KeyRecord<'_>,
    target: &Target,
    templates: &Templates,
    scratch: &mut Scratch,
) -> rdb::Result<KeyEstimate> {
    estimate_with(rec, target, templates, scratch, Detail::Elements)
}

/// Fills the collector from blob headers only, when that gives the same
/// estimate as reading the elements. Returns false to read them instead.
fn from_headers(
    c: &mut Collector<'_>,
    rec: &KeyRecord<'_>,
    scratch: &mut Scratch,
) -> rdb::Result<bool> {
    use rdb::string::{read_count, read_len, read_string};
    let th = &c.t.thresholds;
    let mut cur = rdb::cursor::Cursor::new(rec.value, rec.value_offset);
    let header = |s: rdb::RdbStr<'_>, buf: &mut Vec<u8>| -> rdb::Result<Option<[u8; 8]>> {
        if s.len() > rdb::string::MAX_BLOB {
            // Too big for any server: the full read says why.
            return Ok(None);
        }
        let bytes: &[u8] = match s {
            // A stored blob's own framing: its size field and end marker
            // (listpack) or its size (intset) must agree with the string.
            rdb::RdbStr::Raw(b) if !blob_framing_ok(rec.type_byte, b) => return Ok(None),
            rdb::RdbStr::Raw(b) => b,
            rdb::RdbStr::Lzf { data, offset, .. } => {
                rdb::lzf::decompress_prefix(data, 8, buf).map_err(|(at, why)| {
                    rdb::Error::new(offset + at as u64, rdb::ErrorKind::BadLzf(why))
                })?;
                buf
            }
            rdb::RdbStr::Int(_) => return Ok(None),
        };
        Ok(bytes.get(..8).map(|h| h.try_into().unwrap_or([0; 8])))
    };
    let lp_count = |h: [u8; 8]| -> Option<u64> {
        let n = u16::from_le_bytes([h[4], h[5]]);
        (n != u16::MAX).then_some(n as u64)
    };
    match rec.type_byte {
        RDB_TYPE_HASH_LISTPACK
        | RDB_TYPE_ZSET_LISTPACK
        | RDB_TYPE_SET_LISTPACK
        | RDB_TYPE_SET_INTSET => {
            let s = read_string(&mut cur)?;
            let Some(h) = header(s, &mut scratch.a)? else {
                return Ok(false);
            };
            let n = match rec.type_byte {
                RDB_TYPE_SET_INTSET => u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as u64,
                RDB_TYPE_SET_LISTPACK => match lp_count(h) {
                    Some(n) => n,
                    None => return Ok(false),
                },
                _ => match lp_count(h) {
                    Some(n) => n / 2,
                    None => return Ok(false),
                },
            };
            let limit = match rec.type_byte {
                RDB_TYPE_HASH_LISTPACK => th.hash_max_listpack_entries,
                RDB_TYPE_ZSET_LISTPACK => th.zset_max_listpack_entries,
                RDB_TYPE_SET_LISTPACK => th.set_max_listpack_entries,
                _ => th.set_max_intset_entries,
            };
            if n > limit || (rec.type_byte == RDB_TYPE_SET_LISTPACK && !c.l.listpack_sets_lists) {
                return Ok(false);
            }
            c.n = n;
            c.blob_bytes = s.len();
        }
        RDB_TYPE_LIST_QUICKLIST_2 => {
            let nodes = read_count(&mut cur, 2, "quicklist")?;
            for _ in 0..nodes {
                let plain = read_len(&mut cur)? == 1;
                let s = read_string(&mut cur)?;
                let lzf = match s {
                    rdb::RdbStr::Lzf { data, .. } => Some(data.len() as u64),
                    _ => None,
                };
                c.quicklist_node(plain, s.len(), lzf);
                if plain {
                    c.n += 1;
                    continue;
                }
                let Some(h) = header(s, &mut scratch.a)? else {
                    return Ok(false);
                };
                let Some(count) = lp_count(h) else {
                    return Ok(false);
                };
                c.n += count;
                c.ql_node(s.len());
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Cheap checks of a raw blob's framing before trusting its header; a
/// blob that fails them is read in full, which reports the damage.
fn blob_framing_ok(t: u8, b: &[u8]) -> bool {
    let Some(h) = b.get(..8) else { return false };
    if t == RDB_TYPE_SET_INTSET {
        let w = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as u64;
        let n = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as u64;
        return matches!(w, 2 | 4 | 8) && 8 + w * n == b.len() as u64;
    }
    u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize == b.len() && b.last() == Some(&0xff)
}

/// Estimates one key, reading as much as `detail` asks.
pub fn estimate_with(
    rec: &KeyRecord<'_>,
    target: &Target,
    templates: &Templates,
    scratch: &mut Scratch,
    detail: Detail,
) -> rdb::Result<KeyEstimate> {
    if detail == Detail::Headers && !target.layout().ziplist && rec.type_byte != RDB_TYPE_STRING {
        let mut probe = Collector::new(target, rec.type_byte);
        let headers_only = from_headers(&mut probe, rec, scratch)
            .map_err(|e| e.with_context(rec.db, Some(rec.key_text())))?;
        if headers_only {
            let mut e = probe.finish(rec.value_type, rec.type_byte);
            e.largest_element = None;
            e.small_entries = None;
            return finish_key(target, rec, e);
        }
        // The probe may have counted some nodes: the value is read anew.
    }
    let e = if rec.type_byte == RDB_TYPE_STRING {
        // Most keys: no collector. Only the length and whether the text is
        // an integer matter: an LZF string longer than 20 bytes cannot be
        // one, so it is not inflated.
        let mut cur = rdb::cursor::Cursor::new(rec.value, rec.value_offset);
        let s = rdb::string::read_string(&mut cur)
            .map_err(|e| e.with_context(rec.db, Some(rec.key_text())))?;
        match s {
            rdb::RdbStr::Lzf { ulen, .. } if ulen > 20 => {
                // Checked without being inflated when nothing vouches for it.
                if detail == Detail::Elements {
                    s.check()
                        .map_err(|e| e.with_context(rec.db, Some(rec.key_text())))?;
                }
                string_estimate(target, ulen, None)
            }
            _ => {
                let v = s
                    .elem(&mut scratch.a)
                    .map_err(|e| e.with_context(rec.db, Some(rec.key_text())))?;
                string_estimate(target, v.len() as u64, as_int(v))
            }
        }
    } else {
        let mut c = Collector::new(target, rec.type_byte);
        rec.decode(templates, scratch, &mut c)?;
        c.finish(rec.value_type, rec.type_byte)
    };
    finish_key(target, rec, e)
}

/// Adds the key's part to the value's estimate `e`.
fn finish_key(
    target: &Target,
    rec: &KeyRecord<'_>,
    mut e: KeyEstimate,
) -> rdb::Result<KeyEstimate> {
    let layout = target.layout();
    let before = e.encoding;
    with_key(
        layout,
        &mut e,
        rec.value_type,
        rec.key.len(),
        rec.expire_at_ms.is_some(),
    );
    if target.allocator == super::allocator::Allocator::Libc
        && (before, e.encoding) == ("embstr", "raw")
    {
        // Too long to embed with its key (8.1+): the value is a second
        // allocation, and glibc may hand either one a chunk 16 bytes larger
        // than asked (a remainder too small to split off). Seen on Valkey
        // 8.1.8: +32 on a 37-byte value with a TTL.
        e.bound = e
            .bound
            .map(|b| b + (libc_slack(2) - libc_slack(1)).ceil() as u64);
    }
    e.alloc_delta += layout.keyspace_entry_delta();
    if target.profile.is_provisional() && e.approx.is_none() {
        e.approx = Some(Approx::ProvisionalProfile);
        e.bound = None;
    }
    if target.allocator == super::allocator::Allocator::Libc && e.approx.is_none() {
        e.approx = Some(Approx::AllocatorSlack);
    }
    Ok(e)
}

/// The allocations of a value: the object (with its key, 8.1+), then the
/// value's parts (`n` elements, quicklist nodes, stream allocations).
fn allocations(encoding: &str, n: u64, ql_nodes: u64, stream_allocs: u64) -> u64 {
    match encoding {
        "int" | "embstr" => 1,
        "hashtable" | "skiplist" | "linkedlist" => 2 + 2 * n,
        "quicklist" => 2 + 2 * ql_nodes,
        "stream" => 2 + stream_allocs,
        _ => 2,
    }
}

/// A string value of `len` bytes (`int`: the integer it holds, if any):
/// its bytes, encoding and what its allocation adds beyond them.
fn string_value(l: &Layout, len: u64, int: Option<i64>) -> (u64, &'static str, i64) {
    match int {
        // Loaded as the shared object (no `maxmemory` with an LRU/LFU
        // policy): `MEMORY USAGE` counts a robj that is never allocated for
        // this key.
        Some(i) if (0..10_000).contains(&i) && l.kv_object.is_none() => {
            (ROBJ, "int", -(ROBJ as i64))
        }
        Some(_) => (ROBJ, "int", 0),
        None if len <= 44 => (l.embstr(len), "embstr", 0),
        None => (ROBJ + l.sds(len), "raw", 0),
    }
}

/// A string key's value, without a collector: what `Collector::finish`
/// gives for one string (no random part; with libc, the slack of its
/// one or two allocations).
fn string_estimate(t: &Target, len: u64, int: Option<i64>) -> KeyEstimate {
    let (bytes, encoding, alloc_delta) = string_value(t.layout(), len, int);
    let bound = if t.allocator == super::allocator::Allocator::Libc {
        libc_slack(allocations(encoding, len, 0, 0)).ceil() as u64
    } else {
        0
    };
    KeyEstimate {
        bytes,
        bound: Some(bound),
        encoding,
        elements: len,
        largest_element: Some(len),
        field_ttls: 0,
        small_entries: None,
        approx: None,
        module: None,
        alloc_delta,
    }
}

/// What glibc's chunk sizes may add to `allocs` allocations, above what
/// the request's size gives: 16 bytes each when a reused free chunk's
/// remainder is too small to split off (under 1 % of Valkey 8.1.8's
/// strings per run, but two at once on one key was seen).
fn libc_slack(allocs: u64) -> f64 {
    let allocs = allocs as f64;
    let q = 0.1 * allocs;
    16.0 * (q + 5.0 * q.sqrt() + 1.0).min(allocs)
}

/// Adds what the key costs beside its value (the key's sds, dict entry and
/// robj; on Redis 8.2 / Valkey 8.1+ the object that embeds the key, and a
/// string's decision to embed its value) to a value's estimate.
fn with_key(layout: &Layout, e: &mut KeyEstimate, vt: ValueType, key_len: u64, has_ttl: bool) {
    match layout.kv_object {
        Some(vo) if vt == ValueType::String && e.encoding != "int" => {
            let has_ttl = has_ttl as u64;
            // Valkey 9.1 measured: an embedded value takes at least 8 bytes.
            let value = (3 + e.elements + 1).max(vo.min_embedded_value);
            let total = vo.embstr_header + 1 + sds_header(key_len) + key_len + 1 + value;
            // The decision counts a 1-byte key header whatever the key's
            // length; the allocation has the real one (measured on keys of
            // 32-41 bytes: embedded while key + value <= 41, on Redis 8.2.3
            // and Valkey 8.1.8; Valkey 8.1.8 counts the real header when
            // the key has a TTL: <= 39).
            let decided = if has_ttl == 1 && vo.ttl_decides_with_key_header {
                total
            } else {
                total - sds_header(key_len) + 1
            };
            let counted = decided + 8 * has_ttl * vo.embed_counts_expire as u64;
            let embed = match vo.embed_limit {
                Some(limit) => counted <= limit,
                None => e.elements <= 44,
            };
            if embed {
                e.encoding = "embstr";
                e.bytes = layout.alloc(total + 8 * has_ttl);
            } else {
                e.encoding = "raw";
                e.bytes = layout.kv_object(key_len, has_ttl == 1) + layout.sds(e.elements);
            }
        }
        Some(_) => e.bytes = e.bytes - ROBJ + layout.kv_object(key_len, has_ttl),
        None => e.bytes += layout.key_overhead(key_len),
    }
}

/// What-if: `MEMORY USAGE` of a key of `key_len` bytes whose value is one
/// listpack (ziplist) of `entries` bytes of entries, on the target.
pub fn small_key_bytes(
    target: &Target,
    vt: ValueType,
    key_len: u64,
    entries: u64,
    ttl: bool,
) -> u64 {
    let l = target.layout();
    let empty = if l.ziplist {
        ZIPLIST_EMPTY
    } else {
        LISTPACK_EMPTY
    };
    let mut e = KeyEstimate {
        bytes: ROBJ + l.blob(empty + entries),
        bound: Some(0),
        encoding: "listpack",
        elements: 0,
        largest_element: None,
        field_ttls: 0,
        small_entries: Some(entries),
        approx: None,
        module: None,
        alloc_delta: 0,
    };
    with_key(l, &mut e, vt, key_len, ttl);
    e.bytes
}

/// What-if: `MEMORY USAGE` of a string key holding `value_len` bytes
/// that are not an integer, on the target.
pub fn string_key_bytes(target: &Target, key_len: u64, value_len: u64, ttl: bool) -> u64 {
    let mut e = string_estimate(target, value_len, None);
    with_key(target.layout(), &mut e, ValueType::String, key_len, ttl);
    e.bytes
}

/// What-if: a string key's value as a listpack entry (for a hash that
/// would hold it as a field's value).
pub fn listpack_entry_of(value: Elem<'_>) -> u64 {
    listpack_entry(value)
}

/// The listpack entry of a string of `len` bytes that is not an integer
/// (any longer than 20 bytes).
pub fn listpack_string_entry(len: u64) -> u64 {
    super::sizes::listpack_string_entry(len)
}

/// Gathers what the formulas need while the value is decoded.
struct Collector<'t> {
    t: &'t Target,
    l: &'t Layout,
    type_byte: u8,
    n: u64,
    largest: u64,
    field_ttls: u64,
    /// Valkey 9: the fields' expiries in dump order, for the volatile set
    /// (the first [`VSET_SIMULATED`]).
    field_expiries: Vec<i64>,
    /// String value.
    string_len: u64,
    /// The value as an integer, when it is one (`int` encoding; 0..10000
    /// are the server's shared objects, `OBJ_SHARED_INTEGERS`).
    string_int: Option<i64>,
    /// Σ sds of set members / zset members / hash fields and values.
    sds_sum: u64,
    /// Σ listpack entries as the target would build them.
    lp_entries: u64,
    /// Ziplist bytes as a 4.0–6.2 target would build them.
    zl_bytes: u64,
    zl_prev: u64,
    /// Sets: every member a canonical integer, the index of the first that
    /// is not, and the widest intset width.
    all_int: bool,
    first_non_int: Option<u64>,
    int_width: u64,
    /// Longest element (for `*-max-listpack-value`).
    max_elem: u64,
    /// Hashes: index of the first pair over the value limit.
    first_long_pair: Option<u64>,
    /// Hashes with field TTLs: listpack entries of the TTLs.
    lp_ttl_entries: u64,
    /// Valkey 8.1+: Σ `hashTypeEntryMemUsage` of the hash's entries.
    valkey_entries: u64,
    /// Valkey 9.0+: Σ expected skiplist node allocations (member embedded),
    /// Σ their variances, the largest tail (see `Layout::skiplist_tail`).
    zset_nodes: f64,
    zset_nodes_var: f64,
    zset_tail: f64,
    /// The random part of the estimate: its variance and an allowance for
    /// rare events the variance understates (bytes², bytes).
    var: f64,
    tail: f64,
    /// A dict's rehash state at the end of loading depends on the seed.
    rehash: bool,
    /// Stored blob lengths (one blob per value, except quicklists).
    blob_bytes: u64,
    /// Whether the target may build a listpack / ziplist from the elements
    /// (not when the dump already stores one it keeps).
    need_lp: bool,
    need_zl: bool,
    /// Quicklists: Σ node part, node count; for rebuilt lists the open node.
    ql_sum: u64,
    ql_nodes: u64,
    ql_open: Option<(u64, u64)>,
    ql_compressed: bool,
    /// Nodes sized by their stored LZF length (see `compress_nodes`).
    ql_lzf_nodes: bool,
    /// With `list-compress-depth` > 0: each node's size and, when the dump
    /// stored it LZF-compressed, its compressed length.
    ql_sizes: Vec<(u64, Option<u64>)>,
    /// The stored LZF length of the node being read (see `quicklist_node`).
    ql_node_lzf: Option<u64>,
    /// Bytes of the last closed node.
    ql_last: u64,
    /// Nodes stored in the file (type 14/18).
    stored_node_bytes: u64,
    stored_node_plain: bool,
    /// Streams.
    /// Created by the first stream node (most keys are not streams).
    stream_rax: Option<Rax>,
    stream_lp: u64,
    stream_meta: Option<StreamMeta>,
    stream_groups: u64,
    /// Allocations of the stream (see `stream_value`).
    stream_allocs: u64,
    module: Option<ModuleValue>,
    /// Allocated minus counted bytes of the value (see `KeyEstimate::alloc_delta`).
    alloc_delta: f64,
}

impl<'t> Collector<'t> {
    fn new(t: &'t Target, type_byte: u8) -> Collector<'t> {
        let l = t.layout();
        let stored_lp = matches!(
            type_byte,
            RDB_TYPE_HASH_LISTPACK
                | RDB_TYPE_ZSET_LISTPACK
                | RDB_TYPE_SET_LISTPACK
                | RDB_TYPE_LIST_QUICKLIST_2
        );
        let stored_zl = matches!(
            type_byte,
            RDB_TYPE_ZSET_ZIPLIST | RDB_TYPE_HASH_ZIPLIST | RDB_TYPE_LIST_QUICKLIST
        );
        Collector {
            need_lp: !(l.ziplist || stored_lp)
                || matches!(
                    type_byte,
                    RDB_TYPE_HASH_LISTPACK_EX | RDB_TYPE_HASH_LISTPACK_EX_PRE_GA
                ),
            need_zl: l.ziplist && !stored_zl,
            t,
            l,
            type_byte,
            n: 0,
            largest: 0,
            field_ttls: 0,
            field_expiries: Vec::new(),
            string_len: 0,
            string_int: None,
            sds_sum: 0,
            lp_entries: 0,
            zl_bytes: ZIPLIST_EMPTY,
            zl_prev: 0,
            all_int: true,
            first_non_int: None,
            int_width: 2,
            max_elem: 0,
            first_long_pair: None,
            lp_ttl_entries: 0,
            valkey_entries: 0,
            zset_nodes: 0.0,
            zset_nodes_var: 0.0,
            zset_tail: 0.0,
            var: 0.0,
            tail: 0.0,
            rehash: false,
            blob_bytes: 0,
            ql_sum: 0,
            ql_nodes: 0,
            ql_open: None,
            ql_compressed: false,
            ql_lzf_nodes: false,
            ql_sizes: Vec::new(),
            ql_node_lzf: None,
            ql_last: 0,
            stored_node_bytes: 0,
            stored_node_plain: false,
            stream_rax: None,
            stream_lp: 0,
            stream_meta: None,
            stream_groups: 0,
            stream_allocs: 0,
            module: None,
            alloc_delta: 0.0,
        }
    }

    #[inline]
    fn elem(&mut self, e: Elem<'_>) {
        self.elem_of_len(e, e.len() as u64)
    }

    #[inline]
    fn elem_of_len(&mut self, e: Elem<'_>, len: u64) {
        self.largest = self.largest.max(len);
        self.max_elem = self.max_elem.max(len);
        if self.need_lp {
            self.lp_entries += listpack_entry(e);
        }
        if self.need_zl {
            let z = ziplist_entry(e, self.zl_prev);
            self.zl_bytes += z;
            self.zl_prev = z;
        }
    }

    /// One set member: its sds (for a hashtable) and whether an intset
    /// could hold it.
    fn set_item(&mut self, v: Elem<'_>) {
        self.sds_of(v);
        if !matches!(self.type_byte, RDB_TYPE_SET | RDB_TYPE_SET_INTSET) {
            return;
        }
        match as_int(v) {
            Some(i) => {
                let w = if i16::try_from(i).is_ok() {
                    2
                } else if i32::try_from(i).is_ok() {
                    4
                } else {
                    8
                };
                self.int_width = self.int_width.max(w);
            }
            None => {
                if self.all_int {
                    self.first_non_int = Some(self.n - 1);
                }
                self.all_int = false
            }
        }
    }

    #[inline]
    fn sds_of(&mut self, e: Elem<'_>) {
        self.sds_sum += self.l.sds(e.len() as u64);
    }

    /// Pushes one element into a quicklist the target rebuilds
    /// (`quicklistPushTail` with `list-max-listpack-size`).
    fn ql_push(&mut self, e: Elem<'_>) {
        let entry = listpack_entry(e);
        let len = e.len() as u64;
        let fill = self.t.thresholds.list_max_listpack_size;
        let fits = match self.ql_open {
            None => false,
            Some((sz, count)) => {
                let new_sz = sz + len + 8;
                if fill < 0 {
                    let limit = [4096u64, 8192, 16384, 32768, 65536][((-fill - 1) as usize).min(4)];
                    new_sz <= limit
                } else {
                    new_sz <= 8192 && (count as i64) < fill
                }
            }
        };
        if !fits {
            self.ql_close();
            self.ql_open = Some((LISTPACK_EMPTY, 0));
        }
        if let Some((sz, count)) = &mut self.ql_open {
            *sz += entry;
            *count += 1;
        }
    }

    fn ql_close(&mut self) {
        if let Some((sz, _)) = self.ql_open.take() {
            self.ql_node(sz);
        }
    }

    fn ql_node(&mut self, sz: u64) {
        if self.t.thresholds.list_compress_depth > 0 {
            self.ql_sizes.push((sz, self.ql_node_lzf.take()));
        }
        self.ql_last = sz;
        self.ql_sum += self.l.quicklist_node + self.l.blob(sz);
        self.ql_nodes += 1;
    }

    fn finish(&mut self, vt: ValueType, t: u8) -> KeyEstimate {
        let target: &'t Target = self.t;
        let th = &target.thresholds;
        let l = self.l;
        let mut approx = None;
        let (value, encoding): (u64, &'static str) = match vt {
            ValueType::String => {
                // `estimate_with` sizes strings without a collector; the
                // same rule if one is visited.
                self.n = self.string_len;
                let (v, enc, delta) = string_value(l, self.string_len, self.string_int);
                self.alloc_delta += delta as f64;
                (v, enc)
            }
            ValueType::List => self.list_value(th),
            ValueType::Set => self.set_value(th, t),
            ValueType::Zset => {
                let (v, enc, a) = self.zset_value(th, t);
                approx = a;
                (v, enc)
            }
            ValueType::Hash
                if self.field_ttls > 0
                    && !self.t.profile.is_valkey()
                    && self.t.profile >= super::profile::ServerProfile::Redis74 =>
            {
                let (v, enc) = self.hash_ex_value(th, t);
                // Measured to the byte on Redis 8.2.3: listpackex. Its
                // hashtables, and 7.4/8.0, are not confirmed.
                if !(enc == "listpackex" && l.kv_object.is_some()) {
                    approx = Some(Approx::FieldTtl);
                }
                (v, enc)
            }
            ValueType::Hash
                if self.field_ttls > 0
                    && matches!(
                        self.t.profile,
                        super::profile::ServerProfile::Valkey90
                            | super::profile::ServerProfile::Valkey91
                    ) =>
            {
                // Valkey 9: a hash with any field TTL is a hashtable, its
                // volatile fields indexed by a `vset` built in dump order
                // (measured on 9.1.2 up to 127 volatile fields; a radix
                // tree of more is rebuilt from its final time windows).
                let mut vset = super::vset::VsetSim::new(|n| l.alloc(n));
                for &t in &self.field_expiries {
                    vset.add(t);
                }
                if vset.is_tree() {
                    approx = Some(Approx::FieldTtl);
                }
                let (mut index, var) = vset.usage(l.hashtable_struct);
                if self.field_ttls > self.field_expiries.len() as u64 {
                    // Past the simulated fields, the same bytes a field.
                    index *= self.field_ttls as f64 / self.field_expiries.len().max(1) as f64;
                }
                self.var += var;
                let v = ROBJ as f64
                    + self.valkey_table(self.n)
                    + l.hash_meta as f64
                    + self.valkey_entries as f64
                    + index;
                (v as u64, "hashtable")
            }
            ValueType::Hash => self.hash_value(th, t),
            ValueType::Stream => self.stream_value(),
            ValueType::Module | ValueType::Array => {
                approx = Some(Approx::Module);
                let len = self
                    .module
                    .map(|m| m.serialized_len)
                    .unwrap_or(self.blob_bytes);
                (
                    ROBJ + len,
                    if vt == ValueType::Array {
                        "array"
                    } else {
                        "module"
                    },
                )
            }
        };
        if self.ql_compressed && vt == ValueType::List {
            approx = Some(Approx::ListCompression);
        }
        if encoding == "quicklist"
            && self.ql_nodes > 2
            && !th.list_compress_depth_given
            && approx.is_none()
        {
            approx = Some(Approx::CompressDepthAssumed);
        }
        if self.ql_lzf_nodes && approx.is_none() {
            approx = Some(Approx::CompressedNodes);
        }
        if self.rehash && approx.is_none() {
            approx = Some(Approx::RehashState);
        }
        let seeded_sets = l.valkey_embedded_key && vt == ValueType::Set;
        if (l.open_hashtable || seeded_sets) && encoding == "hashtable" && approx.is_none() {
            approx = Some(Approx::HashtableBuckets);
        }
        let bound = match approx.map(Approx::confidence) {
            None | Some(Confidence::Expected) => Some(self.bound(encoding)),
            Some(_) => None,
        };
        let small_entries = match vt {
            ValueType::Hash | ValueType::Zset | ValueType::Set if self.field_ttls == 0 => {
                Some(if l.ziplist {
                    if self.need_zl {
                        self.zl_bytes
                    } else {
                        self.blob_bytes
                    }
                    .saturating_sub(ZIPLIST_EMPTY)
                } else if self.need_lp {
                    self.lp_entries
                } else {
                    self.blob_bytes.saturating_sub(LISTPACK_EMPTY)
                })
            }
            _ => None,
        };
        KeyEstimate {
            bytes: value,
            bound,
            encoding,
            elements: self.n,
            small_entries,
            // Stream entries and module values are not measured element by element.
            largest_element: (!matches!(vt, ValueType::Stream | ValueType::Module))
                .then_some(self.largest),
            field_ttls: self.field_ttls,
            approx,
            module: self.module.map(|m| m.id.name()),
            alloc_delta: self.alloc_delta.round() as i64,
        }
    }

    /// A dict grown one add at a time may end mid-rehash or not, with the
    /// hash seed (see `DictSim::rehash_swing`).
    fn rehash_swing(&mut self, d: &DictSim) {
        if self.l.open_hashtable {
            // Valkey 8.1+ tables are sized otherwise.
            return;
        }
        if let Some(bytes) = d.rehash_swing() {
            self.tail += bytes as f64;
            self.rehash = true;
        }
    }

    /// Valkey 8.1+ hashtables: the spread of their child buckets.
    /// The table's expected bytes, its spread added to the bound.
    fn valkey_table(&mut self, n: u64) -> f64 {
        let (mean, var) = self.l.valkey_hashtable(n);
        self.hashtable_var(var);
        mean
    }

    fn hashtable_var(&mut self, var: f64) {
        self.var += var;
        self.tail += 64.0;
    }

    /// The ± bound of an estimate whose random part is modelled: 5 standard
    /// deviations plus the tail allowance, plus glibc's slack (with the
    /// libc allocator). glibc hands out a free chunk whole when the rest
    /// would be too small to split off, so an allocation may come out 16
    /// bytes larger, at most once: on a loaded server about 6 % of them do
    /// (Valkey 9.1 skiplist nodes: +0.9 B a node). The bound takes 10 % of
    /// the key's allocations and 5 deviations of it, never more than 16 B
    /// each.
    fn bound(&self, encoding: &str) -> u64 {
        let mut b = 5.0 * self.var.sqrt() + self.tail;
        if self.t.allocator == super::allocator::Allocator::Libc {
            // The object (with its key, 8.1+), then the value's parts.
            b += libc_slack(allocations(
                encoding,
                self.n,
                self.ql_nodes,
                self.stream_allocs,
            ));
        }
        b.ceil() as u64
    }

    /// `list-compress-depth` d > 0: the server keeps the first and last d
    /// nodes as they are and LZF-compresses every node between them of at
    /// least 48 bytes that shrinks by more than 8 (`__quicklistCompress`,
    /// `__quicklistCompressNode`), into a `quicklistLZF` (an 8-byte length
    /// and the data). Its compressor is the one that wrote the dump, on the
    /// same bytes: a node stored LZF-compressed takes its stored length; one
    /// stored raw did not compress (unless the dump was saved with
    /// `rdbcompression no`: no node of the list compressed, so the estimate
    /// is approximate).
    fn compress_nodes(&mut self, depth: u64) {
        let n = self.ql_sizes.len() as u64;
        if depth == 0 || n <= depth.saturating_mul(2) {
            return;
        }
        let any_lzf = self.ql_sizes.iter().any(|(_, c)| c.is_some());
        let (from, to) = (depth as usize, (n - depth) as usize);
        for &(sz, clen) in &self.ql_sizes[from..to] {
            if sz < 48 {
                continue;
            }
            match clen {
                Some(c) if c + 8 < sz => {
                    self.ql_sum = self.ql_sum - self.l.blob(sz) + self.l.alloc(8 + c);
                    // Measured on Redis 8.2.3: 2 of 52 lists a byte off.
                    let (lo, hi) = (self.l.alloc(6 + c), self.l.alloc(10 + c));
                    self.tail += (hi - lo + 2) as f64;
                    self.ql_lzf_nodes = true;
                }
                Some(_) => {}
                None if any_lzf => {}
                None => self.ql_compressed = true,
            }
        }
    }

    fn list_value(&mut self, th: &super::profile::Thresholds) -> (u64, &'static str) {
        let l = self.l;
        self.ql_close();
        self.compress_nodes(th.list_compress_depth);
        if l.listpack_sets_lists && self.ql_nodes == 1 && !self.stored_node_plain {
            // 7.2+: one packed node within the size limit is a plain listpack.
            let node_sz = self.ql_last;
            let limit = match th.list_max_listpack_size {
                f if f < 0 => [4096u64, 8192, 16384, 32768, 65536][((-f - 1) as usize).min(4)],
                _ => u64::MAX,
            };
            let count_ok =
                th.list_max_listpack_size < 0 || self.n <= th.list_max_listpack_size as u64;
            if node_sz <= limit && count_ok {
                return (ROBJ + l.blob(node_sz), "listpack");
            }
        }
        let v = avg_sum(ROBJ + QUICKLIST, self.ql_sum, self.ql_nodes);
        self.alloc_delta +=
            l.rounding(QUICKLIST) + self.ql_nodes as f64 * l.rounding(l.quicklist_node);
        (
            v,
            if l.ziplist && self.t.profile.redis_base() < super::profile::ServerProfile::Redis40 {
                "linkedlist"
            } else {
                "quicklist"
            },
        )
    }

    fn set_value(&mut self, th: &super::profile::Thresholds, t: u8) -> (u64, &'static str) {
        let l = self.l;
        let n = self.n;
        let slots = match (t, self.first_non_int) {
            // Loaded as an intset until the first non-integer member, then
            // converted (sized for the intset) and expanded for the whole set.
            (RDB_TYPE_SET, Some(k)) if n <= th.set_max_intset_entries => {
                let mut d = DictSim::default();
                d.expand(k);
                d.add_n(k);
                d.expand(n);
                d.add_n(n - k);
                self.rehash_swing(&d);
                d.slots()
            }
            _ => np2(n),
        };
        let hashtable = |s: &mut Self| {
            if l.open_hashtable {
                return (ROBJ as f64 + s.valkey_table(n) + s.sds_sum as f64) as u64;
            }
            s.alloc_delta += l.set_dict_delta(n, slots);
            let entries = if l.valkey_embedded_key {
                // Valkey 8.0 (`dictEntryMemUsage` of each entry): nothing
                // for a member kept in its bucket, 16 bytes for the others.
                s.var += 256.0 * Layout::chained_set_members_var(n, slots);
                s.tail += 16.0;
                (16.0 * Layout::chained_set_members(n, slots)).round() as u64
            } else {
                DICT_ENTRY * n
            };
            avg_sum(ROBJ + l.dict + 8 * slots, s.sds_sum + entries, n)
        };
        match t {
            RDB_TYPE_SET_INTSET if n <= th.set_max_intset_entries => {
                (ROBJ + l.blob(self.blob_bytes), "intset")
            }
            RDB_TYPE_SET_LISTPACK if n <= th.set_max_listpack_entries || !l.listpack_sets_lists => {
                if l.listpack_sets_lists {
                    (ROBJ + l.blob(self.blob_bytes), "listpack")
                } else {
                    (hashtable(self), "hashtable")
                }
            }
            _ if self.all_int && n <= th.set_max_intset_entries => {
                (ROBJ + l.blob(8 + self.int_width * n), "intset")
            }
            _ if l.listpack_sets_lists
                && n <= th.set_max_listpack_entries
                && self.max_elem <= th.set_max_listpack_value =>
            {
                (ROBJ + l.blob(LISTPACK_EMPTY + self.lp_entries), "listpack")
            }
            _ => (hashtable(self), "hashtable"),
        }
    }

    fn zset_value(
        &mut self,
        th: &super::profile::Thresholds,
        t: u8,
    ) -> (u64, &'static str, Option<Approx>) {
        let l = self.l;
        let n = self.n;
        let small_enc = if l.ziplist { "ziplist" } else { "listpack" };
        let stored_small = matches!(t, RDB_TYPE_ZSET_ZIPLIST | RDB_TYPE_ZSET_LISTPACK);
        let to_small = if stored_small {
            n <= th.zset_max_listpack_entries
        } else {
            n <= th.zset_max_listpack_entries && self.max_elem <= th.zset_max_listpack_value
        };
        if to_small {
            let bytes = if t == RDB_TYPE_ZSET_LISTPACK || (t == RDB_TYPE_ZSET_ZIPLIST && l.ziplist)
            {
                self.blob_bytes
            } else if l.ziplist {
                self.zl_bytes
            } else {
                LISTPACK_EMPTY + self.lp_entries
            };
            return (ROBJ + l.blob(bytes), small_enc, None);
        }
        let header = l.alloc(24 + 16 * ZSKIPLIST_MAXLEVEL);
        let slots = if stored_small {
            // zsetConvert grows the dict one add at a time, without pre-sizing.
            let mut d = DictSim::default();
            d.add_n(n);
            self.rehash_swing(&d);
            d.slots()
        } else {
            np2(n)
        };
        let (table, entry) = if l.open_hashtable {
            (self.valkey_table(n), 0)
        } else {
            // Redis 8.2 measured: 8 bytes less a member than 7.x.
            let entry = if l.kv_object.is_some() {
                DICT_ENTRY - 8
            } else {
                DICT_ENTRY
            };
            ((l.dict + 8 * slots) as f64, entry)
        };
        if !l.open_hashtable {
            // The dict entry is allocated whole; the structs are rounded.
            self.alloc_delta += (n * l.alloc(DICT_ENTRY)) as f64 - (n * entry) as f64
                + l.rounding(l.dict)
                + l.rounding(ZSET)
                + l.rounding(ZSKIPLIST);
        }
        let base = (ROBJ + l.zset_structs + header) as f64 + table;
        let per = if l.kv_object.is_some_and(|v| v.zset_node_embeds_member) {
            self.var += self.zset_nodes_var;
            self.tail += self.zset_tail;
            self.zset_nodes + (entry * n) as f64
        } else {
            let (mean, var) = l.skiplist_node_moments(24, 0);
            self.var += var * n as f64;
            self.tail += l.skiplist_tail(24, 0);
            self.sds_sum as f64 + (entry * n) as f64 + mean * n as f64
        };
        (
            (base + per) as u64,
            "skiplist",
            (n > 0).then_some(Approx::SkiplistLevels),
        )
    }

    fn hash_value(&mut self, th: &super::profile::Thresholds, t: u8) -> (u64, &'static str) {
        let l = self.l;
        let n = self.n;
        let small_enc = if l.ziplist { "ziplist" } else { "listpack" };
        // A hash stored element by element and small enough for a listpack
        // is converted mid-load at its first long pair (rdbLoadObject,
        // RDB_TYPE_HASH), after k listpack pairs.
        let converted_at = self
            .first_long_pair
            .filter(|_| t == RDB_TYPE_HASH && n <= th.hash_max_listpack_entries);
        let ht = |slots: u64, s: &mut Self| {
            if l.open_hashtable {
                let mut sim = HashtableSim::presized(n);
                if let Some(k) = converted_at {
                    // The table is sized for the k listpack pairs, takes the
                    // long pair, is expanded for the pairs still to read, then
                    // grows as they are added, and may end mid-rehash.
                    sim = HashtableSim::default();
                    sim.expand(k);
                    sim.add_n(k + 1);
                    sim.expand(n - k - 1);
                    sim.add_n(n - k - 1);
                }
                let (table, var) = sim.moments(l.hashtable_struct + l.hash_meta);
                s.hashtable_var(var);
                let v = ROBJ as f64 + table + s.valkey_entries as f64;
                return (v as u64, "hashtable");
            }
            s.alloc_delta += l.dict_delta(n);
            (
                avg_sum(ROBJ + l.dict + 8 * slots, s.sds_sum + DICT_ENTRY * n, n),
                "hashtable",
            )
        };
        match t {
            RDB_TYPE_HASH_LISTPACK | RDB_TYPE_HASH_ZIPLIST if n <= th.hash_max_listpack_entries => {
                let bytes = if (t == RDB_TYPE_HASH_LISTPACK) != l.ziplist {
                    self.blob_bytes
                } else if l.ziplist {
                    self.zl_bytes
                } else {
                    LISTPACK_EMPTY + self.lp_entries
                };
                (ROBJ + l.blob(bytes), small_enc)
            }
            RDB_TYPE_HASH_LISTPACK | RDB_TYPE_HASH_ZIPLIST => ht(np2(n), self),
            _ if n <= th.hash_max_listpack_entries && self.first_long_pair.is_none() => {
                let bytes = if l.ziplist {
                    self.zl_bytes
                } else {
                    LISTPACK_EMPTY + self.lp_entries
                };
                (ROBJ + l.blob(bytes), small_enc)
            }
            _ => {
                let slots = match converted_at {
                    Some(k) => {
                        // The dict is sized for the k listpack pairs, takes the
                        // long pair, is expanded for the rest when more than 4
                        // remain, then grows as pairs are added.
                        let mut d = DictSim::default();
                        d.expand(k);
                        d.add_n(k);
                        d.add();
                        let rest = n - k - 1;
                        if rest > 4 {
                            d.expand(rest);
                        }
                        d.add_n(rest);
                        self.rehash_swing(&d);
                        d.slots()
                    }
                    _ => np2(n),
                };
                ht(slots, self)
            }
        }
    }

    /// Redis 7.4+ hashes with field TTLs: `listpackex` (a `listpackEx`
    /// struct of 32 bytes plus a listpack of field, value, TTL triplets) or
    /// a hashtable whose fields carry 8 bytes of TTL metadata.
    fn hash_ex_value(&mut self, th: &super::profile::Thresholds, t: u8) -> (u64, &'static str) {
        let l = self.l;
        let n = self.n;
        let small = match t {
            RDB_TYPE_HASH_LISTPACK_EX | RDB_TYPE_HASH_LISTPACK_EX_PRE_GA => {
                n <= th.hash_max_listpack_entries
            }
            _ => n <= th.hash_max_listpack_entries && self.first_long_pair.is_none(),
        };
        if small {
            let lp = LISTPACK_EMPTY + self.lp_entries + self.lp_ttl_entries;
            // `listpackEx`: expire metadata, the key (until 8.2 embeds it
            // in the object) and the listpack pointer; 8.2.3 measured 24.
            let header = if l.kv_object.is_some() { 24 } else { 32 };
            return (ROBJ + l.alloc(header) + l.alloc(lp), "listpackex");
        }
        // 8.2.3 measured: 16 bytes of TTL metadata a volatile field, and
        // the dict grown one add at a time at load (not pre-sized), so a
        // hash can end mid-rehash with both tables.
        let (meta, slots) = if l.kv_object.is_some() {
            let mut d = DictSim::default();
            d.add_n(n);
            self.rehash_swing(&d);
            (16 * self.field_ttls, d.slots())
        } else {
            (8 * self.field_ttls, np2(n))
        };
        (
            avg_sum(
                ROBJ + l.dict + 8 * slots,
                self.sds_sum + meta + DICT_ENTRY * n,
                n,
            ),
            "hashtable",
        )
    }

    fn stream_value(&mut self) -> (u64, &'static str) {
        let l = self.l;
        self.n = self.stream_meta.as_ref().map(|m| m.length).unwrap_or(0);
        let tree = self.stream_rax.get_or_insert_with(Rax::default);
        let allocated = tree.alloc_size(|n| l.alloc(n));
        let rax = if l.open_hashtable {
            allocated
        } else {
            // `MEMORY USAGE` counts 244 bytes a node; the nodes are smaller.
            self.alloc_delta += allocated as f64 - tree.usage() as f64;
            tree.usage()
        };
        // 5.0 and 6.0 leave the `stream` struct out of `MEMORY USAGE`
        // (object.c counts it from 6.2); it is allocated all the same.
        let counted = if l.stream_struct_counted { l.stream } else { 0 };
        self.alloc_delta += (l.stream - counted) as f64;
        let v = ROBJ + counted + rax + self.stream_lp + self.stream_groups;
        // For glibc's slack: a node and a listpack each, and the groups'
        // structs, consumers, names and pending entries (24 bytes at least).
        self.stream_allocs = 2 * tree.node_count() + self.stream_groups / 24;
        // 5.0's `OBJECT ENCODING` has no name for it.
        (
            v,
            if l.stream_encoding_named {
                "stream"
            } else {
                "unknown"
            },
        )
    }
}

impl ValueVisitor for Collector<'_> {
    fn string(&mut self, v: Elem<'_>) {
        self.string_len = v.len() as u64;
        self.largest = self.string_len;
        self.string_int = as_int(v);
    }

    #[inline(always)]
    fn item(&mut self, v: Elem<'_>) {
        self.n += 1;
        self.elem(v);
        match self.type_byte {
            RDB_TYPE_LIST | RDB_TYPE_LIST_ZIPLIST => self.ql_push(v),
            RDB_TYPE_LIST_QUICKLIST | RDB_TYPE_LIST_QUICKLIST_2 => {
                if let Some((sz, count)) = &mut self.ql_open {
                    *sz += listpack_entry(v);
                    *count += 1;
                }
            }
            _ => self.set_item(v),
        }
    }

    fn zset_item(&mut self, member: Elem<'_>, score: f64) {
        self.n += 1;
        self.elem(member);
        self.sds_of(member);
        if self.l.kv_object.is_some_and(|v| v.zset_node_embeds_member) {
            let len = member.len() as u64;
            // A byte giving the member's sds header size, then the sds
            // (t_zset.c `zslCreateNode`).
            let extra = 1 + sds_header(len) + len + 1;
            let (mean, var) = self.l.skiplist_node_moments(16, extra);
            self.zset_nodes += mean;
            self.zset_nodes_var += var;
            self.zset_tail = self.zset_tail.max(self.l.skiplist_tail(16, extra));
        }
        if !(self.need_lp || self.need_zl) {
            return;
        }
        let repr = score_entry(score, self.l.listpack_sets_lists);
        self.lp_entries += repr.listpack_entry();
        let zl = match repr {
            ScoreRepr::Int(i) => ziplist_entry(Elem::Int(i), self.zl_prev),
            ScoreRepr::Text(len) => {
                ziplist_entry(Elem::Bytes(&vec![b'0'; len as usize]), self.zl_prev)
            }
        };
        self.zl_bytes += zl;
        self.zl_prev = zl;
    }

    fn hash_field(&mut self, field: Elem<'_>, value: Elem<'_>, expire_at_ms: Option<i64>) {
        let (f, v) = (field.len() as u64, value.len() as u64);
        let limit = self.t.thresholds.hash_max_listpack_value;
        if self.first_long_pair.is_none() && (f > limit || v > limit) {
            self.first_long_pair = Some(self.n);
        }
        self.n += 1;
        self.elem_of_len(field, f);
        self.elem_of_len(value, v);
        self.sds_sum += self.l.sds(f) + self.l.sds(v);
        self.field_ttls += expire_at_ms.is_some() as u64;
        self.lp_ttl_entries += match expire_at_ms {
            Some(t) => listpack_entry(Elem::Int(t)),
            None => LP_ZERO_ENTRY,
        };
        if self.l.open_hashtable {
            // The field sds with the value sds embedded after it when both
            // fit in 128 bytes, else a value pointer before a field with at
            // least a type-8 header (its flag bits mark the pointer);
            // measured on 8.1.8 and 9.1.2. A field with a TTL (9.0+) has
            // its 8-byte expiry first and a type-8 header at least.
            let expire = if expire_at_ms.is_some() { 8 } else { 0 };
            let header = if expire > 0 {
                sds_header(f).max(3)
            } else {
                sds_header(f)
            };
            let embedded = expire + header + f + 1 + 3 + v + 1;
            self.valkey_entries += if embedded <= 128 {
                self.l.alloc(embedded)
            } else {
                self.l.alloc(expire + 8 + sds_header(f).max(3) + f + 1) + self.l.sds(v)
            };
            if let Some(t) = expire_at_ms.filter(|_| self.field_expiries.len() < VSET_SIMULATED) {
                self.field_expiries.push(t);
            }
        }
    }

    fn blob(&mut self, kind: BlobKind, len: usize) {
        match self.type_byte {
            RDB_TYPE_LIST_QUICKLIST | RDB_TYPE_LIST_QUICKLIST_2 => {
                self.stored_node_bytes = len as u64;
                // v1 ziplist nodes become listpacks on 7.0+ (sized from
                // their elements); 4.0–6.2 keep the ziplist as is.
                if kind == BlobKind::Listpack || self.l.ziplist {
                    self.ql_node(len as u64);
                } else {
                    // Rebuilt: the stored compressed length is the ziplist's.
                    self.ql_node_lzf = None;
                    self.ql_open = Some((LISTPACK_EMPTY, 0));
                }
            }
            RDB_TYPE_STREAM_LISTPACKS
            | RDB_TYPE_STREAM_LISTPACKS_2
            | RDB_TYPE_STREAM_LISTPACKS_3
            | RDB_TYPE_STREAM_LISTPACKS_4
            | RDB_TYPE_STREAM_LISTPACKS_5 => {}
            _ => self.blob_bytes += len as u64,
        }
    }

    fn quicklist_node(&mut self, plain: bool, len: u64, lzf_len: Option<u64>) {
        self.ql_close();
        self.ql_node_lzf = lzf_len;
        if plain {
            self.stored_node_plain = true;
            self.ql_node(len);
        }
    }

    fn stream_node(&mut self, master: StreamId, lp_len: usize) {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&master.ms.to_be_bytes());
        key[8..].copy_from_slice(&master.seq.to_be_bytes());
        self.stream_rax
            .get_or_insert_with(Rax::default)
            .insert(&key);
        self.stream_lp += if self.l.stream_lp_bytes {
            lp_len as u64
        } else {
            self.l.alloc(lp_len as u64)
        };
    }

    fn stream_meta(&mut self, meta: &StreamMeta) {
        self.stream_meta = Some(meta.clone());
    }

    fn stream_group(&mut self, g: &Group) {
        let l = self.l;
        let mut pel = Rax::default();
        let mut ids: Vec<StreamId> = g.pending.iter().map(|p| p.id).collect();
        ids.sort();
        for id in &ids {
            pel.insert(&id_key(*id));
        }
        let usage = |r: &Rax| {
            if l.open_hashtable {
                r.alloc_size(|n| l.alloc(n))
            } else {
                r.usage()
            }
        };
        let counted_vs_allocated = |r: &Rax| {
            if l.open_hashtable {
                0.0
            } else {
                r.alloc_size(|n| l.alloc(n)) as f64 - r.usage() as f64
            }
        };
        self.alloc_delta += counted_vs_allocated(&pel);
        let mut v = l.stream_cg + usage(&pel) + l.stream_nack * g.pending.len() as u64;
        for c in &g.consumers {
            let mut cp = Rax::default();
            let mut ids = c.pending.clone();
            ids.sort();
            for id in &ids {
                cp.insert(&id_key(*id));
            }
            self.alloc_delta += counted_vs_allocated(&cp);
            v += l.stream_consumer + c.name.len() + usage(&cp);
        }
        self.stream_groups += v;
    }

    fn module(&mut self, value: &ModuleValue) {
        self.module = Some(*value);
    }

    fn array_item(&mut self, _index: u64, value: rdb::ArrayElem<'_>) {
        self.n += 1;
        if let rdb::ArrayElem::Str(e) = value {
            self.blob_bytes += e.len() as u64;
            self.largest = self.largest.max(e.len() as u64);
        } else {
            self.blob_bytes += 8;
        }
    }
}

fn id_key(id: StreamId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&id.ms.to_be_bytes());
    k[8..].copy_from_slice(&id.seq.to_be_bytes());
    k
}
