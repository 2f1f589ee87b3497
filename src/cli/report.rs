//! `rdbscope report`.

use rdbscope::output::report::{report_json, report_text};

use super::scan::{ScanArgs, emit};

/// Everything at once: totals, big keys, prefixes, TTLs, expiry clusters, hot/cold keys.
///
/// The dump's facts, totals by db, type and encoding, the biggest keys,
/// memory by key prefix, keys without TTL, expiry times and clusters, and
/// hot/cold keys when the dump stores LFU/LRU data.
///
/// Memory is the estimate of `MEMORY USAGE` on the target server (see
/// `rdbscope keys --help`); TTLs are measured from the dump's ctime. The
/// work runs on all cores; the output is the same for any --threads.
///
/// --format json prints one object: schema_version, profile, files[],
/// summary {keys, estimated_bytes, by_db, by_type, by_encoding}, big_keys[],
/// prefixes[], expiry {no_ttl_keys, no_ttl_bytes, expired_keys, histogram[],
/// clusters[], no_ttl_prefixes[]}, hot_keys[], cold_keys[].
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    scan: ScanArgs,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let f = args.scan.run()?;
    emit(args.scan.format, || report_text(&f), || report_json(&f))
}
