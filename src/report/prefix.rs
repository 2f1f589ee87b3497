//! Memory and keys by key prefix: a tree of key segments (split at the
//! delimiters, ids generalized to `*`), with a cap on distinct children per
//! node that keeps memory bounded and the result independent of the order
//! keys arrive in.

type HashMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

use std::sync::Arc;

pub use super::prefix_hints::LevelHints;

/// The deepest prefix level: labels and the tree grow with depth ×
/// segment length; 8 levels cover real key hierarchies.
pub const MAX_DEPTH: usize = 8;

/// How keys are cut into prefixes.
#[derive(Clone, Debug)]
pub struct PrefixConfig {
    /// Bytes that separate segments (default `:`).
    pub delimiters: Vec<u8>,
    /// Segments kept per key (deeper keys are counted in their ancestor).
    pub depth: usize,
    /// More distinct children than this under one prefix: the children are
    /// dropped (the prefix keeps its totals) and the report says so.
    pub max_children: usize,
    /// Replace numbers, UUIDs and hex ids by `*`.
    pub generalize: bool,
    /// More distinct prefixes than this at one depth (2 and deeper) in the
    /// whole input: that depth is dropped (its parents are marked as
    /// collapsed), which bounds the tree's memory whatever the input.
    pub max_level_prefixes: usize,
}

impl Default for PrefixConfig {
    fn default() -> Self {
        PrefixConfig {
            delimiters: b":".to_vec(),
            depth: 3,
            max_children: 2000,
            generalize: true,
            max_level_prefixes: 50_000,
        }
    }
}

/// Totals of a prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrefixStats {
    pub keys: u64,
    pub bytes: u64,
    pub no_ttl_keys: u64,
    pub no_ttl_bytes: u64,
    /// Keys whose expiry was already past at dump time.
    pub expired_keys: u64,
}

impl PrefixStats {
    fn add(&mut self, o: &PrefixStats) {
        self.keys += o.keys;
        self.bytes += o.bytes;
        self.no_ttl_keys += o.no_ttl_keys;
        self.no_ttl_bytes += o.no_ttl_bytes;
        self.expired_keys += o.expired_keys;
    }
}

#[derive(Clone, Debug, Default)]
struct Node {
    stats: PrefixStats,
    /// Keys under this node continue past it (the label ends in `*`).
    deeper: bool,
    /// Children were dropped: more than `max_children` distinct.
    collapsed: bool,
    /// Child key: the delimiter before the segment, then the segment.
    children: Children,
    /// The hash of the node's path ([`extend_path`] from the root), kept
    /// so that a key under a known node neither hashes its path again nor
    /// looks it up in its depth's set: a node's path is in that set.
    path: u128,
}

/// A node's children: a short vector while there are few (a scan of a
/// handful of short keys beats hashing), a hash map beyond. A leaf (most
/// nodes) holds an empty vector: no allocation, and a node stays small.
#[derive(Clone, Debug)]
enum Children {
    Small(Vec<(Box<[u8]>, Node)>),
    /// Keys as vectors: looked up (and copied only when new) by a slice.
    Map(Box<HashMap<Vec<u8>, Node>>),
}

impl Default for Children {
    fn default() -> Self {
        Children::Small(Vec::new())
    }
}

const SMALL_CHILDREN: usize = 8;

/// Where [`Children::find`] found a child.
#[derive(Clone, Copy)]
enum Found {
    At(usize),
    InMap,
}

impl Children {
    fn len(&self) -> usize {
        match self {
            Children::Small(v) => v.len(),
            Children::Map(m) => m.len(),
        }
    }

    fn get(&self, k: &[u8]) -> Option<&Node> {
        match self {
            Children::Small(v) => v.iter().find(|(s, _)| &s[..] == k).map(|(_, n)| n),
            Children::Map(m) => m.get(k),
        }
    }

    fn contains_key(&self, k: &[u8]) -> bool {
        self.get(k).is_some()
    }

    /// Where the child `k` is, if there is one (a position, so that the
    /// caller may still change the parent when there is none), and its
    /// path's hash.
    fn find(&self, k: &[u8]) -> Option<(Found, u128)> {
        match self {
            Children::Small(v) => v
                .iter()
                .position(|(s, _)| &s[..] == k)
                .map(|i| (Found::At(i), v[i].1.path)),
            Children::Map(m) => m.get(k).map(|n| (Found::InMap, n.path)),
        }
    }

    /// The child [`Children::find`] found.
    fn found(&mut self, f: Found, k: &[u8]) -> Option<&mut Node> {
        match (self, f) {
            (Children::Small(v), Found::At(i)) => v.get_mut(i).map(|(_, n)| n),
            (Children::Map(m), Found::InMap) => m.get_mut(k),
            _ => None,
        }
    }

    fn get_or_insert(&mut self, k: &[u8]) -> &mut Node {
        let mut at = None;
        if let Children::Small(v) = self {
            at = v.iter().position(|(s, _)| &s[..] == k);
            if at.is_none() && v.len() < SMALL_CHILDREN {
                v.push((k.into(), Node::default()));
                at = Some(v.len() - 1);
            }
            if at.is_none() {
                let map: HashMap<Vec<u8>, Node> = std::mem::take(v)
                    .into_iter()
                    .map(|(k, n)| (k.into_vec(), n))
                    .collect();
                *self = Children::Map(Box::new(map));
            }
        }
        match self {
            Children::Map(m) => m.entry_ref(k).or_default(),
            Children::Small(v) => {
                // `at` is set: a small vector without the key became a map.
                let i = match at {
                    Some(i) => i,
                    None => {
                        v.push((k.into(), Node::default()));
                        v.len() - 1
                    }
                };
                &mut v[i].1
            }
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &Node)> + '_> {
        match self {
            Children::Small(v) => Box::new(v.iter().map(|(k, n)| (&k[..], n))),
            Children::Map(m) => Box::new(m.iter().map(|(k, n)| (&k[..], n))),
        }
    }

