//! Valkey 9's volatile set (`src/vset.c`): the index a hash keeps of its
//! fields with a TTL, rebuilt as the loader adds them in dump order, for the
//! `vsetMemUsage` part of `MEMORY USAGE`.
//!
//! One field is held in the pointer itself; up to 127 in a vector sorted by
//! expiry (an 8-byte header and a pointer each); past that, a radix tree
//! keyed by the end of each entry's time window (8 big-endian bytes), whose
//! buckets are again a single pointer, a vector of up to 127, or a
//! `hashtable` when a full vector cannot be split by time.

use std::collections::BTreeMap;

use super::layout::HashtableSim;
use super::rax::Rax;

/// `VOLATILESET_VECTOR_BUCKET_MAX_SIZE`.
const VECTOR_MAX: usize = 127;
/// The finest and the coarsest time windows (ms).
const WINDOW_MIN: i64 = 1 << 4;
const WINDOW_MAX: i64 = 1 << 13;

/// `get_bucket_ts`: the end of the 16 ms window holding `t`.
fn window_end(t: i64) -> i64 {
    (t & !(WINDOW_MIN - 1)).saturating_add(WINDOW_MIN)
}

/// `get_max_bucket_ts`: the end of the 8192 ms window holding `t`.
fn max_window_end(t: i64) -> i64 {
    (t & !(WINDOW_MAX - 1)).saturating_add(WINDOW_MAX)
}

/// A `pVector` of expiries and its `alloc` field.
#[derive(Clone, Debug)]
struct Vector {
    items: Vec<i64>,
    alloc: u64,
}

#[derive(Clone, Debug)]
enum Bucket {
    Single(i64),
    Vector(Vector),
    /// A hashtable of pointers grown one add at a time.
    Table(HashtableSim),
}

#[derive(Clone, Debug, Default)]
enum Top {
    #[default]
    None,
    Single(i64),
    /// Sorted by expiry.
    Vector(Vector),
    /// Buckets by the end of their time window.
    Tree(BTreeMap<i64, Bucket>),
}

/// The volatile set of one hash, with the allocator's usable sizes.
pub(crate) struct VsetSim<F: Fn(u64) -> u64> {
    top: Top,
    alloc: F,
}

impl<F: Fn(u64) -> u64> VsetSim<F> {
    pub(crate) fn new(alloc: F) -> Self {
        VsetSim {
            top: Top::None,
            alloc,
        }
    }

    /// `pvMakeRoomFor` for one more item: a grown vector keeps the
    /// allocator's usable size.
    fn grow(&self, v: &mut Vector) {
        let required = 8 + 8 * (v.items.len() as u64 + 1);
        if v.alloc < required {
            v.alloc = (self.alloc)(required);
        }
    }

    /// `pvNew(2)` holding two: its `alloc` is the 24 bytes it asked for.
    fn pair(a: i64, b: i64) -> Vector {
        Vector {
            items: vec![a.min(b), a.max(b)],
            alloc: 8 + 16,
        }
    }

    /// `vsetAddEntry` of a field expiring at `t`.
    pub(crate) fn add(&mut self, t: i64) {
        self.top = match std::mem::take(&mut self.top) {
            Top::None => Top::Single(t),
            Top::Single(s) => Top::Vector(Self::pair(s, t)),
            Top::Vector(mut v) if v.items.len() < VECTOR_MAX => {
                self.grow(&mut v);
                let at = v.items.partition_point(|&e| e < t);
                v.items.insert(at, t);
                Top::Vector(v)
            }
            Top::Vector(v) => {
                let mut tree = BTreeMap::new();
                let (min, max) = (v.items[0], v.items[v.items.len() - 1]);
                if max_window_end(min) == max_window_end(max) {
                    // The full vector goes in whole, as one bucket.
                    tree.insert(max_window_end(max), Bucket::Vector(v));
                } else {
                    for &e in &v.items {
                        self.tree_add(&mut tree, e);
                    }
                }
                self.tree_add(&mut tree, t);
                Top::Tree(tree)
            }
            Top::Tree(mut tree) => {
                self.tree_add(&mut tree, t);
                Top::Tree(tree)
            }
        }
    }

    /// `insertToBucket_RAX`; the loop stands for its retry after a split.
    fn tree_add(&self, tree: &mut BTreeMap<i64, Bucket>, t: i64) {
        loop {
            // `findBucket`: the first window ending after t, if t's widest
            // window reaches it.
            let found = tree
                .range((std::ops::Bound::Excluded(t), std::ops::Bound::Unbounded))
                .next()
                .map(|(&k, _)| k)
                .filter(|&k| max_window_end(t) >= k);
            let Some(key) = found else {
                tree.insert(max_window_end(t), Bucket::Single(t));
                return;
            };
            let Some(bucket) = tree.remove(&key) else {
                return;
            };
            let bucket = match bucket {
                Bucket::Single(s) => Bucket::Vector(Self::pair(s, t)),
                Bucket::Table(mut h) => {
                    h.add();
                    Bucket::Table(h)
                }
                Bucket::Vector(mut v) if v.items.len() < VECTOR_MAX => {
                    self.grow(&mut v);
                    v.items.push(t);
                    Bucket::Vector(v)
                }
                Bucket::Vector(v) => match self.split(v, key) {
                    Ok(parts) => {
                        for (k, b) in parts {
                            tree.insert(k, b);
                        }
                        continue;
                    }
                    // Unsplittable: a hashtable of them all.
                    Err(v) => {
                        let mut h = HashtableSim::default();
                        h.add_n(v.items.len() as u64 + 1);
                        Bucket::Table(h)
                    }
                },
            };
            tree.insert(key, bucket);
            return;
        }
    }

