//! The Redis 7.0 fixtures against what the server itself said about each
//! key before saving (`fixtures/redis-7.0/*.keys.tsv`, written by
//! `fixtures/gen/make_fixtures.py` from TYPE, PEXPIRETIME, OBJECT FREQ,
//! STRLEN/LLEN/SCARD/ZCARD/HLEN/XLEN).

use std::collections::BTreeMap;

use crate::util::*;

#[test]
fn dump_agrees_with_the_server_on_every_key() {
    let dir = root().join("fixtures/redis-7.0");
    let mut checked = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let tsv = e.unwrap().path();
        let Some(name) = tsv.to_str().and_then(|s| s.strip_suffix(".keys.tsv")) else {
            continue;
        };
        let rdb = format!("{name}.rdb");
        let out = run(["dump", rdb.as_str()]);
        assert_eq!(exit_code(&out), 0, "{rdb}");
        let keys: BTreeMap<(u64, String), serde_json::Value> = json_lines(&out)
            .into_iter()
            .map(|v| {
                (
                    (
                        v["db"].as_u64().unwrap(),
                        v["key"].as_str().unwrap().to_string(),
                    ),
                    v,
                )
            })
            .collect();
        let text = std::fs::read_to_string(&tsv).unwrap();
        let mut n = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let c: Vec<&str> = line.split('\t').collect();
            // The sidecar escapes control bytes too; normalize to the one rule.
            let raw = rdbscope::escape::unescape(c[1]).unwrap();
            let id = (
                c[0].parse::<u64>().unwrap(),
                rdbscope::escape::escape(&raw).into_owned(),
            );
            let v = keys
                .get(&id)
                .unwrap_or_else(|| panic!("{rdb}: {id:?} not in the dump"));
            assert_eq!(v["type"], c[2], "{rdb} {id:?}");
            let expire = if c[4] == "-1" {
                serde_json::Value::Null
            } else {
                c[4].parse::<i64>().unwrap().into()
            };
            assert_eq!(v["expire_at_ms"], expire, "{rdb} {id:?}");
            if c[6] != "-" {
                assert_eq!(v["lfu_freq"], c[6].parse::<u64>().unwrap(), "{rdb} {id:?}");
            }
            if c[7] != "-" {
                assert!(v["idle_s"].is_u64(), "{rdb} {id:?}: no idle time");
            }
            let len = c[5].parse::<u64>().unwrap();
            let got = match c[2] {
                "string" => v["value"]
                    .as_str()
                    .map(|s| rdbscope::escape::unescape(s).unwrap().len() as u64),
                "hash" => v["value"].as_object().map(|o| o.len() as u64),
                "stream" => v["value"]["length"].as_u64(),
                _ => v["value"].as_array().map(|a| a.len() as u64),
            };
            assert_eq!(got, Some(len), "{rdb} {id:?}: length");
            n += 1;
        }
        assert_eq!(
            n,
            keys.len(),
            "{rdb}: the dump has keys the server did not list"
        );
        checked += n;
    }
    assert!(checked > 300, "only {checked} keys checked");
}
