//! Periods of the Asia/Shanghai calendar: days, ISO weeks (Monday first), months,
//! quarters and years, and the periods a cell is compared with.

use chrono::{Datelike, Days, Months, NaiveDate, Utc};

use crate::error::AppError;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Grain {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// One period, both ends included.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The most periods one answer may hold.
pub const MAX_PERIODS: usize = 400;

/// Today in Asia/Shanghai (UTC+8 all year since 1991).
pub fn today() -> NaiveDate {
    crate::domain::time::local_day(Utc::now())
}

/// The earliest and latest dates a query may name.
fn in_range(d: NaiveDate) -> bool {
    (1990..=2100).contains(&d.year())
}

impl Grain {
    pub fn name(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
        }
    }

    /// The period of this grain holding `d`.
    pub fn period_of(self, d: NaiveDate) -> Period {
        let start = match self {
            Grain::Day => d,
            Grain::Week => d - Days::new(d.weekday().num_days_from_monday() as u64),
            Grain::Month => d.with_day(1).unwrap_or(d),
            Grain::Quarter => NaiveDate::from_ymd_opt(d.year(), (d.month0() / 3) * 3 + 1, 1).unwrap_or(d),
            Grain::Year => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d),
        };
        let next = self.step(start, 1);
        Period { start, end: next.pred_opt().unwrap_or(next) }
    }

    /// `start` moved `n` periods forward.
    fn step(self, start: NaiveDate, n: u32) -> NaiveDate {
        match self {
            Grain::Day => start + Days::new(n as u64),
            Grain::Week => start + Days::new(7 * n as u64),
            Grain::Month => start + Months::new(n),
            Grain::Quarter => start + Months::new(3 * n),
            Grain::Year => start + Months::new(12 * n),
        }
    }

    /// The periods covering `from..=to`, oldest first.
    pub fn periods(self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Period>, AppError> {
        if !in_range(from) || !in_range(to) {
            return Err(AppError::bad_input("from", "dates must lie between 1990 and 2100"));
        }
        if to < from {
            return Err(AppError::bad_input("to", "`to` is before `from`"));
        }
        let mut out = Vec::new();
        let mut p = self.period_of(from);
        while p.start <= to {
            if out.len() == MAX_PERIODS {
                return Err(AppError::bad_input(
                    "period",
                    format!("more than {MAX_PERIODS} periods; choose a coarser period or a shorter range"),
                ));
            }
            out.push(p);
            p = self.period_of(self.step(p.start, 1));
        }
        Ok(out)
    }

    /// The period before `p`.
    pub fn previous(self, p: Period) -> Period {
        self.period_of(p.start.pred_opt().unwrap_or(p.start))
    }

    /// The same period a year earlier: the same day, ISO week number, month, quarter or
    /// year of the year before.
    pub fn year_earlier(self, p: Period) -> Period {
        match self {
            Grain::Week => {
                let week = p.start.iso_week();
                NaiveDate::from_isoywd_opt(week.year() - 1, week.week(), chrono::Weekday::Mon)
                    .or_else(|| NaiveDate::from_isoywd_opt(week.year() - 1, 52, chrono::Weekday::Mon))
                    .map_or(p, |d| self.period_of(d))
            }
            _ => self.period_of(p.start - Months::new(12)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_follow_the_calendar() {
        let weeks = Grain::Week.periods(d(2026, 11, 1), d(2026, 11, 20)).unwrap();
        assert_eq!(weeks[0], Period { start: d(2026, 10, 26), end: d(2026, 11, 1) });
        assert_eq!(weeks.len(), 4);
        let q = Grain::Quarter.period_of(d(2026, 8, 31));
        assert_eq!(q, Period { start: d(2026, 7, 1), end: d(2026, 9, 30) });
        assert_eq!(Grain::Month.previous(Grain::Month.period_of(d(2026, 3, 31))).end, d(2026, 2, 28));
        assert_eq!(Grain::Month.year_earlier(Grain::Month.period_of(d(2024, 2, 29))).start, d(2023, 2, 1));
        assert_eq!(Grain::Day.year_earlier(Grain::Day.period_of(d(2024, 2, 29))).start, d(2023, 2, 28));
        assert_eq!(Grain::Week.year_earlier(Grain::Week.period_of(d(2026, 11, 24))).start, d(2025, 11, 24));
        assert!(Grain::Day.periods(d(2020, 1, 1), d(2026, 1, 1)).is_err());
        assert!(Grain::Day.periods(d(2026, 1, 2), d(2026, 1, 1)).is_err());
        assert!(Grain::Year.periods(d(1, 1, 1), d(2026, 1, 1)).is_err());
    }

    use proptest::prelude::*;

    fn grain(i: u8) -> Grain {
        [Grain::Day, Grain::Week, Grain::Month, Grain::Quarter, Grain::Year][usize::from(i % 5)]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any two dates and any grain: periods or a clear refusal, never a panic; the
        /// periods tile the range without gaps, and comparisons stay in their grain.
        #[test]
        fn any_range_gives_contiguous_periods_or_a_refusal(a in 724_000i32..769_000, span in -40i32..3_000, g in any::<u8>()) {
            // Around 1985 … 2105: inside and across the accepted years.
            let day = |n: i32| NaiveDate::from_num_days_from_ce_opt(n).unwrap_or_default();
            let (from, to) = (day(a), day(a + span));
            let grain = grain(g);
            if let Ok(periods) = grain.periods(from, to) {
                prop_assert!(!periods.is_empty() && periods.len() <= MAX_PERIODS);
                prop_assert!(periods[0].start <= from && periods.last().unwrap().end >= to);
                for pair in periods.windows(2) {
                    prop_assert_eq!(pair[0].end.succ_opt(), Some(pair[1].start));
                }
                for p in &periods {
                    prop_assert_eq!(grain.period_of(grain.previous(*p).end), grain.previous(*p));
                    let earlier = grain.year_earlier(*p);
                    prop_assert!(earlier.start < p.start && earlier == grain.period_of(earlier.start));
                }
            }
        }
    }
}