    /// `splitBucketIfPossible` on the full vector that was at `key`: the
    /// buckets to put back, or the vector when it cannot be split.
    fn split(&self, mut v: Vector, key: i64) -> Result<Vec<(i64, Bucket)>, Vector> {
        v.items.sort_unstable();
        let n = v.items.len();
        let (lo, hi) = (window_end(v.items[0]), window_end(v.items[n - 1]));
        if hi < key {
            // Its window is wider than it needs: it moves to the end of the
            // narrowest one.
            return Ok(vec![(hi, Bucket::Vector(v))]);
        }
        if lo == hi {
            return Err(v);
        }
        // `findSplitPosition`: the window change nearest the middle.
        let change = |i: usize| window_end(v.items[i - 1]) < window_end(v.items[i]);
        let (n, mid) = (n as isize, n as isize / 2);
        let mut offset = 0isize;
        let at = loop {
            let (left, right) = (mid - offset, mid + offset);
            if left > 0 && change(left as usize) {
                break Some(left as usize);
            }
            if right > 0 && right < n && change(right as usize) {
                break Some(right as usize);
            }
            offset += 1;
            if mid - offset < 1 && mid + offset >= n {
                break None;
            }
        };
        let Some(at) = at else {
            return Err(v);
        };
        let left_key = window_end(v.items[at - 1]);
        let right_items = v.items.split_off(at);
        // The right part is a new allocation; the left one shrinks to fit.
        let right = Vector {
            alloc: (self.alloc)(8 + 8 * right_items.len() as u64),
            items: right_items,
        };
        let required = 8 + 8 * v.items.len() as u64;
        if v.alloc > required {
            v.alloc = (self.alloc)(required);
        }
        Ok(vec![
            (key, Bucket::Vector(right)),
            (left_key, Bucket::Vector(v)),
        ])
    }

    /// Whether it grew into a radix tree (whose shape is rebuilt from the
    /// final windows, not replayed).
    pub(crate) fn is_tree(&self) -> bool {
        matches!(self.top, Top::Tree(_))
    }

    /// `vsetMemUsage`: the expected bytes and the variance of the
    /// hashtable buckets' child buckets (`hashtable_struct`: their
    /// `sizeof(hashtable)`).
    pub(crate) fn usage(&self, hashtable_struct: u64) -> (f64, f64) {
        match &self.top {
            Top::None | Top::Single(_) => (0.0, 0.0),
            Top::Vector(v) => (v.alloc as f64, 0.0),
            Top::Tree(tree) => {
                let mut rax = Rax::default();
                for key in tree.keys() {
                    rax.insert(&key.to_be_bytes());
                }
                let (mut mean, mut var) = (rax.alloc_size(&self.alloc) as f64, 0.0);
                for bucket in tree.values() {
                    match bucket {
                        Bucket::Single(_) => {}
                        Bucket::Vector(v) => mean += v.alloc as f64,
                        Bucket::Table(h) => {
                            let (m, v) = h.moments(hashtable_struct);
                            mean += m;
                            var += v;
                        }
                    }
                }
                (mean, var)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glibc(n: u64) -> u64 {
        // Usable sizes of glibc's chunks: 24, then steps of 16.
        if n <= 24 {
            24
        } else {
            (n - 24).div_ceil(16) * 16 + 24
        }
    }

    #[test]
    fn vectors_then_a_tree() {
        let mut s = VsetSim::new(glibc);
        assert_eq!(s.usage(80).0, 0.0);
        s.add(1_000_000);
        assert_eq!(s.usage(80).0, 0.0);
        s.add(1_000_000);
        // `pvNew(2)`: 24 bytes as asked.
        assert_eq!(s.usage(80).0, 24.0);
        s.add(1_000_000);
        assert_eq!(s.usage(80).0, glibc(32) as f64);
        for _ in 3..127 {
            s.add(1_000_000);
        }
        assert_eq!(s.usage(80).0, glibc(8 + 8 * 127) as f64);
        // The 128th of one expiry: a tree of one window holding a table.
        s.add(1_000_000);
        let Top::Tree(tree) = &s.top else {
            panic!("not a tree")
        };
        assert_eq!(tree.len(), 1);
        assert!(matches!(tree.values().next(), Some(Bucket::Table(_))));
    }

    #[test]
    fn expiries_far_apart_get_a_window_each() {
        let mut s = VsetSim::new(glibc);
        for i in 0..300 {
            s.add(1_000_000_000 + i * 100_000);
        }
        let Top::Tree(tree) = &s.top else {
            panic!("not a tree")
        };
        assert_eq!(tree.len(), 300);
        assert!(tree.values().all(|b| matches!(b, Bucket::Single(_))));
    }

    #[test]
    fn a_full_window_splits_by_time() {
        // 200 expiries 1 ms apart share one 8192 ms window: the full
        // vector splits at a 16 ms boundary instead of becoming a table.
        let mut s = VsetSim::new(glibc);
        for i in 0..200 {
            s.add(8192 * 1000 + i);
        }
        let Top::Tree(tree) = &s.top else {
            panic!("not a tree")
        };
        assert!(tree.len() >= 2);
        let held: usize = tree
            .values()
            .map(|b| match b {
                Bucket::Vector(v) => v.items.len(),
                _ => panic!("not a vector"),
            })
            .sum();
        assert_eq!(held, 200);
    }
}
