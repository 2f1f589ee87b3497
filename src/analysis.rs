//! The library entry point of the report commands: open the inputs, scan
//! each on all cores into the report accumulators (and the caller's own),
//! merge, name the expiry clusters (from what the scan kept, or by a
//! second walk when it could not keep it) and finish the [`ReportDoc`].

use std::sync::Arc;

use crate::input::Input;
use crate::report::doc::{FileDoc, MadeWith, ReportDoc};
use crate::report::expiry::Cluster;
use crate::report::finish::{NamedCluster, finish};
use crate::report::prefix::{LevelHints, PrefixConfig, PrefixStats, PrefixTree};
use crate::report::{Report, ReportConfig};
use crate::scan::Folded;
use crate::scan::parallel::{fold_file, pool, walk_keys};
use crate::scan::{Accumulator, ScanCheckpoint, ScanOptions};
use crate::{Error, Result};

/// Reports progress through one input: (file, bytes read, bytes in all).
pub type Progress<'p> = &'p (dyn Fn(&str, u64, u64) + Sync);

/// Everything a report run needs besides its inputs.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub scan: ScanOptions,
    pub report: ReportConfig,
    /// Worker threads (0: one per core). The output is the same for any.
    pub threads: usize,
    /// Inputs scanned at once (live servers: their saves overlap); at
    /// least 1. The output is the same for any.
    pub parallel_inputs: usize,
    /// Recorded in the document (what must match to compare two).
    pub made_with: MadeWith,
    /// Per input, in order: the slots its node serves (`--cluster-nodes`),
    /// to count the keys it holds outside them.
    pub served: Vec<crate::cluster::SlotSet>,
    /// Put the accumulators in the document (`report --mergeable`).
    pub mergeable: bool,
}

/// One scanned input, before merging.
struct Scanned {
    file: FileDoc,
    identity: Option<(u64, u64)>,
    checkpoints: Vec<ScanCheckpoint>,
    /// Keys expiring before it are expired, in no expiry cluster.
    ctime_ms: Option<i64>,
}

impl Analysis {
    /// Reads `inputs` (dumps, `-`, compressed dumps, AOF files or
    /// directories) and returns the merged report.
    pub fn run(&self, inputs: &[String], progress: Option<Progress<'_>>) -> Result<ReportDoc> {
        Ok(self.run_with(inputs, progress, || ())?.0)
    }

    /// Like [`Analysis::run`], folding every key into a second accumulator
    /// of the caller's in the same scan (e.g. `check`'s per-key rules).
    pub fn run_with<X: Accumulator>(
        &self,
        inputs: &[String],
        progress: Option<Progress<'_>>,
        init: impl Fn() -> X + Sync + Send,
    ) -> Result<(ReportDoc, X)> {
        let mut opened = Vec::with_capacity(inputs.len());
        for name in inputs {
            let input = Input::open(name).map_err(|e| Error::from(e).in_file(name))?;
            opened.push((name.clone(), input));
        }
        self.run_opened(&opened, progress, init)
    }

    /// Like [`Analysis::run_with`], over inputs already opened (named).
    pub fn run_opened<X: Accumulator>(
        &self,
        opened: &[(String, Input)],
        progress: Option<Progress<'_>>,
        init: impl Fn() -> X + Sync + Send,
    ) -> Result<(ReportDoc, X)> {
        let hints = LevelHints::new(&self.report.prefixes);
        if let Some(done) = self.run_pass(opened, progress, &init, Some(&hints))? {
            return Ok(done);
        }
        // A hint from a range thrown away dropped a depth of the prefix
        // tree that the whole input keeps: again, without hints.
        self.run_pass(opened, progress, &init, None)?
            .ok_or_else(|| Error::invalid("prefix tree misled without hints"))
    }

