//! `rdbscope prefixes`.

use rdbscope::output::report::{prefixes_json, prefixes_text};

use super::scan::{ScanArgs, emit};

/// Memory and keys by key prefix, as a tree.
///
/// The tree is expanded best-first to the top N rows (like dust). Keys are cut at --delimiters (default ":") down to
/// --depth segments; numbers, UUIDs and hex ids become `*`
/// (user:123:cart → user:*:cart), and keys without any delimiter lose a
/// numeric tail (session12345 → session*). Each row: bytes, share of the
/// total, keys, keys without TTL, keys already expired at dump time.
///
/// A prefix with more than 2000 distinct children keeps its totals but its
/// children are not listed (the output says so): memory stays bounded.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    scan: ScanArgs,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let f = args.scan.run()?;
    emit(args.scan.format, || prefixes_text(&f), || prefixes_json(&f))
}