    fn values(&self) -> impl Iterator<Item = &Node> {
        self.iter().map(|(_, n)| n)
    }

    fn values_mut(&mut self) -> Box<dyn Iterator<Item = &mut Node> + '_> {
        match self {
            Children::Small(v) => Box::new(v.iter_mut().map(|(_, n)| n)),
            Children::Map(m) => Box::new(m.values_mut()),
        }
    }

    fn into_vec(self) -> Vec<(Box<[u8]>, Node)> {
        match self {
            Children::Small(v) => v,
            Children::Map(m) => m
                .into_iter()
                .map(|(k, n)| (k.into_boxed_slice(), n))
                .collect(),
        }
    }
}

/// The prefix tree.
#[derive(Clone, Debug)]
pub struct PrefixTree {
    cfg: PrefixConfig,
    root: Node,
    seg: Vec<u8>,
    classes: Classes,
    /// Per depth: the distinct prefixes seen (as 128-bit hashes of their
    /// path), until there are too many; then the depth is dropped.
    levels: Vec<Level>,
    /// Shared with the other trees of the same run.
    hints: Option<Arc<LevelHints>>,
}

/// The distinct prefixes of one depth, counted over the whole input (also
/// under collapsed nodes), so whether a depth is dropped does not depend on
/// the order keys arrive in or on how trees are merged.
#[derive(Clone, Debug, Default)]
struct Level {
    /// Seeded per process: a state read back chooses these values, and a
    /// fixed hasher lets it choose ones that all collide.
    seen: hashbrown::HashSet<u128, foldhash::fast::RandomState>,
    over: bool,
    /// No nodes are kept at this depth because the trees of the run
    /// together saw too many prefixes there ([`LevelHints`]); `seen` still
    /// counts exactly, so the merged tree can tell whether that was right.
    hinted: bool,
}

/// Hashes a prefix path one segment further.
fn extend_path(h: u128, seg: &[u8]) -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let half = |seed: u64| {
        let mut x = foldhash::fast::FixedState::with_seed(seed).build_hasher();
        x.write_u128(h);
        x.write(seg);
        x.finish()
    };
    (half(0x6a09_e667_f3bc_c908) as u128) << 64 | half(0xbb67_ae85_84ca_a73b) as u128
}

/// One row of the prefix report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixRow {
    /// e.g. `user:*:cart` or `session:*` (raw bytes; escape when printing).
    pub prefix: Vec<u8>,
    pub depth: usize,
    pub stats: PrefixStats,
    /// Its children were not kept (too many distinct).
    pub collapsed: bool,
    /// The node keys from the root (see [`under`]).
    pub path: Vec<Vec<u8>>,
    /// The row of the node above (its `prefix`); `None` at depth 1.
    pub parent: Option<Vec<u8>>,
}

/// Byte classes for cutting a key in one pass: a delimiter, a digit, a
/// byte of a numeric id (digits, `.`, `-`, `_`), a byte of a hex id (hex
/// digits, `-`). Made once per configuration.
#[derive(Clone, Debug)]
pub(crate) struct Classes([u8; 256]);

const DELIM: u8 = 1;
const DIGIT: u8 = 2;
const NUMERIC: u8 = 4;
const HEXISH: u8 = 8;

impl Classes {
    pub(crate) fn new(delimiters: &[u8]) -> Classes {
        let mut t = [0u8; 256];
        for (b, c) in t.iter_mut().enumerate() {
            let b = b as u8;
            if b.is_ascii_digit() {
                *c |= DIGIT | NUMERIC;
            }
            if matches!(b, b'.' | b'-' | b'_') {
                *c |= NUMERIC;
            }
            if b.is_ascii_hexdigit() || b == b'-' {
                *c |= HEXISH;
            }
        }
        for &d in delimiters {
            t[d as usize] |= DELIM;
        }
        Classes(t)
    }

    #[inline]
    pub(crate) fn is_delimiter(&self, b: u8) -> bool {
        self.0[b as usize] & DELIM != 0
    }

    /// Where the segment `rest` starts with ends (the index of its
    /// delimiter, or the length) and whether it is an id, as [`is_id`]
    /// says, in one pass.
    #[inline]
    pub(crate) fn segment_end(&self, rest: &[u8]) -> (usize, bool) {
        let (mut end, mut digits, mut all) = (rest.len(), 0usize, NUMERIC | HEXISH);
        for (i, &b) in rest.iter().enumerate() {
            let c = self.0[b as usize];
            if c & DELIM != 0 {
                end = i;
                break;
            }
            digits += usize::from(c & DIGIT != 0);
            all &= c;
        }
        let id = digits > 0 && (all & NUMERIC != 0 || (all & HEXISH != 0 && end >= 8));
        debug_assert_eq!(id, is_id(&rest[..end]));
        (end, id)
    }
}

