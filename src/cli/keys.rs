//! `rdbscope keys`.

use std::io::Write;

use clap::ValueEnum;
use rdbscope::keys::ParquetTo;
use rdbscope::memory::Detail;
use rdbscope::output::keys::{json_line, write_csv_header, write_csv_row};
use rdbscope::output::parquet::{Columns, ParquetSink};
use rdbscope::scan::ordered::Hooks;
use rdbscope::scan::{KeyFacts, ScanOptions};

use super::scan::Threads;
use super::shared::{FilterArgs, Inputs, TargetArgs};

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    #[value(alias = "json")]
    Jsonl,
    /// Typed columns for DuckDB, Spark, Trino (needs -o; schema in the README).
    Parquet,
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
/// Parquet (`--format parquet -o FILE`) has typed columns: the key as
/// bytes and as escaped text, `expire_at` as a UTC timestamp, the cluster
/// `slot` and `hash_tag`, the key's prefixes at each depth (`prefix_1`…,
/// cut as `report` cuts them) and a column per `--label NAME=VALUE`; one
/// row group per few MiB of dump, zstd-compressed.
/// Rows come in file order. A damaged dump or a checksum mismatch exits 2
/// (the rows before the damage are written).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope keys dump.rdb -o keys.csv
  rdbscope keys dump.rdb --match 'user:*' --min-bytes 10KB
  rdbscope keys dump.rdb --format jsonl --target valkey-8.1 --no-ttl
  rdbscope keys dump.rdb --format parquet -o keys.parquet --label cluster=prod-eu --label node=7
  duckdb -c \"SELECT prefix_1, sum(bytes) FROM 'keys.parquet' GROUP BY 1 ORDER BY 2 DESC\"")]
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
    /// Parquet: a column NAME holding VALUE on every row (repeatable).
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_label)]
    label: Vec<(String, String)>,
    #[command(flatten)]
    prefixes: super::scan::PrefixArgs,
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((n, v)) if !n.is_empty() => Ok((n.to_string(), v.to_string())),
        _ => Err(format!("{s:?}: expected NAME=VALUE")),
    }
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let opts = ScanOptions {
        choice: args.target.build()?,
        filter: args.filter.build()?,
        detail: Detail::Elements,
    };
    let columns = Columns {
        prefixes: args.prefixes.config(),
        labels: args.label.clone(),
    };
    let mut text = None;
    let mut parquet = None;
    match args.format {
        Format::Parquet => {
            columns.check().map_err(anyhow::Error::msg)?;
            let Some(path) = args.output.as_deref() else {
                anyhow::bail!("--format parquet writes a file: give it with -o FILE");
            };
            super::shared::output(Some(path), &args.files)?;
            let f = std::fs::File::create(path)?;
            let w: Box<dyn Write + Send> = Box::new(std::io::BufWriter::new(f));
            let encoders = match args.threads.threads {
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                n => n,
            };
            parquet = Some(ParquetSink::create(w, &columns, encoders)?);
        }
        Format::Csv | Format::Jsonl => {
            if !args.label.is_empty() {
                anyhow::bail!("--label sets Parquet columns: use it with --format parquet");
            }
            let mut out = super::shared::output(args.output.as_deref(), &args.files)?;
            if matches!(args.format, Format::Csv) {
                write_csv_header(&mut out)?;
            }
            text = Some(out);
        }
    }
    let csv = matches!(args.format, Format::Csv);
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
        let threads = args.threads.threads;
        let sum = match (&mut text, &parquet) {
            (Some(out), _) => {
                let row =
                    |item: &KeyFacts<'_>, profile: &str, buf: &mut Vec<u8>, w: &mut dyn Write| {
                        if csv {
                            write_csv_row(w, buf, item, profile, file)
                        } else {
                            json_line(w, item, profile, file)
                        }
                    };
                let sum =
                    rdbscope::keys::scan(data, &opts, threads, progress, &mut hooks, row, out);
                // The rows before an error are written before it is reported.
                out.flush()?;
                sum
            }
            (None, Some(sink)) => {
                let to = ParquetTo {
                    sink,
                    columns: &columns,
                    file,
                };
                rdbscope::keys::scan_parquet(data, &opts, threads, progress, &mut hooks, to)
            }
            (None, None) => unreachable!("one output is open"),
        };
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
    if let Some(out) = &mut text {
        out.flush()?;
    }
    if let Some(sink) = &parquet {
        // Written even after a damaged dump: its rows before the damage.
        let (rows, groups) = sink.finish()?;
        let path = args.output.as_deref().unwrap_or_default();
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        super::say(format!(
            "{path}: {rows} rows in {groups} row groups, {}",
            rdbscope::units::human_bytes(size)
        ));
    }
    args.filter.warn_unmatched_dbs(&seen_dbs);
    Ok(if ok {
        super::EXIT_OK
    } else {
        super::EXIT_ERROR
    })
}
