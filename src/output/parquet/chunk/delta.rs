//! Integer columns: DELTA_BINARY_PACKED pages.

use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::errors::Result;
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::schema::types::ColumnDescPtr;

use super::bits::{Levels, MINIBLOCK, pack, uleb, zigzag};
use super::{Chunk, PAGE_ROWS, Pages};

/// An integer column of many distinct values (sizes, counts, times,
/// slots): DELTA_BINARY_PACKED pages, definition levels when the column
/// is nullable, and the chunk's min/max (what readers prune row groups
/// by).
///
/// Blocks of 128 deltas in 4 miniblocks of 32, as the crate lays them out;
/// a batch's validity bits are the page's definition levels as they are.
pub(crate) struct DeltaChunk {
    pages: Pages,
    /// INT32: deltas wrap at 32 bits, as readers add them.
    int32: bool,
    nullable: bool,
    compress: bool,
    /// The page's non-null values.
    values: Vec<i64>,
    /// The page's definition levels, when nullable.
    levels: Levels,
    page_rows: usize,
    rows: usize,
    range: Option<(i64, i64)>,
    nulls: u64,
}

/// The values of a delta block, and of a miniblock (the crate's layout,
/// which every reader handles).
const BLOCK: usize = 128;
const MINIBLOCKS: usize = 4;

/// A batch's integer column: a value a row (0 where null), and, when the
/// column is nullable, which rows have one.
pub(crate) struct Ints {
    values: Vec<i64>,
    valid: Option<Levels>,
}

impl Ints {
    pub fn required(rows: usize) -> Ints {
        Ints {
            values: Vec::with_capacity(rows),
            valid: None,
        }
    }

    pub fn nullable(rows: usize) -> Ints {
        let valid = Levels {
            bits: Vec::with_capacity(rows.div_ceil(64)),
            ..Levels::default()
        };
        Ints {
            values: Vec::with_capacity(rows),
            valid: Some(valid),
        }
    }

    /// A row of a required column.
    #[inline]
    pub fn push(&mut self, v: i64) {
        self.values.push(v);
    }

    /// A row of a nullable column.
    #[inline]
    pub fn push_option(&mut self, v: Option<i64>) {
        self.values.push(v.unwrap_or(0));
        if let Some(valid) = &mut self.valid {
            valid.push(v.is_some());
        }
    }

    /// Bytes of values and validity bits (whatever the capacity).
    pub fn content(&self) -> usize {
        self.values.len() * 8 + self.valid.as_ref().map_or(0, |v| v.rows.div_ceil(8))
    }

    /// Bytes held (for the queue's budget).
    pub fn bytes(&self) -> usize {
        self.values.capacity() * 8 + self.valid.as_ref().map_or(0, |v| v.bits.capacity() * 8)
    }
}

/// Subtraction as a reader adds back: wrapping at 32 bits in an INT32
/// column.
#[inline(always)]
fn minus<const INT32: bool>(a: i64, b: i64) -> i64 {
    match INT32 {
        true => i64::from((a as i32).wrapping_sub(b as i32)),
        false => a.wrapping_sub(b),
    }
}

/// DELTA_BINARY_PACKED `values`; returns their least and greatest.
fn delta_binary_packed<const INT32: bool>(values: &[i64], out: &mut Vec<u8>) -> (i64, i64) {
    uleb(BLOCK as u64, out);
    uleb(MINIBLOCKS as u64, out);
    uleb(values.len() as u64, out);
    let first = values.first().copied().unwrap_or(0);
    zigzag(first, out);
    let (mut lo, mut hi) = (first, first);
    let mut deltas = [0i64; BLOCK];
    let mut block_start = 0;
    while block_start + 1 < values.len() {
        let block = &values[block_start..values.len().min(block_start + BLOCK + 1)];
        let n = block.len() - 1;
        let mut min = i64::MAX;
        for (d, w) in deltas.iter_mut().zip(block.windows(2)) {
            *d = minus::<INT32>(w[1], w[0]);
            min = min.min(*d);
            lo = lo.min(w[1]);
            hi = hi.max(w[1]);
        }
        zigzag(min, out);
        let widths_at = out.len();
        out.extend_from_slice(&[0; MINIBLOCKS]);
        for m in 0..n.div_ceil(MINIBLOCK) {
            let mut packed = [0u64; MINIBLOCK];
            let mut any = 0u64;
            let these = deltas.get(m * MINIBLOCK..n.min((m + 1) * MINIBLOCK));
            for (p, &d) in packed.iter_mut().zip(these.unwrap_or_default()) {
                // Above the block's least, as unsigned of the column's width.
                *p = match INT32 {
                    true => u64::from(minus::<true>(d, min) as u32),
                    false => minus::<false>(d, min) as u64,
                };
                any |= *p;
            }
            let width = u64::BITS - any.leading_zeros();
            out[widths_at + m] = width as u8;
            pack(&packed, width, out);
        }
        block_start += BLOCK;
    }
    (lo, hi)
}

impl DeltaChunk {
    pub fn new(int32: bool, nullable: bool, compress: bool) -> DeltaChunk {
        DeltaChunk {
            pages: Pages::default(),
            int32,
            nullable,
            compress,
            values: Vec::new(),
            levels: Levels::default(),
            page_rows: 0,
            rows: 0,
            range: None,
            nulls: 0,
        }
    }

