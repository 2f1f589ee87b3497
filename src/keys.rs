//! `keys`: one row per key with its estimated memory on the target server,
//! in file order, on all cores ([`crate::scan::ordered`]).

use std::io::Write;

use crate::input::Feed;
use crate::output::keys::RowBuf;
use crate::output::parquet::{Columns, ParquetSink, RowGroup, Rows as ParquetRows};
use crate::scan::ordered::{self, Consumer, Hooks, Out, Plan};
use crate::scan::parallel::Batch;
use crate::scan::{KeyFacts, KeyReader, ScanOptions};

/// Facts about the scanned dump.
#[derive(Clone, Debug, Default)]
pub struct KeysSummary {
    pub facts: crate::scan::FileFacts,
    /// Rows written (keys the filter accepted).
    pub rows: u64,
}

/// Writes one accepted key's row: the facts, the target's profile name,
/// a scratch buffer and the output.
pub trait RowWriter:
    Fn(&KeyFacts<'_>, &str, &mut RowBuf, &mut dyn Write) -> std::io::Result<()> + Sync
{
}
impl<F> RowWriter for F where
    F: Fn(&KeyFacts<'_>, &str, &mut RowBuf, &mut dyn Write) -> std::io::Result<()> + Sync
{
}

struct Rows<'o, R> {
    opts: &'o ScanOptions,
    row: R,
}

impl<'a, R: RowWriter> Consumer<'a> for Rows<'_, R> {
    type State = (KeyReader, RowBuf);
    type Part = ();

    fn state(&self) -> Self::State {
        Default::default()
    }

    fn batch(
        &self,
        st: &mut Self::State,
        b: &Batch<'a>,
        out: &mut Out<'_, ()>,
    ) -> crate::Result<()> {
        let (reader, scratch) = st;
        let profile = b.target.target.describe();
        for rec in &b.records {
            let written = reader.read(
                rec,
                &b.target.target,
                &b.templates,
                (&self.opts.filter, self.opts.detail),
                b.ctime_ms,
                |f| (self.row)(f, &profile, scratch, out.w.write()),
            )?;
            if let Some(w) = written {
                w?;
                out.rows += 1;
            }
        }
        Ok(())
    }
}

/// Reads every key of `data`, estimates those the filter accepts and
/// writes a row for each with `row` into `w`, in file order, on `threads`
/// workers (0: one per core). Rows before a decoding error are written
/// before it is returned. `progress` hears the offset reached now and then.
pub fn scan<'a>(
    data: impl Into<Feed<'a>>,
    opts: &ScanOptions,
    threads: usize,
    progress: &dyn Fn(u64),
    hooks: &mut Hooks<'_>,
    row: impl RowWriter,
    w: &mut dyn Write,
) -> crate::Result<KeysSummary> {
    run(data, opts, threads, progress, hooks, &Rows { opts, row }, w)
}

/// Runs consumer `c` over every key of `data`, in file order.
fn run<'a, C: Consumer<'a>>(
    data: impl Into<Feed<'a>>,
    opts: &ScanOptions,
    threads: usize,
    progress: &dyn Fn(u64),
    hooks: &mut Hooks<'_>,
    c: &C,
    w: &mut dyn Write,
) -> crate::Result<KeysSummary> {
    let plan = Plan {
        choice: &opts.choice,
        threads,
        inline_bytes: u64::MAX,
    };
    let (facts, rows) = ordered::run(data.into(), plan, progress, c, hooks, w)?;
    Ok(KeysSummary { facts, rows })
}

/// `keys --format parquet`: workers build each batch's columns; the
/// writing thread writes them in file order.
struct Groups<'o> {
    opts: &'o ScanOptions,
    to: ParquetTo<'o>,
}

impl<'a> Consumer<'a> for Groups<'_> {
    type State = (KeyReader, Option<RowGroup>);
    type Part = ParquetRows;

    fn state(&self) -> Self::State {
        (KeyReader::default(), None)
    }

    fn batch(
        &self,
        st: &mut Self::State,
        b: &Batch<'a>,
        out: &mut Out<'_, ParquetRows>,
    ) -> crate::Result<()> {
        let (reader, group) = st;
        let ParquetTo {
            sink,
            columns,
            file,
        } = self.to;
        let g = group.get_or_insert_with(|| RowGroup::new(columns));
        let profile = b.target.target.describe();
        let mut read = || -> crate::Result<()> {
            for rec in &b.records {
                let pushed = reader.read(
                    rec,
                    &b.target.target,
                    &b.templates,
                    (&self.opts.filter, self.opts.detail),
                    b.ctime_ms,
                    |f| sink.push(g, f, &profile, file),
                )?;
                if let Some(pushed) = pushed {
                    pushed?;
                    out.rows += 1;
                }
            }
            Ok(())
        };
        let r = read();
        // The rows before a decoding error are written, as in CSV.
        if !g.is_clear() {
            out.part = Some(sink.rows(g, &profile, file)?);
        }
        r
    }

    fn put(&self, part: ParquetRows) -> crate::Result<()> {
        Ok(self.to.sink.write(part)?)
    }
}

/// Where `keys --format parquet` writes one input's rows.
#[derive(Clone, Copy)]
pub struct ParquetTo<'o> {
    pub sink: &'o ParquetSink,
    pub columns: &'o Columns,
    /// The input's name, in the `file` column.
    pub file: &'o str,
}

/// As [`scan`], into a Parquet file.
pub fn scan_parquet<'a>(
    data: impl Into<Feed<'a>>,
    opts: &ScanOptions,
    threads: usize,
    progress: &dyn Fn(u64),
    hooks: &mut Hooks<'_>,
    to: ParquetTo<'_>,
) -> crate::Result<KeysSummary> {
    let c = Groups { opts, to };
    run(
        data,
        opts,
        threads,
        progress,
        hooks,
        &c,
        &mut std::io::sink(),
    )
}
