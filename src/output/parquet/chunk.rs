//! Column chunks the writer encodes itself, page by page, with the parquet
//! crate's page API (`Page`, `SerializedPageWriter`, `RleEncoder`,
//! `ColumnChunkMetaData`); the row group writer splices them in beside
//! the chunks of the crate's Arrow writer.
//!
//! Why not the Arrow writer for these: it hashes every value of a
//! dictionary column into its interner again (about 140 instructions a
//! value), though a batch already holds its few values as ids, and it
//! would compress `key_text`'s pages once more though they are `key`'s
//! whenever every key is its own text. On a 41 MB dump these two were a
//! fifth of `keys --format parquet`'s instructions.

use std::collections::HashMap;

use bytes::Bytes;
use parquet::basic::{Compression, Encoding, PageType, ZstdLevel};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::encodings::rle::RleEncoder;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, PageEncodingStats};
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// A data page closes at this many bytes of values or rows (the crate's
/// defaults, so pages look like the Arrow writer's).
const PAGE_BYTES: usize = 1 << 20;
const PAGE_ROWS: usize = 20_000;

/// The zstd level of compressed chunks (the file's, see `ParquetSink`).
pub(super) const ZSTD_LEVEL: i32 = 1;

fn int(n: usize) -> Result<i64> {
    i64::try_from(n).map_err(|_| ParquetError::General("a column chunk past 2^63 bytes".into()))
}

