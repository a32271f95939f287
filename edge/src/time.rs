//! Timestamps on the wire: RFC 3339 in UTC, from Unix milliseconds.

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
///
/// Written out rather than pulled from a date crate: it is the only date
/// operation the edge needs, and every dependency adds to the Worker bundle.
pub fn rfc3339_from_unix_ms(unix_ms: i64) -> String {
    let millis = unix_ms.rem_euclid(1000);
    let secs = unix_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let secs_of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` into Unix
/// milliseconds; `None` for anything else.
pub fn unix_ms_from_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let first3 = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = first3.parse::<i64>().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hours: i64 = rest[1..3].parse().ok()?;
            let minutes: i64 = rest[4..6].parse().ok()?;
            sign * (hours * 60 + minutes)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(
        ((days * 86_400 + hour * 3600 + minute * 60 + second) - offset_minutes * 60) * 1000
            + millis,
    )
}

/// 28 to 31: a date like February 30 is not one, and is refused rather
/// than read as a day in March.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A proleptic Gregorian date to days since 1970-01-01 (the inverse of
/// `civil_from_days`, Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(unix_ms: i64, expected: &str) {
        assert_eq!(rfc3339_from_unix_ms(unix_ms), expected, "{unix_ms}");
    }

    #[test]
    fn formats_known_instants() {
        check(0, "1970-01-01T00:00:00.000Z");
        check(951_782_400_000, "2000-02-29T00:00:00.000Z");
        check(1_795_219_200_123, "2026-11-21T00:00:00.123Z");
        check(4_102_444_799_999, "2099-12-31T23:59:59.999Z");
        check(-1, "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn rfc3339_reads_back_what_it_writes_and_offsets() {
        for ms in [0, 1_800_000_000_123, 951_782_400_000, -86_400_000] {
            assert_eq!(
                unix_ms_from_rfc3339(&rfc3339_from_unix_ms(ms)),
                Some(ms),
                "{ms}"
            );
        }
        assert_eq!(
            unix_ms_from_rfc3339("2026-11-21T11:00:00+01:00"),
            unix_ms_from_rfc3339("2026-11-21T10:00:00Z")
        );
        assert!(
            unix_ms_from_rfc3339("2028-02-29T00:00:00Z").is_some(),
            "a leap day"
        );
        assert!(unix_ms_from_rfc3339("2000-02-29T00:00:00Z").is_some());
        assert!(unix_ms_from_rfc3339("1900-02-29T00:00:00Z").is_none());
        assert_eq!(
            unix_ms_from_rfc3339("2026-11-21T10:00:00.5Z"),
            unix_ms_from_rfc3339("2026-11-21T10:00:00Z").map(|ms| ms + 500)
        );
        for bad in [
            "",
            "2026-11-21",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-21T10:00:00",
            "yesterday",
        ] {
            assert_eq!(unix_ms_from_rfc3339(bad), None, "{bad}");
        }
    }
}
