//! A small map for per-key-name state (dbs, types, encodings): a vector in
//! first-seen order, the last hit tried first (keys come in runs), and a
//! hash index once it holds more than a few names, so a file with
//! thousands of distinct module types or dbs stays linear.

use std::borrow::Borrow;
use std::hash::Hash;

/// Names beyond this are found through the hash index.
const SCAN: usize = 16;

/// A word that tells names apart before they are compared: type and
/// encoding names are mostly 7 bytes or fewer, and then the word is the
/// name (no `memcmp` per key).
pub trait Tagged {
    fn tag(&self) -> u64;
    /// Equal tags mean equal names.
    fn exact(&self) -> bool;
}

impl Tagged for str {
    #[inline]
    fn tag(&self) -> u64 {
        // Loads, not bytes stored and read back as a word (a stalled
        // store-to-load forward per key).
        let b = self.as_bytes();
        let n = b.len();
        let at = |i: usize| u64::from(b.get(i).copied().unwrap_or(0)) << (8 * i);
        let word = |i: usize| match b.get(i..i + 4) {
            Some(&[w, x, y, z]) => u64::from(u32::from_le_bytes([w, x, y, z])) << (8 * i),
            _ => 0,
        };
        let name = match n {
            0 => 0,
            // Overlapping bytes are the same bytes.
            1..=3 => at(0) | at(n / 2) | at(n - 1),
            4..=7 => word(0) | word(n - 4),
            _ => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], 0]),
        };
        name | (n.min(255) as u64) << 56
    }
    #[inline]
    fn exact(&self) -> bool {
        self.len() <= 7
    }
}

impl Tagged for String {
    #[inline]
    fn tag(&self) -> u64 {
        self.as_str().tag()
    }
    #[inline]
    fn exact(&self) -> bool {
        self.as_str().exact()
    }
}

impl Tagged for &'static str {
    #[inline]
    fn tag(&self) -> u64 {
        (**self).tag()
    }
    #[inline]
    fn exact(&self) -> bool {
        (**self).exact()
    }
}

impl Tagged for u64 {
    #[inline]
    fn tag(&self) -> u64 {
        *self
    }
    #[inline]
    fn exact(&self) -> bool {
        true
    }
}

#[derive(Clone, Debug)]
pub struct Keyed<K, V> {
    rows: Vec<(K, V)>,
    /// The rows' [`Tagged::tag`]s.
    tags: Vec<u64>,
    last: usize,
    index: foldhash::HashMap<K, usize>,
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed {
            rows: Vec::new(),
            tags: Vec::new(),
            last: 0,
            index: Default::default(),
        }
    }
}

impl<K: Eq + Hash + Clone, V> Keyed<K, V> {
    /// The value of `k`, made by `new` on first use.
    #[inline]
    pub fn entry<Q>(&mut self, k: &Q, new: impl FnOnce() -> V) -> &mut V
    where
        K: Borrow<Q>,
        Q: Eq + Hash + Tagged + ?Sized + ToOwned<Owned = K>,
    {
        let (tag, exact) = (k.tag(), k.exact());
        let same = |tags: &[u64], rows: &[(K, V)], i: usize| {
            tags.get(i) == Some(&tag) && (exact || rows[i].0.borrow() == k)
        };
        let hit = same(&self.tags, &self.rows, self.last);
        if !hit {
            let found = if self.rows.len() <= SCAN {
                (0..self.rows.len()).find(|&i| same(&self.tags, &self.rows, i))
            } else {
                self.index.get(k).copied()
            };
            self.last = match found {
                Some(i) => i,
                None => {
                    self.rows.push((k.to_owned(), new()));
                    self.tags.push(tag);
                    let i = self.rows.len() - 1;
                    if self.rows.len() > SCAN {
                        if self.index.is_empty() {
                            for (j, (n, _)) in self.rows.iter().enumerate() {
                                self.index.insert(n.clone(), j);
                            }
                        } else {
                            self.index.insert(self.rows[i].0.clone(), i);
                        }
                    }
                    i
                }
            };
        }
        &mut self.rows[self.last].1
    }

    pub fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.rows.iter()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl<K, V> IntoIterator for Keyed<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_alike_in_their_tag_stay_apart() {
        let long = "x".repeat(300);
        let longer = format!("{long}y");
        let names = [
            "",
            "set",
            "string",
            "stream",
            "hashtab",
            "hashtable",
            "hashtabl",
            "hashtablf",
            "listpack",
            "listpacl",
            &long,
            &longer,
        ];
        let mut k: Keyed<String, u64> = Keyed::default();
        // Twice, in runs and interleaved: every hit finds its own row,
        // past the scanned rows too (the index).
        for round in 0..2u64 {
            for (i, n) in names.iter().enumerate() {
                *k.entry(*n, || 0) += 1 + round;
                *k.entry(*n, || 0) += 100 * i as u64;
            }
        }
        for (i, extra) in (0..20).map(|i| (i, format!("t{i}"))) {
            *k.entry(extra.as_str(), || 0) += i;
        }
        for (i, n) in names.iter().enumerate() {
            *k.entry(*n, || 0) += 0;
            assert_eq!(*k.entry(*n, || 0), 3 + 200 * i as u64, "{n:?}");
        }
        assert_eq!(k.len(), names.len() + 20);
        let mut ints: Keyed<u64, u64> = Keyed::default();
        for x in [0u64, 1, u64::MAX, 1 << 56, 0, u64::MAX] {
            *ints.entry(&x, || 0) += 1;
        }
        let rows: Vec<_> = ints.iter().copied().collect();
        assert_eq!(rows, vec![(0, 2), (1, 1), (u64::MAX, 2), (1 << 56, 1)]);
    }

    #[test]
    fn a_short_name_is_its_tag() {
        // Every name of up to 7 bytes over three letters (NUL among them):
        // the tags are all distinct, so equal tags mean equal names.
        let mut tags = std::collections::HashMap::new();
        let mut names = vec![String::new()];
        for _ in 0..7 {
            let last: Vec<String> = names
                .iter()
                .filter(|n| n.len() == names.last().map_or(0, |l| l.len()))
                .cloned()
                .collect();
            for n in last {
                for c in ['a', 'b', '\0'] {
                    names.push(format!("{n}{c}"));
                }
            }
        }
        assert_eq!(names.len(), (0..=7).map(|k| 3usize.pow(k)).sum::<usize>());
        for n in &names {
            assert!(n.as_str().exact());
            if let Some(other) = tags.insert(n.as_str().tag(), n.clone()) {
                panic!("{other:?} and {n:?} share a tag");
            }
        }
        assert!(!"eightchr".exact());
    }
}