/// Segments made of digits (and `.`, `-`, `_` between them), UUIDs and hex
/// ids of 8+ characters with a digit stand for ids: `*`.
pub(crate) fn is_id(seg: &[u8]) -> bool {
    // One pass: every key's segments go through here.
    let (mut digits, mut numeric, mut hexish) = (0usize, true, true);
    for &b in seg {
        let digit = b.is_ascii_digit();
        digits += digit as usize;
        numeric &= digit || matches!(b, b'.' | b'-' | b'_');
        hexish &= b.is_ascii_hexdigit() || b == b'-';
        if !numeric && !hexish {
            return false;
        }
    }
    digits > 0 && (numeric || seg.len() >= 8)
}

/// Length of a trailing id in a segment: a run of hex digits holding at
/// least two decimal digits (`123`, `3fa9c2d1`), else 0.
fn id_tail(seg: &[u8]) -> usize {
    let run = seg
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    let tail = &seg[seg.len() - run..];
    let digits = tail.iter().filter(|b| b.is_ascii_digit()).count();
    // Letters-only tails (`cafe`) are words; an all-letter prefix run like
    // `abc` before digits stays part of the name unless the run is long.
    if digits < 2 {
        return 0;
    }
    if run < 8 {
        // Short runs: only the decimal digits at the end are the id.
        return seg.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    }
    run
}

/// Longest segment kept as it is: a longer one keeps its first bytes and a
/// hash of the whole, so the tree's memory does not grow with key length
/// (a 1 MiB key segment costs 64 bytes) and distinct segments stay apart.
/// Labels are up to `--depth` segments: at 8 levels, about 520 bytes.
const MAX_SEGMENT: usize = 64;

fn bound_segment(seg: &mut Vec<u8>) {
    use std::hash::BuildHasher;
    if seg.len() <= MAX_SEGMENT {
        return;
    }
    // A fixed seed: the same label in every run and every thread.
    let h = foldhash::fast::FixedState::with_seed(0x7264_6273_636f_7065).hash_one(&seg[..]);
    seg.truncate(MAX_SEGMENT - 21);
    seg.extend_from_slice(format!("...#{h:016x}").as_bytes());
}

/// Distinct first segments kept before the root collapses: far more than
/// any other level, since keys without delimiters all land there.
const ROOT_CHILDREN: usize = 20_000;

/// The tree's node key for the segment of `rest` at `level` (after the
/// delimiter `delim`): the delimiter byte, then the segment as the tree
/// keeps it (ids generalized, long ones shortened). Returns the delimiter
/// that ends it and what follows, if any.
fn segment<'k>(
    cfg: &PrefixConfig,
    classes: &Classes,
    level: usize,
    delim: u8,
    rest: &'k [u8],
    out: &mut Vec<u8>,
) -> Option<(u8, &'k [u8])> {
    let (end, id) = classes.segment_end(rest);
    let (seg, next) = match rest.get(end) {
        Some(&d) => (&rest[..end], Some((d, &rest[end + 1..]))),
        None => (rest, None),
    };
    out.clear();
    out.push(delim);
    if cfg.generalize && id {
        out.push(b'*');
    } else if cfg.generalize && level == 0 && next.is_none() {
        // A key without delimiters: generalize an id tail
        // (`session12345` → `session*`, `tmp3fa9c2d1` → `tmp*`).
        let tail = id_tail(seg);
        if tail > 0 && tail < seg.len() {
            out.extend_from_slice(&seg[..seg.len() - tail]);
            out.push(b'*');
        } else {
            out.extend_from_slice(seg);
        }
    } else {
        out.extend_from_slice(seg);
    }
    bound_segment(out);
    next
}

/// Whether `key` falls under the prefix row whose node path is `path`
/// (what [`PrefixRow::path`] holds): its first segments, cut as the tree
/// cuts them, are those. `seg` is scratch.
pub fn under(cfg: &PrefixConfig, key: &[u8], path: &[Vec<u8>], seg: &mut Vec<u8>) -> bool {
    let (mut rest, mut delim) = (key, 0u8);
    let classes = Classes::new(&cfg.delimiters);
    for (level, want) in path.iter().enumerate() {
        let next = segment(cfg, &classes, level, delim, rest, seg);
        if seg != want {
            return false;
        }
        match next {
            Some((d, r)) => (delim, rest) = (d, r),
            None => return level + 1 == path.len(),
        }
    }
    true
}

/// A key's prefixes at each depth as the report's prefix rows name them
/// (ids as `*`, long segments shortened), for per-key output: `user:42:cart`
/// gives `user`, `user:*`, `user:*:cart` (a row with keys below it shows as
/// `user:*`). Made once per configuration.
pub struct PrefixLabels {
    cfg: PrefixConfig,
    classes: Classes,
    seg: Vec<u8>,
    label: Vec<u8>,
}

impl PrefixLabels {
    pub fn new(cfg: PrefixConfig) -> PrefixLabels {
        let classes = Classes::new(&cfg.delimiters);
        PrefixLabels {
            cfg,
            classes,
            seg: Vec::new(),
            label: Vec::new(),
        }
    }

    pub fn config(&self) -> &PrefixConfig {
        &self.cfg
    }

