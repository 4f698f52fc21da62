//! The game's day and month: the daily reset falls at a configured hour of the local day in
//! a configured time zone (`rules.csv`: `daily_reset_hour`, `time_zone`). Everything that
//! starts over (daily quests, shop limits, the check-in) stores when it next resets and
//! compares that with the request's time: no job has to run.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// The daily reset rule.
#[derive(Debug, Clone)]
pub struct DailyReset {
    hour: i8,
    zone_name: String,
    zone: TimeZone,
}

impl PartialEq for DailyReset {
    fn eq(&self, other: &Self) -> bool {
        self.hour == other.hour && self.zone_name == other.zone_name
    }
}

impl DailyReset {
    /// The reset at `hour` (0–23) in the IANA zone `zone`.
    pub fn new(hour: u32, zone: &str) -> Result<Self, String> {
        let tz = TimeZone::get(zone).map_err(|e| format!("time zone {zone:?}: {e}"))?;
        let hour = i8::try_from(hour).ok().filter(|h| (0..24).contains(h)).ok_or("the reset hour must be 0 to 23")?;
        Ok(Self { hour, zone_name: zone.to_owned(), zone: tz })
    }

    /// The game day `now_ms` falls in: the local date, with days starting at the reset hour.
    pub fn game_day(&self, now_ms: i64) -> Date {
        let local = self.local(now_ms);
        if local.time().hour() < self.hour { local.date().yesterday().unwrap_or(local.date()) } else { local.date() }
    }

    /// When the game day of `now_ms` ends (the next reset, in ms since the epoch).
    pub fn next_reset(&self, now_ms: i64) -> i64 {
        self.start_of(self.game_day(now_ms).tomorrow().unwrap_or(Date::MAX))
    }

    /// When the game day of `now_ms` began (the last reset at or before it).
    pub fn last_reset(&self, now_ms: i64) -> i64 {
        self.start_of(self.game_day(now_ms))
    }

    /// When the game month of `now_ms` ends: the reset of the first day of the next month.
    pub fn next_month(&self, now_ms: i64) -> i64 {
        let first = self.game_day(now_ms).first_of_month();
        self.start_of(first.checked_add(1.month()).unwrap_or(Date::MAX))
    }

    /// The reset instant that starts game day `day` (a reset hour skipped by a daylight-saving
    /// change falls to the first instant after the gap).
    fn start_of(&self, day: Date) -> i64 {
        let at = DateTime::from_parts(day, Time::constant(self.hour, 0, 0, 0));
        self.zone.to_ambiguous_zoned(at).compatible().map_or(i64::MAX, |z| z.timestamp().as_millisecond())
    }

    fn local(&self, now_ms: i64) -> DateTime {
        let at = Timestamp::from_millisecond(now_ms).unwrap_or(Timestamp::UNIX_EPOCH);
        self.zone.to_datetime(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        s.parse::<Timestamp>().expect("a timestamp").as_millisecond()
    }

    #[test]
    fn the_day_resets_at_the_local_hour() {
        let seoul = DailyReset::new(4, "Asia/Seoul").expect("a zone");
        // 04:00 in Seoul is 19:00 UTC the day before.
        assert_eq!(seoul.next_reset(ms("2026-11-26T18:59:59Z")), ms("2026-11-26T19:00:00Z"));
        assert_eq!(seoul.next_reset(ms("2026-11-26T19:00:00Z")), ms("2026-11-27T19:00:00Z"));
        assert_eq!(seoul.game_day(ms("2026-11-26T18:00:00Z")).to_string(), "2026-11-26");
        assert_eq!(seoul.game_day(ms("2026-11-26T19:30:00Z")).to_string(), "2026-11-27");
    }

    #[test]
    fn the_month_ends_at_the_reset_of_its_last_day() {
        let seoul = DailyReset::new(4, "Asia/Seoul").expect("a zone");
        assert_eq!(seoul.next_month(ms("2026-11-26T00:00:00Z")), ms("2026-11-30T19:00:00Z"));
    }

    #[test]
    fn a_daylight_saving_day_is_23_or_25_hours() {
        let paris = DailyReset::new(2, "Europe/Paris").expect("a zone");
        // 2026-03-29: 02:00 does not exist in Paris (clocks go to 03:00).
        let before = ms("2026-03-28T12:00:00Z");
        let first = paris.next_reset(before);
        let second = paris.next_reset(first);
        assert_eq!(first, ms("2026-03-29T01:00:00Z"));
        assert_eq!(second - first, 23 * 3_600_000, "the day after the gap starts at 02:00 again");
        assert!(DailyReset::new(24, "Europe/Paris").is_err());
        assert!(DailyReset::new(4, "Mars/Olympus").is_err());
    }
}
