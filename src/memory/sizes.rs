//! Byte sizes of listpack and ziplist entries the target builds itself at
//! load (MEMORY.md §3.8; Redis `src/listpack.c`, `src/ziplist.c`).

use crate::rdb::Elem;

/// The integer a string stands for when the server would store it as one:
/// canonical decimal text of an i64, at most 20 bytes (`string2ll`: no
/// leading zeros, no `+`, no spaces, `-0` is not canonical).
pub fn canonical_int(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits[0] == b'0' || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i128 = 0;
    for d in digits {
        v = v * 10 + (d - b'0') as i128;
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// The element as the server sees it: an integer when canonical, else bytes.
#[inline]
pub fn as_int(e: Elem<'_>) -> Option<i64> {
    match e {
        Elem::Int(i) => Some(i),
        Elem::Bytes(b) => canonical_int(b),
    }
}

/// Bytes of one listpack entry (encoding, data and backlen) for `e`.
pub fn listpack_entry(e: Elem<'_>) -> u64 {
    let enc = match as_int(e) {
        Some(i) => match i {
            0..=127 => 1,
            -4096..=4095 => 2,
            -32768..=32767 => 3,
            -8388608..=8388607 => 4,
            -2147483648..=2147483647 => 5,
            _ => 9,
        },
        None => return listpack_string_entry(e.len() as u64),
    };
    enc + backlen(enc)
}

/// Bytes of one listpack entry holding a string of `l` bytes.
pub fn listpack_string_entry(l: u64) -> u64 {
    let enc = match l {
        0..=63 => 1 + l,
        64..=4095 => 2 + l,
        _ => 5 + l,
    };
    enc + backlen(enc)
}

fn backlen(x: u64) -> u64 {
    crate::rdb::listpack::backlen_size(x as usize) as u64
}

/// An empty listpack: 4-byte total, 2-byte count, end byte.
pub const LISTPACK_EMPTY: u64 = 7;
/// A listpack entry holding 0 (a field without TTL in a listpackex).
pub const LP_ZERO_ENTRY: u64 = 2;
/// An empty ziplist: zlbytes, zltail, zllen, end byte.
pub const ZIPLIST_EMPTY: u64 = 11;

/// Bytes of one ziplist entry for `e` after an entry of `prev` bytes.
pub fn ziplist_entry(e: Elem<'_>, prev: u64) -> u64 {
    let prevlen = if prev < 254 { 1 } else { 5 };
    let body = match as_int(e) {
        Some(i) => match i {
            0..=12 => 1,
            -128..=127 => 2,
            -32768..=32767 => 3,
            -8388608..=8388607 => 4,
            -2147483648..=2147483647 => 5,
            _ => 9,
        },
        None => {
            let l = e.len() as u64;
            match l {
                0..=63 => 1 + l,
                64..=16383 => 2 + l,
                _ => 5 + l,
            }
        }
    };
    prevlen + body
}

/// Text a score gets when the target writes it into a listpack
/// (`d2string`, Redis ≤ 7.0: `%.17g`; integral values as integers).
pub fn score_entry(score: f64, shortest: bool) -> ScoreRepr {
    if score.is_nan() {
        return ScoreRepr::Text(3);
    }
    if score.is_infinite() {
        return ScoreRepr::Text(if score > 0.0 { 3 } else { 4 });
    }
    if score == 0.0 {
        return ScoreRepr::Text(if score.is_sign_negative() { 2 } else { 1 });
    }
    let max = ((1i64 << 62) - 1) as f64;
    if score.fract() == 0.0 && score.abs() <= max {
        return ScoreRepr::Int(score as i64);
    }
    let mut buf = Text::default();
    let len = if shortest {
        use std::fmt::Write;
        let _ = write!(buf, "{score}");
        buf.len
    } else {
        g17_len(score).unwrap_or_else(|| g17(score, &mut buf).len())
    };
    ScoreRepr::Text(len as u64)
}

/// The length of [`g17`]'s text for a non-integral `x` of magnitude 1e-5
/// to 1e16 (nearly every real score), without formatting it: `x` is
/// `m / 2^k` exactly, so `x * 10^d` rounded half to even — the digits
/// `{x:.d$}` prints — is integer arithmetic in a u128 (m < 2^53,
/// 10^d <= 10^21, k <= 70). `None` outside that range.
fn g17_len(x: f64) -> Option<usize> {
    let exp = x.abs().log10().floor() as i32;
    if !(-5..16).contains(&exp) || x.fract() == 0.0 {
        return None;
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        return None;
    }
    let m = u128::from((bits & ((1 << 52) - 1)) | (1 << 52));
    // x = m * 2^(biased - 1075); non-integral, so the power is negative.
    let k = u32::try_from(1075 - biased)
        .ok()
        .filter(|k| (1..=100).contains(k))?;
    let decimals = u32::try_from(16 - exp).ok()?;
    let scaled = m.checked_mul(10u128.checked_pow(decimals)?)?;
    let mut q = scaled >> k;
    let rem = scaled & ((1u128 << k) - 1);
    let half = 1u128 << (k - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q += 1;
    }
    let unit = 10u128.pow(decimals);
    let (int, mut frac) = (q / unit, q % unit);
    let int_len = int.checked_ilog10().map_or(1, |l| l as usize + 1);
    let frac_len = if frac == 0 {
        0
    } else {
        let mut len = decimals as usize;
        while frac % 10 == 0 {
            frac /= 10;
            len -= 1;
        }
        1 + len
    };
    Some(usize::from(x < 0.0) + int_len + frac_len)
}

/// A formatting buffer on the stack: scores are formatted once per zset
/// member, so no `String` is allocated for them. Rust's `{}` of an f64
/// takes at most 330 bytes (`-1e308` in full); longer text is counted,
/// not kept.
struct Text {
    b: [u8; 384],
    len: usize,
}

impl Default for Text {
    fn default() -> Self {
        Text {
            b: [0; 384],
            len: 0,
        }
    }
}

impl Text {
    fn as_str(&self) -> &str {
        std::str::from_utf8(self.b.get(..self.len).unwrap_or(&[])).unwrap_or("")
    }
}

impl std::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if let Some(dst) = self.b.get_mut(self.len..self.len + s.len()) {
            dst.copy_from_slice(s.as_bytes());
        }
        self.len += s.len();
        Ok(())
    }
}

