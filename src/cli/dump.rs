//! `rdbscope dump`.

use std::io::Write;

use clap::ValueEnum;

use super::shared::Inputs;

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    #[value(alias = "json")]
    Jsonl,
}

/// Print every key with its value, one JSON object per line.
///
/// Each line: `db`, `key`, `type` (string, list, set, zset, hash, stream,
/// array, or the module type name), `encoding` as stored (string,
/// linkedlist, hashtable, skiplist, zipmap, ziplist, intset, quicklist,
/// quicklist2, listpack, listpack_ex, stream, module, array, ...),
/// `expire_at_ms` (ms since the epoch, or null), `idle_s` / `lfu_freq` when
/// the dump stores them, and `value`: a string; an array for lists and sets;
/// [member, score] pairs for zsets; an object for hashes (plus
/// `field_expire_at_ms` when fields have TTLs); an object with entries,
/// groups, consumers and PEL for streams.
///
/// Bytes that are not valid UTF-8 print as \xHH, and a backslash as \\.
/// Exits 2 when a file cannot be decoded or its checksum mismatches (the
/// keys decoded before are still printed).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope dump dump.rdb | head
  rdbscope dump dump.rdb -o keys.jsonl
  redis-cli --rdb - | rdbscope dump - | jq -c 'select(.type == \"hash\")'")]
pub struct Args {
    /// Dump files (`-` for stdin), or live servers (redis://HOST:PORT, rediss://, unix:///PATH; see `rdbscope --help`).
    #[arg(required = true, value_name = "FILE")]
    pub(super) files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// No progress bar (shown on stderr with -o when it is a terminal).
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    threads: super::scan::Threads,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let Format::Jsonl = args.format;
    let mut out = super::shared::output(args.output.as_deref(), &args.files)?;
    let mut inputs = Inputs::new(args.output.is_some() && !args.quiet);
    let ok = inputs.each(&args.files, |file, data, progress| {
        let mut warned = 0u32;
        let mut warn = |w: String| {
            // The first hundred, then a count.
            warned += 1;
            if warned <= 100 {
                super::say(format!("{file}: warning: {w}"));
            }
        };
        let r = rdbscope::dump::dump(data, &mut out, args.threads.threads, progress, &mut warn);
        if warned > 100 {
            super::say(format!("{file}: {} more warnings", warned - 100));
        }
        // The keys before an error are written before it is reported.
        out.flush()?;
        r.map(|_| ())
    })?;
    out.flush()?;
    Ok(if ok {
        super::EXIT_OK
    } else {
        super::EXIT_ERROR
    })
}
