//! Expiry facts: keys without TTL, keys already expired at dump time, a
//! histogram of absolute expiry times, and clusters — seconds or minutes in
//! which an unusual number of keys expire together. Times are measured
//! against the dump's `ctime`, never the clock of the machine running
//! rdbscope.

use foldhash::HashMap;

use super::prefix::PrefixConfig;
use super::slot_labels::SlotLabels;

/// Distinct expiry seconds kept before counting by minute instead.
pub const MAX_SECONDS: usize = 1 << 20;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub keys: u64,
    pub bytes: u64,
}

impl Count {
    fn add(&mut self, o: Count) {
        self.keys += o.keys;
        self.bytes += o.bytes;
    }
}

/// Keys per slot (second or minute): a dense window of seconds after the
/// dump time, where nearly all TTLs fall (an array index instead of a hash
/// lookup), and a map for the rest. Each slot lives in exactly one place.
/// The window is made only once the map holds [`PROMOTE`] slots: a part of
/// a file scanned in ranges mostly holds too few keys to fill it, and 16
/// threads would hold 16 windows.
#[derive(Clone, Debug, Default)]
struct Slots {
    /// Where the window starts (or will), once anchored.
    base: Option<i64>,
    window: Vec<Cell>,
    used: usize,
    map: HashMap<i64, Count>,
}

/// A slot of the window: 8 bytes, so that more of the window stays in
/// cache. A slot whose counts outgrow 32 bits moves to the map.
#[derive(Clone, Copy, Debug, Default)]
struct Cell {
    keys: u32,
    bytes: u32,
}

/// `Cell::keys` of a slot moved to the map.
const MOVED: u32 = u32::MAX;

/// Keys expiring in one second that make a cluster whatever the other
/// seconds hold: the doctor's warning level (`expiry_cluster`), as the
/// server expires them in one go.
const ALWAYS_CLUSTER: u64 = 10_000;

/// Seconds covered by the dense window (36 hours; 1 MiB).
const WINDOW: usize = 1 << 17;
/// Slots in the map before the window is made: about as many bytes as
/// the window takes.
const PROMOTE: usize = 1 << 15;

impl Slots {
    /// Where the window starts (a slot number), if it is not set yet.
    fn anchor(&mut self, base: i64) {
        if self.base.is_none() && self.map.is_empty() {
            self.base = Some(base);
        }
    }

    #[inline]
    fn add(&mut self, slot: i64, c: Count) {
        let i = slot.wrapping_sub(self.base.unwrap_or(0));
        if let Some(cell) = usize::try_from(i).ok().and_then(|i| self.window.get_mut(i))
            && cell.keys != MOVED
        {
            let keys = u32::try_from(c.keys)
                .ok()
                .and_then(|k| cell.keys.checked_add(k))
                .filter(|k| *k != MOVED);
            let bytes = u32::try_from(c.bytes)
                .ok()
                .and_then(|b| cell.bytes.checked_add(b));
            if let (Some(keys), Some(bytes)) = (keys, bytes) {
                if cell.keys == 0 {
                    self.used += 1;
                }
                *cell = Cell { keys, bytes };
                return;
            }
            // Too big for the window: the slot moves to the map.
            let mut moved = Count {
                keys: cell.keys.into(),
                bytes: cell.bytes.into(),
            };
            moved.add(c);
            if cell.keys > 0 {
                self.used -= 1;
            }
            *cell = Cell {
                keys: MOVED,
                bytes: 0,
            };
            self.map.insert(slot, moved);
            return;
        }
        self.map.entry(slot).or_default().add(c);
        if self.window.is_empty() && self.map.len() > PROMOTE {
            self.promote();
        }
    }

