//! The RDB's bytes as the connection brings them, in either framing, and
//! the `--save-to` copy of them.

use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::conn::{Conn, with_context};
use crate::publish::{Pending, dir_of};

/// How the RDB bulk is framed.
#[derive(Debug)]
pub(super) enum Framing {
    /// `$<len>`: that many bytes.
    Length(u64),
    /// `$EOF:<mark>`: bytes until the last 40 read are the mark.
    Mark([u8; MARK]),
}

pub(super) const MARK: usize = 40;

/// The RDB's bytes from the connection, nothing before or after.
pub(super) struct RdbBody {
    pub(super) conn: BufReader<Conn>,
    pub(super) framing: Framing,
    /// RDB bytes given out so far.
    pub(super) got: u64,
    /// Bytes read that may be the start of the end mark (diskless).
    pub(super) held: Vec<u8>,
    pub(super) done: bool,
    pub(super) save: Option<SaveTo>,
    /// Bytes for a reader whose buffer is too short (see `read`).
    pub(super) ready: Vec<u8>,
    pub(super) ready_at: usize,
}

impl RdbBody {
    fn cut(&self) -> io::Error {
        let of = match self.framing {
            Framing::Length(n) => format!(" of {n} announced"),
            Framing::Mark(_) => String::new(),
        };
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the server closed the connection at byte {}{of}, before the RDB's end",
                self.got
            ),
        )
    }

    fn next(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let timeout = |e: io::Error| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
                io::ErrorKind::TimedOut,
                "the server stopped sending (--timeout)",
            ),
            _ => e,
        };
        match self.framing {
            Framing::Length(total) => {
                let left = total - self.got;
                if left == 0 {
                    self.done = true;
                    return Ok(0);
                }
                let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                let n = self.conn.read(&mut buf[..want]).map_err(timeout)?;
                if n == 0 {
                    return Err(self.cut());
                }
                self.done = n as u64 == left;
                Ok(n)
            }
            Framing::Mark(mark) => {
                // The RDB ends where the mark is. Servers send nothing after
                // it until the replica acknowledges; were anything to
                // follow in the same read, it is not the RDB's. The last
                // MARK - 1 bytes are kept back: they may begin the mark.
                // (`read` gives this a buffer longer than the mark.)
                loop {
                    let h = self.held.len();
                    buf[..h].copy_from_slice(&self.held);
                    let n = self.conn.read(&mut buf[h..]).map_err(timeout)?;
                    if n == 0 {
                        return Err(self.cut());
                    }
                    let all = h + n;
                    self.held.clear();
                    if let Some(at) = memchr::memmem::find(&buf[..all], &mark) {
                        self.done = true;
                        return Ok(at);
                    }
                    let give = all.saturating_sub(MARK - 1);
                    self.held.extend_from_slice(&buf[give..all]);
                    if give > 0 {
                        return Ok(give);
                    }
                }
            }
        }
    }
}

impl Read for RdbBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ready.len() > self.ready_at {
            let k = (self.ready.len() - self.ready_at).min(buf.len());
            buf[..k].copy_from_slice(&self.ready[self.ready_at..self.ready_at + k]);
            self.ready_at += k;
            return Ok(k);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if self.done {
            if let Some(s) = self.save.take() {
                s.finish()?;
            }
            return Ok(0);
        }
        if buf.len() <= 2 * MARK {
            // Too short to hold the mark back in: through a buffer.
            let mut ready = std::mem::take(&mut self.ready);
            ready.resize(1 << 16, 0);
            let n = self.read(&mut ready)?;
            ready.truncate(n);
            (self.ready, self.ready_at) = (ready, 0);
            return self.read(buf);
        }
        let n = self.next(buf)?;
        if let Some(s) = &mut self.save {
            s.write(&buf[..n])?;
        }
        self.got += n as u64;
        // The copy is complete with the RDB's last byte (the reader may
        // stop reading once it has the dump's end).
        if self.done
            && let Some(s) = self.save.take()
        {
            s.finish()?;
        }
        if n == 0 {
            return self.read(buf);
        }
        Ok(n)
    }
}

/// `--save-to`: the RDB written into a file without a name in the target's
/// directory, put in place over the target once complete
/// ([`crate::publish`]): a cut transfer, an error or a signal
/// leaves no file behind. (Where no unnamed file can be made: a hidden
/// named one, removed at exit.)
pub(super) struct SaveTo {
    file: std::fs::File,
    pending: Pending,
    path: PathBuf,
}

/// Whether a `--save-to` copy was asked for, and whether it was written.
static ASKED: AtomicBool = AtomicBool::new(false);
static WRITTEN: AtomicBool = AtomicBool::new(false);

/// A `--save-to` copy was started and never completed (the server's RDB
/// did not end where the dump did, or the transfer failed).
pub fn save_incomplete() -> bool {
    ASKED.load(Ordering::Acquire) && !WRITTEN.load(Ordering::Acquire)
}

/// Hidden named copies not complete yet (not Linux): removed by
/// [`discard_unfinished`].
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes what incomplete `--save-to` copies left (call before exiting).
pub fn discard_unfinished() {
    let mut list = UNFINISHED.lock().unwrap_or_else(|e| e.into_inner());
    for p in list.drain(..) {
        let _ = std::fs::remove_file(p);
    }
}

/// Checks `--save-to PATH` before any server is asked for anything: its
/// directory exists, and PATH is not a directory, a device, a pipe or a
/// link (the copy replaces a regular file only).
pub fn check_save_to(path: &Path) -> Result<(), String> {
    let dir = dir_of(path);
    if !dir.is_dir() {
        return Err(format!(
            "--save-to {}: the directory {} does not exist",
            path.display(),
            dir.display()
        ));
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => Err(format!(
            "--save-to {}: not a regular file (a directory, device, pipe or link is not \
             replaced)",
            path.display()
        )),
        _ => Ok(()),
    }
}

impl SaveTo {
    pub(super) fn create(path: &Path) -> io::Result<SaveTo> {
        let ctx = |e: io::Error| with_context(e, format!("--save-to {}", path.display()));
        check_save_to(path).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        ASKED.store(true, Ordering::Release);
        // A dump holds the server's data: readable by its owner only.
        let pending = Pending::create(path, 0o600, ".rdbscope-save-", "").map_err(ctx)?;
        if let Some(name) = pending.name() {
            UNFINISHED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(name.to_path_buf());
        }
        Ok(SaveTo {
            file: pending.file().map_err(ctx)?,
            pending,
            path: path.to_path_buf(),
        })
    }

    fn write(&mut self, b: &[u8]) -> io::Result<()> {
        self.file
            .write_all(b)
            .map_err(|e| with_context(e, format!("--save-to {}", self.path.display())))
    }

    fn finish(self) -> io::Result<()> {
        let path = self.path;
        let ctx = |e: io::Error| with_context(e, format!("--save-to {}", path.display()));
        self.pending.sync().map_err(ctx)?;
        if let Some(name) = self.pending.name() {
            let name = name.to_path_buf();
            UNFINISHED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|p| *p != name);
        }
        self.pending.publish().map_err(ctx)?;
        WRITTEN.store(true, Ordering::Release);
        Ok(())
    }
}
