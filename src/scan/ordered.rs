//! The ordered consumers (`keys`, `dump`) on all cores: one thread frames
//! batches with the same [`Batcher`] the reports use, workers turn each
//! batch into output bytes, and the calling thread writes the pieces in file
//! order. The bytes written are the same for any number of threads, and a
//! decoding error stops the output where the one-thread walk would: after
//! the rows of the keys before it.
//!
//! Memory stays bounded: at most [`IN_FLIGHT`] batches a worker are framed
//! and not yet written. A record whose value is larger than the caller's
//! `inline_bytes` is put alone in its batch and turned into output by the
//! writing thread straight into the writer, so a huge value is never held
//! as a second copy in a buffer.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use super::parallel::{Batch, Batcher};
use super::{FileFacts, Scanner};
use crate::input::Feed;
use crate::memory::{ResolvedTarget, TargetChoice};

/// Where a batch's output goes: a worker's buffer, or (a huge value on
/// the writing thread) the writer itself.
pub enum Sink<'w> {
    Buffer(&'w mut Vec<u8>),
    Writer(&'w mut dyn Write),
}

impl Sink<'_> {
    pub fn write(&mut self) -> &mut dyn Write {
        match self {
            Sink::Buffer(b) => &mut **b,
            Sink::Writer(w) => &mut **w,
        }
    }
}

/// Where a batch's output goes, and what it says besides its bytes.
pub struct Out<'w, P> {
    pub w: Sink<'w>,
    /// Output that is not bytes (encoded Parquet column chunks), handed to
    /// [`Consumer::put`] in file order after the bytes.
    pub part: Option<P>,
    /// Warnings about the batch's keys, printed in file order after its bytes.
    pub notes: Vec<String>,
    /// Rows written (keys the consumer accepted).
    pub rows: u64,
}

impl<'w, P> Out<'w, P> {
    fn new(w: Sink<'w>) -> Self {
        Out {
            w,
            part: None,
            notes: Vec::new(),
            rows: 0,
        }
    }
}

/// What a worker made of one batch.
struct Piece<P> {
    bytes: Vec<u8>,
    part: Option<P>,
    notes: Vec<String>,
    rows: u64,
    /// The error that stopped the batch (its rows before it are in `bytes`).
    error: Option<crate::Error>,
    /// Offset reached, for the progress bar.
    end: u64,
}

enum Item<'a, P> {
    /// Turned into a piece by a worker.
    Done(Piece<P>, Arc<ResolvedTarget>),
    /// Left to the writer (a huge value).
    Inline(Batch<'a>, u64),
}

/// Batches framed ahead of the writer, per worker.
const IN_FLIGHT: usize = 4;
/// The largest output buffer kept for reuse (a batch is at most 4 MiB of
/// records; its output a few times that).
const SPARE_BYTES: usize = 16 << 20;

/// How a batch becomes output (on any thread).
pub trait Consumer<'a>: Sync {
    /// Per-thread state (decoding buffers).
    type State;
    /// What a batch makes besides bytes (`()` for text output).
    type Part: Send;
    fn state(&self) -> Self::State;
    /// Writes the output of `batch` into `out`; an error stops the scan
    /// after what was written.
    fn batch(
        &self,
        st: &mut Self::State,
        batch: &Batch<'a>,
        out: &mut Out<'_, Self::Part>,
    ) -> crate::Result<()>;
    /// Takes a batch's part, in file order, on the writing thread.
    fn put(&self, _part: Self::Part) -> crate::Result<()> {
        Ok(())
    }
}

/// What the writing thread tells the caller, in file order.
pub struct Hooks<'h> {
    /// Before the bytes of the first batch that holds rows (after them
    /// when that batch is a huge value written straight to the writer).
    pub first_rows: &'h mut dyn FnMut(&ResolvedTarget),
    /// A batch's warnings, after its bytes.
    pub note: &'h mut dyn FnMut(String),
}

/// How an ordered scan runs.
pub struct Plan<'c> {
    pub choice: &'c TargetChoice,
    /// Workers (0: one per core; 1: all on the calling thread).
    pub threads: usize,
    /// Records whose value weighs this much are written by the writing
    /// thread itself (see [`Batch::inline`]).
    pub inline_bytes: u64,
}

