//! Streams: `RDB_TYPE_STREAM_LISTPACKS` 15, `_2` 19, `_3` 21 (Redis
//! `src/rdb.c` `rdbLoadObject`, `src/t_stream.c`) and Redis 8.6/8.8's `_4` 26
//! (IDMP tail) and `_5` 27 (per-group NACK zone).
//!
//! Stream IDs in node keys, PELs and consumer PELs are 16 raw big-endian
//! bytes; IDs elsewhere are pairs of lengths.

use super::cursor::Cursor;
use super::error::{Error, Result};
use super::listpack::Listpack;
use super::string::{Elem, RdbStr, read_blob, read_count, read_len, read_string};
use super::types::*;
use super::visit::{BlobKind, Scratch, ValueVisitor};
pub use super::visit::{Consumer, Group, Idmp, PendingEntry, StreamId, StreamMeta};

const STREAM_ITEM_FLAG_DELETED: i64 = 1;
const STREAM_ITEM_FLAG_SAMEFIELDS: i64 = 2;

fn raw_id(c: &mut Cursor<'_>) -> Result<StreamId> {
    Ok(StreamId {
        ms: c.u64_be()?,
        seq: c.u64_be()?,
    })
}

fn len_id(c: &mut Cursor<'_>) -> Result<StreamId> {
    Ok(StreamId {
        ms: read_len(c)?,
        seq: read_len(c)?,
    })
}

fn owned(s: RdbStr<'_>) -> Result<Vec<u8>> {
    s.to_vec()
}

/// Walks a stream value. In shallow mode (`deep == false`) node listpacks
/// are not opened and nothing is reported.
pub(crate) fn walk<V: ValueVisitor>(
    c: &mut Cursor<'_>,
    t: u8,
    deep: bool,
    scratch: &mut Scratch,
    v: &mut V,
) -> Result<()> {
    let mut meta = StreamMeta::default();
    let nodes = read_count(c, 17, "stream")?;
    meta.nodes = nodes;
    for _ in 0..nodes {
        let at = c.offset();
        let key = read_string(c)?;
        if !deep {
            read_string(c)?;
            continue;
        }
        let key = key.bytes(&mut scratch.a)?;
        if key.len() != 16 {
            return Err(Error::corrupt(
                at,
                "stream",
                format!("node key is {} bytes, not 16", key.len()),
            ));
        }
        let master = raw_id(&mut Cursor::new(key, at))?;
        let b = read_blob(c, &mut scratch.blob, "stream node")?;
        v.blob(BlobKind::Listpack, b.bytes.len());
        v.stream_node(master, b.bytes.len());
        meta.deleted_entries += walk_node(b.bytes, b.base, master, v).map_err(|e| b.fix(e))?;
    }
    meta.length = read_len(c)?;
    meta.last_id = len_id(c)?;
    if t >= RDB_TYPE_STREAM_LISTPACKS_2 {
        meta.first_id = Some(len_id(c)?);
        meta.max_deleted_id = Some(len_id(c)?);
        meta.entries_added = Some(read_len(c)?);
    }
    if deep {
        v.stream_meta(&meta);
    }
    let groups = read_count(c, 4, "stream consumer groups")?;
    for _ in 0..groups {
        let name = read_string(c)?;
        let last_id = len_id(c)?;
        let entries_read = if t >= RDB_TYPE_STREAM_LISTPACKS_2 {
            let n = read_len(c)?;
            (n != u64::MAX).then_some(n)
        } else {
            None
        };
        let npel = read_count(c, 25, "stream PEL")?;
        let mut pending = Vec::new();
        for _ in 0..npel {
            let id = raw_id(c)?;
            let delivery_time_ms = c.i64_le()?;
            let delivery_count = read_len(c)?;
            if deep {
                pending.push(PendingEntry {
                    id,
                    delivery_time_ms,
                    delivery_count,
                });
            }
        }
        let nconsumers = read_count(c, 10, "stream consumers")?;
        let mut consumers = Vec::new();
        for _ in 0..nconsumers {
            let cname = read_string(c)?;
            let seen_time_ms = c.i64_le()?;
            let active_time_ms = if t >= RDB_TYPE_STREAM_LISTPACKS_3 {
                Some(c.i64_le()?)
            } else {
                None
            };
            let n = read_count(c, 16, "stream consumer PEL")?;
            let mut ids = Vec::new();
            for _ in 0..n {
                let id = raw_id(c)?;
                if deep {
                    ids.push(id);
                }
            }
            if deep {
                cname.check()?;
                consumers.push(Consumer {
                    name: cname,
                    seen_time_ms,
                    active_time_ms,
                    pending: ids,
                });
            }
        }
        let mut nack = Vec::new();
        if t >= RDB_TYPE_STREAM_LISTPACKS_5 {
            let n = read_count(c, 16, "stream NACK zone")?;
            for _ in 0..n {
                let id = raw_id(c)?;
                if deep {
                    nack.push(id);
                }
            }
        }
        if deep {
            v.stream_group(&Group {
                name: owned(name)?,
                last_id,
                entries_read,
                pending,
                consumers,
                nack,
            });
        }
    }
    if t >= RDB_TYPE_STREAM_LISTPACKS_4 {
        let mut idmp = Idmp {
            duration_s: read_len(c)?,
            max_entries: read_len(c)?,
            ..Idmp::default()
        };
        let producers = read_count(c, 2, "stream IDMP producers")?;
        for _ in 0..producers {
            let pid = read_string(c)?;
            let n = read_count(c, 3, "stream IDMP entries")?;
            let mut entries = Vec::new();
            for _ in 0..n {
                let iid = read_string(c)?;
                let id = len_id(c)?;
                if deep {
                    iid.check()?;
                    entries.push((iid, id));
                }
            }
            if deep {
                pid.check()?;
                idmp.producers.push((pid, entries));
            }
        }
        idmp.iids_added = read_len(c)?;
        idmp.iids_duplicates = read_len(c)?;
        if deep {
            v.stream_idmp(&idmp);
        }
    }
    Ok(())
}

