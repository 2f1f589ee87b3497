//! Report output: the JSON document (`schema_version` 1) and the text view.
//! Formatting only; every number comes from `report::run::Finished`.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::escape::{escape, escape_terminal};
use crate::output::keys::rfc3339_ms;
use crate::report::prefix::PrefixRow;
use crate::report::run::Finished;
use crate::report::{RankedKey, Tally, topn::TopN};

pub const SCHEMA_VERSION: u64 = 1;

fn tally_map<K: ToString>(m: impl IntoIterator<Item = (K, Tally)>) -> Value {
    Value::Object(
        m.into_iter()
            .map(|(k, t)| (k.to_string(), json!({"keys": t.keys, "bytes": t.bytes})))
            .collect(),
    )
}

fn key_json(k: &RankedKey) -> Value {
    let mut v = json!({
        "db": k.db,
        "key": escape(&k.key),
        "type": k.type_name,
        "encoding": k.encoding,
        "bytes": k.bytes,
        "elements": k.elements,
        "largest_element": k.largest_element,
    });
    if let Some(f) = k.lfu_freq {
        v["lfu_freq"] = f.into();
    }
    if let Some(i) = k.idle_s {
        v["idle_s"] = i.into();
    }
    v
}

fn keys_json(t: &TopN<RankedKey>) -> Value {
    Value::Array(t.clone().into_sorted().iter().map(key_json).collect())
}

/// `{type: [keys...]}`, types sorted.
fn per_type_json(per: &[(String, TopN<RankedKey>)]) -> Value {
    let mut m: Vec<&(String, TopN<RankedKey>)> = per.iter().collect();
    m.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(
        m.into_iter()
            .map(|(t, l)| (t.clone(), keys_json(l)))
            .collect::<Map<_, _>>(),
    )
}

fn prefix_json(r: &PrefixRow, total: u64) -> Value {
    json!({
        "prefix": escape(&r.prefix),
        "depth": r.depth,
        "keys": r.stats.keys,
        "bytes": r.stats.bytes,
        "share": if total == 0 { 0.0 } else { (r.stats.bytes as f64 / total as f64 * 1e4).round() / 1e4 },
        "no_ttl_keys": r.stats.no_ttl_keys,
        "no_ttl_bytes": r.stats.no_ttl_bytes,
        "expired_keys": r.stats.expired_keys,
        "children_dropped": r.collapsed,
    })
}

