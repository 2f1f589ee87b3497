//! Value decoding: one walker per type byte, reporting elements to a
//! [`ValueVisitor`]. The same walker skips values (shallow mode: no LZF
//! decompression, blobs not opened), so skipping and decoding can never
//! disagree about where a value ends.

use super::cursor::Cursor;
use super::error::{Error, ErrorKind, Result};
use super::intset::Intset;
use super::listpack::Listpack;
use super::module::{ModuleId, skip_module_body};
use super::stream;
use super::string::{Blob, Elem, read_ascii_double, read_blob, read_count, read_len, read_string};
use super::types::*;
pub use super::visit::{ArrayElem, BlobKind, ModuleValue, NullVisitor, Scratch, ValueVisitor};
use super::ziplist::Ziplist;
use super::zipmap::Zipmap;

/// The hash templates registered by `RDB_OPCODE_HASH_TEMPLATE` (Redis
/// 8.10) so far: field names by template id; a later record with the same
/// id replaces the earlier one.
///
/// A persistent map: a snapshot (each parallel batch and checkpoint holds
/// one) is an O(1) clone and registering a template is O(log n) however
/// many snapshots are held, so a file of templates interleaved with keys
/// stays linear.
#[derive(Clone, Debug, Default)]
pub struct Templates {
    map: imbl::HashMap<u64, std::sync::Arc<[Vec<u8>]>>,
    /// Memory the registered field names take (see [`Templates::cost`]).
    bytes: u64,
}

/// The most memory the registered templates may take: real ones are a few
/// field names each; a crafted file could register LZF field names that
/// inflate 88x.
pub const MAX_TEMPLATE_BYTES: u64 = 64 << 20;

impl Templates {
    /// The field names of template `id`.
    pub fn get(&self, id: u64) -> Option<&[Vec<u8>]> {
        self.map.get(&id).map(|f| &f[..])
    }

    /// What a field name of `len` bytes costs held here (its bytes and
    /// its `Vec`).
    pub(crate) fn cost(len: u64) -> u64 {
        len.saturating_add(24)
    }

    /// Memory the registered field names take now.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// What a template costs held here besides its names (its map entry
    /// and shared slice), so that millions of empty ones count too.
    pub(crate) const TEMPLATE_COST: u64 = 128;

    pub(crate) fn insert(&mut self, id: u64, fields: Vec<Vec<u8>>) {
        let size = |f: &[Vec<u8>]| {
            f.iter().map(|x| Self::cost(x.len() as u64)).sum::<u64>() + Self::TEMPLATE_COST
        };
        self.bytes = self.bytes.saturating_add(size(&fields));
        if let Some(old) = self.map.insert(id, fields.into()) {
            self.bytes = self.bytes.saturating_sub(size(&old));
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// What a value's meaning depends on besides its bytes.
#[derive(Clone, Copy)]
pub struct Ctx<'t> {
    pub family: Family,
    pub templates: &'t Templates,
}

/// Skips a value of type `t`, checking only its framing.
pub fn skip_value(c: &mut Cursor<'_>, t: u8, ctx: Ctx<'_>) -> Result<()> {
    // Shallow mode never decompresses, so the scratch stays empty.
    walk(c, t, ctx, false, &mut Scratch::default(), &mut NullVisitor)
}

/// Decodes a value of type `t`, reporting its contents to `v`.
pub fn decode_value<V: ValueVisitor>(
    c: &mut Cursor<'_>,
    t: u8,
    ctx: Ctx<'_>,
    scratch: &mut Scratch,
    v: &mut V,
) -> Result<()> {
    walk(c, t, ctx, true, scratch, v)
}

fn pair_err(at: u64, what: &'static str) -> Error {
    Error::corrupt(at, what, "odd number of elements")
}

fn score(e: Elem<'_>, at: u64, what: &'static str) -> Result<f64> {
    e.as_f64()
        .ok_or_else(|| Error::corrupt(at, what, "score is not a number"))
}

/// A blob walker that yields elements.
trait Elems<'b> {
    fn next_elem(&mut self) -> Result<Option<Elem<'b>>>;
}
impl<'b> Elems<'b> for Listpack<'b> {
    #[inline(always)]
    fn next_elem(&mut self) -> Result<Option<Elem<'b>>> {
        Listpack::next_elem(self)
    }
}
impl<'b> Elems<'b> for Ziplist<'b> {
    #[inline(always)]
    fn next_elem(&mut self) -> Result<Option<Elem<'b>>> {
        Ziplist::next_elem(self)
    }
}

