//! Opening a dump: memory-map regular files, read stdin and pipes, undo
//! whole-file compression (gzip, zstd, LZ4 frame — sniffed by magic bytes,
//! never by file name), and find the RDB inside AOF files and multi-part AOF
//! directories (`appendonlydir/*.manifest`, Redis 7.0+ `src/aof.c`).

use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::Mmap;

/// How the RDB bytes were wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrapper {
    None,
    Gzip,
    Zstd,
    Lz4,
}

impl Wrapper {
    pub fn as_str(self) -> &'static str {
        match self {
            Wrapper::None => "none",
            Wrapper::Gzip => "gzip",
            Wrapper::Zstd => "zstd",
            Wrapper::Lz4 => "lz4",
        }
    }
}

pub mod live;
mod spill;

pub use spill::Feed;
use spill::Spill;

enum Bytes {
    Mapped(Mmap),
    Owned(Vec<u8>),
    /// A stream still being copied to a temporary file.
    Spilling(Spill),
    /// A live server, reached when its bytes are first wanted (a report of
    /// several servers reads them one after another: one waiting to be
    /// read would hold its server's replication back).
    Live(Box<Live>),
}

struct Live {
    url: live::SourceUrl,
    spill: std::sync::OnceLock<Result<Spill, String>>,
}

impl Live {
    fn feed(&self) -> Feed<'_> {
        let spill = self.spill.get_or_init(|| {
            live::open(&self.url)
                .and_then(|(r, len)| {
                    let s = Input::live_spill(r)?;
                    s.announce_len(len.unwrap_or(0));
                    Ok(s)
                })
                .map_err(|e| e.to_string())
        });
        match spill {
            Ok(s) => Feed::spilling(s),
            Err(why) => Feed::failed(why),
        }
    }
}

/// An opened dump. [`Input::feed`] gives the RDB bytes as they arrive,
/// [`Input::rdb`] all of them, starting at the magic.
pub struct Input {
    /// What the user named (a path, or `-` for stdin).
    pub name: String,
    /// The RDB file actually read (differs for AOF directories/manifests).
    pub path: Option<PathBuf>,
    pub wrapper: Wrapper,
    /// What the user should know about how the input was read (e.g. AOF
    /// files that are not applied).
    pub notes: Vec<String>,
    bytes: Bytes,
    /// For the record budget of a wrapped input: its compressed size when
    /// known (a file: the same budget whatever the timing), else the bytes
    /// the decompressor has taken so far (a pipe).
    compressed: Option<Arc<AtomicU64>>,
    /// A file or bytes in memory, not a pipe: its copy ends by itself.
    ends: bool,
}

impl Input {
    /// Opens `name`: `-` is stdin; a directory or `.manifest` is a multi-part
    /// AOF whose base RDB is read; anything else is a file or pipe.
    ///
    /// Regular files are memory-mapped. Standard input, pipes and
    /// compressed dumps are copied into an unlinked temporary file (under
    /// `TMPDIR`, removed however rdbscope exits) by a background thread
    /// while the scan reads what is already there, so memory stays bounded
    /// whatever the dump's size; the copy stops at the dump's end.
    pub fn open(name: &str) -> io::Result<Input> {
        if name == "-" {
            return Input::from_reader(name.to_string(), None, io::stdin());
        }
        if let Some(url) = live::SourceUrl::parse(name) {
            let url = url.map_err(bad)?;
            let live = Live {
                url,
                spill: Default::default(),
            };
            let mut input = Input::new(
                name.to_string(),
                None,
                (Wrapper::None, Bytes::Live(Box::new(live))),
                None,
            );
            input.ends = false;
            return Ok(input);
        }
        let path = Path::new(name);
        let meta = std::fs::metadata(path)?;
        let mut notes = Vec::new();
        let path = if meta.is_dir() || name.ends_with(".manifest") {
            let (base, incr) = aof_base(path)?;
            if !std::fs::metadata(&base)?.is_file() {
                return Err(bad(format!(
                    "{}: the AOF base is not a regular file",
                    base.display()
                )));
            }
            if incr > 0 {
                notes.push(format!(
                    "only the AOF's base RDB is read: the {incr} incremental AOF file{} after it \
                     (commands) are not applied",
                    if incr == 1 { "" } else { "s" }
                ));
            }
            base
        } else {
            path.to_path_buf()
        };
        let file = File::open(&path)?;
        let meta = file.metadata()?;
        // Pipes and character devices are read, not mapped.
        let mapped = if meta.is_file() { map(&file) } else { None };
        let mut input = match mapped {
            Some(m) => Input::from_bytes(name.to_string(), Some(path), Bytes::Mapped(m))?,
            None => Input::from_reader(name.to_string(), Some(path), file)?,
        };
        #[cfg(unix)]
        if let (Some(c), true) = (&input.compressed, meta.is_file()) {
            // The holes of a sparse file hold no compressed bytes: its
            // budget is what it takes on disk.
            use std::os::unix::fs::MetadataExt as _;
            c.fetch_min(meta.blocks().saturating_mul(512), Ordering::Relaxed);
        }
        input.notes = notes;
        Ok(input)
    }

