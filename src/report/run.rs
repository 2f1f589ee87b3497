//! Running the reports over files: the scan, the merge across files and the
//! second pass that names the prefixes behind each expiry cluster.

use super::expiry::Cluster;
use super::prefix::{PrefixConfig, PrefixStats, PrefixTree};
use super::{Report, ReportConfig};
use crate::engine::{self, FileFacts};
use crate::filter::KeyFilter;
use crate::keys::TargetChoice;
use crate::rdb;

/// One scanned file.
#[derive(Clone, Debug)]
pub struct FileResult {
    pub name: String,
    pub facts: FileFacts,
    pub keys: u64,
    pub bytes: u64,
}

/// An expiry cluster with the prefixes of its keys (prefix, keys), most first.
pub type NamedCluster = (Cluster, Vec<(Vec<u8>, u64)>);

/// The merged result over all files.
pub struct Finished {
    pub report: Report,
    pub files: Vec<FileResult>,
    pub clusters: Vec<NamedCluster>,
}

/// Scans one file into a report.
pub fn scan_file(
    data: &[u8],
    cfg: &ReportConfig,
    choice: &TargetChoice,
    filter: &KeyFilter,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Result<(Report, FileFacts), rdb::Error> {
    let ((r, ()), facts) = scan_file_with(
        data,
        cfg,
        choice,
        filter,
        progress,
        || (),
        |_, _| {},
        |_, _| (),
    )?;
    Ok((r, facts))
}

/// Scans one file into a report and a second accumulator of the caller's
/// (e.g. `check`'s per-key rules), in the same pass.
#[allow(clippy::too_many_arguments)]
pub fn scan_file_with<X, I, F, M>(
    data: &[u8],
    cfg: &ReportConfig,
    choice: &TargetChoice,
    filter: &KeyFilter,
    progress: Option<&(dyn Fn(u64) + Sync)>,
    init: I,
    fold: F,
    merge: M,
) -> Result<((Report, X), FileFacts), rdb::Error>
where
    X: Send,
    I: Fn() -> X + Sync + Send,
    F: Fn(&mut X, &super::KeyFacts<'_>) + Sync + Send,
    M: Fn(&mut X, X) + Sync + Send,
{
    engine::scan(
        data,
        cfg.detail,
        choice,
        filter,
        progress,
        || (Report::new(cfg.clone()), init()),
        |(r, x), f| {
            r.add(f);
            fold(x, f);
        },
        |(mut a, mut x), (b, y)| {
            a.merge(b);
            merge(&mut x, y);
            (a, x)
        },
    )
}

/// Expiry clusters with the prefixes of the keys behind them, found by a
/// second, shallow pass over the files (data and the first scan's facts).
pub fn name_clusters<'d>(
    report: &Report,
    files: impl Iterator<Item = (&'d [u8], &'d FileFacts)>,
    filter: &KeyFilter,
    top: usize,
) -> Result<Vec<NamedCluster>, rdb::Error> {
    let clusters = report.expiry.clusters(100, top.min(10));
    if clusters.is_empty() {
        return Ok(Vec::new());
    }
    let cfg = PrefixConfig {
        depth: 2,
        ..report.config().prefixes.clone()
    };
    let new_trees = || -> Vec<PrefixTree> {
        clusters
            .iter()
            .map(|_| PrefixTree::new(cfg.clone()))
            .collect()
    };
    let one = PrefixStats {
        keys: 1,
        ..Default::default()
    };
    let merge = |mut a: Vec<PrefixTree>, b: Vec<PrefixTree>| {
        for (x, y) in a.iter_mut().zip(b) {
            x.merge(y);
        }
        a
    };
    let mut trees = new_trees();
    for (data, facts) in files {
        let t = engine::walk_keys(
            data,
            &facts.checkpoints,
            new_trees,
            |trees: &mut Vec<PrefixTree>, db, key, expire| {
                let Some(at) = expire else { return };
                if !filter.accepts_record(db, key, expire) {
                    return;
                }
                for (c, t) in clusters.iter().zip(trees.iter_mut()) {
                    if at >= c.at_ms && at < c.at_ms + c.width_ms {
                        t.add(key, &one);
                    }
                }
            },
            merge,
        )?;
        trees = merge(trees, t);
    }
    Ok(clusters
        .into_iter()
        .zip(trees)
        .map(|(c, t)| {
            let mut rows: Vec<(Vec<u8>, u64)> = t
                .rows_by(usize::MAX, |s| s.keys)
                .into_iter()
                .filter(|r| r.depth == 1)
                .map(|r| (r.prefix, r.stats.keys))
                .collect();
            rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            rows.truncate(3);
            (c, rows)
        })
        .collect())
}
