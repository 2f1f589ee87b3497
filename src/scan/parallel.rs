//! The scan on all cores. A file that is all there is cut in byte ranges
//! that every worker frames itself ([`super::chunked`]). Otherwise (a
//! stream still arriving, one thread, hash templates) one thread frames
//! records with the [`Scanner`] (values are length-prefixed, so finding
//! their ends is cheap) into batches; rayon workers decode, estimate and
//! fold them into per-worker accumulators, which are merged at the end.
//! Accumulators merge order-free, so the result is the same for any
//! number of threads.

use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::{Accumulator, Folded, KeyReader, ScanCheckpoint, ScanOptions, Scanner};
use crate::input::Feed;
use crate::memory::{Detail, ResolvedTarget};
use crate::rdb::{self, KeyRecord, Templates};

/// Records handed to a worker together, with what decoding them needs.
pub struct Batch<'a> {
    pub records: Vec<KeyRecord<'a>>,
    pub templates: Templates,
    pub target: Arc<ResolvedTarget>,
    pub ctime_ms: Option<i64>,
    /// Offsets of the first record and after the last one (a record
    /// framed already and carried to the next batch lies past `end`).
    pub start: u64,
    pub end: u64,
    /// One record alone whose value's bytes, with what its LZF strings
    /// inflate to, reach the batcher's `inline_bytes`.
    pub inline: bool,
}

const BATCH_RECORDS: usize = 2048;
const BATCH_BYTES: u64 = 4 << 20;
/// Least distance between two checkpoints kept for a later walk.
const CHECKPOINT_SPACING: u64 = 1 << 20;

/// Frames batches out of a scanner; remembers where each batch started.
/// A batch never spans a `HASH_TEMPLATE` record: its records are decoded
/// with the templates registered before its first record, so a template
/// that is registered (or redefined) mid-file starts a new batch.
pub(crate) struct Batcher<'a, 'p> {
    pub(crate) s: Scanner<'a>,
    checkpoints: Vec<ScanCheckpoint>,
    /// A record read after a template change (or a big one), for the next
    /// batch, with its weight.
    carry: Option<(KeyRecord<'a>, u64)>,
    pub(crate) error: Option<rdb::Error>,
    progress: Option<&'p (dyn Fn(u64) + Sync)>,
    done: bool,
    /// A record whose value takes this many bytes or more gets a batch of
    /// its own (see [`Batch::is_inline`]).
    pub(crate) inline_bytes: u64,
}

impl<'a, 'p> Batcher<'a, 'p> {
    pub(crate) fn new(s: Scanner<'a>, progress: Option<&'p (dyn Fn(u64) + Sync)>) -> Self {
        Batcher {
            s,
            checkpoints: Vec::new(),
            carry: None,
            error: None,
            progress,
            done: false,
            inline_bytes: u64::MAX,
        }
    }

    pub(crate) fn next_batch(&mut self) -> Option<Batch<'a>> {
        if self.done && self.carry.is_none() {
            return None;
        }
        let mut records = Vec::with_capacity(BATCH_RECORDS);
        let start = self.s.offset();
        // Kept for a later walk over parts of the file; one a MiB is plenty
        // (one per batch would keep a template snapshot per key of a file
        // that registers a template before every key).
        if self
            .checkpoints
            .last()
            .is_none_or(|c| start.saturating_sub(c.offset()) >= CHECKPOINT_SPACING)
        {
            self.checkpoints.push(self.s.checkpoint());
        }
        // Templates as of the first record, with the registration count.
        let mut templates: Option<(u64, Templates)> = None;
        let mut inline = false;
        loop {
            let lzf = self.s.lzf_declared();
            let (k, weight) = match self.carry.take() {
                Some(k) => k,
                None => match self.s.next_key() {
                    // What decoding it may hold: its bytes and what its LZF
                    // strings inflate to.
                    Ok(Some(k)) => {
                        let w = (k.value.len() as u64)
                            .saturating_add(self.s.lzf_declared().saturating_sub(lzf));
                        (k, w)
                    }
                    Ok(None) => {
                        self.done = true;
                        break;
                    }
                    Err(e) => {
                        self.error = Some(e);
                        self.done = true;
                        break;
                    }
                },
            };
            let registered = self.s.facts().hash_templates;
            match &templates {
                None => templates = Some((registered, self.s.templates().clone())),
                Some((n, _)) if *n != registered => {
                    self.carry = Some((k, weight));
                    break;
                }
                Some(_) => {}
            }
            if weight >= self.inline_bytes {
                // Alone in its batch.
                if records.is_empty() {
                    records.push(k);
                    inline = true;
                } else {
                    self.carry = Some((k, weight));
                }
                break;
            }
            records.push(k);
            if records.len() >= BATCH_RECORDS || self.s.offset() - start >= BATCH_BYTES {
                break;
            }
        }
        if let Some(progress) = self.progress {
            progress(self.s.offset());
        }
        let (_, templates) = templates?;
        // A record carried over from the last call lies before `start`.
        let start = records.first().map_or(start, |r| r.offset.min(start));
        Some(Batch {
            records,
            templates,
            target: self.s.target().clone(),
            ctime_ms: self.s.facts().ctime_ms,
            start,
            end: self
                .carry
                .as_ref()
                .map_or(self.s.offset(), |(k, _)| k.offset),
            inline,
        })
    }
}

