//! Every file of `../shared/corpus` against `expected.json`, written by an
//! independent decoder and cross-checked with a real Redis 7.0.15.

use std::collections::BTreeMap;
use std::path::Path;

use rdbscope::escape::escape;
use rdbscope::memory::TargetChoice;
use rdbscope::rdb::{Elem, ModuleValue, Scratch, ValueVisitor};
use rdbscope::scan::Scanner;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::*;

/// What the reference decoder records per key.
#[derive(Default)]
struct Canon {
    string: Option<Vec<u8>>,
    items: Vec<Vec<u8>>,
    zset: Vec<(Vec<u8>, f64)>,
    hash: Vec<(Vec<u8>, Vec<u8>)>,
    field_ttls: u64,
    stream_len: Option<u64>,
    module: Option<String>,
}

impl ValueVisitor for Canon {
    fn string(&mut self, v: Elem<'_>) {
        self.string = Some(v.to_vec());
    }
    fn item(&mut self, v: Elem<'_>) {
        self.items.push(v.to_vec());
    }
    fn zset_item(&mut self, m: Elem<'_>, s: f64) {
        self.zset.push((m.to_vec(), s));
    }
    fn hash_field(&mut self, f: Elem<'_>, v: Elem<'_>, ttl: Option<i64>) {
        self.hash.push((f.to_vec(), v.to_vec()));
        self.field_ttls += ttl.is_some() as u64;
    }
    fn stream_meta(&mut self, m: &rdbscope::rdb::stream::StreamMeta) {
        self.stream_len = Some(m.length);
    }
    fn module(&mut self, m: &ModuleValue) {
        self.module = Some(m.id.name_str());
    }
}

fn put(h: &mut Sha256, b: &[u8]) {
    h.update((b.len() as u64).to_le_bytes());
    h.update(b);
}

