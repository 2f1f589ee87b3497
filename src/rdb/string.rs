//! RDB lengths, strings and doubles (`rdbLoadLenByRef`,
//! `rdbGenericLoadStringObject`, `rdbLoadDoubleValue` in Redis `src/rdb.c`).

use super::cursor::Cursor;
use super::error::{Error, ErrorKind, Result};
use super::lzf;

pub const RDB_6BITLEN: u8 = 0;
pub const RDB_14BITLEN: u8 = 1;
pub const RDB_32BITLEN: u8 = 0x80;
pub const RDB_64BITLEN: u8 = 0x81;
pub const RDB_ENCVAL: u8 = 3;
pub const RDB_ENC_INT8: u8 = 0;
pub const RDB_ENC_INT16: u8 = 1;
pub const RDB_ENC_INT32: u8 = 2;
pub const RDB_ENC_LZF: u8 = 3;

/// One element of a value: bytes, or an integer stored in binary form
/// (INT strings, ziplist/listpack/intset integers). An integer stands for
/// its decimal text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Elem<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

impl<'a> Elem<'a> {
    /// Byte length of the element's text form (an integer's decimal digits).
    pub fn len(&self) -> usize {
        match *self {
            Elem::Bytes(b) => b.len(),
            Elem::Int(i) => int_text_len(i),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the text form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match *self {
            Elem::Bytes(b) => out.extend_from_slice(b),
            Elem::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        self.write_to(&mut v);
        v
    }

    /// The element as a score (strtod semantics on text).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Elem::Int(i) => Some(i as f64),
            Elem::Bytes(b) => parse_f64(b),
        }
    }
}

/// Number of bytes in the decimal text of `i`.
pub fn int_text_len(i: i64) -> usize {
    if (0..10).contains(&i) {
        return 1;
    }
    let digits = i.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 1;
    digits + usize::from(i < 0)
}

/// Parses a score stored as text (`%.17g` output, `inf`, `-inf`, `nan`).
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?.trim();
    match s {
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => s.parse::<f64>().ok(),
    }
}

/// A string as stored: borrowed raw bytes, an integer, or LZF data that is
/// decompressed only when asked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RdbStr<'a> {
    Raw(&'a [u8]),
    Int(i64),
    Lzf {
        data: &'a [u8],
        ulen: u64,
        offset: u64,
    },
}

impl<'a> RdbStr<'a> {
    /// Length in bytes of the decoded string.
    pub fn len(&self) -> u64 {
        match *self {
            RdbStr::Raw(b) => b.len() as u64,
            RdbStr::Int(i) => int_text_len(i) as u64,
            RdbStr::Lzf { ulen, .. } => ulen,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The decoded element; LZF data is decompressed into `scratch`.
    #[inline]
    pub fn elem<'s>(&self, scratch: &'s mut Vec<u8>) -> Result<Elem<'s>>
    where
        'a: 's,
    {
        match *self {
            RdbStr::Raw(b) => Ok(Elem::Bytes(b)),
            RdbStr::Int(i) => Ok(Elem::Int(i)),
            RdbStr::Lzf { data, ulen, offset } => {
                lzf::decompress(data, ulen, scratch)
                    .map_err(|(at, why)| Error::new(offset + at as u64, ErrorKind::BadLzf(why)))?;
                Ok(Elem::Bytes(scratch))
            }
        }
    }

    /// The decoded bytes (integers as decimal text). Allocates.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        let mut scratch = Vec::new();
        Ok(self.elem(&mut scratch)?.to_vec())
    }

    /// Checks that LZF data decompresses to its declared length, without
    /// producing the bytes (see [`lzf::check`]).
    pub fn check(&self) -> Result<()> {
        match *self {
            RdbStr::Lzf { data, ulen, offset } => lzf::check(data, ulen)
                .map_err(|(at, why)| Error::new(offset + at as u64, ErrorKind::BadLzf(why))),
            _ => Ok(()),
        }
    }

    /// The first `n` bytes of the decoded string (all of it if shorter),
    /// after checking the whole of it: a long value is validated without
    /// being held.
    pub fn checked_prefix(&self, n: usize) -> Result<Vec<u8>> {
        match *self {
            RdbStr::Lzf { data, offset, .. } if self.len() > n as u64 => {
                self.check()?;
                let mut out = Vec::new();
                lzf::decompress_prefix(data, n, &mut out)
                    .map_err(|(at, why)| Error::new(offset + at as u64, ErrorKind::BadLzf(why)))?;
                Ok(out)
            }
            RdbStr::Raw(b) if b.len() > n => Ok(b[..n].to_vec()),
            _ => self.to_vec(),
        }
    }