/// How a score is stored in a listpack the target builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreRepr {
    Int(i64),
    /// Text of this many bytes.
    Text(u64),
}

impl ScoreRepr {
    pub fn listpack_entry(self) -> u64 {
        match self {
            ScoreRepr::Int(i) => listpack_entry(Elem::Int(i)),
            ScoreRepr::Text(l) => {
                let enc = if l <= 63 { 1 + l } else { 2 + l };
                enc + backlen(enc)
            }
        }
    }
}

/// C's `%.17g`, formatted into `buf`.
fn g17(x: f64, buf: &mut Text) -> &str {
    use std::fmt::Write;
    let exp = x.abs().log10().floor() as i32;
    if (-5..17).contains(&exp) {
        let decimals = (16 - exp).max(0) as usize;
        let _ = write!(buf, "{x:.decimals$}");
        let s = buf.as_str();
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            s
        }
    } else {
        let _ = write!(buf, "{x:.16e}");
        let (mant_len, e) = {
            let s = buf.as_str();
            let (mant, e) = s.split_once('e').unwrap_or((s, "0"));
            let mant = if mant.contains('.') {
                mant.trim_end_matches('0').trim_end_matches('.')
            } else {
                mant
            };
            (mant.len(), e.parse::<i32>().unwrap_or(0))
        };
        let mut t = Text::default();
        let mant = buf.as_str().get(..mant_len).unwrap_or("");
        let _ = write!(t, "{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
        *buf = t;
        buf.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_ints() {
        assert_eq!(canonical_int(b"123"), Some(123));
        assert_eq!(canonical_int(b"-5"), Some(-5));
        for s in [
            &b"007"[..],
            b"+5",
            b"1.5",
            b"-0",
            b"",
            b" 1",
            b"99999999999999999999",
        ] {
            assert_eq!(canonical_int(s), None, "{s:?}");
        }
        assert_eq!(canonical_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(canonical_int(b"-9223372036854775808"), Some(i64::MIN));
    }

    #[test]
    fn g17_matches_c() {
        let g17 = |x: f64| super::g17(x, &mut Text::default()).to_string();
        assert_eq!(g17(0.1), "0.10000000000000001");
        assert_eq!(g17(1.5), "1.5");
        assert_eq!(g17(-3.25), "-3.25");
        assert_eq!(g17(1e20), "1e+20");
        assert_eq!(g17(123456789.125), "123456789.125");
        // The text lengths are what the String-based formatting gave.
        let old = |x: f64| -> String {
            let exp = x.abs().log10().floor() as i32;
            if (-5..17).contains(&exp) {
                let decimals = (16 - exp).max(0) as usize;
                let s = format!("{x:.decimals$}");
                if s.contains('.') {
                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    s
                }
            } else {
                let s = format!("{x:.16e}");
                let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
                let mant = if mant.contains('.') {
                    mant.trim_end_matches('0').trim_end_matches('.')
                } else {
                    mant
                };
                let e: i32 = e.parse().unwrap_or(0);
                format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
            }
        };
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = match i % 3 {
                0 => f64::from_bits(x),
                1 => (x % 1_000_000) as f64 / 1000.0,
                _ => (x as f64) * 1e-300,
            };
            if !f.is_finite() || f == 0.0 {
                continue;
            }
            assert_eq!(g17(f), old(f), "{f:e}");
            if let Some(n) = super::g17_len(f) {
                assert_eq!(n, g17(f).len(), "{f:e}");
            }
            let shortest = format!("{f}").len() as u64;
            match score_entry(f, true) {
                ScoreRepr::Text(n) => assert_eq!(n, shortest, "{f}"),
                ScoreRepr::Int(_) => assert_eq!(f.fract(), 0.0),
            }
        }
    }

    /// The arithmetic length agrees with the formatted text wherever it
    /// answers: random mantissas at every exponent it takes, neighbours of
    /// powers of ten (where the digit count changes) and exact halves.
    #[test]
    fn g17_len_is_g17s_length() {
        let g17 = |x: f64| super::g17(x, &mut Text::default()).len();
        let mut answered = 0;
        let mut check = |f: f64| {
            for f in [f, -f] {
                if let Some(n) = super::g17_len(f) {
                    assert_eq!(n, g17(f), "{f:e}");
                    answered += 1;
                }
            }
        };
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for e in -7..18 {
            let p = 10f64.powi(e);
            let mut near = p;
            for _ in 0..40 {
                check(near);
                near = f64::from_bits(near.to_bits() - 1);
            }
            near = p;
            for _ in 0..40 {
                check(near);
                near = f64::from_bits(near.to_bits() + 1);
            }
            for _ in 0..4000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                check(p * (1.0 + (x >> 11) as f64 / (1u64 << 53) as f64 * 9.0));
            }
        }
        for i in 1..5000 {
            check(i as f64 + 0.5);
            check(i as f64 / 1024.0);
            check(i as f64 * 0.001);
        }
        assert!(answered > 100_000, "{answered}");
    }

    #[test]
    fn listpack_entries() {
        assert_eq!(listpack_entry(Elem::Int(0)), LP_ZERO_ENTRY);
        assert_eq!(listpack_entry(Elem::Bytes(b"x")), 3);
        assert_eq!(listpack_entry(Elem::Bytes(b"100")), 2);
        assert_eq!(listpack_entry(Elem::Int(1000)), 3);
        assert_eq!(listpack_entry(Elem::Int(1 << 40)), 10);
        assert_eq!(listpack_entry(Elem::Bytes(&[b'a'; 64])), 67);
    }
}
