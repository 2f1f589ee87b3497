//! Damaged inputs: each fails with exit 2 and an absolute offset, never a
//! panic, never an allocation sized by an unchecked length.

use rdbscope::rdb::ErrorKind;
use rdbscope::verify::verify;

use crate::util::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/redis-7.0").join(name)).unwrap()
}

/// One read of the decoder, in file order, as the RDB format lays a file
/// out: each length byte and its extension, each fixed-size field (expire
/// times, LFU counter, stream IDs, the checksum) and each string body is one
/// read (a stream ID is two 8-byte reads, as the decoder reads it). Written
/// from the format, not taken from the parser, so that the truncation tests
/// know exactly where every cut must be reported. The per-item minimums of
/// counts are the decoder's (src/rdb/value.rs, src/rdb/stream.rs).
#[derive(Debug)]
enum Step {
    /// `len` bytes at `at`.
    Read { at: u64, len: u64 },
    /// A count of `n` items read at `at` and ending at `end`; the decoder
    /// rejects it at `at` when the rest of the input cannot hold `n` items
    /// of at least `min` bytes each.
    Count { at: u64, end: u64, n: u64, min: u64 },
}

/// Where a key record's bytes are.
#[derive(Debug)]
struct KeyAt {
    /// The type byte (after any EXPIRETIME/IDLE/FREQ prefix).
    type_at: u64,
    t: u8,
    db: u64,
    /// The value's first byte (after the key string).
    value_at: u64,
}

/// The reads of an intact file, and where its keys are.
struct Layout {
    steps: Vec<Step>,
    keys: Vec<KeyAt>,
    /// Offset of the EOF opcode; the checksum follows it.
    eof_at: u64,
    /// Offsets of the 8-byte times of EXPIRETIME_MS opcodes.
    expire_ms_at: Vec<u64>,
    /// Where each record (and each key's value) starts, and the end.
    starts: Vec<u64>,
}

struct Walk<'a> {
    data: &'a [u8],
    pos: usize,
    steps: Vec<Step>,
}

impl Walk<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        self.steps.push(Step::Read {
            at: self.pos as u64,
            len: n as u64,
        });
        self.pos += n;
        &self.data[self.pos - n..self.pos]
    }

    fn byte(&mut self) -> u8 {
        self.take(1)[0]
    }

    /// A length, or `Err(enc)` for a special string encoding (`11xxxxxx`).
    fn len_or_enc(&mut self) -> Result<u64, u8> {
        let b = self.byte();
        match (b >> 6, b) {
            (0, _) => Ok((b & 0x3f) as u64),
            (1, _) => Ok((((b & 0x3f) as u64) << 8) | self.byte() as u64),
            (3, _) => Err(b & 0x3f),
            (_, 0x80) => Ok(u32::from_be_bytes(self.take(4).try_into().unwrap()) as u64),
            (_, 0x81) => Ok(u64::from_be_bytes(self.take(8).try_into().unwrap())),
            _ => panic!("bad length byte {b:#x} at {}", self.pos - 1),
        }
    }

    fn len(&mut self) -> u64 {
        self.len_or_enc().expect("a length")
    }

    fn count(&mut self, min: u64) -> u64 {
        let at = self.pos as u64;
        let n = self.len();
        self.steps.push(Step::Count {
            at,
            end: self.pos as u64,
            n,
            min,
        });
        n
    }

    /// Skips a string: raw, an integer (1, 2 or 4 bytes) or LZF.
    fn string(&mut self) {
        match self.len_or_enc() {
            Ok(n) => {
                self.take(n as usize);
            }
            Err(0) => {
                self.take(1);
            }
            Err(1) => {
                self.take(2);
            }
            Err(2) => {
                self.take(4);
            }
            Err(3) => {
                let clen = self.len();
                let _ulen = self.len();
                self.take(clen as usize);
            }
            Err(e) => panic!("string encoding {e}"),
        }
    }

    fn stream(&mut self, t: u8) {
        let nodes = self.count(17);
        for _ in 0..nodes {
            self.string(); // master ID
            self.string(); // listpack
        }
        self.len(); // length
        self.len(); // last ID
        self.len();
        if t >= 19 {
            for _ in 0..5 {
                self.len(); // first ID, max deleted ID, entries added
            }
        }
        let groups = self.count(4);
        for _ in 0..groups {
            self.string(); // name
            self.len(); // last ID
            self.len();
            if t >= 19 {
                self.len(); // entries read
            }
            let pel = self.count(25);
            for _ in 0..pel {
                self.take(8); // ID (ms, seq: big-endian)
                self.take(8);
                self.take(8); // delivery time
                self.len(); // delivery count
            }
            let consumers = self.count(10);
            for _ in 0..consumers {
                self.string(); // name
                self.take(8); // seen time
                if t >= 21 {
                    self.take(8); // active time
                }
                let pel = self.count(16);
                for _ in 0..pel {
                    self.take(8);
                    self.take(8);
                }
            }
        }
    }

    fn value(&mut self, t: u8) {
        match t {
            0 | 9..=13 | 16 | 17 | 20 => self.string(),
            1 | 2 | 14 => {
                for _ in 0..self.count(1) {
                    self.string();
                }
            }
            4 => {
                for _ in 0..self.count(2) {
                    self.string();
                    self.string();
                }
            }
            5 => {
                for _ in 0..self.count(9) {
                    self.string();
                    self.take(8); // binary double
                }
            }
            18 => {
                for _ in 0..self.count(2) {
                    self.len(); // container: plain or packed
                    self.string();
                }
            }
            15 | 19 | 21 => self.stream(t),
            _ => panic!("type {t} not laid out here"),
        }
    }
}

