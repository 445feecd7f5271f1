//! China's working-day calendar: public holidays and the adjusted working weekends (调休)
//! from the `chinese_holiday` crate (2004 to 2026-12-25), plus days an administrator
//! enters when the State Council publishes a year's schedule (`calendar_day`), which
//! win over the crate. Outside both: Monday to Friday. Days are Asia/Shanghai days;
//! working hours are 09:00–18:00.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use entity::calendar_day;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::access::{Action, Resource};
use super::audit::{self, Entry, RequestMeta};
use super::time::{day_start, local_day};
use super::{Scope, limits};
use crate::error::{AppError, AppResult};

/// Working hours, minutes after midnight Asia/Shanghai.
pub const OPENS: i64 = 9 * 60;
pub const CLOSES: i64 = 18 * 60;

/// Most working days any deadline looks ahead (ten years): every loop is bounded.
const HORIZON: u32 = 3_660;

/// The first and last day the crate knows (it panics outside them, so it is never asked).
fn crate_range() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2004, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(2026, 12, 25).unwrap_or(NaiveDate::MIN),
    )
}

/// Whether `day` is a working day by the official schedule the crate carries, or by the
/// weekday outside its years.
pub fn builtin_working(day: NaiveDate) -> bool {
    let (first, last) = crate_range();
    if day >= first && day <= last {
        let (Ok(y), Ok(m), Ok(d)) = (u16::try_from(day.year()), u8::try_from(day.month()), u8::try_from(day.day()))
        else {
            return !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        };
        return chinese_holiday::chinese_holiday((y, m, d)).is_workday();
    }
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The calendar with the administrator's overrides.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    overrides: BTreeMap<NaiveDate, bool>,
}

impl Calendar {
    /// The calendar with every override in the database.
    pub async fn load<C: ConnectionTrait>(conn: &C) -> AppResult<Self> {
        let rows = calendar_day::Entity::find().all(conn).await?;
        Ok(Calendar { overrides: rows.into_iter().map(|r| (r.day, r.working)).collect() })
    }

    pub fn with_overrides(overrides: impl IntoIterator<Item = (NaiveDate, bool)>) -> Self {
        Calendar { overrides: overrides.into_iter().collect() }
    }

    pub fn is_working(&self, day: NaiveDate) -> bool {
        self.overrides.get(&day).copied().unwrap_or_else(|| builtin_working(day))
    }

    /// The working day `n` working days after `day` (n = 0: `day` itself if working,
    /// else the next working day).
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut current = day;
        let mut left = n;
        if n == 0 {
            for _ in 0..HORIZON {
                if self.is_working(current) {
                    return current;
                }
                current = current.succ_opt().unwrap_or(current);
            }
            return current;
        }
        for _ in 0..HORIZON {
            current = current.succ_opt().unwrap_or(current);
            if self.is_working(current) {
                left -= 1;
                if left == 0 {
                    return current;
                }
            }
        }
        current
    }

    /// The end of the working day `n` working days after the day of `at`.
    pub fn end_of_working_day(&self, at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let day = self.add_working_days(local_day(at), n);
        day_start(day) + Duration::minutes(CLOSES)
    }

    /// `hours` working hours after `at` (09:00–18:00 on working days).
    pub fn add_working_hours(&self, at: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
        let mut left = i64::from(hours) * 60;
        let mut day = local_day(at);
        let mut minute = (at - day_start(day)).num_minutes().clamp(0, 24 * 60);
        for _ in 0..HORIZON {
            if self.is_working(day) {
                let from = minute.max(OPENS);
                if from < CLOSES {
                    let open = CLOSES - from;
                    if left <= open {
                        return day_start(day) + Duration::minutes(from + left);
                    }
                    left -= open;
                }
            }
            day = day.succ_opt().unwrap_or(day);
            minute = 0;
        }
        day_start(day) + Duration::minutes(CLOSES)
    }
}

/// One day of an official schedule as an administrator enters it.
pub struct DayEntry {
    pub day: NaiveDate,
    pub working: bool,
    pub name: String,
}

