//! `diff`: what changed between two dumps, or between a dump and a saved
//! `report --format json` (a small baseline a repository can keep).
//! Both sides are report documents, so the totals are exactly those of
//! two `report` runs.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::report::doc::{ReportDoc, TallyDoc};
use crate::units::rfc3339_ms;

/// Before and after of one row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Change {
    pub keys_before: u64,
    pub keys_after: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

impl Change {
    pub fn bytes_change(&self) -> i64 {
        delta(self.bytes_before, self.bytes_after)
    }
    pub fn keys_change(&self) -> i64 {
        delta(self.keys_before, self.keys_after)
    }
    fn json(&self) -> Value {
        json!({
            "keys_before": self.keys_before,
            "keys_after": self.keys_after,
            "keys_change": self.keys_change(),
            "bytes_before": self.bytes_before,
            "bytes_after": self.bytes_after,
            "bytes_change": self.bytes_change(),
            "bytes_change_pct": pct(self.bytes_before, self.bytes_after),
        })
    }
}

/// `after - before`, saturated (counts from a saved document can be any u64).
fn delta(before: u64, after: u64) -> i64 {
    (after as i128 - before as i128).clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn pct(before: u64, after: u64) -> Value {
    if before == 0 {
        Value::Null
    } else {
        json!(((after as f64 / before as f64 - 1.0) * 1e4).round() / 100.0)
    }
}

/// What differs in how two documents were made (profile, allocator,
/// configuration, filters, prefix settings): comparing them would measure
/// the settings, not the data. Empty when they are comparable.
pub fn mismatches(old: &ReportDoc, new: &ReportDoc) -> Vec<String> {
    let (a, b) = (&old.made_with, &new.made_with);
    let mut out = Vec::new();
    let mut differ = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{what}: {x} vs {y}"));
        }
    };
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "(from the dump)".into());
    differ("profile", opt(&old.profile), opt(&new.profile));
    differ("--target", opt(&a.target), opt(&b.target));
    differ("--allocator", a.allocator.clone(), b.allocator.clone());
    differ("--config", a.config.join(" "), b.config.join(" "));
    differ("filters", a.filters.join(" "), b.filters.join(" "));
    differ("--delimiters", a.delimiters.clone(), b.delimiters.clone());
    differ("--depth", a.depth.to_string(), b.depth.to_string());
    differ(
        "--no-generalize",
        (!a.generalize).to_string(),
        (!b.generalize).to_string(),
    );
    out
}

fn tallies(m: &BTreeMap<String, TallyDoc>) -> BTreeMap<String, (u64, u64)> {
    m.iter()
        .map(|(k, t)| (k.clone(), (t.keys, t.bytes)))
        .collect()
}

fn join(
    a: BTreeMap<String, (u64, u64)>,
    b: BTreeMap<String, (u64, u64)>,
) -> BTreeMap<String, Change> {
    let mut out: BTreeMap<String, Change> = BTreeMap::new();
    for (k, (keys, bytes)) in a {
        let c = out.entry(k).or_default();
        c.keys_before = keys;
        c.bytes_before = bytes;
    }
    for (k, (keys, bytes)) in b {
        let c = out.entry(k).or_default();
        c.keys_after = keys;
        c.bytes_after = bytes;
    }
    out
}

/// Every prefix of the top two levels, by label.
fn prefixes(doc: &ReportDoc) -> BTreeMap<String, (u64, u64)> {
    doc.prefix_totals
        .iter()
        .flatten()
        .filter(|r| r.depth <= 2)
        .map(|r| (r.prefix.clone(), (r.keys, r.bytes)))
        .collect()
}

fn big_keys(doc: &ReportDoc) -> BTreeMap<(u64, String), u64> {
    doc.big_keys
        .iter()
        .flatten()
        .map(|r| ((r.db, r.key.clone()), r.bytes))
        .collect()
}

/// One side of a diff, as the header names it.
fn side(d: &ReportDoc) -> Value {
    json!({
        "files": d.files.iter().map(|f| json!({
            "file": f.file,
            "ctime": f.ctime,
            "dumped": f.ctime.and_then(|c| c.checked_mul(1000)).map(rfc3339_ms),
            "profile": f.profile,
        })).collect::<Vec<_>>(),
        "profile": d.profile,
    })
}

