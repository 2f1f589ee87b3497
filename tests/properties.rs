//! Property tests: no input makes the decoder panic; LZF agrees with the
//! `lzf` crate; decoding is deterministic.

use proptest::prelude::*;
use rdbscope::rdb::lzf;
use rdbscope::verify::verify;

use crate::util::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/redis-7.0").join(name)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_after_a_header_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512), valkey in any::<bool>()) {
        let mut data = if valkey { b"VALKEY080".to_vec() } else { b"REDIS0011".to_vec() };
        data.extend_from_slice(&body);
        let v = verify(&data);
        if let Some(e) = v.error {
            prop_assert!(e.offset <= data.len() as u64);
        }
    }

    #[test]
    fn mutated_real_dumps_never_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>(), name in prop::sample::select(vec!["strings.rdb", "streams.rdb", "everything.rdb", "lfu.rdb"])) {
        let mut data = fixture(name);
        let i = pos.index(data.len());
        data[i] = byte;
        let v = verify(&data);
        if let Some(e) = v.error {
            prop_assert!(e.offset <= data.len() as u64);
        }
        let _ = rdbscope::dump::dump(&data, &mut std::io::sink(), 1, &|_| {}, &mut |_| {});
    }

    #[test]
    fn lzf_roundtrips_with_the_lzf_crate(data in proptest::collection::vec(prop::sample::select(b"abcab\x00\xff".to_vec()), 1..4000)) {
        if let Ok(c) = ::lzf::compress(&data) {
            let mut out = Vec::new();
            lzf::decompress(&c, data.len() as u64, &mut out).unwrap();
            prop_assert_eq!(out, data);
        }
    }

    #[test]
    fn lzf_garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300), ulen in 0u64..5000) {
        let mut out = Vec::new();
        if lzf::decompress(&data, ulen, &mut out).is_ok() {
            prop_assert_eq!(out.len() as u64, ulen);
        }
    }
}

#[test]
fn dump_is_deterministic() {
    let data = fixture("everything.rdb");
    let mut a = Vec::new();
    let mut b = Vec::new();
    rdbscope::dump::dump(&data, &mut a, 1, &|_| {}, &mut |_| {}).unwrap();
    rdbscope::dump::dump(&data, &mut b, 4, &|_| {}, &mut |_| {}).unwrap();
    assert_eq!(a, b);
    assert!(a.len() > 10_000);
}
