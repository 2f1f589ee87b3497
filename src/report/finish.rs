//! From merged accumulators to the [`ReportDoc`]: every ordering, ranking
//! and total the views print is computed here, so writers only format.

use std::collections::BTreeMap;

use super::doc::*;
use super::expiry::ExpiryAcc;
use super::prefix::{PrefixRow, PrefixTree};
use super::topn::TopN;
use super::{RankedKey, Report, Tally};
use crate::escape::escape;
use crate::units::rfc3339_ms;

pub use super::expiry::NamedCluster;

fn key_doc(k: &RankedKey) -> KeyDoc {
    KeyDoc {
        db: k.db,
        key: escape(&k.key).into_owned(),
        type_name: k.type_name.clone(),
        encoding: k.encoding.to_string(),
        bytes: k.bytes,
        elements: k.elements,
        largest_element: k.largest_element,
        lfu_freq: k.lfu_freq,
        idle_s: k.idle_s,
    }
}

fn keys_doc(t: TopN<RankedKey>) -> Vec<KeyDoc> {
    t.into_sorted().iter().map(key_doc).collect()
}

fn per_type_doc(
    per: super::keyed::Keyed<String, TopN<RankedKey>>,
) -> BTreeMap<String, Vec<KeyDoc>> {
    per.into_iter().map(|(t, l)| (t, keys_doc(l))).collect()
}

fn share(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (part as f64 / total as f64 * 1e4).round() / 1e4
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        (a / b * 1e3).round() / 1e3
    }
}

fn slots_doc(
    s: &super::slots::SlotsAcc,
    files: &[super::doc::FileDoc],
    total: u64,
    top: usize,
) -> super::doc::SlotsDoc {
    use super::doc::{SlotDoc, SlotRangeDoc, SlotsDoc};
    let mut order: Vec<usize> = (0..s.bytes.len()).filter(|&i| s.keys[i] > 0).collect();
    order.sort_by(|&a, &b| s.bytes[b].cmp(&s.bytes[a]).then(a.cmp(&b)));
    let slot_doc = |i: usize| SlotDoc {
        slot: i as u16,
        keys: s.keys[i],
        bytes: s.bytes[i],
        share: share(s.bytes[i], total),
    };
    let per = s.bytes.len() / 16;
    let ranges = (0..16)
        .map(|r| {
            let span = r * per..(r + 1) * per;
            SlotRangeDoc {
                first: span.start as u16,
                last: (span.end - 1) as u16,
                keys: s.keys[span.clone()].iter().sum(),
                bytes: s.bytes[span].iter().sum(),
            }
        })
        .collect();
    let max = order.first().map_or(0, |&i| s.bytes[i]);
    let sum: u64 = s.bytes.iter().sum();
    let file_max = files.iter().map(|f| f.estimated_bytes).max().unwrap_or(0);
    let file_sum: u64 = files.iter().map(|f| f.estimated_bytes).sum();
    SlotsDoc {
        slots_with_keys: order.len() as u64,
        skew: (!order.is_empty()).then(|| ratio(max as f64, sum as f64 / s.bytes.len() as f64)),
        top_slots: order.iter().take(top).map(|&i| slot_doc(i)).collect(),
        ranges,
        hash_tagged: s.tagged.into(),
        node_skew: (files.len() > 1)
            .then(|| ratio(file_max as f64, file_sum as f64 / files.len() as f64)),
        unserved: files
            .iter()
            .filter_map(|f| f.unserved)
            .reduce(|a, b| TallyDoc {
                keys: a.keys.saturating_add(b.keys),
                bytes: a.bytes.saturating_add(b.bytes),
            }),
    }
}

fn prefix_doc(r: &PrefixRow, total: u64) -> PrefixDoc {
    PrefixDoc {
        prefix: escape(&r.prefix).into_owned(),
        depth: r.depth,
        keys: r.stats.keys,
        bytes: r.stats.bytes,
        share: share(r.stats.bytes, total),
        no_ttl_keys: r.stats.no_ttl_keys,
        no_ttl_bytes: r.stats.no_ttl_bytes,
        expired_keys: r.stats.expired_keys,
        children_dropped: r.collapsed,
        parent: r.parent.as_deref().map(|p| escape(p).into_owned()),
    }
}

fn bins(octaves: Vec<(u64, u64)>) -> Vec<BinDoc> {
    octaves
        .into_iter()
        .map(|(from, keys)| BinDoc { from, keys })
        .collect()
}

