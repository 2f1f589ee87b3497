//! The parallel scan without a framing thread: the file is cut into byte
//! ranges and every worker frames and folds its own range.
//!
//! RDB has no sync marks, so a worker finds where the records of its range
//! start by trying offsets until the real parser frames a run of records
//! from one (speculation). It walks from there without folding up to its
//! range's start plus [`SLACK`] and folds from the first record boundary it
//! reaches past that point up to the same point of the next range. Then the
//! ranges are checked in file order: a range is right when it started folding
//! exactly where the range before it (already checked) stopped, in the same
//! database. A range that is not right (a false sync inside a value, a
//! database it could not know) is folded again from where the one before
//! it stopped, with the true state: the result is always the one walk's,
//! and a wrong guess costs a second walk of one range.
//!
//! Files the speculation does not suit are left to the batcher in
//! [`super::parallel`]: streams still arriving, small files, one thread,
//! files with hash templates (a value may need a template registered in
//! another range), and files with AUX records or warnings past the first
//! range (their budgets and order are the one walk's).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::{Accumulator, FileFacts, KeyReader, ScanCheckpoint, ScanOptions, Scanner};
use crate::memory::ResolvedTarget;
use crate::rdb;

/// Past a range's start, where its folding begins (and the range before
/// it stops): the sync point found may be inside the record that spans the
/// range's start; both sides agree on the first boundary past this.
const SLACK: u64 = 4 << 10;
/// Records a sync candidate must frame (or reach the end of the file).
const SYNC_RECORDS: usize = 16;
/// Bytes one sync candidate may walk, and bytes all of a range's
/// candidates may walk: a crafted range costs this much, then is folded
/// again from a known boundary.
const TRY_BYTES: u64 = 1 << 20;
const SEARCH_BYTES: u64 = 16 << 20;
/// Offsets tried: past a cut, a boundary comes within a few records unless
/// one value spans the cut (then the range is folded from the true one).
const SEARCH_OFFSETS: u64 = 64 << 10;
/// What one record of a range not yet checked may inflate to.
const GUESSED_INFLATE: u64 = 16 << 20;
/// The smallest range worth a worker.
const MIN_RANGE: u64 = 8 << 20;

/// What one range gave.
struct Range<A> {
    acc: A,
    facts: FileFacts,
    /// Where folding began and stopped (record boundaries).
    start: u64,
    stop: u64,
    /// The scanner state assumed at `start` and reached at `stop`.
    at_start: Seam,
    at_stop: Seam,
    error: Option<rdb::Error>,
    /// Hash templates, or (past the first range) AUX records or warnings:
    /// the file is left to the batcher, which has them in order.
    fallback: bool,
    /// The walk read the EOF opcode: what follows is not records.
    eof: bool,
}

/// The scanner state at a record boundary besides its offset: a range is
/// right only when it assumed at its start what the walk before it
/// reached (a SELECTDB, or an AUX `ctime` or `valkey-ver` in the middle of
/// a file, changes it).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Seam {
    db: u64,
    family: rdb::Family,
    ctime_ms: Option<i64>,
}

/// What is known after the header: the state every range's guess starts
/// from.
struct Guess {
    target: Arc<ResolvedTarget>,
    seam: Seam,
    first_key: u64,
}

