//! `compress_values`: a bounded, deterministic sample of string values
//! (the `k` keys whose (db, key) hash lowest: the same sample for any
//! split of the keys), compressed at the end with zstd and zlib to see
//! what each prefix's values would take compressed.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::memory::Target;
use crate::memory::estimate::string_key_bytes;
use crate::rdb::Scratch;
use crate::scan::{KeyFacts, KeySource};

/// Values shorter than this are not worth compressing (headers eat the gain).
pub const MIN_VALUE: u64 = 64;
/// Bytes of each sampled value kept and compressed: a longer value is
/// taken to compress as its head does.
const HEAD: usize = 8 << 10;

/// One sampled value.
#[derive(Clone, Debug)]
pub struct Picked {
    pub prefix: Vec<u8>,
    pub bytes: u64,
    pub value_len: u64,
    pub cost: Cost,
}

/// What a sampled key would take with its value compressed: its head, to
/// compress at the end, or the result (a sample read back from a state).
#[derive(Clone, Debug)]
pub enum Cost {
    Head {
        key_len: u64,
        ttl: bool,
        head: Vec<u8>,
        /// Shared by the picks of one target (a `Target` is a few hundred
        /// bytes; a range of a parallel scan holds thousands of picks).
        target: Arc<Target>,
    },
    /// After zstd and after zlib, as [`Sample::compress`] prices them.
    Known([u64; 2]),
}

#[derive(Clone, Debug)]
pub struct Sample {
    k: usize,
    /// By (hash, db, key): the lowest `k` are kept.
    picked: BTreeMap<(u64, u64, Vec<u8>), Picked>,
    /// Every value the sample was drawn from: keys and bytes.
    pub population: u64,
    /// The target of the last pick.
    target: Option<Arc<Target>>,
}

impl Sample {
    pub fn new(k: usize) -> Sample {
        Sample {
            k,
            picked: BTreeMap::new(),
            population: 0,
            target: None,
        }
    }

    pub fn offer(
        &mut self,
        f: &KeyFacts<'_>,
        s: KeySource<'_>,
        scratch: &mut Scratch,
        delimiters: &[u8],
    ) {
        if f.elements < MIN_VALUE || self.k == 0 {
            return;
        }
        self.population += 1;
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::with_seed(0x7361_6d70_6c65).hash_one((f.db, f.key));
        if self.picked.len() >= self.k
            && self
                .picked
                .last_key_value()
                .is_some_and(|((lh, ldb, lk), _)| {
                    (h, f.db) > (*lh, *ldb)
                        || ((h, f.db) == (*lh, *ldb)
                            && super::listed_key(f.key).as_slice() > lk.as_slice())
                })
        {
            return;
        }
        // Only the head is kept: an LZF value is inflated that far.
        let rec = s.record;
        let mut cur = crate::rdb::cursor::Cursor::new(rec.value, rec.value_offset);
        let head = match crate::rdb::string::read_string(&mut cur) {
            Ok(crate::rdb::RdbStr::Raw(b)) => b[..b.len().min(HEAD)].to_vec(),
            Ok(crate::rdb::RdbStr::Lzf { data, .. }) => {
                if crate::rdb::lzf::decompress_prefix(data, HEAD, &mut scratch.a).is_err() {
                    return;
                }
                scratch.a.truncate(HEAD);
                scratch.a.clone()
            }
            _ => return,
        };
        let target = match &self.target {
            Some(t) if **t == *s.target => t.clone(),
            _ => self.target.insert(Arc::new(s.target.clone())).clone(),
        };
        // The key as top lists keep it (1 KiB at most): with its hash, it
        // only breaks ties.
        self.picked.insert(
            (h, f.db, super::listed_key(f.key)),
            Picked {
                prefix: prefix_glob(f.key, delimiters),
                bytes: f.bytes,
                value_len: f.elements,
                cost: Cost::Head {
                    key_len: f.key.len() as u64,
                    ttl: f.expire_at_ms.is_some(),
                    head,
                    target,
                },
            },
        );
        while self.picked.len() > self.k {
            self.picked.pop_last();
        }
    }

    pub fn merge(&mut self, o: Sample) {
        self.population += o.population;
        self.picked.extend(o.picked);
        while self.picked.len() > self.k {
            self.picked.pop_last();
        }
    }

    /// Per prefix glob: the sampled values compressed with each codec.
    pub fn compress(&self) -> BTreeMap<Vec<u8>, PrefixSample> {
        let mut out: BTreeMap<Vec<u8>, PrefixSample> = BTreeMap::new();
        // Each sampled key stands for population / k keys.
        let scale = self.population as f64 / self.picked.len().max(1) as f64;
        for (p, after) in self.picked.values().zip(self.prices()) {
            let row = out.entry(p.prefix.clone()).or_default();
            row.scale = scale;
            row.sampled += 1;
            row.now = row.now.saturating_add(p.bytes);
            row.value_bytes = row.value_bytes.saturating_add(p.value_len);
            for (a, b) in row.after.iter_mut().zip(after) {
                *a = a.saturating_add(b);
            }
        }
        out
    }

    /// Each pick's [`Picked::after`], in order, priced on the current
    /// rayon pool: a codec's context is cleared for every value (zlib's
    /// hash tables, ~100 KiB), so the sample costs tens of ms whatever the
    /// dump's size.
    fn prices(&self) -> Vec<[u64; 2]> {
        use rayon::prelude::*;
        let picks: Vec<&Picked> = self.picked.values().collect();
        picks
            .par_iter()
            .map_init(Codecs::new, |codecs, p| p.after(codecs))
            .collect()
    }
}