/// The per-worker state of a scan.
struct Worker<A> {
    acc: A,
    reader: KeyReader,
    /// The first (lowest-offset) decoding error this worker met.
    error: Option<rdb::Error>,
}

fn first_error(a: Option<rdb::Error>, b: Option<rdb::Error>) -> Option<rdb::Error> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.offset < x.offset { y } else { x }),
        (x, y) => x.or(y),
    }
}

/// Reads every key of `data` that the filter accepts into accumulators
/// made by `init` (one per worker) and merges them. A decoding error
/// anywhere is returned instead: the one at the lowest offset, so the error
/// is the same for any thread count. Runs on the current rayon pool.
///
/// With [`Detail::Headers`] (not used by the commands, which walk every
/// value so that they reject what `verify` rejects) blobs the target keeps
/// as they are are not walked and the stored CRC-64 vouches for them. A
/// file without one (RDB < 5, or a stored 0) is then read with
/// [`Detail::Elements`]; and when the CRC does not match, the file is read
/// again in full to name the damaged key rather than only the checksum.
pub fn fold_file<A, I>(
    data: Feed<'_>,
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(u64) + Sync)>,
    init: I,
) -> Result<Folded<A>, rdb::Error>
where
    A: Accumulator,
    I: Fn() -> A + Sync + Send,
{
    if opts.detail == Detail::Elements {
        return fold_once(data, opts, progress, &init);
    }
    let full = ScanOptions {
        detail: Detail::Elements,
        ..opts.clone()
    };
    // A stream's end is not there yet: its checksum is looked at when
    // the scan reaches it, like a file's behind an AOF tail.
    let (now, complete) = data.now();
    if complete && !crc_stored(now) {
        return fold_once(data, &full, progress, &init);
    }
    // A second read is of all the bytes the first one saw.
    let again = |opts| fold_once(Feed::complete(data.all()), opts, progress, &init);
    match fold_once(data, opts, progress, &init) {
        Ok(f) if f.facts.checksum == Some(rdb::Checksum::Absent) => {
            // The end of the file was not the checksum (an AOF tail, or a
            // stream without one).
            again(&full)
        }
        Err(e) if matches!(e.kind, rdb::ErrorKind::ChecksumMismatch { .. }) => match again(&full) {
            Err(inner) if inner.offset < e.offset => Err(inner),
            _ => Err(e),
        },
        r => r,
    }
}

/// Whether `data` ends with an EOF opcode and a non-zero CRC-64 (RDB 5+).
/// An AOF tail after the RDB hides it; the scan then finds out at EOF.
fn crc_stored(data: &[u8]) -> bool {
    let version_ok = crate::rdb::parse_header(data).is_ok_and(|h| h.version >= 5);
    let tail = data.len().checked_sub(9).and_then(|at| data.get(at..));
    let zero = matches!(tail, Some([0xff, crc @ ..]) if crc.iter().all(|b| *b == 0));
    version_ok && !zero
}

