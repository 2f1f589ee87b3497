//! Redis Cluster's key → slot mapping (`keyHashSlot` in cluster.c): CRC16
//! (XMODEM) of the key's hash tag modulo 16384. The hash tag is what lies
//! between the first `{` and the first `}` after it, when that is not
//! empty; otherwise the whole key is hashed.

/// Slots in a cluster.
pub const SLOTS: u16 = 16384;

// Slice-by-16 tables: every key of `keys --format parquet` is hashed.
const CRC16: crc::Crc<u16, crc::Table<16>> =
    crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_XMODEM);

/// The key's hash tag, if it has one (`{user1000}.following` → `user1000`).
pub fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = memchr::memchr(b'{', key)?;
    let rest = &key[open + 1..];
    let close = memchr::memchr(b'}', rest)?;
    (close > 0).then(|| &rest[..close])
}

/// The cluster slot of `key`, as `CLUSTER KEYSLOT` gives it.
pub fn key_slot(key: &[u8]) -> u16 {
    slot_of(hash_tag(key).unwrap_or(key))
}

/// The slot of what a key hashes: its hash tag, or the key when it has
/// none (for callers that need the tag too).
pub fn slot_of(hashed: &[u8]) -> u16 {
    CRC16.checksum(hashed) & (SLOTS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_slots() {
        // The CRC16 check value of the XMODEM variant, as cluster.c's
        // comment gives it: "123456789" → 0x31C3.
        assert_eq!(CRC16.checksum(b"123456789"), 0x31c3);
        assert_eq!(hash_tag(b"{user1000}.following"), Some(&b"user1000"[..]));
        assert_eq!(
            hash_tag(b"foo{}{bar}"),
            None,
            "an empty first tag hashes the key"
        );
        assert_eq!(hash_tag(b"foo{{bar}}zap"), Some(&b"{bar"[..]));
        assert_eq!(hash_tag(b"foo{bar}{zap}"), Some(&b"bar"[..]));
        assert_eq!(hash_tag(b"no}tag{"), None);
        assert_eq!(
            key_slot(b"{user1000}.following"),
            key_slot(b"{user1000}.followers")
        );
        assert_eq!(
            key_slot(b"foo{}{bar}"),
            CRC16.checksum(b"foo{}{bar}") & 16383
        );
    }
}

/// A set of slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotSet([u64; 256]);

impl SlotSet {
    pub fn contains(&self, slot: u16) -> bool {
        let s = usize::from(slot & (SLOTS - 1));
        self.0[s / 64] >> (s % 64) & 1 == 1
    }

    fn insert(&mut self, slot: u16) {
        let s = usize::from(slot);
        self.0[s / 64] |= 1 << (s % 64);
    }

    /// Slots `a..=b` (`a <= b < SLOTS`), a word at a time.
    fn insert_range(&mut self, a: u16, b: u16) {
        let (a, b) = (usize::from(a), usize::from(b));
        for w in a / 64..=b / 64 {
            let lo = if w == a / 64 { a % 64 } else { 0 };
            let hi = if w == b / 64 { b % 64 } else { 63 };
            let bits = (u64::MAX >> (63 - hi)) & (u64::MAX << lo);
            self.0[w] |= bits;
        }
    }

    pub fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The most nodes a `CLUSTER NODES` answer may list (Redis advises at
/// most 1,000).
const MAX_NODES: usize = 10_000;

/// One line of `CLUSTER NODES` (or `nodes.conf`).
pub struct Node<'c> {
    pub id: &'c str,
    /// `ip:port@cport[,hostname]`.
    pub address: &'c str,
    pub flags: &'c str,
    /// The primary's id (`-` for a primary).
    pub primary: &'c str,
    /// `connected` or `disconnected`.
    pub link: &'c str,
    /// Slots and ranges; `[…]` for slots being imported or migrated.
    pub slots: Vec<&'c str>,
    /// Line number, for messages.
    pub line: usize,
}

impl Node<'_> {
    pub fn flagged(&self, flag: &str) -> bool {
        self.flags.split(',').any(|x| x == flag)
    }

    pub fn is_replica(&self) -> bool {
        self.flagged("slave") || self.flagged("replica")
    }

    /// The node can be read: not failing, with an address, link up.
    pub fn reachable(&self) -> bool {
        !["fail", "fail?", "noaddr", "handshake"]
            .iter()
            .any(|f| self.flagged(f))
            && self.link == "connected"
    }

    /// The host and port clients use (`None`: no address known).
    pub fn host_port(&self) -> Option<(&str, u16)> {
        let ip_port = self.address.split(['@', ',']).next()?;
        let (ip, port) = ip_port.rsplit_once(':')?;
        let ip = ip
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .unwrap_or(ip);
        Some((ip, port.parse().ok().filter(|p| *p > 0)?))
    }

    /// The slots it serves (imports and migrations are not counted).
    pub fn served(&self) -> Result<SlotSet, String> {
        let mut set = SlotSet([0; 256]);
        // More entries than slots is not a node's line (and would cost a
        // fill of the set each).
        if self.slots.len() > usize::from(SLOTS) {
            return Err(format!(
                "line {}: {} slot entries, more than the {SLOTS} slots",
                self.line,
                self.slots.len()
            ));
        }
        for s in &self.slots {
            if s.starts_with('[') {
                continue;
            }
            let (a, b) = s.split_once('-').unwrap_or((s, s));
            let range = match (a.parse::<u16>(), b.parse::<u16>()) {
                (Ok(a), Ok(b)) if a <= b && b < SLOTS => a..=b,
                _ => {
                    return Err(format!(
                        "line {}: {s:?} is not a slot or range of slots 0-16383",
                        self.line
                    ));
                }
            };
            set.insert_range(*range.start(), *range.end());
        }
        Ok(set)
    }
}

/// The nodes of `CLUSTER NODES` output or a `nodes.conf`.
pub fn nodes(conf: &str) -> Result<Vec<Node<'_>>, String> {
    let mut nodes = Vec::new();
    for (i, line) in conf.lines().enumerate() {
        let f: Vec<&str> = line.split_ascii_whitespace().collect();
        if f.is_empty() || f[0] == "vars" {
            continue;
        }
        if f.len() < 8 {
            return Err(format!(
                "line {}: expected a node: id, address, flags, primary, ping, pong, epoch, link state, slots",
                i + 1
            ));
        }
        nodes.push(Node {
            id: f[0],
            address: f[1],
            flags: f[2],
            primary: f[3],
            link: f[7],
            slots: f[8..].to_vec(),
            line: i + 1,
        });
    }
    Ok(nodes)
}

