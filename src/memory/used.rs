//! The server's `used_memory` after it loads a dump, predicted from the
//! per-key estimates.
//!
//! `MEMORY USAGE` is not what the allocator hands out, and its sum is not
//! `used_memory`. The rest, measured by loading one type at a time into
//! Redis 7.0.15, Redis 8.2.3, Valkey 8.1.8 and Valkey 9.1.2:
//! - each key's allocations beyond what `MEMORY USAGE` counts
//!   ([`super::KeyEstimate::alloc_delta`]: rounded dict entries and
//!   structs, set entries 7.2+ never allocates, stream radix-tree nodes);
//! - the keyspace and expires tables of each database, sized as the loader
//!   sizes them from the dump's `RESIZEDB` counts, and an entry per key
//!   with a TTL where the expires table has entries;
//! - an empty server's memory with one client connected (the one that
//!   asks `INFO memory`), which depends on the build and its
//!   configuration.

use serde::{Deserialize, Serialize};

use super::layout::{DICT_ENTRY, Layout, np2};
use super::profile::ServerProfile;
use super::target::Target;

/// Keys and keys with a TTL in one database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbCounts {
    pub keys: u64,
    pub expires: u64,
}

/// The prediction and its parts, bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsedMemoryDoc {
    /// Predicted `used_memory` (`INFO memory`) after the target loads the dump.
    pub predicted: u64,
    /// Σ estimated `MEMORY USAGE` of the keys.
    pub keys: u64,
    /// What the keys' allocations add beyond it (may be negative).
    pub allocation: i64,
    /// Keyspace and expires tables.
    pub keyspace: u64,
    /// An empty server with one client connected.
    pub empty_server: u64,
    /// Whether `empty_server` was measured on this version and allocator
    /// (else it is another build's).
    pub empty_server_measured: bool,
    /// ± bytes the prediction may be off by (see [`predict`]).
    pub bound: u64,
    /// `--maxmemory`, when given: the share of it the prediction takes
    /// (percent) and what is left (negative: over it).
    #[serde(default)]
    pub maxmemory: Option<u64>,
    #[serde(default)]
    pub maxmemory_share: Option<f64>,
    #[serde(default)]
    pub headroom: Option<i64>,
}

impl UsedMemoryDoc {
    /// Sets the share of a server's `maxmemory` the prediction takes.
    pub fn set_maxmemory(&mut self, maxmemory: u64) {
        self.maxmemory = Some(maxmemory);
        self.maxmemory_share = (maxmemory > 0)
            .then(|| (self.predicted as f64 / maxmemory as f64 * 1e4).round() / 100.0);
        self.headroom = Some(
            (maxmemory as i128 - self.predicted as i128).clamp(i64::MIN as i128, i64::MAX as i128)
                as i64,
        );
    }

    /// The usage level operators alert on (70 / 80 / 90 % of maxmemory).
    pub fn maxmemory_level(&self) -> Option<&'static str> {
        let share = self.maxmemory_share?;
        Some(match share {
            s if s >= 100.0 => "over maxmemory: the server evicts or refuses writes",
            s if s >= 90.0 => "above 90 %: critical",
            s if s >= 80.0 => "above 80 %: warning",
            s if s >= 70.0 => "above 70 %: watch it",
            _ => "below 70 %",
        })
    }
}

/// `used_memory` of an empty server with one client, measured (`databases
/// 16`, no persistence) on the builds named in the README, or a
/// neighbour's (another version or allocator).
fn empty_server(target: &Target) -> (u64, bool) {
    use super::allocator::Allocator::*;
    use ServerProfile::*;
    let (bytes, profile, allocator) = match target.profile {
        Redis82 | Redis84 | Redis86 | Redis80 | Redis74 => (718_048, Redis82, JemallocQ8),
        Valkey81 | Valkey72 | Valkey80 => (1_005_112, Valkey81, Libc),
        Valkey90 | Valkey91 => (1_042_328, Valkey91, Libc),
        // Debian's 7.0.15 (jemalloc, 16-byte quantum).
        _ => (940_304, Redis70, JemallocQ16),
    };
    (
        bytes,
        target.profile == profile && target.allocator == allocator,
    )
}

