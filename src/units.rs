//! Units shared by every view: sizes and times, printed and parsed.
//! A leaf module: it knows nothing of dumps or reports.

/// `1 key`, `2 keys`: a count and its noun.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A change in bytes with its sign: `+1.5 KiB`, `-200 B`.
pub fn signed_bytes(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "+" };
    format!("{sign}{}", human_bytes(n.unsigned_abs()))
}

/// `12.3 MiB`.
pub fn human_bytes(n: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

/// RFC 3339 UTC with milliseconds: `2026-11-24T19:00:00.123Z`.
pub fn rfc3339_ms(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// Seconds with millisecond precision, as text (`3600.5`).
pub fn seconds(ms: i64) -> String {
    let s = format!("{:.3}", ms as f64 / 1000.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Parses a size: an integer number of bytes, or a number with a unit:
/// `B`, `KB`, `MB`, `GB`, `TB` (powers of 1000) or `KiB`, `MiB`, `GiB`,
/// `TiB` (powers of 1024): `10MB`, `1.5 GiB`, `512`.
pub fn parse_size(s: &str) -> crate::Result<u64> {
    size(s).map_err(crate::Error::Invalid)
}

fn size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    // Plain integers exactly (an f64 loses precision past 2^53).
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
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
    if !v.is_finite() || !(0.0..18_446_744_073_709_551_616.0).contains(&v) {
        return Err(format!("{s:?} is out of range"));
    }
    Ok(v.round() as u64)
}

/// Parses a time bound: RFC 3339 (`2026-11-24T19:00:00Z`) or ms since the epoch.
pub fn parse_time_ms(s: &str) -> crate::Result<i64> {
    time_ms(s).map_err(crate::Error::Invalid)
}

fn time_ms(s: &str) -> Result<i64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|e| {
            format!("{s:?}: expected RFC 3339 (2026-11-24T19:00:00Z) or ms since the epoch: {e}")
        })
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
        assert_eq!(parse_size("18446744073709551615").unwrap(), u64::MAX);
        assert_eq!(parse_size("9007199254740993").unwrap(), 9007199254740993);
        assert!(parse_size("18446744073709551616").is_err());
        assert!(parse_size("18446744073709551615.5").is_err());
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }

    #[test]
    fn times() {
        assert_eq!(rfc3339_ms(1795565934551), "2026-11-25T00:18:54.551Z");
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(seconds(3600500), "3600.5");
        assert_eq!(seconds(-1000), "-1");
        assert_eq!(parse_time_ms("1700000000000").unwrap(), 1700000000000);
        assert_eq!(
            parse_time_ms("2023-11-14T22:13:20Z").unwrap(),
            1700000000000
        );
        assert!(parse_time_ms("yesterday").is_err());
    }
}