    /// Makes the window and moves the slots it covers there.
    fn promote(&mut self) {
        let Some(base) = self.base else { return };
        self.window = vec![Cell::default(); WINDOW];
        let end = base.saturating_add(WINDOW as i64);
        let map = std::mem::take(&mut self.map);
        for (slot, c) in map {
            if !(base..end).contains(&slot) {
                self.map.insert(slot, c);
                continue;
            }
            let cell = &mut self.window[(slot - base) as usize];
            match (u32::try_from(c.keys), u32::try_from(c.bytes)) {
                (Ok(keys), Ok(bytes)) if keys != MOVED => {
                    *cell = Cell { keys, bytes };
                    self.used += 1;
                }
                _ => {
                    cell.keys = MOVED;
                    self.map.insert(slot, c);
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.used + self.map.len()
    }

    fn iter(&self) -> impl Iterator<Item = (i64, Count)> + '_ {
        let base = self.base.unwrap_or(0);
        self.window
            .iter()
            .enumerate()
            .filter(|(_, c)| c.keys > 0 && c.keys != MOVED)
            .map(move |(i, c)| {
                let count = Count {
                    keys: c.keys.into(),
                    bytes: c.bytes.into(),
                };
                (base + i as i64, count)
            })
            .chain(self.map.iter().map(|(s, c)| (*s, *c)))
    }

    fn values(&self) -> impl Iterator<Item = Count> + '_ {
        self.iter().map(|(_, c)| c)
    }
}

#[derive(Clone, Debug, Default)]
pub struct ExpiryAcc {
    pub no_ttl: Count,
    pub with_ttl: Count,
    pub expired: Count,
    /// Hash fields with their own TTL (Redis 7.4+, Valkey 9).
    pub field_ttls: u64,
    /// Keys per expiry second (or minute once `coarse`), expired keys excluded.
    slots: Slots,
    /// Index into [`WIDTHS`]: 0 counts by second; each time the slots
    /// outgrow [`MAX_SECONDS`] they are counted by the next width.
    level: usize,
    /// The first prefix segments behind each slot, to name clusters.
    labels: Option<SlotLabels>,
}

/// Slot widths, ms, and their names: expiry times from the file may be any
/// i64, and the widest keeps at most ~58k slots over the whole range.
const WIDTHS: [(i64, &str); 6] = [
    (1000, "second"),
    (60_000, "minute"),
    (3_600_000, "hour"),
    (86_400_000, "day"),
    (31_536_000_000, "365 days"),
    (315_360_000_000_000, "10000 years"),
];

/// The width of a slot by its name (`second`: 1000), as `width_name`
/// gives it.
pub fn width_ms(name: &str) -> Option<i64> {
    WIDTHS.iter().find(|(_, n)| *n == name).map(|(w, _)| *w)
}

/// The name of a slot width (`second`, `minute`, ...).
pub fn width_name(width_ms: i64) -> &'static str {
    WIDTHS
        .iter()
        .find(|(w, _)| *w == width_ms)
        .map(|(_, n)| *n)
        .unwrap_or("slot")
}

/// A histogram bucket: `[start_ms, end_ms)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub start_ms: i64,
    pub end_ms: i64,
    pub count: Count,
}

/// A moment when many keys expire together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub at_ms: i64,
    /// 1000 (a second) or 60000 (a minute).
    pub width_ms: i64,
    pub count: Count,
}

/// An expiry cluster with the prefixes of its keys (prefix, keys), most first.
pub type NamedCluster = (Cluster, Vec<(Vec<u8>, u64)>);

impl Cluster {
    /// Whether `at` (ms since the epoch) falls in this second or minute.
    pub fn contains(&self, at: i64) -> bool {
        at >= self.at_ms && (at as i128 - self.at_ms as i128) < self.width_ms as i128
    }
}

impl ExpiryAcc {
    /// An accumulator that also keeps what [`ExpiryAcc::named_clusters`]
    /// needs: the keys' first prefix segments as `cfg` cuts them.
    pub fn naming(cfg: &PrefixConfig) -> ExpiryAcc {
        ExpiryAcc {
            labels: Some(SlotLabels::new(cfg)),
            ..ExpiryAcc::default()
        }
    }

