//! `rdbscope expiry`.

use rdbscope::output::report::{expiry_doc_json, expiry_doc_text};

use super::scan::{ScanArgs, emit};

/// TTLs as of the dump: keys without TTL, expired keys, expiry histogram and clusters.
///
/// Keys and bytes without TTL (by prefix), keys
/// already expired when the dump was written, a histogram of expiry times
/// (per second, minute, hour or day as the range needs), and clusters —
/// seconds or minutes in which an unusual number of keys expire together,
/// each with its top prefixes ("12000 rate:* keys expire at 14:03:07").
///
/// Times come from the dump's AUX ctime, never from this machine's clock.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    scan: ScanArgs,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let f = args.scan.run()?;
    emit(
        args.scan.format,
        || expiry_doc_text(&f),
        || expiry_doc_json(&f),
    )
}
