//! `merge`: reports made with `--mergeable` (one per dump, node or
//! executor) folded into the report one run over all their dumps gives.
//! The accumulators merge exactly and in any order (see
//! [`crate::scan::Accumulator`]), so any grouping gives the same document.

use crate::report::Report;
use crate::report::doc::ReportDoc;
use crate::report::finish::finish;
use crate::scan::Accumulator;
use crate::{Error, Result};

/// The merged report, and what the caller should tell the user.
pub struct Merged {
    pub doc: ReportDoc,
    pub notes: Vec<String>,
}

/// Merges `docs` (each named, for errors) in order: the files are listed
/// in that order. With `mergeable`, the result carries its state too, so
/// merges can be merged again.
pub fn merge(docs: Vec<(String, ReportDoc)>, mergeable: bool) -> Result<Merged> {
    let mut docs = docs.into_iter();
    let Some((first_name, mut first)) = docs.next() else {
        return Err(Error::invalid("merge: no reports given"));
    };
    let mut notes = Vec::new();
    let mut files = first.files.clone();
    // Kept to compare with the others: the states themselves are moved
    // out of their documents (they may be hundreds of MB).
    let first_config = first.state.as_ref().map(|s| s.config.clone());
    let (r, mut dumps) = reading(&first_name, &mut first)?;
    let mut reports = vec![r];
    let mut totals = reports[0].summary.keys;
    for (name, mut doc) in docs {
        let unlike = unlike(&first, first_config.as_ref(), &doc);
        if !unlike.is_empty() {
            return Err(Error::invalid(format!(
                "{name} was made with other settings than {first_name} ({}); make both again \
                 with the same options",
                unlike.join("; ")
            )));
        }
        let (r, d) = reading(&name, &mut doc)?;
        dumps.extend(d);
        totals = totals_fit(totals, &r).map_err(|e| Error::invalid(format!("{name}: {e}")))?;
        reports.push(r);
        files.extend(doc.files);
    }
    // In pairs, each left of its right, until one is left: a merge costs
    // what both hold, so a left fold over n reports would cost n² (the
    // expiry labels). The order stays the files' order.
    while reports.len() > 1 {
        let mut next = Vec::with_capacity(reports.len().div_ceil(2));
        let mut it = reports.into_iter();
        while let Some(mut a) = it.next() {
            if let Some(b) = it.next() {
                a.merge(b);
            }
            next.push(a);
        }
        reports = next;
    }
    let Some(report) = reports.pop() else {
        return Err(Error::invalid("merge: no reports given"));
    };
    // The same dump in two reports: said as `report` says it of a dump
    // given twice (a report names its own copies already).
    // Each report told its own copies; all are told again over all files.
    let mut copies = crate::scan::Copies::default();
    for (f, id) in files.iter_mut().zip(&dumps) {
        let mine = id.and_then(|id| copies.seen(id, &f.file));
        if let Some(w) = f.warnings.last()
            && crate::scan::is_copy_warning(w)
        {
            f.warnings.pop();
        }
        if let Some(other) = mine {
            let w = crate::scan::copy_warning(&other);
            notes.push(format!("{}: {w}", f.file));
            f.warnings.push(w);
        }
    }
    if files.iter().any(|f| f.unserved.is_some()) && files.iter().any(|f| f.unserved.is_none()) {
        return Err(Error::invalid(
            "some reports were made with --cluster-nodes and some without: make them again \
             all with it, or all without",
        ));
    }
    let top = report.config().top.min(10);
    let clusters = match &report.expiry {
        Some(e) => match e.named_clusters(100, top) {
            Some(named) => named,
            None => {
                let clusters = e.clusters(100, top);
                if !clusters.is_empty() {
                    notes.push(
                        "the expiry clusters are not named: the reports hold more distinct first \
                         key segments behind their expiry seconds (65,536), or (second, segment) \
                         pairs (2 M in a report, 33 M merged), than a state keeps; `rdbscope \
                         report` over the dumps names them"
                            .into(),
                    );
                }
                clusters.into_iter().map(|c| (c, Vec::new())).collect()
            }
        },
        None => Vec::new(),
    };
    let state = mergeable.then(|| crate::report::state::StateDoc {
        dumps,
        ..report.state()
    });
    let mut doc = finish(report, files, clusters, first.made_with.clone());
    doc.state = state;
    Ok(Merged { doc, notes })
}

/// The identities of a document's dumps (one per file).
type Dumps = Vec<Option<(u64, u64)>>;

