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
//! database. A range that is not right is folded again from where the one
//! before it stopped, with the true state: the result is always the one
//! walk's, and a wrong guess costs a second walk of one range. When only
//! the database was wrong (the SELECTDB before it was in a range still
//! being walked), where it stops is known without folding it again, so the
//! check goes on and the range is folded again beside the others; after a
//! false sync (inside a value), checking waits for it.
//!
//! Files the speculation does not suit are left to the batcher in
//! [`super::parallel`]: streams still arriving, small files, one thread,
//! files with hash templates (a value may need a template registered in
//! another range), and files with AUX records or warnings past the first
//! range (their budgets and order are the one walk's).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use rayon::prelude::*;

use super::{Accumulator, FileFacts, Folded, KeyReader, ScanCheckpoint, ScanOptions, Scanner};
use crate::memory::ResolvedTarget;
use crate::rdb;

/// Past a range's start, where its folding begins (and the range before
/// it stops): the sync point found may be inside the record that spans the
/// range's start; both sides agree on the first boundary past this. A false
/// sync that frames a run of records mostly meets the true walk within a
/// few records: 64 KiB leaves room for that (at 4 KiB, 3 of the 16 ranges
/// of a 1 GB dump were folded twice) and costs a walk of 64 KiB per range.
const SLACK: u64 = 64 << 10;
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
/// What one LZF string of a range not yet checked may inflate to.
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
    /// The walk read a SELECTDB: the database at `stop` is the file's
    /// whatever it assumed at `start`.
    selected: bool,
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

impl Seam {
    /// Where `s` stands.
    fn of(s: &Scanner<'_>) -> Seam {
        Seam {
            db: s.db(),
            family: s.family(),
            ctime_ms: s.facts().ctime_ms,
        }
    }

    /// What `at` was taken with.
    fn at(at: &ScanCheckpoint) -> Seam {
        Seam {
            db: at.parser.db,
            family: at.parser.family,
            ctime_ms: at.ctime_ms,
        }
    }
}

/// What is known after the header: the state every range's guess starts
/// from.
struct Guess {
    /// The state after the header, where the first range starts.
    origin: ScanCheckpoint,
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
) -> Option<Result<Folded<A>, rdb::Error>>
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
    // The file's CRC-64 in pieces at the cuts: each worker computes its
    // range's as it starts, and the walk that reads EOF combines them.
    let pieces = Arc::new(rdb::CrcPieces::new(len, size));
    let end_of = |k: u64| (k + 1 < n).then(|| cut(k + 1) + SLACK);
    // Ranges are handed out in file order (under the merger's lock), so few
    // wait to be merged.
    let give_up = GiveUp::default();
    let reached = AtomicU64::new(0);
    let merger = Mutex::new(Merger::new(n));
    let integrate = |m: &mut Merger<A>| {
        m.check(&guess.target, &guess.origin);
        m.merge_ready();
        if m.stopped {
            give_up.stop.store(true, Ordering::Relaxed);
        }
        if let Some((stop, _)) = m.checked {
            give_up.covered.fetch_max(stop, Ordering::Relaxed);
        }
    };
    let progressed = |stop: u64| {
        if let Some(p) = progress {
            // The furthest range end so far (ranges end out of order).
            p(reached.fetch_max(stop, Ordering::Relaxed).max(stop));
        }
    };
    // Ranges folded but not merged hold their accumulators: a worker does
    // not start a range more than `window` past the merged ones (a slow
    // range would otherwise have every other worker fold ahead of it).
    let window = threads + 2;
    let room = Condvar::new();
    let done = || room.notify_all();
    (0..threads).into_par_iter().for_each(|_| {
        loop {
            let job = {
                let Ok(mut m) = merger.lock() else {
                    return done();
                };
                loop {
                    // Ranges folded again first: checking or merging waits
                    // on them. Whoever queues one wakes the others.
                    if let Some(f) = m.refolds.pop_front() {
                        break Err(f);
                    }
                    let k = m.handed;
                    if k >= n || give_up.stop.load(Ordering::Relaxed) {
                        drop(m);
                        return done();
                    }
                    if m.stopped || k < m.merged.saturating_add(window) {
                        m.handed += 1;
                        break Ok(k);
                    }
                    m = match room.wait(m) {
                        Ok(m) => m,
                        Err(_) => return,
                    };
                }
            };
            let folded = match job {
                Err(f) => {
                    let r = resume(data, opts, &f.at, end_of(f.k), init, &pieces);
                    progressed(r.stop);
                    Err((f, r))
                }
                Ok(k) => {
                    pieces.piece(data, k);
                    let r = if k == 0 {
                        Some(first(data, opts, end_of(0), init, &give_up, &pieces))
                    } else if give_up.covered.load(Ordering::Relaxed) > cut(k) {
                        // A record of the ranges before reaches past this cut.
                        None
                    } else {
                        let span = (cut(k), end_of(k));
                        speculate(data, opts, &guess, span, init, &give_up, &pieces)
                    };
                    if let Some(r) = &r {
                        progressed(r.stop);
                    }
                    Ok((k, r))
                }
            };
            let Ok(mut m) = merger.lock() else {
                return done();
            };
            match folded {
                Ok((k, r)) => {
                    m.waiting.insert(k, r);
                }
                Err((f, r)) => m.refolded(f, r),
            }
            integrate(&mut m);
            drop(m);
            done();
            give_back_freed_memory();
        }
    });
    let m = merger.into_inner().ok()?;
    m.into_folded()
}

