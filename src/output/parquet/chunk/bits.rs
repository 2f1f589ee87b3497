//! Bit-level encodings: ULEB128 and zigzag varints, bit packing, and the
//! RLE/bit-packed hybrid of definition levels and dictionary ids.

use parquet::errors::{ParquetError, Result};

/// Values packed at a time (a delta miniblock).
pub(crate) const MINIBLOCK: usize = 32;

pub(crate) fn uleb(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn zigzag(v: i64, out: &mut Vec<u8>) {
    uleb(((v << 1) ^ (v >> 63)) as u64, out);
}

/// Values of `width` bits, least significant first, as Parquet packs them
/// (`width` 0: nothing).
pub(crate) fn pack(values: &[u64; MINIBLOCK], width: u32, out: &mut Vec<u8>) {
    // One copy per width: the shifts are constants, and the loop unrolls.
    macro_rules! widths {
        ($($w:literal)*) => {
            match width {
                $($w => pack_as::<$w>(values, out),)*
                _ => {}
            }
        };
    }
    widths!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
        31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
        60 61 62 63 64);
}

#[inline(always)]
fn pack_as<const W: u32>(values: &[u64; MINIBLOCK], out: &mut Vec<u8>) {
    // Value i takes bits i*W.. of the output: with W and i constants (the
    // steps are written out), where each lands is known at compile time.
    let mut words = [0u64; MINIBLOCK];
    macro_rules! steps {
        ($($i:literal)*) => {$({
            let at: u32 = $i * W;
            let bit = at % 64;
            let v = values[$i];
            words[(at / 64) as usize] |= v << bit;
            if bit + W > 64 {
                words[(at / 64) as usize + 1] |= v >> (64 - bit);
            }
        })*};
    }
    steps!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
    // 32 values of W bits: 4W bytes.
    let n = 4 * W as usize;
    for w in &words[..n / 8] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    if !n.is_multiple_of(8) {
        out.extend_from_slice(&words[n / 8].to_le_bytes()[..4]);
    }
}

/// A page's definition levels, one bit a row (1: a value), laid out as
/// Arrow's validity bits and as Parquet's bit-packed runs of width 1.
#[derive(Default)]
pub(crate) struct Levels {
    pub bits: Vec<u64>,
    pub rows: usize,
    pub nulls: usize,
}

impl Levels {
    #[inline]
    pub fn push(&mut self, set: bool) {
        let bit = self.rows % 64;
        if bit == 0 {
            self.bits.push(0);
        }
        if let Some(w) = self.bits.last_mut() {
            *w |= u64::from(set) << bit;
        }
        self.rows += 1;
        self.nulls += usize::from(!set);
    }

    /// The levels as a data page (v1) holds them: their length, then the
    /// RLE/bit-packed hybrid.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        if self.nulls == 0 || self.nulls == self.rows {
            // One RLE run.
            uleb((self.rows as u64) << 1, out);
            out.push(u8::from(self.nulls == 0));
        } else {
            // Bit-packed runs of up to 63 groups of 8 (a one-byte header,
            // as the crate writes them).
            let bytes: Vec<u8> = self.bits.iter().flat_map(|w| w.to_le_bytes()).collect();
            let used = bytes.get(..self.rows.div_ceil(8)).unwrap_or_default();
            for run in used.chunks(63) {
                out.push((run.len() as u8) << 1 | 1);
                out.extend_from_slice(run);
            }
        }
        let len = u32::try_from(out.len() - at - 4)
            .map_err(|_| ParquetError::General("levels past 4 GiB".into()))?;
        out[at..at + 4].copy_from_slice(&len.to_le_bytes());
        Ok(())
    }

    pub fn clear(&mut self) {
        self.bits.clear();
        (self.rows, self.nulls) = (0, 0);
    }

    /// Appends the low `n` (1..=64) bits of `w`.
    #[inline]
    pub fn push_bits(&mut self, w: u64, n: usize) {
        let w = match n {
            64 => w,
            _ => w & ((1 << n) - 1),
        };
        let bit = self.rows % 64;
        match self.bits.last_mut() {
            Some(last) if bit != 0 => {
                *last |= w << bit;
                if bit + n > 64 {
                    self.bits.push(w >> (64 - bit));
                }
            }
            _ => self.bits.push(w),
        }
        self.rows += n;
        self.nulls += n - w.count_ones() as usize;
    }

    /// The 64 bits from row `at` on (0 past the end).
    #[inline]
    pub fn word_at(&self, at: usize) -> u64 {
        let (i, bit) = (at / 64, at % 64);
        let lo = self.bits.get(i).copied().unwrap_or(0) >> bit;
        match bit {
            0 => lo,
            _ => lo | self.bits.get(i + 1).copied().unwrap_or(0) << (64 - bit),
        }
    }
}