/// The slots served by the node that wrote `conf` (a cluster's
/// `nodes.conf`, or `CLUSTER NODES` output): those of its `myself` line,
/// or of its primary's line when it is a replica. Slots being imported or
/// migrated (`[…]`) are not counted as served.
pub fn served_slots(conf: &str) -> Result<SlotSet, String> {
    let nodes = nodes(conf)?;
    let mut mine = nodes.iter().filter(|n| n.flagged("myself"));
    let me = mine
        .next()
        .ok_or("no node flagged myself: expected a nodes.conf (or CLUSTER NODES output)")?;
    if let Some(other) = mine.next() {
        return Err(format!("line {}: a second node flagged myself", other.line));
    }
    let serving = if me.is_replica() {
        nodes
            .iter()
            .find(|n| n.id == me.primary)
            .ok_or_else(|| format!("line {}: its primary {} is not listed", me.line, me.primary))?
    } else {
        me
    };
    serving.served()
}

/// The nodes to read for a whole cluster, as (host, port): every primary
/// that serves slots (or, with `replicas`, one reachable replica of each,
/// the first by id), ordered by the first slot served.
pub fn nodes_to_read(conf: &str, replicas: bool) -> Result<Vec<(String, u16)>, String> {
    let nodes = nodes(conf)?;
    // A cluster has at most one primary a slot: more is not a cluster's
    // view (and would read one server many times).
    if nodes.len() > MAX_NODES {
        return Err(format!(
            "{} nodes: more than a cluster has (at most {MAX_NODES} here)",
            nodes.len()
        ));
    }
    // Each primary's slots as one entry a range: a view lists at most a
    // range a slot (and the slots being moved) in all.
    let entries: usize = nodes.iter().map(|n| n.slots.len()).sum();
    if entries > 2 * usize::from(SLOTS) {
        return Err(format!(
            "{entries} slot entries: more than a cluster's {SLOTS} slots can make"
        ));
    }
    let mut first_replica: std::collections::HashMap<&str, &Node<'_>> = Default::default();
    for r in nodes.iter().filter(|r| r.is_replica() && r.reachable()) {
        let e = first_replica.entry(r.primary).or_insert(r);
        if r.id < e.id {
            *e = r;
        }
    }
    let mut claimed = SlotSet([0; 256]);
    let mut addresses = std::collections::HashSet::new();
    let mut picked = Vec::new();
    for p in nodes.iter().filter(|n| !n.is_replica()) {
        let served = p.served()?;
        let Some(first) = (0..SLOTS).find(|s| served.contains(*s)) else {
            continue;
        };
        if let Some(s) = (0..SLOTS).find(|s| served.contains(*s) && claimed.contains(*s)) {
            return Err(format!(
                "line {}: slot {s} is claimed by two primaries: not a consistent cluster view",
                p.line
            ));
        }
        for s in (0..SLOTS).filter(|s| served.contains(*s)) {
            claimed.insert(s);
        }
        let node = if replicas {
            *first_replica.get(p.id).ok_or_else(|| {
                format!(
                    "--replicas: the primary {} (slots from {first}) has no reachable replica \
                     (read the primaries without --replicas)",
                    p.address
                )
            })?
        } else if !p.reachable() {
            return Err(format!(
                "the primary {} (slots from {first}) is failing or unreachable ({})",
                p.address, p.flags
            ));
        } else {
            p
        };
        let (host, port) = node
            .host_port()
            .ok_or_else(|| format!("line {}: no address in {:?}", node.line, node.address))?;
        if !addresses.insert((host, port)) {
            return Err(format!(
                "line {}: {host}:{port} is listed for two primaries: not a consistent cluster view",
                node.line
            ));
        }
        picked.push((first, host.to_string(), port));
    }
    if picked.is_empty() {
        return Err("no primary serves any slot: the cluster is not set up".into());
    }
    picked.sort();
    Ok(picked.into_iter().map(|(_, h, p)| (h, p)).collect())
}

