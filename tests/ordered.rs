//! `keys` and `dump` on several threads write exactly what one thread
//! writes: the same bytes in file order, the same warnings in the same
//! order, and on a damaged dump the same rows before the same error.

use std::path::{Path, PathBuf};

use crate::builder::*;
use crate::util::*;

const CTIME_S: i64 = 1_700_000_000;

/// Enough keys for dozens of batches: strings, listpack hashes (some with
/// a duplicate field, which `dump` warns about), sets and lists, in two
/// dbs, with TTLs, plus one string of 3 MiB (written by the writing thread
/// itself). `damage` garbles one listpack hash about two thirds in.
fn many_batches(dir: &Path, name: &str, damage: bool) -> PathBuf {
    let mut r = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string());
    let n = 30_000u64;
    for db in 0..2u64 {
        r = r.select_db(db);
        for i in 0..n {
            if i % 7 == 0 {
                r = r.expire_ms(CTIME_S * 1000 + (i as i64) * 1000);
            }
            let key = format!("k:{db}:{i}");
            r = match i % 5 {
                0 | 1 => r.key(
                    T_STRING,
                    key.as_bytes(),
                    v_string(format!("v{i}").as_bytes()),
                ),
                2 => {
                    // Every 97th hash repeats its first field.
                    let dup = if i % 97 == 2 { "f0" } else { "f1" };
                    let mut lp = listpack(&[
                        Elem::Str(b"f0".to_vec()),
                        Elem::Int(i as i64),
                        Elem::Str(dup.as_bytes().to_vec()),
                        Elem::Str(b"x".to_vec()),
                    ]);
                    if damage && db == 1 && i == 20_002 {
                        // A total length that disagrees with the bytes.
                        lp[0] ^= 0x40;
                    }
                    r.key(T_HASH_LISTPACK, key.as_bytes(), v_blob(&lp))
                }
                3 => r.key(T_SET, key.as_bytes(), v_list(&[b"a", b"b", b"c"])),
                _ => r.key(T_LIST, key.as_bytes(), v_list(&[b"x", b"y"])),
            };
            if db == 0 && i == n / 2 {
                r = r.key(T_STRING, b"huge", v_string(&vec![b'h'; 3 << 20]));
            }
        }
    }
    write(dir, name, &r.finish(true))
}

fn same_for_every_thread_count(args: &[&str], file: &Path, want_code: i32) {
    let run_with = |t: &str| {
        let mut a: Vec<&str> = args.to_vec();
        a.push(p(file));
        a.extend(["--threads", t]);
        run(&a)
    };
    let one = run_with("1");
    assert_eq!(exit_code(&one), want_code, "{}", describe(&one));
    assert!(one.stdout.len() > 1_000_000, "{args:?}: too little output");
    for t in ["2", "3", "8"] {
        let o = run_with(t);
        assert_eq!(exit_code(&o), want_code, "--threads {t}: {}", describe(&o));
        assert!(
            o.stdout == one.stdout,
            "{args:?} --threads {t}: stdout differs"
        );
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            String::from_utf8_lossy(&one.stderr),
            "{args:?} --threads {t}: stderr differs"
        );
    }
}

#[test]
fn keys_and_dump_write_the_same_bytes_on_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let f = many_batches(dir.path(), "many.rdb", false);
    same_for_every_thread_count(&["dump"], &f, 0);
    same_for_every_thread_count(&["keys"], &f, 0);
    same_for_every_thread_count(&["keys", "--format", "jsonl"], &f, 0);
    same_for_every_thread_count(&["keys", "--type", "hash"], &f, 0);
    // Every key once, in file order, the huge one included.
    let o = run(["dump", p(&f), "--threads", "4"]);
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 60_001);
    assert_eq!(lines[0]["key"], "k:0:0");
    assert_eq!(lines[15_001]["key"], "huge");
    assert_eq!(lines[15_001]["value"].as_str().unwrap().len(), 3 << 20);
    assert_eq!(lines[60_000]["key"], "k:1:29999");
    // 2 dbs × the hashes with a duplicate field, each warned about once.
    let dups = (0..30_000u64).filter(|i| i % 5 == 2 && i % 97 == 2).count();
    let warned = String::from_utf8_lossy(&o.stderr)
        .matches("duplicate fields")
        .count();
    assert_eq!(warned, (2 * dups).min(100));
}

