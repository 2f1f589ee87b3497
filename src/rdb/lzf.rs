//! LZF decompression (liblzf 3.x format, as in Redis `src/lzf_d.c`).
//!
//! Written here rather than taken from the `lzf` crate: that crate allocates
//! a zero-filled `Vec` of the caller's size on every call and reports no
//! position, while the decoder decompresses millions of strings into one
//! reused scratch buffer and must name the failing byte.

/// The most output one input byte can produce: a 3-byte back-reference
/// copies at most 264 bytes. Bounds the trusted `ulen` before reserving.
pub const MAX_RATIO: u64 = 88;

/// Reads the back-reference whose control byte `ctrl` sits just before
/// `ip`: returns its copy length (already +2), its distance and the offset
/// after it.
#[inline(always)]
fn back_reference(
    input: &[u8],
    ctrl: usize,
    mut ip: usize,
) -> Result<(usize, usize, usize), (usize, &'static str)> {
    const PAST_END: &str = "back-reference past the end of the input";
    let mut len = ctrl >> 5;
    if len == 7 {
        len += *input.get(ip).ok_or((ip, PAST_END))? as usize;
        ip += 1;
    }
    let low = *input.get(ip).ok_or((ip, PAST_END))? as usize;
    ip += 1;
    Ok((len + 2, ((ctrl & 0x1f) << 8) + low + 1, ip))
}

/// Decompresses only the first `want` bytes (or fewer, if the data is
/// shorter) into `out` (cleared first): enough to read a blob's header
/// without inflating it. On error returns the offset within `input` and a
/// reason.
pub fn decompress_prefix(
    input: &[u8],
    want: usize,
    out: &mut Vec<u8>,
) -> Result<(), (usize, &'static str)> {
    out.clear();
    let mut ip = 0usize;
    while ip < input.len() && out.len() < want {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input
                .get(ip..ip + run)
                .ok_or((ip, "literal run past the end of the input"))?;
            out.extend_from_slice(lit);
            ip += run;
        } else {
            let start = ip - 1;
            let (len, dist, next) = back_reference(input, ctrl, ip)?;
            ip = next;
            if dist > out.len() {
                return Err((start, "lzf back-reference before start"));
            }
            for _ in 0..len {
                let b = out[out.len() - dist];
                out.push(b);
            }
        }
    }
    out.truncate(want);
    Ok(())
}

/// Whether `ulen` can be the output of `input` at all (checked before
/// anything is reserved).
fn declared_ok(input: &[u8], ulen: u64) -> Result<(), (usize, &'static str)> {
    if ulen == 0 {
        return Err((0, "declared uncompressed length is 0"));
    }
    if ulen > (input.len() as u64).saturating_mul(MAX_RATIO) + 8 {
        return Err((
            0,
            "declared uncompressed length is impossible for the compressed size",
        ));
    }
    Ok(())
}

/// Decompresses `input` into `out` (cleared first). `ulen` is the declared
/// uncompressed length; the output must match it exactly.
/// On error returns the offset within `input` and a reason.
pub fn decompress(input: &[u8], ulen: u64, out: &mut Vec<u8>) -> Result<(), (usize, &'static str)> {
    out.clear();
    declared_ok(input, ulen)?;
    let ulen = usize::try_from(ulen).map_err(|_| (0, "declared length too large to hold"))?;
    // A declared length the machine cannot hold is an error, not an abort.
    out.try_reserve_exact(ulen)
        .map_err(|_| (0, "declared length too large to hold"))?;
    out.resize(ulen, 0);
    let o = &mut out[..];
    let mut op = 0usize;
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            if op + run > ulen {
                return Err((ip - 1, "output longer than the declared length"));
            }
            // Fast path: a fixed 32-byte copy (two vector moves) when both
            // sides have room; the extra bytes are overwritten later.
            if let (Some(src), Some(dst)) = (input.get(ip..ip + 32), o.get_mut(op..op + 32)) {
                dst.copy_from_slice(src);
            } else {
                let src = input
                    .get(ip..ip + run)
                    .ok_or((ip, "literal run past the end of the input"))?;
                o[op..op + run].copy_from_slice(src);
            }
            if ip + run > input.len() {
                return Err((ip, "literal run past the end of the input"));
            }
            ip += run;
            op += run;
        } else {
            let start = ip - 1;
            let (len, dist, next) = back_reference(input, ctrl, ip)?;
            ip = next;
            if dist > op {
                return Err((start, "lzf back-reference before start"));
            }
            if op + len > ulen {
                return Err((start, "output longer than the declared length"));
            }
            let from = op - dist;
            if dist >= len && len <= 32 && op + 32 <= ulen {
                // Fixed-size copy (inlined vector moves); memmove semantics
                // keep the first `len` bytes right, the rest is rewritten later.
                o.copy_within(from..from + 32, op);
            } else if dist >= len {
                o.copy_within(from..from + len, op);
            } else if dist >= 8 {
                // Overlapping, but each 8-byte chunk reads bytes already written.
                let mut k = 0;
                while k + 8 <= len {
                    o.copy_within(from + k..from + k + 8, op + k);
                    k += 8;
                }
                o.copy_within(from + k..from + len, op + k);
            } else {
                // A run repeating the last `dist` bytes: the written part is
                // periodic, so copy whole periods from its start, doubling.
                let mut k = 0;
                while k < len {
                    let n = (dist + k).min(len - k);
                    o.copy_within(from..from + n, op + k);
                    k += n;
                }
            }
            op += len;
        }
    }
    if op != ulen {
        out.truncate(op);
        return Err((input.len(), "output shorter than the declared length"));
    }
    Ok(())
}

