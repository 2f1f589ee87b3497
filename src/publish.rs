//! Files that appear whole or not at all. The bytes go to a file without a
//! name in the target's directory (Linux `O_TMPFILE`), linked in under a
//! hidden name and renamed over the target once complete: a failed run,
//! Ctrl-C or `kill` leaves the old file and no temporary one. Where that
//! is not possible (another system, a file system without `O_TMPFILE`) a
//! hidden named file is renamed over the target instead; a signal may
//! leave that one behind.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A file being written for `path`; see [`Pending::publish`].
pub struct Pending {
    file: File,
    /// Where it goes (it is made in the same directory).
    path: PathBuf,
    /// The hidden name of a named file (`None`: unnamed).
    named: Option<tempfile::TempPath>,
}

/// The directory `path` goes in.
pub fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

impl Pending {
    /// A new empty file for `path` with permissions `mode` (less the
    /// umask); a named one is called `.{prefix}…{suffix}`.
    pub fn create(path: &Path, mode: u32, prefix: &str, suffix: &str) -> io::Result<Pending> {
        let dir = dir_of(path);
        #[cfg(target_os = "linux")]
        if let Some(file) = unnamed(dir, mode)? {
            return Ok(Pending {
                file,
                path: path.to_path_buf(),
                named: None,
            });
        }
        use std::os::unix::fs::PermissionsExt as _;
        let (file, tmp) = tempfile::Builder::new()
            .prefix(prefix)
            .suffix(suffix)
            .permissions(std::fs::Permissions::from_mode(mode))
            .tempfile_in(dir)
            // Without the hidden name tempfile adds: the caller names the
            // output.
            .map_err(|e| io::Error::from(e.kind()))?
            .into_parts();
        Ok(Pending {
            file,
            path: path.to_path_buf(),
            named: Some(tmp),
        })
    }

    /// The file, to write through (the same open file).
    pub fn file(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    /// Whether the file has no name (a signal leaves nothing behind).
    pub fn is_unnamed(&self) -> bool {
        self.named.is_none()
    }

    /// The hidden name of a named file.
    pub fn name(&self) -> Option<&Path> {
        self.named.as_deref()
    }

    /// Flushes the file to the disk.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_all()
    }

    /// Puts the file in place at the path it was made for, replacing what
    /// was there. Call it once everything was written (and flushed)
    /// through [`Pending::file`].
    pub fn publish(self) -> io::Result<()> {
        if let Some(tmp) = self.named {
            return tmp.persist(&self.path).map_err(|e| e.error);
        }
        #[cfg(target_os = "linux")]
        {
            link_over(&self.file, &self.path)
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(io::Error::other(
                "an unnamed file on a system without O_TMPFILE",
            ))
        }
    }
}

/// An unnamed file in `dir`, or `None` when the file system cannot make
/// one (the caller then names it); other failures (no permission, no
/// directory, no space) are errors.
#[cfg(target_os = "linux")]
fn unnamed(dir: &Path, mode: u32) -> io::Result<Option<File>> {
    use std::os::fd::{FromRawFd as _, OwnedFd};
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).map_err(io::Error::other)?;
    // SAFETY: a NUL-terminated path and plain flags; the descriptor
    // returned is new and owned by nothing else.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    if fd < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL) => Ok(None),
            _ => Err(e),
        };
    }
    // SAFETY: `fd` was just opened and is not owned elsewhere.
    Ok(Some(File::from(unsafe { OwnedFd::from_raw_fd(fd) })))
}