    pub fn add(
        &mut self,
        key: &[u8],
        expire_at_ms: Option<i64>,
        ctime_ms: Option<i64>,
        bytes: u64,
        field_ttls: u64,
    ) {
        self.field_ttls = self.field_ttls.saturating_add(field_ttls);
        let c = Count { keys: 1, bytes };
        let Some(at) = expire_at_ms else {
            self.no_ttl.add(c);
            return;
        };
        self.with_ttl.add(c);
        if ctime_ms.is_some_and(|now| at < now) {
            self.expired.add(c);
            return;
        }
        let slot = at.div_euclid(self.slot_ms());
        if self.level == 0
            && let Some(now) = ctime_ms
        {
            self.slots.anchor(now.div_euclid(1000));
        }
        self.slots.add(slot, c);
        if let Some(l) = self.labels.as_mut() {
            l.add(slot, key);
        }
        self.fit();
    }

    /// Counts by wider slots until they fit [`MAX_SECONDS`].
    fn fit(&mut self) {
        while self.slots.len() > MAX_SECONDS && self.level + 1 < WIDTHS.len() {
            self.coarsen_to(self.level + 1);
        }
    }

    fn coarsen_to(&mut self, level: usize) {
        let (from, to) = (WIDTHS[self.level].0, WIDTHS[level].0);
        // Widths nest, so no time is rebuilt (s·from may pass i64::MIN:
        // s is a time divided by `from`, rounded down).
        let wider = |s: i64| {
            if to % from == 0 {
                s.div_euclid(to / from)
            } else {
                s.saturating_mul(from).div_euclid(to)
            }
        };
        let mut m = Slots::default();
        for (s, c) in self.slots.iter() {
            m.add(wider(s), c);
        }
        if let Some(l) = self.labels.as_mut() {
            l.coarsen(wider);
        }
        self.slots = m;
        self.level = level;
    }

    /// Whether expiry times were counted by minute (too many distinct seconds).
    pub fn is_coarse(&self) -> bool {
        self.level > 0
    }

