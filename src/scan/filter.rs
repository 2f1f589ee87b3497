//! Key filters shared by every key-level command: `--db`, `--type`,
//! `--match GLOB`, `--regex`, `--min-bytes`, `--no-ttl`,
//! `--expires-before`, `--expires-after`.

use regex::bytes::{Regex, RegexSet};

/// Which keys a command looks at. An empty filter accepts everything.
#[derive(Clone, Debug, Default)]
pub struct KeyFilter {
    pub dbs: Vec<u64>,
    /// Type names as `TYPE` reports them (`string`, `hash`, ..., or a module type name).
    pub types: Vec<String>,
    /// Glob patterns (Redis `KEYS`/`SCAN MATCH` syntax), compiled.
    pub globs: Vec<Regex>,
    pub regex: Option<Regex>,
    /// Minimum estimated memory, bytes.
    pub min_bytes: Option<u64>,
    pub no_ttl: bool,
    /// Expiry bounds, ms since the epoch (keys without a TTL never match).
    pub expires_before: Option<i64>,
    pub expires_after: Option<i64>,
}

/// Compiles a Redis-style glob (`*`, `?`, `[abc]`, `[^a]`, `\x`) to a
/// byte regex matching the whole key; `*` also matches `/`.
pub fn glob(pattern: &str) -> crate::Result<Regex> {
    compile_glob(pattern).map_err(crate::Error::Invalid)
}

/// Globs compiled together: one pass over a key finds every glob that
/// matches it (a rules file may hold thousands).
pub fn glob_set<'a>(patterns: impl IntoIterator<Item = &'a str>) -> crate::Result<RegexSet> {
    let sources = patterns
        .into_iter()
        .map(glob_source)
        .collect::<Result<Vec<_>, _>>()
        .map_err(crate::Error::Invalid)?;
    regex::bytes::RegexSetBuilder::new(sources)
        .dot_matches_new_line(true)
        // Room for thousands of globs in the lazy DFA's cache.
        .dfa_size_limit(256 << 20)
        .size_limit(256 << 20)
        .build()
        .map_err(|e| crate::Error::invalid(format!("globs: {e}")))
}

fn compile_glob(pattern: &str) -> Result<Regex, String> {
    // Keys are bytes and may hold newlines: `*` and `?` match any byte.
    regex::bytes::RegexBuilder::new(&glob_source(pattern)?)
        .dot_matches_new_line(true)
        .build()
        .map_err(|e| format!("glob {pattern:?}: {e}"))
}

/// The regular expression of a Redis glob.
fn glob_source(pattern: &str) -> Result<String, String> {
    // Redis globs have no `{a,b}` alternation: braces are ordinary bytes
    // (cluster hash tags such as `{user}:1`).
    let mut p = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                p.push(c);
                p.extend(chars.next());
            }
            '{' | '}' => {
                p.push('\\');
                p.push(c);
            }
            c => p.push(c),
        }
    }
    let g = globset::GlobBuilder::new(&p)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("glob {pattern:?}: {e}"))?;
    Ok(g.regex().to_string())
}

impl KeyFilter {
    /// True when the filter looks at the decoded value (its type name,
    /// which is a module's own name for module values, or its estimate).
    pub fn needs_value(&self) -> bool {
        self.min_bytes.is_some() || !self.types.is_empty()
    }

    /// Checks everything known before decoding the value.
    pub fn accepts_record(&self, db: u64, key: &[u8], expire_at_ms: Option<i64>) -> bool {
        if !self.dbs.is_empty() && !self.dbs.contains(&db) {
            return false;
        }
        if self.no_ttl && expire_at_ms.is_some() {
            return false;
        }
        if let Some(b) = self.expires_before
            && expire_at_ms.is_none_or(|e| e >= b)
        {
            return false;
        }
        if let Some(a) = self.expires_after
            && expire_at_ms.is_none_or(|e| e <= a)
        {
            return false;
        }
        if !self.globs.is_empty() && !self.globs.iter().any(|g| g.is_match(key)) {
            return false;
        }
        if let Some(r) = &self.regex
            && !r.is_match(key)
        {
            return false;
        }
        true
    }

    /// Checks the type name and the estimate.
    pub fn accepts_value(&self, type_name: &str, bytes: u64) -> bool {
        if !self.types.is_empty() && !self.types.iter().any(|t| t == type_name) {
            return false;
        }
        self.min_bytes.is_none_or(|m| bytes >= m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let g = glob("user:*:cart").unwrap();
        assert!(g.is_match(b"user:12:cart"));
        assert!(g.is_match(b"user:a/b:cart"));
        assert!(!g.is_match(b"user:12:carts"));
        let g = glob("s?ss[io]?n:\\*").unwrap();
        assert!(g.is_match(b"session:*"));
        assert!(!g.is_match(b"session:x"));
        assert!(glob("a*").unwrap().is_match(b"a\xff\x00\nb"));
        let g = glob("{cart}:*").unwrap();
        assert!(g.is_match(b"{cart}:1"));
        assert!(!g.is_match(b"cart:1"));
    }

    #[test]
    fn time_bounds() {
        let f = KeyFilter {
            expires_before: Some(10),
            ..Default::default()
        };
        assert!(f.accepts_record(0, b"k", Some(5)));
        assert!(!f.accepts_record(0, b"k", None));
        assert!(!f.accepts_record(0, b"k", Some(10)));
    }
}
