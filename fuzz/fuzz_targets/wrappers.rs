//! Input wrappers: gzip, zstd and LZ4 frames and AOF sniffing, then a decode.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rdbscope::fuzzing::exercise_input(data));
