//! The memory model: what `MEMORY USAGE key SAMPLES 0` reports on a target
//! server after it loads a dump, per key. Pure functions, no I/O.
//!
//! - [`allocator`]: usable sizes per allocator build.
//! - [`profile`]: target servers, thresholds, `--config` overrides.
//! - [`layout`]: struct sizes and counting rules per server generation.
//! - [`sizes`]: listpack/ziplist entry sizes the target builds at load.
//! - [`rax`]: radix-tree node counts for streams.
//! - [`estimate`]: the per-key estimate and encoding after load.
//! - [`target`]: choosing the target server for a dump.
//! - [`used`]: the server's `used_memory` after it loads the dump.

pub mod allocator;
pub mod estimate;
pub mod layout;
pub mod profile;
pub mod rax;
pub mod sizes;
pub mod target;
pub mod used;
pub(crate) mod vset;

pub use allocator::Allocator;
pub use estimate::{Approx, Confidence, Detail, KeyEstimate, estimate, estimate_with};
pub use profile::{ServerProfile, Thresholds};
pub use target::{ResolvedTarget, Target, TargetChoice};
