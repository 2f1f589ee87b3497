//! Which server the estimates are for: `--target`, or the server that
//! wrote the dump (AUX `redis-ver`/`valkey-ver`, the `VALKEY` magic).

use super::{Allocator, ServerProfile, Target, Thresholds};
use crate::rdb::{self, Family};

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
