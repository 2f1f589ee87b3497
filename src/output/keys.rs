//! `keys` output: CSV with redis-rdb-tools' memory columns first, or JSON lines.

use std::io::Write;

use serde_json::json;

use crate::escape::{ascii_without, escape, without};
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

/// A worker's buffers for CSV rows: the row, and the last `profile` and
/// `file` with their fields as written (the same for a whole batch).
#[derive(Default)]
pub struct RowBuf {
    row: Vec<u8>,
    profile: String,
    file: String,
    /// `,profile,file\n`, quoted as needed.
    tail: Vec<u8>,
}

/// Bytes that make a key's text other than itself (`\\`) or its CSV
/// field quoted.
const CSV_PLAIN_STOP: [u8; 5] = [b'\\', b',', b'"', b'\n', b'\r'];

/// Writes one key's CSV row (RFC 4180, as the `csv` crate writes it: a
/// field is quoted when it holds a comma, a quote or a line break, quotes
/// doubled; `\n` ends a row). Built by hand into a reused buffer: the
/// crate's per-field state machine was 40 % of `keys` on small keys, and
/// most fields here are numbers. `tests` compares the two on hostile text.
pub fn write_csv_row<W: Write + ?Sized>(
    out: &mut W,
    buf: &mut RowBuf,
    r: &KeyFacts<'_>,
    profile: &str,
    file: &str,
) -> std::io::Result<()> {
    if buf.profile != profile || buf.file != file || buf.tail.is_empty() {
        buf.profile = profile.to_string();
        buf.file = file.to_string();
        buf.tail.clear();
        buf.tail.push(b',');
        csv_field(&mut buf.tail, profile.as_bytes());
        buf.tail.push(b',');
        csv_field(&mut buf.tail, file.as_bytes());
        buf.tail.push(b'\n');
    }
    let row = &mut buf.row;
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
    // Most keys are their own text and need no quotes: one scan.
    match ascii_without(r.key, CSV_PLAIN_STOP) {
        true => {
            row.extend_from_slice(r.key);
            row.push(b',');
        }
        false => text(row, escape(r.key).as_bytes()),
    }
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
    if let Some(v) = r.bound {
        row.extend_from_slice(n.format(v).as_bytes());
    }
    row.extend_from_slice(&buf.tail);
    out.write_all(row)
}

/// One CSV field: quoted (quotes doubled) when it holds a comma, a quote
/// or a line break.
#[inline(always)]
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

/// Whether `v` holds a comma, a quote or a line break.
#[inline(always)]
fn needs_quotes(v: &[u8]) -> bool {
    !without(v, [b',', b'"', b'\n', b'\r'])
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
}