    /// The decoded bytes, borrowing when possible; `scratch` holds LZF or
    /// integer text.
    pub fn bytes<'s>(&self, scratch: &'s mut Vec<u8>) -> Result<&'s [u8]>
    where
        'a: 's,
    {
        match *self {
            RdbStr::Raw(b) => Ok(b),
            RdbStr::Int(i) => {
                scratch.clear();
                Elem::Int(i).write_to(scratch);
                Ok(scratch)
            }
            RdbStr::Lzf { .. } => match self.elem(scratch)? {
                Elem::Bytes(b) => Ok(b),
                Elem::Int(_) => Ok(&[]),
            },
        }
    }
}

/// A length or, when the top bits are `11`, a special string encoding.
enum Len {
    Plain(u64),
    Encoded(u8),
}

#[inline]
fn read_len_or_enc(c: &mut Cursor<'_>) -> Result<Len> {
    let at = c.offset();
    let b = c.u8()?;
    match b >> 6 {
        0 => Ok(Len::Plain((b & 0x3f) as u64)),
        1 => Ok(Len::Plain((((b & 0x3f) as u64) << 8) | c.u8()? as u64)),
        3 => Ok(Len::Encoded(b & 0x3f)),
        _ => match b {
            RDB_32BITLEN => Ok(Len::Plain(c.u32_be()? as u64)),
            RDB_64BITLEN => Ok(Len::Plain(c.u64_be()?)),
            _ => Err(Error::new(at, ErrorKind::BadLength(b))),
        },
    }
}

/// Reads a length (`rdbLoadLen`).
#[inline]
pub fn read_len(c: &mut Cursor<'_>) -> Result<u64> {
    let at = c.offset();
    match read_len_or_enc(c)? {
        Len::Plain(n) => Ok(n),
        Len::Encoded(_) => Err(Error::new(at, ErrorKind::UnexpectedEncodedLength)),
    }
}

/// Reads a count of items that each take at least `min_bytes` bytes, and
/// rejects counts the remaining input cannot hold, so no later allocation or
/// loop is sized by an unchecked number.
#[inline]
pub fn read_count(c: &mut Cursor<'_>, min_bytes: u64, what: &'static str) -> Result<u64> {
    let at = c.offset();
    let n = read_len(c)?;
    if n.saturating_mul(min_bytes) > c.remaining() as u64 {
        return Err(Error::new(
            at,
            ErrorKind::Count {
                what,
                count: n,
                need: n.saturating_mul(min_bytes),
                left: c.remaining() as u64,
            },
        ));
    }
    Ok(n)
}

/// Reads a string (`rdbGenericLoadStringObject`) without copying.
#[inline]
pub fn read_string<'a>(c: &mut Cursor<'a>) -> Result<RdbStr<'a>> {
    let at = c.offset();
    match read_len_or_enc(c)? {
        Len::Plain(n) => Ok(RdbStr::Raw(c.take_len(n)?)),
        Len::Encoded(RDB_ENC_INT8) => Ok(RdbStr::Int(c.u8()? as i8 as i64)),
        Len::Encoded(RDB_ENC_INT16) => Ok(RdbStr::Int(c.u16_le()? as i16 as i64)),
        Len::Encoded(RDB_ENC_INT32) => Ok(RdbStr::Int(c.u32_le()? as i32 as i64)),
        Len::Encoded(RDB_ENC_LZF) => {
            let clen = read_len(c)?;
            let ulen = read_len(c)?;
            let offset = c.offset();
            let data = c.take_len(clen)?;
            c.note_lzf(ulen);
            Ok(RdbStr::Lzf { data, ulen, offset })
        }
        Len::Encoded(e) => Err(Error::new(at, ErrorKind::BadStringEncoding(0xc0 | e))),
    }
}

/// The largest ziplist, listpack, intset or zipmap a server writes:
/// Redis refuses to grow a listpack or ziplist past 1 GiB (`lpSafeToAdd`,
/// `ziplistSafeToAdd`); larger ones are converted first. A crafted LZF
/// blob could otherwise inflate 88x into memory.
pub const MAX_BLOB: u64 = 1 << 30;

/// A ziplist, listpack, intset or zipmap blob, borrowed from the file or
/// decompressed into a scratch buffer.
pub struct Blob<'s> {
    pub bytes: &'s [u8],
    /// Offset to give the blob's cursor: the file offset of its first byte,
    /// or 0 for a decompressed blob (see [`Blob::fix`]).
    pub base: u64,
    lzf_at: Option<u64>,
}