impl Canon {
    fn sha256(&self, type_name: &str) -> Option<String> {
        let mut h = Sha256::new();
        match type_name {
            "string" => h.update(self.string.as_ref()?),
            "list" => self.items.iter().for_each(|i| put(&mut h, i)),
            "set" => {
                let mut s = self.items.clone();
                s.sort();
                s.iter().for_each(|i| put(&mut h, i));
            }
            "zset" => {
                let mut z = self.zset.clone();
                z.sort_by(|a, b| a.0.cmp(&b.0));
                for (m, s) in z {
                    put(&mut h, &m);
                    let bits = if s.is_nan() {
                        0x7ff8000000000000u64
                    } else {
                        s.to_bits()
                    };
                    put(&mut h, &bits.to_le_bytes());
                }
            }
            "hash" => {
                let mut z = self.hash.clone();
                z.sort_by(|a, b| a.0.cmp(&b.0));
                for (f, v) in z {
                    put(&mut h, &f);
                    put(&mut h, &v);
                }
            }
            _ => return None,
        }
        Some(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    fn elements(&self, type_name: &str) -> Option<u64> {
        Some(match type_name {
            "string" => self.string.as_ref()?.len() as u64,
            "list" | "set" => self.items.len() as u64,
            "zset" => self.zset.len() as u64,
            "hash" => self.hash.len() as u64,
            "stream" => self.stream_len?,
            _ => return None,
        })
    }

    fn largest(&self, type_name: &str) -> Option<u64> {
        let m = match type_name {
            "string" => self.string.as_ref()?.len(),
            "list" | "set" => self.items.iter().map(|i| i.len()).max().unwrap_or(0),
            "zset" => self.zset.iter().map(|i| i.0.len()).max().unwrap_or(0),
            "hash" => self
                .hash
                .iter()
                .map(|(f, v)| f.len().max(v.len()))
                .max()
                .unwrap_or(0),
            _ => return None,
        };
        Some(m as u64)
    }
}

/// Decodes a corpus file into entries shaped like `expected.json`'s.
fn entries(data: &[u8], cap: usize) -> Vec<Value> {
    let mut p = Scanner::new(data, &TargetChoice::default()).unwrap();
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    while let Ok(Some(k)) = p.next_key() {
        if out.len() >= cap {
            break;
        }
        let mut c = Canon::default();
        k.decode(p.templates(), &mut scratch, &mut c).unwrap();
        let t = c
            .module
            .clone()
            .unwrap_or_else(|| k.value_type.as_str().to_string());
        let mut e = serde_json::json!({
            "db": k.db,
            "key": escape(&k.key.to_vec().unwrap()),
            "type": t,
            "encoding": k.encoding.as_str(),
            "expire_at_ms": k.expire_at_ms,
            "elements": c.elements(&t),
            "len_largest_element": c.largest(&t),
            "value_sha256": c.sha256(&t),
            "field_ttls": (c.field_ttls > 0).then_some(c.field_ttls),
        });
        if let Some(i) = k.idle_s {
            e["idle_s"] = i.into();
        }
        if let Some(f) = k.lfu_freq {
            e["lfu_freq"] = f.into();
        }
        out.push(e);
    }
    out
}

fn expected() -> Option<(std::path::PathBuf, Value)> {
    let shared = shared()?;
    let dir = shared.join("corpus");
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    Some((dir, serde_json::from_str(&text).unwrap()))
}

/// Files listed in BROKEN.txt with their approximate failure offsets.
fn broken(dir: &Path) -> BTreeMap<String, u64> {
    std::fs::read_to_string(dir.join("BROKEN.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                cols[0].to_string(),
                cols[cols.len() - 1].trim().parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_corpus_file_matches_expected_json() {
    let Some((dir, exp)) = expected() else { return };
    let cap = exp["entries_cap"].as_u64().unwrap() as usize;
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in exp["files"].as_array().unwrap() {
        let name = f["file"].as_str().unwrap();
        let data = std::fs::read(dir.join(name)).unwrap();
        let out = run([
            "verify",
            "--format",
            "json",
            dir.join(name).to_str().unwrap(),
        ]);
        let v = &json_lines(&out)[0];
        if !f["error"].is_null() {
            if v["error"].is_null() {
                failures.push(format!("{name}: expected an error, decoded fine"));
            }
            continue;
        }
        for field in [
            "rdb_version",
            "family",
            "checksum",
            "keys",
            "by_type",
            "expires",
            "aux",
        ] {
            if v[field] != f[field] {
                failures.push(format!(
                    "{name}: {field}: want {}, got {}",
                    f[field], v[field]
                ));
            }
        }
        if !v["error"].is_null() {
            failures.push(format!("{name}: unexpected error {}", v["error"]));
            continue;
        }
        let got = entries(&data, cap);
        let want = f["entries"].as_array().unwrap();
        if got.len() != want.len() {
            failures.push(format!(
                "{name}: {} entries wanted, {} got",
                want.len(),
                got.len()
            ));
        }
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            if g != w {
                failures.push(format!("{name}: entry {i}:\n  want {w}\n  got  {g}"));
            }
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 60, "only {checked} files checked");
}

#[test]
fn broken_files_fail_with_exit_2_near_the_listed_offset() {
    let Some((dir, _)) = expected() else { return };
    let list = broken(&dir);
    assert!(list.len() >= 10);
    for (name, want) in &list {
        let path = dir.join(name);
        let out = run(["verify", "--format", "json", path.to_str().unwrap()]);
        assert_eq!(exit_code(&out), 2, "{name}: {}", stdout(&out));
        let v = &json_lines(&out)[0];
        let got = if v["checksum"] == "mismatch" {
            // A checksum mismatch is found at the EOF opcode.
            v["decoded_bytes"].as_u64().unwrap()
        } else {
            v["error"]["offset"]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: no offset in {v}"))
        };
        assert!(
            got.abs_diff(*want) <= 16,
            "{name}: offset {got}, expected near {want}"
        );
        // The text form names the offset too.
        let text = stdout(&run(["verify", path.to_str().unwrap()]));
        assert!(text.contains("FAILED"), "{text}");
    }
}

#[test]
fn server_dump_truth_keys_match() {
    // The truth files list every key a real server loaded; rdbscope must
    // find exactly those keys, with the same types and element counts.
    let Some(shared) = shared() else { return };
    for name in [
        "server__redis-7.0.15-dataset",
        "server__redis-6.2.16-dataset",
    ] {
        let dir = shared.join("corpus");
        let truth = std::fs::read_to_string(dir.join(format!("{name}.truth.jsonl"))).unwrap();
        let data = std::fs::read(dir.join(format!("{name}.rdb"))).unwrap();
        let got: BTreeMap<(u64, String), Value> = entries(&data, usize::MAX)
            .into_iter()
            .map(|e| {
                (
                    (
                        e["db"].as_u64().unwrap(),
                        e["key"].as_str().unwrap().to_string(),
                    ),
                    e,
                )
            })
            .collect();
        let mut n = 0;
        for line in truth.lines() {
            let t: Value = serde_json::from_str(line).unwrap();
            let raw = crate::util::unhex(t["key_hex"].as_str().unwrap());
            let key = (t["db"].as_u64().unwrap(), escape(&raw).into_owned());
            let g = got
                .get(&key)
                .unwrap_or_else(|| panic!("{name}: key {key:?} missing"));
            assert_eq!(g["type"], t["type"], "{name} {key:?}");
            assert_eq!(g["elements"], t["elements"], "{name} {key:?}");
            n += 1;
        }
        assert_eq!(n, got.len(), "{name}: key count");
    }
}