    /// Calls `f(depth, label)` for depths 1.. up to the configured depth
    /// or the key's last segment.
    pub fn each(&mut self, key: &[u8], mut f: impl FnMut(usize, &[u8])) {
        let (mut rest, mut delim) = (key, 0u8);
        self.label.clear();
        for level in 0..self.cfg.depth {
            let next = segment(&self.cfg, &self.classes, level, delim, rest, &mut self.seg);
            // The first node key's leading byte is no delimiter (see `rows_by`).
            let skip = usize::from(level == 0);
            self.label
                .extend_from_slice(self.seg.get(skip..).unwrap_or_default());
            f(level + 1, &self.label);
            match next {
                Some((d, r)) => (delim, rest) = (d, r),
                None => return,
            }
        }
    }
}

/// The tree's node key of `key`'s first segment (as [`PrefixTree::add`]
/// cuts it with `cfg`) into `out`; whether the key goes on past it.
pub(crate) fn first_segment(
    cfg: &PrefixConfig,
    classes: &Classes,
    key: &[u8],
    out: &mut Vec<u8>,
) -> bool {
    segment(cfg, classes, 0, 0, key, out).is_some()
}

impl PrefixTree {
    pub fn new(cfg: PrefixConfig) -> PrefixTree {
        PrefixTree {
            levels: vec![Level::default(); cfg.depth + 1],
            classes: Classes::new(&cfg.delimiters),
            cfg,
            root: Node::default(),
            seg: Vec::new(),
            hints: None,
        }
    }

    /// A tree that shares [`LevelHints`] with the other trees of a run.
    pub fn hinted(cfg: PrefixConfig, hints: Arc<LevelHints>) -> PrefixTree {
        PrefixTree {
            hints: Some(hints),
            ..PrefixTree::new(cfg)
        }
    }

    /// Whether a hint dropped a depth that the whole input did not have
    /// too many prefixes at: this tree is not the one an unhinted run
    /// makes, and the run must be done again without hints.
    pub fn misled(&self) -> bool {
        self.levels.iter().any(|l| l.hinted && !l.over)
    }

    pub fn config(&self) -> &PrefixConfig {
        &self.cfg
    }

    /// Counts one key.
    pub fn add(&mut self, key: &[u8], s: &PrefixStats) {
        self.root.stats.add(s);
        let cfg = &self.cfg;
        let mut node = Some(&mut self.root);
        let mut rest = key;
        let mut delim = 0u8;
        let mut level = 0;
        let mut path = 0u128;
        let mut dropped = None;
        let mut hinted = None;
        loop {
            if level == cfg.depth {
                if let Some(n) = node {
                    n.deeper = true;
                }
                break;
            }
            let next = segment(cfg, &self.classes, level, delim, rest, &mut self.seg);
            // A known child: its path is hashed, and counted at its depth.
            let found = node
                .as_deref()
                .filter(|n| !n.collapsed)
                .and_then(|n| n.children.find(&self.seg));
            path = match found {
                Some((_, p)) => p,
                None => extend_path(path, &self.seg),
            };
            // The depth budget counts every prefix, collapsed node or not.
            let depth = level + 1;
            if depth >= 2 {
                let lv = &mut self.levels[depth];
                if lv.over {
                    lose_children(node);
                    break;
                }
                let new = found.is_none() && lv.seen.insert(path);
                let confirmed = self.hints.as_ref().is_some_and(|h| h.confirmed(depth));
                if confirmed || (new && lv.seen.len() > cfg.max_level_prefixes) {
                    // This key's parent is one of those that lose children.
                    lose_children(node);
                    dropped = Some(depth);
                    break;
                }
                if !lv.hinted
                    && let Some(h) = &self.hints
                    && (h.over(depth) || (new && h.note(depth, path)))
                {
                    lv.hinted = true;
                    hinted = Some(depth);
                }
                if lv.hinted {
                    // As if dropped, but still counted above.
                    lose_children(node);
                    break;
                }
            }
            let cap = children_cap(cfg.max_children, level);
            node = node.and_then(|n| match found {
                Some((f, _)) => {
                    // What `count_child` does to a child it finds.
                    n.deeper = true;
                    let child = n.children.found(f, &self.seg)?;
                    child.stats.add(s);
                    Some(child)
                }
                None => count_child(n, &self.seg, path, cap, s),
            });
            level += 1;
            match next {
                Some((d, r)) => {
                    delim = d;
                    rest = r;
                }
                None => break,
            }
        }
        if let Some(d) = dropped {
            self.drop_depth(d);
        } else if let Some(d) = hinted {
            self.collapse_above(d);
        }
    }

    /// Counts keys whose first segment has the node key `first` (as
    /// [`first_segment`] gives it) as [`PrefixTree::add`] would, with
    /// nothing kept below it; `deeper`: the keys go on past it.
    pub(crate) fn add_first(&mut self, first: &[u8], deeper: bool, s: &PrefixStats) {
        self.root.stats.add(s);
        let cap = children_cap(self.cfg.max_children, 0);
        let path = extend_path(0, first);
        if let Some(child) = count_child(&mut self.root, first, path, cap, s) {
            child.deeper |= deeper;
        }
    }

    /// Depth `d` has too many prefixes: it goes, and the nodes above it that
    /// had children are marked as collapsed.
    fn drop_depth(&mut self, d: usize) {
        for lv in &mut self.levels[d..] {
            lv.over = true;
            lv.seen = Default::default();
        }
        self.collapse_above(d);
    }

