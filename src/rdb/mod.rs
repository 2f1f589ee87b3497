//! The RDB decoder.
//!
//! - [`Parser`] walks a file record by record ([`Record`], [`KeyRecord`]),
//!   borrowing everything from the input slice.
//! - [`KeyRecord::decode`] decodes one value into a [`ValueVisitor`].
//! - One file per encoding: [`listpack`], [`ziplist`], [`intset`],
//!   [`zipmap`], [`stream`], [`module`]; [`string`] holds lengths, strings
//!   and doubles, [`lzf`] the LZF decompressor.
//! - Every failure is an [`Error`] with an absolute byte offset.

pub mod cursor;
pub mod error;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod module;
pub mod parser;
pub mod stream;
pub mod string;
pub mod types;
pub mod value;
pub mod visit;
pub mod ziplist;
pub mod zipmap;

pub use error::{Error, ErrorKind, Result};
pub use parser::{Checkpoint, Checksum, Eof, Header, KeyRecord, Parser, Record, parse_header};
pub use string::{Elem, RdbStr};
pub use types::{Encoding, Family, ValueType};
pub use value::{ArrayElem, BlobKind, ModuleValue, NullVisitor, Scratch, Templates, ValueVisitor};

/// CRC-64/REDIS (Jones polynomial, reflected, init 0), as Redis `crc64(0, …)`.
///
/// Uses `crc-fast` (carry-less multiply folding, ~20 GB/s here) rather
/// than the table-driven `crc64` crate (~1.7 GB/s), so checksumming never
/// dominates a run.
pub fn crc64(data: &[u8]) -> u64 {
    crc_fast::checksum_with_params(*CRC64_REDIS, data)
}

/// The CRC-64 of `a ++ b` from those of `a` and `b` (`b_len` bytes).
pub fn crc64_combine(crc_a: u64, crc_b: u64, b_len: u64) -> u64 {
    crc_fast::checksum_combine_with_params(*CRC64_REDIS, crc_a, crc_b, b_len)
}

/// The CRC-64 of a file cut in pieces at fixed offsets, each piece's
/// computed once by whichever thread asks first (the workers of a scan in
/// ranges ask for theirs as they start), so the walk that reads the EOF
/// opcode combines them instead of reading the whole file again alone.
#[derive(Debug)]
pub struct CrcPieces {
    size: u64,
    crcs: Vec<std::sync::OnceLock<u64>>,
}

impl CrcPieces {
    /// Pieces of `size` bytes (the last shorter) over `len` bytes.
    pub fn new(len: u64, size: u64) -> CrcPieces {
        let size = size.max(1);
        CrcPieces {
            size,
            crcs: (0..len.div_ceil(size))
                .map(|_| Default::default())
                .collect(),
        }
    }

    /// Computes piece `k` of `data` (the whole file) unless done.
    pub fn piece(&self, data: &[u8], k: u64) -> Option<u64> {
        let cell = self.crcs.get(usize::try_from(k).ok()?)?;
        let start = usize::try_from(k.checked_mul(self.size)?).ok()?;
        let end = usize::try_from((k + 1).saturating_mul(self.size)).ok()?;
        let bytes = data.get(start..end.min(data.len()))?;
        Some(*cell.get_or_init(|| crc64(bytes)))
    }

    /// The CRC-64 of `covered`, a prefix of the file: the whole pieces it
    /// holds, then the rest.
    pub fn crc(&self, covered: &[u8]) -> u64 {
        let len = covered.len() as u64;
        let whole = len / self.size;
        let mut crc = 0;
        let mut at = 0u64;
        for k in 0..whole {
            match self.piece(covered, k) {
                Some(c) => crc = crc64_combine(crc, c, self.size),
                None => break,
            }
            at += self.size;
        }
        let rest = covered.get(at as usize..).unwrap_or_default();
        crc64_combine(crc, crc64(rest), rest.len() as u64)
    }
}

static CRC64_REDIS: std::sync::LazyLock<crc_fast::CrcParams> = std::sync::LazyLock::new(|| {
    crc_fast::CrcParams::new(
        "CRC-64/REDIS",
        64,
        0xad93d23594c935a9,
        0,
        true,
        0,
        0xe9c6d914c4b8d9ca,
    )
});

/// Runs one blob decoder over arbitrary bytes, checking its invariants:
/// the first byte picks the decoder (modulo 5: listpack, ziplist, intset,
/// zipmap, LZF whose next 2 bytes are the declared length), the rest is
/// the blob. Shared by the `blobs` fuzz target and its corpus replay.
#[doc(hidden)]
pub fn exercise_blob(data: &[u8]) {
    let check = |e: Elem<'_>| {
        assert_eq!(
            e.to_vec().len(),
            e.len(),
            "Elem::len disagrees with its text for {e:?}"
        )
    };
    let Some((&which, blob)) = data.split_first() else {
        return;
    };
    match which % 5 {
        0 => {
            if let Ok(mut lp) = listpack::Listpack::new(blob, 0) {
                while let Ok(Some(e)) = lp.next_elem() {
                    check(e);
                }
            }
        }
        1 => {
            if let Ok(mut zl) = ziplist::Ziplist::new(blob, 0) {
                while let Ok(Some(e)) = zl.next_elem() {
                    check(e);
                }
            }
        }
        2 => {
            if let Ok(mut is) = intset::Intset::new(blob, 0) {
                while let Ok(Some(_)) = is.next_int() {}
            }
        }
        3 => {
            if let Ok(mut zm) = zipmap::Zipmap::new(blob, 0) {
                while let Ok(Some(_)) = zm.next_pair() {}
            }
        }
        _ => {
            if let [a, b, rest @ ..] = blob {
                let ulen = u16::from_le_bytes([*a, *b]) as u64;
                let mut out = Vec::new();
                if lzf::decompress(rest, ulen, &mut out).is_ok() {
                    assert_eq!(out.len() as u64, ulen);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc64_check_value() {
        assert_eq!(super::crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
        assert_eq!(super::crc64(b""), 0);
    }

    /// Pieces combined give the CRC of any prefix, whichever pieces were
    /// computed before and from where.
    #[test]
    fn crc_pieces_combine_to_the_whole() {
        let data: Vec<u8> = (0..10_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for size in [1u64, 7, 64, 4096, 9_999, 10_000, 20_000] {
            let p = super::CrcPieces::new(data.len() as u64, size);
            for k in (0..).step_by(3).take(5) {
                p.piece(&data, k);
            }
            for len in [0usize, 1, 63, 64, 65, 4096, 8191, 9_999, 10_000] {
                assert_eq!(
                    p.crc(&data[..len]),
                    super::crc64(&data[..len]),
                    "size {size} len {len}"
                );
            }
        }
    }
}
