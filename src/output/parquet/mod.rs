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

use arrow_array::builder::{BinaryBuilder, StringBuilder};
use arrow_array::{Array, BinaryArray, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use chunk::{Coded, Ints};

use crate::cluster::{hash_tag, slot_of};
use crate::escape::{ascii_without, escape};
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

/// The integer columns, in schema order, written delta bit-packed by
/// [`chunk::DeltaChunk`], and whether each is zstd-compressed. (A
/// dictionary of each row group's values would cost a hash lookup a row:
/// sizes, times and slots have many values, and the few values of `db` or
/// `field_ttls` come in runs that delta packing makes 0 bits wide, and
/// zstd a few bytes.) Slots, times and LFU counters in file order are
/// random: zstd found nothing more in them (measured).
const INTS: [(&str, bool); 13] = [
    ("db", true),
    ("bytes", true),
    ("bound", true),
    ("elements", true),
    ("largest_element", true),
    ("expire_at", false),
    ("expire_at_ms", false),
    ("ttl_ms", false),
    ("idle_s", true),
    ("lfu_freq", false),
    ("rdb_bytes", true),
    ("slot", false),
    ("field_ttls", true),
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
            if prefix {
                return Err(format!(
                    "label name {name:?}: prefix_N names the prefix columns, at any --depth \
                     (files of other depths are read together): choose another name"
                ));
            }
            if FIXED.iter().any(|(c, _, _)| *c == lower) {
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
    /// Delta bit-packed from a part's `ints[i]`, zstd-compressed or not
    /// (see [`INTS`]).
    Int {
        i: usize,
        compress: bool,
    },
    Key,
    KeyText,
    /// From a part's `coded[i]`: type, encoding, stored_encoding, estimate.
    Coded(usize),
    Profile,
    File,
    /// The value of `--label` i.
    Label(usize),
    /// From a part's `prefixes[d]`: the prefix at depth d + 1.
    Prefix(usize),
    HashTag,
}

impl Columns {
    /// Each column of [`Columns::schema`], in order, and how it is written.
    fn plan(&self) -> Vec<Col> {
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
                "hash_tag" => Col::HashTag,
                // The rest are INTS (a name missing there fails the write).
                name => {
                    let i = INTS.iter().position(|(n, _)| *n == name);
                    Col::Int {
                        i: i.unwrap_or(usize::MAX),
                        compress: i.is_some_and(|i| INTS[i].1),
                    }
                }
            })
            .collect();
        plan.extend((0..self.prefixes.depth).map(Col::Prefix));
        plan.extend((0..self.labels.len()).map(Col::Label));
        plan
    }
}

/// One batch's rows, column by column (a worker's state, reused).
pub struct RowGroup {
    db: Ints,
    key: BinaryBuilder,
    /// Filled only once a key of the batch is not its own display text
    /// (invalid UTF-8 or a backslash); until then `key_text` is `key`.
    key_text: StringBuilder,
    text_is_key: bool,
    /// type, encoding, stored_encoding, estimate.
    coded: [Coded; 4],
    /// The `estimate` text of each kind of approximation met.
    approx: Vec<(Approx, String)>,
    bytes: Ints,
    bound: Ints,
    elements: Ints,
    largest: Ints,
    expire_at: Ints,
    expire_at_ms: Ints,
    ttl_ms: Ints,
    idle_s: Ints,
    lfu: Ints,
    rdb_bytes: Ints,
    slot: Ints,
    hash_tag: Coded,
    field_ttls: Ints,
    /// The prefix at each depth.
    prefixes: Vec<Coded>,
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
    /// The [`Col::Int`] columns, in order.
    ints: Vec<Ints>,
    key: BinaryArray,
    /// `None`: every key of the part is its own text.
    key_text: Option<StringArray>,
    coded: [Coded; 4],
    /// The prefix at each depth.
    prefixes: Vec<Coded>,
    hash_tag: Coded,
    profile: Box<str>,
    file: Box<str>,
}

impl Part {
    fn coded(&self) -> impl Iterator<Item = &Coded> {
        (self.coded.iter().chain(&self.prefixes)).chain([&self.hash_tag])
    }

