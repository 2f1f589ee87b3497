//! The report path on a whole file: header-only estimates, every report
//! accumulator, the finished document (read back through JSON) and the
//! text view.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut v = b"REDIS0011".to_vec();
    v.extend_from_slice(data);
    for input in [data, &v[..]] {
        if let Err(e) = rdbscope::fuzzing::exercise_report(input) {
            panic!("{e}");
        }
    }
});
