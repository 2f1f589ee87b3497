//! The one way to read a dump.
//!
//! [`Scanner`] owns the walk of a file's records: the header, AUX facts
//! (producer, version, ctime, used-mem, aof-base), the target the estimates
//! are for, hash templates, functions, module aux data, warnings and the
//! checksum policy (a stored CRC-64 that does not match is an error, at
//! the offset of the stored checksum). It hands out key records only;
//! every command is a consumer of it:
//!
//! - ordered consumers pull keys with [`Scanner::next_key`] and decode
//!   them with [`Scanner::templates`] (`verify`), or hand batches of them
//!   to workers whose output is written in file order ([`ordered`]:
//!   `dump`, `keys`);
//! - the reports fold [`KeyFacts`] into [`Accumulator`]s on all cores
//!   ([`parallel::fold_file`]): each worker walks a byte range of the file
//!   with its own scanner (resumed at a guessed and then checked record
//!   boundary, see `chunked`), or folds batches one scanner frames.
//!
//! A [`ScanCheckpoint`] captures the whole scanner state between records
//! (templates and target included), so a walk resumed from it sees exactly
//! what a linear one does.

pub mod accumulate;
mod chunked;
pub mod facts;
pub mod filter;
pub mod key;
pub mod ordered;
pub mod parallel;

use std::sync::Arc;
use std::time::Duration;

pub use accumulate::Accumulator;
pub use facts::{Copies, FileFacts, copy_warning, is_copy_warning};
pub use filter::KeyFilter;
pub use key::{KeyFacts, KeyReader, KeySource};

use crate::input::Feed;
use crate::memory::{Detail, ResolvedTarget, TargetChoice};
use crate::rdb::{self, Checksum, KeyRecord, Parser, Record, Templates};

/// What a scan of one file on all cores gives.
pub struct Folded<A> {
    pub acc: A,
    pub facts: FileFacts,
    /// Record boundaries, in order: lets a later walk split the file the
    /// same way.
    pub checkpoints: Vec<ScanCheckpoint>,
}

/// How keys are read: the target, the filter and how much of each value.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub choice: TargetChoice,
    pub filter: KeyFilter,
    pub detail: Detail,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            choice: TargetChoice::default(),
            filter: KeyFilter::default(),
            detail: Detail::Elements,
        }
    }
}

/// The scanner's state between two records.
#[derive(Clone, Debug)]
pub struct ScanCheckpoint {
    parser: rdb::Checkpoint,
    target: Option<Arc<ResolvedTarget>>,
    ctime_ms: Option<i64>,
}

impl ScanCheckpoint {
    pub fn offset(&self) -> u64 {
        self.parser.offset
    }
}

/// Walks the records of one RDB stream (see the module docs).
pub struct Scanner<'a> {
    p: Parser<'a>,
    choice: TargetChoice,
    facts: FileFacts,
    target: Option<Arc<ResolvedTarget>>,
    /// Stop before this offset (a resumed walk over one range).
    end: Option<u64>,
    /// Check the stored CRC-64 at EOF (a resumed walk over a file the
    /// first walk checked does not pay for it again).
    check_crc: bool,
    /// Pieces of the file's CRC-64 other threads compute (a scan in
    /// ranges): the walk that reads EOF combines them.
    crc_pieces: Option<Arc<rdb::CrcPieces>>,
    /// The last AUX `redis-ver` / `valkey-ver`, for the target.
    redis_ver: Option<String>,
    valkey_ver: Option<String>,
    /// Databases with keys so far (`facts.dbs` keeps their order).
    dbs_seen: foldhash::HashSet<u64>,
    /// A stream still arriving (`None`: all the bytes are there).
    feed: Option<Feed<'a>>,
    /// The last error of a stream's record, waited past once.
    stream_error: Option<(u64, rdb::ErrorKind)>,
    /// AUX bytes kept so far.
    aux_bytes: u64,
    /// The AUX budget is spent: later fields are checked, not copied.
    aux_full: bool,
    /// A decompressed input, whose records are counted against what it
    /// was decompressed from ([`Feed::record_budget`]).
    wrapped: Option<Feed<'a>>,
    /// Records read so far.
    records: u64,
    /// The LZF total at the last [`Scanner::check_inflation`].
    lzf_checked: u64,
    /// The EOF opcode was read.
    eof: bool,
    /// AUX records read.
    aux_records: u64,
}

