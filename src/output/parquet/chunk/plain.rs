//! `key` and `key_text`: PLAIN pages, each zstd-compressed.

use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::errors::Result;
use parquet::schema::types::ColumnDescPtr;

use super::{Chunk, PAGE_BYTES, PAGE_ROWS, Pages, put_plain};

/// A required byte-array column (`key`, `key_text`): PLAIN pages, each
/// zstd-compressed.
#[derive(Clone, Default)]
pub(crate) struct PlainChunk {
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
            put_plain(&mut self.page, v)?;
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
        let page = std::mem::take(&mut self.page);
        (self.pages).data(page, self.page_rows, Encoding::PLAIN, Some(z), self.rows)?;
        self.rows += self.page_rows;
        self.page_rows = 0;
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
pub(crate) struct Written {
    pages: Pages,
    bytes: Bytes,
    rows: usize,
}

impl Written {
    /// These pages as column `descr`.
    pub fn chunk(&self, descr: ColumnDescPtr) -> Result<Chunk> {
        (self.pages).chunk(
            self.bytes.clone(),
            descr,
            self.rows,
            true,
            Encoding::PLAIN,
            None,
        )
    }
}