    /// The nodes above depth `d` that had children lose them.
    fn collapse_above(&mut self, d: usize) {
        // Iterative: no recursion on the tree's depth.
        let mut stack = vec![(&mut self.root, 0usize)];
        while let Some((n, depth)) = stack.pop() {
            if depth + 1 == d {
                if n.children.len() > 0 {
                    n.collapsed = true;
                    n.deeper = true;
                    n.children = Children::default();
                }
                continue;
            }
            for c in n.children.values_mut() {
                stack.push((c, depth + 1));
            }
        }
    }

    /// Adds another tree's counts (same configuration).
    pub fn merge(&mut self, other: PrefixTree) {
        let mut dropped = None;
        for (d, (a, b)) in self.levels.iter_mut().zip(other.levels).enumerate() {
            if dropped.is_some() {
                break;
            }
            if b.over || a.over {
                dropped = Some(d);
            } else {
                a.hinted |= b.hinted;
                a.seen.extend(b.seen);
                if a.seen.len() > self.cfg.max_level_prefixes {
                    dropped = Some(d);
                }
            }
        }
        merge_node(&mut self.root, other.root, self.cfg.max_children, 0);
        if let Some(d) = dropped {
            self.drop_depth(d);
            // Trees are merged once checked: the other trees may drop it.
            if let Some(h) = &self.hints {
                h.confirm(d);
            }
        }
        if let Some(d) = self.levels.iter().position(|l| l.hinted && !l.over) {
            // The shape a hinted tree has.
            self.collapse_above(d);
        }
    }

    /// As a state document: nodes by path, the depths' prefix hashes
    /// sorted (the same for any split of the keys).
    pub(crate) fn state(&self) -> crate::report::state_doc::TreeState {
        use crate::report::state_doc::{LevelState, NodeState, TreeState};
        let mut nodes: Vec<(Vec<&[u8]>, &Node)> = Vec::new();
        // Iterative: no recursion on the tree's depth.
        let mut stack: Vec<(Vec<&[u8]>, &Node)> = vec![(Vec::new(), &self.root)];
        while let Some((path, n)) = stack.pop() {
            for (k, c) in n.children.iter() {
                let mut p = path.clone();
                p.push(k);
                stack.push((p, c));
            }
            nodes.push((path, n));
        }
        nodes.sort_by(|a, b| a.0.cmp(&b.0));
        let esc = |b: &[u8]| crate::escape::escape(b).into_owned();
        TreeState {
            levels: self
                .levels
                .iter()
                .map(|l| {
                    let mut seen: Vec<u128> = l.seen.iter().copied().collect();
                    seen.sort_unstable();
                    LevelState {
                        over: l.over,
                        seen: seen.iter().map(|h| format!("{h:032x}")).collect(),
                    }
                })
                .collect(),
            nodes: nodes
                .into_iter()
                .map(|(path, n)| NodeState {
                    path: path.into_iter().map(esc).collect(),
                    keys: n.stats.keys,
                    bytes: n.stats.bytes,
                    no_ttl_keys: n.stats.no_ttl_keys,
                    no_ttl_bytes: n.stats.no_ttl_bytes,
                    expired_keys: n.stats.expired_keys,
                    deeper: n.deeper,
                    collapsed: n.collapsed,
                })
                .collect(),
        }
    }

    /// Reads a [`PrefixTree::state`] made with `cfg` back; its root must
    /// count `total` (every key of the report), and no node more.
    pub(crate) fn from_state(
        cfg: PrefixConfig,
        s: crate::report::state_doc::TreeState,
        total: super::Tally,
    ) -> Result<PrefixTree, String> {
        use crate::report::state_doc::{bytes_of, within};
        let mut t = PrefixTree::new(cfg);
        if s.levels.len() != t.levels.len() {
            return Err(format!(
                "{} prefix levels for depth {}",
                s.levels.len(),
                t.cfg.depth
            ));
        }
        for (d, (lv, ls)) in t.levels.iter_mut().zip(s.levels).enumerate() {
            lv.over = ls.over;
            // Depths 0 and 1 are never counted; a dropped depth keeps none.
            if (d < 2 || lv.over) && !ls.seen.is_empty() {
                return Err(format!("prefix hashes at depth {d}, which keeps none"));
            }
            if ls.seen.len() > t.cfg.max_level_prefixes {
                return Err(format!(
                    "{} prefix hashes at depth {d}, more than a depth keeps",
                    ls.seen.len()
                ));
            }
            for h in &ls.seen {
                let v = (h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| u128::from_str_radix(h, 16).ok())
                    .flatten()
                    .ok_or_else(|| format!("prefix hash {h:?} is not 32 hex digits"))?;
                lv.seen.insert(v);
            }
        }
        let mut root_seen = false;
        // Nodes at a dropped depth are not kept.
        let kept = t
            .levels
            .iter()
            .position(|l| l.over)
            .unwrap_or(t.cfg.depth + 1);
        for ns in s.nodes {
            if ns.path.len() > t.cfg.depth || ns.path.len() >= kept {
                return Err(format!(
                    "a prefix node {} deep (depth {}, depths from {} dropped)",
                    ns.path.len(),
                    t.cfg.depth,
                    kept
                ));
            }
            let mut n = &mut t.root;
            let mut path = 0u128;
            for k in &ns.path {
                let k = bytes_of(k, "prefix segment")?;
                if k.is_empty() {
                    return Err("an empty prefix segment".into());
                }
                path = extend_path(path, &k);
                n = n.children.get_or_insert(&k);
                n.path = path;
            }
            // `add` takes a node's path as counted at its depth.
            let depth = ns.path.len();
            if depth >= 2 && !t.levels[depth].seen.contains(&path) {
                return Err(format!(
                    "a prefix node {depth} deep whose hash its depth does not count"
                ));
            }
            let stats = PrefixStats {
                keys: within("a prefix's keys", ns.keys, total.keys)?,
                bytes: within("a prefix's bytes", ns.bytes, total.bytes)?,
                no_ttl_keys: within("a prefix's keys", ns.no_ttl_keys, total.keys)?,
                no_ttl_bytes: within("a prefix's bytes", ns.no_ttl_bytes, total.bytes)?,
                expired_keys: within("a prefix's keys", ns.expired_keys, total.keys)?,
            };
            if ns.path.is_empty() {
                if (stats.keys, stats.bytes) != (total.keys, total.bytes) {
                    return Err(format!(
                        "the prefix tree counts {} keys and {} bytes, the summary {} and {}",
                        stats.keys, stats.bytes, total.keys, total.bytes
                    ));
                }
                root_seen = true;
            }
            n.stats = stats;
            n.deeper = ns.deeper;
            n.collapsed = ns.collapsed;
        }
        if !root_seen {
            return Err("the prefix tree has no root".into());
        }
        t.consistent()?;
        Ok(t)
    }

