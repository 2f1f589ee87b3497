//! `diff`: what changed between two dumps, or between a dump and a saved
//! `report --format json` (a small baseline a repository can keep).
//! Both sides are report documents, so the totals are exactly those of
//! two `report` runs.

use std::collections::BTreeMap;

use serde_json::{Value, json};

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
        self.bytes_after as i64 - self.bytes_before as i64
    }
    pub fn keys_change(&self) -> i64 {
        self.keys_after as i64 - self.keys_before as i64
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

fn pct(before: u64, after: u64) -> Value {
    if before == 0 {
        Value::Null
    } else {
        json!(((after as f64 / before as f64 - 1.0) * 1e4).round() / 100.0)
    }
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// `{name: {keys, bytes}}` maps (summary.by_type, by_db).
fn tallies(v: &Value) -> BTreeMap<String, (u64, u64)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, t)| (k.clone(), (u(&t["keys"]), u(&t["bytes"]))))
                .collect()
        })
        .unwrap_or_default()
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

/// Prefix rows of the top level (depth 1 and 2), by label.
fn prefixes(doc: &Value) -> BTreeMap<String, (u64, u64)> {
    doc["prefixes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["depth"].as_u64().is_none_or(|d| d <= 2))
        .filter_map(|r| {
            Some((
                r["prefix"].as_str()?.to_string(),
                (u(&r["keys"]), u(&r["bytes"])),
            ))
        })
        .collect()
}

fn big_keys(doc: &Value) -> BTreeMap<(u64, String), u64> {
    doc["big_keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                (u(&r["db"]), r["key"].as_str()?.to_string()),
                u(&r["bytes"]),
            ))
        })
        .collect()
}

/// Compares two report documents; `top` limits the listed rows.
pub fn diff(old: &Value, new: &Value, top: usize) -> Value {
    let total = Change {
        keys_before: u(&old["summary"]["keys"]),
        keys_after: u(&new["summary"]["keys"]),
        bytes_before: u(&old["summary"]["estimated_bytes"]),
        bytes_after: u(&new["summary"]["estimated_bytes"]),
    };
    let no_ttl = Change {
        keys_before: u(&old["expiry"]["no_ttl_keys"]),
        keys_after: u(&new["expiry"]["no_ttl_keys"]),
        bytes_before: u(&old["expiry"]["no_ttl_bytes"]),
        bytes_after: u(&new["expiry"]["no_ttl_bytes"]),
    };
    let by_type = join(
        tallies(&old["summary"]["by_type"]),
        tallies(&new["summary"]["by_type"]),
    );
    let by_db = join(
        tallies(&old["summary"]["by_db"]),
        tallies(&new["summary"]["by_db"]),
    );
    // A saved report lists only its top rows: a prefix missing from a side
    // whose list is cut off, and smaller than its smallest row, may well be
    // there. Such rows are "unlisted", not new or vanished.
    let floor = |doc: &Value| -> u64 {
        if doc["prefixes_complete"].as_bool() == Some(true) {
            return 0;
        }
        prefixes(doc).values().map(|(_, b)| *b).min().unwrap_or(0)
    };
    let (old_floor, new_floor) = (floor(old), floor(new));
    let mut rows: Vec<(String, Change)> = join(prefixes(old), prefixes(new)).into_iter().collect();
    rows.sort_by(|a, b| {
        b.1.bytes_change()
            .abs()
            .cmp(&a.1.bytes_change().abs())
            .then_with(|| a.0.cmp(&b.0))
    });
    let status = |c: &Change| {
        if c.keys_before == 0 && c.bytes_before == 0 {
            if c.bytes_after <= old_floor {
                "unlisted"
            } else {
                "new"
            }
        } else if c.keys_after == 0 && c.bytes_after == 0 {
            if c.bytes_before <= new_floor {
                "unlisted"
            } else {
                "vanished"
            }
        } else {
            "changed"
        }
    };
    let old_big = big_keys(old);
    // A key missing from a cut-off list of the old side may have been just
    // below it: only call it grown when it is now above that list's floor.
    let old_big_floor = if old["big_keys_complete"].as_bool() == Some(true) {
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
                "bytes_change": before.map(|b| after as i64 - b as i64),
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
        "old": {"files": old["files"], "profile": old["profile"]},
        "new": {"files": new["files"], "profile": new["profile"]},
        "total": total.json(),
        "no_ttl": no_ttl.json(),
        "by_type": named(by_type, "type"),
        "by_db": named(by_db, "db"),
        // Unlisted rows say nothing about a change: left out.
        "prefixes": rows
            .iter()
            .filter(|(_, c)| status(c) != "unlisted")
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

/// The text view of a diff document.
pub fn text(d: &Value) -> String {
    use crate::output::report::human_bytes;
    use std::fmt::Write as _;
    let mut out = String::new();
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