/// How long the end of a stream is awaited to tell what follows the
/// dump (a producer may keep its pipe open after the dump).
const TAIL_WAIT: Duration = Duration::from_secs(1);
/// How much of what follows a compressed file's dump is looked at.
const TAIL_LOOK: u64 = 64 << 10;

impl<'a> Scanner<'a> {
    /// Reads the header of `data` (an RDB stream starting at its magic).
    pub fn new(data: &'a [u8], choice: &TargetChoice) -> rdb::Result<Scanner<'a>> {
        let p = Parser::new(data)?;
        let facts = FileFacts {
            rdb_version: p.header().version,
            family: Some(p.family()),
            warnings: p.warnings().to_vec(),
            decoded_bytes: p.offset(),
            ..FileFacts::default()
        };
        Ok(Scanner {
            p,
            choice: choice.clone(),
            facts,
            target: None,
            end: None,
            check_crc: true,
            crc_pieces: None,
            redis_ver: None,
            valkey_ver: None,
            dbs_seen: Default::default(),
            feed: None,
            stream_error: None,
            aux_bytes: 0,
            aux_full: false,
            wrapped: None,
            records: 0,
            lzf_checked: 0,
            eof: false,
            aux_records: 0,
        })
    }

    /// A scanner over bytes as they arrive ([`Feed`]): a stream is read
    /// while it is still being copied.
    pub fn from_feed(feed: Feed<'a>, choice: &TargetChoice) -> rdb::Result<Scanner<'a>> {
        let (data, _) = feed.wait(16);
        let mut s = Scanner::new(data, choice).map_err(|e| stream_failure(feed, e))?;
        s.feed = feed.is_streaming().then_some(feed);
        s.wrapped = feed.record_budget().is_some().then_some(feed);
        Ok(s)
    }

    /// A scanner resumed at `at` that stops before `end` (`None`: at EOF),
    /// over a file a first walk has read whole (its checksum is not checked
    /// again). Its facts cover that range only.
    pub fn resume(
        data: &'a [u8],
        choice: &TargetChoice,
        at: &ScanCheckpoint,
        end: Option<u64>,
    ) -> rdb::Result<Scanner<'a>> {
        let mut s = Scanner::new(data, choice)?;
        s.p = Parser::resume(data, &at.parser)?;
        s.target = at.target.clone();
        s.facts.ctime_ms = at.ctime_ms;
        s.facts.family = Some(s.p.family());
        s.facts.decoded_bytes = s.p.offset();
        s.end = end;
        s.check_crc = false;
        Ok(s)
    }

    pub fn checkpoint(&self) -> ScanCheckpoint {
        ScanCheckpoint {
            parser: self.p.checkpoint(),
            target: self.target.clone(),
            ctime_ms: self.facts.ctime_ms,
        }
    }

    /// Hash templates registered so far: what decoding the last key needs.
    pub fn templates(&self) -> &Templates {
        self.p.templates()
    }

    /// What the LZF strings framed so far declare they inflate to.
    pub(crate) fn lzf_declared(&self) -> u64 {
        self.p.lzf_declared()
    }

    /// The largest of them.
    pub(crate) fn lzf_largest(&self) -> u64 {
        self.p.lzf_largest()
    }

    /// The database the next key belongs to.
    pub(crate) fn db(&self) -> u64 {
        self.p.db()
    }

    /// Whether a SELECTDB was read.
    pub(crate) fn selected(&self) -> bool {
        self.p.selected()
    }

    /// Whether the EOF opcode was read.
    pub(crate) fn at_eof(&self) -> bool {
        self.eof
    }

    /// Whether the walk met anything a walk in byte ranges cannot merge
    /// exactly as one walk has it: an AUX record, a warning.
    pub(crate) fn unusual(&self) -> bool {
        self.aux_records > 0 || !self.facts.warnings.is_empty() || !self.p.warnings().is_empty()
    }

    /// Redis or Valkey, as the records read so far tell.
    pub(crate) fn family(&self) -> rdb::Family {
        self.p.family()
    }

    /// A scanner that checks the stored CRC-64 at EOF after all (the walk
    /// that reaches the end of a file split in ranges), from `pieces` other
    /// threads computed and the bytes after them.
    pub(crate) fn checking_crc(mut self, pieces: &Arc<rdb::CrcPieces>) -> Self {
        self.check_crc = true;
        self.crc_pieces = Some(pieces.clone());
        self
    }

    /// Offset of the next byte to read.
    pub fn offset(&self) -> u64 {
        self.p.offset()
    }

    pub fn facts(&self) -> &FileFacts {
        &self.facts
    }

    /// The target for this file: resolved at the first key from the AUX
    /// fields before it (or now, for a file without keys).
    pub fn target(&mut self) -> &Arc<ResolvedTarget> {
        let (header, family) = (self.p.header(), self.p.family());
        let (redis, valkey) = (self.redis_ver.as_deref(), self.valkey_ver.as_deref());
        self.target
            .get_or_insert_with(|| Arc::new(self.choice.resolve(header, family, redis, valkey)))
    }

    /// The target, once a key has been read (it is resolved then and does
    /// not change).
    pub fn resolved_target(&self) -> Option<&ResolvedTarget> {
        self.target.as_deref()
    }

    /// The facts once the walk is over (or stopped).
    pub fn finish(mut self) -> FileFacts {
        let t = self.target().as_ref().clone();
        self.facts.target = Some(t);
        self.facts.family = Some(self.p.family());
        for w in self.p.warnings() {
            self.facts.warn_once(w.clone());
        }
        self.facts
    }

    /// The next key record; `None` after the EOF opcode (or the end of a
    /// resumed range). This is the one record loop: every other record is
    /// handled here. A stored checksum that does not match is an error.
    #[inline(always)]
    pub fn next_key(&mut self) -> rdb::Result<Option<KeyRecord<'a>>> {
        // The consumer came back: everything handed out so far was accepted.
        self.facts.decoded_bytes = self.p.offset();
        loop {
            if self.end.is_some_and(|e| self.p.offset() >= e) {
                return Ok(None);
            }
            let rec = match self.feed {
                None => self.p.next_record()?,
                Some(feed) => match self.next_arriving(feed)? {
                    Some(rec) => rec,
                    None => continue,
                },
            };
            let Some(rec) = rec else {
                return Ok(None);
            };
            self.records += 1;
            if self.records & (BUDGET_EVERY - 1) == 0 {
                self.check_budget()?;
            }
            if self.p.lzf_declared() != self.lzf_checked {
                self.check_inflation()?;
            }
            match rec {
                Record::Aux { .. } => self.aux_records += 1,
                Record::Eof(_) => self.eof = true,
                _ => {}
            }
            match rec {
                Record::Key(k) => {
                    if self.target.is_none() {
                        self.target();
                    }
                    self.facts.key_records += 1;
                    // Databases that hold keys, in order (a file may select
                    // millions of empty ones).
                    if self.facts.dbs.last() != Some(&k.db) && self.dbs_seen.insert(k.db) {
                        self.facts.dbs.push(k.db);
                    }
                    return Ok(Some(k));
                }
                Record::Aux { key, value }
                    if self.aux_full
                        && !matches!(key, rdb::RdbStr::Raw(k) if AUX_READ.contains(&k)) =>
                {
                    // Past the budget: checked, neither copied nor kept.
                    key.check()?;
                    value.check()?;
                }
                Record::Aux { key, value } => {
                    // Long ones are checked whole but kept shortened.
                    let key = key.checked_prefix(MAX_AUX_VALUE)?;
                    let (len, value) = (value.len(), value.checked_prefix(MAX_AUX_VALUE)?);
                    self.aux(key, value, len);
                }
                Record::Function { code } | Record::FunctionPreGa { code, .. } => {
                    // Checked (an LZF body must decompress) though nothing reads it.
                    code.check()?;
                    self.facts.functions += 1;
                }
                Record::ModuleAux { .. } => self.facts.module_aux += 1,
                Record::HashTemplate { .. } => self.facts.hash_templates += 1,
                Record::Eof(eof) if !self.check_crc => {
                    self.facts.trailing_bytes = eof.trailing;
                }
                Record::Eof(eof) => {
                    self.facts.stored_checksum = eof.stored_checksum.filter(|&c| c != 0);
                    let sum = match (&self.crc_pieces, self.feed) {
                        (Some(p), _) => eof.verify_with(|covered| p.crc(covered)),
                        // A stream's CRC was kept as it arrived (a live
                        // source has released its first bytes by now).
                        (None, Some(feed)) => eof.verify_with(|covered| {
                            feed.crc_of(covered).unwrap_or_else(|| rdb::crc64(covered))
                        }),
                        (None, None) => eof.verify(),
                    };
                    self.facts.checksum = Some(sum);
                    match self.feed.take() {
                        None => self.trailing(eof.trailing, eof.tail_head),
                        Some(feed) => self.stream_tail(feed),
                    }
                    self.facts.decoded_bytes = self.p.offset();
                    if let Checksum::Mismatch { stored, computed } = sum {
                        return Err(rdb::Error::new(
                            eof.offset + 1,
                            rdb::ErrorKind::ChecksumMismatch { stored, computed },
                        ));
                    }
                }
                Record::SelectDb { .. }
                | Record::ResizeDb { .. }
                | Record::SlotInfo { .. }
                | Record::SlotImport { .. } => {}
            }
            self.facts.decoded_bytes = self.p.offset();
        }
    }

