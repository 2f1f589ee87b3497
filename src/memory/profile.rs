//! Target servers: which layout `MEMORY USAGE` follows, which thresholds
//! decide encodings at load, and which allocator sizes allocations
//! (shared/docs/MEMORY.md §1, §4, §5).

use std::fmt;
use std::str::FromStr;

/// A memory-model profile: a server release line whose `MEMORY USAGE`
/// composition is modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServerProfile {
    Redis40,
    Redis50,
    Redis60,
    Redis62,
    Redis70,
    Redis72,
    Redis74,
    Redis80,
    Redis82,
    Redis84,
    Redis86,
    Valkey72,
    Valkey80,
    Valkey81,
    Valkey90,
    Valkey91,
}

use ServerProfile::*;

pub const ALL_PROFILES: [ServerProfile; 16] = [
    Redis40, Redis50, Redis60, Redis62, Redis70, Redis72, Redis74, Redis80, Redis82, Redis84,
    Redis86, Valkey72, Valkey80, Valkey81, Valkey90, Valkey91,
];

impl ServerProfile {
    pub fn name(self) -> &'static str {
        match self {
            Redis40 => "redis-4.0",
            Redis50 => "redis-5.0",
            Redis60 => "redis-6.0",
            Redis62 => "redis-6.2",
            Redis70 => "redis-7.0",
            Redis72 => "redis-7.2",
            Redis74 => "redis-7.4",
            Redis80 => "redis-8.0",
            Redis82 => "redis-8.2",
            Redis84 => "redis-8.4",
            Redis86 => "redis-8.6",
            Valkey72 => "valkey-7.2",
            Valkey80 => "valkey-8.0",
            Valkey81 => "valkey-8.1",
            Valkey90 => "valkey-9.0",
            Valkey91 => "valkey-9.1",
        }
    }

    pub fn is_valkey(self) -> bool {
        self >= Valkey72
    }

    /// The Redis layout generation this profile follows for the parts
    /// Valkey inherited (Valkey 7.2 forked from Redis 7.2.4).
    pub(crate) fn redis_base(self) -> ServerProfile {
        if self.is_valkey() { Redis72 } else { self }
    }

    /// Profiles whose `MEMORY USAGE` composition is not confirmed from
    /// sources or measurements; output marks them provisional.
    pub fn is_provisional(self) -> bool {
        // Inferred from a neighbour (8.4/8.6 from measured 8.2.3, Valkey 9.0
        // from measured 9.1.2), neither measured nor read in sources.
        matches!(self, Redis84 | Redis86 | Valkey90)
    }

    /// The newest RDB version this server loads (`RDB_VERSION`; Valkey 9
    /// writes 80 and refuses Redis's 12+ "foreign" versions by default).
    pub fn max_rdb_version(self) -> u32 {
        match self {
            Redis40 => 8,
            Redis50 | Redis60 | Redis62 => 9,
            Redis70 => 10,
            Redis72 | Valkey72 | Valkey80 | Valkey81 => 11,
            Redis74 | Redis80 | Redis82 | Redis84 => 12,
            Redis86 => 13,
            Valkey90 | Valkey91 => 80,
        }
    }

    /// Maps a server version (`7.0.15`, from AUX `redis-ver` / `valkey-ver`)
    /// to its profile. Versions older than 4.0 use the 4.0 profile; newer
    /// than the newest known use the newest of the family.
    pub fn for_version(valkey: bool, version: &str) -> ServerProfile {
        let mut it = version
            .split('.')
            .map(|p| p.trim().parse::<u32>().unwrap_or(0));
        let major = it.next().unwrap_or(0);
        let minor = it.next().unwrap_or(0);
        let v = (major, minor);
        if valkey {
            return match v {
                (..=7, _) => Valkey72,
                (8, 0) => Valkey80,
                (8, _) => Valkey81,
                (9, 0) => Valkey90,
                _ => Valkey91,
            };
        }
        match v {
            (..=4, _) => Redis40,
            (5, _) => Redis50,
            (6, 0 | 1) => Redis60,
            (6, _) => Redis62,
            (7, 0 | 1) => Redis70,
            (7, 2 | 3) => Redis72,
            (7, _) => Redis74,
            (8, 0 | 1) => Redis80,
            (8, 2 | 3) => Redis82,
            (8, 4 | 5) => Redis84,
            _ => Redis86,
        }
    }
}

impl ServerProfile {
    /// The server that writes RDB `version` (each writes its own
    /// `RDB_VERSION`), for a dump whose AUX names no believable version:
    /// the newest measured one of the servers that write it.
    pub fn writer_of_rdb(version: u32, valkey: bool) -> ServerProfile {
        match version {
            _ if valkey && version >= 80 => Valkey91,
            _ if valkey => Valkey81,
            ..=8 => Redis40,
            9 => Redis62,
            10 => Redis70,
            11 => Redis72,
            12 => Redis82,
            13 => Redis86,
            _ => Valkey91,
        }
    }

    /// Whether a dump of RDB `version` can have been written by this
    /// server: it writes exactly its `RDB_VERSION` (Valkey 7.2–8.1 write 11,
    /// like Redis 7.2).
    pub fn writes_rdb(self, version: u32) -> bool {
        self.max_rdb_version() == version
    }
}

