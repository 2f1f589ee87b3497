//! `check`: rules over a dump that a CI job can gate on. Per-key rules fold
//! into a bounded accumulator during the parallel scan (counts plus the
//! worst offenders); whole-dump rules read the finished report.

pub mod rules;

use regex::bytes::RegexSet;

use crate::escape::escape;
use crate::report::doc::ReportDoc;
use crate::report::topn::TopN;
use crate::report::{RankedKey, ranked};
use crate::scan::filter::glob_set;
use crate::scan::{Accumulator, KeyFacts};
use crate::units::rfc3339_ms;
use rules::Rules;

/// Offenders listed per rule (the count covers all of them).
pub const MAX_OFFENDERS: usize = 10;

/// Compiled rules, and the baseline they compare with.
#[derive(Debug)]
pub struct Compiled {
    pub rules: Rules,
    require_ttl: RegexSet,
    prefix_bytes: RegexSet,
    encodings: RegexSet,
    /// Per `allowed_encodings` rule: the types it applies to, and the
    /// encodings it allows.
    encoding_types: Vec<Vec<&'static str>>,
    allowed: Vec<Vec<String>>,
    baseline: Option<ReportDoc>,
}

impl Compiled {
    /// `baseline`: the baseline report, when the rules name one.
    pub fn new(rules: Rules, baseline: Option<ReportDoc>) -> crate::Result<Compiled> {
        let require_ttl = glob_set(rules.require_ttl.iter().map(|p| p.pattern()))?;
        let prefix_bytes = glob_set(rules.max_prefix_bytes.keys().map(String::as_str))?;
        let encodings = glob_set(rules.allowed_encodings.keys().map(String::as_str))?;
        let encoding_types = rules
            .allowed_encodings
            .values()
            .map(|spec| {
                let mut t: Vec<&'static str> = spec
                    .encodings()
                    .iter()
                    .flat_map(|e| rules::types_of(e).iter().copied())
                    .collect();
                t.sort_unstable();
                t.dedup();
                t
            })
            .collect();
        let allowed = rules
            .allowed_encodings
            .values()
            .map(|spec| spec.encodings().to_vec())
            .collect();
        if rules.baseline.is_some() && baseline.is_none() {
            return Err(crate::Error::invalid(
                "the rules name a baseline; none was given",
            ));
        }
        Ok(Compiled {
            rules,
            require_ttl,
            prefix_bytes,
            encodings,
            encoding_types,
            allowed,
            baseline,
        })
    }

    /// The baseline report the rules compare with.
    pub fn baseline(&self) -> Option<&ReportDoc> {
        self.baseline.as_ref()
    }
}

/// A count and the worst examples.
#[derive(Clone, Debug)]
pub struct Offenders {
    pub count: u64,
    pub top: TopN<RankedKey>,
}

impl Default for Offenders {
    fn default() -> Self {
        Offenders::new(MAX_OFFENDERS)
    }
}

impl Offenders {
    fn new(listed: usize) -> Offenders {
        Offenders {
            count: 0,
            top: TopN::new(listed),
        }
    }

    fn add(&mut self, f: &KeyFacts<'_>, rank: u64) {
        self.count += 1;
        self.top.push(ranked(f, rank));
    }
    fn merge(&mut self, o: Offenders) {
        self.count += o.count;
        self.top.merge(o.top);
    }
}

/// The indices of the globs in `set` that match `key`, into `out`.
fn matching(set: &RegexSet, key: &[u8], out: &mut Vec<usize>) {
    out.clear();
    out.extend(set.matches(key).iter());
}

/// Per-key rule state, merged across workers.
#[derive(Clone, Debug, Default)]
pub struct CheckAcc<'c> {
    rules: Option<&'c Compiled>,
    big: Offenders,
    many: Offenders,
    no_ttl: Vec<Offenders>,
    /// Keys matching each `require_ttl` glob (with a TTL or not).
    ttl_matched: Vec<u64>,
    /// (keys, bytes) matching each `max_prefix_bytes` glob.
    prefix_bytes: Vec<(u64, u64)>,
    encodings: Vec<Offenders>,
    /// Keys matching each `allowed_encodings` glob.
    enc_matched: Vec<u64>,
    /// Scratch: the globs of one set that match the key at hand.
    hits: Vec<usize>,
    /// Offenders named per rule.
    listed: usize,
}

