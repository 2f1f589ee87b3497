//! `dump`: every key as one JSON object per line.
//!
//! Shape (one line per key record):
//! `{"db":0,"key":"k","type":"hash","encoding":"listpack","expire_at_ms":null,`
//! `"idle_s":N,"lfu_freq":N,"value":...}` — `idle_s`/`lfu_freq` only when
//! stored; hashes with field TTLs add `"field_expire_at_ms":{field: ms}`.
//! Byte strings use the [`crate::escape`] rule.

use std::io::Write;

use serde_json::{Value, json};

use crate::escape::{escape, json_str};
use crate::input::Feed;
use crate::memory::TargetChoice;
use crate::rdb::stream::{Group, Idmp, StreamId, StreamMeta};
use crate::rdb::{ArrayElem, Elem, KeyRecord, ModuleValue, Scratch, ValueType, ValueVisitor};
use crate::scan::ordered::{self, Consumer, Hooks, Out, Plan, Sink};
use crate::scan::parallel::Batch;

/// Writes every key of `data` as JSON lines to `out`, in file order, on
/// `threads` workers (0: one per core); returns the number of keys. Keys
/// before a decoding error (or a checksum mismatch, found at the end) are
/// written before the error is returned. `progress` hears the offset
/// reached now and then; `warn` hears about values the server would refuse
/// (duplicate hash fields, set or zset members: written once) and the
/// scan's warnings about the file.
pub fn dump<'a>(
    data: impl Into<Feed<'a>>,
    out: &mut dyn Write,
    threads: usize,
    progress: &dyn Fn(u64),
    warn: &mut dyn FnMut(String),
) -> crate::Result<u64> {
    let mut hooks = Hooks {
        first_rows: &mut |_| {},
        note: warn,
    };
    let (facts, n) = ordered::run(
        data.into(),
        Plan {
            choice: &TargetChoice::default(),
            threads,
            inline_bytes: INLINE_BYTES,
        },
        progress,
        &Lines,
        &mut hooks,
        out,
    )?;
    // What the scan noticed (bytes after the checksum, odd AUX fields...).
    for w in facts.warnings {
        (hooks.note)(w);
    }
    Ok(n)
}

/// Values this large in the dump are written by the writing thread
/// straight to the output (streamed), not into a worker's buffer.
const INLINE_BYTES: u64 = 1 << 20;

/// The JSON lines of a batch.
struct Lines;

impl<'a> Consumer<'a> for Lines {
    type State = (Scratch, Vec<u8>);
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
        let (scratch, line) = st;
        let r = match &mut out.w {
            Sink::Buffer(buf) => {
                let (r, good) = lines(b, scratch, line, &mut **buf, &mut out.notes, |v| v.len());
                // A key that fails leaves no half line behind.
                buf.truncate(good);
                r
            }
            Sink::Writer(w) => lines(b, scratch, line, &mut **w, &mut out.notes, |_| 0).0,
        };
        // A worker keeps its buffers for the next batch, not a huge value's.
        scratch.shrink(INLINE_BYTES as usize);
        line.shrink_to(INLINE_BYTES as usize);
        out.rows += r.as_ref().map_or_else(|e| e.1, |n| *n);
        r.map(|_| ()).map_err(|e| e.0)
    }
}

/// Writes the JSON lines of a batch's keys to `w`. Returns the keys
/// written, or the error with the keys written before it; and the length
/// (`len`) of `w` after the last whole line.
fn lines<W: Write + ?Sized>(
    b: &Batch<'_>,
    scratch: &mut Scratch,
    line: &mut Vec<u8>,
    w: &mut W,
    notes: &mut Vec<String>,
    len: impl Fn(&W) -> usize,
) -> (std::result::Result<u64, (crate::Error, u64)>, usize) {
    let mut v = JsonValue::new(w);
    let mut good = len(v.out);
    for (n, k) in b.records.iter().enumerate() {
        if let Err(e) = key_line(k, &b.templates, scratch, line, &mut v) {
            return (Err((e, n as u64)), good);
        }
        good = len(v.out);
        if v.duplicates > 0 {
            notes.push(format!(
                "db {} key \"{}\": {} duplicate {} left out (the server would refuse this value)",
                k.db,
                k.key_text(),
                v.duplicates,
                match k.value_type {
                    ValueType::Hash => "fields",
                    _ => "members",
                }
            ));
        }
    }
    (Ok(b.records.len() as u64), good)
}

