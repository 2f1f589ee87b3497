//! `rdbscope dump`.

use std::io::Write;

use clap::ValueEnum;
use rdbscope::dump::{DumpError, dump};
use rdbscope::rdb::Checksum;

use super::{EXIT_ERROR, EXIT_OK};

#[derive(Clone, Copy, ValueEnum)]
enum Format {
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
pub struct Args {
    /// Dump files (`-` for stdin).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let Format::Jsonl = args.format;
    let mut out = super::shared::output(args.output.as_deref())?;
    let mut decoded = true;
    let opened = super::shared::each_input(&args.files, |file, input| {
        match dump(input.rdb(), &mut out) {
            Ok((_, Some(Checksum::Mismatch { stored, computed }))) => {
                out.flush()?;
                eprintln!(
                    "rdbscope: {file}: checksum mismatch (stored {stored:016x}, computed {computed:016x})"
                );
                decoded = false;
            }
            Ok(_) => {}
            Err(DumpError::Io(e)) => return Err(e.into()),
            Err(DumpError::Decode(e)) => {
                out.flush()?;
                eprintln!("rdbscope: {file}: error {e}");
                decoded = false;
            }
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(if opened && decoded {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}
