//! `keys`: one row per key with its estimated memory on the target server.

use std::io;

use crate::filter::KeyFilter;
use crate::memory::{Allocator, KeyEstimate, ServerProfile, Target, Thresholds, estimate};
use crate::rdb::{self, Family, KeyRecord, Parser, RdbStr, Record, Scratch};

/// How the target server is chosen.
#[derive(Clone, Debug)]
pub struct TargetChoice {
    /// `--target`; `None` = the server that wrote the dump.
    pub profile: Option<ServerProfile>,
    pub allocator: Allocator,
    pub thresholds: Thresholds,
}

impl Default for TargetChoice {
    fn default() -> Self {
        TargetChoice {
            profile: None,
            allocator: Allocator::JemallocQ8,
            thresholds: Thresholds::defaults(),
        }
    }
}

/// The target for a dump and why it was chosen.
#[derive(Clone, Debug)]
pub struct ResolvedTarget {
    pub target: Target,
    /// E.g. `from AUX redis-ver 7.0.15`, `--target`, or `no version in the dump: default`.
    pub reason: String,
    /// Set when the target could not load this dump at all.
    pub warning: Option<String>,
}

impl TargetChoice {
    /// Picks the profile: `--target`, else AUX `valkey-ver`/`redis-ver`,
    /// else the 4.0 profile (RDB ≤ 6 files carry no version).
    pub fn resolve(
        &self,
        header: rdb::Header,
        family: Family,
        redis_ver: Option<&str>,
        valkey_ver: Option<&str>,
    ) -> ResolvedTarget {
        let (profile, reason) = match (self.profile, valkey_ver, redis_ver) {
            (Some(p), _, _) => (p, "--target".to_string()),
            (None, Some(v), _) => (
                ServerProfile::for_version(true, v),
                format!("AUX valkey-ver {v}"),
            ),
            (None, None, Some(v)) if family == Family::Valkey => (
                ServerProfile::for_version(true, v),
                format!("VALKEY magic, AUX redis-ver {v}"),
            ),
            (None, None, Some(v)) => (
                ServerProfile::for_version(false, v),
                format!("AUX redis-ver {v}"),
            ),
            (None, None, None) if family == Family::Valkey => (
                ServerProfile::Valkey90,
                "VALKEY magic without a version".to_string(),
            ),
            (None, None, None) => (
                ServerProfile::Redis40,
                "no server version in the dump: default".to_string(),
            ),
        };
        let mut target = Target::new(profile, self.allocator);
        target.thresholds = self.thresholds.clone();
        let max = profile.max_rdb_version();
        let foreign = profile.is_valkey()
            && header.family == Family::Redis
            && (12..80).contains(&header.version);
        let warning = (header.version > max || foreign).then(|| {
            format!("{profile} cannot load RDB version {} (it reads up to {max}); estimating as if it could", header.version)
        });
        ResolvedTarget {
            target,
            reason,
            warning,
        }
    }
}

/// One key's row.
#[derive(Clone, Debug)]
pub struct KeyRow {
    pub db: u64,
    pub key: Vec<u8>,
    /// `TYPE`: string, list, ..., or the module type name.
    pub type_name: String,
    pub estimate: KeyEstimate,
    pub expire_at_ms: Option<i64>,
    /// TTL at dump time in ms (expiry − AUX `ctime`), when both are known.
    pub ttl_ms: Option<i64>,
    pub idle_s: Option<u64>,
    pub lfu_freq: Option<u8>,
    /// Bytes the record takes in the dump.
    pub rdb_bytes: u64,
    /// Encoding as stored in the dump.
    pub stored_encoding: &'static str,
}

/// Facts about the scanned dump.
#[derive(Clone, Debug, Default)]
pub struct ScanSummary {
    pub target: Option<ResolvedTarget>,
    pub ctime_s: Option<i64>,
    pub keys: u64,
    pub rows: u64,
}

/// Why a scan stopped.
#[derive(Debug)]
pub enum ScanError {
    Decode(rdb::Error),
    Io(io::Error),
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        ScanError::Io(e)
    }
}

fn aux_text(s: &RdbStr<'_>) -> Option<String> {
    s.to_vec()
        .ok()
        .map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// Walks every key of `data`, estimates those the filter accepts and hands
/// each row, with the target it was estimated for, to `row`.
pub fn scan<F>(
    data: &[u8],
    choice: &TargetChoice,
    filter: &KeyFilter,
    mut row: F,
) -> Result<ScanSummary, ScanError>
where
    F: FnMut(&KeyRow, &ResolvedTarget) -> io::Result<()>,
{
    let mut p = Parser::new(data).map_err(ScanError::Decode)?;
    let mut scratch = Scratch::default();
    let mut sum = ScanSummary::default();
    let (mut redis_ver, mut valkey_ver) = (None, None);
    let mut key_buf = Vec::new();
    while let Some(rec) = p.next_record().map_err(ScanError::Decode)? {
        let k = match rec {
            Record::Aux { key, value } => {
                match aux_text(&key).as_deref() {
                    Some("redis-ver") => redis_ver = aux_text(&value),
                    Some("valkey-ver") => valkey_ver = aux_text(&value),
                    Some("ctime") => {
                        sum.ctime_s = aux_text(&value).and_then(|v| v.trim().parse().ok())
                    }
                    _ => {}
                }
                continue;
            }
            Record::Key(k) => k,
            _ => continue,
        };
        let resolved = sum.target.get_or_insert_with(|| {
            choice.resolve(
                p.header(),
                p.family(),
                redis_ver.as_deref(),
                valkey_ver.as_deref(),
            )
        });
        sum.keys += 1;
        key_buf.clear();
        key_buf.extend_from_slice(k.key.bytes(&mut Vec::new()).map_err(ScanError::Decode)?);
        if !filter.accepts_record(k.db, &key_buf, k.expire_at_ms) {
            continue;
        }
        let r = make_row(
            &k,
            &key_buf,
            &resolved.target,
            p.templates(),
            &mut scratch,
            sum.ctime_s,
        )
        .map_err(ScanError::Decode)?;
        if !filter.accepts_value(&r.type_name, r.estimate.bytes) {
            continue;
        }
        sum.rows += 1;
        row(&r, resolved)?;
    }
    if sum.target.is_none() {
        sum.target = Some(choice.resolve(
            p.header(),
            p.family(),
            redis_ver.as_deref(),
            valkey_ver.as_deref(),
        ));
    }
    Ok(sum)
}

fn make_row(
    k: &KeyRecord<'_>,
    key: &[u8],
    target: &Target,
    templates: &[rdb::Template],
    scratch: &mut Scratch,
    ctime_s: Option<i64>,
) -> rdb::Result<KeyRow> {
    let e = estimate(k, target, templates, scratch)?;
    let type_name = match e.module {
        Some(name) => String::from_utf8_lossy(&name).into_owned(),
        None => k.value_type.as_str().to_string(),
    };
    Ok(KeyRow {
        db: k.db,
        key: key.to_vec(),
        type_name,
        expire_at_ms: k.expire_at_ms,
        ttl_ms: match (k.expire_at_ms, ctime_s) {
            (Some(e), Some(c)) => Some(e - c * 1000),
            _ => None,
        },
        idle_s: k.idle_s,
        lfu_freq: k.lfu_freq,
        rdb_bytes: k.record_len(),
        stored_encoding: k.encoding.as_str(),
        estimate: e,
    })
}
