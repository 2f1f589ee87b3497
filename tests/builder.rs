//! Test-only RDB writer.
//!
//! Builds byte-exact RDB files (and the blobs inside them) so the integration
//! tests can check the decoder against values they chose themselves. The layouts
//! follow `/work/shared/docs/FORMAT.md`; where that file is unsure the comment on
//! the function names the source that was checked instead.
//!
//! Overview:
//! - [`Rdb`]: a file. `Rdb::redis(12).aux(..).select_db(0).key(T_STRING, b"k", string(b"v")).finish(true)`.
//! - Primitive encoders returning bytes: [`len`], [`len_forced`], [`string`], [`string_int`],
//!   [`string_lzf`], [`double_ascii`], [`double_bin`].
//! - Blob encoders: [`ziplist`], [`listpack`], [`intset`], [`zipmap`].
//! - Value encoders, one per type byte: `v_*` functions returning the value bytes
//!   that follow the key.
//! - Containers: [`gzip`], [`zstd`], [`lz4_frame`], [`aof_with_preamble`].
#![allow(dead_code)]

use std::io::Write;

// ---------------------------------------------------------------------------
// Type bytes and opcodes (RDB_TYPE_* / RDB_OPCODE_* in rdb.h)
// ---------------------------------------------------------------------------

pub const T_STRING: u8 = 0;
pub const T_LIST: u8 = 1;
pub const T_SET: u8 = 2;
pub const T_ZSET: u8 = 3;
pub const T_HASH: u8 = 4;
pub const T_ZSET_2: u8 = 5;
pub const T_MODULE_PRE_GA: u8 = 6;
pub const T_MODULE_2: u8 = 7;
pub const T_HASH_ZIPMAP: u8 = 9;
pub const T_LIST_ZIPLIST: u8 = 10;
pub const T_SET_INTSET: u8 = 11;
pub const T_ZSET_ZIPLIST: u8 = 12;
pub const T_HASH_ZIPLIST: u8 = 13;
pub const T_LIST_QUICKLIST: u8 = 14;
pub const T_STREAM_LISTPACKS: u8 = 15;
pub const T_HASH_LISTPACK: u8 = 16;
pub const T_ZSET_LISTPACK: u8 = 17;
pub const T_LIST_QUICKLIST_2: u8 = 18;
pub const T_STREAM_LISTPACKS_2: u8 = 19;
pub const T_SET_LISTPACK: u8 = 20;
pub const T_STREAM_LISTPACKS_3: u8 = 21;
/// Redis: HASH_METADATA_PRE_GA. Valkey (RDB 80): HASH_2.
pub const T_HASH_METADATA_PRE_GA: u8 = 22;
pub const T_VALKEY_HASH_2: u8 = 22;
pub const T_HASH_LISTPACK_EX_PRE_GA: u8 = 23;
pub const T_HASH_METADATA: u8 = 24;
pub const T_HASH_LISTPACK_EX: u8 = 25;
pub const T_STREAM_LISTPACKS_4: u8 = 26;
pub const T_STREAM_LISTPACKS_5: u8 = 27;
pub const T_ARRAY: u8 = 28;
pub const T_HASH_TMPL_LP: u8 = 29;
pub const T_HASH_TMPL_LP_REF: u8 = 30;
pub const T_HASH_TMPL_ARRAY: u8 = 31;
pub const T_HASH_TMPL_ARRAY_REF: u8 = 32;

pub const OP_HASH_TEMPLATE: u8 = 242;
/// Redis RDB >= 13: KEY_META. Valkey RDB 80: SLOT_IMPORT.
pub const OP_KEY_META: u8 = 243;
pub const OP_SLOT_IMPORT: u8 = 243;
pub const OP_SLOT_INFO: u8 = 244;
pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION_PRE_GA: u8 = 246;
pub const OP_MODULE_AUX: u8 = 247;
pub const OP_IDLE: u8 = 248;
pub const OP_FREQ: u8 = 249;
pub const OP_AUX: u8 = 250;
pub const OP_RESIZEDB: u8 = 251;
pub const OP_EXPIRETIME_MS: u8 = 252;
pub const OP_EXPIRETIME: u8 = 253;
pub const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

// ---------------------------------------------------------------------------
// CRC-64/REDIS
// ---------------------------------------------------------------------------

pub fn crc64(bytes: &[u8]) -> u64 {
    crc::Crc::<u64>::new(&crc::CRC_64_REDIS).checksum(bytes)
}

// ---------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------

/// An RDB file under construction. Every method appends bytes, in call order.
#[derive(Clone, Debug)]
pub struct Rdb {
    buf: Vec<u8>,
    version: u32,
}

impl Rdb {
    /// `REDIS%04d` magic.
    pub fn redis(version: u32) -> Rdb {
        Rdb {
            buf: format!("REDIS{version:04}").into_bytes(),
            version,
        }
    }

