//! A stream (stdin, a pipe, a decompressor) copied into an unlinked
//! temporary file by a background thread while the scan reads the part
//! already copied: the copy and the scan overlap, and the bytes live in the
//! page cache and on disk, never on the heap.
//!
//! The file is made sparse and large up front and mapped once, so the
//! mapping never moves: a slice of the first `available` bytes stays valid
//! while the writer appends past it, and a longer slice of the same mapping
//! is handed out as more arrives ([`Feed`]). The writer stops when the
//! consumer says it has what it needs (the RDB's EOF and checksum), so
//! bytes after the dump are never copied in full.
//!
//! A source that must not touch the disk (a live server) is copied into
//! memory instead (a `memfd`), and its consumers release what they are done
//! with ([`Feed::release`]): those pages are punched out, and the writer
//! stays at most [`AHEAD`] bytes past them, so memory is bounded by the
//! scan's window, not by the dump. The CRC-64 is kept as the bytes arrive
//! (per [`CRC_STEP`]) so the checksum at the dump's end needs no bytes
//! that were released.

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use memmap2::Mmap;

/// Sizes tried for the sparse window, largest first. A stream that outgrows
/// the window is an error asking for a file instead.
/// (Under an address-space limit, `ulimit -v`, only the smaller ones map.)
const WINDOWS: [u64; 5] = [1 << 40, 1 << 36, 1 << 32, 1 << 30, 1 << 28];

/// Bytes read from the stream per write to the file.
const CHUNK: usize = 1 << 20;

/// The CRC-64 of the stream is kept for every prefix of a multiple of
/// this many bytes; releases are made in such steps too.
const CRC_STEP: u64 = 1 << 20;
/// A releasing spill's writer waits while this much is copied and not yet
/// released (unless a reader waits for more): the window a scan works in.
const AHEAD: u64 = 32 << 20;
/// Released bytes are punched out in pieces of at least this much.
const PUNCH_MIN: u64 = 8 << 20;

/// What the writer thread and the readers share.
#[derive(Default)]
struct Shared {
    /// Bytes written to the file so far (only grows).
    available: AtomicU64,
    /// No more bytes will come (end of stream, failure or stop).
    complete: AtomicBool,
    /// The consumer needs no more bytes.
    stop: AtomicBool,
    /// Why the stream ended early, if it did.
    failure: Mutex<Option<String>>,
    /// Bytes at the front punched out (a releasing spill only).
    released: AtomicU64,
    /// Readers waiting for bytes: a releasing writer then goes on past
    /// [`AHEAD`] (a consumer that releases nothing must not deadlock).
    waiters: AtomicU64,
    /// The CRC-64 of the first `k * CRC_STEP` bytes, for each `k`.
    crcs: Mutex<Vec<u64>>,
    /// How long the stream says it is (0: not known).
    expected: AtomicU64,
    /// Guards waits on `available`/`complete`.
    lock: Mutex<()>,
    cond: Condvar,
}

impl Shared {
    fn publish(&self, available: u64, complete: bool) {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.available.store(available, Ordering::Release);
        if complete {
            self.complete.store(true, Ordering::Release);
        }
        self.cond.notify_all();
    }
}

/// A stream being copied into a mapped temporary file.
pub(crate) struct Spill {
    map: Mmap,
    shared: Arc<Shared>,
    /// The file, for a spill whose consumers release bytes.
    punch: Option<File>,
}

impl Spill {
    /// Starts copying: `head` (bytes already read from the stream, checked
    /// by the caller) is written first, then a thread copies the rest of
    /// `r`. `what` names the stream in errors (e.g. `zstd`).
    /// `Err(r)`: no sparse window could be mapped here (then the caller
    /// copies the stream whole before reading it). With `releasing`, the
    /// consumers release what they are done with (see the module docs).
    pub(crate) fn start(
        file: &File,
        head: &[u8],
        r: Box<dyn Read + Send>,
        what: &'static str,
        releasing: bool,
    ) -> io::Result<Result<Spill, Box<dyn Read + Send>>> {
        let Some((map, window)) = WINDOWS.iter().find_map(|&w| window(file, w)) else {
            return Ok(Err(r));
        };
        let mut out = file.try_clone()?;
        let shared = Arc::new(Shared {
            crcs: Mutex::new(vec![0]),
            ..Shared::default()
        });
        let mut crc = Crcs::default();
        out.write_all(head)?;
        crc.add(head, &shared);
        shared.publish(head.len() as u64, false);
        let s = shared.clone();
        let total = head.len() as u64;
        let ahead = releasing.then_some(AHEAD);
        std::thread::Builder::new()
            .name("rdbscope-spill".into())
            .spawn(move || pump(r, out, &s, (what, total, window, ahead), crc))?;
        let punch = if releasing {
            Some(file.try_clone()?)
        } else {
            None
        };
        Ok(Ok(Spill { map, shared, punch }))
    }

