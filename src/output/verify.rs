//! `verify` output: one text line or one JSON object per file.

use serde_json::{Map, Value, json};

use crate::rdb::Checksum;
use crate::verify::Verified;

/// Input-level facts shown beside the decoding result.
pub struct FileInfo<'a> {
    pub file: &'a str,
    /// `none`, `gzip`, `zstd` or `lz4`.
    pub wrapper: &'a str,
}

pub fn text_line(info: &FileInfo<'_>, v: &Verified) -> String {
    let mut s = format!("{}: ", info.file);
    let valid = v.is_valid();
    s.push_str(if valid { "OK" } else { "FAILED" });
    if let Some(ver) = v.rdb_version {
        s.push_str(&format!(", RDB {ver}"));
        if let Some(f) = v.family {
            s.push_str(&format!(" ({})", f.as_str()));
        }
    }
    if let Some((name, ver)) = v.producer() {
        s.push_str(&format!(", written by {name} {ver}"));
    }
    if info.wrapper != "none" {
        s.push_str(&format!(", {} compressed", info.wrapper));
    }
    s.push_str(&format!(", {}", crate::units::count(v.keys, "key", "keys")));
    if v.dbs.len() > 1 {
        s.push_str(&format!(" in {} dbs", v.dbs.len()));
    }
    if v.functions > 0 {
        s.push_str(&format!(", {} function libraries", v.functions));
    }
    match v.checksum {
        Some(Checksum::Ok) => s.push_str(", checksum ok"),
        Some(Checksum::Absent) => s.push_str(", no checksum stored"),
        Some(Checksum::Mismatch { stored, computed }) => {
            s.push_str(", CHECKSUM MISMATCH");
            if let Some(at) = v.checksum_offset {
                s.push_str(&format!(" at offset {at}"));
            }
            s.push_str(&format!(
                " (stored {stored:016x}, computed {computed:016x})"
            ));
        }
        None => {}
    }
    // Other bytes after the RDB are told by their warning.
    if (v.trailing_bytes > 0 || v.trailing_unread) && v.trailing_kind != "unknown" {
        let what = match v.trailing_kind {
            "aof" => "an AOF tail",
            "eof-mark" => "a replication end mark",
            _ => "not an AOF tail",
        };
        let more = if v.trailing_unread {
            " (and more, not read)"
        } else {
            ""
        };
        s.push_str(&format!(
            ", {} bytes{more} after the RDB ({what}) ignored",
            v.trailing_bytes
        ));
    }
    if let Some(e) = &v.error {
        s.push_str(&format!(
            "; error {e}; the records before byte {} decoded",
            v.decoded_bytes
        ));
    }
    for w in &v.warnings {
        s.push_str(&format!("; warning: {w}"));
    }
    s
}

pub fn json_value(info: &FileInfo<'_>, v: &Verified) -> Value {
    let aux: Map<String, Value> = v
        .aux
        .iter()
        .map(|(k, val)| (k.clone(), Value::String(val.clone())))
        .collect();
    let error = v
        .error
        .as_ref()
        .map(|e| json!({"offset": e.offset, "message": e.message(), "db": e.db, "key": e.key}));
    json!({
        "file": info.file,
        "valid": v.is_valid(),
        "rdb_version": v.rdb_version,
        "family": v.family.map(|f| f.as_str()),
        "producer": v.producer().map(|p| p.0),
        "producer_version": v.producer().map(|p| p.1),
        "wrapper": info.wrapper,
        "keys": v.keys,
        "expires": v.expires,
        "by_type": v.by_type,
        "dbs": v.dbs.iter().map(|(db, n)| (db.to_string(), json!(n))).collect::<Map<_, _>>(),
        "functions": v.functions,
        "module_aux": v.module_aux,
        "checksum": v.checksum.map(|c| c.as_str()),
        "checksum_offset": v.checksum_offset,
        "trailing_bytes": v.trailing_bytes,
        "trailing_kind": (!v.trailing_kind.is_empty()).then_some(v.trailing_kind),
        "trailing_unread": v.trailing_unread,
        "decoded_bytes": v.decoded_bytes,
        "warnings": v.warnings,
        "error": error,
        "aux": aux,
    })
}