impl<'c> CheckAcc<'c> {
    /// `listed`: offenders named per rule (the count covers all of them).
    pub fn new(c: &'c Compiled, listed: usize) -> CheckAcc<'c> {
        let o = Offenders::new(listed);
        CheckAcc {
            rules: Some(c),
            big: o.clone(),
            many: o.clone(),
            no_ttl: vec![o.clone(); c.require_ttl.len()],
            ttl_matched: vec![0; c.require_ttl.len()],
            prefix_bytes: vec![(0, 0); c.prefix_bytes.len()],
            encodings: vec![o; c.encodings.len()],
            enc_matched: vec![0; c.encodings.len()],
            hits: Vec::new(),
            listed,
        }
    }
}

impl Accumulator for CheckAcc<'_> {
    fn add(&mut self, f: &KeyFacts<'_>) {
        let Some(c) = self.rules else { return };
        if c.rules
            .max_key_bytes
            .as_ref()
            .is_some_and(|m| f.bytes > m.bytes)
        {
            self.big.add(f, f.bytes);
        }
        if f.type_name != "string" && c.rules.max_elements.is_some_and(|m| f.elements > m) {
            self.many.add(f, f.elements);
        }
        if !c.require_ttl.is_empty() {
            matching(&c.require_ttl, f.key, &mut self.hits);
            for &i in &self.hits {
                self.ttl_matched[i] += 1;
                if f.expire_at_ms.is_none() {
                    self.no_ttl[i].add(f, f.bytes);
                }
            }
        }
        if !c.prefix_bytes.is_empty() {
            matching(&c.prefix_bytes, f.key, &mut self.hits);
            for &i in &self.hits {
                self.prefix_bytes[i].0 += 1;
                self.prefix_bytes[i].1 += f.bytes;
            }
        }
        if !c.encodings.is_empty() {
            matching(&c.encodings, f.key, &mut self.hits);
            for &i in &self.hits {
                if !c.encoding_types[i].contains(&f.type_name) {
                    continue;
                }
                self.enc_matched[i] += 1;
                if !c.allowed[i].iter().any(|e| e == f.encoding) {
                    self.encodings[i].add(f, f.bytes);
                }
            }
        }
    }

    fn merge(&mut self, o: CheckAcc<'_>) {
        self.big.merge(o.big);
        self.many.merge(o.many);
        for (a, b) in self.no_ttl.iter_mut().zip(o.no_ttl) {
            a.merge(b);
        }
        for (a, b) in self.ttl_matched.iter_mut().zip(o.ttl_matched) {
            *a += b;
        }
        for (a, b) in self.prefix_bytes.iter_mut().zip(o.prefix_bytes) {
            a.0 += b.0;
            a.1 += b.1;
        }
        for (a, b) in self.encodings.iter_mut().zip(o.encodings) {
            a.merge(b);
        }
        for (a, b) in self.enc_matched.iter_mut().zip(o.enc_matched) {
            *a += b;
        }
    }
}

/// A key named by a failing rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offender {
    /// `None` for a prefix (prefixes span databases).
    pub db: Option<u64>,
    pub key: String,
    pub bytes: u64,
    pub detail: String,
}

/// One rule's outcome.
#[derive(Clone, Debug)]
pub struct RuleResult {
    /// The rule as written, e.g. `max_key_bytes = 10000000`.
    pub rule: String,
    pub ok: bool,
    pub message: String,
    /// How many keys or prefixes broke the rule, and the worst of them.
    pub offender_count: u64,
    pub offenders: Vec<Offender>,
}

fn offenders(o: &Offenders, detail: impl Fn(&RankedKey) -> String) -> Vec<Offender> {
    o.top
        .clone()
        .into_sorted()
        .iter()
        .map(|k| Offender {
            db: Some(k.db),
            key: escape(&k.key).into_owned(),
            bytes: k.bytes,
            detail: detail(k),
        })
        .collect()
}

