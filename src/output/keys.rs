//! `keys` output: CSV with redis-rdb-tools' memory columns first, or JSON lines.

use std::io::Write;

use serde_json::json;

use crate::escape::escape;
use crate::keys::KeyRow;

/// redis-rdb-tools' memory CSV columns, then rdbscope's.
pub const CSV_HEADER: [&str; 16] = [
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
    "profile",
    "file",
];

/// RFC 3339 UTC with milliseconds: `2026-11-24T19:00:00.123Z`.
pub fn rfc3339_ms(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// Seconds with millisecond precision, as text (`3600.5`).
fn seconds(ms: i64) -> String {
    let s = format!("{:.3}", ms as f64 / 1000.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub fn csv_record(r: &KeyRow, profile: &str, file: &str) -> [String; 16] {
    let e = &r.estimate;
    [
        r.db.to_string(),
        r.type_name.clone(),
        escape(&r.key).into_owned(),
        e.bytes.to_string(),
        e.encoding.to_string(),
        e.elements.to_string(),
        opt(e.largest_element),
        opt(r.expire_at_ms.map(rfc3339_ms)),
        opt(r.ttl_ms.map(seconds)),
        opt(r.idle_s),
        opt(r.lfu_freq),
        r.rdb_bytes.to_string(),
        r.stored_encoding.to_string(),
        e.approx.map(|a| a.as_str()).unwrap_or("exact").to_string(),
        profile.to_string(),
        file.to_string(),
    ]
}

pub fn json_line<W: Write>(
    out: &mut W,
    r: &KeyRow,
    profile: &str,
    file: &str,
) -> std::io::Result<()> {
    let e = &r.estimate;
    let v = json!({
        "database": r.db,
        "type": r.type_name,
        "key": escape(&r.key),
        "size_in_bytes": e.bytes,
        "encoding": e.encoding,
        "num_elements": e.elements,
        "len_largest_element": e.largest_element,
        "expiry": r.expire_at_ms.map(rfc3339_ms),
        "expire_at_ms": r.expire_at_ms,
        "ttl_s": r.ttl_ms.map(|t| t as f64 / 1000.0),
        "idle_s": r.idle_s,
        "lfu_freq": r.lfu_freq,
        "rdb_bytes": r.rdb_bytes,
        "stored_encoding": r.stored_encoding,
        "estimate": e.approx.map(|a| a.as_str()).unwrap_or("exact"),
        "profile": profile,
        "file": file,
    });
    serde_json::to_writer(&mut *out, &v)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn times() {
        assert_eq!(super::rfc3339_ms(1795565934551), "2026-11-25T00:18:54.551Z");
        assert_eq!(super::rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::seconds(3600500), "3600.5");
        assert_eq!(super::seconds(-1000), "-1");
    }
}