fn lp_int(lp: &mut Listpack<'_>, at: u64) -> Result<i64> {
    match lp.next_elem()? {
        Some(Elem::Int(i)) => Ok(i),
        Some(Elem::Bytes(b)) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::corrupt(at, "stream node", "expected an integer")),
        None => Err(Error::corrupt(
            at,
            "stream node",
            "listpack ends inside an entry",
        )),
    }
}

fn lp_elem<'b>(lp: &mut Listpack<'b>, at: u64) -> Result<Elem<'b>> {
    lp.next_elem()?
        .ok_or_else(|| Error::corrupt(at, "stream node", "listpack ends inside an entry"))
}

/// Walks one node listpack; returns the number of deleted entries in it.
fn walk_node<V: ValueVisitor>(blob: &[u8], base: u64, master: StreamId, v: &mut V) -> Result<u64> {
    let mut lp = Listpack::new(blob, base)?;
    let at = base;
    let count = lp_int(&mut lp, at)?;
    let deleted = lp_int(&mut lp, at)?;
    let nfields = lp_int(&mut lp, at)?;
    // Each listpack entry takes at least 2 bytes: a count the rest of the
    // blob cannot hold is corrupt (and never sizes an allocation).
    if count < 0 || deleted < 0 || nfields < 0 || nfields as usize > blob.len() / 2 {
        return Err(Error::corrupt(
            at,
            "stream node",
            "negative or impossible master entry counts",
        ));
    }
    let mut master_fields = Vec::with_capacity((nfields as usize).min(1024));
    for _ in 0..nfields {
        master_fields.push(lp_elem(&mut lp, at)?);
    }
    if lp_int(&mut lp, at)? != 0 {
        return Err(Error::corrupt(
            at,
            "stream node",
            "master entry not terminated by 0",
        ));
    }
    let mut fields: Vec<(Elem<'_>, Elem<'_>)> = Vec::new();
    let (mut live, mut dead) = (0i64, 0i64);
    while let Some(flags) = lp.next_elem()? {
        let flags = match flags {
            Elem::Int(i) => i,
            Elem::Bytes(_) => {
                return Err(Error::corrupt(
                    at,
                    "stream node",
                    "entry flags not an integer",
                ));
            }
        };
        let id = StreamId {
            ms: master.ms.wrapping_add(lp_int(&mut lp, at)? as u64),
            seq: master.seq.wrapping_add(lp_int(&mut lp, at)? as u64),
        };
        fields.clear();
        let expect_lp_count = if flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0 {
            for f in &master_fields {
                fields.push((*f, lp_elem(&mut lp, at)?));
            }
            nfields + 3
        } else {
            let n = lp_int(&mut lp, at)?;
            if n < 0 || n as usize > blob.len() {
                return Err(Error::corrupt(at, "stream node", "impossible field count"));
            }
            for _ in 0..n {
                let f = lp_elem(&mut lp, at)?;
                fields.push((f, lp_elem(&mut lp, at)?));
            }
            2 * n + 4
        };
        if lp_int(&mut lp, at)? != expect_lp_count {
            return Err(Error::corrupt(
                at,
                "stream node",
                "entry lp-count does not match its fields",
            ));
        }
        if flags & STREAM_ITEM_FLAG_DELETED != 0 {
            dead += 1;
        } else {
            live += 1;
            v.stream_entry(id, &fields);
        }
    }
    if live != count || dead != deleted {
        return Err(Error::corrupt(
            at,
            "stream node",
            format!(
                "master entry says {count} live and {deleted} deleted, found {live} and {dead}"
            ),
        ));
    }
    Ok(dead as u64)
}
