//! The rules file of `rdbscope check` (TOML), with sizes such as `"10MB"`
//! and shares such as `"10%"`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::units::parse_size;

/// A size in bytes: an integer, or text with a unit: `B`, `KB`, `MB`, `GB`,
/// `TB` (powers of 1000) or `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024).
/// Keeps the text as written, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    pub bytes: u64,
    pub text: String,
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Size, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size such as \"10MB\", \"512KiB\" or a number of bytes")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("a size cannot be negative"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size {
                    bytes: v,
                    text: v.to_string(),
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                let bytes = parse_size(v).map_err(E::custom)?;
                Ok(Size {
                    bytes,
                    text: v.trim().to_string(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl Size {
    /// The limit as written, with the bytes when the text has a unit:
    /// `1MB (1000000 bytes)`, `4096`.
    pub fn described(&self) -> String {
        if self.text.parse::<u64>().ok() == Some(self.bytes) {
            self.text.clone()
        } else {
            format!("{} ({} bytes)", self.text, self.bytes)
        }
    }
}

/// The deepest nesting of arrays and inline tables a rules file may have.
const MAX_NESTING: usize = 32;

/// How deep `[` and `{` nest in TOML text, outside strings and comments.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    max
}

/// A share: `0.5`, `"50%"`; keeps the text as written, for messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    /// 0..1 (more for growth above 100%).
    pub value: f64,
    pub text: String,
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Share, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Share;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a share such as 0.5 or \"50%\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Share, E> {
                if !v.is_finite() {
                    return Err(E::custom(format!(
                        "{v} is not a share: write one such as 0.5 or \"50%\""
                    )));
                }
                if (0.0..=1.0).contains(&v) {
                    Ok(Share {
                        value: v,
                        text: v.to_string(),
                    })
                } else {
                    Err(E::custom(format!(
                        "{v} is not a share between 0 and 1 (write \"{v}%\" for a percentage)"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Share, E> {
                self.visit_f64(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Share, E> {
                let p = v.trim().strip_suffix('%').ok_or_else(|| {
                    E::custom(format!("{v:?}: expected a percentage such as \"10%\""))
                })?;
                let n: f64 = p
                    .trim()
                    .parse()
                    .map_err(|_| E::custom(format!("{v:?} is not a percentage")))?;
                if !n.is_finite() || !(0.0..=1e6).contains(&n) {
                    return Err(E::custom(format!(
                        "{v:?}: a percentage between 0% and 1000000%"
                    )));
                }
                Ok(Share {
                    value: n / 100.0,
                    text: v.trim().to_string(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A share of a whole (the memory without a TTL): at most 100 %, unlike a
/// growth.
#[derive(Clone, Debug, PartialEq)]
pub struct Fraction(pub Share);

impl std::ops::Deref for Fraction {
    type Target = Share;
    fn deref(&self) -> &Share {
        &self.0
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fraction, D::Error> {
        let s = Share::deserialize(d)?;
        if s.value > 1.0 {
            return Err(de::Error::custom(format!(
                "{}: a share of the memory is at most 100%",
                s.text
            )));
        }
        Ok(Fraction(s))
    }
}

/// A glob with its options: `"session:*"` or
/// `{ pattern = "tmp:*", allow_empty = true }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a glob such as \"session:*\", or { pattern = \"tmp:*\", allow_empty = true }"
)]
pub enum PatternSpec {
    Glob(String),
    Full(PatternFull),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternFull {
    pattern: String,
    #[serde(default)]
    allow_empty: bool,
}

impl PatternSpec {
    pub fn pattern(&self) -> &str {
        match self {
            PatternSpec::Glob(p) => p,
            PatternSpec::Full(f) => &f.pattern,
        }
    }
    pub fn allow_empty(&self) -> bool {
        matches!(self, PatternSpec::Full(f) if f.allow_empty)
    }
}

/// A limit for a glob: `"2GB"` or `{ max = "2GB", allow_empty = true }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a size such as \"2GB\", or { max = \"2GB\", allow_empty = true }"
)]
pub enum LimitSpec {
    Size(Size),
    Full(LimitFull),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitFull {
    max: Size,
    #[serde(default)]
    allow_empty: bool,
}

impl LimitSpec {
    pub fn max(&self) -> &Size {
        match self {
            LimitSpec::Size(s) => s,
            LimitSpec::Full(f) => &f.max,
        }
    }
    pub fn allow_empty(&self) -> bool {
        matches!(self, LimitSpec::Full(f) if f.allow_empty)
    }
}

/// Encodings for a glob: `["listpack"]` or
/// `{ encodings = ["listpack"], allow_empty = true }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a list such as [\"listpack\"], or { encodings = [\"listpack\"], allow_empty = true }"
)]
pub enum EncodingsSpec {
    List(Vec<String>),
    Full(EncodingsFull),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodingsFull {
    encodings: Vec<String>,
    #[serde(default)]
    allow_empty: bool,
}

impl EncodingsSpec {
    pub fn encodings(&self) -> &[String] {
        match self {
            EncodingsSpec::List(e) => e,
            EncodingsSpec::Full(f) => &f.encodings,
        }
    }
    pub fn allow_empty(&self) -> bool {
        matches!(self, EncodingsSpec::Full(f) if f.allow_empty)
    }
}

/// What `OBJECT ENCODING` can answer on the servers rdbscope models, with
/// the types that can have it: an `allowed_encodings` rule applies to keys
/// of those types only (`["listpack"]` under `user:*` says nothing about
/// the strings there).
pub const ENCODINGS: &[(&str, &[&str])] = &[
    ("raw", &["string"]),
    ("int", &["string"]),
    ("embstr", &["string"]),
    ("listpack", &["hash", "set", "zset", "list"]),
    ("listpackex", &["hash"]),
    ("quicklist", &["list"]),
    ("linkedlist", &["list"]),
    ("ziplist", &["list", "hash", "zset"]),
    ("hashtable", &["hash", "set"]),
    ("intset", &["set"]),
    ("skiplist", &["zset"]),
    ("stream", &["stream"]),
    ("module", &["module"]),
    ("array", &["array"]),
];

/// The types an encoding applies to (empty for an unknown name).
pub fn types_of(encoding: &str) -> &'static [&'static str] {
    ENCODINGS
        .iter()
        .find(|(e, _)| *e == encoding)
        .map(|(_, t)| *t)
        .unwrap_or(&[])
}

/// Rules a team keeps in its repository. Every rule is optional, but a
/// file must hold at least one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// No single key may take more estimated memory than this.
    pub max_key_bytes: Option<Size>,
    /// No collection may hold more elements than this.
    pub max_elements: Option<u64>,
    /// Every key matching one of these globs must have a TTL.
    #[serde(default)]
    pub require_ttl: Vec<PatternSpec>,
    /// Estimated memory of all keys matching a glob must stay under a size.
    #[serde(default)]
    pub max_prefix_bytes: BTreeMap<String, LimitSpec>,
    /// Share of estimated memory in keys without TTL (0..1).
    pub max_no_ttl_share: Option<Fraction>,
    /// Keys expiring within the same second.
    pub max_expiry_cluster_keys: Option<u64>,
    /// A saved `rdbscope report --format json`, relative to the rules file.
    pub baseline: Option<String>,
    /// Growth allowed against the baseline, overall and per prefix.
    pub max_growth: Option<Share>,
    /// Memory of any prefix that the baseline does not have.
    pub max_new_prefix_bytes: Option<Size>,
    /// Keys matching a glob must have one of these encodings after load
    /// (e.g. `"user:*" = ["listpack"]` forbids hashtable hashes there).
    #[serde(default)]
    pub allowed_encodings: BTreeMap<String, EncodingsSpec>,
    /// The worst doctor finding allowed: `"info"` (no warning or
    /// critical), `"warning"` (no critical).
    pub max_doctor_severity: Option<SeverityLimit>,
    /// Σ the savings of the doctor's findings may not exceed this.
    pub max_savings: Option<Size>,
}

/// `info`, `warning` or `critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeverityLimit(pub crate::report::doctor::doc::Severity);

impl<'de> Deserialize<'de> for SeverityLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SeverityLimit, D::Error> {
        let s = String::deserialize(d)?;
        match crate::report::doctor::doc::Severity::parse(&s) {
            Some(crate::report::doctor::doc::Severity::Critical) => Err(de::Error::custom(
                "\"critical\" allows every finding, so the rule could never fail: \
                 use \"warning\" (no critical finding) or \"info\" (no warning either)",
            )),
            Some(sev) => Ok(SeverityLimit(sev)),
            None => Err(de::Error::custom(format!(
                "{s:?}: a severity: \"info\" or \"warning\""
            ))),
        }
    }
}

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

impl Rules {
    /// Parses a rules file; errors name the line and what was expected.
    pub fn parse(text: &str) -> crate::Result<Rules> {
        Rules::parse_text(text).map_err(crate::Error::Invalid)
    }

    fn parse_text(text: &str) -> Result<Rules, String> {
        // The TOML parser recurses per level: thousands of nested arrays
        // would overflow a thread's stack. Rules files are nearly flat.
        let depth = nesting(text);
        if depth > MAX_NESTING {
            return Err(format!(
                "arrays or tables nested {depth} deep: a rules file nests at most {MAX_NESTING}"
            ));
        }
        let r: Rules = toml::from_str(text).map_err(|e| e.to_string())?;
        if r.count() == 0 {
            return Err(
                "no rules: the file sets none of max_key_bytes, max_elements, require_ttl, \
                 max_prefix_bytes, max_no_ttl_share, max_expiry_cluster_keys, max_growth, \
                 max_new_prefix_bytes, allowed_encodings, max_doctor_severity, max_savings"
                    .into(),
            );
        }
        if (r.max_growth.is_some() || r.max_new_prefix_bytes.is_some()) && r.baseline.is_none() {
            return Err(
                "max_growth and max_new_prefix_bytes need a baseline = \"file.json\"".into(),
            );
        }
        if r.baseline.is_some() && r.max_growth.is_none() && r.max_new_prefix_bytes.is_none() {
            return Err(
                "baseline is set but no rule uses it (max_growth, max_new_prefix_bytes)".into(),
            );
        }
        let at = |needle: &str| {
            line_of(text, needle)
                .map(|l| format!("line {l}: "))
                .unwrap_or_default()
        };
        for g in r
            .require_ttl
            .iter()
            .map(PatternSpec::pattern)
            .chain(r.max_prefix_bytes.keys().map(String::as_str))
            .chain(r.allowed_encodings.keys().map(String::as_str))
        {
            crate::scan::filter::glob(g).map_err(|e| format!("{}bad glob {g:?}: {e}", at(g)))?;
        }
        for (g, e) in &r.allowed_encodings {
            if e.encodings().is_empty() {
                return Err(format!(
                    "{}allowed_encodings {g:?}: the list is empty",
                    at(g)
                ));
            }
            for name in e.encodings() {
                if types_of(name).is_empty() {
                    let known: Vec<&str> = ENCODINGS.iter().map(|(e, _)| *e).collect();
                    return Err(format!(
                        "{}allowed_encodings {g:?}: unknown encoding {name:?} (known: {})",
                        at(&format!("\"{name}\"")),
                        known.join(", ")
                    ));
                }
            }
        }
        Ok(r)
    }

    /// How many rules the file sets (a glob list counts each glob).
    pub fn count(&self) -> usize {
        self.max_key_bytes.is_some() as usize
            + self.max_elements.is_some() as usize
            + self.require_ttl.len()
            + self.max_prefix_bytes.len()
            + self.max_no_ttl_share.is_some() as usize
            + self.max_expiry_cluster_keys.is_some() as usize
            + self.max_growth.is_some() as usize
            + self.max_new_prefix_bytes.is_some() as usize
            + self.allowed_encodings.len()
            + self.max_doctor_severity.is_some() as usize
            + self.max_savings.is_some() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_file() {
        let r = Rules::parse(
            r#"
max_key_bytes = "10MB"
max_elements = 100000
require_ttl = ["session:*", "cart:*"]
max_no_ttl_share = 0.5
max_expiry_cluster_keys = 10000
baseline = "baseline.json"
max_growth = "10%"
[max_prefix_bytes]
"cache:*" = "2GB"
[allowed_encodings]
"user:*" = ["listpack"]
"#,
        )
        .unwrap();
        assert_eq!(r.max_key_bytes.map(|s| s.bytes), Some(10_000_000));
        assert_eq!(r.max_growth.as_ref().map(|s| s.value), Some(0.1));
        assert_eq!(r.max_prefix_bytes["cache:*"].max().bytes, 2_000_000_000);
        assert_eq!(r.max_prefix_bytes["cache:*"].max().to_string(), "2GB");
        assert!(
            Rules::parse("")
                .unwrap_err()
                .to_string()
                .contains("no rules")
        );
        assert!(Rules::parse("require_ttl = []").is_err());
        let e = Rules::parse("[allowed_encodings]\n\"user:*\" = [\"listpak\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("listpak"), "{e}");
        assert!(Rules::parse("max_no_ttl_share = \"nan%\"").is_err());
        assert!(Rules::parse("max_no_ttl_share = \"inf%\"").is_err());
        assert!(Rules::parse("max_no_ttl_share = \"1e308%\"").is_err());
        // Deep nesting is refused before the parser recurses into it.
        let deep = format!("x = {}{}", "[".repeat(5000), "]".repeat(5000));
        let e = Rules::parse(&deep).unwrap_err();
        assert!(e.to_string().contains("nested 5000 deep"), "{e}");
        // Brackets in strings and comments do not count.
        assert_eq!(nesting("a = \"[[[\" # [[[\nb = ['x[', '{']"), 1);
        // A share of the memory cannot pass 100% (a growth can).
        let e = Rules::parse("max_no_ttl_share = \"150%\"").unwrap_err();
        assert!(e.to_string().contains("at most 100%"), "{e}");
        assert!(Rules::parse("max_no_ttl_share = \"100%\"").is_ok());
        let e = Rules::parse("max_no_ttl_share = nan").unwrap_err();
        assert!(!e.to_string().contains("NaN%"), "{e}");
        let r =
            Rules::parse("require_ttl = [\"a:*\", { pattern = \"b:*\", allow_empty = true }]\n")
                .unwrap();
        assert!(!r.require_ttl[0].allow_empty() && r.require_ttl[1].allow_empty());
        let e = Rules::parse("max_key_bytes = \"ten\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
        let e = Rules::parse("\n\nmax_keys = 3\n").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("max_keys"), "{e}");
        assert!(Rules::parse("max_growth = \"5%\"").is_err());
    }
}
