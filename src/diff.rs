//! `diff`: what changed between two dumps, or between a dump and a saved
//! `report --format json` (a small baseline a repository can keep).
//! Both sides are report documents, so the totals are exactly those of
//! two `report` runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    fn doc(&self) -> ChangeDoc {
        ChangeDoc {
            keys_before: self.keys_before,
            keys_after: self.keys_after,
            keys_change: self.keys_change(),
            bytes_before: self.bytes_before,
            bytes_after: self.bytes_after,
            bytes_change: self.bytes_change(),
            bytes_change_pct: pct(self.bytes_before, self.bytes_after),
        }
    }
}

/// The version of [`DiffDoc`].
pub const SCHEMA_VERSION: u32 = 1;

/// `diff --format json`: one typed document (rows are plain structs, so a
/// diff of half a million databases stays small).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffDoc {
    pub schema_version: u32,
    pub old: SideDoc,
    pub new: SideDoc,
    pub settings_differ: Vec<String>,
    pub total: ChangeDoc,
    pub no_ttl: ChangeDoc,
    pub by_type: Vec<TypeChange>,
    pub by_db: Vec<DbChange>,
    pub prefixes: Vec<PrefixChange>,
    pub new_prefixes: Vec<String>,
    pub vanished_prefixes: Vec<String>,
    pub grown_keys: Vec<GrownKey>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SideDoc {
    pub files: Vec<SideFile>,
    pub profile: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SideFile {
    pub file: String,
    pub ctime: Option<i64>,
    pub dumped: Option<String>,
    pub profile: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeDoc {
    pub keys_before: u64,
    pub keys_after: u64,
    pub keys_change: i64,
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub bytes_change: i64,
    /// `None` when there was nothing before.
    pub bytes_change_pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypeChange {
    #[serde(flatten)]
    pub change: ChangeDoc,
    #[serde(rename = "type")]
    pub type_name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DbChange {
    #[serde(flatten)]
    pub change: ChangeDoc,
    pub db: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrefixChange {
    #[serde(flatten)]
    pub change: ChangeDoc,
    pub prefix: String,
    /// `new`, `vanished` or `changed`.
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrownKey {
    pub db: u64,
    pub key: String,
    /// `None`: the key was new, or below the old side's list.
    pub bytes_before: Option<u64>,
    pub bytes_after: u64,
    pub bytes_change: Option<i64>,
}

impl GrownKey {
    /// What the list is ordered by: the growth, or the size of a key that
    /// was not listed before.
    fn growth(&self) -> i64 {
        self.bytes_change
            .unwrap_or(self.bytes_after.min(i64::MAX as u64) as i64)
    }
}

/// `after - before`, saturated (counts from a saved document can be any u64).
fn delta(before: u64, after: u64) -> i64 {
    (after as i128 - before as i128).clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn pct(before: u64, after: u64) -> Option<f64> {
    (before != 0).then(|| ((after as f64 / before as f64 - 1.0) * 1e4).round() / 100.0)
}

/// What differs in how two documents were made (profile, allocator,
/// configuration, filters, prefix settings): comparing them would measure
/// the settings, not the data. Empty when they are comparable.
pub fn mismatches(old: &ReportDoc, new: &ReportDoc) -> Vec<String> {
    let (a, b) = (&old.made_with, &new.made_with);
    let mut out = Vec::new();
    let mut differ = |what: &str, x: String, y: String| {
        let none = |v: String| {
            if v.is_empty() {
                "(none)".to_string()
            } else {
                v
            }
        };
        if x != y {
            out.push(format!("{what}: {} vs {}", none(x), none(y)));
        }
    };
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "(from the dump)".into());
    differ("profile", opt(&old.profile), opt(&new.profile));
    // `redis-7.0.15` and `redis-7.0` are one target.
    let target = |t: &Option<String>| {
        t.as_deref()
            .map(|t| {
                t.parse::<crate::memory::ServerProfile>()
                    .map_or_else(|_| t.to_string(), |p| p.to_string())
            })
            .unwrap_or_else(|| "(from the dump)".into())
    };
    differ("--target", target(&a.target), target(&b.target));
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

/// What to do about [`mismatches`] `m` of a side (`it`: "it" or "them"):
/// sides from two server versions (a before/after-upgrade diff) differ in
/// profile, and one `--target` measures both as the same server.
pub fn mismatch_remedy(m: &[String], it: &str) -> String {
    let profile = m.iter().any(|m| m.starts_with("profile:"));
    let target = if profile {
        " (dumps of two server versions: --target NAME measures both as one server)"
    } else {
        ""
    };
    format!("make {it} again with the same options{target}, or pass --allow-profile-mismatch")
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
fn side(d: &ReportDoc) -> SideDoc {
    SideDoc {
        files: d
            .files
            .iter()
            .map(|f| SideFile {
                file: f.file.clone(),
                ctime: f.ctime,
                dumped: f.ctime.and_then(|c| c.checked_mul(1000)).map(rfc3339_ms),
                profile: f.profile.clone(),
            })
            .collect(),
        profile: d.profile.clone(),
    }
}

fn status(c: &Change) -> &'static str {
    if c.keys_before == 0 && c.bytes_before == 0 {
        "new"
    } else if c.keys_after == 0 && c.bytes_after == 0 {
        "vanished"
    } else {
        "changed"
    }
}

impl DiffDoc {
    /// Reads a saved `diff --format json`; `what` names it in errors.
    pub fn from_json(text: &str, what: &str) -> crate::Result<DiffDoc> {
        let d: DiffDoc = serde_json::from_str(text).map_err(|e| {
            crate::Error::invalid(format!(
                "{what}: not an `rdbscope diff --format json` document: {e}"
            ))
        })?;
        if d.schema_version != SCHEMA_VERSION {
            return Err(crate::Error::invalid(format!(
                "{what}: diff schema_version {} is not {SCHEMA_VERSION}; make it again with \
                 `rdbscope diff --format json`",
                d.schema_version
            )));
        }
        Ok(d)
    }
}

/// Compares two report documents; `top` limits the listed rows.
/// `mismatches` (see [`mismatches`]) are recorded in the document.
pub fn diff(old: &ReportDoc, new: &ReportDoc, top: usize, mismatches: &[String]) -> DiffDoc {
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
    let mut rows: Vec<(String, Change)> = join(prefixes(old), prefixes(new)).into_iter().collect();
    rows.sort_by(|a, b| {
        b.1.bytes_change()
            .abs()
            .cmp(&a.1.bytes_change().abs())
            .then_with(|| a.0.cmp(&b.0))
    });
    let old_big = big_keys(old);
    // A key missing from a cut-off list of the old side may have been just
    // below it: only call it grown when it is now above that list's floor.
    let old_big_floor = if old.big_keys_complete == Some(true) {
        0
    } else {
        old_big.values().copied().min().unwrap_or(0)
    };
    let mut grown: Vec<GrownKey> = big_keys(new)
        .into_iter()
        .filter_map(|((db, key), after)| {
            let before = old_big.get(&(db, key.clone())).copied();
            let grew = match before {
                Some(b) => after > b,
                None => after > old_big_floor,
            };
            grew.then(|| GrownKey {
                db,
                key,
                bytes_before: before,
                bytes_after: after,
                bytes_change: before.map(|b| delta(b, after)),
            })
        })
        .collect();
    grown.sort_by(|a, b| b.growth().cmp(&a.growth()).then_with(|| a.key.cmp(&b.key)));
    grown.truncate(top);
    let named = |rows: &[(String, Change)], status: &str| -> Vec<String> {
        rows.iter()
            .filter(|(_, c)| self::status(c) == status)
            .map(|(p, _)| p.clone())
            .collect()
    };
    DiffDoc {
        schema_version: SCHEMA_VERSION,
        old: side(old),
        new: side(new),
        settings_differ: mismatches.to_vec(),
        total: total.doc(),
        no_ttl: no_ttl.doc(),
        by_type: join(tallies(&os.by_type), tallies(&ns.by_type))
            .into_iter()
            .map(|(type_name, c)| TypeChange {
                change: c.doc(),
                type_name,
            })
            .collect(),
        by_db: join(tallies(&os.by_db), tallies(&ns.by_db))
            .into_iter()
            .map(|(db, c)| DbChange {
                change: c.doc(),
                db,
            })
            .collect(),
        prefixes: rows
            .iter()
            .take(top)
            .map(|(p, c)| PrefixChange {
                change: c.doc(),
                prefix: p.clone(),
                status: status(c).into(),
            })
            .collect(),
        new_prefixes: named(&rows, "new"),
        vanished_prefixes: named(&rows, "vanished"),
        grown_keys: grown,
    }
}