    /// The name of the slot width: `second`, `minute`, ...
    pub fn resolution(&self) -> &'static str {
        WIDTHS[self.level].1
    }

    pub fn merge(&mut self, mut o: ExpiryAcc) {
        self.no_ttl.add(o.no_ttl);
        self.with_ttl.add(o.with_ttl);
        self.expired.add(o.expired);
        self.field_ttls = self.field_ttls.saturating_add(o.field_ttls);
        if self.level > o.level {
            o.coarsen_to(self.level);
        } else if o.level > self.level {
            self.coarsen_to(o.level);
        }
        if self.slots.len() == 0
            && self.level == 0
            && let Some(base) = o.slots.base
        {
            self.slots.anchor(base);
        }
        for (s, c) in o.slots.iter() {
            self.slots.add(s, c);
        }
        match (self.labels.as_mut(), o.labels) {
            (Some(a), Some(b)) => a.merge(b),
            (Some(_), None) => self.labels = None,
            (None, _) => {}
        }
        self.fit();
    }

    /// The second (or minute, when coarse) in which the most keys expire.
    pub fn busiest(&self) -> Option<(i64, Count)> {
        let w = self.slot_ms();
        self.slots
            .iter()
            .map(|(s, c)| (s.saturating_mul(w), c))
            .max_by(|a, b| a.1.keys.cmp(&b.1.keys).then(b.0.cmp(&a.0)))
    }

    fn slot_ms(&self) -> i64 {
        WIDTHS[self.level].0
    }

    /// A histogram of future expiry times with at most ~48 buckets of a
    /// whole second, minute, hour or number of days.
    pub fn histogram(&self) -> (Vec<Bucket>, &'static str) {
        let mut slots: Vec<(i64, Count)> = self
            .slots
            .iter()
            // A slot holds times of the file: saturate at the ends of i64.
            .map(|(s, c)| (s.saturating_mul(self.slot_ms()), c))
            .collect();
        if slots.is_empty() {
            return (Vec::new(), "none");
        }
        slots.sort_by_key(|s| s.0);
        // In i128: expiry times from the file may span all of i64.
        let (min, max) = (slots[0].0 as i128, slots[slots.len() - 1].0 as i128);
        let span = max - min + 1;
        let units: [(i128, &str); 4] = [
            (1000, "second"),
            (60_000, "minute"),
            (3_600_000, "hour"),
            (86_400_000, "day"),
        ];
        let (mut width, mut name) = units[3];
        for (w, n) in units {
            if w >= self.slot_ms() as i128 && span / w < 48 {
                (width, name) = (w, n);
                break;
            }
        }
        if span / width >= 48 {
            width = ((span / 47 + 86_399_999) / 86_400_000).max(1) * 86_400_000;
            name = "days";
        }
        let start = min.div_euclid(width) * width;
        // At most 48 buckets by the choice of width.
        let n = ((max - start) / width + 1).clamp(1, 64) as usize;
        let clamp = |ms: i128| ms.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        let mut buckets: Vec<Bucket> = (0..n)
            .map(|i| Bucket {
                start_ms: clamp(start + i as i128 * width),
                end_ms: clamp(start + (i as i128 + 1) * width),
                count: Count::default(),
            })
            .collect();
        for (at, c) in slots {
            let i = ((at as i128 - start) / width) as usize;
            if let Some(b) = buckets.get_mut(i) {
                b.count.add(c);
            }
        }
        (buckets, name)
    }

    /// Seconds (or minutes) in which at least `min_keys` keys and ten times
    /// the median per active second expire, or [`ALWAYS_CLUSTER`] keys
    /// whatever the others do; the `top` largest by keys. The median leaves
    /// out the busiest 1 % of the seconds (one at least): a dump whose TTLs
    /// all fall in one second, or in a few, has a cluster (the median of
    /// the clusters themselves hid it), and so does one whose TTL keys all
    /// expire within a few busy seconds.
    pub fn clusters(&self, min_keys: u64, top: usize) -> Vec<Cluster> {
        let mut counts: Vec<u64> = self.slots.values().map(|c| c.keys).collect();
        if counts.is_empty() {
            return Vec::new();
        }
        let median = median_of_the_rest(&mut counts);
        let threshold = min_keys
            .max(median.saturating_mul(10))
            .min(min_keys.max(ALWAYS_CLUSTER));
        let width = self.slot_ms();
        let mut out: Vec<Cluster> = self
            .slots
            .iter()
            .filter(|(_, c)| c.keys >= threshold)
            .map(|(s, c)| Cluster {
                at_ms: s.saturating_mul(width),
                width_ms: width,
                count: c,
            })
            .collect();
        if self.level == 0 {
            // Minutes in which ten times the median per active minute expire
            // (and thrice `min_keys`) with no single second a cluster: a
            // burst spread over a minute. Against the minutes' own median, so
            // that a uniformly busy dump has none.
            let mut minutes: HashMap<i64, Count> = HashMap::default();
            for (s, c) in self.slots.iter() {
                minutes.entry(s.div_euclid(60)).or_default().add(c);
            }
            let covered: Vec<i64> = out.iter().map(|c| c.at_ms.div_euclid(60_000)).collect();
            let mut per_minute: Vec<u64> = minutes.values().map(|c| c.keys).collect();
            let minute_threshold = min_keys
                .saturating_mul(3)
                .max(median_of_the_rest(&mut per_minute).saturating_mul(10));
            out.extend(
                minutes
                    .into_iter()
                    .filter(|(m, c)| c.keys >= minute_threshold && !covered.contains(m))
                    .map(|(m, c)| Cluster {
                        at_ms: m.saturating_mul(60_000),
                        width_ms: 60_000,
                        count: c,
                    }),
            );
        }
        out.sort_by(|a, b| b.count.keys.cmp(&a.count.keys).then(a.at_ms.cmp(&b.at_ms)));
        out.truncate(top);
        out
    }
}

