//! The writing side of `keys --format parquet`: the writing thread routes
//! each batch's [`Rows`], in file order, to encoders that each own every
//! n-th row group and encode it column by column (the crate's Arrow writer
//! or [`chunk`](super::chunk)); an appender writes the groups in order,
//! then the footer.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use arrow_array::Array;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::Type as PhysicalType;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnDescPtr;

use super::chunk::{Chunk, DeltaChunk, DictChunk, PlainChunk, ZSTD_LEVEL};
use super::{
    BATCH_TEXT_BYTES, Col, Columns, MAX_VALUE_BYTES, Part, ROW_GROUP_ROWS, RowGroup, Rows,
    SCHEMA_VERSION, text_cost,
};
use crate::escape::{escape_terminal, escaped_len};
use crate::scan::KeyFacts;

/// What the writing thread sends an encoder.
enum Job {
    /// Rows, and the bytes they hold in the encoder's [`Budget`].
    Rows(Rows, usize),
    /// The row group is complete.
    Close,
}

/// Bytes of arrays queued for one encoder: the writing thread waits for
/// room past [`QUEUE_BYTES`] (one batch always goes), so wide rows (long
/// labels, big keys) do not pile up 80 batches deep.
#[derive(Default)]
struct Budget {
    /// Bytes queued; whether the encoder stopped.
    state: Mutex<(usize, bool)>,
    changed: Condvar,
}

impl Budget {
    /// Waits for room for `n` bytes and takes it; false once the encoder
    /// stopped.
    fn take(&self, n: usize) -> bool {
        let Ok(mut st) = self.state.lock() else {
            return false;
        };
        while st.0 > 0 && st.0.saturating_add(n) > QUEUE_BYTES && !st.1 {
            st = match self.changed.wait(st) {
                Ok(st) => st,
                Err(_) => return false,
            };
        }
        st.0 = st.0.saturating_add(n);
        !st.1
    }

    fn give(&self, n: usize) {
        if let Ok(mut st) = self.state.lock() {
            st.0 = st.0.saturating_sub(n);
        }
        self.changed.notify_all();
    }
}

/// Marks a budget's encoder as stopped when dropped.
struct Closer(Arc<Budget>);

impl Drop for Closer {
    fn drop(&mut self) {
        if let Ok(mut st) = self.0.state.lock() {
            st.1 = true;
        }
        self.0.changed.notify_all();
    }
}

type Chunks = (usize, Vec<Chunk>);
type Done<T> = JoinHandle<parquet::errors::Result<T>>;

/// A column of the row group being encoded.
enum Writer {
    Delta(DeltaChunk),
    Dict(DictChunk),
    /// `key` or `key_text`: in [`Open`].
    Plain,
}

/// The row group an encoder is filling.
struct Open {
    columns: Vec<Writer>,
    key: PlainChunk,
    /// `None` while every key of the group is its own text: `key_text`
    /// is then `key`'s pages.
    key_text: Option<PlainChunk>,
}

/// What an encoder needs of the file.
struct Layout {
    plan: Vec<Col>,
    descr: Vec<ColumnDescPtr>,
    labels: Vec<String>,
}

impl Open {
    fn new(l: &Layout) -> Open {
        let columns = l
            .plan
            .iter()
            .zip(&l.descr)
            .map(|(col, descr)| match col {
                Col::Int { compress, .. } => Writer::Delta(DeltaChunk::new(
                    descr.physical_type() == PhysicalType::INT32,
                    descr.max_def_level() > 0,
                    *compress,
                )),
                Col::Key | Col::KeyText => Writer::Plain,
                // Prefixes and hash tags are nullable, of more values:
                // zstd finds repeats in their dictionary.
                Col::Prefix(_) | Col::HashTag => Writer::Dict(DictChunk::new(true, true)),
                _ => Writer::Dict(DictChunk::new(false, false)),
            })
            .collect();
        Open {
            columns,
            key: PlainChunk::default(),
            key_text: None,
        }
    }

