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
}

impl Spill {
    /// Starts copying: `head` (bytes already read from the stream, checked
    /// by the caller) is written first, then a thread copies the rest of
    /// `r`. `what` names the stream in errors (e.g. `zstd`).
    /// `Err(r)`: no sparse window could be mapped here (then the caller
    /// copies the stream whole before reading it).
    pub(crate) fn start(
        file: &File,
        head: &[u8],
        r: Box<dyn Read + Send>,
        what: &'static str,
    ) -> io::Result<Result<Spill, Box<dyn Read + Send>>> {
        let Some((map, window)) = WINDOWS.iter().find_map(|&w| window(file, w)) else {
            return Ok(Err(r));
        };
        let mut out = file.try_clone()?;
        out.write_all(head)?;
        let shared = Arc::new(Shared::default());
        shared.publish(head.len() as u64, false);
        let s = shared.clone();
        let total = head.len() as u64;
        std::thread::Builder::new()
            .name("rdbscope-spill".into())
            .spawn(move || pump(r, out, &s, what, total, window))?;
        Ok(Ok(Spill { map, shared }))
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

/// The writer thread: copies `r` to `out` a chunk at a time, publishing
/// each, until the stream ends, fails, outgrows the window or is stopped.
fn pump(
    mut r: Box<dyn Read + Send>,
    mut out: File,
    sh: &Shared,
    what: &'static str,
    mut total: u64,
    window: u64,
) {
    let mut buf = vec![0u8; CHUNK];
    let failure = loop {
        if sh.stop.load(Ordering::Acquire) {
            break None;
        }
        // One read, not a full chunk: what a pipe has now is published
        // now (the dump's last bytes may be followed by a long silence).
        let n = match r.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Some(format!("{what}: {e} (after {total} bytes of output)")),
        };
        if total.saturating_add(n as u64) > window {
            break Some(format!(
                "the stream is larger than {window} bytes: save it to a file first"
            ));
        }
        if let Err(e) = out.write_all(&buf[..n]) {
            break Some(format!(
                "writing the temporary copy under {}: {e} (set TMPDIR)",
                std::env::temp_dir().display()
            ));
        }
        total += n as u64;
        sh.publish(total, false);
    };
    if let Some(f) = failure {
        *sh.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
    }
    sh.publish(total, true);
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
}

impl<'a> Feed<'a> {
    /// Bytes that are all there.
    pub fn complete(data: &'a [u8]) -> Feed<'a> {
        Feed {
            whole: data,
            spill: None,
            compressed: None,
            ends: true,
        }
    }

    pub(crate) fn spilling(s: &'a Spill) -> Feed<'a> {
        Feed {
            whole: &[],
            spill: Some(s),
            compressed: None,
            ends: false,
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
        self.spill.and_then(Spill::failure)
    }

    /// All the bytes (for a stream: once its copy ended or was stopped).
    pub fn all(&self) -> &'a [u8] {
        match self.spill {
            None => self.whole,
            Some(s) => s.all(),
        }
    }

    /// Whether the bytes arrive over time (a stream being copied).
    pub fn is_streaming(&self) -> bool {
        self.spill.is_some()
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
