//! `rdbscope bigkeys`.

use clap::ValueEnum;
use rdbscope::output::html::report_page;
use rdbscope::output::report::{bigkeys_json, bigkeys_text};
use rdbscope::report::Sections;

use super::scan::{PrefixArgs, ScanOpts, TopArgs};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum By {
    Memory,
    Elements,
}

/// The biggest keys, overall and per type.
///
/// By estimated memory or by number of elements, with each key's largest
/// element — what `redis-cli --bigkeys` finds, without its SCAN of every
/// key on the server.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope bigkeys dump.rdb
  rdbscope bigkeys dump.rdb --by elements --top 10
  rdbscope bigkeys dump.rdb --type hash --min-bytes 1MB --format json")]
pub struct Args {
    /// Dump files (`-` for stdin), or live servers (redis://HOST:PORT, rediss://, unix:///PATH; see `rdbscope --help`); several files are merged.
    #[arg(required = true, value_name = "FILE")]
    pub(super) files: Vec<String>,
    /// Rank by estimated memory or by element count.
    #[arg(long, value_enum, default_value = "memory")]
    by: By,
    #[command(flatten)]
    top: TopArgs,
    #[command(flatten)]
    opts: ScanOpts,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let sections = Sections {
        big_keys: true,
        ..Sections::NONE
    };
    let doc = args
        .opts
        .doc(&args.files, &args.top, &PrefixArgs::default(), sections)?;
    let el = args.by == By::Elements;
    args.opts.emit(
        || bigkeys_text(&doc, el),
        || bigkeys_json(&doc, el),
        || report_page(&doc),
    )
}
