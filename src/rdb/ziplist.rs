//! Ziplist blobs (Redis `src/ziplist.c`, written by Redis 2.6–6.2).
//!
//! `zlbytes u32 LE | zltail u32 LE | zllen u16 LE | entries | 0xFF`, each
//! entry `prevlen | encoding | data`. Mixed endianness: string lengths in
//! the encoding are big-endian, integers little-endian.

use super::cursor::Cursor;
use super::error::{Error, Result};
use super::string::Elem;

const WHAT: &str = "ziplist";
const HEADER: usize = 10;

pub struct Ziplist<'a> {
    c: Cursor<'a>,
    tail: u32,
    declared: u16,
    seen: u32,
    prev_size: usize,
    done: bool,
}

impl<'a> Ziplist<'a> {
    pub fn new(blob: &'a [u8], base: u64) -> Result<Ziplist<'a>> {
        if blob.len() < HEADER + 1 {
            return Err(Error::corrupt(base, WHAT, "ziplist too short"));
        }
        let mut c = Cursor::new(blob, base);
        super::listpack::check_frame(&mut c, WHAT)?;
        let tail = c.u32_le()?;
        if tail as usize >= blob.len() {
            return Err(Error::corrupt(
                base + 4,
                WHAT,
                format!("tail offset {tail} outside the blob"),
            ));
        }
        let declared = c.u16_le()?;
        Ok(Ziplist {
            c,
            tail,
            declared,
            seen: 0,
            prev_size: 0,
            done: false,
        })
    }

    #[inline]
    pub fn next_elem(&mut self) -> Result<Option<Elem<'a>>> {
        if self.done {
            return Ok(None);
        }
        let at = self.c.offset();
        let start = self.c.pos();
        let first = self.c.u8()?;
        if first == 0xff {
            return self.finish(at, start);
        }
        let prevlen = if first == 0xfe {
            self.c.u32_le()? as usize
        } else {
            first as usize
        };
        if prevlen != self.prev_size {
            return Err(Error::corrupt(
                at,
                WHAT,
                format!(
                    "entry prevlen {prevlen} does not match the previous entry's size {}",
                    self.prev_size
                ),
            ));
        }
        let b = self.c.u8()?;
        let elem = match b >> 6 {
            0 => Elem::Bytes(self.c.take((b & 0x3f) as usize)?),
            1 => {
                let n = (((b & 0x3f) as usize) << 8) | self.c.u8()? as usize;
                Elem::Bytes(self.c.take(n)?)
            }
            2 => {
                if b != 0x80 {
                    return Err(Error::corrupt(
                        at,
                        WHAT,
                        format!("invalid string encoding 0x{b:02x}"),
                    ));
                }
                let n = self.c.u32_be()? as usize;
                Elem::Bytes(self.c.take(n)?)
            }
            _ => match b {
                0xc0 => Elem::Int(self.c.u16_le()? as i16 as i64),
                0xd0 => Elem::Int(self.c.u32_le()? as i32 as i64),
                0xe0 => Elem::Int(self.c.i64_le()?),
                0xf0 => {
                    let [x, y, z] = self.c.array::<3>()?;
                    Elem::Int((i32::from_le_bytes([0, x, y, z]) >> 8) as i64)
                }
                0xfe => Elem::Int(self.c.u8()? as i8 as i64),
                0xf1..=0xfd => Elem::Int((b & 0x0f) as i64 - 1),
                _ => {
                    return Err(Error::corrupt(
                        at,
                        WHAT,
                        format!("invalid encoding byte 0x{b:02x}"),
                    ));
                }
            },
        };
        if self.c.remaining() == 0 {
            return Err(Error::corrupt(at, WHAT, "entry runs over the end marker"));
        }
        if start as u64 > self.tail as u64 {
            return Err(Error::corrupt(at, WHAT, "entry after the tail offset"));
        }
        self.prev_size = self.c.pos() - start;
        self.seen += 1;
        Ok(Some(elem))
    }

    fn finish(&mut self, at: u64, start: usize) -> Result<Option<Elem<'a>>> {
        if !self.c.is_empty() {
            return Err(Error::corrupt(
                at,
                WHAT,
                "end marker before the end of the blob",
            ));
        }
        let last = if self.seen == 0 {
            HEADER
        } else {
            start - self.prev_size
        };
        if self.tail as usize != last {
            return Err(Error::corrupt(
                at,
                WHAT,
                format!("tail offset {} but last entry at {last}", self.tail),
            ));
        }
        if self.declared != u16::MAX && self.declared as u32 != self.seen {
            return Err(Error::corrupt(
                at,
                WHAT,
                format!("header says {} entries, found {}", self.declared, self.seen),
            ));
        }
        self.done = true;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_mixed_entries() {
        // entries: "ab" (size 4), int24 -2 (size 5), immediate 12 (size 2)
        let entries: Vec<u8> = vec![0, 0x02, b'a', b'b', 4, 0xf0, 0xfe, 0xff, 0xff, 5, 0xfd];
        let mut blob = Vec::new();
        let total = (HEADER + entries.len() + 1) as u32;
        blob.extend_from_slice(&total.to_le_bytes());
        blob.extend_from_slice(&((HEADER + 9) as u32).to_le_bytes());
        blob.extend_from_slice(&3u16.to_le_bytes());
        blob.extend_from_slice(&entries);
        blob.push(0xff);
        let mut z = Ziplist::new(&blob, 0).unwrap();
        let mut got = Vec::new();
        while let Some(e) = z.next_elem().unwrap() {
            got.push(String::from_utf8(e.to_vec()).unwrap());
        }
        assert_eq!(got, ["ab", "-2", "12"]);
    }
}
