//! The record-level parser: header, opcodes and key records.
//!
//! [`Parser::next`] yields one [`Record`] at a time. Key records carry their
//! value as a borrowed byte span found by a shallow walk, so a caller can
//! decode it later, on any thread ([`KeyRecord::decode`]).

use super::cursor::Cursor;
use super::error::{Error, ErrorKind, Result};
use super::module::{ModuleId, RDB_MODULE_OPCODE_UINT, skip_module_body};
use super::string::{RdbStr, read_count, read_len, read_string};
use super::types::*;
use super::value::{
    Ctx, MAX_TEMPLATE_BYTES, Scratch, Templates, ValueVisitor, decode_value, skip_value,
};

/// The newest RDB version this decoder knows per family; newer ones are
/// decoded with a warning.
pub const NEWEST_REDIS_RDB: u32 = 15;
pub const NEWEST_VALKEY_RDB: u32 = 80;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub family: Family,
    /// RDB format version from the magic (`REDIS0011` → 11, `VALKEY080` → 80).
    pub version: u32,
}

/// Parses the 9-byte magic.
pub fn parse_header(data: &[u8]) -> Result<Header> {
    let Some(magic) = data.get(..9) else {
        return Err(Error::new(data.len() as u64, ErrorKind::ShortHeader));
    };
    let (family, digits) = if let Some(d) = magic.strip_prefix(b"REDIS") {
        (Family::Redis, d)
    } else if let Some(d) = magic.strip_prefix(b"VALKEY") {
        (Family::Valkey, d)
    } else {
        return Err(Error::new(0, ErrorKind::BadMagic));
    };
    let version = std::str::from_utf8(digits)
        .ok()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| Error::new(9 - digits.len() as u64, ErrorKind::BadMagic))?;
    if version == 0 {
        return Err(Error::new(5, ErrorKind::BadMagic));
    }
    Ok(Header { family, version })
}

/// One key record. `value` is the raw value span; decode it with
/// [`KeyRecord::decode`].
#[derive(Clone, Debug)]
pub struct KeyRecord<'a> {
    pub db: u64,
    pub key: RdbStr<'a>,
    /// The `RDB_TYPE_*` byte.
    pub type_byte: u8,
    pub value_type: ValueType,
    pub encoding: Encoding,
    /// Absolute expiry, ms since the epoch.
    pub expire_at_ms: Option<i64>,
    /// LRU idle time in seconds (`RDB_OPCODE_IDLE`).
    pub idle_s: Option<u64>,
    /// LFU counter (`RDB_OPCODE_FREQ`).
    pub lfu_freq: Option<u8>,
    /// Offset of the record's first byte (its first prefix opcode or type byte).
    pub offset: u64,
    pub value: &'a [u8],
    /// Offset of the value's first byte.
    pub value_offset: u64,
    pub family: Family,
}

impl<'a> KeyRecord<'a> {
    /// Bytes the record takes in the file, prefix opcodes included.
    pub fn record_len(&self) -> u64 {
        self.value_offset + self.value.len() as u64 - self.offset
    }

    /// The key as (escaped) text, for error messages.
    pub fn key_text(&self) -> String {
        key_text(&self.key)
    }

    /// Decodes the value, reporting its contents to `v`. Errors carry the
    /// record's db and key.
    pub fn decode<V: ValueVisitor>(
        &self,
        templates: &Templates,
        scratch: &mut Scratch,
        v: &mut V,
    ) -> Result<()> {
        let mut c = Cursor::new(self.value, self.value_offset);
        let ctx = Ctx {
            family: self.family,
            templates,
        };
        decode_value(&mut c, self.type_byte, ctx, scratch, v)
            .map_err(|e| e.with_context(self.db, Some(self.key_text())))
    }
}