/// One key's JSON line.
fn key_line<W: Write + ?Sized>(
    k: &KeyRecord<'_>,
    templates: &crate::rdb::Templates,
    scratch: &mut Scratch,
    line: &mut Vec<u8>,
    v: &mut JsonValue<'_, W>,
) -> crate::Result<()> {
    v.reset(k.value_type);
    if matches!(k.value_type, ValueType::Stream | ValueType::Module) {
        // Assembled first: the header comes from the end of the value,
        // a module's type name from its id.
        k.decode(templates, scratch, v)?;
        write_head(k, v.module.as_ref(), line, &mut *v.out)?;
        line.clear();
        v.write(line)?;
    } else {
        write_head(k, None, line, &mut *v.out)?;
        v.open()?;
        k.decode(templates, scratch, v)?;
        v.close()?;
    }
    v.out.write_all(b"}\n")?;
    Ok(())
}

/// Appends `s` (raw bytes) as a JSON string, escaped by the one rule.
pub fn json_bytes(out: &mut Vec<u8>, s: &[u8]) {
    // Writing to a Vec cannot fail.
    let _ = crate::escape::write_json_escaped(s, out);
}

#[inline(always)]
fn json_elem(out: &mut Vec<u8>, e: Elem<'_>) {
    match e {
        Elem::Bytes(b) => json_bytes(out, b),
        Elem::Int(i) => {
            let mut b = itoa::Buffer::new();
            let digits = b.format(i).as_bytes();
            out.reserve(digits.len() + 2);
            out.push(b'"');
            out.extend_from_slice(digits);
            out.push(b'"');
        }
    }
}

fn json_f64(out: &mut Vec<u8>, f: f64) {
    if f.is_nan() {
        out.extend_from_slice(b"\"nan\"");
    } else if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 { b"\"inf\"" } else { b"\"-inf\"" });
    } else {
        let _ = serde_json::to_writer(&mut *out, &f);
    }
}

/// Any serializable value, written as compact JSON (one signature for the
/// stream header's fields of different types).
mod erased {
    pub trait Json {
        fn write_json(&self, out: &mut Vec<u8>);
    }
    impl<T: serde::Serialize> Json for T {
        fn write_json(&self, out: &mut Vec<u8>) {
            // Writing to a Vec cannot fail.
            let _ = serde_json::to_writer(out, self);
        }
    }
}

fn id(i: StreamId) -> Value {
    Value::String(i.to_string())
}

/// Appends the JSON of a scalar or string.
fn put(out: &mut Vec<u8>, v: &impl serde::Serialize) {
    let _ = serde_json::to_writer(out, v);
}

/// Appends a stored string (a consumer name, an IDMP id) as escaped JSON
/// text, inflated into `scratch` one at a time. The decoder checked it
/// already, so it inflates.
fn put_stored(out: &mut Vec<u8>, s: &crate::rdb::RdbStr<'_>, scratch: &mut Vec<u8>) {
    let bytes = s.bytes(scratch).unwrap_or_default();
    put(out, &escape(bytes));
}

/// Appends a JSON array of stream IDs.
fn ids(out: &mut Vec<u8>, ids: &[StreamId]) {
    out.push(b'[');
    for (i, sid) in ids.iter().enumerate() {
        let comma = if i == 0 { "" } else { "," };
        let _ = write!(out, "{comma}\"{sid}\"");
    }
    out.push(b']');
}

/// Text of a stream's entries, groups or IDMP table, made before it can be
/// written (the stream's header is read after them): held in memory up to
/// [`SPOOL_MEM`], past that in an unnamed temporary file, so that a stream
/// whose JSON runs to GBs costs disk, not memory.
#[derive(Default)]
struct Spool {
    /// Appended to by the visitor; moved to `file` by [`Spool::settle`].
    mem: Vec<u8>,
    /// Where `mem` went once it was large.
    file: Option<std::fs::File>,
    /// The first error of the temporary file, reported when written.
    err: Option<std::io::Error>,
}

/// Spool bytes held in memory before they go to the temporary file.
const SPOOL_MEM: usize = 16 << 20;

impl Spool {
    fn is_empty(&self) -> bool {
        self.mem.is_empty() && self.file.is_none()
    }