fn fold_once<A, I>(
    data: Feed<'_>,
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(u64) + Sync)>,
    init: I,
) -> Result<Folded<A>, rdb::Error>
where
    A: Accumulator,
    I: Fn() -> A + Sync + Send,
{
    let init = &init;
    // A file all there is cut in ranges that every worker frames itself.
    let (now, complete) = data.now();
    if complete
        && !data.is_streaming()
        && data.record_budget().is_none()
        && let Some(folded) = super::chunked::fold(now, opts, progress, init)
    {
        return folded;
    }
    let batcher = Mutex::new(Batcher::new(
        Scanner::from_feed(data, &opts.choice)?,
        progress,
    ));
    let window = Window::new(data);
    let batches = std::iter::from_fn(|| {
        let b = batcher.lock().ok()?.next_batch()?;
        window.framed(&b);
        Some(b)
    });
    let new_worker = || Worker {
        acc: init(),
        reader: KeyReader::default(),
        error: None,
    };
    let worker = batches
        .par_bridge()
        .fold(new_worker, |mut w, batch| {
            let acc = &mut w.acc;
            for rec in &batch.records {
                let read = w.reader.read(
                    rec,
                    &batch.target.target,
                    &batch.templates,
                    (&opts.filter, opts.detail),
                    batch.ctime_ms,
                    |f| acc.add(f),
                );
                if let Err(e) = read {
                    w.error = first_error(w.error.take(), Some(e));
                    break;
                }
            }
            window.folded(batch.start);
            w
        })
        .reduce(new_worker, |mut a, b| {
            a.acc.merge(b.acc);
            a.error = first_error(a.error, b.error);
            a
        });
    let b = batcher.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = first_error(b.error, worker.error) {
        return Err(e);
    }
    Ok(Folded {
        acc: worker.acc,
        facts: b.s.finish(),
        checkpoints: b.checkpoints,
    })
}

/// The batches framed and not yet folded, for a source whose bytes are
/// released once read ([`Feed::release`]): everything before the first of
/// them (or, with none, before where framing stands) is done with.
struct Window<'f> {
    feed: Option<Feed<'f>>,
    /// Starts of the batches in flight, and where framing stands.
    open: Mutex<(std::collections::BTreeSet<u64>, u64)>,
}

impl<'f> Window<'f> {
    fn new(feed: Feed<'f>) -> Self {
        Window {
            feed: (!feed.rereadable()).then_some(feed),
            open: Mutex::new(Default::default()),
        }
    }

    fn framed(&self, b: &Batch<'_>) {
        if self.feed.is_some() {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            open.0.insert(b.start);
            open.1 = b.end;
        }
    }

    fn folded(&self, start: u64) {
        let Some(feed) = self.feed else { return };
        let done = {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            open.0.remove(&start);
            open.0.first().copied().unwrap_or(open.1)
        };
        feed.release(done);
    }
}

/// A second walk over the keys the filter accepts, on all cores, split at
/// the checkpoints of an earlier [`fold_file`]: `f` sees the db, bytes and
/// expiry of each key whose expiry `want` accepts (checked first, so other
/// keys cost only their framing). Values are decoded only when the filter
/// needs them (`--type`, `--min-bytes`).
pub fn walk_keys<A, I, W, F, M>(
    data: &[u8],
    opts: &ScanOptions,
    checkpoints: &[ScanCheckpoint],
    init: I,
    want: W,
    f: F,
    merge: M,
) -> Result<A, rdb::Error>
where
    A: Send,
    I: Fn() -> A + Sync + Send,
    W: Fn(Option<i64>) -> bool + Sync + Send,
    F: Fn(&mut A, u64, &[u8], Option<i64>) + Sync + Send,
    M: Fn(&mut A, A) + Sync + Send,
{
    let mut starts: Vec<ScanCheckpoint> = checkpoints.to_vec();
    if starts.is_empty() {
        starts.push(Scanner::new(data, &opts.choice)?.checkpoint());
    }
    let ends: Vec<Option<u64>> = starts
        .iter()
        .skip(1)
        .map(|c| Some(c.offset()))
        .chain([None])
        .collect();
    let filter = &opts.filter;
    starts
        .par_iter()
        .zip(ends.par_iter())
        .map(|(start, end)| {
            let mut acc = init();
            let mut s = Scanner::resume(data, &opts.choice, start, *end)?;
            let mut reader = KeyReader::default();
            let mut buf = Vec::new();
            while let Some(k) = s.next_key()? {
                if !want(k.expire_at_ms) {
                    continue;
                }
                if filter.needs_value() {
                    let Some(target) = s.resolved_target() else {
                        continue;
                    };
                    reader.read(
                        &k,
                        &target.target,
                        s.templates(),
                        (filter, Detail::Headers),
                        None,
                        |x| f(&mut acc, x.db, x.key, x.expire_at_ms),
                    )?;
                } else {
                    let key = k.key.bytes(&mut buf)?;
                    if filter.accepts_record(k.db, key, k.expire_at_ms) {
                        f(&mut acc, k.db, key, k.expire_at_ms);
                    }
                }
            }
            Ok(acc)
        })
        .try_reduce(&init, |mut a, b| {
            merge(&mut a, b);
            Ok(a)
        })
}

/// A rayon pool of `threads` workers (0: one per core).
pub fn pool(threads: usize) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build()
}
