//! `keys`: one row per key with its estimated memory on the target server,
//! in file order.

use crate::input::Feed;
use crate::memory::ResolvedTarget;
use crate::scan::{KeyFacts, KeyReader, ScanOptions, Scanner};

/// Facts about the scanned dump.
#[derive(Clone, Debug, Default)]
pub struct KeysSummary {
    pub facts: crate::scan::FileFacts,
    /// Rows written (keys the filter accepted).
    pub rows: u64,
}

/// Reads every key of `data` in file order, estimates those the filter
/// accepts and hands each, with the target it was estimated for, to `row`.
/// Rows before a decoding error are handed out before it is returned.
/// `progress` hears the offset reached now and then.
pub fn scan<'a, F>(
    data: impl Into<Feed<'a>>,
    opts: &ScanOptions,
    progress: &dyn Fn(u64),
    mut row: F,
) -> crate::Result<KeysSummary>
where
    F: FnMut(&KeyFacts<'_>, &ResolvedTarget) -> std::io::Result<()>,
{
    let mut s = Scanner::from_feed(data.into(), &opts.choice)?;
    let mut reader = KeyReader::default();
    let mut rows = 0;
    while let Some(k) = s.next_key()? {
        if s.facts().key_records & 4095 == 0 {
            progress(s.offset());
        }
        // Resolved at the first key: always there once a key was read.
        let Some(target) = s.resolved_target() else {
            continue;
        };
        let written = reader.read(
            &k,
            &target.target,
            s.templates(),
            (&opts.filter, opts.detail),
            s.facts().ctime_ms,
            |f| row(f, target),
        )?;
        if let Some(w) = written {
            w?;
            rows += 1;
        }
    }
    Ok(KeysSummary {
        facts: s.finish(),
        rows,
    })
}
