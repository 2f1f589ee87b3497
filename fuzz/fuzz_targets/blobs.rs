//! Blob decoders on their own. The first byte picks the decoder (modulo 5),
//! the rest is the blob: 0 listpack, 1 ziplist, 2 intset, 3 zipmap,
//! 4 LZF (the next 2 bytes, little-endian, are the declared uncompressed length).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rdbscope::rdb::exercise_blob(data));