/// The end of the RDB stream.
#[derive(Clone, Copy, Debug)]
pub struct Eof<'a> {
    /// Offset of the EOF opcode.
    pub offset: u64,
    /// Bytes covered by the checksum (magic through the EOF opcode).
    pub covered: &'a [u8],
    /// Stored CRC-64; `None` for RDB < 5.
    pub stored_checksum: Option<u64>,
    /// Bytes after the RDB (an AOF tail, or junk).
    pub trailing: u64,
    /// The first of them (up to 64), to tell what they are.
    pub tail_head: &'a [u8],
}

/// Checksum status of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    Ok,
    Mismatch {
        stored: u64,
        computed: u64,
    },
    /// RDB < 5, or a stored zero (`rdbchecksum no`).
    Absent,
}

impl Checksum {
    pub fn as_str(self) -> &'static str {
        match self {
            Checksum::Ok => "ok",
            Checksum::Mismatch { .. } => "mismatch",
            Checksum::Absent => "absent",
        }
    }
}

impl Eof<'_> {
    /// Computes the CRC-64 (Jones, init 0) and compares it with the stored one.
    pub fn verify(&self) -> Checksum {
        self.verify_with(super::crc64)
    }

    /// The same, with the CRC-64 of the covered bytes computed by `crc`.
    pub fn verify_with(&self, crc: impl FnOnce(&[u8]) -> u64) -> Checksum {
        match self.stored_checksum {
            None | Some(0) => Checksum::Absent,
            Some(stored) => {
                let computed = crc(self.covered);
                if computed == stored {
                    Checksum::Ok
                } else {
                    Checksum::Mismatch { stored, computed }
                }
            }
        }
    }
}

/// Everything an RDB file holds besides key records.
#[derive(Clone, Debug)]
pub enum Record<'a> {
    Aux {
        key: RdbStr<'a>,
        value: RdbStr<'a>,
    },
    SelectDb {
        db: u64,
    },
    ResizeDb {
        db_size: u64,
        expires_size: u64,
    },
    /// `RDB_OPCODE_FUNCTION2`: one library's source.
    Function {
        code: RdbStr<'a>,
    },
    /// `RDB_OPCODE_FUNCTION_PRE_GA` (7.0 release candidates).
    FunctionPreGa {
        name: RdbStr<'a>,
        engine: RdbStr<'a>,
        code: RdbStr<'a>,
    },
    ModuleAux {
        module: ModuleId,
        when: u64,
        len: u64,
    },
    /// `RDB_OPCODE_SLOT_INFO` (Redis cluster, RDB 12+).
    SlotInfo {
        slot: u64,
        keys: u64,
        expires: u64,
    },
    /// Valkey `RDB_OPCODE_SLOT_IMPORT` (RDB 80).
    SlotImport {
        job: RdbStr<'a>,
        ranges: u64,
    },
    /// `RDB_OPCODE_HASH_TEMPLATE` (Redis 8.10): registered as template `id`.
    HashTemplate {
        id: u64,
        fields: usize,
    },
    Key(KeyRecord<'a>),
    Eof(Eof<'a>),
}

/// A position between records with everything the parser knows there
/// (see [`Parser::checkpoint`]): a parser resumed from it decodes exactly
/// what a linear walk does.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub offset: u64,
    pub db: u64,
    pub family: Family,
    /// The hash templates registered before `offset`.
    pub templates: Templates,
}

/// A key as errors and warnings name it: escaped, and its first 1 KiB
/// with its length when longer (a crafted key can be hundreds of MiB).
pub(crate) fn key_text(k: &RdbStr<'_>) -> String {
    const MAX: usize = 1024;
    match k.checked_prefix(MAX) {
        Ok(head) if k.len() > MAX as u64 => {
            format!("{}...({} bytes)", crate::escape::escape(&head), k.len())
        }
        Ok(head) => crate::escape::escape(&head).into_owned(),
        Err(_) => String::from("<undecodable key>"),
    }
}

/// A parser's state between records (see [`Parser::mark`]).
pub(crate) struct Mark {
    pos: usize,
    lzf: u64,
    db: u64,
    family: Family,
    pending: Pending,
}