    /// One pass over the inputs; `None` if the prefix tree was misled by
    /// `hints` ([`PrefixTree::misled`]).
    fn run_pass<X: Accumulator>(
        &self,
        opened: &[(String, Input)],
        progress: Option<Progress<'_>>,
        init: &(impl Fn() -> X + Sync + Send),
        hints: Option<&Arc<LevelHints>>,
    ) -> Result<Option<(ReportDoc, X)>> {
        let pool = pool(self.threads)
            .map_err(|e| Error::invalid(format!("cannot start worker threads: {e}")))?;
        let new_report = || Report::with_hints(self.report.clone(), hints);
        let mut merged = (new_report(), init());
        let mut scanned = Vec::with_capacity(opened.len());
        let mut copies = crate::scan::Copies::default();
        let fold_one = |(name, input): &(String, Input)| {
            let data = input.feed();
            // A stream's length is what has arrived so far.
            let tick = |pos: u64| {
                if let Some(p) = progress {
                    p(name, pos, data.len_hint());
                }
            };
            let tick: Option<&(dyn Fn(u64) + Sync)> = progress.is_some().then_some(&tick as _);
            pool.install(|| fold_file(data, &self.scan, tick, || (new_report(), init())))
                .map_err(|e| Error::from(e).in_file(name))
        };
        let group = self.parallel_inputs.max(1);
        let mut folds = Vec::new();
        for (i, (name, input)) in opened.iter().enumerate() {
            if i % group == 0 {
                // The next inputs, scanned at once; used in file order.
                let next = &opened[i..(i + group).min(opened.len())];
                folds = if next.len() == 1 {
                    vec![fold_one(&next[0])]
                } else {
                    std::thread::scope(|s| {
                        let runs: Vec<_> = next.iter().map(|x| s.spawn(|| fold_one(x))).collect();
                        runs.into_iter()
                            .map(|r| {
                                r.join().unwrap_or_else(|_| {
                                    Err(Error::invalid("a scan thread stopped"))
                                })
                            })
                            .collect()
                    })
                };
                folds.reverse();
            }
            let Folded {
                acc,
                facts,
                checkpoints,
            } = folds
                .pop()
                .unwrap_or_else(|| Err(Error::invalid("no scan")))?;
            let t = facts.target.as_ref();
            let producer = facts.producer();
            let copy_of = copies.of(&facts, name);
            let identity = facts.identity();
            scanned.push(Scanned {
                identity,
                file: FileDoc {
                    file: name.to_string(),
                    rdb_version: facts.rdb_version,
                    family: facts.family_str().to_string(),
                    producer: producer.as_ref().map(|p| p.0.to_string()),
                    producer_version: producer.map(|p| p.1),
                    ctime: facts.ctime_s(),
                    used_mem: facts.used_mem,
                    keys: acc.0.summary.keys.keys,
                    estimated_bytes: acc.0.summary.keys.bytes,
                    profile: t.map(|t| t.target.describe()),
                    profile_reason: t.map(|t| t.reason.clone()),
                    warnings: facts
                        .warnings
                        .iter()
                        .cloned()
                        .chain(t.and_then(|t| t.warning.clone()))
                        .chain(input.notes.iter().cloned())
                        .chain(
                            (facts.more_warnings > 0)
                                .then(|| format!("{} more warnings", facts.more_warnings)),
                        )
                        // Last: `merge` adds it to a file's warnings as well.
                        .chain(copy_of.map(|other| crate::scan::copy_warning(&other)))
                        .collect(),
                    // Only for the whole dump: a filtered one is no server's.
                    used_memory: t
                        .filter(|_| self.made_with.filters.is_empty())
                        .map(|t| used_memory(&t.target, &acc.0.summary)),
                    unserved: self
                        .served
                        .get(i)
                        .zip(acc.0.slots.as_ref())
                        .map(|(set, slots)| slots.outside(set).into()),
                },
                checkpoints,
                ctime_ms: facts.ctime_ms,
            });
            merged.merge(acc);
        }
        let (mut report, extra) = merged;
        if report.prefixes.as_ref().is_some_and(|t| t.misled()) {
            return Ok(None);
        }
        let top = self.report.top.min(10);
        let clusters = match &report.expiry {
            Some(e) if let Some(named) = e.named_clusters(100, top) => named,
            // A live source is not read twice: its bytes are freed as read.
            Some(e) if opened.iter().any(|(_, i)| !i.rereadable()) => {
                let clusters = e.clusters(100, top);
                if !clusters.is_empty()
                    && let Some(s) = scanned
                        .iter_mut()
                        .zip(opened)
                        .find_map(|(s, (_, i))| (!i.rereadable()).then_some(s))
                {
                    s.file.warnings.push(
                        "the expiry clusters are not named: the keys behind them were too many \
                         to keep, and a live source is not read twice (--save-to FILE, then a \
                         report of FILE names them)"
                            .into(),
                    );
                }
                clusters.into_iter().map(|c| (c, Vec::new())).collect()
            }
            Some(e) => {
                let clusters = e.clusters(100, top);
                let files = opened
                    .iter()
                    .zip(&scanned)
                    .map(|((_, i), s)| (i.rdb(), s.checkpoints.as_slice(), s.ctime_ms));
                pool.install(|| self.name_clusters(clusters, files))
                    .map_err(Error::from)?
            }
            None => Vec::new(),
        };
        // On the pool too: the doctor's sample is priced in parallel.
        let state = self.mergeable.then(|| {
            pool.install(|| {
                report.price_samples();
                crate::report::state::StateDoc {
                    dumps: scanned.iter().map(|s| s.identity).collect(),
                    ..report.state()
                }
            })
        });
        let files = scanned.into_iter().map(|s| s.file).collect();
        let mut doc = pool.install(|| finish(report, files, clusters, self.made_with.clone()));
        doc.state = state;
        Ok(Some((doc, extra)))
    }