    /// Wraps bytes already in memory (decompressing them if needed).
    pub fn from_vec(name: String, path: Option<PathBuf>, buf: Vec<u8>) -> io::Result<Input> {
        Input::from_bytes(name, path, Bytes::Owned(buf))
    }

    /// Bytes in memory or mapped: used as they are, or decompressed into a
    /// spill file when they start with a compression magic.
    fn from_bytes(name: String, path: Option<PathBuf>, bytes: Bytes) -> io::Result<Input> {
        let bytes = match bytes {
            Bytes::Mapped(m) => match sniff(&m)? {
                Wrapper::None => (Wrapper::None, Bytes::Mapped(m)),
                w => {
                    let size = m.len() as u64;
                    return Input::decompressed(name, path, w, io::Cursor::new(m), Some(size));
                }
            },
            Bytes::Owned(v) => match sniff(&v)? {
                Wrapper::None => (Wrapper::None, Bytes::Owned(v)),
                w => {
                    let size = v.len() as u64;
                    return Input::decompressed(name, path, w, io::Cursor::new(v), Some(size));
                }
            },
            b => (Wrapper::None, b),
        };
        Ok(Input::new(name, path, bytes, None))
    }

    /// Copies `r` (decompressing it if needed) into a spill file.
    fn from_reader(
        name: String,
        path: Option<PathBuf>,
        r: impl Read + Send + 'static,
    ) -> io::Result<Input> {
        let mut r = io::BufReader::with_capacity(1 << 16, r);
        let wrapper = sniff(r.fill_buf()?)?;
        Input::decompressed(name, path, wrapper, r, None)
    }

    /// The RDB bytes from a live server: copied into memory, never to
    /// disk, and freed as the scan is done with them.
    fn live_spill(r: Box<dyn Read + Send>) -> io::Result<Spill> {
        let mut r = r;
        let mut head = vec![0u8; 1 << 16];
        let n = spill::fill(&mut r, &mut head, 16)?;
        head.truncate(n);
        check_start(&head)?;
        let file = memory_file()?;
        match Spill::start(&file, &head, r, "replication", true)? {
            Ok(s) => Ok(s),
            Err(_) => Err(bad("cannot map a memory window for the stream".into())),
        }
    }

    /// Whether the bytes can be walked again after a scan: not those of a
    /// live source, which are freed as they are read.
    pub fn rereadable(&self) -> bool {
        self.feed().rereadable()
    }

    /// Copies `r`, undoing `w`, into a spill file.
    fn decompressed(
        name: String,
        path: Option<PathBuf>,
        w: Wrapper,
        r: impl io::BufRead + Send + 'static,
        size: Option<u64>,
    ) -> io::Result<Input> {
        let (source, mut compressed) = decoder(w, r)?;
        if let (Some(c), Some(size)) = (&mut compressed, size) {
            *c = Arc::new(AtomicU64::new(size));
        }
        let bytes = spill(source, w)?;
        let mut input = Input::new(name, path, (w, bytes), compressed);
        input.ends = size.is_some();
        Ok(input)
    }

    fn new(
        name: String,
        path: Option<PathBuf>,
        (wrapper, bytes): (Wrapper, Bytes),
        compressed: Option<Arc<AtomicU64>>,
    ) -> Input {
        Input {
            name,
            path,
            wrapper,
            notes: Vec::new(),
            bytes,
            compressed,
            ends: true,
        }
    }