/// The median of `counts` without the busiest 1 % of them (one at least);
/// 0 when that leaves none.
fn median_of_the_rest(counts: &mut [u64]) -> u64 {
    counts.sort_unstable();
    let busiest = (counts.len() / 100).max(1);
    let rest = &counts[..counts.len().saturating_sub(busiest)];
    rest.get(rest.len() / 2).copied().unwrap_or(0)
}

impl ExpiryAcc {
    /// As a state document: slots by slot, labels in canonical order.
    pub(crate) fn state(&self) -> crate::report::state_doc::ExpiryState {
        let mut slots: Vec<(i64, u64, u64)> = self
            .slots
            .iter()
            .map(|(s, c)| (s, c.keys, c.bytes))
            .collect();
        slots.sort_unstable();
        let t = |c: Count| crate::report::state_doc::TallyDoc {
            keys: c.keys,
            bytes: c.bytes,
        };
        crate::report::state_doc::ExpiryState {
            no_ttl: t(self.no_ttl),
            with_ttl: t(self.with_ttl),
            expired: t(self.expired),
            field_ttls: self.field_ttls,
            resolution: self.resolution().into(),
            window: self.slots.base,
            slots: crate::report::state_doc::SlotColumns::of(&slots),
            labels: self
                .labels
                .as_ref()
                .filter(|l| !l.lost())
                .map(SlotLabels::state),
        }
    }

    /// Reads an [`ExpiryAcc::state`] back (labels cut with `cfg`); no more
    /// keys than `total`.
    pub(crate) fn from_state(
        cfg: &PrefixConfig,
        s: crate::report::state_doc::ExpiryState,
        total: super::Tally,
    ) -> Result<ExpiryAcc, String> {
        use crate::report::state_doc::within;
        let count = |what: &str, t: crate::report::state_doc::TallyDoc| -> Result<Count, String> {
            Ok(Count {
                keys: within(what, t.keys, total.keys)?,
                bytes: within(what, t.bytes, total.bytes)?,
            })
        };
        let with_ttl = count("keys with a TTL", s.with_ttl)?;
        let no_ttl = count("keys without TTL", s.no_ttl)?;
        if with_ttl.keys.checked_add(no_ttl.keys) != Some(total.keys) {
            return Err(format!(
                "{} keys with a TTL and {} without, but {} keys",
                with_ttl.keys, no_ttl.keys, total.keys
            ));
        }
        let level = WIDTHS
            .iter()
            .position(|(_, n)| *n == s.resolution)
            .ok_or_else(|| format!("unknown expiry resolution {:?}", s.resolution))?;
        let mut e = ExpiryAcc {
            no_ttl,
            with_ttl,
            expired: count("expired keys", s.expired)?,
            field_ttls: s.field_ttls,
            slots: Slots::default(),
            level,
            labels: match s.labels {
                Some(l) => Some(SlotLabels::from_state(cfg, l, total.keys)?),
                None => None,
            },
        };
        if e.expired.keys > with_ttl.keys || e.expired.bytes > with_ttl.bytes {
            return Err("more expired keys than keys with a TTL".into());
        }
        if let Some(base) = s.window {
            e.slots.anchor(base);
        }
        // A slot is an i64 time in ms divided by the width.
        let w = e.slot_ms();
        let range = i64::MIN.div_euclid(w)..=i64::MAX.div_euclid(w);
        let mut sum = Count::default();
        let mut last = None;
        let mut by_slot = Vec::new();
        for (slot, keys, bytes) in s.slots.rows()? {
            if !range.contains(&slot) || keys == 0 || last.is_some_and(|l| slot <= l) {
                return Err(format!(
                    "expiry slot {slot} ({keys} keys) is out of order or range"
                ));
            }
            last = Some(slot);
            sum.keys = sum.keys.saturating_add(keys);
            sum.bytes = sum.bytes.saturating_add(bytes);
            e.slots.add(slot, Count { keys, bytes });
            by_slot.push((slot, keys));
        }
        // Every key with a TTL is expired or in one slot.
        let live = Count {
            keys: with_ttl.keys - e.expired.keys,
            bytes: with_ttl.bytes - e.expired.bytes,
        };
        if sum != live {
            return Err(format!(
                "the expiry slots hold {} keys and {} bytes, not the {} and {} with a future TTL",
                sum.keys, sum.bytes, live.keys, live.bytes
            ));
        }
        // And each is behind one label of its slot.
        if let Some(l) = e.labels.as_ref().filter(|l| !l.lost())
            && l.keys_by_slot() != by_slot
        {
            return Err("the expiry labels do not count the keys of their slots".into());
        }
        e.fit();
        Ok(e)
    }

