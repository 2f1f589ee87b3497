//! `rdbscope expiry`.

use rdbscope::output::html::report_page;
use rdbscope::output::report::{expiry_json, expiry_text_view};
use rdbscope::report::Sections;

use super::scan::{PrefixArgs, ScanOpts, TopArgs};

/// TTLs as of the dump: keys without TTL, expired keys, expiry histogram and clusters.
///
/// Keys and bytes without TTL (by prefix), keys already expired when the
/// dump was written, a histogram of expiry times (per second, minute, hour
/// or day as the range needs), and clusters — seconds or minutes in which
/// an unusual number of keys expire together, each with its top prefixes
/// ("12000 rate:* keys expire at 14:03:07").
///
/// Times come from the dump's AUX ctime, never from this machine's clock.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope expiry dump.rdb
  rdbscope expiry dump.rdb --match 'session:*' --format json
  rdbscope expiry dump.rdb --expires-before 2026-12-01T00:00:00Z")]
pub struct Args {
    /// Dump files (`-` for stdin), or live servers (redis://HOST:PORT, rediss://, unix:///PATH; see `rdbscope --help`); several files are merged.
    #[arg(required = true, value_name = "FILE")]
    pub(super) files: Vec<String>,
    #[command(flatten)]
    top: TopArgs,
    #[command(flatten)]
    opts: ScanOpts,
    #[command(flatten)]
    prefixes: PrefixArgs,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let sections = Sections {
        prefixes: true,
        expiry: true,
        ..Sections::NONE
    };
    let doc = args
        .opts
        .doc(&args.files, &args.top, &args.prefixes, sections)?;
    args.opts.emit(
        || expiry_text_view(&doc),
        || expiry_json(&doc),
        || report_page(&doc),
    )
}