#[cfg(test)]
mod served_tests {
    use super::*;

    const CONF: &str = "\
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460 7000 [5461->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]
67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@40002 master - 0 1426238316232 2 connected 5461-10922
292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@40003 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238318243 3 connected
vars currentEpoch 3 lastVoteEpoch 0
";

    #[test]
    fn myself_and_replicas() {
        let s = served_slots(CONF).unwrap();
        assert_eq!(s.len(), 5462);
        assert!(s.contains(0) && s.contains(5460) && s.contains(7000));
        assert!(!s.contains(5461), "migrating out is not counted");
        // The replica serves its primary's slots.
        let replica = CONF
            .replace("myself,master", "master")
            .replace(" slave e7d1", " myself,slave e7d1");
        assert_eq!(served_slots(&replica).unwrap(), s);
        assert!(served_slots("vars currentEpoch 0\n").is_err());
        assert!(served_slots(&CONF.replace("0-5460", "5460-0")).is_err());
        assert!(served_slots(&CONF.replace("0-5460", "0-16384")).is_err());
        assert!(served_slots(&CONF.replace("master -", "myself,master -")).is_err());
    }

    #[test]
    fn a_range_is_its_slots() {
        for (a, b) in [
            (0, 0),
            (0, 63),
            (1, 64),
            (63, 64),
            (5, 16383),
            (16383, 16383),
            (100, 9000),
        ] {
            let (mut x, mut y) = (SlotSet([0; 256]), SlotSet([0; 256]));
            x.insert_range(a, b);
            for s in a..=b {
                y.insert(s);
            }
            assert_eq!(x, y, "{a}-{b}");
        }
    }

    #[test]
    fn the_nodes_a_cluster_read_takes() {
        // (CONF lists slot 7000 for two primaries, as served_slots allows.)
        let conf = CONF.replace("0-5460 7000", "0-5460");
        let conf = conf.as_str();
        let nodes = nodes_to_read(conf, false).unwrap();
        assert_eq!(
            nodes,
            [
                ("127.0.0.1".to_string(), 30001),
                ("127.0.0.1".to_string(), 30002)
            ]
        );
        // 30002 has no replica.
        assert!(nodes_to_read(conf, true).unwrap_err().contains("30002"));
        let one = conf.replace(" 5461-10922", "");
        assert_eq!(
            nodes_to_read(&one, true).unwrap(),
            [("127.0.0.1".to_string(), 30003)]
        );
        let failing = conf.replace("master - 0 1426238316232", "master,fail - 0 1426238316232");
        assert!(nodes_to_read(&failing, false).is_err());
        let ordered = conf.replace("0-5460", "11000-16383");
        assert_eq!(nodes_to_read(&ordered, false).unwrap()[0].1, 30002);
        // Inconsistent views: a slot claimed twice, one address twice.
        let twice = conf.replace("5461-10922", "5000-10922");
        assert!(
            nodes_to_read(&twice, false)
                .unwrap_err()
                .contains("slot 5000")
        );
        let same = conf.replace("127.0.0.1:30002@40002", "127.0.0.1:30001@40001");
        assert!(
            nodes_to_read(&same, false)
                .unwrap_err()
                .contains("two primaries")
        );
        let many = format!(
            "{} {}\n",
            &conf.lines().next().unwrap()[..90],
            "1 ".repeat(20_000)
        );
        assert!(nodes_to_read(&many, false).is_err());
    }
}
