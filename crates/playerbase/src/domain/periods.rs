//! Leaderboard periods: all time, and the calendar periods in UTC.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, Time};
use utoipa::ToSchema;

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    All,
    /// From 00:00 UTC.
    Day,
    /// From Monday 00:00 UTC.
    Week,
    /// From the first of the month, 00:00 UTC.
    Month,
    /// Since the last `stream.online` of the configured broadcaster.
    Stream,
}

impl Period {
    pub const ALL: [Period; 5] = [Period::All, Period::Day, Period::Week, Period::Month, Period::Stream];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Stream => "stream",
        }
    }
}

impl FromStr for Period {
    type Err = Invalid;

    fn from_str(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw)
            .ok_or_else(|| Invalid(format!("unknown period {raw:?}: use all, day, week, month or stream")))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One period instance: a kind and the unix second it started at (0 for `all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PeriodKey {
    pub period: Period,
    pub starts_at: i64,
}

impl PeriodKey {
    pub const ALL_TIME: PeriodKey = PeriodKey { period: Period::All, starts_at: 0 };
}

/// The periods running at `now`, given when the current stream (if any) went online.
pub fn current(now: i64, stream_started: Option<i64>) -> Vec<PeriodKey> {
    let mut keys = vec![PeriodKey::ALL_TIME];
    for period in [Period::Day, Period::Week, Period::Month] {
        keys.push(PeriodKey { period, starts_at: calendar_start(period, now) });
    }
    if let Some(starts_at) = stream_started {
        keys.push(PeriodKey { period: Period::Stream, starts_at });
    }
    keys
}

/// How far another instance's clock may run ahead of this one's (NTP keeps
/// them within milliseconds): it may already award in a day, week or month
/// that starts here this much later.
pub const CLOCK_SKEW_ALLOWANCE: i64 = 300;

/// The periods running at `now`, and those starting within
/// [`CLOCK_SKEW_ALLOWANCE`] after it: the boards an instance keeps, so that
/// a new day's board already holds what instances ahead of it awarded.
pub fn current_and_next(now: i64, stream_started: Option<i64>) -> Vec<PeriodKey> {
    let mut keys = current(now, stream_started);
    for key in current(now + CLOCK_SKEW_ALLOWANCE, stream_started) {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The periods whose boards some instance may keep at `now`, its clock up
/// to [`CLOCK_SKEW_ALLOWANCE`] behind or ahead of this one: what a deletion
/// must take the player off everywhere.
pub fn kept_by_any_instance(now: i64, stream_started: Option<i64>) -> Vec<PeriodKey> {
    let mut keys = current_and_next(now - CLOCK_SKEW_ALLOWANCE, stream_started);
    for key in current(now + CLOCK_SKEW_ALLOWANCE, stream_started) {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The key of `period` running at `now`; none for a stream before the first.
pub fn current_key(period: Period, now: i64, stream_started: Option<i64>) -> Option<PeriodKey> {
    match period {
        Period::All => Some(PeriodKey::ALL_TIME),
        Period::Stream => stream_started.map(|starts_at| PeriodKey { period, starts_at }),
        calendar => Some(PeriodKey { period: calendar, starts_at: calendar_start(calendar, now) }),
    }
}

fn calendar_start(period: Period, now: i64) -> i64 {
    let today = OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH).date();
    let first: Date = match period {
        Period::Week => today - time::Duration::days(i64::from(today.weekday().number_days_from_monday())),
        Period::Month => today.replace_day(1).expect("day 1 exists in every month"),
        _ => today,
    };
    first.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-04 is a Friday.
    const FRI_1930: i64 = 1_796_412_602;

    #[test]
    fn the_next_day_week_and_month_are_kept_just_before_they_start() {
        // 2026-11-30 23:58 UTC: the last minutes of a Monday, and of November.
        let end_of_november = 1_796_083_080;
        let keys = current_and_next(end_of_november, None);
        let starts = |period| keys.iter().filter(|k| k.period == period).map(|k| k.starts_at).collect::<Vec<_>>();
        assert_eq!(starts(Period::Day), [calendar_start(Period::Day, end_of_november), end_of_november + 120]);
        assert_eq!(starts(Period::Month), [calendar_start(Period::Month, end_of_november), end_of_november + 120]);
        assert_eq!(starts(Period::Week).len(), 1, "the week goes on: a Tuesday starts none");
        let midday = end_of_november - 12 * 3600;
        assert_eq!(current_and_next(midday, None), current(midday, None), "nothing starts within minutes");
    }

    #[test]
    fn any_instance_may_keep_the_day_just_ended_or_the_one_about_to_start() {
        let midnight = 1_796_083_200; // 2026-12-01 00:00 UTC
        let day_starts = |now| {
            let keys = kept_by_any_instance(now, Some(42));
            assert!(
                keys.contains(&PeriodKey::ALL_TIME)
                    && keys.contains(&PeriodKey { period: Period::Stream, starts_at: 42 })
            );
            keys.iter().filter(|k| k.period == Period::Day).map(|k| k.starts_at).collect::<Vec<_>>()
        };
        assert_eq!(
            day_starts(midnight + 120),
            [midnight - 86_400, midnight],
            "an instance behind is still in yesterday"
        );
        assert_eq!(day_starts(midnight - 120), [midnight - 86_400, midnight], "an instance ahead is already in today");
        assert_eq!(day_starts(midnight + 3600), [midnight]);
    }

    #[test]
    fn calendar_periods_start_at_utc_boundaries() {
        let keys = current(FRI_1930, None);
        let start = |p| keys.iter().find(|k| k.period == p).unwrap().starts_at;
        assert_eq!(start(Period::All), 0);
        assert_eq!(start(Period::Day), 1_796_342_400, "2026-12-04T00:00:00Z");
        assert_eq!(start(Period::Week), 1_796_342_400 - 4 * 86_400, "Monday 2026-11-30");
        assert_eq!(start(Period::Month), 1_796_083_200, "2026-12-01T00:00:00Z");
        assert!(!keys.iter().any(|k| k.period == Period::Stream));
    }

    #[test]
    fn a_monday_starts_its_own_week_and_streams_count_once_online() {
        let monday = 1_796_342_400 - 4 * 86_400;
        assert_eq!(calendar_start(Period::Week, monday), monday);
        assert_eq!(calendar_start(Period::Week, monday - 1), monday - 7 * 86_400);
        assert_eq!(current_key(Period::Stream, FRI_1930, None), None);
        assert_eq!(
            current_key(Period::Stream, FRI_1930, Some(FRI_1930 - 60)),
            Some(PeriodKey { period: Period::Stream, starts_at: FRI_1930 - 60 })
        );
    }

    #[test]
    fn periods_parse_from_their_names() {
        for period in Period::ALL {
            assert_eq!(period.as_str().parse::<Period>().unwrap(), period);
        }
        assert!("year".parse::<Period>().is_err());
    }
}