    /// [`ExpiryAcc::clusters`], each with the three first-level prefixes
    /// that most of its keys have (by keys, then prefix), from what the scan
    /// kept. `None` when it kept nothing ([`ExpiryAcc::naming`] not used, or
    /// more distinct slot and prefix pairs than it keeps): the caller walks
    /// the keys again.
    pub fn named_clusters(&self, min_keys: u64, top: usize) -> Option<Vec<NamedCluster>> {
        let labels = self.labels.as_ref().filter(|l| !l.lost())?;
        self.clusters(min_keys, top)
            .into_iter()
            .map(|c| {
                let names = labels.top_prefixes(self.slot_ms(), |at| c.contains(at), 3)?;
                Some((c, names))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts past 32 bits move a slot from the window to the map; every
    /// slot is counted once, exactly, wherever it lives.
    #[test]
    fn window_slots_that_outgrow_32_bits_move_to_the_map() {
        let mut s = Slots::default();
        s.anchor(1000);
        for slot in 0..(PROMOTE as i64 + 1) {
            s.add(1000 + slot, Count { keys: 1, bytes: 7 });
        }
        assert_eq!(s.window.len(), WINDOW, "promoted");
        assert!(s.map.is_empty());
        let big = Count {
            keys: 1,
            bytes: u64::from(u32::MAX) - 3,
        };
        s.add(1005, big);
        s.add(1005, Count { keys: 1, bytes: 1 });
        s.add(
            1006,
            Count {
                keys: u64::from(u32::MAX),
                bytes: 0,
            },
        );
        s.add(1000 + WINDOW as i64 + 9, Count { keys: 2, bytes: 2 });
        let got: std::collections::BTreeMap<i64, Count> = s.iter().collect();
        assert_eq!(got.len(), PROMOTE + 2);
        assert_eq!(s.len(), PROMOTE + 2);
        assert_eq!(
            got[&1005],
            Count {
                keys: 3,
                bytes: 7 + u64::from(u32::MAX) - 3 + 1
            }
        );
        assert_eq!(
            got[&1006],
            Count {
                keys: 1 + u64::from(u32::MAX),
                bytes: 7
            }
        );
        assert_eq!(got[&1007], Count { keys: 1, bytes: 7 });
        assert_eq!(s.map.len(), 3);
    }

    #[test]
    fn finds_a_planted_second() {
        let mut e = ExpiryAcc::default();
        let ctime = Some(1_700_000_000_000);
        for i in 0..5000 {
            e.add(b"k", Some(1_700_000_000_000 + i * 7_001), ctime, 10, 0);
        }
        for i in 0..3000 {
            e.add(b"k", Some(1_700_007_200_000 + i % 1000), ctime, 10, 0);
        }
        e.add(b"k", Some(1_600_000_000_000), ctime, 10, 0);
        e.add(b"k", None, ctime, 5, 0);
        let c = e.clusters(100, 10);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].at_ms, c[0].count.keys), (1_700_007_200_000, 3000));
        assert_eq!(e.expired.keys, 1);
        assert_eq!(e.no_ttl.keys, 1);
        let (h, unit) = e.histogram();
        assert_eq!(unit, "hour");
        assert_eq!(h.iter().map(|b| b.count.keys).sum::<u64>(), 8000);
    }