fn io(e: std::io::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

/// A column chunk ready to splice into a row group: its bytes (offsets in
/// `close` are into them) and its metadata.
pub(super) struct Chunk {
    pub bytes: Bytes,
    pub close: ColumnCloseResult,
}

/// Pages written so far, with where each is.
#[derive(Clone, Default)]
struct Pages {
    buf: Vec<u8>,
    /// Data pages only (what the offset index lists).
    locations: Vec<PageLocation>,
    uncompressed: usize,
    dictionary: bool,
}

impl Pages {
    fn write(&mut self, page: CompressedPage, first_row: usize) -> Result<()> {
        let start = self.buf.len();
        let data = page.compressed_page().is_data_page();
        let spec = {
            let mut sink = TrackedWrite::new(&mut self.buf);
            let spec = SerializedPageWriter::new(&mut sink).write_page(page)?;
            sink.into_inner()?;
            spec
        };
        self.uncompressed = self.uncompressed.saturating_add(spec.uncompressed_size);
        if data {
            self.locations.push(PageLocation {
                offset: int(start)?,
                compressed_page_size: i32::try_from(spec.compressed_size)
                    .map_err(|_| ParquetError::General("a page past 2 GiB".into()))?,
                first_row_index: int(first_row)?,
            });
        } else {
            self.dictionary = true;
        }
        Ok(())
    }

    /// The chunk of these pages as column `descr` of `rows` rows.
    fn chunk(
        &self,
        bytes: Bytes,
        descr: ColumnDescPtr,
        rows: usize,
        codec: Compression,
        data_encoding: Encoding,
    ) -> Result<Chunk> {
        let pages = i32::try_from(self.locations.len())
            .map_err(|_| ParquetError::General("too many pages".into()))?;
        let mut stats = Vec::with_capacity(2);
        let mut encodings = vec![Encoding::PLAIN, Encoding::RLE];
        if self.dictionary {
            stats.push(PageEncodingStats {
                page_type: PageType::DICTIONARY_PAGE,
                encoding: Encoding::PLAIN,
                count: 1,
            });
            encodings.push(data_encoding);
        }
        stats.push(PageEncodingStats {
            page_type: PageType::DATA_PAGE,
            encoding: data_encoding,
            count: pages,
        });
        let first_data = self.locations.first().map_or(0, |l| l.offset);
        let metadata = ColumnChunkMetaData::builder(descr)
            .set_compression(codec)
            .set_encodings(encodings)
            .set_num_values(int(rows)?)
            .set_total_compressed_size(int(bytes.len())?)
            .set_total_uncompressed_size(int(self.uncompressed)?)
            .set_data_page_offset(first_data)
            .set_dictionary_page_offset(self.dictionary.then_some(0))
            .set_page_encoding_stats(stats)
            .build()?;
        Ok(Chunk {
            close: ColumnCloseResult {
                bytes_written: bytes.len() as u64,
                rows_written: rows as u64,
                metadata,
                bloom_filter: None,
                column_index: None,
                offset_index: Some(OffsetIndexMetaData {
                    page_locations: self.locations.clone(),
                    unencoded_byte_array_data_bytes: None,
                }),
            },
            bytes,
        })
    }
}

/// A required byte-array column (`key`, `key_text`): PLAIN pages, each
/// zstd-compressed.
#[derive(Clone, Default)]
pub(super) struct PlainChunk {
    pages: Pages,
    /// The page being filled: each value as a 4-byte length and its bytes.
    page: Vec<u8>,
    page_rows: usize,
    rows: usize,
}

impl PlainChunk {
    /// Adds values (each under 2 GiB: the writer refuses longer keys).
    pub fn extend<'a>(
        &mut self,
        values: impl Iterator<Item = &'a [u8]>,
        z: &mut zstd::bulk::Compressor<'_>,
    ) -> Result<()> {
        for v in values {
            let len = u32::try_from(v.len())
                .map_err(|_| ParquetError::General("a value past 4 GiB".into()))?;
            self.page.extend_from_slice(&len.to_le_bytes());
            self.page.extend_from_slice(v);
            self.page_rows += 1;
            if self.page.len() >= PAGE_BYTES || self.page_rows >= PAGE_ROWS {
                self.flush(z)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self, z: &mut zstd::bulk::Compressor<'_>) -> Result<()> {
        if self.page_rows == 0 {
            return Ok(());
        }
        let packed = z.compress(&self.page).map_err(io)?;
        let page = Page::DataPage {
            buf: Bytes::from(packed),
            num_values: u32::try_from(self.page_rows)
                .map_err(|_| ParquetError::General("too many rows in a page".into()))?,
            encoding: Encoding::PLAIN,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        };
        self.pages
            .write(CompressedPage::new(page, self.page.len()), self.rows)?;
        self.rows += self.page_rows;
        self.page_rows = 0;
        self.page.clear();
        Ok(())
    }

    /// The pages, to make a chunk of (one or more columns of the same values).
    pub fn finish(mut self, z: &mut zstd::bulk::Compressor<'_>) -> Result<Written> {
        self.flush(z)?;
        let bytes = Bytes::from(std::mem::take(&mut self.pages.buf));
        Ok(Written {
            pages: self.pages,
            bytes,
            rows: self.rows,
        })
    }
}

/// A finished [`PlainChunk`].
pub(super) struct Written {
    pages: Pages,
    bytes: Bytes,
    rows: usize,
}

impl Written {
    /// These pages as column `descr`.
    pub fn chunk(&self, descr: ColumnDescPtr) -> Result<Chunk> {
        let codec = Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?);
        self.pages
            .chunk(self.bytes.clone(), descr, self.rows, codec, Encoding::PLAIN)
    }
}

/// Distinct values at which a [`Dict`] looks values up by hash instead of
/// one by one.
const SCAN: usize = 16;

/// Distinct texts, each with its id (its place in `values`).
#[derive(Default)]
struct Dict {
    values: Vec<Box<str>>,
    /// Filled once there are more than [`SCAN`] values.
    index: HashMap<Box<str>, u32>,
}

impl Dict {
    /// `v`'s id, added if new.
    fn id(&mut self, v: &str) -> u32 {
        if self.values.len() <= SCAN {
            if let Some(i) = self
                .values
                .iter()
                .position(|l| same(l.as_bytes(), v.as_bytes()))
            {
                return i as u32;
            }
        } else if let Some(&i) = self.index.get(v) {
            return i;
        }
        let id = self.values.len() as u32;
        self.values.push(v.into());
        if self.values.len() > SCAN {
            if self.index.is_empty() {
                let all = self.values.iter().enumerate();
                self.index = all.map(|(i, v)| (v.clone(), i as u32)).collect();
            } else {
                self.index.insert(v.into(), id);
            }
        }
        id
    }
}

/// A batch's text column of few distinct values (`type`, `encoding`…):
/// each row's id in the batch's own dictionary.
#[derive(Default)]
pub(super) struct Coded {
    dict: Dict,
    ids: Vec<u32>,
    last: u32,
    /// Ids of `&'static str`s by address (and length): no byte compare.
    statics: Vec<(usize, usize, u32)>,
}

/// Whether two short texts are equal, without a call to `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| {
        s.get(i..i + 8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
    };
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

impl Coded {
    #[inline]
    pub fn push(&mut self, v: &str) {
        let last = self.last as usize;
        if !self
            .dict
            .values
            .get(last)
            .is_some_and(|l| same(l.as_bytes(), v.as_bytes()))
        {
            self.last = self.dict.id(v);
        }
        self.ids.push(self.last);
    }

    /// [`Coded::push`] of a text whose bytes never change at its address.
    #[inline]
    pub fn push_static(&mut self, v: &'static str) {
        let at = (v.as_ptr() as usize, v.len());
        let id = match self.statics.iter().find(|(p, n, _)| (*p, *n) == at) {
            Some(&(_, _, id)) => id,
            None => {
                let id = self.dict.id(v);
                self.statics.push((at.0, at.1, id));
                id
            }
        };
        self.ids.push(id);
    }

    /// Bytes held (for the queue's budget).
    pub fn bytes(&self) -> usize {
        let text: usize = self.dict.values.iter().map(|v| v.len() + 16).sum();
        self.ids.len() * 4 + text * 2
    }
}

/// A required text column written as a dictionary page and RLE-coded ids
/// (uncompressed: runs of ids leave zstd nothing).
#[derive(Default)]
pub(super) struct DictChunk {
    dict: Dict,
    /// The rows' ids as runs (id, rows): a label's column is one run, not
    /// 4 bytes a row.
    runs: Vec<(u32, usize)>,
    rows: usize,
}

impl DictChunk {
    fn run(&mut self, id: u32, n: usize) {
        self.rows += n;
        match self.runs.last_mut() {
            Some((last, rows)) if *last == id => *rows += n,
            _ => self.runs.push((id, n)),
        }
    }

    /// A batch's rows.
    pub fn extend(&mut self, c: &Coded) {
        let ids: Vec<u32> = c.dict.values.iter().map(|v| self.dict.id(v)).collect();
        for &i in &c.ids {
            self.run(ids.get(i as usize).copied().unwrap_or(0), 1);
        }
    }

    /// `n` rows of `v`.
    pub fn repeat(&mut self, v: &str, n: usize) {
        let id = self.dict.id(v);
        self.run(id, n);
    }

    pub fn finish(self, descr: ColumnDescPtr) -> Result<Chunk> {
        let mut pages = Pages::default();
        let mut dict = Vec::new();
        for v in &self.dict.values {
            let len = u32::try_from(v.len())
                .map_err(|_| ParquetError::General("a value past 4 GiB".into()))?;
            dict.extend_from_slice(&len.to_le_bytes());
            dict.extend_from_slice(v.as_bytes());
        }
        let size = dict.len();
        let page = Page::DictionaryPage {
            buf: Bytes::from(dict),
            num_values: u32::try_from(self.dict.values.len())
                .map_err(|_| ParquetError::General("too many distinct values".into()))?,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        };
        pages.write(CompressedPage::new(page, size), 0)?;
        // Bits an id takes (0 for a dictionary of one value).
        let width =
            (u64::BITS - (self.dict.values.len().saturating_sub(1) as u64).leading_zeros()) as u8;
        let mut runs = self.runs.into_iter();
        let mut run = runs.next();
        let mut first = 0;
        while first < self.rows {
            let n = PAGE_ROWS.min(self.rows - first);
            let mut buf = Vec::with_capacity(RleEncoder::max_buffer_size(width, n) + 1);
            buf.push(width);
            let mut rle = RleEncoder::new_from_buf(width, buf);
            let mut left = n;
            while left > 0 {
                let Some((id, rows)) = &mut run else { break };
                let take = left.min(*rows);
                for _ in 0..take {
                    rle.put(u64::from(*id));
                }
                (*rows, left) = (*rows - take, left - take);
                if *rows == 0 {
                    run = runs.next();
                }
            }
            let buf = rle.consume();
            let size = buf.len();
            let page = Page::DataPage {
                buf: Bytes::from(buf),
                num_values: n as u32,
                encoding: Encoding::RLE_DICTIONARY,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            };
            pages.write(CompressedPage::new(page, size), first)?;
            first += n;
        }
        let bytes = Bytes::from(std::mem::take(&mut pages.buf));
        pages.chunk(
            bytes,
            descr,
            self.rows,
            Compression::UNCOMPRESSED,
            Encoding::RLE_DICTIONARY,
        )
    }
}