    /// Stops a decompressed input that holds far more records than its
    /// compressed size allows (a bomb of tiny records; see
    /// [`Feed::record_budget`]).
    fn check_budget(&self) -> rdb::Result<()> {
        let Some((compressed, budget)) = self.wrapped.and_then(|f| f.record_budget()) else {
            return Ok(());
        };
        if self.records <= budget {
            return Ok(());
        }
        Err(rdb::Error::new(
            self.p.offset(),
            rdb::ErrorKind::Input(format!(
                "{} records out of {compressed} compressed bytes: more than {} a compressed \
                 byte, which no dump holds (a decompression bomb?); if it is real, pipe it in \
                 decompressed (e.g. zstd -dc FILE | rdbscope report -)",
                self.records,
                crate::input::RECORDS_PER_BYTE,
            )),
        ))
    }

    /// Stops a decompressed input whose LZF values would inflate it past
    /// the wrappers' own limit ([`crate::input::MAX_EXPANSION`] times its
    /// compressed size, past 64 MiB): LZF inside zstd multiplies both
    /// ratios, and a few KB could otherwise hold gigabytes of values.
    fn check_inflation(&mut self) -> rdb::Result<()> {
        use crate::input::{BOMB_FLOOR, MAX_EXPANSION};
        let lzf = self.p.lzf_declared();
        self.lzf_checked = lzf;
        let Some(compressed) = self.wrapped.and_then(|f| f.compressed()) else {
            return Ok(());
        };
        let total = self.p.offset().saturating_add(lzf);
        if total <= BOMB_FLOOR || total / MAX_EXPANSION <= compressed {
            return Ok(());
        }
        Err(rdb::Error::new(
            self.p.offset(),
            rdb::ErrorKind::Input(format!(
                "{total} bytes, counting the {lzf} its LZF values inflate to, out of \
                 {compressed} compressed: more than {MAX_EXPANSION} times, which no dump \
                 compresses to (a decompression bomb?); if it is real, pipe it in \
                 decompressed (e.g. zstd -dc FILE | rdbscope report -)"
            )),
        ))
    }