fn result(rule: String, ok: bool, message: String, count: u64, list: Vec<Offender>) -> RuleResult {
    RuleResult {
        rule,
        ok,
        message,
        offender_count: count,
        offenders: list,
    }
}

/// `max_doctor_severity` and `max_savings`, over the report's findings.
fn doctor_rules(r: &Rules, doc: &ReportDoc, listed: usize) -> Vec<RuleResult> {
    let mut out = Vec::new();
    let Some(d) = &doc.doctor else { return out };
    let finding = |f: &crate::report::doctor::doc::FindingDoc| Offender {
        db: f.db,
        key: f.subject.clone(),
        bytes: if f.savings_bytes > 0 {
            f.savings_bytes
        } else {
            f.bytes_now
        },
        detail: format!("{} {}", f.severity.as_str(), f.kind),
    };
    if let Some(m) = r.max_doctor_severity {
        let over: Vec<_> = d.findings.iter().filter(|f| f.severity > m.0).collect();
        let count = over.len() as u64;
        let worst = d.worst.map_or("none", |s| s.as_str());
        out.push(result(
            format!("max_doctor_severity = {:?}", m.0.as_str()),
            d.worst.is_none_or(|w| w <= m.0),
            format!(
                "{} listed above {} (worst of all: {worst})",
                n_of(over.len() as u64, "finding is", "findings are"),
                m.0.as_str()
            ),
            count.max(d.worst.is_some_and(|w| w > m.0) as u64),
            over.into_iter().take(listed).map(finding).collect(),
        ));
    }
    if let Some(m) = &r.max_savings {
        let top: Vec<_> = d.findings.iter().filter(|f| f.savings_bytes > 0).collect();
        let count = top.len() as u64;
        let top: Vec<_> = top.into_iter().take(listed).collect();
        out.push(result(
            format!("max_savings = {m}"),
            d.savings_bytes <= m.bytes,
            format!(
                "the doctor's findings would save {} bytes (they may overlap); limit {}",
                d.savings_bytes,
                m.described()
            ),
            if d.savings_bytes > m.bytes { count } else { 0 },
            if d.savings_bytes > m.bytes {
                top.into_iter().map(finding).collect()
            } else {
                Vec::new()
            },
        ));
    }
    out
}

