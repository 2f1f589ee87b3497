//! `rdbscope keys`: the CSV contract, filters, and agreement with `dump`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::builder::*;
use crate::util::*;

const HEADER: &str =
    "database,type,key,size_in_bytes,encoding,num_elements,len_largest_element,expiry";

fn fixture(name: &str) -> String {
    root()
        .join("fixtures/redis-7.0")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn keys_jsonl(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["keys", "--format", "jsonl"];
    a.extend_from_slice(args);
    let out = run(&a);
    assert_eq!(
        exit_code(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out)
}

fn names(rows: &[Value]) -> BTreeSet<(u64, String)> {
    rows.iter()
        .map(|r| {
            (
                r["database"].as_u64().or(r["db"].as_u64()).unwrap(),
                r["key"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn csv_header_and_quoting() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("q.rdb");
    let file = Rdb::redis(10)
        .aux("redis-ver", "7.0.15")
        .aux("ctime", "1700000000")
        .select_db(0)
        .expire_ms(1700000003500)
        .key(T_STRING, b"a,\"b\"\n\xff", v_string(b"12345"))
        .finish(true);
    std::fs::write(&p, file).unwrap();
    let out = run(["keys", p.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 0);
    let text = stdout(&out);
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with(HEADER));
    // RFC 4180: the field is quoted, quotes doubled; the \xff byte escaped.
    let rest: String = text.split_once('\n').unwrap().1.to_string();
    assert!(
        rest.starts_with(
            "0,string,\"a,\"\"b\"\"\n\\xff\",56,int,5,5,2023-11-14T22:13:23.500Z,3.5,"
        ),
        "{rest}"
    );
    assert!(rest.contains(",exact,0,redis-7.0 jemalloc,"), "{rest}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("memory profile redis-7.0 jemalloc (AUX redis-ver 7.0.15; jemalloc assumed"),
        "{err}"
    );
}

#[test]
fn csv_reads_back_with_the_csv_crate() {
    let out = run(["keys", fixture("everything.rdb").as_str()]);
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = r.headers().unwrap().clone();
    assert_eq!(headers.iter().take(8).collect::<Vec<_>>().join(","), HEADER);
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    let dump = json_lines(&run(["dump", fixture("everything.rdb").as_str()]));
    assert_eq!(rows.len(), dump.len());
    for (row, d) in rows.iter().zip(&dump) {
        assert_eq!(&row[0], d["db"].to_string().as_str());
        assert_eq!(&row[2], d["key"].as_str().unwrap());
        assert_eq!(&row[1], d["type"].as_str().unwrap());
        assert_eq!(row[7].is_empty(), d["expire_at_ms"].is_null());
    }
}

#[test]
fn filters_agree_with_dump() {
    let f = fixture("multidb_ttl.rdb");
    let dump = json_lines(&run(["dump", f.as_str()]));
    let all = names(&dump);
    let pick = |pred: &dyn Fn(&Value) -> bool| {
        names(&dump.iter().filter(|d| pred(d)).cloned().collect::<Vec<_>>())
    };

    assert_eq!(names(&keys_jsonl(&[&f])), all);
    assert_eq!(
        names(&keys_jsonl(&[&f, "--db", "1", "--db", "5"])),
        pick(&|d| d["db"] == 1 || d["db"] == 5)
    );
    assert_eq!(
        names(&keys_jsonl(&[&f, "--type", "hash"])),
        pick(&|d| d["type"] == "hash")
    );
    assert_eq!(
        names(&keys_jsonl(&[&f, "--no-ttl"])),
        pick(&|d| d["expire_at_ms"].is_null())
    );
    let ttl: Vec<i64> = dump
        .iter()
        .filter_map(|d| d["expire_at_ms"].as_i64())
        .collect();
    assert!(ttl.len() > 10);
    let mid = {
        let mut t = ttl.clone();
        t.sort();
        t[t.len() / 2]
    };
    let mid_s = mid.to_string();
    assert_eq!(
        names(&keys_jsonl(&[&f, "--expires-before", &mid_s])),
        pick(&|d| d["expire_at_ms"].as_i64().is_some_and(|e| e < mid))
    );
    assert_eq!(
        names(&keys_jsonl(&[&f, "--expires-after", &mid_s])),
        pick(&|d| d["expire_at_ms"].as_i64().is_some_and(|e| e > mid))
    );
    let glob_rows = keys_jsonl(&[&f, "--match", "*:s*"]);
    assert!(!glob_rows.is_empty());
    let re = regex::Regex::new("(?s)^.*:s.*$").unwrap();
    assert_eq!(
        names(&glob_rows),
        pick(&|d| re.is_match(d["key"].as_str().unwrap()))
    );
    assert_eq!(
        names(&keys_jsonl(&[&f, "--regex", "^d1:"])),
        pick(&|d| d["key"].as_str().unwrap().starts_with("d1:"))
    );
    let big = keys_jsonl(&[&f, "--min-bytes", "200"]);
    assert!(
        big.iter()
            .all(|r| r["size_in_bytes"].as_u64().unwrap() >= 200)
    );
    let all_rows = keys_jsonl(&[&f]);
    assert_eq!(
        big.len(),
        all_rows
            .iter()
            .filter(|r| r["size_in_bytes"].as_u64().unwrap() >= 200)
            .count()
    );
}

#[test]
fn bad_arguments_exit_2() {
    let f = fixture("strings.rdb");
    for args in [
        vec!["keys", f.as_str(), "--target", "memcached-1.6"],
        vec!["keys", f.as_str(), "--allocator", "tcmalloc"],
        vec![
            "keys",
            f.as_str(),
            "--config",
            "hash-max-listpack-entries=lots",
        ],
        vec!["keys", f.as_str(), "--expires-before", "tomorrow"],
        vec!["keys", f.as_str(), "--regex", "("],
    ] {
        let out = run(&args);
        assert_eq!(exit_code(&out), 2, "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn target_and_config_change_estimates() {
    let Some(shared) = shared() else { return };
    let f = shared.join("corpus/server__redis-6.2.16-dataset.rdb");
    let f = f.to_string_lossy().into_owned();
    // A 6.2 dump's ziplist hashes are listpacks on a 7.0 target.
    let own = keys_jsonl(&[&f, "--type", "hash"]);
    assert!(own.iter().any(|r| r["encoding"] == "ziplist"));
    assert!(own.iter().all(|r| r["profile"] == "redis-6.2 jemalloc"));
    let on70 = keys_jsonl(&[&f, "--type", "hash", "--target", "redis-7.0"]);
    assert!(on70.iter().all(|r| r["encoding"] != "ziplist"));
    assert!(on70.iter().any(|r| r["encoding"] == "listpack"));
    // A lower threshold turns bigger listpack hashes into hashtables.
    let lowered = keys_jsonl(&[
        &f,
        "--type",
        "hash",
        "--target",
        "redis-7.0",
        "--config",
        "hash-max-listpack-entries=2",
    ]);
    assert!(
        lowered
            .iter()
            .filter(|r| r["encoding"] == "hashtable")
            .count()
            > on70.iter().filter(|r| r["encoding"] == "hashtable").count()
    );
}

/// The `estimate` column says how sure each number is: skiplists are
/// `expected` everywhere, Valkey 8.1+ hashtables are `expected` (hash seed),
/// every other key is `expected` under glibc malloc, lists of more than two
/// nodes are `approx` unless `list-compress-depth` is given, and the rest is
/// `exact`.
#[test]
fn estimate_labels_say_how_sure() {
    let f = fixture("collections.rdb");
    let labels = |target: &[&str]| -> BTreeSet<(String, String, String)> {
        let mut a = vec![f.as_str(), "--target"];
        a.extend_from_slice(target);
        keys_jsonl(&a)
            .iter()
            .map(|r| {
                let s = |k: &str| r[k].as_str().unwrap().to_string();
                (s("type"), s("encoding"), s("estimate"))
            })
            .collect()
    };
    let skiplist = "expected: skiplist levels are random";
    let buckets = "expected: hashtable buckets depend on the hash seed";
    let glibc = "expected: glibc malloc may add 16 bytes";
    let row = |t: &str, e: &str, l: &str| (t.to_string(), e.to_string(), l.to_string());
    let assumed = "approx: list-compress-depth 0 assumed (--config list-compress-depth=N)";
    let r70 = labels(&["redis-7.0"]);
    assert!(r70.contains(&row("set", "hashtable", "exact")), "{r70:?}");
    assert!(r70.contains(&row("zset", "skiplist", skiplist)), "{r70:?}");
    // Lists of more than two nodes depend on the server's compress depth.
    assert!(r70.contains(&row("list", "quicklist", assumed)), "{r70:?}");
    assert_eq!(
        r70.iter().filter(|r| r.2 != "exact").count(),
        2,
        "only skiplists and long lists: {r70:?}"
    );
    let given = labels(&["redis-7.0", "--config", "list-compress-depth=0"]);
    assert!(
        given.contains(&row("list", "quicklist", "exact")),
        "{given:?}"
    );
    assert!(!given.iter().any(|r| r.2 == assumed), "{given:?}");
    let v81 = labels(&["valkey-8.1", "--allocator", "jemalloc"]);
    assert!(v81.contains(&row("set", "hashtable", buckets)), "{v81:?}");
    assert!(v81.contains(&row("hash", "hashtable", buckets)), "{v81:?}");
    assert!(v81.contains(&row("set", "intset", "exact")), "{v81:?}");
    let libc = labels(&["valkey-8.1", "--allocator", "libc"]);
    assert!(libc.contains(&row("set", "intset", glibc)), "{libc:?}");
    assert!(libc.iter().all(|r| r.2 != "exact"), "{libc:?}");
}

/// A filter that matches nothing says so on stderr (the header alone
/// looked like an empty dump).
#[test]
fn a_filter_that_matches_nothing_says_so() {
    let f = root().join("fixtures/redis-7.0/strings.rdb");
    let o = run(["keys", "--match", "nomatch*", &*f.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("none of its 80 keys matched the filters"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Without --format, `-o`'s name picks it: `.parquet` is Parquet (not a CSV
/// file under that name), `.jsonl`/`.ndjson`/`.json` JSON lines, `.csv`
/// CSV (other names: see below); an explicit --format wins.
#[test]
fn the_output_name_picks_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let dump = fixture("everything.rdb");
    let cases = [
        ("k.parquet", None, &b"PAR1"[..]),
        ("K.PARQUET", None, b"PAR1"),
        ("k.jsonl", None, b"{\""),
        ("k.ndjson", None, b"{\""),
        ("k.json", None, b"{\""),
        ("k.csv", None, b"database,"),
        ("k.parquet", Some("csv"), b"database,"),
        ("k.csv", Some("jsonl"), b"{\""),
    ];
    for (name, format, start) in cases {
        let path = dir.path().join(name);
        let _ = std::fs::remove_file(&path);
        let mut args = vec!["keys", dump.as_str(), "-o", path.to_str().unwrap()];
        if let Some(f) = format {
            args.extend(["--format", f]);
        }
        let out = run(&args);
        assert_eq!(
            exit_code(&out),
            0,
            "{name} {format:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = std::fs::read(&path).unwrap();
        assert!(
            got.starts_with(start),
            "{name} {format:?}: {:?}",
            &got[..8.min(got.len())]
        );
    }
}

/// A mistyped input fails `keys` and `dump` before `-o FILE` is created:
/// the last good output stays as it was, in every format.
#[test]
fn a_missing_input_leaves_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let dump = fixture("everything.rdb");
    let missing = dir.path().join("missng.rdb");
    for (command, name) in [
        ("keys", "k.csv"),
        ("keys", "k.jsonl"),
        ("keys", "k.parquet"),
        ("dump", "d.jsonl"),
    ] {
        let path = dir.path().join(name);
        let out = run([command, dump.as_str(), "-o", path.to_str().unwrap()]);
        assert_eq!(exit_code(&out), 0, "{command} {name}");
        let good = std::fs::read(&path).unwrap();
        assert!(good.len() > 100, "{command} {name}");
        let out = run([
            command,
            dump.as_str(),
            missing.to_str().unwrap(),
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(exit_code(&out), 2, "{command} {name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("missng.rdb") && err.contains("not written"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), good, "{command} {name}");
    }
}

/// `-o`'s extension picks the format; one that promises compression or
/// another format is refused before the file is made, not written as CSV.
#[test]
fn the_output_name_picks_the_format_or_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dump = fixture("everything.rdb");
    std::fs::create_dir(dir.path().join("run.v2")).unwrap();
    // (name, what the file starts with)
    for (name, head) in [
        ("k.CSV", &b"database,type,key"[..]),
        ("k.out", b"database,type,key"),
        ("run.v2/keys", b"database,type,key"),
        ("k.json", b"{\""),
        ("k.NDJSON", b"{\""),
        ("k.Parquet", b"PAR1"),
        // A name that is only an extension.
        (".parquet", b"PAR1"),
        ("run.v2/.jsonl", b"{\""),
    ] {
        let path = dir.path().join(name);
        let out = run(["keys", dump.as_str(), "-o", path.to_str().unwrap()]);
        assert_eq!(exit_code(&out), 0, "{name}");
        let got = std::fs::read(&path).unwrap();
        assert!(got.starts_with(head), "{name}: {:?}", &got[..16]);
    }
    for name in ["k.pq", "k.csv.gz", "k.tsv", "k.tgz", "k.htm", "k.Z"] {
        let path = dir.path().join(name);
        let out = run(["keys", dump.as_str(), "-o", path.to_str().unwrap()]);
        assert_eq!(exit_code(&out), 2, "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        let ext = name.rsplit('.').next().unwrap();
        assert!(
            err.contains(&format!("keys writes no .{ext} file")),
            "{err}"
        );
        assert!(!path.exists(), "{name}");
        // Named explicitly, any name will do.
        let out = run([
            "keys",
            dump.as_str(),
            "--format",
            "csv",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(exit_code(&out), 0, "{name}");
        assert!(std::fs::read(&path).unwrap().starts_with(b"database,"));
    }
}

/// A Parquet run killed before it ends leaves the old file and nothing
/// else in its directory (the new file has no name until it is complete).
#[test]
fn a_killed_parquet_run_leaves_no_temporary_file() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keys.parquet");
    std::fs::write(&out, b"old").unwrap();
    let mut file = Rdb::redis(10).aux("redis-ver", "7.0.15").select_db(0);
    for i in 0..1000 {
        file = file.key(T_STRING, format!("k:{i}").as_bytes(), v_string(b"v"));
    }
    let file = file.finish(true);
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGKILL] {
        let mut cmd = bin();
        // A shell starts background jobs with SIGINT ignored, and the
        // child would inherit that: the default action, as at a terminal.
        // SAFETY: signal(2) is async-signal-safe.
        unsafe {
            use std::os::unix::process::CommandExt as _;
            cmd.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
                Ok(())
            });
        }
        let mut child = cmd
            .args(["keys", "-", "-o", out.to_str().unwrap()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Half the dump, and the pipe kept open: the run waits for more.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&file[..file.len() / 2]).unwrap();
        stdin.flush().unwrap();
        // Until the output is being written (an open file in the directory).
        let fd_dir = format!("/proc/{}/fd", child.id());
        let started = std::time::Instant::now();
        let writing = || {
            std::fs::read_dir(&fd_dir).is_ok_and(|fds| {
                fds.flatten().any(|fd| {
                    std::fs::read_link(fd.path()).is_ok_and(|t| {
                        t.starts_with(dir.path()) || t.to_string_lossy().contains("(deleted)")
                    })
                })
            })
        };
        while !writing() {
            assert!(
                started.elapsed().as_secs() < 20,
                "the run never opened its output"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // SAFETY: signals a child this test started and still owns.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed().as_secs() > 20 {
                let _ = child.kill();
                panic!("signal {signal} did not end the run");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        drop(stdin);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["keys.parquet"], "signal {signal}");
        assert_eq!(std::fs::read(&out).unwrap(), b"old", "signal {signal}");
    }
}

/// `--quiet` drops the note of the memory profile, not warnings.
#[test]
fn quiet_keeps_warnings_only() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("q.rdb");
    // Redis 7.0 writes RDB 10, not 11: estimated for the newest that does.
    let file = Rdb::redis(11)
        .aux("redis-ver", "7.0.15")
        .select_db(0)
        .key(T_STRING, b"k", v_string(b"v"))
        .finish(true);
    std::fs::write(&p, file).unwrap();
    let csv = dir.path().join("q.csv");
    let args = |quiet: bool| {
        let mut a = vec!["keys", p.to_str().unwrap(), "-o", csv.to_str().unwrap()];
        if quiet {
            a.push("--quiet");
        }
        run(a)
    };
    let loud = args(false);
    let err = String::from_utf8_lossy(&loud.stderr).into_owned();
    assert!(err.contains(": memory profile "), "{err}");
    assert!(
        err.contains("warning: AUX redis-ver 7.0.15 cannot have written"),
        "{err}"
    );
    let quiet = args(true);
    assert_eq!(exit_code(&quiet), 0);
    let err = String::from_utf8_lossy(&quiet.stderr).into_owned();
    assert!(!err.contains("memory profile"), "{err}");
    assert!(
        err.contains("warning: AUX redis-ver 7.0.15 cannot have written"),
        "{err}"
    );
}

/// `-o` naming a link writes the file it names (the link stays); a
/// directory's name fails before anything is read; standard input
/// redirected from the output file is refused.
#[test]
fn odd_output_names() {
    let dir = tempfile::tempdir().unwrap();
    let dump = fixture("everything.rdb");
    let real = dir.path().join("real.parquet");
    let link = dir.path().join("link.parquet");
    std::fs::write(&real, b"old").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = run(["keys", dump.as_str(), "-o", link.to_str().unwrap()]);
    assert_eq!(
        exit_code(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::read(&real).unwrap().starts_with(b"PAR1"));
    let slash = format!("{}/", dir.path().join("new.parquet").display());
    let out = run(["keys", dump.as_str(), "-o", slash.as_str()]);
    assert_eq!(exit_code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the name is a directory's"));
    let copy = dir.path().join("in.rdb");
    std::fs::copy(&dump, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let out = bin()
        .args(["keys", "-", "--format", "csv", "-o", copy.to_str().unwrap()])
        .stdin(std::fs::File::open(&copy).unwrap())
        .output()
        .unwrap();
    assert_eq!(exit_code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is the input - (standard input): refusing"),
        "{err}"
    );
    assert_eq!(std::fs::read(&copy).unwrap(), before);
}

/// A CSV or JSON lines file says what it holds on stderr, as a Parquet
/// one does; after a failed input, that it is partial.
#[test]
fn csv_and_jsonl_files_say_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.rdb");
    let mut file = Rdb::redis(10).aux("redis-ver", "7.0.15").select_db(0);
    for i in 0..3 {
        file = file.key(T_STRING, format!("k:{i}").as_bytes(), v_string(b"v"));
    }
    let file = file.finish(true);
    std::fs::write(&p, &file).unwrap();
    let cut = dir.path().join("cut.rdb");
    std::fs::write(&cut, &file[..file.len() - 12]).unwrap();
    for name in ["r.csv", "r.jsonl"] {
        let out = dir.path().join(name);
        let o = run(["keys", p.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(exit_code(&o), 0);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(err.contains(&format!("{name}: 3 rows, ")), "{err}");
        let o = run([
            "keys",
            p.to_str().unwrap(),
            cut.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(exit_code(&o), 2);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            err.contains(&format!("{name}: partial (an input failed): ")),
            "{err}"
        );
    }
    // Into stdout: no such line.
    let o = run(["keys", p.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains(" rows"));
}

/// The report commands pick their format from `-o`'s name too (from a
/// new-user trial: `report -o report.html` wrote text under a page's
/// name): `.json` JSON, `.html` the page, a name of another format an
/// error before the scan, anything else text; `--format` wins.
#[test]
fn report_output_names_pick_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let dump = fixture("everything.rdb");
    for (args, name, starts) in [
        (vec!["report"], "r.html", "<!DOCTYPE html>"),
        (vec!["report"], "R.HTM", "<!DOCTYPE html>"),
        (vec!["bigkeys"], "b.json", "{\"schema_version\":"),
        (vec!["prefixes"], "p.txt", "/"),
        (vec!["expiry"], "e", "/"),
        (vec!["report", "--format", "text"], "r2.csv", "/"),
    ] {
        let path = dir.path().join(name);
        let mut a = args.clone();
        a.extend([dump.as_str(), "-o", path.to_str().unwrap()]);
        let out = run(&a);
        assert_eq!(exit_code(&out), 0, "{a:?}: {}", describe(&out));
        let text = std::fs::read_to_string(&path).unwrap();
        // Text starts with the dump's path and what it is.
        let starts = if starts == "/" { dump.as_str() } else { starts };
        assert!(
            text.starts_with(starts),
            "{a:?}: {}",
            &text[..80.min(text.len())]
        );
    }
    for (command, name) in [
        ("report", "r.csv"),
        ("doctor", "d.parquet"),
        ("diff", "x.json.gz"),
    ] {
        let path = dir.path().join(name);
        let mut a = vec![command, dump.as_str()];
        if command == "diff" {
            a.push(dump.as_str());
        }
        a.extend(["-o", path.to_str().unwrap()]);
        let out = run(&a);
        assert_eq!(exit_code(&out), 2, "{a:?}: {}", describe(&out));
        let ext = name.rsplit('.').next().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains(&format!("this command writes no .{ext} file")),
            "{}",
            describe(&out)
        );
        assert!(!path.exists(), "{a:?}");
    }
}