/// Signals that end a run and can be held back for a moment.
#[cfg(target_os = "linux")]
const HELD: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The signal that arrived while held back (0: none).
#[cfg(target_os = "linux")]
static CAUGHT: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Runs `f` with the signals of [`HELD`] held back, in every thread: one
/// that arrives meanwhile acts once `f` is done (as it would have). So a
/// Ctrl-C between the link and the rename cannot leave the hidden name.
#[cfg(target_os = "linux")]
fn holding_signals<T>(f: impl FnOnce() -> T) -> T {
    use std::sync::atomic::Ordering;
    extern "C" fn note(sig: libc::c_int) {
        CAUGHT.store(sig, Ordering::SeqCst);
    }
    // SAFETY: a zeroed `sigaction` is a valid "default" value; the handler
    // only stores into an atomic (async-signal-safe), and the previous
    // dispositions are put back before the held signal is raised again.
    unsafe {
        let mut old: [libc::sigaction; HELD.len()] = std::mem::zeroed();
        for (sig, old) in HELD.iter().zip(old.iter_mut()) {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = note as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(*sig, &sa, old);
        }
        let r = f();
        for (sig, old) in HELD.iter().zip(old.iter()) {
            libc::sigaction(*sig, old, std::ptr::null_mut());
        }
        let sig = CAUGHT.swap(0, Ordering::SeqCst);
        if sig != 0 {
            libc::raise(sig);
        }
        r
    }
}

/// Links the unnamed `file` into `dir` under a fresh hidden name, then
/// renames that over `path` (a link cannot replace a file).
#[cfg(target_os = "linux")]
fn link_over(file: &File, path: &Path) -> io::Result<()> {
    holding_signals(|| link_then_rename(file, dir_of(path), path))
}

#[cfg(target_os = "linux")]
fn link_then_rename(file: &File, dir: &Path, path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let proc = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_err(io::Error::other)?;
    for n in 0..100u32 {
        let name = dir.join(format!(".rdbscope-{}-{n}", std::process::id()));
        let c = std::ffi::CString::new(name.as_os_str().as_encoded_bytes())
            .map_err(io::Error::other)?;
        // SAFETY: two NUL-terminated paths; a plain system call.
        let r = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                proc.as_ptr(),
                libc::AT_FDCWD,
                c.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if r == 0 {
            return std::fs::rename(&name, path).inspect_err(|_| {
                let _ = std::fs::remove_file(&name);
            });
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::AlreadyExists {
            return Err(e);
        }
    }
    Err(io::Error::other("no free temporary name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    /// A signal that arrives while held acts after, through what handled
    /// it before (here a handler of the test's own).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_held_signal_acts_after() {
        use std::sync::atomic::{AtomicBool, Ordering};
        static HUP: AtomicBool = AtomicBool::new(false);
        extern "C" fn on_hup(_: libc::c_int) {
            HUP.store(true, Ordering::SeqCst);
        }
        // SAFETY: installs, then removes, a handler that only stores into
        // an atomic; raises SIGHUP in this process only.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_hup as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            let mut before: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGHUP, &sa, &mut before);
            let during = holding_signals(|| {
                libc::raise(libc::SIGHUP);
                HUP.load(Ordering::SeqCst)
            });
            assert!(!during, "the signal acted while held");
            assert!(HUP.load(Ordering::SeqCst), "the held signal never acted");
            libc::sigaction(libc::SIGHUP, &before, std::ptr::null_mut());
        }
    }

    #[test]
    fn a_pending_file_appears_only_when_published() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::write(&path, b"old").unwrap();
        let p = Pending::create(&path, 0o640, ".t-", ".partial").unwrap();
        // On Linux (tmpfs and ext4 have O_TMPFILE) nothing new is named.
        #[cfg(target_os = "linux")]
        assert!(p.is_unnamed());
        let mut f = p.file().unwrap();
        f.write_all(b"new bytes").unwrap();
        f.flush().unwrap();
        let names = |d: &Path| {
            let mut v: Vec<_> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            v.sort();
            v
        };
        if p.is_unnamed() {
            assert_eq!(names(dir.path()), vec!["out.bin"]);
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        p.publish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new bytes");
        assert_eq!(names(dir.path()), vec!["out.bin"]);
        // A pending file dropped unpublished leaves the old one alone.
        let p = Pending::create(&path, 0o640, ".t-", ".partial").unwrap();
        p.file().unwrap().write_all(b"lost").unwrap();
        drop(p);
        assert_eq!(std::fs::read(&path).unwrap(), b"new bytes");
        assert_eq!(names(dir.path()), vec!["out.bin"]);
    }
}