/// Compares two report documents; `top` limits the listed rows.
/// `mismatches` (see [`mismatches`]) are recorded in the document.
pub fn diff(old: &ReportDoc, new: &ReportDoc, top: usize, mismatches: &[String]) -> Value {
    let (os, ns) = (&old.summary, &new.summary);
    let total = Change {
        keys_before: os.keys,
        keys_after: ns.keys,
        bytes_before: os.estimated_bytes,
        bytes_after: ns.estimated_bytes,
    };
    let (oe, ne) = (old.expiry.as_ref(), new.expiry.as_ref());
    let no_ttl = Change {
        keys_before: oe.map_or(0, |e| e.no_ttl_keys),
        keys_after: ne.map_or(0, |e| e.no_ttl_keys),
        bytes_before: oe.map_or(0, |e| e.no_ttl_bytes),
        bytes_after: ne.map_or(0, |e| e.no_ttl_bytes),
    };
    let by_type = join(tallies(&os.by_type), tallies(&ns.by_type));
    let by_db = join(tallies(&os.by_db), tallies(&ns.by_db));
    let mut rows: Vec<(String, Change)> = join(prefixes(old), prefixes(new)).into_iter().collect();
    rows.sort_by(|a, b| {
        b.1.bytes_change()
            .abs()
            .cmp(&a.1.bytes_change().abs())
            .then_with(|| a.0.cmp(&b.0))
    });
    let status = |c: &Change| {
        if c.keys_before == 0 && c.bytes_before == 0 {
            "new"
        } else if c.keys_after == 0 && c.bytes_after == 0 {
            "vanished"
        } else {
            "changed"
        }
    };
    let old_big = big_keys(old);
    // A key missing from a cut-off list of the old side may have been just
    // below it: only call it grown when it is now above that list's floor.
    let old_big_floor = if old.big_keys_complete == Some(true) {
        0
    } else {
        old_big.values().copied().min().unwrap_or(0)
    };
    let mut grown: Vec<Value> = big_keys(new)
        .into_iter()
        .map(|((db, key), after)| {
            let before = old_big.get(&(db, key.clone())).copied();
            (db, key, before, after)
        })
        .filter(|(_, _, before, after)| match before {
            Some(b) => *after > *b,
            None => *after > old_big_floor,
        })
        .map(|(db, key, before, after)| {
            json!({
                "db": db,
                "key": key,
                "bytes_before": before,
                "bytes_after": after,
                "bytes_change": before.map(|b| delta(b, after)),
            })
        })
        .collect();
    grown.sort_by(|a, b| {
        let g = |v: &Value| {
            v["bytes_change"]
                .as_i64()
                .unwrap_or(v["bytes_after"].as_i64().unwrap_or(0))
        };
        g(b).cmp(&g(a))
            .then_with(|| a["key"].as_str().cmp(&b["key"].as_str()))
    });
    grown.truncate(top);
    let named = |m: BTreeMap<String, Change>, name: &str| -> Vec<Value> {
        m.into_iter()
            .map(|(k, c)| {
                let mut v = c.json();
                v[name] = Value::String(k);
                v
            })
            .collect()
    };
    json!({
        "schema_version": 1,
        "old": side(old),
        "new": side(new),
        "settings_differ": mismatches,
        "total": total.json(),
        "no_ttl": no_ttl.json(),
        "by_type": named(by_type, "type"),
        "by_db": named(by_db, "db"),
        "prefixes": rows
            .iter()
            .take(top)
            .map(|(p, c)| {
            let mut v = c.json();
            v["prefix"] = Value::String(p.clone());
            v["status"] = status(c).into();
            v
        }).collect::<Vec<_>>(),
        "new_prefixes": rows.iter().filter(|(_, c)| status(c) == "new").map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        "vanished_prefixes": rows.iter().filter(|(_, c)| status(c) == "vanished").map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        "grown_keys": grown,
    })
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// The text view of a diff document.
pub fn text(d: &Value) -> String {
    use crate::units::human_bytes;
    use std::fmt::Write as _;
    let mut out = String::new();
    for (name, s) in [("old", &d["old"]), ("new", &d["new"])] {
        for f in s["files"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "{name}: {}{}, {}",
                crate::escape::terminal(f["file"].as_str().unwrap_or("")),
                f["dumped"]
                    .as_str()
                    .map(|t| format!(", dumped {t}"))
                    .unwrap_or_default(),
                f["profile"].as_str().unwrap_or("no profile")
            );
        }
    }
    for m in d["settings_differ"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "warning: compared although made differently ({})",
            m.as_str().unwrap_or("")
        );
    }
    let _ = writeln!(out);
    let signed = |n: i64| {
        if n < 0 {
            format!("-{}", human_bytes(n.unsigned_abs()))
        } else {
            format!("+{}", human_bytes(n as u64))
        }
    };
    let line = |out: &mut String, name: &str, v: &Value| {
        let _ = writeln!(
            out,
            "  {:<28} {:>10} -> {:>10} keys ({:+})   {:>10} -> {:>10} ({}{})",
            name,
            u(&v["keys_before"]),
            u(&v["keys_after"]),
            v["keys_change"].as_i64().unwrap_or(0),
            human_bytes(u(&v["bytes_before"])),
            human_bytes(u(&v["bytes_after"])),
            signed(v["bytes_change"].as_i64().unwrap_or(0)),
            v["bytes_change_pct"]
                .as_f64()
                .map(|p| format!(", {p:+.1}%"))
                .unwrap_or_default()
        );
    };
    let _ = writeln!(out, "Total");
    line(&mut out, "all keys", &d["total"]);
    line(&mut out, "keys without TTL", &d["no_ttl"]);
    let _ = writeln!(out, "\nBy type");
    for v in d["by_type"].as_array().into_iter().flatten() {
        line(&mut out, v["type"].as_str().unwrap_or(""), v);
    }
    let _ = writeln!(out, "\nPrefixes that changed most");
    let changed =
        |v: &&Value| v["bytes_change"].as_i64() != Some(0) || v["keys_change"].as_i64() != Some(0);
    let mut none = true;
    for v in d["prefixes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(changed)
    {
        none = false;
        let name = format!(
            "{} [{}]",
            crate::escape::terminal(v["prefix"].as_str().unwrap_or("")),
            v["status"].as_str().unwrap_or("")
        );
        line(&mut out, &name, v);
    }
    if none {
        let _ = writeln!(out, "  (no prefix changed)");
    }
    let grown = d["grown_keys"].as_array().cloned().unwrap_or_default();
    if !grown.is_empty() {
        let _ = writeln!(out, "\nKeys that grew most (among the biggest)");
        for g in grown {
            let before = g["bytes_before"]
                .as_u64()
                .map(human_bytes)
                .unwrap_or_else(|| "(new or small)".into());
            let _ = writeln!(
                out,
                "  db{} {}  {} -> {}",
                u(&g["db"]),
                crate::escape::terminal(g["key"].as_str().unwrap_or("")),
                before,
                human_bytes(u(&g["bytes_after"]))
            );
        }
    }
    out
}
