//! Type and opcode bytes (`RDB_TYPE_*`, `RDB_OPCODE_*` in Redis `src/rdb.h`,
//! Valkey `src/rdb.h`), and what each type byte means per family.

use std::fmt;

pub const RDB_TYPE_STRING: u8 = 0;
pub const RDB_TYPE_LIST: u8 = 1;
pub const RDB_TYPE_SET: u8 = 2;
pub const RDB_TYPE_ZSET: u8 = 3;
pub const RDB_TYPE_HASH: u8 = 4;
pub const RDB_TYPE_ZSET_2: u8 = 5;
pub const RDB_TYPE_MODULE_PRE_GA: u8 = 6;
pub const RDB_TYPE_MODULE_2: u8 = 7;
pub const RDB_TYPE_HASH_ZIPMAP: u8 = 9;
pub const RDB_TYPE_LIST_ZIPLIST: u8 = 10;
pub const RDB_TYPE_SET_INTSET: u8 = 11;
pub const RDB_TYPE_ZSET_ZIPLIST: u8 = 12;
pub const RDB_TYPE_HASH_ZIPLIST: u8 = 13;
pub const RDB_TYPE_LIST_QUICKLIST: u8 = 14;
pub const RDB_TYPE_STREAM_LISTPACKS: u8 = 15;
pub const RDB_TYPE_HASH_LISTPACK: u8 = 16;
pub const RDB_TYPE_ZSET_LISTPACK: u8 = 17;
pub const RDB_TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const RDB_TYPE_STREAM_LISTPACKS_2: u8 = 19;
pub const RDB_TYPE_SET_LISTPACK: u8 = 20;
pub const RDB_TYPE_STREAM_LISTPACKS_3: u8 = 21;
/// Redis 7.4 release candidates; Valkey uses 22 for `RDB_TYPE_HASH_2`.
pub const RDB_TYPE_HASH_METADATA_PRE_GA: u8 = 22;
pub const RDB_TYPE_HASH_LISTPACK_EX_PRE_GA: u8 = 23;
pub const RDB_TYPE_HASH_METADATA: u8 = 24;
pub const RDB_TYPE_HASH_LISTPACK_EX: u8 = 25;
pub const RDB_TYPE_STREAM_LISTPACKS_4: u8 = 26;
pub const RDB_TYPE_STREAM_LISTPACKS_5: u8 = 27;
pub const RDB_TYPE_ARRAY: u8 = 28;
pub const RDB_TYPE_HASH_TMPL_LP: u8 = 29;
pub const RDB_TYPE_HASH_TMPL_LP_REF: u8 = 30;
pub const RDB_TYPE_HASH_TMPL_ARRAY: u8 = 31;
pub const RDB_TYPE_HASH_TMPL_ARRAY_REF: u8 = 32;
/// Valkey 9 (RDB 80): hash with per-field expiry.
pub const VALKEY_RDB_TYPE_HASH_2: u8 = 22;

/// Redis 8.10: hash-template registry.
pub const RDB_OPCODE_HASH_TEMPLATE: u8 = 242;
/// Redis RDB 13+: module metadata attached to the next key.
pub const RDB_OPCODE_KEY_META: u8 = 243;
/// Valkey RDB 80: persisted slot-import jobs.
pub const VALKEY_RDB_OPCODE_SLOT_IMPORT: u8 = 243;
pub const RDB_OPCODE_SLOT_INFO: u8 = 244;
pub const RDB_OPCODE_FUNCTION2: u8 = 245;
pub const RDB_OPCODE_FUNCTION_PRE_GA: u8 = 246;
pub const RDB_OPCODE_MODULE_AUX: u8 = 247;
pub const RDB_OPCODE_IDLE: u8 = 248;
pub const RDB_OPCODE_FREQ: u8 = 249;
pub const RDB_OPCODE_AUX: u8 = 250;
pub const RDB_OPCODE_RESIZEDB: u8 = 251;
pub const RDB_OPCODE_EXPIRETIME_MS: u8 = 252;
pub const RDB_OPCODE_EXPIRETIME: u8 = 253;
pub const RDB_OPCODE_SELECTDB: u8 = 254;
pub const RDB_OPCODE_EOF: u8 = 255;
/// Redis Enterprise: one length (LRU data) before a key.
pub const ENTERPRISE_OPCODE_RAM_LRU: u8 = 107;

