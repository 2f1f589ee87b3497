//! The one escaping rule for byte strings in every output of rdbscope:
//! valid UTF-8 stays as it is, `\` becomes `\\`, and each byte that is not
//! part of valid UTF-8 becomes `\xHH` (lower-case hex).

use std::borrow::Cow;
use std::fmt::Write;

/// Whether every byte of `bytes` is ASCII and none is in `stop`. Most keys
/// pass, and are then their own text (`stop` holding `\\`): no UTF-8
/// check or escaping for them.
#[inline]
pub fn ascii_without<const N: usize>(bytes: &[u8], stop: [u8; N]) -> bool {
    scan::<N, true, 0>(bytes, stop)
}

/// Whether no byte of `bytes` is in `stop`.
#[inline]
pub fn without<const N: usize>(bytes: &[u8], stop: [u8; N]) -> bool {
    scan::<N, false, 0>(bytes, stop)
}

/// Whether `bytes` are ASCII a JSON string holds as they are: no control
/// character, `"` or `\\`.
#[inline]
pub(crate) fn json_plain(bytes: &[u8]) -> bool {
    scan::<2, true, 0x20>(bytes, [b'"', b'\\'])
}

/// 8 bytes at a time: a byte-by-byte scan of every field was a seventh of
/// `keys`.
#[inline]
fn scan<const N: usize, const ASCII: bool, const BELOW: u8>(bytes: &[u8], stop: [u8; N]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // Nonzero exactly when some byte of `x` is in `stop` (the "has a zero
    // byte" test on `x ^ c…c`, for each c), or, with ASCII, not ASCII, or
    // below BELOW (at most 0x80; the "has less" test).
    let less = |x: u64| x.wrapping_sub(ONES * u64::from(BELOW)) & !x & HIGH;
    let bad = |x: u64| {
        let mut bad = if ASCII { x & HIGH } else { 0 } | less(x);
        for c in stop {
            let y = x ^ (ONES * u64::from(c));
            bad |= y.wrapping_sub(ONES) & !y & HIGH;
        }
        bad
    };
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        if bad(u64::from_ne_bytes(w.try_into().unwrap_or_default())) != 0 {
            return false;
        }
    }
    // The last 1–7 bytes, padded with the first of them (a byte that
    // passes or fails alone).
    let rest = words.remainder();
    let Some(&first) = rest.first() else {
        return true;
    };
    let mut last = [first; 8];
    last[..rest.len()].copy_from_slice(rest);
    bad(u64::from_ne_bytes(last)) == 0
}

/// Escapes `bytes`; borrows when nothing needs escaping.
pub fn escape(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes)
        && !s.contains('\\')
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    escape_into(bytes, &mut out);
    Cow::Owned(out)
}

/// The length of `escape(bytes)`, without making it.
pub fn escaped_len(bytes: &[u8]) -> usize {
    let mut n = 0usize;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        n = n
            .saturating_add(valid.len())
            .saturating_add(valid.bytes().filter(|&b| b == b'\\').count())
            .saturating_add(chunk.invalid().len().saturating_mul(4));
    }
    n
}

