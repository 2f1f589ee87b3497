//! Intset blobs (Redis `src/intset.c`): `encoding u32 LE | length u32 LE |
//! length × int (2, 4 or 8 bytes LE)`, sorted ascending, no duplicates.

use super::cursor::Cursor;
use super::error::{Error, Result};

const WHAT: &str = "intset";

pub struct Intset<'a> {
    c: Cursor<'a>,
    width: usize,
    left: u32,
    prev: Option<i64>,
}

impl<'a> Intset<'a> {
    pub fn new(blob: &'a [u8], base: u64) -> Result<Intset<'a>> {
        let mut c = Cursor::new(blob, base);
        let width = c.u32_le()?;
        if !matches!(width, 2 | 4 | 8) {
            return Err(Error::corrupt(
                base,
                WHAT,
                format!("element width {width} is not 2, 4 or 8"),
            ));
        }
        let len = c.u32_le()?;
        let want = 8 + width as u64 * len as u64;
        if want != blob.len() as u64 {
            return Err(Error::corrupt(
                base,
                WHAT,
                format!(
                    "{len} elements of {width} bytes need {want} bytes, blob has {}",
                    blob.len()
                ),
            ));
        }
        Ok(Intset {
            c,
            width: width as usize,
            left: len,
            prev: None,
        })
    }

    pub fn len(&self) -> u32 {
        self.left
    }

    pub fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// Bytes per element (the intset encoding).
    pub fn width(&self) -> usize {
        self.width
    }

    #[inline]
    pub fn next_int(&mut self) -> Result<Option<i64>> {
        if self.left == 0 {
            return Ok(None);
        }
        let at = self.c.offset();
        let v = match self.width {
            2 => self.c.u16_le()? as i16 as i64,
            4 => self.c.u32_le()? as i32 as i64,
            _ => self.c.i64_le()?,
        };
        if let Some(p) = self.prev
            && v <= p
        {
            return Err(Error::corrupt(at, WHAT, "elements not in ascending order"));
        }
        self.prev = Some(v);
        self.left -= 1;
        Ok(Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_checks() {
        let blob = [2, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 5, 0];
        let mut s = Intset::new(&blob, 0).unwrap();
        assert_eq!(s.next_int().unwrap(), Some(-1));
        assert_eq!(s.next_int().unwrap(), Some(5));
        assert_eq!(s.next_int().unwrap(), None);
        assert!(Intset::new(&blob[..11], 0).is_err());
        let unsorted = [2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0];
        let mut s = Intset::new(&unsorted, 0).unwrap();
        s.next_int().unwrap();
        assert!(s.next_int().is_err());
    }
}