/// Enters days of an official schedule (group administrator); a day entered again is
/// replaced. At most 400 days at once.
pub async fn set_days(
    db: &DatabaseConnection,
    scope: &Scope,
    meta: &RequestMeta,
    days: Vec<DayEntry>,
) -> AppResult<usize> {
    if scope.reach(Resource::Organisation, Action::Update) != super::scope::Reach::Group {
        return Err(AppError::Forbidden("only the group administrator enters the holiday schedule".into()));
    }
    if days.is_empty() || days.len() > 400 {
        return Err(AppError::bad_input("days", "between 1 and 400 days at once"));
    }
    for d in &days {
        limits::check("name", &d.name, 64)?;
        if d.day.year() < 2000 || d.day.year() > 2100 {
            return Err(AppError::bad_input("day", "a day between 2000 and 2100"));
        }
    }
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    for d in &days {
        let row = calendar_day::ActiveModel {
            day: Set(d.day),
            working: Set(d.working),
            name: Set(d.name.trim().to_owned()),
            updated_by: Set(Some(scope.actor.staff_id)),
            updated_at: Set(now),
        };
        if calendar_day::Entity::find_by_id(d.day).one(&txn).await?.is_some() {
            row.update(&txn).await?;
        } else {
            row.insert(&txn).await?;
        }
    }
    audit::record(&txn, Some(&scope.actor), meta, Entry::new("SET_CALENDAR", "calendar", [days.len() as i64])).await?;
    txn.commit().await?;
    Ok(days.len())
}

/// The days between `from` and `to` (at most 400) with whether each is a working day
/// and the administrator's name for it, if entered.
pub async fn days<C: ConnectionTrait>(
    conn: &C,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<(NaiveDate, bool, Option<String>)>> {
    if to < from || (to - from).num_days() >= 400 {
        return Err(AppError::bad_input("to", "a range of 1 to 400 days"));
    }
    use sea_orm::ColumnTrait;
    let entered: BTreeMap<NaiveDate, calendar_day::Model> = calendar_day::Entity::find()
        .filter(calendar_day::Column::Day.between(from, to))
        .order_by_asc(calendar_day::Column::Day)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.day, r))
        .collect();
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        match entered.get(&day) {
            Some(row) => out.push((day, row.working, Some(row.name.clone()))),
            None => out.push((day, builtin_working(day), None)),
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn known_days() {
        // A Sunday that was a working day (Spring Festival 2025).
        assert!(builtin_working(d(2025, 1, 26)));
        for day in 1..=8 {
            assert!(!builtin_working(d(2025, 10, day)), "2025-10-0{day} was a holiday");
        }
        assert!(builtin_working(d(2025, 10, 11)), "a Saturday worked for National Day");
        // Past the crate's years: weekdays, and never a panic.
        assert!(builtin_working(d(2027, 3, 1)));
        assert!(!builtin_working(d(2027, 3, 6)));
        assert!(builtin_working(d(2003, 12, 31)));
    }

    #[test]
    fn overrides_win_and_deadlines_skip_holidays() {
        let cal = Calendar::with_overrides([(d(2027, 1, 1), false), (d(2027, 2, 6), true)]);
        assert!(!cal.is_working(d(2027, 1, 1)));
        assert!(cal.is_working(d(2027, 2, 6)));
        // Delivered on 2025-09-30 (Tuesday): 1 working day later is 2025-10-09.
        assert_eq!(cal.add_working_days(d(2025, 9, 30), 1), d(2025, 10, 9));
        assert_eq!(cal.add_working_days(d(2025, 10, 3), 0), d(2025, 10, 9));
        // Four working hours from Friday 2025-09-26 16:00 Shanghai: Sunday 09-28 was worked.
        let at = chrono::FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2025, 9, 26, 16, 0, 0).unwrap();
        let due = cal.add_working_hours(at.with_timezone(&Utc), 4);
        let local = due.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
        assert_eq!((local.date_naive(), local.format("%H:%M").to_string()), (d(2025, 9, 28), "11:00".to_owned()));
    }
}