/// Runs of equal values at least this long become RLE runs.
const MIN_RUN: usize = 16;

/// Values a bit-packed run holds: 63 groups of 8, so that its header is
/// one byte (as the crate writes them; some readers expect no more).
const PACKED_RUN: usize = 63 * 8;

/// Values given as runs `(value, count)`, each under 2^`width`, as the
/// RLE/bit-packed hybrid: runs of [`MIN_RUN`] or more as RLE runs, the
/// rest bit-packed.
pub(crate) fn hybrid(runs: &[(u32, u32)], width: u32, out: &mut Vec<u8>) {
    let total: usize = runs.iter().map(|&(_, n)| n as usize).sum();
    if width == 0 {
        // A dictionary of one value: every id is 0.
        if total > 0 {
            rle(0, total, 0, out);
        }
        return;
    }
    let mut lit: Vec<u32> = Vec::new();
    for &(v, n) in runs {
        let n = n as usize;
        if n < MIN_RUN {
            lit.extend(std::iter::repeat_n(v, n));
            continue;
        }
        // Bit-packed values come in groups of 8 (only the last group of
        // all may be padded): the run's first values fill them.
        let pad = (8 - lit.len() % 8) % 8;
        lit.extend(std::iter::repeat_n(v, pad));
        bit_packed(&lit, width, out);
        lit.clear();
        rle(v, n - pad, width, out);
    }
    bit_packed(&lit, width, out);
}

/// [`hybrid`] of values one by one: runs are found 8 values at a time,
/// so the values between them stay whole groups of 8.
pub(crate) fn hybrid_values(values: &[u32], width: u32, out: &mut Vec<u8>) {
    if width == 0 {
        return bit_packed(values, 0, out);
    }
    let (mut lit, mut i) = (0, 0);
    while let Some(group) = values.get(i..i + 8) {
        let v = group[0];
        if group.iter().all(|&x| x == v) {
            let run = 8 + values[i + 8..].iter().take_while(|&&x| x == v).count();
            if run >= MIN_RUN {
                bit_packed(&values[lit..i], width, out);
                rle(v, run, width, out);
                (lit, i) = (i + run, i + run);
                continue;
            }
        }
        i += 8;
    }
    bit_packed(&values[lit..], width, out);
}

fn rle(v: u32, n: usize, width: u32, out: &mut Vec<u8>) {
    uleb((n as u64) << 1, out);
    out.extend_from_slice(&v.to_le_bytes()[..width.div_ceil(8) as usize]);
}