    fn write(
        &mut self,
        l: &Layout,
        part: &Part,
        z: &mut zstd::bulk::Compressor<'_>,
    ) -> parquet::errors::Result<()> {
        let keys = || (0..part.key.len()).map(|i| part.key.value(i));
        for (col, w) in l.plan.iter().zip(&mut self.columns) {
            match (col, w) {
                (Col::Int { i, .. }, Writer::Delta(d)) => {
                    d.extend(part.ints.get(*i).ok_or_else(failed)?, z)?
                }
                (Col::Key, _) => {
                    // `key_text` parts from here on: the group's text so
                    // far is the keys so far.
                    if self.key_text.is_none() && part.key_text.is_some() {
                        self.key_text = Some(self.key.clone());
                    }
                    self.key.extend(keys(), z)?;
                }
                (Col::KeyText, _) => match (&mut self.key_text, &part.key_text) {
                    (None, _) => {}
                    (Some(t), Some(text)) => {
                        t.extend((0..text.len()).map(|i| text.value(i).as_bytes()), z)?
                    }
                    (Some(t), None) => t.extend(keys(), z)?,
                },
                (Col::Coded(i), Writer::Dict(d)) => {
                    d.extend(part.coded.get(*i).ok_or_else(failed)?)
                }
                (Col::Prefix(i), Writer::Dict(d)) => {
                    d.extend(part.prefixes.get(*i).ok_or_else(failed)?)
                }
                (Col::HashTag, Writer::Dict(d)) => d.extend(&part.hash_tag),
                (Col::Profile, Writer::Dict(d)) => d.repeat(&part.profile, part.rows)?,
                (Col::File, Writer::Dict(d)) => d.repeat(&part.file, part.rows)?,
                (Col::Label(i), Writer::Dict(d)) => {
                    d.repeat(l.labels.get(*i).ok_or_else(failed)?, part.rows)?
                }
                _ => return Err(failed()),
            }
        }
        Ok(())
    }

    fn close(
        self,
        l: &Layout,
        z: &mut zstd::bulk::Compressor<'_>,
    ) -> parquet::errors::Result<Vec<Chunk>> {
        let key = self.key.finish(z)?;
        let key_text = self.key_text.map(|t| t.finish(z)).transpose()?;
        let mut chunks = Vec::with_capacity(self.columns.len());
        for ((col, w), descr) in l.plan.iter().zip(self.columns).zip(&l.descr) {
            chunks.push(match (col, w) {
                (_, Writer::Delta(d)) => d.finish(descr.clone(), z)?,
                (_, Writer::Dict(d)) => d.finish(descr.clone(), z)?,
                (Col::Key, _) => key.chunk(descr.clone())?,
                (_, Writer::Plain) => key_text.as_ref().unwrap_or(&key).chunk(descr.clone())?,
            });
        }
        Ok(chunks)
    }
}

/// An encoder: the row groups `first`, `first + n`, `first + 2n`… of a
/// file written by `n` encoders, each encoded and compressed column by
/// column and handed to the appender.
fn encode(
    first: usize,
    step: usize,
    layout: Arc<Layout>,
    jobs: Receiver<Job>,
    done: SyncSender<Chunks>,
    budget: Arc<Budget>,
) -> parquet::errors::Result<()> {
    // However this ends, the writing thread stops waiting for room.
    let _closed = Closer(budget.clone());
    let mut z = zstd::bulk::Compressor::new(ZSTD_LEVEL)
        .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))?;
    let mut group = first;
    let mut open = None;
    for job in jobs {
        match job {
            Job::Rows(rows, bytes) => {
                let o = match &mut open {
                    Some(o) => o,
                    None => open.insert(Open::new(&layout)),
                };
                for part in &rows.0 {
                    o.write(&layout, part, &mut z)?;
                }
                drop(rows);
                budget.give(bytes);
            }
            Job::Close => {
                let Some(o) = open.take() else { continue };
                done.send((group, o.close(&layout, &mut z)?))
                    .map_err(|_| failed())?;
                group += step;
            }
        }
    }
    Ok(())
}

/// The appender: row groups into the file in order; then the footer.
fn append(
    mut file: SerializedFileWriter<Box<dyn Write + Send>>,
    groups: Receiver<Chunks>,
    partial: Arc<Mutex<Option<String>>>,
) -> parquet::errors::Result<(i64, usize)> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    for (g, chunks) in groups {
        waiting.insert(g, chunks);
        while let Some(chunks) = waiting.remove(&next) {
            let mut rg = file.next_row_group()?;
            for c in chunks {
                rg.append_column(&c.bytes, c.close)?;
            }
            rg.close()?;
            next += 1;
        }
    }
    if !waiting.is_empty() {
        return Err(failed());
    }
    if let Some(why) = partial.lock().map_err(|_| failed())?.take() {
        file.append_key_value_metadata(KeyValue::new(PARTIAL.to_string(), why));
    }
    let meta = file.close()?;
    Ok((meta.file_metadata().num_rows(), meta.num_row_groups()))
}