fn layout(data: &[u8]) -> Layout {
    let version: u32 = std::str::from_utf8(&data[5..9]).unwrap().parse().unwrap();
    let mut w = Walk {
        data,
        pos: 0,
        steps: Vec::new(),
    };
    w.take(9);
    let mut keys = Vec::new();
    let mut expire_ms_at = Vec::new();
    let mut starts = Vec::new();
    let mut db = 0;
    loop {
        let at = w.pos as u64;
        starts.push(at);
        match w.byte() {
            0xff => {
                if version >= 5 {
                    w.take(8);
                }
                starts.push(w.pos as u64);
                return Layout {
                    steps: w.steps,
                    keys,
                    eof_at: at,
                    expire_ms_at,
                    starts,
                };
            }
            0xfe => db = w.len(),
            0xfb => {
                w.len();
                w.len();
            }
            0xfa => {
                w.string();
                w.string();
            }
            0xfc => {
                expire_ms_at.push(w.pos as u64);
                w.take(8);
            }
            0xfd => {
                w.take(4);
            }
            0xf8 => {
                w.len();
            }
            0xf9 => {
                w.take(1);
            }
            0xf5 => w.string(),
            t => {
                w.string(); // the key
                let value_at = w.pos as u64;
                starts.push(value_at);
                w.value(t);
                keys.push(KeyAt {
                    type_at: at,
                    t,
                    db,
                    value_at,
                });
            }
        }
    }
}

/// The layout of a fixture, checked to cover every byte once, in order.
fn checked_layout(name: &str, data: &[u8]) -> Layout {
    let l = layout(data);
    let mut end = 0;
    for s in &l.steps {
        if let Step::Read { at, len } = *s {
            assert_eq!(at, end, "{name}: reads not contiguous");
            end = at + len;
        }
    }
    assert_eq!(end, data.len() as u64, "{name}: layout stops early");
    assert_eq!(l.keys.len() as u64, verify(data).keys, "{name}: key count");
    l
}

/// What decoding `data[..cut]` must report: the first read that the cut
/// leaves short, or the first count the rest cannot hold.
fn expected_at_cut(l: &Layout, cut: u64) -> (u64, Option<ErrorKind>) {
    if cut < 9 {
        // The header is checked as a whole; the error is where input ended.
        return (cut, Some(ErrorKind::ShortHeader));
    }
    for s in &l.steps {
        match *s {
            Step::Read { at, len } if at + len > cut => {
                let left = cut - at;
                return (at, Some(ErrorKind::Truncated { need: len, left }));
            }
            // A count too big for what is left: Count, message aside.
            Step::Count { at, end, n, min } if n.saturating_mul(min) > cut - end => {
                return (at, None);
            }
            _ => {}
        }
    }
    panic!("cut {cut} leaves the file whole");
}

#[test]
fn truncated_at_every_record_boundary() {
    for name in ["everything.rdb", "streams.rdb", "collections.rdb"] {
        let data = fixture(name);
        let l = checked_layout(name, &data);
        let starts = l.starts.clone();
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
            // The next read starts exactly at the cut and finds nothing.
            assert_eq!(
                (e.offset, &e.kind),
                (cut, &ErrorKind::Truncated { need: 1, left: 0 }),
                "{name} cut at {cut}: {e}"
            );
            assert_eq!(
                expected_at_cut(&l, cut),
                (cut, Some(e.kind.clone())),
                "{name} cut at {cut}"
            );
        }
    }
}