/// The order the text views list prefixes in: each row right under its
/// parent, siblings biggest first (like dust). The document keeps them by
/// bytes, descending, each naming its parent row. A row whose parent is
/// not listed (a document made before rows named their parents) is listed
/// at the top level.
pub fn tree_order(rows: &[PrefixDoc]) -> Vec<&PrefixDoc> {
    let index: std::collections::HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.prefix.as_str(), i))
        .collect();
    let mut kids: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    let mut roots = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match r.parent.as_deref().and_then(|p| index.get(p)) {
            Some(&p) if p != i => kids[p].push(i),
            _ => roots.push(i),
        }
    }
    let biggest_first = |v: &mut Vec<usize>| {
        v.sort_by(|&a, &b| {
            rows[b]
                .bytes
                .cmp(&rows[a].bytes)
                .then_with(|| rows[a].prefix.cmp(&rows[b].prefix))
        })
    };
    // Depth first without recursion; `seen` guards against a document
    // whose parents form a loop (its rows are listed after the rest).
    biggest_first(&mut roots);
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    let mut seen = vec![false; rows.len()];
    let mut out = Vec::with_capacity(rows.len());
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        out.push(&rows[i]);
        let mut k = std::mem::take(&mut kids[i]);
        biggest_first(&mut k);
        stack.extend(k.into_iter().rev());
    }
    out.extend(rows.iter().zip(&seen).filter(|(_, s)| !**s).map(|(r, _)| r));
    out
}

fn expiry_doc(
    e: &ExpiryAcc,
    tree: Option<&PrefixTree>,
    top: usize,
    clusters: Vec<NamedCluster>,
) -> ExpiryDoc {
    let (hist, unit) = e.histogram();
    let no_ttl_prefixes = tree
        .map(|t| t.rows_by(top, |s| s.no_ttl_bytes))
        .unwrap_or_default()
        .iter()
        .map(|r| NoTtlPrefixDoc {
            prefix: escape(&r.prefix).into_owned(),
            depth: r.depth,
            keys: r.stats.no_ttl_keys,
            bytes: r.stats.no_ttl_bytes,
        })
        .collect();
    let resolution = |width_ms: i64| super::expiry::width_name(width_ms).to_string();
    ExpiryDoc {
        no_ttl_keys: e.no_ttl.keys,
        no_ttl_bytes: e.no_ttl.bytes,
        ttl_keys: e.with_ttl.keys,
        ttl_bytes: e.with_ttl.bytes,
        expired_keys: e.expired.keys,
        expired_bytes: e.expired.bytes,
        field_ttls: e.field_ttls,
        resolution: e.resolution().into(),
        histogram_unit: unit.into(),
        histogram: hist
            .iter()
            .map(|b| BucketDoc {
                start_ms: b.start_ms,
                end_ms: b.end_ms,
                keys: b.count.keys,
                bytes: b.count.bytes,
            })
            .collect(),
        busiest: e.busiest().map(|(at_ms, c)| BusiestDoc {
            at_ms,
            keys: c.keys,
            bytes: c.bytes,
        }),
        clusters: clusters
            .into_iter()
            .map(|(c, prefixes)| ClusterDoc {
                at_ms: c.at_ms,
                at: rfc3339_ms(c.at_ms),
                resolution: resolution(c.width_ms),
                keys: c.count.keys,
                bytes: c.count.bytes,
                top_prefixes: prefixes
                    .iter()
                    .map(|(p, k)| PrefixCount {
                        prefix: escape(p).into_owned(),
                        keys: *k,
                    })
                    .collect(),
            })
            .collect(),
        no_ttl_prefixes,
    }
}

/// The profile(s) the files were estimated for.
fn profile(files: &[FileDoc]) -> Option<String> {
    let mut names: Vec<&str> = files.iter().filter_map(|f| f.profile.as_deref()).collect();
    names.dedup();
    (!names.is_empty()).then(|| names.join(", "))
}

/// Every file's value, added up (saturating: merged files come from
/// documents); `None` if a file has none.
fn sum(mut v: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    v.try_fold(0u64, |s, x| x.map(|x| s.saturating_add(x)))
}

