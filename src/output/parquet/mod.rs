//! `keys --format parquet`: one row per key with typed columns, for DuckDB,
//! Spark, Trino, ClickHouse. Workers turn each batch of keys into a
//! [`Part`] (Arrow arrays, and ids for the text columns of few values);
//! encoders, each owning every n-th row group of [`ROW_GROUP_ROWS`] rows,
//! encode and zstd-compress them ([`sink`], [`chunk`]); an appender writes
//! the groups in file order. Memory stays at one row group's encoded pages
//! and a few batches, whatever the dump's size.
//!
//! The schema is versioned ([`SCHEMA_VERSION`], also in the file's
//! key-value metadata as `rdbscope.schema`) and documented in the README.

use std::borrow::Cow;
use std::sync::Arc;

mod chunk;
mod sink;

pub use sink::{PARTIAL, ParquetSink};

use arrow_array::builder::{
    BinaryBuilder, Int32Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{Array, ArrayRef, BinaryArray, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use chunk::Coded;

use crate::cluster::{hash_tag, slot_of};
use crate::escape::escape;
use crate::memory::Approx;
use crate::report::prefix::{PrefixConfig, PrefixLabels};
use crate::scan::KeyFacts;

/// Bumped when a column changes meaning or type (adding columns at the
/// end does not bump it).
pub const SCHEMA_VERSION: &str = "1";

/// The columns before the prefixes and labels.
const FIXED: [(&str, DataType, bool); 22] = [
    ("db", DataType::Int32, false),
    ("key", DataType::Binary, false),
    ("key_text", DataType::Utf8, false),
    ("type", DataType::Utf8, false),
    ("encoding", DataType::Utf8, false),
    ("stored_encoding", DataType::Utf8, false),
    ("bytes", DataType::Int64, false),
    ("estimate", DataType::Utf8, false),
    ("bound", DataType::Int64, true),
    ("elements", DataType::Int64, false),
    ("largest_element", DataType::Int64, true),
    (
        "expire_at",
        DataType::Timestamp(TimeUnit::Millisecond, None),
        true,
    ),
    ("expire_at_ms", DataType::Int64, true),
    ("ttl_ms", DataType::Int64, true),
    ("idle_s", DataType::Int64, true),
    ("lfu_freq", DataType::Int32, true),
    ("rdb_bytes", DataType::Int64, false),
    ("slot", DataType::Int32, false),
    ("hash_tag", DataType::Utf8, true),
    ("field_ttls", DataType::Int64, false),
    ("profile", DataType::Utf8, false),
    ("file", DataType::Utf8, false),
];

/// The largest expiry, in ms either side of the epoch, that a reader
/// keeping timestamps in µs in an i64 (DuckDB, Spark, pyarrow) can hold.
const MAX_TIMESTAMP_MS: u64 = i64::MAX as u64 / 1000;

/// The longest `--label` value: it is stored in every row.
pub const MAX_LABEL_BYTES: usize = 256;

/// Numeric columns of a handful of distinct values.
const LOW_CARDINALITY: [&str; 2] = ["db", "lfu_freq"];

/// Numeric columns of many distinct values.
const HIGH_CARDINALITY: [&str; 8] = [
    "bytes",
    "elements",
    "largest_element",
    "expire_at",
    "expire_at_ms",
    "ttl_ms",
    "rdb_bytes",
    "slot",
];

/// What the columns are: prefix depth and the user's labels.
#[derive(Clone, Debug)]
pub struct Columns {
    pub prefixes: PrefixConfig,
    /// `(name, value)` pairs set on every row (`--label cluster=prod-eu`).
    pub labels: Vec<(String, String)>,
}

impl Columns {
    /// Checks the labels: names SQL-friendly, distinct and not a column's
    /// name, ignoring case; values short.
    pub fn check(&self) -> Result<(), String> {
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in &self.labels {
            if value.len() > MAX_LABEL_BYTES {
                return Err(format!(
                    "label {name:?}: a value of {} bytes; at most {MAX_LABEL_BYTES} (it is stored in every row)",
                    value.len()
                ));
            }
            let ok = name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok {
                return Err(format!(
                    "label name {name:?}: expected letters, digits and _ (not first a digit)"
                ));
            }
            // Spark and Trino ignore the case of column names.
            let lower = name.to_ascii_lowercase();
            // `prefix_N` at any depth: files written at other depths are
            // read together.
            let prefix = lower
                .strip_prefix("prefix_")
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            if prefix || FIXED.iter().any(|(c, _, _)| *c == lower) {
                return Err(format!(
                    "label name {name:?} is a column of the schema: choose another name"
                ));
            }
            if seen.contains(&lower) {
                return Err(format!("label {name:?} given twice (names ignore case)"));
            }
            seen.push(lower);
        }
        Ok(())
    }

    pub fn schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = FIXED
            .iter()
            .map(|(n, t, null)| {
                let t = match t {
                    DataType::Timestamp(u, _) => DataType::Timestamp(*u, Some("UTC".into())),
                    t => t.clone(),
                };
                Field::new(*n, t, *null)
            })
            .collect();
        for d in 1..=self.prefixes.depth {
            fields.push(Field::new(format!("prefix_{d}"), DataType::Utf8, true));
        }
        for (n, _) in &self.labels {
            fields.push(Field::new(n, DataType::Utf8, false));
        }
        Arc::new(Schema::new(fields))
    }
}

/// How a column of the file is written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Col {
    /// By the crate's Arrow writer, from a part's `arrays[i]`.
    Arrow(usize),
    Key,
    KeyText,
    /// From a part's `coded[i]`: type, encoding, stored_encoding, estimate.
    Coded(usize),
    Profile,
    File,
    /// The value of `--label` i.
    Label(usize),
}

