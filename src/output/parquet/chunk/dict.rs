//! Text columns of few distinct values (`type`, `encoding`, `estimate`,
//! `profile`, `file`, the labels, the prefixes): a dictionary page, then
//! each row's id, RLE/bit-packed; PLAIN pages instead once a row group's
//! distinct values pass [`DICT_BYTES`] (as the crate's writer falls back).

use std::hash::BuildHasher;

use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::errors::{ParquetError, Result};
use parquet::schema::types::ColumnDescPtr;

use super::bits::{Levels, hybrid, hybrid_values};
use super::{Chunk, PAGE_ROWS, Pages, put_plain};

/// Distinct values at which a [`Dict`] looks values up by hash instead of
/// one by one.
const SCAN: usize = 16;

/// Bytes of distinct values past which a chunk is written PLAIN (the
/// crate's default dictionary page limit): a reader holds a dictionary
/// page whole.
const DICT_BYTES: usize = 1 << 20;

/// The id of a null row.
const NULL: u32 = u32::MAX;

fn hash(v: &[u8]) -> u64 {
    foldhash::fast::FixedState::default().hash_one(v)
}

/// Distinct values, each with its id (its place in `values`), held once:
/// the index holds ids only.
#[derive(Default)]
struct Dict {
    values: Vec<Box<[u8]>>,
    /// Filled once there are more than [`SCAN`] values.
    index: hashbrown::HashTable<u32>,
    /// The values as a PLAIN page holds them (4 bytes of length each).
    bytes: usize,
}

impl Dict {
    /// `v`'s id, added if new.
    fn id(&mut self, v: &[u8]) -> u32 {
        let (values, index) = (&self.values, &mut self.index);
        let at = |i: u32| values.get(i as usize).map_or(&[][..], |x| &x[..]);
        if values.len() <= SCAN {
            if let Some(i) = values.iter().position(|l| same(l, v)) {
                return i as u32;
            }
        } else if let Some(&i) = index.find(hash(v), |&i| same(at(i), v)) {
            return i;
        }
        let id = values.len() as u32;
        self.values.push(v.into());
        self.bytes = self.bytes.saturating_add(v.len() + 4);
        let (values, index) = (&self.values, &mut self.index);
        let at = |i: u32| values.get(i as usize).map_or(&[][..], |x| &x[..]);
        if values.len() > SCAN {
            let first = match index.is_empty() {
                true => 0,
                false => id,
            };
            for i in first..=id {
                index.insert_unique(hash(at(i)), i, |&j| hash(at(j)));
            }
        }
        id
    }

    /// Bytes held: each value, its box and its index entry.
    fn held(&self) -> usize {
        self.values.iter().map(|v| v.len() + 16 + 8).sum()
    }
}

/// Whether two short values are equal, without a call to `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| {
        s.get(i..i + 8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
    };
    let half = |s: &[u8], i: usize| {
        s.get(i..i + 4)
            .map(|w| u32::from_le_bytes(w.try_into().unwrap_or_default()))
    };
    // Overlapping loads from both ends cover every byte.
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// A batch's text column of few distinct values: each row's id in the
/// batch's own dictionary, or [`NULL`].
#[derive(Default)]
pub(crate) struct Coded {
    dict: Dict,
    ids: Vec<u32>,
    last: u32,
    /// Ids of `&'static str`s by address (and length): no byte compare.
    statics: Vec<(usize, usize, u32)>,
}

impl Coded {
    pub fn with_capacity(rows: usize) -> Coded {
        Coded {
            ids: Vec::with_capacity(rows),
            ..Coded::default()
        }
    }

    #[inline]
    pub fn push(&mut self, v: &[u8]) {
        let last = self.last as usize;
        if !self.dict.values.get(last).is_some_and(|l| same(l, v)) {
            self.last = self.dict.id(v);
        }
        self.ids.push(self.last);
    }

    /// [`Coded::push`] of a text whose bytes never change at its address.
    #[inline]
    pub fn push_static(&mut self, v: &'static str) {
        let at = (v.as_ptr() as usize, v.len());
        let id = match self.statics.iter().find(|(p, n, _)| (*p, *n) == at) {
            Some(&(_, _, id)) => id,
            None => {
                let id = self.dict.id(v.as_bytes());
                self.statics.push((at.0, at.1, id));
                id
            }
        };
        self.ids.push(id);
    }

    #[inline]
    pub fn push_null(&mut self) {
        self.ids.push(NULL);
    }

    /// Bytes held (for the queue's budget).
    pub fn bytes(&self) -> usize {
        self.ids.len() * 4 + self.dict.held()
    }

    /// Bytes of ids and distinct values (whatever the capacity).
    pub fn content(&self) -> usize {
        self.ids.len() * 4 + self.dict.bytes
    }
}