/// `values` as bit-packed runs of the hybrid (the last padded).
fn bit_packed(values: &[u32], width: u32, out: &mut Vec<u8>) {
    if width == 0 {
        if !values.is_empty() {
            rle(0, values.len(), 0, out);
        }
        return;
    }
    for run in values.chunks(PACKED_RUN) {
        let groups = run.len().div_ceil(8);
        out.push((groups as u8) << 1 | 1);
        let start = out.len();
        for block in run.chunks(MINIBLOCK) {
            let mut a = [0u64; MINIBLOCK];
            for (a, &v) in a.iter_mut().zip(block) {
                *a = u64::from(v);
            }
            pack(&a, width, out);
        }
        // 8 values of `width` bits take `width` bytes.
        out.truncate(start + groups * width as usize);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bytes::Bytes;
    use parquet::encodings::rle::RleDecoder;

    /// A small deterministic generator (xorshift64*).
    pub(crate) struct Rng(pub u64);

    impl Rng {
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        pub fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    fn decode(bytes: &[u8], width: u32, n: usize) -> Vec<u64> {
        let mut d = RleDecoder::new(width as u8);
        d.set_data(Bytes::copy_from_slice(bytes)).unwrap();
        let mut got = vec![0u64; n];
        assert_eq!(d.get_batch(&mut got).unwrap(), n);
        got
    }

    /// Each width's packing, bit by bit as the format lays it out.
    #[test]
    fn pack_matches_bit_by_bit() {
        let mut rng = Rng(7);
        for width in 0..=64u32 {
            let mask = u64::MAX.checked_shr(64 - width).unwrap_or(0);
            let mut values = [0u64; MINIBLOCK];
            values.iter_mut().for_each(|v| *v = rng.next() & mask);
            values[0] = mask;
            let mut want = vec![0u8; 4 * width as usize];
            for (i, v) in values.iter().enumerate() {
                for b in 0..width as usize {
                    let at = i * width as usize + b;
                    want[at / 8] |= (((v >> b) & 1) as u8) << (at % 8);
                }
            }
            let mut got = Vec::new();
            pack(&values, width, &mut got);
            assert_eq!(got, want, "width {width}");
        }
    }

    /// Runs of every length around the RLE threshold and the bit-packed
    /// run's size, at widths 0..=24, read back by the crate's decoder.
    #[test]
    fn hybrid_reads_back() {
        let mut rng = Rng(11);
        for case in 0..400 {
            let width = (case % 25) as u32;
            let most = 1u64 << width;
            let mut runs = Vec::new();
            for _ in 0..rng.below(60) {
                let n = match rng.below(4) {
                    0 => MIN_RUN as u64 - 1 + rng.below(3),
                    1 => 1 + rng.below(4),
                    2 => PACKED_RUN as u64 - 2 + rng.below(5),
                    _ => 1 + rng.below(2000),
                };
                runs.push((rng.below(most) as u32, n as u32));
            }
            let flat: Vec<u32> = (runs.iter())
                .flat_map(|&(v, n)| std::iter::repeat_n(v, n as usize))
                .collect();
            let want: Vec<u64> = flat.iter().map(|&v| u64::from(v)).collect();
            let mut out = Vec::new();
            hybrid(&runs, width, &mut out);
            assert_eq!(decode(&out, width, flat.len()), want, "case {case}");
            let mut out = Vec::new();
            bit_packed(&flat, width, &mut out);
            assert_eq!(decode(&out, width, flat.len()), want, "case {case}");
            let mut out = Vec::new();
            hybrid_values(&flat, width, &mut out);
            assert_eq!(decode(&out, width, flat.len()), want, "case {case}");
        }
    }

    /// Levels of every mix (none, all, some null; any length), read back.
    #[test]
    fn levels_read_back() {
        let mut rng = Rng(3);
        for case in 0..300 {
            let n = match case % 3 {
                0 => rng.below(200) as usize,
                _ => rng.below(20_001) as usize,
            };
            let odds = [0, 1, 2, 50, 98, 99, 100][case % 7];
            let want: Vec<u64> = (0..n).map(|_| u64::from(rng.below(100) < odds)).collect();
            let mut l = Levels::default();
            // Pushed one by one and 64 at a time alike.
            for (i, c) in want.chunks(64).enumerate() {
                match i % 2 {
                    0 => c.iter().for_each(|&b| l.push(b == 1)),
                    _ => {
                        let w = c.iter().rev().fold(0u64, |w, &b| w << 1 | b);
                        l.push_bits(w, c.len());
                    }
                }
            }
            assert_eq!(l.rows, n);
            assert_eq!(l.nulls, want.iter().filter(|&&b| b == 0).count());
            let mut out = Vec::new();
            l.encode(&mut out).unwrap();
            let len = u32::from_le_bytes(out[..4].try_into().unwrap()) as usize;
            assert_eq!(len + 4, out.len());
            assert_eq!(decode(&out[4..], 1, n), want, "case {case}");
            for at in [0, 1, 63, 64, 65, n / 2] {
                let w = l.word_at(at);
                for b in 0..64 {
                    assert_eq!(w >> b & 1, want.get(at + b).copied().unwrap_or(0));
                }
            }
        }
    }
}
