//! A small map for per-key-name state (dbs, types, encodings): a vector in
//! first-seen order, the last hit tried first (keys come in runs), and a
//! hash index once it holds more than a few names, so a file with
//! thousands of distinct module types or dbs stays linear.

use std::borrow::Borrow;
use std::hash::Hash;

/// Names beyond this are found through the hash index.
const SCAN: usize = 16;

#[derive(Clone, Debug)]
pub struct Keyed<K, V> {
    rows: Vec<(K, V)>,
    last: usize,
    index: foldhash::HashMap<K, usize>,
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed {
            rows: Vec::new(),
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
        Q: Eq + Hash + ?Sized + ToOwned<Owned = K>,
    {
        let hit = self
            .rows
            .get(self.last)
            .is_some_and(|(name, _)| name.borrow() == k);
        if !hit {
            let found = if self.rows.len() <= SCAN {
                self.rows.iter().position(|(n, _)| n.borrow() == k)
            } else {
                self.index.get(k).copied()
            };
            self.last = match found {
                Some(i) => i,
                None => {
                    self.rows.push((k.to_owned(), new()));
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
