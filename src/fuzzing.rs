//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the test
//! suite's replay of their corpora: each runs one part of rdbscope on
//! arbitrary bytes and returns the invariant that failed, if any (the
//! harnesses turn that into a crash). Not a public API.

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

/// A one-thread pool, made once (`None` if it cannot be: then the global
/// pool is used).
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().ok())
        .as_ref()
}

/// The report path (estimates, every accumulator, the views):
/// an error inside the input, and the document read back equal.
pub fn exercise_report(data: &[u8]) -> Result<(), String> {
    let opts = ScanOptions {
        detail: Detail::Elements,
        ..ScanOptions::default()
    };
    let cfg = ReportConfig {
        top: 5,
        prefixes: PrefixConfig {
            max_children: 4,
            max_level_prefixes: 16,
            ..PrefixConfig::default()
        },
        sections: Sections::ALL,
        doctor: Default::default(),
    };
    let fold = || fold_file(data.into(), &opts, None, || Report::new(cfg.clone()));
    let folded = match pool() {
        Some(p) => p.install(fold),
        None => fold(),
    };
    let f = match folded {
        Ok(f) => f,
        Err(e) if e.offset <= data.len() as u64 => return Ok(()),
        Err(e) => return Err(format!("error past the input: {e}")),
    };
    if let Some(e) = &f.acc.expiry {
        let _ = e.clusters(2, 10);
    }
    let made_with = MadeWith {
        top: 5,
        ..MadeWith::default()
    };
    let doc = finish(f.acc, Vec::new(), Vec::new(), made_with);
    let json = serde_json::to_string(&doc).map_err(|e| format!("no JSON: {e}"))?;
    let back = ReportDoc::from_json(&json, "fuzz").map_err(|e| format!("not read back: {e}"))?;
    if back != doc {
        return Err("the document changed through JSON".into());
    }
    let _ = crate::output::report::report_text(&doc);
    let _ = crate::output::report::expiry_json(&doc);
    Ok(())
}

/// Input wrappers (gzip, zstd, LZ4, AOF sniffing) then a decode.
pub fn exercise_input(data: &[u8]) {
    if let Ok(i) = Input::from_vec("fuzz".into(), None, data.to_vec()) {
        let _ = crate::verify::verify(i.feed());
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
