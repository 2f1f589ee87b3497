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
    let mut out = Vec::with_capacity(24);
    write_rfc3339_ms(&mut out, ms);
    // Digits and ASCII punctuation only.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`rfc3339_ms`] to `out` without allocating (one per row of
/// `keys`): 1970–9999 by a fixed formatter, other times by `jiff`.
pub fn write_rfc3339_ms(out: &mut Vec<u8>, ms: i64) {
    /// 9999-12-30T00:00:00Z, inside `jiff`'s range (which ends there,
    /// less a day for offsets).
    const END_MS: i64 = 253_402_128_000_000;
    if !(0..END_MS).contains(&ms) {
        match jiff::Timestamp::from_millisecond(ms) {
            Ok(t) => {
                out.extend_from_slice(t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().as_bytes())
            }
            Err(_) => out.extend_from_slice(ms.to_string().as_bytes()),
        }
        return;
    }
    let (days, in_day) = (ms / 86_400_000, ms % 86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (secs, milli) = (in_day / 1000, in_day % 1000);
    let two = |out: &mut Vec<u8>, v: i64, sep: u8| {
        out.extend_from_slice(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8, sep]);
    };
    out.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
    ]);
    two(out, m, b'-');
    two(out, d, b'T');
    two(out, secs / 3600, b':');
    two(out, secs / 60 % 60, b':');
    two(out, secs % 60, b'.');
    out.extend_from_slice(&[
        b'0' + (milli / 100) as u8,
        b'0' + (milli / 10 % 10) as u8,
        b'0' + (milli % 10) as u8,
        b'Z',
    ]);
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian;
/// Howard Hinnant's `civil_from_days`), for days ≥ 0.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (m <= 2) as i64;
    (y, m, d)
}

/// Seconds with millisecond precision, as text (`3600.5`).
pub fn seconds(ms: i64) -> String {
    let mut out = Vec::with_capacity(24);
    write_seconds(&mut out, ms);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`seconds`] to `out` without allocating.
pub fn write_seconds(out: &mut Vec<u8>, ms: i64) {
    // In integers while the f64 quotient (within half an ulp, < 0.0005 s
    // below 2^43 s) rounds back to the same milliseconds; past 10^15 ms
    // (31,700 years) the float formatting is kept, its rounding and all.
    if ms.unsigned_abs() >= 1_000_000_000_000_000 {
        let s = format!("{:.3}", ms as f64 / 1000.0);
        out.extend_from_slice(s.trim_end_matches('0').trim_end_matches('.').as_bytes());
        return;
    }
    let abs = ms.unsigned_abs();
    if ms < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(itoa::Buffer::new().format(abs / 1000).as_bytes());
    let mut frac = abs % 1000;
    if frac > 0 {
        out.push(b'.');
        let mut digits = 3;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        let mut b = [b'0'; 3];
        for i in (0..digits).rev() {
            b[i] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        out.extend_from_slice(&b[..digits]);
    }
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
    /// The fixed formatters write what the general ones (jiff, f64) wrote.
    #[test]
    fn fixed_formatters_match_the_general_ones() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut values: Vec<i64> = vec![
            0,
            1,
            -1,
            999,
            1000,
            -1000,
            86_399_999,
            951_782_400_000,
            253_402_300_799_999,
            253_402_300_800_000,
            -62_135_596_800_000,
            999_999_999_999_999,
            1_000_000_000_000_000,
            i64::MAX,
            i64::MIN,
            1 << 53,
            -(1 << 53),
        ];
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Every scale, from milliseconds to the ends of i64.
            values.push((x as i64) >> (x % 64));
        }
        for ms in values {
            let want = match jiff::Timestamp::from_millisecond(ms) {
                Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                Err(_) => ms.to_string(),
            };
            assert_eq!(rfc3339_ms(ms), want, "{ms}");
            let s = format!("{:.3}", ms as f64 / 1000.0);
            let want = s.trim_end_matches('0').trim_end_matches('.');
            assert_eq!(seconds(ms), want, "{ms}");
        }
    }

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
