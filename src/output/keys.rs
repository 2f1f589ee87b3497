//! `keys` output: CSV with redis-rdb-tools' memory columns first, or JSON lines.

use std::io::Write;

use crate::escape::{ascii_without, escape, json_str, without, write_json_escaped};
use crate::memory::Approx;
use crate::scan::KeyFacts;
use crate::units::{write_rfc3339_ms, write_seconds};

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

/// Writes one key's JSON line: the fields `serde_json` would write for
/// them, in this order, built by hand into the worker's row buffer (a
/// `serde_json::Value` per key made JSON lines 6x slower than CSV).
/// `tests` compares the two.
pub fn json_line<W: Write + ?Sized>(
    out: &mut W,
    buf: &mut RowBuf,
    r: &KeyFacts<'_>,
    profile: &str,
    file: &str,
) -> std::io::Result<()> {
    let row = &mut buf.row;
    row.clear();
    // A name, then an integer or null.
    fn num<I: itoa::Integer>(row: &mut Vec<u8>, name: &[u8], v: Option<I>) {
        row.extend_from_slice(name);
        match v {
            Some(v) => row.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
            None => row.extend_from_slice(b"null"),
        }
    }
    num(row, b"{\"database\":", Some(r.db));
    row.extend_from_slice(b",\"type\":");
    json_str(row, r.type_name);
    row.extend_from_slice(b",\"key\":");
    // Writing to a Vec cannot fail.
    let _ = write_json_escaped(r.key, row);
    num(row, b",\"size_in_bytes\":", Some(r.bytes));
    row.extend_from_slice(b",\"encoding\":");
    json_str(row, r.encoding);
    num(row, b",\"num_elements\":", Some(r.elements));
    num(row, b",\"len_largest_element\":", r.largest_element);
    row.extend_from_slice(b",\"expiry\":");
    match r.expire_at_ms {
        Some(at) => {
            // Digits and punctuation: nothing to escape.
            row.push(b'"');
            write_rfc3339_ms(row, at);
            row.push(b'"');
        }
        None => row.extend_from_slice(b"null"),
    }
    num(row, b",\"expire_at_ms\":", r.expire_at_ms);
    row.extend_from_slice(b",\"ttl_s\":");
    match r.ttl_ms() {
        // A float as `serde_json` writes one.
        Some(t) => serde_json::to_writer(&mut *row, &(t as f64 / 1000.0))?,
        None => row.extend_from_slice(b"null"),
    }
    num(row, b",\"idle_s\":", r.idle_s);
    num(row, b",\"lfu_freq\":", r.lfu_freq);
    num(row, b",\"rdb_bytes\":", Some(r.rdb_bytes));
    row.extend_from_slice(b",\"stored_encoding\":");
    json_str(row, r.stored_encoding);
    row.extend_from_slice(b",\"estimate\":");
    match r.approx {
        None => row.extend_from_slice(b"\"exact\""),
        a => json_str(row, &Approx::label(a)),
    }
    num(row, b",\"bound\":", r.bound);
    row.extend_from_slice(b",\"profile\":");
    json_str(row, profile);
    row.extend_from_slice(b",\"file\":");
    json_str(row, file);
    row.extend_from_slice(b"}\n");
    out.write_all(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written JSON line is the one `serde_json` writes for the
    /// same fields, on hostile keys, names and paths and on every optional
    /// field absent and at its extremes.
    #[test]
    fn json_lines_are_what_serde_json_writes() {
        let reference = |r: &KeyFacts<'_>, profile: &str, file: &str| {
            let v = serde_json::json!({
                "database": r.db,
                "type": r.type_name,
                "key": escape(r.key),
                "size_in_bytes": r.bytes,
                "encoding": r.encoding,
                "num_elements": r.elements,
                "len_largest_element": r.largest_element,
                "expiry": r.expire_at_ms.map(crate::units::rfc3339_ms),
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
            let mut out = serde_json::to_vec(&v).unwrap();
            out.push(b'\n');
            out
        };
        let alphabet: [&[u8]; 10] = [
            b"a",
            b"\"",
            b"\\",
            b"\n",
            b"\x01",
            b"\x7f",
            "é".as_bytes(),
            b"\xc3",
            b"\x9b",
            "\u{85}".as_bytes(),
        ];
        let mut keys: Vec<Vec<u8>> = vec![Vec::new()];
        for a in alphabet {
            for b in alphabet {
                keys.push([a, b].concat());
            }
        }
        let names = [
            "string",
            "mod\"ule\u{1b}[31m",
            "pro\tfile",
            "C:\\dumps\\x.rdb",
            "é",
        ];
        let mut buf = RowBuf::default();
        let mut n = 0;
        for (i, key) in keys.iter().enumerate() {
            let name = names[i % names.len()];
            let some = i % 2 == 0;
            let expire = [
                None,
                Some(0),
                Some(-1),
                Some(i64::MIN),
                Some(i64::MAX),
                Some(1_796_572_036_752),
            ][i % 6];
            let ctime = [Some(1_796_547_269_000), None, Some(i64::MAX), Some(5)][i % 4];
            let f = KeyFacts {
                db: [0, 15, u64::MAX][i % 3],
                key,
                type_name: name,
                encoding: ["listpack", "embstr"][i % 2],
                stored_encoding: "ziplist",
                bytes: [0, 1, u64::MAX][i % 3],
                approx: [
                    None,
                    Some(Approx::SkiplistLevels),
                    Some(Approx::CompressDepthAssumed),
                ][i % 3],
                bound: some.then_some(u64::MAX),
                elements: i as u64,
                largest_element: some.then_some(7),
                expire_at_ms: expire,
                ctime_ms: ctime,
                idle_s: (!some).then_some(u64::MAX),
                lfu_freq: some.then_some(255),
                rdb_bytes: 12,
                field_ttls: 0,
                alloc_delta: 0,
                small_entries: None,
                source: None,
            };
            let (profile, file) = (names[(i + 1) % names.len()], names[(i + 2) % names.len()]);
            let mut got = Vec::new();
            json_line(&mut got, &mut buf, &f, profile, file).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&reference(&f, profile, file)),
                "{key:?}"
            );
            n += 1;
        }
        assert_eq!(n, 101);
    }

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
