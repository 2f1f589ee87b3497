//! Listpack blobs (Redis `src/listpack.c`, 5.0+ streams, 7.0+ everything).
//!
//! `total_bytes u32 LE | num_elements u16 LE | entries | 0xFF`, each entry
//! `encoding+data | backlen`. The walker checks the header against the blob,
//! every entry against the end, every backlen, and the element count.

use super::cursor::Cursor;
use super::error::{Error, Result};
use super::string::Elem;

const WHAT: &str = "listpack";
const HEADER: usize = 6;

pub struct Listpack<'a> {
    c: Cursor<'a>,
    declared: u16,
    seen: u32,
    done: bool,
}

/// The frame listpacks and ziplists share: a 32-bit little-endian total that
/// must equal the blob's length, and a 0xFF end byte. Reads the total from
/// `c`, positioned at the blob's start.
pub(super) fn check_frame(c: &mut Cursor<'_>, what: &'static str) -> Result<()> {
    let (blob, base) = (c.rest(), c.offset());
    let total = c.u32_le()? as usize;
    if total != blob.len() {
        return Err(Error::corrupt(
            base,
            what,
            format!("header says {total} bytes, blob has {}", blob.len()),
        ));
    }
    if blob.last() != Some(&0xff) {
        return Err(Error::corrupt(
            base + blob.len() as u64 - 1,
            what,
            "missing 0xFF end marker",
        ));
    }
    Ok(())
}

impl<'a> Listpack<'a> {
    /// Checks the header of `blob` (whose first byte is at file offset `base`).
    pub fn new(blob: &'a [u8], base: u64) -> Result<Listpack<'a>> {
        let mut c = Cursor::new(blob, base);
        if blob.len() < HEADER + 1 {
            return Err(Error::corrupt(
                base,
                WHAT,
                format!("{} bytes, shorter than an empty listpack", blob.len()),
            ));
        }
        check_frame(&mut c, WHAT)?;
        let declared = c.u16_le()?;
        Ok(Listpack {
            c,
            declared,
            seen: 0,
            done: false,
        })
    }

    /// The next element, or `None` at the end marker.
    #[inline(always)]
    pub fn next_elem(&mut self) -> Result<Option<Elem<'a>>> {
        if self.done {
            return Ok(None);
        }
        let at = self.c.offset();
        let b = self.c.u8()?;
        let (elem, size) = match b {
            0x00..=0x7f => (Elem::Int(b as i64), 1),
            0x80..=0xbf => {
                let n = (b & 0x3f) as usize;
                (Elem::Bytes(self.c.take(n)?), 1 + n)
            }
            0xc0..=0xdf => {
                let u = (((b & 0x1f) as u16) << 8) | self.c.u8()? as u16;
                let v = if u >= 4096 { u as i64 - 8192 } else { u as i64 };
                (Elem::Int(v), 2)
            }
            0xe0..=0xef => {
                let n = (((b & 0x0f) as usize) << 8) | self.c.u8()? as usize;
                (Elem::Bytes(self.c.take(n)?), 2 + n)
            }
            0xf0 => {
                let n = self.c.u32_le()? as usize;
                (Elem::Bytes(self.c.take(n)?), 5 + n)
            }
            0xf1 => (Elem::Int(self.c.u16_le()? as i16 as i64), 3),
            0xf2 => {
                let [x, y, z] = self.c.array::<3>()?;
                let v = (i32::from_le_bytes([0, x, y, z]) >> 8) as i64;
                (Elem::Int(v), 4)
            }
            0xf3 => (Elem::Int(self.c.u32_le()? as i32 as i64), 5),
            0xf4 => (Elem::Int(self.c.i64_le()?), 9),
            0xff => {
                if !self.c.is_empty() {
                    return Err(Error::corrupt(
                        at,
                        WHAT,
                        "end marker before the end of the blob",
                    ));
                }
                if self.declared != u16::MAX && self.declared as u32 != self.seen {
                    return Err(Error::corrupt(
                        at,
                        WHAT,
                        format!(
                            "header says {} elements, found {}",
                            self.declared, self.seen
                        ),
                    ));
                }
                self.done = true;
                return Ok(None);
            }
            _ => {
                return Err(Error::corrupt(
                    at,
                    WHAT,
                    format!("invalid encoding byte 0x{b:02x}"),
                ));
            }
        };
        self.check_backlen(at, size)?;
        self.seen += 1;
        Ok(Some(elem))
    }