/// The scan of a whole file in ranges, or `None` when the file is left to
/// the batcher (see the module docs).
pub(super) fn fold<A, I>(
    data: &[u8],
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(u64) + Sync)>,
    init: &I,
) -> Option<Result<super::parallel::Folded<A>, rdb::Error>>
where
    A: Accumulator,
    I: Fn() -> A + Sync + Send,
{
    let threads = rayon::current_num_threads() as u64;
    let len = data.len() as u64;
    if threads < 2 || len < 2 * MIN_RANGE {
        return None;
    }
    let guess = guess(data, opts)?;
    let size = (len / (threads * 4)).max(MIN_RANGE);
    let n = len.div_ceil(size);
    if guess.first_key >= size {
        return None;
    }
    let cut = |k: u64| (k * size).min(len);
    let end_of = |k: u64| (k + 1 < n).then(|| cut(k + 1) + SLACK);
    // Ranges are handed out in file order, so few wait to be merged.
    let next = AtomicU64::new(0);
    let give_up = GiveUp::default();
    let reached = AtomicU64::new(0);
    let merger = Mutex::new(Merger {
        next: 0,
        waiting: BTreeMap::new(),
        whole: None,
        stopped: false,
        fallback: false,
    });
    let integrate = |m: &mut Merger<A>, k: u64, r: Option<Range<A>>| {
        m.waiting.insert(k, r);
        while let Some(r) = m.waiting.remove(&m.next) {
            let k = m.next;
            m.next += 1;
            if m.stopped {
                continue;
            }
            let Some((mut whole, mut checkpoints)) = m.whole.take() else {
                // The first range starts at the file's start.
                match (r, Scanner::new(data, &opts.choice)) {
                    (Some(r), Ok(s)) => {
                        // An error or the dump's end stops the walk there.
                        m.fallback = r.fallback;
                        m.stopped = r.error.is_some() || r.eof || r.fallback;
                        m.whole = Some((r, vec![s.checkpoint()]));
                    }
                    _ => m.stopped = true,
                }
                continue;
            };
            let at = checkpoint(whole.stop, whole.at_stop, &guess.target);
            let r = match r {
                Some(r) if r.start == whole.stop && r.at_start == whole.at_stop => r,
                // A wrong guess: this range again from the true boundary.
                _ => resume(data, opts, &at, end_of(k), init),
            };
            if r.fallback {
                m.fallback = true;
                m.stopped = true;
                continue;
            }
            checkpoints.push(at);
            whole.acc.merge(r.acc);
            whole.facts = merge_facts(whole.facts, r.facts);
            whole.stop = r.stop;
            whole.at_stop = r.at_stop;
            whole.error = r.error;
            whole.eof = r.eof;
            m.stopped = whole.error.is_some() || whole.eof;
            m.whole = Some((whole, checkpoints));
        }
        if m.stopped {
            give_up.stop.store(true, Ordering::Relaxed);
        }
        if let Some((w, _)) = &m.whole {
            give_up.covered.fetch_max(w.stop, Ordering::Relaxed);
        }
    };
    (0..threads).into_par_iter().for_each(|_| {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= n || give_up.stop.load(Ordering::Relaxed) {
                return;
            }
            let r = if k == 0 {
                Some(first(data, opts, end_of(0), init, &give_up))
            } else if give_up.covered.load(Ordering::Relaxed) > cut(k) {
                // A record of the ranges before reaches past this cut.
                None
            } else {
                speculate(data, opts, &guess, cut(k), end_of(k), init, &give_up)
            };
            if let (Some(r), Some(p)) = (&r, progress) {
                // The furthest range end so far (ranges end out of order).
                p(reached.fetch_max(r.stop, Ordering::Relaxed).max(r.stop));
            }
            let Ok(mut m) = merger.lock() else { return };
            integrate(&mut m, k, r);
        }
    });
    let m = merger.into_inner().ok()?;
    if m.fallback {
        return None;
    }
    let (whole, checkpoints) = m.whole?;
    Some(match whole.error {
        Some(e) => Err(e),
        None => Ok(super::parallel::Folded {
            acc: whole.acc,
            facts: whole.facts,
            checkpoints,
        }),
    })
}

/// What tells a range being walked that its result will not be used.
#[derive(Default)]
struct GiveUp {
    /// Nothing more is merged (past the dump's end a range may be
    /// gigabytes of anything).
    stop: AtomicBool,
    /// Where the walk merged so far stops: a range that started before
    /// it cannot be the next one (a huge value that looks like records
    /// spans its start, and costs nothing to the one walk).
    covered: AtomicU64,
}

impl GiveUp {
    fn now(&self, start: u64) -> bool {
        self.stop.load(Ordering::Relaxed) || self.covered.load(Ordering::Relaxed) > start
    }
}

/// Ranges folded and waiting for the ones before them, and the walk so far.
struct Merger<A> {
    next: u64,
    waiting: BTreeMap<u64, Option<Range<A>>>,
    whole: Option<(Range<A>, Vec<ScanCheckpoint>)>,
    /// An error, the end of the file or a fallback: nothing more is merged.
    stopped: bool,
    /// The file is left to the batcher (see [`Range::fallback`]).
    fallback: bool,
}

/// The target, AUX `ctime`, family and database at the first key.
fn guess(data: &[u8], opts: &ScanOptions) -> Option<Guess> {
    let mut s = Scanner::new(data, &opts.choice).ok()?;
    let before = s.offset();
    let k = s.next_key().ok()??;
    let guess = Guess {
        target: s.resolved_target().cloned().map(Arc::new)?,
        seam: Seam {
            db: k.db,
            family: k.family,
            ctime_ms: s.facts().ctime_ms,
        },
        first_key: k.offset.max(before),
    };
    (s.templates().is_empty() && s.facts().hash_templates == 0).then_some(guess)
}