    /// Whether the tree is one a fold can make: a node counts its keys'
    /// subsets within its keys, its children at most what it counts, no
    /// more children than the cap, none under a collapsed node.
    fn consistent(&self) -> Result<(), String> {
        let mut stack = vec![(&self.root, 0usize)];
        while let Some((n, level)) = stack.pop() {
            let s = &n.stats;
            if s.no_ttl_keys > s.keys || s.expired_keys > s.keys || s.no_ttl_bytes > s.bytes {
                return Err(format!(
                    "a prefix node with more keys without TTL or expired than keys: {s:?}"
                ));
            }
            let count = n.children.len();
            if count > children_cap(self.cfg.max_children, level) || (n.collapsed && count > 0) {
                return Err(format!(
                    "a prefix node at depth {level} with {count} children"
                ));
            }
            let mut sum = PrefixStats::default();
            for c in n.children.values() {
                let c = &c.stats;
                let add = |a: u64, b: u64| a.saturating_add(b);
                sum = PrefixStats {
                    keys: add(sum.keys, c.keys),
                    bytes: add(sum.bytes, c.bytes),
                    no_ttl_keys: add(sum.no_ttl_keys, c.no_ttl_keys),
                    no_ttl_bytes: add(sum.no_ttl_bytes, c.no_ttl_bytes),
                    expired_keys: add(sum.expired_keys, c.expired_keys),
                };
            }
            if sum.keys > s.keys
                || sum.bytes > s.bytes
                || sum.no_ttl_keys > s.no_ttl_keys
                || sum.no_ttl_bytes > s.no_ttl_bytes
                || sum.expired_keys > s.expired_keys
            {
                return Err(format!(
                    "a prefix node's children count more than it: {sum:?} under {s:?}"
                ));
            }
            stack.extend(n.children.values().map(|c| (c, level + 1)));
        }
        Ok(())
    }

    /// Totals of every key counted.
    pub fn total(&self) -> PrefixStats {
        self.root.stats
    }

    /// The `top` biggest prefixes, chosen best-first from the root: a row
    /// is shown only after its parent; ties break on the prefix text. Rows
    /// come back sorted by bytes, descending.
    pub fn rows(&self, top: usize) -> Vec<PrefixRow> {
        self.rows_by(top, |s| s.bytes)
    }

    /// Like [`PrefixTree::rows`], ranked by another measure (e.g. bytes
    /// without TTL); prefixes where it is 0 are left out.
    pub fn rows_by(&self, top: usize, metric: impl Fn(&PrefixStats) -> u64) -> Vec<PrefixRow> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        type Cand = (u64, Reverse<Vec<u8>>, Vec<Vec<u8>>);
        let mut heap: BinaryHeap<Cand> = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<Cand>, parent: &Node, label: &[u8], path: &[Vec<u8>]| {
            for (k, child) in parent.children.iter() {
                let mut l = label.to_vec();
                if !path.is_empty() {
                    l.push(k[0]);
                }
                l.extend_from_slice(&k[1..]);
                let mut p = path.to_vec();
                p.push(k.to_vec());
                if metric(&child.stats) > 0 {
                    heap.push((metric(&child.stats), Reverse(l), p));
                }
            }
        };
        push(&mut heap, &self.root, &[], &[]);
        let mut rows: Vec<PrefixRow> = Vec::new();
        let mut shown = std::collections::HashSet::new();
        // Each popped node's row, by path: a parent is popped before its
        // children, so their rows can name it (a node shown as its parent's
        // row names that row).
        let mut row_of: std::collections::HashMap<Vec<Vec<u8>>, Vec<u8>> = Default::default();
        while rows.len() < top {
            let Some((_, Reverse(label), path)) = heap.pop() else {
                break;
            };
            let node = self.node_at(&path);
            push(&mut heap, node, &label, &path);
            let mut prefix = label;
            if (node.deeper || node.collapsed) && !prefix.ends_with(b"*") {
                prefix.push(self.cfg.delimiters.first().copied().unwrap_or(b':'));
                prefix.push(b'*');
            }
            let parent = path
                .split_last()
                .and_then(|(_, up)| row_of.get(up))
                .cloned();
            row_of.insert(path.clone(), prefix.clone());
            // `rate` (shown as `rate:*`) and its only child, the id segment
            // `rate:*`, name the same keys: show the row once.
            if !shown.insert(prefix.clone()) {
                continue;
            }
            rows.push(PrefixRow {
                prefix,
                depth: path.len(),
                stats: node.stats,
                collapsed: node.collapsed,
                path,
                parent,
            });
        }
        rows.sort_by(|a, b| {
            metric(&b.stats)
                .cmp(&metric(&a.stats))
                .then_with(|| a.prefix.cmp(&b.prefix))
        });
        rows
    }

    /// The first-level prefixes and their keys, by keys then prefix, at
    /// most `top` (how expiry clusters are named).
    pub fn first_level_by_keys(&self, top: usize) -> Vec<(Vec<u8>, u64)> {
        let mut rows: Vec<(Vec<u8>, u64)> = self
            .rows_by(usize::MAX, |s| s.keys)
            .into_iter()
            .filter(|r| r.depth == 1)
            .map(|r| (r.prefix, r.stats.keys))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(top);
        rows
    }

    fn node_at(&self, path: &[Vec<u8>]) -> &Node {
        let mut n = &self.root;
        for k in path {
            match n.children.get(k) {
                Some(c) => n = c,
                None => break,
            }
        }
        n
    }

    /// Prefixes whose children were dropped for exceeding the cap.
    pub fn collapsed_count(&self) -> usize {
        fn walk(n: &Node) -> usize {
            n.collapsed as usize + n.children.values().map(walk).sum::<usize>()
        }
        walk(&self.root)
    }
}