/// Which server family wrote the file: decides what bytes 22 and 243 mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    Redis,
    Valkey,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Redis => "redis",
            Family::Valkey => "valkey",
        }
    }
}

/// The logical type, as the server's `TYPE` command names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    String,
    List,
    Set,
    Zset,
    Hash,
    Stream,
    Module,
    Array,
}

impl ValueType {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::Zset => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
            ValueType::Module => "module",
            ValueType::Array => "array",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The encoding as stored in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    String,
    LinkedList,
    Hashtable,
    Skiplist,
    Module,
    Zipmap,
    Ziplist,
    Intset,
    Quicklist,
    Quicklist2,
    Listpack,
    ListpackEx,
    Stream,
    Array,
    TemplateListpack,
    TemplateArray,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::String => "string",
            Encoding::LinkedList => "linkedlist",
            Encoding::Hashtable => "hashtable",
            Encoding::Skiplist => "skiplist",
            Encoding::Module => "module",
            Encoding::Zipmap => "zipmap",
            Encoding::Ziplist => "ziplist",
            Encoding::Intset => "intset",
            Encoding::Quicklist => "quicklist",
            Encoding::Quicklist2 => "quicklist2",
            Encoding::Listpack => "listpack",
            Encoding::ListpackEx => "listpack_ex",
            Encoding::Stream => "stream",
            Encoding::Array => "array",
            Encoding::TemplateListpack => "template-listpack",
            Encoding::TemplateArray => "template-array",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Type and stored encoding of a value type byte, or `None` when the byte is
/// not a value type for this family.
pub fn type_info(family: Family, t: u8) -> Option<(ValueType, Encoding)> {
    use Encoding as E;
    use ValueType as T;
    Some(match t {
        RDB_TYPE_STRING => (T::String, E::String),
        RDB_TYPE_LIST => (T::List, E::LinkedList),
        RDB_TYPE_SET => (T::Set, E::Hashtable),
        RDB_TYPE_ZSET | RDB_TYPE_ZSET_2 => (T::Zset, E::Skiplist),
        RDB_TYPE_HASH => (T::Hash, E::Hashtable),
        RDB_TYPE_MODULE_PRE_GA | RDB_TYPE_MODULE_2 => (T::Module, E::Module),
        RDB_TYPE_HASH_ZIPMAP => (T::Hash, E::Zipmap),
        RDB_TYPE_LIST_ZIPLIST => (T::List, E::Ziplist),
        RDB_TYPE_SET_INTSET => (T::Set, E::Intset),
        RDB_TYPE_ZSET_ZIPLIST => (T::Zset, E::Ziplist),
        RDB_TYPE_HASH_ZIPLIST => (T::Hash, E::Ziplist),
        RDB_TYPE_LIST_QUICKLIST => (T::List, E::Quicklist),
        RDB_TYPE_STREAM_LISTPACKS | RDB_TYPE_STREAM_LISTPACKS_2 | RDB_TYPE_STREAM_LISTPACKS_3 => {
            (T::Stream, E::Stream)
        }
        RDB_TYPE_HASH_LISTPACK => (T::Hash, E::Listpack),
        RDB_TYPE_ZSET_LISTPACK => (T::Zset, E::Listpack),
        RDB_TYPE_LIST_QUICKLIST_2 => (T::List, E::Quicklist2),
        RDB_TYPE_SET_LISTPACK => (T::Set, E::Listpack),
        22 if family == Family::Valkey => (T::Hash, E::Hashtable),
        _ if family == Family::Valkey => return None,
        RDB_TYPE_HASH_METADATA_PRE_GA | RDB_TYPE_HASH_METADATA => (T::Hash, E::Hashtable),
        RDB_TYPE_HASH_LISTPACK_EX_PRE_GA | RDB_TYPE_HASH_LISTPACK_EX => (T::Hash, E::ListpackEx),
        RDB_TYPE_STREAM_LISTPACKS_4 | RDB_TYPE_STREAM_LISTPACKS_5 => (T::Stream, E::Stream),
        RDB_TYPE_ARRAY => (T::Array, E::Array),
        RDB_TYPE_HASH_TMPL_LP | RDB_TYPE_HASH_TMPL_LP_REF => (T::Hash, E::TemplateListpack),
        RDB_TYPE_HASH_TMPL_ARRAY | RDB_TYPE_HASH_TMPL_ARRAY_REF => (T::Hash, E::TemplateArray),
        _ => return None,
    })
}