impl fmt::Display for ServerProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl ServerProfile {
    /// The profile names, for `--target` help and errors.
    pub fn names() -> String {
        ALL_PROFILES.map(ServerProfile::name).join(", ")
    }
}

impl FromStr for ServerProfile {
    type Err = crate::Error;
    /// `redis-7.2`, `valkey-8.1`, also with a patch level (`redis-7.0.15`).
    /// Only the release lines that have a profile are accepted: an unknown
    /// one is an error, never silently mapped to a neighbour.
    fn from_str(s: &str) -> Result<Self, crate::Error> {
        let line = {
            let mut parts = s.splitn(3, '.');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(a), Some(b), rest)
                    if rest
                        .is_none_or(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit())) =>
                {
                    format!("{a}.{b}")
                }
                _ => String::new(),
            }
        };
        ALL_PROFILES
            .into_iter()
            .find(|p| p.name() == line)
            .ok_or_else(|| {
                crate::Error::invalid(format!(
                    "unknown target {s:?}: one of {} (a patch level such as redis-7.0.15 is accepted)",
                    ServerProfile::names()
                ))
            })
    }
}

/// Encoding thresholds the target applies at load (`*-max-listpack-*`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    pub set_max_intset_entries: u64,
    pub set_max_listpack_entries: u64,
    pub set_max_listpack_value: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    /// Negative: a node's listpack may not exceed 4/8/16/32/64 KB (−1…−5);
    /// positive: at most n entries per node.
    pub list_max_listpack_size: i64,
    pub list_compress_depth: u64,
    /// `list-compress-depth` was given (`--config`): the dump cannot tell.
    pub list_compress_depth_given: bool,
}

impl Thresholds {
    /// Compiled-in defaults (MEMORY.md §4.1: the same in every version
    /// modelled; `set-max-listpack-*` exist from 7.2).
    pub fn defaults() -> Thresholds {
        Thresholds {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            list_compress_depth_given: false,
        }
    }

    /// Applies `name=value` (old `*-ziplist-*` names are accepted too).
    pub fn set(&mut self, spec: &str) -> crate::Result<()> {
        self.set_text(spec).map_err(crate::Error::Invalid)
    }

    fn set_text(&mut self, spec: &str) -> Result<(), String> {
        let (name, value) = spec
            .split_once('=')
            .ok_or_else(|| format!("--config {spec:?}: expected name=value"))?;
        let name = name.trim().replace("ziplist", "listpack");
        let value = value.trim();
        let num = |v: &str| {
            v.parse::<i64>()
                .map_err(|_| format!("--config {spec:?}: {v:?} is not a number"))
        };
        let unsigned = |v: &str| -> Result<u64, String> {
            let n = num(v)?;
            u64::try_from(n).map_err(|_| format!("--config {spec:?}: must not be negative"))
        };
        match name.as_str() {
            "hash-max-listpack-entries" => self.hash_max_listpack_entries = unsigned(value)?,
            "hash-max-listpack-value" => self.hash_max_listpack_value = unsigned(value)?,
            "set-max-intset-entries" => self.set_max_intset_entries = unsigned(value)?,
            "set-max-listpack-entries" => self.set_max_listpack_entries = unsigned(value)?,
            "set-max-listpack-value" => self.set_max_listpack_value = unsigned(value)?,
            "zset-max-listpack-entries" => self.zset_max_listpack_entries = unsigned(value)?,
            "zset-max-listpack-value" => self.zset_max_listpack_value = unsigned(value)?,
            "list-max-listpack-size" => {
                let n = num(value)?;
                if n == 0 || n < -5 {
                    return Err(format!("--config {spec:?}: must be positive or -1..-5"));
                }
                self.list_max_listpack_size = n
            }
            "list-compress-depth" => {
                self.list_compress_depth = unsigned(value)?;
                self.list_compress_depth_given = true;
            }
            _ => return Err(format!("--config {spec:?}: unknown setting {name:?}")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_map_to_profiles() {
        assert_eq!(ServerProfile::for_version(false, "7.0.15"), Redis70);
        assert_eq!(ServerProfile::for_version(false, "2.8.24"), Redis40);
        assert_eq!(ServerProfile::for_version(false, "6.2.16"), Redis62);
        assert_eq!(ServerProfile::for_version(false, "255.255.255"), Redis86);
        assert_eq!(ServerProfile::for_version(true, "8.1.8"), Valkey81);
        assert_eq!("redis-7.2".parse::<ServerProfile>().unwrap(), Redis72);
        assert_eq!("valkey-9.1.2".parse::<ServerProfile>().unwrap(), Valkey91);
        assert_eq!("redis-7.0.15".parse::<ServerProfile>().unwrap(), Redis70);
        assert!("memcached-1".parse::<ServerProfile>().is_err());
        for bad in [
            "redis-9.0",
            "redis-3.2",
            "redis-7",
            "redis-7.0.x",
            "valkey-8.2",
        ] {
            assert!(bad.parse::<ServerProfile>().is_err(), "{bad}");
        }
    }

    #[test]
    fn config_overrides() {
        let mut t = Thresholds::defaults();
        t.set("hash-max-ziplist-entries=256").unwrap();
        assert_eq!(t.hash_max_listpack_entries, 256);
        assert!(t.set("list-max-listpack-size=0").is_err());
        assert!(t.set("nope=1").is_err());
    }
}