    /// The consumers are done with the bytes before `upto`: for a
    /// releasing spill, whole [`CRC_STEP`]s of them are punched out.
    pub(crate) fn release(&self, upto: u64) {
        let Some(file) = &self.punch else { return };
        let sh = &self.shared;
        let to = upto.min(sh.available.load(Ordering::Acquire)) / CRC_STEP * CRC_STEP;
        let from = sh.released.load(Ordering::Acquire);
        if to < from.saturating_add(PUNCH_MIN)
            || sh
                .released
                .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        punch_hole(file, from, to - from);
        let _g = sh.lock.lock().unwrap_or_else(|e| e.into_inner());
        sh.cond.notify_all();
    }

    /// The stream says it is `n` bytes long (a live server's `$<len>`).
    pub(crate) fn announce_len(&self, n: u64) {
        self.shared.expected.store(n, Ordering::Release);
    }

    /// Whether bytes may have been released (a second walk cannot be made).
    pub(crate) fn releasing(&self) -> bool {
        self.punch.is_some()
    }

    /// The CRC-64 of `covered`, a prefix of the spill, from the CRCs kept
    /// as it arrived and the bytes past the last whole step (`None`: not
    /// a prefix of this spill, or those bytes were released).
    fn crc_of(&self, covered: &[u8]) -> Option<u64> {
        if covered.as_ptr() != self.map.as_ptr() {
            return None;
        }
        let len = covered.len() as u64;
        let k = len / CRC_STEP;
        let at = k * CRC_STEP;
        if at < self.shared.released.load(Ordering::Acquire) && at < len {
            return None;
        }
        let head = *self
            .shared
            .crcs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(usize::try_from(k).ok()?)?;
        let rest = covered.get(usize::try_from(at).ok()?..)?;
        Some(crate::rdb::crc64_combine(
            head,
            crate::rdb::crc64(rest),
            rest.len() as u64,
        ))
    }

    /// Tells the writer to stop reading (the consumer has what it needs).
    pub(crate) fn stop(&self) {
        let _g = self.shared.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.shared.stop.store(true, Ordering::Release);
        self.shared.cond.notify_all();
    }

    fn now(&self) -> (&[u8], bool) {
        // `complete` first: once it is set, `available` is final.
        let complete = self.shared.complete.load(Ordering::Acquire);
        let n = self.shared.available.load(Ordering::Acquire);
        (self.slice(n), complete)
    }

    fn slice(&self, n: u64) -> &[u8] {
        let n = usize::try_from(n).unwrap_or(usize::MAX).min(self.map.len());
        &self.map[..n]
    }

