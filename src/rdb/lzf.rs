//! LZF decompression (liblzf 3.x format, as in Redis `src/lzf_d.c`).
//!
//! Written here rather than taken from the `lzf` crate: that crate allocates
//! a zero-filled `Vec` of the caller's size on every call and reports no
//! position, while the decoder decompresses millions of strings into one
//! reused scratch buffer and must name the failing byte.

/// The most output one input byte can produce: a 3-byte back-reference
/// copies at most 264 bytes. Bounds the trusted `ulen` before reserving.
pub const MAX_RATIO: u64 = 88;

/// Decompresses `input` into `out` (cleared first). `ulen` is the declared
/// uncompressed length; the output must match it exactly.
/// On error returns the offset within `input` and a reason.
pub fn decompress(input: &[u8], ulen: u64, out: &mut Vec<u8>) -> Result<(), (usize, &'static str)> {
    out.clear();
    if ulen == 0 {
        return Err((0, "declared uncompressed length is 0"));
    }
    if ulen > (input.len() as u64).saturating_mul(MAX_RATIO) + 8 {
        return Err((
            0,
            "declared uncompressed length is impossible for the compressed size",
        ));
    }
    let ulen = ulen as usize;
    out.reserve(ulen);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input
                .get(ip..ip + run)
                .ok_or((ip, "literal run past the end of the input"))?;
            if out.len() + run > ulen {
                return Err((ip - 1, "output longer than the declared length"));
            }
            out.extend_from_slice(lit);
            ip += run;
        } else {
            let start = ip - 1;
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input
                    .get(ip)
                    .ok_or((ip, "back-reference past the end of the input"))?
                    as usize;
                ip += 1;
            }
            let low = *input
                .get(ip)
                .ok_or((ip, "back-reference past the end of the input"))?
                as usize;
            ip += 1;
            let dist = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            if dist > out.len() {
                return Err((start, "lzf back-reference before start"));
            }
            if out.len() + len > ulen {
                return Err((start, "output longer than the declared length"));
            }
            let from = out.len() - dist;
            if dist >= len {
                out.extend_from_within(from..from + len);
            } else {
                // Overlapping copy repeats the last `dist` bytes: copy in
                // chunks that never read bytes not yet written.
                let mut left = len;
                while left > 0 {
                    let n = left.min(dist);
                    let f = out.len() - dist;
                    out.extend_from_within(f..f + n);
                    left -= n;
                }
            }
        }
    }
    if out.len() != ulen {
        return Err((input.len(), "output shorter than the declared length"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_backref() {
        // "abcabcabc": literal "abc", then back-reference dist 3 len 6.
        let input = [2, b'a', b'b', b'c', (4 << 5), 2];
        let mut out = Vec::new();
        decompress(&input, 9, &mut out).unwrap();
        assert_eq!(out, b"abcabcabc");
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
