//! The `check` rules parser (TOML) and rule compilation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rdbscope::fuzzing::exercise_rules(data));
