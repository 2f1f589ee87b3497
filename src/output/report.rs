//! Report views: the JSON of each report command and the text views.
//! Formatting only: every number, order and total comes from the
//! [`ReportDoc`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::escape::terminal;
use crate::report::doc::{ExpiryDoc, KeyDoc, PrefixDoc, ReportDoc, TallyDoc};
use crate::report::finish::tree_order;
use crate::units::{count, human_bytes, rfc3339_ms};

/// `report --format json`: the document itself.
pub fn report_json(d: &ReportDoc) -> String {
    // Serializing plain structs and maps cannot fail.
    serde_json::to_string(d).unwrap_or_default()
}

#[derive(Serialize)]
struct BigKeysView<'a> {
    schema_version: u32,
    profile: &'a Option<String>,
    by: &'static str,
    top: &'a [KeyDoc],
    by_type: &'a BTreeMap<String, Vec<KeyDoc>>,
}

fn big_lists(
    d: &ReportDoc,
    by_elements: bool,
) -> (&[KeyDoc], Option<&BTreeMap<String, Vec<KeyDoc>>>) {
    let (top, per) = if by_elements {
        (&d.most_elements, &d.most_elements_by_type)
    } else {
        (&d.big_keys, &d.big_keys_by_type)
    };
    (top.as_deref().unwrap_or(&[]), per.as_ref())
}

/// `bigkeys --format json`.
pub fn bigkeys_json(d: &ReportDoc, by_elements: bool) -> String {
    let empty = BTreeMap::new();
    let (top, per) = big_lists(d, by_elements);
    let v = BigKeysView {
        schema_version: d.schema_version,
        profile: &d.profile,
        by: if by_elements { "elements" } else { "memory" },
        top,
        by_type: per.unwrap_or(&empty),
    };
    serde_json::to_string(&v).unwrap_or_default()
}

#[derive(Serialize)]
struct PrefixesView<'a> {
    schema_version: u32,
    profile: &'a Option<String>,
    total: TallyDoc,
    prefixes: &'a [PrefixDoc],
    other: Option<TallyDoc>,
    truncated: bool,
    prefixes_with_dropped_children: usize,
}

/// `prefixes --format json`.
pub fn prefixes_json(d: &ReportDoc) -> String {
    let other = d.prefixes_other.filter(|o| o.keys > 0);
    let dropped = d.prefixes_with_dropped_children.unwrap_or(0);
    let v = PrefixesView {
        schema_version: d.schema_version,
        profile: &d.profile,
        total: TallyDoc {
            keys: d.summary.keys,
            bytes: d.summary.estimated_bytes,
        },
        prefixes: d.prefixes.as_deref().unwrap_or(&[]),
        other,
        truncated: other.is_some() || dropped > 0,
        prefixes_with_dropped_children: dropped,
    };
    serde_json::to_string(&v).unwrap_or_default()
}

#[derive(Serialize)]
struct ExpiryView<'a> {
    #[serde(flatten)]
    expiry: &'a ExpiryDoc,
    schema_version: u32,
    profile: &'a Option<String>,
    ctime: Option<i64>,
}

/// `expiry --format json`.
pub fn expiry_json(d: &ReportDoc) -> String {
    let Some(expiry) = &d.expiry else {
        return String::new();
    };
    let v = ExpiryView {
        expiry,
        schema_version: d.schema_version,
        profile: &d.profile,
        ctime: d.files.first().and_then(|f| f.ctime),
    };
    serde_json::to_string(&v).unwrap_or_default()
}

// ---------------------------------------------------------------- text

fn pct(part: u64, total: u64) -> String {
    if total == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / total as f64)
    }
}

fn keys_text(out: &mut String, title: &str, rows: &[KeyDoc], rank: &str) {
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
            format!("{}/{}", terminal(&k.type_name), k.encoding),
            k.db,
            terminal(&k.key)
        );
    }
    if rows.iter().any(|k| k.largest_element.is_none()) {
        let _ = writeln!(
            out,
            "  (largest -: not measured: stream entries and module values are not sized one by \
             one)"
        );
    }
}

fn prefix_text(out: &mut String, rows: &[PrefixDoc], total: u64) {
    let rows = tree_order(rows);
    let _ = writeln!(
        out,
        "  {:>10} {:>7} {:>10}  {:>10} {:>8}  prefix",
        "bytes", "share", "keys", "no-TTL", "expired"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "  {:>10} {:>7} {:>10}  {:>10} {:>8}  {}{}{}",
            human_bytes(r.bytes),
            pct(r.bytes, total),
            r.keys,
            r.no_ttl_keys,
            r.expired_keys,
            "  ".repeat(r.depth.saturating_sub(1)),
            terminal(&r.prefix),
            if r.children_dropped {
                "  (too many distinct children: not listed)"
            } else {
                ""
            }
        );
    }
}