/// Prefix opcodes that apply to the next key only.
#[derive(Clone, Default)]
struct Pending {
    start: Option<u64>,
    expire_at_ms: Option<i64>,
    idle_s: Option<u64>,
    lfu_freq: Option<u8>,
}

/// Pulls records out of an RDB byte slice.
pub struct Parser<'a> {
    c: Cursor<'a>,
    data: &'a [u8],
    header: Header,
    family: Family,
    db: u64,
    /// A SELECTDB was read: `db` is the file's, not the one resumed with.
    selected: bool,
    pending: Pending,
    templates: Templates,
    warnings: Vec<String>,
    done: bool,
}

impl<'a> Parser<'a> {
    /// Reads the header. `data` starts at the magic.
    pub fn new(data: &'a [u8]) -> Result<Parser<'a>> {
        let header = parse_header(data)?;
        let mut warnings = Vec::new();
        let newest = match header.family {
            Family::Redis => NEWEST_REDIS_RDB,
            Family::Valkey => NEWEST_VALKEY_RDB,
        };
        if header.version > newest {
            warnings.push(format!(
                "RDB version {} is newer than the newest known ({newest}); decoding as {newest}",
                header.version
            ));
        }
        let mut c = Cursor::new(data, 0);
        c.skip(9)?;
        Ok(Parser {
            c,
            data,
            header,
            family: header.family,
            db: 0,
            selected: false,
            pending: Pending::default(),
            templates: Templates::default(),
            warnings,
            done: false,
        })
    }

    /// Where the parser stands between records, to resume there later
    /// (a second pass over part of a file, on another thread).
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            offset: self.c.offset(),
            db: self.db,
            family: self.family,
            templates: self.templates.clone(),
        }
    }

    /// A parser resumed at a checkpoint taken between records of `data`.
    pub fn resume(data: &'a [u8], at: &Checkpoint) -> Result<Parser<'a>> {
        let mut p = Parser::new(data)?;
        p.c.skip(at.offset.saturating_sub(9))?;
        p.db = at.db;
        p.family = at.family;
        p.templates = at.templates.clone();
        Ok(p)
    }

    /// The state before a record, to read it again once more of a stream
    /// has arrived ([`Parser::rewind`]). Templates change only when a
    /// template record has been read whole, so they need no copy.
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            pos: self.c.pos(),
            lzf: self.c.lzf_declared(),
            db: self.db,
            family: self.family,
            pending: self.pending.clone(),
        }
    }

    /// Back to `m`, over `data`: the same bytes as before and more after.
    pub(crate) fn rewind(&mut self, m: Mark, data: &'a [u8]) {
        self.extend(data);
        self.c.set_pos(m.pos);
        self.c.set_lzf_declared(m.lzf);
        self.db = m.db;
        self.family = m.family;
        self.pending = m.pending;
        self.done = false;
    }

    /// How many bytes the parser has (all of a file, or a stream so far).
    pub(crate) fn data_len(&self) -> u64 {
        self.data.len() as u64
    }

    /// More of the stream has arrived: `data` starts with the bytes so far.
    pub(crate) fn extend(&mut self, data: &'a [u8]) {
        if data.len() > self.data.len() {
            self.data = data;
            self.c.extend(data);
        }
    }

    pub fn header(&self) -> Header {
        self.header
    }

    /// The family: from the magic, or Valkey once an AUX `valkey-ver` is seen.
    pub fn family(&self) -> Family {
        self.family
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Hash templates registered so far (needed to decode template hashes).
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// Offset of the next byte to parse (how far decoding got).
    pub fn offset(&self) -> u64 {
        self.c.offset()
    }

    /// The database the next key belongs to.
    pub(crate) fn db(&self) -> u64 {
        self.db
    }

    /// Whether a SELECTDB was read.
    pub(crate) fn selected(&self) -> bool {
        self.selected
    }

    /// What the LZF strings framed so far declare they inflate to.
    pub(crate) fn lzf_declared(&self) -> u64 {
        self.c.lzf_declared()
    }

    /// The largest of them.
    pub(crate) fn lzf_largest(&self) -> u64 {
        self.c.lzf_largest()
    }

    fn warn_once(&mut self, msg: String) {
        if !self.warnings.contains(&msg) {
            self.warnings.push(msg);
        }
    }

    /// The next record; `None` after EOF. Only the scan (`crate::scan`)
    /// walks records: it owns AUX facts, the target and the checksum policy.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record<'a>>> {
        if self.done {
            return Ok(None);
        }
        let db = self.db;
        let r = self.next_inner().map_err(|e| e.with_context(db, None));
        if r.is_err() {
            self.done = true;
        }
        r
    }

    fn next_inner(&mut self) -> Result<Option<Record<'a>>> {
        loop {
            let at = self.c.offset();
            let op = self.c.u8()?;
            let c = &mut self.c;
            match op {
                RDB_OPCODE_EOF => {
                    let covered = &self.data[..(at as usize + 1).min(self.data.len())];
                    let stored_checksum = if self.header.version >= 5 {
                        Some(c.u64_le()?)
                    } else {
                        None
                    };
                    self.done = true;
                    return Ok(Some(Record::Eof(Eof {
                        offset: at,
                        covered,
                        stored_checksum,
                        trailing: c.remaining() as u64,
                        tail_head: c.rest().get(..64).unwrap_or(c.rest()),
                    })));
                }
                RDB_OPCODE_SELECTDB => {
                    self.db = read_len(c)?;
                    self.selected = true;
                    return Ok(Some(Record::SelectDb { db: self.db }));
                }
                RDB_OPCODE_RESIZEDB => {
                    let db_size = read_len(c)?;
                    let expires_size = read_len(c)?;
                    return Ok(Some(Record::ResizeDb {
                        db_size,
                        expires_size,
                    }));
                }
                RDB_OPCODE_AUX => {
                    let key = read_string(c)?;
                    let value = read_string(c)?;
                    if key == RdbStr::Raw(b"valkey-ver") {
                        self.family = Family::Valkey;
                    }
                    return Ok(Some(Record::Aux { key, value }));
                }
                RDB_OPCODE_EXPIRETIME_MS => {
                    self.pending.start.get_or_insert(at);
                    self.pending.expire_at_ms = Some(c.i64_le()?);
                }
                RDB_OPCODE_EXPIRETIME => {
                    self.pending.start.get_or_insert(at);
                    self.pending.expire_at_ms = Some(c.u32_le()? as i32 as i64 * 1000);
                }
                RDB_OPCODE_IDLE => {
                    self.pending.start.get_or_insert(at);
                    self.pending.idle_s = Some(read_len(c)?);
                }
                RDB_OPCODE_FREQ => {
                    self.pending.start.get_or_insert(at);
                    self.pending.lfu_freq = Some(c.u8()?);
                }
                RDB_OPCODE_MODULE_AUX => {
                    let module = ModuleId(read_len(c)?);
                    let wat = c.offset();
                    let when_op = read_len(c)?;
                    if when_op != RDB_MODULE_OPCODE_UINT {
                        return Err(Error::corrupt(
                            wat,
                            "module aux",
                            format!("when-opcode {when_op}, expected 2 (UINT)"),
                        ));
                    }
                    let when = read_len(c)?;
                    let body = c.offset();
                    skip_module_body(c)?;
                    return Ok(Some(Record::ModuleAux {
                        module,
                        when,
                        len: c.offset() - body,
                    }));
                }
                RDB_OPCODE_FUNCTION2 => {
                    return Ok(Some(Record::Function {
                        code: read_string(c)?,
                    }));
                }
                RDB_OPCODE_FUNCTION_PRE_GA => {
                    let name = read_string(c)?;
                    let engine = read_string(c)?;
                    if read_len(c)? != 0 {
                        read_string(c)?; // description
                    }
                    let code = read_string(c)?;
                    return Ok(Some(Record::FunctionPreGa { name, engine, code }));
                }
                RDB_OPCODE_SLOT_INFO => {
                    let slot = read_len(c)?;
                    let keys = read_len(c)?;
                    let expires = read_len(c)?;
                    return Ok(Some(Record::SlotInfo {
                        slot,
                        keys,
                        expires,
                    }));
                }
                RDB_OPCODE_KEY_META if self.family == Family::Redis => {
                    // Module metadata classes attached to the next key:
                    // count, then per class a 4-byte spec and a module body.
                    self.pending.start.get_or_insert(at);
                    let n = read_count(c, 5, "key metadata")?;
                    for _ in 0..n {
                        c.skip(4)?;
                        skip_module_body(c)?;
                    }
                }
                VALKEY_RDB_OPCODE_SLOT_IMPORT => {
                    let job = read_string(c)?;
                    let ranges = read_count(c, 2, "slot import")?;
                    for _ in 0..ranges {
                        read_len(c)?;
                        read_len(c)?;
                    }
                    return Ok(Some(Record::SlotImport { job, ranges }));
                }
                RDB_OPCODE_HASH_TEMPLATE if self.family == Family::Redis => {
                    // Template id, field count, field names.
                    let id = read_len(c)?;
                    let n = read_count(c, 1, "hash template")?;
                    let mut fields = Vec::new();
                    let mut bytes = self
                        .templates
                        .bytes()
                        .saturating_add(Templates::TEMPLATE_COST);
                    for _ in 0..n {
                        let name = read_string(c)?;
                        bytes = bytes.saturating_add(Templates::cost(name.len()));
                        if bytes > MAX_TEMPLATE_BYTES {
                            return Err(Error::corrupt(
                                at,
                                "hash template",
                                format!(
                                    "its field names bring the templates to over \
                                     {MAX_TEMPLATE_BYTES} bytes (real ones are a few names each)"
                                ),
                            ));
                        }
                        fields.push(name.to_vec()?);
                    }
                    if bytes > MAX_TEMPLATE_BYTES {
                        return Err(Error::corrupt(
                            at,
                            "hash template",
                            format!(
                                "it brings the templates to over {MAX_TEMPLATE_BYTES} bytes \
                                 (real dumps hold a few templates of a few names each)"
                            ),
                        ));
                    }
                    self.templates.insert(id, fields);
                    return Ok(Some(Record::HashTemplate {
                        id,
                        fields: n as usize,
                    }));
                }
                ENTERPRISE_OPCODE_RAM_LRU if self.family == Family::Redis => {
                    self.pending.start.get_or_insert(at);
                    read_len(c)?;
                    self.warn_once("Redis Enterprise RAM_LRU opcode (107) skipped".into());
                }
                t => {
                    let Some((value_type, encoding)) = type_info(self.family, t) else {
                        return Err(
                            Error::new(at, ErrorKind::UnknownType(t)).with_context(self.db, None)
                        );
                    };
                    return self
                        .key_record(at, t, value_type, encoding)
                        .map(|k| Some(Record::Key(k)));
                }
            }
        }
    }

    fn key_record(
        &mut self,
        at: u64,
        t: u8,
        value_type: ValueType,
        encoding: Encoding,
    ) -> Result<KeyRecord<'a>> {
        let pending = std::mem::take(&mut self.pending);
        let db = self.db;
        let key = read_string(&mut self.c).map_err(|e| e.with_context(db, None))?;
        let start = self.c.pos();
        let value_offset = self.c.offset();
        let ctx = Ctx {
            family: self.family,
            templates: &self.templates,
        };
        let key_text = |k: &RdbStr<'_>| Some(key_text(k));
        skip_value(&mut self.c, t, ctx).map_err(|e| e.with_context(db, key_text(&key)))?;
        Ok(KeyRecord {
            db,
            key,
            type_byte: t,
            value_type,
            encoding,
            expire_at_ms: pending.expire_at_ms,
            idle_s: pending.idle_s,
            lfu_freq: pending.lfu_freq,
            offset: pending.start.unwrap_or(at),
            value: self.c.since(start),
            value_offset,
            family: self.family,
        })
    }
}
