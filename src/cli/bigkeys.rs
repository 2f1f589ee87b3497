//! `rdbscope bigkeys`.

use clap::ValueEnum;
use rdbscope::output::report::{bigkeys_json, bigkeys_text};

use super::scan::{ScanArgs, emit};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum By {
    Memory,
    Elements,
}

/// The biggest keys, overall and per type.
///
/// By estimated memory or by number of elements, with each key's largest
/// element — what `redis-cli --bigkeys` finds, without scanning the live
/// server.
#[derive(clap::Args)]
pub struct Args {
    /// Rank by estimated memory or by element count.
    #[arg(long, value_enum, default_value = "memory")]
    by: By,
    #[command(flatten)]
    scan: ScanArgs,
}

pub fn run(mut args: Args) -> anyhow::Result<u8> {
    args.scan.opts.detail = rdbscope::memory::Detail::Elements;
    let f = args.scan.run()?;
    let el = args.by == By::Elements;
    emit(
        args.scan.format,
        || bigkeys_text(&f, el),
        || bigkeys_json(&f, el),
    )
}