impl Picked {
    /// What its key takes with the value compressed by zstd and by zlib.
    fn after(&self, codecs: &mut Codecs) -> [u64; 2] {
        let (key_len, ttl, head, target) = match &self.cost {
            Cost::Known(after) => return *after,
            Cost::Head {
                key_len,
                ttl,
                head,
                target,
            } => (key_len, ttl, head, target),
        };
        [Codec::Zstd, Codec::Zlib].map(|c| {
            let clen = codecs.compressed_len(c, head);
            // The whole value compresses as its head did.
            let after_len = ((clen as u128 * self.value_len as u128)
                .div_ceil(head.len().max(1) as u128)) as u64;
            string_key_bytes(target, *key_len, after_len, *ttl)
        })
    }
}

impl Sample {
    /// Prices every pick now (its head compressed once), so that a state
    /// and the findings made after it do not compress the heads twice.
    pub(crate) fn price(&mut self) {
        let prices = self.prices();
        for (p, after) in self.picked.values_mut().zip(prices) {
            p.cost = Cost::Known(after);
        }
    }

    /// As a state document: each pick priced (no value bytes).
    pub(crate) fn state(&self) -> crate::report::state_doc::SampleState {
        use crate::escape::escape;
        crate::report::state_doc::SampleState {
            population: self.population,
            picked: self
                .picked
                .iter()
                .zip(self.prices())
                .map(
                    |(((hash, db, key), p), after)| crate::report::state_doc::PickState {
                        hash: *hash,
                        db: *db,
                        key: escape(key).into_owned(),
                        prefix: escape(&p.prefix).into_owned(),
                        bytes: p.bytes,
                        value_len: p.value_len,
                        after,
                    },
                )
                .collect(),
        }
    }

    /// Reads a [`Sample::state`] back into a sample of `k`.
    pub(crate) fn from_state(
        k: usize,
        s: crate::report::state_doc::SampleState,
        total: crate::report::Tally,
    ) -> Result<Sample, String> {
        use crate::report::state_doc::{bytes_of, within};
        let mut out = Sample::new(k);
        out.population = within("the sampled population", s.population, total.keys)?;
        if s.picked.len() > k {
            return Err(format!("{} sampled values, more than {k}", s.picked.len()));
        }
        let mut sum = 0u64;
        for p in s.picked {
            // Distinct keys: their bytes add up to at most the total.
            sum = sum.saturating_add(p.bytes);
            within("the sampled keys' bytes", sum, total.bytes)?;
            within("a sampled value's length", p.value_len, p.bytes)?;
            let picked = Picked {
                prefix: bytes_of(&p.prefix, "prefix")?,
                bytes: within("a sampled key's bytes", p.bytes, total.bytes)?,
                value_len: p.value_len,
                cost: Cost::Known([
                    within("a sampled key's bytes after", p.after[0], total.bytes)?,
                    within("a sampled key's bytes after", p.after[1], total.bytes)?,
                ]),
            };
            out.picked
                .insert((p.hash, p.db, bytes_of(&p.key, "key")?), picked);
        }
        Ok(out)
    }
}

/// What the sampled values of one prefix take, now and compressed.
#[derive(Clone, Debug, Default)]
pub struct PrefixSample {
    pub sampled: u64,
    /// Keys each sampled one stands for.
    pub scale: f64,
    pub now: u64,
    pub value_bytes: u64,
    /// After zstd (level 3) and zlib (level 6).
    pub after: [u64; 2],
}

#[derive(Clone, Copy, Debug)]
pub enum Codec {
    Zstd,
    Zlib,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zstd => "zstd",
            Codec::Zlib => "zlib",
        }
    }
}

/// One context per codec for every value: making one (zlib's hash tables
/// are hundreds of KiB to zero) costs more than compressing a value.
struct Codecs {
    zstd: Option<zstd::bulk::Compressor<'static>>,
    zlib: flate2::Compress,
    out: Vec<u8>,
}

impl Codecs {
    fn new() -> Codecs {
        Codecs {
            zstd: zstd::bulk::Compressor::new(3).ok(),
            zlib: flate2::Compress::new(flate2::Compression::new(6), true),
            out: Vec::new(),
        }
    }

    /// The length of `data` compressed by `codec` (its own length when the
    /// codec fails).
    fn compressed_len(&mut self, codec: Codec, data: &[u8]) -> u64 {
        let len = match codec {
            Codec::Zstd => self
                .zstd
                .as_mut()
                .and_then(|z| z.compress(data).ok())
                .map(|v| v.len()),
            Codec::Zlib => self.zlib_len(data),
        };
        len.unwrap_or(data.len()) as u64
    }

    fn zlib_len(&mut self, data: &[u8]) -> Option<usize> {
        self.zlib.reset();
        self.out.clear();
        // zlib's bound: the data, 5 bytes a 16 KiB block, the header and
        // the checksum; more room is made if it is ever short.
        self.out.reserve(data.len() + data.len() / 16_384 * 5 + 64);
        loop {
            // What the last call took of `data`; the rest goes in next.
            let taken = usize::try_from(self.zlib.total_in()).ok()?;
            let rest = data.get(taken..)?;
            match self
                .zlib
                .compress_vec(rest, &mut self.out, flate2::FlushCompress::Finish)
                .ok()?
            {
                flate2::Status::StreamEnd => return Some(self.out.len()),
                _ => self.out.reserve(self.out.capacity().max(64)),
            }
        }
    }
}

/// The key's first segment as a glob (`user:*`), or the key itself when
/// it has no delimiter: `*`.
fn prefix_glob(key: &[u8], delimiters: &[u8]) -> Vec<u8> {
    match key.iter().position(|b| delimiters.contains(b)) {
        Some(i) => {
            let mut p = key[..=i.min(64)].to_vec();
            p.push(b'*');
            p
        }
        None => b"*".to_vec(),
    }
}