/// A keyspace or expires table of `n` keys. Redis: a bucket array of the
/// next power of two (at least 4) of pointers. Valkey 8.1+: 64-byte buckets
/// of 7 entries, a power of two of them, plus a child bucket for each
/// bucket that hashing overfills (expected count: a bucket's keys are
/// Poisson with mean n/buckets).
fn table(l: &Layout, n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    if !l.open_hashtable {
        return l.alloc(8 * np2(n)) as f64;
    }
    let buckets = n.div_ceil(7).next_power_of_two().max(1);
    let lambda = n as f64 / buckets as f64;
    // P(X > 7) and P(X > 14) for X ~ Poisson(lambda): one child bucket
    // for 8–14 keys, two for 15–21 (more are negligible).
    let mut p = (-lambda).exp();
    let (mut upto7, mut upto14) = (0.0, 0.0);
    for k in 0..=14 {
        if k > 0 {
            p *= lambda / k as f64;
        }
        if k <= 7 {
            upto7 += p;
        }
        upto14 += p;
    }
    let children = buckets as f64 * ((1.0 - upto7) + (1.0 - upto14).max(0.0));
    64.0 * (buckets as f64 + children)
}

/// Predicts `used_memory` for one dump on `target`: `key_bytes` is the sum
/// of the keys' estimates and `alloc_delta` the sum of their
/// [`super::KeyEstimate::alloc_delta`].
///
/// The bound: 0.5 % of the keys' memory (the models' measured spread on
/// hashtables, skiplists and glibc slack) plus 64 KiB (the empty server
/// varies with its configuration), or 10 % of the empty server when that
/// is a neighbour's.
pub fn predict(
    target: &Target,
    dbs: impl IntoIterator<Item = DbCounts>,
    key_bytes: u64,
    alloc_delta: i64,
) -> UsedMemoryDoc {
    let l = Layout::new(target.profile, target.allocator);
    // Redis 8.2.3 measured: 32 bytes an expires entry; older: a dict entry.
    let expire_entry = match (l.open_hashtable || l.valkey_embedded_key, l.kv_object) {
        (true, _) => 0,
        (false, Some(_)) => 32,
        (false, None) => l.alloc(DICT_ENTRY),
    };
    let mut keyspace = 0.0;
    for d in dbs {
        keyspace += table(&l, d.keys) + table(&l, d.expires);
        keyspace += (d.expires * expire_entry) as f64;
    }
    let keyspace = keyspace.round() as u64;
    let (empty, measured) = empty_server(target);
    let predicted = (key_bytes as i128 + alloc_delta as i128 + keyspace as i128 + empty as i128)
        .clamp(0, u64::MAX as i128) as u64;
    let bound = key_bytes / 200 + (64 << 10) + if measured { 0 } else { empty / 10 };
    UsedMemoryDoc {
        predicted,
        keys: key_bytes,
        allocation: alloc_delta,
        keyspace,
        empty_server: empty,
        empty_server_measured: measured,
        bound,
        maxmemory: None,
        maxmemory_share: None,
        headroom: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Allocator;

    #[test]
    fn redis_tables_are_powers_of_two_of_pointers() {
        let t = Target::new(ServerProfile::Redis70, Allocator::JemallocQ16);
        let l = Layout::new(t.profile, t.allocator);
        assert_eq!(table(&l, 1), 32.0);
        assert_eq!(table(&l, 1185), 16384.0);
        // 373 keys with a TTL: 512 buckets and 32-byte entries (16-byte quantum).
        let p = predict(
            &t,
            [DbCounts {
                keys: 1185,
                expires: 373,
            }],
            0,
            0,
        );
        assert_eq!(p.keyspace, 16384 + 4096 + 373 * 32);
    }

    #[test]
    fn valkey_tables_count_expected_child_buckets() {
        let l = Layout::new(ServerProfile::Valkey81, Allocator::Libc);
        // MEMORY STATS on Valkey 8.1.8, db 0 (1185 keys): 256 buckets and
        // 22 child buckets; the expectation gives about 25.
        let t = table(&l, 1185) / 64.0;
        assert!((276.0..284.0).contains(&t), "{t}");
    }
}
