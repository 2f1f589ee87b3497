//! `rdbscope keys`.

use std::io::Write;

use clap::ValueEnum;
use rdbscope::memory::Detail;
use rdbscope::output::keys::{json_line, write_csv_header, write_csv_row};
use rdbscope::scan::ordered::Hooks;
use rdbscope::scan::{KeyFacts, ScanOptions};

use super::scan::Threads;
use super::shared::{FilterArgs, Inputs, TargetArgs};

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    #[value(alias = "json")]
    Jsonl,
}

/// One row per key with its estimated memory on the target server.
///
/// `size_in_bytes` is the estimate of `MEMORY USAGE key SAMPLES 0` on the
/// target after it loads the dump; `encoding` is what `OBJECT ENCODING`
/// would report there. The CSV header starts with redis-rdb-tools' memory
/// columns (database,type,key,size_in_bytes,encoding,num_elements,
/// len_largest_element,expiry), so existing spreadsheets keep working, then
/// adds ttl_s (expiry minus the dump's ctime, seconds), idle_s, lfu_freq,
/// rdb_bytes (bytes of the record in the dump), stored_encoding, estimate
/// ("exact", or "expected: WHY" where the server's layout is random, or
/// "approx: WHY" where it is not modelled), bound (how far off the estimate
/// may be, in bytes: 0 when exact, empty when approximate), profile and
/// file. JSON lines (`--format jsonl`, or `json`) carry the same fields and
/// `expire_at_ms` (the expiry in ms since the epoch).
///
/// `num_elements` is STRLEN for strings, else LLEN/SCARD/ZCARD/HLEN/XLEN;
/// `len_largest_element` is the byte length of the largest element;
/// `expiry` is RFC 3339 UTC with milliseconds, empty without a TTL. Keys
/// use the \xHH escaping rule. The profile used is printed on stderr too.
/// Rows come in file order. A damaged dump or a checksum mismatch exits 2
/// (the rows before the damage are written).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope keys dump.rdb -o keys.csv
  rdbscope keys dump.rdb --match 'user:*' --min-bytes 10KB
  rdbscope keys dump.rdb --format jsonl --target valkey-8.1 --no-ttl")]
pub struct Args {
    /// Dump files (`-` for stdin).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// No progress bar (shown on stderr with -o when it is a terminal).
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    threads: Threads,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    target: TargetArgs,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let opts = ScanOptions {
        choice: args.target.build()?,
        filter: args.filter.build()?,
        detail: Detail::Elements,
    };
    let mut out = super::shared::output(args.output.as_deref(), &args.files)?;
    let csv = matches!(args.format, Format::Csv);
    if csv {
        write_csv_header(&mut out)?;
    }
    let mut seen_dbs = Vec::new();
    let mut inputs = Inputs::new(args.output.is_some() && !args.quiet);
    let ok = inputs.each(&args.files, |file, data, progress| {
        let mut first_rows = |t: &rdbscope::memory::ResolvedTarget| {
            super::say(format!(
                "{file}: memory profile {} ({})",
                t.target.describe(),
                t.reason
            ));
            if let Some(w) = &t.warning {
                super::say(format!("{file}: warning: {w}"));
            }
        };
        let mut note = |n: String| super::say(format!("{file}: warning: {n}"));
        let mut hooks = Hooks {
            first_rows: &mut first_rows,
            note: &mut note,
        };
        let row = |item: &KeyFacts<'_>, profile: &str, buf: &mut Vec<u8>, w: &mut dyn Write| {
            if csv {
                write_csv_row(w, buf, item, profile, file)
            } else {
                json_line(w, item, profile, file)
            }
        };
        let sum = rdbscope::keys::scan(
            data,
            &opts,
            args.threads.threads,
            progress,
            &mut hooks,
            row,
            &mut out,
        );
        // The rows before an error are written before it is reported.
        out.flush()?;
        let sum = sum?;
        if sum.rows == 0 && sum.facts.key_records > 0 {
            super::say(format!(
                "{file}: none of its {} keys matched the filters",
                sum.facts.key_records
            ));
        }
        for w in &sum.facts.warnings {
            super::say(format!("{file}: warning: {w}"));
        }
        seen_dbs.extend(&sum.facts.dbs);
        Ok(())
    })?;
    out.flush()?;
    args.filter.warn_unmatched_dbs(&seen_dbs);
    Ok(if ok {
        super::EXIT_OK
    } else {
        super::EXIT_ERROR
    })
}
