//! `rdbscope keys`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use clap::ValueEnum;
use rdbscope::keys::ParquetTo;
use rdbscope::memory::Detail;
use rdbscope::output::keys::{RowBuf, json_line, write_csv_header, write_csv_row};
use rdbscope::output::parquet::{Columns, ParquetSink};
use rdbscope::publish::Pending;
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
/// use the \xHH escaping rule. The profile used is printed on stderr too
/// (not with --quiet).
/// Parquet (`--format parquet -o FILE`, schema version 1 in the file's
/// metadata) has typed columns, named for SQL: db, key (bytes), key_text
/// (escaped), type, encoding, stored_encoding, bytes (= size_in_bytes),
/// estimate, bound, elements (= num_elements), largest_element,
/// expire_at (UTC timestamp; null past year 294247), expire_at_ms, ttl_ms,
/// idle_s, lfu_freq, rdb_bytes, slot and hash_tag (as CLUSTER KEYSLOT
/// computes them), field_ttls, profile, file, prefix_1…prefix_N (the key's
/// first segments as `report` names its prefix rows; --depth, --delimiters),
/// then one text column per `--label NAME=VALUE` (NAME: letters, digits
/// and _, not a column's name in any case; VALUE up to 256 bytes). Row
/// groups of about 131,072 keys, zstd. The file is written beside FILE,
/// without a name until it is complete (Linux), then put in place over it:
/// Ctrl-C or kill leaves the old file and no temporary one (`-o -` writes
/// to a pipe).
/// Rows come in file order. A damaged dump or a checksum mismatch exits 2
/// (the rows before the damage are written; a Parquet file is then marked
/// partial: key-value metadata rdbscope.partial names the inputs that
/// failed and their errors). An input that is not there fails a Parquet
/// run before anything is written.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  rdbscope keys dump.rdb -o keys.csv
  rdbscope keys dump.rdb --match 'user:*' --min-bytes 10KB
  rdbscope keys dump.rdb --format jsonl --target valkey-8.1 --no-ttl
  rdbscope keys dump.rdb -o keys.parquet --label cluster=prod-eu --label node=7
  duckdb -c \"SELECT prefix_1, sum(bytes) FROM 'keys.parquet' GROUP BY 1 ORDER BY 2 DESC\"")]