    /// Memory held (for the queues' budget).
    fn bytes(&self) -> usize {
        // Keys that are their own text are counted twice all the same: a
        // later key of the group may make the encoder write key_text apart.
        let key = self.key.get_array_memory_size();
        let text = (self.key_text.as_ref()).map_or(key, |t| t.get_array_memory_size());
        let coded: usize = self.coded().map(Coded::bytes).sum();
        let ints: usize = self.ints.iter().map(Ints::bytes).sum();
        ints + key + text + coded
    }

    /// The same by content alone (lengths, not capacities), which closes
    /// row groups: the same for any `--threads`.
    fn content(&self) -> usize {
        let key = self.key.value_data().len() + self.rows * 4;
        let text = (self.key_text.as_ref()).map_or(key, |t| t.value_data().len() + self.rows * 4);
        let coded: usize = self.coded().map(Coded::content).sum();
        let ints: usize = self.ints.iter().map(Ints::content).sum();
        ints + key + text + coded
    }
}

impl RowGroup {
    pub fn new(c: &Columns) -> RowGroup {
        RowGroup::with_capacity(c.prefixes.clone(), 0, 0)
    }

    /// Builders sized for `rows` rows of `key_bytes` bytes of keys: a
    /// batch is about the size of the last one, and growing 30 buffers
    /// from nothing for each batch was a tenth of the writer's time.
    fn with_capacity(prefixes: PrefixConfig, rows: usize, key_bytes: usize) -> RowGroup {
        RowGroup {
            db: Ints::required(rows),
            key: BinaryBuilder::with_capacity(rows, key_bytes),
            key_text: StringBuilder::new(),
            text_is_key: true,
            coded: Default::default(),
            approx: Vec::new(),
            bytes: Ints::required(rows),
            bound: Ints::nullable(rows),
            elements: Ints::required(rows),
            largest: Ints::nullable(rows),
            expire_at: Ints::nullable(rows),
            expire_at_ms: Ints::nullable(rows),
            ttl_ms: Ints::nullable(rows),
            idle_s: Ints::nullable(rows),
            lfu: Ints::nullable(rows),
            rdb_bytes: Ints::required(rows),
            slot: Ints::required(rows),
            hash_tag: Coded::with_capacity(rows),
            field_ttls: Ints::required(rows),
            prefixes: (0..prefixes.depth)
                .map(|_| Coded::with_capacity(rows))
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
            .push(i64::from(i32::try_from(f.db).unwrap_or(i32::MAX)));
        self.key.append_value(f.key);
        // ASCII without a backslash (most keys) is its own text, and so are its
        // prefixes (ASCII too): no UTF-8 check or escaping for them.
        let ascii = ascii_without(f.key, [b'\\']);
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
        type_name.push(f.type_name.as_bytes());
        encoding.push_static(f.encoding);
        stored_encoding.push_static(f.stored_encoding);
        match f.approx {
            None => estimate.push_static("exact"),
            Some(a) => match self.approx.iter().find(|(x, _)| *x == a) {
                Some((_, label)) => estimate.push(label.as_bytes()),
                None => {
                    let label = Approx::label(Some(a));
                    estimate.push(label.as_bytes());
                    self.approx.push((a, label));
                }
            },
        }
        self.bytes.push(int(f.bytes));
        self.bound.push_option(f.bound.map(int));
        self.elements.push(int(f.elements));
        self.largest.push_option(f.largest_element.map(int));
        // Readers hold timestamps in µs: an expiry past year 294,247 (a
        // server takes PEXPIREAT up to i64::MAX) is null there, and kept
        // in `expire_at_ms`.
        self.expire_at.push_option(
            f.expire_at_ms
                .filter(|ms| ms.unsigned_abs() <= MAX_TIMESTAMP_MS),
        );
        self.expire_at_ms.push_option(f.expire_at_ms);
        self.ttl_ms.push_option(f.ttl_ms());
        self.idle_s.push_option(f.idle_s.map(int));
        self.lfu.push_option(f.lfu_freq.map(i64::from));
        self.rdb_bytes.push(int(f.rdb_bytes));
        let tag = hash_tag(f.key);
        self.slot.push(i64::from(slot_of(tag.unwrap_or(f.key))));
        match tag {
            Some(t) => self.hash_tag.push(escape(t).as_bytes()),
            None => self.hash_tag.push_null(),
        }
        self.field_ttls.push(int(f.field_ttls));
        let mut filled = 0;
        let prefixes = &mut self.prefixes;
        self.cut.each(f.key, |d, label| {
            match ascii {
                true => prefixes[d - 1].push(label),
                false => prefixes[d - 1].push(escape(label).as_bytes()),
            }
            filled = d;
        });
        for p in &mut self.prefixes[filled..] {
            p.push_null();
        }
    }

    /// The rows so far as a part, with the `profile` and `file` they
    /// share; the builders start over.
    fn finish(&mut self, profile: &str, file: &str) -> parquet::errors::Result<Part> {
        let rows = std::mem::take(&mut self.rows);
        // Sized as this batch was (a queued batch keeps its capacity).
        let mut next = RowGroup::with_capacity(
            self.cut.config().clone(),
            rows,
            self.key.values_slice().len(),
        );
        next.approx = std::mem::take(&mut self.approx);
        let mut g = std::mem::replace(self, next);
        // Parts already full stay for `ParquetSink::rows`.
        self.done = std::mem::take(&mut g.done);
        let key_text = (!g.text_is_key).then(|| g.key_text.finish());
        // In the order of INTS.
        let ints = vec![
            g.db,
            g.bytes,
            g.bound,
            g.elements,
            g.largest,
            g.expire_at,
            g.expire_at_ms,
            g.ttl_ms,
            g.idle_s,
            g.lfu,
            g.rdb_bytes,
            g.slot,
            g.field_ttls,
        ];
        Ok(Part {
            rows,
            ints,
            key: g.key.finish(),
            key_text,
            coded: g.coded,
            prefixes: g.prefixes,
            hash_tag: g.hash_tag,
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

    fn content(&self) -> usize {
        self.0.iter().map(Part::content).sum()
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

    /// Letters only (no hex digit, so no id): a word per `n`.
    fn word(mut n: usize, len: usize) -> String {
        (0..len)
            .map(|_| {
                let c = (b'g' + (n % 20) as u8) as char;
                n /= 20;
                c
            })
            .collect()
    }

    /// The integer and prefix columns over two row groups and pages of
    /// every mix of nulls, read back by the crate's Arrow reader, with
    /// the row groups' min/max/null statistics; the second group's
    /// `prefix_1` has more than a dictionary page's worth of distinct
    /// values, so it is written PLAIN.
    #[test]
    fn int_and_prefix_columns_read_back() {
        use arrow_array::types::{Int32Type, Int64Type, TimestampMillisecondType};
        let c = Columns {
            prefixes: PrefixConfig::default(),
            labels: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ints.parquet");
        let out: Box<dyn Write + Send> = Box::new(std::fs::File::create(&path).unwrap());
        let sink = ParquetSink::create(out, &c, 2).unwrap();
        let rows = ROW_GROUP_ROWS + 45_001;
        let mut rng = chunk::Rng(9);
        let mut g = RowGroup::new(&c);
        let mut keys = Vec::with_capacity(rows);
        let mut want: Vec<[Option<i64>; 13]> = Vec::with_capacity(rows);
        for i in 0..rows {
            let key = match (i >= ROW_GROUP_ROWS, i % 9) {
                (_, 0) => format!("solo{}", word(i, 6)),
                (true, _) => format!("{}:{}:{i}", word(i, 40), word(i / 7, 3)),
                (false, _) => format!("k{}:{}:{i}:x", i % 13, word(i % 50, 4)),
            };
            let mut f = facts(key.as_bytes());
            // Nulls: none (pages 0 and 3), all (page 2), or some.
            let page = i / 20_000;
            let some = |rng: &mut chunk::Rng, p: u64| match page {
                0 | 3 => true,
                2 => false,
                _ => rng.below(100) < p,
            };
            f.db = (i / 5000 % 16) as u64;
            f.bytes = rng.below(1 << 40);
            f.bound = some(&mut rng, 90).then(|| rng.below(2000));
            f.elements = match i % 3 {
                0 => u64::MAX,
                _ => rng.below(100),
            };
            f.largest_element = some(&mut rng, 50).then(|| rng.next() >> 1);
            f.expire_at_ms = some(&mut rng, 30).then(|| match i % 7 {
                0 => i64::MAX,
                1 => -86_400_000 * 365,
                _ => 1_796_537_327_610 + rng.below(172_800_000) as i64,
            });
            f.ctime_ms = (i % 4 != 0).then_some(1_796_537_000_000);
            f.idle_s = some(&mut rng, 60).then(|| rng.below(1 << 20));
            f.lfu_freq = some(&mut rng, 10).then(|| rng.below(256) as u8);
            f.rdb_bytes = rng.below(1 << 30);
            f.field_ttls = u64::from(i % 1000 == 0) * 3;
            let expire_at = f
                .expire_at_ms
                .filter(|ms| ms.unsigned_abs() <= MAX_TIMESTAMP_MS);
            let lfu = f.lfu_freq.map(i64::from);
            let slot = i64::from(slot_of(hash_tag(key.as_bytes()).unwrap_or(key.as_bytes())));
            want.push([
                Some(f.db as i64),
                Some(f.bytes as i64),
                f.bound.map(int),
                Some(int(f.elements)),
                f.largest_element.map(int),
                expire_at,
                f.expire_at_ms,
                f.ttl_ms(),
                f.idle_s.map(int),
                lfu,
                Some(f.rdb_bytes as i64),
                Some(slot),
                Some(f.field_ttls as i64),
            ]);
            sink.push(&mut g, &f, "p", "f").unwrap();
            keys.push(key);
            if i % 2000 == 1999 || i % 3331 == 0 || i + 1 == rows {
                let r = sink.rows(&mut g, "p", "f").unwrap();
                sink.write(r).unwrap();
            }
        }
        assert_eq!(sink.finish().unwrap(), (rows as i64, 2));
        let got = read(&path);
        for (n, (name, _)) in INTS.iter().enumerate() {
            let mut column = Vec::with_capacity(rows);
            for b in &got {
                let a = b.column_by_name(name).unwrap();
                let at = |i| a.is_valid(i).then_some(i);
                match a.data_type() {
                    DataType::Int32 => {
                        let a = a.as_primitive::<Int32Type>();
                        column.extend((0..a.len()).map(|i| at(i).map(|i| i64::from(a.value(i)))));
                    }
                    DataType::Int64 => {
                        let a = a.as_primitive::<Int64Type>();
                        column.extend((0..a.len()).map(|i| at(i).map(|i| a.value(i))));
                    }
                    _ => {
                        let a = a.as_primitive::<TimestampMillisecondType>();
                        column.extend((0..a.len()).map(|i| at(i).map(|i| a.value(i))));
                    }
                }
            }
            for (i, v) in column.iter().enumerate() {
                assert_eq!(*v, want[i][n], "{name} row {i}");
            }
        }
        let mut cut = PrefixLabels::new(c.prefixes.clone());
        for d in 1..=c.prefixes.depth {
            let name = format!("prefix_{d}");
            let got = column(&got, &name);
            for (i, key) in keys.iter().enumerate() {
                let mut label = None;
                cut.each(key.as_bytes(), |at, l| {
                    if at == d {
                        label = Some(String::from_utf8(l.to_vec()).unwrap());
                    }
                });
                assert_eq!(got[i], label, "{name} row {i}");
            }
        }
        // Statistics, and the dictionary of each group's prefix_1.
        let file = std::fs::File::open(&path).unwrap();
        let meta = parquet::file::reader::SerializedFileReader::new(file).unwrap();
        use parquet::file::reader::FileReader;
        use parquet::file::statistics::Statistics;
        let mut first = 0;
        for (g, rg) in meta.metadata().row_groups().iter().enumerate() {
            let n = rg.num_rows() as usize;
            let col = |name: &str| {
                (rg.columns().iter())
                    .find(|c| c.column_path().string() == name)
                    .unwrap()
            };
            for (k, (name, _)) in INTS.iter().enumerate() {
                let vals: Vec<i64> = want[first..first + n].iter().filter_map(|w| w[k]).collect();
                let nulls = (n - vals.len()) as u64;
                let (lo, hi) = (vals.iter().min().copied(), vals.iter().max().copied());
                let s = col(name).statistics().unwrap();
                assert_eq!(s.null_count_opt(), Some(nulls), "{name} group {g}");
                let got = match s {
                    Statistics::Int32(s) => (
                        s.min_opt().map(|&v| i64::from(v)),
                        s.max_opt().map(|&v| i64::from(v)),
                    ),
                    Statistics::Int64(s) => (s.min_opt().copied(), s.max_opt().copied()),
                    _ => panic!("{name}: {s:?}"),
                };
                assert_eq!(got, (lo, hi), "{name} group {g}");
            }
            let dictionary = col("prefix_1").dictionary_page_offset().is_some();
            assert_eq!(dictionary, g == 0, "group {g}");
            first += n;
        }
    }
}
