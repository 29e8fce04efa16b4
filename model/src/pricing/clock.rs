//! The location's wall clock, as the pricing engine needs it: for an instant, the local day
//! (date and weekday) and the seconds since local midnight, and until when that reading moves
//! in step with UTC (the next time-zone transition).
//!
//! Zone rules come from `jiff`'s bundled tz database, so the phone and the server read the same
//! rules whatever their operating system ships. `jiff` is asked only for the UTC offset and
//! the next transition; between transitions local time is UTC plus a constant, so the hot path
//! is integer arithmetic.

use jiff::Timestamp;
use jiff::tz::TimeZone;

pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// A local reading of an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalTime {
    /// Days since 1970-01-01 in local time.
    pub day: i64,
    /// Seconds since local midnight.
    pub second_of_day: i64,
    /// UTC offset in force, seconds.
    pub offset: i64,
    /// The instant (Unix seconds) at which the offset next changes.
    pub offset_until: i64,
}

impl LocalTime {
    /// 0 for Monday … 6 for Sunday (1970-01-01 was a Thursday).
    pub fn weekday(&self) -> u8 {
        (self.day + 3).rem_euclid(7) as u8
    }
}

/// A time zone with the offset span last looked up cached.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    tz: TimeZone,
    span: Option<(i64, i64, i64)>, // (from, until, offset)
}

impl Clock {
    pub fn new(tz: TimeZone) -> Self {
        Self { tz, span: None }
    }

    pub fn at(&mut self, unix: i64) -> LocalTime {
        let (offset, offset_until) = match self.span {
            Some((from, until, offset)) if from <= unix && unix < until => (offset, until),
            _ => {
                let ts = Timestamp::from_second(unix).unwrap_or(Timestamp::MAX);
                let offset = i64::from(self.tz.to_offset(ts).seconds());
                let until = self
                    .tz
                    .following(ts)
                    .next()
                    .map_or(i64::MAX, |t| t.timestamp().as_second());
                self.span = Some((unix, until, offset));
                (offset, until)
            }
        };
        let local = unix + offset;
        LocalTime {
            day: local.div_euclid(SECONDS_PER_DAY),
            second_of_day: local.rem_euclid(SECONDS_PER_DAY),
            offset,
            offset_until,
        }
    }
}

/// Days since 1970-01-01 of a calendar date.
pub(crate) fn day_number(date: time::Date) -> i64 {
    i64::from(date.to_julian_day()) - 2_440_588
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn reads_local_time_across_dst() {
        let mut clock = Clock::new(TimeZone::get("Europe/Amsterdam").unwrap());
        // 2024-03-31 00:30 UTC is 01:30 CET, a Sunday; DST starts at 01:00 UTC.
        let before = clock.at(datetime!(2024-03-31 00:30 UTC).unix_timestamp());
        assert_eq!(before.second_of_day, 3600 + 1800);
        assert_eq!(before.weekday(), 6);
        assert_eq!(before.offset, 3600);
        assert_eq!(before.offset_until, datetime!(2024-03-31 01:00 UTC).unix_timestamp());
        let after = clock.at(datetime!(2024-03-31 01:30 UTC).unix_timestamp());
        assert_eq!(after.second_of_day, 3 * 3600 + 1800);
        assert_eq!(after.offset, 7200);
        assert_eq!(after.day, day_number(date!(2024 - 03 - 31)));
    }

    #[test]
    fn utc_never_changes() {
        let mut clock = Clock::new(TimeZone::UTC);
        let t = clock.at(0);
        assert_eq!((t.day, t.second_of_day, t.weekday()), (0, 0, 3));
        assert_eq!(t.offset_until, i64::MAX);
        assert_eq!(clock.at(-1).day, -1);
    }
}