fn header_text(out: &mut String, d: &ReportDoc) {
    let m = &d.made_with;
    // What the numbers below depend on besides the dump.
    if !m.filters.is_empty() {
        let _ = writeln!(
            out,
            "only keys selected by {} are counted",
            terminal(&m.filters.join(" "))
        );
    }
    if !m.config.is_empty() {
        let _ = writeln!(out, "target settings: {}", terminal(&m.config.join(", ")));
    }
    for f in &d.files {
        let prod = match (&f.producer, &f.producer_version) {
            (Some(n), Some(v)) => format!(", written by {n} {}", terminal(v)),
            _ => String::new(),
        };
        let ctime = f
            .ctime
            .and_then(|c| c.checked_mul(1000))
            .map(|c| format!(", dumped {}", rfc3339_ms(c)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}: RDB {} ({}){prod}{ctime}, {}{}, {} estimated",
            terminal(&f.file),
            f.rdb_version,
            f.family,
            count(f.keys, "key", "keys"),
            if m.filters.is_empty() {
                ""
            } else {
                " matching"
            },
            human_bytes(f.estimated_bytes)
        );
        if let (Some(p), Some(why)) = (&f.profile, &f.profile_reason) {
            let _ = writeln!(out, "  memory profile: {p} ({})", terminal(why));
        }
        if let Some(u) = &f.used_memory {
            let _ = writeln!(
                out,
                "  used_memory after loading, predicted: {} ± {} (keys {}, allocator {}, keyspace tables {}, empty server {}{})",
                human_bytes(u.predicted),
                human_bytes(u.bound),
                human_bytes(u.keys),
                crate::units::signed_bytes(u.allocation),
                human_bytes(u.keyspace),
                human_bytes(u.empty_server),
                if u.empty_server_measured {
                    ""
                } else {
                    ", measured on another build"
                }
            );
        }
        if let Some((u, m)) = f.used_memory.as_ref().and_then(|u| Some((u, u.maxmemory?))) {
            let _ = writeln!(
                out,
                "  maxmemory {}: {} of it, {} ({})",
                human_bytes(m),
                u.maxmemory_share
                    .map(|s| format!("{s:.1}%"))
                    .unwrap_or_else(|| "-".into()),
                match u.headroom {
                    Some(h) if h >= 0 => format!("{} of headroom", human_bytes(h as u64)),
                    Some(h) => format!("{} over", human_bytes(h.unsigned_abs())),
                    None => String::new(),
                },
                u.maxmemory_level().unwrap_or("")
            );
        }
        if let Some(u) = f.used_mem {
            let _ = writeln!(
                out,
                "  used-mem at dump time (AUX): {}{}",
                human_bytes(u),
                match &f.used_memory {
                    Some(p) => format!(
                        " ({} than predicted: fragmentation, clients and buffers of the server that wrote it)",
                        if u >= p.predicted { "more" } else { "less" }
                    ),
                    None => String::new(),
                }
            );
        }
        for w in &f.warnings {
            let _ = writeln!(out, "  warning: {}", terminal(w));
        }
    }
}

