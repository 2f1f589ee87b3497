//! `keys` output: CSV with redis-rdb-tools' memory columns first, or JSON lines.

use std::io::Write;

use serde_json::json;

use crate::escape::escape;
use crate::memory::Approx;
use crate::scan::KeyFacts;
use crate::units::{rfc3339_ms, seconds};

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

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub fn csv_record(r: &KeyFacts<'_>, profile: &str, file: &str) -> [String; 17] {
    [
        r.db.to_string(),
        r.type_name.to_string(),
        escape(r.key).into_owned(),
        r.bytes.to_string(),
        r.encoding.to_string(),
        r.elements.to_string(),
        opt(r.largest_element),
        opt(r.expire_at_ms.map(rfc3339_ms)),
        opt(r.ttl_ms().map(seconds)),
        opt(r.idle_s),
        opt(r.lfu_freq),
        r.rdb_bytes.to_string(),
        r.stored_encoding.to_string(),
        Approx::label(r.approx),
        opt(r.bound),
        profile.to_string(),
        file.to_string(),
    ]
}

pub fn json_line<W: Write>(
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
