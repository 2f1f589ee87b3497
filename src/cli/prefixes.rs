//! `rdbscope prefixes`.

use rdbscope::output::html::report_page;
use rdbscope::output::report::{prefixes_json, prefixes_text};
use rdbscope::report::Sections;

use super::scan::{PrefixArgs, ScanOpts, TopArgs};

/// Memory and keys by key prefix, as a tree.
///
/// The tree is expanded best-first to the top N rows (like dust). Keys are
/// cut at --delimiters (default ":") down to --depth segments; numbers,
/// UUIDs and hex ids become `*` (user:123:cart → user:*:cart), and keys
/// without any delimiter lose a numeric tail (session12345 → session*).
/// Each row: bytes, share of the total, keys, keys without TTL, keys
/// already expired at dump time.
///
/// A prefix with more than 2000 distinct children keeps its totals but its
/// children are not listed (the output says so): memory stays bounded.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope prefixes dump.rdb
  rdbscope prefixes dump.rdb --depth 1 --top 100
  rdbscope prefixes dump.rdb --delimiters ':/.' --no-generalize --format json")]
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
        ..Sections::NONE
    };
    let doc = args
        .opts
        .doc(&args.files, &args.top, &args.prefixes, sections)?;
    args.opts.emit(
        || prefixes_text(&doc),
        || prefixes_json(&doc),
        || report_page(&doc),
    )
}