    /// The RDB bytes as they arrive (an AOF's RESP tail, if any, follows
    /// the RDB's EOF): what a first walk reads, overlapping the copy of a
    /// stream.
    pub fn feed(&self) -> Feed<'_> {
        let feed = match &self.bytes {
            Bytes::Mapped(m) => Feed::complete(m),
            Bytes::Owned(v) => Feed::complete(v),
            Bytes::Spilling(s) => Feed::spilling(s),
            Bytes::Live(l) => l.feed(),
        };
        feed.decompressed_from(self.compressed.as_deref())
            .ending(self.ends)
    }

    /// All the RDB bytes: for a stream, once its copy has ended (a walk
    /// that found the dump's end stops it there).
    pub fn rdb(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
            Bytes::Spilling(s) => s.all(),
            Bytes::Live(l) => l.feed().all(),
        }
    }

    /// All the bytes (after any compression wrapper).
    pub fn bytes(&self) -> &[u8] {
        self.rdb()
    }

    /// Whether the input is a JSON document rather than a dump (a saved
    /// report, for `diff`): its first non-blank byte is `{`.
    pub fn is_json(&self) -> bool {
        let (head, _) = self.feed().wait(64);
        head.iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{')
    }

    /// Size of the RDB bytes (after any decompression).
    pub fn len(&self) -> usize {
        self.rdb().len()
    }

    pub fn is_empty(&self) -> bool {
        self.rdb().is_empty()
    }
}

/// The wrapper a stream starts with (by magic bytes, never by name).
fn sniff(head: &[u8]) -> io::Result<Wrapper> {
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Wrapper::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Wrapper::Zstd
    } else if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        Wrapper::Lz4
    } else if head.starts_with(b"BZh") || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return Err(bad(
            "bzip2/xz compressed: decompress it first (e.g. bunzip2, unxz)".into(),
        ));
    } else if head.starts_with(b"*") {
        return Err(bad(
            "a plain AOF without an RDB preamble holds no RDB to analyze".into(),
        ));
    } else {
        Wrapper::None
    })
}

type Source = Box<dyn Read + Send>;

/// A streaming decompressor for `w` over `r`, guarded against bombs, and
/// the count of compressed bytes it has taken (`None`: no wrapper).
fn decoder(
    w: Wrapper,
    r: impl io::BufRead + Send + 'static,
) -> io::Result<(Source, Option<Arc<AtomicU64>>)> {
    let consumed = Arc::new(AtomicU64::new(0));
    let r = Counted {
        inner: r,
        n: consumed.clone(),
    };
    let inner: Source = match w {
        Wrapper::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
        Wrapper::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        Wrapper::Lz4 => Box::new(Lz4Frames(lz4_flex::frame::FrameDecoder::new(r))),
        Wrapper::None => return Ok((Box::new(r), None)),
    };
    let guard = BombGuard {
        inner,
        consumed: consumed.clone(),
        produced: 0,
    };
    Ok((Box::new(guard), Some(consumed)))
}

/// LZ4 frames one after another (`lz4 -dc` reads them all; the decoder
/// ends at each frame's end mark).
struct Lz4Frames<R: Read>(lz4_flex::frame::FrameDecoder<R>);

impl<R: BufRead> Read for Lz4Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let k = self.0.read(buf)?;
            // A frame ended: the next one, if any bytes follow.
            if k > 0 || buf.is_empty() || self.0.get_mut().fill_buf()?.is_empty() {
                return Ok(k);
            }
        }
    }
}

/// Past this much output (64 MiB), a decompressor may produce at most
/// [`MAX_EXPANSION`] times what it consumed. Dumps compress modestly
/// (Redis already LZF-compresses values and long keys): the 1 GB benchmark
/// dump zstd-compresses 2.1x. A crafted frame can expand thousands of
/// times: 25 MB would become terabytes of temporary file.
pub(crate) const BOMB_FLOOR: u64 = 64 << 20;
pub(crate) const MAX_EXPANSION: u64 = 100;

/// Past this many records, a decompressed dump may hold at most
/// [`RECORDS_PER_BYTE`] records per compressed byte. The cost of a scan is
/// per record, so within the expansion limit a frame of tiny records still
/// made 25 MB into 577 M records and minutes of work (50 M still take
/// `report` 9 s on 2 cores). Real dumps hold far fewer: 0.016 a compressed
/// byte (the 1 GB benchmark dump, zstd), 0.13-0.22 (`DEBUG POPULATE`,
/// zstd/gzip/xz); only synthetic runs of numbered empty keys reach 3-4
/// (zstd). Such a file can be piped in decompressed.
pub(crate) const RECORD_FLOOR: u64 = 8 << 20;
pub(crate) const RECORDS_PER_BYTE: u64 = 1;

/// Counts the compressed bytes a decompressor takes.
struct Counted<R> {
    inner: R,
    n: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, k: usize) {
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        self.inner.consume(k);
    }
}

