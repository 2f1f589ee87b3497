//! From the merged scan to findings: each kind's rules, its numbers, its
//! remedy. Savings come from the memory model's what-ifs on the target
//! (see [`super::DoctorAcc`]); a finding about latency or risk saves 0.

use std::collections::{BTreeMap, HashMap};

use super::doc::{DoctorDoc, Evidence, FindingDoc, KINDS, Severity};
use super::sample::Codec;
use super::{Change, DoctorAcc, KeyChange, RAISE, weakest};
use crate::escape::escape;
use crate::memory::Confidence;
use crate::memory::estimate::small_key_bytes;
use crate::report::doc::ReportDoc;
use crate::report::prefix::{PrefixRow, PrefixTree};
use crate::units::human_bytes;

/// Measured on Redis 7.0.15 (2-CPU Xeon): `DEL` of a hashtable, skiplist
/// or set frees each element at 40–80 ns while the key is under ~50k
/// elements (it stays in cache) and at 280–300 ns at a million; between,
/// the cost is interpolated on a log scale. A quicklist frees whole nodes:
/// about 0.1 ns an element.
fn del_ns_per_element(n: u64) -> f64 {
    let (lo_n, hi_n, lo, hi) = (50_000.0f64, 1_000_000.0f64, 60.0f64, 300.0f64);
    let n = (n as f64).clamp(lo_n, hi_n);
    lo * (hi / lo).powf((n / lo_n).ln() / (hi_n / lo_n).ln())
}
const DEL_NS_PER_LIST_ELEMENT: f64 = 0.12;
/// `LAZYFREE_THRESHOLD`: `UNLINK` frees a value in a background thread
/// when freeing it takes more than this many allocations.
const LAZYFREE_THRESHOLD: u64 = 64;

/// What the findings are made from.
pub struct Inputs<'a> {
    pub acc: &'a DoctorAcc,
    pub tree: Option<&'a PrefixTree>,
    pub doc: &'a ReportDoc,
}

struct Draft {
    kind: &'static str,
    severity: Severity,
    subject: String,
    db: Option<u64>,
    keys: u64,
    evidence: BTreeMap<String, Evidence>,
    now: u64,
    after: u64,
    confidence: Confidence,
    remedy: String,
    command: Option<String>,
    scope: Option<Vec<Vec<u8>>>,
}

impl Draft {
    fn new(kind: &'static str, severity: Severity, subject: String) -> Draft {
        Draft {
            kind,
            severity,
            subject,
            db: None,
            keys: 0,
            evidence: BTreeMap::new(),
            now: 0,
            after: 0,
            confidence: Confidence::Exact,
            remedy: String::new(),
            command: None,
            scope: None,
        }
    }

    fn ev(mut self, name: &str, v: impl Into<Evidence>) -> Draft {
        self.evidence.insert(name.to_string(), v.into());
        self
    }

    fn bytes(mut self, keys: u64, now: u64, after: u64, c: Confidence) -> Draft {
        self.keys = keys;
        self.now = now;
        self.after = after.min(now);
        self.confidence = c;
        self
    }

    fn remedy(mut self, r: impl Into<String>, command: Option<String>) -> Draft {
        self.remedy = r.into();
        self.command = command;
        self
    }

    fn doc_key(&self) -> RankKey<'_> {
        RankKey {
            savings: self.now - self.after,
            severity: self.severity,
            kind: self.kind,
            subject: &self.subject,
            db: self.db,
        }
    }

    fn doc(self) -> FindingDoc {
        FindingDoc {
            kind: self.kind.to_string(),
            severity: self.severity,
            subject: self.subject,
            db: self.db,
            keys: self.keys,
            evidence: self.evidence,
            bytes_now: self.now,
            bytes_after: self.after,
            savings_bytes: self.now - self.after,
            confidence: self.confidence.as_str().to_string(),
            remedy: self.remedy,
            command: self.command,
            scope: self.scope,
        }
    }
}

/// The kinds whose findings are about memory a remedy frees.
const MEMORY_KINDS: [&str; 7] = [
    "ttl_leak",
    "split_big_key",
    "entity_strings_to_hash",
    "compress_values",
    "listpack_threshold",
    "trim_zset",
    "cold_keys",
];

/// What findings are ranked by.
struct RankKey<'a> {
    savings: u64,
    severity: Severity,
    kind: &'a str,
    subject: &'a str,
    db: Option<u64>,
}

impl FindingDoc {
    fn rank_key(&self) -> RankKey<'_> {
        RankKey {
            savings: self.savings_bytes,
            severity: self.severity,
            kind: &self.kind,
            subject: &self.subject,
            db: self.db,
        }
    }
}