/// Worker threads for a `--threads` value (0: one per core).
pub fn workers(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Frames `data` into batches and hands them to `c` on the plan's
/// workers, writing the outputs to `w` in file order. Returns the file's
/// facts and the rows written.
pub fn run<'a, C: Consumer<'a>>(
    data: Feed<'a>,
    plan: Plan<'_>,
    progress: &dyn Fn(u64),
    c: &C,
    hooks: &mut Hooks<'_>,
    w: &mut dyn Write,
) -> crate::Result<(FileFacts, u64)> {
    let threads = workers(plan.threads);
    // What is written is never read again: a source kept in memory frees it.
    let progress = &|pos| {
        progress(pos);
        data.release(pos);
    };
    let mut b = Batcher::new(Scanner::from_feed(data, plan.choice)?, None);
    b.inline_bytes = plan.inline_bytes;
    let rows = if threads <= 1 {
        serial(&mut b, progress, c, hooks, w)?
    } else {
        parallel(&mut b, threads, progress, c, hooks, w)?
    };
    if let Some(e) = b.error.take() {
        return Err(e.into());
    }
    Ok((b.s.finish(), rows))
}

fn serial<'a, C: Consumer<'a>>(
    b: &mut Batcher<'a, '_>,
    progress: &dyn Fn(u64),
    c: &C,
    hooks: &mut Hooks<'_>,
    w: &mut dyn Write,
) -> crate::Result<u64> {
    let mut st = c.state();
    let mut rows = 0;
    let spare = Spare::new(1);
    while let Some(batch) = b.next_batch() {
        // Into a buffer, as a worker does: the first-rows hook comes
        // before the batch's bytes.
        let mut bytes = spare.take();
        let (error, part, notes, n) = {
            let sink = if batch.inline {
                Sink::Writer(&mut *w)
            } else {
                Sink::Buffer(&mut bytes)
            };
            let mut out = Out::new(sink);
            let error = c.batch(&mut st, &batch, &mut out).err();
            (error, out.part, out.notes, out.rows)
        };
        let piece = Piece {
            bytes,
            part,
            notes,
            rows: n,
            error,
            end: batch.end,
        };
        rows = put(c, piece, &batch.target, rows, progress, hooks, w, &spare)?;
    }
    Ok(rows)
}

/// Writes one piece in its turn; returns the rows written so far.
#[allow(clippy::too_many_arguments)]
fn put<'a, C: Consumer<'a>>(
    c: &C,
    piece: Piece<C::Part>,
    target: &ResolvedTarget,
    rows: u64,
    progress: &dyn Fn(u64),
    hooks: &mut Hooks<'_>,
    w: &mut dyn Write,
    spare: &Spare,
) -> crate::Result<u64> {
    if piece.rows > 0 && rows == 0 {
        (hooks.first_rows)(target);
    }
    w.write_all(&piece.bytes)?;
    spare.give(piece.bytes);
    if let Some(part) = piece.part {
        c.put(part)?;
    }
    for note in piece.notes {
        (hooks.note)(note);
    }
    if let Some(e) = piece.error {
        return Err(e);
    }
    progress(piece.end);
    Ok(rows + piece.rows)
}

fn parallel<'a, C: Consumer<'a>>(
    b: &mut Batcher<'a, '_>,
    threads: usize,
    progress: &dyn Fn(u64),
    c: &C,
    hooks: &mut Hooks<'_>,
    w: &mut dyn Write,
) -> crate::Result<u64> {
    let limit = threads * IN_FLIGHT;
    // Tokens: the framer takes one per batch, the writer gives it back
    // once the batch is written, so at most `limit` are in flight.
    let (token_tx, token_rx) = sync_channel::<()>(limit);
    for _ in 0..limit {
        let _ = token_tx.send(());
    }
    let (work_tx, work_rx) = sync_channel::<(u64, Batch<'a>)>(limit);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = sync_channel::<(u64, Item<'a, C::Part>)>(limit);
    let spare = Spare::new(threads);
    std::thread::scope(|scope| {
        let framer_done = done_tx.clone();
        scope.spawn(move || frame(b, &token_rx, &work_tx, &framer_done));
        for _ in 0..threads {
            let (rx, tx, spare) = (&work_rx, done_tx.clone(), &spare);
            scope.spawn(move || work(c, rx, &tx, spare));
        }
        drop(done_tx);
        let written = write_in_order(&done_rx, &token_tx, progress, c, hooks, w, &spare);
        // On an early stop, the others see their channels close.
        drop(done_rx);
        drop(token_tx);
        written
    })
}

/// The framing thread: batches in file order, numbered.
fn frame<'a, P>(
    b: &mut Batcher<'a, '_>,
    tokens: &Receiver<()>,
    work: &SyncSender<(u64, Batch<'a>)>,
    done: &SyncSender<(u64, Item<'a, P>)>,
) {
    let mut seq = 0u64;
    while tokens.recv().is_ok() {
        let Some(batch) = b.next_batch() else { return };
        let end = batch.end;
        let sent = if batch.inline {
            done.send((seq, Item::Inline(batch, end))).is_ok()
        } else {
            work.send((seq, batch)).is_ok()
        };
        if !sent {
            return;
        }
        seq += 1;
    }
}

/// Output buffers written and handed back for the next batches: a batch's
/// output (hundreds of KiB) is not grown from nothing each time.
/// At most `keep` are kept: one a worker.
struct Spare {
    bufs: Mutex<Vec<Vec<u8>>>,
    keep: usize,
}

impl Spare {
    fn new(keep: usize) -> Self {
        Spare {
            bufs: Mutex::new(Vec::new()),
            keep,
        }
    }

    fn take(&self) -> Vec<u8> {
        self.bufs
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default()
    }

    fn give(&self, mut b: Vec<u8>) {
        // A buffer grown by a value of hundreds of MiB is not kept.
        if b.capacity() > SPARE_BYTES {
            return;
        }
        b.clear();
        if let Ok(mut v) = self.bufs.lock()
            && v.len() < self.keep
        {
            v.push(b);
        }
    }
}

fn work<'a, C: Consumer<'a>>(
    c: &C,
    rx: &Mutex<Receiver<(u64, Batch<'a>)>>,
    done: &SyncSender<(u64, Item<'a, C::Part>)>,
    spare: &Spare,
) {
    let mut st = c.state();
    loop {
        let next = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        let Ok((seq, batch)) = next else { return };
        let mut bytes = spare.take();
        let mut out = Out::new(Sink::Buffer(&mut bytes));
        let error = c.batch(&mut st, &batch, &mut out).err();
        let (part, notes, rows) = (out.part, out.notes, out.rows);
        let piece = Piece {
            bytes,
            part,
            notes,
            rows,
            error,
            end: batch.end,
        };
        if done.send((seq, Item::Done(piece, batch.target))).is_err() {
            return;
        }
    }
}

/// The writer: pieces in sequence order; stops at the first error.
fn write_in_order<'a, C: Consumer<'a>>(
    done: &Receiver<(u64, Item<'a, C::Part>)>,
    tokens: &SyncSender<()>,
    progress: &dyn Fn(u64),
    c: &C,
    hooks: &mut Hooks<'_>,
    w: &mut dyn Write,
    spare: &Spare,
) -> crate::Result<u64> {
    let mut waiting: BTreeMap<u64, Item<'a, C::Part>> = BTreeMap::new();
    let (mut next, mut rows) = (0u64, 0u64);
    let mut st = None;
    while let Ok((seq, item)) = done.recv() {
        waiting.insert(seq, item);
        while let Some(item) = waiting.remove(&next) {
            next += 1;
            let (piece, target) = match item {
                Item::Done(p, t) => (p, t),
                Item::Inline(batch, end) => {
                    // Straight into the writer (the first-rows hook
                    // comes after these bytes).
                    let st = st.get_or_insert_with(|| c.state());
                    let mut out = Out::new(Sink::Writer(&mut *w));
                    let error = c.batch(st, &batch, &mut out).err();
                    let piece = Piece {
                        bytes: Vec::new(),
                        part: out.part,
                        notes: out.notes,
                        rows: out.rows,
                        error,
                        end,
                    };
                    (piece, batch.target)
                }
            };
            rows = put(c, piece, &target, rows, progress, hooks, w, spare)?;
            let _ = tokens.send(());
        }
    }
    Ok(rows)
}
