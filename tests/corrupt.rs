//! Damaged inputs: each fails with exit 2 and an absolute offset, never a
//! panic, never an allocation sized by an unchecked length.

use rdbscope::rdb::{ErrorKind, Parser, Record};
use rdbscope::verify::verify;

use crate::util::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/redis-7.0").join(name)).unwrap()
}

/// Offsets where records start (prefix opcodes included).
fn record_starts(data: &[u8]) -> Vec<u64> {
    let mut p = Parser::new(data).unwrap();
    let mut starts = vec![9];
    while let Some(rec) = p.next_record().unwrap() {
        if let Record::Key(k) = &rec {
            starts.push(k.offset);
            starts.push(k.value_offset);
        }
        starts.push(p.offset());
    }
    starts.sort();
    starts.dedup();
    starts
}

#[test]
fn truncated_at_every_record_boundary() {
    for name in ["everything.rdb", "streams.rdb", "collections.rdb"] {
        let data = fixture(name);
        let starts = record_starts(&data);
        assert!(starts.len() > 20, "{name}");
        for &cut in &starts {
            if cut as usize >= data.len() {
                continue;
            }
            let v = verify(&data[..cut as usize]);
            let e = v
                .error
                .unwrap_or_else(|| panic!("{name} cut at {cut}: no error"));
            assert!(
                e.offset <= cut,
                "{name} cut at {cut}: error offset {} past the end",
                e.offset
            );
            assert!(v.decoded_bytes <= cut);
        }
    }
}

#[test]
fn truncated_at_every_byte() {
    // Every prefix of a file with every 7.0 string encoding and a stream.
    for name in ["strings.rdb", "streams.rdb", "lfu.rdb", "functions.rdb"] {
        let data = fixture(name);
        for cut in 0..data.len() {
            let v = verify(&data[..cut]);
            let e = v
                .error
                .unwrap_or_else(|| panic!("{name} cut at {cut}: no error"));
            assert!(
                e.offset <= cut as u64,
                "{name} cut at {cut}: offset {}",
                e.offset
            );
        }
    }
}