#[test]
fn truncated_at_every_byte() {
    // Every prefix of a file with every 7.0 string encoding and a stream.
    // Each cut is reported at the start of the read it leaves short (an
    // expire time, a length's extension, a string's body, the checksum...),
    // with `need` and `left` exact, or at a count the rest cannot hold.
    for name in ["strings.rdb", "streams.rdb", "lfu.rdb", "functions.rdb"] {
        let data = fixture(name);
        let l = checked_layout(name, &data);
        let mut counts = 0;
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
            let (at, kind) = expected_at_cut(&l, cut as u64);
            assert_eq!(e.offset, at, "{name} cut at {cut}: {e}");
            match kind {
                Some(k) => assert_eq!(e.kind, k, "{name} cut at {cut}"),
                None => {
                    assert!(
                        matches!(e.kind, ErrorKind::Count { .. }),
                        "{name} cut at {cut}: {e}"
                    );
                    counts += 1;
                }
            }
        }
        if name == "streams.rdb" {
            assert!(counts > 0, "no count was rejected early");
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
    // Everything decoded; only the last 8 bytes disagree.
    assert_eq!(v["decoded_bytes"], data.len(), "{v}");
    assert!(v["error"].is_null(), "{v}");
    // Where the stored checksum starts, as the other commands say it.
    let at = data.len() - 8;
    assert_eq!(v["checksum_offset"], at, "{v}");
    let text = stdout(&run(["verify", path.to_str().unwrap()]));
    assert!(
        text.contains(&format!("CHECKSUM MISMATCH at offset {at} (stored")),
        "{text}"
    );
    let keys = run(["keys", path.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&keys.stderr)
            .contains(&format!("error at offset {at}: checksum mismatch")),
        "{}",
        String::from_utf8_lossy(&keys.stderr)
    );
    // The stored value is the flipped one; the computed one, the original.
    let stored = u64::from_le_bytes(data[data.len() - 8..].try_into().unwrap());
    let computed = stored ^ (1 << 56);
    assert!(
        text.contains(&format!("(stored {stored:016x}, computed {computed:016x})")),
        "{text}"
    );
}

/// `rdbscope verify --format json` on `data`: the exit code and the line.
fn verify_json(data: &[u8]) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.rdb");
    std::fs::write(&p, data).unwrap();
    let out = run(["verify", "--format", "json", p.to_str().unwrap()]);
    (exit_code(&out), json_lines(&out).remove(0))
}

#[test]
fn damaged_fields_of_a_fixture_are_reported_at_their_offset() {
    let data = fixture("everything.rdb");
    let l = checked_layout("everything.rdb", &data);
    let error_of = |d: &[u8]| {
        let (code, v) = verify_json(d);
        assert_eq!(code, 2, "{v}");
        v["error"].clone()
    };

    // A type byte no server writes, on a key in db 5: at the type byte,
    // before the key is read.
    let k = l.keys.iter().find(|k| k.db == 5).unwrap();
    let mut d = data.clone();
    d[k.type_at as usize] = 0x63;
    let e = error_of(&d);
    assert_eq!(e["offset"], k.type_at, "{e}");
    assert_eq!(e["message"], "unknown value type 99", "{e}");
    assert_eq!((&e["db"], &e["key"]), (&5.into(), &serde_json::Value::Null));

    // A reserved length byte as the key's length: the byte after the type.
    let mut d = data.clone();
    d[k.type_at as usize + 1] = 0x82;
    let e = error_of(&d);
    assert_eq!(e["offset"], k.type_at + 1, "{e}");
    assert_eq!(e["message"], "invalid length encoding byte 0x82", "{e}");

    // ... and as a hash's field count: the value's first byte, key named.
    let k = l.keys.iter().find(|k| k.t == 4).expect("a type-4 hash");
    let mut d = data.clone();
    d[k.value_at as usize] = 0x82;
    let e = error_of(&d);
    assert_eq!(e["offset"], k.value_at, "{e}");
    assert_eq!(e["message"], "invalid length encoding byte 0x82", "{e}");
    assert!(e["key"].is_string(), "{e}");

    // Cut 3 bytes into an 8-byte expire time: at the time's first byte.
    let at = l.expire_ms_at[0];
    let e = error_of(&data[..at as usize + 3]);
    assert_eq!(e["offset"], at, "{e}");
    assert_eq!(
        e["message"], "unexpected end of data: need 8 bytes, 3 left",
        "{e}"
    );

    // Cut 3 bytes off the checksum: just after the EOF opcode.
    assert_eq!(l.eof_at + 9, data.len() as u64);
    let e = error_of(&data[..data.len() - 3]);
    assert_eq!(e["offset"], l.eof_at + 1, "{e}");
    assert_eq!(
        e["message"], "unexpected end of data: need 8 bytes, 5 left",
        "{e}"
    );
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
    // At the compressed data: 14 (value) + 0xc3 + clen (1) + ulen (9).
    assert_eq!(e.offset, 25, "{e}");
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
    assert_eq!(e.offset, 11, "{e}");
}

#[test]
fn not_an_rdb_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.txt");
    std::fs::write(&p, b"hello world, not a dump").unwrap();
    let out = run(["verify", p.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    assert!(stdout(&out).contains("not an RDB file"), "{}", stdout(&out));
    let (code, v) = verify_json(b"hello world, not a dump");
    assert_eq!(code, 2);
    assert_eq!(v["error"]["offset"], 0, "{v}");
    // Shorter than the header: where the input ended.
    let (_, v) = verify_json(b"REDIS");
    assert_eq!(v["error"]["offset"], 5, "{v}");
    assert_eq!(v["error"]["message"], "shorter than the 9-byte header");
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
        // The incremental file is not applied, and that is said.
        let w = json_lines(&out)[0]["warnings"].to_string();
        assert!(w.contains("the 1 incremental AOF file after it"), "{w}");
        let r = run(["report", "--format", "json", arg.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        let w = v["files"][0]["warnings"].to_string();
        assert!(w.contains("incremental AOF file"), "{w}");
        let d = run(["dump", arg.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&d.stderr).contains("incremental AOF file"));
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
