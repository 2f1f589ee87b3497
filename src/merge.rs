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
    let Some((first_name, first)) = docs.next() else {
        return Err(Error::invalid("merge: no reports given"));
    };
    let mut notes = Vec::new();
    let mut files = first.files.clone();
    let mut report = reading(&first_name, &first)?;
    for (name, doc) in docs {
        let unlike = unlike(&first, &doc);
        if !unlike.is_empty() {
            return Err(Error::invalid(format!(
                "{name} was made with other settings than {first_name} ({}); make both again \
                 with the same options",
                unlike.join("; ")
            )));
        }
        let r = reading(&name, &doc)?;
        totals_fit(&report, &r).map_err(|e| Error::invalid(format!("{name}: {e}")))?;
        report.merge(r);
        files.extend(doc.files);
    }
    for (i, f) in files.iter().enumerate() {
        if files[..i].contains(f) {
            notes.push(format!(
                "{} is in two of the reports (the same dump, read the same way): its keys are \
                 counted twice",
                f.file
            ));
        }
    }
    let top = report.config().top.min(10);
    let clusters = match &report.expiry {
        Some(e) => match e.named_clusters(100, top) {
            Some(named) => named,
            None => {
                let clusters = e.clusters(100, top);
                if !clusters.is_empty() {
                    notes.push(
                        "the expiry clusters are not named: a dump had more distinct (expiry \
                         second, prefix) pairs than a state keeps; `rdbscope report` over the \
                         dumps names them"
                            .into(),
                    );
                }
                clusters.into_iter().map(|c| (c, Vec::new())).collect()
            }
        },
        None => Vec::new(),
    };
    let state = mergeable.then(|| report.state());
    let mut doc = finish(report, files, clusters, first.made_with.clone());
    doc.state = state;
    Ok(Merged { doc, notes })
}

/// The accumulators of one document.
fn reading(name: &str, doc: &ReportDoc) -> Result<Report> {
    let Some(state) = doc.state.clone() else {
        return Err(Error::invalid(format!(
            "{name}: no state to merge; make it with `rdbscope report --format json --mergeable`"
        )));
    };
    let r = Report::from_state(state).map_err(|e| Error::invalid(format!("{name}: state: {e}")))?;
    let total: u64 = doc.files.iter().map(|f| f.keys).sum();
    if total != r.summary.keys.keys || doc.summary.keys != total {
        return Err(Error::invalid(format!(
            "{name}: its files hold {total} keys, its summary {} and its state {}",
            doc.summary.keys, r.summary.keys.keys
        )));
    }
    Ok(r)
}

/// Whether two reports' totals can be added (every other count of a state
/// is at most its totals, so nothing else can overflow).
fn totals_fit(a: &Report, b: &Report) -> std::result::Result<(), String> {
    let (x, y) = (&a.summary, &b.summary);
    let fits = x.keys.keys.checked_add(y.keys.keys).is_some()
        && x.keys.bytes.checked_add(y.keys.bytes).is_some()
        && x.rdb_bytes.checked_add(y.rdb_bytes).is_some()
        && x.bound.checked_add(y.bound).is_some()
        && x.alloc_delta.checked_add(y.alloc_delta).is_some();
    if fits {
        Ok(())
    } else {
        Err("the totals overflow".into())
    }
}

/// What differs between how two documents were made.
fn unlike(a: &ReportDoc, b: &ReportDoc) -> Vec<String> {
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
            "rdbscope {} vs {}",
            a.rdbscope_version, b.rdbscope_version
        ));
    }
    if let (Some(x), Some(y)) = (&a.state, &b.state)
        && x.config != y.config
    {
        out.push(
            "report sections or doctor settings (e.g. --no-doctor, --slots, --maxmemory)".into(),
        );
    }
    out
}
