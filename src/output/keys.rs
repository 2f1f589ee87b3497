//! `keys` output: CSV with redis-rdb-tools' memory columns first, or JSON lines.

use std::io::Write;

use serde_json::json;

use crate::escape::escape;
use crate::memory::Approx;
use crate::scan::KeyFacts;
use crate::units::{rfc3339_ms, write_rfc3339_ms, write_seconds};

/// redis-rdb-tools' memory CSV columns, then rdbscope's.
pub const CSV_HEADER: [&str; 17] = [
    "database",
    "type",
    "key",
    "size_in_bytes",
    "encoding",
    "num_elements",
    "len_largest_element",
    "expiry",
    "ttl_s",
    "idle_s",
    "lfu_freq",
    "rdb_bytes",
    "stored_encoding",
    "estimate",
    "bound",
    "profile",
    "file",
];

/// Writes the CSV header.
pub fn write_csv_header<W: Write>(out: &mut W) -> std::io::Result<()> {
    let mut row = Vec::new();
    for (i, h) in CSV_HEADER.iter().enumerate() {
        if i > 0 {
            row.push(b',');
        }
        csv_field(&mut row, h.as_bytes());
    }
    row.push(b'\n');
    out.write_all(&row)
}

/// Writes one key's CSV row (RFC 4180, as the `csv` crate writes it: a
/// field is quoted when it holds a comma, a quote or a line break, quotes
/// doubled; `\n` ends a row). Built by hand into a reused buffer: the
/// crate's per-field state machine was 40 % of `keys` on small keys, and
/// most fields here are numbers. `tests` compares the two on hostile text.
pub fn write_csv_row<W: Write + ?Sized>(
    out: &mut W,
    row: &mut Vec<u8>,
    r: &KeyFacts<'_>,
    profile: &str,
    file: &str,
) -> std::io::Result<()> {
    row.clear();
    let mut n = itoa::Buffer::new();
    let mut int = |row: &mut Vec<u8>, v: Option<u64>| {
        if let Some(v) = v {
            row.extend_from_slice(n.format(v).as_bytes());
        }
        row.push(b',');
    };
    let text = |row: &mut Vec<u8>, v: &[u8]| {
        csv_field(row, v);
        row.push(b',');
    };
    int(row, Some(r.db));
    text(row, r.type_name.as_bytes());
    text(row, escape(r.key).as_bytes());
    int(row, Some(r.bytes));
    text(row, r.encoding.as_bytes());
    int(row, Some(r.elements));
    int(row, r.largest_element);
    // Digits and punctuation: never quoted.
    if let Some(at) = r.expire_at_ms {
        write_rfc3339_ms(row, at);
    }
    row.push(b',');
    if let Some(ttl) = r.ttl_ms() {
        write_seconds(row, ttl);
    }
    row.push(b',');
    int(row, r.idle_s);
    int(row, r.lfu_freq.map(u64::from));
    int(row, Some(r.rdb_bytes));
    text(row, r.stored_encoding.as_bytes());
    match r.approx {
        None => text(row, b"exact"),
        a => text(row, Approx::label(a).as_bytes()),
    }
    int(row, r.bound);
    text(row, profile.as_bytes());
    csv_field(row, file.as_bytes());
    row.push(b'\n');
    out.write_all(row)
}

/// One CSV field: quoted (quotes doubled) when it holds a comma, a quote
/// or a line break.
fn csv_field(row: &mut Vec<u8>, v: &[u8]) {
    if !needs_quotes(v) {
        row.extend_from_slice(v);
        return;
    }
    row.push(b'"');
    for &b in v {
        if b == b'"' {
            row.push(b'"');
        }
        row.push(b);
    }
    row.push(b'"');
}

/// Whether `v` holds a comma, a quote or a line break: eight bytes at a
/// time (a byte-by-byte scan of every field was a seventh of `keys`).
fn needs_quotes(v: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // Nonzero exactly when some byte of `x` is `c` (the "has a zero byte"
    // test on `x ^ c…c`).
    let has = |x: u64, c: u8| {
        let y = x ^ (ONES * u64::from(c));
        y.wrapping_sub(ONES) & !y & HIGH
    };
    let mut words = v.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_ne_bytes(w.try_into().unwrap_or_default());
        if has(x, b',') | has(x, b'"') | has(x, b'\n') | has(x, b'\r') != 0 {
            return true;
        }
    }
    (words.remainder().iter()).any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

pub fn json_line<W: Write + ?Sized>(
    out: &mut W,
    r: &KeyFacts<'_>,
    profile: &str,
    file: &str,
) -> std::io::Result<()> {
    let v = json!({
        "database": r.db,
        "type": r.type_name,
        "key": escape(r.key),
        "size_in_bytes": r.bytes,
        "encoding": r.encoding,
        "num_elements": r.elements,
        "len_largest_element": r.largest_element,
        "expiry": r.expire_at_ms.map(rfc3339_ms),
        "expire_at_ms": r.expire_at_ms,
        "ttl_s": r.ttl_ms().map(|t| t as f64 / 1000.0),
        "idle_s": r.idle_s,
        "lfu_freq": r.lfu_freq,
        "rdb_bytes": r.rdb_bytes,
        "stored_encoding": r.stored_encoding,
        "estimate": Approx::label(r.approx),
        "bound": r.bound,
        "profile": profile,
        "file": file,
    });
    serde_json::to_writer(&mut *out, &v)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written quoting matches the `csv` crate's on every field
    /// made of the bytes that matter.
    #[test]
    fn fields_are_quoted_as_the_csv_crate_quotes_them() {
        let alphabet = [b'a', b',', b'"', b'\n', b'\r', b' ', b'\\', 0xc3, b'#'];
        let mut fields: Vec<Vec<u8>> = vec![Vec::new()];
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    fields.push(vec![a, b, c]);
                }
                fields.push(vec![a, b]);
            }
            fields.push(vec![a]);
        }
        for f in &fields {
            // Two fields, so an empty one is not a whole empty record.
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            w.write_record([f.as_slice(), b"x"]).unwrap();
            let want = w.into_inner().unwrap();
            let mut got = Vec::new();
            csv_field(&mut got, f);
            got.extend_from_slice(b",x\n");
            assert_eq!(got, want, "{f:?}");
        }
    }

    /// The word-at-a-time test agrees with a byte-by-byte one for every
    /// byte at every place of fields up to three words long, among fill
    /// bytes next to the special ones (a borrow between bytes must not
    /// hide or invent one).
    #[test]
    fn quoting_test_agrees_byte_by_byte() {
        let fills = [
            0u8, 1, 0x0b, 0x0c, 0x0e, 0x21, 0x23, 0x2b, 0x2d, 0x7f, 0x80, 0xff, b'a',
        ];
        for len in 0..=25 {
            for fill in fills {
                let plain = vec![fill; len];
                let naive = |v: &[u8]| v.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
                assert_eq!(needs_quotes(&plain), naive(&plain), "{plain:?}");
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut v = plain.clone();
                        v[at] = b;
                        assert_eq!(needs_quotes(&v), naive(&v), "{v:?}");
                    }
                }
            }
        }
    }
}