    /// `VALKEY%03d` magic.
    pub fn valkey(version: u32) -> Rdb {
        Rdb {
            buf: format!("VALKEY{version:03}").into_bytes(),
            version,
        }
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// Bytes written so far (the next byte's offset in the file).
    pub fn offset(&self) -> usize {
        self.buf.len()
    }

    pub fn raw(mut self, bytes: &[u8]) -> Rdb {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// AUX with plain strings.
    pub fn aux(self, k: &str, v: &str) -> Rdb {
        self.aux_enc(&string(k.as_bytes()), &string(v.as_bytes()))
    }

    /// AUX with pre-encoded key and value strings (INT/LZF forms).
    pub fn aux_enc(mut self, k: &[u8], v: &[u8]) -> Rdb {
        self.buf.push(OP_AUX);
        self.buf.extend_from_slice(k);
        self.buf.extend_from_slice(v);
        self
    }

    pub fn select_db(self, n: u64) -> Rdb {
        self.select_db_enc(&len(n))
    }

    pub fn select_db_enc(mut self, encoded_len: &[u8]) -> Rdb {
        self.buf.push(OP_SELECTDB);
        self.buf.extend_from_slice(encoded_len);
        self
    }

    pub fn resize_db(mut self, db_size: u64, expires_size: u64) -> Rdb {
        self.buf.push(OP_RESIZEDB);
        self.buf.extend_from_slice(&len(db_size));
        self.buf.extend_from_slice(&len(expires_size));
        self
    }

    /// EXPIRETIME_MS, 8 bytes LE.
    pub fn expire_ms(mut self, ms: i64) -> Rdb {
        self.buf.push(OP_EXPIRETIME_MS);
        self.buf.extend_from_slice(&ms.to_le_bytes());
        self
    }

    /// EXPIRETIME (old form), 4 bytes LE seconds.
    pub fn expire_s(mut self, s: i32) -> Rdb {
        self.buf.push(OP_EXPIRETIME);
        self.buf.extend_from_slice(&s.to_le_bytes());
        self
    }

    pub fn idle(mut self, secs: u64) -> Rdb {
        self.buf.push(OP_IDLE);
        self.buf.extend_from_slice(&len(secs));
        self
    }

    pub fn freq(mut self, f: u8) -> Rdb {
        self.buf.push(OP_FREQ);
        self.buf.push(f);
        self
    }

    /// A key record with a plain-string key.
    pub fn key(self, type_byte: u8, key: &[u8], value: Vec<u8>) -> Rdb {
        self.key_enc(type_byte, &string(key), value)
    }

    /// A key record whose key is already encoded (INT/LZF/forced length form).
    pub fn key_enc(mut self, type_byte: u8, encoded_key: &[u8], value: Vec<u8>) -> Rdb {
        self.buf.push(type_byte);
        self.buf.extend_from_slice(encoded_key);
        self.buf.extend_from_slice(&value);
        self
    }

    /// SLOT_INFO (244): slot id, slot size, expires size.
    pub fn slot_info(mut self, slot: u64, size: u64, expires: u64) -> Rdb {
        self.buf.push(OP_SLOT_INFO);
        for n in [slot, size, expires] {
            self.buf.extend_from_slice(&len(n));
        }
        self
    }

    /// FUNCTION2 (245) with a pre-encoded string (e.g. LZF).
    pub fn function2_enc(mut self, code: &[u8]) -> Rdb {
        self.buf.push(OP_FUNCTION2);
        self.buf.extend_from_slice(code);
        self
    }

    /// HASH_TEMPLATE (242) with pre-encoded field name strings.
    pub fn hash_template_enc(mut self, id: u64, fields: &[Vec<u8>]) -> Rdb {
        self.buf.push(OP_HASH_TEMPLATE);
        self.buf.extend_from_slice(&len(id));
        self.buf.extend_from_slice(&len(fields.len() as u64));
        for f in fields {
            self.buf.extend_from_slice(f);
        }
        self
    }

    /// FUNCTION2 (245): one string holding the library source.
    pub fn function2(mut self, code: &[u8]) -> Rdb {
        self.buf.push(OP_FUNCTION2);
        self.buf.extend_from_slice(&string(code));
        self
    }

    /// FUNCTION_PRE_GA (246), checked against redis 7.0-rc1 src/rdb.c rdbSaveFunctions:
    /// name, engine, has-desc (len), [desc], code.
    pub fn function_pre_ga(
        mut self,
        name: &[u8],
        engine: &[u8],
        desc: Option<&[u8]>,
        code: &[u8],
    ) -> Rdb {
        self.buf.push(OP_FUNCTION_PRE_GA);
        self.buf.extend_from_slice(&string(name));
        self.buf.extend_from_slice(&string(engine));
        match desc {
            Some(d) => {
                self.buf.extend_from_slice(&len(1));
                self.buf.extend_from_slice(&string(d));
            }
            None => self.buf.extend_from_slice(&len(0)),
        }
        self.buf.extend_from_slice(&string(code));
        self
    }

    /// MODULE_AUX (247): module id, when-opcode UINT (2), when (1 before / 2 after),
    /// then the opcode-annotated body and the module EOF (0).
    pub fn module_aux(mut self, name: &str, encver: u64, when: u64, body: &[ModOp]) -> Rdb {
        self.buf.push(OP_MODULE_AUX);
        self.buf.extend_from_slice(&len(module_id(name, encver)));
        self.buf.extend_from_slice(&len(2));
        self.buf.extend_from_slice(&len(when));
        self.buf.extend_from_slice(&module_body(body));
        self
    }

    /// Redis KEY_META (243, RDB >= 13), checked against librdb PR #93 parserRaw.c
    /// elementRawKeyMeta: num_classes (len), per class: 4-byte class spec, module-opcode
    /// body, module EOF. Goes right before the type byte.
    pub fn key_meta(mut self, classes: &[([u8; 4], Vec<ModOp>)]) -> Rdb {
        self.buf.push(OP_KEY_META);
        self.buf.extend_from_slice(&len(classes.len() as u64));
        for (spec, body) in classes {
            self.buf.extend_from_slice(spec);
            self.buf.extend_from_slice(&module_body(body));
        }
        self
    }

    /// Valkey SLOT_IMPORT (243, RDB 80), checked against valkey tests/integration
    /// slot-import RDB test: job name (string, 40 bytes when written by a server),
    /// range count (len), ranges as (start len, end len).
    pub fn slot_import(mut self, job_name: &[u8], ranges: &[(u64, u64)]) -> Rdb {
        self.buf.push(OP_SLOT_IMPORT);
        self.buf.extend_from_slice(&string(job_name));
        self.buf.extend_from_slice(&len(ranges.len() as u64));
        for (a, b) in ranges {
            self.buf.extend_from_slice(&len(*a));
            self.buf.extend_from_slice(&len(*b));
        }
        self
    }

    /// Redis HASH_TEMPLATE (242, RDB 15). Layout `[template_id][field_count][fields...]`
    /// as documented by rediscope's RDB v14 notes (citing redis rdb.c handler); FORMAT.md
    /// §5.11 instead guesses "id = order of appearance" without the id field [?].
    pub fn hash_template(mut self, id: u64, fields: &[&[u8]]) -> Rdb {
        self.buf.push(OP_HASH_TEMPLATE);
        self.buf.extend_from_slice(&len(id));
        self.buf.extend_from_slice(&len(fields.len() as u64));
        for f in fields {
            self.buf.extend_from_slice(&string(f));
        }
        self
    }

    /// The bytes written so far, without EOF.
    pub fn bytes(&self) -> Vec<u8> {
        self.buf.clone()
    }

    /// EOF, then (RDB >= 5) the CRC-64 over magic..EOF, or 8 zero bytes when
    /// `checksum` is false.
    pub fn finish(mut self, checksum: bool) -> Vec<u8> {
        self.buf.push(OP_EOF);
        if self.version >= 5 {
            let crc = if checksum { crc64(&self.buf) } else { 0 };
            self.buf.extend_from_slice(&crc.to_le_bytes());
        }
        self.buf
    }
}

// ---------------------------------------------------------------------------
// Lengths and strings (FORMAT.md §2.1, §2.2)
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LenForm {
    /// `00xxxxxx`
    B6,
    /// `01xxxxxx yyyyyyyy`
    B14,
    /// `0x80` + u32 BE
    B32,
    /// `0x81` + u64 BE
    B64,
}

/// Shortest length form, as rdbSaveLen writes it.
pub fn len(n: u64) -> Vec<u8> {
    let form = if n < 1 << 6 {
        LenForm::B6
    } else if n < 1 << 14 {
        LenForm::B14
    } else if n <= u32::MAX as u64 {
        LenForm::B32
    } else {
        LenForm::B64
    };
    len_forced(n, form)
}

/// A length in the given form (panics if `n` does not fit it).
pub fn len_forced(n: u64, form: LenForm) -> Vec<u8> {
    match form {
        LenForm::B6 => {
            assert!(n < 64);
            vec![n as u8]
        }
        LenForm::B14 => {
            assert!(n < 1 << 14);
            vec![0x40 | (n >> 8) as u8, n as u8]
        }
        LenForm::B32 => {
            let n32 = u32::try_from(n).expect("fits 32 bits");
            let mut v = vec![0x80];
            v.extend_from_slice(&n32.to_be_bytes());
            v
        }
        LenForm::B64 => {
            let mut v = vec![0x81];
            v.extend_from_slice(&n.to_be_bytes());
            v
        }
    }
}

/// Plain string: shortest length + bytes.
pub fn string(bytes: &[u8]) -> Vec<u8> {
    string_forced(bytes, None)
}

/// Plain string with the length in a chosen form (`None` = shortest).
pub fn string_forced(bytes: &[u8], form: Option<LenForm>) -> Vec<u8> {
    let mut v = match form {
        Some(f) => len_forced(bytes.len() as u64, f),
        None => len(bytes.len() as u64),
    };
    v.extend_from_slice(bytes);
    v
}

/// INT-encoded string in the smallest of C0/C1/C2 (panics beyond i32).
pub fn string_int(i: i64) -> Vec<u8> {
    if let Ok(b) = i8::try_from(i) {
        string_int8(b)
    } else if let Ok(w) = i16::try_from(i) {
        string_int16(w)
    } else {
        string_int32(i32::try_from(i).expect("INT string must fit 32 bits"))
    }
}

pub fn string_int8(i: i8) -> Vec<u8> {
    vec![0xC0, i as u8]
}

pub fn string_int16(i: i16) -> Vec<u8> {
    let mut v = vec![0xC1];
    v.extend_from_slice(&i.to_le_bytes());
    v
}

pub fn string_int32(i: i32) -> Vec<u8> {
    let mut v = vec![0xC2];
    v.extend_from_slice(&i.to_le_bytes());
    v
}

/// LZF string `C3 clen ulen data`. Uses the `lzf` crate and falls back to an
/// all-literal LZF stream when the data does not compress.
pub fn string_lzf(bytes: &[u8]) -> Vec<u8> {
    assert!(!bytes.is_empty(), "Redis rejects ulen == 0");
    let compressed = lzf::compress(bytes).unwrap_or_else(|_| lzf_literal(bytes));
    lzf_wrap(&compressed, bytes.len())
}

/// LZF string made only of literal runs (valid for any input).
pub fn string_lzf_literal(bytes: &[u8]) -> Vec<u8> {
    lzf_wrap(&lzf_literal(bytes), bytes.len())
}

fn lzf_wrap(compressed: &[u8], ulen: usize) -> Vec<u8> {
    let mut v = vec![0xC3];
    v.extend_from_slice(&len(compressed.len() as u64));
    v.extend_from_slice(&len(ulen as u64));
    v.extend_from_slice(compressed);
    v
}

/// An LZF string that decompresses to `ulen` zero bytes at the format's
/// best ratio (a 1-byte literal, then 264-byte back-references of
/// distance 1: 3 bytes each): the bomb a crafted file would hold.
pub fn string_lzf_zeros(ulen: u64) -> Vec<u8> {
    assert!(ulen >= 1);
    let mut z = vec![0x00, 0x00];
    let mut left = ulen - 1;
    while left >= 264 {
        z.extend_from_slice(&[0xE0, 0xFF, 0x00]);
        left -= 264;
    }
    match left {
        0 => {}
        1 => z.extend_from_slice(&[0x00, 0x00]),
        n if n < 9 => z.extend_from_slice(&[((n - 2) << 5) as u8, 0x00]),
        n => z.extend_from_slice(&[0xE0, (n - 9) as u8, 0x00]),
    }
    let mut v = vec![0xC3];
    v.extend_from_slice(&len(z.len() as u64));
    v.extend_from_slice(&len(ulen));
    v.extend_from_slice(&z);
    v
}

/// LZF stream of literal runs: control byte `n-1` (< 32) then `n` bytes.
pub fn lzf_literal(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32 + 1);
    for chunk in bytes.chunks(32) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
    out
}

/// Type-3 ASCII double: 253 NaN, 254 +inf, 255 -inf, else len + text.
pub fn double_ascii(f: f64) -> Vec<u8> {
    if f.is_nan() {
        vec![253]
    } else if f == f64::INFINITY {
        vec![254]
    } else if f == f64::NEG_INFINITY {
        vec![255]
    } else {
        let s = format!("{f:?}");
        let mut v = vec![s.len() as u8];
        v.extend_from_slice(s.as_bytes());
        v
    }
}

/// ASCII double with caller-chosen text (e.g. `%.17g` output).
pub fn double_ascii_text(text: &str) -> Vec<u8> {
    let mut v = vec![text.len() as u8];
    v.extend_from_slice(text.as_bytes());
    v
}

pub fn double_bin(f: f64) -> Vec<u8> {
    f.to_le_bytes().to_vec()
}

// ---------------------------------------------------------------------------
// Ziplist / listpack elements
// ---------------------------------------------------------------------------

/// An element of a ziplist or listpack.
#[derive(Clone, Debug, PartialEq)]
pub enum Elem {
    Str(Vec<u8>),
    /// Integer in the smallest encoding.
    Int(i64),
    /// Integer in a forced encoding, named by its first encoding byte:
    /// ziplist `0xF1..=0xFD` (immediate), `0xFE`, `0xC0`, `0xF0`, `0xD0`, `0xE0`;
    /// listpack `0x00` (7-bit), `0xC0` (13-bit), `0xF1`, `0xF2`, `0xF3`, `0xF4`.
    IntAs(i64, u8),
}

pub fn s(b: impl AsRef<[u8]>) -> Elem {
    Elem::Str(b.as_ref().to_vec())
}

pub fn i(n: i64) -> Elem {
    Elem::Int(n)
}

// ---------------------------------------------------------------------------
// Ziplist (FORMAT.md §5.1)
// ---------------------------------------------------------------------------

fn ziplist_int_tag(n: i64) -> u8 {
    if (0..=12).contains(&n) {
        0xF1 + n as u8
    } else if i8::try_from(n).is_ok() {
        0xFE
    } else if i16::try_from(n).is_ok() {
        0xC0
    } else if (-(1 << 23)..(1 << 23)).contains(&n) {
        0xF0
    } else if i32::try_from(n).is_ok() {
        0xD0
    } else {
        0xE0
    }
}

/// Encoding + data of one ziplist entry (without prevlen).
fn ziplist_entry_body(e: &Elem) -> Vec<u8> {
    let (n, tag) = match e {
        Elem::Str(b) => {
            let mut v = if b.len() <= 63 {
                vec![b.len() as u8]
            } else if b.len() <= 16383 {
                vec![0x40 | (b.len() >> 8) as u8, b.len() as u8]
            } else {
                let mut h = vec![0x80];
                h.extend_from_slice(&(b.len() as u32).to_be_bytes());
                h
            };
            v.extend_from_slice(b);
            return v;
        }
        Elem::Int(n) => (*n, ziplist_int_tag(*n)),
        Elem::IntAs(n, tag) => (*n, *tag),
    };
    let mut v = vec![tag];
    match tag {
        0xF1..=0xFD => assert_eq!(n, (tag & 0x0F) as i64 - 1, "immediate value mismatch"),
        0xFE => v.extend_from_slice(&(n as i8).to_le_bytes()),
        0xC0 => v.extend_from_slice(&(n as i16).to_le_bytes()),
        0xF0 => v.extend_from_slice(&(n as i32).to_le_bytes()[..3]),
        0xD0 => v.extend_from_slice(&(n as i32).to_le_bytes()),
        0xE0 => v.extend_from_slice(&n.to_le_bytes()),
        _ => panic!("not a ziplist int encoding: {tag:#x}"),
    }
    v
}

fn ziplist_prevlen(prev: usize) -> Vec<u8> {
    if prev < 254 {
        vec![prev as u8]
    } else {
        let mut v = vec![0xFE];
        v.extend_from_slice(&(prev as u32).to_le_bytes());
        v
    }
}

/// A ziplist blob with a correct zllen (65535 when there are that many entries).
pub fn ziplist(elems: &[Elem]) -> Vec<u8> {
    ziplist_with_zllen(elems, None)
}

/// A ziplist blob with an explicit zllen (e.g. 65535 = "count by walking").
pub fn ziplist_with_zllen(elems: &[Elem], zllen: Option<u16>) -> Vec<u8> {
    let mut entries = Vec::new();
    let mut prev = 0usize;
    let mut tail = 10usize;
    for e in elems {
        let mut entry = ziplist_prevlen(prev);
        entry.extend_from_slice(&ziplist_entry_body(e));
        tail = 10 + entries.len();
        prev = entry.len();
        entries.extend_from_slice(&entry);
    }
    let total = 10 + entries.len() + 1;
    let count = zllen.unwrap_or(elems.len().min(65535) as u16);
    let mut v = Vec::with_capacity(total);
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v.extend_from_slice(&(tail as u32).to_le_bytes());
    v.extend_from_slice(&count.to_le_bytes());
    v.extend_from_slice(&entries);
    v.push(0xFF);
    v
}

// ---------------------------------------------------------------------------
// Listpack (FORMAT.md §5.2)
// ---------------------------------------------------------------------------

fn listpack_int_tag(n: i64) -> u8 {
    if (0..=127).contains(&n) {
        0x00
    } else if (-4096..=4095).contains(&n) {
        0xC0
    } else if i16::try_from(n).is_ok() {
        0xF1
    } else if (-(1 << 23)..(1 << 23)).contains(&n) {
        0xF2
    } else if i32::try_from(n).is_ok() {
        0xF3
    } else {
        0xF4
    }
}

/// Encoding + data of one listpack entry (without backlen).
fn listpack_entry_body(e: &Elem) -> Vec<u8> {
    let (n, tag) = match e {
        Elem::Str(b) => {
            let mut v = if b.len() < 64 {
                vec![0x80 | b.len() as u8]
            } else if b.len() < 4096 {
                vec![0xE0 | (b.len() >> 8) as u8, b.len() as u8]
            } else {
                let mut h = vec![0xF0];
                h.extend_from_slice(&(b.len() as u32).to_le_bytes());
                h
            };
            v.extend_from_slice(b);
            return v;
        }
        Elem::Int(n) => (*n, listpack_int_tag(*n)),
        Elem::IntAs(n, tag) => (*n, *tag),
    };
    match tag {
        0x00 => {
            assert!((0..=127).contains(&n));
            vec![n as u8]
        }
        0xC0 => {
            assert!((-4096..=4095).contains(&n));
            let u = (n as u64 & 0x1FFF) as u16;
            vec![0xC0 | (u >> 8) as u8, u as u8]
        }
        0xF1 => [vec![0xF1], (n as i16).to_le_bytes().to_vec()].concat(),
        0xF2 => [vec![0xF2], (n as i32).to_le_bytes()[..3].to_vec()].concat(),
        0xF3 => [vec![0xF3], (n as i32).to_le_bytes().to_vec()].concat(),
        0xF4 => [vec![0xF4], n.to_le_bytes().to_vec()].concat(),
        _ => panic!("not a listpack int encoding: {tag:#x}"),
    }
}

/// Listpack backlen of an entry whose encoding+data is `size` bytes.
pub fn listpack_backlen(size: usize) -> Vec<u8> {
    let l = size as u64;
    if l <= 127 {
        vec![l as u8]
    } else if l < 16383 {
        vec![(l >> 7) as u8, (l & 127) as u8 | 128]
    } else if l < 2097151 {
        vec![
            (l >> 14) as u8,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]
    } else if l < 268435455 {
        vec![
            (l >> 21) as u8,
            ((l >> 14) & 127) as u8 | 128,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]
    } else {
        vec![
            (l >> 28) as u8,
            ((l >> 21) & 127) as u8 | 128,
            ((l >> 14) & 127) as u8 | 128,
            ((l >> 7) & 127) as u8 | 128,
            (l & 127) as u8 | 128,
        ]
    }
}

pub fn listpack(elems: &[Elem]) -> Vec<u8> {
    listpack_with_count(elems, None)
}

/// A listpack with an explicit num_elements (65535 = unknown).
pub fn listpack_with_count(elems: &[Elem], count: Option<u16>) -> Vec<u8> {
    let mut entries = Vec::new();
    for e in elems {
        let body = listpack_entry_body(e);
        entries.extend_from_slice(&body);
        entries.extend_from_slice(&listpack_backlen(body.len()));
    }
    let total = 6 + entries.len() + 1;
    let n = count.unwrap_or(elems.len().min(65535) as u16);
    let mut v = Vec::with_capacity(total);
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v.extend_from_slice(&n.to_le_bytes());
    v.extend_from_slice(&entries);
    v.push(0xFF);
    v
}

// ---------------------------------------------------------------------------
// Intset (FORMAT.md §5.3) and zipmap (§5.4)
// ---------------------------------------------------------------------------

/// Intset with `width` bytes per element (2, 4 or 8). Values are written in the
/// order given (callers pass them ascending, as Redis does).
pub fn intset(width: u32, vals: &[i64]) -> Vec<u8> {
    assert!(matches!(width, 2 | 4 | 8));
    let mut v = Vec::new();
    v.extend_from_slice(&width.to_le_bytes());
    v.extend_from_slice(&(vals.len() as u32).to_le_bytes());
    for &x in vals {
        v.extend_from_slice(&x.to_le_bytes()[..width as usize]);
    }
    v
}

fn zipmap_len(n: usize) -> Vec<u8> {
    if n < 254 {
        vec![n as u8]
    } else {
        let mut v = vec![0xFE];
        v.extend_from_slice(&(n as u32).to_le_bytes());
        v
    }
}

/// Zipmap: zmlen (count, or 254 when `zmlen_unknown`), entries with `free` unused
/// bytes after each value, 0xFF.
pub fn zipmap(pairs: &[(&[u8], &[u8])], free: u8, zmlen_unknown: bool) -> Vec<u8> {
    let mut v = vec![if zmlen_unknown || pairs.len() >= 254 {
        254
    } else {
        pairs.len() as u8
    }];
    for (k, val) in pairs {
        v.extend_from_slice(&zipmap_len(k.len()));
        v.extend_from_slice(k);
        v.extend_from_slice(&zipmap_len(val.len()));
        v.push(free);
        v.extend_from_slice(val);
        v.extend(std::iter::repeat_n(0xAAu8, free as usize));
    }
    v.push(0xFF);
    v
}

// ---------------------------------------------------------------------------
// Values, one function per type byte. Each returns the bytes after the key.
// ---------------------------------------------------------------------------

/// Concatenate pre-encoded strings (e.g. list members in mixed encodings).
pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// Type 0.
pub fn v_string(b: &[u8]) -> Vec<u8> {
    string(b)
}

/// Types 1 and 2: count, then pre-encoded strings.
pub fn v_list_enc(items: &[Vec<u8>]) -> Vec<u8> {
    let mut v = len(items.len() as u64);
    for it in items {
        v.extend_from_slice(it);
    }
    v
}

/// Types 1 and 2 with plain strings.
pub fn v_list(items: &[&[u8]]) -> Vec<u8> {
    v_list_enc(&items.iter().map(|b| string(b)).collect::<Vec<_>>())
}

/// Type 3: member (plain string) + ASCII double.
pub fn v_zset_ascii(items: &[(&[u8], f64)]) -> Vec<u8> {
    let mut v = len(items.len() as u64);
    for (m, sc) in items {
        v.extend_from_slice(&string(m));
        v.extend_from_slice(&double_ascii(*sc));
    }
    v
}

/// Type 5: member + binary double. Written in the order given; Redis writes
/// highest score first.
pub fn v_zset2(items: &[(&[u8], f64)]) -> Vec<u8> {
    let mut v = len(items.len() as u64);
    for (m, sc) in items {
        v.extend_from_slice(&string(m));
        v.extend_from_slice(&double_bin(*sc));
    }
    v
}

/// Type 4: count, field, value (pre-encoded strings).
pub fn v_hash_enc(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut v = len(pairs.len() as u64);
    for (f, val) in pairs {
        v.extend_from_slice(f);
        v.extend_from_slice(val);
    }
    v
}

pub fn v_hash(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    v_hash_enc(
        &pairs
            .iter()
            .map(|(f, v)| (string(f), string(v)))
            .collect::<Vec<_>>(),
    )
}

/// Any blob type (9, 10, 11, 12, 13, 16, 17, 20, 23): the blob as one plain string.
pub fn v_blob(blob: &[u8]) -> Vec<u8> {
    string(blob)
}

/// Any blob type, LZF-compressed.
pub fn v_blob_lzf(blob: &[u8]) -> Vec<u8> {
    string_lzf(blob)
}

/// Type 14: nodes as ziplist blobs; `lzf[i]` compresses node i.
pub fn v_quicklist(nodes: &[Vec<Elem>], lzf: &[bool]) -> Vec<u8> {
    let mut v = len(nodes.len() as u64);
    for (i, n) in nodes.iter().enumerate() {
        let zl = ziplist(n);
        if lzf.get(i).copied().unwrap_or(false) {
            v.extend_from_slice(&string_lzf(&zl));
        } else {
            v.extend_from_slice(&string(&zl));
        }
    }
    v
}

/// A quicklist v2 node.
#[derive(Clone, Debug)]
pub enum QlNode {
    /// container 2: a listpack of elements.
    Packed(Vec<Elem>),
    /// container 2, LZF-compressed listpack.
    PackedLzf(Vec<Elem>),
    /// container 1: one raw element.
    Plain(Vec<u8>),
    /// container 1, element LZF-compressed.
    PlainLzf(Vec<u8>),
}

/// Type 18.
pub fn v_quicklist2(nodes: &[QlNode]) -> Vec<u8> {
    let mut v = len(nodes.len() as u64);
    for n in nodes {
        match n {
            QlNode::Packed(e) => {
                v.extend_from_slice(&len(2));
                v.extend_from_slice(&string(&listpack(e)));
            }
            QlNode::PackedLzf(e) => {
                v.extend_from_slice(&len(2));
                v.extend_from_slice(&string_lzf(&listpack(e)));
            }
            QlNode::Plain(b) => {
                v.extend_from_slice(&len(1));
                v.extend_from_slice(&string(b));
            }
            QlNode::PlainLzf(b) => {
                v.extend_from_slice(&len(1));
                v.extend_from_slice(&string_lzf(b));
            }
        }
    }
    v
}

/// Redis type 24 HASH_METADATA: min_expire, n, (ttl, field, value) where
/// ttl = 0 (none) or expire - min_expire + 1. `expires` are absolute ms.
pub fn v_hash_metadata(items: &[(&[u8], &[u8], Option<u64>)]) -> Vec<u8> {
    let min = items.iter().filter_map(|x| x.2).min().unwrap_or(0);
    let mut v = min.to_le_bytes().to_vec();
    v.extend_from_slice(&len(items.len() as u64));
    for (f, val, exp) in items {
        let ttl = exp.map(|e| e - min + 1).unwrap_or(0);
        v.extend_from_slice(&len(ttl));
        v.extend_from_slice(&string(f));
        v.extend_from_slice(&string(val));
    }
    v
}

/// Redis type 22 HASH_METADATA_PRE_GA: n, (absolute ttl or 0, field, value).
pub fn v_hash_metadata_pre_ga(items: &[(&[u8], &[u8], Option<u64>)]) -> Vec<u8> {
    let mut v = len(items.len() as u64);
    for (f, val, exp) in items {
        v.extend_from_slice(&len(exp.unwrap_or(0)));
        v.extend_from_slice(&string(f));
        v.extend_from_slice(&string(val));
    }
    v
}

fn hash_lp_ex_blob(items: &[(&[u8], &[u8], Option<u64>)]) -> Vec<u8> {
    let mut elems = Vec::new();
    for (f, val, exp) in items {
        elems.push(s(f));
        elems.push(s(val));
        elems.push(i(exp.unwrap_or(0) as i64));
    }
    listpack(&elems)
}

/// Redis type 25 HASH_LISTPACK_EX: min_expire + listpack of (field, value, expire|0).
/// Items are written in the order given; Redis itself writes TTL fields first in
/// ascending expiry, then the fields without TTL, and its deep sanitizer
/// (`lpValidateIntegrityAndDups`, redis 7.4.1 src/rdb.c) rejects any other order.
pub fn v_hash_listpack_ex(items: &[(&[u8], &[u8], Option<u64>)]) -> Vec<u8> {
    let min = items.iter().filter_map(|x| x.2).min().unwrap_or(0);
    let mut v = min.to_le_bytes().to_vec();
    v.extend_from_slice(&string(&hash_lp_ex_blob(items)));
    v
}

/// Redis type 23 HASH_LISTPACK_EX_PRE_GA: listpack of (field, value, expire|0).
pub fn v_hash_listpack_ex_pre_ga(items: &[(&[u8], &[u8], Option<u64>)]) -> Vec<u8> {
    string(&hash_lp_ex_blob(items))
}

/// Valkey type 22 HASH_2: n, (field, value, 8-byte LE expiry; -1 = none).
pub fn v_valkey_hash2(items: &[(&[u8], &[u8], i64)]) -> Vec<u8> {
    let mut v = len(items.len() as u64);
    for (f, val, exp) in items {
        v.extend_from_slice(&string(f));
        v.extend_from_slice(&string(val));
        v.extend_from_slice(&exp.to_le_bytes());
    }
    v
}

/// An ARRAY element payload (type 28).
#[derive(Clone, Debug)]
pub enum ArrVal {
    Sds(Vec<u8>),
    Int(i64),
    Float(f64),
    SmallStr(Vec<u8>),
}

/// Redis type 28 ARRAY: n, insert-idx flag, [insert idx], n × (index, tag, payload).
pub fn v_array(elems: &[(u64, ArrVal)], insert_idx: Option<u64>) -> Vec<u8> {
    let mut v = len(elems.len() as u64);
    match insert_idx {
        Some(ix) => {
            v.extend_from_slice(&len(1));
            v.extend_from_slice(&len(ix));
        }
        None => v.extend_from_slice(&len(0)),
    }
    for (ix, val) in elems {
        v.extend_from_slice(&len(*ix));
        match val {
            ArrVal::Sds(b) => {
                v.extend_from_slice(&len(0));
                v.extend_from_slice(&string(b));
            }
            ArrVal::Int(n) => {
                v.extend_from_slice(&len(1));
                v.extend_from_slice(&n.to_le_bytes());
            }
            ArrVal::Float(f) => {
                v.extend_from_slice(&len(2));
                v.extend_from_slice(&f.to_le_bytes());
            }
            ArrVal::SmallStr(b) => {
                v.extend_from_slice(&len(3));
                v.extend_from_slice(&string(b));
            }
        }
    }
    v
}

/// Redis type 30 HASH_TMPL_LP_REF: one listpack, first entry the template id,
/// then the values in template field order. Matches the bytes in redis
/// `tests/unit/type/hash-template*.tcl` ("\x1e\x0d\x0d\x00\x00\x00\x03\x00\x05...").
pub fn v_hash_tmpl_lp_ref(template_id: i64, values: &[Elem]) -> Vec<u8> {
    let mut elems = vec![i(template_id)];
    elems.extend_from_slice(values);
    string(&listpack(&elems))
}

/// Redis type 32 HASH_TMPL_ARRAY_REF: template id (len), values (strings).
pub fn v_hash_tmpl_array_ref(template_id: u64, values: &[Vec<u8>]) -> Vec<u8> {
    let mut v = len(template_id);
    for val in values {
        v.extend_from_slice(val);
    }
    v
}

/// Redis type 29 HASH_TMPL_LP (self-contained DUMP form). Layout taken from the
/// byte strings in the redis hash-template tcl tests: a fields-section flag
/// (0 = field names as one listpack blob, 1 = count + individual strings), the
/// field section, then a values listpack whose first entry is a template id.
/// FORMAT.md §5.11 has two other guesses; this form is [?] (see report).
pub fn v_hash_tmpl_lp(fields: &[&[u8]], values: &[Elem], fields_individually: bool) -> Vec<u8> {
    let mut v = tmpl_fields_section(fields, fields_individually);
    let mut vals = vec![i(0)];
    vals.extend_from_slice(values);
    v.extend_from_slice(&string(&listpack(&vals)));
    v
}

/// Redis type 31 HASH_TMPL_ARRAY (self-contained DUMP form): fields section as in
/// [`v_hash_tmpl_lp`], then one string per value. Same source and caveat.
pub fn v_hash_tmpl_array(
    fields: &[&[u8]],
    values: &[Vec<u8>],
    fields_individually: bool,
) -> Vec<u8> {
    let mut v = tmpl_fields_section(fields, fields_individually);
    for val in values {
        v.extend_from_slice(val);
    }
    v
}

fn tmpl_fields_section(fields: &[&[u8]], individually: bool) -> Vec<u8> {
    if individually {
        let mut v = len(1);
        v.extend_from_slice(&len(fields.len() as u64));
        for f in fields {
            v.extend_from_slice(&string(f));
        }
        v
    } else {
        let mut v = len(0);
        let elems: Vec<Elem> = fields.iter().map(s).collect();
        v.extend_from_slice(&string(&listpack(&elems)));
        v
    }
}

// ---------------------------------------------------------------------------
// Modules (FORMAT.md §6)
// ---------------------------------------------------------------------------

const MODULE_CHARSET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// 64-bit module type id: 9 × 6-bit charset indexes then a 10-bit encver.
pub fn module_id(name: &str, encver: u64) -> u64 {
    assert_eq!(name.len(), 9, "module type names have 9 characters");
    assert!(encver < 1024);
    let mut id = 0u64;
    for c in name.bytes() {
        let ix = MODULE_CHARSET
            .iter()
            .position(|&x| x == c)
            .expect("charset character");
        id = (id << 6) | ix as u64;
    }
    (id << 10) | encver
}

/// One item of a module-opcode body.
#[derive(Clone, Debug)]
pub enum ModOp {
    Sint(u64),
    Uint(u64),
    Float(f32),
    Double(f64),
    /// A pre-encoded RDB string (plain, INT or LZF).
    Str(Vec<u8>),
}

/// Opcode-annotated body followed by the module EOF (0).
pub fn module_body(ops: &[ModOp]) -> Vec<u8> {
    let mut v = Vec::new();
    for op in ops {
        match op {
            ModOp::Sint(n) => {
                v.extend_from_slice(&len(1));
                v.extend_from_slice(&len(*n));
            }
            ModOp::Uint(n) => {
                v.extend_from_slice(&len(2));
                v.extend_from_slice(&len(*n));
            }
            ModOp::Float(f) => {
                v.extend_from_slice(&len(3));
                v.extend_from_slice(&f.to_le_bytes());
            }
            ModOp::Double(f) => {
                v.extend_from_slice(&len(4));
                v.extend_from_slice(&f.to_le_bytes());
            }
            ModOp::Str(enc) => {
                v.extend_from_slice(&len(5));
                v.extend_from_slice(enc);
            }
        }
    }
    v.extend_from_slice(&len(0));
    v
}

/// Type 7 value: module id (len) + body + EOF. Returns (value bytes, body length
/// including the module EOF).
pub fn v_module(name: &str, encver: u64, ops: &[ModOp]) -> (Vec<u8>, usize) {
    let body = module_body(ops);
    let mut v = len(module_id(name, encver));
    let body_len = body.len();
    v.extend_from_slice(&body);
    (v, body_len)
}

// ---------------------------------------------------------------------------
// Streams (FORMAT.md §5.7)
// ---------------------------------------------------------------------------

pub type Id = (u64, u64);

#[derive(Clone, Debug)]
pub struct StreamEntry {
    pub id: Id,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    pub deleted: bool,
}

pub fn entry(id: Id, fields: &[(&str, &str)]) -> StreamEntry {
    StreamEntry {
        id,
        fields: fields
            .iter()
            .map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect(),
        deleted: false,
    }
}

/// One radix-tree node: a master ID and its listpack. The master entry's fields are
/// those of the first entry; entries with exactly these fields get SAMEFIELDS.
#[derive(Clone, Debug)]
pub struct StreamNode {
    pub master_id: Id,
    pub entries: Vec<StreamEntry>,
}

#[derive(Clone, Debug)]
pub struct Pel {
    pub id: Id,
    pub delivery_time_ms: u64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    pub name: Vec<u8>,
    pub seen_time_ms: u64,
    pub active_time_ms: u64,
    pub pending: Vec<Id>,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub name: Vec<u8>,
    pub last_id: Id,
    pub entries_read: u64,
    pub pel: Vec<Pel>,
    pub consumers: Vec<Consumer>,
    /// v27 only: group PEL entries owned by no consumer.
    pub nack: Vec<Id>,
}

#[derive(Clone, Debug)]
pub struct IdmpProducer {
    pub pid: Vec<u8>,
    pub entries: Vec<(Vec<u8>, Id)>,
}

#[derive(Clone, Debug)]
pub struct Idmp {
    pub duration_s: u64,
    pub max_entries: u64,
    pub producers: Vec<IdmpProducer>,
    pub iids_added: u64,
    pub iids_duplicates: u64,
}

#[derive(Clone, Debug)]
pub struct Stream {
    pub nodes: Vec<StreamNode>,
    pub length: u64,
    pub last_id: Id,
    pub first_id: Id,
    pub max_deleted_id: Id,
    pub entries_added: u64,
    pub groups: Vec<Group>,
    pub idmp: Option<Idmp>,
}

pub fn raw_id(id: Id) -> Vec<u8> {
    let mut v = id.0.to_be_bytes().to_vec();
    v.extend_from_slice(&id.1.to_be_bytes());
    v
}

/// The listpack of one stream node (master entry, then entries).
pub fn stream_node_listpack(node: &StreamNode) -> Vec<u8> {
    let master_fields: Vec<Vec<u8>> = node
        .entries
        .first()
        .map(|e| e.fields.iter().map(|(f, _)| f.clone()).collect())
        .unwrap_or_default();
    let live = node.entries.iter().filter(|e| !e.deleted).count() as i64;
    let deleted = node.entries.len() as i64 - live;
    let mut el = vec![i(live), i(deleted), i(master_fields.len() as i64)];
    for f in &master_fields {
        el.push(s(f));
    }
    el.push(i(0));
    for e in &node.entries {
        let names: Vec<Vec<u8>> = e.fields.iter().map(|(f, _)| f.clone()).collect();
        let same = names == master_fields;
        let flags = (e.deleted as i64) | if same { 2 } else { 0 };
        el.push(i(flags));
        el.push(i((e.id.0 - node.master_id.0) as i64));
        el.push(i((e.id.1 as i64) - (node.master_id.1 as i64)));
        let n = e.fields.len() as i64;
        if same {
            for (_, v) in &e.fields {
                el.push(s(v));
            }
            el.push(i(n + 3));
        } else {
            el.push(i(n));
            for (f, v) in &e.fields {
                el.push(s(f));
                el.push(s(v));
            }
            el.push(i(2 * n + 4));
        }
    }
    listpack(&el)
}

/// Stream value for type 15, 19, 21, 26 or 27.
pub fn v_stream(type_byte: u8, st: &Stream) -> Vec<u8> {
    let v2 = type_byte >= T_STREAM_LISTPACKS_2;
    let v3 = type_byte >= T_STREAM_LISTPACKS_3;
    let v4 = type_byte >= T_STREAM_LISTPACKS_4;
    let v5 = type_byte >= T_STREAM_LISTPACKS_5;
    let mut v = len(st.nodes.len() as u64);
    for n in &st.nodes {
        v.extend_from_slice(&string(&raw_id(n.master_id)));
        v.extend_from_slice(&string(&stream_node_listpack(n)));
    }
    v.extend_from_slice(&len(st.length));
    v.extend_from_slice(&len(st.last_id.0));
    v.extend_from_slice(&len(st.last_id.1));
    if v2 {
        for n in [
            st.first_id.0,
            st.first_id.1,
            st.max_deleted_id.0,
            st.max_deleted_id.1,
            st.entries_added,
        ] {
            v.extend_from_slice(&len(n));
        }
    }
    v.extend_from_slice(&len(st.groups.len() as u64));
    for g in &st.groups {
        v.extend_from_slice(&string(&g.name));
        v.extend_from_slice(&len(g.last_id.0));
        v.extend_from_slice(&len(g.last_id.1));
        if v2 {
            v.extend_from_slice(&len(g.entries_read));
        }
        v.extend_from_slice(&len(g.pel.len() as u64));
        for p in &g.pel {
            v.extend_from_slice(&raw_id(p.id));
            v.extend_from_slice(&p.delivery_time_ms.to_le_bytes());
            v.extend_from_slice(&len(p.delivery_count));
        }
        v.extend_from_slice(&len(g.consumers.len() as u64));
        for c in &g.consumers {
            v.extend_from_slice(&string(&c.name));
            v.extend_from_slice(&c.seen_time_ms.to_le_bytes());
            if v3 {
                v.extend_from_slice(&c.active_time_ms.to_le_bytes());
            }
            v.extend_from_slice(&len(c.pending.len() as u64));
            for id in &c.pending {
                v.extend_from_slice(&raw_id(*id));
            }
        }
        if v5 {
            v.extend_from_slice(&len(g.nack.len() as u64));
            for id in &g.nack {
                v.extend_from_slice(&raw_id(*id));
            }
        }
    }
    if v4 {
        let empty = Idmp {
            duration_s: 0,
            max_entries: 0,
            producers: vec![],
            iids_added: 0,
            iids_duplicates: 0,
        };
        let m = st.idmp.as_ref().unwrap_or(&empty);
        v.extend_from_slice(&len(m.duration_s));
        v.extend_from_slice(&len(m.max_entries));
        v.extend_from_slice(&len(m.producers.len() as u64));
        for p in &m.producers {
            v.extend_from_slice(&string(&p.pid));
            v.extend_from_slice(&len(p.entries.len() as u64));
            for (iid, id) in &p.entries {
                v.extend_from_slice(&string(iid));
                v.extend_from_slice(&len(id.0));
                v.extend_from_slice(&len(id.1));
            }
        }
        v.extend_from_slice(&len(m.iids_added));
        v.extend_from_slice(&len(m.iids_duplicates));
    }
    v
}

// ---------------------------------------------------------------------------
// Containers (FORMAT.md §8)
// ---------------------------------------------------------------------------

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

pub fn lz4_frame(bytes: &[u8]) -> Vec<u8> {
    let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// One RESP command.
pub fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// An AOF file: the RDB preamble followed by `tail` (RESP commands).
pub fn aof_with_preamble(rdb: &[u8], tail: &[u8]) -> Vec<u8> {
    [rdb, tail].concat()
}

/// A typical AOF tail: SELECT 0 then SET.
pub fn aof_tail() -> Vec<u8> {
    [resp(&[b"SELECT", b"0"]), resp(&[b"SET", b"after", b"aof"])].concat()
}

// ---------------------------------------------------------------------------
// Unit tests for the primitives
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_check_value() {
        assert_eq!(crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn finish_appends_eof_and_crc() {
        let f = Rdb::redis(9).finish(true);
        assert_eq!(&f[..9], b"REDIS0009");
        assert_eq!(f[9], 0xFF);
        assert_eq!(f.len(), 18);
        assert_eq!(
            u64::from_le_bytes(f[10..18].try_into().unwrap()),
            crc64(&f[..10])
        );
        let z = Rdb::redis(9).finish(false);
        assert_eq!(&z[10..], &[0u8; 8]);
        let old = Rdb::redis(4).finish(true);
        assert_eq!(old, b"REDIS0004\xff");
        assert_eq!(&Rdb::valkey(80).finish(false)[..9], b"VALKEY080");
    }

    #[test]
    fn length_forms() {
        assert_eq!(len(0), vec![0]);
        assert_eq!(len(63), vec![63]);
        assert_eq!(len(64), vec![0x40, 64]);
        assert_eq!(len(16383), vec![0x7F, 0xFF]);
        assert_eq!(len(16384), vec![0x80, 0, 0, 0x40, 0]);
        assert_eq!(len(u32::MAX as u64), vec![0x80, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(len(1 << 32), vec![0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(len_forced(5, LenForm::B32), vec![0x80, 0, 0, 0, 5]);
        assert_eq!(
            len_forced(5, LenForm::B64),
            vec![0x81, 0, 0, 0, 0, 0, 0, 0, 5]
        );
        assert_eq!(len_forced(5, LenForm::B14), vec![0x40, 5]);
    }

    #[test]
    fn string_forms() {
        assert_eq!(string(b"ab"), b"\x02ab");
        assert_eq!(string_int(-5), vec![0xC0, 0xFB]);
        assert_eq!(string_int(1000), vec![0xC1, 0xE8, 0x03]);
        assert_eq!(string_int(100000), vec![0xC2, 0xA0, 0x86, 0x01, 0x00]);
        let data = b"abcabcabcabcabcabcabcabcabcabcabcabc".repeat(3);
        let l = string_lzf(&data);
        assert_eq!(l[0], 0xC3);
        let lit = string_lzf_literal(b"hello world, hello world");
        // clen = 24 + 1 control byte, ulen = 24
        assert_eq!(&lit[..3], &[0xC3, 25, 24]);
        assert_eq!(
            lzf::decompress(&lzf_literal(&data), data.len()).unwrap(),
            data
        );
    }

    #[test]
    fn lzf_round_trip_through_crate() {
        let data = b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaxyz".to_vec();
        let enc = string_lzf(&data);
        // C3, clen (1 byte), ulen (1 byte), data
        let clen = enc[1] as usize;
        assert_eq!(enc[2] as usize, data.len());
        assert_eq!(
            lzf::decompress(&enc[3..3 + clen], data.len()).unwrap(),
            data
        );
    }

    #[test]
    fn doubles() {
        assert_eq!(double_ascii(f64::NAN), vec![253]);
        assert_eq!(double_ascii(f64::INFINITY), vec![254]);
        assert_eq!(double_ascii(f64::NEG_INFINITY), vec![255]);
        assert_eq!(double_ascii(1.5), b"\x031.5");
        assert_eq!(double_bin(1.0), 1.0f64.to_le_bytes());
    }

    #[test]
    fn ziplist_sizes() {
        // Empty ziplist: 11 bytes.
        let e = ziplist(&[]);
        assert_eq!(e.len(), 11);
        assert_eq!(u32::from_le_bytes(e[0..4].try_into().unwrap()), 11);
        assert_eq!(u32::from_le_bytes(e[4..8].try_into().unwrap()), 10);
        // "a" then 5: entries [00 01 'a'] [03 F6]
        let z = ziplist(&[s("a"), i(5)]);
        assert_eq!(&z[10..], &[0x00, 0x01, b'a', 0x03, 0xF6, 0xFF]);
        assert_eq!(u32::from_le_bytes(z[4..8].try_into().unwrap()), 13);
        assert_eq!(u16::from_le_bytes(z[8..10].try_into().unwrap()), 2);
        // 24-bit int
        let z = ziplist(&[i(-8_000_000)]);
        assert_eq!(z[11], 0xF0);
        // A >253-byte entry forces a 5-byte prevlen on the next one.
        let big = vec![b'x'; 300];
        let z = ziplist(&[Elem::Str(big), i(1)]);
        // first entry: prevlen 1 + enc 2 + 300 = 303 bytes at offset 10
        assert_eq!(&z[10 + 303..10 + 303 + 5], &[0xFE, 0x2F, 0x01, 0, 0]);
        assert_eq!(u32::from_le_bytes(z[4..8].try_into().unwrap()), 313);
        // forced zllen
        let z = ziplist_with_zllen(&[i(1)], Some(65535));
        assert_eq!(&z[8..10], &[0xFF, 0xFF]);
        // 32-bit string length is big-endian
        let z = ziplist(&[Elem::Str(vec![b'y'; 17000])]);
        assert_eq!(&z[11..16], &[0x80, 0, 0, 0x42, 0x68]);
    }

    #[test]
    fn listpack_sizes() {
        assert_eq!(listpack(&[]), vec![7, 0, 0, 0, 0, 0, 0xFF]);
        let lp = listpack(&[s("a"), i(5)]);
        assert_eq!(lp, vec![12, 0, 0, 0, 2, 0, 0x81, b'a', 2, 5, 1, 0xFF]);
        // 13-bit negative: -1 -> 0x1FFF
        assert_eq!(listpack(&[i(-1)])[6..9], [0xDF, 0xFF, 2]);
        // -4096 -> 0x1000
        assert_eq!(listpack(&[i(-4096)])[6..9], [0xD0, 0x00, 2]);
        assert_eq!(
            listpack(&[i(-8_388_608)])[6..11],
            [0xF2, 0x00, 0x00, 0x80, 4]
        );
        assert_eq!(listpack(&[i(1 << 40)])[6], 0xF4);
        // backlen of a 200-byte entry body (2 + 200 = 202): [1, 202-128|128]
        assert_eq!(listpack_backlen(202), vec![1, 0x80 | 74]);
        assert_eq!(listpack_backlen(127), vec![127]);
        assert_eq!(listpack_backlen(16383), vec![0, 0xFF, 0xFF]);
        let lp = listpack(&[Elem::Str(vec![b'z'; 5000])]);
        assert_eq!(lp.len(), 6 + 5 + 5000 + 2 + 1);
        // The Redis hash-template tcl test's REF listpack: id 5, values 1, 2.
        assert_eq!(
            listpack(&[i(5), i(1), i(2)]),
            b"\x0d\x00\x00\x00\x03\x00\x05\x01\x01\x01\x02\x01\xff"
        );
    }

    #[test]
    fn intset_and_zipmap() {
        let is = intset(2, &[-3, 7]);
        assert_eq!(is, vec![2, 0, 0, 0, 2, 0, 0, 0, 0xFD, 0xFF, 7, 0]);
        let zm = zipmap(&[(b"a", b"bc")], 2, false);
        assert_eq!(zm, vec![1, 1, b'a', 2, 2, b'b', b'c', 0xAA, 0xAA, 0xFF]);
        assert_eq!(zipmap(&[], 0, true), vec![254, 0xFF]);
    }

    #[test]
    fn module_ids() {
        // Every name round-trips through the documented decoding.
        for name in ["MBbloom--", "ReJSON-RL", "graphdata", "TSDB-TYPE"] {
            let id = module_id(name, 7);
            assert_eq!(id & 1023, 7);
            let mut x = id >> 10;
            let mut out = [0u8; 9];
            for k in (0..9).rev() {
                out[k] = MODULE_CHARSET[(x & 63) as usize];
                x >>= 6;
            }
            assert_eq!(&out, name.as_bytes());
        }
    }

    #[test]
    fn stream_listpack_layout() {
        let node = StreamNode {
            master_id: (100, 0),
            entries: vec![
                entry((100, 0), &[("a", "1")]),
                entry((105, 2), &[("b", "x"), ("c", "y")]),
            ],
        };
        let lp = stream_node_listpack(&node);
        let expect = listpack(&[
            i(2),
            i(0),
            i(1),
            s("a"),
            i(0),
            i(2),
            i(0),
            i(0),
            s("1"),
            i(4),
            i(0),
            i(5),
            i(2),
            i(2),
            s("b"),
            s("x"),
            s("c"),
            s("y"),
            i(8),
        ]);
        assert_eq!(lp, expect);
        assert_eq!(
            raw_id((1, 2)),
            [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]
        );
    }

    #[test]
    fn containers_round_trip() {
        use std::io::Read;
        let data = Rdb::redis(9)
            .key(T_STRING, b"k", v_string(b"v"))
            .finish(true);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&data)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        assert_eq!(zstd::decode_all(&zstd(&data)[..]).unwrap(), data);
        let mut out = Vec::new();
        lz4_flex::frame::FrameDecoder::new(&lz4_frame(&data)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        assert_eq!(&gzip(&data)[..2], &[0x1F, 0x8B]);
        assert_eq!(&zstd(&data)[..4], &[0x28, 0xB5, 0x2F, 0xFD]);
        assert_eq!(&lz4_frame(&data)[..4], &[0x04, 0x22, 0x4D, 0x18]);
        assert!(aof_with_preamble(&data, &aof_tail()).ends_with(b"$3\r\naof\r\n"));
    }
}