/// A key's parent at a depth whose children are not kept.
fn lose_children(node: Option<&mut Node>) {
    if let Some(n) = node {
        n.deeper = true;
        n.collapsed = true;
        n.children = Children::default();
    }
}

/// Distinct children kept under a node at `level` (0: the root).
fn children_cap(max_children: usize, level: usize) -> usize {
    if level == 0 {
        max_children.max(ROOT_CHILDREN)
    } else {
        max_children
    }
}

/// Counts `s` in `n`'s child `k`, made if new, unless `n` has (or now gets,
/// past `cap` distinct) its children dropped.
fn count_child<'n>(
    n: &'n mut Node,
    k: &[u8],
    path: u128,
    cap: usize,
    s: &PrefixStats,
) -> Option<&'n mut Node> {
    n.deeper = true;
    if n.collapsed {
        return None;
    }
    if n.children.len() >= cap && !n.children.contains_key(k) {
        n.collapsed = true;
        n.children = Children::default();
        return None;
    }
    // One lookup; the key is copied only when the child is new.
    let child = n.children.get_or_insert(k);
    child.path = path;
    child.stats.add(s);
    Some(child)
}

fn merge_node(into: &mut Node, from: Node, cap: usize, level: usize) {
    let own_cap = children_cap(cap, level);
    into.stats.add(&from.stats);
    into.deeper |= from.deeper;
    if into.collapsed || from.collapsed {
        into.collapsed = true;
        into.children = Children::default();
        return;
    }
    for (k, child) in from.children.into_vec() {
        if into.children.contains_key(&k) {
            merge_node(into.children.get_or_insert(&k), child, cap, level + 1);
        } else {
            *into.children.get_or_insert(&k) = child;
        }
    }
    if into.children.len() > own_cap {
        into.collapsed = true;
        into.children = Children::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(bytes: u64) -> PrefixStats {
        PrefixStats {
            keys: 1,
            bytes,
            ..Default::default()
        }
    }

    #[test]
    fn generalizes_ids_and_merges_deterministically() {
        let keys: Vec<(&[u8], u64)> = vec![
            (b"user:1:cart", 10),
            (b"user:2:cart", 10),
            (b"user:3:profile", 50),
            (b"session:0f8fad5b-d9cb-469f-a165-70867728950e", 5),
            (b"session12345", 1),
            (b"plain", 2),
        ];
        let mut one = PrefixTree::new(PrefixConfig::default());
        keys.iter().for_each(|(k, b)| one.add(k, &stats(*b)));
        let mut a = PrefixTree::new(PrefixConfig::default());
        let mut b = PrefixTree::new(PrefixConfig::default());
        keys.iter().enumerate().for_each(|(i, (k, s))| {
            if i % 2 == 0 {
                a.add(k, &stats(*s))
            } else {
                b.add(k, &stats(*s))
            }
        });
        b.merge(a);
        let rows = one.rows(10);
        assert_eq!(rows, b.rows(10));
        let labels: Vec<String> = rows
            .iter()
            .map(|r| String::from_utf8(r.prefix.clone()).unwrap())
            .collect();
        assert_eq!(labels[0], "user:*");
        assert!(labels.contains(&"user:*:profile".to_string()), "{labels:?}");
        assert!(labels.contains(&"session:*".to_string()), "{labels:?}");
        assert!(labels.contains(&"session*".to_string()), "{labels:?}");
        assert!(labels.contains(&"plain".to_string()), "{labels:?}");
        assert_eq!(one.total().keys, 6);
    }

    /// Too many distinct prefixes at one depth drop that depth the same way
    /// whatever the order of the keys and however the trees are split.
    #[test]
    fn depth_budget_drops_the_same_way_in_any_split() {
        let cfg = PrefixConfig {
            max_level_prefixes: 6,
            max_children: 4,
            generalize: false,
            ..Default::default()
        };
        // 3 first segments x 3 second ones = 9 depth-2 prefixes (> 6);
        // "x:y" alone stays 1 deep; per-node caps trip under "a".
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for a in ["a", "b", "c"] {
            for b in ["p", "q", "r"] {
                keys.push(format!("{a}:{b}:z").into_bytes());
            }
        }
        for i in 0..6 {
            keys.push(format!("a:n{i}").into_bytes());
        }
        keys.push(b"x".to_vec());
        let mut one = PrefixTree::new(cfg.clone());
        keys.iter().for_each(|k| one.add(k, &stats(1)));
        let want = one.rows(100);
        assert!(want.iter().all(|r| r.depth <= 1), "{want:?}");
        assert!(want.iter().any(|r| r.collapsed), "{want:?}");
        // Every rotation of the order, split in two at every point.
        for rot in 0..keys.len() {
            let mut order = keys.clone();
            order.rotate_left(rot);
            for cut in 0..=order.len() {
                let mut a = PrefixTree::new(cfg.clone());
                let mut b = PrefixTree::new(cfg.clone());
                order[..cut].iter().for_each(|k| a.add(k, &stats(1)));
                order[cut..].iter().for_each(|k| b.add(k, &stats(1)));
                a.merge(b);
                assert_eq!(a.rows(100), want, "rotation {rot}, cut {cut}");
            }
        }
        // Under the budget nothing is dropped.
        let mut small = PrefixTree::new(PrefixConfig {
            max_level_prefixes: 100,
            ..cfg
        });
        keys.iter().for_each(|k| small.add(k, &stats(1)));
        assert!(small.rows(100).iter().any(|r| r.depth == 2));
    }

    #[test]
    fn cap_collapses_the_same_way_in_any_split() {
        let cfg = PrefixConfig {
            max_children: 3,
            generalize: false,
            ..Default::default()
        };
        let keys: Vec<Vec<u8>> = (0..5).map(|i| format!("p:k{i}x").into_bytes()).collect();
        let mut one = PrefixTree::new(cfg.clone());
        keys.iter().for_each(|k| one.add(k, &stats(1)));
        let mut a = PrefixTree::new(cfg.clone());
        let mut b = PrefixTree::new(cfg);
        keys.iter().take(3).for_each(|k| a.add(k, &stats(1)));
        keys.iter().skip(3).for_each(|k| b.add(k, &stats(1)));
        a.merge(b);
        assert_eq!(one.rows(10), a.rows(10));
        assert!(one.rows(10)[0].collapsed);
        assert_eq!(one.collapsed_count(), 1);
    }

    /// Eight trees, each under the cap at depth 2, together over it: the
    /// hints stop them building depth 2 before any is merged, and the
    /// merged tree is the one a single unhinted tree makes.
    #[test]
    fn hints_drop_a_depth_the_whole_input_drops() {
        let cfg = PrefixConfig {
            max_level_prefixes: 100,
            generalize: false,
            ..Default::default()
        };
        let keys: Vec<Vec<u8>> = (0..320)
            .map(|i| format!("t{}:c{}:x", i % 7, i).into_bytes())
            .collect();
        let mut whole = PrefixTree::new(cfg.clone());
        keys.iter().for_each(|k| whole.add(k, &stats(3)));
        let hints = LevelHints::new(&cfg);
        let mut parts: Vec<PrefixTree> = (0..8)
            .map(|_| PrefixTree::hinted(cfg.clone(), hints.clone()))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            parts[i % 8].add(k, &stats(3));
        }
        assert!(parts.iter().all(|t| t.levels[2].seen.len() == 40));
        assert!(parts.iter().filter(|t| t.levels[2].hinted).count() >= 7);
        let mut merged = PrefixTree::hinted(cfg.clone(), hints.clone());
        for p in parts {
            merged.merge(p);
        }
        assert!(!merged.misled());
        assert_eq!(merged.rows(100), whole.rows(100));
        assert!(whole.rows(100).iter().all(|r| r.depth == 1));
        // The merge confirmed it: a tree made now drops the depth at once.
        let mut late = PrefixTree::hinted(cfg, hints);
        late.add(b"t1:c1:x", &stats(1));
        assert!(late.levels[2].over);
    }

    /// A hint from a tree that is thrown away (a range cut at a false
    /// boundary) can be wrong: the merged tree of the rest says so.
    #[test]
    fn a_hint_from_a_thrown_away_tree_is_caught() {
        let cfg = PrefixConfig {
            max_level_prefixes: 100,
            generalize: false,
            ..Default::default()
        };
        let hints = LevelHints::new(&cfg);
        for g in 0..2 {
            let mut garbage = PrefixTree::hinted(cfg.clone(), hints.clone());
            for i in 0..60 {
                garbage.add(format!("g{g}:{i}").as_bytes(), &stats(1));
            }
        }
        let mut real = PrefixTree::hinted(cfg.clone(), hints.clone());
        let mut whole = PrefixTree::new(cfg.clone());
        for i in 0..10 {
            let k = format!("u:{i}");
            real.add(k.as_bytes(), &stats(1));
            whole.add(k.as_bytes(), &stats(1));
        }
        assert!(real.levels[2].hinted);
        let mut merged = PrefixTree::hinted(cfg, hints);
        merged.merge(real);
        assert!(merged.misled());
        assert!(!whole.misled());
        assert_ne!(merged.rows(100), whole.rows(100));
    }
}
