//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the test
//! suite's replay of their corpora: each runs one part of rdbscope on
//! arbitrary bytes and checks what must always hold. Not a public API.

use std::sync::OnceLock;

use crate::check::Compiled;
use crate::check::rules::Rules;
use crate::input::Input;
use crate::memory::Detail;
use crate::report::doc::{MadeWith, ReportDoc};
use crate::report::finish::finish;
use crate::report::prefix::PrefixConfig;
use crate::report::{Report, ReportConfig, Sections};
use crate::scan::ScanOptions;
use crate::scan::parallel::fold_file;

fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a one-thread pool")
    })
}

fn made_with() -> MadeWith {
    MadeWith {
        target: None,
        allocator: "jemalloc".into(),
        config: Vec::new(),
        filters: Vec::new(),
        delimiters: ":".into(),
        depth: 3,
        generalize: true,
        top: 5,
    }
}

/// The report path (header-only estimates, every accumulator, the views):
/// no panic, an error inside the input, and the document read back equal.
pub fn exercise_report(data: &[u8]) {
    let opts = ScanOptions {
        detail: Detail::Headers,
        ..ScanOptions::default()
    };
    let cfg = ReportConfig {
        top: 5,
        prefixes: PrefixConfig {
            max_children: 4,
            ..PrefixConfig::default()
        },
        sections: Sections::ALL,
    };
    let folded = pool().install(|| fold_file(data, &opts, None, || Report::new(cfg.clone())));
    let f = match folded {
        Ok(f) => f,
        Err(e) => {
            assert!(e.offset <= data.len() as u64, "error past the input: {e}");
            return;
        }
    };
    if let Some(e) = &f.acc.expiry {
        let _ = e.clusters(2, 10);
    }
    let doc = finish(f.acc, Vec::new(), Vec::new(), made_with());
    let json = serde_json::to_string(&doc).expect("a document serializes");
    let back = ReportDoc::from_json(&json, "fuzz").expect("a document reads back");
    assert_eq!(back, doc, "the document changed through JSON");
    let _ = crate::output::report::report_text(&doc);
    let _ = crate::output::report::expiry_json(&doc);
}

/// Input wrappers (gzip, zstd, LZ4, AOF sniffing) then a decode.
pub fn exercise_input(data: &[u8]) {
    if let Ok(i) = Input::from_vec("fuzz".into(), None, data.to_vec()) {
        let _ = crate::verify::verify(i.rdb());
    }
}

/// The rules parser and the compiled rules.
pub fn exercise_rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = Rules::parse(text) {
        let _ = Compiled::new(r, None);
    }
}