    /// The top-level prefixes of the keys behind each expiry cluster, from
    /// a second, shallow walk over the files (split where the scan split
    /// them): only when the scan could not keep them (see
    /// `report::slot_labels`).
    fn name_clusters<'d>(
        &self,
        clusters: Vec<Cluster>,
        files: impl Iterator<Item = (&'d [u8], &'d [ScanCheckpoint], Option<i64>)>,
    ) -> std::result::Result<Vec<NamedCluster>, crate::rdb::Error> {
        if clusters.is_empty() {
            return Ok(Vec::new());
        }
        let cfg = PrefixConfig {
            depth: 1,
            ..self.report.prefixes.clone()
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
        let merge = |a: &mut Vec<PrefixTree>, b: Vec<PrefixTree>| {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        };
        let mut trees = new_trees();
        for (data, checkpoints, ctime_ms) in files {
            // As the scan counted them: not the keys expired at the dump's time.
            let live = |at: &i64| ctime_ms.is_none_or(|now| *at >= now);
            let t = walk_keys(
                data,
                &self.scan,
                checkpoints,
                new_trees,
                |expire| {
                    expire
                        .filter(live)
                        .is_some_and(|at| clusters.iter().any(|c| c.contains(at)))
                },
                |trees: &mut Vec<PrefixTree>, _db, key, expire| {
                    let Some(at) = expire.filter(live) else {
                        return;
                    };
                    for (c, t) in clusters.iter().zip(trees.iter_mut()) {
                        if c.contains(at) {
                            t.add(key, &one);
                        }
                    }
                },
                merge,
            )?;
            merge(&mut trees, t);
        }
        Ok(clusters
            .into_iter()
            .zip(trees)
            .map(|(c, t)| (c, t.first_level_by_keys(3)))
            .collect())
    }
}

/// One file's predicted `used_memory`, from its summary.
fn used_memory(
    target: &crate::memory::Target,
    s: &crate::report::Summary,
) -> crate::memory::used::UsedMemoryDoc {
    use crate::memory::used::{DbCounts, predict};
    let expires: std::collections::BTreeMap<u64, u64> = s
        .expires_by_db
        .sorted()
        .into_iter()
        .map(|(db, t)| (db, t.keys))
        .collect();
    let dbs = s.by_db.sorted().into_iter().map(|(db, t)| DbCounts {
        keys: t.keys,
        expires: expires.get(&db).copied().unwrap_or(0),
    });
    predict(target, dbs, s.keys.bytes, s.alloc_delta)
}
