//! Zipmap blobs (Redis 2.x `src/zipmap.c`), hashes written by Redis 2.2–2.8.
//!
//! `zmlen u8 | { len key | len free value [free bytes] }* | 0xFF` where `len`
//! is one byte below 254, or `0xFE` + u32 (host order, little-endian).

use super::cursor::Cursor;
use super::error::{Error, Result};

const WHAT: &str = "zipmap";

pub struct Zipmap<'a> {
    c: Cursor<'a>,
    done: bool,
}

impl<'a> Zipmap<'a> {
    pub fn new(blob: &'a [u8], base: u64) -> Result<Zipmap<'a>> {
        let mut c = Cursor::new(blob, base);
        c.u8()?; // zmlen: a hint only (254 = unknown); the walk counts.
        Ok(Zipmap { c, done: false })
    }

    fn len(&mut self) -> Result<Option<usize>> {
        match self.c.u8()? {
            255 => Ok(None),
            254 => Ok(Some(self.c.u32_le()? as usize)),
            b => Ok(Some(b as usize)),
        }
    }

    /// The next (field, value) pair, or `None` at the end marker.
    pub fn next_pair(&mut self) -> Result<Option<(&'a [u8], &'a [u8])>> {
        if self.done {
            return Ok(None);
        }
        let at = self.c.offset();
        let Some(klen) = self.len()? else {
            if !self.c.is_empty() {
                return Err(Error::corrupt(
                    at,
                    WHAT,
                    "end marker before the end of the blob",
                ));
            }
            self.done = true;
            return Ok(None);
        };
        let key = self.c.take(klen)?;
        let vat = self.c.offset();
        let vlen = self.len()?.ok_or_else(|| {
            Error::corrupt(vat, WHAT, "end marker where a value length was expected")
        })?;
        let free = self.c.u8()? as usize;
        let value = self.c.take(vlen)?;
        self.c.take(free)?;
        Ok(Some((key, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_with_free_bytes() {
        let blob = [2, 1, b'a', 2, 1, b'x', b'y', 0, 1, b'b', 0, 0, 0xff];
        let mut z = Zipmap::new(&blob, 0).unwrap();
        assert_eq!(z.next_pair().unwrap(), Some((&b"a"[..], &b"xy"[..])));
        assert_eq!(z.next_pair().unwrap(), Some((&b"b"[..], &b""[..])));
        assert_eq!(z.next_pair().unwrap(), None);
    }
}