impl Columns {
    /// Each column of [`Columns::schema`], in order, and how it is written.
    fn plan(&self) -> Vec<Col> {
        let mut arrow = 0..;
        let mut plan: Vec<Col> = FIXED
            .iter()
            .map(|(name, _, _)| match *name {
                "key" => Col::Key,
                "key_text" => Col::KeyText,
                "type" => Col::Coded(0),
                "encoding" => Col::Coded(1),
                "stored_encoding" => Col::Coded(2),
                "estimate" => Col::Coded(3),
                "profile" => Col::Profile,
                "file" => Col::File,
                _ => Col::Arrow(arrow.next().unwrap_or(0)),
            })
            .collect();
        plan.extend((0..self.prefixes.depth).map(|_| Col::Arrow(arrow.next().unwrap_or(0))));
        plan.extend((0..self.labels.len()).map(Col::Label));
        plan
    }
}

/// One batch's rows, column by column (a worker's state, reused).
pub struct RowGroup {
    db: Int32Builder,
    key: BinaryBuilder,
    /// Filled only once a key of the batch is not its own display text
    /// (invalid UTF-8 or a backslash); until then `key_text` is `key`.
    key_text: StringBuilder,
    text_is_key: bool,
    /// type, encoding, stored_encoding, estimate.
    coded: [Coded; 4],
    /// The `estimate` text of each kind of approximation met.
    approx: Vec<(Approx, String)>,
    bytes: Int64Builder,
    bound: Int64Builder,
    elements: Int64Builder,
    largest: Int64Builder,
    expire_at: TimestampMillisecondBuilder,
    expire_at_ms: Int64Builder,
    ttl_ms: Int64Builder,
    idle_s: Int64Builder,
    lfu: Int32Builder,
    rdb_bytes: Int64Builder,
    slot: Int32Builder,
    hash_tag: StringBuilder,
    field_ttls: Int64Builder,
    /// Text, checked as UTF-8 once a batch (see `push`).
    prefixes: Vec<BinaryBuilder>,
    cut: PrefixLabels,
    rows: usize,
    /// [`text_cost`] of the rows so far.
    text_bytes: usize,
    /// Parts already full (see [`ParquetSink::push`]).
    done: Vec<Part>,
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A batch's rows as the encoders take them: the columns the crate's Arrow
/// writer encodes, and those the writer encodes itself ([`chunk`]).
pub(crate) struct Part {
    rows: usize,
    /// The [`Col::Arrow`] columns, in order.
    arrays: Vec<ArrayRef>,
    key: BinaryArray,
    /// `None`: every key of the part is its own text.
    key_text: Option<StringArray>,
    coded: [Coded; 4],
    profile: Box<str>,
    file: Box<str>,
}

impl Part {
    fn bytes(&self) -> usize {
        let arrays: usize = self.arrays.iter().map(|a| a.get_array_memory_size()).sum();
        // Keys that are their own text are counted twice all the same: a
        // later key of the group may make the encoder write key_text apart
        // (and a group closes by these bytes).
        let key = self.key.get_array_memory_size();
        let text = (self.key_text.as_ref()).map_or(key, |t| t.get_array_memory_size());
        let coded: usize = self.coded.iter().map(Coded::bytes).sum();
        arrays + key + text + coded
    }
}

impl RowGroup {
    pub fn new(c: &Columns) -> RowGroup {
        RowGroup::with_capacity(c.prefixes.clone(), 0, 0, &[])
    }