fn expiry_text(out: &mut String, d: &ReportDoc) {
    let Some(e) = &d.expiry else {
        return;
    };
    let (keys, bytes) = (d.summary.keys, d.summary.estimated_bytes);
    // TTLs are measured from the dump's AUX ctime; without one, only the
    // absolute expiry times are known.
    let no_ctime = !d.files.is_empty() && d.files.iter().all(|f| f.ctime.is_none());
    if no_ctime {
        let _ = writeln!(
            out,
            "\nExpiry (the dump has no ctime: expiry times are absolute; TTLs and expired keys \
             cannot be measured)"
        );
    } else {
        let _ = writeln!(out, "\nExpiry (measured from the dump's ctime)");
    }
    let _ = writeln!(
        out,
        "  no TTL:        {} ({}), {} ({})",
        count(e.no_ttl_keys, "key", "keys"),
        pct(e.no_ttl_keys, keys),
        human_bytes(e.no_ttl_bytes),
        pct(e.no_ttl_bytes, bytes)
    );
    let _ = writeln!(
        out,
        "  with TTL:      {}, {}",
        count(e.ttl_keys, "key", "keys"),
        human_bytes(e.ttl_bytes)
    );
    if !no_ctime {
        let _ = writeln!(
            out,
            "  expired at dump time (still in the file): {}, {}",
            count(e.expired_keys, "key", "keys"),
            human_bytes(e.expired_bytes)
        );
    }
    if e.field_ttls > 0 {
        let _ = writeln!(out, "  hash fields with their own TTL: {}", e.field_ttls);
    }
    // Top-level prefixes only, the ten biggest (deeper rows are in JSON).
    let no_ttl: Vec<_> = e
        .no_ttl_prefixes
        .iter()
        .filter(|r| r.depth == 1)
        .take(d.made_with.top.min(10))
        .collect();
    if !no_ttl.is_empty() {
        let _ = writeln!(out, "  keys without TTL by prefix:");
        for r in no_ttl {
            let _ = writeln!(
                out,
                "    {:>10} keys {:>10}  {}",
                r.keys,
                human_bytes(r.bytes),
                terminal(&r.prefix)
            );
        }
    }
    if !e.clusters.is_empty() {
        let _ = writeln!(
            out,
            "\nExpiry clusters (many keys expiring at the same moment)"
        );
        for c in &e.clusters {
            let names: Vec<String> = c
                .top_prefixes
                .iter()
                .map(|p| format!("{} {}", p.keys, terminal(&p.prefix)))
                .collect();
            let _ = writeln!(
                out,
                "  {} keys ({}) expire within the same {} at {}: {}",
                c.keys,
                human_bytes(c.bytes),
                c.resolution,
                c.at,
                names.join(", ")
            );
        }
    }
    if !e.histogram.is_empty() {
        let max = e.histogram.iter().map(|b| b.keys).max().unwrap_or(1).max(1);
        let _ = writeln!(out, "\nExpiry times (per {})", e.histogram_unit);
        // A run of three or more empty slots is one line.
        let mut i = 0;
        let h = &e.histogram;
        while i < h.len() {
            let empty = h[i..].iter().take_while(|b| b.keys == 0).count();
            if empty >= 3 {
                // Buckets of several days are named as buckets.
                let what = match e.histogram_unit.as_str() {
                    u if u.ends_with('s') => "buckets".to_string(),
                    u => format!("{u}s"),
                };
                let _ = writeln!(
                    out,
                    "  {}  ... {empty} {what} without expiring keys",
                    rfc3339_ms(h[i].start_ms)
                );
                i += empty;
                continue;
            }
            let b = &h[i];
            let bar = "#".repeat(((b.keys * 40).div_ceil(max)) as usize);
            let _ = writeln!(
                out,
                "  {}  {:>10} {:>10}  {bar}",
                rfc3339_ms(b.start_ms),
                b.keys,
                human_bytes(b.bytes)
            );
            i += 1;
        }
    }
}

/// The text report.
pub fn report_text(d: &ReportDoc) -> String {
    let s = &d.summary;
    let mut out = String::new();
    header_text(&mut out, d);
    let _ = writeln!(
        out,
        "\nTotal: {}, {} estimated, {} in the dump",
        count(s.keys, "key", "keys"),
        human_bytes(s.estimated_bytes),
        human_bytes(s.rdb_bytes)
    );
    if s.estimate_bound > 0 || s.approx_keys > 0 {
        let _ = write!(
            out,
            "  estimates: ± {} (the keys' bounds added up)",
            human_bytes(s.estimate_bound)
        );
        if s.approx_keys > 0 {
            let _ = write!(
                out,
                "; {} ({}) approximate, without a bound",
                count(s.approx_keys, "key", "keys"),
                human_bytes(s.approx_bytes)
            );
        }
        out.push('\n');
    }
    let table = |out: &mut String, title: &str, rows: Vec<(String, TallyDoc)>| {
        let _ = writeln!(out, "\n{title}");
        for (k, t) in rows {
            let _ = writeln!(
                out,
                "  {:<20} {:>10} keys {:>10} {:>7}",
                terminal(&k),
                t.keys,
                human_bytes(t.bytes),
                pct(t.bytes, s.estimated_bytes)
            );
        }
    };
    let mut by_db: Vec<(u64, TallyDoc)> = s
        .by_db
        .iter()
        .map(|(k, v)| (k.parse().unwrap_or(u64::MAX), *v))
        .collect();
    by_db.sort_by_key(|r| r.0);
    table(
        &mut out,
        "By db",
        by_db
            .into_iter()
            .map(|(k, v)| (format!("db{k}"), v))
            .collect(),
    );
    let biggest_first = |m: &BTreeMap<String, TallyDoc>| {
        let mut v: Vec<(String, TallyDoc)> = m.iter().map(|(k, v)| (k.clone(), *v)).collect();
        v.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then(a.0.cmp(&b.0)));
        v
    };
    table(&mut out, "By type", biggest_first(&s.by_type));
    table(
        &mut out,
        "By encoding (after load on the target)",
        biggest_first(&s.by_encoding),
    );
    let top = d.made_with.top;
    keys_text(
        &mut out,
        &format!("Big keys (top {top} by estimated memory)"),
        d.big_keys.as_deref().unwrap_or(&[]),
        "bytes",
    );
    if let Some(p) = &d.prefixes {
        let _ = writeln!(out, "\nPrefixes (top {top}, by estimated memory)");
        prefix_text(&mut out, p, s.estimated_bytes);
    }
    expiry_text(&mut out, d);
    keys_text(
        &mut out,
        "Hot keys (highest LFU counter)",
        d.hot_keys.as_deref().unwrap_or(&[]),
        "lfu",
    );
    keys_text(
        &mut out,
        "Cold keys (longest idle)",
        d.cold_keys.as_deref().unwrap_or(&[]),
        "idle",
    );
    if let Some(s) = &d.slots {
        slots_text(&mut out, s, d);
    }
    if let Some(doc) = &d.doctor {
        out.push('\n');
        super::doctor::doctor_text_section(&mut out, doc);
    }
    out
}