/// The first range, from the start of the file.
fn first<A, I>(
    data: &[u8],
    opts: &ScanOptions,
    end: Option<u64>,
    init: &I,
    give_up: &GiveUp,
) -> Range<A>
where
    A: Accumulator,
    I: Fn() -> A,
{
    match Scanner::new(data, &opts.choice) {
        Ok(mut s) => {
            s.end = end;
            let seam = Seam {
                db: s.db(),
                family: s.family(),
                ctime_ms: None,
            };
            walk(s, true, false, seam, opts, init, give_up)
        }
        Err(e) => failed(e, init),
    }
}

/// A range folded again from a known boundary.
fn resume<A, I>(
    data: &[u8],
    opts: &ScanOptions,
    at: &ScanCheckpoint,
    end: Option<u64>,
    init: &I,
) -> Range<A>
where
    A: Accumulator,
    I: Fn() -> A,
{
    match Scanner::resume(data, &opts.choice, at, end) {
        // Never given up: it is the walk's own.
        Ok(s) => {
            // Whichever range reads the EOF opcode checks the checksum.
            let s = s.checking_crc();
            let seam = Seam {
                db: at.parser.db,
                family: at.parser.family,
                ctime_ms: at.ctime_ms,
            };
            walk(s, false, false, seam, opts, init, &GiveUp::default())
        }
        Err(e) => failed(e, init),
    }
}

fn failed<A, I: Fn() -> A>(e: rdb::Error, init: &I) -> Range<A> {
    Range {
        start: e.offset,
        stop: e.offset,
        error: Some(e),
        ..discarded(init)
    }
}

/// A range that can never be merged (its start is no boundary): it is
/// folded again from the true one.
fn discarded<A, I: Fn() -> A>(init: &I) -> Range<A> {
    let seam = Seam {
        db: 0,
        family: rdb::Family::Redis,
        ctime_ms: None,
    };
    Range {
        acc: init(),
        facts: FileFacts::default(),
        start: u64::MAX,
        stop: u64::MAX,
        at_start: seam,
        at_stop: seam,
        error: None,
        fallback: false,
        eof: false,
    }
}

/// A range from a guessed sync point at or after `from`; `None` when no
/// offset frames a run of records within the search budget.
fn speculate<A, I>(
    data: &[u8],
    opts: &ScanOptions,
    g: &Guess,
    from: u64,
    end: Option<u64>,
    init: &I,
    give_up: &GiveUp,
) -> Option<Range<A>>
where
    A: Accumulator,
    I: Fn() -> A,
{
    let at = |offset: u64| checkpoint(offset, g.seam, &g.target);
    let len = data.len() as u64;
    let mut spent = 0u64;
    let mut p = from;
    let sync = loop {
        if p >= len || spent > SEARCH_BYTES || p - from > SEARCH_OFFSETS {
            return None;
        }
        let (ok, walked) = frames(data, opts, &at(p));
        spent += walked.max(1);
        if ok {
            break p;
        }
        p += 1;
    };
    // Only the boundary past `from + SLACK` and the database there are
    // taken from this walk: anything else it read (an AUX, an EOF opcode
    // inside a value it took for records) is not trusted. Reaching the end
    // or an error first: the range is folded from the true boundary.
    let mut s = Scanner::resume(data, &opts.choice, &at(sync), None).ok()?;
    while s.offset() < from + SLACK {
        match s.next_key() {
            Ok(Some(_)) if !s.at_eof() => {}
            _ => return None,
        }
    }
    let seam = Seam {
        db: s.db(),
        ..g.seam
    };
    let start = checkpoint(s.offset(), seam, &g.target);
    let s = Scanner::resume(data, &opts.choice, &start, end)
        .ok()?
        .checking_crc();
    Some(walk(s, false, true, seam, opts, init, give_up))
}

/// The checkpoint of a record boundary (no hash templates: a file with
/// any is left to the batcher).
fn checkpoint(offset: u64, seam: Seam, target: &Arc<ResolvedTarget>) -> ScanCheckpoint {
    ScanCheckpoint {
        parser: rdb::Checkpoint {
            offset,
            db: seam.db,
            family: seam.family,
            templates: rdb::Templates::default(),
        },
        target: Some(target.clone()),
        ctime_ms: seam.ctime_ms,
    }
}