pub struct Args {
    /// Dump files (`-` for stdin), or live servers (redis://HOST:PORT, rediss://, unix:///PATH; see `rdbscope --help`).
    #[arg(required = true, value_name = "FILE")]
    pub(super) files: Vec<String>,
    /// Output format [default: from -o's name: *.parquet is parquet,
    /// *.jsonl, *.ndjson and *.json are jsonl, a compressed or other
    /// format's name (*.csv.gz, *.tsv, *.pq...) is an error; else csv].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// No progress bar (shown on stderr with -o when it is a terminal) and
    /// no note of each input's memory profile (the rows' `profile` column
    /// has it); warnings and errors are still said.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    threads: Threads,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    target: TargetArgs,
    /// Parquet: a column NAME holding VALUE on every row (repeatable), e.g.
    /// --label cluster=prod-eu --label node=7.
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

/// The format asked for, or the one `-o`'s name says (so `-o keys.parquet`
/// is not a CSV file named .parquet, and `-o keys.csv.gz` not a plain CSV
/// file under a compressed name).
fn format(args: &Args) -> anyhow::Result<Format> {
    use Format::*;
    let known = [
        ("parquet", Parquet),
        ("jsonl", Jsonl),
        ("ndjson", Jsonl),
        ("json", Jsonl),
    ];
    super::shared::format_by_name(
        args.format,
        args.output.as_deref(),
        (&known, &["html", "htm"], Csv),
        "keys",
        "*.csv, *.jsonl or *.parquet",
    )
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    // An output that is an input is named as such first.
    super::shared::check_output(args.output.as_deref(), &args.files)?;
    let format = format(&args)?;
    let opts = ScanOptions {
        choice: args.target.build()?,
        filter: args.filter.build()?,
        detail: Detail::Elements,
    };
    let columns = Columns {
        prefixes: args.prefixes.config(),
        labels: args.label.clone(),
    };
    let mut out = match format {
        Format::Parquet => {
            columns.check().map_err(anyhow::Error::msg)?;
            let Some(path) = args.output.as_deref() else {
                anyhow::bail!("--format parquet writes a file: give it with -o FILE");
            };
            // An input that is not there fails the run before the old file
            // is replaced (a damaged one still leaves its rows, marked).
            if let Some(e) = super::shared::missing_input(&args.files) {
                super::say(e);
                super::say(format!("{path}: not written"));
                return Ok(super::EXIT_ERROR);
            }
            let (w, partial) = parquet_file(path)?;
            let encoders = rdbscope::scan::ordered::workers(args.threads.threads);
            Output::Parquet(ParquetSink::create(w, &columns, encoders)?, partial)
        }
        Format::Csv | Format::Jsonl => {
            if !args.label.is_empty() {
                anyhow::bail!("--label sets Parquet columns: use it with --format parquet");
            }
            let mut out = super::shared::output(args.output.as_deref(), &args.files)?;
            if matches!(format, Format::Csv) {
                write_csv_header(&mut out)?;
            }
            Output::Text(out)
        }
    };
    let csv = matches!(format, Format::Csv);
    let mut seen_dbs = Vec::new();
    let mut copies = rdbscope::scan::Copies::default();
    let mut inputs = Inputs::new(args.output.is_some() && !args.quiet);
    // Rows written, for the line that says what a file holds.
    let mut rows = 0u64;
    let ok = inputs.each(&args.files, |file, data, progress| {
        let mut first_rows = |t: &rdbscope::memory::ResolvedTarget| {
            if !args.quiet {
                super::say(format!(
                    "{file}: memory profile {} ({})",
                    t.target.describe(),
                    t.reason
                ));
            }
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
        let sum = match &mut out {
            Output::Text(out) => {
                let row =
                    |item: &KeyFacts<'_>, profile: &str, buf: &mut RowBuf, w: &mut dyn Write| {
                        if csv {
                            write_csv_row(w, buf, item, profile, file)
                        } else {
                            json_line(w, buf, item, profile, file)
                        }
                    };
                let sum =
                    rdbscope::keys::scan(data, &opts, threads, progress, &mut hooks, row, out);
                // The rows before an error are written before it is reported.
                out.flush()?;
                sum
            }
            Output::Parquet(sink, _) => {
                let to = ParquetTo {
                    sink,
                    columns: &columns,
                    file,
                };
                rdbscope::keys::scan_parquet(data, &opts, threads, progress, &mut hooks, to)
            }
        };
        let sum = sum?;
        rows = rows.saturating_add(sum.rows);
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
        // As `report` says it: the same dump twice writes its rows twice.
        if let Some(other) = copies.of(&sum.facts, file) {
            super::say(format!(
                "{file}: warning: the same dump as {other} (same size and checksum): \
                 its rows are written twice"
            ));
        }
        Ok(())
    })?;
    match out {
        Output::Text(mut out) => {
            out.flush()?;
            if let Some(path) = args.output.as_deref().filter(|p| *p != "-") {
                say_held(path, (!ok).then_some("an input failed"), rows, "");
            }
        }
        Output::Parquet(sink, partial) => {
            let path = args.output.as_deref().unwrap_or_default();
            finish_parquet(&sink, partial, path, &inputs.failures)?
        }
    }
    args.filter.warn_unmatched_dbs(&seen_dbs);
    Ok(if ok {
        super::EXIT_OK
    } else {
        super::EXIT_ERROR
    })
}

/// Where the rows go.
enum Output {
    Text(Box<dyn Write>),
    /// The file, and the temporary path it is renamed from when complete.
    Parquet(ParquetSink, Option<Pending>),
}

/// The writer for `--format parquet -o PATH`: a file is written beside
/// PATH, without a name where the file system allows it, and put in place
/// over PATH when complete ([`rdbscope::publish`]), so a failed or
/// interrupted run leaves the old file (or none), never a truncated one
/// or a temporary one; a device or pipe (`-`: stdout) is written as it
/// goes.
/// (`run` has checked that PATH is no input.)
fn parquet_file(path: &str) -> anyhow::Result<(Box<dyn Write + Send>, Option<Pending>)> {
    if path == "-" {
        if std::io::stdout().is_terminal() {
            anyhow::bail!("Parquet is binary: write it with -o FILE or into a pipe");
        }
        return Ok((Box::new(std::io::BufWriter::new(std::io::stdout())), None));
    }
    if path.ends_with('/') {
        anyhow::bail!("cannot create {path}: the name is a directory's");
    }
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open {path}"))?;
        return Ok((Box::new(std::io::BufWriter::new(f)), None));
    }
    // A link (`/dev/stdout` into a file, or one of the user's): the file it
    // names is replaced, not the link.
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).with_context(|| format!("cannot open {path}"))?
        }
        _ => Path::new(path).to_path_buf(),
    };
    if target.exists() {
        // A file the user may not write is not replaced (as CSV's open
        // refuses it); opened without truncating, to ask.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&target)
            .with_context(|| format!("cannot open {path}"))?;
    }
    // As a created file would be, after the umask.
    let pending = Pending::create(&target, 0o666, ".rdbscope-", ".parquet.partial")
        .with_context(|| format!("cannot create {path}"))?;
    let f = pending
        .file()
        .with_context(|| format!("cannot create {path}"))?;
    Ok((Box::new(std::io::BufWriter::new(f)), Some(pending)))
}

/// Closes the Parquet file, puts it in place and says what it holds (and,
/// after a failure, that it is partial, in its metadata too).
fn finish_parquet(
    sink: &ParquetSink,
    partial: Option<Pending>,
    path: &str,
    failures: &[String],
) -> anyhow::Result<()> {
    let ok = failures.is_empty();
    if !ok {
        sink.mark_partial(&format!(
            "{} failed (exit 2), its rows missing or cut short: {}",
            match failures.len() {
                1 => "an input".to_string(),
                n => format!("{n} inputs"),
            },
            failures.join("; ")
        ));
    }
    // Written even after a damaged dump: its rows before the damage.
    let (rows, groups) = sink
        .finish()
        .map_err(rdbscope::Error::from)
        .with_context(|| format!("cannot write {path}"))?;
    // Nothing read and a failure (an input that cannot be opened): the old
    // file stays.
    if rows == 0 && !ok {
        super::say(format!("{path}: not written (no rows)"));
        return Ok(());
    }
    if let Some(p) = partial {
        p.publish()
            .with_context(|| format!("cannot write {path}"))?;
    }
    let groups = format!(" in {groups} row group{}", plural(groups as u64));
    let why = (!ok).then_some("metadata rdbscope.partial");
    say_held(path, why, rows as u64, &groups);
    Ok(())
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Says what an output file holds: `PATH: [partial (WHY): ]N rows{more}, SIZE`.
fn say_held(path: &str, partial: Option<&str>, rows: u64, more: &str) {
    let size = std::fs::metadata(path).map_or(String::new(), |m| {
        format!(", {}", rdbscope::units::human_bytes(m.len()))
    });
    let what = partial.map_or(String::new(), |why| format!("partial ({why}): "));
    super::say(format!(
        "{path}: {what}{rows} row{}{more}{size}",
        plural(rows)
    ));
}