    /// Moves what `mem` holds to the temporary file once it is large.
    fn settle(&mut self) {
        if self.mem.len() < SPOOL_MEM || self.err.is_some() {
            return;
        }
        let file = match self.file.take() {
            Some(f) => Ok(f),
            None => tempfile::tempfile(),
        };
        match file.and_then(|mut f| f.write_all(&self.mem).map(|()| f)) {
            Ok(f) => {
                self.file = Some(f);
                self.mem.clear();
            }
            Err(e) => {
                self.err = Some(std::io::Error::new(
                    e.kind(),
                    format!("cannot hold a stream's JSON in a temporary file: {e}"),
                ))
            }
        }
    }

    /// Writes everything it holds, in order.
    fn copy_to<W: Write + ?Sized>(&mut self, out: &mut W) -> std::io::Result<()> {
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        if let Some(f) = self.file.as_mut() {
            use std::io::Seek as _;
            f.seek(std::io::SeekFrom::Start(0))?;
            std::io::copy(f, &mut WriteRef(out))?;
        }
        out.write_all(&self.mem)
    }

    fn clear(&mut self) {
        // A big buffer is let go, as the dedupe sets are.
        if self.mem.capacity() > SPOOL_MEM {
            self.mem = Vec::new();
        }
        self.mem.clear();
        self.file = None;
        self.err = None;
    }
}

/// `io::copy` into a `?Sized` writer.
struct WriteRef<'w, W: Write + ?Sized>(&'w mut W);

impl<W: Write + ?Sized> Write for WriteRef<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Builds the JSON of one value as the decoder reports it. Strings, lists,
/// sets, zsets, hashes and arrays go to the writer as they are decoded
/// (`streaming`); streams and module values are assembled first (their
/// header is known only at their end).
struct JsonValue<'o, W: Write + ?Sized> {
    out: &'o mut W,
    /// The first write error while streaming.
    err: std::io::Result<()>,
    streaming: bool,
    value_type: Option<ValueType>,
    /// Comma-separated items of the value (string, array items or object members).
    body: Vec<u8>,
    items: u64,
    field_ttls: Vec<u8>,
    module: Option<ModuleValue>,
    /// The stream's entries as JSON text, written as they arrive (no value
    /// tree per entry: a stream of millions of entries costs its text).
    stream_entries: Spool,
    stream_meta: Option<StreamMeta>,
    /// The groups as JSON text (comma-separated objects).
    stream_groups: Spool,
    /// The IDMP table as JSON text, when the stream has one.
    stream_idmp: Option<Spool>,
    /// Hash fields, set and zset members seen in this value, by a 64-bit
    /// hash of their text (not a copy of it: a member can be hundreds of
    /// MiB; 8 bytes, as a value of millions of 4-byte members would
    /// otherwise take ten times its size here): a duplicate (which the
    /// server would refuse to load) is left out of the JSON and counted,
    /// so no object has the same key twice. The hash is seeded at random
    /// for each run, so no file can be made whose distinct members collide.
    seen: foldhash::HashSet<u64>,
    seed: foldhash::fast::RandomState,
    /// A stored name inflated (one at a time).
    scratch: Vec<u8>,
    /// Integer members, exactly.
    seen_ints: foldhash::HashSet<i64>,
    duplicates: u64,
}

/// Body bytes held before they go to the writer.
const SPILL: usize = 1 << 16;

/// Empties a per-value set. Clearing a table costs its capacity, so one big
/// value would make every later key pay for it: a grown table is dropped.
fn reset_set<T>(s: &mut foldhash::HashSet<T>) {
    if s.capacity() > 1024 {
        *s = Default::default();
    } else if !s.is_empty() {
        s.clear();
    }
}

impl<'o, W: Write + ?Sized> JsonValue<'o, W> {
    fn new(out: &'o mut W) -> Self {
        JsonValue {
            out,
            err: Ok(()),
            streaming: false,
            value_type: None,
            body: Vec::new(),
            items: 0,
            field_ttls: Vec::new(),
            module: None,
            stream_entries: Spool::default(),
            stream_meta: None,
            stream_groups: Spool::default(),
            stream_idmp: None,
            seen: Default::default(),
            seed: Default::default(),
            scratch: Vec::new(),
            seen_ints: Default::default(),
            duplicates: 0,
        }
    }

    /// True the first time `e` is seen in this value. Members that are
    /// integers (as the server compares them: `5` stored as text equals
    /// `5` stored as an integer) are kept exactly; others by hash.
    fn first_time(&mut self, e: Elem<'_>) -> bool {
        use std::hash::{BuildHasher, Hasher};
        let int = match e {
            Elem::Int(i) => Ok(i),
            Elem::Bytes(b) => crate::memory::sizes::canonical_int(b).ok_or(b),
        };
        let new = match int {
            Ok(i) => self.seen_ints.insert(i),
            Err(text) => {
                // A collision that would drop a distinct member: about
                // n² / 2^65 for a value of n members (3·10⁻⁶ at ten million).
                let mut h = self.seed.build_hasher();
                h.write(text);
                self.seen.insert(h.finish())
            }
        };
        if !new {
            self.duplicates += 1;
        }
        new
    }