/// A text column of a row group, as a dictionary and each row's id.
pub(crate) struct DictChunk {
    dict: Dict,
    /// The ids of the rows that have a value, in order (a batch's rows).
    ids: Vec<u32>,
    /// Which rows have a value, when the column is nullable.
    valid: Option<Levels>,
    /// Rows as runs (id, rows), for a column of one value a batch
    /// (`profile`, `file`, the labels): one run, not 4 bytes a row.
    runs: Vec<(u32, u32)>,
    rows: usize,
    compress: bool,
}

impl DictChunk {
    pub fn new(nullable: bool, compress: bool) -> DictChunk {
        DictChunk {
            dict: Dict::default(),
            ids: Vec::new(),
            valid: nullable.then(Levels::default),
            runs: Vec::new(),
            rows: 0,
            compress,
        }
    }

    /// A batch's rows.
    pub fn extend(&mut self, c: &Coded) {
        let map: Vec<u32> = c.dict.values.iter().map(|v| self.dict.id(v)).collect();
        self.rows += c.ids.len();
        match &mut self.valid {
            Some(valid) => {
                for &i in &c.ids {
                    let id = map.get(i as usize).copied();
                    valid.push(id.is_some());
                    self.ids.extend(id);
                }
            }
            None => (self.ids).extend(
                c.ids
                    .iter()
                    .map(|&i| map.get(i as usize).copied().unwrap_or(0)),
            ),
        }
    }

    /// `n` rows of `v` (a column written only this way).
    pub fn repeat(&mut self, v: &str, n: usize) -> Result<()> {
        let n = u32::try_from(n).map_err(|_| ParquetError::General("too many rows".into()))?;
        let id = self.dict.id(v.as_bytes());
        self.rows += n as usize;
        match self.runs.last_mut() {
            Some((last, rows)) if *last == id => *rows += n,
            _ => self.runs.push((id, n)),
        }
        Ok(())
    }

    pub fn finish(self, descr: ColumnDescPtr, z: &mut zstd::bulk::Compressor<'_>) -> Result<Chunk> {
        let mut pages = Pages::default();
        let plain = self.dict.bytes > DICT_BYTES;
        if !plain {
            let mut page = Vec::with_capacity(self.dict.bytes);
            for v in &self.dict.values {
                put_plain(&mut page, v)?;
            }
            let z = self.compress.then_some(&mut *z);
            pages.dictionary(page, self.dict.values.len(), z)?;
        }
        // Bits an id takes (0 for a dictionary of one value).
        let width = u64::BITS - (self.dict.values.len().saturating_sub(1) as u64).leading_zeros();
        let encoding = match plain {
            true => Encoding::PLAIN,
            false => Encoding::RLE_DICTIONARY,
        };
        let mut runs = self.runs.iter().copied();
        let mut run = runs.next();
        let (mut first, mut next_id, mut levels, mut page_runs) =
            (0, 0, Levels::default(), Vec::new());
        while first < self.rows {
            // One page of PAGE_ROWS rows. (PLAIN values are texts of at
            // most a few hundred bytes: prefixes, labels, names.)
            let n = PAGE_ROWS.min(self.rows - first);
            let mut page = Vec::with_capacity(n + 64);
            let mut count = n;
            if let Some(valid) = &self.valid {
                levels.clear();
                for k in (0..n).step_by(64) {
                    levels.push_bits(valid.word_at(first + k), (n - k).min(64));
                }
                levels.encode(&mut page)?;
                count = n - levels.nulls;
            }
            // The page's values: ids from `ids`, or runs from `runs`.
            page_runs.clear();
            let mut ids: &[u32] = &[];
            if self.runs.is_empty() {
                ids = self.ids.get(next_id..next_id + count).unwrap_or_default();
                next_id += count;
            } else {
                let mut left = n;
                while left > 0 {
                    let Some((id, rows)) = &mut run else { break };
                    let take = left.min(*rows as usize);
                    page_runs.push((*id, take as u32));
                    left -= take;
                    *rows -= take as u32;
                    if *rows == 0 {
                        run = runs.next();
                    }
                }
            }
            if plain {
                let each =
                    (page_runs.iter()).flat_map(|&(id, n)| std::iter::repeat_n(id, n as usize));
                for id in ids.iter().copied().chain(each) {
                    let v = self.dict.values.get(id as usize).map_or(&[][..], |v| v);
                    put_plain(&mut page, v)?;
                }
            } else {
                page.push(width as u8);
                match self.runs.is_empty() {
                    true => hybrid_values(ids, width, &mut page),
                    false => hybrid(&page_runs, width, &mut page),
                }
            }
            let z = self.compress.then_some(&mut *z);
            pages.data(page, n, encoding, z, first)?;
            first += n;
        }
        let bytes = Bytes::from(std::mem::take(&mut pages.buf));
        pages.chunk(bytes, descr, self.rows, self.compress, encoding, None)
    }
}
