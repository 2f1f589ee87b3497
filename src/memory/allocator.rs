//! Allocator usable sizes: what `zmalloc_size` returns for a request of n
//! bytes, per build (shared/docs/MEMORY.md §2).

use std::fmt;
use std::str::FromStr;

/// The allocator the target server was built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Allocator {
    /// jemalloc with an 8-byte quantum: official Redis/Valkey builds
    /// (`deps/Makefile` passes `--with-lg-quantum=3`), Docker images.
    JemallocQ8,
    /// jemalloc with its default 16-byte quantum: distribution packages
    /// that link the system libjemalloc (Debian, Ubuntu).
    JemallocQ16,
    /// glibc malloc (`make MALLOC=libc`): `malloc_usable_size`.
    Libc,
}

impl Allocator {
    /// Usable size of an allocation of `n` bytes.
    #[inline]
    pub fn usable(self, n: u64) -> u64 {
        match self {
            Allocator::JemallocQ8 => jemalloc(n, 8),
            Allocator::JemallocQ16 => jemalloc(n, 16),
            Allocator::Libc => libc(n),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Allocator::JemallocQ8 => "jemalloc",
            Allocator::JemallocQ16 => "jemalloc-q16",
            Allocator::Libc => "libc",
        }
    }
}

impl fmt::Display for Allocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Allocator {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, crate::Error> {
        match s {
            "jemalloc" | "jemalloc-q8" => Ok(Allocator::JemallocQ8),
            "jemalloc-q16" => Ok(Allocator::JemallocQ16),
            "libc" => Ok(Allocator::Libc),
            _ => Err(crate::Error::invalid(format!(
                "unknown allocator {s:?} (expected jemalloc, jemalloc-q16 or libc)"
            ))),
        }
    }
}

/// jemalloc size classes: 8, then multiples of the quantum up to 128 (q8:
/// 8-byte steps to 64, then 16-byte steps), then four classes per doubling.
fn jemalloc(n: u64, quantum: u64) -> u64 {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        let step = if quantum == 8 && n <= 64 { 8 } else { 16 };
        return round_up(n, step);
    }
    // Four classes per power of two.
    let g = 1u64 << (63 - (n - 1).leading_zeros());
    round_up(n, g / 4)
}

/// `n` rounded up to a multiple of `step`, a power of two (a mask, not a
/// division: this runs for every element of every value).
#[inline]
fn round_up(n: u64, step: u64) -> u64 {
    debug_assert!(step.is_power_of_two());
    n.saturating_add(step - 1) & !(step - 1)
}

/// glibc: chunk = max(32, round_up(n + 8, 16)); usable = chunk − 8. Large
/// requests (≥ 128 KiB, the default mmap threshold) are page-rounded.
fn libc(n: u64) -> u64 {
    if n.saturating_add(8) >= 128 * 1024 {
        return round_up(n.saturating_add(16), 4096) - 16;
    }
    round_up(n + 8, 16).max(32) - 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_from_measurements() {
        // shared/docs/MEMORY.md §2, measured on 7.0.15 with both quanta.
        let q8 = Allocator::JemallocQ8;
        let q16 = Allocator::JemallocQ16;
        for (n, a8, a16) in [
            (1, 8, 8),
            (9, 16, 16),
            (17, 24, 32),
            (41, 48, 48),
            (57, 64, 64),
            (65, 80, 80),
            (129, 160, 160),
            (16390, 20480, 20480),
            (70006, 81920, 81920),
            (100006, 114688, 114688),
            (4097, 5120, 5120),
            (5120, 5120, 5120),
        ] {
            assert_eq!(q8.usable(n), a8, "q8 {n}");
            assert_eq!(q16.usable(n), a16, "q16 {n}");
        }
        assert_eq!(Allocator::Libc.usable(1), 24);
        assert_eq!(Allocator::Libc.usable(25), 40);
    }
}