/// Savings first, then severity, kind (in [`KINDS`] order), subject, db.
fn ranking(a: &RankKey<'_>, b: &RankKey<'_>) -> std::cmp::Ordering {
    let rank = |k: &str| KINDS.iter().position(|x| *x == k).unwrap_or(KINDS.len());
    b.savings
        .cmp(&a.savings)
        .then_with(|| b.severity.cmp(&a.severity))
        .then_with(|| rank(a.kind).cmp(&rank(b.kind)))
        .then_with(|| a.subject.cmp(b.subject))
        .then_with(|| a.db.cmp(&b.db))
}

/// How sure sums of the keys' estimates are: exact only when every key's
/// is, expected when each has a bound.
fn sum_confidence(doc: &ReportDoc) -> Confidence {
    if doc.summary.approx_keys > 0 {
        Confidence::Approx
    } else if doc.summary.estimate_bound > 0 {
        Confidence::Expected
    } else {
        Confidence::Exact
    }
}

/// Severity of a saving of at least `min` bytes by its share of all
/// memory: 10 % critical, 1 % a warning.
fn by_share(savings: u64, total: u64, min: u64) -> Severity {
    if savings < min || total == 0 {
        Severity::Info
    } else if savings.saturating_mul(10) >= total {
        Severity::Critical
    } else if savings.saturating_mul(100) >= total {
        Severity::Warning
    } else {
        Severity::Info
    }
}

/// Every finding, ranked, `top` per kind.
pub fn findings(i: &Inputs<'_>) -> DoctorDoc {
    let mut all: Vec<Draft> = Vec::new();
    ttl_leak(i, &mut all);
    key_rows(i, &mut all);
    entities(i, &mut all);
    compress(i, &mut all);
    listpack(i, &mut all);
    expiry_clusters(i, &mut all);
    hot_cold(i, &mut all);
    capacity(i, &mut all);
    distribution(i, &mut all);
    // Findings about memory below the smallest saving worth one are left
    // out (those about latency, risk or shape save nothing by design).
    let min = i.acc.cfg.min_savings;
    all.retain(|d| !MEMORY_KINDS.contains(&d.kind) || d.now.saturating_sub(d.after) >= min);
    all.sort_by(|a, b| ranking(&a.doc_key(), &b.doc_key()));
    // Saturating: a merged state's numbers come from files.
    let mut savings_bytes: u64 = all
        .iter()
        .fold(0, |s, d| s.saturating_add(d.now.saturating_sub(d.after)));
    let mut worst = all.iter().map(|d| d.severity).max();
    // Key-level kinds keep their top keys only: the keys past them count
    // in the totals all the same, so the totals do not move with --top.
    let a = i.acc;
    let listed = |kind: &str| {
        all.iter()
            .filter(|d| d.kind == kind)
            .fold((0u64, 0u64), |(n, b), d| {
                (n + 1, b.saturating_add(d.now.saturating_sub(d.after)))
            })
    };
    let (split_n, split_b) = listed("split_big_key");
    let (trim_n, trim_b) = listed("trim_zset");
    let (big_n, _) = listed("big_key");
    // Findings overlap (a key may be both a leak and compressible): their
    // sum is capped at what the keys take, which no remedy can pass (a
    // new-user trial saw 1.5 MiB "saved" of 1.3 MiB).
    savings_bytes = savings_bytes
        .saturating_add(a.split_all.savings().saturating_sub(split_b))
        .saturating_add(a.trim_all.savings().saturating_sub(trim_b))
        .min(i.doc.summary.estimated_bytes);
    let mut more = a
        .split_all
        .keys
        .saturating_sub(split_n)
        .saturating_add(a.trim_all.keys.saturating_sub(trim_n))
        .saturating_add(a.big_keys[0].keys.saturating_sub(big_n));
    if a.big_keys[1].keys > 0 {
        worst = worst.max(Some(Severity::Critical));
    } else if a.big_keys[0].keys > 0 {
        worst = worst.max(Some(Severity::Warning));
    }
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for d in all {
        let n = per_kind.entry(d.kind).or_default();
        *n += 1;
        if *n > i.acc.cfg.top {
            more += 1;
            continue;
        }
        out.push(d.doc());
    }
    DoctorDoc {
        savings_bytes,
        worst,
        findings: out,
        more_findings: more,
    }
}

