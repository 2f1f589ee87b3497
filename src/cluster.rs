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
    let open = key.iter().position(|&b| b == b'{')?;
    let rest = &key[open + 1..];
    let close = rest.iter().position(|&b| b == b'}')?;
    (close > 0).then(|| &rest[..close])
}

/// The cluster slot of `key`, as `CLUSTER KEYSLOT` gives it.
pub fn key_slot(key: &[u8]) -> u16 {
    CRC16.checksum(hash_tag(key).unwrap_or(key)) & (SLOTS - 1)
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

    pub fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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
        Some((ip, port.parse().ok().filter(|p| *p > 0)?))
    }

    /// The slots it serves (imports and migrations are not counted).
    pub fn served(&self) -> Result<SlotSet, String> {
        let mut set = SlotSet([0; 256]);
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
            for x in range {
                set.insert(x);
            }
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
    let mut picked = Vec::new();
    for p in nodes.iter().filter(|n| !n.is_replica()) {
        let served = p.served()?;
        let Some(first) = (0..SLOTS).find(|s| served.contains(*s)) else {
            continue;
        };
        let node = if replicas {
            let mut rs: Vec<&Node<'_>> = nodes
                .iter()
                .filter(|r| r.is_replica() && r.primary == p.id && r.reachable())
                .collect();
            rs.sort_by_key(|r| r.id);
            *rs.first().ok_or_else(|| {
                format!(
                    "--replicas: the primary {} (slots from {first}) has no reachable replica",
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
    fn the_nodes_a_cluster_read_takes() {
        let nodes = nodes_to_read(CONF, false).unwrap();
        assert_eq!(
            nodes,
            [
                ("127.0.0.1".to_string(), 30001),
                ("127.0.0.1".to_string(), 30002)
            ]
        );
        // 30002 has no replica.
        assert!(nodes_to_read(CONF, true).unwrap_err().contains("30002"));
        let one = CONF.replace(" 5461-10922", "");
        assert_eq!(
            nodes_to_read(&one, true).unwrap(),
            [("127.0.0.1".to_string(), 30003)]
        );
        let failing = CONF.replace("master - 0 1426238316232", "master,fail - 0 1426238316232");
        assert!(nodes_to_read(&failing, false).is_err());
        let ordered = CONF.replace("0-5460 7000", "11000-16383");
        assert_eq!(nodes_to_read(&ordered, false).unwrap()[0].1, 30002);
    }
}
