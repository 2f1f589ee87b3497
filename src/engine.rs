//! The parallel scan behind the reports: one thread walks the records
//! (values are length-prefixed, so finding their ends is cheap), rayon
//! workers decode, estimate and fold them into per-worker accumulators,
//! which are merged at the end. Accumulators merge order-free, so the
//! result is the same for any number of threads.

use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::filter::KeyFilter;
use crate::keys::{ResolvedTarget, TargetChoice};
use crate::memory::{Detail, estimate_with};
use crate::rdb::{self, KeyRecord, Parser, RdbStr, Record, Scratch, Template};
use crate::report::KeyFacts;

/// Facts about one scanned file, beside the accumulated result.
#[derive(Clone, Debug, Default)]
pub struct FileFacts {
    pub rdb_version: u32,
    pub family: &'static str,
    pub producer: Option<(String, String)>,
    /// AUX `ctime`, seconds since the epoch.
    pub ctime_s: Option<i64>,
    /// AUX `used-mem`, bytes.
    pub used_mem: Option<u64>,
    pub target: Option<ResolvedTarget>,
    pub key_records: u64,
    pub warnings: Vec<String>,
    /// Where each batch started: lets a later pass split the file the same way.
    pub checkpoints: Vec<rdb::Checkpoint>,
}

/// Records handed to a worker together.
struct Batch<'a> {
    records: Vec<KeyRecord<'a>>,
    templates: Arc<Vec<Template>>,
    target: Arc<ResolvedTarget>,
    ctime_ms: Option<i64>,
}

const BATCH_RECORDS: usize = 2048;
const BATCH_BYTES: u64 = 4 << 20;

fn aux_text(s: &RdbStr<'_>) -> Option<String> {
    s.to_vec()
        .ok()
        .map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// Splits the file into batches of key records, gathering file facts.
struct Batcher<'a, 'p> {
    p: Parser<'a>,
    choice: &'p TargetChoice,
    facts: FileFacts,
    redis_ver: Option<String>,
    valkey_ver: Option<String>,
    target: Option<Arc<ResolvedTarget>>,
    templates: Arc<Vec<Template>>,
    error: Option<rdb::Error>,
    progress: Option<&'p (dyn Fn(u64) + Sync)>,
    done: bool,
}

impl<'a> Iterator for Batcher<'a, '_> {
    type Item = Batch<'a>;

    fn next(&mut self) -> Option<Batch<'a>> {
        if self.done {
            return None;
        }
        let mut records = Vec::with_capacity(BATCH_RECORDS);
        let start = self.p.offset();
        self.facts.checkpoints.push(self.p.checkpoint());
        loop {
            match self.p.next_record() {
                Ok(Some(Record::Key(k))) => {
                    if self.target.is_none() {
                        let t = self.choice.resolve(
                            self.p.header(),
                            self.p.family(),
                            self.redis_ver.as_deref(),
                            self.valkey_ver.as_deref(),
                        );
                        self.facts.target = Some(t.clone());
                        self.target = Some(Arc::new(t));
                    }
                    self.facts.key_records += 1;
                    records.push(k);
                    if records.len() >= BATCH_RECORDS || self.p.offset() - start >= BATCH_BYTES {
                        break;
                    }
                }
                Ok(Some(Record::Aux { key, value })) => match aux_text(&key).as_deref() {
                    Some("redis-ver") => self.redis_ver = aux_text(&value),
                    Some("valkey-ver") => self.valkey_ver = aux_text(&value),
                    Some("ctime") => {
                        self.facts.ctime_s = aux_text(&value).and_then(|v| v.trim().parse().ok())
                    }
                    Some("used-mem") => {
                        self.facts.used_mem = aux_text(&value).and_then(|v| v.trim().parse().ok())
                    }
                    _ => {}
                },
                Ok(Some(Record::HashTemplate { .. })) => {
                    self.templates = Arc::new(self.p.templates().to_vec());
                }
                Ok(Some(Record::Eof(eof))) => {
                    // The reports trust the data as much as `verify` does:
                    // a stored CRC-64 must match (~20 GB/s, so it is cheap).
                    if let rdb::Checksum::Mismatch { stored, computed } = eof.verify() {
                        self.error = Some(rdb::Error::new(
                            eof.offset + 1,
                            rdb::ErrorKind::ChecksumMismatch { stored, computed },
                        ));
                        self.done = true;
                        break;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    self.error = Some(e);
                    self.done = true;
                    break;
                }
            }
        }
        if let Some(progress) = self.progress {
            progress(self.p.offset());
        }
        if records.is_empty() {
            return None;
        }
        let target = self.target.clone()?;
        Some(Batch {
            records,
            templates: self.templates.clone(),
            target,
            ctime_ms: self.facts.ctime_s.map(|c| c * 1000),
        })
    }
}

