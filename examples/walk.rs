//! The record-walk floor for the benchmarks: frames every record of a dump
//! with the scan's own loop ([`Scanner::next_key`]: opcodes, lengths, the
//! checksum) and decodes nothing, so `benches/speed.sh` can tell how far each
//! command is from the cost of merely walking the file.
//!
//! `cargo run --release --example walk -- DUMP`

use rdbscope::memory::TargetChoice;
use rdbscope::scan::Scanner;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os().nth(1).ok_or("usage: walk DUMP")?;
    let file = std::fs::File::open(path)?;
    // SAFETY: the benchmark's dump is not modified while it is read.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let mut s = Scanner::new(&map, &TargetChoice::default())?;
    let (mut keys, mut bytes) = (0u64, 0u64);
    while let Some(k) = s.next_key()? {
        keys += 1;
        bytes += k.key.len();
    }
    let facts = s.finish();
    println!(
        "{keys} keys, {bytes} key bytes, checksum {:?}",
        facts.checksum
    );
    Ok(())
}