/// Whether the parser frames [`SYNC_RECORDS`] records from `at` (or all
/// of them to the end of the file), walking at most [`TRY_BYTES`]; and
/// how many bytes it walked.
fn frames(data: &[u8], opts: &ScanOptions, at: &ScanCheckpoint) -> (bool, u64) {
    let start = at.offset();
    let limit = start.saturating_add(TRY_BYTES).min(data.len() as u64);
    let Some(window) = data.get(..limit as usize) else {
        return (false, 0);
    };
    let Ok(mut s) = Scanner::resume(window, &opts.choice, at, None) else {
        return (false, 0);
    };
    // Only speed depends on this test: a false sync is caught when the
    // ranges are checked.
    for keys in 0..SYNC_RECORDS {
        match s.next_key() {
            Ok(Some(_)) => {}
            // The end of the file, or of the window: as far as it could be
            // checked, it frames.
            Ok(None) => return (keys > 0, s.offset().saturating_sub(start)),
            Err(e)
                if matches!(e.kind, rdb::ErrorKind::Truncated { .. })
                    && limit < data.len() as u64 =>
            {
                return (keys > 0, s.offset().saturating_sub(start));
            }
            Err(_) => return (false, s.offset().saturating_sub(start)),
        }
    }
    (true, s.offset() - start)
}

/// Walks `s` to its end, folding the keys from the first record boundary
/// at or after `fold_from` (all of them when `None`).
fn walk<A, I>(
    mut s: Scanner<'_>,
    first: bool,
    guessed: bool,
    at_start: Seam,
    opts: &ScanOptions,
    init: &I,
    give_up: &GiveUp,
) -> Range<A>
where
    A: Accumulator,
    I: Fn() -> A,
{
    let mut acc = init();
    let mut error = None;
    let start = s.offset();
    let mut reader = KeyReader::default();
    let mut n = 0u32;
    while error.is_none() {
        n = n.wrapping_add(1);
        if n.is_multiple_of(1024) && give_up.now(start) {
            // Not merged: what it holds does not matter.
            break;
        }
        let lzf = s.lzf_declared();
        let k = match s.next_key() {
            Ok(Some(k)) => k,
            Ok(None) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        if guessed && s.lzf_declared().saturating_sub(lzf) > GUESSED_INFLATE {
            // A range not yet checked does not inflate a big LZF value (it
            // may be bytes of another value that look like one): it is
            // folded again from the true boundary instead.
            return discarded(init);
        }
        let Some(target) = s.resolved_target() else {
            continue;
        };
        let read = reader.read(
            &k,
            &target.target,
            s.templates(),
            (&opts.filter, opts.detail),
            s.facts().ctime_ms,
            |f| acc.add(f),
        );
        if let Err(e) = read {
            error = Some(e);
        }
    }
    let fallback =
        !s.templates().is_empty() || s.facts().hash_templates > 0 || (!first && s.unusual());
    let at_stop = Seam {
        db: s.db(),
        family: s.family(),
        ctime_ms: s.facts().ctime_ms,
    };
    let (stop, eof) = (s.offset(), s.at_eof());
    Range {
        acc,
        facts: s.finish(),
        start,
        stop,
        at_start,
        at_stop,
        error,
        fallback,
        eof,
    }
}

/// The facts of two consecutive ranges as one walk would have them.
fn merge_facts(mut a: FileFacts, b: FileFacts) -> FileFacts {
    a.key_records += b.key_records;
    let seen: foldhash::HashSet<u64> = a.dbs.iter().copied().collect();
    a.dbs
        .extend(b.dbs.into_iter().filter(|db| !seen.contains(db)));
    a.functions += b.functions;
    a.module_aux += b.module_aux;
    a.hash_templates += b.hash_templates;
    a.aux.extend(b.aux);
    for w in b.warnings {
        a.warn_once(w);
    }
    a.more_warnings += b.more_warnings;
    // What the walk learns at the end: the later range's.
    a.stored_checksum = b.stored_checksum;
    a.checksum = b.checksum;
    a.trailing_bytes = b.trailing_bytes;
    a.trailing_kind = b.trailing_kind;
    a.trailing_unread = b.trailing_unread;
    a.decoded_bytes = b.decoded_bytes;
    if b.used_mem.is_some() {
        a.used_mem = b.used_mem;
    }
    a
}