    /// Adds a batch's rows.
    pub fn extend(&mut self, ints: &Ints, z: &mut zstd::bulk::Compressor<'_>) -> Result<()> {
        let mut at = 0;
        let rows = ints.values.len();
        while at < rows {
            let n = (PAGE_ROWS - self.page_rows).min(rows - at);
            let these = ints.values.get(at..at + n).unwrap_or_default();
            match (&ints.valid, self.nullable) {
                // 64 rows at a time: their validity bits are the page's
                // levels as they are, and pick the values.
                (Some(valid), _) => {
                    for (k, these) in (at..).step_by(64).zip(these.chunks(64)) {
                        let mut w = valid.word_at(k);
                        let all = u64::MAX >> (64 - these.len());
                        self.levels.push_bits(w, these.len());
                        if w & all == all {
                            self.values.extend_from_slice(these);
                            continue;
                        }
                        w &= all;
                        while w != 0 {
                            let i = w.trailing_zeros() as usize;
                            self.values.extend(these.get(i).copied());
                            w &= w - 1;
                        }
                    }
                }
                (None, nullable) => {
                    if nullable {
                        for c in these.chunks(64) {
                            self.levels.push_bits(u64::MAX, c.len());
                        }
                    }
                    self.values.extend_from_slice(these);
                }
            }
            self.page_rows += n;
            at += n;
            if self.page_rows >= PAGE_ROWS {
                self.flush(z)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self, z: &mut zstd::bulk::Compressor<'_>) -> Result<()> {
        if self.page_rows == 0 {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(self.values.len() * 2 + 64);
        if self.nullable {
            self.levels.encode(&mut buf)?;
            self.nulls += self.levels.nulls as u64;
            self.levels.clear();
        }
        let (lo, hi) = match self.int32 {
            true => delta_binary_packed::<true>(&self.values, &mut buf),
            false => delta_binary_packed::<false>(&self.values, &mut buf),
        };
        if !self.values.is_empty() {
            self.range = Some(match self.range {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
        let z = self.compress.then_some(z);
        (self.pages).data(
            buf,
            self.page_rows,
            Encoding::DELTA_BINARY_PACKED,
            z,
            self.rows,
        )?;
        self.rows += self.page_rows;
        self.page_rows = 0;
        self.values.clear();
        Ok(())
    }

    pub fn finish(
        mut self,
        descr: ColumnDescPtr,
        z: &mut zstd::bulk::Compressor<'_>,
    ) -> Result<Chunk> {
        self.flush(z)?;
        let (min, max) = (self.range.map(|r| r.0), self.range.map(|r| r.1));
        let nulls = Some(self.nulls);
        // Signed order: old readers may use min/max as they are.
        let statistics = match self.int32 {
            true => Statistics::from(
                ValueStatistics::new(
                    min.map(|v| v as i32),
                    max.map(|v| v as i32),
                    None,
                    nulls,
                    false,
                )
                .with_backwards_compatible_min_max(true),
            ),
            false => Statistics::from(
                ValueStatistics::new(min, max, None, nulls, false)
                    .with_backwards_compatible_min_max(true),
            ),
        };
        let bytes = Bytes::from(std::mem::take(&mut self.pages.buf));
        self.pages.chunk(
            bytes,
            descr,
            self.rows,
            self.compress,
            Encoding::DELTA_BINARY_PACKED,
            Some(statistics),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::parquet::chunk::bits::tests::Rng;
    use parquet::data_type::{Int32Type, Int64Type};
    use parquet::encodings::decoding::{Decoder, DeltaBitPackDecoder};

    macro_rules! decode {
        ($t:ty, $bytes:expr, $n:expr) => {{
            let mut d = DeltaBitPackDecoder::<$t>::new();
            d.set_data(Bytes::from($bytes), $n).unwrap();
            let mut got = vec![Default::default(); $n];
            assert_eq!(d.get(&mut got).unwrap(), $n);
            got
        }};
    }

    /// Sequences of every length around the block and miniblock sizes,
    /// of small, large, constant and wrapping values, read back by the
    /// crate's decoder; the least and greatest come back too.
    #[test]
    fn delta_reads_back() {
        let mut rng = Rng(5);
        for case in 0..300 {
            let n = match case % 4 {
                0 => [0, 1, 2, 31, 32, 33, 127, 128, 129, 130, 255, 256, 257][case / 4 % 13],
                _ => rng.below(3000) as usize,
            };
            let kind = case % 5;
            let values: Vec<i64> = (0..n)
                .map(|i| match kind {
                    0 => rng.below(1000) as i64,
                    1 => rng.next() as i64,
                    2 => 42,
                    3 => [i64::MIN, i64::MAX, 0, -1][i % 4],
                    _ => 1_796_537_327_610 + i as i64 * 7 - rng.below(50) as i64,
                })
                .collect();
            let mut out = Vec::new();
            let (lo, hi) = delta_binary_packed::<false>(&values, &mut out);
            assert_eq!(decode!(Int64Type, out, n), values, "case {case}");
            if n > 0 {
                let want = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
                assert_eq!((lo, hi), want, "case {case}");
            }
            // INT32 columns hold i32 values (deltas wrap at 32 bits).
            let small: Vec<i64> = (values.iter()).map(|&v| i64::from(v as i32)).collect();
            let mut out = Vec::new();
            delta_binary_packed::<true>(&small, &mut out);
            let want: Vec<i32> = small.iter().map(|&v| v as i32).collect();
            assert_eq!(decode!(Int32Type, out, n), want, "case {case}");
        }
    }
}
