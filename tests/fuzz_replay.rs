//! Replays the cargo-fuzz corpora (`fuzz/corpus/*`) and every saved crash
//! (`fuzz/regressions`) through the decoder: nothing may panic, and every
//! error must point inside the input.

use rdbscope::verify::verify;

use crate::util::*;

fn inputs(dir: &str) -> Vec<Vec<u8>> {
    let dir = root().join("fuzz").join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect()
}

fn decode_all(data: &[u8]) {
    let v = verify(data);
    if let Some(e) = v.error {
        assert!(
            e.offset <= data.len() as u64,
            "offset {} past {} bytes",
            e.offset,
            data.len()
        );
    }
    let _ = rdbscope::dump::dump(data, &mut std::io::sink(), 1, &|_| {}, &mut |_| {});
}

#[test]
fn decode_file_corpus_and_regressions() {
    let mut n = 0;
    for data in inputs("corpus/decode_file")
        .into_iter()
        .chain(inputs("regressions"))
    {
        decode_all(&data);
        for magic in [&b"REDIS0011"[..], b"VALKEY080"] {
            let mut d = magic.to_vec();
            d.extend_from_slice(&data);
            decode_all(&d);
        }
        n += 1;
    }
    assert!(n >= 100, "fuzz corpus missing: {n} inputs");
}

#[test]
fn blob_corpus() {
    let all = inputs("corpus/blobs");
    assert!(all.len() >= 10, "blob corpus missing");
    for data in all {
        rdbscope::rdb::exercise_blob(&data);
    }
}

#[test]
fn report_corpus() {
    let all = inputs("corpus/report");
    assert!(all.len() >= 10, "report corpus missing");
    for data in all {
        let mut v = b"REDIS0011".to_vec();
        v.extend_from_slice(&data);
        for input in [&data[..], &v[..]] {
            rdbscope::fuzzing::exercise_report(input).unwrap();
        }
    }
    // And every fixture, through the report path.
    for entry in std::fs::read_dir(root().join("fixtures/redis-7.0")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|x| x == "rdb") {
            rdbscope::fuzzing::exercise_report(&std::fs::read(&p).unwrap()).unwrap();
        }
    }
}

#[test]
fn wrappers_corpus() {
    let all = inputs("corpus/wrappers");
    assert!(all.len() >= 4, "wrappers corpus missing");
    for data in all {
        rdbscope::fuzzing::exercise_input(&data);
    }
}

#[test]
fn rules_corpus() {
    let all = inputs("corpus/rules");
    assert!(all.len() >= 3, "rules corpus missing");
    for data in all {
        rdbscope::fuzzing::exercise_rules(&data);
    }
}