/// Appends the escaped form of `bytes` to `out`.
pub fn escape_into(bytes: &[u8], out: &mut String) {
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if ch == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(ch);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// Appends `s` as a JSON string, as `serde_json` writes it (text that is
/// no byte string: names, paths).
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    if json_plain(s.as_bytes()) {
        // Names: ASCII, nothing to escape.
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes `bytes` as a JSON string of their escaped form (the one rule,
/// then JSON's own escapes, as `serde_json` writes them), a piece at a
/// time: a value of hundreds of MiB is never copied whole.
pub fn write_json_escaped<W: std::io::Write + ?Sized>(
    bytes: &[u8],
    out: &mut W,
) -> std::io::Result<()> {
    out.write_all(b"\"")?;
    if json_plain(bytes) {
        // Most keys and values: ASCII that needs no escape.
        out.write_all(bytes)?;
    } else if std::str::from_utf8(bytes).is_ok() {
        // Nearly every value: runs of plain bytes are written as they are.
        write_json_text(bytes, out)?;
    } else {
        for chunk in bytes.utf8_chunks() {
            write_json_text(chunk.valid().as_bytes(), out)?;
            for &b in chunk.invalid() {
                // `\xHH`, its backslash escaped for JSON.
                out.write_all(&[
                    b'\\',
                    b'\\',
                    b'x',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ])?;
            }
        }
    }
    out.write_all(b"\"")
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Valid UTF-8 as the inside of a JSON string: `"`, `\` (as `\\` by the
/// one rule, then JSON's escape) and control characters escaped.
fn write_json_text<W: std::io::Write + ?Sized>(
    mut text: &[u8],
    out: &mut W,
) -> std::io::Result<()> {
    while !text.is_empty() {
        let plain = text
            .iter()
            .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
            .unwrap_or(text.len());
        out.write_all(&text[..plain])?;
        let Some(&b) = text.get(plain) else { break };
        let u;
        let escaped: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => {
                u = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ];
                &u
            }
        };
        out.write_all(escaped)?;
        text = &text[plain + 1..];
    }
    Ok(())
}

/// For text meant for a terminal: an escaped string with its control
/// characters (C0, DEL and C1 such as U+009B CSI: valid UTF-8 but able to
/// drive the terminal) also written `\xHH`, byte by byte. JSON and CSV
/// outputs keep them (JSON escapes them itself); only the human-readable
/// text views and stderr use this.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            for b in c.encode_utf8(&mut [0; 4]).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// What [`terminal`] writes as `\xHH`: control characters, and the
/// bidirectional controls that reorder the text around them (U+061C,
/// U+200E/F, U+202A–E, U+2066–9: a key `a\u{202e}gnp.exe` would show as
/// `aexe.png`). The HTML page applies the same set.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// [`terminal`] for a whole text view: every line made terminal-safe, the
/// line breaks kept. Text views pass through this once on their way out, so
/// no byte string from a dump can reach a terminal raw, whichever field it
/// came in by.
pub fn terminal_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| hidden(c) && c != '\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&terminal(line));
    }
    Cow::Owned(out)
}

/// Escapes raw bytes for a terminal: [`escape`], then [`terminal`].
pub fn escape_terminal(bytes: &[u8]) -> String {
    terminal(&escape(bytes)).into_owned()
}

/// Reverses [`escape`]; `None` when `s` is not a valid escaped string.
pub fn unescape(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1)? {
            b'\\' => {
                out.push(b'\\');
                i += 2;
            }
            b'x' => {
                // Two hex digits exactly (`from_str_radix` takes a `+`).
                let hex = b.get(i + 2..i + 4)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 4;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A writer for a terminal: passes bytes through except controls (C0 but
/// newline and tab, DEL, and C1 such as U+009B CSI in their UTF-8 form),
/// which it writes as `\xHH`. Data formats (CSV, JSON) carry the dump's
/// bytes as they are; when they are shown on a terminal rather than
/// written to a file or a pipe, this keeps a hostile key from driving it.
pub struct TerminalSafe<W: std::io::Write> {
    inner: W,
    /// A 0xC2 lead byte at the end of the last write (a C1 control may
    /// follow in the next).
    lead: bool,
    buf: Vec<u8>,
}

impl<W: std::io::Write> TerminalSafe<W> {
    pub fn new(inner: W) -> Self {
        TerminalSafe {
            inner,
            lead: false,
            buf: Vec::new(),
        }
    }

    fn hex(buf: &mut Vec<u8>, b: u8) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        buf.extend_from_slice(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
    }
}

impl<W: std::io::Write> std::io::Write for TerminalSafe<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.clear();
        for &b in data {
            if self.lead {
                self.lead = false;
                if (0x80..0xa0).contains(&b) {
                    Self::hex(&mut self.buf, 0xc2);
                    Self::hex(&mut self.buf, b);
                    continue;
                }
                self.buf.push(0xc2);
            }
            match b {
                0xc2 => self.lead = true,
                b'\n' | b'\t' => self.buf.push(b),
                0..0x20 | 0x7f => Self::hex(&mut self.buf, b),
                _ => self.buf.push(b),
            }
        }
        self.inner.write_all(&self.buf)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.lead) {
            self.inner.write_all(&[0xc2])?;
        }
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for TerminalSafe<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

/// Byte strings as escaped text, for `#[serde(with)]`.
pub(crate) mod serde_list {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|b| crate::escape::escape(b)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| {
                crate::escape::unescape(t)
                    .ok_or_else(|| D::Error::custom(format!("{t:?} is not an escaped byte string")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{ascii_without, json_plain, without};

    /// The word-at-a-time scans agree with byte-by-byte ones for every
    /// byte at every place of texts up to three words long, among fill
    /// bytes next to the ones that matter (a borrow between bytes must
    /// not hide or invent one).
    #[test]
    fn scans_agree_byte_by_byte() {
        let fills = [
            0u8, 1, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x5c, 0x7f, 0x80, 0xff, b'a',
        ];
        let stop = [b'\\', b',', b'"', b'\n', b'\r'];
        let check = |v: &[u8]| {
            let naive = !v.iter().any(|b| stop.contains(b));
            assert_eq!(without(v, stop), naive, "{v:?}");
            assert_eq!(ascii_without(v, stop), naive && v.is_ascii(), "{v:?}");
            let one = !v.contains(&b'\\') && v.is_ascii();
            assert_eq!(ascii_without(v, [b'\\']), one, "{v:?}");
            let json = v
                .iter()
                .all(|&b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\');
            assert_eq!(json_plain(v), json, "{v:?}");
        };
        for len in 0..=25 {
            for fill in fills {
                let plain = vec![fill; len];
                check(&plain);
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut v = plain.clone();
                        v[at] = b;
                        check(&v);
                    }
                }
            }
        }
    }

    #[test]
    fn escaped_len_is_the_escaped_length() {
        for k in [
            &b""[..],
            b"plain:1",
            b"a\\b",
            b"\xff\xfe",
            b"caf\xc3\xa9",
            b"\xc3",
            b"\\\xff\\",
        ] {
            assert_eq!(super::escaped_len(k), super::escape(k).len(), "{k:?}");
        }
    }

    #[test]
    fn terminal_shows_controls_and_bidi_controls_as_bytes() {
        assert_eq!(terminal("a\u{1b}[31m"), "a\\x1b[31m");
        assert_eq!(terminal("\u{9b}2J"), "\\xc2\\x9b2J");
        assert_eq!(
            terminal("bidi\u{202e}gnp.exe"),
            "bidi\\xe2\\x80\\xaegnp.exe"
        );
        assert_eq!(
            terminal("x\u{2066}y\u{200f}"),
            "x\\xe2\\x81\\xa6y\\xe2\\x80\\x8f"
        );
        assert_eq!(terminal("plain é ✓"), "plain é ✓");
        assert_eq!(terminal_lines("a\nb\u{202e}"), "a\nb\\xe2\\x80\\xae");
    }

    #[test]
    fn terminal_safe_writer() {
        use std::io::Write as _;
        let mut out = Vec::new();
        {
            let mut w = TerminalSafe::new(&mut out);
            // A C1 CSI split across two writes, ESC, DEL, é, newline, tab.
            w.write_all(b"a\x1b[2J\xc2").unwrap();
            w.write_all(b"\x9b31m \xc3\xa9 \x7f\n\tz\xc2").unwrap();
        }
        assert_eq!(
            String::from_utf8_lossy(&out),
            "a\\x1b[2J\\xc2\\x9b31m \u{e9} \\x7f\n\tz\u{fffd}"
        );
    }

    /// The streamed JSON string is what serde_json writes for the escaped
    /// text, for any bytes (control characters, quotes, backslashes,
    /// invalid UTF-8, multi-byte characters, pieces past the buffer size).
    #[test]
    fn json_escaped_matches_serde_json() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for n in 0..3000usize {
            let len = if n % 100 == 0 { 20_000 } else { n % 40 };
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    [
                        b'a', b'"', b'\\', 0, 0x1f, 0x7f, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff, b'\n',
                    ][(x % 13) as usize]
                })
                .collect();
            // As they are, and made valid UTF-8 (the path most values take).
            let valid = String::from_utf8_lossy(&bytes).into_owned().into_bytes();
            for bytes in [bytes, valid] {
                let mut got = Vec::new();
                write_json_escaped(&bytes, &mut got).unwrap();
                let want = serde_json::to_string(&escape(&bytes)).unwrap();
                assert_eq!(String::from_utf8(got).unwrap(), want, "{bytes:?}");
            }
        }
    }

    use super::*;

    #[test]
    fn rule() {
        assert_eq!(escape(b"plain"), "plain");
        assert_eq!(escape(b"a\\b"), "a\\\\b");
        assert_eq!(escape(b"\xff\xfek"), "\\xff\\xfek");
        assert_eq!(escape("é".as_bytes()), "é");
        assert_eq!(escape(b"\xc3"), "\\xc3");
    }

    #[test]
    fn terminal_controls() {
        assert_eq!(escape_terminal(b"a\x1b]0;x\x07\n"), "a\\x1b]0;x\\x07\\x0a");
        assert_eq!(terminal("plain"), "plain");
    }

    #[test]
    fn roundtrip() {
        for b in [&b"\\x41"[..], b"\xff\\", b"", "ü\x00".as_bytes()] {
            assert_eq!(unescape(&escape(b)).unwrap(), b);
        }
    }
}