/// The writing thread's side: which encoder takes the next rows.
struct Route {
    encoders: Vec<(SyncSender<Job>, Done<()>, Arc<Budget>)>,
    current: usize,
    /// Rows and array bytes of the row group being sent.
    rows: usize,
    bytes: usize,
}

/// The Parquet file being written. Workers build the arrays of their
/// batches; the writing thread routes them, in file order, to encoders
/// that each own every n-th row group (so encoding and compression run on
/// all cores, beside the scan); an appender writes the groups in order.
pub struct ParquetSink {
    route: Mutex<Option<Route>>,
    appender: Mutex<Option<Done<(i64, usize)>>>,
    /// Set by [`ParquetSink::mark_partial`]: the footer says so.
    partial: Arc<Mutex<Option<String>>>,
}

/// The key-value metadata of a file a failed run left (its value says
/// why): the rows of the inputs that failed are missing or cut short.
pub const PARTIAL: &str = "rdbscope.partial";

/// Batches queued for an encoder: a row group's worth (batches hold up
/// to 2,048 keys) and some.
const QUEUED: usize = ROW_GROUP_ROWS / 2048 + 16;

/// Array bytes queued for an encoder (see [`Budget`]): a row group of
/// ordinary keys fits (about 45 MB on the bench dump).
const QUEUE_BYTES: usize = 128 << 20;

/// A row group closes at [`ROW_GROUP_ROWS`] rows or this many array bytes.
const ROW_GROUP_BYTES: usize = 128 << 20;

fn failed() -> parquet::errors::ParquetError {
    parquet::errors::ParquetError::General("the Parquet writer stopped".into())
}

fn spawn<T: Send + 'static>(
    f: impl FnOnce() -> parquet::errors::Result<T> + Send + 'static,
) -> parquet::errors::Result<Done<T>> {
    std::thread::Builder::new()
        .name("parquet".into())
        .spawn(f)
        .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))
}