/// Prefixes where most keys have a TTL but some do not, and temporary
/// prefixes with keys that never expire: the memory those keys hold is
/// what a TTL gives back.
fn ttl_leak(i: &Inputs<'_>, out: &mut Vec<Draft>) {
    let Some(tree) = i.tree else { return };
    let cfg = &i.acc.cfg;
    let total = i.doc.summary.estimated_bytes;
    let rows = tree.rows(usize::MAX);
    let first_segment = |r: &PrefixRow| -> Vec<u8> {
        let end = r
            .prefix
            .iter()
            .position(|b| cfg.delimiters.contains(b))
            .unwrap_or(r.prefix.len());
        r.prefix[..end].to_ascii_lowercase()
    };
    let temp = |r: &PrefixRow| r.depth == 1 && cfg.temp_prefixes.contains(&first_segment(r));
    let mostly = |r: &PrefixRow| {
        r.stats.keys >= 10 && r.stats.no_ttl_keys > 0 && r.stats.no_ttl_keys * 2 < r.stats.keys
    };
    // Prefixes above a part of two keys or more that has no TTL at all
    // (`user:*:profile` beside `user:*:session`, `d0:zset:*` beside
    // `d0:string:*`): kept without TTL on purpose or not, the doctor cannot
    // tell, and a TTL on the prefix (or the --script's EXPIREs) would
    // expire that part; a deeper prefix where TTL and no-TTL keys mix is
    // judged on its own. Temporary prefixes are leaks whatever they hold.
    let persistent_part: std::collections::HashSet<&[Vec<u8>]> = rows
        .iter()
        .filter(|c| c.stats.keys >= 2 && c.stats.no_ttl_keys == c.stats.keys)
        .flat_map(|c| (1..c.path.len()).map(|d| &c.path[..d]))
        .collect();
    let mut cands: Vec<&PrefixRow> = rows
        .iter()
        .filter(|r| {
            r.stats.no_ttl_keys > 0
                && (temp(r) || (mostly(r) && !persistent_part.contains(r.path.as_slice())))
        })
        .collect();
    // Deepest first: a parent is left out when a chosen child holds 90 %
    // of its keys without TTL.
    cands.sort_by(|a, b| b.depth.cmp(&a.depth).then_with(|| a.prefix.cmp(&b.prefix)));
    let mut chosen: Vec<&PrefixRow> = Vec::new();
    // Bytes without TTL of the chosen rows under each path (linear: every
    // chosen row adds to its ancestors).
    let mut below: HashMap<&[Vec<u8>], u64> = HashMap::new();
    for r in cands {
        let covered = below.get(r.path.as_slice()).copied().unwrap_or(0);
        if covered.saturating_mul(10) >= r.stats.no_ttl_bytes.saturating_mul(9) {
            continue;
        }
        for d in 1..r.path.len() {
            *below.entry(&r.path[..d]).or_default() += r.stats.no_ttl_bytes;
        }
        chosen.push(r);
    }
    let conf = sum_confidence(i.doc);
    for r in chosen {
        let s = &r.stats;
        let is_temp = temp(r);
        let why = if is_temp {
            "a temporary prefix"
        } else {
            "most keys under it have a TTL"
        };
        let severity = by_share(s.no_ttl_bytes, total, cfg.min_savings);
        let subject = escape(&r.prefix).into_owned();
        let mut d = Draft::new("ttl_leak", severity, subject);
        d.scope = Some(r.path.clone());
        out.push(
            d.ev("reason", why)
                .ev("no_ttl_keys", s.no_ttl_keys)
                .ev("ttl_keys", s.keys.saturating_sub(s.no_ttl_keys))
                .ev("no_ttl_share_of_keys", s.no_ttl_keys as f64 / s.keys as f64)
                .bytes(s.no_ttl_keys, s.no_ttl_bytes, 0, conf)
                .remedy(
                    "give these keys a TTL where they are written (SET ... EX, or EXPIRE \
                     after HSET/SADD); `doctor --script FILE --ttl SECONDS` writes EXPIRE \
                     commands for the ones in the dump",
                    Some("EXPIRE <key> <seconds>".into()),
                ),
        );
    }
}

/// What freeing a value costs: allocations freed and the time `DEL`
/// blocks the server, and whether `UNLINK` would free it in the
/// background.
fn del_cost(k: &KeyChange) -> (f64, bool) {
    let (ns, effort) = match k.encoding {
        "hashtable" | "skiplist" | "linkedlist" => (del_ns_per_element(k.elements), k.elements),
        "quicklist" => (DEL_NS_PER_LIST_ELEMENT, k.elements / 128),
        "stream" => (del_ns_per_element(k.elements), k.elements / 100),
        _ => (0.0, 1),
    };
    (k.elements as f64 * ns / 1e6, effort > LAZYFREE_THRESHOLD)
}