/// Stops a decompressor whose output outgrows its input (see
/// [`MAX_EXPANSION`]).
struct BombGuard {
    inner: Source,
    consumed: Arc<AtomicU64>,
    produced: u64,
}

impl Read for BombGuard {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.produced += k as u64;
        let consumed = self.consumed.load(Ordering::Relaxed);
        if self.produced > BOMB_FLOOR && self.produced / MAX_EXPANSION > consumed {
            return Err(bad(format!(
                "{} bytes out of {consumed} compressed: more than {MAX_EXPANSION} times, \
                 which no dump compresses to (a decompression bomb?); decompress it \
                 first if it is real",
                self.produced
            )));
        }
        Ok(k)
    }
}

/// Starts copying `r` into an unlinked temporary file that the scan reads
/// as it fills. Its first chunk is read here, so a stream that is not a
/// dump (or a broken compressed frame) is refused at once. Where no sparse
/// window can be mapped, the stream is copied whole first, then mapped.
fn spill(mut r: Source, w: Wrapper) -> io::Result<Bytes> {
    let what = match w {
        Wrapper::None => "read",
        w => w.as_str(),
    };
    // Enough to see the magic, without waiting on a slow producer.
    let mut head = vec![0u8; 1 << 16];
    let n = spill::fill(&mut r, &mut head, 16).map_err(|e| failed(e, what, 0))?;
    head.truncate(n);
    check_start(&head)?;
    if head.is_empty() {
        return Ok(Bytes::Owned(head));
    }
    let mut file = temp_file()?;
    let mut r = match Spill::start(&file, &head, r, what, false)? {
        Ok(s) => return Ok(Bytes::Spilling(s)),
        Err(r) => r,
    };
    file.set_len(0)?;
    file.write_all(&head)?;
    let mut total = n as u64;
    let mut buf = vec![0u8; 4 << 20];
    loop {
        let n = spill::fill(&mut r, &mut buf, usize::MAX).map_err(|e| failed(e, what, total))?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n])?;
        total += n as u64;
    }
    map_spilled(file, total)
}

/// A read or decompression failure, with how many bytes came out before it.
fn failed(e: io::Error, what: &str, total: u64) -> io::Error {
    io::Error::new(e.kind(), failure_text(&e, what, total))
}

/// What a failed read of a (compressed) stream says: a stream cut short
/// (gzip's "unexpected end of file", lz4's "failed to fill whole buffer",
/// zstd's "incomplete frame") is named as such; offsets are in the
/// decompressed output.
pub(crate) fn failure_text(e: &io::Error, what: &str, total: u64) -> String {
    let compressed = ["gzip", "zstd", "lz4"].contains(&what);
    if !compressed {
        return format!("{what}: {e} (after {total} bytes of output)");
    }
    let cut = e.kind() == io::ErrorKind::UnexpectedEof || e.to_string().contains("incomplete");
    let why = if cut {
        "the compressed data ends early (a truncated file?): "
    } else {
        ""
    };
    format!("{what}: {why}{e} (after {total} bytes of decompressed output)")
}

/// A stream that is copied to disk must look like a dump (or a saved
/// report) from its first bytes: `/dev/zero` or a huge text file are
/// refused at once instead of filling the disk.
fn check_start(head: &[u8]) -> io::Result<()> {
    let text = head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let rdb = [&b"REDIS"[..], b"VALKEY"]
        .iter()
        .any(|m| head.starts_with(m) || m.starts_with(head));
    if head.is_empty() || text || rdb {
        Ok(())
    } else {
        Err(bad(
            "not an RDB file: expected REDISnnnn or VALKEYnnn at offset 0".into(),
        ))
    }
}

/// An anonymous file in memory (Linux `memfd`; elsewhere an unlinked
/// temporary file).
fn memory_file() -> io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::FromRawFd as _;
        // SAFETY: a plain system call; the descriptor it returns is ours
        // and owned by the File from here on.
        let fd = unsafe { libc::memfd_create(c"rdbscope-live".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(unsafe { File::from_raw_fd(fd) })
    }
    #[cfg(not(target_os = "linux"))]
    temp_file()
}

/// An unlinked temporary file under `TMPDIR`.
fn temp_file() -> io::Result<File> {
    tempfile::tempfile().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot create a temporary file in {} (set TMPDIR): {e}",
                std::env::temp_dir().display()
            ),
        )
    })
}

