//! Blob decoders on their own. The first byte picks the decoder (modulo 5),
//! the rest is the blob:
//! 0 listpack, 1 ziplist, 2 intset, 3 zipmap,
//! 4 LZF (the next 2 bytes, little-endian, are the declared uncompressed length).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rdbscope::rdb::{intset::Intset, listpack::Listpack, lzf, ziplist::Ziplist, zipmap::Zipmap};

/// An element's `len()` is the length of its text form.
fn check_elem(e: rdbscope::rdb::Elem<'_>) {
    assert_eq!(e.to_vec().len(), e.len(), "Elem::len disagrees with its text for {e:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, blob)) = data.split_first() else { return };
    match which % 5 {
        0 => {
            if let Ok(mut lp) = Listpack::new(blob, 0) {
                let _ = lp.declared_count();
                while let Ok(Some(e)) = lp.next_elem() {
                    check_elem(e);
                }
            }
        }
        1 => {
            if let Ok(mut zl) = Ziplist::new(blob, 0) {
                while let Ok(Some(e)) = zl.next_elem() {
                    check_elem(e);
                }
            }
        }
        2 => {
            if let Ok(mut is) = Intset::new(blob, 0) {
                while let Ok(Some(_)) = is.next_int() {}
            }
        }
        3 => {
            if let Ok(mut zm) = Zipmap::new(blob, 0) {
                while let Ok(Some(_)) = zm.next_pair() {}
            }
        }
        _ => {
            if blob.len() < 2 {
                return;
            }
            let ulen = u16::from_le_bytes([blob[0], blob[1]]) as u64;
            let mut out = Vec::new();
            if lzf::decompress(&blob[2..], ulen, &mut out).is_ok() {
                assert_eq!(out.len() as u64, ulen);
            }
        }
    }
});
