//! The driver's time zone for calendars (which month a session belongs to), read from the same
//! bundled tz database as the pricing clock: an IANA id such as `Europe/Amsterdam`, so a date on
//! the other side of a daylight-saving change gets that side's offset, not today's.

use time::OffsetDateTime;

/// An IANA time zone, checked against the bundled database.
#[derive(Debug, Clone)]
pub struct LocalZone(jiff::tz::TimeZone);

/// An id the bundled tz database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a known time zone")]
pub struct UnknownZone(pub String);

impl LocalZone {
    pub fn parse(id: &str) -> Result<Self, UnknownZone> {
        jiff::tz::TimeZone::get(id).map(Self).map_err(|_| UnknownZone(id.to_owned()))
    }

    pub fn utc() -> Self {
        Self(jiff::tz::TimeZone::UTC)
    }

    /// The calendar year and month (1–12) of `at` on a wall clock in this zone.
    pub fn year_month(&self, at: OffsetDateTime) -> (i32, u8) {
        match jiff::Timestamp::from_second(at.unix_timestamp()) {
            Ok(ts) => {
                let local = self.0.to_datetime(ts);
                (i32::from(local.year()), local.month().unsigned_abs())
            }
            // Outside jiff's range (years beyond ±9999): no zone rules there, read it in UTC.
            Err(_) => (at.year(), u8::from(at.month())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn months_follow_the_offset_of_their_own_date() {
        let amsterdam = LocalZone::parse("Europe/Amsterdam").unwrap();
        // Summer time (UTC+2): 22:30 UTC on 31 May is 00:30 on 1 June.
        assert_eq!(amsterdam.year_month(datetime!(2026-05-31 22:30 UTC)), (2026, 6));
        // Winter time (UTC+1): 22:30 UTC on 30 November is still November.
        assert_eq!(amsterdam.year_month(datetime!(2026-11-30 22:30 UTC)), (2026, 11));
        assert_eq!(amsterdam.year_month(datetime!(2026-11-30 23:30 UTC)), (2026, 12));
    }

    #[test]
    fn unknown_ids_are_refused() {
        assert_eq!(LocalZone::parse("Mars/Olympus").unwrap_err(), UnknownZone("Mars/Olympus".into()));
    }
}