    /// Builders sized for `rows` rows of `key_bytes` bytes of keys: a
    /// batch is about the size of the last one, and growing 30 buffers
    /// from nothing for each batch was a tenth of the writer's time.
    fn with_capacity(
        prefixes: PrefixConfig,
        rows: usize,
        key_bytes: usize,
        prefix_bytes: &[usize],
    ) -> RowGroup {
        RowGroup {
            db: Int32Builder::with_capacity(rows),
            key: BinaryBuilder::with_capacity(rows, key_bytes),
            key_text: StringBuilder::new(),
            text_is_key: true,
            coded: Default::default(),
            approx: Vec::new(),
            bytes: Int64Builder::with_capacity(rows),
            bound: Int64Builder::with_capacity(rows),
            elements: Int64Builder::with_capacity(rows),
            largest: Int64Builder::with_capacity(rows),
            expire_at: TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"),
            expire_at_ms: Int64Builder::with_capacity(rows),
            ttl_ms: Int64Builder::with_capacity(rows),
            idle_s: Int64Builder::with_capacity(rows),
            lfu: Int32Builder::with_capacity(rows),
            rdb_bytes: Int64Builder::with_capacity(rows),
            slot: Int32Builder::with_capacity(rows),
            hash_tag: StringBuilder::new(),
            field_ttls: Int64Builder::with_capacity(rows),
            prefixes: (0..prefixes.depth)
                .map(|d| {
                    BinaryBuilder::with_capacity(rows, prefix_bytes.get(d).copied().unwrap_or(0))
                })
                .collect(),
            cut: PrefixLabels::new(prefixes),
            rows: 0,
            text_bytes: 0,
            done: Vec::new(),
        }
    }

    /// No rows since the last part.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Whether nothing waits to be written.
    pub fn is_clear(&self) -> bool {
        self.rows == 0 && self.done.is_empty()
    }