    /// Waits until more than `n` bytes are there, no more will come or
    /// (with a limit) the time is up.
    fn wait(&self, n: u64, limit: Option<Duration>) -> (&[u8], bool) {
        let sh = &self.shared;
        let deadline = limit.map(|l| Instant::now() + l);
        let mut g = sh.lock.lock().unwrap_or_else(|e| e.into_inner());
        sh.waiters.fetch_add(1, Ordering::AcqRel);
        // A writer held back by `AHEAD` goes on.
        sh.cond.notify_all();
        while sh.available.load(Ordering::Acquire) <= n && !sh.complete.load(Ordering::Acquire) {
            if n == u64::MAX && sh.stop.load(Ordering::Acquire) {
                break;
            }
            g = match deadline {
                None => sh.cond.wait(g).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    sh.cond
                        .wait_timeout(g, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
        sh.waiters.fetch_sub(1, Ordering::AcqRel);
        drop(g);
        self.now()
    }

    /// All of the stream: once it has ended, or up to where the consumer
    /// stopped it (the writer may still be blocked on a pipe that stays
    /// open after the dump).
    pub(crate) fn all(&self) -> &[u8] {
        self.wait(u64::MAX, None).0
    }

    fn failure(&self) -> Option<String> {
        self.shared
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        // The thread may be blocked reading a stream that never ends; it
        // sees the flag at its next chunk and exits (the file is unlinked,
        // so its space goes with the last handle).
        self.stop();
    }
}

/// A sparse file of `len` bytes, mapped read-only.
fn window(file: &File, len: u64) -> Option<(Mmap, u64)> {
    file.set_len(len).ok()?;
    let size = usize::try_from(len).ok()?;
    // SAFETY: the file is ours (unlinked, no other process has it) and is
    // never shrunk while mapped; readers only see bytes below `available`,
    // which the writer never changes again.
    let map = unsafe { memmap2::MmapOptions::new().len(size).map(file) }.ok()?;
    Some((map, len))
}

/// The running CRC-64 of what the writer copied, kept per [`CRC_STEP`].
#[derive(Default)]
struct Crcs {
    /// The CRC of the whole steps so far, and of the bytes past them.
    whole: u64,
    part: u64,
    part_len: u64,
}

impl Crcs {
    fn add(&mut self, mut bytes: &[u8], sh: &Shared) {
        use crate::rdb::{crc64, crc64_combine};
        while !bytes.is_empty() {
            let room = usize::try_from(CRC_STEP - self.part_len).unwrap_or(usize::MAX);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.part = crc64_combine(self.part, crc64(now), now.len() as u64);
            self.part_len += now.len() as u64;
            if self.part_len == CRC_STEP {
                self.whole = crc64_combine(self.whole, self.part, CRC_STEP);
                (self.part, self.part_len) = (0, 0);
                sh.crcs
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(self.whole);
            }
            bytes = rest;
        }
    }
}

/// The writer thread: copies `r` to `out` a chunk at a time, publishing
/// each, until the stream ends, fails, outgrows the window or is stopped.
/// A releasing spill's writer (`ahead`) stays that far past what was
/// released while no reader waits.
fn pump(
    mut r: Box<dyn Read + Send>,
    mut out: File,
    sh: &Shared,
    (what, mut total, window, ahead): (&'static str, u64, u64, Option<u64>),
    mut crc: Crcs,
) {
    let mut buf = vec![0u8; CHUNK];
    let failure = loop {
        if let Some(ahead) = ahead {
            let mut g = sh.lock.lock().unwrap_or_else(|e| e.into_inner());
            while total.saturating_sub(sh.released.load(Ordering::Acquire)) > ahead
                && sh.waiters.load(Ordering::Acquire) == 0
                && !sh.stop.load(Ordering::Acquire)
            {
                g = sh.cond.wait(g).unwrap_or_else(|e| e.into_inner());
            }
        }
        if sh.stop.load(Ordering::Acquire) {
            break None;
        }
        // One read, not a full chunk: what a pipe has now is published
        // now (the dump's last bytes may be followed by a long silence).
        let n = match r.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Some(super::failure_text(&e, what, total)),
        };
        if total.saturating_add(n as u64) > window {
            break Some(format!(
                "the stream is larger than {window} bytes: save it to a file first"
            ));
        }
        if let Err(e) = out.write_all(&buf[..n]) {
            break Some(match ahead {
                Some(_) => format!("copying the stream into memory: {e}"),
                None => format!(
                    "writing the temporary copy under {}: {e} (set TMPDIR)",
                    std::env::temp_dir().display()
                ),
            });
        }
        crc.add(&buf[..n], sh);
        total += n as u64;
        sh.publish(total, false);
    };
    if let Some(f) = failure {
        *sh.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
    }
    sh.publish(total, true);
}

/// Frees `len` bytes at `at` of `file` (its size stays).
fn punch_hole(file: &File, at: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd as _;
        let (Ok(at), Ok(len)) = (libc::off_t::try_from(at), libc::off_t::try_from(len)) else {
            return;
        };
        // SAFETY: a plain system call on a descriptor we own. A failure
        // only leaves the pages in place.
        unsafe {
            libc::fallocate(
                file.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                at,
                len,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, at, len);
}

/// Reads until `buf` holds `min` bytes, is full or the stream ends.
pub(crate) fn fill(r: &mut dyn Read, buf: &mut [u8], min: usize) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len().min(min) {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The RDB bytes of an input as they arrive: all of them at once for a
/// mapped file or bytes in memory, a growing prefix while a stream is
/// still being copied.
#[derive(Clone, Copy)]
pub struct Feed<'a> {
    whole: &'a [u8],
    spill: Option<&'a Spill>,
    /// Compressed bytes taken so far, for a decompressed input.
    compressed: Option<&'a AtomicU64>,
    /// The stream ends by itself (a file, not a pipe a producer may hold
    /// open): what follows the dump can be waited for.
    ends: bool,
    /// Why a source gave no bytes at all (a server not reached).
    failed: Option<&'a str>,
}

impl<'a> Feed<'a> {
    /// Bytes that are all there.
    pub fn complete(data: &'a [u8]) -> Feed<'a> {
        Feed {
            whole: data,
            spill: None,
            compressed: None,
            ends: true,
            failed: None,
        }
    }

    /// A source that gave no bytes, and why.
    pub(crate) fn failed(why: &'a str) -> Feed<'a> {
        Feed {
            failed: Some(why),
            ..Feed::complete(&[])
        }
    }

    pub(crate) fn spilling(s: &'a Spill) -> Feed<'a> {
        Feed {
            whole: &[],
            spill: Some(s),
            compressed: None,
            ends: false,
            failed: None,
        }
    }

    /// The same bytes, decompressed from a stream whose consumed length
    /// `compressed` counts.
    pub(crate) fn decompressed_from(self, compressed: Option<&'a AtomicU64>) -> Feed<'a> {
        Feed { compressed, ..self }
    }

    /// The same bytes, from a source that ends by itself (or not).
    pub(crate) fn ending(self, ends: bool) -> Feed<'a> {
        Feed { ends, ..self }
    }

    /// Whether the source ends by itself (see the field).
    pub fn ends(&self) -> bool {
        self.ends
    }

    /// How many records a scan may read before the input is taken for a
    /// decompression bomb (`None`: not decompressed, no limit): see
    /// [`super::RECORDS_PER_BYTE`].
    /// Compressed bytes behind the input (`None`: not decompressed).
    pub fn compressed(&self) -> Option<u64> {
        self.compressed.map(|c| c.load(Ordering::Relaxed))
    }

    pub fn record_budget(&self) -> Option<(u64, u64)> {
        let c = self.compressed?.load(Ordering::Relaxed);
        Some((
            c,
            super::RECORD_FLOOR.max(c.saturating_mul(super::RECORDS_PER_BYTE)),
        ))
    }

    /// The bytes so far, and whether they are all.
    pub fn now(&self) -> (&'a [u8], bool) {
        match self.spill {
            None => (self.whole, true),
            Some(s) => s.now(),
        }
    }

    /// Waits until more than `n` bytes are there (or no more will come).
    pub fn wait(&self, n: u64) -> (&'a [u8], bool) {
        match self.spill {
            None => (self.whole, true),
            Some(s) => s.wait(n, None),
        }
    }

    /// [`Feed::wait`], for at most `limit`.
    pub fn wait_for(&self, n: u64, limit: Duration) -> (&'a [u8], bool) {
        match self.spill {
            None => (self.whole, true),
            Some(s) => s.wait(n, Some(limit)),
        }
    }

    /// The consumer needs no more bytes: the copy stops.
    pub fn stop(&self) {
        if let Some(s) = self.spill {
            s.stop();
        }
    }

    /// Why the stream ended before its end (a read or decompression
    /// error), once it has.
    pub fn failure(&self) -> Option<String> {
        match self.failed {
            Some(why) => Some(why.to_string()),
            None => self.spill.and_then(Spill::failure),
        }
    }

    /// All the bytes (for a stream: once its copy ended or was stopped).
    pub fn all(&self) -> &'a [u8] {
        match self.spill {
            None => self.whole,
            Some(s) => s.all(),
        }
    }

    /// How long the bytes will be, as far as known now: what has arrived,
    /// or the length a live server announced (for a progress bar).
    pub fn len_hint(&self) -> u64 {
        let now = self.now().0.len() as u64;
        match self.spill {
            Some(s) => now.max(s.shared.expected.load(Ordering::Acquire)),
            None => now,
        }
    }

    /// Whether the bytes arrive over time (a stream being copied).
    pub fn is_streaming(&self) -> bool {
        self.spill.is_some()
    }

    /// The consumer is done with the bytes before `upto`: a source kept
    /// in memory (a live server) frees them. Only a consumer that never
    /// reads them again may say so.
    pub fn release(&self, upto: u64) {
        if let Some(s) = self.spill {
            s.release(upto);
        }
    }

    /// Whether the bytes can be read again after a walk (not a source
    /// whose consumers release what they read).
    pub fn rereadable(&self) -> bool {
        self.spill.is_none_or(|s| !s.releasing())
    }

    /// The CRC-64 of `covered`, a prefix of these bytes, when it was kept
    /// as they arrived (a stream), so that none of them is read again.
    pub fn crc_of(&self, covered: &[u8]) -> Option<u64> {
        self.spill.and_then(|s| s.crc_of(covered))
    }
}

impl<'a> From<&'a [u8]> for Feed<'a> {
    fn from(data: &'a [u8]) -> Feed<'a> {
        Feed::complete(data)
    }
}

impl<'a> From<&'a Vec<u8>> for Feed<'a> {
    fn from(data: &'a Vec<u8>) -> Feed<'a> {
        Feed::complete(data)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Feed<'a> {
    fn from(data: &'a [u8; N]) -> Feed<'a> {
        Feed::complete(data)
    }
}