    /// Every TTL in one second, or two busy seconds and nothing else: the
    /// busiest is a cluster (from the new-user trial: a dump of 20,000
    /// keys expiring in one second and 900 in another had none).
    #[test]
    fn a_lone_second_is_a_cluster() {
        let ctime = Some(1_700_000_000_000);
        let mut e = ExpiryAcc::default();
        for _ in 0..20_000 {
            e.add(b"k", Some(1_700_003_600_000), ctime, 10, 0);
        }
        assert_eq!(e.clusters(100, 10).len(), 1);
        for _ in 0..900 {
            e.add(b"k", Some(1_700_007_200_000), ctime, 10, 0);
        }
        let c = e.clusters(100, 10);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].count.keys, 20_000);
        let mut one = ExpiryAcc::default();
        for _ in 0..99 {
            one.add(b"k", Some(1_700_003_600_000), ctime, 10, 0);
        }
        assert!(one.clusters(100, 10).is_empty(), "fewer than min_keys");
    }

    /// Every TTL key within eight busy seconds (from a new-user trial:
    /// 200,000 sessions given EXPIRE 3600..3602 by a script that ran for a
    /// few seconds had no cluster, the others hiding the busiest). Seconds
    /// of 10,000 keys or more are clusters whatever the median; fewer, and
    /// a uniformly busy dump has none.
    #[test]
    fn busy_seconds_are_clusters_whatever_the_median() {
        let ctime = Some(1_700_000_000_000);
        let at = |s: i64| Some(1_700_003_600_000 + s * 1000);
        let mut e = ExpiryAcc::default();
        let per_second = [
            41_728, 30_000, 28_000, 25_000, 24_000, 22_000, 20_000, 9_272,
        ];
        for (s, n) in per_second.iter().enumerate() {
            for _ in 0..*n {
                e.add(b"sess:1", at(s as i64), ctime, 10, 0);
            }
        }
        let c = e.clusters(100, 10);
        let keys: Vec<u64> = c.iter().map(|c| c.count.keys).collect();
        assert_eq!(
            keys,
            [41_728, 30_000, 28_000, 25_000, 24_000, 22_000, 20_000]
        );
        let mut flat = ExpiryAcc::default();
        for s in 0..600 {
            for _ in 0..2_000 {
                flat.add(b"k", at(s), ctime, 10, 0);
            }
        }
        assert_eq!(flat.clusters(100, 10), Vec::new(), "2,000 every second");
        // A burst spread over a minute (90 keys a second, under min_keys)
        // on a sparse background, in one minute, is a minute cluster; no
        // second of it is.
        let mut spread = ExpiryAcc::default();
        for s in 0..3_600 {
            spread.add(b"k", at(s * 10), ctime, 10, 0);
        }
        for s in 0..60 {
            for _ in 0..90 {
                spread.add(b"k", at(120_040 + s), ctime, 10, 0);
            }
        }
        let c = spread.clusters(100, 10);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!((c[0].width_ms, c[0].count.keys), (60_000, 5_400));
    }

    /// Slots coarsened while keys arrive keep their names: the keys behind a
    /// day that is a cluster are those of its hours, counted once.
    #[test]
    fn coarse_clusters_are_named() {
        let cfg = PrefixConfig::default();
        let mut e = ExpiryAcc::naming(&cfg);
        let key = |i: i64| match i % 2 {
            0 => format!("a:{i}").into_bytes(),
            _ => b"b".to_vec(),
        };
        let n = (MAX_SECONDS + 1000) as i64;
        for i in 0..n {
            e.add(&key(i), Some(i * 3_600_000), None, 1, 0);
        }
        for _ in 0..500 {
            e.add(b"c:x", Some(100 * 86_400_000 + 7), None, 1, 0);
        }
        assert_eq!(e.resolution(), "day");
        let named = e.named_clusters(100, 10).expect("kept");
        assert_eq!(named.len(), 1);
        let (c, names) = &named[0];
        assert_eq!((c.at_ms, c.count.keys), (100 * 86_400_000, 524));
        let want = [("c:*", 500), ("a:*", 12), ("b", 12)];
        let want: Vec<(Vec<u8>, u64)> = want
            .iter()
            .map(|(p, k)| (p.as_bytes().to_vec(), *k))
            .collect();
        assert_eq!(names, &want);
    }

    /// A slot past 32 bits (before 1970 here) is named like any other.
    #[test]
    fn slots_past_32_bits_are_named() {
        let mut e = ExpiryAcc::naming(&PrefixConfig::default());
        for _ in 0..200 {
            e.add(b"k:1", Some(-5_000), None, 1, 0);
        }
        let named = e.named_clusters(100, 10).expect("kept");
        assert_eq!(named.len(), 1);
        assert_eq!(named[0].1, vec![(b"k:*".to_vec(), 200)]);
    }

    /// A first-level prefix is named even when a deeper prefix reads the
    /// same (`session*`: `session12` with its id generalized, and
    /// `session` `*` `` with `*` a delimiter); from the hostile trial, where
    /// the second walk's depth-2 trees hid the first. Keys already expired
    /// at the dump's ctime are not among a cluster's keys.
    #[test]
    fn names_are_first_level_rows_of_the_live_keys() {
        let cfg = PrefixConfig {
            delimiters: b":*".to_vec(),
            ..PrefixConfig::default()
        };
        let ctime = 1_700_000_000_000;
        let at = ctime + 3_600_000;
        let mut e = ExpiryAcc::naming(&cfg);
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for i in 0..200 {
            keys.push(if i == 0 {
                b"session*".to_vec()
            } else {
                format!("session**{i}").into_bytes()
            });
        }
        keys.extend((0..150).map(|i| format!("session{}", 10 + i).into_bytes()));
        keys.extend((0..130).map(|i| format!("tok:{i}").into_bytes()));
        for k in &keys {
            e.add(k, Some(at), Some(ctime), 1, 0);
        }
        for i in 0..300 {
            e.add(
                format!("gone:{i}").as_bytes(),
                Some(ctime - 1),
                Some(ctime),
                1,
                0,
            );
        }
        let named = e.named_clusters(100, 10).expect("kept");
        assert_eq!(named.len(), 1);
        let names: Vec<(&[u8], u64)> = named[0].1.iter().map(|(p, k)| (p.as_slice(), *k)).collect();
        assert_eq!(
            names,
            [
                (&b"session:*"[..], 200),
                (b"session*", 150),
                (b"tok:*", 130)
            ]
        );
    }

    /// Expiry times an hour apart outgrow seconds, minutes and hours: the
    /// slots are counted by day, every key still counted, memory bounded.
    #[test]
    fn slots_stay_bounded_at_any_spread() {
        let mut e = ExpiryAcc::default();
        let n = (MAX_SECONDS + 1000) as i64;
        for i in 0..n {
            e.add(b"k", Some(i * 3_600_000), None, 1, 0);
        }
        assert_eq!(e.resolution(), "day");
        assert!(e.slots.len() <= MAX_SECONDS);
        let (h, _) = e.histogram();
        assert_eq!(h.iter().map(|b| b.count.keys).sum::<u64>(), n as u64);
        // Merging with a fresh accumulator keeps the width.
        let mut f = ExpiryAcc::default();
        f.add(b"k", Some(5), None, 1, 0);
        f.merge(e);
        assert_eq!(f.resolution(), "day");
    }
}