/// Reports a blob as list/set items, hash pairs or zset pairs.
#[derive(Clone, Copy)]
enum Shape {
    Items,
    Pairs,
    Scored,
    /// Field, value, TTL (0 = none): `RDB_TYPE_HASH_LISTPACK_EX`.
    Triplets,
}

// Kept out of `walk` so the element reader inlines into this loop (a
// call returning the element through memory stalled every element).
#[inline(never)]
fn emit<'b, E: Elems<'b>, V: ValueVisitor>(
    mut it: E,
    shape: Shape,
    at: u64,
    what: &'static str,
    v: &mut V,
) -> Result<()> {
    match shape {
        Shape::Items => {
            while let Some(e) = it.next_elem()? {
                v.item(e);
            }
        }
        Shape::Pairs => {
            while let Some(f) = it.next_elem()? {
                let val = it.next_elem()?.ok_or_else(|| pair_err(at, what))?;
                v.hash_field(f, val, None);
            }
        }
        Shape::Scored => {
            while let Some(m) = it.next_elem()? {
                let s = it.next_elem()?.ok_or_else(|| pair_err(at, what))?;
                v.zset_item(m, score(s, at, what)?);
            }
        }
        Shape::Triplets => {
            while let Some(f) = it.next_elem()? {
                let val = it.next_elem()?.ok_or_else(|| pair_err(at, what))?;
                let ttl = match it.next_elem()?.ok_or_else(|| pair_err(at, what))? {
                    Elem::Int(i) => i,
                    Elem::Bytes(_) => {
                        return Err(Error::corrupt(at, what, "field TTL is not an integer"));
                    }
                };
                v.hash_field(f, val, (ttl != 0).then_some(ttl));
            }
        }
    }
    Ok(())
}

/// A value stored as one listpack or ziplist blob.
fn blob_value<V: ValueVisitor>(
    c: &mut Cursor<'_>,
    deep: bool,
    s: &mut Scratch,
    kind: BlobKind,
    shape: Shape,
    what: &'static str,
    v: &mut V,
) -> Result<()> {
    if !deep {
        return read_string(c).map(|_| ());
    }
    let b = read_blob(c, &mut s.blob, what)?;
    v.blob(kind, b.bytes.len());
    let r = match kind {
        BlobKind::Ziplist => {
            Ziplist::new(b.bytes, b.base).and_then(|zl| emit(zl, shape, b.base, what, v))
        }
        _ => Listpack::new(b.bytes, b.base).and_then(|lp| emit(lp, shape, b.base, what, v)),
    };
    r.map_err(|e| b.fix(e))
}

