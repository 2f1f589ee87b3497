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