#[test]
fn a_damaged_dump_stops_every_thread_count_after_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let f = many_batches(dir.path(), "damaged.rdb", true);
    same_for_every_thread_count(&["dump"], &f, 2);
    same_for_every_thread_count(&["keys"], &f, 2);
    // The rows stop just before the damaged key.
    let o = run(["dump", p(&f), "--threads", "4"]);
    let lines = json_lines(&o);
    assert_eq!(lines.last().unwrap()["key"], "k:1:20001");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("k:1:20002"), "{err}");
}

/// A dump big enough to be cut in ranges (`report` frames each range on
/// its own worker, from a guessed sync point): keys in four dbs, TTLs,
/// values of several MiB across the cuts, and string values made of
/// well-formed records (a false sync that frames perfectly). `damage`
/// garbles one hash near the middle.
fn ranged(dir: &Path, name: &str, damage: bool) -> PathBuf {
    // One record as the parser frames it: a string key and value.
    let fake = {
        let mut one = vec![T_STRING];
        one.extend(string(b"fake:key"));
        one.extend(v_string(b"fake value"));
        one.repeat(200_000)
    };
    // Right at two cuts (every 8 MiB for the thread counts tested), inside
    // a value: a fake key then a fake EOF opcode, and fake AUX fields
    // (ctime, used-mem, valkey-ver) then a fake key, both reaching past
    // the 4 KiB after the cut where folding starts.
    let fake_key = |n: usize| {
        let mut k = vec![T_STRING];
        k.extend(string(&vec![b'f'; n]));
        k.extend(v_string(b"v"));
        k
    };
    let aux = |k: &str, v: &str| {
        let mut a = vec![0xfa];
        a.extend(string(k.as_bytes()));
        a.extend(string(v.as_bytes()));
        a
    };
    let mut eof = fake_key(4090);
    eof.extend([0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut auxes = aux("ctime", "1000000000");
    auxes.extend(aux("used-mem", "987654321"));
    auxes.extend(aux("valkey-ver", "9.0.0"));
    auxes.extend(fake_key(4100));
    let mut carriers = vec![eof, auxes];
    let mut r = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", &CTIME_S.to_string());
    let mut i = 0u64;
    for db in 0..4u64 {
        r = r.select_db(db);
        for _ in 0..90_000 {
            i += 1;
            if i.is_multiple_of(3) {
                r = r.expire_ms(CTIME_S * 1000 + (i as i64 % 5000) * 1000);
            }
            let key = format!("svc{}:{}:{i}", i % 7, ["a", "b", "c"][i as usize % 3]);
            r = match i % 4 {
                0 => {
                    let mut lp = listpack(&[
                        Elem::Str(b"name".to_vec()),
                        Elem::Str(format!("n{i}").into_bytes()),
                        Elem::Str(b"n".to_vec()),
                        Elem::Int(i as i64),
                    ]);
                    if damage && i == 180_000 {
                        lp[0] ^= 0x40;
                    }
                    r.key(T_HASH_LISTPACK, key.as_bytes(), v_blob(&lp))
                }
                1 => r.key(T_SET, key.as_bytes(), v_list(&[b"x", b"y"])),
                _ => r.key(
                    T_STRING,
                    key.as_bytes(),
                    v_string(format!("value {i}").as_bytes()),
                ),
            };
            if i.is_multiple_of(20_000) && !carriers.is_empty() {
                // The next cut at least 8 KiB ahead, reached by one filler value.
                let cut = (r.offset() + (8 << 10)).div_ceil(8 << 20) * (8 << 20);
                let pad = cut - r.offset() - 2048;
                r = r.key(
                    T_STRING,
                    format!("filler:{i}").as_bytes(),
                    v_string(&vec![b'p'; pad]),
                );
                r = carrier(r, cut, &carriers.remove(0));
            }
            if i.is_multiple_of(50_000) {
                r = r.key(T_STRING, format!("fake:{i}").as_bytes(), v_string(&fake));
                r = r.key(
                    T_STRING,
                    format!("big:{i}").as_bytes(),
                    v_string(&vec![b'z'; 3 << 20]),
                );
            }
        }
    }
    assert!(carriers.is_empty(), "a carrier was not placed");
    write(dir, name, &r.finish(true))
}

/// A string key whose value ends with `fake`, which starts exactly at
/// offset `cut` of the file (the next record follows it).
fn carrier(r: Rdb, cut: usize, fake: &[u8]) -> Rdb {
    let key = format!("carrier:{cut}");
    // Type byte, key, the value's length in its 2-byte form (64..16383).
    let value_at = r.offset() + 1 + string(key.as_bytes()).len() + 2;
    let mut value = vec![b'.'; cut - value_at];
    value.extend_from_slice(fake);
    assert!((64..16384).contains(&value.len()));
    r.key(T_STRING, key.as_bytes(), v_string(&value))
}

#[test]
fn report_over_ranges_equals_one_walk() {
    let dir = tempfile::tempdir().unwrap();
    for (name, damage, code) in [("ranged.rdb", false, 0), ("ranged-bad.rdb", true, 2)] {
        let f = ranged(dir.path(), name, damage);
        assert!(std::fs::metadata(&f).unwrap().len() > 40 << 20);
        let report = |t: &str| run(["report", p(&f), "--format", "json", "--threads", t]);
        let one = report("1");
        assert_eq!(exit_code(&one), code, "{}", describe(&one));
        for t in ["2", "3", "5", "16"] {
            let o = report(t);
            assert_eq!(exit_code(&o), code, "--threads {t}: {}", describe(&o));
            assert!(o.stdout == one.stdout, "--threads {t}: the report differs");
            assert_eq!(
                String::from_utf8_lossy(&o.stderr),
                String::from_utf8_lossy(&one.stderr),
                "--threads {t}"
            );
        }
        if damage {
            let err = String::from_utf8_lossy(&one.stderr);
            assert!(
                err.contains("error at offset 43403641") && err.contains("svc2:a:180000"),
                "{err}"
            );
        } else {
            let v: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
            assert_eq!(
                v["summary"]["keys"],
                360_000 + 2 * 7 + 4,
                "{}",
                v["summary"]
            );
            assert!(v["files"][0]["used_mem"].is_null(), "{}", v["files"][0]);
        }
    }
}

/// Records a walk in ranges must take in order: a real AUX `ctime` and
/// `used-mem` in the middle of the file, and a real EOF in the middle
/// followed by more records (which are not keys of the dump).
#[test]
fn mid_file_aux_and_eof_are_the_one_walks() {
    let dir = tempfile::tempdir().unwrap();
    let keys = |mut r: Rdb, from: u64, n: u64| {
        for i in from..from + n {
            r = r.expire_ms(CTIME_S * 1000 + (i as i64 % 900) * 1000).key(
                T_STRING,
                format!("k:{}:{i}", i % 11).as_bytes(),
                v_string(&vec![b'v'; 40 + (i % 90) as usize]),
            );
        }
        r
    };
    let head = || {
        Rdb::redis(10)
            .aux("redis-ver", "7.0.15")
            .aux("ctime", &CTIME_S.to_string())
            .select_db(0)
    };
    let aux = keys(head(), 0, 150_000)
        .aux("ctime", &(CTIME_S + 600).to_string())
        .aux("used-mem", "123456789");
    let aux = keys(aux, 150_000, 150_000).finish(true);
    let mut eof = keys(head(), 0, 150_000).finish(true);
    eof.extend(keys(Rdb::redis(10), 150_000, 150_000).bytes().split_off(9));
    for (name, bytes) in [("aux.rdb", aux), ("eof.rdb", eof)] {
        assert!(bytes.len() > 20 << 20);
        let f = write(dir.path(), name, &bytes);
        let report = |t: &str| run(["report", p(&f), "--format", "json", "--threads", t]);
        let one = report("1");
        for t in ["2", "4"] {
            let o = report(t);
            assert_eq!(exit_code(&o), exit_code(&one), "{name} --threads {t}");
            assert!(
                o.stdout == one.stdout,
                "{name} --threads {t}: the report differs"
            );
            assert!(
                o.stderr == one.stderr,
                "{name} --threads {t}: stderr differs"
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
        let want = if name == "aux.rdb" { 300_000 } else { 150_000 };
        assert_eq!(v["summary"]["keys"], want, "{name}");
    }
}