/// Returns the memory freed so far to the system. Each worker thread
/// allocates its ranges' accumulators in its own glibc arena, and an arena
/// keeps what was freed in it: with 16 threads on the 1 GB benchmark dump,
/// 84 MiB at the peak against 61 MiB when trimmed after every range
/// (about 64 trims; 3 % slower at 16 threads on 2 cores, no change at 2).
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's own
    // arenas; it takes no pointers and is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A range to fold again from its true start.
struct Refold {
    k: u64,
    at: ScanCheckpoint,
    /// Where the check took it to stop, and the state there (the ranges
    /// after it were checked against that); `None` when checking waits for
    /// it.
    expect: Option<(u64, Seam)>,
}

/// The ranges folded, checked in file order and merged in file order.
///
/// Checking follows the chain of record boundaries; it needs no
/// accumulator. A range that started at the true boundary with another
/// database (it could not see the SELECTDB before it) stops where it
/// stopped, in a state known without folding it again: the chain goes on
/// while it is folded again, in parallel with the others. A range that
/// started anywhere else is folded again from the true boundary before
/// checking goes on.
struct Merger<A> {
    /// Ranges in all.
    n: u64,
    /// Ranges handed out to be folded (in file order).
    handed: u64,
    /// The next range to check, and where the ranges checked so far stop
    /// (`None` before the first).
    next: u64,
    checked: Option<(u64, Seam)>,
    /// Folded and waiting to be checked.
    waiting: BTreeMap<u64, Option<Range<A>>>,
    /// Checking waits for the range `next`, folded again.
    blocked: bool,
    refolds: VecDeque<Refold>,
    /// Checked and waiting to be merged, with the checkpoint at their start.
    ready: BTreeMap<u64, (Range<A>, ScanCheckpoint)>,
    /// The next range to merge into `whole`.
    merged: u64,
    whole: Option<(Range<A>, Vec<ScanCheckpoint>)>,
    /// An error, the end of the file or a fallback: nothing more is
    /// checked.
    stopped: bool,
    /// The file is left to the batcher (see [`Range::fallback`]).
    fallback: bool,
}

impl<A: Accumulator> Merger<A> {
    fn new(n: u64) -> Self {
        Merger {
            n,
            handed: 0,
            next: 0,
            checked: None,
            waiting: BTreeMap::new(),
            blocked: false,
            refolds: VecDeque::new(),
            ready: BTreeMap::new(),
            merged: 0,
            whole: None,
            stopped: false,
            fallback: false,
        }
    }

    /// Checks the waiting ranges that come next.
    fn check(&mut self, target: &Arc<ResolvedTarget>, origin: &ScanCheckpoint) {
        while !self.blocked && !self.stopped {
            let k = self.next;
            let Some(r) = self.waiting.remove(&k) else {
                break;
            };
            let Some((stop, seam)) = self.checked else {
                // The first range starts at the file's start.
                match r {
                    Some(r) => self.accept(k, r, origin.clone()),
                    None => self.stopped = true,
                }
                continue;
            };
            let at = checkpoint(stop, seam, target);
            match r {
                Some(r) if r.start == stop && r.at_start == seam => self.accept(k, r, at),
                // Framing does not depend on the database or `ctime`, and
                // past the first range neither an AUX nor an error was met.
                Some(r)
                    if r.start == stop
                        && r.at_start.family == seam.family
                        && r.error.is_none()
                        && !r.eof
                        && !r.fallback =>
                {
                    let after = Seam {
                        db: if r.selected { r.at_stop.db } else { seam.db },
                        ..seam
                    };
                    self.refolds.push_back(Refold {
                        k,
                        at,
                        expect: Some((r.stop, after)),
                    });
                    self.checked = Some((r.stop, after));
                    self.next += 1;
                }
                _ => {
                    self.refolds.push_back(Refold {
                        k,
                        at,
                        expect: None,
                    });
                    self.blocked = true;
                }
            }
        }
    }

