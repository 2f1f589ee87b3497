//! A bounded top-N with a total order, so the result is the same whatever
//! order items arrive in and however accumulators are merged.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Keeps the `n` greatest items (by `Ord`). Memory is O(n).
#[derive(Clone, Debug)]
pub struct TopN<T: Ord> {
    n: usize,
    // A min-heap of the kept items: the root is the first to evict.
    heap: BinaryHeap<Reverse<T>>,
}

impl<T: Ord> TopN<T> {
    pub fn new(n: usize) -> TopN<T> {
        TopN {
            n,
            // Grown as items come: a report keeps one list per type, and a
            // crafted file can hold many module types with one key each.
            heap: BinaryHeap::new(),
        }
    }

    /// How many items it keeps.
    pub fn capacity(&self) -> usize {
        self.n
    }

    /// The smallest kept item once the list is full: anything not greater
    /// is dropped, so callers can skip building it.
    pub fn floor(&self) -> Option<&T> {
        if self.heap.len() < self.n {
            None
        } else {
            self.heap.peek().map(|Reverse(t)| t)
        }
    }

    pub fn push(&mut self, item: T) {
        if self.n == 0 {
            return;
        }
        if self.heap.len() < self.n {
            self.heap.push(Reverse(item));
        } else if self.heap.peek().is_some_and(|Reverse(min)| &item > min) {
            self.heap.pop();
            self.heap.push(Reverse(item));
        }
    }

    pub fn merge(&mut self, other: TopN<T>) {
        for Reverse(item) in other.heap {
            self.push(item);
        }
    }

    /// The kept items, greatest first.
    pub fn into_sorted(self) -> Vec<T> {
        let mut v: Vec<T> = self.heap.into_iter().map(|Reverse(t)| t).collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_greatest_in_any_order() {
        let items = [5, 1, 9, 3, 7, 9, 2];
        let mut a = TopN::new(3);
        items.iter().for_each(|&i| a.push(i));
        let mut b = TopN::new(3);
        let mut c = TopN::new(3);
        items
            .iter()
            .rev()
            .enumerate()
            .for_each(|(k, &i)| if k % 2 == 0 { b.push(i) } else { c.push(i) });
        b.merge(c);
        assert_eq!(a.into_sorted(), vec![9, 9, 7]);
        assert_eq!(b.into_sorted(), vec![9, 9, 7]);
    }
}
