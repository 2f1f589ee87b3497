//! Whole-file decoding: `verify` and `dump` on the raw input, and on the
//! input behind a Redis and a Valkey magic so the fuzzer need not find them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn run(data: &[u8]) {
    let _ = rdbscope::verify::verify(data);
    let _ = rdbscope::dump::dump(data, &mut std::io::sink(), 1, &|_| {}, &mut |_| {});
}

fuzz_target!(|data: &[u8]| {
    run(data);
    for magic in [&b"REDIS0011"[..], &b"VALKEY080"[..]] {
        let mut v = Vec::with_capacity(magic.len() + data.len());
        v.extend_from_slice(magic);
        v.extend_from_slice(data);
        run(&v);
    }
});
