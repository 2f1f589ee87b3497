//! Which server the estimates are for: `--target`, or the server that
//! wrote the dump (AUX `redis-ver`/`valkey-ver`, the `VALKEY` magic).

use super::layout::Layout;
use super::{Allocator, ServerProfile, Thresholds};
use crate::rdb::{self, Family};

/// Everything the memory model needs to know about the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub profile: ServerProfile,
    pub allocator: Allocator,
    pub thresholds: Thresholds,
    /// What `profile` and `allocator` imply, worked out once: every key's
    /// estimate reads it.
    layout: Layout,
}

impl Target {
    pub fn new(profile: ServerProfile, allocator: Allocator) -> Target {
        Target {
            profile,
            allocator,
            thresholds: Thresholds::defaults(),
            layout: Layout::new(profile, allocator),
        }
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// `redis-7.0 jemalloc-q16 (provisional)`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.profile, self.allocator);
        if self.profile.is_provisional() {
            s.push_str(" (provisional profile)");
        }
        s
    }
}

/// How the target server is chosen.
#[derive(Clone, Debug)]
pub struct TargetChoice {
    /// `--target`; `None` = the server that wrote the dump.
    pub profile: Option<ServerProfile>,
    pub allocator: Allocator,
    /// Whether the allocator was chosen (else it is assumed, and said so).
    pub allocator_given: bool,
    pub thresholds: Thresholds,
}

impl Default for TargetChoice {
    fn default() -> Self {
        TargetChoice {
            profile: None,
            allocator: Allocator::JemallocQ8,
            allocator_given: false,
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
                ServerProfile::writer_of_rdb(header.version, false),
                format!(
                    "no server version in the dump: the newest server that writes RDB {}",
                    header.version
                ),
            ),
        };
        let mut warnings = Vec::new();
        // A version the RDB version contradicts (`redis-ver 999.999.999` in
        // an RDB 9 test file) is not believed.
        let from_aux = self.profile.is_none() && (redis_ver.is_some() || valkey_ver.is_some());
        let old_file = profile == ServerProfile::Redis40 && header.version <= 8;
        let (profile, reason) = if from_aux && !old_file && !profile.writes_rdb(header.version) {
            let valkey = family == Family::Valkey || valkey_ver.is_some();
            let p = ServerProfile::writer_of_rdb(header.version, valkey);
            warnings.push(format!(
                "{reason} cannot have written RDB version {} ({profile} writes {}); estimating \
                 for {p}, the newest server that writes it (--target to choose)",
                header.version,
                profile.max_rdb_version()
            ));
            (p, format!("RDB version {}", header.version))
        } else {
            (profile, reason)
        };
        let mut target = Target::new(profile, self.allocator);
        target.thresholds = self.thresholds.clone();
        let max = profile.max_rdb_version();
        let foreign = profile.is_valkey()
            && header.family == Family::Redis
            && (12..80).contains(&header.version);
        if header.version > max || foreign {
            warnings.push(format!(
                "{profile} cannot load RDB version {} (it reads up to {max}); estimating as if it \
                 could",
                header.version
            ));
        }
        let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
        // Builds of one version differ by allocator and nothing in a dump
        // tells them apart.
        let reason = if self.allocator_given {
            reason
        } else {
            format!(
                "{reason}; jemalloc assumed, as in official builds and Docker images: \
                 --allocator jemalloc-q16 for Debian/Ubuntu packages (`redis-cli MEMORY \
                 MALLOC-STATS` says \"Quantum size: 16\"), libc for libc builds"
            )
        };
        ResolvedTarget {
            target,
            reason,
            warning,
        }
    }
}