    fn push(&mut self, f: &KeyFacts<'_>) {
        self.rows += 1;
        self.db
            .append_value(i32::try_from(f.db).unwrap_or(i32::MAX));
        self.key.append_value(f.key);
        // ASCII without a backslash (most keys) is its own text, and so are its
        // prefixes (ASCII too): no UTF-8 check or escaping for them.
        let ascii = f.key.is_ascii() && memchr::memchr(b'\\', f.key).is_none();
        let text = (!ascii).then(|| escape(f.key));
        if self.text_is_key && matches!(text, Some(Cow::Owned(_))) {
            // The first key of the batch shown otherwise: the ones before
            // it are their own text.
            self.text_is_key = false;
            let (offsets, values) = (self.key.offsets_slice(), self.key.values_slice());
            for w in offsets.windows(2).take(self.rows - 1) {
                let k = values
                    .get(to_usize(w[0])..to_usize(w[1]))
                    .unwrap_or_default();
                self.key_text.append_value(escape(k));
            }
        }
        if !self.text_is_key {
            self.key_text
                .append_value(text.unwrap_or_else(|| escape(f.key)));
        }
        let [type_name, encoding, stored_encoding, estimate] = &mut self.coded;
        type_name.push(f.type_name);
        encoding.push_static(f.encoding);
        stored_encoding.push_static(f.stored_encoding);
        match f.approx {
            None => estimate.push_static("exact"),
            Some(a) => match self.approx.iter().find(|(x, _)| *x == a) {
                Some((_, label)) => estimate.push(label),
                None => {
                    let label = Approx::label(Some(a));
                    estimate.push(&label);
                    self.approx.push((a, label));
                }
            },
        }
        self.bytes.append_value(int(f.bytes));
        self.bound.append_option(f.bound.map(int));
        self.elements.append_value(int(f.elements));
        self.largest.append_option(f.largest_element.map(int));
        // Readers hold timestamps in µs: an expiry past year 294,247 (a
        // server takes PEXPIREAT up to i64::MAX) is null there, and kept
        // in `expire_at_ms`.
        self.expire_at.append_option(
            f.expire_at_ms
                .filter(|ms| ms.unsigned_abs() <= MAX_TIMESTAMP_MS),
        );
        self.expire_at_ms.append_option(f.expire_at_ms);
        self.ttl_ms.append_option(f.ttl_ms());
        self.idle_s.append_option(f.idle_s.map(int));
        self.lfu.append_option(f.lfu_freq.map(i32::from));
        self.rdb_bytes.append_value(int(f.rdb_bytes));
        let tag = hash_tag(f.key);
        self.slot
            .append_value(i32::from(slot_of(tag.unwrap_or(f.key))));
        self.hash_tag.append_option(tag.map(escape));
        self.field_ttls.append_value(int(f.field_ttls));
        let mut filled = 0;
        let prefixes = &mut self.prefixes;
        self.cut.each(f.key, |d, label| {
            match ascii {
                true => prefixes[d - 1].append_value(label),
                false => prefixes[d - 1].append_value(escape(label).as_bytes()),
            }
            filled = d;
        });
        for p in &mut self.prefixes[filled..] {
            p.append_null();
        }
    }

    /// The rows so far as a part, with the `profile` and `file` they
    /// share; the builders start over.
    fn finish(&mut self, profile: &str, file: &str) -> parquet::errors::Result<Part> {
        let rows = std::mem::take(&mut self.rows);
        // Sized as this batch was (a queued batch keeps its capacity).
        let prefix_bytes: Vec<usize> = self
            .prefixes
            .iter()
            .map(|p| p.values_slice().len())
            .collect();
        let mut next = RowGroup::with_capacity(
            self.cut.config().clone(),
            rows,
            self.key.values_slice().len(),
            &prefix_bytes,
        );
        next.approx = std::mem::take(&mut self.approx);
        let mut g = std::mem::replace(self, next);
        // Parts already full stay for `ParquetSink::rows`.
        self.done = std::mem::take(&mut g.done);
        let key_text = (!g.text_is_key).then(|| g.key_text.finish());
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(g.db.finish()),
            Arc::new(g.bytes.finish()),
            Arc::new(g.bound.finish()),
            Arc::new(g.elements.finish()),
            Arc::new(g.largest.finish()),
            Arc::new(g.expire_at.finish()),
            Arc::new(g.expire_at_ms.finish()),
            Arc::new(g.ttl_ms.finish()),
            Arc::new(g.idle_s.finish()),
            Arc::new(g.lfu.finish()),
            Arc::new(g.rdb_bytes.finish()),
            Arc::new(g.slot.finish()),
            Arc::new(g.hash_tag.finish()),
            Arc::new(g.field_ttls.finish()),
        ];
        for p in &mut g.prefixes {
            arrays.push(Arc::new(StringArray::try_from_binary(p.finish())?));
        }
        Ok(Part {
            rows,
            arrays,
            key: g.key.finish(),
            key_text,
            coded: g.coded,
            profile: profile.into(),
            file: file.into(),
        })
    }
}