/// The `expiry` object.
pub fn expiry_json(f: &Finished) -> Value {
    let e = &f.report.expiry;
    let (hist, unit) = e.histogram();
    let top = f.report.config().top;
    let no_ttl: Vec<Value> = f
        .report
        .no_ttl_prefix_rows(top)
        .iter()
        .map(|r| json!({"prefix": escape(&r.prefix), "depth": r.depth, "keys": r.stats.no_ttl_keys, "bytes": r.stats.no_ttl_bytes}))
        .collect();
    json!({
        "no_ttl_keys": e.no_ttl.keys,
        "no_ttl_bytes": e.no_ttl.bytes,
        "ttl_keys": e.with_ttl.keys,
        "ttl_bytes": e.with_ttl.bytes,
        "expired_keys": e.expired.keys,
        "expired_bytes": e.expired.bytes,
        "field_ttls": e.field_ttls,
        "resolution": if e.is_coarse() { "minute" } else { "second" },
        "histogram_unit": unit,
        "histogram": hist.iter().map(|b| json!({
            "start_ms": b.start_ms, "end_ms": b.end_ms, "keys": b.count.keys, "bytes": b.count.bytes,
        })).collect::<Vec<_>>(),
        "clusters": f.clusters.iter().map(|(c, prefixes)| json!({
            "at_ms": c.at_ms,
            "at": rfc3339_ms(c.at_ms),
            "resolution": if c.width_ms == 1000 { "second" } else { "minute" },
            "keys": c.count.keys,
            "bytes": c.count.bytes,
            "top_prefixes": prefixes.iter().map(|(p, k)| json!({"prefix": escape(p), "keys": k})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "no_ttl_prefixes": no_ttl,
    })
}

fn files_json(f: &Finished) -> Value {
    Value::Array(
        f.files
            .iter()
            .map(|r| {
                let t = r.facts.target.as_ref();
                json!({
                    "file": r.name,
                    "rdb_version": r.facts.rdb_version,
                    "family": r.facts.family,
                    "producer": r.facts.producer.as_ref().map(|p| &p.0),
                    "producer_version": r.facts.producer.as_ref().map(|p| &p.1),
                    "ctime": r.facts.ctime_s,
                    "used_mem": r.facts.used_mem,
                    "keys": r.keys,
                    "estimated_bytes": r.bytes,
                    "profile": t.map(|t| t.target.describe()),
                    "profile_reason": t.map(|t| t.reason.clone()),
                    "warnings": r.facts.warnings,
                })
            })
            .collect(),
    )
}

fn profile(f: &Finished) -> Value {
    let mut names: Vec<String> = f
        .files
        .iter()
        .filter_map(|r| r.facts.target.as_ref().map(|t| t.target.describe()))
        .collect();
    names.dedup();
    match names.len() {
        0 => Value::Null,
        1 => Value::String(names.remove(0)),
        _ => Value::String(names.join(", ")),
    }
}

/// The whole `report --format json` document.
pub fn report_json(f: &Finished) -> Value {
    let r = &f.report;
    let top = r.config().top;
    let total = r.keys.bytes;
    let prefixes = r.prefixes.rows(top);
    let by_type_big = per_type_json(&r.big_by_type);
    json!({
        "schema_version": SCHEMA_VERSION,
        "profile": profile(f),
        "files": files_json(f),
        "summary": {
            "keys": r.keys.keys,
            "estimated_bytes": r.keys.bytes,
            "rdb_bytes": r.rdb_bytes,
            "expires": r.expiry.with_ttl.keys,
            "used_mem": f.files.iter().map(|x| x.facts.used_mem).sum::<Option<u64>>(),
            "by_db": tally_map(r.by_db.iter().map(|(k, v)| (k, *v))),
            "by_type": tally_map(r.by_type.iter().map(|(k, v)| (k, *v))),
            "by_encoding": tally_map(r.by_encoding.iter().map(|(k, v)| (k, *v))),
        },
        "big_keys": keys_json(&r.big),
        "big_keys_by_type": by_type_big,
        "most_elements": keys_json(&r.most_elements),
        "prefixes": prefixes.iter().map(|p| prefix_json(p, total)).collect::<Vec<_>>(),
        "prefixes_with_dropped_children": r.prefixes.collapsed_count(),
        // Whether every prefix / key is listed (else rows stop at --top).
        "prefixes_complete": prefixes.len() < top,
        "big_keys_complete": (r.keys.keys as usize) < top,
        "expiry": expiry_json(f),
        "hot_keys": keys_json(&r.hot),
        "cold_keys": keys_json(&r.cold),
    })
}

/// `bigkeys --format json`.
pub fn bigkeys_json(f: &Finished, by_elements: bool) -> Value {
    let r = &f.report;
    let (top, per) = if by_elements {
        (&r.most_elements, &r.most_elements_by_type)
    } else {
        (&r.big, &r.big_by_type)
    };
    let by_type = per_type_json(per);
    json!({
        "schema_version": SCHEMA_VERSION,
        "profile": profile(f),
        "by": if by_elements { "elements" } else { "memory" },
        "top": keys_json(top),
        "by_type": by_type,
    })
}

/// `prefixes --format json`.
pub fn prefixes_json(f: &Finished) -> Value {
    let r = &f.report;
    let rows = r.prefixes.rows(r.config().top);
    let shown: Tally = rows
        .iter()
        .filter(|p| p.depth == 1)
        .fold(Tally::default(), |mut t, p| {
            t.keys += p.stats.keys;
            t.bytes += p.stats.bytes;
            t
        });
    let total = r.prefixes.total();
    let other = (total.keys > shown.keys)
        .then(|| json!({"keys": total.keys - shown.keys, "bytes": total.bytes - shown.bytes}));
    json!({
        "schema_version": SCHEMA_VERSION,
        "profile": profile(f),
        "total": {"keys": total.keys, "bytes": total.bytes},
        "prefixes": rows.iter().map(|p| prefix_json(p, total.bytes)).collect::<Vec<_>>(),
        "other": other,
        "truncated": other.is_some() || r.prefixes.collapsed_count() > 0,
        "prefixes_with_dropped_children": r.prefixes.collapsed_count(),
    })
}

/// `expiry --format json`.
pub fn expiry_doc_json(f: &Finished) -> Value {
    let mut v = expiry_json(f);
    v["schema_version"] = SCHEMA_VERSION.into();
    v["profile"] = profile(f);
    v["ctime"] = f.files.first().and_then(|r| r.facts.ctime_s).into();
    v
}

// ---------------------------------------------------------------- text

/// `12.3 MiB`.
pub fn human_bytes(n: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

fn pct(part: u64, total: u64) -> String {
    if total == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / total as f64)
    }
}

fn keys_text(out: &mut String, title: &str, t: &TopN<RankedKey>, rank: &str) {
    let rows = t.clone().into_sorted();
    if rows.is_empty() {
        return;
    }
    let second = if rank == "bytes" { "elements" } else { "bytes" };
    let _ = writeln!(out, "\n{title}");
    let _ = writeln!(
        out,
        "  {:>10} {:>10} {:>10}  {:<22} {:>3}  key",
        rank, second, "largest", "type/encoding", "db"
    );
    for k in rows {
        let r = match rank {
            "bytes" => human_bytes(k.bytes),
            "lfu" => k.lfu_freq.map(|f| f.to_string()).unwrap_or_default(),
            "idle" => k.idle_s.map(|s| format!("{s}s")).unwrap_or_default(),
            _ => k.elements.to_string(),
        };
        let second = if rank == "bytes" {
            k.elements.to_string()
        } else {
            human_bytes(k.bytes)
        };
        let largest = k
            .largest_element
            .map(human_bytes)
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "  {:>10} {:>10} {:>10}  {:<22} {:>3}  {}",
            r,
            second,
            largest,
            format!("{}/{}", k.type_name, k.encoding),
            k.db,
            escape_terminal(&k.key)
        );
    }
}

fn prefix_text(out: &mut String, rows: &[PrefixRow], total: u64) {
    let _ = writeln!(
        out,
        "  {:>10} {:>7} {:>10}  {:>10} {:>8}  prefix",
        "bytes", "share", "keys", "no-TTL", "expired"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "  {:>10} {:>7} {:>10}  {:>10} {:>8}  {}{}{}",
            human_bytes(r.stats.bytes),
            pct(r.stats.bytes, total),
            r.stats.keys,
            r.stats.no_ttl_keys,
            r.stats.expired_keys,
            "  ".repeat(r.depth.saturating_sub(1)),
            escape_terminal(&r.prefix),
            if r.collapsed {
                "  (too many distinct children: not listed)"
            } else {
                ""
            }
        );
    }
}

fn header_text(out: &mut String, f: &Finished) {
    for r in &f.files {
        let prod = r
            .facts
            .producer
            .as_ref()
            .map(|(n, v)| format!(", written by {n} {v}"))
            .unwrap_or_default();
        let ctime = r
            .facts
            .ctime_s
            .map(|c| format!(", dumped {}", rfc3339_ms(c * 1000)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}: RDB {} ({}){prod}{ctime}, {} keys, {} estimated",
            r.name,
            r.facts.rdb_version,
            r.facts.family,
            r.keys,
            human_bytes(r.bytes)
        );
        if let Some(t) = &r.facts.target {
            let _ = writeln!(
                out,
                "  memory profile: {} ({})",
                t.target.describe(),
                t.reason
            );
        }
        if let Some(u) = r.facts.used_mem {
            let _ = writeln!(
                out,
                "  used-mem at dump time: {} (the estimates leave out fragmentation, the expires dict, buffers and allocator overhead)",
                human_bytes(u)
            );
        }
        for w in &r.facts.warnings {
            let _ = writeln!(out, "  warning: {w}");
        }
    }
}

pub fn expiry_text(out: &mut String, f: &Finished) {
    let e = &f.report.expiry;
    let total = f.report.keys;
    let _ = writeln!(out, "\nExpiry (measured from the dump's ctime)");
    let _ = writeln!(
        out,
        "  no TTL:        {} keys ({}), {} ({})",
        e.no_ttl.keys,
        pct(e.no_ttl.keys, total.keys),
        human_bytes(e.no_ttl.bytes),
        pct(e.no_ttl.bytes, total.bytes)
    );
    let _ = writeln!(
        out,
        "  with TTL:      {} keys, {}",
        e.with_ttl.keys,
        human_bytes(e.with_ttl.bytes)
    );
    let _ = writeln!(
        out,
        "  expired at dump time (still in the file): {} keys, {}",
        e.expired.keys,
        human_bytes(e.expired.bytes)
    );
    if e.field_ttls > 0 {
        let _ = writeln!(out, "  hash fields with their own TTL: {}", e.field_ttls);
    }
    let no_ttl = f.report.no_ttl_prefix_rows(f.report.config().top.min(10));
    if !no_ttl.is_empty() {
        let _ = writeln!(out, "  keys without TTL by prefix:");
        for r in no_ttl.iter().filter(|r| r.depth == 1) {
            let _ = writeln!(
                out,
                "    {:>10} keys {:>10}  {}",
                r.stats.no_ttl_keys,
                human_bytes(r.stats.no_ttl_bytes),
                escape_terminal(&r.prefix)
            );
        }
    }
    if !f.clusters.is_empty() {
        let _ = writeln!(
            out,
            "\nExpiry clusters (many keys expiring at the same moment)"
        );
        for (c, prefixes) in &f.clusters {
            let names: Vec<String> = prefixes
                .iter()
                .map(|(p, k)| format!("{k} {}", escape(p)))
                .collect();
            let _ = writeln!(
                out,
                "  {} keys ({}) expire within the same {} at {}: {}",
                c.count.keys,
                human_bytes(c.count.bytes),
                if c.width_ms == 1000 {
                    "second"
                } else {
                    "minute"
                },
                rfc3339_ms(c.at_ms),
                names.join(", ")
            );
        }
    }
    let (hist, unit) = e.histogram();
    if !hist.is_empty() {
        let max = hist.iter().map(|b| b.count.keys).max().unwrap_or(1).max(1);
        let _ = writeln!(out, "\nExpiry times (per {unit})");
        for b in hist {
            let bar = "#".repeat(((b.count.keys * 40).div_ceil(max)) as usize);
            let _ = writeln!(
                out,
                "  {}  {:>10} {:>10}  {bar}",
                rfc3339_ms(b.start_ms),
                b.count.keys,
                human_bytes(b.count.bytes)
            );
        }
    }
}

/// The text report.
pub fn report_text(f: &Finished) -> String {
    let r = &f.report;
    let mut out = String::new();
    header_text(&mut out, f);
    let total = r.keys;
    let _ = writeln!(
        out,
        "\nTotal: {} keys, {} estimated, {} in the dump",
        total.keys,
        human_bytes(total.bytes),
        human_bytes(r.rdb_bytes)
    );
    let table = |out: &mut String, title: &str, rows: Vec<(String, Tally)>| {
        let _ = writeln!(out, "\n{title}");
        for (k, t) in rows {
            let _ = writeln!(
                out,
                "  {:<20} {:>10} keys {:>10} {:>7}",
                k,
                t.keys,
                human_bytes(t.bytes),
                pct(t.bytes, total.bytes)
            );
        }
    };
    table(
        &mut out,
        "By db",
        r.by_db
            .iter()
            .map(|(k, v)| (format!("db{k}"), *v))
            .collect(),
    );
    let mut by_type: Vec<(String, Tally)> =
        r.by_type.iter().map(|(k, v)| (k.clone(), *v)).collect();
    by_type.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then(a.0.cmp(&b.0)));
    table(&mut out, "By type", by_type);
    let mut by_enc: Vec<(String, Tally)> = r
        .by_encoding
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    by_enc.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then(a.0.cmp(&b.0)));
    table(&mut out, "By encoding (after load on the target)", by_enc);
    keys_text(
        &mut out,
        &format!("Big keys (top {} by estimated memory)", r.config().top),
        &r.big,
        "bytes",
    );
    let _ = writeln!(
        out,
        "\nPrefixes (top {}, by estimated memory)",
        r.config().top
    );
    prefix_text(
        &mut out,
        &tree_order(r.prefixes.rows(r.config().top)),
        total.bytes,
    );
    expiry_text(&mut out, f);
    keys_text(&mut out, "Hot keys (highest LFU counter)", &r.hot, "lfu");
    keys_text(&mut out, "Cold keys (longest idle)", &r.cold, "idle");
    out
}

