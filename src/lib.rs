//! rdbscope: offline analysis of Redis and Valkey RDB snapshots.
//!
//! - [`input`] opens a dump (memory map, stdin, gzip/zstd/LZ4 wrappers, AOF
//!   preambles) and hands out the RDB bytes.
//! - [`rdb`] decodes them: values are decoded into a [`rdb::ValueVisitor`].
//! - [`scan`] is the one way to read a dump: [`scan::Scanner`] walks the
//!   records (AUX facts, target, templates, checksum) and hands out keys;
//!   [`scan::parallel`] folds them into [`scan::Accumulator`]s on all cores
//!   (a file cut in ranges that each worker frames, or batches one thread frames).
//! - [`memory`] estimates each key's memory on a target server.
//! - [`report`] holds the accumulators and the typed [`report::doc::ReportDoc`];
//!   [`analysis::Analysis`] runs them over files.
//! - [`verify`], [`dump`] and [`keys`] are the ordered consumers of the
//!   scan ([`scan::ordered`] runs `dump` and `keys` on all cores, in file
//!   order); [`check`] and [`diff`] read report documents.
//! - [`output`] holds writers that only format; [`escape`] is the one rule
//!   for printing byte strings, [`units`] prints and parses sizes and times;
//!   [`publish`] puts output files in place whole or not at all.

pub mod analysis;
pub mod check;
pub mod cluster;
pub mod diff;
pub mod dump;
mod error;
pub mod escape;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod keys;
pub mod memory;
pub mod merge;
pub mod output;
pub mod publish;
pub mod rdb;
pub mod report;
pub mod scan;
pub mod units;
pub mod verify;

pub use error::{Error, Result};