    /// One record of a stream still arriving. A record that runs past the
    /// bytes there so far (or fails for any reason before the stream is
    /// complete) is read again once at least twice as many bytes follow
    /// its start (and more than now), so a long value is read at most about
    /// twice, and nothing waits for bytes the record does not need.
    /// `Ok(None)`: read again.
    fn next_arriving(&mut self, feed: Feed<'a>) -> rdb::Result<Option<Option<Record<'a>>>> {
        let at = self.p.offset();
        let (data, complete) = feed.now();
        self.p.extend(data);
        if complete {
            return self
                .p
                .next_record()
                .map(Some)
                .map_err(|e| stream_failure(feed, e));
        }
        let mark = self.p.mark();
        let before = self.p.data_len();
        match self.p.next_record() {
            Ok(r) => {
                self.stream_error = None;
                Ok(Some(r))
            }
            // The same error again with twice the bytes: waiting longer
            // does not help (garbage after a header must not be copied
            // in until the stream ends).
            Err(e) if self.stream_error.as_ref() == Some(&(e.offset, e.kind.clone())) => {
                Err(stream_failure(feed, e))
            }
            // A pipe or server that says a record needs more than a record
            // may hold is not waited for to the end of its stream.
            Err(e)
                if let Some(need) = e
                    .kind
                    .needs()
                    .filter(|n| !feed.ends() && *n > MAX_STREAM_RECORD) =>
            {
                Err(rdb::Error::new(
                    e.offset,
                    rdb::ErrorKind::Input(format!(
                        "a record says it needs {need} more bytes: more than a record read from \
                         a stream may hold in memory ({} GiB); save the dump to a file and read \
                         that",
                        MAX_STREAM_RECORD >> 30
                    )),
                ))
            }
            Err(e) => {
                self.stream_error = Some((e.offset, e.kind.clone()));
                let window = before.saturating_sub(at);
                let want = at.saturating_add(window.saturating_mul(2)).max(before);
                let (data, complete) = feed.wait(want);
                if complete && data.len() as u64 == before {
                    return Err(stream_failure(feed, e));
                }
                self.p.rewind(mark, data);
                Ok(None)
            }
        }
    }

    /// At the EOF of a stream still arriving: stops the copy after a look
    /// at what follows (without waiting long: a producer may keep its pipe
    /// open).
    fn stream_tail(&mut self, feed: Feed<'a>) {
        let end = self.p.offset();
        if feed.ends() {
            // A compressed file: its tail is looked at up to TAIL_LOOK
            // bytes whatever the timing, so the same file is told the same.
            let (data, complete) = feed.wait(end.saturating_add(TAIL_LOOK));
            let failed = feed.failure().filter(|_| complete);
            feed.stop();
            let tail = data.get(end as usize..).unwrap_or(&[]);
            let n = (tail.len() as u64).min(TAIL_LOOK);
            self.facts.trailing_unread = n == TAIL_LOOK;
            self.trailing(n, tail.get(..64).unwrap_or(tail));
            self.after_the_frames(failed);
            return;
        }
        let (data, complete) = feed.wait_for(end.saturating_add(64), TAIL_WAIT);
        self.after_the_frames(feed.failure().filter(|_| complete));
        feed.stop();
        let tail = data.get(end as usize..).unwrap_or(&[]);
        // Nothing yet after the dump from a pipe left open: nothing to say.
        self.facts.trailing_unread = !complete && !tail.is_empty();
        self.trailing(tail.len() as u64, tail.get(..64).unwrap_or(tail));
    }

    /// Bytes after the last compressed frame that are not one (garbage, or
    /// a sparse file's zeros) stop its decompressor once the dump has
    /// ended: said, as bytes after a plain dump are.
    fn after_the_frames(&mut self, failed: Option<String>) {
        if let Some(why) = failed {
            // A decompressor's error, or a live server's transfer that
            // announced more than the dump holds.
            let what = if self.wrapped.is_some() {
                "the compressed input does not decompress"
            } else {
                "the input failed"
            };
            self.facts
                .warn_once(format!("after the dump, {what} ({why}); ignored"));
        }
    }

    /// Notes what follows the RDB: an AOF tail or a replication end mark
    /// are expected; anything else is said in a warning with its size.
    fn trailing(&mut self, trailing: u64, head: &[u8]) {
        self.facts.trailing_bytes = trailing;
        let at_least = if self.facts.trailing_unread {
            "at least "
        } else {
            ""
        };
        self.facts.trailing_kind = if trailing == 0 && !self.facts.trailing_unread {
            ""
        } else if head.first() == Some(&b'*') {
            "aof"
        } else if trailing == 40 && head.iter().all(u8::is_ascii_alphanumeric) {
            "eof-mark"
        } else {
            self.facts.warn_once(format!(
                "{at_least}{trailing} bytes after the RDB's checksum are neither an AOF tail nor \
                 a replication end mark; ignored"
            ));
            "unknown"
        };
    }

    fn aux(&mut self, key: Vec<u8>, value: Vec<u8>, len: u64) {
        let text = || String::from_utf8_lossy(&value).trim().to_string();
        match key.as_slice() {
            b"ctime" => {
                let s = text();
                self.facts.ctime_ms = match s.parse::<i64>() {
                    Ok(c) => match c.checked_mul(1000) {
                        Some(ms) => Some(ms),
                        None => {
                            self.facts
                                .warn_once(format!("AUX ctime {c} is out of range; ignored"));
                            None
                        }
                    },
                    Err(_) => None,
                };
            }
            b"used-mem" => self.facts.used_mem = text().parse().ok(),
            b"redis-ver" => self.redis_ver = Some(text()),
            b"valkey-ver" => self.valkey_ver = Some(text()),
            b"aof-base" => self.facts.aof_base = text() == "1",
            _ => {}
        }
        if len > value.len() as u64 {
            self.facts.warn_once(format!(
                "AUX {} holds {len} bytes; only the first {MAX_AUX_VALUE} are kept",
                crate::escape::escape(key.get(..64).unwrap_or(&key)),
            ));
        }
        // Real dumps hold a dozen AUX fields; a crafted one could hold
        // thousands of 1 MiB ones.
        // Each kept pair also costs its two vectors (counted so that
        // millions of empty pairs are not kept either).
        let size = (key.len() + value.len()) as u64 + AUX_PAIR_OVERHEAD;
        if self.aux_full || self.aux_bytes.saturating_add(size) > MAX_AUX_TOTAL {
            if !self.aux_full {
                self.facts.warn_once(format!(
                    "AUX fields past the first {MAX_AUX_TOTAL} bytes are not kept"
                ));
                // From now on the others are not even copied.
                self.aux_full = true;
            }
            // The fields the output names (producer, version) are kept
            // still, one of each.
            if AUX_READ.contains(&key.as_slice()) && value.len() <= 1024 {
                match self.facts.aux.iter_mut().find(|(k, _)| *k == key) {
                    Some(kept) => kept.1 = value,
                    None => self.facts.aux.push((key, value)),
                }
            }
            return;
        }
        self.aux_bytes += size;
        self.facts.aux.push((key, value));
    }
}

/// Running out of bytes in a stream that failed (a read or decompression
/// error, a bomb stopped) is that failure: the bytes just stopped there.
/// Any other error found in a stream that failed is told with the failure,
/// which may have caused it (a count checked against the bytes left).
fn stream_failure(feed: Feed<'_>, e: rdb::Error) -> rdb::Error {
    let short = matches!(
        e.kind,
        rdb::ErrorKind::Truncated { .. } | rdb::ErrorKind::ShortHeader
    );
    let Some(why) = feed.failure() else {
        return e;
    };
    let end = feed.now().0.len() as u64;
    if short {
        return rdb::Error::new(end, rdb::ErrorKind::Input(why));
    }
    rdb::Error::new(
        end,
        rdb::ErrorKind::Input(format!(
            "{why}; before it stopped, decoding had failed: {e}"
        )),
    )
}

/// The most one record of a pipe or a live server may say it needs: the scan holds a record whole, and a declared
/// length past this is taken for damage rather than waited for. (Redis
/// strings stop at 512 MB; a collection's record rarely reaches GBs.)
const MAX_STREAM_RECORD: u64 = 4 << 30;

/// Records between two looks at the record budget.
const BUDGET_EVERY: u64 = 1 << 16;

/// AUX bytes kept in all (see [`Scanner::aux`]).
const MAX_AUX_TOTAL: u64 = 8 << 20;
/// The AUX fields the scan reads (kept whatever the budget).
const AUX_READ: [&[u8]; 5] = [
    b"ctime",
    b"used-mem",
    b"redis-ver",
    b"valkey-ver",
    b"aof-base",
];
/// Two `Vec`s and their allocations, about.
const AUX_PAIR_OVERHEAD: u64 = 64;

/// AUX values longer than this are kept shortened (with a warning): real
/// ones are short (Redis Enterprise's CRDT backlogs reach tens of KiB), and
/// a crafted file could make one gigabytes.
const MAX_AUX_VALUE: usize = 1 << 20;
