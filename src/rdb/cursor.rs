//! A bounds-checked reader over a borrowed byte slice.
//!
//! Every read returns `Result`; nothing indexes the slice directly. A cursor
//! knows the absolute offset of its first byte (`base`), so sub-cursors over
//! blobs still report file offsets in errors.

use super::error::{Error, ErrorKind, Result};

#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    /// Declared lengths of the LZF strings read: what they would inflate to
    /// (for the bomb budget of compressed input).
    lzf_declared: u64,
    /// The largest of them.
    lzf_largest: u64,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8], base: u64) -> Cursor<'a> {
        Cursor {
            data,
            pos: 0,
            base,
            lzf_declared: 0,
            lzf_largest: 0,
        }
    }

    /// Counts an LZF string of `ulen` declared bytes.
    #[inline]
    pub(crate) fn note_lzf(&mut self, ulen: u64) {
        self.lzf_declared = self.lzf_declared.saturating_add(ulen);
        self.lzf_largest = self.lzf_largest.max(ulen);
    }

    /// The largest declared length of the LZF strings read so far.
    pub(crate) fn lzf_largest(&self) -> u64 {
        self.lzf_largest
    }

    /// Declared bytes of the LZF strings read so far.
    pub(crate) fn lzf_declared(&self) -> u64 {
        self.lzf_declared
    }

    pub(crate) fn set_lzf_declared(&mut self, n: u64) {
        self.lzf_declared = n;
    }

    /// The same cursor over a longer slice starting at the same byte (more
    /// of a stream has arrived).
    pub(crate) fn extend(&mut self, data: &'a [u8]) {
        debug_assert!(data.len() >= self.data.len() && data.as_ptr() == self.data.as_ptr());
        self.data = data;
    }

    /// Moves back (or forward) to position `pos` of this cursor.
    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.data.len());
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The bytes from `start` (a position of this cursor) to the current one.
    #[inline]
    pub fn since(&self, start: usize) -> &'a [u8] {
        self.data.get(start..self.pos).unwrap_or(&[])
    }

    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    #[cold]
    pub fn truncated(&self, need: u64) -> Error {
        Error::new(
            self.offset(),
            ErrorKind::Truncated {
                need,
                left: self.remaining() as u64,
            },
        )
    }

    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        match self
            .pos
            .checked_add(n)
            .and_then(|end| self.data.get(self.pos..end))
        {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(self.truncated(n as u64)),
        }
    }

    /// `take` for a length read from the input (u64): checked before any use.
    #[inline]
    pub fn take_len(&mut self, n: u64) -> Result<&'a [u8]> {
        if n > self.remaining() as u64 {
            return Err(self.truncated(n));
        }
        self.take(n as usize)
    }

    #[inline]
    pub fn skip(&mut self, n: u64) -> Result<()> {
        self.take_len(n).map(|_| ())
    }

    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated(1)),
        }
    }

    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn u16_le(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub fn u32_le(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub fn u32_be(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub fn u64_le(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub fn u64_be(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    pub fn i64_le(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    pub fn f64_le(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded() {
        let mut c = Cursor::new(&[1, 2, 3], 100);
        assert_eq!(c.u8().unwrap(), 1);
        let e = c.u32_le().unwrap_err();
        assert_eq!(e.offset, 101);
        assert_eq!(e.kind, ErrorKind::Truncated { need: 4, left: 2 });
        assert!(c.take_len(u64::MAX).is_err());
        assert_eq!(c.take(2).unwrap(), &[2, 3]);
        assert!(c.is_empty());
    }
}