#[test]
fn truncated_file_through_the_cli_reports_how_far_it_got() {
    let dir = tempfile::tempdir().unwrap();
    let data = fixture("everything.rdb");
    let path = dir.path().join("cut.rdb");
    let cut = data.len() / 2;
    std::fs::write(&path, &data[..cut]).unwrap();
    let out = run(["verify", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    let v = &json_lines(&out)[0];
    assert_eq!(v["error"]["offset"].as_u64(), Some(cut as u64), "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("left"),
        "{v}"
    );
    assert!(v["keys"].as_u64().unwrap() > 10, "{v}");
    let text = stdout(&run(["verify", path.to_str().unwrap()]));
    assert!(text.contains(&format!("at offset {cut}")), "{text}");
}

#[test]
fn flipped_checksum_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = fixture("strings.rdb");
    *data.last_mut().unwrap() ^= 0x01;
    let path = dir.path().join("flipped.rdb");
    std::fs::write(&path, &data).unwrap();
    let out = run(["verify", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    let v = &json_lines(&out)[0];
    assert_eq!(v["checksum"], "mismatch");
    assert_eq!(v["keys"], 80);
    let text = stdout(&run(["verify", path.to_str().unwrap()]));
    assert!(text.contains("CHECKSUM MISMATCH"), "{text}");
}

/// `REDIS0011`, db 0, one string key `k` whose value bytes are `value`.
fn one_string(value: &[u8]) -> Vec<u8> {
    let mut f = b"REDIS0011\xfe\x00\x00\x01k".to_vec();
    f.extend_from_slice(value);
    f.push(0xff);
    f.extend_from_slice(&[0; 8]);
    f
}

#[test]
fn broken_lzf_back_reference() {
    // clen 3, ulen 10: a back-reference at the first byte points before the output.
    let data = one_string(&[0xc3, 0x03, 0x0a, 0x20, 0x00, 0x00]);
    let e = verify(&data).error.unwrap();
    assert_eq!(e.offset, 17, "{e}");
    assert_eq!(e.kind, ErrorKind::BadLzf("lzf back-reference before start"));
    assert_eq!(e.key.as_deref(), Some("k"));
}

#[test]
fn lzf_with_an_impossible_length_is_rejected_before_allocating() {
    // ulen 2^62 from 2 compressed bytes.
    let mut v = vec![0xc3, 0x02, 0x81];
    v.extend_from_slice(&(1u64 << 62).to_be_bytes());
    v.extend_from_slice(&[0x00, b'a']);
    let e = verify(&one_string(&v)).error.unwrap();
    assert!(matches!(e.kind, ErrorKind::BadLzf(_)), "{e}");
}

#[test]
fn lengths_past_the_end() {
    // A 2^31 string, a 2^64-1 element list, a 2^40 element hash: each is
    // refused at its length, and the list/hash counts before any loop.
    let cases: Vec<(Vec<u8>, u64)> = vec![
        (one_string(&[0x80, 0x7f, 0xff, 0xff, 0xff]), 19),
        (
            b"REDIS0011\xfe\x00\x01\x01k\x81\xff\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
            14,
        ),
        (
            b"REDIS0011\xfe\x00\x04\x01k\x81\x00\x00\x01\x00\x00\x00\x00\x00\xff".to_vec(),
            14,
        ),
    ];
    for (data, at) in cases {
        let e = verify(&data).error.unwrap();
        assert_eq!(e.offset, at, "{e}");
        let out = {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("x.rdb");
            std::fs::write(&p, &data).unwrap();
            run(["verify", p.to_str().unwrap()])
        };
        assert_eq!(exit_code(&out), 2);
        assert!(
            stdout(&out).contains(&format!("at offset {at}")),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn unknown_type_and_bad_length_byte() {
    let e = verify(b"REDIS0011\xfe\x00\x63\x01k").error.unwrap();
    assert_eq!((e.offset, e.kind), (11, ErrorKind::UnknownType(99)));
    let e = verify(b"REDIS0011\xfe\x00\x00\x01k\x82").error.unwrap();
    assert_eq!((e.offset, e.kind), (14, ErrorKind::BadLength(0x82)));
    // Valkey has no type 23.
    let e = verify(b"VALKEY080\xfe\x00\x17\x01k").error.unwrap();
    assert_eq!(e.kind, ErrorKind::UnknownType(23));
}

#[test]
fn not_an_rdb_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.txt");
    std::fs::write(&p, b"hello world, not a dump").unwrap();
    let out = run(["verify", p.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    assert!(stdout(&out).contains("not an RDB file"), "{}", stdout(&out));
    let out = run(["verify", "/nonexistent/dump.rdb"]);
    assert_eq!(exit_code(&out), 2);
    assert!(stdout(&out).contains("cannot read"));
    let out = run(["dump", "/nonexistent/dump.rdb"]);
    assert_eq!(exit_code(&out), 2);
}

#[test]
fn multi_part_aof_directory_and_manifest() {
    // Redis 7's appendonlydir: the manifest names the base RDB.
    let dir = tempfile::tempdir().unwrap();
    let aof = dir.path().join("appendonlydir");
    std::fs::create_dir(&aof).unwrap();
    let base = fixture("strings.rdb");
    std::fs::write(aof.join("appendonly.aof.1.base.rdb"), &base).unwrap();
    std::fs::write(
        aof.join("appendonly.aof.1.incr.aof"),
        b"*1\r\n$4\r\nPING\r\n",
    )
    .unwrap();
    std::fs::write(
        aof.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    for arg in [aof.clone(), aof.join("appendonly.aof.manifest")] {
        let out = run(["verify", "--format", "json", arg.to_str().unwrap()]);
        assert_eq!(exit_code(&out), 0, "{}", stdout(&out));
        assert_eq!(json_lines(&out)[0]["keys"], 80);
    }
    // A manifest whose base is a command file has no RDB to read.
    std::fs::write(
        aof.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.aof seq 1 type b\n",
    )
    .unwrap();
    let out = run(["verify", aof.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    assert!(stdout(&out).contains("command file"), "{}", stdout(&out));
}

#[test]
fn stdin_and_pipes() {
    use std::io::Write;
    use std::process::Stdio;
    let data = fixture("strings.rdb");
    let mut child = bin()
        .args(["verify", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(exit_code(&out), 0);
    assert!(
        stdout(&out).starts_with("-: OK, RDB 10 (redis), written by redis 7.0.15, 80 keys"),
        "{}",
        stdout(&out)
    );
}
