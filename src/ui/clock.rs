//! Times as people read them, in the local time zone: "14:05" for today, "2026-12-01" for
//! another day, day separators, and call lengths. The time zone offset comes from the C
//! library (`localtime_r`), which reads `TZ` and `/etc/localtime`.

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// The local time zone's offset from UTC at `unix_ms`, in milliseconds (0 if unknown).
pub fn local_offset_ms(unix_ms: i64) -> i64 {
    let seconds = unix_ms.div_euclid(1000) as libc::time_t;
    // SAFETY: `localtime_r` writes only into the `tm` we own and reads `seconds`; both live
    // for the call. A zeroed `tm` is a valid value of that plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let filled = unsafe { libc::localtime_r(&seconds, &mut tm) };
    if filled.is_null() {
        return 0;
    }
    tm.tm_gmtoff * 1000
}

/// A moment split into the local day (days since 1970-01-01) and minute of that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// Local days since the epoch.
    pub day: i64,
    /// Minutes since local midnight.
    pub minute: i64,
}

impl LocalTime {
    /// `unix_ms` in a zone `offset_ms` from UTC.
    pub fn at(unix_ms: i64, offset_ms: i64) -> LocalTime {
        let local = unix_ms + offset_ms;
        LocalTime {
            day: local.div_euclid(DAY_MS),
            minute: local.rem_euclid(DAY_MS) / 60_000,
        }
    }

    /// `unix_ms` here.
    pub fn local(unix_ms: i64) -> LocalTime {
        LocalTime::at(unix_ms, local_offset_ms(unix_ms))
    }

    /// "14:05".
    pub fn clock(&self) -> String {
        format!("{:02}:{:02}", self.minute / 60, self.minute % 60)
    }

    /// "2026-12-01".
    pub fn date(&self) -> String {
        let (year, month, day) = civil_from_days(self.day);
        format!("{year:04}-{month:02}-{day:02}")
    }
}

/// (year, month, day) of a day count since 1970-01-01, proleptic Gregorian (H. Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A list row's time: the clock for today, else the date.
pub fn row_time(unix_ms: i64, now: LocalTime) -> String {
    if unix_ms <= 0 {
        return String::new();
    }
    let at = LocalTime::local(unix_ms);
    if at.day == now.day {
        at.clock()
    } else {
        at.date()
    }
}

/// A call's length: "0:08", "12:34", "1:02:03".
pub fn duration_text(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_clock_times_follow_the_offset() {
        // 2026-12-03 23:30 UTC is already 2026-12-04 00:30 at UTC+1.
        let ms = 1_796_340_600_000;
        let utc = LocalTime::at(ms, 0);
        assert_eq!(
            (utc.date(), utc.clock()),
            ("2026-12-03".into(), "23:30".into())
        );
        let paris = LocalTime::at(ms, 3_600_000);
        assert_eq!(
            (paris.date(), paris.clock()),
            ("2026-12-04".into(), "00:30".into())
        );
        assert_eq!(LocalTime::at(0, 0).date(), "1970-01-01");
        assert_eq!(LocalTime::at(-1, 0).date(), "1969-12-31");
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn call_lengths_read_like_a_clock() {
        assert_eq!(duration_text(8_400), "0:08");
        assert_eq!(duration_text(754_000), "12:34");
        assert_eq!(duration_text(3_723_000), "1:02:03");
        assert_eq!(duration_text(-5), "0:00");
    }
}