/// Maps a spilled file of `len` bytes (read back if it cannot be mapped).
fn map_spilled(mut file: File, len: u64) -> io::Result<Bytes> {
    if len == 0 {
        return Ok(Bytes::Owned(Vec::new()));
    }
    match map(&file) {
        Some(m) => Ok(Bytes::Mapped(m)),
        None => {
            use std::io::Seek;
            file.seek(io::SeekFrom::Start(0))?;
            let mut v = Vec::new();
            file.read_to_end(&mut v)?;
            Ok(Bytes::Owned(v))
        }
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// What a read of a mapped page past a file's new end does: SIGBUS. Said
/// instead of dying silently: the message and exit code 2, from a handler
/// that only calls async-signal-safe functions.
#[cfg(unix)]
fn on_sigbus_exit_2() {
    extern "C" fn handler(_: libc::c_int) {
        const MSG: &[u8] = b"rdbscope: error: the input file shrank while it was being read \
(another process truncated or rewrote it); copy the dump first\n";
        // SAFETY: write(2) and _exit(2) are async-signal-safe.
        unsafe {
            libc::write(2, MSG.as_ptr().cast(), MSG.len());
            libc::_exit(2);
        }
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: installs a handler for SIGBUS only, with an empty mask and
        // no flags; the handler above never returns.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
        }
    });
}

/// Maps a regular file read-only; `None` when mapping fails (then the
/// caller reads the file instead).
fn map(file: &File) -> Option<Mmap> {
    #[cfg(unix)]
    on_sigbus_exit_2();
    // SAFETY: the map is read-only and private to this process. If another
    // process truncates the file while it is mapped, a read past the new end
    // raises SIGBUS, which `on_sigbus_exit_2` turns into a message and exit
    // 2 (Redis writes dumps to a temp file and renames it, so a dump is not
    // normally modified in place).
    let m = unsafe { Mmap::map(file) }.ok()?;
    #[cfg(unix)]
    let _ = m.advise(memmap2::Advice::Sequential);
    Some(m)
}

/// Finds the base RDB of a multi-part AOF given its directory or manifest.
fn aof_base(path: &Path) -> io::Result<(PathBuf, usize)> {
    let (dir, manifest) = if path.is_dir() {
        let m = std::fs::read_dir(path)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "manifest"))
            .ok_or_else(|| bad("a directory without an AOF manifest (*.manifest)".into()))?;
        (path.to_path_buf(), m)
    } else {
        (
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            path.to_path_buf(),
        )
    };
    // A manifest is a few lines: a huge one (or /dev/zero) is not one.
    let mut text = String::new();
    let n = File::open(&manifest)?
        .take(1 << 20)
        .read_to_string(&mut text)?;
    if n >= 1 << 20 {
        return Err(bad(format!(
            "{}: larger than 1 MiB: not an AOF manifest",
            manifest.display()
        )));
    }
    let mut base = None;
    let mut incr = 0;
    for line in text.lines() {
        let words = manifest_words(line);
        let get = |k: &str| {
            words
                .iter()
                .position(|w| w == k)
                .and_then(|i| words.get(i + 1))
        };
        match (get("file"), get("type").map(String::as_str)) {
            (Some(file), Some("b")) if base.is_none() => {
                // Redis names files inside the AOF directory only.
                if file.contains('/') || file == ".." || file.is_empty() {
                    return Err(bad(format!(
                        "{file}: an AOF manifest names files inside its directory only"
                    )));
                }
                if !file.ends_with(".rdb") {
                    return Err(bad(format!(
                        "{file}: the AOF base is a command file, not an RDB"
                    )));
                }
                base = Some(dir.join(file));
            }
            (Some(_), Some("i")) => incr += 1,
            _ => {}
        }
    }
    if let Some(b) = base {
        return Ok((b, incr));
    }
    Err(bad(format!(
        "{}: no base file (type b) in the manifest",
        manifest.display()
    )))
}

/// Splits a manifest line into words; names may be double-quoted.
fn manifest_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut w = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => w.extend(chars.next()),
                    c => w.push(c),
                }
            }
            words.push(w);
        } else {
            let mut w = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                w.push(c);
                chars.next();
            }
            words.push(w);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines() {
        assert_eq!(
            manifest_words("file \"a b.rdb\" seq 1 type b"),
            ["file", "a b.rdb", "seq", "1", "type", "b"]
        );
        assert_eq!(
            manifest_words("file appendonly.aof.1.base.rdb seq 1 type b"),
            ["file", "appendonly.aof.1.base.rdb", "seq", "1", "type", "b"]
        );
    }
}
