//! Column chunks the writer encodes itself, page by page, with the parquet
//! crate's page API (`Page`, `SerializedPageWriter`, `ColumnChunkMetaData`);
//! the row group writer splices them in beside the chunks of the crate's
//! Arrow writer: keys as PLAIN pages ([`plain`]), texts of few values as
//! dictionaries ([`dict`]), integers delta bit-packed ([`delta`]).
//!
//! Why not the Arrow writer for these: it hashes every value of a
//! dictionary column into its interner (about 140 instructions a value),
//! though a batch already holds its few values as ids; it would compress
//! `key_text`'s pages once more though they are `key`'s whenever every key
//! is its own text; and its delta encoder took about 84 instructions a
//! value. On a 41 MB dump, writing these columns here took
//! `keys --format parquet --threads 1` from 2.57 G instructions to 1.75 G
//! (the CSV takes 1.31 G). The crate has no public way to hand it ids or
//! finished pages, but a public page API: the pages are the format's own
//! encodings, checked against the crate's decoders in the tests.

mod bits;
mod delta;
mod dict;
mod plain;

pub(crate) use delta::{DeltaChunk, Ints};
pub(crate) use dict::{Coded, DictChunk};
pub(crate) use plain::PlainChunk;

#[cfg(test)]
pub(crate) use bits::tests::Rng;

use bytes::Bytes;
use parquet::basic::{Compression, Encoding, PageType, ZstdLevel};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, PageEncodingStats};
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::statistics::Statistics;
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// A data page closes at this many bytes of values or rows (the crate's
/// defaults, so pages look like the Arrow writer's).
const PAGE_BYTES: usize = 1 << 20;
const PAGE_ROWS: usize = 20_000;

/// The zstd level of compressed chunks (the file's, see `ParquetSink`).
pub(crate) const ZSTD_LEVEL: i32 = 1;

pub(crate) fn int(n: usize) -> Result<i64> {
    i64::try_from(n).map_err(|_| ParquetError::General("a column chunk past 2^63 bytes".into()))
}

pub(crate) fn io(e: std::io::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

/// A column chunk ready to splice into a row group: its bytes (offsets in
/// `close` are into them) and its metadata.
pub(crate) struct Chunk {
    pub bytes: Bytes,
    pub close: ColumnCloseResult,
}

/// Pages written so far, with where each is.
#[derive(Clone, Default)]
pub(crate) struct Pages {
    buf: Vec<u8>,
    /// Data pages only (what the offset index lists).
    locations: Vec<PageLocation>,
    uncompressed: usize,
    dictionary: bool,
}

/// Appends `v` as a PLAIN byte array (its length, then its bytes).
pub(crate) fn put_plain(page: &mut Vec<u8>, v: &[u8]) -> Result<()> {
    let len =
        u32::try_from(v.len()).map_err(|_| ParquetError::General("a value past 4 GiB".into()))?;
    page.extend_from_slice(&len.to_le_bytes());
    page.extend_from_slice(v);
    Ok(())
}

/// A page's bytes as written: zstd-compressed with a compressor, or as
/// they are.
fn packed(page: Vec<u8>, z: Option<&mut zstd::bulk::Compressor<'_>>) -> Result<Bytes> {
    Ok(Bytes::from(match z {
        Some(z) => z.compress(&page).map_err(io)?,
        None => page,
    }))
}

impl Pages {
    /// `page` (levels, then values) as a data page of `rows` rows in
    /// `encoding`, the first being row `first` of the chunk.
    pub fn data(
        &mut self,
        page: Vec<u8>,
        rows: usize,
        encoding: Encoding,
        z: Option<&mut zstd::bulk::Compressor<'_>>,
        first: usize,
    ) -> Result<()> {
        let size = page.len();
        let page = Page::DataPage {
            buf: packed(page, z)?,
            num_values: u32::try_from(rows)
                .map_err(|_| ParquetError::General("too many rows in a page".into()))?,
            encoding,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        };
        self.write(CompressedPage::new(page, size), first)
    }

    /// `page` (PLAIN values) as the chunk's dictionary page.
    pub fn dictionary(
        &mut self,
        page: Vec<u8>,
        values: usize,
        z: Option<&mut zstd::bulk::Compressor<'_>>,
    ) -> Result<()> {
        let size = page.len();
        let page = Page::DictionaryPage {
            buf: packed(page, z)?,
            num_values: u32::try_from(values)
                .map_err(|_| ParquetError::General("too many distinct values".into()))?,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        };
        self.write(CompressedPage::new(page, size), 0)
    }

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
    pub fn chunk(
        &self,
        bytes: Bytes,
        descr: ColumnDescPtr,
        rows: usize,
        compress: bool,
        data_encoding: Encoding,
        statistics: Option<Statistics>,
    ) -> Result<Chunk> {
        let codec = match compress {
            true => Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?),
            false => Compression::UNCOMPRESSED,
        };
        let pages = i32::try_from(self.locations.len())
            .map_err(|_| ParquetError::General("too many pages".into()))?;
        let mut stats = Vec::with_capacity(2);
        // Levels are RLE, even where a required column has none (as the
        // crate lists them).
        let mut encodings = vec![Encoding::RLE, data_encoding];
        if self.dictionary {
            encodings.push(Encoding::PLAIN);
            stats.push(PageEncodingStats {
                page_type: PageType::DICTIONARY_PAGE,
                encoding: Encoding::PLAIN,
                count: 1,
            });
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
            .set_page_encoding_stats(stats);
        let metadata = match statistics {
            Some(s) => metadata.set_statistics(s),
            None => metadata,
        }
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