fn walk<V: ValueVisitor>(
    c: &mut Cursor<'_>,
    t: u8,
    ctx: Ctx<'_>,
    deep: bool,
    s: &mut Scratch,
    v: &mut V,
) -> Result<()> {
    let at = c.offset();
    match t {
        RDB_TYPE_STRING => {
            let val = read_string(c)?;
            if deep {
                v.string(val.elem(&mut s.a)?);
            }
        }
        RDB_TYPE_LIST | RDB_TYPE_SET => {
            let n = read_count(c, 1, if t == RDB_TYPE_LIST { "list" } else { "set" })?;
            for _ in 0..n {
                let e = read_string(c)?;
                if deep {
                    v.item(e.elem(&mut s.a)?);
                }
            }
        }
        RDB_TYPE_ZSET | RDB_TYPE_ZSET_2 => {
            let n = read_count(c, if t == RDB_TYPE_ZSET { 2 } else { 9 }, "zset")?;
            for _ in 0..n {
                let m = read_string(c)?;
                let sc = if t == RDB_TYPE_ZSET {
                    read_ascii_double(c)?
                } else {
                    c.f64_le()?
                };
                if deep {
                    v.zset_item(m.elem(&mut s.a)?, sc);
                }
            }
        }
        RDB_TYPE_HASH => {
            let n = read_count(c, 2, "hash")?;
            for _ in 0..n {
                let f = read_string(c)?;
                let val = read_string(c)?;
                if deep {
                    v.hash_field(f.elem(&mut s.a)?, val.elem(&mut s.b)?, None);
                }
            }
        }
        RDB_TYPE_MODULE_PRE_GA => {
            return Err(Error::new(
                at,
                ErrorKind::Unsupported(
                    "pre-GA module value (type 6) cannot be skipped without its module",
                ),
            ));
        }
        RDB_TYPE_MODULE_2 => {
            let id = ModuleId(read_len(c)?);
            let body = c.offset();
            skip_module_body(c)?;
            if deep {
                v.module(&ModuleValue {
                    id,
                    serialized_len: c.offset() - body,
                });
            }
        }
        RDB_TYPE_HASH_ZIPMAP => {
            if !deep {
                return read_string(c).map(|_| ());
            }
            let b = read_blob(c, &mut s.blob, "zipmap")?;
            v.blob(BlobKind::Zipmap, b.bytes.len());
            let mut walk = || -> Result<()> {
                let mut z = Zipmap::new(b.bytes, b.base)?;
                while let Some((f, val)) = z.next_pair()? {
                    v.hash_field(Elem::Bytes(f), Elem::Bytes(val), None);
                }
                Ok(())
            };
            walk().map_err(|e| b.fix(e))?;
        }
        RDB_TYPE_LIST_ZIPLIST => blob_value(
            c,
            deep,
            s,
            BlobKind::Ziplist,
            Shape::Items,
            "list ziplist",
            v,
        )?,
        RDB_TYPE_ZSET_ZIPLIST => blob_value(
            c,
            deep,
            s,
            BlobKind::Ziplist,
            Shape::Scored,
            "zset ziplist",
            v,
        )?,
        RDB_TYPE_HASH_ZIPLIST => {
            blob_value(c, deep, s, BlobKind::Ziplist, Shape::Pairs, "hash value", v)?
        }
        RDB_TYPE_SET_INTSET => {
            if !deep {
                return read_string(c).map(|_| ());
            }
            let b = read_blob(c, &mut s.blob, "intset")?;
            v.blob(BlobKind::Intset, b.bytes.len());
            let mut walk = || -> Result<()> {
                let mut is = Intset::new(b.bytes, b.base)?;
                while let Some(i) = is.next_int()? {
                    v.item(Elem::Int(i));
                }
                Ok(())
            };
            walk().map_err(|e| b.fix(e))?;
        }
        RDB_TYPE_LIST_QUICKLIST => {
            let n = read_count(c, 1, "quicklist")?;
            for _ in 0..n {
                if !deep {
                    read_string(c)?;
                    continue;
                }
                let node = read_string(c)?;
                let lzf = match node {
                    super::string::RdbStr::Lzf { data, .. } => Some(data.len() as u64),
                    _ => None,
                };
                v.quicklist_node(false, node.len(), lzf);
                let b = Blob::from_str(node, c.offset(), &mut s.blob, "quicklist")?;
                v.blob(BlobKind::Ziplist, b.bytes.len());
                Ziplist::new(b.bytes, b.base)
                    .and_then(|zl| emit(zl, Shape::Items, b.base, "quicklist", v))
                    .map_err(|e| b.fix(e))?;
            }
        }
        RDB_TYPE_LIST_QUICKLIST_2 => {
            let n = read_count(c, 2, "quicklist")?;
            for _ in 0..n {
                let cat = c.offset();
                let container = read_len(c)?;
                if container != 1 && container != 2 {
                    return Err(Error::corrupt(
                        cat,
                        "quicklist",
                        format!("node container {container} is not PLAIN (1) or PACKED (2)"),
                    ));
                }
                let node = read_string(c)?;
                if !deep {
                    continue;
                }
                let lzf = match node {
                    super::string::RdbStr::Lzf { data, .. } => Some(data.len() as u64),
                    _ => None,
                };
                v.quicklist_node(container == 1, node.len(), lzf);
                if container == 1 {
                    v.item(node.elem(&mut s.a)?);
                    continue;
                }
                let b = Blob::from_str(node, c.offset(), &mut s.blob, "quicklist")?;
                v.blob(BlobKind::Listpack, b.bytes.len());
                Listpack::new(b.bytes, b.base)
                    .and_then(|lp| emit(lp, Shape::Items, b.base, "quicklist", v))
                    .map_err(|e| b.fix(e))?;
            }
        }
        RDB_TYPE_STREAM_LISTPACKS
        | RDB_TYPE_STREAM_LISTPACKS_2
        | RDB_TYPE_STREAM_LISTPACKS_3
        | RDB_TYPE_STREAM_LISTPACKS_4
        | RDB_TYPE_STREAM_LISTPACKS_5
            if t <= RDB_TYPE_STREAM_LISTPACKS_3 || ctx.family == Family::Redis =>
        {
            stream::walk(c, t, deep, s, v)?
        }
        RDB_TYPE_HASH_LISTPACK => blob_value(
            c,
            deep,
            s,
            BlobKind::Listpack,
            Shape::Pairs,
            "hash listpack",
            v,
        )?,
        RDB_TYPE_ZSET_LISTPACK => blob_value(
            c,
            deep,
            s,
            BlobKind::Listpack,
            Shape::Scored,
            "zset listpack",
            v,
        )?,
        RDB_TYPE_SET_LISTPACK => blob_value(
            c,
            deep,
            s,
            BlobKind::Listpack,
            Shape::Items,
            "set listpack",
            v,
        )?,
        VALKEY_RDB_TYPE_HASH_2 if ctx.family == Family::Valkey => {
            let n = read_count(c, 10, "hash")?;
            for _ in 0..n {
                let f = read_string(c)?;
                let val = read_string(c)?;
                let exp = c.i64_le()?;
                if deep {
                    v.hash_field(
                        f.elem(&mut s.a)?,
                        val.elem(&mut s.b)?,
                        (exp != -1).then_some(exp),
                    );
                }
            }
        }
        RDB_TYPE_HASH_METADATA_PRE_GA | RDB_TYPE_HASH_METADATA if ctx.family == Family::Redis => {
            let min_expire = if t == RDB_TYPE_HASH_METADATA {
                Some(c.u64_le()?)
            } else {
                None
            };
            let n = read_count(c, 3, "hash")?;
            for _ in 0..n {
                let ttl = read_len(c)?;
                let f = read_string(c)?;
                let val = read_string(c)?;
                if deep {
                    let exp = match (ttl, min_expire) {
                        (0, _) => None,
                        (ttl, Some(min)) => Some(ttl.wrapping_add(min).wrapping_sub(1) as i64),
                        (ttl, None) => Some(ttl as i64),
                    };
                    v.hash_field(f.elem(&mut s.a)?, val.elem(&mut s.b)?, exp);
                }
            }
        }
        RDB_TYPE_HASH_LISTPACK_EX_PRE_GA | RDB_TYPE_HASH_LISTPACK_EX
            if ctx.family == Family::Redis =>
        {
            if t == RDB_TYPE_HASH_LISTPACK_EX {
                c.u64_le()?; // min expire: informational
            }
            blob_value(
                c,
                deep,
                s,
                BlobKind::Listpack,
                Shape::Triplets,
                "hash listpack-ex",
                v,
            )?
        }
        RDB_TYPE_ARRAY if ctx.family == Family::Redis => {
            let n = read_count(c, 2, "array")?;
            if read_len(c)? != 0 {
                read_len(c)?; // insert index
            }
            for _ in 0..n {
                let index = read_len(c)?;
                let tat = c.offset();
                let item = match read_len(c)? {
                    0 | 3 => {
                        let e = read_string(c)?;
                        if deep {
                            Some(ArrayElem::Str(e.elem(&mut s.a)?))
                        } else {
                            None
                        }
                    }
                    1 => Some(ArrayElem::Int(c.i64_le()?)),
                    2 => Some(ArrayElem::Float(c.f64_le()?)),
                    tag => {
                        return Err(Error::corrupt(
                            tat,
                            "array",
                            format!("unknown element tag {tag}"),
                        ));
                    }
                };
                if deep && let Some(item) = item {
                    v.array_item(index, item);
                }
            }
        }
        RDB_TYPE_HASH_TMPL_LP
        | RDB_TYPE_HASH_TMPL_ARRAY
        | RDB_TYPE_HASH_TMPL_LP_REF
        | RDB_TYPE_HASH_TMPL_ARRAY_REF
            if ctx.family == Family::Redis =>
        {
            // Self-contained (DUMP) forms: a flag, the field names (0: one
            // listpack; 1: a count and strings), then the values: a listpack
            // led by the template id (29) or one string per field (31).
            // The _REF forms name a template from a HASH_TEMPLATES opcode
            // instead: by a length before the strings (32) or by the
            // listpack's first element (30).
            // Layout from the byte strings of Redis's hash-template tests.
            // Inline names are read one at a time beside their values, never
            // collected: a crafted file packs millions into an LZF listpack.
            let array = t == RDB_TYPE_HASH_TMPL_ARRAY || t == RDB_TYPE_HASH_TMPL_ARRAY_REF;
            let inline = if t == RDB_TYPE_HASH_TMPL_LP || t == RDB_TYPE_HASH_TMPL_ARRAY {
                Some(InlineNames::read(c, s, deep || array)?)
            } else {
                None
            };
            let registered = match t {
                RDB_TYPE_HASH_TMPL_ARRAY_REF => Some(template(ctx, read_len(c)?, at)?),
                _ => None,
            };
            if array {
                let n = match (&inline, registered) {
                    (Some(i), _) => i.count,
                    (None, Some(f)) => f.len() as u64,
                    (None, None) => 0,
                };
                if !deep {
                    for _ in 0..n {
                        read_string(c)?;
                    }
                    return Ok(());
                }
                let mut names = Names::new(inline.as_ref(), registered, &s.b)?;
                for _ in 0..n {
                    let val = read_string(c)?;
                    let field = names.next(&mut s.blob)?;
                    v.hash_field(field, val.elem(&mut s.a)?, None);
                }
            } else {
                if !deep {
                    return read_string(c).map(|_| ());
                }
                let b = read_blob(c, &mut s.blob, "hash template")?;
                v.blob(BlobKind::Listpack, b.bytes.len());
                let mut walk = || -> Result<()> {
                    let mut lp = Listpack::new(b.bytes, b.base)?;
                    let first = lp.next_elem()?;
                    let fields = match (registered, first, &inline) {
                        // Self-contained: the id is informational.
                        (_, _, Some(_)) => None,
                        (_, Some(Elem::Int(i)), None) if i >= 0 => {
                            Some(template(ctx, i as u64, at)?)
                        }
                        _ => {
                            return Err(Error::corrupt(
                                b.base,
                                "hash template",
                                "first element is not a template id",
                            ));
                        }
                    };
                    let mut names = Names::new(inline.as_ref(), fields, &s.b)?;
                    template_values(lp, &mut names, &mut s.a, b.base, v)
                };
                walk().map_err(|e| b.fix(e))?;
            }
        }
        _ => return Err(Error::new(at - 1, ErrorKind::UnknownType(t))),
    }
    Ok(())
}

