//! Hints the prefix trees of one run share: see [`LevelHints`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::prefix::PrefixConfig;

/// What the trees of one run (one per range of a file in flight, and the
/// merged one) tell each other about depths with too many prefixes, so
/// that 16 ranges in flight do not each build the depth the whole file
/// drops (on a dump of 5 M keys with distinct `tenant:coll` pairs, 16
/// trees of ~100k nodes).
///
/// A hint comes from every tree's new prefixes, checked or not: a range
/// cut at a false boundary reads garbage until the check throws it away.
/// So a hinted tree keeps counting the depth's prefixes exactly, and
/// [`PrefixTree::misled`](super::prefix::PrefixTree::misled) says, at the
/// end, whether a hint dropped a depth the whole input did not; the caller
/// then scans again without hints. A depth that a merge of checked trees
/// dropped is certain: the trees drop it at once.
#[derive(Debug)]
pub struct LevelHints {
    cap: usize,
    levels: Vec<HintLevel>,
}

type PathSet = hashbrown::HashSet<u128, foldhash::fast::FixedState>;

#[derive(Debug, Default)]
struct HintLevel {
    shards: Vec<std::sync::Mutex<PathSet>>,
    distinct: AtomicUsize,
    over: AtomicBool,
    confirmed: AtomicBool,
}

/// Lock shards per depth: workers adding new prefixes seldom wait.
const HINT_SHARDS: usize = 16;

impl LevelHints {
    /// Hints for trees made with `cfg`.
    pub fn new(cfg: &PrefixConfig) -> Arc<LevelHints> {
        let level = || HintLevel {
            shards: (0..HINT_SHARDS).map(|_| Default::default()).collect(),
            ..HintLevel::default()
        };
        Arc::new(LevelHints {
            cap: cfg.max_level_prefixes,
            levels: (0..=cfg.depth).map(|_| level()).collect(),
        })
    }

    /// Whether the trees together saw more than the cap at `depth`.
    pub(super) fn over(&self, depth: usize) -> bool {
        self.levels
            .get(depth)
            .is_some_and(|l| l.over.load(Ordering::Relaxed))
    }

    /// A tree saw `path` at `depth` for the first time; returns
    /// [`LevelHints::over`].
    pub(super) fn note(&self, depth: usize, path: u128) -> bool {
        let Some(l) = self.levels.get(depth) else {
            return false;
        };
        if l.over.load(Ordering::Relaxed) {
            return true;
        }
        let shard = &l.shards[(path as usize) % HINT_SHARDS];
        let new = shard.lock().map(|mut s| s.insert(path)).unwrap_or(false);
        if new && l.distinct.fetch_add(1, Ordering::Relaxed) + 1 > self.cap {
            l.over.store(true, Ordering::Relaxed);
            for s in &l.shards {
                if let Ok(mut s) = s.lock() {
                    *s = PathSet::default();
                }
            }
        }
        l.over.load(Ordering::Relaxed)
    }

    /// A merge of checked trees dropped `depth` and those below.
    pub(super) fn confirm(&self, depth: usize) {
        for l in self.levels.iter().skip(depth) {
            l.confirmed.store(true, Ordering::Relaxed);
            l.over.store(true, Ordering::Relaxed);
        }
    }

    pub(super) fn confirmed(&self, depth: usize) -> bool {
        self.levels
            .get(depth)
            .is_some_and(|l| l.confirmed.load(Ordering::Relaxed))
    }
}
