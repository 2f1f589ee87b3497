//! The rules file of `rdbscope check` (TOML), with sizes such as `"10MB"`
//! and shares such as `"10%"`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// A size in bytes: an integer, or text with a unit: `B`, `KB`, `MB`, `GB`,
/// `TB` (powers of 1000) or `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size(pub u64);

/// Parses `10MB`, `1.5 GiB`, `512`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 10MB, 512KiB, 1048576)"))?;
    let mult: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0f64.powi(4),
        u => {
            return Err(format!(
                "{s:?}: unknown unit {u:?} (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
            ));
        }
    };
    let v = num * mult;
    if !v.is_finite() || v < 0.0 || v > u64::MAX as f64 {
        return Err(format!("{s:?} is out of range"));
    }
    Ok(v.round() as u64)
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
                    .map(Size)
                    .map_err(|_| E::custom("a size cannot be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                parse_size(v).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A share: `0.5`, `"50%"`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Share(pub f64);

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Share, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Share;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a share such as 0.5 or \"50%\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Share, E> {
                if (0.0..=1.0).contains(&v) {
                    Ok(Share(v))
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
                if n < 0.0 {
                    return Err(E::custom("a percentage cannot be negative"));
                }
                Ok(Share(n / 100.0))
            }
        }
        d.deserialize_any(V)
    }
}

/// Rules a team keeps in its repository. Every rule is optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// No single key may take more estimated memory than this.
    pub max_key_bytes: Option<Size>,
    /// No collection may hold more elements than this.
    pub max_elements: Option<u64>,
    /// Every key matching one of these globs must have a TTL.
    #[serde(default)]
    pub require_ttl: Vec<String>,
    /// Estimated memory of all keys matching a glob must stay under a size.
    #[serde(default)]
    pub max_prefix_bytes: BTreeMap<String, Size>,
    /// Share of estimated memory in keys without TTL (0..1).
    pub max_no_ttl_share: Option<Share>,
    /// Keys expiring within the same second.
    pub max_expiry_cluster_keys: Option<u64>,
    /// A saved `rdbscope report --format json`, relative to the rules file.
    pub baseline: Option<String>,
    /// Growth allowed against the baseline, overall and per prefix.
    pub max_growth: Option<Share>,
    /// Keys matching a glob must have one of these encodings after load
    /// (e.g. `"user:*" = ["listpack"]` forbids hashtable hashes there).
    #[serde(default)]
    pub allowed_encodings: BTreeMap<String, Vec<String>>,
}

impl Rules {
    /// Parses a rules file; errors name the line and what was expected.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let r: Rules = toml::from_str(text).map_err(|e| e.to_string())?;
        if r.max_growth.is_some() && r.baseline.is_none() {
            return Err("max_growth needs a baseline = \"file.json\"".into());
        }
        for g in r
            .require_ttl
            .iter()
            .chain(r.max_prefix_bytes.keys())
            .chain(r.allowed_encodings.keys())
        {
            crate::filter::glob(g).map_err(|e| format!("bad glob {g:?}: {e}"))?;
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("2 GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert_eq!(parse_size("1.5KB").unwrap(), 1500);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10XB").is_err());
    }

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
        assert_eq!(r.max_key_bytes, Some(Size(10_000_000)));
        assert_eq!(r.max_growth, Some(Share(0.1)));
        assert_eq!(r.max_prefix_bytes["cache:*"], Size(2_000_000_000));
        let e = Rules::parse("max_key_bytes = \"ten\"\n").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
        let e = Rules::parse("\n\nmax_keys = 3\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("max_keys"), "{e}");
        assert!(Rules::parse("max_growth = \"5%\"").is_err());
    }
}
