//! The one escaping rule for byte strings in every output of rdbscope:
//! valid UTF-8 stays as it is, `\` becomes `\\`, and each byte that is not
//! part of valid UTF-8 becomes `\xHH` (lower-case hex).

use std::borrow::Cow;
use std::fmt::Write;

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

/// For text meant for a terminal: an escaped string with its control
/// characters (C0, DEL and C1 such as U+009B CSI: valid UTF-8 but able to
/// drive the terminal) also written `\xHH`, byte by byte. JSON and CSV
/// outputs keep them (JSON escapes them itself); only the human-readable
/// text views and stderr use this.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            for b in c.encode_utf8(&mut [0; 4]).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`terminal`] for a whole text view: every line made terminal-safe, the
/// line breaks kept. Text views pass through this once on their way out, so
/// no byte string from a dump can reach a terminal raw, whichever field it
/// came in by.
pub fn terminal_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
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
                let hex = std::str::from_utf8(b.get(i + 2..i + 4)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
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