/// `1 key` / `2 keys`.
fn n_of(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn growth(old: u64, new: u64) -> f64 {
    if old == 0 {
        if new == 0 { 0.0 } else { f64::INFINITY }
    } else {
        new as f64 / old as f64 - 1.0
    }
}

/// A rule whose glob matched no key fails, unless it allows that.
fn empty_glob(rule: String, what: &str, g: &str) -> RuleResult {
    result(
        rule,
        false,
        format!(
            "no {what} matches {g:?}: a typo, or a pattern without its glob? \
             (set allow_empty = true on this rule if that is expected)"
        ),
        0,
        Vec::new(),
    )
}

/// Evaluates every rule; `doc` is the report of the dumps being checked.
pub fn evaluate(c: &Compiled, doc: &ReportDoc, acc: &CheckAcc<'_>) -> Vec<RuleResult> {
    let r = &c.rules;
    let mut out = Vec::new();
    let total = doc.summary.estimated_bytes;
    if let Some(m) = &r.max_key_bytes {
        let n = acc.big.count;
        out.push(result(
            format!("max_key_bytes = {m}"),
            n == 0,
            format!(
                "{} more than {}",
                n_of(n, "key uses", "keys use"),
                m.described()
            ),
            n,
            offenders(&acc.big, |k| {
                format!("{} bytes ({}/{})", k.bytes, k.type_name, k.encoding)
            }),
        ));
    }
    if let Some(m) = r.max_elements {
        let n = acc.many.count;
        out.push(result(
            format!("max_elements = {m}"),
            n == 0,
            format!(
                "{} more than {m} elements",
                n_of(n, "key holds", "keys hold")
            ),
            n,
            offenders(&acc.many, |k| {
                format!("{} elements ({})", k.elements, k.type_name)
            }),
        ));
    }
    for ((spec, o), matched) in r.require_ttl.iter().zip(&acc.no_ttl).zip(&acc.ttl_matched) {
        let g = spec.pattern();
        let rule = format!("require_ttl {g:?}");
        if *matched == 0 && !spec.allow_empty() {
            out.push(empty_glob(rule, "key", g));
            continue;
        }
        out.push(result(
            rule,
            o.count == 0,
            format!(
                "{} of {} matching {g:?} {} no TTL",
                o.count,
                n_of(*matched, "key", "keys"),
                if o.count == 1 { "has" } else { "have" }
            ),
            o.count,
            offenders(o, |k| format!("{} bytes, no TTL", k.bytes)),
        ));
    }
    for ((g, spec), (keys, bytes)) in r.max_prefix_bytes.iter().zip(&acc.prefix_bytes) {
        let max = spec.max();
        let rule = format!("max_prefix_bytes {g:?} = {max}");
        if *keys == 0 && !spec.allow_empty() {
            out.push(empty_glob(rule, "key", g));
            continue;
        }
        out.push(result(
            rule,
            *bytes <= max.bytes,
            format!(
                "{} matching {g:?} {} {bytes} bytes; limit {}",
                n_of(*keys, "key", "keys"),
                if *keys == 1 { "uses" } else { "use" },
                max.described()
            ),
            (*bytes > max.bytes) as u64,
            Vec::new(),
        ));
    }
    if let (Some(m), Some(e)) = (&r.max_no_ttl_share, &doc.expiry) {
        let share = if total == 0 {
            0.0
        } else {
            e.no_ttl_bytes as f64 / total as f64
        };
        out.push(result(
            format!("max_no_ttl_share = {m}"),
            share <= m.value,
            format!(
                "{:.1}% of estimated memory ({} of {} bytes, {}) has no TTL (limit {m})",
                share * 100.0,
                e.no_ttl_bytes,
                total,
                n_of(e.no_ttl_keys, "key", "keys"),
            ),
            (share > m.value) as u64,
            Vec::new(),
        ));
    }
    if let (Some(m), Some(e)) = (r.max_expiry_cluster_keys, &doc.expiry) {
        let (keys, at) = e
            .busiest
            .as_ref()
            .map(|b| (b.keys, b.at_ms))
            .unwrap_or((0, 0));
        let unit = e.resolution.as_str();
        out.push(result(
            format!("max_expiry_cluster_keys = {m}"),
            keys <= m,
            if keys == 0 {
                "no keys with a TTL".into()
            } else {
                format!(
                    "at most {} within the same {unit} ({}; limit {m})",
                    n_of(keys, "key expires", "keys expire"),
                    rfc3339_ms(at)
                )
            },
            (keys > m) as u64,
            Vec::new(),
        ));
    }
    if let Some(base) = &c.baseline {
        out.extend(baseline_rules(r, base, doc));
    }
    out.extend(doctor_rules(r, doc, acc.listed));
    let allowed = r.allowed_encodings.iter().zip(&c.encoding_types);
    for ((((g, spec), types), o), matched) in allowed.zip(&acc.encodings).zip(&acc.enc_matched) {
        let kinds = types.join("/");
        let rule = format!("allowed_encodings {g:?} = {:?}", spec.encodings());
        if *matched == 0 && !spec.allow_empty() {
            out.push(empty_glob(rule, &format!("{kinds} key"), g));
            continue;
        }
        out.push(result(
            rule,
            o.count == 0,
            format!(
                "{} of {} {kinds} {} matching {g:?} {} another encoding",
                o.count,
                matched,
                if *matched == 1 { "key" } else { "keys" },
                if o.count == 1 { "has" } else { "have" }
            ),
            o.count,
            offenders(o, |k| format!("{}/{}", k.type_name, k.encoding)),
        ));
    }
    out
}

/// `max_growth` (total and every prefix) and `max_new_prefix_bytes`.
fn baseline_rules(r: &Rules, base: &ReportDoc, doc: &ReportDoc) -> Vec<RuleResult> {
    use std::collections::BTreeMap;
    let mut out = Vec::new();
    // A prefix tree that dropped children (too many distinct ones) cannot
    // show which prefix grew or is new: the per-prefix rules fail rather
    // than pass on what they cannot see.
    let dropped = |d: &ReportDoc| d.prefixes_with_dropped_children.unwrap_or(0);
    let blind = (dropped(base) + dropped(doc) > 0).then(|| {
        format!(
            "cannot compare every prefix: {} prefixes of the baseline and {} of the dumps had more \
             than 2000 distinct children, which are counted in their parent only (try a smaller \
             --depth or other --delimiters)",
            dropped(base),
            dropped(doc)
        )
    });
    let rows = |d: &ReportDoc| -> BTreeMap<String, u64> {
        d.prefix_totals
            .iter()
            .flatten()
            .map(|p| (p.prefix.clone(), p.bytes))
            .collect()
    };
    let (before, now) = (rows(base), rows(doc));
    if let Some(g) = &r.max_growth {
        let (old, new) = (base.summary.estimated_bytes, doc.summary.estimated_bytes);
        let t = growth(old, new);
        out.push(result(
            format!("max_growth = {g} (total)"),
            t <= g.value,
            format!(
                "estimated memory went from {old} to {new} bytes ({:+.1}%)",
                t * 100.0
            ),
            (t > g.value) as u64,
            Vec::new(),
        ));
        let mut grown: Vec<Offender> = before
            .iter()
            .map(|(label, old)| (label, *old, now.get(label).copied().unwrap_or(0)))
            .filter(|(_, old, new)| growth(*old, *new) > g.value)
            .map(|(label, old, new)| Offender {
                db: None,
                key: label.clone(),
                bytes: new,
                detail: format!("{old} -> {new} bytes ({:+.1}%)", growth(old, new) * 100.0),
            })
            .collect();
        grown.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.key.cmp(&b.key)));
        let n = grown.len() as u64;
        grown.truncate(MAX_OFFENDERS);
        let rule = format!("max_growth = {g} (per prefix)");
        match &blind {
            Some(why) => out.push(result(rule, false, why.clone(), n, grown)),
            None => out.push(result(
                rule,
                n == 0,
                format!(
                    "{n} of the baseline's {} prefixes grew more than {g}",
                    before.len()
                ),
                n,
                grown,
            )),
        }
    }
    if let Some(m) = &r.max_new_prefix_bytes {
        let mut new: Vec<Offender> = now
            .iter()
            .filter(|(label, bytes)| !before.contains_key(*label) && **bytes > m.bytes)
            .map(|(label, bytes)| Offender {
                db: None,
                key: label.clone(),
                bytes: *bytes,
                detail: format!("new prefix, {bytes} bytes"),
            })
            .collect();
        // A new prefix under a new prefix is the same new memory: keep the
        // top-most (`tmp:*`, not also `tmp:*:blob`).
        new.sort_by(|a, b| {
            a.key
                .len()
                .cmp(&b.key.len())
                .then_with(|| a.key.cmp(&b.key))
        });
        let mut top_most: Vec<Offender> = Vec::new();
        for o in new {
            let under = top_most
                .iter()
                .any(|t| o.key.starts_with(t.key.strip_suffix('*').unwrap_or(&t.key)));
            if !under {
                top_most.push(o);
            }
        }
        let mut new = top_most;
        new.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.key.cmp(&b.key)));
        let n = new.len() as u64;
        new.truncate(MAX_OFFENDERS);
        let rule = format!("max_new_prefix_bytes = {m}");
        if let Some(why) = &blind {
            out.push(result(rule, false, why.clone(), n, new));
            return out;
        }
        out.push(result(
            rule,
            n == 0,
            format!(
                "{} not in the baseline {} more than {}",
                n_of(n, "prefix", "prefixes"),
                if n == 1 { "uses" } else { "use" },
                m.described()
            ),
            n,
            new,
        ));
    }
    out
}