/// `big_key`, `split_big_key` and `trim_zset`: one finding per key.
fn key_rows(i: &Inputs<'_>, out: &mut Vec<Draft>) {
    let a = i.acc;
    let cfg = &a.cfg;
    let key_subject = |k: &KeyChange| escape(&k.key).into_owned();
    for k in a.big.clone().into_sorted() {
        let severity = if k.now >= cfg.huge_key {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let (ms, unlink) = del_cost(&k);
        let count = if k.type_name == "string" {
            "length"
        } else {
            "elements"
        };
        let mut d = Draft::new("big_key", severity, key_subject(&k))
            .ev("type", k.type_name.as_str())
            .ev("encoding", k.encoding)
            .ev(count, k.elements)
            .ev("del_blocks_ms", ms)
            .ev(
                "unlink_frees_in_background",
                if unlink { "yes" } else { "no" },
            )
            .ev("keys_over_big_key", a.big_keys[0].keys)
            .ev("keys_over_huge_key", a.big_keys[1].keys)
            .bytes(1, k.now, k.now, k.confidence);
        if let Some((name, len)) = &k.largest {
            d = d
                .ev("largest_element", escape(name).into_owned())
                .ev("largest_element_bytes", *len);
        }
        d.db = Some(k.db);
        let remedy = if unlink {
            "split it (see split_big_key) so no command walks it whole; delete it with \
             UNLINK, which frees it in a background thread, or set lazyfree-lazy-user-del \
             yes so DEL does too"
        } else {
            "split it or keep it smaller: reading or writing it whole moves this many \
             bytes on one shard"
        };
        out.push(d.remedy(remedy, Some("UNLINK <key>".into())));
    }
    for k in a.split.clone().into_sorted() {
        let severity = if k.savings >= cfg.min_savings && k.now >= cfg.big_key {
            Severity::Warning
        } else {
            Severity::Info
        };
        let mut d = Draft::new("split_big_key", severity, key_subject(&k))
            .ev("type", k.type_name.as_str())
            .ev("encoding", k.encoding)
            .ev("elements", k.elements)
            .ev("chunk_elements", k.param)
            .ev("chunks", k.chunks)
            .bytes(1, k.now, k.after, k.confidence);
        d.db = Some(k.db);
        out.push(d.remedy(
            format!(
                "split into {} keys `<key>:0` … `<key>:{}`, each element in the chunk a hash \
                 of it picks (CRC32 mod {}), about {} elements each: every chunk stays a \
                 listpack{}",
                k.chunks,
                k.chunks.saturating_sub(1),
                k.chunks,
                k.param,
                if k.type_name == "zset" {
                    "; ranges and ranks (ZRANGE, ZRANK) then span the chunks: merge them in \
                     the client, or trim instead (trim_zset)"
                } else {
                    ""
                }
            ),
            Some(match k.type_name.as_str() {
                "hash" => "HSET <key>:<crc32(field) mod N> <field> <value>".into(),
                "zset" => "ZADD <key>:<crc32(member) mod N> <score> <member>".into(),
                _ => "SADD <key>:<crc32(member) mod N> <member>".into(),
            }),
        ));
    }
    for k in a.trim.clone().into_sorted() {
        let mut d = Draft::new("trim_zset", Severity::Info, key_subject(&k))
            .ev("members", k.elements)
            .ev("keep", k.param)
            .ev("bytes_after_restart", k.chunks)
            .bytes(1, k.now, k.after, k.confidence);
        d.db = Some(k.db);
        out.push(d.remedy(
            format!(
                "keep the top {} members (a leaderboard rarely needs more) after each write; \
                 the dict's table shrinks only under 10 % full, so a restart frees {} more",
                k.param,
                human_bytes(k.after.saturating_sub(k.chunks))
            ),
            Some(format!(
                "ZREMRANGEBYRANK <key> 0 -{}",
                k.param.saturating_add(1)
            )),
        ));
    }
}

/// Families of string keys that would be one listpack hash per entity.
fn entities(i: &Inputs<'_>, out: &mut Vec<Draft>) {
    let a = i.acc;
    let Some(target) = &a.target else { return };
    let total = i.doc.summary.estimated_bytes;
    for f in a.families.values() {
        let pattern = &f.pattern;
        let e = f.entities();
        if f.unfit || f.fields.len() < 2 || e < 2 || f.keys < 2 * e.min(f.keys) {
            continue;
        }
        let avg_key = f.entity_len / f.keys;
        let (q, r) = (f.entries / e, f.entries % e);
        let one =
            |entries| small_key_bytes(target, crate::rdb::ValueType::Hash, avg_key, entries, false);
        let after = one(q + 1)
            .saturating_mul(r)
            .saturating_add(one(q).saturating_mul(e - r));
        if after >= f.now || f.now - after < a.cfg.min_savings {
            continue;
        }
        let severity = by_share(f.now - after, total, u64::MAX);
        let fields: Vec<String> = f
            .field_names()
            .into_iter()
            .map(|k| escape(k).into_owned())
            .collect();
        let conf = weakest(
            f.confidence.unwrap_or(Confidence::Exact),
            Confidence::Expected,
        );
        let entity = escape(pattern.strip_suffix(b"*").unwrap_or(pattern));
        let entity = entity
            .strip_suffix(|c: char| c.is_ascii_punctuation())
            .unwrap_or(&entity)
            .replace('*', "<id>");
        out.push(
            Draft::new(
                "entity_strings_to_hash",
                severity,
                escape(pattern).into_owned(),
            )
            .ev("entities", e)
            .ev("fields", fields.join(","))
            .ev("keys_per_entity", f.keys as f64 / e as f64)
            .bytes(f.keys, f.now, after, conf)
            .remedy(
                format!(
                    "keep each entity's fields in one hash `{entity}` (field → value), \
                         a listpack while it has at most hash-max-listpack-entries fields \
                         of at most hash-max-listpack-value bytes"
                ),
                Some(format!("HSET {entity} <field> <value> ...")),
            ),
        );
    }
}

/// Prefixes whose sampled values compress by 20 % or more.
fn compress(i: &Inputs<'_>, out: &mut Vec<Draft>) {
    let a = i.acc;
    // What each top-level prefix holds in all (the document's depth-1
    // prefix rows, escaped as the subject is; else the dump): a sample
    // scaled up may claim more keys or bytes than its prefix has (a
    // new-user trial: 814,795 keys of `user:*` that has 800,000), so the
    // scaled figures are capped by it, the compression ratio kept.
    let held: HashMap<&str, (u64, u64)> = i
        .doc
        .prefix_totals
        .iter()
        .flatten()
        .filter(|r| r.depth == 1)
        .map(|r| (r.prefix.as_str(), (r.keys, r.bytes)))
        .collect();
    let total = (i.doc.summary.keys, i.doc.summary.estimated_bytes);
    for (prefix, p) in a.sample.compress() {
        let (best, after) = if p.after[0] <= p.after[1] {
            (Codec::Zstd, p.after[0])
        } else {
            (Codec::Zlib, p.after[1])
        };
        let subject = escape(&prefix).into_owned();
        let (cap_keys, cap_bytes) = held.get(subject.as_str()).copied().unwrap_or(total);
        let scaled_now = (p.now as f64 * p.scale).round();
        // ≤ 1: the part of the scaled sample its prefix can hold.
        let fit = if scaled_now > cap_bytes as f64 {
            cap_bytes as f64 / scaled_now
        } else {
            1.0
        };
        let scale = |v: u64| (v as f64 * p.scale * fit).round() as u64;
        let (now, after) = (scale(p.now).min(cap_bytes), scale(after));
        let keys = ((p.sampled as f64 * p.scale).round() as u64).min(cap_keys);
        // A handful of sampled keys says little about a prefix, unless
        // the sample is every value there is.
        let whole = p.scale <= 1.0;
        // Saturating: scaled up, a sample's bytes may pass any total.
        if after.saturating_mul(5) > now.saturating_mul(4)
            || now - after < a.cfg.min_savings
            || (p.sampled < 4 && !whole)
        {
            continue;
        }
        out.push(
            Draft::new("compress_values", Severity::Info, subject)
                .ev("sampled_keys", p.sampled)
                .ev("codec", best.name())
                .ev("zstd_after_bytes", scale(p.after[0]))
                .ev("zlib_after_bytes", scale(p.after[1]))
                .ev("value_bytes", scale(p.value_bytes))
                .bytes(
                    keys,
                    now,
                    after,
                    if whole {
                        Confidence::Expected
                    } else {
                        Confidence::Approx
                    },
                )
                .remedy(
                    format!(
                        "compress these values in the client ({} level 3; zlib level 6 \
                         gives {}) before SET and decompress after GET",
                        best.name(),
                        human_bytes(scale(p.after[1]))
                    ),
                    None,
                ),
        );
    }
}

/// Collections just over a `*-max-listpack-entries` threshold.
fn listpack(i: &Inputs<'_>, out: &mut Vec<Draft>) {
    let a = i.acc;
    let ziplist = a
        .target
        .as_ref()
        .is_some_and(|t| crate::memory::layout::Layout::new(t.profile, t.allocator).ziplist);
    for (t, (rows, base)) in a.listpack.iter() {
        let best = rows[2].savings();
        if best < a.cfg.min_savings {
            continue;
        }
        // The smallest raise that gets 80 % of what 8× would.
        let pick = rows
            .iter()
            .position(|r| r.savings().saturating_mul(5) >= best.saturating_mul(4))
            .unwrap_or(2);
        let x = base.saturating_mul(RAISE[pick]);
        let r: &Change = &rows[pick];
        let lp_sets = a.target.as_ref().is_some_and(|t| {
            crate::memory::layout::Layout::new(t.profile, t.allocator).listpack_sets_lists
        });
        let name = match (t.as_str(), ziplist) {
            // Before 7.2 a set is an intset or a hashtable.
            ("set", _) if !lp_sets => "set-max-intset-entries".to_string(),
            ("set", _) => "set-max-listpack-entries".to_string(),
            (t, true) => format!("{t}-max-ziplist-entries"),
            (t, false) => format!("{t}-max-listpack-entries"),
        };
        let mut d = Draft::new("listpack_threshold", Severity::Info, format!("type {t}"))
            .ev("type", t.as_str())
            .ev("config", name.as_str())
            .ev("now", *base)
            .ev("raise_to", x);
        for (m, row) in RAISE.iter().zip(rows) {
            d = d.ev(
                &format!("savings_at_{}", base.saturating_mul(*m)),
                row.savings(),
            );
        }
        out.push(d.bytes(r.keys, r.now, r.after, r.confidence).remedy(
            format!(
                "raise {name} to {x} (then keys convert as they are rewritten, or all \
                     at a restart); a listpack is walked by each command (an intset \
                     binary-searched), so a {x}-element one costs up to O({x}) per \
                     HGET/ZSCORE/SISMEMBER: keep it where latency allows"
            ),
            Some(format!("CONFIG SET {name} {x}")),
        ));
    }
}

/// Seconds in which many keys expire together, and the peak after
/// jittering their TTLs.
fn expiry_clusters(i: &Inputs<'_>, out: &mut Vec<Draft>) {
    let Some(e) = &i.doc.expiry else { return };
    let ctime = i.doc.files.iter().filter_map(|f| f.ctime).min();
    let jitter = i.acc.cfg.jitter;
    for c in &e.clusters {
        // Keys a second over the slot (a minute's, an hour's, ...).
        let width_s =
            (crate::report::expiry::width_ms(&c.resolution).unwrap_or(1000) / 1000).max(1);
        let per_s = c.keys.div_ceil(width_s as u64);
        if per_s < 1_000 {
            // A thousand keys a second expire without a trace.
            continue;
        }
        let severity = if per_s >= 100_000 {
            Severity::Critical
        } else if per_s >= 10_000 {
            Severity::Warning
        } else {
            Severity::Info
        };
        let subject = c
            .top_prefixes
            .first()
            .map(|p| p.prefix.clone())
            .unwrap_or_else(|| "*".into());
        let mut d = Draft::new("expiry_cluster", severity, subject)
            .ev("at", c.at.as_str())
            .ev("resolution", c.resolution.as_str())
            .ev("keys_per_second_now", per_s);
        if let Some(ct) = ctime {
            let ttl_s = (c.at_ms / 1000).saturating_sub(ct).max(0) as u64;
            let spread = (2.0 * jitter * ttl_s as f64).max(1.0);
            d = d
                .ev("seconds_after_dump", ttl_s)
                .ev(
                    "keys_per_second_after_jitter",
                    (c.keys as f64 / spread).ceil() as u64,
                )
                .ev("jitter", jitter);
        }
        out.push(d.bytes(c.keys, c.bytes, c.bytes, Confidence::Exact).remedy(
            format!(
                "add ±{:.0} % random jitter to these TTLs where they are set; \
                 `doctor --script FILE` writes PEXPIREAT commands that spread the keys in \
                 the dump",
                jitter * 100.0
            ),
            Some("PEXPIREAT <key> <ms ± jitter>".into()),
        ));
    }
}

/// Hot keys from LFU counters; memory held by keys idle for long.
fn hot_cold(i: &Inputs<'_>, out: &mut Vec<Draft>) {
    let a = i.acc;
    let hot: Vec<_> = i
        .doc
        .hot_keys
        .iter()
        .flatten()
        .filter(|k| k.lfu_freq.is_some_and(|f| f > 0))
        .collect();
    if a.lfu_known > 0
        && let Some(first) = hot.first()
    {
        let next: Vec<String> = hot
            .iter()
            .skip(1)
            .take(4)
            .map(|k| format!("{}={}", k.key, k.lfu_freq.unwrap_or(0)))
            .collect();
        let mut d = Draft::new("hot_keys", Severity::Info, first.key.clone())
            .ev("lfu_counter", first.lfu_freq.unwrap_or(0) as u64)
            .ev("type", first.type_name.as_str())
            .ev("next_hottest", next.join(" "))
            .ev("keys_with_lfu_counter", a.lfu_known)
            .bytes(1, first.bytes, first.bytes, Confidence::Exact);
        d.db = Some(first.db);
        out.push(d.remedy(
            "the hottest keys by LFU counter (logarithmic: 255 is about a million \
             accesses with lfu-log-factor 10): a hot key loads one shard and one thread; \
             cache it in the client, or spread it over several keys (KEY:{0..N}) read \
             at random",
            None,
        ));
    }
    if a.idle_known > 0 && a.cold.keys > 0 {
        let total = i.doc.summary.estimated_bytes;
        out.push(
            Draft::new(
                "cold_keys",
                by_share(a.cold.bytes, total, u64::MAX),
                "*".to_string(),
            )
            .ev("idle_days_at_least", a.cfg.cold_days)
            .ev("keys_with_idle_time", a.idle_known)
            .bytes(a.cold.keys, a.cold.bytes, 0, a.cold_confidence)
            .remedy(
                format!(
                    "keys not read or written for {} days or more: give them a TTL, delete \
                     them, or let eviction take them (maxmemory-policy allkeys-lru)",
                    a.cfg.cold_days
                ),
                None,
            ),
        );
    }
}

/// Predicted `used_memory` against `maxmemory`, and what a fork may add.
fn capacity(i: &Inputs<'_>, out: &mut Vec<Draft>) {
    let Some(used) = i.doc.summary.predicted_used_memory else {
        return;
    };
    let mut d = Draft::new("capacity", Severity::Info, "*".to_string())
        .ev("used_memory", used)
        .ev("fork_copy_on_write_worst_bytes", used);
    let bound: u64 = i
        .doc
        .files
        .iter()
        .filter_map(|f| f.used_memory.as_ref().map(|u| u.bound))
        .fold(0, u64::saturating_add);
    d = d.ev("used_memory_bound", bound);
    let remedy = match i.acc.cfg.maxmemory {
        Some(max) if max > 0 => {
            let share = used as f64 / max as f64;
            d.severity = if share >= 0.9 {
                Severity::Critical
            } else if share >= 0.8 {
                Severity::Warning
            } else {
                Severity::Info
            };
            d = d
                .ev("maxmemory", max)
                .ev("maxmemory_share_percent", share * 100.0)
                .ev(
                    "headroom_bytes",
                    (max as i128 - used as i128).clamp(i64::MIN as i128, i64::MAX as i128) as i64,
                );
            if share >= 1.0 {
                "over maxmemory: the server evicts keys (or refuses writes, with \
                 noeviction) as soon as it loads this dump; free memory (the findings \
                 above), raise maxmemory or add shards"
            } else if share >= 0.8 {
                "over 80 % of maxmemory: free memory (the findings above), raise maxmemory \
                 or add shards; a BGSAVE or AOF rewrite may copy up to used_memory again"
            } else if share >= 0.7 {
                "over 70 % of maxmemory: plan for growth; keep room for a fork's \
                 copy-on-write"
            } else {
                "under 70 % of maxmemory"
            }
        }
        _ => "the server's used_memory after loading this dump (give --maxmemory to compare)",
    };
    out.push(d.bytes(0, 0, 0, sum_confidence(i.doc)).remedy(remedy, None));
}

/// Per type: quantiles of memory and of element counts.
fn distribution(i: &Inputs<'_>, out: &mut Vec<Draft>) {
    let mut types: Vec<_> = i.acc.dist.iter().collect();
    types.sort_by(|a, b| a.0.cmp(&b.0));
    for (t, d) in types {
        let mut f = Draft::new("distribution", Severity::Info, format!("type {t}"))
            .ev("type", t.as_str())
            .ev("keys", d.bytes.count());
        for (q, name) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")] {
            f = f
                .ev(&format!("bytes_{name}"), d.bytes.quantile(q))
                .ev(&format!("elements_{name}"), d.elements.quantile(q));
        }
        f = f
            .ev("bytes_max", d.bytes.max())
            .ev("elements_max", d.elements.max());
        f.keys = d.bytes.count();
        let p99 = d.bytes.quantile(0.99);
        out.push(f.remedy(
            "outliers: the keys above p99 (quantiles are bucket floors, within 6.25 %; \
             max is exact)",
            Some(format!("rdbscope keys FILE --type {t} --min-bytes {p99}")),
        ));
    }
}