pub fn bigkeys_text(f: &Finished, by_elements: bool) -> String {
    let r = &f.report;
    let mut out = String::new();
    header_text(&mut out, f);
    let (top, per, rank) = if by_elements {
        (&r.most_elements, &r.most_elements_by_type, "elements")
    } else {
        (&r.big, &r.big_by_type, "bytes")
    };
    keys_text(
        &mut out,
        &format!(
            "Top {} keys by {}",
            r.config().top,
            if by_elements {
                "elements"
            } else {
                "estimated memory"
            }
        ),
        top,
        rank,
    );
    let mut per: Vec<&(String, TopN<RankedKey>)> = per.iter().collect();
    per.sort_by(|a, b| a.0.cmp(&b.0));
    for (t, list) in per {
        keys_text(&mut out, &format!("Top {t} keys"), list, rank);
    }
    out
}

pub fn prefixes_text(f: &Finished) -> String {
    let r = &f.report;
    let mut out = String::new();
    header_text(&mut out, f);
    let total = r.prefixes.total();
    let _ = writeln!(
        out,
        "\n{} keys, {} estimated",
        total.keys,
        human_bytes(total.bytes)
    );
    let rows = tree_order(r.prefixes.rows(r.config().top));
    prefix_text(&mut out, &rows, total.bytes);
    let n = r.prefixes.collapsed_count();
    if n > 0 {
        let _ = writeln!(
            out,
            "\n{n} prefixes had more than {} distinct children; those children are counted in their parent only.",
            r.config().prefixes.max_children
        );
    }
    out
}