impl<'s> Blob<'s> {
    /// Decodes `s` as a blob; LZF data goes to `scratch`.
    pub fn from_str<'a: 's>(
        s: RdbStr<'a>,
        end: u64,
        scratch: &'s mut Vec<u8>,
        what: &'static str,
    ) -> Result<Blob<'s>> {
        if s.len() > MAX_BLOB {
            let at = match s {
                RdbStr::Lzf { offset, .. } => offset,
                _ => end.saturating_sub(s.len()),
            };
            return Err(Error::corrupt(
                at,
                what,
                format!(
                    "a blob of {} bytes; no server writes a ziplist, listpack or intset over \
                     1 GiB (LISTPACK_MAX_SAFETY_SIZE)",
                    s.len()
                ),
            ));
        }
        match s {
            RdbStr::Raw(b) => Ok(Blob {
                bytes: b,
                base: end - b.len() as u64,
                lzf_at: None,
            }),
            RdbStr::Lzf { offset, .. } => match s.elem(scratch)? {
                Elem::Bytes(b) => Ok(Blob {
                    bytes: b,
                    base: 0,
                    lzf_at: Some(offset),
                }),
                Elem::Int(_) => Err(Error::corrupt(
                    offset,
                    what,
                    "integer where a blob was expected",
                )),
            },
            RdbStr::Int(_) => Err(Error::corrupt(
                end,
                what,
                "integer where a blob was expected",
            )),
        }
    }

    /// Where the LZF data of a decompressed blob starts (`None`: stored raw).
    pub fn lzf_at(&self) -> Option<u64> {
        self.lzf_at
    }

    /// Gives an error from walking this blob its file offset.
    pub fn fix(&self, e: Error) -> Error {
        match self.lzf_at {
            Some(at) => e.inside_lzf(at),
            None => e,
        }
    }
}

/// Reads a string that holds a blob (raw or LZF, never an integer).
#[inline]
pub fn read_blob<'a, 's>(
    c: &mut Cursor<'a>,
    scratch: &'s mut Vec<u8>,
    what: &'static str,
) -> Result<Blob<'s>>
where
    'a: 's,
{
    let s = read_string(c)?;
    Blob::from_str(s, c.offset(), scratch, what)
}

/// Skips a string without decoding it.
#[inline]
pub fn skip_string(c: &mut Cursor<'_>) -> Result<()> {
    read_string(c).map(|_| ())
}

/// Reads a type-3 zset score: length byte then ASCII, with 253/254/255 for
/// NaN/+inf/-inf (`rdbLoadDoubleValue`).
pub fn read_ascii_double(c: &mut Cursor<'_>) -> Result<f64> {
    let at = c.offset();
    let n = c.u8()?;
    match n {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        _ => {
            let b = c.take(n as usize)?;
            parse_f64(b).ok_or_else(|| Error::corrupt(at, "double", "not a number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_forms() {
        let cases: &[(&[u8], u64)] = &[
            (&[0x05], 5),
            (&[0x41, 0x02], 0x102),
            (&[0x80, 0, 1, 0, 0], 65536),
            (&[0x81, 0, 0, 0, 1, 0, 0, 0, 0], 1 << 32),
        ];
        for (bytes, want) in cases {
            assert_eq!(read_len(&mut Cursor::new(bytes, 0)).unwrap(), *want);
        }
        let e = read_len(&mut Cursor::new(&[0x82], 7)).unwrap_err();
        assert_eq!((e.offset, e.kind), (7, ErrorKind::BadLength(0x82)));
    }

    #[test]
    fn int_strings() {
        let mut s = Vec::new();
        for (bytes, want) in [
            (&[0xc0, 0xfb][..], "-5"),
            (&[0xc1, 0x00, 0x80], "-32768"),
            (&[0xc2, 0xff, 0xff, 0xff, 0x7f], "2147483647"),
        ] {
            let v = read_string(&mut Cursor::new(bytes, 0)).unwrap();
            assert_eq!(v.bytes(&mut s).unwrap(), want.as_bytes());
            assert_eq!(v.len(), want.len() as u64);
        }
    }

    #[test]
    fn int_text_len_matches() {
        for i in [0i64, 9, 10, -1, -10, i64::MIN, i64::MAX, 123456] {
            assert_eq!(int_text_len(i), i.to_string().len());
        }
    }
}