    /// Appends an element's JSON to the body; a large one (streaming) goes
    /// straight to the writer after what the body holds.
    #[inline(always)]
    fn elem(&mut self, e: Elem<'_>) {
        match e {
            Elem::Bytes(b) if self.streaming && b.len() >= SPILL => {
                if self.err.is_ok() {
                    self.err = self.out.write_all(&self.body);
                    self.body.clear();
                }
                if self.err.is_ok() {
                    self.err = crate::escape::write_json_escaped(b, &mut *self.out);
                }
            }
            _ => json_elem(&mut self.body, e),
        }
    }

    /// Sends what the body holds to the writer once it is large.
    #[inline(always)]
    fn spill(&mut self) {
        if self.streaming && self.body.len() >= SPILL && self.err.is_ok() {
            self.err = self.out.write_all(&self.body);
            self.body.clear();
        }
    }

    /// Starts a streamed value: `"value":` and its opening bracket.
    fn open(&mut self) -> std::io::Result<()> {
        self.streaming = true;
        self.out.write_all(match self.value_type {
            Some(ValueType::String) => b"\"value\":",
            Some(ValueType::Hash) => b"\"value\":{",
            _ => b"\"value\":[",
        })
    }

    /// Ends a streamed value: the rest of its body, its closing bracket and
    /// the hash field TTLs.
    fn close(&mut self) -> std::io::Result<()> {
        std::mem::replace(&mut self.err, Ok(()))?;
        self.out.write_all(&self.body)?;
        self.body.clear();
        match self.value_type {
            Some(ValueType::String) => {}
            Some(ValueType::Hash) => {
                self.out.write_all(b"}")?;
                if !self.field_ttls.is_empty() {
                    self.out.write_all(b",\"field_expire_at_ms\":{")?;
                    self.out.write_all(&self.field_ttls)?;
                    self.out.write_all(b"}")?;
                }
            }
            _ => self.out.write_all(b"]")?,
        }
        Ok(())
    }

    fn reset(&mut self, t: ValueType) {
        self.streaming = false;
        self.err = Ok(());
        self.value_type = Some(t);
        self.body.clear();
        self.items = 0;
        self.field_ttls.clear();
        self.module = None;
        self.stream_entries.clear();
        self.stream_meta = None;
        self.stream_groups.clear();
        self.stream_idmp = None;
        reset_set(&mut self.seen);
        reset_set(&mut self.seen_ints);
        self.duplicates = 0;
    }

    #[inline(always)]
    fn sep(&mut self) {
        if self.items > 0 {
            self.body.push(b',');
        }
        self.items += 1;
    }

    /// Writes `"value":...` (and `field_expire_at_ms` when present).
    fn write(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        out.extend_from_slice(b"\"value\":");
        if let Some(m) = &self.module {
            let v = json!({"module": m.id.name_str(), "encver": m.id.encver(), "serialized_bytes": m.serialized_len});
            let _ = serde_json::to_writer(&mut *out, &v);
            return self.out.write_all(out);
        }
        match self.value_type {
            Some(ValueType::String) => out.extend_from_slice(&self.body),
            Some(ValueType::Hash) => {
                out.push(b'{');
                out.extend_from_slice(&self.body);
                out.push(b'}');
                if !self.field_ttls.is_empty() {
                    out.extend_from_slice(b",\"field_expire_at_ms\":{");
                    out.extend_from_slice(&self.field_ttls);
                    out.push(b'}');
                }
            }
            Some(ValueType::Stream) => {
                let m = self.stream_meta.clone().unwrap_or_default();
                // The fields in this order, as the dump format documents.
                let field = |out: &mut Vec<u8>, name: &str, v: &dyn erased::Json| {
                    let _ = write!(out, "\"{name}\":");
                    v.write_json(out);
                    out.push(b',');
                };
                out.push(b'{');
                field(out, "length", &m.length);
                field(out, "last_id", &id(m.last_id));
                field(out, "first_id", &m.first_id.map(id));
                field(out, "max_deleted_id", &m.max_deleted_id.map(id));
                field(out, "entries_added", &m.entries_added);
                out.extend_from_slice(b"\"entries\":[");
                // The parts go straight to the writer: they may be on disk.
                self.out.write_all(out)?;
                self.stream_entries.copy_to(&mut *self.out)?;
                self.out.write_all(b"],\"groups\":[")?;
                self.stream_groups.copy_to(&mut *self.out)?;
                self.out.write_all(b"]")?;
                if let Some(idmp) = &mut self.stream_idmp {
                    self.out.write_all(b",\"idmp\":")?;
                    idmp.copy_to(&mut *self.out)?;
                }
                return self.out.write_all(b"}");
            }
            _ => {
                out.push(b'[');
                out.extend_from_slice(&self.body);
                out.push(b']');
            }
        }
        self.out.write_all(out)
    }
}

