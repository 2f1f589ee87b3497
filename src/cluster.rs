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

/// The slots served by the node that wrote `conf` (a cluster's
/// `nodes.conf`, or `CLUSTER NODES` output): those of its `myself` line,
/// or of its primary's line when it is a replica. Slots being imported or
/// migrated (`[…]`) are not counted as served.
pub fn served_slots(conf: &str) -> Result<SlotSet, String> {
    struct Node<'c> {
        id: &'c str,
        flags: &'c str,
        primary: &'c str,
        slots: Vec<&'c str>,
        line: usize,
    }
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
            flags: f[2],
            primary: f[3],
            slots: f[8..].to_vec(),
            line: i + 1,
        });
    }
    let flagged = |n: &Node<'_>, flag: &str| n.flags.split(',').any(|x| x == flag);
    let mut mine = nodes.iter().filter(|n| flagged(n, "myself"));
    let me = mine
        .next()
        .ok_or("no node flagged myself: expected a nodes.conf (or CLUSTER NODES output)")?;
    if let Some(other) = mine.next() {
        return Err(format!("line {}: a second node flagged myself", other.line));
    }
    let serving = if flagged(me, "slave") || flagged(me, "replica") {
        nodes
            .iter()
            .find(|n| n.id == me.primary)
            .ok_or_else(|| format!("line {}: its primary {} is not listed", me.line, me.primary))?
    } else {
        me
    };
    let mut set = SlotSet([0; 256]);
    for s in &serving.slots {
        if s.starts_with('[') {
            continue;
        }
        let (a, b) = s.split_once('-').unwrap_or((s, s));
        let range = match (a.parse::<u16>(), b.parse::<u16>()) {
            (Ok(a), Ok(b)) if a <= b && b < SLOTS => a..=b,
            _ => {
                return Err(format!(
                    "line {}: {s:?} is not a slot or range of slots 0-16383",
                    serving.line
                ));
            }
        };
        for x in range {
            set.insert(x);
        }
    }
    Ok(set)
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
}