/// `doctor --baseline OLD`: prefixes whose memory without a TTL grew
/// faster than everything else (twice the rest's growth, and 10 % at
/// least) — memory that grows with no business growth. The findings join
/// `doc`'s, ranked with them; their saving is the growth a TTL would have
/// bounded.
pub fn with_baseline(doc: &mut ReportDoc, old: &ReportDoc, cfg: &super::DoctorConfig) {
    let (Some(new_rows), Some(old_rows)) = (doc.prefix_totals.as_ref(), old.prefix_totals.as_ref())
    else {
        return;
    };
    let total = doc.summary.estimated_bytes;
    let old_total = old.summary.estimated_bytes;
    let before: BTreeMap<&str, &crate::report::doc::PrefixDoc> =
        old_rows.iter().map(|r| (r.prefix.as_str(), r)).collect();
    let growth = |old: u64, new: u64| {
        if old == 0 {
            f64::INFINITY
        } else {
            new as f64 / old as f64 - 1.0
        }
    };
    let mut cands: Vec<(&crate::report::doc::PrefixDoc, u64, u64, f64, f64)> = Vec::new();
    for r in new_rows {
        let (o_no_ttl, o_bytes) = before
            .get(r.prefix.as_str())
            .map_or((0, 0), |o| (o.no_ttl_bytes, o.bytes));
        let grew = r.no_ttl_bytes.saturating_sub(o_no_ttl);
        if grew < cfg.min_savings || r.no_ttl_keys < 10 {
            continue;
        }
        let g = growth(o_no_ttl, r.no_ttl_bytes);
        let rest = growth(
            old_total.saturating_sub(o_bytes),
            total.saturating_sub(r.bytes),
        );
        if g >= 0.1 && g > 2.0 * rest.max(0.0) {
            cands.push((r, o_no_ttl, grew, g, rest));
        }
    }
    // Deepest first; a parent whose growth a chosen child explains (90 %)
    // is left out.
    cands.sort_by(|a, b| {
        b.0.depth
            .cmp(&a.0.depth)
            .then_with(|| a.0.prefix.cmp(&b.0.prefix))
    });
    let mut chosen: Vec<(&crate::report::doc::PrefixDoc, u64, u64, f64, f64)> = Vec::new();
    // Growth of the chosen rows under each stem (a label up to a
    // delimiter), added to every ancestor: linear in the rows.
    let mut below: HashMap<&str, u64> = HashMap::new();
    for c in cands {
        let stem = c.0.prefix.strip_suffix('*').unwrap_or(&c.0.prefix);
        let covered = below.get(stem).copied().unwrap_or(0);
        if covered.saturating_mul(10) >= c.2.saturating_mul(9) {
            continue;
        }
        let p = c.0.prefix.as_str();
        for (i, ch) in p.char_indices() {
            if ch.is_ascii() && cfg.delimiters.contains(&(ch as u8)) && i + 1 < p.len() {
                *below.entry(&p[..=i]).or_default() += c.2;
            }
        }
        chosen.push(c);
    }
    let conf = sum_confidence(doc);
    let found: Vec<FindingDoc> = chosen
        .into_iter()
        .map(|(r, o_no_ttl, grew, g, rest)| {
            // A growth as a ratio (0.5: +50 %), or `new` from nothing.
            let pct = |x: f64| -> Evidence {
                if x.is_finite() {
                    x.into()
                } else {
                    "new".into()
                }
            };
            Draft::new(
                "ttl_leak",
                by_share(grew, total, cfg.min_savings),
                r.prefix.clone(),
            )
            .ev("reason", "memory without TTL grew faster than the rest")
            .ev("no_ttl_bytes_baseline", o_no_ttl)
            .ev("no_ttl_bytes", r.no_ttl_bytes)
            .ev("no_ttl_growth", pct(g))
            .ev("rest_growth", pct(rest))
            .ev("no_ttl_keys", r.no_ttl_keys)
            .bytes(r.no_ttl_keys, r.no_ttl_bytes, o_no_ttl, conf)
            .remedy(
                "memory without TTL grows here with no matching growth elsewhere: a leak; \
                 give these keys a TTL where they are written (`--script FILE` writes EXPIRE \
                 commands)",
                Some("EXPIRE <key> <seconds>".into()),
            )
            .doc()
        })
        .collect();
    let Some(d) = doc.doctor.as_mut() else { return };
    // Listed up to --top like the scan's own (ranked by savings).
    let mut found = found;
    found.sort_by(|a, b| ranking(&a.rank_key(), &b.rank_key()));
    let mut n = d.findings.iter().filter(|f| f.kind == "ttl_leak").count();
    for f in found {
        d.savings_bytes = d.savings_bytes.saturating_add(f.savings_bytes);
        d.worst = d.worst.max(Some(f.severity));
        n += 1;
        if n > cfg.top {
            d.more_findings += 1;
        } else {
            d.findings.push(f);
        }
    }
    d.findings
        .sort_by(|a, b| ranking(&a.rank_key(), &b.rank_key()));
}