/// Where the field names of a self-contained hash template (types 29 and
/// 31) are: a flag, then one listpack (0, decompressed into `Scratch::b`
/// when its names are needed) or a count and strings (1, read again from
/// a cursor when they are needed).
struct InlineNames<'a> {
    count: u64,
    /// Flag 1: a cursor at the first name.
    strings: Option<Cursor<'a>>,
    /// Flag 0: the listpack, in the file (with its offset) or, when it was
    /// LZF-compressed, in `Scratch::b` (with where its LZF data starts).
    file_lp: Option<(&'a [u8], u64)>,
    lzf_at: Option<u64>,
}

impl<'a> InlineNames<'a> {
    /// Reads past the names. `need`: their count or the names themselves
    /// will be wanted (else an LZF listpack is not inflated).
    fn read(c: &mut Cursor<'a>, s: &mut Scratch, need: bool) -> Result<InlineNames<'a>> {
        let fat = c.offset();
        let none = InlineNames {
            count: 0,
            strings: None,
            file_lp: None,
            lzf_at: None,
        };
        match read_len(c)? {
            0 => {
                let st = read_string(c)?;
                if !need {
                    return Ok(none);
                }
                let end = c.offset();
                let (file_lp, lzf_at) = match st {
                    super::string::RdbStr::Raw(b) => (Some((b, end - b.len() as u64)), None),
                    super::string::RdbStr::Lzf { offset, .. } => (None, Some(offset)),
                    super::string::RdbStr::Int(_) => (None, None),
                };
                let b = Blob::from_str(st, end, &mut s.b, "hash template")?;
                let mut count = 0u64;
                let mut walk = || -> Result<()> {
                    let mut lp = Listpack::new(b.bytes, b.base)?;
                    while lp.next_elem()?.is_some() {
                        count += 1;
                    }
                    Ok(())
                };
                walk().map_err(|e| b.fix(e))?;
                Ok(InlineNames {
                    count,
                    file_lp,
                    lzf_at,
                    ..none
                })
            }
            1 => {
                let count = read_count(c, 1, "hash template")?;
                let start = c.clone();
                for _ in 0..count {
                    read_string(c)?;
                }
                Ok(InlineNames {
                    count,
                    strings: Some(start),
                    ..none
                })
            }
            f => Err(Error::corrupt(
                fat,
                "hash template",
                format!("unknown field-section flag {f}"),
            )),
        }
    }
}

/// The field names of a template hash, one at a time.
enum Names<'a, 's> {
    Registered(std::slice::Iter<'s, Vec<u8>>, u64),
    Listpack(Listpack<'s>, u64, Option<u64>),
    Strings(Cursor<'a>, u64),
}

impl<'a, 's> Names<'a, 's> {
    /// `blob`: where an inline listpack of names was decompressed.
    fn new(
        inline: Option<&InlineNames<'a>>,
        registered: Option<&'s [Vec<u8>]>,
        blob: &'s [u8],
    ) -> Result<Names<'a, 's>>
    where
        'a: 's,
    {
        Ok(match (inline, registered) {
            (Some(i), _) => match (&i.strings, i.file_lp) {
                (Some(c), _) => Names::Strings(c.clone(), i.count),
                (None, Some((lp, base))) => {
                    Names::Listpack(Listpack::new(lp, base)?, i.count, None)
                }
                (None, None) => Names::Listpack(Listpack::new(blob, 0)?, i.count, i.lzf_at),
            },
            (None, Some(f)) => Names::Registered(f.iter(), f.len() as u64),
            (None, None) => Names::Registered([].iter(), 0),
        })
    }

    fn count(&self) -> u64 {
        match self {
            Names::Registered(_, n) | Names::Listpack(_, n, _) | Names::Strings(_, n) => *n,
        }
    }

    /// The next name (an LZF one is decompressed into `scratch`).
    fn next<'x>(&'x mut self, scratch: &'x mut Vec<u8>) -> Result<Elem<'x>> {
        let missing = || Error::corrupt(0, "hash template", "fewer field names than counted");
        match self {
            Names::Registered(it, _) => it.next().map(|f| Elem::Bytes(f)).ok_or_else(missing),
            Names::Listpack(lp, _, lzf_at) => {
                let e = lp.next_elem();
                let e = match lzf_at {
                    Some(at) => e.map_err(|e| e.inside_lzf(*at))?,
                    None => e?,
                };
                e.ok_or_else(missing)
            }
            Names::Strings(c, _) => read_string(c)?.elem(scratch),
        }
    }
}

fn template<'t>(ctx: Ctx<'t>, id: u64, at: u64) -> Result<&'t [Vec<u8>]> {
    ctx.templates.get(id).ok_or_else(|| {
        Error::corrupt(
            at,
            "hash template",
            format!("template {id} was not registered"),
        )
    })
}

fn template_values<V: ValueVisitor>(
    mut lp: Listpack<'_>,
    names: &mut Names<'_, '_>,
    scratch: &mut Vec<u8>,
    at: u64,
    v: &mut V,
) -> Result<()> {
    for _ in 0..names.count() {
        let val = lp.next_elem()?.ok_or_else(|| {
            Error::corrupt(at, "hash template", "fewer values than template fields")
        })?;
        v.hash_field(names.next(scratch)?, val, None);
    }
    if lp.next_elem()?.is_some() {
        return Err(Error::corrupt(
            at,
            "hash template",
            "more values than template fields",
        ));
    }
    Ok(())
}