    #[inline(always)]
    fn check_backlen(&mut self, at: u64, size: usize) -> Result<()> {
        // One byte holding the size: the common case, kept inline.
        if size <= 127 && self.c.peek() == Some(size as u8) {
            self.c.u8()?;
            return Ok(());
        }
        self.check_long_backlen(at, size)
    }

    #[inline(never)]
    fn check_long_backlen(&mut self, at: u64, size: usize) -> Result<()> {
        if size <= 127 {
            return match self.c.u8() {
                Ok(b) => Err(Error::corrupt(
                    at,
                    WHAT,
                    format!("entry backlen {b} does not match its size {size}"),
                )),
                Err(_) => Err(Error::corrupt(at, WHAT, "entry runs past the end")),
            };
        }
        let want = backlen_size(size);
        let bl = self
            .c
            .take(want)
            .map_err(|_| Error::corrupt(at, WHAT, "entry runs past the end"))?;
        // Read backwards: the last byte holds the low 7 bits; bit 7 marks continuation.
        let mut v: usize = 0;
        for (i, &byte) in bl.iter().rev().enumerate() {
            v |= ((byte & 0x7f) as usize) << (7 * i);
        }
        if v != size {
            return Err(Error::corrupt(
                at,
                WHAT,
                format!("entry backlen {v} does not match its size {size}"),
            ));
        }
        Ok(())
    }
}

/// Bytes used by the backlen of an entry of `size` bytes (`lpEncodeBacklen`).
pub fn backlen_size(size: usize) -> usize {
    match size {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lp(entries: &[&[u8]]) -> Vec<u8> {
        let body: Vec<u8> = entries.concat();
        let total = (HEADER + body.len() + 1) as u32;
        let mut v = total.to_le_bytes().to_vec();
        v.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        v.extend_from_slice(&body);
        v.push(0xff);
        v
    }

    fn all(blob: &[u8]) -> Result<Vec<String>> {
        let mut lp = Listpack::new(blob, 0)?;
        let mut out = Vec::new();
        while let Some(e) = lp.next_elem()? {
            out.push(String::from_utf8(e.to_vec()).unwrap());
        }
        Ok(out)
    }

    #[test]
    fn int_encodings() {
        let blob = lp(&[
            &[0x05, 1],
            &[0xdf, 0xff, 2],             // int13 8191 -> -1
            &[0xf1, 0x00, 0x80, 3],       // int16 -32768
            &[0xf2, 0xff, 0xff, 0xff, 4], // int24 -1
            &[0xf2, 0x00, 0x00, 0x80, 4], // int24 -8388608
            &[0xf3, 1, 0, 0, 0, 5],
            &[0x83, b'a', b'b', b'c', 4],
        ]);
        assert_eq!(
            all(&blob).unwrap(),
            ["5", "-1", "-32768", "-1", "-8388608", "1", "abc"]
        );
    }

    #[test]
    fn rejects_bad_backlen_and_count() {
        let blob = lp(&[&[0x05, 2]]);
        assert!(all(&blob).is_err());
        let mut blob = lp(&[&[0x05, 1]]);
        blob[4] = 3;
        assert!(all(&blob).is_err());
    }

    #[test]
    fn backlen_sizes() {
        assert_eq!(backlen_size(127), 1);
        assert_eq!(backlen_size(128), 2);
        assert_eq!(backlen_size(16383), 3);
    }
}
