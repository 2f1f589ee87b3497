//! `check`: rules over a dump that a CI job can gate on. Per-key rules fold
//! into a bounded accumulator during the parallel scan (counts plus the
//! worst offenders); whole-dump rules read the finished report.

pub mod rules;

use regex::bytes::Regex;
use serde_json::Value;

use crate::escape::escape;
use crate::filter::glob;
use crate::report::topn::TopN;
use crate::report::{KeyFacts, RankedKey, Report, ranked};
use rules::Rules;

/// Offenders listed per rule (the count covers all of them).
pub const MAX_OFFENDERS: usize = 10;

/// Compiled rules: globs and the baseline's prefixes.
#[derive(Debug)]
pub struct Compiled {
    pub rules: Rules,
    require_ttl: Vec<Regex>,
    prefix_bytes: Vec<(String, Regex, u64)>,
    encodings: Vec<(String, Regex, Vec<String>)>,
    /// Baseline prefixes of the top level: (label, bytes before).
    baseline_prefixes: Vec<(String, u64)>,
    baseline_bytes: Option<u64>,
}

impl Compiled {
    /// `baseline`: the parsed baseline report, when the rules name one.
    pub fn new(rules: Rules, baseline: Option<&Value>) -> Result<Compiled, String> {
        let g = |p: &str| glob(p);
        let require_ttl = rules
            .require_ttl
            .iter()
            .map(|p| g(p))
            .collect::<Result<_, _>>()?;
        let prefix_bytes = rules
            .max_prefix_bytes
            .iter()
            .map(|(p, s)| Ok((p.clone(), g(p)?, s.0)))
            .collect::<Result<_, String>>()?;
        let encodings = rules
            .allowed_encodings
            .iter()
            .map(|(p, e)| Ok((p.clone(), g(p)?, e.clone())))
            .collect::<Result<_, String>>()?;
        let mut baseline_prefixes = Vec::new();
        let mut baseline_bytes = None;
        if let Some(b) = baseline {
            baseline_bytes = Some(
                b["summary"]["estimated_bytes"]
                    .as_u64()
                    .ok_or("the baseline is not an `rdbscope report --format json` file (no summary.estimated_bytes)")?,
            );
            for row in b["prefixes"].as_array().into_iter().flatten() {
                let (Some(label), Some(bytes)) = (row["prefix"].as_str(), row["bytes"].as_u64())
                else {
                    continue;
                };
                if row["depth"].as_u64().is_some_and(|d| d > 1) {
                    continue;
                }
                baseline_prefixes.push((label.to_string(), bytes));
            }
        }
        Ok(Compiled {
            rules,
            require_ttl,
            prefix_bytes,
            encodings,
            baseline_prefixes,
            baseline_bytes,
        })
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

/// Per-key rule state, merged across workers.
#[derive(Clone, Debug, Default)]
pub struct CheckAcc {
    big: Offenders,
    many: Offenders,
    no_ttl: Vec<Offenders>,
    prefix_bytes: Vec<u64>,
    encodings: Vec<Offenders>,
}

impl CheckAcc {
    /// `listed`: offenders named per rule (the count covers all of them).
    pub fn new(c: &Compiled, listed: usize) -> CheckAcc {
        let o = Offenders::new(listed);
        CheckAcc {
            big: o.clone(),
            many: o.clone(),
            no_ttl: vec![o.clone(); c.require_ttl.len()],
            prefix_bytes: vec![0; c.prefix_bytes.len()],
            encodings: vec![o; c.encodings.len()],
        }
    }

    pub fn add(&mut self, c: &Compiled, f: &KeyFacts<'_>) {
        if c.rules.max_key_bytes.is_some_and(|m| f.bytes > m.0) {
            self.big.add(f, f.bytes);
        }
        if f.type_name != "string" && c.rules.max_elements.is_some_and(|m| f.elements > m) {
            self.many.add(f, f.elements);
        }
        if f.expire_at_ms.is_none() {
            for (o, re) in self.no_ttl.iter_mut().zip(&c.require_ttl) {
                if re.is_match(f.key) {
                    o.add(f, f.bytes);
                }
            }
        }
        for (b, (_, re, _)) in self.prefix_bytes.iter_mut().zip(&c.prefix_bytes) {
            if re.is_match(f.key) {
                *b += f.bytes;
            }
        }
        for (o, (_, re, allowed)) in self.encodings.iter_mut().zip(&c.encodings) {
            if re.is_match(f.key) && !allowed.iter().any(|e| e == f.encoding) {
                o.add(f, f.bytes);
            }
        }
    }

    pub fn merge(&mut self, o: CheckAcc) {
        self.big.merge(o.big);
        self.many.merge(o.many);
        for (a, b) in self.no_ttl.iter_mut().zip(o.no_ttl) {
            a.merge(b);
        }
        for (a, b) in self.prefix_bytes.iter_mut().zip(o.prefix_bytes) {
            *a += b;
        }
        for (a, b) in self.encodings.iter_mut().zip(o.encodings) {
            a.merge(b);
        }
    }
}

/// A key named by a failing rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offender {
    pub db: u64,
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
            db: k.db,
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

/// `0.1` → `10` (no float noise such as 10.000000000000002).
fn pct_text(share: f64) -> String {
    format!("{}", (share * 100.0 * 1e6).round() / 1e6)
}

/// Evaluates every rule.
pub fn evaluate(c: &Compiled, report: &Report, acc: &CheckAcc) -> Vec<RuleResult> {
    let r = &c.rules;
    let mut out = Vec::new();
    let total = report.keys.bytes;
    if let Some(m) = r.max_key_bytes {
        let n = acc.big.count;
        out.push(result(
            format!("max_key_bytes = {}", m.0),
            n == 0,
            format!("{n} keys use more than {} bytes", m.0),
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
            format!("{n} keys hold more than {m} elements"),
            n,
            offenders(&acc.many, |k| {
                format!("{} elements ({})", k.elements, k.type_name)
            }),
        ));
    }
    for (g, o) in r.require_ttl.iter().zip(&acc.no_ttl) {
        out.push(result(
            format!("require_ttl {g:?}"),
            o.count == 0,
            format!("{} keys matching {g:?} have no TTL", o.count),
            o.count,
            offenders(o, |k| format!("{} bytes, no TTL", k.bytes)),
        ));
    }
    for ((g, _, max), bytes) in c.prefix_bytes.iter().zip(&acc.prefix_bytes) {
        out.push(result(
            format!("max_prefix_bytes {g:?} = {max}"),
            *bytes <= *max,
            format!("keys matching {g:?} use {bytes} bytes (limit {max})"),
            (*bytes > *max) as u64,
            Vec::new(),
        ));
    }
    if let Some(m) = r.max_no_ttl_share {
        let share = if total == 0 {
            0.0
        } else {
            report.expiry.no_ttl.bytes as f64 / total as f64
        };
        out.push(result(
            format!("max_no_ttl_share = {}", m.0),
            share <= m.0,
            format!(
                "{:.1}% of estimated memory ({} of {} bytes, {} keys) has no TTL (limit {:.1}%)",
                share * 100.0,
                report.expiry.no_ttl.bytes,
                total,
                report.expiry.no_ttl.keys,
                m.0 * 100.0
            ),
            (share > m.0) as u64,
            Vec::new(),
        ));
    }
    if let Some(m) = r.max_expiry_cluster_keys {
        let worst = report.expiry.busiest();
        let (keys, at) = worst.map(|(at, c)| (c.keys, at)).unwrap_or((0, 0));
        let unit = if report.expiry.is_coarse() {
            "minute"
        } else {
            "second"
        };
        out.push(result(
            format!("max_expiry_cluster_keys = {m}"),
            keys <= m,
            if keys == 0 {
                "no keys with a TTL".into()
            } else {
                format!(
                    "at most {keys} keys expire within the same {unit} ({}; limit {m})",
                    crate::output::keys::rfc3339_ms(at)
                )
            },
            (keys > m) as u64,
            Vec::new(),
        ));
    }
    if let (Some(g), Some(before)) = (r.max_growth, c.baseline_bytes) {
        let growth = |old: u64, new: u64| {
            if old == 0 {
                if new == 0 { 0.0 } else { f64::INFINITY }
            } else {
                new as f64 / old as f64 - 1.0
            }
        };
        let t = growth(before, total);
        out.push(result(
            format!("max_growth = {}% (total)", pct_text(g.0)),
            t <= g.0,
            format!(
                "estimated memory went from {before} to {total} bytes ({:+.1}%)",
                t * 100.0
            ),
            (t > g.0) as u64,
            Vec::new(),
        ));
        let now = report.prefixes.label_totals(1);
        let now_bytes = |label: &str| {
            now.iter()
                .find(|(l, _)| escape(l) == label)
                .map(|(_, st)| st.bytes)
                .unwrap_or(0)
        };
        let mut grown: Vec<Offender> = c
            .baseline_prefixes
            .iter()
            .map(|(label, old)| (label, old, now_bytes(label)))
            .filter(|(_, old, new)| growth(**old, *new) > g.0)
            .map(|(label, old, new)| Offender {
                db: 0,
                key: label.clone(),
                bytes: new,
                detail: format!("{old} -> {new} bytes ({:+.1}%)", growth(*old, new) * 100.0),
            })
            .collect();
        grown.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.key.cmp(&b.key)));
        let n = grown.len() as u64;
        grown.truncate(MAX_OFFENDERS);
        out.push(result(
            format!("max_growth = {}% (per prefix)", pct_text(g.0)),
            n == 0,
            format!(
                "{n} of the baseline's {} prefixes grew more than {}%",
                c.baseline_prefixes.len(),
                pct_text(g.0)
            ),
            n,
            grown,
        ));
    }
    for ((g, _, allowed), o) in c.encodings.iter().zip(&acc.encodings) {
        out.push(result(
            format!("allowed_encodings {g:?} = {allowed:?}"),
            o.count == 0,
            format!("{} keys matching {g:?} have another encoding", o.count),
            o.count,
            offenders(o, |k| format!("{}/{}", k.type_name, k.encoding)),
        ));
    }
    out
}