impl<W: Write + ?Sized> ValueVisitor for JsonValue<'_, W> {
    fn string(&mut self, value: Elem<'_>) {
        match value {
            // Escaped straight to the writer, a piece at a time.
            Elem::Bytes(b) if self.streaming && self.err.is_ok() => {
                self.err = crate::escape::write_json_escaped(b, &mut *self.out);
            }
            _ => json_elem(&mut self.body, value),
        }
    }
    fn item(&mut self, value: Elem<'_>) {
        if self.value_type == Some(ValueType::Set) && !self.first_time(value) {
            return;
        }
        self.sep();
        self.elem(value);
        self.spill();
    }
    fn zset_item(&mut self, member: Elem<'_>, score: f64) {
        if !self.first_time(member) {
            return;
        }
        self.sep();
        self.body.push(b'[');
        self.elem(member);
        self.body.push(b',');
        json_f64(&mut self.body, score);
        self.body.push(b']');
        self.spill();
    }
    fn hash_field(&mut self, field: Elem<'_>, value: Elem<'_>, expire_at_ms: Option<i64>) {
        if !self.first_time(field) {
            return;
        }
        self.sep();
        self.elem(field);
        self.body.push(b':');
        self.elem(value);
        if let Some(ms) = expire_at_ms {
            if !self.field_ttls.is_empty() {
                self.field_ttls.push(b',');
            }
            json_elem(&mut self.field_ttls, field);
            let _ = write!(self.field_ttls, ":{ms}");
        }
        self.spill();
    }
    fn stream_entry(&mut self, sid: StreamId, fields: &[(Elem<'_>, Elem<'_>)]) {
        if !self.stream_entries.is_empty() {
            self.stream_entries.mem.push(b',');
        }
        let out = &mut self.stream_entries.mem;
        let _ = write!(out, "{{\"id\":\"{sid}\",\"fields\":[");
        for (i, (f, v)) in fields.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"[" } else { b",[" });
            json_elem(out, *f);
            out.push(b',');
            json_elem(out, *v);
            out.push(b']');
        }
        out.extend_from_slice(b"]}");
        self.stream_entries.settle();
    }
    fn stream_meta(&mut self, meta: &StreamMeta) {
        self.stream_meta = Some(meta.clone());
    }
    fn stream_group(&mut self, g: &Group<'_>) {
        // Written as text as it comes: a group of millions of pending
        // entries costs its JSON, not a value tree per entry.
        if !self.stream_groups.is_empty() {
            self.stream_groups.mem.push(b',');
        }
        let out = &mut self.stream_groups.mem;
        out.extend_from_slice(b"{\"name\":");
        put(out, &escape(&g.name));
        let _ = write!(out, ",\"last_id\":\"{}\",\"entries_read\":", g.last_id);
        put(out, &g.entries_read);
        out.extend_from_slice(b",\"pending\":[");
        for (i, p) in g.pending.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            let _ = write!(
                self.stream_groups.mem,
                "{comma}{{\"id\":\"{}\",\"delivery_time_ms\":{},\"delivery_count\":{}}}",
                p.id, p.delivery_time_ms, p.delivery_count
            );
            self.stream_groups.settle();
        }
        self.stream_groups
            .mem
            .extend_from_slice(b"],\"consumers\":[");
        for (i, c) in g.consumers.iter().enumerate() {
            let out = &mut self.stream_groups.mem;
            out.extend_from_slice(if i == 0 {
                b"{\"name\":"
            } else {
                b",{\"name\":"
            });
            put_stored(out, &c.name, &mut self.scratch);
            let _ = write!(
                out,
                ",\"seen_time_ms\":{},\"active_time_ms\":",
                c.seen_time_ms
            );
            put(out, &c.active_time_ms);
            out.extend_from_slice(b",\"pending\":");
            ids(out, &c.pending);
            out.push(b'}');
            self.stream_groups.settle();
        }
        let out = &mut self.stream_groups.mem;
        out.push(b']');
        if !g.nack.is_empty() {
            out.extend_from_slice(b",\"nack\":");
            ids(out, &g.nack);
        }
        out.push(b'}');
        self.stream_groups.settle();
    }
    fn stream_idmp(&mut self, idmp: &Idmp<'_>) {
        let mut sp = Spool::default();
        let out = &mut sp.mem;
        let _ = write!(
            out,
            "{{\"duration_s\":{},\"max_entries\":{},\"producers\":[",
            idmp.duration_s, idmp.max_entries
        );
        for (i, (pid, entries)) in idmp.producers.iter().enumerate() {
            sp.mem.extend_from_slice(if i == 0 {
                b"{\"producer\":"
            } else {
                b",{\"producer\":"
            });
            put_stored(&mut sp.mem, pid, &mut self.scratch);
            sp.mem.extend_from_slice(b",\"entries\":[");
            for (j, (iid, sid)) in entries.iter().enumerate() {
                sp.mem.extend_from_slice(if j == 0 { b"[" } else { b",[" });
                put_stored(&mut sp.mem, iid, &mut self.scratch);
                let _ = write!(sp.mem, ",\"{sid}\"]");
                sp.settle();
            }
            sp.mem.extend_from_slice(b"]}");
        }
        let _ = write!(
            sp.mem,
            "],\"iids_added\":{},\"iids_duplicates\":{}}}",
            idmp.iids_added, idmp.iids_duplicates
        );
        self.stream_idmp = Some(sp);
    }
    fn module(&mut self, value: &ModuleValue) {
        self.module = Some(*value);
    }
    fn array_item(&mut self, index: u64, value: ArrayElem<'_>) {
        self.sep();
        let _ = write!(self.body, "[{index},");
        match value {
            ArrayElem::Str(e) => self.elem(e),
            ArrayElem::Int(i) => {
                let _ = write!(self.body, "{i}");
            }
            ArrayElem::Float(f) => json_f64(&mut self.body, f),
        }
        self.body.push(b']');
        self.spill();
    }
}

