//! A log-bucketed histogram of u64 values: bounded (1,024 buckets), merged
//! by adding counts, so its quantiles are the same for any split of the
//! keys. Values below 64 are counted exactly; above, 16 buckets an octave
//! (within 6.25 % of the value).

const EXACT: u64 = 64;
const SUB: u32 = 4;
const BUCKETS: usize = 1024;

#[derive(Clone, Debug)]
pub struct LogHist {
    counts: Vec<u64>,
    n: u64,
    max: u64,
}

impl Default for LogHist {
    fn default() -> Self {
        LogHist {
            counts: vec![0; BUCKETS],
            n: 0,
            max: 0,
        }
    }
}

/// The bucket of `v`.
fn bucket(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= 6
    let mantissa = (v >> (exp - SUB)) & ((1 << SUB) - 1);
    (EXACT + ((exp - 6) as u64) * (1 << SUB) + mantissa) as usize
}

/// The smallest value of bucket `b`.
fn floor(b: usize) -> u64 {
    let b = b as u64;
    if b < EXACT {
        return b;
    }
    let exp = (b - EXACT) / (1 << SUB) + 6;
    let mantissa = (b - EXACT) % (1 << SUB);
    (1u64 << exp) | (mantissa << (exp - SUB as u64))
}

impl LogHist {
    pub fn add(&mut self, v: u64) {
        if let Some(c) = self.counts.get_mut(bucket(v)) {
            *c += 1;
        }
        self.n += 1;
        self.max = self.max.max(v);
    }

    pub fn merge(&mut self, o: &LogHist) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
        self.n += o.n;
        self.max = self.max.max(o.max);
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// The counts by octave: (`from`, count) for each non-empty range
    /// `from..2*from` (0 and 1 alone), ascending. Every bucket lies within
    /// one octave, so these counts are exact.
    pub fn octaves(&self) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for (b, &c) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let v = floor(b);
            let from = if v == 0 {
                0
            } else {
                1u64 << (63 - v.leading_zeros())
            };
            match out.last_mut() {
                Some(last) if last.0 == from => last.1 += c,
                _ => out.push((from, c)),
            }
        }
        out
    }

    /// As a state document: the buckets with values.
    pub(crate) fn state(&self) -> crate::report::state_doc::HistState {
        crate::report::state_doc::HistState {
            counts: (0..BUCKETS)
                .filter(|&b| self.counts[b] > 0)
                .map(|b| (b as u16, self.counts[b]))
                .collect(),
            n: self.n,
            max: self.max,
        }
    }

    /// Reads a [`LogHist::state`] back: buckets in range, counted at most
    /// `keys` times in all.
    pub(crate) fn from_state(
        s: crate::report::state_doc::HistState,
        keys: u64,
    ) -> Result<LogHist, String> {
        let mut h = LogHist::default();
        let n = crate::report::state_doc::within("a histogram's count", s.n, keys)?;
        let mut sum = 0u64;
        for (b, c) in s.counts {
            // Past the bucket of u64::MAX no value lands.
            let slot = h
                .counts
                .get_mut(usize::from(b))
                .filter(|_| usize::from(b) <= bucket(u64::MAX))
                .ok_or_else(|| format!("histogram bucket {b} out of range"))?;
            sum = sum.saturating_add(c);
            crate::report::state_doc::within("a histogram's counts", sum, n)?;
            *slot += c;
        }
        h.n = n;
        h.max = s.max;
        Ok(h)
    }

    /// The `q` quantile (0..=1): the smallest value of the bucket holding
    /// it (at most the maximum), so within 6.25 % below the true value.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.n == 0 {
            return 0;
        }
        let rank = ((q * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        for (b, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return floor(b).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotone_and_tight() {
        let mut last = 0;
        for v in (0..1_000_000u64).step_by(7).chain([u64::MAX / 2, u64::MAX]) {
            let b = bucket(v);
            assert!(b >= last && b < BUCKETS, "{v}");
            last = b;
            let f = floor(b);
            assert!(f <= v && (v - f) as f64 <= v as f64 / 16.0, "{v} {f}");
        }
    }

    #[test]
    fn octaves_count_every_value_once() {
        let mut h = LogHist::default();
        for v in [0, 1, 2, 3, 4, 63, 64, 65, 127, 128, 1000, u64::MAX] {
            h.add(v);
        }
        assert_eq!(
            h.octaves(),
            vec![
                (0, 1),
                (1, 1),
                (2, 2),
                (4, 1),
                (32, 1),
                (64, 3),
                (128, 1),
                (512, 1),
                (1 << 63, 1)
            ]
        );
    }

    #[test]
    fn quantiles_of_a_known_spread() {
        let mut h = LogHist::default();
        for v in 1..=1000u64 {
            h.add(v);
        }
        let p50 = h.quantile(0.5);
        assert!((469..=500).contains(&p50), "{p50}");
        assert_eq!(h.quantile(0.0), 1);
        assert_eq!(h.max(), 1000);
        let p99 = h.quantile(0.99);
        assert!((928..=990).contains(&p99), "{p99}");
    }
}