/// The per-worker state of a scan.
struct Worker<A> {
    acc: A,
    scratch: Scratch,
    /// The first (lowest-offset) decoding error this worker met.
    error: Option<rdb::Error>,
}

/// Decodes and estimates every key of `data` that `filter` accepts and folds
/// it into an accumulator: `init` makes one per worker, `fold` adds a key,
/// `merge` combines two. Returns the merged accumulator and the file facts;
/// a decoding error anywhere is returned instead (the one at the lowest
/// offset, so the error is the same for any thread count).
#[allow(clippy::too_many_arguments)]
pub fn scan<A, I, F, M>(
    data: &[u8],
    detail: Detail,
    choice: &TargetChoice,
    filter: &KeyFilter,
    progress: Option<&(dyn Fn(u64) + Sync)>,
    init: I,
    fold: F,
    merge: M,
) -> Result<(A, FileFacts), rdb::Error>
where
    A: Send,
    I: Fn() -> A + Sync + Send,
    F: Fn(&mut A, &KeyFacts<'_>) + Sync + Send,
    M: Fn(A, A) -> A + Sync + Send,
{
    let p = Parser::new(data)?;
    let mut facts = FileFacts {
        rdb_version: p.header().version,
        family: p.family().as_str(),
        ..FileFacts::default()
    };
    let batcher = Mutex::new(Batcher {
        p,
        choice,
        facts: FileFacts::default(),
        redis_ver: None,
        valkey_ver: None,
        target: None,
        templates: Arc::new(Vec::new()),
        error: None,
        progress,
        done: false,
    });
    let batches = std::iter::from_fn(|| batcher.lock().ok()?.next());
    let worker = batches
        .par_bridge()
        .fold(
            || Worker {
                acc: init(),
                scratch: Scratch::default(),
                error: None,
            },
            |mut w, batch| {
                for rec in &batch.records {
                    if let Err(e) = fold_record(&mut w, rec, &batch, filter, detail, &fold) {
                        if w.error.as_ref().is_none_or(|old| e.offset < old.offset) {
                            w.error = Some(e);
                        }
                        break;
                    }
                }
                w
            },
        )
        .reduce(
            || Worker {
                acc: init(),
                scratch: Scratch::default(),
                error: None,
            },
            |a, b| Worker {
                acc: merge(a.acc, b.acc),
                scratch: Scratch::default(),
                error: match (a.error, b.error) {
                    (Some(x), Some(y)) => Some(if y.offset < x.offset { y } else { x }),
                    (x, y) => x.or(y),
                },
            },
        );
    let b = batcher.into_inner().unwrap_or_else(|e| e.into_inner());
    let errors = [b.error, worker.error];
    if let Some(e) = errors.into_iter().flatten().min_by_key(|e| e.offset) {
        return Err(e);
    }
    facts.family = b.p.family().as_str();
    facts.warnings = b.p.warnings().to_vec();
    facts.ctime_s = b.facts.ctime_s;
    facts.used_mem = b.facts.used_mem;
    facts.key_records = b.facts.key_records;
    facts.checkpoints = b.facts.checkpoints;
    facts.target = b.facts.target.or_else(|| {
        Some(choice.resolve(
            b.p.header(),
            b.p.family(),
            b.redis_ver.as_deref(),
            b.valkey_ver.as_deref(),
        ))
    });
    facts.producer = match (b.valkey_ver, b.redis_ver) {
        (Some(v), _) => Some(("valkey".into(), v)),
        (None, Some(v)) => Some(("redis".into(), v)),
        _ => None,
    };
    Ok((worker.acc, facts))
}

fn fold_record<A, F>(
    w: &mut Worker<A>,
    k: &KeyRecord<'_>,
    batch: &Batch<'_>,
    filter: &KeyFilter,
    detail: Detail,
    fold: &F,
) -> rdb::Result<()>
where
    F: Fn(&mut A, &KeyFacts<'_>),
{
    let mut key_buf = Vec::new();
    let key = k.key.bytes(&mut key_buf)?;
    if !filter.accepts_record(k.db, key, k.expire_at_ms) {
        return Ok(());
    }
    let e = estimate_with(
        k,
        &batch.target.target,
        &batch.templates,
        &mut w.scratch,
        detail,
    )?;
    let module_name;
    let type_name = match e.module {
        Some(name) => {
            module_name = String::from_utf8_lossy(&name).into_owned();
            module_name.as_str()
        }
        None => k.value_type.as_str(),
    };
    if !filter.accepts_value(type_name, e.bytes) {
        return Ok(());
    }
    fold(
        &mut w.acc,
        &KeyFacts {
            db: k.db,
            key,
            type_name,
            encoding: e.encoding,
            bytes: e.bytes,
            elements: e.elements,
            largest_element: e.largest_element,
            expire_at_ms: k.expire_at_ms,
            ctime_ms: batch.ctime_ms,
            idle_s: k.idle_s,
            lfu_freq: k.lfu_freq,
            rdb_bytes: k.record_len(),
            field_ttls: e.field_ttls,
        },
    );
    Ok(())
}

/// A shallow parallel walk over every key record (no value decoding),
/// split at the checkpoints of an earlier scan: each worker folds db, key
/// and expiry into its own accumulator; accumulators are merged.
pub fn walk_keys<A, I, F, M>(
    data: &[u8],
    checkpoints: &[rdb::Checkpoint],
    init: I,
    f: F,
    merge: M,
) -> Result<A, rdb::Error>
where
    A: Send,
    I: Fn() -> A + Sync + Send,
    F: Fn(&mut A, u64, &[u8], Option<i64>) + Sync + Send,
    M: Fn(A, A) -> A + Sync + Send,
{
    let mut starts: Vec<rdb::Checkpoint> = checkpoints.to_vec();
    if starts.is_empty() {
        starts.push(Parser::new(data)?.checkpoint());
    }
    let ends: Vec<Option<u64>> = starts
        .iter()
        .skip(1)
        .map(|c| Some(c.offset))
        .chain([None])
        .collect();
    starts
        .par_iter()
        .zip(ends.par_iter())
        .map(|(start, end)| {
            let mut acc = init();
            let mut p = Parser::resume(data, *start)?;
            let mut buf = Vec::new();
            while end.is_none_or(|e| p.offset() < e) {
                match p.next_record()? {
                    Some(Record::Key(k)) => {
                        let key = k.key.bytes(&mut buf)?;
                        f(&mut acc, k.db, key, k.expire_at_ms);
                    }
                    Some(_) => {}
                    None => break,
                }
            }
            Ok(acc)
        })
        .try_reduce(&init, |a, b| Ok(merge(a, b)))
}

/// A rayon pool of `threads` workers (0: one per core).
pub fn pool(threads: usize) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build()
}