/// Checks that `input` decompresses to exactly `ulen` bytes, with the
/// errors of [`decompress`], without producing the output: whether LZF
/// data is well formed depends only on positions, never on the bytes. For
/// values that must be validated but are not read (a long AUX value, a
/// function's code), so a crafted 88x expansion costs no memory.
pub fn check(input: &[u8], ulen: u64) -> Result<(), (usize, &'static str)> {
    declared_ok(input, ulen)?;
    let mut op = 0u64;
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            if op + run as u64 > ulen {
                return Err((ip - 1, "output longer than the declared length"));
            }
            if ip + run > input.len() {
                return Err((ip, "literal run past the end of the input"));
            }
            ip += run;
            op += run as u64;
        } else {
            let start = ip - 1;
            let (len, dist, next) = back_reference(input, ctrl, ip)?;
            ip = next;
            if dist as u64 > op {
                return Err((start, "lzf back-reference before start"));
            }
            if op + len as u64 > ulen {
                return Err((start, "output longer than the declared length"));
            }
            op += len as u64;
        }
    }
    if op != ulen {
        return Err((input.len(), "output shorter than the declared length"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check` fails exactly where and why `decompress` does.
    #[test]
    fn check_agrees_with_decompress() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut out = Vec::new();
        let mut valid = 0;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Tokens: literal runs and back-references (sometimes broken),
            // with a declared length near the real one.
            let mut input = Vec::new();
            let mut real = 0u64;
            let mut y = x;
            for _ in 0..(x % 6) {
                y = y.rotate_left(11) ^ 0x5bd1_e995;
                if y.is_multiple_of(3) && real > 0 {
                    let len = (y >> 8) % 12 + 1; // copy length - 2 (< 7: short form)
                    let dist = (y >> 16) % (real + 2);
                    let ctrl = if len < 7 { len << 5 } else { 7 << 5 };
                    input.push(ctrl as u8 | (dist >> 8) as u8 & 0x1f);
                    if len >= 7 {
                        input.push((len - 7) as u8);
                    }
                    input.push(dist as u8);
                    real += len + 2;
                } else {
                    let run = (y >> 8) % 5 + 1;
                    input.push((run - 1) as u8);
                    input.extend((0..run).map(|i| (y >> i) as u8));
                    real += run;
                }
            }
            if x.is_multiple_of(7) {
                input.truncate((x >> 32) as usize % (input.len() + 1));
            }
            let ulen = (real + (x >> 50) % 3).saturating_sub(1);
            assert_eq!(
                check(&input, ulen),
                decompress(&input, ulen, &mut out),
                "{input:?} {ulen}"
            );
            valid += usize::from(check(&input, ulen).is_ok());
        }
        assert!(valid > 20_000, "{valid} valid inputs");
    }

    #[test]
    fn literal_and_backref() {
        // "abcabcabc": literal "abc", then back-reference dist 3 len 6.
        let input = [2, b'a', b'b', b'c', (4 << 5), 2];
        let mut out = Vec::new();
        decompress(&input, 9, &mut out).unwrap();
        assert_eq!(out, b"abcabcabc");
    }

    /// Overlapping back-references (distance below 8, any length up to
    /// 264, the shortest is 3) give what a byte-by-byte copy gives.
    #[test]
    fn short_distance_runs_repeat_the_period() {
        let mut out = Vec::new();
        for dist in 1..=8usize {
            for len in [3usize, 7, 8, 9, 15, 16, 17, 100, 263, 264] {
                let head: Vec<u8> = (0..dist as u8).map(|i| b'a' + i).collect();
                let mut input = vec![(dist - 1) as u8];
                input.extend_from_slice(&head);
                let l = len - 2;
                let d = dist - 1;
                if l < 7 {
                    input.push((l << 5) as u8);
                } else {
                    input.extend([7 << 5, (l - 7) as u8]);
                }
                input.push(d as u8);
                let mut want = head.clone();
                for k in 0..len {
                    want.push(want[k]);
                }
                decompress(&input, want.len() as u64, &mut out).unwrap();
                assert_eq!(out, want, "dist {dist} len {len}");
            }
        }
    }

    #[test]
    fn errors() {
        let mut out = Vec::new();
        assert_eq!(
            decompress(&[0x20, 0], 4, &mut out).unwrap_err().1,
            "lzf back-reference before start"
        );
        assert!(decompress(&[5, b'a'], 6, &mut out).is_err());
        assert!(decompress(&[0, b'a'], 2, &mut out).is_err());
        assert!(decompress(&[0, b'a'], 0, &mut out).is_err());
        assert!(decompress(&[0, b'a'], u64::MAX, &mut out).is_err());
    }
}