    fn accept(&mut self, k: u64, r: Range<A>, at: ScanCheckpoint) {
        self.next = k + 1;
        self.checked = Some((r.stop, r.at_stop));
        if r.fallback {
            self.fallback = true;
            self.stopped = true;
            return;
        }
        // An error or the dump's end stops the walk there.
        self.stopped = r.error.is_some() || r.eof;
        self.ready.insert(k, (r, at));
    }

    /// A range folded again from its true start.
    fn refolded(&mut self, f: Refold, r: Range<A>) {
        match f.expect {
            None => {
                self.blocked = false;
                self.accept(f.k, r, f.at);
            }
            Some((stop, seam))
                if r.stop == stop
                    && r.at_stop == seam
                    && r.error.is_none()
                    && !r.eof
                    && !r.fallback =>
            {
                self.ready.insert(f.k, (r, f.at));
            }
            // Not what the check assumed: the batcher does the file.
            Some(_) => {
                self.fallback = true;
                self.stopped = true;
            }
        }
        if self.fallback {
            self.refolds.clear();
        }
    }

    /// Merges the checked ranges that come next into the walk so far.
    fn merge_ready(&mut self) {
        while let Some((r, at)) = self.ready.remove(&self.merged) {
            self.merged += 1;
            let Some((whole, checkpoints)) = &mut self.whole else {
                self.whole = Some((r, vec![at]));
                continue;
            };
            checkpoints.push(at);
            whole.acc.merge(r.acc);
            whole.facts.then(r.facts);
            whole.stop = r.stop;
            whole.at_stop = r.at_stop;
            whole.error = r.error;
            whole.eof = r.eof;
        }
    }

