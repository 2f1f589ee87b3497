//! rdbscope: offline analysis of Redis and Valkey RDB snapshots.
//!
//! - [`input`] opens a dump (memory map, stdin, gzip/zstd/LZ4 wrappers, AOF
//!   preambles) and hands out the RDB bytes.
//! - [`rdb`] decodes them: [`rdb::Parser`] yields records, values are decoded
//!   into a [`rdb::ValueVisitor`].
//! - [`escape`] is the one rule for printing byte strings.
//! - [`verify`] and [`dump`] are the library side of the commands of the
//!   same name; [`output`] holds writers that only format.

pub mod check;
pub mod diff;
pub mod dump;
pub mod engine;
pub mod escape;
pub mod filter;
pub mod input;
pub mod keys;
pub mod memory;
pub mod output;
pub mod rdb;
pub mod report;
pub mod verify;