/// Orders rows as a tree: each row right under its parent, siblings
/// biggest first (like dust).
fn tree_order(rows: Vec<PrefixRow>) -> Vec<PrefixRow> {
    fn stem(p: &[u8]) -> &[u8] {
        let p = p.strip_suffix(b"*").unwrap_or(p);
        match p.last() {
            Some(b) if !b.is_ascii_alphanumeric() && p.len() > 1 => &p[..p.len() - 1],
            _ => p,
        }
    }
    // Sort key: the (bytes, prefix) of each ancestor down to the row itself.
    let key = |r: &PrefixRow| -> Vec<(std::cmp::Reverse<u64>, Vec<u8>)> {
        let mut chain: Vec<&PrefixRow> = rows
            .iter()
            .filter(|a| a.depth < r.depth && stem(&r.prefix).starts_with(stem(&a.prefix)))
            .collect();
        chain.sort_by_key(|a| a.depth);
        chain.push(r);
        chain
            .iter()
            .map(|a| (std::cmp::Reverse(a.stats.bytes), a.prefix.clone()))
            .collect()
    };
    let mut keyed: Vec<_> = rows.iter().map(|r| (key(r), r.clone())).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, r)| r).collect()
}

pub fn expiry_doc_text(f: &Finished) -> String {
    let mut out = String::new();
    header_text(&mut out, f);
    expiry_text(&mut out, f);
    out
}
