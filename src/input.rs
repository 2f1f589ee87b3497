//! Opening a dump: memory-map regular files, read stdin and pipes, undo
//! whole-file compression (gzip, zstd, LZ4 frame — sniffed by magic bytes,
//! never by file name), and find the RDB inside AOF files and multi-part AOF
//! directories (`appendonlydir/*.manifest`, Redis 7.0+ `src/aof.c`).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

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

enum Bytes {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

/// An opened dump. [`Input::rdb`] gives the RDB bytes, starting at the magic.
pub struct Input {
    /// What the user named (a path, or `-` for stdin).
    pub name: String,
    /// The RDB file actually read (differs for AOF directories/manifests).
    pub path: Option<PathBuf>,
    pub wrapper: Wrapper,
    bytes: Bytes,
}

impl Input {
    /// Opens `name`: `-` is stdin; a directory or `.manifest` is a multi-part
    /// AOF whose base RDB is read; anything else is a file or pipe.
    pub fn open(name: &str) -> io::Result<Input> {
        if name == "-" {
            let mut buf = Vec::new();
            io::stdin().lock().read_to_end(&mut buf)?;
            return Input::from_vec(name.to_string(), None, buf);
        }
        let path = Path::new(name);
        let meta = std::fs::metadata(path)?;
        let path = if meta.is_dir() || name.ends_with(".manifest") {
            aof_base(path)?
        } else {
            path.to_path_buf()
        };
        let file = File::open(&path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            // Pipes and character devices cannot be mapped.
            let mut buf = Vec::new();
            (&file).read_to_end(&mut buf)?;
            return Input::from_vec(name.to_string(), Some(path), buf);
        }
        let bytes = match map(&file) {
            Some(m) => Bytes::Mapped(m),
            None => {
                let mut buf = Vec::with_capacity(meta.len() as usize);
                (&file).read_to_end(&mut buf)?;
                Bytes::Owned(buf)
            }
        };
        let mut input = Input {
            name: name.to_string(),
            path: Some(path),
            wrapper: Wrapper::None,
            bytes,
        };
        input.unwrap_compression()?;
        Ok(input)
    }

    /// Wraps bytes already in memory (decompressing them if needed).
    pub fn from_vec(name: String, path: Option<PathBuf>, buf: Vec<u8>) -> io::Result<Input> {
        let mut input = Input {
            name,
            path,
            wrapper: Wrapper::None,
            bytes: Bytes::Owned(buf),
        };
        input.unwrap_compression()?;
        Ok(input)
    }

    fn raw(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }

    /// The RDB bytes (an AOF's RESP tail, if any, follows the RDB's EOF).
    pub fn rdb(&self) -> &[u8] {
        self.raw()
    }

    /// All the bytes (after any compression wrapper).
    pub fn bytes(&self) -> &[u8] {
        self.raw()
    }

    /// Whether the input is a JSON document rather than a dump (a saved
    /// report, for `diff`): its first non-blank byte is `{`.
    pub fn is_json(&self) -> bool {
        self.raw()
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{')
    }

    /// Size of the input as the user gave it (compressed size for wrappers).
    pub fn len(&self) -> usize {
        self.raw().len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw().is_empty()
    }

    fn unwrap_compression(&mut self) -> io::Result<()> {
        let data = self.raw();
        let (wrapper, out) = if data.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("gzip: {e}")))?;
            (Wrapper::Gzip, out)
        } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            let mut out = Vec::new();
            zstd::stream::read::Decoder::new(data)?
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("zstd: {e}")))?;
            (Wrapper::Zstd, out)
        } else if data.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
            let mut out = Vec::new();
            lz4_flex::frame::FrameDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("lz4: {e}")))?;
            (Wrapper::Lz4, out)
        } else if data.starts_with(b"BZh") || data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            return Err(bad(
                "bzip2/xz compressed: decompress it first (e.g. bunzip2, unxz)".into(),
            ));
        } else if data.starts_with(b"*") {
            return Err(bad(
                "a plain AOF without an RDB preamble holds no RDB to analyze".into(),
            ));
        } else {
            return Ok(());
        };
        self.wrapper = wrapper;
        self.bytes = Bytes::Owned(out);
        Ok(())
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
fn aof_base(path: &Path) -> io::Result<PathBuf> {
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
    for line in text.lines() {
        let words = manifest_words(line);
        let get = |k: &str| {
            words
                .iter()
                .position(|w| w == k)
                .and_then(|i| words.get(i + 1))
        };
        if let (Some(file), Some(t)) = (get("file"), get("type"))
            && t == "b"
        {
            if !file.ends_with(".rdb") {
                return Err(bad(format!(
                    "{file}: the AOF base is a command file, not an RDB"
                )));
            }
            return Ok(dir.join(file));
        }
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