impl ParquetSink {
    /// A file written by `encoders` threads (at least one).
    pub fn create(
        out: Box<dyn Write + Send>,
        c: &Columns,
        encoders: usize,
    ) -> parquet::errors::Result<ParquetSink> {
        let schema = c.schema();
        // Pages, codecs and statistics are `chunk`'s: the crate writes the
        // file around them (footer, page indexes, Arrow schema).
        let props = WriterProperties::builder();
        let props = props
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "rdbscope.schema".to_string(),
                SCHEMA_VERSION.to_string(),
            )]))
            .set_created_by(format!("rdbscope {}", env!("CARGO_PKG_VERSION")))
            .build();
        let w = ArrowWriter::try_new_with_options(
            out,
            schema.clone(),
            ArrowWriterOptions::new().with_properties(props),
        )?;
        let (file, _) = w.into_serialized_writer()?;
        let layout = Arc::new(Layout {
            plan: c.plan(),
            descr: file.schema_descr().columns().to_vec(),
            labels: c.labels.iter().map(|(_, v)| v.clone()).collect(),
        });
        let n = encoders.max(1);
        let (done_tx, done_rx) = sync_channel::<Chunks>(n);
        let partial = Arc::new(Mutex::new(None));
        let p = partial.clone();
        let appender = spawn(move || append(file, done_rx, p))?;
        let mut route = Route {
            encoders: Vec::with_capacity(n),
            current: 0,
            rows: 0,
            bytes: 0,
        };
        for first in 0..n {
            let (tx, rx) = sync_channel::<Job>(QUEUED);
            let (l, d) = (layout.clone(), done_tx.clone());
            let budget = Arc::new(Budget::default());
            let b = budget.clone();
            let handle = spawn(move || encode(first, n, l, rx, d, b))?;
            route.encoders.push((tx, handle, budget));
        }
        Ok(ParquetSink {
            route: Mutex::new(Some(route)),
            appender: Mutex::new(Some(appender)),
            partial,
        })
    }

    /// The rows of `g`, which share `profile` and `file`, as a batch to
    /// write (any thread); `g` starts over.
    pub fn rows(
        &self,
        g: &mut RowGroup,
        profile: &str,
        file: &str,
    ) -> parquet::errors::Result<Rows> {
        let mut batches = std::mem::take(&mut g.done);
        if !g.is_empty() {
            batches.push(g.finish(profile, file)?);
        }
        Ok(Rows(batches))
    }

    /// Adds a key's row to `g`, whose rows share `profile` and `file`;
    /// starts another record batch when this one's text is full. A key
    /// whose text no Parquet value holds is an error.
    pub fn push(
        &self,
        g: &mut RowGroup,
        f: &KeyFacts<'_>,
        profile: &str,
        file: &str,
    ) -> parquet::errors::Result<()> {
        let cost = text_cost(f.key);
        if cost > MAX_VALUE_BYTES && escaped_len(f.key) > MAX_VALUE_BYTES {
            return Err(parquet::errors::ParquetError::General(format!(
                "db {} key {}… ({} bytes): its text takes more than the 2 GiB a Parquet value holds (--format csv or jsonl write it)",
                f.db,
                escape_terminal(f.key.get(..40).unwrap_or(f.key)),
                f.key.len()
            )));
        }
        if !g.is_empty() && g.text_bytes.saturating_add(cost) > BATCH_TEXT_BYTES {
            let part = g.finish(profile, file)?;
            g.done.push(part);
        }
        g.text_bytes = g.text_bytes.saturating_add(cost);
        g.push(f);
        Ok(())
    }

    /// Queues a batch (the writing thread, in file order).
    pub fn write(&self, rows: Rows) -> parquet::errors::Result<()> {
        let mut guard = self.route.lock().map_err(|_| failed())?;
        let r = guard.as_mut().ok_or_else(failed)?;
        let (n, bytes, content) = (rows.rows(), rows.bytes(), rows.content());
        let (tx, _, budget) = &r.encoders[r.current];
        let sent = budget.take(bytes) && tx.send(Job::Rows(rows, bytes)).is_ok();
        r.rows += n;
        // By content, not the memory held: buffers' capacities depend on
        // which worker made the batch, and the file must not.
        r.bytes = r.bytes.saturating_add(content);
        // A group of wide rows closes early: an encoder holds its group.
        let full = r.rows >= ROW_GROUP_ROWS || r.bytes >= ROW_GROUP_BYTES;
        let closed = !full || tx.send(Job::Close).is_ok();
        if full {
            r.current = (r.current + 1) % r.encoders.len();
            (r.rows, r.bytes) = (0, 0);
        }
        if sent && closed {
            return Ok(());
        }
        // An encoder stopped on an error: `finish` says which.
        drop(guard);
        self.finish().and_then(|_| Err(failed()))
    }

    /// Marks the file as a failed run's ([`PARTIAL`] = `why`), before
    /// [`ParquetSink::finish`].
    pub fn mark_partial(&self, why: &str) {
        if let Ok(mut p) = self.partial.lock() {
            *p = Some(why.to_string());
        }
    }

    /// Writes the last row group and the footer; returns the rows and row
    /// groups written, or the first error of any thread.
    pub fn finish(&self) -> parquet::errors::Result<(i64, usize)> {
        let route = self.route.lock().map_err(|_| failed())?.take();
        let mut first_error = None;
        if let Some(r) = route {
            if r.rows > 0 {
                let _ = r.encoders[r.current].0.send(Job::Close);
            }
            for (tx, handle, _) in r.encoders {
                drop(tx);
                if let Err(e) = handle.join().map_err(|_| failed()).and_then(|r| r) {
                    first_error.get_or_insert(e);
                }
            }
        }
        let appender = self.appender.lock().map_err(|_| failed())?.take();
        let written = match appender {
            Some(h) => h.join().map_err(|_| failed())?,
            None => Err(failed()),
        };
        // The appender's error (the file system's) is the cause when both
        // failed: an encoder then only saw it stop.
        match (written, first_error) {
            (Err(e), _) | (Ok(_), Some(e)) => Err(e),
            (Ok(w), None) => Ok(w),
        }
    }
}