/// Writes the start of one key's JSON line, up to its value; the key
/// is escaped straight to the writer.
fn write_head<W: Write + ?Sized>(
    k: &KeyRecord<'_>,
    module: Option<&ModuleValue>,
    h: &mut Vec<u8>,
    out: &mut W,
) -> crate::Result<()> {
    let mut n = itoa::Buffer::new();
    h.clear();
    h.extend_from_slice(b"{\"db\":");
    h.extend_from_slice(n.format(k.db).as_bytes());
    h.extend_from_slice(b",\"key\":");
    // A scratch only for an LZF-compressed key.
    let mut lzf = Vec::new();
    json_bytes(h, k.key.bytes(&mut lzf)?);
    h.extend_from_slice(b",\"type\":");
    match module {
        Some(m) => json_str(h, &m.id.name_str()),
        None => json_str(h, k.value_type.as_str()),
    }
    h.extend_from_slice(b",\"encoding\":");
    json_str(h, k.encoding.as_str());
    h.extend_from_slice(b",\"expire_at_ms\":");
    match k.expire_at_ms {
        Some(ms) => h.extend_from_slice(n.format(ms).as_bytes()),
        None => h.extend_from_slice(b"null"),
    }
    if let Some(idle) = k.idle_s {
        h.extend_from_slice(b",\"idle_s\":");
        h.extend_from_slice(n.format(idle).as_bytes());
    }
    if let Some(freq) = k.lfu_freq {
        h.extend_from_slice(b",\"lfu_freq\":");
        h.extend_from_slice(n.format(freq).as_bytes());
    }
    h.push(b',');
    out.write_all(h)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grown_member_set_is_dropped_not_cleared() {
        let mut s: foldhash::HashSet<u128> = Default::default();
        s.extend(0..100_000u128);
        reset_set(&mut s);
        assert!(s.is_empty());
        assert_eq!(
            s.capacity(),
            0,
            "a big value's table must not stay for the next key"
        );
        s.extend(0..10u128);
        let small = s.capacity();
        reset_set(&mut s);
        assert!(s.is_empty());
        assert_eq!(s.capacity(), small, "a small table is kept and reused");
    }
}