    /// The one walk's result, or `None` when the file is left to the
    /// batcher.
    fn into_folded(self) -> Option<Result<Folded<A>, rdb::Error>> {
        let complete = self.stopped || self.next == self.n;
        if self.fallback || !complete || self.merged != self.next || !self.ready.is_empty() {
            return None;
        }
        let (whole, checkpoints) = self.whole?;
        Some(match whole.error {
            Some(e) => Err(e),
            None => Ok(Folded {
                acc: whole.acc,
                facts: whole.facts,
                checkpoints,
            }),
        })
    }
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

/// The target, AUX `ctime`, family and database at the first key.
fn guess(data: &[u8], opts: &ScanOptions) -> Option<Guess> {
    let mut s = Scanner::new(data, &opts.choice).ok()?;
    let (before, origin) = (s.offset(), s.checkpoint());
    let k = s.next_key().ok()??;
    let guess = Guess {
        origin,
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
    pieces: &Arc<rdb::CrcPieces>,
) -> Range<A>
where
    A: Accumulator,
    I: Fn() -> A,
{
    match Scanner::new(data, &opts.choice) {
        Ok(s) => {
            let mut s = s.checking_crc(pieces);
            s.end = end;
            let seam = Seam::of(&s);
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
    pieces: &Arc<rdb::CrcPieces>,
) -> Range<A>
where
    A: Accumulator,
    I: Fn() -> A,
{
    match Scanner::resume(data, &opts.choice, at, end) {
        // Never given up: it is the walk's own.
        Ok(s) => {
            // Whichever range reads the EOF opcode checks the checksum.
            let s = s.checking_crc(pieces);
            walk(
                s,
                false,
                false,
                Seam::at(at),
                opts,
                init,
                &GiveUp::default(),
            )
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
        selected: false,
    }
}

/// A range from a guessed sync point at or after `from` to `end`; `None`
/// when no offset frames a run of records within the search budget.
fn speculate<A, I>(
    data: &[u8],
    opts: &ScanOptions,
    g: &Guess,
    (from, end): (u64, Option<u64>),
    init: &I,
    give_up: &GiveUp,
    pieces: &Arc<rdb::CrcPieces>,
) -> Option<Range<A>>
where
    A: Accumulator,
    I: Fn() -> A,
{
    let at = |offset: u64| checkpoint(offset, g.seam, &g.target);
    let len = data.len() as u64;
    let past = from + SLACK;
    let mut spent = 0u64;
    let mut p = from;
    // Only the boundary past `from + SLACK` and the database there are
    // taken from the candidate's walk: anything else it read (an AUX, an
    // EOF opcode inside a value it took for records) is not trusted.
    let (boundary, db) = loop {
        if p >= len || spent > SEARCH_BYTES || p - from > SEARCH_OFFSETS {
            return None;
        }
        let (mut sync, walked) = frames(data, opts, &at(p), past, TRY_BYTES);
        spent += walked.max(1);
        if matches!(sync, Candidate::Beyond) {
            // A record longer than the window spans `past` (or a false one
            // claims to): again, with what is left of the budget.
            let (again, walked) =
                frames(data, opts, &at(p), past, SEARCH_BYTES.saturating_sub(spent));
            spent += walked;
            sync = again;
        }
        match sync {
            Candidate::At { boundary, db } => break (boundary, db),
            Candidate::No | Candidate::Beyond => p += 1,
        }
    };
    let seam = Seam { db, ..g.seam };
    let start = checkpoint(boundary, seam, &g.target);
    let s = Scanner::resume(data, &opts.choice, &start, end)
        .ok()?
        .checking_crc(pieces);
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

/// What a sync candidate's walk found.
enum Candidate {
    /// An error, or the dump's end before `past`.
    No,
    /// It frames [`SYNC_RECORDS`] records (or all of them to the end of the
    /// file) and this is its first boundary at or past `past`, with the
    /// database there.
    At { boundary: u64, db: u64 },
    /// It frames, but a record reaches past the window before `past`.
    Beyond,
}

/// Walks at most `window` bytes past `past` from the candidate `at`, and
/// says how many bytes it walked. A candidate must reach `past` too: a
/// false one that frames a run of records usually meets the true walk
/// within a record or two, and both agree on the boundary past `past`.
fn frames(
    data: &[u8],
    opts: &ScanOptions,
    at: &ScanCheckpoint,
    past: u64,
    window: u64,
) -> (Candidate, u64) {
    let start = at.offset();
    let len = data.len() as u64;
    let limit = start.max(past).saturating_add(window).min(len);
    let Some(window) = data.get(..limit as usize) else {
        return (Candidate::No, 0);
    };
    let Ok(mut s) = Scanner::resume(window, &opts.choice, at, None) else {
        return (Candidate::No, 0);
    };
    // Only speed depends on this test: a false sync is caught when the
    // ranges are checked.
    let mut found = None;
    let mut keys = 0;
    let verdict = loop {
        if found.is_none() && s.offset() >= past {
            found = Some((s.offset(), s.db()));
        }
        if let (Some((boundary, db)), true) = (found, keys >= SYNC_RECORDS) {
            break Candidate::At { boundary, db };
        }
        match s.next_key() {
            Ok(Some(_)) => keys += 1,
            // The dump's end (or the file's): it frames if `past` came first.
            Ok(None) => {
                break match found {
                    Some((boundary, db)) if keys > 0 => Candidate::At { boundary, db },
                    _ => Candidate::No,
                };
            }
            // The window's end: it frames as far as it could be checked.
            Err(e)
                if matches!(e.kind, rdb::ErrorKind::Truncated { .. })
                    && limit < len
                    && keys > 0 =>
            {
                break found.map_or(Candidate::Beyond, |(boundary, db)| Candidate::At {
                    boundary,
                    db,
                });
            }
            Err(_) => break Candidate::No,
        }
    };
    (verdict, s.offset().saturating_sub(start))
}

/// Walks `s` to its end (or an error), folding every key: a range's
/// result. `first`: the range from the file's start; `guessed`: one that
/// starts at a sync point not yet checked.
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
        let k = match s.next_key() {
            Ok(Some(k)) => k,
            Ok(None) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        if guessed && s.lzf_largest() > GUESSED_INFLATE {
            // A range not yet checked does not inflate a big LZF string (it
            // may be bytes of another value that look like one): it is
            // folded again from the true boundary instead. Many small ones
            // (a quicklist's nodes) cost no more than the one walk's.
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
    let at_stop = Seam::of(&s);
    let (stop, eof, selected) = (s.offset(), s.at_eof(), s.selected());
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
        selected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::KeyFacts;

    /// Records which ranges were merged, in order.
    #[derive(Default)]
    struct Order(Vec<u64>);

    impl Accumulator for Order {
        fn add(&mut self, _: &KeyFacts<'_>) {}
        fn merge(&mut self, o: Order) {
            self.0.extend(o.0);
        }
    }

    fn seam(db: u64) -> Seam {
        Seam {
            db,
            family: rdb::Family::Redis,
            ctime_ms: Some(1),
        }
    }

    fn range(k: u64, start: u64, stop: u64, at: (u64, u64), selected: bool) -> Range<Order> {
        Range {
            acc: Order(vec![k]),
            facts: FileFacts::default(),
            start,
            stop,
            at_start: seam(at.0),
            at_stop: seam(at.1),
            error: None,
            fallback: false,
            eof: false,
            selected,
        }
    }

    fn target() -> Arc<ResolvedTarget> {
        let header = rdb::parse_header(b"REDIS0010").unwrap();
        let t = crate::memory::TargetChoice::default().resolve(
            header,
            rdb::Family::Redis,
            Some("7.0.15"),
            None,
        );
        Arc::new(t)
    }

    /// Range 0 selects db 1 inside it; ranges 1 and 2 guessed db 0 from
    /// the right boundaries. The check goes on without them (both are
    /// folded again, in any order) and the merge keeps file order.
    #[test]
    fn a_wrong_database_does_not_hold_up_the_check() {
        let (t, origin) = (target(), checkpoint(9, seam(0), &target()));
        let mut m = Merger::new(3);
        m.waiting.insert(2, Some(range(2, 200, 300, (0, 0), false)));
        m.waiting.insert(1, Some(range(1, 100, 200, (0, 0), false)));
        m.waiting.insert(0, Some(range(0, 9, 100, (0, 1), true)));
        m.check(&t, &origin);
        assert_eq!(m.next, 3, "all three checked");
        assert_eq!(m.checked, Some((300, seam(1))));
        let refolds: Vec<_> = m.refolds.drain(..).collect();
        assert_eq!(refolds.len(), 2);
        assert!(refolds.iter().all(|f| f.expect.is_some()));
        m.merge_ready();
        assert_eq!(m.merged, 1);
        // The second one comes back first.
        for f in refolds.into_iter().rev() {
            let k = f.k;
            assert_eq!(f.at.parser.db, 1);
            m.refolded(f, range(k, k * 100, k * 100 + 100, (1, 1), false));
            m.merge_ready();
        }
        let done = m.into_folded().unwrap().unwrap();
        assert_eq!(done.acc.0, [0, 1, 2]);
        assert_eq!(done.checkpoints.len(), 3);
    }

    /// A range that started elsewhere holds up the check until it is
    /// folded again; one that does not stop where the check assumed
    /// leaves the file to the batcher.
    #[test]
    fn a_false_sync_waits_and_a_broken_assumption_falls_back() {
        let (t, origin) = (target(), checkpoint(9, seam(0), &target()));
        let mut m = Merger::new(3);
        m.waiting.insert(0, Some(range(0, 9, 100, (0, 0), false)));
        m.waiting.insert(1, Some(range(1, 104, 200, (0, 0), false)));
        m.waiting.insert(2, Some(range(2, 200, 300, (0, 0), false)));
        m.check(&t, &origin);
        assert!(m.blocked);
        assert_eq!(m.next, 1);
        let f = m.refolds.pop_front().unwrap();
        assert!(f.expect.is_none());
        m.refolded(f, range(1, 100, 200, (0, 0), false));
        m.check(&t, &origin);
        m.merge_ready();
        assert!(m.refolds.is_empty());
        assert_eq!(m.into_folded().unwrap().unwrap().acc.0, [0, 1, 2]);

        let mut m = Merger::new(2);
        m.waiting.insert(0, Some(range(0, 9, 100, (0, 1), true)));
        m.waiting.insert(1, Some(range(1, 100, 200, (0, 0), false)));
        m.check(&t, &origin);
        let f = m.refolds.pop_front().unwrap();
        m.refolded(f, range(1, 100, 250, (1, 1), false));
        assert!(m.fallback && m.refolds.is_empty());
        assert!(m.into_folded().is_none());
    }
}
