//! The one shape of a report computation.

use super::KeyFacts;

/// State that folds keys one at a time and merges with a copy of itself
/// that saw other keys. `merge` must not depend on order (ties break on
/// key bytes), so a parallel scan gives the same result for any number of
/// threads: for any split of the keys, merging the folds of the parts
/// equals one fold over all of them.
pub trait Accumulator: Send {
    fn add(&mut self, k: &KeyFacts<'_>);
    fn merge(&mut self, other: Self)
    where
        Self: Sized;
}

/// Nothing to accumulate (a command that needs only one part of a pair).
impl Accumulator for () {
    fn add(&mut self, _: &KeyFacts<'_>) {}
    fn merge(&mut self, _: ()) {}
}

/// Two accumulators fed by the same scan.
impl<A: Accumulator, B: Accumulator> Accumulator for (A, B) {
    fn add(&mut self, k: &KeyFacts<'_>) {
        self.0.add(k);
        self.1.add(k);
    }
    fn merge(&mut self, o: (A, B)) {
        self.0.merge(o.0);
        self.1.merge(o.1);
    }
}

/// An optional part: present only when the command prints it.
impl<A: Accumulator> Accumulator for Option<A> {
    fn add(&mut self, k: &KeyFacts<'_>) {
        if let Some(a) = self {
            a.add(k);
        }
    }
    fn merge(&mut self, o: Option<A>) {
        match (self.as_mut(), o) {
            (Some(a), Some(b)) => a.merge(b),
            (None, Some(b)) => *self = Some(b),
            _ => {}
        }
    }
}