fn slots_text(out: &mut String, s: &crate::report::doc::SlotsDoc, d: &ReportDoc) {
    let Some(skew) = s.skew else {
        let _ = writeln!(out, "\nCluster slots: no keys");
        return;
    };
    let _ = writeln!(
        out,
        "\nCluster slots: {} of 16384 hold keys; the biggest holds {skew}× the mean",
        s.slots_with_keys
    );
    let total = d.summary.estimated_bytes;
    let _ = writeln!(
        out,
        "  keys with a hash tag: {} ({}, {} of memory)",
        s.hash_tagged.keys,
        human_bytes(s.hash_tagged.bytes),
        pct(s.hash_tagged.bytes, total)
    );
    if let Some(u) = s.unserved {
        let _ = writeln!(
            out,
            "  keys in slots their node does not serve (--cluster-nodes): {} ({})",
            u.keys,
            human_bytes(u.bytes)
        );
    }
    if let Some(k) = s.node_skew {
        let _ = writeln!(
            out,
            "  across the {} files (nodes): the biggest holds {k}× the mean",
            d.files.len()
        );
    }
    let _ = writeln!(
        out,
        "  {:>6}  {:>10}  {:>10}  {:>6}",
        "slot", "keys", "memory", "share"
    );
    for r in &s.top_slots {
        let _ = writeln!(
            out,
            "  {:>6}  {:>10}  {:>10}  {:>5.1}%",
            r.slot,
            r.keys,
            human_bytes(r.bytes),
            r.share * 100.0
        );
    }
    let _ = writeln!(out, "  slot range     {:>10}  {:>10}", "keys", "memory");
    for r in &s.ranges {
        let _ = writeln!(
            out,
            "  {:>5}-{:<5}    {:>10}  {:>10}",
            r.first,
            r.last,
            r.keys,
            human_bytes(r.bytes)
        );
    }
}

pub fn bigkeys_text(d: &ReportDoc, by_elements: bool) -> String {
    let mut out = String::new();
    header_text(&mut out, d);
    let (top, per) = big_lists(d, by_elements);
    let rank = if by_elements { "elements" } else { "bytes" };
    keys_text(
        &mut out,
        &format!(
            "Top {} keys by {}",
            d.made_with.top,
            if by_elements {
                "elements"
            } else {
                "estimated memory"
            }
        ),
        top,
        rank,
    );
    let per: Vec<_> = per.into_iter().flatten().collect();
    // One type only (`--type hash`): its list is the list above.
    if per.len() > 1 {
        for (t, list) in per {
            keys_text(&mut out, &format!("Top {} keys", terminal(t)), list, rank);
        }
    }
    out
}

pub fn prefixes_text(d: &ReportDoc) -> String {
    let mut out = String::new();
    header_text(&mut out, d);
    let s = &d.summary;
    let _ = writeln!(
        out,
        "\n{}, {} estimated",
        count(s.keys, "key", "keys"),
        human_bytes(s.estimated_bytes)
    );
    prefix_text(
        &mut out,
        d.prefixes.as_deref().unwrap_or(&[]),
        s.estimated_bytes,
    );
    let n = d.prefixes_with_dropped_children.unwrap_or(0);
    if n > 0 {
        let _ = writeln!(
            out,
            "\n{n} prefixes had more than {} distinct children; those children are counted in their parent only.",
            crate::report::prefix::PrefixConfig::default().max_children
        );
    }
    out
}

pub fn expiry_text_view(d: &ReportDoc) -> String {
    let mut out = String::new();
    header_text(&mut out, d);
    expiry_text(&mut out, d);
    out
}
