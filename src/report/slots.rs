//! `report --slots`: keys and memory per Redis Cluster slot (as `CLUSTER
//! KEYSLOT` computes it), so a dump, or the dumps of a cluster's nodes,
//! show which slots and hash tags carry the memory.

use crate::cluster::{SLOTS, hash_tag, key_slot};
use crate::scan::{Accumulator, KeyFacts};

use super::Tally;

/// Per-slot keys and bytes, and the keys with a hash tag.
#[derive(Clone, Debug)]
pub struct SlotsAcc {
    pub keys: Box<[u64]>,
    pub bytes: Box<[u64]>,
    /// Keys with a hash tag (`{…}`), which pin them to one slot together.
    pub tagged: Tally,
}

impl Default for SlotsAcc {
    fn default() -> Self {
        SlotsAcc {
            keys: vec![0; usize::from(SLOTS)].into_boxed_slice(),
            bytes: vec![0; usize::from(SLOTS)].into_boxed_slice(),
            tagged: Tally::default(),
        }
    }
}

impl SlotsAcc {
    /// Keys and bytes in slots outside `served` (as a document's tally).
    pub fn outside(&self, served: &crate::cluster::SlotSet) -> Tally {
        let mut t = Tally::default();
        for (s, (k, b)) in self.keys.iter().zip(self.bytes.iter()).enumerate() {
            if !served.contains(s as u16) {
                t.keys += k;
                t.bytes = t.bytes.saturating_add(*b);
            }
        }
        t
    }
}

impl Accumulator for SlotsAcc {
    fn add(&mut self, f: &KeyFacts<'_>) {
        let s = usize::from(key_slot(f.key));
        self.keys[s] += 1;
        self.bytes[s] = self.bytes[s].saturating_add(f.bytes);
        if hash_tag(f.key).is_some() {
            self.tagged.add(f.bytes);
        }
    }

    fn merge(&mut self, o: SlotsAcc) {
        for (a, b) in self.keys.iter_mut().zip(o.keys.iter()) {
            *a += b;
        }
        for (a, b) in self.bytes.iter_mut().zip(o.bytes.iter()) {
            *a = a.saturating_add(*b);
        }
        self.tagged.merge(o.tagged);
    }
}