/// The finished document.
pub fn finish(
    r: Report,
    files: Vec<FileDoc>,
    clusters: Vec<NamedCluster>,
    made_with: MadeWith,
) -> ReportDoc {
    let top = r.config().top;
    let s = &r.summary;
    let total = s.keys.bytes;
    let summary = SummaryDoc {
        keys: s.keys.keys,
        estimated_bytes: total,
        estimate_bound: s.bound,
        approx_keys: s.approx.keys,
        approx_bytes: s.approx.bytes,
        rdb_bytes: s.rdb_bytes,
        expires: s.expires,
        used_mem: sum(files.iter().map(|f| f.used_mem)),
        predicted_used_memory: sum(files
            .iter()
            .map(|f| f.used_memory.as_ref().map(|u| u.predicted))),
        by_db: s
            .by_db
            .sorted()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect(),
        by_type: s
            .by_type()
            .sorted()
            .into_iter()
            .map(|(k, v)| (k, v.into()))
            .collect(),
        by_type_encoding: s
            .by_type_encoding
            .iter()
            .map(|(t, e)| {
                let e = e
                    .sorted()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.into()))
                    .collect();
                (t.clone(), e)
            })
            .collect(),
        by_encoding: s
            .by_encoding()
            .sorted()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect(),
    };
    let big_keys_complete = (s.keys.keys as usize) < top;
    let mut doc = ReportDoc {
        schema_version: SCHEMA_VERSION,
        rdbscope_version: env!("CARGO_PKG_VERSION").to_string(),
        made_with,
        profile: profile(&files),
        files,
        summary,
        big_keys: None,
        big_keys_by_type: None,
        most_elements: None,
        most_elements_by_type: None,
        big_keys_complete: None,
        prefixes: None,
        prefix_totals: None,
        prefixes_with_dropped_children: None,
        prefixes_complete: None,
        prefixes_other: None,
        expiry: None,
        hot_keys: None,
        cold_keys: None,
        doctor: None,
        distributions: None,
        slots: None,
        state: None,
    };
    if let Some(e) = &r.expiry {
        doc.expiry = Some(expiry_doc(e, r.prefixes.as_ref(), top, clusters));
    }
    if let Some(t) = &r.prefixes {
        let rows = t.rows(top);
        doc.prefixes_complete = Some(rows.len() < top);
        let shown = rows
            .iter()
            .filter(|p| p.depth == 1)
            .fold(Tally::default(), |mut t, p| {
                t.keys = t.keys.saturating_add(p.stats.keys);
                t.bytes = t.bytes.saturating_add(p.stats.bytes);
                t
            });
        let all = t.total();
        doc.prefixes_other = Some(TallyDoc {
            keys: all.keys.saturating_sub(shown.keys),
            bytes: all.bytes.saturating_sub(shown.bytes),
        });
        doc.prefixes = Some(rows.iter().map(|p| prefix_doc(p, total)).collect());
        doc.prefix_totals = Some(
            t.rows(usize::MAX)
                .iter()
                .map(|p| prefix_doc(p, total))
                .collect(),
        );
        doc.prefixes_with_dropped_children = Some(t.collapsed_count());
    }
    if let Some(b) = r.big {
        doc.big_keys = Some(keys_doc(b.big));
        doc.big_keys_by_type = Some(per_type_doc(b.big_by_type));
        doc.most_elements = Some(keys_doc(b.most_elements));
        doc.most_elements_by_type = Some(per_type_doc(b.most_elements_by_type));
        doc.big_keys_complete = Some(big_keys_complete);
    }
    if let Some(h) = r.hot_cold {
        doc.hot_keys = Some(keys_doc(h.hot));
        doc.cold_keys = Some(keys_doc(h.cold));
    }
    if let Some(sl) = &r.slots {
        doc.slots = Some(slots_doc(sl, &doc.files, total, top));
    }
    if let Some(acc) = &r.doctor {
        let inputs = super::doctor::diagnose::Inputs {
            acc,
            tree: r.prefixes.as_ref(),
            doc: &doc,
        };
        doc.doctor = Some(super::doctor::diagnose::findings(&inputs));
        doc.distributions = Some(
            acc.dist
                .iter()
                .map(|(t, d)| {
                    let dist = DistDoc {
                        keys: d.bytes.count(),
                        bytes: bins(d.bytes.octaves()),
                        elements: bins(d.elements.octaves()),
                    };
                    (t.to_string(), dist)
                })
                .collect(),
        );
    }
    doc
}