fn to_usize(o: i32) -> usize {
    usize::try_from(o).unwrap_or(0)
}

/// Rows per row group (DuckDB's own size is 122,880): enough for readers
/// to split work by row group; few enough that an encoder's queue can hold
/// a whole group, so the next encoder starts on the next group while this
/// one is still busy (a few tens of MiB of arrays).
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// A batch of rows, made by a worker, to write in file order: one part,
/// or more when its text outgrew [`BATCH_TEXT_BYTES`].
pub struct Rows(Vec<Part>);

impl Rows {
    fn rows(&self) -> usize {
        self.0.iter().map(|p| p.rows).sum()
    }

    fn bytes(&self) -> usize {
        self.0.iter().map(Part::bytes).sum()
    }
}

/// Text bytes a part may hold before the next row starts another:
/// far below the 2 GiB a text column's offsets hold, and a bound on what
/// one queued batch takes.
const BATCH_TEXT_BYTES: usize = 64 << 20;

/// The most bytes a key's text, or its hash tag, may take: a Parquet value
/// and an Arrow text column hold under 2 GiB.
const MAX_VALUE_BYTES: usize = i32::MAX as usize;

/// An upper bound of a key's text in any text column (an invalid byte
/// takes 4 bytes escaped), plus its short columns.
fn text_cost(key: &[u8]) -> usize {
    key.len().saturating_mul(4).saturating_add(256)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::RecordBatch;
    use arrow_array::cast::AsArray;
    use parquet::basic::Compression;
    use std::io::Write;

    fn facts(key: &[u8]) -> KeyFacts<'_> {
        KeyFacts {
            db: 0,
            key,
            type_name: "string",
            encoding: "embstr",
            stored_encoding: "string",
            bytes: 56,
            approx: None,
            bound: Some(0),
            elements: 3,
            largest_element: Some(3),
            expire_at_ms: None,
            ctime_ms: None,
            idle_s: None,
            lfu_freq: None,
            rdb_bytes: 9,
            field_ttls: 0,
            alloc_delta: 0,
            small_entries: None,
            source: None,
        }
    }

    fn texts(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
        let a = batch.column_by_name(column).unwrap().as_string::<i32>();
        (0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
            .collect()
    }

    /// The file at `path`, read back by the parquet crate's reader.
    fn read(path: &std::path::Path) -> Vec<RecordBatch> {
        let file = std::fs::File::open(path).unwrap();
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect()
    }

    /// One column of every batch.
    fn column(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
        batches.iter().flat_map(|b| texts(b, name)).collect()
    }

    /// key_text and the prefixes of a batch, written while every key is
    /// its own text and after the first that is not (back-filled), over
    /// batches of one row group, the first all plain (so the group's
    /// key_text leaves key's pages mid-group): each row as `escape` shows
    /// it, read back from the file.
    #[test]
    fn text_columns_switch_within_a_batch() {
        let c = Columns {
            prefixes: PrefixConfig::default(),
            labels: vec![("node".into(), "n-7".into())],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let out: Box<dyn Write + Send> = Box::new(std::fs::File::create(&path).unwrap());
        let sink = ParquetSink::create(out, &c, 1).unwrap();
        let mut g = RowGroup::new(&c);
        let batches: [&[&[u8]]; 4] = [
            &[b"plain:1", b"caf\xc3\xa9:2"],
            &[
                b"user:1:a",
                b"caf\xc3\xa9:2",
                b"x\\y:3",
                b"\xff:4",
                b"tag:{t}:5",
            ],
            &[b"plain:1", b"plain:2"],
            &[b"\xfe\xff", b"", b"a:b"],
        ];
        let mut all: Vec<&[u8]> = Vec::new();
        for (i, keys) in batches.iter().enumerate() {
            let file = format!("f{i}.rdb");
            for k in *keys {
                sink.push(&mut g, &facts(k), "redis-7.0 jemalloc", &file)
                    .unwrap();
            }
            let rows = sink.rows(&mut g, "redis-7.0 jemalloc", &file).unwrap();
            assert_eq!(rows.rows(), keys.len());
            assert!(g.is_empty());
            sink.write(rows).unwrap();
            all.extend(keys.iter());
        }
        assert_eq!(sink.finish().unwrap(), (all.len() as i64, 1));
        let got = read(&path);
        let want: Vec<Option<String>> = all.iter().map(|k| Some(escape(k).into_owned())).collect();
        assert_eq!(column(&got, "key_text"), want);
        let keys: Vec<&[u8]> = got
            .iter()
            .flat_map(|b| {
                let a = b.column_by_name("key").unwrap().as_binary::<i32>();
                (0..a.len()).map(|i| a.value(i)).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(keys, all);
        let mut cut = PrefixLabels::new(c.prefixes.clone());
        for d in 1..=c.prefixes.depth {
            let want: Vec<Option<String>> = all
                .iter()
                .map(|k| {
                    let mut label = None;
                    cut.each(k, |depth, l| {
                        if depth == d {
                            label = Some(escape(l).into_owned());
                        }
                    });
                    label
                })
                .collect();
            assert_eq!(column(&got, &format!("prefix_{d}")), want, "depth {d}");
        }
        let tags: Vec<Option<String>> = all
            .iter()
            .map(|k| hash_tag(k).map(|t| escape(t).into_owned()))
            .collect();
        assert_eq!(column(&got, "hash_tag"), tags);
        let n = all.len();
        assert_eq!(column(&got, "node"), vec![Some("n-7".to_string()); n]);
        let files: Vec<Option<String>> = batches
            .iter()
            .enumerate()
            .flat_map(|(i, keys)| vec![Some(format!("f{i}.rdb")); keys.len()])
            .collect();
        assert_eq!(column(&got, "file"), files);
        assert_eq!(column(&got, "type"), vec![Some("string".to_string()); n]);
        assert_eq!(column(&got, "estimate"), vec![Some("exact".to_string()); n]);
    }

    /// The columns the writer encodes itself, over several row groups and
    /// pages, two encoders, and more distinct values than `Coded` looks
    /// through one by one: every row reads back as written, and the
    /// chunks are dictionary pages plus RLE ids (text) or PLAIN (keys).
    #[test]
    fn own_chunks_read_back() {
        let c = Columns {
            prefixes: PrefixConfig::default(),
            labels: vec![
                ("cluster".into(), "prod-eu".into()),
                ("n".into(), String::new()),
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("own.parquet");
        let out: Box<dyn Write + Send> = Box::new(std::fs::File::create(&path).unwrap());
        let sink = ParquetSink::create(out, &c, 2).unwrap();
        let rows = ROW_GROUP_ROWS * 2 + 777;
        let kinds = [Approx::Module, Approx::SkiplistLevels];
        let mut want = Vec::with_capacity(rows);
        let mut g = RowGroup::new(&c);
        for i in 0..rows {
            let key = match i % 1000 {
                7 => format!("bad\\{i}").into_bytes(),
                _ => format!("k:{}:{i}", i % 13).into_bytes(),
            };
            // 40 module type names (past `SCAN`), in runs and alone.
            let type_name = match i % 5 {
                0 => format!("mod-{:02}", (i / 5) % 40),
                _ => "hash".to_string(),
            };
            let mut f = facts(&key);
            f.type_name = &type_name;
            f.encoding = ["listpack", "hashtable", "embstr"][i % 3];
            f.approx = (i % 11 == 0).then(|| kinds[i % 2]);
            let file = format!("dump-{}.rdb", i / 3000);
            sink.push(&mut g, &f, "p", &file).unwrap();
            let est = Approx::label(f.approx);
            want.push((
                key.clone(),
                type_name.clone(),
                f.encoding,
                est,
                file.clone(),
            ));
            if i % 2048 == 2047 || i + 1 == rows || (i + 1) % 3000 == 0 {
                let r = sink.rows(&mut g, "p", &file).unwrap();
                sink.write(r).unwrap();
            }
        }
        let (n, groups) = sink.finish().unwrap();
        assert_eq!((n as usize, groups), (rows, 3));
        let got = read(&path);
        let strings = |name| {
            column(&got, name)
                .into_iter()
                .map(Option::unwrap)
                .collect::<Vec<_>>()
        };
        let (key_text, types, encodings, estimates, files) = (
            strings("key_text"),
            strings("type"),
            strings("encoding"),
            strings("estimate"),
            strings("file"),
        );
        assert_eq!(strings("cluster"), vec!["prod-eu".to_string(); rows]);
        assert_eq!(strings("n"), vec![String::new(); rows]);
        for (i, (key, t, e, est, file)) in want.iter().enumerate() {
            assert_eq!(key_text[i], escape(key), "row {i}");
            assert_eq!((&types[i], &encodings[i]), (t, &e.to_string()), "row {i}");
            assert_eq!((&estimates[i], &files[i]), (est, file), "row {i}");
        }
        let file = std::fs::File::open(&path).unwrap();
        let meta = parquet::file::reader::SerializedFileReader::new(file).unwrap();
        use parquet::file::reader::FileReader;
        let rg = meta.metadata().row_group(0);
        let col = |name: &str| {
            rg.columns()
                .iter()
                .find(|c| c.column_path().string() == name)
                .unwrap()
        };
        assert!(col("type").dictionary_page_offset().is_some());
        assert_eq!(col("type").compression(), Compression::UNCOMPRESSED);
        assert!(col("key").dictionary_page_offset().is_none());
        assert!(matches!(
            col("key_text").compression(),
            Compression::ZSTD(_)
        ));
        assert_eq!(col("key").num_values(), ROW_GROUP_ROWS as i64);
    }

    /// Keys whose text fills a part start the next one: each of these
    /// three (17 MiB of invalid bytes, 68 MiB escaped) is a part of its
    /// own in one batch, and the file has them all, in order.
    #[test]
    fn wide_text_is_split_into_parts() {
        let c = Columns {
            prefixes: PrefixConfig::default(),
            labels: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.parquet");
        let out: Box<dyn Write + Send> = Box::new(std::fs::File::create(&path).unwrap());
        let sink = ParquetSink::create(out, &c, 2).unwrap();
        let keys: Vec<Vec<u8>> = (0..3u8)
            .map(|i| {
                let mut k = vec![0xff; 17 << 20];
                k.push(b'a' + i);
                k
            })
            .collect();
        let mut g = RowGroup::new(&c);
        for k in &keys {
            sink.push(&mut g, &facts(k), "p", "f").unwrap();
        }
        let rows = sink.rows(&mut g, "p", "f").unwrap();
        assert_eq!(rows.0.len(), 3);
        assert!(g.is_clear());
        sink.write(rows).unwrap();
        assert_eq!(sink.finish().unwrap().0, 3);
        let want: Vec<Option<String>> = keys.iter().map(|k| Some(escape(k).into_owned())).collect();
        assert_eq!(column(&read(&path), "key_text"), want);
    }
}