/// The accumulators of one document and its dumps' identities, its state
/// moved out of it.
fn reading(name: &str, doc: &mut ReportDoc) -> Result<(Report, Dumps)> {
    let Some(mut state) = doc.state.take() else {
        return Err(Error::invalid(format!(
            "{name}: no state to merge; make it with `rdbscope report --format json \
             --mergeable` (or `rdbscope merge --format json --mergeable`)"
        )));
    };
    let dumps = std::mem::take(&mut state.dumps);
    if dumps.len() != doc.files.len() {
        return Err(Error::invalid(format!(
            "{name}: state: {} dump identities for {} files",
            dumps.len(),
            doc.files.len()
        )));
    }
    let r = Report::from_state(state).map_err(|e| Error::invalid(format!("{name}: state: {e}")))?;
    let add = |f: fn(&crate::report::doc::FileDoc) -> u64| {
        doc.files.iter().try_fold(0u64, |s, x| s.checked_add(f(x)))
    };
    let (keys, bytes) = (add(|f| f.keys), add(|f| f.estimated_bytes));
    let state = (r.summary.keys.keys, r.summary.keys.bytes);
    if (keys, bytes) != (Some(state.0), Some(state.1))
        || (doc.summary.keys, doc.summary.estimated_bytes) != state
    {
        return Err(Error::invalid(format!(
            "{name}: its files, its summary and its state count other keys and bytes \
             ({keys:?}/{bytes:?}, {}/{}, {}/{})",
            doc.summary.keys, doc.summary.estimated_bytes, state.0, state.1
        )));
    }
    let (m, c) = (&doc.made_with, r.config());
    let p = &c.prefixes;
    if m.top != c.top
        || m.depth != p.depth
        || m.generalize != p.generalize
        || m.delimiters != crate::escape::escape(&p.delimiters)
    {
        return Err(Error::invalid(format!(
            "{name}: made_with and the state's settings differ"
        )));
    }
    Ok((r, dumps))
}

/// Whether two reports' totals can be added (every other count of a state
/// is at most its totals, so nothing else can overflow).
fn totals_fit(
    sum: crate::report::Tally,
    b: &Report,
) -> std::result::Result<crate::report::Tally, String> {
    use crate::report::state::{MAX_BYTES, MAX_KEYS};
    let y = b.summary.keys;
    let under = |a: u64, b: u64, max: u64| a.checked_add(b).filter(|s| *s <= max);
    match (
        under(sum.keys, y.keys, MAX_KEYS),
        under(sum.bytes, y.bytes, MAX_BYTES),
    ) {
        (Some(keys), Some(bytes)) => Ok(crate::report::Tally { keys, bytes }),
        _ => Err("the totals pass what any fleet holds (2^48 keys, 64 PiB)".into()),
    }
}

/// What differs between how two documents were made.
/// (`a_config`: `a`'s state's settings, its state being moved out.)
fn unlike(
    a: &ReportDoc,
    a_config: Option<&crate::report::state::ConfigState>,
    b: &ReportDoc,
) -> Vec<String> {
    let mut out = crate::diff::mismatches(a, b)
        .into_iter()
        // Each dump's own server is a profile per file; merged, they are listed.
        .filter(|m| !m.starts_with("profile:"))
        .collect::<Vec<_>>();
    if a.made_with.top != b.made_with.top {
        out.push(format!("--top: {} vs {}", a.made_with.top, b.made_with.top));
    }
    if a.rdbscope_version != b.rdbscope_version {
        out.push(format!(
            "rdbscope version {} vs {}",
            a.rdbscope_version, b.rdbscope_version
        ));
    }
    if let (Some(x), Some(y)) = (a_config, &b.state) {
        let more = config_differences(x, &y.config);
        if more.is_empty() && *x != y.config && out.is_empty() {
            out.push("other report settings".into());
        }
        out.extend(more);
    }
    out
}

/// The options behind two states' settings that differ (those `made_with`
/// shows are left to it).
fn config_differences(
    a: &crate::report::state::ConfigState,
    b: &crate::report::state::ConfigState,
) -> Vec<String> {
    let mut out = Vec::new();
    let on = |b: bool| if b { "on" } else { "off" };
    let (x, y) = (&a.sections, &b.sections);
    if x.doctor != y.doctor {
        out.push(format!(
            "--no-doctor: {} vs {}",
            on(!x.doctor),
            on(!y.doctor)
        ));
    }
    if x.slots != y.slots {
        out.push(format!("--slots: {} vs {}", on(x.slots), on(y.slots)));
    }
    let (x, y) = (&a.doctor, &b.doctor);
    if x.maxmemory != y.maxmemory {
        let m = |v: Option<u64>| v.map_or("(none)".into(), |v| v.to_string());
        out.push(format!(
            "--maxmemory: {} vs {}",
            m(x.maxmemory),
            m(y.maxmemory)
        ));
    }
    if (a.max_children, a.max_level_prefixes) != (b.max_children, b.max_level_prefixes) {
        out.push("prefix tree caps".into());
    }
    out
}
