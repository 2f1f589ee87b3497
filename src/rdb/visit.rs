//! What decoding a value reports: the [`ValueVisitor`] trait and the
//! plain types it is handed (stream IDs, groups, module values...), plus
//! the [`Scratch`] buffers decoding reuses. A leaf of the decoder, so the
//! per-encoding files and the value dispatcher all depend on it and not
//! on each other.

use std::fmt;

use super::module::ModuleId;
use super::string::{Elem, RdbStr};

/// Which compact blob a value stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobKind {
    Ziplist,
    Listpack,
    Intset,
    Zipmap,
}

/// A module value, walked without the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleValue {
    pub id: ModuleId,
    /// Bytes of the opcode-annotated body, including its EOF opcode.
    pub serialized_len: u64,
}

/// One element of an `RDB_TYPE_ARRAY` value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArrayElem<'a> {
    Str(Elem<'a>),
    Int(i64),
    Float(f64),
}

/// Receives a value's contents. Every method defaults to doing nothing, so
/// a visitor implements only what it needs.
///
/// Elements are reported in stored order. Integers stored in binary form
/// arrive as `Elem::Int`; they stand for their decimal text.
#[allow(unused_variables)]
pub trait ValueVisitor {
    /// A string value.
    fn string(&mut self, value: Elem<'_>) {}
    /// A list element or set member.
    fn item(&mut self, value: Elem<'_>) {}
    fn zset_item(&mut self, member: Elem<'_>, score: f64) {}
    /// A hash field; `expire_at_ms` is the field TTL (ms since the epoch).
    fn hash_field(&mut self, field: Elem<'_>, value: Elem<'_>, expire_at_ms: Option<i64>) {}
    /// A ziplist, listpack, intset or zipmap blob of `len` bytes (uncompressed).
    fn blob(&mut self, kind: BlobKind, len: usize) {}
    /// A quicklist node: `plain` nodes hold one element; `lzf_len` is the
    /// compressed size when the node was stored LZF-compressed.
    fn quicklist_node(&mut self, plain: bool, len: u64, lzf_len: Option<u64>) {}
    /// A stream radix-tree node: its master ID and listpack length.
    fn stream_node(&mut self, master: StreamId, lp_len: usize) {}
    fn stream_entry(&mut self, id: StreamId, fields: &[(Elem<'_>, Elem<'_>)]) {}
    fn stream_meta(&mut self, meta: &StreamMeta) {}
    fn stream_group(&mut self, group: &Group<'_>) {}
    fn stream_idmp(&mut self, idmp: &Idmp<'_>) {}
    fn module(&mut self, value: &ModuleValue) {}
    fn array_item(&mut self, index: u64, value: ArrayElem<'_>) {}
}

/// A visitor that ignores everything (used by `verify` and for skipping).
pub struct NullVisitor;
impl ValueVisitor for NullVisitor {}

/// Reusable buffers for LZF output, so decoding allocates only when a value
/// is larger than any before it.
#[derive(Default)]
pub struct Scratch {
    pub a: Vec<u8>,
    pub(crate) b: Vec<u8>,
    pub(crate) blob: Vec<u8>,
}

impl Scratch {
    /// Frees buffers grown past `max` bytes (a consumer that decoded one
    /// huge value need not keep its copy).
    pub fn shrink(&mut self, max: usize) {
        for b in [&mut self.a, &mut self.b, &mut self.blob] {
            if b.capacity() > max {
                *b = Vec::new();
            }
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Stream-level fields, reported after the entries (file order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamMeta {
    /// `XLEN`.
    pub length: u64,
    pub last_id: StreamId,
    /// RDB type 19+.
    pub first_id: Option<StreamId>,
    pub max_deleted_id: Option<StreamId>,
    pub entries_added: Option<u64>,
    /// Number of radix-tree nodes (listpacks).
    pub nodes: u64,
    /// Entries flagged deleted but still present in node listpacks.
    pub deleted_entries: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PendingEntry {
    pub id: StreamId,
    /// Last delivery time, ms since the epoch.
    pub delivery_time_ms: i64,
    pub delivery_count: u64,
}

/// Consumer names and IDMP ids are borrowed as stored (checked, not
/// inflated: thousands of LZF names could inflate 88 times the file) and
/// read one at a time by the visitor that needs their bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Consumer<'a> {
    pub name: RdbStr<'a>,
    /// ms since the epoch.
    pub seen_time_ms: i64,
    /// RDB type 21+, ms since the epoch.
    pub active_time_ms: Option<i64>,
    pub pending: Vec<StreamId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group<'a> {
    pub name: Vec<u8>,
    pub last_id: StreamId,
    /// RDB type 19+; `None` when stored as unknown.
    pub entries_read: Option<u64>,
    pub pending: Vec<PendingEntry>,
    pub consumers: Vec<Consumer<'a>>,
    /// RDB type 27: PEL entries owned by no consumer.
    pub nack: Vec<StreamId>,
}

/// One IDMP producer: its id and (idempotency id, stream id) pairs.
pub type IdmpProducer<'a> = (RdbStr<'a>, Vec<(RdbStr<'a>, StreamId)>);

/// RDB type 26+: idempotent-producer tracking.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Idmp<'a> {
    pub duration_s: u64,
    pub max_entries: u64,
    pub producers: Vec<IdmpProducer<'a>>,
    pub iids_added: u64,
    pub iids_duplicates: u64,
}
